//! `sandan calibrate`: reads a scenario and its targets, runs ABC-SMC (or
//! Nelder–Mead) from `crate::calibrate` on a thread pool, and writes the
//! calibration's files, checkpointing each generation so that rerunning the same
//! command resumes.

use super::{CliError, pool, stem};
use crate::calibrate::{abc, fit, nelder_mead, targets};
use crate::output;
use crate::scenario::{self, ScenarioError};
use crate::sweep::store::Shard;
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
    /// Simulate only slots K, K+N, K+2N, … of the next generation and write them to
    /// shard-G-K-of-N.csv in the directory (for a Slurm array; see
    /// scripts/slurm/calibrate.sbatch); `--merge N` then joins the N shards.
    #[arg(long, value_parser = Shard::parse, conflicts_with = "merge")]
    pub shard: Option<Shard>,
    /// Join the N shard files of the next generation into it, exactly as one machine
    /// would have made it, checkpoint it, and write the results if the calibration
    /// has then stopped.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub merge: Option<u32>,
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
    if args.method == Method::NelderMead && (args.shard.is_some() || args.merge.is_some()) {
        return Err(CliError::Usage(
            "--shard and --merge split ABC-SMC's generations; --method nelder-mead runs on one machine".into(),
        ));
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
    // Shards and merges of one calibration run at once, perhaps on several machines:
    // the first to come writes calibration.json, the others leave it be.
    let sharded = args.shard.is_some() || args.merge.is_some();
    if !(sharded && json_path.exists()) {
        output::write_atomic(&json_path, format!("{json:#}\n").as_bytes())?;
    }
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
    let priors: Vec<_> = problem.targets.parameters.iter().map(|p| p.prior).collect();
    let checkpoint = |gens: &[abc::Generation]| {
        // posterior.csv first: generations.csv says which generations are finished.
        output::write_atomic(&post_path, fit::posterior_csv(&names, gens).as_bytes())
            .and_then(|_| output::write_atomic(&gen_path, fit::generations_csv(gens).as_bytes()))
    };
    let distance = |t: &[f64]| problem.score(t);
    let finished = Finished {
        args,
        scenario_name: &s.name,
        targets_file: &file,
        out: &out,
        problem: &problem,
        names: &names,
        pool: &pool,
    };
    if let Some(shard) = args.shard {
        if abc::stop_after(&done, &settings).is_some() {
            return finished.nothing_to_do(done.len());
        }
        let step = abc::Step::new(&priors, done.last(), &settings);
        let path = out.join(fit::shard_file_name(step.index, shard.index, shard.count));
        if !path.exists() {
            let slots = pool.install(|| step.shard(shard.index as usize, shard.count as usize, &distance));
            output::write_atomic(&path, fit::shard_csv(&names, step.index, &slots).as_bytes())?;
        }
        if !args.quiet {
            println!(
                "{}: generation {}, shard {}/{} written; join the shards with --merge {}",
                path.display(),
                step.index,
                shard.index,
                shard.count,
                shard.count
            );
        }
        return Ok(());
    }
    if let Some(count) = args.merge {
        if let Some(stop) = abc::stop_after(&done, &settings) {
            return finished.write(&done, stop, None);
        }
        let step = abc::Step::new(&priors, done.last(), &settings);
        let paths: Vec<PathBuf> = (0..count)
            .map(|k| out.join(fit::shard_file_name(step.index, k, count)))
            .collect();
        let mut slots = Vec::new();
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!(
                    "{}: {e}; every shard of generation {} must be run (--shard K/{count}) before --merge {count}",
                    path.display(),
                    step.index
                ))
            })?;
            slots.extend(
                fit::read_shard(&text, step.index, names.len())
                    .map_err(|m| CliError::Usage(format!("{}: {m}", path.display())))?,
            );
        }
        let g = step
            .assemble_shards(slots)
            .map_err(|m| CliError::Usage(format!("{}: the shards do not join: {m}", out.display())))?;
        if g.particles.len() < settings.particles {
            // As `abc::run`: some slot found nothing, keep the last full generation.
            return finished.write(&done, abc::Stop::Acceptance, None);
        }
        done.push(g);
        checkpoint(&done)?;
        for path in &paths {
            let _ = std::fs::remove_file(path);
        }
        return match abc::stop_after(&done, &settings) {
            Some(stop) => finished.write(&done, stop, None),
            None => {
                if !args.quiet {
                    println!(
                        "{}: generation {} merged from {count} shards; generation {} is next",
                        out.display(),
                        done.len() - 1,
                        done.len()
                    );
                }
                Ok(())
            }
        };
    }
    let started = Instant::now();
    let bar = progress_bar(args.quiet, &done, &settings);
    let counted = |t: &[f64]| {
        let d = distance(t);
        bar.inc(1);
        d
    };
    let mut written: Vec<abc::Generation> = done.clone();
    let mut failed = None;
    let (gens, stop) = pool.install(|| {
        abc::run(&priors, &settings, &counted, done, |g| {
            written.push(g.clone());
            if let Err(e) = checkpoint(&written) {
                failed.get_or_insert(e);
            }
            bar.set_message(progress_message(&written, &settings));
            bar.set_length(estimated_simulations(&written, &settings).max(bar.position()));
        })
    });
    bar.finish_and_clear();
    if let Some(e) = failed {
        return Err(e.into());
    }
    finished.write(&gens, stop, Some(started))
}

/// What the end of a calibration needs to write its results.
struct Finished<'a> {
    args: &'a CalibrateArgs,
    scenario_name: &'a str,
    targets_file: &'a str,
    out: &'a Path,
    problem: &'a fit::Problem,
    names: &'a [String],
    pool: &'a rayon::ThreadPool,
}

impl Finished<'_> {
    fn nothing_to_do(&self, generations: usize) -> Result<(), CliError> {
        if !self.args.quiet {
            println!(
                "{}: the calibration stopped after {generations} generations; nothing to simulate",
                self.out.display()
            );
        }
        Ok(())
    }

    /// The files of a stopped calibration, from its last full generation.
    fn write(&self, gens: &[abc::Generation], stop: abc::Stop, started: Option<Instant>) -> Result<(), CliError> {
        let (out, problem, names) = (self.out, self.problem, self.names);
        let Some(last) = gens.last() else {
            return Err(CliError::Usage("no generation finished".into()));
        };
        let calibrated = fit::calibrated_toml(problem, last).map_err(CliError::Usage)?;
        output::write_atomic(&out.join("calibrated.toml"), calibrated.as_bytes())?;
        let (fit_png, svg) = self
            .pool
            .install(|| fit::fit_figure(problem, last))
            .map_err(output::plot::plot_error("fit.png"))?;
        output::write_atomic(&out.join("fit.png"), &fit_png)?;
        output::write_atomic(&out.join("fit.svg"), &svg)?;
        let (pairs_png, svg) = fit::pairs_figure(problem, last).map_err(output::plot::plot_error("pairs.png"))?;
        output::write_atomic(&out.join("pairs.png"), &pairs_png)?;
        output::write_atomic(&out.join("pairs.svg"), &svg)?;
        let page = fit::report_html(
            problem,
            self.scenario_name,
            self.targets_file,
            gens,
            stop,
            &fit_png,
            &pairs_png,
        );
        output::write_atomic(&out.join("report.html"), &page)?;
        if !self.args.quiet {
            let spent: u64 = gens.iter().map(|g| g.simulations).sum();
            let time = started.map_or(String::new(), |t| format!(" ({:.1} s)", t.elapsed().as_secs_f64()));
            println!(
                "{}: {} generations, tolerance {}, {spent} simulations{time}, stopped by {stop:?}",
                out.display(),
                gens.len(),
                last.tolerance,
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
}

/// The progress line on a terminal (hidden otherwise, so nothing reaches a log):
/// simulations spent against an estimate of the total, with the last generation's
/// tolerance and acceptance and an ETA.
fn progress_bar(quiet: bool, done: &[abc::Generation], s: &abc::Settings) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(estimated_simulations(done, s)), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:20} {pos}/{len} simulations, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(done.iter().map(|g| g.simulations).sum());
    bar.set_message(progress_message(done, s));
    bar.reset_eta();
    bar
}

/// "generation 3/10, tolerance 0.5200, acceptance 0.310": the generation being
/// simulated (of at most so many) and what the last finished one reached.
fn progress_message(done: &[abc::Generation], s: &abc::Settings) -> String {
    let mut m = format!("generation {}/{}", done.len(), s.max_generations);
    if let Some(g) = done.last() {
        m += &format!(", tolerance {:.4}, acceptance {:.3}", g.tolerance, g.acceptance());
    }
    m
}

/// The simulations the calibration will have spent when it stops, as far as can be
/// told: the budget, or fewer if the remaining generations each cost what the last
/// one did (acceptance usually falls, so this errs low and the ETA grows).
fn estimated_simulations(done: &[abc::Generation], s: &abc::Settings) -> u64 {
    let spent: u64 = done.iter().map(|g| g.simulations).sum();
    let left = s.max_generations.saturating_sub(done.len()) as u64;
    let each = done.last().map_or(s.particles as u64, |g| g.simulations);
    s.max_simulations.min(spent + left * each).max(spent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generation(index: usize, simulations: u64) -> abc::Generation {
        abc::Generation {
            index,
            tolerance: 1.5,
            particles: vec![
                abc::Particle {
                    theta: vec![0.0],
                    weight: 1.0,
                    distance: 1.0,
                };
                10
            ],
            simulations,
        }
    }

    #[test]
    fn the_progress_line_estimates_what_is_left() {
        let s = abc::Settings {
            particles: 10,
            max_generations: 4,
            max_simulations: 1000,
            ..abc::Settings::default()
        };
        assert_eq!(estimated_simulations(&[], &s), 40);
        let done = [generation(0, 10), generation(1, 40)];
        // Two generations left at 40 each.
        assert_eq!(estimated_simulations(&done, &s), 50 + 80);
        // The budget caps it; never below what is spent.
        let tight = abc::Settings {
            max_simulations: 60,
            ..s.clone()
        };
        assert_eq!(estimated_simulations(&done, &tight), 60);
        let spent = abc::Settings {
            max_simulations: 20,
            ..s.clone()
        };
        assert_eq!(estimated_simulations(&done, &spent), 50);
        assert_eq!(
            progress_message(&done, &s),
            "generation 2/4, tolerance 1.5000, acceptance 0.250"
        );
    }
}
