//! Schemes in which an operator holds program principal for households and pays
//! them a share of what it earns: the cattle dividend farm (Gaoping: calves bought
//! with program funds, raised by a large farmer, 80% of the profit to the poor
//! households) and equity stakes (Xiyuan: shares in a scenic area paying a fixed
//! 10%; 折股到户, 三变). Both share one structure — principal held in whole yuan per
//! household, a yearly return, an operator that can fail — and both book into the
//! program's accounts ([`super::funds`]).
//!
//! Everything random here is county- or village-wide and keyed by (seed,
//! replicate, stream, village, year), never by strategy, so every strategy of a
//! replicate faces the same prices and the same operator failures.

use super::Program;
use super::ReturnMode;
use crate::rng::{CellRng, Stream};

/// Validated `[program.cattle]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cattle {
    /// Price of a calf, yuan: what a head of principal is worth.
    pub calf_price: f64,
    /// Mean sale price of a fattened head, yuan.
    pub sale_price: f64,
    /// Log-scale standard deviation of the county's yearly sale-price shock.
    pub price_sd: f64,
    /// Feed and care per head per year, yuan.
    pub feed_cost: f64,
    /// Share of the herd that dies in a year.
    pub mortality: f64,
    /// Households' share of a positive profit (the operator keeps the rest).
    pub household_share: f64,
    pub insured: bool,
    /// Yearly premium as a share of the calves' value.
    pub premium_rate: f64,
    /// Share of a dead head's calf value the insurance pays.
    pub insurance_cover: f64,
    /// Head an operator holds for households, per village.
    pub capacity: u32,
    pub failure_probability: f64,
    /// Share of the principal recovered for households when the operator fails.
    pub recovery: f64,
}

/// Validated `[program.equity]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Equity {
    pub return_mode: ReturnMode,
    /// Yearly return on the stake (the mean return when variable).
    pub return_rate: f64,
    /// Log-scale standard deviation of the yearly return when variable.
    pub return_sd: f64,
    pub failure_probability: f64,
    pub recovery: f64,
    /// Share of its savings above `household_reserve` a household puts into stakes
    /// each year (its own money; [`super::shareholders`]).
    pub household_invest_share: f64,
    /// Savings a household keeps before it invests, yuan.
    pub household_reserve: f64,
    /// Share of a village collective's yearly income converted into stakes
    /// quantified to the village's registered households.
    pub collective_invest_share: f64,
}

/// The scheme shocks of one year: county prices and returns, and which village
/// operators fail.
#[derive(Debug, Clone, Default)]
pub struct SchemeYear {
    /// This year's cattle sale price, yuan per head.
    pub cattle_price: f64,
    /// This year's return on equity stakes.
    pub equity_return: f64,
    /// This year's farm-gate honey price, yuan per kg.
    pub honey_price: f64,
    pub cattle_failed: Vec<bool>,
    pub equity_failed: Vec<bool>,
}

impl SchemeYear {
    pub fn draw(program: &Program, villages: usize, seed: u64, replicate: u32, year: i32) -> SchemeYear {
        let (c, e) = (&program.cattle, &program.equity);
        let shock = |entity: u64, sd: f64| {
            CellRng::new(seed, replicate, Stream::SchemePrices, entity, year).mean_one_lognormal(sd)
        };
        let failed = |scheme: u64, p: f64| -> Vec<bool> {
            (0..villages as u64)
                .map(|v| CellRng::new(seed, replicate, Stream::Operators, v * 2 + scheme, year).chance(p))
                .collect()
        };
        SchemeYear {
            cattle_price: c.sale_price * shock(0, c.price_sd),
            equity_return: match e.return_mode {
                ReturnMode::Fixed => e.return_rate,
                ReturnMode::Variable => e.return_rate * shock(1, e.return_sd),
            },
            honey_price: program.bees.honey_price * shock(2, program.bees.price_sd),
            cattle_failed: failed(0, c.failure_probability),
            equity_failed: failed(1, e.failure_probability),
        }
    }
}

/// One household's holding over one year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Holding {
    /// Dividend paid to the household, yuan.
    pub dividend: f64,
    /// Principal paid back to the household when the operator failed, whole yuan.
    pub recovered: u32,
    /// Principal lost this year, whole yuan.
    pub lost: u32,
    /// Principal still held at the end of the year, whole yuan.
    pub principal: u32,
    /// The operator failed this year.
    pub failed: bool,
}

/// The operator failed: a share of the principal comes back, the rest is lost,
/// and there is no dividend.
fn liquidate(principal: u32, recovery: f64) -> Holding {
    let recovered = ((f64::from(principal) * recovery).floor() as u32).min(principal);
    Holding {
        dividend: 0.0,
        recovered,
        lost: principal - recovered,
        principal: 0,
        failed: true,
    }
}

/// A year of the cattle farm for the calves held for one household: the herd
/// (principal / calf price head) is fattened and sold at this year's price, dead
/// head are paid by the insurance if insured, and the operator buys the same number
/// of calves again. A positive profit is split by `household_share`; a loss is
/// paid out of the principal (fewer calves next year).
pub fn cattle_year(c: &Cattle, principal: u32, sale_price: f64, failed: bool) -> Holding {
    if failed {
        return liquidate(principal, c.recovery);
    }
    let value = f64::from(principal);
    let head = value / c.calf_price;
    let dead = head * c.mortality;
    let (premium, payout) = if c.insured {
        (value * c.premium_rate, dead * c.calf_price * c.insurance_cover)
    } else {
        (0.0, 0.0)
    };
    let profit = (head - dead) * sale_price + payout - head * c.feed_cost - premium - value;
    if profit >= 0.0 {
        Holding {
            dividend: c.household_share * profit,
            principal,
            ..Holding::default()
        }
    } else {
        let left = ((value + profit).max(0.0).floor() as u32).min(principal);
        Holding {
            lost: principal - left,
            principal: left,
            ..Holding::default()
        }
    }
}

/// A year of an equity stake: the return on the principal, unless the enterprise fails.
pub fn equity_year(e: &Equity, principal: u32, rate: f64, failed: bool) -> Holding {
    if failed {
        return liquidate(principal, e.recovery);
    }
    Holding {
        dividend: f64::from(principal) * rate,
        principal,
        ..Holding::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cattle() -> Cattle {
        Cattle {
            calf_price: 5000.0,
            sale_price: 10000.0,
            price_sd: 0.0,
            feed_cost: 3000.0,
            mortality: 0.0,
            household_share: 0.8,
            insured: false,
            premium_rate: 0.03,
            insurance_cover: 0.8,
            capacity: 400,
            failure_probability: 0.0,
            recovery: 0.5,
        }
    }

    #[test]
    fn the_profit_is_split_by_the_households_share() {
        // Two head: 20,000 sold − 6,000 feed − 10,000 new calves = 4,000 profit.
        let h = cattle_year(&cattle(), 10_000, 10_000.0, false);
        assert!((h.dividend - 3_200.0).abs() < 1e-9);
        assert_eq!((h.principal, h.lost, h.recovered), (10_000, 0, 0));
        let none = cattle_year(
            &Cattle {
                household_share: 0.0,
                ..cattle()
            },
            10_000,
            10_000.0,
            false,
        );
        assert_eq!(none.dividend, 0.0);
    }

    #[test]
    fn a_price_collapse_eats_the_principal_never_below_zero() {
        let h = cattle_year(&cattle(), 10_000, 6_000.0, false);
        // 12,000 − 6,000 − 10,000 = −4,000: the herd shrinks to 6,000 yuan of calves.
        assert_eq!((h.principal, h.lost, h.dividend), (6_000, 4_000, 0.0));
        let wiped = cattle_year(&cattle(), 10_000, 0.0, false);
        assert_eq!((wiped.principal, wiped.lost), (0, 10_000));
    }

    #[test]
    fn insurance_pays_for_dead_head() {
        let c = Cattle {
            mortality: 0.5,
            ..cattle()
        };
        let bare = cattle_year(&c, 10_000, 10_000.0, false);
        let insured = cattle_year(&Cattle { insured: true, ..c }, 10_000, 10_000.0, false);
        // Uninsured: 10,000 − 6,000 − 10,000 = −6,000. Insured: + 0.8 × 5,000 − 300.
        assert_eq!(bare.principal, 4_000);
        assert_eq!(insured.principal, 7_700);
    }

    #[test]
    fn a_failed_operator_returns_part_of_the_principal_and_no_dividend() {
        let h = cattle_year(&cattle(), 10_001, 10_000.0, true);
        assert_eq!((h.recovered, h.lost, h.principal, h.dividend), (5_000, 5_001, 0, 0.0));
        let e = Equity {
            return_mode: ReturnMode::Fixed,
            return_rate: 0.1,
            return_sd: 0.0,
            failure_probability: 0.0,
            recovery: 0.0,
            household_invest_share: 0.0,
            household_reserve: 0.0,
            collective_invest_share: 0.0,
        };
        assert_eq!(equity_year(&e, 500_000, 0.1, false).dividend, 50_000.0);
        let gone = equity_year(&e, 500_000, 0.1, true);
        assert_eq!((gone.lost, gone.recovered, gone.dividend), (500_000, 0, 0.0));
    }

    #[test]
    fn every_strategy_faces_the_same_scheme_year() {
        let text = "[[village]]\nname = \"a\"\ncount = 5\nhouseholds = 1\n[program.cattle]\nfailure_probability = 0.5\n[program.equity]\nreturn_mode = \"variable\"\n";
        let s = crate::scenario::parse(text, "t.toml", "t").unwrap();
        let p = &s.strategies[0].model.program;
        let a = SchemeYear::draw(p, 5, 3, 1, 2018);
        let b = SchemeYear::draw(p, 5, 3, 1, 2018);
        assert_eq!(a.cattle_failed, b.cattle_failed);
        assert_eq!((a.cattle_price, a.equity_return), (b.cattle_price, b.equity_return));
        assert_ne!(a.equity_return, p.equity.return_rate, "a variable return varies");
        let c = SchemeYear::draw(p, 5, 3, 1, 2019);
        assert_ne!(a.cattle_price, c.cattle_price);
    }
}
