//! The validated, immutable configuration the engine runs on.
//!
//! Everything here has passed [`super::validate`]: probabilities are in [0, 1],
//! counts are non-negative, shares sum to one, tables cover the years. The engine
//! therefore never re-checks a parameter, and never panics on one.

use super::raw::{CauseMix, Finance, Health, Housing, Identification, MedicalAssistance, Region, Shocks};
use crate::agents::household::Status;
use crate::programs::{Plan, Program};
use crate::rng::{CellRng, SmallBinomial};
use rand_distr::{Beta, Distribution};

/// A scenario ready to run: shared settings and one model per strategy.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub start_year: i32,
    pub end_year: i32,
    pub seed: u64,
    pub replicates: u32,
    /// The strategy impacts are measured against, when the scenario names one.
    pub baseline: Option<String>,
    pub strategies: Vec<Strategy>,
}

impl Scenario {
    /// The index of the strategy called `name`; the error, for a baseline, a
    /// calibration or a sweep naming one, says which there are.
    pub fn strategy_index(&self, name: &str) -> Result<usize, String> {
        self.strategies.iter().position(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.strategies.iter().map(|s| s.name.as_str()).collect();
            format!(
                "the scenario has no strategy '{}'; it has: {}",
                super::validate::shown(name),
                names.join(", ")
            )
        })
    }

    /// The simulated years after the baseline year, in order.
    pub fn simulated_years(&self) -> impl Iterator<Item = i32> + use<> {
        self.start_year + 1..=self.end_year
    }

    /// Number of rows per strategy and replicate: the baseline year plus each simulated year.
    pub fn years_reported(&self) -> usize {
        (self.end_year - self.start_year + 1) as usize
    }

    /// The same scenario with `replicates` and `seed` replaced (command-line flags).
    pub fn with_run_settings(mut self, replicates: Option<u32>, seed: Option<u64>) -> Self {
        if let Some(r) = replicates {
            self.replicates = r;
        }
        if let Some(s) = seed {
            self.seed = s;
        }
        self
    }
}

/// A named strategy: the full model it runs with, after its overrides.
#[derive(Debug, Clone)]
pub struct Strategy {
    pub name: String,
    pub description: String,
    /// The program design this strategy compares.
    pub plan: Plan,
    pub model: Model,
}

/// Every parameter of the household model. A strategy may override any of them.
#[derive(Debug, Clone)]
pub struct Model {
    /// The baseline year (shared by every strategy; not a key a strategy may override).
    pub start_year: i32,
    pub region: Region,
    pub poverty_line: YearTable,
    pub population: Population,
    pub villages: Vec<Village>,
    pub income: Income,
    pub shocks: Shocks,
    pub health: Health,
    pub health_draws: HealthDraws,
    pub finance: Finance,
    /// Household herds and the savings rule that buys and sells heads.
    pub herd: crate::agents::herd::Herding,
    pub dibao: Dibao,
    pub medical_assistance: MedicalAssistance,
    pub housing: Housing,
    pub identification: Identification,
    pub exit: Exit,
    pub program: Program,
}

impl Model {
    /// Total number of households over all villages.
    pub fn household_count(&self) -> usize {
        self.villages.iter().map(|v| v.households as usize).sum()
    }
}

/// A value that changes by year: linear between the listed years, constant beyond
/// the first and the last.
#[derive(Debug, Clone, PartialEq)]
pub struct YearTable {
    points: Vec<(i32, f64)>,
}

impl YearTable {
    /// A table from points; the caller guarantees at least one point, sorted by year.
    pub(crate) fn new(points: Vec<(i32, f64)>) -> Self {
        debug_assert!(!points.is_empty());
        YearTable { points }
    }

    /// The value in `year`.
    pub fn at(&self, year: i32) -> f64 {
        let p = &self.points;
        let i = p.partition_point(|&(y, _)| y <= year);
        if i == 0 {
            return p[0].1;
        }
        if i == p.len() {
            return p[p.len() - 1].1;
        }
        let (y0, v0) = p[i - 1];
        let (y1, v1) = p[i];
        v0 + (v1 - v0) * f64::from(year - y0) / f64::from(y1 - y0)
    }

    /// Every value multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> YearTable {
        YearTable {
            points: self.points.iter().map(|&(y, v)| (y, v * factor)).collect(),
        }
    }
}

/// A distribution given in a scenario by mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    /// Always this value (a standard deviation of zero).
    Constant(f64),
    /// A beta distribution on [0, 1] (skills, motivation).
    Beta { alpha: f64, beta: f64 },
    /// A lognormal distribution of a positive quantity (land, money).
    LogNormal { mu: f64, sigma: f64 },
}

impl Dist {
    /// The beta distribution with this mean and standard deviation; the caller has
    /// checked that `sd² < mean (1 − mean)`.
    pub fn beta(mean: f64, sd: f64) -> Dist {
        if sd == 0.0 || mean == 0.0 || mean == 1.0 {
            return Dist::Constant(mean);
        }
        let common = mean * (1.0 - mean) / (sd * sd) - 1.0;
        Dist::Beta {
            alpha: mean * common,
            beta: (1.0 - mean) * common,
        }
    }

    /// The lognormal distribution with this mean and standard deviation (`mean ≥ 0`).
    pub fn lognormal(mean: f64, sd: f64) -> Dist {
        if sd == 0.0 || mean == 0.0 {
            return Dist::Constant(mean);
        }
        let sigma2 = (1.0 + (sd * sd) / (mean * mean)).ln();
        Dist::LogNormal {
            mu: mean.ln() - 0.5 * sigma2,
            sigma: sigma2.sqrt(),
        }
    }

    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant(v) => v,
            Dist::Beta { alpha, beta } => alpha / (alpha + beta),
            Dist::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
        }
    }

    #[inline]
    pub fn sample(&self, rng: &mut CellRng) -> f64 {
        match *self {
            Dist::Constant(v) => v,
            Dist::Beta { alpha, beta } => sample_beta(alpha, beta, rng),
            Dist::LogNormal { mu, sigma } => rng.lognormal(mu, sigma),
        }
    }
}

/// A beta deviate, out of line: synthesis draws them, the yearly cycle's lognormal
/// health costs share [`Dist::sample`] and should not carry this code.
#[inline(never)]
fn sample_beta(alpha: f64, beta: f64, rng: &mut CellRng) -> f64 {
    match Beta::new(alpha, beta) {
        Ok(d) => d.sample(rng),
        // Unreachable after validation; the mean is the honest fallback.
        Err(_) => alpha / (alpha + beta),
    }
}

/// A [`Dist`] made ready to draw many times: a beta distribution's constants (the
/// choice of Cheng's algorithm and its coefficients, `Beta::new`) computed once
/// instead of at every draw, as synthesis draws two beta deviates per household.
/// [`Sampler::sample`] gives the same bits as [`Dist::sample`] from the same
/// generator.
#[derive(Debug, Clone, Copy)]
pub enum Sampler {
    Constant(f64),
    Beta(Beta<f64>),
    LogNormal { mu: f64, sigma: f64 },
}

impl Dist {
    /// This distribution made ready to draw ([`Sampler`]).
    pub fn sampler(&self) -> Sampler {
        match *self {
            Dist::Constant(v) => Sampler::Constant(v),
            Dist::Beta { alpha, beta } => match Beta::new(alpha, beta) {
                Ok(d) => Sampler::Beta(d),
                // As in `sample_beta`: unreachable after validation.
                Err(_) => Sampler::Constant(alpha / (alpha + beta)),
            },
            Dist::LogNormal { mu, sigma } => Sampler::LogNormal { mu, sigma },
        }
    }
}

impl Sampler {
    /// One deviate; see [`Dist::sample`].
    #[inline]
    pub fn sample(&self, rng: &mut CellRng) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Beta(d) => sample_prepared_beta(d, rng),
            Sampler::LogNormal { mu, sigma } => rng.lognormal(*mu, *sigma),
        }
    }
}

/// A beta deviate of a prepared distribution, out of line as [`sample_beta`] is.
#[inline(never)]
fn sample_prepared_beta(d: &Beta<f64>, rng: &mut CellRng) -> f64 {
    d.sample(rng)
}

/// The distributions illness is drawn from, derived once from `[health]`.
#[derive(Debug, Clone)]
pub struct HealthDraws {
    /// Cost of one acute episode (a hospital stay), yuan.
    pub episode: Dist,
    /// Cost of a year of treatment of one chronically ill person, yuan.
    pub chronic: Dist,
    /// Acute episodes among a household's members who are not chronically ill.
    pub acute: SmallBinomial,
    /// Onsets of chronic illness among them.
    pub onset: SmallBinomial,
}

/// County-wide synthesis distributions (see `[population]` in the template).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Cumulative probabilities of household sizes 1, 2, …
    pub household_size_cdf: Vec<f64>,
    pub working_age_share: f64,
    pub chronic_illness_rate: f64,
    pub disability_rate: f64,
    pub other_without_labour: f64,
    pub skill: Dist,
    pub skill_poor: Dist,
    pub motivation: Dist,
    pub motivation_poor: Dist,
    pub farmland_poor: Dist,
    pub migrant_share_poor: f64,
    pub savings: Dist,
    pub savings_poor: Dist,
    pub debt_share_poor: f64,
    pub debt_poor: Dist,
    pub productivity_sd: f64,
    /// Persons exited before the baseline per person registered at it.
    pub exited_before_baseline: f64,
    /// The stated baseline income level and composition synthesis meets, if any.
    pub income_target: Option<IncomeTarget>,
}

/// A validated [`super::raw::IncomeTarget`]: shares are all four or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncomeTarget {
    pub mean: f64,
    /// Wages, business, property, transfers (the order of [`crate::agents::synthesis::SOURCES`]).
    pub shares: Option<[f64; 4]>,
    pub mean_tolerance: f64,
    pub share_tolerance: f64,
}

/// What synthesis did to meet an [`IncomeTarget`]: the multiplier of each source's
/// parameters, and the mean and shares the fitted county has at the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncomeFit {
    /// Wages, business, property, transfers.
    pub scale: [f64; 4],
    pub mean: f64,
    pub shares: [f64; 4],
    /// Households synthesised for the fit (replicates of the county, at least 20,000).
    pub households: usize,
}

/// One village after expanding `count`, with the county defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Village {
    pub name: String,
    pub households: u32,
    pub starting_incidence: f64,
    pub cause_mix: CauseMix,
    pub farmland: Dist,
    pub migrant_share: f64,
    /// A designated poor village (贫困村).
    pub poor: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Income {
    pub farm_net_per_mu: f64,
    pub land_rent_per_mu: f64,
    pub farm_noise_sd: f64,
    pub local_wage_per_day: YearTable,
    pub local_days_mean: f64,
    pub local_days_sd: f64,
    pub migrant_monthly_wage: YearTable,
    pub migrant_wage_sd: f64,
    pub migrant_months_mean: f64,
    pub migrant_months_sd: f64,
    pub remittance_share: f64,
    pub skill_effect: f64,
    pub motivation_effect: f64,
    pub other_income_per_capita: f64,
    /// Property income other than the rent of households that do not farm, per person.
    pub property_per_capita: f64,
    /// Household business (livestock, small trade, processing) per labourer who does
    /// not migrate, at ability and productivity 1, before shocks, in `start` prices.
    pub business_per_labourer: f64,
    /// Multiplies farm and business income, land rent and other income by year
    /// (prices and productivity growth outside wages, which have their own tables).
    pub nonwage_index: YearTable,
    /// AR(1) coefficient of the persistent part of log earning capacity.
    pub persistence: f64,
    /// Standard deviation of its yearly innovation.
    pub persistent_sd: f64,
    /// Days of work a mu of own farm takes a year (freed when the land is let).
    pub farm_days_per_mu: f64,
    /// Set when synthesis scaled these parameters to a stated income level.
    pub fit: Option<IncomeFit>,
}

impl Income {
    /// Labour-income multiplier from skill and motivation: skill 0.5 and full
    /// motivation give 1.
    #[inline]
    pub fn ability(&self, skill: f32, motivation: f32) -> f64 {
        let skill_mult = 1.0 + self.skill_effect * (f64::from(skill) - 0.5);
        let effort = 1.0 - self.motivation_effect * (1.0 - f64::from(motivation));
        (skill_mult * effort).max(0.0)
    }
}

#[derive(Debug, Clone)]
pub struct Dibao {
    pub standard: YearTable,
    pub top_up_share: f64,
    pub require_incapacity: bool,
    pub take_up_registered: f64,
    pub take_up_other: f64,
    /// Years over which dibao is withdrawn (渐退) once a recipient's income rises above
    /// the standard: the last top-up is paid at (N − k + 1)/(N + 1) in the k-th year.
    pub phase_out_years: u32,
}

#[derive(Debug, Clone)]
pub struct Exit {
    pub margin: f64,
    pub years_above_line: u32,
    pub require_assurances: bool,
    pub support_years: u32,
    /// Exited households keep support through this year (the transition period); 0: none.
    pub transition_end: i32,
    /// An exited household whose assessed income for next year falls below next
    /// year's line × (1 + margin) is monitored and supported before it would
    /// re-enter (防止返贫动态监测).
    pub monitor_margin: f64,
    /// Exited households still supported may order new projects (after the registered).
    pub follow_up_orders: bool,
    /// Monitored households' follow-up orders are served with the registered.
    pub monitor_priority: bool,
    /// An exited household assessed below the line is registered again after
    /// this many − 1 consecutive reviews at which it was monitored; until then it
    /// is monitored and supported.
    pub reentry_confirm_reviews: u32,
    pub village_threshold: f64,
}

impl Exit {
    /// Whether a household in `status` still receives the support of registered
    /// households (medical assistance, dibao priority, housing, enrolment in
    /// insurance) in `year`: while registered; after exit for `support_years`,
    /// through the transition period (`transition_end`, 摘帽不摘政策), and while
    /// monitored as at risk of falling back.
    #[inline]
    pub fn supports(&self, status: Status, exit_year: i16, monitored: bool, year: i32) -> bool {
        match status {
            Status::Registered => true,
            Status::Exited => {
                monitored || year - i32::from(exit_year) <= self.support_years as i32 || year <= self.transition_end
            }
            Status::NotRegistered => false,
        }
    }

    /// Whether the household may order a project this year (it has none under way).
    pub fn may_order(&self, status: Status, exit_year: i16, monitored: bool, year: i32) -> bool {
        status == Status::Registered || (self.follow_up_orders && self.supports(status, exit_year, monitored, year))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn year_table_interpolates_and_holds_ends() {
        let t = YearTable::new(vec![(2016, 3000.0), (2020, 4000.0)]);
        assert_eq!(t.at(2010), 3000.0);
        assert_eq!(t.at(2016), 3000.0);
        assert_eq!(t.at(2018), 3500.0);
        assert_eq!(t.at(2020), 4000.0);
        assert_eq!(t.at(2030), 4000.0);
    }

    #[test]
    fn distributions_have_the_stated_mean() {
        let mut rng = CellRng::new(1, 0, Stream::SynthesisAttributes, 0, 0);
        for d in [Dist::beta(0.35, 0.15), Dist::lognormal(4.0, 3.0), Dist::Constant(2.0)] {
            let n = 100_000;
            let m: f64 = (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64;
            assert!((m / d.mean() - 1.0).abs() < 0.03, "{d:?}: {m}");
        }
        assert!((Dist::lognormal(4.0, 3.0).mean() - 4.0).abs() < 1e-9);
    }

    /// A prepared sampler draws the very bits the distribution draws, generator state
    /// and all, for each kind (two beta algorithms: both parameters above 1, and not).
    #[test]
    fn a_sampler_draws_what_its_distribution_draws() {
        for d in [
            Dist::beta(0.35, 0.15),
            Dist::beta(0.1, 0.25),
            Dist::lognormal(4.0, 3.0),
            Dist::Constant(2.0),
            Dist::Beta { alpha: 0.0, beta: 1.0 },
        ] {
            let (mut a, mut b) = (
                CellRng::new(5, 1, Stream::SynthesisAttributes, 7, 2016),
                CellRng::new(5, 1, Stream::SynthesisAttributes, 7, 2016),
            );
            let s = d.sampler();
            for i in 0..1000 {
                let (x, y) = (d.sample(&mut a), s.sample(&mut b));
                assert_eq!(x.to_bits(), y.to_bits(), "{d:?}, draw {i}: {x} against {y}");
            }
            assert_eq!(a.bits(), b.bits(), "{d:?}");
        }
        assert!((Dist::beta(0.35, 0.15).mean() - 0.35).abs() < 1e-9);
    }
}
