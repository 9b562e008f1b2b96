//! `households.csv`: each household's year — status, per-capita income and yuan by
//! source — for replicate 0 of every strategy, written when `sandan run
//! --households` asks for it. The aggregate `income_*` columns of
//! `trajectories.csv` say what a county earns from each source; this table says who
//! earns it, so that a planner can see which households the four incomes of the
//! Tibet report (rent, payment, dividends, wages) reach (docs/SOURCES.md).
//!
//! The source columns are [`INCOME_SOURCES`], the step's own order, named without
//! the `income_` prefix: per household a source column sums, over households, to the
//! per-person metric of the same name times the population.

use super::OutputError;
use crate::agents::household::Status;
use crate::engine::HouseholdSink;
use crate::metrics::{HouseholdYear, INCOME_SOURCES};
use crate::programs::cycle::NONE_MEMBER;
use crate::scenario::Scenario;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    h.extend(["cause", "project", "member"]);
    h
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::NotRegistered => "not_registered",
        Status::Registered => "registered",
        Status::Exited => "exited",
    }
}

/// Writes `households.csv` while the run goes: the table is as large as households
/// × years × strategies (hundreds of megabytes for a county), so the rows are not
/// kept. Each strategy's years go, as its simulation produces them, to a part file
/// of its own (a temporary name in the output directory); [`Self::finish`] joins the
/// parts in strategy order under the final name, atomically, and a writer dropped
/// without finishing removes them. Each part has one writer, the strategy's
/// replicate 0, so the bytes do not depend on the thread count.
pub struct HouseholdsWriter<'s> {
    scenario: &'s Scenario,
    path: PathBuf,
    parts: Vec<Mutex<Part>>,
    /// The first write that failed; later rows are dropped and `finish` reports it.
    failed: Mutex<Option<OutputError>>,
}

struct Part {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl<'s> HouseholdsWriter<'s> {
    /// A writer of `dir/households.csv` for the strategies of `scenario`; creates `dir`.
    pub fn new(scenario: &'s Scenario, dir: &Path) -> Result<Self, OutputError> {
        std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let pid = std::process::id();
        let parts = (0..scenario.strategies.len())
            .map(|k| {
                Mutex::new(Part {
                    path: dir.join(format!(".{FILE}.part{k}.{pid}.tmp")),
                    writer: None,
                })
            })
            .collect();
        Ok(HouseholdsWriter {
            scenario,
            path: dir.join(FILE),
            parts,
            failed: Mutex::new(None),
        })
    }

    /// Join the parts under the final name; returns its path.
    pub fn finish(self) -> Result<PathBuf, OutputError> {
        if let Some(e) = lock(&self.failed).take() {
            return Err(e);
        }
        let mut joined = header().join(",").into_bytes();
        joined.push(b'\n');
        let mut sources = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let mut part = lock(part);
            if let Some(w) = part.writer.take() {
                w.into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|f| f.sync_all())
                    .map_err(|source| io_error(&part.path, source))?;
                sources.push(part.path.clone());
            }
        }
        super::write_atomic_with(&self.path, |out| {
            out.write_all(&joined)?;
            for p in &sources {
                std::io::copy(&mut File::open(p)?, out)?;
            }
            Ok(())
        })?;
        Ok(self.path.clone())
    }

    fn write(&self, strategy: usize, rows: &[HouseholdYear]) -> Result<(), OutputError> {
        let s = &self.scenario.strategies[strategy];
        let villages = &s.model.villages;
        let items = &s.model.program.items;
        let mut part = lock(&self.parts[strategy]);
        let Part { path, writer } = &mut *part;
        let w = match writer {
            Some(w) => w,
            None => writer.insert(BufWriter::new(File::create(&*path).map_err(|e| io_error(path, e))?)),
        };
        let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(w);
        let mut row: Vec<String> = Vec::with_capacity(header().len());
        for h in rows {
            row.clear();
            row.extend([
                s.name.clone(),
                "0".to_string(),
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
            row.push(crate::engine::groups::CAUSES[h.cause as usize].to_string());
            row.push(
                items
                    .get(usize::from(h.project))
                    .map_or_else(|| "NA".to_string(), |it| it.name.clone()),
            );
            row.push(if h.member == NONE_MEMBER {
                "NA".to_string()
            } else {
                h.member.to_string()
            });
            csv.write_record(&row).map_err(|e| OutputError::Format {
                what: FILE.to_string(),
                message: e.to_string(),
            })?;
        }
        csv.flush().map_err(|e| io_error(path, e))
    }
}

impl HouseholdSink for HouseholdsWriter<'_> {
    fn year(&self, strategy: usize, rows: &[HouseholdYear]) {
        if lock(&self.failed).is_some() {
            return;
        }
        if let Err(e) = self.write(strategy, rows) {
            lock(&self.failed).get_or_insert(e);
        }
    }
}

impl Drop for HouseholdsWriter<'_> {
    fn drop(&mut self) {
        for part in &self.parts {
            let part = lock(part);
            let _ = std::fs::remove_file(&part.path);
        }
    }
}

/// A lock that a panicking writer thread cannot poison for the others: the data
/// behind it (a file handle, an error) stays meaningful.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn io_error(path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{run_recording, simulate_recording};

    const TEXT: &str = "start_year = 2016\nend_year = 2018\n[[village]]\nname = \"up\"\ncount = 2\nhouseholds = 5\n\
                        [[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"b\"\n";

    fn written(s: &Scenario, threads: usize) -> String {
        let dir = tempfile::tempdir().unwrap();
        let w = HouseholdsWriter::new(s, dir.path()).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| run_recording(s, Some(&w), &|| {}));
        let path = w.finish().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE], "the parts are gone, only the table is left");
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn one_row_per_strategy_year_and_household_with_the_steps_sources() {
        let s = crate::scenario::parse(TEXT, "t.toml", "t")
            .unwrap()
            .with_run_settings(Some(2), None);
        let csv = written(&s, 2);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "strategy,replicate,year,household,village,size,status,registered,income_pc,farm,rent,wages,\
             remittances,projects,assets,transfers,other,health_spending,interest_paid,dividends,cause,project,member"
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        // 2 strategies × 3 years (baseline included) × 10 households, replicate 0 only.
        assert_eq!(rows.len(), 2 * 3 * 10);
        assert!(rows.iter().all(|r| r[1] == "0"));
        assert_eq!(
            (rows[0][0], rows[0][2], rows[0][3], rows[0][4]),
            ("a", "2016", "0", "up 1")
        );
        assert_eq!(rows[30][0], "b", "strategies in order");
        assert_eq!(rows[0][9], "NA", "the baseline year has no split by source");
        // Each simulated household's sources less health and interest are its net income.
        for r in rows.iter().filter(|r| r[2] != "2016") {
            let x: Vec<f64> = r[9..20].iter().map(|v| v.parse().unwrap()).collect();
            let net = x[..8].iter().sum::<f64>() + x[10] - x[8] - x[9];
            let pc: f64 = r[8].parse().unwrap();
            let size: f64 = r[5].parse().unwrap();
            assert!((net - pc * size).abs() < 1e-3 * (pc * size).abs().max(1.0), "{r:?}");
        }
        assert_eq!(csv, written(&s, 1), "the same bytes whatever the thread count");
    }

    /// Issues 13 and 14: each row says what the household received, its project's
    /// item and the member who supports it, and its recorded cause.
    #[test]
    fn rows_name_the_project_the_member_and_the_cause() {
        let text = "start_year = 2016\nend_year = 2018\n[population]\nstarting_incidence = 0.3\n\
                    [[village]]\nname = \"up\"\ncount = 2\nhouseholds = 60\n\
                    [[strategy]]\nname = \"none\"\n\
                    [[strategy]]\nname = \"three_order\"\nmenu = \"needs_based\"\nordering = \"household_choice\"\n\
                    matching = \"skill_based\"\nbudget = 200000\n";
        let s = crate::scenario::parse(text, "t.toml", "t")
            .unwrap()
            .with_run_settings(Some(1), None);
        let csv = written(&s, 1);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
        let (cause, project, member) = (col("cause"), col("project"), col("member"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        let items: Vec<&str> = s.strategies[1]
            .model
            .program
            .items
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        let program: Vec<&Vec<&str>> = rows
            .iter()
            .filter(|r| r[0] == "three_order" && r[2] != "2016")
            .collect();
        assert!(
            program.iter().any(|r| items.contains(&r[project])),
            "some household runs a project"
        );
        assert!(program.iter().any(|r| r[member] != "NA"), "some project has a member");
        for r in &rows {
            assert!(r[project] == "NA" || items.contains(&r[project]), "{r:?}");
            assert!(
                r[member] == "NA" || r[project] != "NA",
                "a member supports a project: {r:?}"
            );
            assert!(crate::engine::groups::CAUSES.contains(&r[cause]), "{r:?}");
            if r[0] == "none" || r[2] == "2016" {
                assert_eq!(r[project], "NA", "{r:?}");
            }
        }
        // The cause is the baseline's, the same in every year and strategy.
        let of = |r: &Vec<&str>| (r[3].to_string(), r[cause].to_string());
        let mut causes: Vec<(String, String)> = rows.iter().map(of).collect();
        causes.sort();
        causes.dedup();
        assert_eq!(causes.len(), 120, "one cause per household");
    }

    #[test]
    fn a_writer_dropped_unfinished_leaves_nothing() {
        let s = crate::scenario::parse(TEXT, "t.toml", "t").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let w = HouseholdsWriter::new(&s, dir.path()).unwrap();
        simulate_recording(&s, 0, 0, Some(&w));
        assert!(std::fs::read_dir(dir.path()).unwrap().count() > 0);
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_write_is_reported_by_finish() {
        let s = crate::scenario::parse(TEXT, "t.toml", "t").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let w = HouseholdsWriter::new(&s, dir.path()).unwrap();
        // The part's name taken by a directory: creating the part file fails.
        std::fs::create_dir(&lock(&w.parts[0]).path).unwrap();
        simulate_recording(&s, 0, 0, Some(&w));
        assert!(matches!(w.finish(), Err(OutputError::Io { .. })));
        assert!(!dir.path().join(FILE).exists());
    }
}
