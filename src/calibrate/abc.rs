//! ABC-SMC: sequential Monte Carlo approximate Bayesian computation.
//!
//! The population Monte Carlo sampler of Beaumont, Cornuet, Marin & Robert (2009,
//! *Biometrika* 96:983) — also Toni et al. (2009, *J. R. Soc. Interface* 6:187) —
//! with the tolerance of each generation set to a quantile of the previous
//! generation's distances (Del Moral, Doucet & Jasra 2012; Drovandi & Pettitt 2011)
//! and a Gaussian perturbation kernel with twice the weighted covariance of the
//! previous generation (Beaumont et al. 2009; Filippi et al. 2013).
//!
//! The sampler knows nothing of villages: it takes priors and a distance function
//! from a parameter vector to a number, so that it is tested on analytic models with
//! known posteriors. Randomness flows from (seed, generation, slot, attempt): slot `i`
//! of a generation draws its proposals from its own generator, whichever thread runs
//! it, so a generation is the same for any thread count.

use super::targets::Prior;
use crate::rng::{CellRng, Stream};
use rand_distr::Distribution;
use rayon::prelude::*;

/// When to stop, and how many particles to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub seed: u64,
    /// Particles per generation.
    pub particles: usize,
    /// The tolerance of generation t is this quantile of generation t−1's distances.
    pub quantile: f64,
    pub max_generations: usize,
    /// Stop once this many simulations (distance evaluations) have been spent.
    pub max_simulations: u64,
    /// Stop once a generation accepts fewer than this share of its proposals.
    pub min_acceptance: f64,
    /// Stop once the tolerance is at or below this.
    pub target_tolerance: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: 1,
            particles: 200,
            quantile: 0.5,
            max_generations: 10,
            max_simulations: 20_000,
            min_acceptance: 0.02,
            target_tolerance: 0.0,
        }
    }
}

/// One accepted parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Particle {
    pub theta: Vec<f64>,
    /// Normalised importance weight.
    pub weight: f64,
    pub distance: f64,
}

/// One generation of the sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub index: usize,
    /// The tolerance its particles met (infinite for generation 0, drawn from the prior).
    pub tolerance: f64,
    pub particles: Vec<Particle>,
    /// Distance evaluations spent on this generation.
    pub simulations: u64,
}

impl Generation {
    /// Accepted particles over proposals simulated.
    pub fn acceptance(&self) -> f64 {
        self.particles.len() as f64 / self.simulations.max(1) as f64
    }

    /// Effective sample size, 1 / Σ w².
    pub fn ess(&self) -> f64 {
        1.0 / self.particles.iter().map(|p| p.weight * p.weight).sum::<f64>()
    }
}

/// Why the sampler stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Generations,
    Simulations,
    Acceptance,
    Tolerance,
}

/// Whether to stop after `done`, and why.
pub fn stop_after(done: &[Generation], s: &Settings) -> Option<Stop> {
    let last = done.last()?;
    let spent: u64 = done.iter().map(|g| g.simulations).sum();
    if last.tolerance <= s.target_tolerance {
        Some(Stop::Tolerance)
    } else if done.len() >= s.max_generations {
        Some(Stop::Generations)
    } else if spent >= s.max_simulations {
        Some(Stop::Simulations)
    } else if last.index > 0 && last.acceptance() < s.min_acceptance {
        Some(Stop::Acceptance)
    } else {
        None
    }
}

/// The calibration's generator for one slot of one generation: the user's seed mixed
/// with a constant of its own, so its draws share nothing with the model's streams.
fn slot_rng(seed: u64, generation: usize, slot: usize) -> CellRng {
    CellRng::new(
        seed ^ 0xab5c_0ca1_1b2a_7e00,
        generation as u32,
        Stream::Projects,
        slot as u64,
        -1,
    )
}

fn draw_prior(p: &Prior, rng: &mut CellRng) -> f64 {
    match *p {
        Prior::Uniform { low, high } => low + (high - low) * rng.uniform(),
        Prior::LogUniform { low, high } => (low.ln() + (high.ln() - low.ln()) * rng.uniform()).exp(),
        Prior::Normal { mean, sd, low, high } => {
            for _ in 0..10_000 {
                let x = mean + sd * rng.normal();
                if (low..=high).contains(&x) {
                    return x;
                }
            }
            mean.clamp(low, high)
        }
        Prior::Beta { alpha, beta } => match rand_distr::Beta::new(alpha, beta) {
            Ok(b) => b.sample(rng),
            Err(_) => alpha / (alpha + beta),
        },
    }
}

fn prior_density(priors: &[Prior], theta: &[f64]) -> f64 {
    priors.iter().zip(theta).map(|(p, &x)| p.density(x)).product()
}

/// Lower-triangular Cholesky factor of a symmetric positive-definite matrix.
fn cholesky(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][i] = (a[i][i] - s).max(1e-300).sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    l
}

/// The perturbation kernel: N(0, 2 Σ_w), Σ_w the weighted covariance of `g`.
struct Kernel {
    chol: Vec<Vec<f64>>,
}

impl Kernel {
    fn of(g: &Generation, priors: &[Prior]) -> Kernel {
        let d = priors.len();
        let mean: Vec<f64> = (0..d)
            .map(|k| g.particles.iter().map(|p| p.weight * p.theta[k]).sum())
            .collect();
        let mut cov = vec![vec![0.0; d]; d];
        for p in &g.particles {
            for i in 0..d {
                for j in 0..d {
                    cov[i][j] += 2.0 * p.weight * (p.theta[i] - mean[i]) * (p.theta[j] - mean[j]);
                }
            }
        }
        // A generation collapsed onto one point would give a singular kernel: keep a
        // floor of a millionth of the prior's scale.
        for (i, p) in priors.iter().enumerate() {
            let (low, high) = p.bounds();
            let scale = if (high - low).is_finite() { high - low } else { 1.0 };
            cov[i][i] += (1e-6 * scale).powi(2);
        }
        Kernel { chol: cholesky(&cov) }
    }

    fn perturb(&self, theta: &[f64], rng: &mut CellRng) -> Vec<f64> {
        let z: Vec<f64> = theta.iter().map(|_| rng.normal()).collect();
        theta
            .iter()
            .enumerate()
            .map(|(i, &t)| t + (0..=i).map(|k| self.chol[i][k] * z[k]).sum::<f64>())
            .collect()
    }

    /// The kernel's density at `x` around `centre`, up to a constant.
    fn density(&self, centre: &[f64], x: &[f64]) -> f64 {
        // Solve L y = x − centre; the density is exp(−|y|²/2).
        let n = x.len();
        let mut y = vec![0.0; n];
        for i in 0..n {
            let s: f64 = (0..i).map(|k| self.chol[i][k] * y[k]).sum();
            y[i] = (x[i] - centre[i] - s) / self.chol[i][i];
        }
        (-0.5 * y.iter().map(|v| v * v).sum::<f64>()).exp()
    }
}

/// Pick an index with probability proportional to its weight.
fn pick(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    weights.len() - 1
}

/// The distance below or at which a proportion `q` of `g`'s particles lie.
fn quantile_distance(g: &Generation, q: f64) -> f64 {
    let mut d: Vec<f64> = g.particles.iter().map(|p| p.distance).collect();
    d.sort_by(f64::total_cmp);
    crate::stats::quantile_sorted(&d, q)
}

/// What every slot of one generation shares, fixed by the previous generation
/// (none: generation 0, drawn from the priors): its tolerance, perturbation kernel
/// and ancestor weights. The slots are then independent of each other, so they may
/// run on any threads, processes or machines (`sandan calibrate --shard`), and
/// [`Step::assemble`] joins their results into the same generation.
pub struct Step<'a> {
    priors: &'a [Prior],
    prev: Option<&'a Generation>,
    settings: &'a Settings,
    /// The index of the generation this step makes.
    pub index: usize,
    pub tolerance: f64,
    kernel: Option<Kernel>,
    weights: Vec<f64>,
}

/// One slot's outcome: the particle it accepted (none if it gave up) and the
/// simulations it spent. Its weight is not yet normalised.
pub type Slot = (Option<Particle>, u64);

impl<'a> Step<'a> {
    pub fn new(priors: &'a [Prior], prev: Option<&'a Generation>, settings: &'a Settings) -> Step<'a> {
        let (index, tolerance, kernel, weights) = match prev {
            None => (0, f64::INFINITY, None, Vec::new()),
            Some(prev) => (
                prev.index + 1,
                quantile_distance(prev, settings.quantile),
                Some(Kernel::of(prev, priors)),
                prev.particles.iter().map(|p| p.weight).collect(),
            ),
        };
        Step {
            priors,
            prev,
            settings,
            index,
            tolerance,
            kernel,
            weights,
        }
    }

    /// Slot `slot` of the generation: draw (from the priors, or by perturbing an
    /// ancestor) until a proposal is within the tolerance or the attempts run out.
    /// `distance` simulates a parameter vector and measures it against the record.
    pub fn slot<F>(&self, slot: usize, distance: &F) -> Slot
    where
        F: Fn(&[f64]) -> f64 + Sync,
    {
        let (priors, s) = (self.priors, self.settings);
        let mut rng = slot_rng(s.seed, self.index, slot);
        let (Some(prev), Some(kernel)) = (self.prev, &self.kernel) else {
            let theta: Vec<f64> = priors.iter().map(|p| draw_prior(p, &mut rng)).collect();
            let distance = distance(&theta);
            let particle = Particle {
                theta,
                weight: 1.0 / s.particles as f64,
                distance,
            };
            return (Some(particle), 1);
        };
        let tolerance = self.tolerance;
        // A slot gives up after this many proposals: the generation then reports the
        // acceptance it reached, below the minimum, and the sampler stops.
        let max_attempts = ((10.0 / s.min_acceptance.max(1e-6)).ceil() as u64).max(100);
        let mut simulated = 0;
        for _ in 0..max_attempts * 100 {
            let ancestor = &prev.particles[pick(&self.weights, rng.uniform())];
            let theta = kernel.perturb(&ancestor.theta, &mut rng);
            let prior = prior_density(priors, &theta);
            if prior <= 0.0 {
                continue;
            }
            simulated += 1;
            let d = distance(&theta);
            if d <= tolerance {
                let mix: f64 = prev
                    .particles
                    .iter()
                    .map(|p| p.weight * kernel.density(&p.theta, &theta))
                    .sum();
                let weight = prior / mix;
                return (
                    Some(Particle {
                        theta,
                        weight,
                        distance: d,
                    }),
                    simulated,
                );
            }
            if simulated >= max_attempts {
                break;
            }
        }
        (None, simulated)
    }

    /// The generation made of every slot's outcome, in slot order.
    pub fn assemble(&self, slots: Vec<Slot>) -> Generation {
        let simulations = slots.iter().map(|(_, n)| n).sum();
        let mut particles: Vec<Particle> = slots.into_iter().filter_map(|(p, _)| p).collect();
        // Generation 0's weights are already 1/N: dividing them by their sum would
        // change their last bits.
        if self.prev.is_some() {
            let total: f64 = particles.iter().map(|p| p.weight).sum();
            for p in &mut particles {
                p.weight /= total;
            }
        }
        Generation {
            index: self.index,
            tolerance: self.tolerance,
            particles,
            simulations,
        }
    }
}

impl Step<'_> {
    /// Slots `index`, `index + count`, … of the generation (shard `index` of `count`).
    pub fn shard<F>(&self, index: usize, count: usize, distance: &F) -> Vec<(usize, Slot)>
    where
        F: Fn(&[f64]) -> f64 + Sync,
    {
        let slots: Vec<usize> = (index..self.settings.particles).step_by(count.max(1)).collect();
        slots
            .into_par_iter()
            .map(|slot| (slot, self.slot(slot, distance)))
            .collect()
    }

    /// The generation made of slots gathered from shards in any order, or which
    /// slot is missing or doubled.
    pub fn assemble_shards(&self, mut slots: Vec<(usize, Slot)>) -> Result<Generation, String> {
        slots.sort_by_key(|(slot, _)| *slot);
        for (want, (slot, _)) in slots.iter().enumerate() {
            if *slot != want {
                return Err(format!(
                    "slot {want} of generation {} is missing or doubled",
                    self.index
                ));
            }
        }
        if slots.len() != self.settings.particles {
            return Err(format!(
                "{} slots of generation {}, not {}",
                slots.len(),
                self.index,
                self.settings.particles
            ));
        }
        Ok(self.assemble(slots.into_iter().map(|(_, s)| s).collect()))
    }
}

/// Generation `index` after `prev` (none: draw generation 0 from the priors), every
/// slot on this machine's thread pool.
pub fn next_generation<F>(priors: &[Prior], prev: Option<&Generation>, s: &Settings, distance: &F) -> Generation
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    let step = Step::new(priors, prev, s);
    let slots: Vec<Slot> = (0..s.particles)
        .into_par_iter()
        .map(|slot| step.slot(slot, distance))
        .collect();
    step.assemble(slots)
}

/// Run generations from `done` (empty: from the priors) until a stopping rule holds;
/// `observe` sees each new generation (to checkpoint it) as it finishes.
pub fn run<F>(
    priors: &[Prior],
    s: &Settings,
    distance: &F,
    mut done: Vec<Generation>,
    mut observe: impl FnMut(&Generation),
) -> (Vec<Generation>, Stop)
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    loop {
        if let Some(stop) = stop_after(&done, s) {
            return (done, stop);
        }
        let g = next_generation(priors, done.last(), s, distance);
        if g.particles.len() < s.particles {
            // Some slot found nothing within its attempts: keep the last full generation.
            return (done, Stop::Acceptance);
        }
        observe(&g);
        done.push(g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y ~ N(θ, 1) observed as y = 1, prior θ ~ U(−5, 5): the posterior is close to
    /// N(1, 1) (for an exact ABC distance |θ + noise − 1| with noise fixed per call
    /// by θ's bits, which is deterministic in θ).
    fn gaussian_distance(theta: &[f64]) -> f64 {
        let mut rng = CellRng::new(theta[0].to_bits(), 0, Stream::Health, 0, 0);
        (theta[0] + rng.normal() - 1.0).abs()
    }

    fn settings() -> Settings {
        Settings {
            seed: 7,
            particles: 400,
            max_generations: 6,
            max_simulations: 1_000_000,
            ..Settings::default()
        }
    }

    fn posterior_mean_sd(g: &Generation) -> (f64, f64) {
        let m: f64 = g.particles.iter().map(|p| p.weight * p.theta[0]).sum();
        let v: f64 = g.particles.iter().map(|p| p.weight * (p.theta[0] - m).powi(2)).sum();
        (m, v.sqrt())
    }

    #[test]
    fn a_gaussian_mean_is_recovered_with_its_spread() {
        let priors = [Prior::Uniform { low: -5.0, high: 5.0 }];
        let (gens, stop) = run(&priors, &settings(), &gaussian_distance, Vec::new(), |_| {});
        assert_eq!(stop, Stop::Generations);
        let last = gens.last().unwrap();
        let (m, sd) = posterior_mean_sd(last);
        // The exact posterior is N(1, 1) truncated far away; ABC at a small but
        // positive tolerance is slightly wider. 400 particles: se of the mean ≈ 0.1.
        assert!((m - 1.0).abs() < 0.3, "mean {m}");
        assert!((0.75..1.35).contains(&sd), "sd {sd}");
        assert!(gens.windows(2).all(|w| w[1].tolerance <= w[0].tolerance));
        assert!((last.particles.iter().map(|p| p.weight).sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(last.ess() > 50.0 && last.ess() <= 400.0 + 1e-9);
    }

    #[test]
    fn any_thread_count_gives_the_same_generations() {
        let priors = [
            Prior::Uniform { low: -5.0, high: 5.0 },
            Prior::Beta { alpha: 2.0, beta: 3.0 },
        ];
        let s = Settings {
            particles: 50,
            max_generations: 3,
            ..settings()
        };
        let d = |t: &[f64]| gaussian_distance(t) + (t[1] - 0.3).abs();
        let with = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| run(&priors, &s, &d, Vec::new(), |_| {}).0)
        };
        assert_eq!(with(1), with(3));
    }

    #[test]
    fn shards_join_into_the_generations_one_machine_makes() {
        let priors = [
            Prior::Uniform { low: -5.0, high: 5.0 },
            Prior::LogUniform { low: 0.1, high: 10.0 },
        ];
        let s = Settings {
            particles: 30,
            max_generations: 3,
            ..settings()
        };
        let d = |t: &[f64]| gaussian_distance(t) + t[1].ln().abs();
        let whole = run(&priors, &s, &d, Vec::new(), |_| {}).0;
        assert_eq!(whole.len(), 3);
        for count in [1, 4, 30, 31] {
            let mut done: Vec<Generation> = Vec::new();
            for _ in 0..3 {
                let step = Step::new(&priors, done.last(), &s);
                // Shards in reverse order, as they may finish.
                let slots = (0..count).rev().flat_map(|k| step.shard(k, count, &d)).collect();
                done.push(step.assemble_shards(slots).unwrap());
            }
            assert_eq!(done, whole, "{count} shards");
        }
        let step = Step::new(&priors, Some(&whole[0]), &s);
        let mut slots = step.shard(0, 2, &d);
        assert!(
            step.assemble_shards(slots.clone())
                .unwrap_err()
                .contains("slot 1 of generation 1")
        );
        slots.extend(step.shard(1, 2, &d));
        slots.push(slots[3].clone());
        assert!(step.assemble_shards(slots).is_err());
    }

    #[test]
    fn resuming_from_a_finished_generation_continues_the_same_run() {
        let priors = [Prior::Normal {
            mean: 0.0,
            sd: 2.0,
            low: -4.0,
            high: 4.0,
        }];
        let s = Settings {
            particles: 60,
            max_generations: 4,
            ..settings()
        };
        let whole = run(&priors, &s, &gaussian_distance, Vec::new(), |_| {}).0;
        let resumed = run(&priors, &s, &gaussian_distance, whole[..2].to_vec(), |_| {}).0;
        assert_eq!(whole, resumed);
    }

    #[test]
    fn the_budget_and_tolerance_stop_the_sampler() {
        let priors = [Prior::Uniform { low: -5.0, high: 5.0 }];
        let s = Settings {
            particles: 40,
            max_simulations: 100,
            max_generations: 50,
            ..settings()
        };
        let (gens, stop) = run(&priors, &s, &gaussian_distance, Vec::new(), |_| {});
        assert_eq!(stop, Stop::Simulations);
        assert!(gens.iter().map(|g| g.simulations).sum::<u64>() >= 100);
        let s = Settings {
            target_tolerance: 0.5,
            max_simulations: 1_000_000,
            ..s
        };
        let (gens, stop) = run(&priors, &s, &gaussian_distance, Vec::new(), |_| {});
        assert_eq!(stop, Stop::Tolerance);
        assert!(gens.last().unwrap().tolerance <= 0.5);
    }

    /// n observations of y ~ N(θ, 1), summarised by their mean; the simulated mean's
    /// noise is drawn from θ's bits so that the distance is a function of θ.
    fn normal_mean_case(truth: f64, n: usize, case: u64) -> impl Fn(&[f64]) -> f64 + Sync {
        let mut rng = CellRng::new(case, 1, Stream::Health, 0, 0);
        let observed = truth + rng.normal() / (n as f64).sqrt();
        move |t: &[f64]| {
            let mut r = CellRng::new(t[0].to_bits() ^ case, 2, Stream::Health, 0, 0);
            let simulated = t[0] + r.normal() / (n as f64).sqrt();
            (simulated - observed).abs() * (n as f64).sqrt()
        }
    }

    fn interval(g: &Generation, k: usize) -> (f64, f64) {
        let q = |p| crate::calibrate::fit::weighted_quantile(g, k, p);
        (q(0.05), q(0.95))
    }

    /// Coverage over independent synthetic cases (truth, observations and sampler
    /// seed all drawn per case). If the 90% intervals truly cover 90%, the count
    /// covered out of 50 is Binomial(50, 0.9): it falls below 40 (80%) with
    /// probability 0.9%, so a failure here points at the sampler, not at bad luck
    /// (with 20 cases, below 16 would happen 4.3% of the time). ABC at a positive
    /// tolerance is slightly conservative, which only makes this rarer.
    #[test]
    fn ninety_percent_intervals_cover_the_truth_and_narrow_with_more_data() {
        let priors = [Prior::Uniform { low: -3.0, high: 3.0 }];
        let s = Settings {
            particles: 200,
            max_generations: 5,
            ..settings()
        };
        let observations = [1, 4, 16];
        let cases = 50;
        let (mut covered, mut widths) = (0, [0.0; 3]);
        for case in 0..cases {
            let truth = -2.0 + 4.0 * CellRng::new(case, 0, Stream::Health, 0, 0).uniform();
            let s = Settings {
                seed: case + 1,
                ..s.clone()
            };
            for (k, &n) in observations.iter().enumerate() {
                let d = normal_mean_case(truth, n, case);
                let (gens, _) = run(&priors, &s, &d, Vec::new(), |_| {});
                let (lo, hi) = interval(gens.last().unwrap(), 0);
                widths[k] += hi - lo;
                // The distance is in posterior sds whatever n, so coverage is the
                // same at every n: count it once per case, at the most data.
                if n == 16 {
                    covered += usize::from((lo..=hi).contains(&truth));
                }
            }
        }
        eprintln!("covered {covered} of {cases}; summed 90% widths {widths:?} for n = {observations:?}");
        assert!(
            covered >= 40,
            "the 90% interval covered the truth in {covered} of {cases} cases"
        );
        // Each fourfold of the data halves the exact width; ABC's tolerance widens
        // every interval a little.
        assert!(
            widths.windows(2).all(|w| w[1] < 0.7 * w[0]),
            "summed widths {widths:?} for n = {observations:?}"
        );
    }

    #[test]
    fn parameters_seen_only_through_their_product_lie_on_a_ridge() {
        let priors = [
            Prior::LogUniform { low: 0.25, high: 4.0 },
            Prior::LogUniform { low: 0.25, high: 4.0 },
        ];
        let s = Settings {
            particles: 300,
            max_generations: 6,
            ..settings()
        };
        let d = |t: &[f64]| ((t[0] * t[1]).ln() / 0.05).abs();
        let (gens, _) = run(&priors, &s, &d, Vec::new(), |_| {});
        let g = gens.last().unwrap();
        // The ridge is the curve θ₁θ₂ = 1, a line in the logs: correlate those.
        let log = |k: usize| -> Vec<f64> { g.particles.iter().map(|p| p.theta[k].ln()).collect() };
        let weights: Vec<f64> = g.particles.iter().map(|p| p.weight).collect();
        let corr = crate::stats::weighted_correlation(&log(0), &log(1), &weights);
        eprintln!("posterior correlation of the logs: {corr}");
        assert!(corr < -0.8, "posterior correlation of the logs {corr}");
        // A ridge, not a point: each parameter alone still spans much of its prior.
        let (lo, hi) = interval(g, 0);
        assert!(hi / lo > 4.0, "θ₁'s 90% interval {lo} – {hi}");
    }
}
