//! The command-line application: parses flags, wires scenario → engine → output, and
//! maps failures to exit codes. `main.rs` only calls [`main`].
//!
//! Exit codes: 0 success; 2 a scenario or command-line error (the user can fix the
//! input); 1 anything else (a file could not be written, …).

mod calibrate;
mod sweep;
mod workshop;

use crate::engine;
use crate::output::fonts::{self, FontError, Lang};
use crate::output::{self, RunInfo, Style, table::final_year_table, tables::summarise};
use crate::resources;
use crate::scenario::{self, Scenario, ScenarioError};
use crate::sweep::SweepError;
pub use calibrate::{CalibrateArgs, Method};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
pub use sweep::{MergeArgs, PlotArgs, SensitivityArgs, SweepArgs};
pub use workshop::WorkshopArgs;

#[derive(Debug, Parser)]
#[command(
    name = "sandan",
    version,
    about = "Agent-based policy sandbox for village poverty-alleviation programs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write trajectories, a summary, plots, a manifest and report.html.
    #[command(
        after_help = "Examples:\n  sandan run                                   the embedded Suiyang-like county\n  \
        sandan run my.toml --out outputs/my --replicates 5\n\n\
        Every scenario key, with its default and meaning: scenarios/template.toml"
    )]
    Run(RunArgs),
    /// Redraw the plots and report.html of a finished run from its files, without simulating.
    #[command(
        after_help = "Examples:\n  sandan report outputs/suiyang --lang zh       adds report.zh.html beside report.html\n  \
        sandan report outputs/suiyang --baseline top_down --out outputs/against-top-down"
    )]
    Report(ReportArgs),
    /// Check a scenario file and report the first problem, with its line and column.
    #[command(after_help = "Example:\n  sandan validate my.toml\n\n\
        Every scenario key, with its default and meaning: scenarios/template.toml")]
    Validate {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Also check a calibration targets file against the scenario.
        #[arg(long, value_name = "TARGETS.toml")]
        targets: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Fit a scenario's parameters to a record (ABC-SMC); run the same command again to
    /// resume an interrupted calibration.
    Calibrate(CalibrateArgs),
    /// Run a scenario at every point of a design, with replicates, streaming tidy
    /// results; run the same command again to resume an interrupted sweep.
    #[command(
        after_help = "Example:\n  sandan sweep scenarios/suiyang.toml --design scenarios/designs/sweep_dibao.toml\n\n\
        Every scenario key a design may vary: scenarios/template.toml"
    )]
    Sweep(SweepArgs),
    /// Join the shard directories of a `sweep --shard` into one, as one machine would write it.
    #[command(after_help = "Example:\n  sandan merge out/shard-0 out/shard-1 --out out/merged")]
    Merge(MergeArgs),
    /// Sensitivity indices (indices.csv, charts) of a finished [morris] or [sobol] sweep,
    /// and rankings.csv of any finished sweep.
    Sensitivity(SensitivityArgs),
    /// Serve a local web page on which a trainer changes a strategy's levers and the
    /// room sees the consequence at once.
    Workshop(WorkshopArgs),
}

#[derive(Debug, Clone, clap::Args, Default)]
pub struct RunArgs {
    /// The scenario file (TOML); without one, the embedded Suiyang-like default.
    pub scenario: Option<PathBuf>,
    #[arg(long, help = "Output directory [default: outputs/<scenario name>].")]
    pub out: Option<PathBuf>,
    /// Replicates per strategy, overriding the scenario's `replicates`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub replicates: Option<u32>,
    /// Random seed, overriding the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Also write households.csv: each household's status, income and yuan by source,
    /// every strategy and year of replicate 0 (one row per household-year: large for
    /// a large county).
    #[arg(long)]
    pub households: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub style: StyleArgs,
}

/// The resource limit a run or sweep is checked against before it starts.
#[derive(Debug, Clone, clap::Args, Default)]
pub struct LimitArgs {
    /// Refuse to start when the estimated peak memory is above SIZE, e.g. 8G or 512M
    /// [default: the machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = resources::parse_size)]
    pub max_memory: Option<u64>,
}

/// Language and font of the plots and the report.
#[derive(Debug, Clone, clap::Args, Default)]
pub struct StyleArgs {
    /// Language of plot text and the report.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Font file for plot text (.ttf, .otf or .ttc); with `--lang zh` it must have
    /// Chinese glyphs [default: a CJK font found on the system].
    #[arg(long, value_name = "PATH")]
    pub font: Option<PathBuf>,
    /// The strategy impacts are measured against (impacts.csv, the report, the
    /// terminal) [default: the scenario's `baseline`, else no_program, else the first].
    #[arg(long, value_name = "STRATEGY")]
    pub baseline: Option<String>,
    /// Flag a strategy that leaves more than this share of its program budget
    /// unspent (0–1; budget.csv, the report, the terminal) [default: 0.1].
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub flag_unspent: Option<f64>,
}

/// A share between 0 and 1, for `--flag-unspent`.
fn parse_share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        Ok(x) => Err(format!("must be a share between 0 and 1, got {x}")),
        Err(_) => Err(format!("expected a number between 0 and 1, got the text \"{text}\"")),
    }
}

impl StyleArgs {
    fn resolve(&self) -> Result<Style, CliError> {
        Ok(Style {
            lang: self.lang,
            font: fonts::resolve(self.lang, self.font.as_deref())?,
            baseline: self.baseline.clone(),
            flag_unspent: self.flag_unspent.unwrap_or(output::budget::DEFAULT_FLAG_UNSPENT),
        })
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// The output directory of a finished `sandan run` (with trajectories.csv,
    /// summary.csv and manifest.json).
    pub dir: PathBuf,
    /// Where to write the plots, tables of impacts and the report [default: DIR].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub style: StyleArgs,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Why a command failed, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Output(#[from] output::OutputError),
    #[error(transparent)]
    Font(#[from] FontError),
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// A calibration flag or directory the user can fix.
    #[error("{0}")]
    Usage(String),
    /// A fault of sandan's own, such as a result that is not a finite number.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(ScenarioError::Invalid { .. }) => 2,
            CliError::Scenario(ScenarioError::Read { .. }) => 2,
            CliError::Font(_) => 2,
            CliError::Output(output::OutputError::Input { .. }) => 2,
            CliError::Output(_) | CliError::Threads { .. } | CliError::Internal(_) => 1,
            CliError::Sweep(e) => e.exit_code(),
            CliError::Usage(_) => 2,
        }
    }
}

/// Run the command line and return the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        None => run(&RunArgs::default()),
        Some(Command::Run(args)) => run(&args),
        Some(Command::Report(args)) => report(&args),
        Some(Command::Validate {
            scenario,
            targets,
            limits,
        }) => validate(&scenario, targets.as_deref(), &limits),
        Some(Command::Sweep(args)) => sweep::run_sweep(&args),
        Some(Command::Sensitivity(args)) => sweep::sensitivity(&args),
        Some(Command::Calibrate(args)) => calibrate::calibrate(&args),
        Some(Command::Merge(args)) => sweep::merge(&args),
        Some(Command::Workshop(args)) => workshop::workshop(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever a message echoes (a path, a name).
            eprintln!("error: {}", scenario::validate::one_line(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Load the scenario a run asks for: a file, or the embedded default.
/// Returns the scenario, where it came from, its content hash and its text.
fn load(path: Option<&Path>) -> Result<(Scenario, String, String, String), CliError> {
    Ok(match path {
        Some(p) => {
            let (s, text) = scenario::load_with_text(p)?;
            let hash = scenario::content_hash(&text);
            (s, p.display().to_string(), hash, text)
        }
        None => (
            scenario::parse(scenario::DEFAULT_SCENARIO, scenario::DEFAULT_ORIGIN, "suiyang")?,
            scenario::DEFAULT_ORIGIN.to_string(),
            scenario::content_hash(scenario::DEFAULT_SCENARIO),
            scenario::DEFAULT_SCENARIO.to_string(),
        ),
    })
}

fn report(args: &ReportArgs) -> Result<(), CliError> {
    let style = args.style.resolve()?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let rendered = output::rebuild_pictures(&args.dir, &style, &command)?;
    let out = args.out.as_deref().unwrap_or(&args.dir);
    output::write_files(out, rendered.files)?;
    if !args.quiet {
        for line in rendered.impact_lines {
            println!("{line}");
        }
        println!("{}", open_line(style.lang, out, &rendered.report));
    }
    Ok(())
}

fn validate(path: &Path, targets: Option<&Path>, limits: &LimitArgs) -> Result<(), CliError> {
    let (s, text) = scenario::load_with_text(path)?;
    // What `run` would refuse, `validate` refuses too (on all cores, as `run`).
    let estimate = resources::run(&s, threads(None));
    afford(&estimate, limits, true).map_err(|why| too_large(&estimate, &path.display().to_string(), &text, &why))?;
    if let Some(t) = targets {
        let file = t.display().to_string();
        let ttext = std::fs::read_to_string(t).map_err(|source| ScenarioError::Read {
            file: file.clone(),
            source,
        })?;
        let targets = crate::calibrate::targets::parse(&ttext, &file, &s, &text, &path.display().to_string())?;
        println!(
            "{file}: ok — strategy '{}', {} observations, {} parameters",
            targets.strategy,
            targets.observations.len(),
            targets.parameters.len()
        );
    }
    let m = &s.strategies[0].model;
    println!(
        "{}: ok — scenario '{}', {} {}, {} households, years {}–{}, {} replicates, strategies: {}; about {} of memory and {:.1e} household-years",
        path.display(),
        s.name,
        m.villages.len(),
        if m.villages.len() == 1 { "village" } else { "villages" },
        m.household_count(),
        s.start_year,
        s.end_year,
        s.replicates,
        s.strategies
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        resources::bytes(estimate.bytes),
        estimate.household_years
    );
    Ok(())
}

pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let (scenario, origin, hash, text) = load(args.scenario.as_deref())?;
    // Before simulating, so that a missing font stops the run at once.
    let style = args.style.resolve()?;
    let mut scenario = scenario.with_run_settings(args.replicates, args.seed);
    if let Some(b) = &args.style.baseline {
        scenario
            .strategy_index(b)
            .map_err(|m| CliError::Usage(format!("--baseline: {m}")))?;
        scenario.baseline = Some(b.clone());
    }
    let (threads, pool) = pool(args.threads)?;
    let estimate = resources::run(&scenario, threads);
    afford(&estimate, &args.limits, args.quiet).map_err(|why| too_large(&estimate, &origin, &text, &why))?;

    let jobs = scenario.strategies.len() as u64 * u64::from(scenario.replicates);
    let progress = Progress::new(jobs, args.quiet, "simulations");
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(&scenario.name));
    clean(&dir, args.quiet);
    let households = if args.households {
        Some(output::households::HouseholdsWriter::new(&scenario, &dir)?)
    } else {
        None
    };
    let sink = households.as_ref().map(|w| w as &dyn engine::HouseholdSink);
    let records = pool.install(|| engine::run_recording(&scenario, sink, &|| progress.tick()));
    progress.finish();
    // Before anything is written: a dropped households writer removes its parts.
    check_finite(&scenario, &records)?;
    let households = households.map(|w| w.finish()).transpose()?;

    let info = RunInfo {
        scenario_path: origin,
        scenario_hash: hash,
        scenario_text: text,
        threads,
        wall_seconds: started.elapsed().as_secs_f64(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        households: households.is_some(),
    };
    let (_, rendered) = output::write_run(&dir, &scenario, &records, &info, &style)?;
    if !args.quiet {
        println!("{}", final_year_table(&summarise(&scenario, &records)));
        println!(
            "{} strategies × {} replicates × {} years of {} households in {:.1} s{}.",
            scenario.strategies.len(),
            scenario.replicates,
            scenario.years_reported(),
            scenario.strategies[0].model.household_count(),
            started.elapsed().as_secs_f64(),
            if households.is_some() {
                "; households.csv written"
            } else {
                ""
            }
        );
        for line in rendered.impact_lines {
            println!("{line}");
        }
        println!("{}", open_line(style.lang, &dir, &rendered.report));
    }
    Ok(())
}

/// Refuse results with a value that is not a finite number (issue 16): validation
/// bounds every input, so such a value is a fault of sandan's, reported rather than
/// written as `inf` or `NaN`.
fn check_finite(scenario: &Scenario, records: &[engine::RunRecord]) -> Result<(), CliError> {
    for r in records {
        if let Some((year, metric, x)) = r.first_non_finite() {
            return Err(CliError::Internal(format!(
                "strategy '{}', replicate {}, year {year}: metric {metric} is {x}, not a finite number; no results were written",
                scenario.strategies[r.strategy].name, r.replicate
            )));
        }
    }
    Ok(())
}

/// The worker threads `--threads` asks for, or all cores.
fn threads(flag: Option<u16>) -> usize {
    flag.map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

fn pool(flag: Option<u16>) -> Result<(usize, rayon::ThreadPool), CliError> {
    let threads = threads(flag);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError::Threads {
            threads,
            message: e.to_string(),
        })?;
    Ok((threads, pool))
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A progress bar on stderr that appears only when the run has lasted about a
/// second and stderr is a terminal.
struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
    allowed: bool,
}

impl Progress {
    fn new(total: u64, quiet: bool, unit: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, {{elapsed}} elapsed, ETA {{eta}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
            allowed: !quiet && std::io::stderr().is_terminal(),
        }
    }

    fn tick(&self) {
        self.bar.inc(1);
        if self.allowed && self.started.elapsed() > Duration::from_secs(1) && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl crate::sweep::Observer for Progress {
    fn resumed(&self, runs: u64) {
        self.bar.set_position(runs);
        self.bar.reset_eta();
    }

    fn run_done(&self) {
        self.tick();
    }
}

/// The refusal of a run too large, located at the key of its largest part.
fn too_large(estimate: &resources::Estimate, file: &str, text: &str, why: &str) -> CliError {
    let doc = toml_edit::Document::parse(text).ok();
    let path = scenario::validate::KeyPath::default().key(estimate.key);
    let offset = doc.map_or(0, |d| scenario::offset_of(&d, &path));
    scenario::located(file, text, offset, format!("the run {why}")).into()
}

/// Refuse an estimate above the memory limit (returns why), and warn about a long one.
fn afford(estimate: &resources::Estimate, limits: &LimitArgs, quiet: bool) -> Result<(), String> {
    let (limit, from) = resources::limit(limits.max_memory);
    if let Some(why) = estimate.refusal(limit, &from) {
        return Err(why);
    }
    if let Some(warning) = estimate.warning().filter(|_| !quiet) {
        eprintln!("{warning}");
    }
    Ok(())
}

/// Remove the temporaries of interrupted runs from an output directory before a run
/// or sweep writes into it (issue 16), and say so.
fn clean(dir: &Path, quiet: bool) {
    let removed = output::remove_stale_temporaries(dir);
    if !quiet && !removed.is_empty() {
        eprintln!(
            "removed {} temporary files left by interrupted runs in {}",
            removed.len(),
            dir.display()
        );
    }
}

/// The terminal's last line after a run or report: where to look.
fn open_line(lang: Lang, dir: &Path, report: &str) -> String {
    let path = dir.join(report);
    match lang {
        Lang::En => format!("open {}", path.display()),
        Lang::Zh => format!("打开 {}", path.display()),
    }
}

/// Paths as a comma-separated list, for messages.
fn paths(written: &[PathBuf]) -> String {
    written
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue16_a_non_finite_result_is_an_internal_error_naming_where() {
        let text = "start_year = 2016\nend_year = 2017\n[[village]]\nname = \"a\"\nhouseholds = 5\n";
        let s = scenario::parse(text, "t.toml", "t").unwrap();
        let mut records = engine::run(&s, &|| {});
        check_finite(&s, &records).unwrap();
        records[0].years[1].mean_income = f64::INFINITY;
        let e = check_finite(&s, &records).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "internal error: strategy 'no_program', replicate 0, year 2017: metric mean_income is inf, not a finite number; no results were written"
        );
    }
}
