//! A calibration problem: the scenario, its targets, and how a parameter vector is
//! simulated and measured against the record; and the files a calibration writes
//! and resumes from.
//!
//! Every particle is simulated over the same replicates 0..R of the same seed
//! (common random numbers), so particles differ by their parameters, not their luck.
//! The distance is a deviance of the synthetic likelihood (Wood 2010, *Nature*
//! 466:1102): the record is one village's realisation plus observation error, so it
//! is compared with the replicates' mean under the replicates' own covariance plus
//! the observation errors (see [`score`]).

use super::abc::{Generation, Particle, Score, Slot, Stop};
use super::targets::Prior;
use super::targets::{self, Targets};
use crate::engine;
use crate::scenario;

/// What is fitted, against what.
#[derive(Debug, Clone)]
pub struct Problem {
    pub scenario_text: String,
    pub scenario_file: String,
    pub targets: Targets,
    /// Replicates per particle.
    pub replicates: u32,
    /// The seed of every particle's replicates.
    pub seed: u64,
}

impl Problem {
    /// The simulated value of each observation in each replicate, or why the
    /// scenario refused these values.
    pub fn simulate(&self, theta: &[f64]) -> Result<Vec<Vec<f64>>, String> {
        Ok(self
            .runs(theta)?
            .into_iter()
            .map(|rec| {
                self.targets
                    .observations
                    .iter()
                    .map(|o| {
                        rec.years
                            .iter()
                            .find(|y| y.year == o.year)
                            .map_or(f64::NAN, |y| y.values()[o.column])
                    })
                    .collect()
            })
            .collect())
    }

    /// Every replicate's run of the targets' strategy with `theta` set.
    pub fn runs(&self, theta: &[f64]) -> Result<Vec<engine::RunRecord>, String> {
        let text = targets::with_values(&self.scenario_text, &self.targets.parameters, theta)?;
        let mut s = scenario::parse(&text, &self.scenario_file, "scenario").map_err(|e| e.to_string())?;
        s.seed = self.seed;
        let strategy = s
            .strategies
            .iter()
            .position(|t| t.name == self.targets.strategy)
            .ok_or_else(|| format!("no strategy '{}'", self.targets.strategy))?;
        Ok((0..self.replicates)
            .map(|r| engine::simulate(&s, strategy, r))
            .collect())
    }

    /// How `theta` fits the record (infinitely far if the scenario refuses it).
    pub fn score(&self, theta: &[f64]) -> Score {
        match self.simulate(theta) {
            Ok(runs) => score(&self.targets, &runs),
            Err(_) => Score::from(f64::INFINITY),
        }
    }
}

/// How the record fits the synthetic likelihood of `runs` (one row per replicate,
/// one column per observation): exp(−distance²/2 + log_weight) is that likelihood
/// over its largest possible value, so that ABC at tolerance 1 samples the posterior.
///
/// The record y is one realisation of the village plus observation error e ~ N(0, D),
/// D the observations' variances. The replicates give the realisation's mean m and
/// covariance S (denominator R − 1); m itself is off by S/R. So y − m ~ N(0, Σ) with
/// Σ = D + (1 + 1/R) S: distance² = (y − m)ᵀ Σ⁻¹ (y − m), and log_weight =
/// −½ log(det Σ / det D) ≤ 0, the normalising constant's part that depends on θ
/// (Wood 2010's synthetic likelihood). A replicate's own spread thus widens the
/// posterior instead of being averaged away, and the full covariance keeps years that
/// move together from counting twice. The Gaussian form is an approximation for
/// shares near 0 or 1 (a count of 0 of 930).
pub fn score(targets: &Targets, runs: &[Vec<f64>]) -> Score {
    let k = targets.observations.len();
    let r = runs.len();
    if k == 0 || r == 0 {
        return Score::from(f64::INFINITY);
    }
    let mean: Vec<f64> = (0..k)
        .map(|j| runs.iter().map(|x| x[j]).sum::<f64>() / r as f64)
        .collect();
    let inflate = if r > 1 {
        (1.0 + 1.0 / r as f64) / (r - 1) as f64
    } else {
        0.0
    };
    let sigma: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    let s: f64 = runs.iter().map(|x| (x[i] - mean[i]) * (x[j] - mean[j])).sum();
                    let obs = if i == j {
                        targets.observations[i].sd.powi(2)
                    } else {
                        0.0
                    };
                    obs + inflate * s
                })
                .collect()
        })
        .collect();
    let l = crate::stats::cholesky(&sigma);
    // Solve L z = y − m; then (y − m)ᵀ Σ⁻¹ (y − m) = |z|².
    let mut z = vec![0.0; k];
    for i in 0..k {
        let s: f64 = (0..i).map(|c| l[i][c] * z[c]).sum();
        z[i] = (targets.observations[i].value - mean[i] - s) / l[i][i];
    }
    let distance = z.iter().map(|v| v * v).sum::<f64>().sqrt();
    let log_weight = -(0..k)
        .map(|i| l[i][i].ln() - targets.observations[i].sd.ln())
        .sum::<f64>()
        .max(0.0);
    if distance.is_nan() || log_weight.is_nan() {
        Score::from(f64::INFINITY)
    } else {
        Score { distance, log_weight }
    }
}

impl Score {
    /// −2 log of the likelihood over its largest possible value: the loss a point
    /// estimate minimises.
    pub fn deviance(&self) -> f64 {
        self.distance * self.distance - 2.0 * self.log_weight
    }
}

/// `posterior.csv`: every generation's particles (the last generation is the
/// posterior). Numbers are written in Rust's shortest round-trip form, so the file
/// is also the checkpoint the calibration resumes from.
pub fn posterior_csv(names: &[String], generations: &[Generation]) -> String {
    let mut out = format!("generation,particle,weight,distance,{}\n", names.join(","));
    for g in generations {
        for (i, p) in g.particles.iter().enumerate() {
            let theta: Vec<String> = p.theta.iter().map(|x| x.to_string()).collect();
            out += &format!("{},{i},{},{},{}\n", g.index, p.weight, p.distance, theta.join(","));
        }
    }
    out
}

/// `generations.csv`: one row per generation (no wall time, so the file is the same
/// on any machine).
pub fn generations_csv(generations: &[Generation]) -> String {
    let mut out = String::from("generation,tolerance,acceptance,ess,simulations,particles\n");
    for g in generations {
        out += &format!(
            "{},{},{},{},{},{}\n",
            g.index,
            g.tolerance,
            g.acceptance(),
            g.ess(),
            g.simulations,
            g.particles.len()
        );
    }
    out
}

/// The generations written by [`posterior_csv`] and [`generations_csv`].
pub fn read_checkpoint(posterior: &str, generations: &str, dims: usize) -> Result<Vec<Generation>, String> {
    let num = |s: &str| s.parse::<f64>().map_err(|_| format!("'{s}' is not a number"));
    let mut out: Vec<Generation> = Vec::new();
    for line in generations.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 6 {
            return Err(format!("generations.csv: bad row '{line}'"));
        }
        out.push(Generation {
            index: f[0].parse().map_err(|_| format!("bad generation '{}'", f[0]))?,
            tolerance: num(f[1])?,
            particles: Vec::new(),
            simulations: f[4].parse().map_err(|_| format!("bad simulations '{}'", f[4]))?,
        });
    }
    for line in posterior.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 4 + dims {
            return Err(format!("posterior.csv: bad row '{line}'"));
        }
        let g: usize = f[0].parse().map_err(|_| format!("bad generation '{}'", f[0]))?;
        // posterior.csv is written before generations.csv: a generation that only the
        // former holds was cut short by a kill and is simulated again.
        let Some(generation) = out.get_mut(g) else {
            continue;
        };
        generation.particles.push(Particle {
            weight: num(f[2])?,
            distance: num(f[3])?,
            theta: f[4..].iter().map(|s| num(s)).collect::<Result<_, _>>()?,
        });
    }
    Ok(out)
}

/// The name of shard `index` of `count` of generation `generation`'s slots, in the
/// calibration's directory.
pub fn shard_file_name(generation: usize, index: u32, count: u32) -> String {
    format!("shard-{generation}-{index}-of-{count}.csv")
}

/// A shard's slots of one generation (`sandan calibrate --shard K/N`): each slot's
/// simulations and, if it accepted one, its particle with the weight not yet
/// normalised. Numbers in shortest round-trip form, so the merge rebuilds exactly
/// the generation one machine would have made.
pub fn shard_csv(names: &[String], generation: usize, slots: &[(usize, Slot)]) -> String {
    let mut out = format!("generation,slot,simulations,weight,distance,{}\n", names.join(","));
    for (slot, (particle, simulations)) in slots {
        out += &format!("{generation},{slot},{simulations},");
        match particle {
            Some(p) => {
                let theta: Vec<String> = p.theta.iter().map(|x| x.to_string()).collect();
                out += &format!("{},{},{}\n", p.weight, p.distance, theta.join(","));
            }
            None => out += &format!("{}\n", ",".repeat(1 + names.len())),
        }
    }
    out
}

/// The slots written by [`shard_csv`], checked to belong to `generation`.
pub fn read_shard(text: &str, generation: usize, dims: usize) -> Result<Vec<(usize, Slot)>, String> {
    let num = |s: &str| s.parse::<f64>().map_err(|_| format!("'{s}' is not a number"));
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 5 + dims {
            return Err(format!("bad row '{line}'"));
        }
        if f[0].parse() != Ok(generation) {
            return Err(format!("a row of generation {}, not {generation}", f[0]));
        }
        let slot = f[1].parse().map_err(|_| format!("bad slot '{}'", f[1]))?;
        let simulations = f[2].parse().map_err(|_| format!("bad simulations '{}'", f[2]))?;
        let particle = if f[3].is_empty() {
            None
        } else {
            Some(Particle {
                weight: num(f[3])?,
                distance: num(f[4])?,
                theta: f[5..].iter().map(|s| num(s)).collect::<Result<_, _>>()?,
            })
        };
        out.push((slot, (particle, simulations)));
    }
    Ok(out)
}

/// The weighted `q`-quantile of parameter `k` over a generation's particles.
pub fn weighted_quantile(g: &Generation, k: usize, q: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = g.particles.iter().map(|p| (p.theta[k], p.weight)).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for &(x, w) in &v {
        acc += w;
        if acc >= q {
            return x;
        }
    }
    v.last().map_or(f64::NAN, |p| p.0)
}

/// `calibrated.toml`: the scenario file with the posterior medians set and each
/// fitted key's 5–95% posterior range in a comment beside it and at the top. Only
/// the fitted keys change: the file's comments and layout are kept
/// ([`targets::edit_values`]); should that fail for the file's shape, the scenario
/// is written out whole, without its comments, and the top says so.
pub fn calibrated_toml(problem: &Problem, posterior: &Generation) -> Result<String, String> {
    let ps = &problem.targets.parameters;
    let q = |k: usize, p: f64| weighted_quantile(posterior, k, p);
    let medians: Vec<f64> = (0..ps.len()).map(|k| q(k, 0.5)).collect();
    let notes: Vec<String> = (0..ps.len())
        .map(|k| {
            format!(
                "calibrated: posterior median, 5–95% {} – {}",
                significant(q(k, 0.05)),
                significant(q(k, 0.95))
            )
        })
        .collect();
    let mut head = format!(
        "# Calibrated by `sandan calibrate` from {} (generation {}, tolerance {}).\n# Posterior medians set below; 5–95% ranges:\n",
        problem.scenario_file, posterior.index, posterior.tolerance
    );
    for (k, p) in ps.iter().enumerate() {
        head += &format!(
            "#   {} = {} (5–95%: {} – {})\n",
            p.path,
            medians[k],
            q(k, 0.05),
            q(k, 0.95)
        );
    }
    Ok(
        match targets::edit_values(&problem.scenario_text, ps, &medians, &notes)? {
            Some(kept) => head + "\n" + &kept,
            None => {
                head + "# (The scenario is written out whole: its comments could not be kept.)\n"
                    + &targets::with_values(&problem.scenario_text, ps, &medians)?
            }
        },
    )
}

/// `x` to four significant digits (whole numbers from 1000 up), for comments.
pub fn significant(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return x.to_string();
    }
    let decimals = (3 - x.abs().log10().floor() as i64).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

/// `fit.png` and `fit.svg`: for each observed metric, the posterior-predictive mean
/// and 5–95% band by year (40 particles drawn by weight from `posterior`, each over
/// every replicate), beside the observations with their ±1.645 sd (90%) range.
pub fn fit_figure(problem: &Problem, posterior: &Generation) -> Result<(Vec<u8>, Vec<u8>), String> {
    use crate::metrics::{Summary, YearMetrics};
    use crate::output::plot::{self, Figure, LegendEntry, Panel, Series};
    let draws = 40;
    let mut picked = Vec::new();
    let mut acc = 0.0;
    let mut next = 0;
    for p in &posterior.particles {
        acc += p.weight;
        while next < draws && (next as f64 + 0.5) / draws as f64 <= acc {
            picked.push(p.theta.clone());
            next += 1;
        }
    }
    let runs: Vec<engine::RunRecord> = picked.iter().filter_map(|t| problem.runs(t).ok()).flatten().collect();
    let mut metrics: Vec<usize> = problem.targets.observations.iter().map(|o| o.column).collect();
    metrics.dedup();
    metrics.sort_unstable();
    metrics.dedup();
    let panels = metrics
        .iter()
        .map(|&m| {
            let years: Vec<i32> = runs
                .first()
                .map(|r| r.years.iter().map(|y| y.year).collect())
                .unwrap_or_default();
            let predicted = years
                .iter()
                .enumerate()
                .map(|(i, &y)| {
                    (
                        y,
                        Summary::of(&runs.iter().map(|r| r.years[i].values()[m]).collect::<Vec<_>>()),
                    )
                })
                .collect();
            let observed = problem
                .targets
                .observations
                .iter()
                .filter(|o| o.column == m)
                .map(|o| {
                    let half = 1.645 * o.sd;
                    (
                        o.year,
                        Summary {
                            mean: o.value,
                            p05: o.value - half,
                            p50: o.value,
                            p95: o.value + half,
                        },
                    )
                })
                .collect();
            Panel {
                legend: Vec::new(),
                x_scale: None,
                title: YearMetrics::NAMES[m].to_string(),
                y_label: YearMetrics::NAMES[m].to_string(),
                series: vec![
                    Series {
                        strategy: 0,
                        points: predicted,
                        dashed: false,
                    },
                    Series {
                        strategy: 1,
                        points: observed,
                        dashed: false,
                    },
                ],
            }
        })
        .collect();
    let fig = Figure {
        stem: "fit",
        caption: "Posterior-predictive bands of each target metric, with the observations.".into(),
        title: format!("Calibration fit: strategy '{}'", problem.targets.strategy),
        subtitle: format!(
            "generation {}, tolerance {:.3}; {} particles × {} replicates",
            posterior.index,
            posterior.tolerance,
            picked.len(),
            problem.replicates
        ),
        x_label: "year".into(),
        panels,
        legend_title: "Lines".into(),
        legend: vec![
            LegendEntry {
                strategy: 0,
                name: "simulated (posterior)".into(),
                value: "mean, 5–95%".into(),
            },
            LegendEntry {
                strategy: 1,
                name: "observed".into(),
                value: "value, ±1.645 sd".into(),
            },
        ],
        notes: vec![
            "Bands: 5–95% of the posterior-predictive runs; observed: 90% range of the observation error.".into(),
        ],
    };
    plot::ensure_font();
    Ok((
        plot::figure_png(&fig, "sans-serif")?,
        plot::figure_svg(&fig, "sans-serif")?,
    ))
}

/// `pairs.png` and `pairs.svg`: the posterior's particles for every pair of fitted
/// parameters (darker by weight) with each one's weighted histogram, labelled by path.
pub fn pairs_figure(problem: &Problem, posterior: &Generation) -> Result<(Vec<u8>, Vec<u8>), String> {
    use crate::output::plot;
    let pairs = plot::Pairs {
        title: format!("Calibration posterior: strategy '{}'", problem.targets.strategy),
        subtitle: format!(
            "generation {}, tolerance {:.3}; {} particles, effective sample size {:.0}",
            posterior.index,
            posterior.tolerance,
            posterior.particles.len(),
            posterior.ess()
        ),
        names: problem.targets.parameters.iter().map(|p| p.path.clone()).collect(),
        points: posterior
            .particles
            .iter()
            .map(|p| (p.theta.clone(), p.weight))
            .collect(),
    };
    plot::ensure_font();
    Ok((
        plot::figure_png(&pairs, "sans-serif")?,
        plot::figure_svg(&pairs, "sans-serif")?,
    ))
}

/// `report.html` in the calibration's directory ([`crate::output::report::calibration_html`]).
pub fn report_html(
    problem: &Problem,
    scenario_name: &str,
    targets_file: &str,
    generations: &[Generation],
    stop: Stop,
    fit_png: &[u8],
    pairs_png: &[u8],
) -> Vec<u8> {
    use crate::output::report::{CalibrationReport, calibration_html};
    let Some(last) = generations.last() else {
        return Vec::new();
    };
    let q = |k: usize, p: f64| weighted_quantile(last, k, p);
    calibration_html(&CalibrationReport {
        scenario_name,
        scenario_file: &problem.scenario_file,
        targets_file,
        strategy: &problem.targets.strategy,
        stopped_by: match stop {
            Stop::Generations => "the generation limit (--max-generations)",
            Stop::Simulations => "the simulation budget (--max-simulations)",
            Stop::Acceptance => "too low an acceptance (--min-acceptance)",
            Stop::Tolerance => "reaching the target tolerance (--tolerance)",
        },
        replicates: problem.replicates,
        observations: problem
            .targets
            .observations
            .iter()
            .map(|o| (o.metric.clone(), o.year, o.value, o.sd))
            .collect(),
        generations: generations
            .iter()
            .map(|g| (g.index, g.tolerance, g.acceptance(), g.ess(), g.simulations))
            .collect(),
        parameters: problem
            .targets
            .parameters
            .iter()
            .enumerate()
            .map(|(k, p)| (p.path.clone(), prior_words(&p.prior), q(k, 0.05), q(k, 0.5), q(k, 0.95)))
            .collect(),
        fit_png,
        pairs_png,
    })
}

/// A prior in words: "uniform 0.02 – 0.6", "normal mean 1, sd 0.5 on −2 – 4".
pub fn prior_words(p: &Prior) -> String {
    match *p {
        Prior::Uniform { low, high } => format!("uniform {} – {}", significant(low), significant(high)),
        Prior::LogUniform { low, high } => format!("log-uniform {} – {}", significant(low), significant(high)),
        Prior::Normal { mean, sd, low, high } => {
            let mut w = format!("normal mean {}, sd {}", significant(mean), significant(sd));
            if low.is_finite() || high.is_finite() {
                w += &format!(" on {} – {}", significant(low), significant(high));
            }
            w
        }
        Prior::Beta { alpha, beta } => format!("beta α {}, β {}", significant(alpha), significant(beta)),
    }
}

/// `calibrated.toml` for a point estimate (`--method nelder-mead`).
pub fn point_toml(problem: &Problem, theta: &[f64], loss: f64) -> Result<String, String> {
    let ps = &problem.targets.parameters;
    let mut head = format!(
        "# Calibrated by `sandan calibrate --method nelder-mead` from {} (loss {loss}).\n# A point estimate, no ranges:\n",
        problem.scenario_file
    );
    for (p, v) in ps.iter().zip(theta) {
        head += &format!("#   {} = {v}\n", p.path);
    }
    let notes = vec!["calibrated: Nelder–Mead point estimate".to_string(); ps.len()];
    Ok(match targets::edit_values(&problem.scenario_text, ps, theta, &notes)? {
        Some(kept) => head + "\n" + &kept,
        None => {
            head + "# (The scenario is written out whole: its comments could not be kept.)\n"
                + &targets::with_values(&problem.scenario_text, ps, theta)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::abc::{self, Settings};

    fn observed(values: &[(f64, f64)]) -> Targets {
        Targets {
            strategy: "s".into(),
            observations: values
                .iter()
                .map(|&(value, sd)| targets::Observation {
                    metric: "incidence".into(),
                    column: 0,
                    year: 2016,
                    value,
                    sd,
                })
                .collect(),
            parameters: Vec::new(),
        }
    }

    #[test]
    fn replicates_that_agree_with_the_record_are_at_distance_zero() {
        let t = observed(&[(0.2, 0.01), (0.1, 0.02)]);
        assert_eq!(score(&t, &[vec![0.2, 0.1], vec![0.2, 0.1]]).deviance(), 0.0);
        assert_eq!(score(&t, &[vec![0.2, 0.1]]).deviance(), 0.0);
        assert_eq!(score(&t, &[vec![f64::NAN, 0.1]]).distance, f64::INFINITY);
    }

    #[test]
    fn the_replicates_spread_widens_the_error_and_costs_its_log_determinant() {
        // One observation 0.30 ± 0.01; replicates 0.20 and 0.24: mean 0.22, sample
        // variance 0.0008, inflated by (1 + 1/2): Σ = 0.0001 + 0.0012 = 0.0013.
        let t = observed(&[(0.30, 0.01)]);
        let sigma: f64 = 0.0001 + 1.5 * 0.0008;
        let got = score(&t, &[vec![0.20], vec![0.24]]);
        assert!((got.distance - 0.08 / sigma.sqrt()).abs() < 1e-12, "{got:?}");
        assert!((got.log_weight + 0.5 * (sigma / 0.0001).ln()).abs() < 1e-12, "{got:?}");
    }

    #[test]
    fn years_that_move_together_count_once() {
        // Two observations that every replicate moves together, with errors far
        // smaller than the replicates' spread: the pair's miss counts once (its
        // deviance exceeds one year's only by the log-determinant's ln 2), where
        // independent years would count it twice.
        let runs: Vec<Vec<f64>> = (0..10).map(|r| vec![r as f64 * 0.01, r as f64 * 0.01]).collect();
        let first: Vec<Vec<f64>> = runs.iter().map(|r| vec![r[0]]).collect();
        let one = score(&observed(&[(0.2, 1e-4)]), &first).deviance();
        let two = score(&observed(&[(0.2, 1e-4), (0.2, 1e-4)]), &runs).deviance();
        assert!(
            (two - one - 2f64.ln()).abs() < 1e-3,
            "one year {one}, two identical years {two}"
        );
    }

    #[test]
    fn ranges_in_comments_have_four_significant_digits() {
        let shown: Vec<String> = [0.041_981, 0.179_007, 2.5, 1234.56, 98_765.4, -0.000_123_456, 0.0]
            .iter()
            .map(|&x| significant(x))
            .collect();
        assert_eq!(
            shown,
            ["0.04198", "0.1790", "2.500", "1235", "98765", "-0.0001235", "0"]
        );
    }

    #[test]
    fn a_shard_file_reads_back_bit_for_bit() {
        let priors = [
            targets::Prior::Uniform { low: 0.0, high: 1.0 },
            targets::Prior::Beta { alpha: 2.0, beta: 2.0 },
        ];
        let s = Settings {
            particles: 20,
            min_acceptance: 0.5,
            ..Settings::default()
        };
        // A record only θ₀ within about 0.005 of 0.3 fits, around a spread-out
        // generation: some slots give up within their 100 attempts, some do not.
        let g0 = Generation {
            index: 0,
            tolerance: f64::INFINITY,
            particles: (0..20)
                .map(|i| Particle {
                    theta: vec![i as f64 / 20.0, 0.5],
                    weight: 1.0 / 20.0,
                    distance: if i < 12 { 0.002 } else { 1.0 },
                })
                .collect(),
            simulations: 20,
        };
        let d = |t: &[f64]| (t[0] - 0.3).abs() * 300.0;
        let step = abc::Step::new(&priors, Some(&g0), &s);
        let slots = step.shard(1, 3, &d);
        assert!(slots.iter().any(|(_, (p, _))| p.is_none()) && slots.iter().any(|(_, (p, _))| p.is_some()));
        let names = vec!["a".to_string(), "b".to_string()];
        let text = shard_csv(&names, 1, &slots);
        assert_eq!(read_shard(&text, 1, 2).unwrap(), slots);
        assert!(read_shard(&text, 2, 2).unwrap_err().contains("not 2"));
        assert!(read_shard(&text, 1, 3).is_err());
    }

    #[test]
    fn the_checkpoint_reads_back_bit_for_bit() {
        let priors = [
            targets::Prior::Uniform { low: 0.0, high: 1.0 },
            targets::Prior::Beta { alpha: 2.0, beta: 2.0 },
        ];
        let s = Settings {
            particles: 30,
            max_generations: 3,
            ..Settings::default()
        };
        let d = |t: &[f64]| (t[0] - t[1]).abs() + (t[0] - 0.3).abs();
        let gens = abc::run(&priors, &s, &d, Vec::new(), |_| {}).0;
        let names = vec!["a".to_string(), "b".to_string()];
        let back = read_checkpoint(&posterior_csv(&names, &gens), &generations_csv(&gens), 2).unwrap();
        assert_eq!(back, gens);
    }
}
