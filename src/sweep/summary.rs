//! Per-point summaries of a finished sweep, read back from `results.csv` in one
//! streaming pass.
//!
//! Rows are in run order and a point's replicates are consecutive runs, so only one
//! point's values are held at a time: memory grows with replicates × strategies ×
//! years, never with the number of points or runs. The columns are read from the
//! header (parameters between `point` and `strategy`, metrics after `year`), so new
//! metrics flow through without a change here.

use super::{SweepError, csv_line, num, store};
use crate::metrics::Summary;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The plotted metric at one point, per strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSummary {
    pub point: u64,
    /// The point's parameter values as written in the results.
    pub params: Vec<String>,
    /// (strategy, summary over replicates of the chosen metric in the final year).
    pub by_strategy: Vec<(String, Summary)>,
}

/// What [`summarise`] returns for plotting.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSummary {
    pub parameters: Vec<String>,
    pub metric: String,
    pub year: i32,
    pub strategies: Vec<String>,
    pub points: Vec<PointSummary>,
}

/// One point's rows, gathered: for each (strategy, year), each metric's values.
struct Group {
    point: u64,
    params: Vec<String>,
    order: Vec<(String, i32)>,
    index: HashMap<(String, i32), usize>,
    values: Vec<Vec<Vec<f64>>>,
}

/// Write `summary.csv` (one row per point × strategy × year × metric: mean and the
/// 5/50/95% quantiles over replicates) into `dir`, and return the chosen metric's
/// final-year summaries for the plot.
pub fn summarise(dir: &Path, metric: &str) -> Result<SweepSummary, SweepError> {
    let (path, mut reader, header) = store::open_results(dir)?;
    let bad = |m: String| store::damaged(&path, m);
    let col = |name: &str| store::column(&header, name, &path);
    let (c_point, c_strategy, c_year) = (col("point")?, col("strategy")?, col("year")?);
    let parameters = header[c_point + 1..c_strategy].to_vec();
    let metrics = header[c_year + 1..].to_vec();
    let m_idx = metrics
        .iter()
        .position(|m| m == metric)
        .ok_or_else(|| SweepError::Metric(metric.to_string(), metrics.join(", ")))?;

    let mut cols: Vec<&str> = vec!["point"];
    cols.extend(parameters.iter().map(String::as_str));
    cols.extend(["strategy", "year", "metric", "mean", "p05", "p50", "p95"]);
    let mut result = SweepSummary {
        parameters: parameters.clone(),
        metric: metric.to_string(),
        year: i32::MIN,
        strategies: Vec::new(),
        points: Vec::new(),
    };
    // Streamed into a temporary of the usual `.NAME.PID.tmp` pattern: removed on a
    // failure (a full disk), and by the next sandan writing here after a kill.
    let mut failure: Option<SweepError> = None;
    let written = crate::output::write_atomic_with(&dir.join("summary.csv"), |out| {
        let mut body = || -> Result<(), SweepError> {
            let io_out = |e: std::io::Error| SweepError::Io {
                path: dir.join("summary.csv"),
                source: e,
            };
            out.write_all(&csv_line(cols.iter().copied())).map_err(io_out)?;
            let mut group: Option<Group> = None;
            let mut record = csv::StringRecord::new();
            loop {
                let more = reader.read_record(&mut record).map_err(|e| bad(e.to_string()))?;
                let point = if more {
                    Some(record[c_point].parse::<u64>().map_err(|e| bad(format!("point: {e}")))?)
                } else {
                    None
                };
                if let Some(g) = group.take_if(|g| Some(g.point) != point) {
                    flush(g, &metrics, m_idx, out, &mut result).map_err(io_out)?;
                }
                let Some(point) = point else { break };
                let g = group.get_or_insert_with(|| Group {
                    point,
                    params: record
                        .iter()
                        .skip(c_point + 1)
                        .take(c_strategy - c_point - 1)
                        .map(String::from)
                        .collect(),
                    order: Vec::new(),
                    index: HashMap::new(),
                    values: Vec::new(),
                });
                let year: i32 = record[c_year].parse().map_err(|e| bad(format!("year: {e}")))?;
                let key = (record[c_strategy].to_string(), year);
                let at = match g.index.get(&key) {
                    Some(&i) => i,
                    None => {
                        g.index.insert(key.clone(), g.order.len());
                        g.order.push(key);
                        g.values.push(vec![Vec::new(); metrics.len()]);
                        g.order.len() - 1
                    }
                };
                for (k, v) in record.iter().skip(c_year + 1).enumerate() {
                    let x = if v == "NA" {
                        f64::NAN
                    } else {
                        v.parse().map_err(|e| bad(format!("{}: {e}", metrics[k])))?
                    };
                    g.values[at][k].push(x);
                }
            }
            Ok(())
        };
        body().map_err(|e| {
            let m = e.to_string();
            failure = Some(e);
            std::io::Error::other(m)
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written?;
    Ok(result)
}

fn flush(
    g: Group,
    metrics: &[String],
    m_idx: usize,
    out: &mut impl Write,
    result: &mut SweepSummary,
) -> std::io::Result<()> {
    let last_year = g.order.iter().map(|(_, y)| *y).max().unwrap_or(i32::MIN);
    result.year = result.year.max(last_year);
    let mut by_strategy = Vec::new();
    for (i, (strategy, year)) in g.order.iter().enumerate() {
        for (k, metric) in metrics.iter().enumerate() {
            let s = Summary::of(&g.values[i][k]);
            let mut row: Vec<String> = vec![g.point.to_string()];
            row.extend(g.params.iter().cloned());
            row.extend([strategy.clone(), year.to_string(), metric.clone()]);
            row.extend([s.mean, s.p05, s.p50, s.p95].map(num));
            out.write_all(&csv_line(row.iter().map(String::as_str)))?;
            if k == m_idx && *year == last_year {
                by_strategy.push((strategy.clone(), s));
                if !result.strategies.contains(strategy) {
                    result.strategies.push(strategy.clone());
                }
            }
        }
    }
    result.points.push(PointSummary {
        point: g.point,
        params: g.params,
        by_strategy,
    });
    Ok(())
}
