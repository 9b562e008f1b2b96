//! Issue 16, finite results: every money key has a maximum (`MAX_YUAN`), a value
//! above it is refused on one located line, and a county with every money key at
//! its maximum at once still gives a finite number for every metric.

use sandan::engine;
use sandan::scenario::validate::MAX_YUAN;
use sandan::scenario::{self, apply_override};

/// Every money key of the scenario, by dotted path (year tables by one year).
const MONEY: &[&str] = &[
    "poverty_line.2016",
    "population.savings.mean",
    "population.savings.sd",
    "population.savings_poor.mean",
    "population.debt_poor.mean",
    "income.farm_net_per_mu",
    "income.land_rent_per_mu",
    "income.local_wage_per_day.2016",
    "income.migrant_monthly_wage.2016",
    "income.other_income_per_capita",
    "income.property_per_capita",
    "income.business_per_labourer",
    "health.episode_cost.mean",
    "health.chronic_cost.mean",
    "herd.buy_above",
    "dibao.standard.2016",
    "medical_assistance.deductible",
    "medical_assistance.cap",
    "housing.renovation_cost",
    "program.cattle.calf_price",
    "program.cattle.sale_price",
    "program.cattle.feed_cost",
    "program.bees.colony_price",
    "program.bees.honey_price",
    "program.bees.running_cost",
    "program.training.cost",
    "program.collective.target",
    "program.item.0.unit_cost",
    "program.item.0.expected_return",
];

/// The template (every key, its full catalogue) shrunk to a few households and
/// years, with a herd and two program strategies, so that every money flow runs.
fn base() -> toml::Table {
    let mut t: toml::Table = toml::from_str(include_str!("../scenarios/template.toml")).unwrap();
    let extra: toml::Table = toml::from_str(
        r#"
        end_year = 2019
        replicates = 1
        village = [{ name = "a", households = 40, poor = true }]
        [herd]
        buy_species = "cattle"
        species = [{ name = "cattle", value = 6000.0, births = 0.5, deaths = 0.024, sale_rate = 0.3,
                     feed_cost = 2000.0, fixed_cost = 3000.0, disaster_probability = 0.05,
                     disaster_loss = 0.3, max_heads_per_labourer = 10, initial_heads = 2 }]
        [[strategy]]
        name = "projects"
        menu = "needs_based"
        budget = 1e10
        [[strategy]]
        name = "cash"
        delivery = "cash"
        budget = 1e10
        "#,
    )
    .unwrap();
    t.extend(extra);
    t
}

fn parse(t: &toml::Table) -> Result<scenario::Scenario, scenario::ScenarioError> {
    scenario::parse(&toml::to_string(t).unwrap(), "m.toml", "m")
}

#[test]
fn a_money_key_above_its_maximum_is_refused_on_one_line() {
    parse(&base()).unwrap();
    for key in MONEY.iter().chain(&["herd.species.0.value", "strategy.0.budget"]) {
        let mut t = base();
        apply_override(&mut t, key, toml::Value::Float(1e308)).unwrap();
        let e = parse(&t)
            .err()
            .unwrap_or_else(|| panic!("{key} = 1e308 was accepted"))
            .to_string();
        assert!(e.starts_with("m.toml:") && !e.contains('\n'), "{key}: {e}");
        assert!(e.contains(" 10000000000") && e.contains("got 1e308"), "{key}: {e}");
    }
}

#[test]
fn every_money_key_at_its_maximum_gives_finite_results() {
    let mut t = base();
    for key in MONEY {
        apply_override(&mut t, key, toml::Value::Float(MAX_YUAN)).unwrap();
    }
    let s = parse(&t).unwrap();
    for k in 0..s.strategies.len() {
        let rec = engine::simulate(&s, k, 0);
        assert_eq!(rec.first_non_finite(), None, "strategy {}", s.strategies[k].name);
    }
}

#[test]
fn a_subnormal_productivity_spread_runs_finite() {
    // Found by tests/mutate.rs: 5e-324 made a non-poor household's productivity inf.
    let mut t = base();
    apply_override(&mut t, "population.productivity_sd", toml::Value::Float(5e-324)).unwrap();
    let s = parse(&t).unwrap();
    assert_eq!(engine::simulate(&s, 0, 0).first_non_finite(), None);
}

#[test]
fn a_subnormal_migrant_wage_without_farm_income_runs_finite() {
    // Found by tests/mutate.rs (1,000,000 cases): a migrant wage of 5e-324 with no
    // farm income left labour income so small that the line's crossing overflowed.
    let mut t = base();
    apply_override(&mut t, "income.migrant_monthly_wage.2016", toml::Value::Float(5e-324)).unwrap();
    apply_override(&mut t, "income.farm_net_per_mu", toml::Value::Float(0.0)).unwrap();
    let s = parse(&t).unwrap();
    assert_eq!(engine::simulate(&s, 0, 0).first_non_finite(), None);
}
