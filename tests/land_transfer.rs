//! Land and pasture transfer (流转, issue 11; docs/ODD.md § 7.18): in the Tibet
//! scenario, households that order `land_transfer` let their land for a rent, farm
//! none of it and work the freed days for wages. The rent line of the four incomes
//! (`income_rent`) rises and farm income falls against the same scenario with the
//! item's rent set to 0 (a dividend item that pays nothing, which no household
//! orders), paired over replicates with common random numbers.

use sandan::engine::simulate;
use sandan::metrics::YearMetrics;
use sandan::scenario::{self, Scenario};

const TIBET: &str = include_str!("../scenarios/tibet.toml");
const REPLICATES: u32 = 6;

fn tibet(rent: &str) -> Scenario {
    let shipped = "rent_per_mu = 250.0";
    assert!(TIBET.contains(shipped), "the test reads the shipped rent");
    let text = TIBET.replace(shipped, &format!("rent_per_mu = {rent}"));
    scenario::parse(&text, "tibet.toml", "tibet").unwrap()
}

/// Per replicate of `four_incomes`: the last year's metrics.
fn last_years(s: &Scenario) -> Vec<YearMetrics> {
    let k = s.strategies.iter().position(|p| p.name == "four_incomes").unwrap();
    (0..REPLICATES)
        .map(|r| *simulate(s, k, r).years.last().unwrap())
        .collect()
}

/// Mean and standard error of the paired differences a − b.
fn paired(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (mean, sd / n.sqrt())
}

/// Measured with 10 replicates of the whole scenario (`cargo run --release`),
/// 2020: rent +2.0 yuan per person (se 0.2), farm income −2.6 (se 0.3), wages
/// +5.4 (se 0.7). The claims: more rent and less farm income, each by more than
/// three standard errors of the paired differences.
#[test]
fn issue11_land_transfer_raises_the_rent_of_the_four_incomes() {
    let (with, without) = (last_years(&tibet("250.0")), last_years(&tibet("0.0")));
    let pair = |f: fn(&YearMetrics) -> f64| {
        let (a, b): (Vec<f64>, Vec<f64>) = with.iter().zip(&without).map(|(x, y)| (f(x), f(y))).unzip();
        paired(&a, &b)
    };
    let (rent, se) = pair(|m| m.income_rent);
    assert!(rent - 3.0 * se > 0.0, "rent per person {rent:+.2} (se {se:.2})");
    let (farm, se) = pair(|m| m.income_farm);
    assert!(farm + 3.0 * se < 0.0, "farm income per person {farm:+.2} (se {se:.2})");
}
