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
    /// `spread[strategy][year index][metric index]`: the number of replicates with
    /// a value and the sample standard deviation over them (NaN below two).
    pub spread: Vec<Vec<Vec<(usize, f64)>>>,
}

/// The number of finite values and their sample standard deviation (n − 1; NaN
/// below two values).
pub fn count_and_sd(values: &[f64]) -> (usize, f64) {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n < 2 {
        return (n, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
    (n, (ss / (n - 1) as f64).sqrt())
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
    let mut cells = Vec::new();
    let mut spread = Vec::new();
    for s in 0..scenario.strategies.len() {
        let runs: Vec<&RunRecord> = records.iter().filter(|r| r.strategy == s).collect();
        let (mut c, mut d) = (Vec::new(), Vec::new());
        for y in 0..years.len() {
            let rows: Vec<Vec<f64>> = runs.iter().filter_map(|r| r.years.get(y)).map(|m| m.values()).collect();
            let columns: Vec<Vec<f64>> = (0..YearMetrics::NAMES.len())
                .map(|k| rows.iter().map(|r| r[k]).collect())
                .collect();
            c.push(columns.iter().map(|v| Summary::of(v)).collect());
            d.push(columns.iter().map(|v| count_and_sd(v)).collect());
        }
        cells.push(c);
        spread.push(d);
    }
    SummaryTable {
        strategies: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
        years,
        cells,
        spread,
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

/// `summary.csv`'s columns; a run of an older version has the first seven.
const HEADER: [&str; 9] = ["strategy", "year", "metric", "mean", "p05", "p50", "p95", "n", "sd"];

pub fn summary_csv(t: &SummaryTable) -> Result<Vec<u8>, OutputError> {
    let what = "summary.csv";
    let err = csv_error(what);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).map_err(&err)?;
    for (s, name) in t.strategies.iter().enumerate() {
        for (y, year) in t.years.iter().enumerate() {
            for (k, metric) in YearMetrics::NAMES.iter().enumerate() {
                let c = t.cells[s][y][k];
                let (n, sd) = t.spread[s][y][k];
                w.write_record([
                    name.clone(),
                    year.to_string(),
                    metric.to_string(),
                    num(c.mean),
                    num(c.p05),
                    num(c.p50),
                    num(c.p95),
                    n.to_string(),
                    num(sd),
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
    if header != HEADER && header != HEADER[..7] {
        return Err(format!("the header is not {}", HEADER.join(",")));
    }
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let ok = rec.len() == header.len()
            && rec.get(1).is_some_and(|y| y.parse::<i32>().is_ok())
            && rec.iter().skip(3).all(|v| v == "NA" || v.parse::<f64>().is_ok());
        if !ok {
            return Err(format!(
                "line {line}: expected strategy, year, metric and {} numbers",
                header.len() - 3
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_and_sd_count_only_numbers() {
        let (n, sd) = count_and_sd(&[1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(n, 3);
        assert!((sd - 1.0).abs() < 1e-12);
        let (n, sd) = count_and_sd(&[5.0]);
        assert!(n == 1 && sd.is_nan());
        // An older run's summary (without n and sd) still reads.
        check_summary_csv(b"strategy,year,metric,mean,p05,p50,p95\na,2016,x,1,1,1,1\n").unwrap();
        check_summary_csv(b"strategy,year,metric,mean,p05,p50,p95,n,sd\na,2016,x,1,1,1,1,1,NA\n").unwrap();
        assert!(check_summary_csv(b"strategy,year,metric,mean,p05,p50,p95,n,sd\na,2016,x,1,1,1,1\n").is_err());
    }
}
