//! Scenarios: the TOML a planner writes, read once into a validated, immutable
//! [`Scenario`] that the engine borrows.
//!
//! Reading happens in three stages, each with its own kind of error, all reported as
//! `file:line:column: message`:
//! 1. TOML syntax (`toml_edit`, which also keeps the spans we use to point at keys);
//! 2. shape: unknown keys and wrong types (serde, with the key path);
//! 3. values: ranges, sums, years ([`validate`]).
//!
//! A `[[strategy]]` may override any model key by its dotted path. Overrides are
//! applied to the TOML tree and the result goes through stages 2 and 3 again, so a
//! strategy can never smuggle in a value the file itself could not hold.

pub mod params;
pub mod raw;
pub mod validate;

pub use params::{Dist, IncomeFit, IncomeTarget, Model, Scenario, Strategy, Village, YearTable};

use raw::RawScenario;
use serde::Deserialize;
use std::path::Path;
use validate::{Invalid, KeyPath, Segment, shown};

/// The scenario `sandan run` uses when given none: a Suiyang-like county.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/suiyang.toml");
/// The name the embedded default is reported under.
pub const DEFAULT_ORIGIN: &str = "<embedded default: scenarios/suiyang.toml>";

/// Keys that belong to the whole comparison and so cannot differ by strategy (or
/// by sweep point).
pub const SHARED_KEYS: &[&str] = &[
    "name",
    "description",
    "start_year",
    "end_year",
    "seed",
    "replicates",
    "strategy",
];

/// Why a scenario could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file is not a valid scenario; the location points at the offending key.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The file could not be read at all.
    #[error("{file}: cannot read the scenario: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// Read and validate a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with_text(path).map(|(s, _)| s)
}

/// Read and validate a scenario file; also return its text (for hashing and reports).
pub fn load_with_text(path: &Path) -> Result<(Scenario, String), ScenarioError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes());
        located(&file, &text, offset, "the file is not valid UTF-8 text".to_string())
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".to_string());
    let scenario = parse(&text, &file, &stem)?;
    Ok((scenario, text))
}

/// Validate scenario text; `file` names it in messages, `default_name` is used when
/// the scenario sets no `name`.
pub fn parse(text: &str, file: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        located(file, text, offset, syntax_message(e.message()))
    })?;
    let here = |inv: Invalid| at_path(file, text, &doc, &inv.path, inv.message);

    let de = toml::Deserializer::parse(text).map_err(|e| shape_error(file, text, e))?;
    let raw: RawScenario = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let offset = inner.span().map(|s| s.start).unwrap_or(0);
        located(file, text, offset, with_path(&path, inner.message()))
    })?;

    let frame = validate::frame(&raw).map_err(here)?;
    let name = raw.name.clone().unwrap_or_else(|| default_name.to_string());
    check_name(&name, "name").map_err(here)?;
    let base_model = fitted(validate::model(&raw, frame.start_year), raw.seed).map_err(here)?;

    let mut strategies = Vec::new();
    if raw.strategy.is_empty() {
        strategies.push(Strategy {
            name: "no_program".to_string(),
            description: "Safety net only: dibao, medical assistance and housing.".to_string(),
            plan: crate::programs::Plan::NONE,
            model: base_model,
        });
    } else {
        let base_tree: toml::Table = toml::from_str(text).map_err(|e| shape_error(file, text, e))?;
        for (i, s) in raw.strategy.iter().enumerate() {
            let spath = KeyPath::default().key("strategy").index(i);
            check_name(&s.name, "name")
                .map_err(|inv| Invalid {
                    path: spath.key("name"),
                    message: format!("strategy[{i}].{}", inv.message),
                })
                .map_err(here)?;
            if strategies.iter().any(|t: &Strategy| t.name == s.name) {
                return Err(here(Invalid {
                    path: spath.key("name"),
                    message: format!(
                        "strategy[{i}].name '{}' is used twice; strategy names must differ",
                        shown(&s.name)
                    ),
                }));
            }
            let model = if s.overrides.is_empty() {
                base_model.clone()
            } else {
                let model = strategy_model(&base_tree, s, &spath, frame.start_year);
                fitted(model, raw.seed).map_err(here)?
            };
            let plan = validate::plan(&spath, s).map_err(here)?;
            strategies.push(Strategy {
                name: s.name.clone(),
                description: s.description.clone(),
                plan,
                model,
            });
        }
    }

    let scenario = Scenario {
        name,
        description: raw.description.clone(),
        start_year: frame.start_year,
        end_year: frame.end_year,
        seed: raw.seed,
        replicates: frame.replicates,
        baseline: raw.baseline.clone(),
        strategies,
    };
    if let Some(b) = &scenario.baseline {
        scenario.strategy_index(b).map_err(|m| {
            here(Invalid {
                path: KeyPath::default().key("baseline"),
                message: format!("baseline: {m}"),
            })
        })?;
    }
    Ok(scenario)
}

/// A validated model with its income fitted to the scenario's stated level, if any
/// ([`crate::agents::synthesis::fit_income`]).
fn fitted(model: Result<Model, Invalid>, seed: u64) -> Result<Model, Invalid> {
    let mut model = model?;
    crate::agents::synthesis::fit_income(&mut model, seed).map_err(|message| Invalid {
        path: KeyPath::default().key("population").key("income"),
        message,
    })?;
    Ok(model)
}

/// Names become directory and CSV values: keep them to safe characters.
fn check_name(name: &str, key: &str) -> Result<(), Invalid> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Invalid {
            path: KeyPath::default().key(key),
            message: format!(
                "{key} must be 1 to 64 letters, digits, '_' or '-' (it names output folders and CSV rows), got '{}'",
                shown(name)
            ),
        })
    }
}

/// Apply a strategy's overrides to the scenario tree and validate the result.
fn strategy_model(
    base: &toml::Table,
    s: &raw::RawStrategy,
    spath: &KeyPath,
    start_year: i32,
) -> Result<Model, Invalid> {
    let mut tree = base.clone();
    tree.remove("strategy");
    for (key, value) in &s.overrides {
        let at = spath.key("overrides").key(key);
        let who = format!("strategy '{}' overrides '{}'", shown(&s.name), shown(key));
        let top = key.split('.').next().unwrap_or_default();
        if SHARED_KEYS.contains(&top) {
            return Err(Invalid {
                path: at,
                message: format!("{who}, but '{top}' is shared by all strategies and cannot be overridden"),
            });
        }
        apply_override(&mut tree, key, value.clone()).map_err(|m| Invalid {
            path: at.clone(),
            message: format!("{who}: {m}"),
        })?;
    }
    let raw: RawScenario = serde_path_to_error::deserialize(toml::Value::Table(tree)).map_err(|e| {
        let path = e.path().to_string();
        Invalid {
            path: spath.key("overrides"),
            message: format!(
                "strategy '{}' overrides: {}",
                shown(&s.name),
                with_path(&path, e.into_inner().message())
            ),
        }
    })?;
    validate::model(&raw, start_year).map_err(|inv| Invalid {
        path: override_location(spath, s, &inv.path),
        message: format!("strategy '{}': {}", shown(&s.name), inv.message),
    })
}

/// Point a validation failure inside overridden values at the override that caused it.
fn override_location(spath: &KeyPath, s: &raw::RawStrategy, failed: &KeyPath) -> KeyPath {
    let failed_dotted = failed.to_string().replace('[', ".").replace(']', "");
    s.overrides
        .keys()
        .find(|k| failed_dotted.starts_with(k.as_str()) || k.starts_with(&failed_dotted))
        .map(|k| spath.key("overrides").key(k))
        .unwrap_or_else(|| spath.key("overrides"))
}

/// The most parts a dotted key path may have. The deepest real key is a handful of
/// parts (`village.0.population.savings_poor.mean`); the cap keeps a hostile path
/// from costing time or memory (issue 16).
pub const MAX_PATH_PARTS: usize = 16;

/// Set `dotted` (e.g. `dibao.take_up_registered`, `village.0.households`) in a tree.
///
/// A table or list the file left out is filled from the built-in defaults before the value is
/// set in it, so that a single field of a pair (`population.savings_poor.mean`) keeps
/// the default of its sibling (`sd`) and a single year of a table (`poverty_line.2020`)
/// keeps the other years. The walk is a loop, not a recursion, and the path is capped
/// at [`MAX_PATH_PARTS`] parts.
pub fn apply_override(tree: &mut toml::Table, dotted: &str, value: toml::Value) -> Result<(), String> {
    if dotted.split('.').nth(MAX_PATH_PARTS).is_some() {
        return Err(format!(
            "the key path '{}' has more than {MAX_PATH_PARTS} parts; no scenario key is that deep",
            shown(dotted)
        ));
    }
    let parts: Vec<&str> = dotted.split('.').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err("the key path has an empty part; write keys joined by dots, e.g. dibao.take_up_registered".into());
    }
    let defaults = default_tree();
    let mut default_node: Option<&toml::Value> = defaults.as_ref();
    let mut root = toml::Value::Table(std::mem::take(tree));
    let mut node = &mut root;
    let mut result = Ok(());
    for (depth, part) in parts.iter().enumerate() {
        let walked = || shown(&parts[..depth].join("."));
        default_node = default_node.and_then(|d| match d {
            toml::Value::Table(t) => t.get(*part),
            toml::Value::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        });
        let child = match node {
            toml::Value::Table(t) => t.entry(part.to_string()).or_insert_with(|| match default_node {
                // A list the file left out too (`program.member_kind.0.capacity`
                // in a file with a [program] table but no [[program.member_kind]]).
                Some(d @ (toml::Value::Table(_) | toml::Value::Array(_))) => d.clone(),
                _ => toml::Value::Table(toml::Table::new()),
            }),
            toml::Value::Array(a) => {
                let len = a.len();
                let Ok(idx) = part.parse::<usize>() else {
                    result = Err(format!(
                        "'{}' is a list; index it with a number, e.g. {}.0",
                        walked(),
                        walked()
                    ));
                    break;
                };
                match a.get_mut(idx) {
                    Some(c) => c,
                    None => {
                        result = Err(format!("'{}' has {len} entries; index {idx} is out of range", walked()));
                        break;
                    }
                }
            }
            _ => {
                result = Err(format!("'{}' is a single value, not a table", walked()));
                break;
            }
        };
        if depth + 1 == parts.len() {
            *child = value;
            break;
        }
        node = child;
    }
    if let toml::Value::Table(t) = root {
        *tree = t;
    }
    result
}

/// The built-in defaults as a TOML tree, for filling tables an override reaches into.
fn default_tree() -> Option<toml::Value> {
    toml::Value::try_from(RawScenario::default()).ok()
}

fn shape_error(file: &str, text: &str, e: toml::de::Error) -> ScenarioError {
    let offset = e.span().map(|s| s.start).unwrap_or(0);
    located(file, text, offset, e.message().to_string())
}

fn syntax_message(m: &str) -> String {
    format!("malformed TOML: {}", m.trim())
}

fn with_path(path: &str, message: &str) -> String {
    let message = users_words(message);
    if path.is_empty() || path == "." {
        message
    } else {
        format!("{path}: {message}")
    }
}

/// serde's "invalid type: string \"1.5M\", expected f64" in a user's words:
/// "expected a number, got the text \"1.5M\"". Other messages pass unchanged.
fn users_words(message: &str) -> String {
    let Some((got, want)) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|m| m.split_once(", expected "))
    else {
        return message.to_string();
    };
    let want = match want {
        "i64" | "i32" | "i16" | "i8" | "u64" | "u32" | "u16" | "u8" | "usize" => "a whole number",
        "f64" | "f32" => "a number",
        "a boolean" | "bool" => "true or false",
        "a string" | "a borrowed string" | "String" => "text in quotes",
        "a sequence" => "a list in [ ]",
        "a map" => "a table",
        w if w.starts_with("struct ") => "a table",
        w => w,
    };
    let quoted = |g: &str| g.trim_matches('`').to_string();
    let got = if let Some(t) = got.strip_prefix("string ") {
        format!("the text {t}")
    } else if let Some(n) = got.strip_prefix("floating point ") {
        format!("the number {}", quoted(n))
    } else if let Some(n) = got.strip_prefix("integer ") {
        format!("the whole number {}", quoted(n))
    } else if let Some(b) = got.strip_prefix("boolean ") {
        quoted(b)
    } else if got == "sequence" {
        "a list".to_string()
    } else if got == "map" {
        "a table".to_string()
    } else {
        got.to_string()
    };
    format!("expected {want}, got {got}")
}

/// An error at the item a key path names (or the nearest enclosing item that exists).
pub(crate) fn at_path(
    file: &str,
    text: &str,
    doc: &toml_edit::Document<&str>,
    path: &KeyPath,
    message: String,
) -> ScenarioError {
    located(file, text, offset_of(doc, path), message)
}

/// Byte offset of the deepest item of `path` that the document has (0 if none).
pub(crate) fn offset_of(doc: &toml_edit::Document<&str>, path: &KeyPath) -> usize {
    let mut item = doc.as_item();
    let mut best = 0usize;
    for seg in &path.0 {
        let next = match seg {
            Segment::Key(k) => item.get(k.as_str()),
            Segment::Index(i) => item.get(*i),
        };
        match next {
            Some(n) => {
                item = n;
                if let Some(s) = n.span() {
                    best = s.start;
                }
            }
            None => break,
        }
    }
    best
}

/// Turn a byte offset into a 1-based line and column (columns count characters).
pub(crate) fn located(file: &str, text: &str, offset: usize, message: String) -> ScenarioError {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    ScenarioError::Invalid {
        file: file.to_string(),
        line,
        column,
        message: validate::one_line(&message),
    }
}

/// Stable content hash of scenario text (FNV-1a 64), for the run manifest.
pub fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

impl RawScenario {
    /// Parse without validation (used by tests of the template).
    pub fn from_toml(text: &str) -> Result<RawScenario, toml::de::Error> {
        RawScenario::deserialize(toml::Deserializer::parse(text)?)
    }
}

#[cfg(test)]
mod tests {
    /// Issue 13: type errors in a user's words.
    #[test]
    fn type_errors_are_in_users_words() {
        for (serde, user) in [
            (
                "invalid type: string \"1.5M\", expected f64",
                "expected a number, got the text \"1.5M\"",
            ),
            (
                "invalid type: floating point `1.5`, expected u64",
                "expected a whole number, got the number 1.5",
            ),
            (
                "invalid type: boolean `true`, expected a string",
                "expected text in quotes, got true",
            ),
            ("invalid type: sequence, expected f64", "expected a number, got a list"),
            ("unknown field `x`", "unknown field `x`"),
        ] {
            assert_eq!(super::users_words(serde), user);
        }
    }

    use super::*;

    const TINY: &str = r#"
name = "tiny"
start_year = 2016
end_year = 2018

[[village]]
name = "a"
households = 10

[[village]]
name = "b"
households = 5
"#;

    fn err(text: &str) -> String {
        parse(text, "s.toml", "s").unwrap_err().to_string()
    }

    #[test]
    fn tiny_scenario_parses_with_default_strategy() {
        let s = parse(TINY, "s.toml", "s").unwrap();
        assert_eq!(s.name, "tiny");
        assert_eq!(s.strategies.len(), 1);
        assert_eq!(s.strategies[0].name, "no_program");
        assert_eq!(s.strategies[0].model.household_count(), 15);
    }

    #[test]
    fn validation_error_points_at_the_value() {
        let text = TINY.replace("households = 5", "households = 0");
        assert_eq!(
            err(&text),
            "s.toml:12:14: village[1].households must be at least 1, got 0"
        );
    }

    #[test]
    fn own_money_shares_are_checked_where_they_are_written() {
        let with = |kv: &str| format!("{TINY}\n[program.equity]\n{kv}\n");
        assert_eq!(
            err(&with("household_invest_share = 1.5")),
            "s.toml:15:26: program.equity.household_invest_share must be between 0 and 1, got 1.5"
        );
        assert_eq!(
            err(&with("household_reserve = -1")),
            "s.toml:15:21: program.equity.household_reserve must be between 0 and 1000000000, got -1"
        );
        assert!(err(&with("collective_invest_share = nan")).starts_with("s.toml:15:27: "));
        parse(&with("household_invest_share = 0.3"), "s.toml", "s").unwrap();
    }

    #[test]
    fn county_priorities_and_cash_duration_are_checked_where_they_are_written() {
        let with = |kv: &str| format!("{TINY}\n[program]\n{kv}\n");
        let e = err(&with("priority = { illness = [\"medical\", \"doctor\"] }"));
        assert!(e.starts_with("s.toml:15:"), "{e}");
        assert!(
            e.contains("program.priority.illness[1] 'doctor' names no item of [[program.item]] and no item kind"),
            "{e}"
        );
        assert_eq!(
            err(&with("cash_duration = 0")),
            "s.toml:15:17: program.cash_duration must be \"while_registered\" or 1 to 50 years, got 0"
        );
        let e = err(&with("cash_duration = \"forever\""));
        assert!(e.starts_with("s.toml:15:") && e.contains("while_registered"), "{e}");
        let ok = parse(
            &with("cash_duration = 3\nassignment = \"best_average_return\""),
            "s.toml",
            "s",
        )
        .unwrap();
        let p = &ok.strategies[0].model.program;
        assert_eq!(p.cash_duration, crate::programs::CashDuration::Years(3));
        // Under best average return every cause gets the same list.
        assert!(p.county_lists.iter().all(|l| *l == p.county_lists[0]));
    }

    #[test]
    fn unknown_key_is_an_error_with_location() {
        let text = TINY.replace("households = 10", "households = 10\nhousholds = 3");
        let e = err(&text);
        assert!(e.starts_with("s.toml:9:1: "), "{e}");
        assert!(e.contains("unknown field `housholds`"), "{e}");
    }

    #[test]
    fn malformed_toml_is_located() {
        let e = err("name = \"x\"\nstart_year = = 3\n");
        assert!(e.starts_with("s.toml:2:"), "{e}");
        assert!(e.contains("malformed TOML"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = err(&TINY.replace("end_year = 2018", "end_year = \"soon\""));
        assert!(e.starts_with("s.toml:4:12: "), "{e}");
        assert!(e.contains("end_year"), "{e}");
    }

    #[test]
    fn strategies_override_by_dotted_path() {
        let text = format!(
            "{TINY}\n[[strategy]]\nname = \"base\"\n\n[[strategy]]\nname = \"stingy\"\noverrides = {{ \"dibao.take_up_registered\" = 0.5, \"village.1.households\" = 7 }}\n"
        );
        let s = parse(&text, "s.toml", "s").unwrap();
        assert_eq!(s.strategies[0].model.dibao.take_up_registered, 1.0);
        assert_eq!(s.strategies[1].model.dibao.take_up_registered, 0.5);
        assert_eq!(s.strategies[1].model.household_count(), 17);
    }

    fn overridden(text: &str, key: &str, value: toml::Value) -> Result<RawScenario, String> {
        let mut tree: toml::Table = toml::from_str(text).unwrap();
        apply_override(&mut tree, key, value)?;
        RawScenario::deserialize(toml::Value::Table(tree)).map_err(|e| e.to_string())
    }

    #[test]
    fn one_field_of_a_mean_sd_pair_keeps_the_other() {
        let raw = overridden(TINY, "population.savings_poor.mean", 2500.0.into()).unwrap();
        assert_eq!(raw.population.savings_poor.mean, 2500.0);
        assert_eq!(
            raw.population.savings_poor.sd,
            RawScenario::default().population.savings_poor.sd
        );
        // The file's own sd is kept too, not the default's.
        let text = format!("{TINY}\n[population]\nsavings_poor = {{ mean = 1.0, sd = 7.0 }}\n");
        let raw = overridden(&text, "population.savings_poor.mean", 3.0.into()).unwrap();
        assert_eq!(
            (raw.population.savings_poor.mean, raw.population.savings_poor.sd),
            (3.0, 7.0)
        );
    }

    #[test]
    fn one_year_of_a_table_keeps_the_other_years() {
        let raw = overridden(TINY, "poverty_line.2020", 3300.0.into()).unwrap();
        let mut expected = RawScenario::default().poverty_line;
        expected.insert("2020".into(), 3300.0);
        assert_eq!(raw.poverty_line, expected);
    }

    #[test]
    fn strategy_override_of_one_field_runs() {
        let text = format!(
            "{TINY}\n[[strategy]]\nname = \"x\"\noverrides = {{ \"population.savings_poor.mean\" = 2500.0, \"poverty_line.2017\" = 3000.0 }}\n"
        );
        let s = parse(&text, "s.toml", "s").unwrap();
        assert_eq!(s.strategies[0].model.poverty_line.at(2017), 3000.0);
        assert_eq!(s.strategies[0].model.poverty_line.at(2016), 2952.0);
    }

    #[test]
    fn issue14_an_override_reaches_into_a_default_list_the_file_left_out() {
        // [program] is in the file, its member kinds are the built-in defaults.
        let text = format!(
            "{TINY}\n[program]\norders_per_household = 2\n[[strategy]]\nname = \"x\"\noverrides = {{ \"program.member_kind.0.per_village\" = 16 }}\n"
        );
        let s = parse(&text, "s.toml", "s").unwrap();
        let kinds = &s.strategies[0].model.program.member_kinds;
        assert_eq!(kinds[0].per_village, 16);
        assert_eq!(kinds.len(), raw::default_member_kinds().len());
        assert_eq!(kinds[1].per_village, raw::default_member_kinds()[1].per_village as u32);
    }

    #[test]
    fn issue16_a_very_deep_path_is_refused_in_one_line() {
        let key = vec!["a"; 27_000].join(".");
        let e = overridden(TINY, &key, 1.into()).unwrap_err();
        assert!(e.contains("more than 16 parts"), "{e}");
        assert!(e.len() < 200 && !e.contains('\n'), "{e}");
        let text = format!("{TINY}\n[[strategy]]\nname = \"x\"\noverrides = {{ \"{key}\" = 1 }}\n");
        let e = err(&text);
        assert!(e.starts_with("s.toml:16:"), "{}", &e[..80]);
    }

    #[test]
    fn bad_override_points_at_the_strategy() {
        let text = format!("{TINY}\n[[strategy]]\nname = \"bad\"\noverrides = {{ \"dibao.take_up_other\" = 2.0 }}\n");
        let e = err(&text);
        assert!(e.starts_with("s.toml:16:39: "), "{e}");
        assert!(
            e.contains("strategy 'bad': dibao.take_up_other must be between 0 and 1, got 2"),
            "{e}"
        );
    }

    #[test]
    fn override_of_unknown_key_is_refused() {
        let text = format!("{TINY}\n[[strategy]]\nname = \"bad\"\noverrides = {{ \"dibao.generosity\" = 2.0 }}\n");
        let e = err(&text);
        assert!(e.contains("unknown field `generosity`"), "{e}");
    }

    #[test]
    fn shared_keys_cannot_be_overridden() {
        let text = format!("{TINY}\n[[strategy]]\nname = \"bad\"\noverrides = {{ seed = 3 }}\n");
        assert!(err(&text).contains("shared by all strategies"));
    }

    #[test]
    fn duplicate_strategy_names_are_refused() {
        let text = format!("{TINY}\n[[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"a\"\n");
        assert!(err(&text).contains("is used twice"));
    }

    #[test]
    fn a_livestock_transfer_names_a_species_and_buys_whole_heads() {
        let herd = "[[herd.species]]\nname = \"yak\"\nvalue = 6000.0\nbirths = 0.3\ndeaths = 0.05\nsale_rate = 0.1\nfeed_cost = 0.0\nfixed_cost = 0.0\ndisaster_probability = 0.0\ndisaster_loss = 0.0\nmax_heads_per_labourer = 20\n";
        let item = |kind: &str, species: &str, cost: f64| {
            format!(
                "{TINY}{herd}[[program.item]]\nname = \"t\"\nkind = \"{kind}\"\nspecies = \"{species}\"\nunit_cost = {cost:.1}\nslots = 1\nexpected_return = 1.0\nrisk = 0.0\n"
            )
        };
        let s = parse(&item("livestock", "yak", 20000.0), "s.toml", "s").unwrap();
        assert_eq!(s.strategies[0].model.program.items[0].heads, Some((0, 3)));
        assert!(err(&item("livestock", "sheep", 20000.0)).contains("name of a [[herd.species]] (yak)"));
        assert!(err(&item("planting", "yak", 20000.0)).contains("needs kind = \"livestock\""));
        assert!(err(&item("livestock", "yak", 5000.0)).contains("at least one head"));
    }

    #[test]
    fn a_land_transfer_is_a_dividend_item_with_a_rent() {
        let item = |kind: &str, keep: bool| {
            format!(
                "{TINY}[[program.item]]\nname = \"t\"\nkind = \"{kind}\"\nunit_cost = 200.0\nslots = 1\nexpected_return = 0.0\nrisk = 0.0\nkeep = {keep}\nrent_per_mu = 300.0\n"
            )
        };
        let s = parse(&item("dividend", false), "s.toml", "s").unwrap();
        assert!(s.strategies[0].model.program.items[0].is_transfer());
        let e = err(&item("planting", false));
        assert!(
            e.contains("rent_per_mu") && e.contains("needs kind = \"dividend\""),
            "{e}"
        );
        assert!(err(&item("dividend", true)).contains("keep = false"));
    }

    #[test]
    fn template_states_exactly_the_defaults() {
        let text = include_str!("../../scenarios/template.toml");
        let raw = RawScenario::from_toml(text).unwrap();
        let expected = RawScenario {
            village: raw.village.clone(),
            ..RawScenario::default()
        };
        assert_eq!(
            raw, expected,
            "scenarios/template.toml and src/scenario/raw.rs disagree"
        );
        parse(text, "template.toml", "template").unwrap();
    }

    #[test]
    fn embedded_default_is_valid() {
        let s = parse(DEFAULT_SCENARIO, DEFAULT_ORIGIN, "suiyang").unwrap();
        assert!(s.strategies[0].model.household_count() > 10_000);
    }

    #[test]
    fn no_input_panics() {
        for text in [
            "",
            "[[village]]",
            "village = 3",
            "[population]\nhousehold_size = []",
            "\u{0}",
            "[[strategy]]\nname=\"x\"\noverrides={a={b=1}}",
        ] {
            let _ = parse(text, "s.toml", "s");
        }
    }
}
