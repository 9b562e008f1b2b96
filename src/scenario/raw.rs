//! The scenario file as written: a plain serde mirror of the TOML, with a documented
//! default for every key and unknown keys rejected.
//!
//! Nothing here is trusted yet. Counts are signed so that `-3` reaches validation and
//! gets a message in the model's words rather than serde's. [`super::validate`] turns
//! this into the immutable [`super::Model`] the engine runs on.
//!
//! Keep `scenarios/template.toml` in step with the defaults below: a test parses the
//! template and checks that it states exactly these values.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A value by year, written as a TOML table `{ 2016 = 2952, 2020 = 4000 }`.
pub type RawYearTable = BTreeMap<String, f64>;

fn table(points: &[(i32, f64)]) -> RawYearTable {
    points.iter().map(|(y, v)| (y.to_string(), *v)).collect()
}

/// A positive or unit-interval quantity given by its mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: f64,
}

const fn ms(mean: f64, sd: f64) -> MeanSd {
    MeanSd { mean, sd }
}

/// Shares of registered poor households by main cause of poverty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseMix {
    pub illness: f64,
    pub labour_short: f64,
    pub other: f64,
}

/// Region of the county; sets the default village exit threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    East,
    Central,
    West,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawScenario {
    pub name: Option<String>,
    pub description: String,
    pub region: Region,
    pub start_year: i64,
    pub end_year: i64,
    pub seed: u64,
    pub replicates: i64,
    /// The strategy impacts are measured against (`impacts.csv`, the report's first
    /// paragraph); default `no_program` if the scenario has it, else the first.
    pub baseline: Option<String>,
    pub poverty_line: RawYearTable,
    pub population: RawPopulation,
    pub village: Vec<RawVillage>,
    pub income: RawIncome,
    pub shocks: Shocks,
    pub health: Health,
    pub finance: Finance,
    pub herd: RawHerd,
    pub dibao: RawDibao,
    pub medical_assistance: MedicalAssistance,
    pub housing: Housing,
    pub identification: Identification,
    pub exit: RawExit,
    pub program: RawProgram,
    pub strategy: Vec<RawStrategy>,
}

impl Default for RawScenario {
    fn default() -> Self {
        RawScenario {
            name: None,
            description: String::new(),
            region: Region::Central,
            start_year: 2016,
            end_year: 2020,
            seed: 1,
            replicates: 20,
            baseline: None,
            // docs/SOURCES.md, "Numbers from public sources": the official line at current
            // prices. 2017 and 2018 are marked unverified there; 2019 is weakly sourced.
            poverty_line: table(&[
                (2011, 2536.0),
                (2012, 2625.0),
                (2013, 2736.0),
                (2014, 2800.0),
                (2015, 2855.0),
                (2016, 2952.0),
                (2017, 2952.0),
                (2018, 2995.0),
                (2019, 3218.0),
                // Disputed (docs/SOURCES.md [P1]): 2019's 3,218 indexed at the
                // 2016-2019 pace of about 3% a year; ~4,000 is a sensitivity case.
                (2020, 3315.0),
            ]),
            population: RawPopulation::default(),
            village: Vec::new(),
            income: RawIncome::default(),
            shocks: Shocks::default(),
            health: Health::default(),
            finance: Finance::default(),
            herd: RawHerd::default(),
            dibao: RawDibao::default(),
            medical_assistance: MedicalAssistance::default(),
            housing: Housing::default(),
            identification: Identification::default(),
            exit: RawExit::default(),
            program: RawProgram::default(),
            strategy: Vec::new(),
        }
    }
}

/// County-wide distributions from which households are synthesised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPopulation {
    pub starting_incidence: f64,
    pub cause_mix: CauseMix,
    pub household_size: Vec<f64>,
    pub working_age_share: f64,
    pub chronic_illness_rate: f64,
    pub disability_rate: f64,
    pub other_without_labour: f64,
    pub skill: MeanSd,
    pub skill_poor: MeanSd,
    pub motivation: MeanSd,
    pub motivation_poor: MeanSd,
    pub farmland: MeanSd,
    pub farmland_poor: MeanSd,
    pub migrant_share: f64,
    pub migrant_share_poor: f64,
    pub savings: MeanSd,
    pub savings_poor: MeanSd,
    pub debt_share_poor: f64,
    pub debt_poor: MeanSd,
    pub productivity_sd: f64,
    /// Persons of households registered and exited before the baseline year, per
    /// person registered at the baseline (0: none, the register starts with no
    /// exited household). They are the non-registered, non-poor households with the
    /// lowest assessed income in each village (docs/ODD.md § 7.5).
    pub exited_before_baseline: f64,
    /// The county's mean per-capita income and its composition in the baseline year,
    /// when the scenario states them: synthesis then scales the income sources to
    /// meet them (see [`IncomeTarget`]). `None`: incomes are what the parameters give.
    pub income: Option<IncomeTarget>,
}

/// A stated baseline income level and composition, as the statistics of poor areas
/// report them (per-capita net income; shares of the four sources). Synthesis meets
/// them by scaling the levels of the income parameters source by source (wages; farm
/// and household business; land rent and property; remittances and other transfers)
/// and reports the multipliers; the parameters keep the structure (who earns what).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeTarget {
    /// Mean per-capita net income over persons in the baseline year, yuan.
    pub mean: f64,
    /// Shares of gross income by source, summing to 1: all four or none (then every
    /// source is scaled by the same multiplier and only the mean is met).
    #[serde(default)]
    pub wages: Option<f64>,
    #[serde(default)]
    pub business: Option<f64>,
    #[serde(default)]
    pub property: Option<f64>,
    #[serde(default)]
    pub transfers: Option<f64>,
    /// Relative tolerance on the mean (0.01: within 1%).
    #[serde(default = "income_mean_tolerance")]
    pub mean_tolerance: f64,
    /// Absolute tolerance on each share (0.005: within half a point).
    #[serde(default = "income_share_tolerance")]
    pub share_tolerance: f64,
}

fn income_mean_tolerance() -> f64 {
    0.01
}

fn income_share_tolerance() -> f64 {
    0.005
}

impl Default for RawPopulation {
    fn default() -> Self {
        RawPopulation {
            starting_incidence: 0.2,
            // Suiyang's survey (docs/SOURCES.md): illness 28.08%, labour short of capital,
            // skills or ideas 37.38%, other combined causes 34.54%.
            cause_mix: CauseMix {
                illness: 0.2808,
                labour_short: 0.3738,
                other: 0.3454,
            },
            household_size: vec![0.08, 0.16, 0.24, 0.24, 0.16, 0.08, 0.04],
            working_age_share: 0.6,
            chronic_illness_rate: 0.05,
            disability_rate: 0.03,
            other_without_labour: 0.6,
            skill: ms(0.55, 0.2),
            skill_poor: ms(0.35, 0.15),
            motivation: ms(0.65, 0.2),
            motivation_poor: ms(0.5, 0.2),
            farmland: ms(4.0, 3.0),
            farmland_poor: ms(3.0, 2.0),
            migrant_share: 0.35,
            migrant_share_poor: 0.15,
            savings: ms(12000.0, 15000.0),
            savings_poor: ms(1000.0, 1500.0),
            debt_share_poor: 0.3,
            debt_poor: ms(8000.0, 8000.0),
            productivity_sd: 0.4,
            exited_before_baseline: 0.0,
            income: None,
        }
    }
}

/// One village, or `count` villages alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVillage {
    pub name: String,
    #[serde(default = "one")]
    pub count: i64,
    pub households: i64,
    #[serde(default)]
    pub starting_incidence: Option<f64>,
    #[serde(default)]
    pub cause_mix: Option<CauseMix>,
    #[serde(default)]
    pub farmland: Option<MeanSd>,
    #[serde(default)]
    pub migrant_share: Option<f64>,
    /// A designated poor village (贫困村), whose exit the county plans and reports
    /// (`poor_villages_exited`). Default false: designation is a county's record,
    /// not something the model can infer from a village's incidence.
    #[serde(default)]
    pub poor: bool,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawIncome {
    pub farm_net_per_mu: f64,
    pub land_rent_per_mu: f64,
    pub farm_noise_sd: f64,
    pub local_wage_per_day: RawYearTable,
    pub local_days: MeanSd,
    pub migrant_monthly_wage: RawYearTable,
    pub migrant_wage_sd: f64,
    pub migrant_months: MeanSd,
    pub remittance_share: f64,
    pub skill_effect: f64,
    pub motivation_effect: f64,
    pub other_income_per_capita: f64,
    pub property_per_capita: f64,
    pub business_per_labourer: f64,
    pub nonwage_index: RawYearTable,
    pub persistence: f64,
    pub persistent_sd: f64,
    /// Days of a labourer's work a mu of the household's own farm takes in a year;
    /// land let out under a transfer contract frees them for wage work.
    pub farm_days_per_mu: f64,
}

impl Default for RawIncome {
    fn default() -> Self {
        RawIncome {
            farm_net_per_mu: 500.0,
            land_rent_per_mu: 200.0,
            farm_noise_sd: 0.2,
            local_wage_per_day: table(&[(2016, 80.0), (2020, 110.0)]),
            local_days: ms(80.0, 40.0),
            // docs/SOURCES.md: migrant workers' monthly income 2016-2020.
            migrant_monthly_wage: table(&[
                (2016, 3275.0),
                (2017, 3485.0),
                (2018, 3721.0),
                (2019, 3962.0),
                (2020, 4072.0),
            ]),
            migrant_wage_sd: 0.3,
            migrant_months: ms(9.0, 2.0),
            remittance_share: 0.35,
            skill_effect: 0.8,
            motivation_effect: 0.4,
            other_income_per_capita: 300.0,
            // Property income besides land rent (deposit interest, land transferred
            // out by farming households, collective dividends): poor areas' property
            // share was 1.4% of 11,567 yuan in 2019 (docs/SOURCES.md [P4]), about 120
            // yuan at 2016 incomes; 100 is that level rounded down, since land rent of
            // households that no longer farm is counted separately.
            property_per_capita: 100.0,
            business_per_labourer: 0.0,
            nonwage_index: table(&[(2016, 1.0)]),
            persistence: 0.8,
            persistent_sd: 0.1,
            // Our assumption (docs/ODD.md § 7.18): hand farming of small hill plots.
            farm_days_per_mu: 8.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shocks {
    pub weather_sd: f64,
    pub drought_probability: f64,
    pub drought_loss: f64,
    pub price_sd: f64,
}

impl Default for Shocks {
    fn default() -> Self {
        Shocks {
            weather_sd: 0.15,
            drought_probability: 0.05,
            drought_loss: 0.4,
            price_sd: 0.1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Health {
    pub acute_rate: f64,
    pub chronic_acute_rate: f64,
    pub episode_cost: MeanSd,
    pub chronic_cost: MeanSd,
    pub insured_share: f64,
    pub reimbursement_rate: f64,
    pub lost_work_share: f64,
    pub chronic_onset_rate: f64,
    pub onset_incapacity: f64,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            acute_rate: 0.05,
            chronic_acute_rate: 0.3,
            // docs/SOURCES.md: a hospital stay cost about 6,000 (secondary) to 13,300
            // (tertiary) yuan in 2018.
            episode_cost: ms(7000.0, 6000.0),
            chronic_cost: ms(3000.0, 2500.0),
            // docs/SOURCES.md (Zhang County): cooperative medical insurance at least 96%.
            insured_share: 0.96,
            reimbursement_rate: 0.5,
            lost_work_share: 0.3,
            chronic_onset_rate: 0.005,
            onset_incapacity: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Finance {
    pub subsistence_share: f64,
    pub consumption_share: f64,
    pub debt_interest_rate: f64,
}

impl Default for Finance {
    fn default() -> Self {
        Finance {
            subsistence_share: 0.8,
            consumption_share: 0.85,
            debt_interest_rate: 0.06,
        }
    }
}

/// Household herds (`[herd]`, docs/ODD.md § 7.17): the species households keep and
/// how their savings buy and sell heads. No species by default, so herds change
/// nothing unless a scenario lists one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawHerd {
    pub species: Vec<RawSpecies>,
    /// Savings (after consumption) below which a household sells heads. 0: a household
    /// with a herd sells animals rather than borrow (our assumption; distress sales of
    /// livestock are how herders smooth consumption).
    pub sell_below: f64,
    /// Savings above which a household buys heads; our assumption, the same reserve as
    /// `program.equity.household_reserve` (about half a year's net income).
    pub buy_above: f64,
    /// Share of the savings above `buy_above` spent on heads in a year; our assumption.
    pub buy_share: f64,
    /// The species households buy ("": none, so savings never buy heads by default).
    pub buy_species: String,
}

impl Default for RawHerd {
    fn default() -> Self {
        RawHerd {
            species: Vec::new(),
            sell_below: 0.0,
            buy_above: 10000.0,
            buy_share: 0.5,
            buy_species: String::new(),
        }
    }
}

/// One species of `[[herd.species]]`. Every number is stated by the scenario: a
/// species has no defaults, since a sheep's are not a cow's (see
/// `scenarios/poverty_trap.toml` for cattle from docs/SOURCES.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpecies {
    pub name: String,
    /// Yuan a head, bought or sold.
    pub value: f64,
    /// Births per head per year.
    pub births: f64,
    /// Yearly chance a head dies.
    pub deaths: f64,
    /// Share of heads sold each year (the offtake).
    pub sale_rate: f64,
    /// Feed and running cost per head per year, yuan.
    pub feed_cost: f64,
    /// Fixed cost per herd per year, yuan (the minimum-scale mechanism).
    pub fixed_cost: f64,
    /// Yearly chance of a disaster in a village, and each head's chance of dying in it.
    pub disaster_probability: f64,
    pub disaster_loss: f64,
    /// Heads a household can keep per labourer.
    pub max_heads_per_labourer: i64,
    /// Heads each household holds at the baseline, and heads households poor at the
    /// baseline hold instead.
    #[serde(default)]
    pub initial_heads: i64,
    #[serde(default)]
    pub initial_heads_poor: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDibao {
    pub standard: RawYearTable,
    pub top_up_share: f64,
    pub require_incapacity: bool,
    pub take_up_registered: f64,
    pub take_up_other: f64,
    pub phase_out_years: i64,
}

impl Default for RawDibao {
    fn default() -> Self {
        RawDibao {
            // docs/SOURCES.md: Shaanxi's rural minimum 3,015 (c. 2016); Guizhou's average
            // standard 4,318 in 2020.
            standard: table(&[(2016, 3015.0), (2020, 4318.0)]),
            top_up_share: 1.0,
            require_incapacity: true,
            take_up_registered: 1.0,
            take_up_other: 0.3,
            phase_out_years: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MedicalAssistance {
    pub rate: f64,
    pub deductible: f64,
    pub cap: f64,
}

impl Default for MedicalAssistance {
    fn default() -> Self {
        MedicalAssistance {
            rate: 0.6,
            deductible: 500.0,
            cap: 30000.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Housing {
    pub unsafe_share_poor: f64,
    pub renovation_rate: f64,
    pub renovation_cost: f64,
}

impl Default for Housing {
    fn default() -> Self {
        Housing {
            unsafe_share_poor: 0.2,
            renovation_rate: 0.5,
            renovation_cost: 30000.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Identification {
    pub exclusion_error: f64,
    pub inclusion_error: f64,
    pub annual_review: bool,
    pub assessment_sd: f64,
    pub review_exclusion_error: f64,
    pub review_inclusion_error: f64,
    pub review_removal: f64,
    /// The assessment of a registered or exited household that receives dibao takes
    /// its income to be at least what dibao tops it up to, as the exit rule's income
    /// calculation counted transfer income (社会保障兜底: households without labour
    /// exited on the safety net).
    /// Registration assesses income before dibao, as identification at the baseline.
    pub assessment_counts_dibao: bool,
    /// The assessment counts the household's income from the program this year —
    /// projects and loans, its apiary, scheme and collective dividends, collective
    /// wages, its herd — as the exit rule's income calculation counted production
    /// and property income. A cash transfer is not counted: it stops.
    pub assessment_counts_programs: bool,
}

impl Default for Identification {
    fn default() -> Self {
        Identification {
            exclusion_error: 0.1,
            inclusion_error: 0.03,
            annual_review: true,
            assessment_sd: 0.1,
            review_exclusion_error: 0.1,
            review_inclusion_error: 0.0,
            review_removal: 0.5,
            assessment_counts_dibao: true,
            assessment_counts_programs: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawExit {
    pub margin: f64,
    pub years_above_line: i64,
    pub require_assurances: bool,
    pub support_years: i64,
    pub transition_end: i64,
    pub monitor_margin: f64,
    /// An exited household still supported (within `support_years`, the transition
    /// or monitored) may order a new project when it has none, after the registered
    /// ("four no-removals": assistance stays after exit).
    pub follow_up_orders: bool,
    /// A monitored household's follow-up order is served with the registered
    /// households' orders, poorest first, instead of after them (帮扶 before it
    /// falls back).
    pub monitor_priority: bool,
    /// An exited household assessed below the line is registered again (返贫) only
    /// after this many − 1 consecutive reviews at which it was already monitored as
    /// at risk (监测户, helped without being registered); 1: at the first review
    /// below the line, whether monitored or not.
    pub reentry_confirm_reviews: i64,
    pub village_threshold: Option<f64>,
}

impl Default for RawExit {
    fn default() -> Self {
        RawExit {
            margin: 0.0,
            years_above_line: 1,
            require_assurances: true,
            support_years: 3,
            transition_end: 2025,
            monitor_margin: 0.1,
            follow_up_orders: true,
            monitor_priority: true,
            reentry_confirm_reviews: 1,
            village_threshold: None,
        }
    }
}

/// Kinds of menu item: what a project does, and which member skill supports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Crops, tea, fruit: needs labour and land.
    Planting,
    /// Cattle, sheep, poultry, bees: needs labour.
    Livestock,
    /// Processing, workshops, e-commerce, tourism: needs labour.
    Enterprise,
    /// Training and job placement: needs a labourer.
    Labour,
    /// Equity stakes and asset income: no labour needed.
    Dividend,
    /// Medical help for households with a chronically ill member.
    Medical,
    /// Social-assistance services and public-welfare jobs.
    Social,
    /// Calves bought for the household and raised by an operator for a share of the
    /// profit (Gaoping's cattle dividend farm; `[program.cattle]`).
    Cattle,
    /// A share in an enterprise paying a return (Xiyuan's stake, 折股到户;
    /// `[program.equity]`).
    Equity,
    /// Starter bee colonies for a household apiary, with the bee cooperative's
    /// demonstration apiaries and coaching (Honghe; `[program.bees]`).
    Bees,
}

impl ItemKind {
    pub const ALL: [ItemKind; 10] = [
        ItemKind::Planting,
        ItemKind::Livestock,
        ItemKind::Enterprise,
        ItemKind::Labour,
        ItemKind::Dividend,
        ItemKind::Medical,
        ItemKind::Social,
        ItemKind::Cattle,
        ItemKind::Equity,
        ItemKind::Bees,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Planting => "planting",
            ItemKind::Livestock => "livestock",
            ItemKind::Enterprise => "enterprise",
            ItemKind::Labour => "labour",
            ItemKind::Dividend => "dividend",
            ItemKind::Medical => "medical",
            ItemKind::Social => "social",
            ItemKind::Cattle => "cattle",
            ItemKind::Equity => "equity",
            ItemKind::Bees => "bees",
        }
    }

    /// Whether the item's budget becomes principal an operator holds for the
    /// household (a scheme) rather than a project the household runs.
    pub fn is_scheme(self) -> bool {
        // Bees are not held by an operator: the colonies are the household's.
        matches!(self, ItemKind::Cattle | ItemKind::Equity)
    }
}

/// An item of the county catalogue from which branches build their menus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItem {
    pub name: String,
    pub kind: ItemKind,
    pub unit_cost: f64,
    pub slots: i64,
    #[serde(default)]
    pub min_labourers: i64,
    #[serde(default)]
    pub min_land: f64,
    #[serde(default)]
    pub min_skill: f64,
    #[serde(default)]
    pub needs_illness: bool,
    pub expected_return: f64,
    pub risk: f64,
    #[serde(default = "one")]
    pub duration: i64,
    #[serde(default)]
    pub keep: bool,
    #[serde(default)]
    pub skill_gain: f64,
    /// A livestock item naming a `[[herd.species]]` is a livestock transfer: its
    /// unit cost buys whole heads of that species, at the species's value, into the
    /// household's herd (no project runs). "" (default): an ordinary project.
    #[serde(default)]
    pub species: String,
    /// A `dividend` item with a rent is a land transfer (流转): the household lets
    /// its land to a cooperative, large grower or the collective for this rent,
    /// yuan per mu a year, for the item's duration (docs/ODD.md § 7.18). 0 (default):
    /// not a transfer.
    #[serde(default)]
    pub rent_per_mu: f64,
}

#[allow(clippy::too_many_arguments)]
fn item(
    name: &str,
    kind: ItemKind,
    unit_cost: f64,
    slots: i64,
    min_labourers: i64,
    min_land: f64,
    expected_return: f64,
    risk: f64,
    duration: i64,
    keep: bool,
) -> RawItem {
    RawItem {
        name: name.into(),
        kind,
        unit_cost,
        slots,
        min_labourers,
        min_land,
        min_skill: 0.0,
        needs_illness: false,
        expected_return,
        risk,
        duration,
        keep,
        skill_gain: 0.0,
        species: String::new(),
        rent_per_mu: 0.0,
    }
}

/// The catalogue a county starts from, after Suiyang's "set meal" (docs/SOURCES.md):
/// cattle, chickens, seedlings, efficient farming, workshop jobs, training, equity
/// stakes, medical help and public-welfare jobs. Costs and returns are our
/// assumptions informed by docs/SOURCES.md's figures; review them for your county.
pub fn default_catalogue() -> Vec<RawItem> {
    use ItemKind::*;
    let mut v = vec![
        // A calf of 5,000-6,000 sells for 10,000-11,000 after about a year.
        item("beef_cattle", Livestock, 10000.0, 12, 1, 0.0, 4000.0, 0.15, 3, true),
        item(
            "free_range_chicken",
            Livestock,
            3000.0,
            20,
            1,
            0.0,
            1800.0,
            0.2,
            2,
            true,
        ),
        // Daqiao's free tea seedlings for households with labour who volunteered.
        item("tea_seedlings", Planting, 2000.0, 25, 1, 1.0, 1500.0, 0.1, 3, true),
        item("efficient_farming", Planting, 4000.0, 15, 1, 2.0, 2500.0, 0.2, 2, true),
        item("workshop_job", Labour, 3000.0, 15, 1, 0.0, 7000.0, 0.1, 3, false),
        // Xiyuan's scenic-area stake: a fixed 10% a year, low risk.
        item("equity_stake", Dividend, 5000.0, 20, 0, 0.0, 500.0, 0.02, 1, true),
        item("medical_help", Medical, 2000.0, 20, 0, 0.0, 2000.0, 0.0, 1, false),
        item("welfare_job", Social, 4000.0, 10, 0, 0.0, 4000.0, 0.05, 1, false),
    ];
    v.push(RawItem {
        min_skill: 0.0,
        skill_gain: 0.15,
        ..item("skills_training", Labour, 1000.0, 25, 1, 0.0, 0.0, 0.0, 1, false)
    });
    for it in v.iter_mut() {
        if it.kind == Medical {
            it.needs_illness = true;
        }
    }
    v
}

/// A kind of party member who can accept orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMemberKind {
    pub name: String,
    pub per_village: i64,
    #[serde(default = "three")]
    pub capacity: i64,
    pub skill_share: f64,
    pub skill: MeanSd,
    pub spare_time: MeanSd,
    pub effectiveness: MeanSd,
}

fn three() -> i64 {
    3
}

/// Members per village and their traits: our assumptions. Suiyang's members without
/// a post each coached 3 households; Ziyang paired about 10 households per cadre.
pub fn default_member_kinds() -> Vec<RawMemberKind> {
    vec![
        RawMemberKind {
            name: "member_without_post".into(),
            per_village: 8,
            capacity: 3,
            skill_share: 0.4,
            skill: ms(0.55, 0.2),
            spare_time: ms(0.8, 0.15),
            effectiveness: ms(0.6, 0.15),
        },
        RawMemberKind {
            name: "resident_cadre".into(),
            per_village: 3,
            capacity: 10,
            skill_share: 0.3,
            skill: ms(0.5, 0.2),
            spare_time: ms(0.5, 0.2),
            effectiveness: ms(0.65, 0.15),
        },
        RawMemberKind {
            name: "first_secretary".into(),
            per_village: 1,
            capacity: 10,
            skill_share: 0.5,
            skill: ms(0.6, 0.15),
            spare_time: ms(0.6, 0.2),
            effectiveness: ms(0.7, 0.15),
        },
    ]
}

/// Shares of villages by branch quality (Ziyang: 40% good, 50% fairly good, 10% average).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchQuality {
    pub good: f64,
    pub fairly_good: f64,
    pub average: f64,
}

/// How a project's success depends on the household and its support.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectEffects {
    pub skill_effect: f64,
    pub motivation_effect: f64,
    pub support_effect: f64,
    pub ownership_effect: f64,
    pub failure_loss: f64,
    pub motivation_gain: f64,
    pub motivation_loss: f64,
    pub support_skill_gain: f64,
    pub enterprise_keep: f64,
    pub enterprise_loss_rate: f64,
    /// Logit lost by a household's first project in a kind it has never run
    /// successfully (planting, livestock, enterprise), times (1 − its skill), and
    /// reduced by a member's teaching (member skill × quality). The reports name
    /// the poor's lack of skills and technology as a main cause (Suiyang's survey:
    /// 37% short of capital, skills or ideas; docs/SOURCES.md [S1]); the size is our
    /// assumption: with the defaults an unskilled household's (skill 0.35) first
    /// unsupported project of risk 0.15–0.2 succeeds about half the time.
    pub novice_penalty: f64,
    /// Market access: a supported produce project's yield × (1 + this × member
    /// effectiveness × quality): the member finds buyers, contract purchase and
    /// better prices. Our assumption, below the ≈38% income gain of cooperative
    /// membership in a 2018 matched sample of poor provinces ([P11]), of which market
    /// access is one channel.
    pub market_effect: f64,
    /// Help with loans and applications (insurance claims, loan rescheduling,
    /// subsidy applications): the share of a supported project's failure loss the
    /// household avoids, × member effectiveness × quality. Our assumption.
    pub applications_effect: f64,
}

impl Default for ProjectEffects {
    fn default() -> Self {
        ProjectEffects {
            skill_effect: 2.0,
            motivation_effect: 2.0,
            support_effect: 2.0,
            ownership_effect: 0.15,
            failure_loss: 0.2,
            motivation_gain: 0.05,
            motivation_loss: 0.05,
            support_skill_gain: 0.05,
            enterprise_keep: 0.8,
            enterprise_loss_rate: 0.05,
            novice_penalty: 2.0,
            market_effect: 0.3,
            applications_effect: 0.5,
        }
    }
}

/// The cattle dividend scheme (Gaoping, docs/SOURCES.md): program funds buy calves held
/// for households by an operator (a large farmer or company) who fattens and sells
/// them each year and splits the profit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCattle {
    pub calf_price: f64,
    pub sale_price: f64,
    pub price_sd: f64,
    pub feed_cost: f64,
    pub mortality: f64,
    pub household_share: f64,
    pub insured: bool,
    pub premium_rate: f64,
    pub insurance_cover: f64,
    pub capacity: i64,
    pub failure_probability: f64,
    pub recovery: f64,
}

impl Default for RawCattle {
    fn default() -> Self {
        RawCattle {
            // docs/SOURCES.md (beef cattle, 2019): a calf of 5,000-6,000 yuan sells for
            // 10,000-11,000 after about a year; mortality about 1.2% over a 6-month
            // cycle; Gaoping gave households 80% of the profit and sold 400+ a year.
            calf_price: 5500.0,
            sale_price: 10500.0,
            price_sd: 0.1,
            // Our assumption: feed, vet and labour per head for a year's fattening.
            feed_cost: 3500.0,
            mortality: 0.024,
            household_share: 0.8,
            insured: false,
            premium_rate: 0.03,
            insurance_cover: 0.8,
            capacity: 400,
            // Our assumptions: a yearly chance the operator fails, and the share of
            // the principal recovered for the households when it does.
            failure_probability: 0.02,
            recovery: 0.5,
        }
    }
}

/// Village mutual-aid funds (互助资金; Zhang County, docs/SOURCES.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMutualAid {
    pub budget_share: f64,
    pub loan_size: f64,
    pub interest_rate: f64,
    pub interest_subsidy: f64,
    pub capital_return: f64,
}

impl Default for RawMutualAid {
    fn default() -> Self {
        RawMutualAid {
            // Off unless a scenario puts budget into the funds.
            budget_share: 0.0,
            // Our assumptions (unverified): a 5,000-yuan loan at 6% a year with half
            // the interest subsidised, earning 30% a year in a successful project.
            loan_size: 5000.0,
            interest_rate: 0.06,
            interest_subsidy: 0.5,
            capital_return: 0.3,
        }
    }
}

/// The bee cooperative (Honghe village, docs/SOURCES.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawBees {
    pub colony_price: f64,
    pub seed_hives: i64,
    pub member_hives: i64,
    pub member_share: f64,
    pub coached_per_member: i64,
    pub honey_yield: f64,
    pub honey_price: f64,
    pub price_sd: f64,
    pub running_cost: f64,
    pub swarm_rate: f64,
    pub winter_loss: f64,
    pub abscond_rate: f64,
    pub max_hives_per_labourer: i64,
    pub coaching_yield_gain: f64,
    pub coaching_loss_cut: f64,
}

impl Default for RawBees {
    fn default() -> Self {
        RawBees {
            // docs/SOURCES.md (Chinese honeybee): a colony costs 400-700 yuan; 5-15 kg of
            // honey a hive a year in box hives; 80-120 yuan/kg; running cost 30-120
            // a hive a year; 1-2 swarms a year per managed colony; winter loss about
            // 12.8%. Honghe: 86 seed colonies in 2 demonstration apiaries, 3 hives per
            // member without a post, who keeps 60% of the honey and the new colonies
            // and coaches 3 poor households; a trained household aimed at 20 hives.
            colony_price: 550.0,
            seed_hives: 86,
            member_hives: 3,
            member_share: 0.6,
            coached_per_member: 3,
            honey_yield: 10.0,
            honey_price: 100.0,
            price_sd: 0.15,
            running_cost: 75.0,
            swarm_rate: 1.5,
            winter_loss: 0.128,
            // Our assumptions: absconding, the cap per labourer, and coaching's effects.
            abscond_rate: 0.05,
            max_hives_per_labourer: 20,
            coaching_yield_gain: 0.3,
            coaching_loss_cut: 0.5,
        }
    }
}

/// A menu item a strategy grants directly, without orders: each year, to the
/// poorest registered households of every village that are eligible for it.
/// By default nothing is granted (`item = ""`, `per_village = 0`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawGrant {
    pub item: String,
    pub per_village: i64,
}

/// Training for every registered family (Tibet: at least one person trained in
/// every registered family; Zhang County's three tiers; Ziyang's five free trades).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTraining {
    pub every_family: bool,
    pub cost: f64,
    pub skill_gain: f64,
    pub placement_rate: f64,
}

impl Default for RawTraining {
    fn default() -> Self {
        RawTraining {
            every_family: false,
            // Our assumptions (unverified): the skills_training item's cost and gain,
            // and a chance that a trained labourer is placed in outside work.
            cost: 1000.0,
            skill_gain: 0.15,
            placement_rate: 0.2,
        }
    }
}

/// How a village collective pays out its income.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectivePayout {
    /// Equally per person to the village's registered households.
    Dividends,
    /// As wages for public-welfare jobs, equally to registered households with labour.
    WelfareJobs,
}

/// The village collective economy (村集体经济).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCollective {
    pub scheme_share: f64,
    pub payout_share: f64,
    pub payout: CollectivePayout,
    pub target: f64,
    /// Share of a project strategy's yearly budget invested, equally per village, in
    /// the collective's own enterprise (a guesthouse, a dairy, a shop, a yak-product
    /// cooperative): income of its own, not a share of the schemes'. 0: none.
    pub enterprise_share: f64,
    /// Yearly return of a collective enterprise on its capital, to the collective.
    /// Our assumption, Xiyuan's fixed 10% (Suiyang report) as for equity stakes.
    pub enterprise_return: f64,
    /// Yearly chance that a village's collective enterprise fails: it pays nothing
    /// that year and its capital is lost (the village starts again from the next
    /// year's investment). Our assumption, as the cattle operator's 2%.
    pub enterprise_failure: f64,
}

impl Default for RawCollective {
    fn default() -> Self {
        RawCollective {
            // Off unless a scenario gives the collective a share of the schemes.
            scheme_share: 0.0,
            payout_share: 1.0,
            payout: CollectivePayout::WelfareJobs,
            // Tibet (docs/SOURCES.md): every village collective to earn at least 50,000 a year.
            target: 50000.0,
            enterprise_share: 0.0,
            enterprise_return: 0.1,
            enterprise_failure: 0.02,
        }
    }
}

/// How an equity stake's return is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMode {
    /// A fixed return on the stake every year the enterprise stands (Xiyuan: 10%).
    Fixed,
    /// The return varies with the enterprise's year (a county-wide shock).
    Variable,
}

/// Equity stakes (折股到户, 三变): program funds — and, if a scenario says so,
/// households' savings and the village collective's income — invested as shares in
/// an enterprise; dividends by shares, also to households without labour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawEquity {
    pub return_mode: ReturnMode,
    pub return_rate: f64,
    pub return_sd: f64,
    pub failure_probability: f64,
    pub recovery: f64,
    pub household_invest_share: f64,
    pub household_reserve: f64,
    pub collective_invest_share: f64,
}

impl Default for RawEquity {
    fn default() -> Self {
        RawEquity {
            // Xiyuan (docs/SOURCES.md): 500,000 yuan invested in a scenic area pays a fixed
            // 50,000 a year, low risk.
            return_mode: ReturnMode::Fixed,
            return_rate: 0.1,
            return_sd: 0.3,
            // Our assumptions: "low risk" as a 1% yearly chance of failure.
            failure_probability: 0.01,
            recovery: 0.5,
            // Own money (三变: funds into shares, farmers into shareholders; Xiyuan's
            // villagers and collective invested their own 500,000) is off unless a
            // scenario turns it on. The reserve a household keeps before investing is
            // our assumption: about half a year's net income of an average household.
            household_invest_share: 0.0,
            household_reserve: 10000.0,
            collective_invest_share: 0.0,
        }
    }
}

/// Allocation of orders when demand exceeds slots or budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    PoorestFirst,
    Lottery,
}

/// What happens to an order no member claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unclaimed {
    /// The project goes ahead without a member's support.
    Unsupported,
    /// The order waits a year (the project does not start; its slot and budget are freed).
    Wait,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawProgram {
    pub orders_per_household: i64,
    pub allocation: Allocation,
    pub unclaimed: Unclaimed,
    pub risk_aversion: f64,
    pub branch_quality: BranchQuality,
    pub branch_fit: BranchQuality,
    pub project: ProjectEffects,
    pub cattle: RawCattle,
    pub equity: RawEquity,
    pub mutual_aid: RawMutualAid,
    pub collective: RawCollective,
    pub training: RawTraining,
    pub bees: RawBees,
    pub grant: RawGrant,
    pub assignment: Assignment,
    pub priority: RawPriority,
    pub cash_duration: CashDuration,
    pub item: Vec<RawItem>,
    pub member_kind: Vec<RawMemberKind>,
}

impl Default for RawProgram {
    fn default() -> Self {
        RawProgram {
            orders_per_household: 2,
            allocation: Allocation::PoorestFirst,
            unclaimed: Unclaimed::Unsupported,
            risk_aversion: 1.0,
            branch_quality: BranchQuality {
                good: 0.4,
                fairly_good: 0.5,
                average: 0.1,
            },
            branch_fit: BranchQuality {
                good: 0.9,
                fairly_good: 0.7,
                average: 0.4,
            },
            project: ProjectEffects::default(),
            cattle: RawCattle::default(),
            equity: RawEquity::default(),
            mutual_aid: RawMutualAid::default(),
            collective: RawCollective::default(),
            training: RawTraining::default(),
            bees: RawBees::default(),
            grant: RawGrant::default(),
            // The administrative rule closest to the reports: the register records each
            // household's main cause, and measures were assigned by cause (the ill to
            // medical assistance, households without labour to transfers and welfare
            // posts, households with labour to production; docs/SOURCES.md, Suiyang survey).
            assignment: Assignment::CausePriority,
            priority: RawPriority::default(),
            // Today's rule and the dibao's: cash is support of a registered household and
            // stops at exit (`N` years is the rival that pays on regardless).
            cash_duration: CashDuration::WhileRegistered,
            item: default_catalogue(),
            member_kind: default_member_kinds(),
        }
    }
}

/// How a strategy's branches list their menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuMode {
    /// One list for all villages: the county catalogue with its slots.
    CountyFixed,
    /// Each branch tailors its menu to its own households' needs (支部下单).
    NeedsBased,
}

/// How households come by their projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderingMode {
    /// Households choose by the income they expect (群众点单).
    HouseholdChoice,
    /// Projects are assigned from above by the county's rule (`program.assignment`).
    Assigned,
    /// Households get a random eligible item.
    Lottery,
}

/// The county's rule for assigning items under `ordering = "assigned"` (top-down).
/// Ties break by item name, never by the order the catalogue lists items in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Every household gets the eligible items in the order of their expected net
    /// yearly return for an average household (skill and motivation 0.5, no member):
    /// (1 − risk) × expected_return − risk × failure_loss × unit_cost, in yuan.
    BestAverageReturn,
    /// The county's list for the household's recorded cause (`[program.priority]`)
    /// first, then the rest by best average return.
    CausePriority,
}

/// The county's priority lists per recorded cause of poverty, for
/// `assignment = "cause_priority"`. Each entry names a catalogue item or an item
/// kind (all items of that kind, by best average return); a household registered
/// without a recorded cause of poverty (not poor at the baseline) gets the best
/// average return order. Defaults by kind, so they fit any catalogue: the causes'
/// remedies of the Suiyang survey (docs/SOURCES.md) — the ill need medical assistance,
/// households with labour production and jobs, the rest transfers and welfare posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPriority {
    pub illness: Vec<String>,
    pub labour_short: Vec<String>,
    pub other: Vec<String>,
}

impl Default for RawPriority {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect();
        RawPriority {
            illness: v(&["medical", "social"]),
            labour_short: v(&["livestock", "planting", "enterprise", "bees", "labour"]),
            other: v(&["social", "cattle", "equity", "dividend"]),
        }
    }
}

/// How long a cash strategy pays a household: `"while_registered"` (it stops at
/// exit and starts again at re-entry), or a whole number of years from the
/// household's first payment, whatever its status (and never again after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CashDuration {
    WhileRegistered,
    Years(i64),
}

impl Serialize for CashDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CashDuration::WhileRegistered => s.serialize_str("while_registered"),
            CashDuration::Years(n) => s.serialize_i64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for CashDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = CashDuration;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"while_registered\" or a whole number of years")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CashDuration, E> {
                if v == "while_registered" {
                    Ok(CashDuration::WhileRegistered)
                } else {
                    Err(E::custom(format!(
                        "expected \"while_registered\" or a whole number of years, got \"{v}\""
                    )))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<CashDuration, E> {
                Ok(CashDuration::Years(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<CashDuration, E> {
                Ok(CashDuration::Years(i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }
        d.deserialize_any(V)
    }
}

/// How members come to support orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchingMode {
    /// Stable matching on skill (党员接单): household-proposing deferred acceptance.
    SkillBased,
    /// A random member holding the skill, with spare capacity.
    Random,
    /// No member support.
    None,
}

/// How the program budget reaches households.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Through menu items: projects, services, stakes.
    Projects,
    /// As cash, paid per person to registered households.
    Cash,
}

/// One strategy to compare: its program design, and overrides of scenario keys by
/// dotted path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_menu")]
    pub menu: MenuMode,
    #[serde(default = "default_ordering")]
    pub ordering: OrderingMode,
    #[serde(default = "default_matching")]
    pub matching: MatchingMode,
    #[serde(default = "default_delivery")]
    pub delivery: Delivery,
    #[serde(default)]
    pub budget: f64,
    #[serde(default)]
    pub overrides: toml::Table,
}

fn default_menu() -> MenuMode {
    MenuMode::CountyFixed
}
fn default_ordering() -> OrderingMode {
    OrderingMode::HouseholdChoice
}
fn default_matching() -> MatchingMode {
    MatchingMode::SkillBased
}
fn default_delivery() -> Delivery {
    Delivery::Projects
}
