//! Members who matter (issue 11, item 5): over replicates with common random
//! numbers, at the same budget, skill-based matching beats random matching, which
//! beats no members, when members' skills differ; when they are all alike, the two
//! matchings agree within Monte Carlo error.
//!
//! Each claim is a paired comparison: every strategy of a replicate faces the same
//! county, members, weather and prices, so the difference of two strategies within
//! a replicate is free of the county's luck. The tolerance is the paired
//! differences' standard error.

use sandan::engine::simulate;
use sandan::scenario::{self, Scenario};

const REPLICATES: u32 = 48;

/// A small county built for the test: four villages of 120 households, six members
/// each with capacity 4 and full spare time, each holding a skill in a kind with
/// chance `skill_share`, at a level of mean 0.5 and sd `skill_sd`. Capacity binds,
/// so members choose whom to support; both matchings serve poorer households first.
fn county(skill_share: f64, skill_sd: f64, effectiveness_sd: f64) -> Scenario {
    let strategy = |name: &str, matching: &str| {
        format!(
            "[[strategy]]\nname = \"{name}\"\nmenu = \"needs_based\"\nordering = \"household_choice\"\nmatching = \"{matching}\"\nbudget = 1_200_000\n"
        )
    };
    let text = format!(
        r#"
name = "members"
start_year = 2016
end_year = 2019
replicates = {REPLICATES}
[population]
starting_incidence = 0.35
[[village]]
name = "v"
count = 4
households = 120
[[program.member_kind]]
name = "member"
per_village = 6
capacity = 4
skill_share = {skill_share}
skill = {{ mean = 0.5, sd = {skill_sd} }}
spare_time = {{ mean = 1.0, sd = 0.0 }}
effectiveness = {{ mean = 0.6, sd = {effectiveness_sd} }}
{}{}{}"#,
        strategy("skill_based", "skill_based"),
        strategy("random", "random"),
        strategy("no_members", "none"),
    );
    scenario::parse(&text, "members.toml", "members").unwrap()
}

/// Mean incidence over the program years of strategy `s` in replicate `r`.
fn incidence(scenario: &Scenario, s: usize, r: u32) -> f64 {
    let years = simulate(scenario, s, r).years;
    let program = &years[1..];
    program.iter().map(|y| y.incidence).sum::<f64>() / program.len() as f64
}

/// Mean and standard error of the paired differences `a − b` over replicates.
fn paired(scenario: &Scenario, a: usize, b: usize) -> (f64, f64) {
    let d: Vec<f64> = (0..REPLICATES)
        .map(|r| incidence(scenario, a, r) - incidence(scenario, b, r))
        .collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn with_skills_that_differ_skill_based_beats_random_beats_no_members() {
    let s = county(1.0, 0.3, 0.2);
    let (skill_vs_random, se1) = paired(&s, 0, 1);
    let (random_vs_none, se2) = paired(&s, 1, 2);
    assert!(
        skill_vs_random < -2.0 * se1,
        "skill-based − random = {skill_vs_random:.5} (se {se1:.5}): not lower"
    );
    assert!(
        random_vs_none < -2.0 * se2,
        "random − no members = {random_vs_none:.5} (se {se2:.5}): not lower"
    );
}

#[test]
fn with_identical_members_skill_based_and_random_agree() {
    // Alike in level, effectiveness and time; members still differ in which kinds
    // they hold, so the two matchings do not pair the same households and members.
    let s = county(0.6, 0.0, 0.0);
    let (d, se) = paired(&s, 0, 1);
    // Three standard errors: a true difference of zero falls outside with
    // probability 0.3%. The members must still matter here, or agreement would be
    // empty.
    assert!(d.abs() <= 3.0 * se, "skill-based − random = {d:.5} (se {se:.5})");
    let (members, se_m) = paired(&s, 1, 2);
    assert!(
        members < -2.0 * se_m,
        "members made no difference: {members:.5} (se {se_m:.5})"
    );
}
