//! `households.csv`: each household's year — status, per-capita income and yuan by
//! source — for replicate 0 of every strategy, written when `sandan run
//! --households` asks for it. The aggregate `income_*` columns of
//! `trajectories.csv` say what a county earns from each source; this table says who
//! earns it, so that a planner can see which households the four incomes of the
//! Tibet report (rent, payment, dividends, wages) reach (DOMAIN.md).
//!
//! The source columns are [`INCOME_SOURCES`], the step's own order, named without
//! the `income_` prefix: per household a source column sums, over households, to the
//! per-person metric of the same name times the population.

use super::OutputError;
use crate::agents::household::Status;
use crate::engine::RunRecord;
use crate::metrics::INCOME_SOURCES;
use crate::scenario::Scenario;

/// The table's file name.
pub const FILE: &str = "households.csv";

/// The column names, in order.
pub fn header() -> Vec<&'static str> {
    let mut h = vec![
        "strategy",
        "replicate",
        "year",
        "household",
        "village",
        "size",
        "status",
        "registered",
        "income_pc",
    ];
    h.extend(INCOME_SOURCES.iter().map(|s| s.strip_prefix("income_").unwrap_or(s)));
    h
}

/// Whether any record holds households' years (the run was asked to record them).
pub fn recorded(records: &[RunRecord]) -> bool {
    records.iter().any(|r| !r.households.is_empty())
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::NotRegistered => "not_registered",
        Status::Registered => "registered",
        Status::Exited => "exited",
    }
}

/// The table as CSV bytes: one row per strategy × year × household of every record
/// that holds households' years (replicate 0), in record order.
pub fn households_csv(scenario: &Scenario, records: &[RunRecord]) -> Result<Vec<u8>, OutputError> {
    let err = |e: csv::Error| OutputError::Format {
        what: FILE.to_string(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header()).map_err(err)?;
    let mut row: Vec<String> = Vec::with_capacity(header().len());
    for r in records.iter().filter(|r| !r.households.is_empty()) {
        let strategy = &scenario.strategies[r.strategy];
        let villages = &strategy.model.villages;
        for h in &r.households {
            row.clear();
            row.extend([
                strategy.name.clone(),
                r.replicate.to_string(),
                h.year.to_string(),
                h.household.to_string(),
                villages
                    .get(h.village as usize)
                    .map_or_else(|| h.village.to_string(), |v| v.name.clone()),
                h.size.to_string(),
                status_name(h.status).to_string(),
                u8::from(h.status == Status::Registered).to_string(),
                h.income_pc.to_string(),
            ]);
            row.extend(
                h.sources
                    .iter()
                    .map(|&x| if x.is_nan() { "NA".to_string() } else { x.to_string() }),
            );
            w.write_record(&row).map_err(err)?;
        }
    }
    w.into_inner().map_err(|e| OutputError::Format {
        what: FILE.to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Recording, simulate_recording};

    const TEXT: &str = "start_year = 2016\nend_year = 2018\n[[village]]\nname = \"up\"\ncount = 2\nhouseholds = 5\n\
                        [[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"b\"\n";

    #[test]
    fn one_row_per_strategy_year_and_household_with_the_steps_sources() {
        let s = crate::scenario::parse(TEXT, "t.toml", "t").unwrap();
        let on = Recording { households: true };
        let records: Vec<_> = (0..2)
            .flat_map(|k| [simulate_recording(&s, k, 0, on), simulate_recording(&s, k, 1, on)])
            .collect();
        assert!(records.iter().all(|r| r.households.is_empty() == (r.replicate != 0)));
        let csv = String::from_utf8(households_csv(&s, &records).unwrap()).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "strategy,replicate,year,household,village,size,status,registered,income_pc,farm,rent,wages,\
             remittances,projects,assets,transfers,other,health_spending,interest_paid,dividends"
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        // 2 strategies × 3 years (baseline included) × 10 households, replicate 0 only.
        assert_eq!(rows.len(), 2 * 3 * 10);
        assert!(rows.iter().all(|r| r[1] == "0"));
        assert_eq!(
            (rows[0][0], rows[0][2], rows[0][3], rows[0][4]),
            ("a", "2016", "0", "up 1")
        );
        assert_eq!(rows[0][9], "NA", "the baseline year has no split by source");
        // Each simulated household's sources less health and interest are its net income.
        for r in rows.iter().filter(|r| r[2] != "2016") {
            let x: Vec<f64> = r[9..].iter().map(|v| v.parse().unwrap()).collect();
            let net = x[..8].iter().sum::<f64>() + x[10] - x[8] - x[9];
            let pc: f64 = r[8].parse().unwrap();
            let size: f64 = r[5].parse().unwrap();
            assert!((net - pc * size).abs() < 1e-3 * (pc * size).abs().max(1.0), "{r:?}");
        }
    }

    #[test]
    fn without_recording_there_is_nothing_to_write() {
        let s = crate::scenario::parse(TEXT, "t.toml", "t").unwrap();
        let records = vec![simulate_recording(&s, 0, 0, Recording::default())];
        assert!(!recorded(&records));
        assert_eq!(
            households_csv(&s, &records)
                .unwrap()
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            1
        );
    }
}
