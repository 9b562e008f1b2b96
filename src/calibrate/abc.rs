//! ABC-SMC: sequential Monte Carlo approximate Bayesian computation.
//!
//! The population Monte Carlo sampler of Beaumont, Cornuet, Marin & Robert (2009,
//! *Biometrika* 96:983) — also Toni et al. (2009, *J. R. Soc. Interface* 6:187) —
//! with the tolerance of each generation chosen so that reweighting the previous
//! generation to it keeps a set share of its effective sample size (the adaptive
//! rule of Del Moral, Doucet & Jasra 2012, *Stat. Comput.* 22:1009) and a Gaussian perturbation kernel with twice the weighted covariance of the
//! previous generation (Beaumont et al. 2009; Filippi et al. 2013).
//!
//! Acceptance is a Gaussian kernel, not a cut-off: a proposal scored
//! [`Score`] { d, w } is kept with probability exp(−d²/2ε²) and weighs e^w besides
//! its importance weight. When exp(−d²/2 + w) is the likelihood up to a constant —
//! as `calibrate::fit` makes it from the observation errors and the replicates'
//! spread — the generation at ε = 1 samples the posterior itself (Wilkinson 2013,
//! *Stat. Appl. Genet. Mol. Biol.* 12:129: ABC is exact when its kernel is the error
//! model), so the tolerance never goes below the `target_tolerance` (default 1) and
//! the run ends there. Earlier generations, at ε > 1, target prior × e^w ×
//! exp(−d²/2ε²), tempered versions of it that bring the proposals in.
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
    /// Generation t's tolerance is the smallest at which generation t−1, reweighted
    /// to it, keeps this share of its effective sample size.
    pub ess_fraction: f64,
    pub max_generations: usize,
    /// Stop once this many simulations (distance evaluations) have been spent.
    pub max_simulations: u64,
    /// Stop once a generation accepts fewer than this share of its proposals.
    pub min_acceptance: f64,
    /// The last tolerance: the schedule never goes below it, and the run stops
    /// once a generation has been accepted at it. 1 for a deviance (the posterior).
    pub target_tolerance: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: 1,
            particles: 200,
            ess_fraction: 0.5,
            max_generations: 10,
            max_simulations: 20_000,
            min_acceptance: 0.02,
            target_tolerance: 1.0,
        }
    }
}

/// A simulated parameter vector measured against the record: kept with probability
/// exp(−distance²/2ε²), weighed by e^log_weight once kept. A plain distance has no
/// weight of its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub distance: f64,
    pub log_weight: f64,
}

impl From<f64> for Score {
    fn from(distance: f64) -> Score {
        Score {
            distance,
            log_weight: 0.0,
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
        ess_of(&self.particles.iter().map(|p| p.weight).collect::<Vec<_>>())
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

/// The perturbation kernel: N(0, 2 Σ_w), Σ_w the weighted covariance of `g`.
struct Kernel {
    chol: Vec<Vec<f64>>,
}

impl Kernel {
    fn of(g: &Generation, weights: &[f64], priors: &[Prior]) -> Kernel {
        let d = priors.len();
        let mean: Vec<f64> = (0..d)
            .map(|k| g.particles.iter().zip(weights).map(|(p, w)| w * p.theta[k]).sum())
            .collect();
        let mut cov = vec![vec![0.0; d]; d];
        for (p, w) in g.particles.iter().zip(weights) {
            for i in 0..d {
                for j in 0..d {
                    cov[i][j] += 2.0 * w * (p.theta[i] - mean[i]) * (p.theta[j] - mean[j]);
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
        Kernel {
            chol: crate::stats::cholesky(&cov),
        }
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

/// `g`'s weights moved from its tolerance to `eps` (w·K_ε(d)/K_g(d)), normalised:
/// how much each particle counts under the next generation's target.
fn reweighted(g: &Generation, eps: f64) -> Vec<f64> {
    let before = if g.tolerance.is_finite() {
        1.0 / (g.tolerance * g.tolerance)
    } else {
        0.0
    };
    let inv = 1.0 / (eps * eps) - before;
    let logs: Vec<f64> = g
        .particles
        .iter()
        .map(|p| p.weight.ln() - 0.5 * p.distance * p.distance * inv)
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return vec![0.0; logs.len()];
    }
    let v: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let sum: f64 = v.iter().sum();
    v.into_iter().map(|x| x / sum).collect()
}

fn ess_of(weights: &[f64]) -> f64 {
    let sq: f64 = weights.iter().map(|w| w * w).sum();
    if sq > 0.0 { 1.0 / sq } else { 0.0 }
}

/// The next tolerance after `g`: the smallest ε ≥ `floor` at which `g`'s particles,
/// [`reweighted`] to ε, keep `fraction` of g's effective sample size (Del Moral,
/// Doucet & Jasra 2012). Unlike a quantile of the distances, it cannot stall above
/// the floor: where the particles' distances are alike (a record the priors cannot
/// quite reach), lowering ε barely moves their weights and the schedule goes
/// straight down to the floor.
fn next_tolerance(g: &Generation, fraction: f64, floor: f64) -> f64 {
    let ess_at = |eps: f64| ess_of(&reweighted(g, eps));
    let wanted = fraction * g.ess();
    if ess_at(floor) >= wanted {
        return floor;
    }
    // ESS rises with ε towards g's own: bisect in the logs between the floor and an
    // ε at which it is reached.
    let mut high = if g.tolerance.is_finite() {
        g.tolerance
    } else {
        g.particles
            .iter()
            .map(|p| p.distance)
            .filter(|d| d.is_finite())
            .fold(floor, f64::max)
    };
    while ess_at(high) < wanted && high < 1e300 {
        high *= 2.0;
    }
    let mut low = floor;
    for _ in 0..100 {
        let mid = (low * high).sqrt();
        if ess_at(mid) >= wanted {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

/// How a proposal at distance `d` is kept under tolerance ε, measured from `floor`,
/// the previous generation's smallest distance: with probability
/// min(1, exp(−(d² − floor²)/2ε²)), and then weighing max(1, exp(−(d² − floor²)/2ε²))
/// besides its importance weight. Their product is exp(−d²/2ε²) up to a constant,
/// the kernel itself, whatever the floor: the floor only spares the sampler from
/// rejecting nearly everything where no parameter fits the record closely (every
/// d ≥ 3 would keep fewer than 1 in 90 proposals at ε = 1). Returns (probability,
/// weight).
pub fn acceptance(d: f64, floor: f64, tolerance: f64) -> (f64, f64) {
    if !d.is_finite() {
        return (0.0, 0.0);
    }
    let k = (-0.5 * (d * d - floor * floor) / (tolerance * tolerance)).exp();
    (k.min(1.0), k.max(1.0))
}

/// Scale the weights to sum to 1.
fn normalise(particles: &mut [Particle]) {
    let total: f64 = particles.iter().map(|p| p.weight).sum();
    for p in particles {
        p.weight /= total;
    }
}

/// What every slot of one generation shares, fixed by the previous generation
/// (none: generation 0, drawn from the priors): its tolerance, perturbation kernel,
/// ancestor weights and the distance acceptance is measured from. The slots are
/// then independent of each other, so they may run on any threads, processes or
/// machines (`sandan calibrate --shard`), and [`Step::assemble`] joins their
/// results into the same generation.
pub struct Step<'a> {
    priors: &'a [Prior],
    prev: Option<&'a Generation>,
    settings: &'a Settings,
    /// The index of the generation this step makes.
    pub index: usize,
    pub tolerance: f64,
    kernel: Option<Kernel>,
    weights: Vec<f64>,
    nearest: f64,
}

/// One slot's outcome: the particle it accepted (none if it gave up) and the
/// simulations it spent. Its weight is not yet normalised.
pub type Slot = (Option<Particle>, u64);

impl<'a> Step<'a> {
    pub fn new(priors: &'a [Prior], prev: Option<&'a Generation>, settings: &'a Settings) -> Step<'a> {
        let Some(prev) = prev else {
            return Step {
                priors,
                prev,
                settings,
                index: 0,
                tolerance: f64::INFINITY,
                kernel: None,
                weights: Vec::new(),
                nearest: 0.0,
            };
        };
        let tolerance = next_tolerance(prev, settings.ess_fraction, settings.target_tolerance);
        // Proposals come from the previous generation as the new target weighs it:
        // ancestors picked, and the kernel's covariance taken, with its particles
        // reweighted to the new tolerance, so that a big step down in tolerance
        // proposes where the new target is rather than over the old one's spread.
        // The importance weight divides by this same mixture, so it stays exact.
        let weights = reweighted(prev, tolerance);
        let kernel = Kernel::of(prev, &weights, priors);
        let nearest = prev.particles.iter().map(|p| p.distance).fold(f64::INFINITY, f64::min);
        Step {
            priors,
            prev: Some(prev),
            settings,
            index: prev.index + 1,
            tolerance,
            kernel: Some(kernel),
            weights,
            nearest: if nearest.is_finite() { nearest } else { 0.0 },
        }
    }

    /// Slot `slot` of the generation: draw (from the priors, or by perturbing an
    /// ancestor) until a proposal is kept or the attempts run out. `distance`
    /// simulates a parameter vector and scores it against the record.
    pub fn slot<F, S>(&self, slot: usize, distance: &F) -> Slot
    where
        F: Fn(&[f64]) -> S + Sync,
        S: Into<Score>,
    {
        let (priors, s) = (self.priors, self.settings);
        let mut rng = slot_rng(s.seed, self.index, slot);
        let (Some(prev), Some(kernel)) = (self.prev, &self.kernel) else {
            let theta: Vec<f64> = priors.iter().map(|p| draw_prior(p, &mut rng)).collect();
            let score: Score = distance(&theta).into();
            let particle = Particle {
                theta,
                weight: score.log_weight.exp(),
                distance: score.distance,
            };
            return (Some(particle), 1);
        };
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
            let score: Score = distance(&theta).into();
            let (keep, excess) = acceptance(score.distance, self.nearest, self.tolerance);
            if rng.uniform() < keep {
                let mix: f64 = prev
                    .particles
                    .iter()
                    .zip(&self.weights)
                    .map(|(p, w)| w * kernel.density(&p.theta, &theta))
                    .sum();
                return (
                    Some(Particle {
                        theta,
                        weight: prior / mix * score.log_weight.exp() * excess,
                        distance: score.distance,
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
        normalise(&mut particles);
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
    pub fn shard<F, S>(&self, index: usize, count: usize, distance: &F) -> Vec<(usize, Slot)>
    where
        F: Fn(&[f64]) -> S + Sync,
        S: Into<Score>,
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
pub fn next_generation<F, S>(priors: &[Prior], prev: Option<&Generation>, s: &Settings, distance: &F) -> Generation
where
    F: Fn(&[f64]) -> S + Sync,
    S: Into<Score>,
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
pub fn run<F, S>(
    priors: &[Prior],
    s: &Settings,
    distance: &F,
    mut done: Vec<Generation>,
    mut observe: impl FnMut(&Generation),
) -> (Vec<Generation>, Stop)
where
    F: Fn(&[f64]) -> S + Sync,
    S: Into<Score>,
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

    /// y ~ N(θ, 1) observed as y = 1, prior θ ~ U(−5, 5): the deviance is (θ − 1)²,
    /// and the posterior is N(1, 1) (truncated far away).
    fn gaussian_distance(theta: &[f64]) -> f64 {
        (theta[0] - 1.0).abs()
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
        assert_eq!(stop, Stop::Tolerance);
        let last = gens.last().unwrap();
        let (m, sd) = posterior_mean_sd(last);
        // The last generation, at tolerance 1, samples the exact posterior N(1, 1).
        // With an effective sample size above 150, the weighted mean's se is below
        // 0.08 and the sd's below 0.06: three of each.
        assert_eq!(last.tolerance, 1.0);
        assert!(last.ess() > 150.0, "ess {}", last.ess());
        assert!((m - 1.0).abs() < 0.25, "mean {m}");
        assert!((0.82..1.18).contains(&sd), "sd {sd}");
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

    /// n observations of y ~ N(θ, 1), summarised by their mean: the deviance of θ is
    /// n (θ − ȳ)².
    fn normal_mean_case(truth: f64, n: usize, case: u64) -> impl Fn(&[f64]) -> f64 + Sync {
        let mut rng = CellRng::new(case, 1, Stream::Health, 0, 0);
        let observed = truth + rng.normal() / (n as f64).sqrt();
        move |t: &[f64]| (t[0] - observed).abs() * (n as f64).sqrt()
    }

    fn interval(g: &Generation, k: usize) -> (f64, f64) {
        let q = |p| crate::calibrate::fit::weighted_quantile(g, k, p);
        (q(0.05), q(0.95))
    }

    /// Coverage over independent synthetic cases (truth, observations and sampler
    /// seed all drawn per case). If the 90% intervals truly cover 90%, the count
    /// covered out of 50 is Binomial(50, 0.9): it falls below 40 (80%) with
    /// probability 0.9%, so a failure here points at the sampler, not at bad luck
    /// (with 20 cases, below 16 would happen 4.3% of the time).
    #[test]
    fn ninety_percent_intervals_cover_the_truth_and_narrow_with_more_data() {
        let priors = [Prior::Uniform { low: -3.0, high: 3.0 }];
        let s = Settings {
            particles: 200,
            max_generations: 12,
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
                let (gens, stop) = run(&priors, &s, &d, Vec::new(), |_| {});
                assert_eq!(stop, Stop::Tolerance, "case {case}, n = {n}");
                let (lo, hi) = interval(gens.last().unwrap(), 0);
                widths[k] += hi - lo;
                // Coverage is the same at every n: count it once per case, at the
                // most data.
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
        // Each fourfold of the data halves the exact width.
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
            max_generations: 12,
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
