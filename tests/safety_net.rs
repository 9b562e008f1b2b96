//! Illness and the dibao rule (issue 11), over paired replicates with common random
//! numbers; tolerances are two standard errors of the paired differences.
//!
//! Dibao requires an ill or disabled member or no labourer
//! (`dibao.require_incapacity`), so illness is what makes many poor households
//! eligible. Removing illness therefore lowers dibao spending; and it lowers
//! incidence, with the rule or without it: the costs and lost workdays of illness
//! weigh more than the eligibility it brings. (Before incomes were fitted and every
//! eligible registered household received dibao, removing illness raised incidence
//! by 1.2 points in the default county: issue 11. Now it lowers it, 3.65% → 3.54%
//! in 2020 under `no_program`.)

use sandan::engine::simulate;
use sandan::scenario::{self, Scenario};

const REPLICATES: u32 = 16;

/// Three villages of 150 households, 2016–2019, the safety net alone, with and
/// without illness, the incapacity rule on or off.
fn county(illness: bool, require_incapacity: bool) -> Scenario {
    let health = if illness {
        String::new()
    } else {
        "[health]\nacute_rate = 0.0\nchronic_acute_rate = 0.0\nchronic_onset_rate = 0.0\n".to_string()
    };
    let chronic = if illness { 0.05 } else { 0.0 };
    let text = format!(
        r#"
name = "net"
start_year = 2016
end_year = 2019
replicates = {REPLICATES}
[population]
starting_incidence = 0.25
chronic_illness_rate = {chronic}
{health}
[dibao]
require_incapacity = {require_incapacity}
[[village]]
name = "v"
count = 3
households = 150
[[strategy]]
name = "no_program"
"#
    );
    scenario::parse(&text, "net.toml", "net").unwrap()
}

/// Mean and standard error of the paired differences `f(r)` over replicates.
fn paired(f: impl Fn(u32) -> f64) -> (f64, f64) {
    let d: Vec<f64> = (0..REPLICATES).map(f).collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Mean incidence over the simulated years after the baseline.
fn incidence(s: &Scenario, strategy: usize, r: u32) -> f64 {
    let years = simulate(s, strategy, r).years;
    years[1..].iter().map(|y| y.incidence).sum::<f64>() / (years.len() - 1) as f64
}

#[test]
fn without_illness_incidence_falls_even_with_the_incapacity_rule() {
    let (ill, healthy) = (county(true, true), county(false, true));
    let (d, se) = paired(|r| incidence(&healthy, 0, r) - incidence(&ill, 0, r));
    assert!(d < -2.0 * se, "no illness − illness = {d:.5} (se {se:.5}): not lower");
}

#[test]
fn without_the_incapacity_rule_incidence_falls_too() {
    let (ill, healthy) = (county(true, false), county(false, false));
    let (d, se) = paired(|r| incidence(&healthy, 0, r) - incidence(&ill, 0, r));
    assert!(d < -2.0 * se, "no illness − illness = {d:.5} (se {se:.5}): not lower");
}

#[test]
fn without_illness_fewer_households_receive_dibao() {
    let (ill, healthy) = (county(true, true), county(false, true));
    let dibao = |s: &Scenario, r: u32| simulate(s, 0, r).years.iter().map(|y| y.spending_dibao).sum::<f64>();
    let (d, se) = paired(|r| dibao(&healthy, r) - dibao(&ill, r));
    assert!(
        d < -2.0 * se,
        "no illness − illness = {d:.0} yuan of dibao (se {se:.0}): not lower"
    );
}
