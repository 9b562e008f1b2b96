//! How robust is the ranking of strategies over a sweep? Per point and over the
//! whole design: the share of replicates in which each strategy is best (lowest
//! final-year value of the metric, ties shared) and its regret (its value minus the
//! best strategy's in the same replicate, which under common random numbers is a
//! paired difference).
//!
//! [`rank`] is a pure function of one point's values; [`write`] streams
//! `results.csv` one point at a time (a finished sweep is in run order, and a
//! point's runs are consecutive) and writes `rankings.csv` and `rankings.png`.

use super::{SweepError, csv_line, num, store};
use crate::metrics::Summary;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One strategy's standing over a set of replicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub strategy: String,
    /// Replicates in which the strategy had a value.
    pub replicates: usize,
    /// Share of those replicates in which it was best (a tie of m strategies gives
    /// each 1/m).
    pub share_best: f64,
    /// Its value minus the best strategy's, over the replicates.
    pub regret: Summary,
}

/// Standings of `strategies` from `values[r][s]`, the metric of strategy s in
/// replicate r (lower is better; a NaN takes no part in that replicate).
pub fn rank(strategies: &[String], values: &[Vec<f64>]) -> Vec<Standing> {
    let mut best = vec![0.0; strategies.len()];
    let mut regrets = vec![Vec::new(); strategies.len()];
    for row in values {
        let min = row
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min);
        if !min.is_finite() {
            continue;
        }
        let ties = row.iter().filter(|&&v| v == min).count() as f64;
        for (s, &v) in row.iter().enumerate() {
            if v.is_finite() {
                if v == min {
                    best[s] += 1.0 / ties;
                }
                regrets[s].push(v - min);
            }
        }
    }
    strategies
        .iter()
        .enumerate()
        .map(|(s, name)| Standing {
            strategy: name.clone(),
            replicates: regrets[s].len(),
            share_best: if regrets[s].is_empty() {
                f64::NAN
            } else {
                best[s] / regrets[s].len() as f64
            },
            regret: Summary::of(&regrets[s]),
        })
        .collect()
}

/// What [`write`] found over the whole design, for the chart and the terminal.
#[derive(Debug, Clone, PartialEq)]
pub struct Rankings {
    pub metric: String,
    pub year: i32,
    pub overall: Vec<Standing>,
    pub strategies: Vec<String>,
    pub parameters: Vec<String>,
    /// Per point: its parameter values as written, and each strategy's mean of the
    /// metric in the final year over the replicates (NaN where it has none).
    pub points: Vec<(Vec<String>, Vec<f64>)>,
}

/// Write `rankings.csv` (per point, then `all`) and `rankings.png` for `metric` in
/// the final year of a finished sweep directory.
pub fn write(dir: &Path, metric: &str) -> Result<(Vec<PathBuf>, Rankings), SweepError> {
    let (path, mut reader, header) = store::open_results(dir)?;
    let bad = |m: String| store::damaged(&path, m);
    let col = |name: &str| store::column(&header, name, &path);
    let (c_point, c_strategy, c_rep, c_year) = (col("point")?, col("strategy")?, col("replicate")?, col("year")?);
    let c_metric = header
        .iter()
        .position(|h| h == metric)
        .filter(|&c| c > c_year)
        .ok_or_else(|| SweepError::Metric(metric.to_string(), header[c_year + 1..].join(", ")))?;
    let parameters = header[c_point + 1..c_strategy].to_vec();
    let mut cols: Vec<&str> = vec!["point"];
    cols.extend(parameters.iter().map(String::as_str));
    cols.extend([
        "strategy",
        "metric",
        "year",
        "replicates",
        "share_best",
        "regret_mean",
        "regret_p50",
        "regret_p95",
    ]);
    let mut out = csv_line(cols.into_iter());
    let mut strategies: Vec<String> = Vec::new();
    // Per point: (replicate) → per strategy (year, value) at the latest year.
    type Group = (u64, Vec<String>, BTreeMap<u64, Vec<(i32, f64)>>);
    let mut group: Option<Group> = None;
    let mut all: Vec<Vec<f64>> = Vec::new();
    let mut year = i32::MIN;
    let mut record = csv::StringRecord::new();
    let mut points: Vec<(Vec<String>, Vec<f64>)> = Vec::new();
    let mut flush = |g: Group, strategies: &[String], out: &mut Vec<u8>, all: &mut Vec<Vec<f64>>, year: &mut i32| {
        let values: Vec<Vec<f64>> =
            g.2.values()
                .map(|row| {
                    let mut v: Vec<f64> = row.iter().map(|&(_, x)| x).collect();
                    v.resize(strategies.len(), f64::NAN);
                    v
                })
                .collect();
        *year = (*year).max(g.2.values().flatten().map(|&(y, _)| y).max().unwrap_or(i32::MIN));
        let means: Vec<f64> = (0..strategies.len())
            .map(|s| {
                let xs: Vec<f64> = values.iter().map(|v| v[s]).filter(|x| x.is_finite()).collect();
                if xs.is_empty() {
                    f64::NAN
                } else {
                    xs.iter().sum::<f64>() / xs.len() as f64
                }
            })
            .collect();
        points.push((g.1.clone(), means));
        for st in rank(strategies, &values) {
            let mut row = vec![g.0.to_string()];
            row.extend(g.1.iter().cloned());
            row.extend(standing_cells(&st, metric, *year));
            out.extend(csv_line(row.iter().map(String::as_str)));
        }
        all.extend(values);
    };
    loop {
        let more = reader.read_record(&mut record).map_err(|e| bad(e.to_string()))?;
        let point = if more {
            Some(record[c_point].parse::<u64>().map_err(|e| bad(format!("point: {e}")))?)
        } else {
            None
        };
        if let Some(g) = group.take_if(|g| Some(g.0) != point) {
            flush(g, &strategies, &mut out, &mut all, &mut year);
        }
        let Some(point) = point else { break };
        let g = group.get_or_insert_with(|| {
            (
                point,
                record
                    .iter()
                    .skip(c_point + 1)
                    .take(c_strategy - c_point - 1)
                    .map(String::from)
                    .collect(),
                BTreeMap::new(),
            )
        });
        let s = match strategies.iter().position(|x| x == &record[c_strategy]) {
            Some(s) => s,
            None => {
                strategies.push(record[c_strategy].to_string());
                strategies.len() - 1
            }
        };
        let rep: u64 = record[c_rep].parse().map_err(|e| bad(format!("replicate: {e}")))?;
        let y: i32 = record[c_year].parse().map_err(|e| bad(format!("year: {e}")))?;
        let x: f64 = match &record[c_metric] {
            "NA" => f64::NAN,
            v => v.parse().map_err(|e| bad(format!("{metric}: {e}")))?,
        };
        let row = g.2.entry(rep).or_default();
        if row.len() <= s {
            row.resize(s + 1, (i32::MIN, f64::NAN));
        }
        if y >= row[s].0 {
            row[s] = (y, x);
        }
    }
    for v in &mut all {
        v.resize(strategies.len(), f64::NAN);
    }
    for (_, m) in &mut points {
        m.resize(strategies.len(), f64::NAN);
    }
    let overall = rank(&strategies, &all);
    for st in &overall {
        let mut row = vec!["all".to_string()];
        row.extend(parameters.iter().map(|_| String::new()));
        row.extend(standing_cells(st, metric, year));
        out.extend(csv_line(row.iter().map(String::as_str)));
    }
    let csv_path = dir.join("rankings.csv");
    crate::output::write_atomic(&csv_path, &out)?;
    let r = Rankings {
        metric: metric.to_string(),
        year,
        overall,
        strategies,
        parameters,
        points,
    };
    let png = dir.join("rankings.png");
    crate::output::write_atomic(&png, &super::plot::rankings_png(&r)?)?;
    Ok((vec![csv_path, png], r))
}

fn standing_cells(st: &Standing, metric: &str, year: i32) -> Vec<String> {
    vec![
        st.strategy.clone(),
        metric.to_string(),
        year.to_string(),
        st.replicates.to_string(),
        num(st.share_best),
        num(st.regret.mean),
        num(st.regret.p50),
        num(st.regret.p95),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue15_the_best_share_splits_ties_and_regret_is_paired() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let v = vec![vec![1.0, 2.0, 3.0], vec![2.0, 2.0, 5.0], vec![4.0, 3.0, f64::NAN]];
        let r = rank(&names, &v);
        assert_eq!(r[0].share_best, (1.0 + 0.5) / 3.0);
        assert_eq!(r[1].share_best, (0.5 + 1.0) / 3.0);
        assert_eq!(r[2].share_best, 0.0);
        assert_eq!(r[2].replicates, 2);
        assert_eq!(r[0].regret.mean, (0.0 + 0.0 + 1.0) / 3.0);
        assert_eq!(r[2].regret.mean, (2.0 + 3.0) / 2.0);
        let total: f64 = r.iter().map(|s| s.share_best * s.replicates as f64).sum();
        assert!((total - 3.0).abs() < 1e-12, "one best per replicate");
    }
}
