//! A finished run's results as read back from `trajectories.csv`.
//!
//! Plots and the HTML report are drawn from this, never from the engine's records, so
//! that `sandan run` and `sandan report OUTPUT_DIR` draw the same pictures from the same
//! numbers. Metrics are looked up by column name: a metric added to `metrics!` later
//! appears here without code changes, and a run written by an older version still reads.

use crate::metrics::Summary;
use std::collections::HashMap;

/// Why a `trajectories.csv` could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
}

fn bad(message: impl Into<String>) -> ParseError {
    ParseError {
        message: message.into(),
    }
}

/// Per strategy, per replicate, per year, one value per metric.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResults {
    /// Strategies in the order they first appear (the scenario's order).
    pub strategies: Vec<String>,
    /// Years, ascending; the first is the baseline.
    pub years: Vec<i32>,
    /// Metric column names, in file order.
    pub metrics: Vec<String>,
    /// `values[strategy][replicate][year index][metric index]`
    values: Vec<Vec<Vec<Vec<f64>>>>,
    /// The replicate numbers of `values[strategy]`, ascending.
    replicate_numbers: Vec<Vec<u32>>,
}

/// One replicate's rows: `[year index][metric index]`.
pub type Replicate<'a> = &'a [Vec<f64>];

impl RunResults {
    /// Parse `trajectories.csv` text (header `strategy,replicate,year,<metrics…>`).
    pub fn from_trajectories_csv(bytes: &[u8]) -> Result<RunResults, ParseError> {
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
        let header = r
            .headers()
            .map_err(|e| bad(format!("cannot read the header: {e}")))?
            .clone();
        let cols: Vec<&str> = header.iter().collect();
        if cols.len() < 4 || cols[0] != "strategy" || cols[1] != "replicate" || cols[2] != "year" {
            return Err(bad(
                "the header must start with strategy,replicate,year and name at least one metric",
            ));
        }
        let metrics: Vec<String> = cols[3..].iter().map(|s| s.to_string()).collect();
        let mut strategies: Vec<String> = Vec::new();
        let mut rows: Vec<(usize, u32, i32, Vec<f64>)> = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| bad(format!("line {line}: {e}")))?;
            if rec.len() != cols.len() {
                return Err(bad(format!(
                    "line {line}: {} fields, expected {}",
                    rec.len(),
                    cols.len()
                )));
            }
            let name = rec.get(0).unwrap_or_default().to_string();
            if name.is_empty() {
                return Err(bad(format!("line {line}: empty strategy name")));
            }
            let s = match strategies.iter().position(|n| *n == name) {
                Some(s) => s,
                None => {
                    strategies.push(name);
                    strategies.len() - 1
                }
            };
            let replicate: u32 = rec
                .get(1)
                .unwrap_or_default()
                .parse()
                .map_err(|_| bad(format!("line {line}: replicate is not a whole number")))?;
            let year: i32 = rec
                .get(2)
                .unwrap_or_default()
                .parse()
                .map_err(|_| bad(format!("line {line}: year is not a whole number")))?;
            let mut values = Vec::with_capacity(metrics.len());
            for (k, field) in rec.iter().skip(3).enumerate() {
                let v = if field == "NA" {
                    f64::NAN
                } else {
                    field
                        .parse::<f64>()
                        .map_err(|_| bad(format!("line {line}: {} = {field:?} is not a number", metrics[k])))?
                };
                values.push(v);
            }
            rows.push((s, replicate, year, values));
        }
        if rows.is_empty() {
            return Err(bad("no data rows"));
        }
        let mut years: Vec<i32> = rows.iter().map(|r| r.2).collect();
        years.sort_unstable();
        years.dedup();
        let year_index: HashMap<i32, usize> = years.iter().enumerate().map(|(i, y)| (*y, i)).collect();
        // Replicates keyed by number per strategy, in ascending order.
        let mut reps: Vec<Vec<u32>> = vec![Vec::new(); strategies.len()];
        for r in &rows {
            reps[r.0].push(r.1);
        }
        for v in &mut reps {
            v.sort_unstable();
            v.dedup();
        }
        let nan_row = vec![f64::NAN; metrics.len()];
        let mut values: Vec<Vec<Vec<Vec<f64>>>> = reps
            .iter()
            .map(|rs| vec![vec![nan_row.clone(); years.len()]; rs.len()])
            .collect();
        let mut seen: Vec<Vec<Vec<bool>>> = reps.iter().map(|rs| vec![vec![false; years.len()]; rs.len()]).collect();
        for (s, rep, year, v) in rows {
            let ri = reps[s].binary_search(&rep).unwrap_or(0);
            let yi = year_index.get(&year).copied().unwrap_or(0);
            if seen[s][ri][yi] {
                return Err(bad(format!(
                    "strategy {:?}, replicate {rep}, year {year} appears twice",
                    strategies[s]
                )));
            }
            seen[s][ri][yi] = true;
            values[s][ri][yi] = v;
        }
        for (s, per_rep) in seen.iter().enumerate() {
            for (ri, per_year) in per_rep.iter().enumerate() {
                if let Some(yi) = per_year.iter().position(|x| !x) {
                    return Err(bad(format!(
                        "strategy {:?}, replicate {}, year {} is missing",
                        strategies[s], reps[s][ri], years[yi]
                    )));
                }
            }
        }
        Ok(RunResults {
            strategies,
            years,
            metrics,
            values,
            replicate_numbers: reps,
        })
    }

    /// The column index of a metric, if the run has it.
    pub fn metric(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m == name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.metric(name).is_some()
    }

    /// Whether the run has the metric and it is non-zero somewhere (a scheme's stock
    /// column is written by every run, but only runs with the scheme fill it).
    pub fn any_nonzero(&self, name: &str) -> bool {
        self.metric(name).is_some_and(|k| {
            self.values
                .iter()
                .flatten()
                .flatten()
                .any(|row| row.get(k).is_some_and(|&x| x != 0.0 && x.is_finite()))
        })
    }

    /// Replicates of one strategy.
    pub fn replicates(&self, strategy: usize) -> impl Iterator<Item = Replicate<'_>> {
        self.values.get(strategy).into_iter().flatten().map(|r| r.as_slice())
    }

    /// The replicates strategies `a` and `b` share, paired by replicate number: under
    /// common random numbers both faced the same county and shocks.
    pub fn paired(&self, a: usize, b: usize) -> Vec<(Replicate<'_>, Replicate<'_>)> {
        let (na, nb) = (&self.replicate_numbers[a], &self.replicate_numbers[b]);
        na.iter()
            .enumerate()
            .filter_map(|(i, r)| {
                nb.binary_search(r)
                    .ok()
                    .map(|j| (self.values[a][i].as_slice(), self.values[b][j].as_slice()))
            })
            .collect()
    }

    pub fn replicate_count(&self, strategy: usize) -> usize {
        self.values.get(strategy).map_or(0, |v| v.len())
    }

    /// Summaries over replicates, per year, of a per-replicate series: `f` maps one
    /// replicate's rows to one value per year (NaN where undefined).
    pub fn summarise_by_year(&self, strategy: usize, f: &dyn Fn(Replicate<'_>) -> Vec<f64>) -> Vec<Summary> {
        let series: Vec<Vec<f64>> = self.replicates(strategy).map(f).collect();
        (0..self.years.len())
            .map(|y| {
                let vals: Vec<f64> = series
                    .iter()
                    .filter_map(|s| s.get(y).copied())
                    .filter(|v| v.is_finite())
                    .collect();
                Summary::of(&vals)
            })
            .collect()
    }
}

/// A per-replicate series: the value of one metric each year.
pub fn column(k: usize) -> impl Fn(Replicate<'_>) -> Vec<f64> {
    move |rows| rows.iter().map(|r| r.get(k).copied().unwrap_or(f64::NAN)).collect()
}

/// A per-replicate series: the running total of one per-year value.
pub fn cumulative(values: Vec<f64>) -> Vec<f64> {
    values
        .into_iter()
        .scan(0.0, |acc, v| {
            if v.is_finite() {
                *acc += v;
            }
            Some(*acc)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "strategy,replicate,year,incidence,exits\n\
        a,0,2016,0.2,0\na,0,2017,0.1,3\na,1,2016,0.3,0\na,1,2017,0.2,1\n\
        b,0,2016,0.2,0\nb,0,2017,NA,2\nb,1,2016,0.2,0\nb,1,2017,0.05,4\n";

    #[test]
    fn reads_and_summarises() {
        let r = RunResults::from_trajectories_csv(CSV.as_bytes()).unwrap();
        assert_eq!(r.strategies, ["a", "b"]);
        assert_eq!(r.years, [2016, 2017]);
        assert_eq!(r.metrics, ["incidence", "exits"]);
        let k = r.metric("incidence").unwrap();
        let s = r.summarise_by_year(0, &column(k));
        assert!((s[1].mean - 0.15).abs() < 1e-12);
        // NaN replicates are left out of the summary, not propagated.
        let s = r.summarise_by_year(1, &column(k));
        assert_eq!(s[1].mean, 0.05);
        let e = r.metric("exits").unwrap();
        let s = r.summarise_by_year(1, &|rows| cumulative(column(e)(rows)));
        assert_eq!(s[1].mean, 3.0);
        assert!(!r.has("orders_filled"));
    }

    #[test]
    fn garbled_input_is_an_error_not_a_panic() {
        for (text, needle) in [
            ("", "header"),
            ("a,b\n", "header must start"),
            ("strategy,replicate,year,x\n", "no data rows"),
            ("strategy,replicate,year,x\na,0,2016,zz\n", "line 2: x = \"zz\""),
            ("strategy,replicate,year,x\na,0,2016\n", "line 2"),
            ("strategy,replicate,year,x\na,-1,2016,1\n", "replicate"),
            ("strategy,replicate,year,x\na,0,2016,1\na,0,2016,1\n", "twice"),
            ("strategy,replicate,year,x\na,0,2016,1\na,1,2017,1\n", "missing"),
            ("strategy,replicate,year,x\n\u{0}\u{1},0,2016,1\n", ""),
        ] {
            match RunResults::from_trajectories_csv(text.as_bytes()) {
                Err(e) => assert!(e.to_string().contains(needle), "{text:?}: {e}"),
                Ok(_) => assert!(needle.is_empty(), "{text:?} parsed"),
            }
        }
    }
}
