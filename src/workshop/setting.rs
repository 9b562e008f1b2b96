//! A workshop setting — a scenario, a village or the whole county, a baseline, and
//! one strategy with some levers changed — turned into scenario text.
//!
//! The page never simulates anything the command line could not: a setting becomes
//! a whole scenario file (the chosen file with the chosen village, the baseline, and
//! the setting as one more `[[strategy]]` whose levers are its fields and
//! `overrides`), and that text is parsed and validated exactly as `sandan run` would
//! parse it. So a lever out of range gets the scenario file's own message, and the
//! exported file run by `sandan run` gives the page's numbers.

use super::catalogue::Entry;
use crate::scenario::{self, Scenario, validate::shown};
use serde::Deserialize;
use serde_json::Value as Json;
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

/// Strategy fields a lever may set directly; every other lever key is an override.
pub const STRATEGY_FIELDS: &[&str] = &["menu", "ordering", "matching", "delivery", "budget"];

/// The most levers one setting may change, and the longest key or text value: far
/// above what a page sends, low enough that a hostile request costs nothing.
pub const MAX_LEVERS: usize = 200;
pub const MAX_TEXT: usize = 200;

/// The most replicates a setting may ask for (the household-years limit usually
/// binds first).
pub const MAX_REPLICATES: u32 = 1000;

/// What the page sends: one setting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    /// The scenario's name among those the workshop offers.
    pub scenario: String,
    /// The index of a `[[village]]` entry (one village of it), or none for the whole county.
    #[serde(default)]
    pub village: Option<usize>,
    /// The strategy impacts are measured against.
    pub baseline: String,
    /// The strategy whose levers the setting changes.
    pub strategy: String,
    /// Lever values by key: a strategy field (`matching`, `budget`, …) or a dotted
    /// scenario key (`dibao.take_up_registered`).
    #[serde(default)]
    pub levers: serde_json::Map<String, Json>,
    pub replicates: u32,
    pub seed: u64,
    /// The setting's slot on the page (`a` … `d`); it names the exported strategy.
    #[serde(default = "default_label")]
    pub label: String,
}

fn default_label() -> String {
    "a".to_string()
}

/// A setting made into a scenario: the whole file, the setting's `[[strategy]]`
/// block alone, and the file name messages and downloads use.
#[derive(Debug, Clone)]
pub struct Materialized {
    pub file: String,
    pub text: String,
    pub strategy_block: String,
    /// The setting's strategy name in the file (the baseline is strategy 0, it is 1).
    pub strategy_name: String,
}

impl Setting {
    /// The name of the setting's strategy in the exported file.
    pub fn strategy_name(&self) -> String {
        format!("{}_{}", self.strategy, self.label)
    }

    /// The file name of the exported scenario (and of messages about it).
    pub fn file_name(&self) -> String {
        format!("{}_workshop_{}.toml", self.scenario, self.label)
    }
}

/// The scenario text of a setting, or a message saying what is wrong with the request.
pub fn materialize(entry: &Entry, s: &Setting) -> Result<Materialized, String> {
    check_request(s)?;
    let mut doc: DocumentMut = entry
        .text
        .parse()
        .map_err(|e| format!("the scenario '{}' cannot be edited: {e}", entry.name))?;
    let strategies = strategy_tables(&doc);
    let find = |name: &str, what: &str| {
        strategies
            .iter()
            .find(|t| t.get("name").and_then(Item::as_str) == Some(name))
            .cloned()
            .ok_or_else(|| format!("{what}: {}", missing_strategy(&entry.scenario, name)))
    };
    let mut baseline = find(&s.baseline, "baseline")?;
    let mut setting = find(&s.strategy, "strategy")?;

    if let Some(i) = s.village {
        let share = keep_village(&mut doc, entry, i)?;
        scale_budget(&mut baseline, share);
        scale_budget(&mut setting, share);
    }
    setting.insert("name", Item::Value(Value::from(s.strategy_name())));
    setting.insert("description", Item::Value(Value::from(description(s))));
    apply_levers(&mut setting, &s.levers)?;

    doc.remove("strategy");
    doc.insert(
        "name",
        Item::Value(Value::from(format!("{}_workshop_{}", s.scenario, s.label))),
    );
    doc.insert("replicates", Item::Value(Value::from(i64::from(s.replicates))));
    doc.insert(
        "seed",
        Item::Value(Value::from(i64::try_from(s.seed).unwrap_or(i64::MAX))),
    );
    doc.insert("baseline", Item::Value(Value::from(s.baseline.clone())));
    let mut block = DocumentMut::new();
    let mut one = ArrayOfTables::new();
    one.push(setting.clone());
    block.insert("strategy", Item::ArrayOfTables(one));
    let mut both = ArrayOfTables::new();
    both.push(baseline);
    both.push(setting);
    doc.insert("strategy", Item::ArrayOfTables(both));

    let village = match s.village {
        Some(i) => format!("village entry {i} ('{}') alone", village_name(entry, i)),
        None => "the whole county".to_string(),
    };
    let text = format!(
        "# Exported by `sandan workshop` from {}: setting {} ({village}),\n# {} against {}. Run it with `sandan run {}`.\n{doc}",
        entry.origin,
        s.label.to_uppercase(),
        s.strategy_name(),
        s.baseline,
        s.file_name(),
    );
    Ok(Materialized {
        file: s.file_name(),
        text,
        strategy_block: block.to_string(),
        strategy_name: s.strategy_name(),
    })
}

/// Materialize and validate a setting as `sandan run` would read its file.
pub fn scenario(entry: &Entry, s: &Setting) -> Result<(Materialized, Scenario), String> {
    let m = materialize(entry, s)?;
    let parsed = scenario::parse(&m.text, &m.file, &s.scenario).map_err(|e| e.to_string())?;
    Ok((m, parsed))
}

fn check_request(s: &Setting) -> Result<(), String> {
    let label_ok = !s.label.is_empty() && s.label.len() <= 8 && s.label.chars().all(|c| c.is_ascii_alphanumeric());
    if !label_ok {
        return Err(format!(
            "label must be 1 to 8 letters or digits (it names the exported strategy), got '{}'",
            shown(&s.label)
        ));
    }
    if s.replicates == 0 || s.replicates > MAX_REPLICATES {
        return Err(format!(
            "replicates must be 1 to {MAX_REPLICATES}, got {}",
            s.replicates
        ));
    }
    if i64::try_from(s.seed).is_err() {
        return Err(format!(
            "seed must be at most {} (a TOML integer), got {}",
            i64::MAX,
            s.seed
        ));
    }
    if s.levers.len() > MAX_LEVERS {
        return Err(format!(
            "a setting may change at most {MAX_LEVERS} levers, got {}",
            s.levers.len()
        ));
    }
    Ok(())
}

/// The strategy tables of a scenario file; a file without any has the implicit
/// `no_program` (the safety net only), as [`scenario::parse`] gives it.
fn strategy_tables(doc: &DocumentMut) -> Vec<Table> {
    match doc.get("strategy").and_then(Item::as_array_of_tables) {
        Some(a) if !a.is_empty() => a.iter().cloned().collect(),
        _ => {
            let mut t = Table::new();
            t.insert("name", Item::Value(Value::from("no_program")));
            vec![t]
        }
    }
}

fn missing_strategy(s: &Scenario, name: &str) -> String {
    s.strategy_index(name).err().unwrap_or_default()
}

fn village_name(entry: &Entry, i: usize) -> String {
    entry.villages.get(i).map(|v| v.name.clone()).unwrap_or_default()
}

/// Village entry `i`'s households (one village of it) as a share of the county's.
pub fn village_share(entry: &Entry, i: usize) -> Result<f64, String> {
    let total = entry.households(None);
    let Some(v) = entry.villages.get(i) else {
        return Err(format!(
            "village must be the index of one of the scenario's {} village entries (0 to {}), or null for the whole county; got {i}",
            entry.villages.len(),
            entry.villages.len().saturating_sub(1)
        ));
    };
    Ok(v.households as f64 / total.max(1) as f64)
}

/// Keep `[[village]]` entry `i` alone, as one village (`count = 1`), and return
/// its households' share of the county's, by which budgets are scaled.
fn keep_village(doc: &mut DocumentMut, entry: &Entry, i: usize) -> Result<f64, String> {
    let share = village_share(entry, i)?;
    let Some(list) = doc.get_mut("village").and_then(Item::as_array_of_tables_mut) else {
        return Err(format!(
            "the scenario '{}' lists no [[village]] entries to choose from",
            entry.name
        ));
    };
    let mut kept = list
        .get(i)
        .cloned()
        .ok_or_else(|| format!("the scenario '{}' has no village entry {i}", entry.name))?;
    kept.insert("count", Item::Value(Value::from(1i64)));
    list.clear();
    list.push(kept);
    Ok(share)
}

/// A county's yearly budget cut to one village's share of the households (whole yuan).
fn scale_budget(t: &mut Table, share: f64) {
    let budget = t
        .get("budget")
        .and_then(|b| b.as_float().or_else(|| b.as_integer().map(|i| i as f64)));
    if let Some(b) = budget {
        t.insert("budget", Item::Value(Value::from((b * share).round() as i64)));
    }
}

fn description(s: &Setting) -> String {
    let changed: Vec<String> = s
        .levers
        .iter()
        .map(|(k, v)| format!("{k} = {}", shown(&v.to_string())))
        .collect();
    if changed.is_empty() {
        format!(
            "Workshop setting {}: {} as in the file.",
            s.label.to_uppercase(),
            s.strategy
        )
    } else {
        format!(
            "Workshop setting {}: {} with {}.",
            s.label.to_uppercase(),
            s.strategy,
            changed.join(", ")
        )
    }
}

/// Set each lever in the strategy table: its own fields directly, every other key
/// in its `overrides` (after the file's own overrides, which a lever replaces).
fn apply_levers(t: &mut Table, levers: &serde_json::Map<String, Json>) -> Result<(), String> {
    let mut overrides = match t.remove("overrides") {
        Some(Item::Value(Value::InlineTable(it))) => it,
        Some(Item::Table(tab)) => tab.into_inline_table(),
        _ => InlineTable::new(),
    };
    for (key, json) in levers {
        if key.is_empty() || key.len() > MAX_TEXT {
            return Err(format!(
                "a lever key must be 1 to {MAX_TEXT} characters, got '{}'",
                shown(key)
            ));
        }
        let value = toml_value(key, json)?;
        if STRATEGY_FIELDS.contains(&key.as_str()) {
            t.insert(key, Item::Value(value));
        } else {
            overrides.insert(key, value);
        }
    }
    if !overrides.is_empty() {
        t.insert("overrides", Item::Value(Value::InlineTable(overrides)));
    }
    Ok(())
}

/// A lever's JSON value as a TOML value: a number, text or true/false.
fn toml_value(key: &str, json: &Json) -> Result<Value, String> {
    let bad = || {
        format!(
            "lever '{}': a value must be a number, text or true/false, got {}",
            shown(key),
            shown(&json.to_string())
        )
    };
    Ok(match json {
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(x)) if x.is_finite() => Value::from(x),
            _ => return Err(bad()),
        },
        Json::String(text) if text.len() <= MAX_TEXT => Value::from(text.as_str()),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::catalogue::Entry;

    const TINY: &str = include_str!("../../tests/fixtures/tiny.toml");

    fn entry() -> Entry {
        Entry::new("tiny", "tests/fixtures/tiny.toml", TINY.to_string()).unwrap()
    }

    fn setting(levers: serde_json::Value) -> Setting {
        serde_json::from_value(serde_json::json!({
            "scenario": "tiny", "baseline": "no_program", "strategy": "full_dibao",
            "levers": levers, "replicates": 2, "seed": 7, "label": "b"
        }))
        .unwrap()
    }

    #[test]
    fn a_setting_is_the_baseline_and_one_more_strategy_with_its_levers() {
        let s = setting(serde_json::json!({"matching": "random", "exit.years_above_line": 2}));
        let (m, parsed) = scenario(&entry(), &s).unwrap();
        let names: Vec<&str> = parsed.strategies.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["no_program", "full_dibao_b"]);
        assert_eq!(parsed.replicates, 2);
        assert_eq!(parsed.seed, 7);
        assert_eq!(parsed.baseline.as_deref(), Some("no_program"));
        assert_eq!(parsed.strategies[1].model.exit.years_above_line, 2);
        // The file's own overrides stay, the lever's joins them.
        assert!(
            m.strategy_block.contains("\"dibao.take_up_registered\" = 1.0"),
            "{}",
            m.strategy_block
        );
        assert!(m.strategy_block.contains("\"exit.years_above_line\" = 2"));
        assert!(m.strategy_block.contains("matching = \"random\""));
    }

    #[test]
    fn one_village_is_one_village_with_the_budget_scaled_to_its_households() {
        let text = TINY.replace(
            "name = \"full_dibao\"",
            "name = \"full_dibao\"\nmenu = \"needs_based\"\nbudget = 100_000",
        );
        let e = Entry::new("tiny", "t.toml", text).unwrap();
        let mut s = setting(serde_json::json!({}));
        s.village = Some(1);
        let (_, parsed) = scenario(&e, &s).unwrap();
        let model = &parsed.strategies[1].model;
        assert_eq!(model.villages.len(), 1);
        assert_eq!(model.household_count(), 40);
        // 40 of the county's 100 households: 40% of the budget.
        assert_eq!(parsed.strategies[1].plan.budget, 40_000.0);
    }

    #[test]
    fn an_out_of_range_lever_gets_the_scenario_files_message() {
        let s = setting(serde_json::json!({"dibao.take_up_registered": 1.5}));
        let e = scenario(&entry(), &s).unwrap_err();
        assert!(e.starts_with("tiny_workshop_b.toml:"), "{e}");
        assert!(e.contains("dibao.take_up_registered"), "{e}");
        assert!(e.contains("must be"), "{e}");
    }

    #[test]
    fn unknown_keys_strategies_and_villages_are_refused_with_what_exists() {
        let e = scenario(&entry(), &setting(serde_json::json!({"dibao.no_such_key": 1}))).unwrap_err();
        assert!(e.contains("no_such_key"), "{e}");
        let mut s = setting(serde_json::json!({}));
        s.strategy = "nope".into();
        let e = scenario(&entry(), &s).unwrap_err();
        assert!(e.contains("no_program, full_dibao"), "{e}");
        let mut s = setting(serde_json::json!({}));
        s.village = Some(5);
        let e = scenario(&entry(), &s).unwrap_err();
        assert!(e.contains("0 to 1"), "{e}");
        let e = scenario(&entry(), &setting(serde_json::json!({"seed": 3}))).unwrap_err();
        assert!(e.contains("shared by all strategies"), "{e}");
        let e = scenario(&entry(), &setting(serde_json::json!({"budget": [1]}))).unwrap_err();
        assert!(e.contains("a number, text or true/false"), "{e}");
    }
}
