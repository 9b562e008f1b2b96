//! Feature scoring of a grid, Latin-hypercube or table sweep already on disk (no new
//! runs): the share of the variance over the design's points of each strategy's
//! final-year metric (its mean over replicates) explained by each parameter alone —
//! a first-order effect estimated by binning, the correlation ratio η².
//!
//! A parameter with at most [`MAX_LEVELS`] distinct values (a grid's, or a category)
//! is binned by value; otherwise the points are sorted by it and cut into ⌊√n⌋ bins
//! of equal count. η² = Σ_b n_b (ȳ_b − ȳ)² / Σ (y − ȳ)². On a full grid, where every
//! other parameter is balanced within each bin, it is the first-order Sobol index of
//! the grid's discrete distribution. Noise in the outputs (replicates, the spread of
//! other parameters within a hypercube's bin) biases it upwards: a parameter with no
//! effect scores about (B − 1)/(n − 1) under pure noise, written beside each score
//! as `noise_floor`, so that a score near it is read as no effect.

use super::{SweepError, csv_line, num};
use std::path::{Path, PathBuf};

/// At most this many distinct values are binned one bin per value.
pub const MAX_LEVELS: usize = 20;

/// The first-order share η² of `y`'s variance explained by `x`, and the bins used. NaN when it cannot be estimated (fewer points than two per bin, or `y`
/// constant).
pub fn first_order(x: &[f64], y: &[f64]) -> (f64, usize) {
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut distinct: Vec<f64> = x.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let bins: Vec<Vec<usize>> = if distinct.len() <= MAX_LEVELS {
        distinct
            .iter()
            .map(|v| order.iter().copied().filter(|&i| x[i] == *v).collect())
            .collect()
    } else {
        let b = ((n as f64).sqrt().floor() as usize).max(2);
        (0..b).map(|k| order[k * n / b..(k + 1) * n / b].to_vec()).collect()
    };
    let b = bins.len();
    if b < 2 || n < 2 * b {
        return (f64::NAN, b);
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let total: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    if total <= 0.0 || !total.is_finite() {
        return (f64::NAN, b);
    }
    let between: f64 = bins
        .iter()
        .map(|bin| {
            let m = bin.iter().map(|&i| y[i]).sum::<f64>() / bin.len() as f64;
            bin.len() as f64 * (m - mean).powi(2)
        })
        .sum();
    (between / total, b)
}

/// Parameter values as numbers: numbers as themselves, anything else by its rank
/// among the distinct values.
fn numeric(column: &[&str]) -> Vec<f64> {
    if column.iter().all(|v| v.parse::<f64>().is_ok()) {
        return column.iter().map(|v| v.parse().unwrap_or(f64::NAN)).collect();
    }
    let mut distinct = column.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    column
        .iter()
        .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0) as f64)
        .collect()
}

/// Write `feature_scores.csv` from the per-point means that [`super::rankings::write`]
/// gathered: one row per strategy × parameter, largest share first.
pub fn write(dir: &Path, r: &super::rankings::Rankings) -> Result<PathBuf, SweepError> {
    let mut out = csv_line(
        [
            "strategy",
            "metric",
            "year",
            "parameter",
            "first_order",
            "noise_floor",
            "bins",
            "points",
        ]
        .into_iter(),
    );
    for (s, strategy) in r.strategies.iter().enumerate() {
        let rows: Vec<&(Vec<String>, Vec<f64>)> = r.points.iter().filter(|(_, m)| m[s].is_finite()).collect();
        let y: Vec<f64> = rows.iter().map(|(_, m)| m[s]).collect();
        let mut scores: Vec<(f64, usize, &String)> = r
            .parameters
            .iter()
            .enumerate()
            .map(|(p, name)| {
                let column: Vec<&str> = rows.iter().map(|(v, _)| v[p].as_str()).collect();
                let (share, bins) = first_order(&numeric(&column), &y);
                (share, bins, name)
            })
            .collect();
        scores.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (share, bins, name) in scores {
            let cells = [
                strategy.clone(),
                r.metric.clone(),
                r.year.to_string(),
                name.clone(),
                num(share),
                num((bins as f64 - 1.0) / (y.len() as f64 - 1.0)),
                bins.to_string(),
                y.len().to_string(),
            ];
            out.extend(csv_line(cells.iter().map(String::as_str)));
        }
    }
    let path = dir.join("feature_scores.csv");
    crate::output::write_atomic(&path, &out)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue15_first_order_shares_of_an_additive_grid_are_exact() {
        // y = a + 2 b on a balanced 3 × 4 grid: Var(a) = 2/3, Var(2b) = 4 × 5/4 = 5.
        let (mut a, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..3 {
            for j in 0..4 {
                a.push(f64::from(i));
                b.push(f64::from(j));
                y.push(f64::from(i) + 2.0 * f64::from(j));
            }
        }
        let (sa, bins) = first_order(&a, &y);
        let (sb, _) = first_order(&b, &y);
        assert_eq!(bins, 3);
        let (ea, eb) = ((2.0 / 3.0) / (2.0 / 3.0 + 5.0), 5.0 / (2.0 / 3.0 + 5.0));
        assert!((sa - ea).abs() < 1e-12, "{sa}");
        assert!((sb - eb).abs() < 1e-12, "{sb}");
        // A parameter y does not depend on scores 0.
        let (s0, _) = first_order(&b, &a);
        assert_eq!(s0, 0.0);
        assert!(first_order(&a, &[1.0; 12]).0.is_nan(), "a constant output");
    }

    #[test]
    fn many_distinct_values_are_binned_by_count() {
        let x: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
        let y: Vec<f64> = x.iter().map(|v| v * v).collect();
        let (s, bins) = first_order(&x, &y);
        assert_eq!(bins, 10);
        assert!(s > 0.95, "{s}");
    }
}
