//! Honest rivals (issue 11, item 8): no strategy depends on the order in which the
//! catalogue lists its items. Top-down assignment follows an administrative rule
//! (`program.assignment`), household choice scores items, a lottery draws from the
//! eligible items in name order; ties are broken by name. Permuting the catalogue
//! must leave every strategy's results unchanged, to the bit.

use sandan::engine::simulate;
use sandan::scenario::{self, Scenario};

/// Liangshuiquan (its own catalogue of eleven items) with a rival of every
/// ordering mode, and the catalogue listed in the order `permute` gives.
fn village(permute: impl Fn(&mut Vec<toml::Value>)) -> Scenario {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/liangshuiquan.toml")).unwrap();
    let mut tree: toml::Table = text.parse().unwrap();
    tree.insert("replicates".into(), 2.into());
    tree.insert("end_year".into(), 2019.into());
    let program = tree.get_mut("program").and_then(|p| p.as_table_mut()).unwrap();
    let items = program.get_mut("item").and_then(|i| i.as_array_mut()).unwrap();
    permute(items);
    let rivals: toml::Table = r#"
[[strategy]]
name = "top_down_by_cause"
menu = "county_fixed"
ordering = "assigned"
matching = "none"
budget = 400_000
[[strategy]]
name = "top_down_by_return"
menu = "county_fixed"
ordering = "assigned"
matching = "none"
budget = 400_000
overrides = { "program.assignment" = "best_average_return" }
[[strategy]]
name = "lottery"
menu = "county_fixed"
ordering = "lottery"
matching = "random"
budget = 400_000
"#
    .parse()
    .unwrap();
    let strategies = tree.get_mut("strategy").and_then(|s| s.as_array_mut()).unwrap();
    strategies.extend(rivals["strategy"].as_array().unwrap().iter().cloned());
    scenario::parse(&toml::to_string(&tree).unwrap(), "permuted.toml", "permuted").unwrap()
}

fn results(s: &Scenario) -> Vec<String> {
    (0..s.strategies.len())
        .flat_map(|k| (0..2).map(move |r| (k, r)))
        .map(|(k, r)| format!("{}: {:?}", s.strategies[k].name, simulate(s, k, r).years))
        .collect()
}

#[test]
fn permuting_the_catalogue_changes_no_strategy() {
    let listed = village(|_| {});
    assert!(listed.strategies.len() >= 5);
    let listed = results(&listed);
    let reversed = results(&village(|items| items.reverse()));
    let rotated = results(&village(|items| items.rotate_left(4)));
    for ((a, b), c) in listed.iter().zip(&reversed).zip(&rotated) {
        assert_eq!(a, b, "reversed catalogue");
        assert_eq!(a, c, "rotated catalogue");
    }
}
