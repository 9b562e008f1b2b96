//! A calibration problem: the scenario, its targets, and how a parameter vector is
//! simulated and measured against the record; and the files a calibration writes
//! and resumes from.
//!
//! Every particle is simulated over the same replicates 0..R of the same seed
//! (common random numbers), so particles differ by their parameters, not their luck.
//! The distance is the root mean square of the observations' standardised errors,
//! (replicate mean − observed) / observation sd.

use super::abc::{Generation, Particle};
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
        let text = targets::with_values(&self.scenario_text, &self.targets.parameters, theta)?;
        let mut s = scenario::parse(&text, &self.scenario_file, "scenario").map_err(|e| e.to_string())?;
        s.seed = self.seed;
        let strategy = s
            .strategies
            .iter()
            .position(|t| t.name == self.targets.strategy)
            .ok_or_else(|| format!("no strategy '{}'", self.targets.strategy))?;
        Ok((0..self.replicates)
            .map(|r| {
                let rec = engine::simulate(&s, strategy, r);
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

    /// The distance of `theta` from the record (infinite if the scenario refuses it).
    pub fn distance(&self, theta: &[f64]) -> f64 {
        match self.simulate(theta) {
            Ok(runs) => distance(&self.targets, &runs),
            Err(_) => f64::INFINITY,
        }
    }
}

/// RMS over observations of (replicate mean − observed) / sd.
pub fn distance(targets: &Targets, runs: &[Vec<f64>]) -> f64 {
    let k = targets.observations.len();
    let mut sum = 0.0;
    for (j, o) in targets.observations.iter().enumerate() {
        let mean = runs.iter().map(|r| r[j]).sum::<f64>() / runs.len().max(1) as f64;
        sum += ((mean - o.value) / o.sd).powi(2);
    }
    let d = (sum / k.max(1) as f64).sqrt();
    if d.is_nan() { f64::INFINITY } else { d }
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

/// `calibrated.toml`: the scenario with the posterior medians set, and each fitted
/// key's 5–95% posterior range in a comment.
pub fn calibrated_toml(problem: &Problem, posterior: &Generation) -> Result<String, String> {
    let ps = &problem.targets.parameters;
    let medians: Vec<f64> = (0..ps.len()).map(|k| weighted_quantile(posterior, k, 0.5)).collect();
    let mut head = format!(
        "# Calibrated by `sandan calibrate` from {} (generation {}, tolerance {}).\n# Posterior medians set below; 5–95% ranges:\n",
        problem.scenario_file, posterior.index, posterior.tolerance
    );
    for (k, p) in ps.iter().enumerate() {
        head += &format!(
            "#   {} = {} (5–95%: {} – {})\n",
            p.path,
            medians[k],
            weighted_quantile(posterior, k, 0.05),
            weighted_quantile(posterior, k, 0.95)
        );
    }
    Ok(head + &targets::with_values(&problem.scenario_text, ps, &medians)?)
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
    Ok(head + &targets::with_values(&problem.scenario_text, ps, theta)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::abc::{self, Settings};

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
