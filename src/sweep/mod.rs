//! Parameter sweeps: one scenario run at many points of its parameter space, with
//! replicates, for researchers who want response surfaces rather than one comparison.
//!
//! Why a module of its own: a sweep is many `sandan run`s, but it must keep memory
//! bounded whatever its size, survive being killed, and split across machines —
//! concerns the single run does not have. The pieces:
//! * [`design`] — the design file and its points (grid, Latin hypercube, table);
//! * [`Plan`] — scenario × design, every point validated before anything runs;
//! * [`store`] — the crash-safe, resumable results directory;
//! * [`Experiment`] and [`execute`] — the batch runner: any model whose runs write
//!   rows (sandan's [`Plan`], or a test-only analytic function), run in parallel and
//!   recorded one run at a time as each finishes;
//! * [`summary`] and [`plot`] — per-point summaries and the response plot, both read
//!   back from `results.csv` in one streaming pass;
//! * [`rankings`] and [`features`] — how often each strategy is best and its regret,
//!   and each parameter's first-order share, for any sweep on disk;
//! * [`sensitivity`] — Morris and Sobol indices of `[morris]` and `[sobol]` designs;
//! * [`merge`] — shards from a cluster joined into what one machine would have written.
//!
//! Every run is one (point, replicate) and simulates all chosen strategies with the
//! same seed, so strategies at a point share their shocks as in `sandan run`. By
//! default replicate r has the same seed at every point (common random numbers), so
//! points share their shocks too; the seed is written with the rows: `sandan run` of
//! the point's scenario with `--seed SEED --replicates 1` reproduces them.
//! A key `strategy.<name>.<field>` varies one strategy (its budget, menu, … or an
//! override); a varied scenario key that a strategy overrides needs the design's
//! `precedence`.

pub mod design;
pub mod features;
pub mod plot;
pub mod rankings;
pub mod sensitivity;
pub mod store;
pub mod summary;

use crate::engine;
use crate::metrics::YearMetrics;
use crate::output::OutputError;
use crate::scenario::{self, Scenario, ScenarioError};
use design::{Design, DesignError, mix64};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use store::{Manifest, Shard, Store};

/// Why a sweep or a merge failed.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Design(#[from] DesignError),
    /// A point of the design gives an invalid scenario.
    #[error("{design}: point {point} ({assignment}): {message}")]
    Point {
        design: String,
        point: usize,
        assignment: String,
        message: String,
    },
    #[error("{design}: strategies: {message}")]
    Strategies { design: String, message: String },
    #[error("{dir} holds a different sweep: {why}. Use another --out, or delete the directory to start over")]
    Mismatch { dir: PathBuf, why: String },
    #[error("{0}: another sandan process is writing this sweep directory now; wait for it, or stop it first")]
    Busy(PathBuf),
    /// A sweep directory's files are not what sandan wrote.
    #[error("{0}")]
    Damaged(String),
    #[error("cannot merge: {0}")]
    Merge(String),
    #[error("--metric {0}: no such metric; choose one of the results' columns: {1}")]
    Metric(String, String),
    #[error("--by {0}: {1}")]
    By(String, String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A fault of sandan's own, such as a result that is not a finite number.
    #[error("internal error: {0}")]
    Internal(String),
}

impl SweepError {
    /// 2 when the user can fix the input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            SweepError::Io { .. } | SweepError::Output(_) | SweepError::Internal(_) => 1,
            _ => 2,
        }
    }
}

/// A scenario and a design, checked against each other.
#[derive(Debug, Clone)]
pub struct Plan {
    scenario_file: String,
    scenario_hash: String,
    default_name: String,
    base: toml::Table,
    design_file: String,
    design_hash: String,
    pub design: Design,
    pub seed: u64,
    pub replicates: u32,
    /// The chosen strategies' indices in the scenario, and their names.
    strategies: Vec<(usize, String)>,
    /// The design's extent and its points' counties, for the resource estimate.
    shape: crate::resources::SweepShape,
}

impl Plan {
    /// Read both files and validate every point of the design (so that a bad value
    /// is reported before hours of computing, not after).
    pub fn load(scenario_path: &Path, design_path: &Path) -> Result<Plan, SweepError> {
        let base_scenario = scenario::load(scenario_path)?;
        let scenario_text = std::fs::read_to_string(scenario_path).map_err(|source| ScenarioError::Read {
            file: scenario_path.display().to_string(),
            source,
        })?;
        let design_file = design_path.display().to_string();
        let design_text = std::fs::read_to_string(design_path).map_err(|e| DesignError {
            file: design_file.clone(),
            location: String::new(),
            message: format!("cannot read the design: {e}"),
        })?;
        let stem = scenario_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string());
        Plan::new(
            &base_scenario,
            &scenario_text,
            &scenario_path.display().to_string(),
            &stem,
            &design_text,
            &design_file,
        )
    }

    /// As [`Plan::load`], from text (`base` is `scenario_text` already validated).
    pub fn new(
        base: &Scenario,
        scenario_text: &str,
        scenario_file: &str,
        default_name: &str,
        design_text: &str,
        design_file: &str,
    ) -> Result<Plan, SweepError> {
        let design = Design::parse(design_text, design_file)?;
        let tree: toml::Table = toml::from_str(scenario_text).map_err(|e| ScenarioError::Invalid {
            file: scenario_file.to_string(),
            line: 1,
            column: 1,
            message: e.message().to_string(),
        })?;
        let strategies = match &design.strategies {
            None => base
                .strategies
                .iter()
                .enumerate()
                .map(|(i, s)| (i, s.name.clone()))
                .collect(),
            Some(names) => {
                let mut chosen = Vec::new();
                for n in names {
                    let i = base.strategy_index(n).map_err(|message| SweepError::Strategies {
                        design: design_file.to_string(),
                        message,
                    })?;
                    if chosen.iter().any(|(j, _)| *j == i) {
                        return Err(SweepError::Strategies {
                            design: design_file.to_string(),
                            message: format!("'{n}' is listed twice"),
                        });
                    }
                    chosen.push((i, n.clone()));
                }
                if chosen.is_empty() {
                    return Err(SweepError::Strategies {
                        design: design_file.to_string(),
                        message: "the list is empty; leave it out to run every strategy".to_string(),
                    });
                }
                chosen
            }
        };
        check_strategy_keys(&design, design_file, &tree, &strategies)?;
        let mut plan = Plan {
            scenario_file: scenario_file.to_string(),
            scenario_hash: scenario::content_hash(scenario_text),
            default_name: default_name.to_string(),
            base: tree,
            design_file: design_file.to_string(),
            design_hash: scenario::content_hash(design_text),
            seed: design.seed.unwrap_or(base.seed),
            replicates: design.replicates.unwrap_or(base.replicates),
            design,
            strategies,
            shape: Default::default(),
        };
        // A grid's first value of every key and each value of one key are points of
        // the grid too (one per value, not one per combination): checked first, so
        // that a bad value among a million points is reported at once.
        if plan.design.method == design::Method::Grid {
            let screen = plan.design.screening_points();
            if let Some(e) = screen
                .par_iter()
                .filter_map(|&p| plan.point_scenario(p).err())
                .find_first(|_| true)
            {
                return Err(e);
            }
        }
        // In parallel, but the error reported is always the first bad point's.
        let sizes = std::sync::Mutex::new((crate::resources::Size::default(), 0.0));
        let first_bad = (0..plan.design.points.len())
            .into_par_iter()
            .filter_map(|p| match plan.point_scenario(p) {
                Ok(s) => {
                    let size = crate::resources::Size::of(&s);
                    let mut sizes = sizes.lock().unwrap_or_else(|e| e.into_inner());
                    sizes.0 = sizes.0.max(size);
                    sizes.1 += size.households as f64;
                    None
                }
                Err(e) => Some(e),
            })
            .find_first(|_| true);
        if let Some(e) = first_bad {
            return Err(e);
        }
        let (largest, households) = sizes.into_inner().unwrap_or_else(|e| e.into_inner());
        plan.shape = crate::resources::SweepShape {
            largest,
            households,
            points: plan.design.points.len() as u64,
            keys: plan.design.keys.len(),
            strategies: plan.strategies.len() as u64,
            replicates: plan.replicates,
            years: base.years_reported() as u64,
        };
        Ok(plan)
    }

    /// The sweep's peak memory and work on `threads` threads, before it runs.
    pub fn estimate(&self, threads: usize) -> crate::resources::Estimate {
        crate::resources::sweep(&self.shape, threads)
    }

    /// Runs in the whole sweep: points × replicates.
    pub fn total_runs(&self) -> u64 {
        self.design.points.len() as u64 * u64::from(self.replicates)
    }

    /// The seed of run (point, replicate). Under common random numbers (the
    /// default) replicate r has the same seed at every point — point 0's — so that
    /// two points differ only by their parameters and their difference is paired.
    /// Otherwise a mix of the sweep seed and both indices, so no two runs of a sweep
    /// share one (SplitMix64 steps are bijective).
    pub fn run_seed(&self, point: u64, replicate: u32) -> u64 {
        if self.design.common_random_numbers {
            run_seed(self.seed, 0, replicate)
        } else {
            run_seed(self.seed, point, replicate)
        }
    }

    /// "key = value, …" for a point, as messages show it (huge numbers as `1e308`).
    pub fn assignment(&self, point: usize) -> String {
        self.design
            .keys
            .iter()
            .zip(&self.design.points[point].values)
            .map(|(k, v)| match v {
                toml::Value::Float(x) => format!("{k} = {}", scenario::validate::number(*x)),
                v => format!("{k} = {}", scenario::validate::shown(&cell(v))),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The scenario at a point: the point's values set in the scenario tree (the
    /// strategies' own overrides then apply on top), validated as a file would be.
    pub fn point_scenario(&self, point: usize) -> Result<Scenario, SweepError> {
        let fail = |message: String| SweepError::Point {
            design: self.design_file.clone(),
            point,
            assignment: self.assignment(point),
            message,
        };
        let mut tree = self.base.clone();
        for (k, v) in self.design.keys.iter().zip(&self.design.points[point].values) {
            if let Some((name, field)) = strategy_key(k) {
                set_strategy_field(&mut tree, name, field, v.clone()).map_err(|m| fail(format!("'{k}': {m}")))?;
                continue;
            }
            scenario::apply_override(&mut tree, k, v.clone()).map_err(|m| fail(format!("'{k}': {m}")))?;
            if self.design.precedence == Some(design::Precedence::Sweep) {
                give_way(&mut tree, k, v);
            }
        }
        let text = toml::to_string(&tree).map_err(|e| fail(e.to_string()))?;
        scenario::parse(&text, &self.scenario_file, &self.default_name).map_err(|e| match e {
            // The location would point into the generated text: keep the message only.
            ScenarioError::Invalid { message, .. } => fail(message),
            other => fail(other.to_string()),
        })
    }

    /// The manifest of this plan's part `shard`.
    pub fn manifest(&self, shard: Shard) -> Manifest {
        Manifest {
            sandan_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_file: self.scenario_file.clone(),
            scenario_hash: self.scenario_hash.clone(),
            design_file: self.design_file.clone(),
            design_hash: self.design_hash.clone(),
            method: self.design.method.name().to_string(),
            parameters: self.design.keys.clone(),
            points: self.design.points.len() as u64,
            replicates: self.replicates,
            strategies: self.strategies.iter().map(|(_, n)| n.clone()).collect(),
            seed: self.seed,
            seeding: if self.design.common_random_numbers {
                store::Seeding::Common
            } else {
                store::Seeding::PerRun
            },
            metrics: YearMetrics::NAMES.iter().map(|s| s.to_string()).collect(),
            shard,
            runs: shard.range(self.total_runs()),
            sensitivity: self.design.sensitivity.clone(),
        }
    }

    /// The header line of `results.csv`.
    pub fn header(&self) -> Vec<u8> {
        let mut cols: Vec<&str> = vec!["run", "point"];
        cols.extend(self.design.keys.iter().map(String::as_str));
        cols.extend(["strategy", "replicate", "seed", "year"]);
        cols.extend_from_slice(YearMetrics::NAMES);
        csv_line(cols.iter().copied())
    }

    /// The point a run belongs to.
    pub fn point_of(&self, run: u64) -> u64 {
        run / u64::from(self.replicates)
    }

    /// Simulate run `run` (every chosen strategy) and return its CSV rows.
    pub fn run_block(&self, run: u64) -> Result<Vec<u8>, SweepError> {
        self.run_block_at(run, &self.point_scenario(self.point_of(run) as usize)?)
    }

    /// As [`Plan::run_block`], given the point's scenario (from [`Plan::point_scenario`]).
    /// A result that is not a finite number (a fault of sandan's: validation bounds
    /// every input) is an error, and the run's rows are not written.
    pub fn run_block_at(&self, run: u64, point_scenario: &Scenario) -> Result<Vec<u8>, SweepError> {
        let reps = u64::from(self.replicates);
        let (point, replicate) = (run / reps, (run % reps) as u32);
        let seed = self.run_seed(point, replicate);
        let mut scenario = point_scenario.clone();
        scenario.seed = seed;
        let params: Vec<String> = self.design.points[point as usize].values.iter().map(cell).collect();
        let mut out = Vec::new();
        for (s, name) in &self.strategies {
            // Replicate 0 of a scenario whose seed is the run's seed: the pair
            // (seed, 0) names the run's random numbers completely.
            let rec = engine::simulate(&scenario, *s, 0);
            if let Some((year, metric, x)) = rec.first_non_finite() {
                return Err(SweepError::Internal(format!(
                    "point {point} ({}), strategy '{name}', replicate {replicate}, year {year}: metric {metric} is {x}, not a finite number; the run's rows were not written",
                    self.assignment(point as usize)
                )));
            }
            for m in &rec.years {
                let mut row: Vec<String> = vec![run.to_string(), point.to_string()];
                row.extend(params.iter().cloned());
                row.extend([
                    name.clone(),
                    replicate.to_string(),
                    seed.to_string(),
                    m.year.to_string(),
                ]);
                row.extend(m.values().into_iter().map(num));
                out.extend(csv_line(row.iter().map(String::as_str)));
            }
        }
        Ok(out)
    }
}

/// Fields of a `[[strategy]]` itself (not overrides) that a design may vary.
pub const STRATEGY_FIELDS: &[&str] = &["budget", "menu", "ordering", "matching", "delivery"];

/// `strategy.<name>.<rest>` as (name, rest).
fn strategy_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("strategy.")?;
    let (name, field) = rest.split_once('.')?;
    Some((name, field))
}

/// Whether two dotted keys name the same value, or one holds the other.
fn overlap(a: &str, b: &str) -> bool {
    a == b
        || a.strip_prefix(b).is_some_and(|r| r.starts_with('.'))
        || b.strip_prefix(a).is_some_and(|r| r.starts_with('.'))
}

/// The `[[strategy]]` tables of a scenario tree.
fn strategy_tables(tree: &mut toml::Table) -> impl Iterator<Item = &mut toml::Table> {
    tree.get_mut("strategy")
        .and_then(|s| s.as_array_mut())
        .into_iter()
        .flat_map(|a| a.iter_mut().filter_map(|t| t.as_table_mut()))
}

/// Set one strategy's field (`budget`, `menu`, …) or one of its overrides.
fn set_strategy_field(tree: &mut toml::Table, name: &str, field: &str, v: toml::Value) -> Result<(), String> {
    let table = strategy_tables(tree)
        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name))
        .ok_or_else(|| format!("the scenario has no strategy '{}'", scenario::validate::shown(name)))?;
    if STRATEGY_FIELDS.contains(&field) {
        table.insert(field.to_string(), v);
    } else {
        let overrides = table
            .entry("overrides")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(o) = overrides else {
            return Err("the strategy's overrides are not a table".to_string());
        };
        o.insert(field.to_string(), v);
    }
    Ok(())
}

/// Under `precedence = "sweep"`, make a point's value of `key` reach every strategy:
/// drop their overrides of it or of keys inside it, and set it over a table of
/// theirs that holds it.
fn give_way(tree: &mut toml::Table, key: &str, v: &toml::Value) {
    for t in strategy_tables(tree) {
        let Some(toml::Value::Table(o)) = t.get_mut("overrides") else {
            continue;
        };
        let shadowing: Vec<String> = o.keys().filter(|ov| overlap(ov, key)).cloned().collect();
        for ov in &shadowing {
            if ov == key || ov.starts_with(&format!("{key}.")) {
                o.remove(ov);
            } else {
                o.insert(key.to_string(), v.clone());
            }
        }
    }
}

/// A design's per-strategy keys must name a chosen strategy and a field it has, and
/// a scenario key the design varies must not be one a chosen strategy overrides
/// (its own value would silently win) unless the design says who wins.
fn check_strategy_keys(
    design: &Design,
    design_file: &str,
    tree: &toml::Table,
    chosen: &[(usize, String)],
) -> Result<(), SweepError> {
    let fail = |i: usize, message: String| DesignError {
        file: design_file.to_string(),
        location: design.locations.get(i).cloned().unwrap_or_default(),
        message,
    };
    let tables: Vec<&toml::Table> = tree
        .get("strategy")
        .and_then(|s| s.as_array())
        .map(|a| a.iter().filter_map(|t| t.as_table()).collect())
        .unwrap_or_default();
    let overrides_of = |t: &toml::Table| -> Vec<String> {
        t.get("overrides")
            .and_then(|o| o.as_table())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    for (i, k) in design.keys.iter().enumerate() {
        let shown = scenario::validate::shown(k);
        if let Some((name, field)) = strategy_key(k) {
            if !chosen.iter().any(|(_, n)| n == name) {
                let names: Vec<&str> = chosen.iter().map(|(_, n)| n.as_str()).collect();
                return Err(fail(
                    i,
                    format!(
                        "'{shown}': '{}' is not a strategy the sweep runs; it runs: {}",
                        scenario::validate::shown(name),
                        names.join(", ")
                    ),
                )
                .into());
            }
            if ["name", "description", "overrides"].contains(&field) {
                return Err(fail(
                    i,
                    format!(
                        "'{shown}' cannot be varied; vary a strategy's {} or any scenario key it may override",
                        STRATEGY_FIELDS.join(", ")
                    ),
                )
                .into());
            }
            continue;
        }
        if design.precedence.is_some() {
            continue;
        }
        let shadowing: Vec<String> = chosen
            .iter()
            .filter_map(|(s, name)| {
                let ovs = overrides_of(tables.get(*s)?);
                let hit: Vec<String> = ovs.into_iter().filter(|ov| overlap(ov, k)).collect();
                (!hit.is_empty()).then(|| format!("'{name}' (overrides {})", hit.join(", ")))
            })
            .collect();
        if !shadowing.is_empty() {
            return Err(fail(
                i,
                format!(
                    "'{shown}' is also set by strategy {}, whose own value would win at every point; say which wins with precedence = \"sweep\" or precedence = \"strategy\" at the top of the design",
                    shadowing.join(", strategy ")
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// See [`Plan::run_seed`].
pub fn run_seed(sweep_seed: u64, point: u64, replicate: u32) -> u64 {
    let k = mix64(sweep_seed ^ 0x5357_4545_5053_4545);
    let k = mix64(k ^ point.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    mix64(k ^ u64::from(replicate).wrapping_mul(0xd6e8_feb8_6659_fd93))
}

/// A number as CSV text: the shortest form that reads back to the same value.
pub fn num(x: f64) -> String {
    if x.is_nan() { "NA".to_string() } else { format!("{x}") }
}

/// A design value as a CSV cell.
pub fn cell(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => num(*f),
        toml::Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// One CSV line, quoting only the cells that need it.
pub fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut line = String::new();
    for (i, c) in cells.enumerate() {
        if i > 0 {
            line.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            let _ = write!(line, "\"{}\"", c.replace('"', "\"\""));
        } else {
            line.push_str(c);
        }
    }
    line.push('\n');
    line.into_bytes()
}

/// A batch of runs that [`execute`] can run into a sweep directory: sandan's
/// [`Plan`], or any other model with the same layout of `results.csv` (the
/// sensitivity estimators are tested through a test-only analytic model this way).
/// A run's rows must depend on the run alone, never on threads or timing.
pub trait Experiment: Sync {
    /// What is built once per point and shared by its runs (sandan: the point's scenario).
    type Setup: Send + Sync;
    /// The manifest of part `shard` (its `runs` are the runs to do).
    fn manifest(&self, shard: Shard) -> Manifest;
    /// The header line of `results.csv`, with its newline.
    fn header(&self) -> Vec<u8>;
    /// The point a run belongs to; a point's runs are consecutive.
    fn point_of(&self, run: u64) -> u64;
    fn setup(&self, point: u64) -> Result<Self::Setup, SweepError>;
    /// The CSV rows of one run.
    fn run(&self, run: u64, setup: &Self::Setup) -> Result<Vec<u8>, SweepError>;
}

impl Experiment for Plan {
    type Setup = Scenario;
    fn manifest(&self, shard: Shard) -> Manifest {
        Plan::manifest(self, shard)
    }
    fn header(&self) -> Vec<u8> {
        Plan::header(self)
    }
    fn point_of(&self, run: u64) -> u64 {
        Plan::point_of(self, run)
    }
    fn setup(&self, point: u64) -> Result<Scenario, SweepError> {
        self.point_scenario(point as usize)
    }
    fn run(&self, run: u64, setup: &Scenario) -> Result<Vec<u8>, SweepError> {
        self.run_block_at(run, setup)
    }
}

/// How far a sweep got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Runs already complete when this invocation started (resumed).
    pub resumed: u64,
    /// Runs this invocation simulated.
    pub ran: u64,
}

/// Watches a sweep's progress (the progress bar), kept out of the run loop.
pub trait Observer: Sync {
    /// `runs` were already complete in the directory.
    fn resumed(&self, _runs: u64) {}
    /// One more run finished (called from worker threads).
    fn run_done(&self) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

/// Run the plan's part `shard` into `dir`, resuming whatever is complete there.
///
/// Runs are simulated in parallel on the current rayon pool and each is recorded as
/// soon as it finishes: a writer thread appends whatever runs have finished since
/// its last write and makes them durable, so a kill loses only the runs in flight.
/// Memory is bounded: runs are taken a window of a few per thread at a time (each
/// point's scenario built once per window), and a finished run waits in a channel
/// of the same size. At the end the files are put in run order
/// ([`store::Store::finish`]), so they are the same bytes whatever the threads.
pub fn execute<E: Experiment>(
    plan: &E,
    dir: &Path,
    shard: Shard,
    observer: &dyn Observer,
) -> Result<Outcome, SweepError> {
    let manifest = plan.manifest(shard);
    let mut store = Store::open(dir, &manifest, &plan.header())?;
    let pending = store.pending();
    let resumed = store.done();
    observer.resumed(resumed);
    let window = (rayon::current_num_threads() * 4).max(1);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(u64, Vec<u8>), SweepError>>(window);
    let abort = std::sync::atomic::AtomicBool::new(false);
    let stop = || abort.load(std::sync::atomic::Ordering::Relaxed);
    let written = std::thread::scope(|scope| {
        let store = &mut store;
        let abort = &abort;
        // Not a rayon thread: it blocks on the channel, whatever the pool's size.
        let writer = scope.spawn(move || {
            let mut failed: Option<SweepError> = None;
            while let Ok(first) = rx.recv() {
                let mut batch = Vec::new();
                for msg in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
                    match msg {
                        Ok(b) => batch.push(b),
                        Err(e) => {
                            failed.get_or_insert(e);
                        }
                    }
                }
                if failed.is_none()
                    && let Err(e) = store.append(&batch)
                {
                    failed = Some(e);
                }
                if failed.is_some() {
                    // Keep draining so that no worker blocks on a full channel.
                    abort.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            failed.map_or(Ok(()), Err)
        });
        for runs in pending.chunks(window) {
            if stop() {
                break;
            }
            let first = plan.point_of(runs[0]);
            let last = plan.point_of(runs[runs.len() - 1]);
            let scenarios: Vec<std::sync::OnceLock<Result<E::Setup, String>>> =
                (first..=last).map(|_| std::sync::OnceLock::new()).collect();
            runs.par_iter().for_each(|&run| {
                if stop() {
                    return;
                }
                let point = plan.point_of(run);
                let scenario =
                    scenarios[(point - first) as usize].get_or_init(|| plan.setup(point).map_err(|e| e.to_string()));
                let block = match scenario {
                    Ok(s) => plan.run(run, s).map(|b| (run, b)),
                    Err(m) => Err(SweepError::Internal(m.clone())),
                };
                observer.run_done();
                // The writer outlives every sender; a send fails only if it panicked.
                let _ = tx.send(block);
            });
        }
        drop(tx);
        writer
            .join()
            .unwrap_or_else(|_| Err(SweepError::Internal("the sweep's writer thread panicked".to_string())))
    });
    written?;
    store.finish()?;
    Ok(Outcome {
        resumed,
        ran: pending.len() as u64,
    })
}

/// Join finished shard directories into `out`, byte for byte what the unsharded
/// sweep writes: `results.csv` is the shards' rows in shard order (each shard is a
/// contiguous range of runs), `progress.log` their records with offsets moved.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Manifest, SweepError> {
    let mut shards: Vec<(Manifest, &PathBuf)> = Vec::new();
    for d in dirs {
        shards.push((Manifest::read(d)?, d));
    }
    let first = shards
        .first()
        .ok_or_else(|| SweepError::Merge("no directories given".to_string()))?
        .0
        .clone();
    let count = first.shard.count as usize;
    for (m, d) in &shards {
        if let Some(why) = first.same_sweep(m) {
            return Err(SweepError::Merge(format!(
                "{} is from another sweep than {}: {why}",
                d.display(),
                dirs[0].display()
            )));
        }
        if m.shard.count as usize != count {
            return Err(SweepError::Merge(format!(
                "{} is a shard of {} parts, not {count}",
                d.display(),
                m.shard.count
            )));
        }
    }
    shards.sort_by_key(|(m, _)| m.shard.index);
    let have: Vec<u32> = shards.iter().map(|(m, _)| m.shard.index).collect();
    if have != (0..count as u32).collect::<Vec<_>>() {
        return Err(SweepError::Merge(format!(
            "need each of the {count} shards exactly once, got shards {have:?}"
        )));
    }
    let header = results_header(shards[0].1)?;
    std::fs::create_dir_all(out).map_err(store::io(out))?;
    // Streamed into a temporary of the usual `.NAME.PID.tmp` pattern, removed on a
    // failure and by the next sandan writing here after a kill.
    let final_path = out.join(store::RESULTS);
    let mut progress = String::new();
    let mut failure: Option<SweepError> = None;
    let written = crate::output::write_atomic_with(&final_path, |results| {
        let mut copy = || -> Result<(), SweepError> {
            let io_out = store::io(&final_path);
            results.write_all(&header).map_err(&io_out)?;
            let mut offset = header.len() as u64;
            for (m, d) in &shards {
                let records = store::complete_records(d, m, &header)?;
                let path = d.join(store::RESULTS);
                let mut f = std::fs::File::open(&path).map_err(store::io(&path))?;
                std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(header.len() as u64)).map_err(store::io(&path))?;
                let body = records.last().map(|r| r.end - header.len() as u64).unwrap_or(0);
                let copied = std::io::copy(&mut std::io::Read::take(f, body), results).map_err(&io_out)?;
                if copied != body {
                    return Err(SweepError::Merge(format!(
                        "{} is shorter than its progress log",
                        path.display()
                    )));
                }
                for r in &records {
                    progress.push_str(
                        &store::Record {
                            end: r.end - header.len() as u64 + offset,
                            ..*r
                        }
                        .line(),
                    );
                }
                offset += body;
            }
            Ok(())
        };
        copy().map_err(|e| {
            let m = e.to_string();
            failure = Some(e);
            std::io::Error::other(m)
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written?;
    crate::output::write_atomic(&out.join(store::PROGRESS), progress.as_bytes())?;
    let mut whole = first.clone();
    whole.shard = Shard::WHOLE;
    whole.runs = (0, whole.points * u64::from(whole.replicates));
    let json = serde_json::to_vec_pretty(&whole).map_err(|e| SweepError::Damaged(e.to_string()))?;
    crate::output::write_atomic(&out.join(store::MANIFEST), &json)?;
    Ok(whole)
}

/// Check plot options before any run: the metric exists, and `by` names one or
/// two of the design's parameters. Returns the parameters' indices (by default the
/// first one or two).
pub fn plot_axes(parameters: &[String], metric: &str, by: &[String]) -> Result<Vec<usize>, SweepError> {
    if !YearMetrics::NAMES.contains(&metric) {
        return Err(SweepError::Metric(metric.to_string(), YearMetrics::NAMES.join(", ")));
    }
    if by.is_empty() {
        return Ok((0..parameters.len().min(2)).collect());
    }
    if by.len() > 2 {
        return Err(SweepError::By(
            by.join(","),
            "plot against one or two parameters".to_string(),
        ));
    }
    by.iter()
        .map(|b| {
            parameters.iter().position(|p| p == b).ok_or_else(|| {
                SweepError::By(
                    b.clone(),
                    format!("not a parameter of the design; it varies: {}", parameters.join(", ")),
                )
            })
        })
        .collect()
}

/// Write `summary.csv`, `response.png`, `rankings.csv` and `rankings.png` for a
/// complete sweep directory.
pub fn report(dir: &Path, metric: &str, by: &[String]) -> Result<Vec<PathBuf>, SweepError> {
    let s = summary::summarise(dir, metric)?;
    let axes = plot_axes(&s.parameters, metric, by)?;
    let png = dir.join("response.png");
    crate::output::write_atomic(&png, &plot::response_png(&s, &axes)?)?;
    let mut written = vec![dir.join(store::RESULTS), dir.join("summary.csv"), png];
    written.extend(rank_and_score(dir, metric)?);
    Ok(written)
}

/// `rankings.csv` and `rankings.png` of a finished sweep, and for a grid, Latin
/// hypercube or table, `feature_scores.csv` (a Morris or Sobol design has its own
/// indices).
pub fn rank_and_score(dir: &Path, metric: &str) -> Result<Vec<PathBuf>, SweepError> {
    let (mut written, r) = rankings::write(dir, metric)?;
    let method = Manifest::read(dir)?.method;
    if !["morris", "sobol"].contains(&method.as_str()) {
        written.push(features::write(dir, &r)?);
    }
    Ok(written)
}

/// The first line of a directory's `results.csv`, with its newline.
pub fn results_header(dir: &Path) -> Result<Vec<u8>, SweepError> {
    let path = dir.join(store::RESULTS);
    let first = store::lines(&path)?
        .next()
        .transpose()
        .map_err(store::io(&path))?
        .ok_or_else(|| SweepError::Merge(format!("{} is empty", path.display())))?;
    Ok(format!("{first}\n").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SCENARIO: &str = "name = \"t\"\nstart_year = 2016\nend_year = 2018\nseed = 5\nreplicates = 3\n[[village]]\nname = \"a\"\nhouseholds = 30\n[[strategy]]\nname = \"base\"\n[[strategy]]\nname = \"generous\"\noverrides = { \"dibao.take_up_registered\" = 1.0 }\n";

    fn plan(design: &str) -> Result<Plan, SweepError> {
        let base = scenario::parse(SCENARIO, "s.toml", "s").unwrap();
        Plan::new(&base, SCENARIO, "s.toml", "s", design, "d.toml")
    }

    #[test]
    fn replicates_and_points_never_share_a_seed() {
        let mut seen = HashSet::new();
        for p in 0..200 {
            for r in 0..200 {
                assert!(seen.insert(run_seed(7, p, r)), "seed of ({p}, {r}) repeats");
            }
        }
        assert_ne!(run_seed(7, 0, 0), run_seed(8, 0, 0));
    }

    #[test]
    fn a_bad_point_is_reported_before_running_with_its_values() {
        let e = plan("[grid]\n\"identification.exclusion_error\" = [0.1, 1.5]\n").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = e.to_string();
        assert!(
            e.starts_with("d.toml: point 1 (identification.exclusion_error = 1.5): "),
            "{e}"
        );
        assert!(e.contains("must be between 0 and 1, got 1.5"), "{e}");
        let many_bad: Vec<String> = (0..64)
            .map(|i| if i % 2 == 1 { "1.5".into() } else { "0.1".into() })
            .collect();
        let e = plan(&format!(
            "[grid]\n\"identification.exclusion_error\" = [{}]\n",
            many_bad.join(", ")
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("d.toml: point 1 "),
            "the first bad point, whatever the threads: {e}"
        );
        let e = plan("[grid]\n\"dibao.generosity\" = [1.0]\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `generosity`"), "{e}");
        let e = plan("strategies = [\"nope\"]\n[grid]\n\"dibao.take_up_other\" = [0.5]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no strategy 'nope'; it has: base, generous"), "{e}");
    }

    #[test]
    fn point_values_reach_every_strategy_under_their_own_overrides() {
        let p = plan(
            "precedence = \"strategy\"\n[grid]\n\"dibao.take_up_registered\" = [0.3]\n\"dibao.take_up_other\" = [0.7]\n",
        )
        .unwrap();
        let s = p.point_scenario(0).unwrap();
        assert_eq!(s.strategies[0].model.dibao.take_up_registered, 0.3);
        assert_eq!(s.strategies[0].model.dibao.take_up_other, 0.7);
        // The strategy's own override wins over the point's value of the same key…
        assert_eq!(s.strategies[1].model.dibao.take_up_registered, 1.0);
        // …and the point's other values still reach it.
        assert_eq!(s.strategies[1].model.dibao.take_up_other, 0.7);
    }

    #[test]
    fn issue15_a_shadowed_key_is_refused_naming_the_strategy_unless_the_design_says_who_wins() {
        let e = plan("seed = 1\n[grid]\n\"dibao.take_up_registered\" = [0.3, 0.6]\n").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = e.to_string();
        assert!(e.starts_with("d.toml:3:30: 'dibao.take_up_registered' is also set by strategy 'generous' (overrides dibao.take_up_registered)"), "{e}");
        assert!(e.contains("precedence = \"sweep\"") && !e.contains('\n'), "{e}");
        // A table holding the key overlaps it too.
        let e = plan("[grid]\n\"dibao\" = [{ take_up_other = 0.5 }]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("strategy 'generous'"), "{e}");
        // Not among the strategies run: no conflict.
        plan("strategies = [\"base\"]\n[grid]\n\"dibao.take_up_registered\" = [0.3]\n").unwrap();
        let p = plan("precedence = \"sweep\"\n[grid]\n\"dibao.take_up_registered\" = [0.3]\n").unwrap();
        let s = p.point_scenario(0).unwrap();
        assert_eq!(
            s.strategies[1].model.dibao.take_up_registered, 0.3,
            "the sweep's value wins"
        );
        let p = plan("precedence = \"strategy\"\n[grid]\n\"dibao.take_up_registered\" = [0.3]\n").unwrap();
        assert_eq!(
            p.point_scenario(0).unwrap().strategies[1]
                .model
                .dibao
                .take_up_registered,
            1.0
        );
    }

    #[test]
    fn issue15_a_strategys_fields_and_overrides_are_varied_by_name() {
        let p = plan("[grid]\n\"strategy.base.budget\" = [0.0, 2e5]\n\"strategy.generous.dibao.take_up_other\" = [0.4]\n\"strategy.base.matching\" = [\"random\"]\n").unwrap();
        let s = p.point_scenario(1).unwrap();
        assert_eq!(s.strategies[0].plan.budget, 2e5);
        assert_eq!(s.strategies[1].plan.budget, 0.0);
        assert_eq!(s.strategies[1].model.dibao.take_up_other, 0.4);
        assert_eq!(
            s.strategies[1].model.dibao.take_up_registered, 1.0,
            "its other overrides stay"
        );
        assert_eq!(
            s.strategies[0].model.dibao.take_up_other,
            p.point_scenario(0).unwrap().strategies[0].model.dibao.take_up_other
        );
        let e = plan("[grid]\n\"strategy.nope.budget\" = [1.0]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "d.toml:2:26: 'strategy.nope.budget': 'nope' is not a strategy the sweep runs; it runs: base, generous"
            ),
            "{e}"
        );
        let e = plan("[grid]\n\"strategy.base.budget\" = [-1.0]\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("d.toml: point 0 (strategy.base.budget = -1): "), "{e}");
        let e = plan("[grid]\n\"strategy.base.name\" = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be varied"), "{e}");
        let e = plan("[grid]\n\"strategy.base\" = [1]\n").unwrap_err().to_string();
        assert!(e.contains("strategy.three_order.budget"), "{e}");
    }

    /// Rows of one strategy in a run block, without the run and point columns.
    fn rows_of<'a>(block: &'a str, strategy: &str) -> Vec<&'a str> {
        block
            .lines()
            .filter(|l| l.split(',').nth(3) == Some(strategy))
            .map(|l| l.splitn(4, ',').nth(3).unwrap())
            .collect()
    }

    #[test]
    fn issue15_identical_points_give_identical_rows_under_common_random_numbers() {
        let p = plan("replicates = 2\n[points]\nkeys = [\"dibao.take_up_other\"]\nvalues = [[0.5], [0.5]]\n").unwrap();
        for r in 0..2 {
            let (a, b) = (p.run_block(r).unwrap(), p.run_block(2 + r).unwrap());
            let (a, b) = (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
            for s in ["base", "generous"] {
                assert_eq!(rows_of(&a, s), rows_of(&b, s));
            }
        }
        assert_ne!(p.run_seed(0, 0), p.run_seed(0, 1));
        let off = plan("common_random_numbers = false\nreplicates = 2\n[points]\nkeys = [\"dibao.take_up_other\"]\nvalues = [[0.5], [0.5]]\n").unwrap();
        assert_ne!(off.run_seed(0, 0), off.run_seed(1, 0));
        assert_ne!(off.manifest(Shard::WHOLE).mismatch(&p.manifest(Shard::WHOLE)), None);
    }

    #[test]
    fn issue15_sweeping_a_strategys_budget_changes_only_its_rows() {
        let p = plan("replicates = 1\n[grid]\n\"strategy.base.budget\" = [0.0, 3e5]\n").unwrap();
        let a = String::from_utf8(p.run_block(0).unwrap()).unwrap();
        let b = String::from_utf8(p.run_block(1).unwrap()).unwrap();
        assert_eq!(rows_of(&a, "generous"), rows_of(&b, "generous"));
        assert_ne!(rows_of(&a, "base"), rows_of(&b, "base"));
    }

    #[test]
    fn a_sweep_can_vary_one_field_of_a_pair_and_one_year_of_a_table() {
        let p = plan("[grid]\n\"population.savings_poor.mean\" = [500.0, 2500.0]\n\"poverty_line.2017\" = [3100.0]\n")
            .unwrap();
        let s = p.point_scenario(1).unwrap();
        let m = &s.strategies[0].model;
        assert_eq!(m.poverty_line.at(2017), 3100.0);
        assert_eq!(m.poverty_line.at(2018), 2995.0, "the other years stay");
        let deep = vec!["x"; 100].join(".");
        let e = plan(&format!("[grid]\n\"{deep}\" = [1.0]\n")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("more than 16 parts"), "{e}");
    }

    #[test]
    fn a_run_block_is_reproduced_by_its_seed() {
        let p = plan("replicates = 2\n[grid]\n\"dibao.take_up_other\" = [0.2, 0.9]\n").unwrap();
        let block = String::from_utf8(p.run_block(3).unwrap()).unwrap();
        let seed = p.run_seed(1, 1);
        let mut s = p.point_scenario(1).unwrap();
        s.seed = seed;
        let rec = engine::simulate(&s, 1, 0);
        let last = block.lines().last().unwrap();
        assert!(last.starts_with(&format!("3,1,0.9,generous,1,{seed},2018,")), "{last}");
        assert!(last.ends_with(&num(*rec.years[2].values().last().unwrap())));
        assert_eq!(block.lines().count(), 2 * 3);
    }
}
