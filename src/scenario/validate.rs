//! Checks every value of a raw scenario and builds the validated [`Model`].
//!
//! Each check names the key by its path in the file (`village[2].households`) so that
//! the caller can point at the line; the message says what is allowed and what was
//! found. The first failing check wins: one clear message beats a page of them.

use super::params::{Dibao, Dist, Exit, HealthDraws, Income, IncomeTarget, Model, Population, Village, YearTable};
use super::raw::{
    self, Assignment, BranchQuality, CashDuration, CauseMix, ItemKind, MeanSd, ProjectEffects, RawCattle, RawEquity,
    RawHerd, RawProgram, RawScenario, RawStrategy, Region,
};
use crate::agents::herd::{Herding, Species};
use crate::programs::bees::Bees;
use crate::programs::collective::Collective;
use crate::programs::mutual_aid::MutualAid;
use crate::programs::schemes::{Cattle, Equity};
use crate::programs::{Grant, Training};
use crate::programs::{Item, MemberKind, Plan, Program};
use crate::rng::SmallBinomial;

/// A path to a key in the scenario file, e.g. `village[2].households`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPath(pub Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl KeyPath {
    pub fn key(&self, k: &str) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Segment::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{}", shown(k))?,
                Segment::Key(k) => write!(f, ".{}", shown(k))?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The most characters of a user's string that a message echoes.
pub const SHOWN_CHARS: usize = 64;

/// A user's string (a name, a key) as a message echoes it: control characters and
/// quotes escaped, so that the message stays one line, and cut to [`SHOWN_CHARS`]
/// characters with `…`, so that a megabyte name does not become a megabyte message.
pub fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(SHOWN_CHARS).flat_map(char::escape_debug).collect();
    if s.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// A whole message made safe to print as one line: control characters escaped and
/// the length capped (a last guard; the checks already echo names through [`shown`]).
pub fn one_line(message: &str) -> String {
    const MAX: usize = 600;
    let mut out = String::with_capacity(message.len().min(MAX + 8));
    for (n, c) in message.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A value that failed a check: where it is, and a whole-sentence message.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub path: KeyPath,
    pub message: String,
}

pub type Checked<T> = Result<T, Invalid>;

fn fail<T>(path: &KeyPath, what: impl std::fmt::Display) -> Checked<T> {
    Err(Invalid {
        path: path.clone(),
        message: format!("{path} {what}"),
    })
}

/// A number as a message shows it: as written for ordinary sizes, in exponent form
/// when huge or tiny, so that `1e308` is not echoed as 309 digits.
pub fn number(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e15).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn finite(path: &KeyPath, x: f64) -> Checked<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        fail(path, format!("must be a finite number, got {x}"))
    }
}

/// A probability or share in [0, 1].
pub fn unit(path: &KeyPath, x: f64) -> Checked<f64> {
    finite(path, x)?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        fail(path, format!("must be between 0 and 1, got {}", number(x)))
    }
}

pub fn non_negative(path: &KeyPath, x: f64) -> Checked<f64> {
    finite(path, x)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        fail(path, format!("must be at least 0, got {}", number(x)))
    }
}

/// The most yuan a money key may state (a price, cost, wage, standard, line, budget,
/// a yearly amount per person, per mu or per head): ten billion. Far above any
/// county's figures, and far enough below the range of `f64` that no sum or product
/// of a run overflows to `inf` (issue 16).
pub const MAX_YUAN: f64 = 1e10;

/// The most mu of land a farmland distribution or an item's requirement may state.
pub const MAX_MU: f64 = 1e6;

/// The largest value of an index (`income.nonwage_index`, 1 in the base year).
pub const MAX_INDEX: f64 = 1e3;

/// The largest coefficient of variation (sd / mean) of a lognormal quantity: beyond
/// it a draw is no longer a plausible amount (σ = 3; at 100 the spread already
/// puts one draw in a million above 10⁶ times the median).
pub const MAX_CV: f64 = 100.0;

fn at_most(path: &KeyPath, x: f64, max: f64, unit: &str) -> Checked<f64> {
    if x <= max {
        Ok(x)
    } else {
        fail(path, format!("must be at most {max}{unit}, got {}", number(x)))
    }
}

/// An amount of money: from 0 to [`MAX_YUAN`].
pub fn yuan(path: &KeyPath, x: f64) -> Checked<f64> {
    at_most(path, non_negative(path, x)?, MAX_YUAN, " yuan")
}

pub fn positive(path: &KeyPath, x: f64) -> Checked<f64> {
    finite(path, x)?;
    if x > 0.0 {
        Ok(x)
    } else {
        fail(path, format!("must be greater than 0, got {}", number(x)))
    }
}

/// An integer count with a lower bound, returned as `u32`.
pub fn count(path: &KeyPath, x: i64, min: i64, max: i64) -> Checked<u32> {
    if x < min {
        fail(path, format!("must be at least {min}, got {x}"))
    } else if x > max {
        fail(path, format!("must be at most {max}, got {x}"))
    } else {
        Ok(x as u32)
    }
}

/// A quantity in [0, 1] given by mean and sd: a beta distribution.
fn unit_dist(path: &KeyPath, d: MeanSd) -> Checked<Dist> {
    unit(&path.key("mean"), d.mean)?;
    non_negative(&path.key("sd"), d.sd)?;
    let max_var = d.mean * (1.0 - d.mean);
    if d.sd > 0.0 && d.sd * d.sd >= max_var {
        return fail(
            &path.key("sd"),
            format!(
                "must be below {:.4} (a spread on [0, 1] with mean {} needs sd² < mean·(1 − mean)), got {}",
                max_var.sqrt(),
                d.mean,
                d.sd
            ),
        );
    }
    Ok(Dist::beta(d.mean, d.sd))
}

/// A non-negative quantity given by mean and sd, each at most `max` (`unit` names
/// what it counts): a lognormal distribution.
fn positive_dist(path: &KeyPath, d: MeanSd, max: f64, unit: &str) -> Checked<Dist> {
    let mean = at_most(&path.key("mean"), non_negative(&path.key("mean"), d.mean)?, max, unit)?;
    let sd = at_most(&path.key("sd"), non_negative(&path.key("sd"), d.sd)?, max, unit)?;
    if sd > MAX_CV * mean && mean > 0.0 {
        return fail(
            &path.key("sd"),
            format!(
                "must be at most {MAX_CV} times the mean ({}), the widest spread sandan draws from, got {}",
                number(mean),
                number(sd)
            ),
        );
    }
    Ok(Dist::lognormal(mean, sd))
}

/// Money given by mean and sd.
fn money_dist(path: &KeyPath, d: MeanSd) -> Checked<Dist> {
    positive_dist(path, d, MAX_YUAN, " yuan")
}

/// Land given by mean and sd.
fn land_dist(path: &KeyPath, d: MeanSd) -> Checked<Dist> {
    positive_dist(path, d, MAX_MU, " mu")
}

fn year(path: &KeyPath, y: i64) -> Checked<i32> {
    if (1900..=2200).contains(&y) {
        Ok(y as i32)
    } else {
        fail(path, format!("must be a year between 1900 and 2200, got {y}"))
    }
}

/// A value by year, each from `min` to `max` (`unit` names what it counts).
fn year_table(
    path: &KeyPath,
    t: &std::collections::BTreeMap<String, f64>,
    min: f64,
    max: f64,
    unit: &str,
) -> Checked<YearTable> {
    if t.is_empty() {
        return fail(path, "must list at least one year, e.g. { 2016 = 2952 }");
    }
    let mut points = Vec::with_capacity(t.len());
    for (k, v) in t {
        let p = path.key(k);
        // Only plain years: `"02016"`, `"+2016"` and `" 2016"` would otherwise all
        // read as 2016, and whichever sorted last would silently win (issue 16).
        let plain = !k.is_empty() && k.len() <= 4 && k.bytes().all(|b| b.is_ascii_digit()) && !k.starts_with('0');
        let y: i64 = match k.parse() {
            Ok(y) if plain => y,
            _ => {
                return fail(
                    &p,
                    "is not a plain year: keys of a year table are years written with four digits, such as 2016",
                );
            }
        };
        let y = year(&p, y)?;
        finite(&p, *v)?;
        if *v < min {
            return fail(&p, format!("must be at least {min}, got {}", number(*v)));
        }
        at_most(&p, *v, max, unit)?;
        points.push((y, *v));
    }
    points.sort_by_key(|&(y, _)| y);
    Ok(YearTable::new(points))
}

fn cause_mix(path: &KeyPath, m: CauseMix) -> Checked<CauseMix> {
    unit(&path.key("illness"), m.illness)?;
    unit(&path.key("labour_short"), m.labour_short)?;
    unit(&path.key("other"), m.other)?;
    let sum = m.illness + m.labour_short + m.other;
    if (sum - 1.0).abs() > 1e-3 {
        return fail(
            path,
            format!("shares must sum to 1 (illness + labour_short + other), got {sum:.4}"),
        );
    }
    Ok(m)
}

/// The shared settings: years, seed, replicates.
pub struct Frame {
    pub start_year: i32,
    pub end_year: i32,
    pub replicates: u32,
}

pub fn frame(raw: &RawScenario) -> Checked<Frame> {
    let root = KeyPath::default();
    let start_year = year(&root.key("start_year"), raw.start_year)?;
    let end_year = year(&root.key("end_year"), raw.end_year)?;
    if end_year < start_year {
        return fail(
            &root.key("end_year"),
            format!("must not be before start_year ({start_year}), got {end_year}"),
        );
    }
    let replicates = count(&root.key("replicates"), raw.replicates, 1, 1_000_000)?;
    Ok(Frame {
        start_year,
        end_year,
        replicates,
    })
}

/// Validate every model parameter of a raw scenario.
pub fn model(raw: &RawScenario, start_year: i32) -> Checked<Model> {
    let root = KeyPath::default();

    let poverty_line = year_table(&root.key("poverty_line"), &raw.poverty_line, 1.0, MAX_YUAN, " yuan")?;
    let population = population(&root.key("population"), raw)?;
    let villages = villages(&root, raw)?;

    let ip = root.key("income");
    let i = &raw.income;
    let income = Income {
        farm_net_per_mu: yuan(&ip.key("farm_net_per_mu"), i.farm_net_per_mu)?,
        land_rent_per_mu: yuan(&ip.key("land_rent_per_mu"), i.land_rent_per_mu)?,
        farm_noise_sd: bounded(&ip.key("farm_noise_sd"), i.farm_noise_sd, 0.0, 2.0)?,
        local_wage_per_day: year_table(
            &ip.key("local_wage_per_day"),
            &i.local_wage_per_day,
            0.0,
            MAX_YUAN,
            " yuan",
        )?,
        local_days_mean: bounded(&ip.key("local_days").key("mean"), i.local_days.mean, 0.0, 365.0)?,
        local_days_sd: bounded(&ip.key("local_days").key("sd"), i.local_days.sd, 0.0, 365.0)?,
        migrant_monthly_wage: year_table(
            &ip.key("migrant_monthly_wage"),
            &i.migrant_monthly_wage,
            0.0,
            MAX_YUAN,
            " yuan",
        )?,
        migrant_wage_sd: bounded(&ip.key("migrant_wage_sd"), i.migrant_wage_sd, 0.0, 2.0)?,
        migrant_months_mean: bounded(&ip.key("migrant_months").key("mean"), i.migrant_months.mean, 0.0, 12.0)?,
        migrant_months_sd: bounded(&ip.key("migrant_months").key("sd"), i.migrant_months.sd, 0.0, 12.0)?,
        remittance_share: unit(&ip.key("remittance_share"), i.remittance_share)?,
        skill_effect: bounded(&ip.key("skill_effect"), i.skill_effect, 0.0, 2.0)?,
        motivation_effect: unit(&ip.key("motivation_effect"), i.motivation_effect)?,
        other_income_per_capita: yuan(&ip.key("other_income_per_capita"), i.other_income_per_capita)?,
        property_per_capita: yuan(&ip.key("property_per_capita"), i.property_per_capita)?,
        business_per_labourer: yuan(&ip.key("business_per_labourer"), i.business_per_labourer)?,
        farm_days_per_mu: bounded(&ip.key("farm_days_per_mu"), i.farm_days_per_mu, 0.0, 330.0)?,
        nonwage_index: year_table(&ip.key("nonwage_index"), &i.nonwage_index, 0.0, MAX_INDEX, "")?,
        persistence: unit(&ip.key("persistence"), i.persistence)?,
        persistent_sd: bounded(&ip.key("persistent_sd"), i.persistent_sd, 0.0, 2.0)?,
        fit: None,
    };

    let sp = root.key("shocks");
    let s = &raw.shocks;
    bounded(&sp.key("weather_sd"), s.weather_sd, 0.0, 2.0)?;
    unit(&sp.key("drought_probability"), s.drought_probability)?;
    unit(&sp.key("drought_loss"), s.drought_loss)?;
    bounded(&sp.key("price_sd"), s.price_sd, 0.0, 2.0)?;

    let hp = root.key("health");
    let h = &raw.health;
    unit(&hp.key("acute_rate"), h.acute_rate)?;
    unit(&hp.key("chronic_acute_rate"), h.chronic_acute_rate)?;
    unit(&hp.key("chronic_onset_rate"), h.chronic_onset_rate)?;
    let health_draws = HealthDraws {
        episode: money_dist(&hp.key("episode_cost"), h.episode_cost)?,
        chronic: money_dist(&hp.key("chronic_cost"), h.chronic_cost)?,
        acute: SmallBinomial::new(h.acute_rate),
        onset: SmallBinomial::new(h.chronic_onset_rate),
    };
    unit(&hp.key("insured_share"), h.insured_share)?;
    unit(&hp.key("reimbursement_rate"), h.reimbursement_rate)?;
    unit(&hp.key("lost_work_share"), h.lost_work_share)?;
    unit(&hp.key("onset_incapacity"), h.onset_incapacity)?;

    let fp = root.key("finance");
    let f = &raw.finance;
    bounded(&fp.key("subsistence_share"), f.subsistence_share, 0.0, 2.0)?;
    unit(&fp.key("consumption_share"), f.consumption_share)?;
    bounded(&fp.key("debt_interest_rate"), f.debt_interest_rate, 0.0, 1.0)?;
    let herd = herd(&root.key("herd"), &raw.herd)?;

    let dp = root.key("dibao");
    let d = &raw.dibao;
    let dibao = Dibao {
        standard: year_table(&dp.key("standard"), &d.standard, 0.0, MAX_YUAN, " yuan")?,
        top_up_share: unit(&dp.key("top_up_share"), d.top_up_share)?,
        require_incapacity: d.require_incapacity,
        take_up_registered: unit(&dp.key("take_up_registered"), d.take_up_registered)?,
        take_up_other: unit(&dp.key("take_up_other"), d.take_up_other)?,
        phase_out_years: count(&dp.key("phase_out_years"), d.phase_out_years, 0, 20)?,
    };

    let mp = root.key("medical_assistance");
    let m = &raw.medical_assistance;
    unit(&mp.key("rate"), m.rate)?;
    yuan(&mp.key("deductible"), m.deductible)?;
    yuan(&mp.key("cap"), m.cap)?;

    let hsp = root.key("housing");
    let hs = &raw.housing;
    unit(&hsp.key("unsafe_share_poor"), hs.unsafe_share_poor)?;
    unit(&hsp.key("renovation_rate"), hs.renovation_rate)?;
    yuan(&hsp.key("renovation_cost"), hs.renovation_cost)?;

    let idp = root.key("identification");
    let id = &raw.identification;
    unit(&idp.key("exclusion_error"), id.exclusion_error)?;
    unit(&idp.key("inclusion_error"), id.inclusion_error)?;
    bounded(&idp.key("assessment_sd"), id.assessment_sd, 0.0, 2.0)?;
    unit(&idp.key("review_exclusion_error"), id.review_exclusion_error)?;
    unit(&idp.key("review_inclusion_error"), id.review_inclusion_error)?;
    unit(&idp.key("review_removal"), id.review_removal)?;

    let ep = root.key("exit");
    let e = &raw.exit;
    let default_threshold = match raw.region {
        Region::West => 0.03,
        Region::East | Region::Central => 0.02,
    };
    let exit = Exit {
        margin: bounded(&ep.key("margin"), e.margin, 0.0, 10.0)?,
        years_above_line: count(&ep.key("years_above_line"), e.years_above_line, 1, 50)?,
        require_assurances: e.require_assurances,
        support_years: count(&ep.key("support_years"), e.support_years, 0, 100)?,
        transition_end: if e.transition_end == 0 {
            0
        } else {
            year(&ep.key("transition_end"), e.transition_end)?
        },
        monitor_margin: bounded(&ep.key("monitor_margin"), e.monitor_margin, 0.0, 10.0)?,
        follow_up_orders: e.follow_up_orders,
        monitor_priority: e.monitor_priority,
        reentry_confirm_reviews: count(&ep.key("reentry_confirm_reviews"), e.reentry_confirm_reviews, 1, 10)?,
        village_threshold: match e.village_threshold {
            Some(t) => unit(&ep.key("village_threshold"), t)?,
            None => default_threshold,
        },
    };

    // The line must be defined at the baseline year, not merely extrapolated from a
    // later entry: a scenario starting in 2010 with a table from 2016 is a mistake.
    let first_line_year = first_year(&raw.poverty_line);
    if first_line_year.is_some_and(|y| y > start_year) {
        return fail(
            &root.key("poverty_line"),
            format!(
                "must give a value for start_year {start_year} or earlier; the first year listed is {}",
                first_line_year.unwrap_or_default()
            ),
        );
    }

    let program = program(&root.key("program"), &raw.program, &herd)?;
    // A grant gives its item to `per_village` households of every village each year:
    // a village cannot be granted more households than it has (issue 13).
    if let Some(g) = &program.grant
        && let Some(smallest) = villages.iter().min_by_key(|v| v.households)
        && g.per_village > smallest.households
    {
        return fail(
            &root.key("program").key("grant").key("per_village"),
            format!(
                "must be at most {} (the households of the smallest village, '{}'), got {}",
                smallest.households,
                shown(&smallest.name),
                g.per_village
            ),
        );
    }

    Ok(Model {
        start_year,
        region: raw.region,
        poverty_line,
        population,
        villages,
        income,
        shocks: raw.shocks.clone(),
        health: raw.health.clone(),
        health_draws,
        finance: raw.finance.clone(),
        herd,
        dibao,
        medical_assistance: raw.medical_assistance.clone(),
        housing: raw.housing.clone(),
        identification: raw.identification.clone(),
        exit,
        program,
    })
}

/// The herd rules: every species's numbers, and the savings rule's.
fn herd(path: &KeyPath, h: &RawHerd) -> Checked<Herding> {
    let mut species: Vec<Species> = Vec::with_capacity(h.species.len());
    for (k, r) in h.species.iter().enumerate() {
        let sp = path.key("species").index(k);
        let name = r.name.trim();
        if name.is_empty() {
            return fail(&sp.key("name"), "must name the species, got an empty name");
        }
        if species.iter().any(|s| s.name == name) {
            return fail(
                &sp.key("name"),
                format!("'{name}' is used twice; each species needs its own name"),
            );
        }
        species.push(Species {
            name: name.to_string(),
            value: at_most(
                &sp.key("value"),
                positive(&sp.key("value"), r.value)?,
                MAX_YUAN,
                " yuan",
            )?,
            births: bounded(&sp.key("births"), r.births, 0.0, 100.0)?,
            deaths: unit(&sp.key("deaths"), r.deaths)?,
            sale_rate: unit(&sp.key("sale_rate"), r.sale_rate)?,
            feed_cost: yuan(&sp.key("feed_cost"), r.feed_cost)?,
            fixed_cost: yuan(&sp.key("fixed_cost"), r.fixed_cost)?,
            disaster_probability: unit(&sp.key("disaster_probability"), r.disaster_probability)?,
            disaster_loss: unit(&sp.key("disaster_loss"), r.disaster_loss)?,
            max_heads_per_labourer: count(&sp.key("max_heads_per_labourer"), r.max_heads_per_labourer, 0, 100_000)?,
            initial_heads: count(&sp.key("initial_heads"), r.initial_heads, 0, 1_000_000)?,
            initial_heads_poor: count(&sp.key("initial_heads_poor"), r.initial_heads_poor, 0, 1_000_000)?,
        });
    }
    let sell_below = bounded(&path.key("sell_below"), h.sell_below, -MAX_YUAN, MAX_YUAN)?;
    let buy_above = bounded(&path.key("buy_above"), h.buy_above, -MAX_YUAN, MAX_YUAN)?;
    if buy_above < sell_below {
        return fail(
            &path.key("buy_above"),
            format!("must be at least sell_below ({sell_below}), got {buy_above}"),
        );
    }
    let buy_species = match h.buy_species.trim() {
        "" => None,
        name => match species.iter().position(|s| s.name == name) {
            Some(k) => Some(k),
            None => {
                let names: Vec<&str> = species.iter().map(|s| s.name.as_str()).collect();
                return fail(
                    &path.key("buy_species"),
                    format!(
                        "must be \"\" or the name of a [[herd.species]] ({}), got '{name}'",
                        names.join(", ")
                    ),
                );
            }
        },
    };
    Ok(Herding {
        species,
        sell_below,
        buy_above,
        buy_share: unit(&path.key("buy_share"), h.buy_share)?,
        buy_species,
    })
}

fn program(path: &KeyPath, p: &RawProgram, herd: &Herding) -> Checked<Program> {
    let e = &p.project;
    let ep = path.key("project");
    bounded(&ep.key("skill_effect"), e.skill_effect, 0.0, 20.0)?;
    bounded(&ep.key("motivation_effect"), e.motivation_effect, 0.0, 20.0)?;
    bounded(&ep.key("support_effect"), e.support_effect, 0.0, 20.0)?;
    unit(&ep.key("ownership_effect"), e.ownership_effect)?;
    bounded(&ep.key("failure_loss"), e.failure_loss, 0.0, 10.0)?;
    unit(&ep.key("motivation_gain"), e.motivation_gain)?;
    unit(&ep.key("motivation_loss"), e.motivation_loss)?;
    unit(&ep.key("support_skill_gain"), e.support_skill_gain)?;
    unit(&ep.key("enterprise_keep"), e.enterprise_keep)?;
    unit(&ep.key("enterprise_loss_rate"), e.enterprise_loss_rate)?;
    bounded(&ep.key("novice_penalty"), e.novice_penalty, 0.0, 20.0)?;
    bounded(&ep.key("market_effect"), e.market_effect, 0.0, 10.0)?;
    unit(&ep.key("applications_effect"), e.applications_effect)?;

    let quality = |key: &str, q: &BranchQuality| -> Checked<[f64; 3]> {
        let qp = path.key(key);
        Ok([
            unit(&qp.key("good"), q.good)?,
            unit(&qp.key("fairly_good"), q.fairly_good)?,
            unit(&qp.key("average"), q.average)?,
        ])
    };
    let shares = quality("branch_quality", &p.branch_quality)?;
    let sum: f64 = shares.iter().sum();
    if (sum - 1.0).abs() > 1e-3 {
        return fail(
            &path.key("branch_quality"),
            format!("shares must sum to 1 (good + fairly_good + average), got {sum:.4}"),
        );
    }
    let branch_fit = quality("branch_fit", &p.branch_fit)?;

    if p.item.len() >= usize::from(u8::MAX) {
        return fail(
            &path.key("item"),
            format!("may list at most {} items, got {}", u8::MAX - 1, p.item.len()),
        );
    }
    let cattle = cattle(&path.key("cattle"), &p.cattle)?;
    let equity = equity(&path.key("equity"), &p.equity)?;
    let mp = path.key("mutual_aid");
    let r = &p.mutual_aid;
    unit(&mp.key("budget_share"), r.budget_share)?;
    non_negative(&mp.key("loan_size"), r.loan_size)?;
    if r.loan_size.fract() != 0.0 || r.loan_size > 1e9 {
        return fail(
            &mp.key("loan_size"),
            format!(
                "must be a whole number of yuan up to 1,000,000,000, got {}",
                r.loan_size
            ),
        );
    }
    bounded(&mp.key("interest_rate"), r.interest_rate, 0.0, 1.0)?;
    unit(&mp.key("interest_subsidy"), r.interest_subsidy)?;
    bounded(&mp.key("capital_return"), r.capital_return, 0.0, 10.0)?;
    let mutual_aid = MutualAid::from_raw(r, r.loan_size as u32);
    let cp = path.key("collective");
    unit(&cp.key("scheme_share"), p.collective.scheme_share)?;
    unit(&cp.key("payout_share"), p.collective.payout_share)?;
    yuan(&cp.key("target"), p.collective.target)?;
    let enterprise_share = unit(&cp.key("enterprise_share"), p.collective.enterprise_share)?;
    if enterprise_share + p.mutual_aid.budget_share > 1.0 {
        return fail(
            &cp.key("enterprise_share"),
            format!(
                "and program.mutual_aid.budget_share ({}) must add up to at most 1, got {enterprise_share}",
                p.mutual_aid.budget_share
            ),
        );
    }
    bounded(&cp.key("enterprise_return"), p.collective.enterprise_return, 0.0, 10.0)?;
    unit(&cp.key("enterprise_failure"), p.collective.enterprise_failure)?;
    let collective = Collective::from_raw(&p.collective);
    let bp = path.key("bees");
    let rb = &p.bees;
    let colony_price = yuan(&bp.key("colony_price"), rb.colony_price)?;
    if colony_price == 0.0 {
        return fail(
            &bp.key("colony_price"),
            "must be above 0 (an item's cost buys colonies at this price)",
        );
    }
    for (k, x) in [
        ("member_share", rb.member_share),
        ("winter_loss", rb.winter_loss),
        ("abscond_rate", rb.abscond_rate),
        ("coaching_loss_cut", rb.coaching_loss_cut),
    ] {
        unit(&bp.key(k), x)?;
    }
    bounded(&bp.key("honey_yield"), rb.honey_yield, 0.0, 1e6)?;
    yuan(&bp.key("honey_price"), rb.honey_price)?;
    yuan(&bp.key("running_cost"), rb.running_cost)?;
    bounded(&bp.key("price_sd"), rb.price_sd, 0.0, 2.0)?;
    bounded(&bp.key("swarm_rate"), rb.swarm_rate, 0.0, 2.0)?;
    bounded(&bp.key("coaching_yield_gain"), rb.coaching_yield_gain, 0.0, 10.0)?;
    let bees = Bees::from_raw(
        rb,
        count(&bp.key("seed_hives"), rb.seed_hives, 0, 1_000_000)?,
        count(&bp.key("member_hives"), rb.member_hives, 1, 10_000)?,
        count(&bp.key("coached_per_member"), rb.coached_per_member, 0, 1_000)?,
        count(&bp.key("max_hives_per_labourer"), rb.max_hives_per_labourer, 0, 1_000)?,
    );
    let tp = path.key("training");
    let training = Training {
        every_family: p.training.every_family,
        cost: yuan(&tp.key("cost"), p.training.cost)?,
        skill_gain: unit(&tp.key("skill_gain"), p.training.skill_gain)?,
        placement_rate: unit(&tp.key("placement_rate"), p.training.placement_rate)?,
    };
    let mut items = Vec::with_capacity(p.item.len());
    for (k, it) in p.item.iter().enumerate() {
        let ip = path.key("item").index(k);
        if it.name.trim().is_empty() {
            return fail(&ip.key("name"), "must not be empty");
        }
        if p.item[..k].iter().any(|o| o.name == it.name) {
            return fail(
                &ip.key("name"),
                format!("'{}' is listed twice; item names must differ", shown(&it.name)),
            );
        }
        // Scheme principal is held in whole yuan so that the money identity is exact.
        if it.kind.is_scheme() && (it.unit_cost.fract() != 0.0 || it.unit_cost > 1e9) {
            return fail(
                &ip.key("unit_cost"),
                format!(
                    "of a {} item must be a whole number of yuan up to 1,000,000,000, got {}",
                    it.kind.name(),
                    it.unit_cost
                ),
            );
        }
        let heads = match it.species.trim() {
            "" => None,
            name => {
                let names: Vec<&str> = herd.species.iter().map(|s| s.name.as_str()).collect();
                let Some(k) = names.iter().position(|&s| s == name) else {
                    return fail(
                        &ip.key("species"),
                        format!(
                            "must be \"\" or the name of a [[herd.species]] ({}), got '{name}'",
                            names.join(", ")
                        ),
                    );
                };
                let value = herd.species[k].value;
                if it.kind != ItemKind::Livestock || it.unit_cost < value || it.unit_cost > 1e9 {
                    return fail(
                        &ip.key("species"),
                        format!(
                            "needs kind = \"livestock\" and a unit_cost of at least one head ({value} yuan) up to 1,000,000,000, got kind {} and unit_cost {}",
                            it.kind.name(),
                            it.unit_cost
                        ),
                    );
                }
                Some((k, (it.unit_cost / value).floor() as u32))
            }
        };
        let rent_per_mu = yuan(&ip.key("rent_per_mu"), it.rent_per_mu)?;
        if rent_per_mu > 0.0 && (it.kind != ItemKind::Dividend || heads.is_some() || it.keep) {
            return fail(
                &ip.key("rent_per_mu"),
                format!(
                    "makes a land transfer, which needs kind = \"dividend\", no species and keep = false (the land comes back when the contract ends), got kind {}, species '{}', keep = {}",
                    it.kind.name(),
                    shown(&it.species),
                    it.keep
                ),
            );
        }
        items.push(Item {
            name: it.name.clone(),
            kind: it.kind,
            unit_cost: yuan(&ip.key("unit_cost"), it.unit_cost)?,
            slots: count(&ip.key("slots"), it.slots, 0, 1_000_000)?,
            min_labourers: count(&ip.key("min_labourers"), it.min_labourers, 0, 20)? as u8,
            min_land: bounded(&ip.key("min_land"), it.min_land, 0.0, MAX_MU)?,
            min_skill: unit(&ip.key("min_skill"), it.min_skill)?,
            needs_illness: it.needs_illness,
            expected_return: yuan(&ip.key("expected_return"), it.expected_return)?,
            risk: unit(&ip.key("risk"), it.risk)?,
            duration: count(&ip.key("duration"), it.duration, 1, 50)? as u8,
            keep: it.keep,
            skill_gain: unit(&ip.key("skill_gain"), it.skill_gain)?,
            heads,
            rent_per_mu,
        });
    }
    // The catalogue is held in name order (names are unique), so that nothing
    // downstream depends on the order the file lists items in.
    items.sort_by(|a, b| a.name.cmp(&b.name));
    let county_lists = county_lists(&path.key("priority"), p, e, &items)?;
    let cash_duration = match p.cash_duration {
        CashDuration::Years(n) if !(1..=50).contains(&n) => {
            return fail(
                &path.key("cash_duration"),
                format!("must be \"while_registered\" or 1 to 50 years, got {n}"),
            );
        }
        d => d,
    };
    let gp = path.key("grant");
    let per_village = count(&gp.key("per_village"), p.grant.per_village, 0, 1_000_000)?;
    let grant = if p.grant.item.is_empty() || per_village == 0 {
        None
    } else {
        match items.iter().position(|it| it.name == p.grant.item) {
            Some(k) => Some(Grant {
                item: k as u8,
                per_village,
            }),
            None => {
                return fail(
                    &gp.key("item"),
                    format!("'{}' names no item of [[program.item]]", shown(&p.grant.item)),
                );
            }
        }
    };
    let mut member_kinds = Vec::with_capacity(p.member_kind.len());
    for (k, m) in p.member_kind.iter().enumerate() {
        let mp = path.key("member_kind").index(k);
        member_kinds.push(MemberKind {
            name: m.name.clone(),
            per_village: count(&mp.key("per_village"), m.per_village, 0, 10_000)?,
            capacity: count(&mp.key("capacity"), m.capacity, 0, 1_000)?,
            skill_share: unit(&mp.key("skill_share"), m.skill_share)?,
            skill: unit_dist(&mp.key("skill"), m.skill)?,
            spare_time: unit_dist(&mp.key("spare_time"), m.spare_time)?,
            effectiveness: unit_dist(&mp.key("effectiveness"), m.effectiveness)?,
        });
    }
    Ok(Program {
        orders_per_household: count(&path.key("orders_per_household"), p.orders_per_household, 1, 20)?,
        allocation: p.allocation,
        unclaimed: p.unclaimed,
        risk_aversion: bounded(&path.key("risk_aversion"), p.risk_aversion, 0.0, 100.0)?,
        branch_quality_cdf: [shares[0], shares[0] + shares[1], 1.0],
        branch_fit,
        project: e.clone(),
        cattle,
        equity,
        mutual_aid,
        collective,
        training,
        bees,
        grant,
        assignment: p.assignment,
        county_lists,
        cash_duration,
        items,
        member_kinds,
    })
}

/// The county's top-down list for a household of each recorded cause (indexed by
/// `Cause as usize`): under `cause_priority` the cause's `[program.priority]` entries
/// in order (an item, or every item of a kind by best average return), then every
/// other item by best average return; under `best_average_return`, and for a
/// household without a recorded cause, that order alone.
fn county_lists(path: &KeyPath, p: &RawProgram, e: &ProjectEffects, items: &[Item]) -> Checked<[Vec<u8>; 4]> {
    let by_return = crate::programs::by_average_return(e, items);
    let mut lists = [
        by_return.clone(),
        by_return.clone(),
        by_return.clone(),
        by_return.clone(),
    ];
    if p.assignment == Assignment::BestAverageReturn {
        return Ok(lists);
    }
    let causes = [
        ("illness", &p.priority.illness),
        ("labour_short", &p.priority.labour_short),
        ("other", &p.priority.other),
    ];
    for (c, (key, entries)) in causes.into_iter().enumerate() {
        let mut list: Vec<u8> = Vec::with_capacity(items.len());
        for (j, entry) in entries.iter().enumerate() {
            let named: Vec<u8> = match items.iter().position(|it| it.name == *entry) {
                Some(k) => vec![k as u8],
                None => match ItemKind::ALL.iter().find(|k| k.name() == entry) {
                    Some(&kind) => by_return
                        .iter()
                        .copied()
                        .filter(|&k| items[k as usize].kind == kind)
                        .collect(),
                    None => {
                        let kinds: Vec<&str> = ItemKind::ALL.iter().map(|k| k.name()).collect();
                        return fail(
                            &path.key(key).index(j),
                            format!(
                                "'{entry}' names no item of [[program.item]] and no item kind; allowed: an item's name or one of {}",
                                kinds.join(", ")
                            ),
                        );
                    }
                },
            };
            for k in named {
                if !list.contains(&k) {
                    list.push(k);
                }
            }
        }
        for &k in &by_return {
            if !list.contains(&k) {
                list.push(k);
            }
        }
        lists[c + 1] = list;
    }
    Ok(lists)
}

fn cattle(path: &KeyPath, c: &RawCattle) -> Checked<Cattle> {
    let calf_price = yuan(&path.key("calf_price"), c.calf_price)?;
    if calf_price == 0.0 {
        return fail(&path.key("calf_price"), "must be above 0 (head are counted in calves)");
    }
    Ok(Cattle {
        calf_price,
        sale_price: yuan(&path.key("sale_price"), c.sale_price)?,
        price_sd: bounded(&path.key("price_sd"), c.price_sd, 0.0, 2.0)?,
        feed_cost: yuan(&path.key("feed_cost"), c.feed_cost)?,
        mortality: unit(&path.key("mortality"), c.mortality)?,
        household_share: unit(&path.key("household_share"), c.household_share)?,
        insured: c.insured,
        premium_rate: unit(&path.key("premium_rate"), c.premium_rate)?,
        insurance_cover: unit(&path.key("insurance_cover"), c.insurance_cover)?,
        capacity: count(&path.key("capacity"), c.capacity, 0, 100_000_000)?,
        failure_probability: unit(&path.key("failure_probability"), c.failure_probability)?,
        recovery: unit(&path.key("recovery"), c.recovery)?,
    })
}

fn equity(path: &KeyPath, e: &RawEquity) -> Checked<Equity> {
    Ok(Equity {
        return_mode: e.return_mode,
        return_rate: bounded(&path.key("return_rate"), e.return_rate, 0.0, 10.0)?,
        return_sd: bounded(&path.key("return_sd"), e.return_sd, 0.0, 2.0)?,
        failure_probability: unit(&path.key("failure_probability"), e.failure_probability)?,
        recovery: unit(&path.key("recovery"), e.recovery)?,
        household_invest_share: unit(&path.key("household_invest_share"), e.household_invest_share)?,
        household_reserve: bounded(&path.key("household_reserve"), e.household_reserve, 0.0, 1e9)?,
        collective_invest_share: unit(&path.key("collective_invest_share"), e.collective_invest_share)?,
    })
}

/// A strategy's program design.
pub fn plan(path: &KeyPath, s: &RawStrategy) -> Checked<Plan> {
    Ok(Plan {
        menu: s.menu,
        ordering: s.ordering,
        matching: s.matching,
        delivery: s.delivery,
        budget: yuan(&path.key("budget"), s.budget)?,
    })
}

fn first_year(t: &std::collections::BTreeMap<String, f64>) -> Option<i32> {
    t.keys().filter_map(|k| k.parse::<i32>().ok()).min()
}

fn bounded(path: &KeyPath, x: f64, lo: f64, hi: f64) -> Checked<f64> {
    finite(path, x)?;
    if (lo..=hi).contains(&x) {
        Ok(x)
    } else {
        fail(path, format!("must be between {lo} and {hi}, got {}", number(x)))
    }
}

fn population(path: &KeyPath, raw: &RawScenario) -> Checked<Population> {
    let p = &raw.population;
    let sizes = &p.household_size;
    let sp = path.key("household_size");
    if sizes.is_empty() || sizes.len() > 20 {
        return fail(
            &sp,
            format!(
                "must list the probabilities of household sizes 1, 2, … (1 to 20 entries), got {} entries",
                sizes.len()
            ),
        );
    }
    let mut cdf = Vec::with_capacity(sizes.len());
    let mut acc = 0.0;
    for (i, &s) in sizes.iter().enumerate() {
        acc += unit(&sp.index(i), s)?;
        cdf.push(acc);
    }
    if (acc - 1.0).abs() > 1e-3 {
        return fail(&sp, format!("probabilities must sum to 1, got {acc:.4}"));
    }
    if let Some(last) = cdf.last_mut() {
        *last = 1.0;
    }
    Ok(Population {
        household_size_cdf: cdf,
        working_age_share: unit(&path.key("working_age_share"), p.working_age_share)?,
        chronic_illness_rate: unit(&path.key("chronic_illness_rate"), p.chronic_illness_rate)?,
        disability_rate: unit(&path.key("disability_rate"), p.disability_rate)?,
        other_without_labour: unit(&path.key("other_without_labour"), p.other_without_labour)?,
        skill: unit_dist(&path.key("skill"), p.skill)?,
        skill_poor: unit_dist(&path.key("skill_poor"), p.skill_poor)?,
        motivation: unit_dist(&path.key("motivation"), p.motivation)?,
        motivation_poor: unit_dist(&path.key("motivation_poor"), p.motivation_poor)?,
        farmland_poor: land_dist(&path.key("farmland_poor"), p.farmland_poor)?,
        migrant_share_poor: unit(&path.key("migrant_share_poor"), p.migrant_share_poor)?,
        savings: money_dist(&path.key("savings"), p.savings)?,
        savings_poor: money_dist(&path.key("savings_poor"), p.savings_poor)?,
        debt_share_poor: unit(&path.key("debt_share_poor"), p.debt_share_poor)?,
        debt_poor: money_dist(&path.key("debt_poor"), p.debt_poor)?,
        productivity_sd: bounded(&path.key("productivity_sd"), p.productivity_sd, 0.0, 3.0)?,
        exited_before_baseline: bounded(&path.key("exited_before_baseline"), p.exited_before_baseline, 0.0, 10.0)?,
        income_target: p.income.map(|t| income_target(&path.key("income"), t)).transpose()?,
    })
}

fn income_target(path: &KeyPath, t: raw::IncomeTarget) -> Checked<IncomeTarget> {
    let mean = bounded(&path.key("mean"), t.mean, 1.0, 1e6)?;
    let names = ["wages", "business", "property", "transfers"];
    let given = [t.wages, t.business, t.property, t.transfers];
    let shares = match given.iter().filter(|s| s.is_some()).count() {
        0 => None,
        4 => {
            let mut shares = [0.0; 4];
            for (k, (name, s)) in names.iter().zip(given).enumerate() {
                shares[k] = unit(&path.key(name), s.unwrap_or_default())?;
            }
            let sum: f64 = shares.iter().sum();
            if (sum - 1.0).abs() > 0.01 {
                return fail(
                    &path.key("transfers"),
                    format!("wages, business, property and transfers must sum to 1 (within 0.01), got {sum:.4}"),
                );
            }
            Some(shares.map(|s| s / sum))
        }
        _ => {
            let missing = names.iter().zip(given).find(|(_, s)| s.is_none()).map(|(n, _)| *n);
            return fail(
                &path.key(missing.unwrap_or("wages")),
                "must be given when any share is: state wages, business, property and transfers together, or none"
                    .to_string(),
            );
        }
    };
    Ok(IncomeTarget {
        mean,
        shares,
        mean_tolerance: bounded(&path.key("mean_tolerance"), t.mean_tolerance, 1e-4, 0.5)?,
        share_tolerance: bounded(&path.key("share_tolerance"), t.share_tolerance, 1e-4, 0.5)?,
    })
}

/// The largest county we accept, in households: beyond this a run would not fit the
/// memory of a workstation, and the message says so before any allocation.
pub const MAX_HOUSEHOLDS: i64 = 50_000_000;

/// The most villages we accept: a province, not a county, has this many, and
/// each costs memory in every strategy's model before a run could refuse it.
pub const MAX_VILLAGES: i64 = 1_000_000;

/// The name of the `k`-th (from 0) of the `count` villages of one `[[village]]`
/// entry named `base`: the name itself for one village, else numbered from 1.
pub fn village_name(base: &str, count: u32, k: u32) -> String {
    if count == 1 {
        base.to_string()
    } else {
        format!("{base} {}", k + 1)
    }
}

fn villages(root: &KeyPath, raw: &RawScenario) -> Checked<Vec<Village>> {
    let vp = root.key("village");
    if raw.village.is_empty() {
        return fail(
            &vp,
            "must list at least one village: add a [[village]] table with a name and a number of households",
        );
    }
    let p = &raw.population;
    let pp = root.key("population");
    let county_incidence = unit(&pp.key("starting_incidence"), p.starting_incidence)?;
    let county_mix = cause_mix(&pp.key("cause_mix"), p.cause_mix)?;
    let county_land = land_dist(&pp.key("farmland"), p.farmland)?;
    let county_migrants = unit(&pp.key("migrant_share"), p.migrant_share)?;

    let mut out = Vec::new();
    // Each name and the village entry it came from: names label households.csv's
    // `village` column, so two villages may not share one (issue 16).
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut total: i64 = 0;
    let mut villages: i64 = 0;
    for (i, v) in raw.village.iter().enumerate() {
        let path = vp.index(i);
        if v.name.trim().is_empty() {
            return fail(&path.key("name"), "must not be empty");
        }
        let n = count(&path.key("count"), v.count, 1, 100_000)?;
        villages += i64::from(n);
        if villages > MAX_VILLAGES {
            return fail(
                &path.key("count"),
                format!("brings the county to more than {MAX_VILLAGES} villages, the most sandan simulates"),
            );
        }
        let households = count(&path.key("households"), v.households, 1, MAX_HOUSEHOLDS)?;
        total += i64::from(n) * i64::from(households);
        if total > MAX_HOUSEHOLDS {
            return fail(
                &path.key("households"),
                format!("brings the county to more than {MAX_HOUSEHOLDS} households, the most sandan simulates"),
            );
        }
        let incidence = match v.starting_incidence {
            Some(x) => unit(&path.key("starting_incidence"), x)?,
            None => county_incidence,
        };
        let mix = match v.cause_mix {
            Some(m) => cause_mix(&path.key("cause_mix"), m)?,
            None => county_mix,
        };
        let farmland = match v.farmland {
            Some(d) => land_dist(&path.key("farmland"), d)?,
            None => county_land,
        };
        let migrant_share = match v.migrant_share {
            Some(x) => unit(&path.key("migrant_share"), x)?,
            None => county_migrants,
        };
        for k in 0..n {
            let name = village_name(&v.name, n, k);
            if let Some(&first) = seen.get(&name) {
                let how = if n == 1 {
                    String::new()
                } else {
                    format!(
                        " (count = {n} numbers this entry's villages '{} 1', '{} 2', …)",
                        shown(&v.name),
                        shown(&v.name)
                    )
                };
                return fail(
                    &path.key("name"),
                    format!(
                        "gives a village the name '{}' that village[{first}] already has{how}; village names must differ, since they label the rows of households.csv",
                        shown(&name)
                    ),
                );
            }
            seen.insert(name.clone(), i);
            out.push(Village {
                name,
                households,
                starting_incidence: incidence,
                cause_mix: mix,
                farmland,
                migrant_share,
                poor: v.poor,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::raw::RawVillage;

    fn village(households: i64) -> RawVillage {
        RawVillage {
            name: "v".into(),
            count: 1,
            households,
            starting_incidence: None,
            cause_mix: None,
            farmland: None,
            migrant_share: None,
            poor: false,
        }
    }

    fn raw() -> RawScenario {
        RawScenario {
            village: vec![
                village(10),
                RawVillage {
                    name: "w".into(),
                    ..village(20)
                },
            ],
            ..RawScenario::default()
        }
    }

    #[test]
    fn defaults_are_valid() {
        let r = raw();
        let f = frame(&r).unwrap();
        let m = model(&r, f.start_year).unwrap();
        assert_eq!(m.villages.len(), 2);
        assert_eq!(m.household_count(), 30);
        assert_eq!(m.exit.village_threshold, 0.02);
    }

    #[test]
    fn west_region_uses_three_percent_village_threshold() {
        let mut r = raw();
        r.region = Region::West;
        assert_eq!(model(&r, 2016).unwrap().exit.village_threshold, 0.03);
    }

    #[test]
    fn zero_households_names_the_village() {
        let mut r = raw();
        r.village[1].households = 0;
        let e = model(&r, 2016).unwrap_err();
        assert_eq!(e.message, "village[1].households must be at least 1, got 0");
    }

    #[test]
    fn probability_out_of_range() {
        let mut r = raw();
        r.health.reimbursement_rate = 1.5;
        let e = model(&r, 2016).unwrap_err();
        assert_eq!(e.message, "health.reimbursement_rate must be between 0 and 1, got 1.5");
    }

    #[test]
    fn shares_above_one_are_refused() {
        let mut r = raw();
        r.population.cause_mix.other = 0.6;
        let e = model(&r, 2016).unwrap_err();
        assert!(
            e.message.starts_with("population.cause_mix shares must sum to 1"),
            "{}",
            e.message
        );
    }

    #[test]
    fn end_before_start_is_refused() {
        let mut r = raw();
        r.end_year = 2015;
        let e = frame(&r).err().unwrap();
        assert_eq!(e.message, "end_year must not be before start_year (2016), got 2015");
    }

    #[test]
    fn negative_count_is_refused() {
        let mut r = raw();
        r.replicates = -3;
        assert_eq!(
            frame(&r).err().unwrap().message,
            "replicates must be at least 1, got -3"
        );
    }

    #[test]
    fn count_expands_villages_with_numbered_names() {
        let mut r = raw();
        r.village[0].count = 3;
        let m = model(&r, 2016).unwrap();
        let names: Vec<_> = m.villages.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["v 1", "v 2", "v 3", "w"]);
    }

    /// Issue 13: a grant to more households a village than the smallest village has
    /// is refused, naming the key, the village and the most allowed.
    #[test]
    fn issue13_a_grant_larger_than_a_village_is_refused() {
        let mut r = raw();
        r.program.grant.item = "welfare_job".into();
        r.program.grant.per_village = 10;
        assert_eq!(model(&r, 2016).unwrap().program.grant.map(|g| g.per_village), Some(10));
        r.program.grant.per_village = 11;
        let e = model(&r, 2016).unwrap_err();
        assert_eq!(e.path.to_string(), "program.grant.per_village");
        assert_eq!(
            e.message,
            "program.grant.per_village must be at most 10 (the households of the smallest village, 'v'), got 11"
        );
        // Without an item nothing is granted, so the number does not matter.
        r.program.grant.item.clear();
        assert!(model(&r, 2016).unwrap().program.grant.is_none());
    }

    #[test]
    fn issue16_village_names_must_differ() {
        let mut r = raw();
        r.village[1].name = "v".into();
        let e = model(&r, 2016).unwrap_err();
        assert_eq!(e.path.to_string(), "village[1].name");
        assert!(e.message.contains("'v' that village[0] already has"), "{}", e.message);
        // A numbered name may collide with a plain one too.
        let mut r = raw();
        r.village[0].count = 2;
        r.village[1].name = "v 2".into();
        let e = model(&r, 2016).unwrap_err();
        assert!(e.message.contains("'v 2' that village[0]"), "{}", e.message);
    }

    #[test]
    fn issue16_year_keys_must_be_plain_years() {
        for key in ["02016", "+2016", " 2016", "2016 ", "2016.0", "-2016"] {
            let mut r = raw();
            r.poverty_line.insert(key.into(), 3000.0);
            let e = model(&r, 2016).unwrap_err();
            assert!(e.message.contains("is not a plain year"), "{key}: {}", e.message);
        }
    }

    #[test]
    fn issue16_echoed_names_are_escaped_and_cut() {
        assert_eq!(shown("a\nb'"), "a\\nb\\'");
        assert_eq!(shown("a\nb"), "a\\nb");
        let long = "x".repeat(1_000_000);
        assert_eq!(shown(&long).chars().count(), SHOWN_CHARS + 1);
        let mut r = raw();
        r.village[1].name = format!("v\n{long}");
        r.village[0].name = r.village[1].name.clone();
        let e = model(&r, 2016).unwrap_err();
        assert!(
            !e.message.contains('\n') && e.message.len() < 400,
            "{}",
            &e.message[..200]
        );
        assert!(one_line(&long).chars().count() < 700);
    }

    #[test]
    fn issue16_spreads_and_land_are_bounded() {
        let mut r = raw();
        r.population.savings = MeanSd { mean: 1e-300, sd: 1.0 };
        let e = model(&r, 2016).unwrap_err();
        assert_eq!(e.path.to_string(), "population.savings.sd");
        assert!(
            e.message.contains("at most 100 times the mean (1e-300)"),
            "{}",
            e.message
        );
        let mut r = raw();
        r.population.farmland.mean = 1e308;
        let e = model(&r, 2016).unwrap_err();
        assert_eq!(
            e.message,
            "population.farmland.mean must be at most 1000000 mu, got 1e308"
        );
        let mut r = raw();
        r.shocks.weather_sd = 1e308;
        assert!(model(&r, 2016).is_err());
    }

    #[test]
    fn impossible_beta_spread_is_explained() {
        let mut r = raw();
        r.population.skill.sd = 0.6;
        let e = model(&r, 2016).unwrap_err();
        assert!(
            e.message.starts_with("population.skill.sd must be below"),
            "{}",
            e.message
        );
    }

    #[test]
    fn poverty_line_must_cover_the_start() {
        let mut r = raw();
        r.start_year = 2005;
        let e = model(&r, 2005).unwrap_err();
        assert!(e.message.contains("start_year 2005"), "{}", e.message);
    }

    #[test]
    fn year_table_keys_must_be_years() {
        let mut r = raw();
        r.poverty_line.insert("soon".into(), 3000.0);
        let e = model(&r, 2016).unwrap_err();
        assert!(
            e.message.starts_with("poverty_line.soon is not a plain year"),
            "{}",
            e.message
        );
    }
}
