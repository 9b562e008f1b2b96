//! `sandan sweep`, `merge` and `sensitivity`: the experiment commands, wired to
//! [`crate::sweep`].

use super::{CliError, LimitArgs, Progress, afford, clean, paths, pool, stem};
use crate::sweep::{self, store::Shard};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The design file (TOML): what to vary, how, and how many replicates.
    #[arg(long)]
    pub design: PathBuf,
    #[arg(
        long,
        help = "Output directory [default: outputs/<scenario>-<design>, plus /shard-K with --shard]."
    )]
    pub out: Option<PathBuf>,
    /// Run only the K-th of N equal parts (0 ≤ K < N), e.g. one Slurm array task.
    #[arg(long, value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub plot: PlotArgs,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// The shard directories (all N of them).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged sweep.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub plot: PlotArgs,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct PlotArgs {
    /// The metric to plot, in the final year.
    #[arg(long, default_value = "incidence")]
    pub metric: String,
    /// The parameter(s) to plot against (give once or twice) [default: the first one or two].
    #[arg(long)]
    pub by: Vec<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SensitivityArgs {
    /// A finished sweep directory (merged, if it was run in shards).
    pub dir: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run_sweep(args: &SweepArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let plan = sweep::Plan::load(&args.scenario, &args.design)?;
    sweep::plot_axes(&plan.design.keys, &args.plot.metric, &args.plot.by)?;
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let dir = args.out.clone().unwrap_or_else(|| {
        let base = Path::new("outputs").join(format!("{}-{}", stem(&args.scenario), stem(&args.design)));
        if args.shard.is_some() {
            base.join(format!("shard-{}", shard.index))
        } else {
            base
        }
    });
    let (threads, pool) = pool(args.threads)?;
    afford(&plan.estimate(threads), &args.limits, args.quiet)
        .map_err(|why| CliError::Usage(format!("{}: the sweep {why}", args.design.display())))?;
    clean(&dir, args.quiet);
    let (start, end) = shard.range(plan.total_runs());
    let progress = Progress::new(end - start, args.quiet, "runs");
    let outcome = pool.install(|| sweep::execute(&plan, &dir, shard, &progress));
    progress.finish();
    let outcome = outcome?;
    let written = if shard == Shard::WHOLE {
        let mut w = sweep::report(&dir, &args.plot.metric, &args.plot.by)?;
        if plan.design.sensitivity.is_some() {
            w.extend(indices(&dir, args.quiet)?);
        }
        w
    } else {
        vec![dir.join(sweep::store::RESULTS)]
    };
    if !args.quiet {
        println!(
            "{} points × {} replicates: {} runs done ({} resumed) in {:.1} s; wrote {}",
            plan.design.points.len(),
            plan.replicates,
            end - start,
            outcome.resumed,
            started.elapsed().as_secs_f64(),
            paths(&written)
        );
        if shard != Shard::WHOLE {
            println!(
                "shard {}/{}: join all shards with `sandan merge DIR... --out DIR`",
                shard.index, shard.count
            );
        }
    }
    Ok(())
}

pub fn merge(args: &MergeArgs) -> Result<(), CliError> {
    clean(&args.out, args.quiet);
    let m = sweep::merge(&args.dirs, &args.out)?;
    let mut written = sweep::report(&args.out, &args.plot.metric, &args.plot.by)?;
    if m.sensitivity.is_some() {
        written.extend(indices(&args.out, args.quiet)?);
    }
    if !args.quiet {
        println!(
            "merged {} shards: {} runs; wrote {}",
            args.dirs.len(),
            m.runs.1,
            paths(&written)
        );
    }
    Ok(())
}

/// Write a sensitivity sweep's `indices.csv` and charts; print the analysis's warnings.
fn indices(dir: &Path, quiet: bool) -> Result<Vec<PathBuf>, CliError> {
    let (written, warnings) = sweep::sensitivity::write(dir)?;
    if !quiet {
        for w in warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(written)
}

/// `sandan sensitivity DIR`: the rankings of any finished sweep, and the indices of a
/// Morris or Sobol one, from its files alone.
pub fn sensitivity(args: &SensitivityArgs) -> Result<(), CliError> {
    let manifest = sweep::store::Manifest::read(&args.dir)?;
    clean(&args.dir, args.quiet);
    let metric = manifest
        .sensitivity
        .as_ref()
        .and_then(|s| s.metrics.first().cloned())
        .unwrap_or_else(|| "incidence".to_string());
    let mut written = if manifest.shard == Shard::WHOLE {
        sweep::store::complete_records(&args.dir, &manifest, &sweep::results_header(&args.dir)?)?;
        sweep::rank_and_score(&args.dir, &metric)?
    } else {
        return Err(CliError::Usage(format!(
            "{} is shard {}/{} of a sweep; join the shards with `sandan merge DIR... --out DIR` first",
            args.dir.display(),
            manifest.shard.index,
            manifest.shard.count
        )));
    };
    if manifest.sensitivity.is_some() {
        written.extend(indices(&args.dir, args.quiet)?);
    } else if !args.quiet {
        eprintln!(
            "{}: a {} sweep has no sensitivity indices (use [morris] or [sobol] in the design); wrote its rankings and feature scores",
            args.dir.display(),
            manifest.method
        );
    }
    if !args.quiet {
        println!("wrote {}", paths(&written));
    }
    Ok(())
}
