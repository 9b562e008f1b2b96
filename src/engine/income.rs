//! The household income model, in one place for both of its users:
//! * synthesis needs a household's *expected* ("normal") income, the income that
//!   identification assesses (four looks, one calculation), to calibrate who is poor;
//! * the yearly cycle draws the *realised* income under each year's shocks.
//!
//! [`expected`] is the analytical mean of [`draw_illness`] and [`draw_earnings`];
//! a test checks the two against each other, so the calibration cannot drift from
//! the cycle it calibrates. (Calibrating on one year's realised draws instead would
//! read a year of bad luck as low ability, and the next year would undo it.)
//!
//! Per-capita net income (yuan per person per year) is farm income (or land rent),
//! plus local wages, remitted migrant earnings, other income, medical assistance and
//! dibao, minus out-of-pocket health spending and interest on debt. Health spending
//! is subtracted because the poverty the reports call "caused by illness" is
//! spending-driven (支出型贫困).

use crate::rng::{CellRng, Stream};
use crate::scenario::Model;

/// Labour-income multiplier from skill and motivation: skill 0.5 and full
/// motivation give 1.
#[inline]
pub fn ability(model: &Model, skill: f32, motivation: f32) -> f64 {
    model.income.ability(skill, motivation)
}

/// The shocks shared by households in one year: a county price multiplier and one
/// weather multiplier per village (including drought losses).
#[derive(Debug, Clone)]
pub struct YearShocks {
    pub price: f64,
    pub weather: Vec<f64>,
}

impl YearShocks {
    pub fn draw(model: &Model, seed: u64, replicate: u32, year: i32) -> YearShocks {
        let s = &model.shocks;
        let price = CellRng::new(seed, replicate, Stream::Price, 0, year).mean_one_lognormal(s.price_sd);
        let weather = (0..model.villages.len())
            .map(|v| {
                let mut r = CellRng::new(seed, replicate, Stream::Weather, v as u64, year);
                let w = r.mean_one_lognormal(s.weather_sd);
                if r.chance(s.drought_probability) {
                    w * (1.0 - s.drought_loss)
                } else {
                    w
                }
            })
            .collect();
        YearShocks { price, weather }
    }

    /// The farm-yield multiplier of a village.
    #[inline]
    pub fn farm(&self, village: usize) -> f64 {
        self.price * self.weather[village]
    }
}

/// This year's illness in a household.
#[derive(Debug, Clone, Copy, Default)]
pub struct Illness {
    /// Treatment cost before insurance, yuan.
    pub cost: f64,
    /// Labourers who had an acute episode.
    pub ill_labourers: u8,
}

/// Draw a household's illness episodes and their cost. Chronically ill members
/// incur a yearly treatment cost and may have an acute episode; others may have one.
/// The caller goes on drawing onsets of chronic illness from the same generator.
#[inline(always)]
pub fn draw_illness(model: &Model, size: u8, chronic: u8, labourers: u8, rng: &mut CellRng) -> Illness {
    let hl = &model.health;
    let draws = &model.health_draws;
    let mut cost = 0.0;
    for _ in 0..chronic {
        cost += draws.chronic.sample(rng);
        if rng.chance(hl.chronic_acute_rate) {
            cost += draws.episode.sample(rng);
        }
    }
    // Acute episodes among the other members: the count from one uniform, then
    // which of them are labourers (the first `labourers` members) without replacement.
    let others = size.saturating_sub(chronic);
    let episodes = draws.acute.draw(rng, u32::from(others));
    let mut ill_labourers = 0u8;
    let (mut left_lab, mut left) = (labourers.min(others), others);
    for _ in 0..episodes {
        cost += draws.episode.sample(rng);
        if left_lab > 0 && rng.index(usize::from(left)) < usize::from(left_lab) {
            ill_labourers += 1;
            left_lab -= 1;
        }
        left -= 1;
    }
    Illness { cost, ill_labourers }
}

/// What a household's work and land earn in one year.
#[derive(Debug, Clone, Copy, Default)]
pub struct Earnings {
    /// Farm income and wages at productivity 1 (the caller multiplies by the
    /// household's productivity), after ability and days lost to illness.
    pub scaled: f64,
    /// Property income (land rent when no member farms, other property) and other income.
    pub unscaled: f64,
    /// The parts of `scaled` by source, for reporting income by source.
    pub farm: f64,
    pub local_wages: f64,
    pub remittances: f64,
    /// The parts of `unscaled`: property income (land rent and other) and other income.
    pub rent: f64,
    pub other: f64,
}

/// The household's labour and land this year.
#[derive(Debug, Clone, Copy, Default)]
pub struct Work {
    pub size: u8,
    pub labourers: u8,
    pub migrants: u8,
    pub land: f64,
    pub ability: f64,
    /// Land let out this year under a transfer contract (流转), mu (at most `land`),
    /// and its rent, yuan per mu: the household does not farm it, and the days
    /// farming it took go to wage work ([`Work::freed_days`]).
    pub let_land: f64,
    pub let_rent: f64,
}

impl Work {
    /// Land the household farms itself.
    #[inline]
    fn farmed(&self) -> f64 {
        (self.land - self.let_land).max(0.0)
    }

    /// Extra days of local wage work for each labourer who does not migrate: the
    /// farm days of the land let out (`income.farm_days_per_mu`), shared among them;
    /// none when no labourer stays (nobody farmed it, or the household had no labour).
    #[inline]
    fn freed_days(&self, model: &Model) -> f64 {
        let stay = self.labourers.saturating_sub(self.migrants);
        if stay == 0 || self.let_land <= 0.0 {
            0.0
        } else {
            (self.let_land.min(self.land) * model.income.farm_days_per_mu / f64::from(stay)).min(330.0)
        }
    }

    /// The contract rent of the land let out, yuan (not indexed: fixed by contract).
    #[inline]
    fn contract_rent(&self) -> f64 {
        self.let_land.min(self.land) * self.let_rent
    }
}

/// The year's wage rates and non-wage index, looked up once per year rather than
/// per household.
#[derive(Debug, Clone, Copy)]
pub struct Wages {
    pub local_per_day: f64,
    pub migrant_per_month: f64,
    /// Multiplier of farm and business income, rent and other income.
    pub nonwage: f64,
}

impl Wages {
    pub fn of(model: &Model, year: i32) -> Wages {
        Wages {
            local_per_day: model.income.local_wage_per_day.at(year),
            migrant_per_month: model.income.migrant_monthly_wage.at(year),
            nonwage: model.income.nonwage_index.at(year),
        }
    }
}

/// Draw a household's earnings under the year's wage rates and its village's farm shock.
#[inline(always)]
pub fn draw_earnings(
    model: &Model,
    rates: &Wages,
    w: &Work,
    farm_shock: f64,
    illness: &Illness,
    rng: &mut CellRng,
) -> Earnings {
    let inc = &model.income;
    let migrants = w.migrants.min(w.labourers);
    let index = rates.nonwage;
    // Farming and the household's business share the year's shock and its own luck.
    // Land let under a transfer contract earns its rent instead of a harvest.
    let (farm, land_rent) = if w.labourers > 0 {
        let yield_luck = farm_shock * rng.mean_one_lognormal(inc.farm_noise_sd) * index;
        let business = f64::from(w.labourers - migrants) * inc.business_per_labourer;
        ((w.farmed() * inc.farm_net_per_mu + business) * yield_luck, 0.0)
    } else {
        (0.0, w.farmed() * inc.land_rent_per_mu * index)
    };
    let rent = land_rent + w.contract_rent() + inc.property_per_capita * index * f64::from(w.size);
    let local_wage = rates.local_per_day;
    let freed = w.freed_days(model);
    let mut wages = 0.0;
    for _ in 0..w.labourers - migrants {
        wages += (local_days(model, rng) + freed).min(330.0) * local_wage;
    }
    let local = wages;
    let migrant_wage = rates.migrant_per_month;
    for _ in 0..migrants {
        let months = migrant_months(model, rng);
        wages += inc.remittance_share * months * migrant_wage * rng.mean_one_lognormal(inc.migrant_wage_sd);
    }
    let remitted = wages - local;
    let worked = if w.labourers > 0 {
        1.0 - model.health.lost_work_share * f64::from(illness.ill_labourers) / f64::from(w.labourers)
    } else {
        1.0
    };
    wages *= worked;
    let other = inc.other_income_per_capita * index * f64::from(w.size);
    Earnings {
        scaled: (farm + wages) * w.ability,
        unscaled: rent + other,
        farm: farm * w.ability,
        local_wages: local * worked * w.ability,
        remittances: remitted * worked * w.ability,
        rent,
        other,
    }
}

/// Days of paid local work of one labourer in a year: normal, clipped to [0, 330].
#[inline]
fn local_days(model: &Model, rng: &mut CellRng) -> f64 {
    let i = &model.income;
    (i.local_days_mean + i.local_days_sd * rng.normal()).clamp(0.0, 330.0)
}

/// Months of migrant work in a year: normal, clipped to [0, 12].
#[inline]
fn migrant_months(model: &Model, rng: &mut CellRng) -> f64 {
    let i = &model.income;
    (i.migrant_months_mean + i.migrant_months_sd * rng.normal()).clamp(0.0, 12.0)
}

/// Mean of a normal(mean, sd) clipped to [lo, hi].
pub fn clipped_normal_mean(mean: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    use crate::stats::normal_cdf;
    if sd == 0.0 {
        return mean.clamp(lo, hi);
    }
    let pdf = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let (a, b) = ((lo - mean) / sd, (hi - mean) / sd);
    let (fa, fb) = (normal_cdf(a), normal_cdf(b));
    lo * fa + hi * (1.0 - fb) + mean * (fb - fa) + sd * (pdf(a) - pdf(b))
}

/// Expected yearly household income: the part that scales with productivity and
/// the part that does not, and both by source.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    /// Farm income and wages at productivity 1.
    pub scaled: f64,
    /// Rent and other income, less expected out-of-pocket health spending and interest.
    pub unscaled: f64,
    pub parts: Parts,
}

/// [`Expected`] by source, as the statistics of poor areas group them.
/// `scaled = business + wages + remitted`; `unscaled = land_rent + property + other − costs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts {
    /// Farming and household business at productivity 1.
    pub business: f64,
    /// Local wages at productivity 1.
    pub wages: f64,
    /// Remitted migrant earnings at productivity 1.
    pub remitted: f64,
    /// Rent of land a household without labour lets out.
    pub land_rent: f64,
    /// Other property income.
    pub property: f64,
    /// Other income (pensions, small transfers).
    pub other: f64,
    /// Expected out-of-pocket health spending and interest on debt.
    pub costs: f64,
}

/// The income a household can expect in `year` with every shock at its mean and
/// no transfers of the program period: the mean of [`draw_earnings`] less the mean
/// out-of-pocket cost of [`draw_illness`] and interest.
pub fn expected(model: &Model, year: i32, w: &Work, chronic: u8, insured: bool, wealth: f64) -> Expected {
    Assessor::of(model, year).expected(model, w, chronic, insured, wealth)
}

/// The year's constants of [`expected`], computed once so that the yearly review can
/// assess every household's expected income at the cost of a few multiplications.
#[derive(Debug, Clone, Copy)]
pub struct Assessor {
    farm_per_mu: f64,
    rent_per_mu: f64,
    business_per_labourer: f64,
    local_per_labourer: f64,
    local_wage: f64,
    local_days_mean: f64,
    local_days_sd: f64,
    migrant_per_migrant: f64,
    other_per_person: f64,
    property_per_person: f64,
    episode: f64,
    chronic_cost: f64,
}

impl Assessor {
    pub fn of(model: &Model, year: i32) -> Assessor {
        let i = &model.income;
        let s = &model.shocks;
        let index = i.nonwage_index.at(year);
        let shock_mean = (1.0 - s.drought_probability * s.drought_loss) * index;
        Assessor {
            farm_per_mu: i.farm_net_per_mu * shock_mean,
            rent_per_mu: i.land_rent_per_mu * index,
            business_per_labourer: i.business_per_labourer * shock_mean,
            local_per_labourer: clipped_normal_mean(i.local_days_mean, i.local_days_sd, 0.0, 330.0)
                * i.local_wage_per_day.at(year),
            local_wage: i.local_wage_per_day.at(year),
            local_days_mean: i.local_days_mean,
            local_days_sd: i.local_days_sd,
            migrant_per_migrant: i.remittance_share
                * clipped_normal_mean(i.migrant_months_mean, i.migrant_months_sd, 0.0, 12.0)
                * i.migrant_monthly_wage.at(year),
            other_per_person: i.other_income_per_capita * index,
            property_per_person: i.property_per_capita * index,
            episode: model.health_draws.episode.mean(),
            chronic_cost: model.health_draws.chronic.mean(),
        }
    }

    /// See [`expected`].
    #[inline]
    pub fn expected(&self, model: &Model, w: &Work, chronic: u8, insured: bool, wealth: f64) -> Expected {
        let hl = &model.health;
        let migrants = w.migrants.min(w.labourers);
        let stay = f64::from(w.labourers - migrants);
        let (farm, rent) = if w.labourers > 0 {
            (w.farmed() * self.farm_per_mu + stay * self.business_per_labourer, 0.0)
        } else {
            (0.0, w.farmed() * self.rent_per_mu)
        };
        let rent = rent + w.contract_rent();
        // A labourer's days are normal, clipped to [0, 330], plus the freed days,
        // clipped again at 330: the mean of the normal shifted by them and clipped
        // to [freed, 330].
        let freed = w.freed_days(model);
        let per_labourer = if freed > 0.0 {
            clipped_normal_mean(self.local_days_mean + freed, self.local_days_sd, freed, 330.0) * self.local_wage
        } else {
            self.local_per_labourer
        };
        let local = stay * per_labourer;
        let migrant = f64::from(migrants) * self.migrant_per_migrant;
        // Expected ill labourers: the first `labourers` of the non-chronic members.
        let at_risk = f64::from(w.labourers.min(w.size.saturating_sub(chronic)));
        let sick = if w.labourers > 0 {
            hl.lost_work_share * hl.acute_rate * at_risk / f64::from(w.labourers)
        } else {
            0.0
        };
        let chronic_f = f64::from(chronic);
        let others = f64::from(w.size.saturating_sub(chronic));
        let cost = chronic_f * (self.chronic_cost + hl.chronic_acute_rate * self.episode)
            + others * hl.acute_rate * self.episode;
        let size = f64::from(w.size);
        let parts = Parts {
            business: farm * w.ability,
            wages: local * (1.0 - sick) * w.ability,
            remitted: migrant * (1.0 - sick) * w.ability,
            land_rent: rent,
            property: self.property_per_person * size,
            other: self.other_per_person * size,
            costs: out_of_pocket(model, cost, insured) + interest(model, wealth),
        };
        Expected {
            scaled: parts.business + parts.wages + parts.remitted,
            unscaled: parts.land_rent + parts.property + parts.other - parts.costs,
            parts,
        }
    }
}

/// Out-of-pocket cost of treatment after insurance.
#[inline]
pub fn out_of_pocket(model: &Model, cost: f64, insured: bool) -> f64 {
    if insured {
        cost * (1.0 - model.health.reimbursement_rate)
    } else {
        cost
    }
}

/// Medical assistance for a supported household's out-of-pocket spending.
#[inline]
pub fn medical_assistance(model: &Model, out_of_pocket: f64) -> f64 {
    let m = &model.medical_assistance;
    (m.rate * (out_of_pocket - m.deductible).max(0.0)).min(m.cap)
}

/// Interest due on a household's debt (negative wealth).
#[inline]
pub fn interest(model: &Model, wealth: f64) -> f64 {
    model.finance.debt_interest_rate * (-wealth).max(0.0)
}

/// The dibao top-up a household would receive under the year's `standard`, given its
/// per-capita income before dibao, if it is eligible and has applied.
#[inline]
pub fn dibao_top_up(model: &Model, standard: f64, size: u8, income_pc: f64) -> f64 {
    let gap = standard - income_pc;
    if gap > 0.0 {
        model.dibao.top_up_share * gap * f64::from(size)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn model() -> Model {
        let text = "[[village]]\nname = \"a\"\nhouseholds = 1\n";
        scenario::parse(text, "t.toml", "t").unwrap().strategies.remove(0).model
    }

    #[test]
    fn ability_is_one_at_middle_skill_and_full_motivation() {
        let m = model();
        assert!((ability(&m, 0.5, 1.0) - 1.0).abs() < 1e-12);
        assert!(ability(&m, 0.9, 1.0) > ability(&m, 0.2, 1.0));
        assert!(ability(&m, 0.5, 1.0) > ability(&m, 0.5, 0.3));
    }

    #[test]
    fn expected_income_is_the_mean_of_the_draws() {
        let m = model();
        let shocks_mean = 1.0 - m.shocks.drought_probability * m.shocks.drought_loss;
        // The last three let their land (a transfer contract at 300 yuan a mu).
        for (size, lab, mig, chronic, let_land) in [
            (4u8, 2u8, 1u8, 0u8, 0.0),
            (3, 1, 0, 1, 0.0),
            (2, 0, 0, 2, 0.0),
            (6, 3, 2, 1, 0.0),
            (4, 2, 1, 0, 3.0),
            (2, 0, 0, 2, 3.0),
            (3, 1, 0, 0, 3.0),
        ] {
            let w = Work {
                size,
                labourers: lab,
                migrants: mig,
                land: 3.0,
                ability: 0.8,
                let_land,
                let_rent: 300.0,
            };
            let e = expected(&m, 2018, &w, chronic, true, -5000.0);
            let n = 200_000;
            let mut total = 0.0;
            for k in 0..n {
                let mut h = CellRng::new(4, 0, Stream::Health, k, 2018);
                let mut r = CellRng::new(4, 0, Stream::Production, k, 2018);
                let ill = draw_illness(&m, size, chronic, lab, &mut h);
                let earn = draw_earnings(&m, &Wages::of(&m, 2018), &w, shocks_mean, &ill, &mut r);
                total += earn.unscaled + earn.scaled - out_of_pocket(&m, ill.cost, true) - interest(&m, -5000.0);
            }
            let mc = total / n as f64;
            let exact = e.unscaled + e.scaled;
            assert!(
                (mc - exact).abs() < 0.01 * exact.abs().max(1000.0),
                "{size} {lab} {mig} {chronic} {let_land}: mc {mc} exact {exact}"
            );
        }
    }

    #[test]
    fn clipped_normal_mean_matches_known_values() {
        assert!((clipped_normal_mean(0.0, 1.0, 0.0, 50.0) - 0.398_942_28).abs() < 1e-6);
        assert!((clipped_normal_mean(100.0, 1.0, 0.0, 330.0) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn no_labour_means_rent_not_farming() {
        let m = model();
        let w = Work {
            size: 2,
            labourers: 0,
            migrants: 0,
            land: 3.0,
            ability: 1.0,
            ..Work::default()
        };
        let mut r = CellRng::new(1, 0, Stream::Production, 0, 2017);
        let e = draw_earnings(&m, &Wages::of(&m, 2017), &w, 1.0, &Illness::default(), &mut r);
        assert_eq!(e.scaled, 0.0);
        assert_eq!(e.unscaled, 3.0 * 200.0 + 2.0 * (300.0 + 100.0));
    }

    /// A household that lets its land under a transfer contract (流转) earns the
    /// rent and no harvest, and its labourers who stay work the freed farm days for
    /// wages: with the same draws, farm income falls to nothing, rent rises by land
    /// × rent, and local wages by the freed days at the day wage.
    #[test]
    fn letting_land_earns_rent_and_wages_not_a_harvest() {
        let m = model();
        let rates = Wages::of(&m, 2017);
        let farming = Work {
            size: 4,
            labourers: 2,
            migrants: 0,
            land: 5.0,
            ability: 1.0,
            ..Work::default()
        };
        let letting = Work {
            let_land: 5.0,
            let_rent: 300.0,
            ..farming
        };
        let draw = |w: &Work| {
            let mut r = CellRng::new(3, 0, Stream::Production, 7, 2017);
            draw_earnings(&m, &rates, w, 1.0, &Illness::default(), &mut r)
        };
        let (farm, let_out) = (draw(&farming), draw(&letting));
        assert!(farm.farm > 0.0);
        assert_eq!(let_out.farm, 0.0, "no harvest from land let out");
        assert!((let_out.rent - farm.rent - 5.0 * 300.0).abs() < 1e-9);
        // 5 mu × 8 days freed, 20 days for each of the two labourers.
        let freed = 5.0 * m.income.farm_days_per_mu / 2.0;
        let gained = 2.0 * freed * rates.local_per_day;
        assert!(
            (let_out.local_wages - farm.local_wages - gained).abs() < 1e-6,
            "{} vs {} + {gained}",
            let_out.local_wages,
            farm.local_wages
        );
        assert!((let_out.scaled - let_out.local_wages).abs() < 1e-9, "wages only");
        // Without a labourer who stays, no days are freed: only the rent changes.
        let away = Work { migrants: 2, ..letting };
        assert_eq!(draw(&away).local_wages, 0.0);
    }

    #[test]
    fn medical_assistance_respects_deductible_and_cap() {
        let m = model();
        assert_eq!(medical_assistance(&m, 400.0), 0.0);
        assert!((medical_assistance(&m, 1500.0) - 600.0).abs() < 1e-9);
        assert_eq!(medical_assistance(&m, 1e7), 30000.0);
    }

    #[test]
    fn dibao_tops_up_to_the_standard() {
        let m = model();
        let std2016 = m.dibao.standard.at(2016);
        assert!((dibao_top_up(&m, std2016, 3, std2016 - 100.0) - 300.0).abs() < 1e-9);
        assert_eq!(dibao_top_up(&m, std2016, 3, std2016 + 1.0), 0.0);
    }

    #[test]
    fn illness_costs_are_non_negative_and_ill_labourers_bounded() {
        let m = model();
        for e in 0..1000 {
            let mut r = CellRng::new(1, 0, Stream::Health, e, 2017);
            let i = draw_illness(&m, 5, 1, 2, &mut r);
            assert!(i.cost >= 0.0);
            assert!(i.ill_labourers <= 2);
        }
    }
}
