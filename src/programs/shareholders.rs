//! Households and village collectives as shareholders with their own money (三变:
//! resources into assets, funds into shares, farmers into shareholders; Ziyang, via
//! docs/SOURCES.md). In Xiyuan it was "villagers and the village collective" who put
//! 500,000 yuan into the scenic area for a fixed 10% (docs/SOURCES.md, Suiyang report), not
//! only program funds (折股到户, which [`super::schemes`] models).
//!
//! Own-money shares sit in the same village enterprise as the program's stakes: the
//! same return, the same failures, the same `recovery` ([`schemes::equity_year`]).
//! They are kept apart (`State::own_stake`) because they are not program budget: the
//! program's money identity ([`super::funds`]) must not count a failed enterprise's
//! loss of households' savings as lost program money. Households' own identity still
//! holds: what a household invests leaves its savings (`Ledger::invested`), its
//! dividends come back as income (`income_dividends`), and principal paid back on
//! failure returns to its savings.
//!
//! Our assumptions (the reports give no rule): a household invests a fixed share of
//! its savings above a reserve once a year, after consumption, into its own village's
//! enterprise, and not in a year that enterprise failed; a collective converts a
//! share of its year's income into shares quantified to the village's registered
//! households equally per person; own-money shares earn from the next year and are
//! not split with the collective (they are the households' own). Principal is held in
//! whole yuan, like the program's, so the stocks add up exactly.

use super::schemes::{self, Equity, SchemeYear};
use crate::agents::household::{Households, State, Status};
use crate::metrics::{Ledger, YearMetrics};

/// One household's own-money shares over the part of the year before saving.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OwnYear {
    /// Dividend on the shares, yuan (income).
    pub dividend: f64,
    /// Principal paid back to the household's savings because the enterprise failed, yuan.
    pub returned: f64,
    /// The village's enterprise takes new money this year (a program year, no failure).
    pub open: bool,
}

/// Own-money shares of every household over one year: what the step needs per
/// household, and the totals the metrics report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shareholders<'a> {
    equity: &'a Equity,
    held: f64,
    bought: f64,
    invested: f64,
    dividends: f64,
    returned: f64,
    lost: f64,
}

impl<'a> Shareholders<'a> {
    /// A year of the shares in the enterprise of `equity`.
    pub fn new(equity: &'a Equity) -> Self {
        Shareholders {
            equity,
            held: 0.0,
            bought: 0.0,
            invested: 0.0,
            dividends: 0.0,
            returned: 0.0,
            lost: 0.0,
        }
    }

    /// The enterprise's year for a household's own shares `stake` in `village`: the
    /// dividend, or liquidation if the enterprise failed. Nothing outside program years.
    #[inline]
    pub fn hold(&mut self, program_on: bool, year: &SchemeYear, village: usize, stake: &mut u32) -> OwnYear {
        if !program_on {
            return OwnYear::default();
        }
        let failed = year.equity_failed.get(village).copied().unwrap_or(false);
        let mut own = OwnYear {
            open: !failed,
            ..OwnYear::default()
        };
        if *stake > 0 {
            let h = schemes::equity_year(self.equity, *stake, year.equity_return, failed);
            *stake = h.principal;
            own.dividend = h.dividend;
            own.returned = f64::from(h.recovered);
            self.dividends += h.dividend;
            self.returned += own.returned;
            self.lost += f64::from(h.lost);
        }
        own
    }

    /// At the year's end the household puts `household_invest_share` of its
    /// `savings` above `household_reserve` into shares (whole yuan). Returns what
    /// leaves its savings net of principal paid back this year: savings after the
    /// year = `savings` − the returned value.
    #[inline]
    pub fn invest(&mut self, savings: f64, own: &OwnYear, stake: &mut u32) -> f64 {
        let e = self.equity;
        let mut bought = 0.0;
        if own.open && e.household_invest_share > 0.0 && savings > e.household_reserve {
            let want = (e.household_invest_share * (savings - e.household_reserve)).floor();
            bought = want.min(f64::from(u32::MAX - *stake));
            *stake += bought as u32;
            self.bought += bought;
        }
        if *stake > 0 {
            self.held += f64::from(*stake);
        }
        let invested = bought - own.returned;
        self.invested += invested;
        invested
    }

    /// Write the year's totals into the metrics and the households' ledger.
    pub fn report(&self, m: &mut YearMetrics, ledger: &mut Ledger) {
        m.stakes_own = self.held;
        m.stakes_bought = self.bought;
        m.stakes_own_dividends = self.dividends;
        m.stakes_own_returned = self.returned;
        m.stakes_own_lost = self.lost;
        ledger.invested = self.invested;
    }
}

/// At the year's end each village collective converts `collective_invest_share` of
/// its year's `income` into shares quantified to the village's registered households,
/// equally per person in whole yuan; what is converted leaves the collective's income
/// (the payout of next year is a share of the rest). Adds to `collective_invested`
/// and `stakes_own`; call after [`Shareholders::report`].
pub fn quantify(e: &Equity, hh: &Households, next: &mut State, income: &mut [f64], m: &mut YearMetrics) {
    if e.collective_invest_share <= 0.0 {
        return;
    }
    let f = &hh.fixed;
    let mut persons = vec![0u64; income.len()];
    for i in 0..hh.len() {
        if next.status[i] == Status::Registered {
            persons[f.village[i] as usize] += u64::from(f.size[i]);
        }
    }
    // The pot of each village, drawn down by whole yuan, so that no collective
    // converts more than its share even when per-person amounts round up.
    let mut pot: Vec<f64> = income
        .iter()
        .map(|&x| (e.collective_invest_share * x).max(0.0).floor())
        .collect();
    let per_person: Vec<f64> = pot
        .iter()
        .zip(&persons)
        .map(|(&p, &n)| if n > 0 { p / n as f64 } else { 0.0 })
        .collect();
    let mut invested = 0.0;
    for i in 0..hh.len() {
        let v = f.village[i] as usize;
        if next.status[i] != Status::Registered || per_person[v] <= 0.0 {
            continue;
        }
        let share = (per_person[v] * f64::from(f.size[i]))
            .floor()
            .min(pot[v])
            .min(f64::from(u32::MAX - next.own_stake[i]));
        next.own_stake[i] += share as u32;
        pot[v] -= share;
        income[v] -= share;
        invested += share;
    }
    m.collective_invested = invested;
    m.stakes_own += invested;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::ReturnMode;

    fn equity(share: f64, reserve: f64) -> Equity {
        Equity {
            return_mode: ReturnMode::Fixed,
            return_rate: 0.1,
            return_sd: 0.0,
            failure_probability: 0.0,
            recovery: 0.5,
            household_invest_share: share,
            household_reserve: reserve,
            collective_invest_share: 0.0,
        }
    }

    fn year(failed: bool) -> SchemeYear {
        SchemeYear {
            equity_return: 0.1,
            equity_failed: vec![failed],
            ..SchemeYear::default()
        }
    }

    #[test]
    fn a_household_invests_its_share_of_savings_above_the_reserve_in_whole_yuan() {
        let e = equity(0.5, 1000.0);
        let mut s = Shareholders::new(&e);
        let mut stake = 0;
        let own = s.hold(true, &year(false), 0, &mut stake);
        assert_eq!(own.dividend, 0.0);
        assert_eq!(s.invest(3001.0, &own, &mut stake), 1000.0);
        assert_eq!(stake, 1000);
        // The next year: a 10% dividend on the shares.
        let own = s.hold(true, &year(false), 0, &mut stake);
        assert_eq!(own.dividend, 100.0);
    }

    #[test]
    fn a_household_with_no_savings_or_none_above_the_reserve_buys_nothing() {
        for (savings, reserve) in [(0.0, 0.0), (-500.0, 0.0), (900.0, 1000.0), (1000.0, 1000.0)] {
            let e = equity(1.0, reserve);
            let mut s = Shareholders::new(&e);
            let mut stake = 0;
            let own = s.hold(true, &year(false), 0, &mut stake);
            assert_eq!(s.invest(savings, &own, &mut stake), 0.0, "{savings} over {reserve}");
            assert_eq!(stake, 0);
        }
    }

    #[test]
    fn a_failed_enterprise_pays_back_part_of_the_principal_and_takes_no_new_money() {
        let e = equity(1.0, 0.0);
        let mut s = Shareholders::new(&e);
        let mut stake = 10_001;
        let own = s.hold(true, &year(true), 0, &mut stake);
        assert_eq!((stake, own.dividend, own.returned, own.open), (0, 0.0, 5_000.0, false));
        // The principal paid back returns to savings (a negative investment).
        assert_eq!(s.invest(50_000.0, &own, &mut stake), -5_000.0);
        assert_eq!(stake, 0);
        let mut m = YearMetrics::default();
        let mut l = Ledger::default();
        s.report(&mut m, &mut l);
        assert_eq!(
            (m.stakes_own_lost, m.stakes_own_returned, l.invested),
            (5_001.0, 5_000.0, -5_000.0)
        );
    }

    #[test]
    fn outside_program_years_nothing_happens() {
        let e = equity(1.0, 0.0);
        let mut s = Shareholders::new(&e);
        let mut stake = 700;
        let own = s.hold(false, &SchemeYear::default(), 3, &mut stake);
        assert_eq!(own, OwnYear::default());
        assert_eq!(s.invest(1e6, &own, &mut stake), 0.0);
        assert_eq!(stake, 700);
    }

    #[test]
    fn shares_never_overflow() {
        let e = equity(1.0, 0.0);
        let mut s = Shareholders::new(&e);
        let mut stake = u32::MAX - 5;
        let own = OwnYear {
            open: true,
            ..OwnYear::default()
        };
        assert_eq!(s.invest(1e12, &own, &mut stake), 5.0);
        assert_eq!(stake, u32::MAX);
    }
}
