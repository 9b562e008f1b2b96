//! The yearly review's one calculation of income counts what the program brings
//! (issue 11): with `identification.assessment_counts_programs`, households whose
//! income from projects and payouts lifts them above the line exit, so official
//! incidence falls further under a program; without a program the key changes
//! nothing. Poor villages are counted apart.
//!
//! Paired over replicates with common random numbers: the two settings of a
//! replicate face the same county, weather and prices, so their difference is free
//! of the county's luck; the tolerance is the paired differences' standard error.

use sandan::engine::simulate;
use sandan::scenario::{self, Scenario};

const REPLICATES: u32 = 16;

/// Two villages of 150 households, the first designated poor if `poor`; a program
/// strategy and the safety net alone.
fn county(counts_programs: bool, poor: bool) -> Scenario {
    let text = format!(
        r#"
name = "review"
start_year = 2016
end_year = 2019
replicates = {REPLICATES}
[population]
starting_incidence = 0.3
[identification]
assessment_counts_programs = {counts_programs}
[[village]]
name = "poor"
households = 150
starting_incidence = 0.4
poor = {poor}
[[village]]
name = "other"
households = 150
starting_incidence = 0.2
[[strategy]]
name = "three_order"
menu = "needs_based"
ordering = "household_choice"
matching = "skill_based"
budget = 1_500_000
[[strategy]]
name = "no_program"
"#
    );
    scenario::parse(&text, "review.toml", "review").unwrap()
}

/// Official incidence in the last year of strategy `s`, replicate `r`.
fn official(scenario: &Scenario, s: usize, r: u32) -> f64 {
    simulate(scenario, s, r).years.last().unwrap().official_incidence
}

#[test]
fn counting_program_income_lets_households_exit_on_it() {
    let (on, off) = (county(true, true), county(false, true));
    let d: Vec<f64> = (0..REPLICATES)
        .map(|r| official(&on, 0, r) - official(&off, 0, r))
        .collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let se = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    assert!(
        mean < -2.0 * se,
        "counting program income changed official incidence by {mean:.5} (se {se:.5}): not lower"
    );
}

#[test]
fn without_a_program_the_key_changes_nothing() {
    let (on, off) = (county(true, true), county(false, true));
    for r in 0..4 {
        // Debug output, so that NaN metrics compare equal to themselves.
        let years = |s: &Scenario| format!("{:?}", simulate(s, 1, r).years);
        assert_eq!(years(&on), years(&off), "replicate {r}");
    }
}

#[test]
fn poor_villages_are_counted_apart() {
    let years = simulate(&county(true, true), 0, 0).years;
    for y in &years {
        assert!(y.poor_villages_exited <= y.villages_exited);
        assert!(y.poor_villages_exited == 0.0 || y.poor_villages_exited == 1.0);
    }
    // A county that designates none reports NaN, not 0.
    let none = county(true, false);
    assert!(
        simulate(&none, 0, 0)
            .years
            .iter()
            .all(|y| y.poor_villages_exited.is_nan())
    );
}

/// The same county from 2016 to 2020 with `exit.reentry_confirm_reviews = k`.
fn confirmed(k: u32) -> Scenario {
    let text = format!(
        r#"
name = "reentry"
start_year = 2016
end_year = 2020
replicates = {REPLICATES}
[population]
starting_incidence = 0.3
[exit]
reentry_confirm_reviews = {k}
[[village]]
name = "one"
households = 600
starting_incidence = 0.3
[[strategy]]
name = "no_program"
"#
    );
    scenario::parse(&text, "reentry.toml", "reentry").unwrap()
}

/// Re-entries over the years of replicate `r`.
fn reentries(scenario: &Scenario, r: u32) -> f64 {
    simulate(scenario, 0, r).years.iter().map(|m| m.reentries).sum()
}

/// An exited household assessed below the line is first monitored and helped; with
/// `reentry_confirm_reviews = 2` it is registered again only if it was monitored at
/// the review before (docs/ODD.md § 7.5). Paired over replicates, that lowers
/// re-entries by more than three standard errors of the paired differences; and
/// no household can be monitored at nine consecutive reviews in four years, so with
/// 10 there is no re-entry at all.
#[test]
fn reentry_waits_for_a_review_under_monitoring() {
    let (once, twice, never) = (confirmed(1), confirmed(2), confirmed(10));
    let d: Vec<f64> = (0..REPLICATES)
        .map(|r| reentries(&twice, r) - reentries(&once, r))
        .collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(mean + 3.0 * sd / n.sqrt() < 0.0, "paired differences {d:?}");
    for r in 0..REPLICATES {
        assert_eq!(reentries(&never, r), 0.0, "replicate {r}");
    }
}
