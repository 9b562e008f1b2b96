//! The tidy tables: `trajectories.csv` (one row per strategy × replicate × year) and
//! `summary.csv` (one row per strategy × year × metric), ready for pandas or R.

use super::OutputError;
use crate::engine::RunRecord;
use crate::metrics::{Summary, YearMetrics};
use crate::scenario::Scenario;

/// Replicate summaries: for each strategy and year, one [`Summary`] per metric.
#[derive(Debug, Clone)]
pub struct SummaryTable {
    pub strategies: Vec<String>,
    pub years: Vec<i32>,
    /// `cells[strategy][year index][metric index]`
    pub cells: Vec<Vec<Vec<Summary>>>,
}

impl SummaryTable {
    /// The summary of a named metric for a strategy and year index.
    pub fn get(&self, strategy: usize, year_index: usize, metric: &str) -> Option<Summary> {
        let m = YearMetrics::NAMES.iter().position(|&n| n == metric)?;
        self.cells.get(strategy)?.get(year_index)?.get(m).copied()
    }
}

pub fn summarise(scenario: &Scenario, records: &[RunRecord]) -> SummaryTable {
    let years: Vec<i32> = (scenario.start_year..=scenario.end_year).collect();
    let cells = (0..scenario.strategies.len())
        .map(|s| {
            let runs: Vec<&RunRecord> = records.iter().filter(|r| r.strategy == s).collect();
            (0..years.len())
                .map(|y| {
                    let rows: Vec<Vec<f64>> = runs.iter().filter_map(|r| r.years.get(y)).map(|m| m.values()).collect();
                    (0..YearMetrics::NAMES.len())
                        .map(|k| Summary::of(&rows.iter().map(|r| r[k]).collect::<Vec<_>>()))
                        .collect()
                })
                .collect()
        })
        .collect();
    SummaryTable {
        strategies: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
        years,
        cells,
    }
}

fn csv_error(what: &str) -> impl Fn(csv::Error) -> OutputError + '_ {
    move |e| OutputError::Format {
        what: what.to_string(),
        message: e.to_string(),
    }
}

fn finish(w: csv::Writer<Vec<u8>>, what: &str) -> Result<Vec<u8>, OutputError> {
    w.into_inner().map_err(|e| OutputError::Format {
        what: what.to_string(),
        message: e.to_string(),
    })
}

/// A number as CSV text: shortest round-trip form, which is deterministic.
fn num(x: f64) -> String {
    if x.is_nan() { "NA".to_string() } else { format!("{x}") }
}

pub fn trajectories_csv(scenario: &Scenario, records: &[RunRecord]) -> Result<Vec<u8>, OutputError> {
    let what = "trajectories.csv";
    let err = csv_error(what);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["strategy", "replicate", "year"];
    header.extend_from_slice(YearMetrics::NAMES);
    w.write_record(&header).map_err(&err)?;
    for r in records {
        let name = &scenario.strategies[r.strategy].name;
        for m in &r.years {
            let mut row = vec![name.clone(), r.replicate.to_string(), m.year.to_string()];
            row.extend(m.values().into_iter().map(num));
            w.write_record(&row).map_err(&err)?;
        }
    }
    finish(w, what)
}

pub fn summary_csv(t: &SummaryTable) -> Result<Vec<u8>, OutputError> {
    let what = "summary.csv";
    let err = csv_error(what);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["strategy", "year", "metric", "mean", "p05", "p50", "p95"])
        .map_err(&err)?;
    for (s, name) in t.strategies.iter().enumerate() {
        for (y, year) in t.years.iter().enumerate() {
            for (k, metric) in YearMetrics::NAMES.iter().enumerate() {
                let c = t.cells[s][y][k];
                w.write_record([
                    name.clone(),
                    year.to_string(),
                    metric.to_string(),
                    num(c.mean),
                    num(c.p05),
                    num(c.p50),
                    num(c.p95),
                ])
                .map_err(&err)?;
            }
        }
    }
    finish(w, what)
}

/// Check that `summary.csv` text has the columns and numbers [`summary_csv`] writes.
pub fn check_summary_csv(bytes: &[u8]) -> Result<(), String> {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| format!("cannot read the header: {e}"))?
        .iter()
        .map(String::from)
        .collect();
    if header != ["strategy", "year", "metric", "mean", "p05", "p50", "p95"] {
        return Err("the header is not strategy,year,metric,mean,p05,p50,p95".to_string());
    }
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let ok = rec.len() == 7
            && rec.get(1).is_some_and(|y| y.parse::<i32>().is_ok())
            && rec.iter().skip(3).all(|v| v == "NA" || v.parse::<f64>().is_ok());
        if !ok {
            return Err(format!("line {line}: expected strategy, year, metric and four numbers"));
        }
    }
    Ok(())
}
