//! Metamorphic tests of the three-order program, same seeds throughout.

use sandan::engine::{Simulation, simulate};
use sandan::scenario::{self, Scenario};

const BASE: &str = r#"
name = "program"
start_year = 2016
end_year = 2019
replicates = 3
[population]
starting_incidence = 0.3
[[village]]
name = "v"
count = 3
households = 150
"#;

fn with(extra_program: &str, strategies: &str) -> Scenario {
    let text = format!("{BASE}\n[program]\n{extra_program}\n{strategies}");
    scenario::parse(&text, "program.toml", "program").unwrap()
}

const THREE_ORDER: &str = r#"
[[strategy]]
name = "three_order"
menu = "needs_based"
ordering = "household_choice"
matching = "skill_based"
budget = 1_500_000
"#;

/// Filled and supported orders in the first program year.
fn first_year(s: &Scenario, seed: u64) -> (f64, f64) {
    let mut sim = Simulation::new(&s.strategies[0], seed, 0, 2016);
    sim.baseline();
    let m = sim.step().metrics;
    (m.orders_filled, m.orders_supported)
}

#[test]
fn more_members_or_more_capacity_never_lower_filled_orders() {
    let wait = "unclaimed = \"wait\"\n";
    let base = with(wait, THREE_ORDER);
    let more = with(&format!("{wait}{}", member_kinds(16, 3)), THREE_ORDER);
    let fewer = with(&format!("{wait}{}", member_kinds(8, 3)), THREE_ORDER);
    let roomier = with(&format!("{wait}{}", member_kinds(8, 6)), THREE_ORDER);
    for seed in 0..6 {
        let (f_fewer, s_fewer) = first_year(&fewer, seed);
        let (f_more, s_more) = first_year(&more, seed);
        let (f_roomy, s_roomy) = first_year(&roomier, seed);
        assert!(
            f_more >= f_fewer && s_more >= s_fewer,
            "seed {seed}: more members {f_more} < {f_fewer}"
        );
        assert!(
            f_roomy >= f_fewer && s_roomy >= s_fewer,
            "seed {seed}: more capacity {f_roomy} < {f_fewer}"
        );
        assert!(f_fewer > 0.0, "the test needs orders to fill");
    }
    let _ = base;
}

/// One kind of member, `n` per village with capacity `cap` (and full spare time so
/// capacity is exactly `cap`).
fn member_kinds(n: u32, cap: u32) -> String {
    format!(
        "[[program.member_kind]]\nname = \"member\"\nper_village = {n}\ncapacity = {cap}\nskill_share = 0.5\nskill = {{ mean = 0.5, sd = 0.2 }}\nspare_time = {{ mean = 1.0, sd = 0.0 }}\neffectiveness = {{ mean = 0.6, sd = 0.1 }}\n"
    )
}

#[test]
fn zero_budget_three_order_is_exactly_no_program() {
    let s = with(
        "",
        r#"
[[strategy]]
name = "no_program"
[[strategy]]
name = "three_order_without_money"
menu = "needs_based"
ordering = "household_choice"
matching = "skill_based"
budget = 0
"#,
    );
    // Bitwise, so that NaN (no cost per person before any exit) equals NaN.
    let bits = |years: &[sandan::metrics::YearMetrics]| -> Vec<Vec<u64>> {
        years
            .iter()
            .map(|m| m.values().iter().map(|x| x.to_bits()).collect())
            .collect()
    };
    for r in 0..s.replicates {
        assert_eq!(
            bits(&simulate(&s, 0, r).years),
            bits(&simulate(&s, 1, r).years),
            "replicate {r}"
        );
    }
}

#[test]
fn raising_the_ownership_effect_never_raises_three_order_incidence() {
    let low = with("project = { ownership_effect = 0.0 }", THREE_ORDER);
    let high = with("project = { ownership_effect = 0.4 }", THREE_ORDER);
    for r in 0..low.replicates {
        let (a, b) = (simulate(&low, 0, r), simulate(&high, 0, r));
        for (x, y) in a.years.iter().zip(&b.years) {
            assert!(
                y.incidence <= x.incidence,
                "replicate {r} year {}: {} > {}",
                x.year,
                y.incidence,
                x.incidence
            );
        }
    }
}

#[test]
fn cash_transfer_pays_the_budget_to_registered_households() {
    let s = with(
        "",
        "[[strategy]]\nname = \"cash\"\ndelivery = \"cash\"\nbudget = 1_000_000\n",
    );
    let rec = simulate(&s, 0, 0);
    for y in &rec.years[1..] {
        assert!((y.spending_cash - 1_000_000.0).abs() < 1e-3, "{}", y.spending_cash);
        assert_eq!(y.orders_placed, 0.0);
    }
}

#[test]
fn programs_cost_no_more_than_their_budget() {
    let s = with("", THREE_ORDER);
    for r in 0..s.replicates {
        for y in simulate(&s, 0, r).years {
            assert!(y.spending_program <= 1_500_000.0 + 1e-6);
            assert!(y.orders_supported + y.orders_unclaimed <= y.orders_placed + 1e-9 || y.orders_placed == 0.0);
            assert!(y.orders_filled <= y.orders_placed);
        }
    }
}
