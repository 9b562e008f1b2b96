//! The scenario file as written: a plain serde mirror of the TOML, with a documented
//! default for every key and unknown keys rejected.
//!
//! Nothing here is trusted yet. Counts are signed so that `-3` reaches validation and
//! gets a message in the model's words rather than serde's. [`super::validate`] turns
//! this into the immutable [`super::Params`] the engine runs on.
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
    pub poverty_line: RawYearTable,
    pub population: RawPopulation,
    pub village: Vec<RawVillage>,
    pub income: RawIncome,
    pub shocks: Shocks,
    pub health: Health,
    pub finance: Finance,
    pub dibao: RawDibao,
    pub medical_assistance: MedicalAssistance,
    pub housing: Housing,
    pub identification: Identification,
    pub exit: RawExit,
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
            // DOMAIN.md, "Numbers from public sources": the official line at current
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
                (2020, 4000.0),
            ]),
            population: RawPopulation::default(),
            village: Vec::new(),
            income: RawIncome::default(),
            shocks: Shocks::default(),
            health: Health::default(),
            finance: Finance::default(),
            dibao: RawDibao::default(),
            medical_assistance: MedicalAssistance::default(),
            housing: Housing::default(),
            identification: Identification::default(),
            exit: RawExit::default(),
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
}

impl Default for RawPopulation {
    fn default() -> Self {
        RawPopulation {
            starting_incidence: 0.2,
            // Suiyang's survey (DOMAIN.md): illness 28.08%, labour short of capital,
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
}

impl Default for RawIncome {
    fn default() -> Self {
        RawIncome {
            farm_net_per_mu: 500.0,
            land_rent_per_mu: 200.0,
            farm_noise_sd: 0.2,
            local_wage_per_day: table(&[(2016, 80.0), (2020, 110.0)]),
            local_days: ms(80.0, 40.0),
            // DOMAIN.md: migrant workers' monthly income 2016-2020.
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
            // DOMAIN.md: a hospital stay cost about 6,000 (secondary) to 13,300
            // (tertiary) yuan in 2018.
            episode_cost: ms(7000.0, 6000.0),
            chronic_cost: ms(3000.0, 2500.0),
            // DOMAIN.md (Zhang County): cooperative medical insurance at least 96%.
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDibao {
    pub standard: RawYearTable,
    pub top_up_share: f64,
    pub require_incapacity: bool,
    pub take_up_registered: f64,
    pub take_up_other: f64,
}

impl Default for RawDibao {
    fn default() -> Self {
        RawDibao {
            // DOMAIN.md: Shaanxi's rural minimum 3,015 (c. 2016); Guizhou's average
            // standard 4,318 in 2020.
            standard: table(&[(2016, 3015.0), (2020, 4318.0)]),
            top_up_share: 1.0,
            require_incapacity: true,
            take_up_registered: 0.8,
            take_up_other: 0.3,
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
}

impl Default for Identification {
    fn default() -> Self {
        Identification {
            exclusion_error: 0.1,
            inclusion_error: 0.03,
            annual_review: true,
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
    pub village_threshold: Option<f64>,
}

impl Default for RawExit {
    fn default() -> Self {
        RawExit {
            margin: 0.0,
            years_above_line: 1,
            require_assurances: true,
            support_years: 3,
            village_threshold: None,
        }
    }
}

/// One strategy to compare: a name and overrides of scenario keys by dotted path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub overrides: toml::Table,
}
