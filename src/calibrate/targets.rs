//! The targets file: what reality showed, how sure we are of it, and what may move.
//!
//! ```toml
//! strategy = "three_order"          # the strategy that ran in reality
//!
//! [[observation]]
//! metric = "official_incidence"     # any column of trajectories.csv
//! year = 2018
//! count = 8                         # persons: 8 of 930 (binomial error) …
//! of = 930
//!
//! [[observation]]
//! metric = "mean_income"
//! year = 2018
//! value = 9000.0                    # … or a value with its standard deviation
//! sd = 500.0
//!
//! [[parameter]]
//! path = "population.savings_poor.mean"   # a dotted path, as overrides use
//! prior = "uniform"                       # uniform, log_uniform, normal, beta
//! low = 0.0
//! high = 5000.0
//! ```

use crate::metrics::YearMetrics;
use crate::scenario::validate::{Invalid, KeyPath};
use crate::scenario::{self, Scenario, ScenarioError};
use serde::Deserialize;

/// Metrics that are shares of a population, so that an observation may be given as
/// `count` out of `of` with a binomial error.
pub const SHARE_METRICS: &[&str] = &["incidence", "incidence_households", "official_incidence"];

/// One observed value of a metric in a year, with its observation error.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub metric: String,
    /// The metric's column in [`YearMetrics::NAMES`].
    pub column: usize,
    pub year: i32,
    pub value: f64,
    /// The standard deviation of the observation error (> 0).
    pub sd: f64,
}

/// A prior distribution of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    Uniform {
        low: f64,
        high: f64,
    },
    /// Uniform in the logarithm, on `[low, high]` with `0 < low`.
    LogUniform {
        low: f64,
        high: f64,
    },
    /// A normal distribution truncated to `[low, high]` (either may be infinite).
    Normal {
        mean: f64,
        sd: f64,
        low: f64,
        high: f64,
    },
    /// A beta distribution on `[0, 1]`.
    Beta {
        alpha: f64,
        beta: f64,
    },
}

impl Prior {
    /// The interval the parameter may take.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Prior::Uniform { low, high } | Prior::LogUniform { low, high } | Prior::Normal { low, high, .. } => {
                (low, high)
            }
            Prior::Beta { .. } => (0.0, 1.0),
        }
    }

    /// The unnormalised density at `x` (0 outside the bounds).
    pub fn density(&self, x: f64) -> f64 {
        let (low, high) = self.bounds();
        if !(low..=high).contains(&x) {
            return 0.0;
        }
        match *self {
            Prior::Uniform { .. } => 1.0,
            Prior::LogUniform { .. } => 1.0 / x,
            Prior::Normal { mean, sd, .. } => (-0.5 * ((x - mean) / sd).powi(2)).exp(),
            Prior::Beta { alpha, beta } => x.powf(alpha - 1.0) * (1.0 - x).powf(beta - 1.0),
        }
    }

    /// A representative value inside the bounds (used to check a path before running).
    pub fn centre(&self) -> f64 {
        match *self {
            Prior::Uniform { low, high } => 0.5 * (low + high),
            Prior::LogUniform { low, high } => (low * high).sqrt(),
            Prior::Normal { mean, low, high, .. } => mean.clamp(low, high),
            Prior::Beta { alpha, beta } => alpha / (alpha + beta),
        }
    }
}

/// A parameter to fit: a dotted scenario path and its prior.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub path: String,
    pub prior: Prior,
    /// Whether the key takes a whole number (the value is rounded before it is set).
    pub integer: bool,
}

/// A validated targets file.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// The strategy that ran in reality.
    pub strategy: String,
    pub observations: Vec<Observation>,
    pub parameters: Vec<Parameter>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    strategy: String,
    #[serde(default)]
    observation: Vec<RawObservation>,
    #[serde(default)]
    parameter: Vec<RawParameter>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObservation {
    metric: String,
    year: i64,
    value: Option<f64>,
    sd: Option<f64>,
    count: Option<f64>,
    of: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    path: String,
    prior: String,
    low: Option<f64>,
    high: Option<f64>,
    mean: Option<f64>,
    sd: Option<f64>,
    alpha: Option<f64>,
    beta: Option<f64>,
    #[serde(default)]
    integer: bool,
}

fn invalid(path: KeyPath, message: String) -> Invalid {
    Invalid { path, message }
}

/// Read a targets file's text and check it against `scenario` (whose text is
/// `scenario_text`, read from `scenario_file`): the strategy exists, every metric is
/// a column of `trajectories.csv`, every year is simulated, and every parameter's
/// path takes a value inside its prior's bounds.
pub fn parse(
    text: &str,
    file: &str,
    scenario: &Scenario,
    scenario_text: &str,
    scenario_file: &str,
) -> Result<Targets, ScenarioError> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        scenario::located(file, text, offset, format!("malformed TOML: {}", e.message().trim()))
    })?;
    let here = |inv: Invalid| scenario::at_path(file, text, &doc, &inv.path, inv.message);
    let de = toml::Deserializer::parse(text).map_err(|e| {
        scenario::located(
            file,
            text,
            e.span().map(|s| s.start).unwrap_or(0),
            e.message().to_string(),
        )
    })?;
    let raw: RawTargets = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let offset = inner.span().map(|s| s.start).unwrap_or(0);
        let message = if path.is_empty() || path == "." {
            inner.message().to_string()
        } else {
            format!("{path}: {}", inner.message())
        };
        scenario::located(file, text, offset, message)
    })?;
    let root = KeyPath::default();

    if let Err(m) = scenario.strategy_index(&raw.strategy) {
        return Err(here(invalid(root.key("strategy"), format!("strategy: {m}"))));
    }
    if raw.observation.is_empty() {
        return Err(here(invalid(
            root,
            "there is no [[observation]]; a calibration needs at least one".into(),
        )));
    }
    let mut observations = Vec::new();
    for (i, o) in raw.observation.iter().enumerate() {
        observations.push(observation(&root.key("observation").index(i), i, o, scenario).map_err(here)?);
    }
    let mut parameters = Vec::new();
    for (i, p) in raw.parameter.iter().enumerate() {
        let at = root.key("parameter").index(i);
        let parameter = parameter(&at, i, p).map_err(here)?;
        if parameters.iter().any(|q: &Parameter| q.path == parameter.path) {
            return Err(here(invalid(
                at.key("path"),
                format!("parameter[{i}].path '{}' is fitted twice", short(&p.path)),
            )));
        }
        check_path(&parameter, scenario_text, scenario_file)
            .map_err(|m| here(invalid(at.key("path"), format!("parameter[{i}].path: {m}"))))?;
        parameters.push(parameter);
    }
    Ok(Targets {
        strategy: raw.strategy,
        observations,
        parameters,
    })
}

/// Cut a user's string for a message.
fn short(s: &str) -> String {
    let cut: String = s.chars().take(64).collect();
    cut.escape_debug().to_string()
}

fn observation(at: &KeyPath, i: usize, o: &RawObservation, scenario: &Scenario) -> Result<Observation, Invalid> {
    let name = format!("observation[{i}]");
    let column = YearMetrics::NAMES.iter().position(|&n| n == o.metric).ok_or_else(|| {
        invalid(
            at.key("metric"),
            format!(
                "{name}.metric: no metric '{}'; metrics are the columns of trajectories.csv: {}",
                short(&o.metric),
                YearMetrics::NAMES.join(", ")
            ),
        )
    })?;
    if o.year < i64::from(scenario.start_year) || o.year > i64::from(scenario.end_year) {
        return Err(invalid(
            at.key("year"),
            format!(
                "{name}.year must be a simulated year, {}–{}, got {}",
                scenario.start_year, scenario.end_year, o.year
            ),
        ));
    }
    let (value, sd) = match (o.value, o.sd, o.count, o.of) {
        (Some(value), Some(sd), None, None) => {
            if !value.is_finite() {
                return Err(invalid(
                    at.key("value"),
                    format!("{name}.value must be a finite number"),
                ));
            }
            if !(sd.is_finite() && sd > 0.0) {
                return Err(invalid(
                    at.key("sd"),
                    format!("{name}.sd must be a positive number, got {sd}"),
                ));
            }
            (value, sd)
        }
        (None, None, Some(count), Some(of)) => {
            if !SHARE_METRICS.contains(&o.metric.as_str()) {
                return Err(invalid(
                    at.key("count"),
                    format!(
                        "{name}: count/of is for shares ({}); give '{}' a value and sd",
                        SHARE_METRICS.join(", "),
                        o.metric
                    ),
                ));
            }
            if !(1.0..=1e9).contains(&of) {
                return Err(invalid(
                    at.key("of"),
                    format!("{name}.of must be a population between 1 and 1e9, got {of}"),
                ));
            }
            if !(count.is_finite() && (0.0..=of).contains(&count)) {
                return Err(invalid(
                    at.key("count"),
                    format!("{name}.count must be between 0 and of ({of}), got {count}"),
                ));
            }
            (count / of, binomial_sd(count, of))
        }
        _ => {
            return Err(invalid(
                at.clone(),
                format!("{name} needs either value and sd, or count and of (a share with a binomial error)"),
            ));
        }
    };
    Ok(Observation {
        metric: o.metric.clone(),
        column,
        year: o.year as i32,
        value,
        sd,
    })
}

/// The standard error of a share observed as `count` of `of`: the binomial
/// √(p(1 − p)/n), with p shrunk as (count + ½)/(of + 1) so that a count of 0 or of
/// all still has an error (0.85% of 930 gives ±0.30 points).
pub fn binomial_sd(count: f64, of: f64) -> f64 {
    let p = (count + 0.5) / (of + 1.0);
    (p * (1.0 - p) / of).sqrt()
}

fn parameter(at: &KeyPath, i: usize, p: &RawParameter) -> Result<Parameter, Invalid> {
    let name = format!("parameter[{i}]");
    let need = |v: Option<f64>, key: &str| -> Result<f64, Invalid> {
        match v {
            Some(x) if x.is_finite() => Ok(x),
            Some(x) => Err(invalid(
                at.key(key),
                format!("{name}.{key} must be a finite number, got {x}"),
            )),
            None => Err(invalid(
                at.key("prior"),
                format!("{name}: prior '{}' needs {key}", p.prior),
            )),
        }
    };
    let refuse = |keys: &[(&str, Option<f64>)]| -> Result<(), Invalid> {
        match keys.iter().find(|(_, v)| v.is_some()) {
            Some((k, _)) => Err(invalid(
                at.key(k),
                format!("{name}.{k} does not belong to a '{}' prior", p.prior),
            )),
            None => Ok(()),
        }
    };
    let prior = match p.prior.as_str() {
        "uniform" | "log_uniform" => {
            refuse(&[("mean", p.mean), ("sd", p.sd), ("alpha", p.alpha), ("beta", p.beta)])?;
            let (low, high) = (need(p.low, "low")?, need(p.high, "high")?);
            if low >= high {
                return Err(invalid(
                    at.key("high"),
                    format!("{name}.high must exceed low ({low}), got {high}"),
                ));
            }
            if p.prior == "uniform" {
                Prior::Uniform { low, high }
            } else if low <= 0.0 {
                return Err(invalid(
                    at.key("low"),
                    format!("{name}.low must be positive for a log_uniform prior, got {low}"),
                ));
            } else {
                Prior::LogUniform { low, high }
            }
        }
        "normal" => {
            refuse(&[("alpha", p.alpha), ("beta", p.beta)])?;
            let (mean, sd) = (need(p.mean, "mean")?, need(p.sd, "sd")?);
            if sd <= 0.0 {
                return Err(invalid(at.key("sd"), format!("{name}.sd must be positive, got {sd}")));
            }
            let low = p.low.unwrap_or(f64::NEG_INFINITY);
            let high = p.high.unwrap_or(f64::INFINITY);
            if low.is_nan() || high.is_nan() || low >= high {
                return Err(invalid(
                    at.key("high"),
                    format!("{name}.high must exceed low ({low}), got {high}"),
                ));
            }
            Prior::Normal { mean, sd, low, high }
        }
        "beta" => {
            refuse(&[("low", p.low), ("high", p.high), ("mean", p.mean), ("sd", p.sd)])?;
            let (alpha, beta) = (need(p.alpha, "alpha")?, need(p.beta, "beta")?);
            for (k, v) in [("alpha", alpha), ("beta", beta)] {
                if v <= 0.0 {
                    return Err(invalid(at.key(k), format!("{name}.{k} must be positive, got {v}")));
                }
            }
            Prior::Beta { alpha, beta }
        }
        other => {
            return Err(invalid(
                at.key("prior"),
                format!(
                    "{name}.prior must be uniform, log_uniform, normal or beta, got '{}'",
                    short(other)
                ),
            ));
        }
    };
    Ok(Parameter {
        path: p.path.clone(),
        prior,
        integer: p.integer,
    })
}

/// The scenario text with `values` set at the parameters' paths (shared keys refused).
pub fn with_values(scenario_text: &str, parameters: &[Parameter], values: &[f64]) -> Result<String, String> {
    let mut tree: toml::Table = toml::from_str(scenario_text).map_err(|e| e.message().to_string())?;
    for (p, &v) in parameters.iter().zip(values) {
        let top = p.path.split('.').next().unwrap_or_default();
        if scenario::SHARED_KEYS.contains(&top) {
            return Err(format!("'{top}' is shared by all strategies and cannot be fitted"));
        }
        let value = if p.integer {
            toml::Value::Integer(v.round() as i64)
        } else {
            toml::Value::Float(v)
        };
        scenario::apply_override(&mut tree, &p.path, value)?;
    }
    toml::to_string(&tree).map_err(|e| e.to_string())
}

/// The scenario file's own text with `values` set at the parameters' paths, and
/// nothing else changed: its comments, order and layout are kept (`toml_edit`).
/// Beside each fitted key goes `notes[k]` as a comment (where TOML allows one: not
/// inside an inline table or array; a comment already there is kept after it).
///
/// A key the file does not state is added with what [`with_values`] would set:
/// where the path first leaves the file, an inline table holds only the path's keys,
/// except the table that holds the fitted key itself, which takes all its entries
/// (the other years of a year table, the `sd` of a mean/sd pair). The result is
/// checked to make the same scenario as [`with_values`]'s; if it does not, `Ok(None)`.
pub fn edit_values(
    scenario_text: &str,
    parameters: &[Parameter],
    values: &[f64],
    notes: &[String],
) -> Result<Option<String>, String> {
    let whole = with_values(scenario_text, parameters, values)?;
    let want: toml::Value = toml::from_str(&whole).map_err(|e| e.message().to_string())?;
    let mut doc: toml_edit::DocumentMut = scenario_text.parse().map_err(|e: toml_edit::TomlError| e.to_string())?;
    for (k, (p, &v)) in parameters.iter().zip(values).enumerate() {
        let value = if p.integer {
            toml_edit::Value::from(v.round() as i64)
        } else {
            toml_edit::Value::from(v)
        };
        let parts: Vec<&str> = p.path.split('.').collect();
        let note = notes.get(k).map_or("", String::as_str);
        if set_kept(doc.as_table_mut(), &parts, &parts, value, note, &want, false).is_none() {
            return Ok(None);
        }
    }
    let edited = doc.to_string();
    let same = match (
        scenario::parse(&edited, "calibrated.toml", "calibrated"),
        scenario::parse(&whole, "calibrated.toml", "calibrated"),
    ) {
        (Ok(a), Ok(b)) => format!("{a:?}") == format!("{b:?}"),
        _ => false,
    };
    Ok(same.then_some(edited))
}

/// Set `rest` (the tail of `path`) under `table` to `value`, keeping decor; `None`
/// where the file's shape does not allow it (a list of plain values on the path).
fn set_kept(
    table: &mut dyn toml_edit::TableLike,
    path: &[&str],
    rest: &[&str],
    value: toml_edit::Value,
    note: &str,
    want: &toml::Value,
    inline: bool,
) -> Option<()> {
    let (part, tail) = rest.split_first()?;
    let Some(child) = table.get_mut(part) else {
        // The first part of the path the file lacks: add what `with_values` set there.
        let depth = path.len() - rest.len();
        let mut at = want;
        for p in &path[..=depth] {
            at = match at {
                toml::Value::Table(t) => t.get(*p),
                toml::Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }?;
        }
        let mut added = if tail.is_empty() { value } else { pruned(at, tail) };
        if !inline {
            annotate(&mut added, note);
        }
        table.insert(part, toml_edit::Item::Value(added));
        return Some(());
    };
    if tail.is_empty() {
        let mut value = value;
        if let Some(old) = child.as_value() {
            *value.decor_mut() = old.decor().clone();
        }
        if !inline {
            annotate(&mut value, note);
        }
        *child = toml_edit::Item::Value(value);
        return Some(());
    }
    match child {
        toml_edit::Item::Table(t) => set_kept(t, path, tail, value, note, want, inline),
        toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => set_kept(t, path, tail, value, note, want, true),
        toml_edit::Item::ArrayOfTables(a) => {
            let (index, tail) = tail.split_first()?;
            let t = a.get_mut(index.parse().ok()?)?;
            if tail.is_empty() {
                return None;
            }
            set_kept(t, path, tail, value, note, want, inline)
        }
        _ => None,
    }
}

/// `at` as an inline value keeping, below it, only the keys along `tail`, and
/// every entry of the table that holds the last of them.
fn pruned(at: &toml::Value, tail: &[&str]) -> toml_edit::Value {
    match (at, tail.split_first()) {
        (toml::Value::Table(t), Some((key, rest))) if !rest.is_empty() => {
            let mut inline = toml_edit::InlineTable::new();
            if let Some(v) = t.get(*key) {
                inline.insert(*key, pruned(v, rest));
            }
            toml_edit::Value::InlineTable(inline)
        }
        _ => to_edit(at),
    }
}

fn to_edit(v: &toml::Value) -> toml_edit::Value {
    match v {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => (*f).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => d.to_string().as_str().into(),
        toml::Value::Array(a) => toml_edit::Value::Array(a.iter().map(to_edit).collect()),
        toml::Value::Table(t) => {
            toml_edit::Value::InlineTable(t.iter().map(|(k, v)| (k.as_str(), to_edit(v))).collect())
        }
    }
}

/// Put `note` in the comment beside `value`, before any comment already there.
fn annotate(value: &mut toml_edit::Value, note: &str) {
    if note.is_empty() {
        return;
    }
    let old = value
        .decor()
        .suffix()
        .and_then(|s| s.as_str())
        .map(|s| s.trim().trim_start_matches('#').trim().to_string())
        .unwrap_or_default();
    let comment = if old.is_empty() {
        format!(" # {note}")
    } else {
        format!(" # {note}; {old}")
    };
    value.decor_mut().set_suffix(comment);
}

/// Check that a parameter's path takes its prior's centre.
fn check_path(p: &Parameter, scenario_text: &str, scenario_file: &str) -> Result<(), String> {
    let text = with_values(scenario_text, std::slice::from_ref(p), &[p.prior.centre()])?;
    scenario::parse(&text, scenario_file, "scenario")
        .map(|_| ())
        .map_err(|e| match e {
            ScenarioError::Invalid { message, .. } => message,
            other => other.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = "name = \"t\"\nstart_year = 2016\nend_year = 2018\nreplicates = 2\n[[village]]\nname = \"a\"\nhouseholds = 20\n[[strategy]]\nname = \"base\"\n";

    fn read(targets: &str) -> Result<Targets, String> {
        let s = scenario::parse(SCENARIO, "s.toml", "s").unwrap();
        parse(targets, "t.toml", &s, SCENARIO, "s.toml").map_err(|e| e.to_string())
    }

    const GOOD: &str = "strategy = \"base\"\n[[observation]]\nmetric = \"official_incidence\"\nyear = 2018\ncount = 8\nof = 930\n[[observation]]\nmetric = \"mean_income\"\nyear = 2017\nvalue = 9000.0\nsd = 500.0\n[[parameter]]\npath = \"population.savings_poor.mean\"\nprior = \"uniform\"\nlow = 0.0\nhigh = 5000.0\n[[parameter]]\npath = \"dibao.take_up_other\"\nprior = \"beta\"\nalpha = 2.0\nbeta = 2.0\n";

    fn fitted(path: &str) -> Parameter {
        Parameter {
            path: path.into(),
            prior: Prior::Uniform { low: 0.0, high: 1e4 },
            integer: path.ends_with("households"),
        }
    }

    /// Issue 12: calibrated.toml keeps the scenario file's comments and layout, and
    /// changes only the fitted keys, however they are reached.
    #[test]
    fn fitted_values_are_set_in_the_file_as_it_was_written() {
        let text = "# A village as its planner wrote it.\nname = \"t\"\nstart_year = 2016\nend_year = 2021\nreplicates = 2\n\n[population]\nstarting_incidence = 0.25   # from the 2015 register\n# savings: the county survey\nsavings = { mean = 9000.0, sd = 4000.0 }\n\n[[village]]\nname = \"a\"\nhouseholds = 20\n\n[[strategy]]\nname = \"base\"  # what ran\n";
        let ps = [
            fitted("population.starting_incidence"),
            fitted("population.savings_poor.mean"),
            fitted("population.savings.mean"),
            fitted("poverty_line.2020"),
            fitted("dibao.take_up_other"),
            fitted("village.0.households"),
        ];
        let values = [0.125, 2500.0, 7000.0, 4100.0, 0.75, 31.4];
        let notes: Vec<String> = (0..ps.len()).map(|k| format!("note {k}")).collect();
        let edited = edit_values(text, &ps, &values, &notes)
            .unwrap()
            .expect("the same scenario");
        // Comments and the order of the file are kept.
        for kept in [
            "# A village as its planner wrote it.\n",
            "# savings: the county survey\n",
            "name = \"base\"  # what ran\n",
        ] {
            assert!(edited.contains(kept), "{kept} in\n{edited}");
        }
        assert!(edited.find("[population]") < edited.find("[[village]]"));
        // A fitted key keeps its line and comment, after the note.
        assert!(
            edited.contains("starting_incidence = 0.125 # note 0; from the 2015 register\n"),
            "{edited}"
        );
        // A mean alone keeps the file's sd (inside an inline table: no comment), or
        // takes the default sd where the file has none.
        assert!(edited.contains("savings = { mean = 7000.0, sd = 4000.0 }"), "{edited}");
        assert!(
            edited.contains("savings_poor = { mean = 2500.0, sd = 1500.0 } # note 1"),
            "{edited}"
        );
        // One year of a year table: the others are the defaults.
        assert!(edited.contains("2020 = 4100.0"), "{edited}");
        assert!(edited.contains("2016 = 2952.0"), "{edited}");
        assert!(edited.contains("households = 31 # note 5"), "{edited}");
        // It is the scenario with_values makes.
        let s = scenario::parse(&edited, "c.toml", "c").unwrap();
        let w = scenario::parse(&with_values(text, &ps, &values).unwrap(), "c.toml", "c").unwrap();
        assert_eq!(format!("{s:?}"), format!("{w:?}"));
        // Nothing changes where nothing is fitted.
        assert_eq!(edit_values(text, &[], &[], &[]).unwrap().as_deref(), Some(text));
        // A dotted key at the top, and a key a [[village]] entry lacks.
        let dotted = "name = \"t\"\nstart_year = 2016\nend_year = 2018\npopulation.starting_incidence = 0.25 # top\n\n[[village]]\nname = \"a\"\nhouseholds = 20\n\n[[village]]\nname = \"b\"\nhouseholds = 30\n\n[[strategy]]\nname = \"base\"\n";
        let ps = [
            fitted("population.starting_incidence"),
            fitted("village.1.starting_incidence"),
        ];
        let edited = edit_values(dotted, &ps, &[0.5, 0.0625], &["n0".into(), "n1".into()])
            .unwrap()
            .expect("the same scenario");
        assert!(
            edited.contains("population.starting_incidence = 0.5 # n0; top\n"),
            "{edited}"
        );
        assert!(
            edited.contains("name = \"b\"\nhouseholds = 30\nstarting_incidence = 0.0625 # n1\n"),
            "{edited}"
        );
    }

    #[test]
    fn a_good_file_reads_with_binomial_errors() {
        let t = read(GOOD).unwrap();
        assert_eq!(t.strategy, "base");
        let o = &t.observations[0];
        assert!((o.value - 8.0 / 930.0).abs() < 1e-12);
        assert!((o.sd - 0.0030).abs() < 0.0002, "0.85% of 930 is ±0.3 points: {}", o.sd);
        assert_eq!(t.observations[1].sd, 500.0);
        assert_eq!(t.parameters[1].prior, Prior::Beta { alpha: 2.0, beta: 2.0 });
    }

    #[test]
    fn mistakes_are_located_on_one_line() {
        let cases = [
            (
                GOOD.replace("\"base\"", "\"nope\""),
                "t.toml:1:12: strategy: the scenario has no strategy 'nope'; it has: base",
            ),
            (
                GOOD.replace("official_incidence", "happiness"),
                "t.toml:3:10: observation[0].metric: no metric 'happiness'",
            ),
            (
                GOOD.replace("year = 2018", "year = 2030"),
                "t.toml:4:8: observation[0].year must be a simulated year, 2016–2018, got 2030",
            ),
            (
                GOOD.replace("sd = 500.0", "sd = 0.0"),
                "t.toml:11:6: observation[1].sd must be a positive number",
            ),
            (
                GOOD.replace("count = 8", "count = 980"),
                "t.toml:5:9: observation[0].count must be between 0 and of",
            ),
            (
                GOOD.replace("official_incidence", "exits"),
                "t.toml:5:9: observation[0]: count/of is for shares",
            ),
            (
                GOOD.replace("sd = 500.0\n", ""),
                "observation[1] needs either value and sd",
            ),
            (
                GOOD.replace("\"uniform\"", "\"cauchy\""),
                "t.toml:14:9: parameter[0].prior must be uniform, log_uniform, normal or beta",
            ),
            (
                GOOD.replace("high = 5000.0", "high = -1.0"),
                "t.toml:16:8: parameter[0].high must exceed low",
            ),
            (
                GOOD.replace("savings_poor.mean", "savings_poor.median"),
                "t.toml:13:8: parameter[0].path: ",
            ),
            (
                GOOD.replace("dibao.take_up_other", "seed"),
                "parameter[1].path: 'seed' is shared",
            ),
            (
                GOOD.replace("alpha = 2.0", "alpha = 2.0\nlow = 0.0"),
                "parameter[1].low does not belong to a 'beta' prior",
            ),
            (GOOD.replace("[[observation]]", "[[observaton]]"), "t.toml:2:"),
            (
                GOOD.replace("year = 2017", "year = = 2017"),
                "t.toml:9:8: malformed TOML",
            ),
        ];
        for (text, want) in cases {
            let e = read(&text).expect_err(want);
            assert!(e.contains(want), "want {want:?}, got {e:?}");
            assert!(!e.contains('\n'), "{e}");
        }
        let e = read("strategy = \"base\"\n").unwrap_err();
        assert!(e.contains("there is no [[observation]]"), "{e}");
    }

    #[test]
    fn a_path_out_of_its_key_range_is_refused() {
        let text = GOOD.replace(
            "path = \"dibao.take_up_other\"\nprior = \"beta\"\nalpha = 2.0\nbeta = 2.0",
            "path = \"dibao.take_up_other\"\nprior = \"uniform\"\nlow = 2.0\nhigh = 3.0",
        );
        let e = read(&text).unwrap_err();
        assert!(
            e.contains("parameter[1].path: ") && e.contains("must be between 0 and 1"),
            "{e}"
        );
    }

    #[test]
    fn priors_have_their_shape() {
        let u = Prior::LogUniform { low: 1.0, high: 100.0 };
        assert_eq!(u.density(0.5), 0.0);
        assert!((u.density(2.0) / u.density(4.0) - 2.0).abs() < 1e-12);
        assert_eq!(u.centre(), 10.0);
        let b = Prior::Beta { alpha: 2.0, beta: 2.0 };
        assert!(b.density(0.5) > b.density(0.1));
        let n = Prior::Normal {
            mean: 1.0,
            sd: 1.0,
            low: 0.0,
            high: f64::INFINITY,
        };
        assert_eq!(n.density(-0.1), 0.0);
        assert!(n.density(1.0) > n.density(2.0));
    }
}
