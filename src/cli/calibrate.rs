//! `sandan calibrate`: reads a scenario and its targets, runs ABC-SMC (or
//! Nelder–Mead) from `crate::calibrate` on a thread pool, and writes the
//! calibration's files, checkpointing each generation so that rerunning the same
//! command resumes.

use super::{CliError, pool, stem};
use crate::calibrate::{abc, fit, nelder_mead, targets};
use crate::output;
use crate::scenario::{self, ScenarioError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The targets file: strategy, observations and parameters with priors.
    #[arg(long, value_name = "TARGETS.toml")]
    pub targets: PathBuf,
    /// Output directory [default: outputs/<scenario>-calibration].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of the sampler and of every particle's replicates [default: the scenario's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Particles per generation.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub particles: u32,
    /// Replicates each particle is simulated over (common random numbers). Their
    /// spread is the village's own chance in the likelihood: use well more than
    /// the number of observations.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replicates: u32,
    /// Stop once this many particle simulations (each over all replicates) are spent.
    #[arg(long, default_value_t = 20_000)]
    pub max_simulations: u64,
    /// Stop after this many generations.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_generations: u32,
    /// Stop once a generation accepts fewer than this share of its proposals.
    #[arg(long, default_value_t = 0.02)]
    pub min_acceptance: f64,
    /// The last tolerance, in units of the deviance (−2 log likelihood ratio,
    /// square-rooted): at 1 the last generation samples the posterior; above 1, a
    /// wider, tempered version of it. The schedule stops there.
    #[arg(long, default_value_t = 1.0)]
    pub tolerance: f64,
    /// Each generation's tolerance is the smallest at which the previous one,
    /// reweighted to it, keeps this share of its effective sample size.
    #[arg(long, default_value_t = 0.5)]
    pub ess_fraction: f64,
    /// abc-smc: a posterior; nelder-mead: a point estimate (the deviance's minimum), to
    /// cross-check (its budget is --max-simulations).
    #[arg(long, value_enum, default_value_t = Method::AbcSmc)]
    pub method: Method,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How `sandan calibrate` fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    AbcSmc,
    NelderMead,
}

pub(super) fn calibrate(args: &CalibrateArgs) -> Result<(), CliError> {
    let (s, text) = scenario::load_with_text(&args.scenario)?;
    let file = args.targets.display().to_string();
    let ttext = std::fs::read_to_string(&args.targets).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    let scenario_file = args.scenario.display().to_string();
    let targets = targets::parse(&ttext, &file, &s, &text, &scenario_file)?;
    if targets.parameters.is_empty() {
        return Err(CliError::Usage(format!("{file}: there is no [[parameter]] to fit")));
    }
    for (flag, v, ok) in [
        (
            "--min-acceptance",
            args.min_acceptance,
            (0.0..1.0).contains(&args.min_acceptance),
        ),
        (
            "--ess-fraction",
            args.ess_fraction,
            args.ess_fraction > 0.0 && args.ess_fraction < 1.0,
        ),
        (
            "--tolerance",
            args.tolerance,
            args.tolerance > 0.0 && args.tolerance.is_finite(),
        ),
    ] {
        if !ok {
            return Err(CliError::Usage(format!(
                "{flag} {v} is out of range; see sandan calibrate --help"
            )));
        }
    }
    let seed = args.seed.unwrap_or(s.seed);
    let settings = abc::Settings {
        seed,
        particles: args.particles as usize,
        ess_fraction: args.ess_fraction,
        max_generations: args.max_generations as usize,
        max_simulations: args.max_simulations,
        min_acceptance: args.min_acceptance,
        target_tolerance: args.tolerance,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-calibration", stem(&args.scenario))));
    std::fs::create_dir_all(&out).map_err(|source| output::OutputError::Io {
        path: out.clone(),
        source,
    })?;
    let observations = targets.observations.len() as u32;
    if args.replicates < observations + 2 && !args.quiet {
        eprintln!(
            "warning: {} replicates for {observations} observations: the likelihood estimates the \
             observations' covariance across replicates, which needs at least {} (more is better); \
             with fewer the posterior is too narrow",
            args.replicates,
            observations + 2
        );
    }
    let problem = fit::Problem {
        scenario_text: text.clone(),
        scenario_file,
        targets,
        replicates: args.replicates,
        seed,
    };
    // What makes two invocations the same calibration (threads and paths aside).
    let key = scenario::content_hash(&format!(
        "{}|{}|{settings:?}|{}|{:?}",
        scenario::content_hash(&text),
        scenario::content_hash(&ttext),
        args.replicates,
        args.method
    ));
    let names: Vec<String> = problem.targets.parameters.iter().map(|p| p.path.clone()).collect();
    let json_path = out.join("calibration.json");
    let (post_path, gen_path) = (out.join("posterior.csv"), out.join("generations.csv"));
    let mut done = Vec::new();
    if let Ok(old) = std::fs::read_to_string(&json_path) {
        let same = serde_json::from_str::<serde_json::Value>(&old)
            .ok()
            .is_some_and(|v| v["key"] == key.as_str());
        if !same {
            return Err(CliError::Usage(format!(
                "{} holds a different calibration; choose another --out",
                out.display()
            )));
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        done = fit::read_checkpoint(&read(&post_path), &read(&gen_path), names.len())
            .map_err(|m| CliError::Usage(format!("{}: cannot resume: {m}", out.display())))?;
    }
    let json = serde_json::json!({
        "sandan_version": env!("CARGO_PKG_VERSION"),
        "method": match args.method { Method::AbcSmc => "abc-smc", Method::NelderMead => "nelder-mead" },
        "key": key,
        "scenario_file": problem.scenario_file,
        "scenario_hash": scenario::content_hash(&text),
        "targets_file": file,
        "targets_hash": scenario::content_hash(&ttext),
        "seed": seed,
        "replicates": args.replicates,
        "particles": settings.particles,
        "ess_fraction": settings.ess_fraction,
        "max_generations": settings.max_generations,
        "max_simulations": settings.max_simulations,
        "min_acceptance": settings.min_acceptance,
        "target_tolerance": settings.target_tolerance,
        "parameters": names,
        "command": std::env::args().collect::<Vec<_>>().join(" "),
    });
    output::write_atomic(&json_path, format!("{json:#}\n").as_bytes())?;
    let (_, pool) = pool(args.threads)?;
    if args.method == Method::NelderMead {
        let priors: Vec<_> = problem.targets.parameters.iter().map(|p| p.prior).collect();
        let e = pool.install(|| nelder_mead::minimise(&priors, &|t| problem.score(t).deviance(), args.max_simulations));
        let mut csv = String::from("parameter,value\n");
        for (n, v) in names.iter().zip(&e.theta) {
            csv += &format!("{n},{v}\n");
        }
        output::write_atomic(&out.join("estimate.csv"), csv.as_bytes())?;
        let toml = fit::point_toml(&problem, &e.theta, e.loss).map_err(CliError::Usage)?;
        output::write_atomic(&out.join("calibrated.toml"), toml.as_bytes())?;
        if !args.quiet {
            println!("{}: loss {} after {} simulations", out.display(), e.loss, e.evaluations);
            for (n, v) in names.iter().zip(&e.theta) {
                println!("  {n}: {v:.4}");
            }
        }
        return Ok(());
    }
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(settings.max_generations as u64), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("generation {pos}/{len} {wide_bar} {msg} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(done.len() as u64);
    let started = Instant::now();
    let mut written: Vec<abc::Generation> = done.clone();
    let mut failed = None;
    let priors: Vec<_> = problem.targets.parameters.iter().map(|p| p.prior).collect();
    let distance = |t: &[f64]| problem.score(t);
    let (gens, stop) = pool.install(|| {
        abc::run(&priors, &settings, &distance, done, |g| {
            written.push(g.clone());
            // posterior.csv first: generations.csv says which generations are finished.
            let r = output::write_atomic(&post_path, fit::posterior_csv(&names, &written).as_bytes())
                .and_then(|_| output::write_atomic(&gen_path, fit::generations_csv(&written).as_bytes()));
            if let Err(e) = r {
                failed.get_or_insert(e);
            }
            bar.set_message(format!("tolerance {:.4} acceptance {:.3}", g.tolerance, g.acceptance()));
            bar.inc(1);
        })
    });
    bar.finish_and_clear();
    if let Some(e) = failed {
        return Err(e.into());
    }
    let Some(last) = gens.last() else {
        return Err(CliError::Usage("no generation finished".into()));
    };
    let calibrated = fit::calibrated_toml(&problem, last).map_err(CliError::Usage)?;
    output::write_atomic(&out.join("calibrated.toml"), calibrated.as_bytes())?;
    let (png, svg) = pool
        .install(|| fit::fit_figure(&problem, last))
        .map_err(output::plot::plot_error("fit.png"))?;
    output::write_atomic(&out.join("fit.png"), &png)?;
    output::write_atomic(&out.join("fit.svg"), &svg)?;
    let (png, svg) = fit::pairs_figure(&problem, last).map_err(output::plot::plot_error("pairs.png"))?;
    output::write_atomic(&out.join("pairs.png"), &png)?;
    output::write_atomic(&out.join("pairs.svg"), &svg)?;
    if !args.quiet {
        let spent: u64 = gens.iter().map(|g| g.simulations).sum();
        println!(
            "{}: {} generations, tolerance {}, {spent} simulations ({:.1} s), stopped by {stop:?}",
            out.display(),
            gens.len(),
            last.tolerance,
            started.elapsed().as_secs_f64()
        );
        for (k, n) in names.iter().enumerate() {
            println!(
                "  {n}: median {:.4}, 5–95% {:.4} – {:.4}",
                fit::weighted_quantile(last, k, 0.5),
                fit::weighted_quantile(last, k, 0.05),
                fit::weighted_quantile(last, k, 0.95)
            );
        }
    }
    Ok(())
}
