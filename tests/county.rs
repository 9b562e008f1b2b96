//! Issue 17: a replicate's county is synthesised once and handed to every strategy
//! whose model gives the same county (`engine::County::same`). A strategy may
//! override any model key, so the test changes each key of the template in turn,
//! as a strategy's override, and checks that whenever the two models are judged to
//! give the same county, they do: a key synthesis or identification reads that
//! `County::same` forgot would make the override's county differ and fail here.

use sandan::engine::County;
use sandan::scenario;

const TEMPLATE: &str = include_str!("../scenarios/template.toml");

/// A species households hold at the baseline (the template has none).
const YAK: &str = "[[herd.species]]\nname = \"yak\"\nvalue = 6000.0\nbirths = 0.3\ndeaths = 0.05\n\
    sale_rate = 0.15\nfeed_cost = 300.0\nfixed_cost = 1500.0\ndisaster_probability = 0.1\ndisaster_loss = 0.3\n\
    max_heads_per_labourer = 20\ninitial_heads = 8\ninitial_heads_poor = 1\n";

/// The template with a small village and a herd. Without a stated baseline income:
/// with one, any key synthesis reads also moves the income fit's factors, and the
/// income model's equality would hide a key that `County::same` forgot.
fn base() -> String {
    let small = TEMPLATE
        .replace("households = 500", "households = 40")
        .replace("species = []  ", "");
    assert!(small.contains("households = 40\n") && !small.contains("species = []"));
    format!("{small}\n{YAK}")
}

/// Every leaf of the tree that is a number or a boolean, as a dotted key.
fn leaves(v: &toml::Value, path: &str, out: &mut Vec<(String, toml::Value)>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        toml::Value::Table(t) => {
            for (k, c) in t {
                leaves(c, &join(k), out);
            }
        }
        toml::Value::Array(a) if a.iter().any(|c| c.is_table()) => {
            for (i, c) in a.iter().enumerate() {
                leaves(c, &join(&i.to_string()), out);
            }
        }
        toml::Value::Float(_) | toml::Value::Integer(_) | toml::Value::Boolean(_) => {
            out.push((path.to_string(), v.clone()))
        }
        _ => {}
    }
}

/// Changes of a value large enough that a county of 40 households sees them: a
/// number down by 40% or up by half (or one), a flag flipped.
fn changes(v: &toml::Value) -> Vec<toml::Value> {
    match v {
        toml::Value::Float(x) if *x == 0.0 => vec![toml::Value::Float(0.05), toml::Value::Float(1.0)],
        toml::Value::Float(x) => vec![toml::Value::Float(x * 0.6), toml::Value::Float(x * 1.5)],
        toml::Value::Integer(i) => vec![toml::Value::Integer(i + 1), toml::Value::Integer(i - 1)],
        toml::Value::Boolean(b) => vec![toml::Value::Boolean(!b)],
        _ => Vec::new(),
    }
}

fn county_text(c: &County) -> String {
    format!("{:?}", c.households())
}

#[test]
fn issue17_strategies_share_a_county_only_where_it_is_the_same() {
    let text = base();
    let tree: toml::Value = toml::from_str(&text).unwrap();
    let mut keys = Vec::new();
    leaves(&tree, "", &mut keys);
    let (mut same, mut own) = (Vec::new(), Vec::new());
    for (key, value) in &keys {
        if scenario::SHARED_KEYS.contains(&key.split('.').next().unwrap_or_default()) {
            continue;
        }
        // The first change the scenario accepts: one it refuses (a share above 1) is
        // not a strategy anyone can run.
        let Some(s) = changes(value).into_iter().find_map(|value| {
            let with = format!(
                "{text}\n[[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"b\"\noverrides = {{ \"{key}\" = {value} }}\n"
            );
            scenario::parse(&with, "t.toml", "t").ok()
        }) else {
            continue;
        };
        let (a, b) = (&s.strategies[0].model, &s.strategies[1].model);
        if County::same(a, b) {
            for replicate in 0..2 {
                assert_eq!(
                    county_text(&County::new(a, s.seed, replicate, s.start_year)),
                    county_text(&County::new(b, s.seed, replicate, s.start_year)),
                    "changing {key} changes the county, but the strategies were judged to share it"
                );
            }
            same.push(key.clone());
        } else {
            own.push(key.clone());
        }
    }
    // Both kinds occur: the safety net and the program leave the county alone, the
    // population and the income model do not.
    for k in ["dibao.take_up_other", "exit.margin", "program.orders_per_household"] {
        assert!(same.contains(&k.to_string()), "{k} should share the county: {same:?}");
    }
    for k in [
        "population.working_age_share",
        "village.0.households",
        "income.farm_net_per_mu",
        "health.insured_share",
        "housing.unsafe_share_poor",
        "identification.exclusion_error",
        "herd.species.0.initial_heads",
    ] {
        assert!(own.contains(&k.to_string()), "{k} should get its own county: {own:?}");
    }
}

/// The model a scenario text describes before its income fit, with `key` set to
/// `value` (None if the scenario refuses it).
fn unfitted(text: &str, key: &str, value: toml::Value) -> Option<sandan::scenario::Model> {
    let mut tree: toml::Table = toml::from_str(text).ok()?;
    scenario::apply_override(&mut tree, key, value).ok()?;
    let raw = scenario::raw::RawScenario::from_toml(&toml::to_string(&tree).ok()?).ok()?;
    let frame = scenario::validate::frame(&raw).ok()?;
    scenario::validate::model(&raw, frame.start_year).ok()
}

/// Issue 17: a process reuses an income fit for a model with the same fit key
/// (`synthesis::fit_key`). Each key of the sections synthesis reads is changed in
/// turn; where the key stays the same, the fit computed afresh must be the same.
/// Later years of the wage and price tables (what calibration varies) share it.
#[test]
fn issue17_an_income_fit_is_reused_only_where_it_is_the_same() {
    use sandan::agents::synthesis::{fit_key, fit_uncached};
    let text = base().replace("# income = { mean = 8452.0", "income = { mean = 8452.0");
    assert!(text.contains("\nincome = { mean = 8452.0"));
    // The template's seed.
    let seed = 1;
    let plain = unfitted(&text, "seed", toml::Value::Integer(seed as i64)).unwrap();
    let (key, fit) = (fit_key(&plain, seed), fit_uncached(&plain, seed).unwrap());
    let tree: toml::Value = toml::from_str(&text).unwrap();
    let mut keys = Vec::new();
    leaves(&tree, "", &mut keys);
    let (mut same, mut own) = (Vec::new(), Vec::new());
    for (k, value) in &keys {
        let section = k.split('.').next().unwrap_or_default();
        let read = [
            "population",
            "village",
            "income",
            "health",
            "shocks",
            "finance",
            "herd",
            "poverty_line",
        ];
        if !read.contains(&section) {
            continue;
        }
        let Some(m) = changes(value).into_iter().find_map(|v| unfitted(&text, k, v)) else {
            continue;
        };
        if fit_key(&m, seed) == key {
            // The fit afresh, for the first year only of each table by year (a debug
            // build fits slowly).
            let (table, last) = k.rsplit_once('.').unwrap_or(("", k));
            let year = last.parse::<i32>().is_ok();
            if !year || !same.iter().any(|o: &String| o.starts_with(&format!("{table}."))) {
                assert_eq!(
                    fit_uncached(&m, seed),
                    Ok(fit),
                    "changing {k} changes the fit, but its key is the same"
                );
            }
            same.push(k.clone());
        } else {
            own.push(k.clone());
        }
    }
    // Calibration's parameter (a year the template's table does not list).
    let calibrated = unfitted(&text, "income.nonwage_index.2020", toml::Value::Float(1.62)).unwrap();
    assert_eq!(fit_key(&calibrated, seed), key);
    assert_eq!(fit_uncached(&calibrated, seed), Ok(fit));
    for k in [
        "income.migrant_monthly_wage.2020",
        "income.local_wage_per_day.2020",
        "poverty_line.2020",
        "herd.buy_share",
    ] {
        assert!(same.contains(&k.to_string()), "{k} should reuse the fit: {same:?}");
    }
    for k in [
        "income.nonwage_index.2016",
        "population.productivity_sd",
        "village.0.households",
        "health.acute_rate",
    ] {
        assert!(own.contains(&k.to_string()), "{k} should fit anew: {own:?}");
    }
    // And the fit a scenario gets is the one computed afresh, whether it was kept or not.
    for _ in 0..2 {
        let s = scenario::parse(&text, "t.toml", "t").unwrap();
        assert_eq!(s.strategies[0].model.income.fit, Some(fit));
    }
}
