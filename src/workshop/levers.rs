//! The levers a workshop discusses, with the ranges the scenario file allows, and
//! their values in a scenario's strategy.
//!
//! A lever is only a key and the range the validator accepts for it (tested below
//! against [`crate::scenario::parse`], so the two cannot drift apart) and a
//! narrower range for the slider a trainer drags; the page's number box accepts the
//! whole allowed range. Member kinds are read from the scenario, one pair of levers
//! per kind.

use super::catalogue::Entry;
use super::setting::{STRATEGY_FIELDS, village_share};
use serde::Serialize;
use toml::Value;

/// How a lever is set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Kind {
    /// One of a list of words.
    Choice { options: Vec<&'static str> },
    /// A number in `min..=max` (what the file allows); the slider spans `low..=high`.
    Number {
        min: f64,
        max: f64,
        low: f64,
        high: f64,
        step: f64,
        integer: bool,
    },
    /// true or false.
    Flag,
}

/// One lever of the first panel.
#[derive(Debug, Clone, Serialize)]
pub struct Lever {
    pub key: String,
    pub group: &'static str,
    pub en: String,
    pub zh: String,
    #[serde(flatten)]
    pub kind: Kind,
    /// Its value in the chosen strategy (the file's, else the built-in default).
    pub value: serde_json::Value,
}

const fn number(min: f64, max: f64, low: f64, high: f64, step: f64, integer: bool) -> Kind {
    Kind::Number {
        min,
        max,
        low,
        high,
        step,
        integer,
    }
}

/// The fixed levers: (key, group, English, Chinese, kind). The ranges `min..max`
/// are the validator's (`src/scenario/validate.rs`).
fn fixed() -> Vec<(&'static str, &'static str, &'static str, &'static str, Kind)> {
    let unit = || number(0.0, 1.0, 0.0, 1.0, 0.01, false);
    vec![
        (
            "menu",
            "program",
            "Menu (who lists the projects)",
            "菜单（谁列出项目）",
            Kind::Choice {
                options: vec!["county_fixed", "needs_based"],
            },
        ),
        (
            "ordering",
            "program",
            "Ordering (how households get projects)",
            "点单（农户如何获得项目）",
            Kind::Choice {
                options: vec!["household_choice", "assigned", "lottery"],
            },
        ),
        (
            "matching",
            "program",
            "Matching (which member supports an order)",
            "接单（哪位党员帮扶）",
            Kind::Choice {
                options: vec!["skill_based", "random", "none"],
            },
        ),
        (
            "delivery",
            "program",
            "Delivery (projects or cash)",
            "投放方式（项目或现金）",
            Kind::Choice {
                options: vec!["projects", "cash"],
            },
        ),
        (
            "budget",
            "program",
            "Program budget per year, yuan",
            "每年项目预算（元）",
            number(0.0, 1e10, 0.0, 0.0, 1000.0, false),
        ),
        (
            "program.orders_per_household",
            "program",
            "Items per household's order",
            "每户可点项目数",
            number(1.0, 20.0, 1.0, 5.0, 1.0, true),
        ),
        (
            "dibao.take_up_registered",
            "safety_net",
            "Dibao take-up, registered poor",
            "低保领取率（建档立卡户）",
            unit(),
        ),
        (
            "dibao.take_up_other",
            "safety_net",
            "Dibao take-up, others eligible",
            "低保领取率（其他符合条件户）",
            unit(),
        ),
        (
            "exit.years_above_line",
            "exit",
            "Years above the line before exit",
            "脱贫前需高于贫困线的年数",
            number(1.0, 50.0, 1.0, 5.0, 1.0, true),
        ),
        (
            "exit.margin",
            "exit",
            "Exit margin above the line (0.1 = 10%)",
            "脱贫收入须高出贫困线的比例",
            number(0.0, 10.0, 0.0, 1.0, 0.05, false),
        ),
        (
            "exit.support_years",
            "exit",
            "Years support continues after exit",
            "脱贫后继续帮扶年数",
            number(0.0, 100.0, 0.0, 10.0, 1.0, true),
        ),
        (
            "exit.follow_up_orders",
            "exit",
            "Exited households still supported may order again",
            "已脱贫仍受帮扶户可再次点单",
            Kind::Flag,
        ),
        (
            "program.cattle.household_share",
            "schemes",
            "Cattle scheme: households' share of the profit",
            "肉牛分红：农户所得利润比例",
            unit(),
        ),
        (
            "program.equity.return_rate",
            "schemes",
            "Equity stake: yearly return (0.1 = 10%)",
            "入股分红：年回报率",
            number(0.0, 10.0, 0.0, 0.3, 0.01, false),
        ),
        (
            "program.bees.member_share",
            "schemes",
            "Bees: members' share of the honey",
            "蜜蜂：党员所得蜂蜜比例",
            unit(),
        ),
        (
            "program.mutual_aid.budget_share",
            "schemes",
            "Share of the budget paid into mutual-aid funds",
            "预算投入互助资金的比例",
            unit(),
        ),
    ]
}

/// The levers of `strategy` in `entry`, with their current values; one village
/// (`village`) has its budget scaled as the setting scales it.
pub fn levers(entry: &Entry, strategy: &str, village: Option<usize>) -> Result<Vec<Lever>, String> {
    let index = entry.scenario.strategy_index(strategy)?;
    let raw = entry
        .raw_strategies()
        .into_iter()
        .find(|t| t.get("name").and_then(Value::as_str) == Some(strategy));
    let mut tree = entry.tree.clone();
    if let Some(overrides) = raw.as_ref().and_then(|t| t.get("overrides")).and_then(Value::as_table) {
        for (k, v) in overrides {
            // Validated when the scenario was read: an override that applies.
            let _ = crate::scenario::apply_override(&mut tree, k, v.clone());
        }
    }
    let plan = &entry.scenario.strategies[index].plan;
    let share = match village {
        Some(i) => village_share(entry, i)?,
        None => 1.0,
    };
    let mut out = Vec::new();
    for (key, group, en, zh, kind) in fixed() {
        let value = if STRATEGY_FIELDS.contains(&key) {
            strategy_field(plan, key, share)
        } else {
            lookup(&tree, key)
        };
        let kind = match (key, kind) {
            // The slider spans up to four times the file's budget (or a village's
            // 1 million yuan when the file has none).
            ("budget", Kind::Number { min, max, step, .. }) => {
                let b = value.as_f64().unwrap_or(0.0);
                number(
                    min,
                    max,
                    0.0,
                    if b > 0.0 { 4.0 * b } else { 1e6 * share.max(1e-3) },
                    step,
                    false,
                )
            }
            (_, k) => k,
        };
        out.push(Lever {
            key: key.to_string(),
            group,
            en: en.to_string(),
            zh: zh.to_string(),
            kind,
            value,
        });
    }
    let kinds = tree
        .get("program")
        .and_then(|p| p.get("member_kind"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, k) in kinds.iter().enumerate() {
        let name = k.get("name").and_then(Value::as_str).unwrap_or("member");
        for (field, en, zh, max, high) in [
            ("per_village", "members per village", "每村人数", 10_000.0, 30.0),
            (
                "capacity",
                "households each can support",
                "每人可帮扶户数",
                1_000.0,
                30.0,
            ),
        ] {
            let key = format!("program.member_kind.{i}.{field}");
            out.push(Lever {
                value: lookup(&tree, &key),
                key,
                group: "members",
                en: format!("{name}: {en}"),
                zh: format!("{name}：{zh}"),
                kind: number(0.0, max, 0.0, high, 1.0, true),
            });
        }
    }
    Ok(out)
}

/// A strategy field's value as the page shows it (the budget scaled to the village).
fn strategy_field(plan: &crate::programs::Plan, key: &str, share: f64) -> serde_json::Value {
    match key {
        "menu" => word(&plan.menu),
        "ordering" => word(&plan.ordering),
        "matching" => word(&plan.matching),
        "delivery" => word(&plan.delivery),
        _ => serde_json::Value::from((plan.budget * share).round()),
    }
}

/// A mode's word in the scenario file (its serde name).
fn word<T: Serialize>(mode: &T) -> serde_json::Value {
    serde_json::to_value(mode).unwrap_or(serde_json::Value::Null)
}

/// The value at a dotted path of a tree (JSON null where there is none).
pub fn lookup(tree: &toml::Table, dotted: &str) -> serde_json::Value {
    let mut node: Option<&Value> = None;
    for (depth, part) in dotted.split('.').enumerate() {
        node = if depth == 0 {
            tree.get(part)
        } else {
            match node {
                Some(Value::Table(t)) => t.get(part),
                Some(Value::Array(a)) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }
        };
    }
    match node {
        Some(v) => serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
        None => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::setting::{self, Setting};

    const TINY: &str = include_str!("../../tests/fixtures/tiny.toml");

    fn try_value(entry: &Entry, key: &str, value: serde_json::Value) -> Result<(), String> {
        let s: Setting = serde_json::from_value(serde_json::json!({
            "scenario": "tiny", "baseline": "no_program", "strategy": "full_dibao",
            "levers": { key: value }, "replicates": 1, "seed": 1
        }))
        .unwrap();
        setting::scenario(entry, &s).map(|_| ())
    }

    /// Each lever's range is the validator's: its ends are accepted, one step beyond
    /// them refused with the scenario file's message naming the key.
    #[test]
    fn lever_ranges_are_what_a_scenario_file_allows() {
        let entry = Entry::new("tiny", "tiny.toml", TINY.to_string()).unwrap();
        let levers = levers(&entry, "full_dibao", None).unwrap();
        assert!(levers.iter().any(|l| l.key == "program.member_kind.2.capacity"));
        for l in &levers {
            match &l.kind {
                Kind::Number {
                    min,
                    max,
                    low,
                    high,
                    step,
                    integer,
                } => {
                    assert!(
                        min <= low && low <= high && high <= max || l.key == "budget",
                        "{}",
                        l.key
                    );
                    let v = |x: f64| {
                        if *integer {
                            serde_json::json!(x as i64)
                        } else {
                            serde_json::json!(x)
                        }
                    };
                    for ok in [*min, *max] {
                        try_value(&entry, &l.key, v(ok)).unwrap_or_else(|e| panic!("{} = {ok}: {e}", l.key));
                    }
                    for bad in [*min - step, *max + step] {
                        let e = try_value(&entry, &l.key, v(bad)).expect_err(&format!("{} = {bad}", l.key));
                        let last = l.key.rsplit('.').next().unwrap();
                        assert!(e.contains(last), "{}: {e}", l.key);
                    }
                }
                Kind::Choice { options } => {
                    for o in options {
                        try_value(&entry, &l.key, serde_json::json!(o)).unwrap();
                    }
                    assert!(try_value(&entry, &l.key, serde_json::json!("nonsense")).is_err());
                }
                Kind::Flag => {
                    try_value(&entry, &l.key, serde_json::json!(false)).unwrap();
                    assert!(try_value(&entry, &l.key, serde_json::json!(2)).is_err());
                }
            }
        }
    }

    #[test]
    fn values_are_the_strategys_own_then_the_defaults() {
        let entry = Entry::new("tiny", "tiny.toml", TINY.to_string()).unwrap();
        let get = |s: &str, key: &str| {
            levers(&entry, s, None)
                .unwrap()
                .into_iter()
                .find(|l| l.key == key)
                .unwrap()
                .value
        };
        // full_dibao overrides take-up to 1; no_program keeps the default.
        assert_eq!(get("full_dibao", "dibao.take_up_other"), serde_json::json!(1.0));
        assert_eq!(get("no_program", "dibao.take_up_other"), serde_json::json!(0.3));
        assert_eq!(get("no_program", "matching"), serde_json::json!("skill_based"));
        assert_eq!(
            get("no_program", "program.member_kind.0.per_village"),
            serde_json::json!(8)
        );
        assert!(
            levers(&entry, "nope", None)
                .unwrap_err()
                .contains("no_program, full_dibao")
        );
    }
}
