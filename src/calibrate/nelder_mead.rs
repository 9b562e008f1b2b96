//! A point estimate to cross-check the posterior: Nelder–Mead (1965) simplex search
//! on the loss (the deviance of the synthetic likelihood ABC-SMC samples), inside the
//! priors' bounds.
//!
//! The search runs in the unit cube, each axis mapped onto a parameter's bounds
//! (a normal prior without bounds: mean ± 4 sd), so one step size fits all
//! parameters; points are clamped to the cube. It is sequential and deterministic.

use super::targets::Prior;

/// The best point found and its loss, with the evaluations spent.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub theta: Vec<f64>,
    pub loss: f64,
    pub evaluations: u64,
}

fn span(p: &Prior) -> (f64, f64) {
    match *p {
        Prior::Normal { mean, sd, low, high } => (low.max(mean - 4.0 * sd), high.min(mean + 4.0 * sd)),
        _ => p.bounds(),
    }
}

/// Minimise `loss` from the priors' centres, spending at most `max_evaluations`.
pub fn minimise(priors: &[Prior], loss: &dyn Fn(&[f64]) -> f64, max_evaluations: u64) -> Estimate {
    let d = priors.len();
    let to_theta = |u: &[f64]| -> Vec<f64> {
        priors
            .iter()
            .zip(u)
            .map(|(p, &x)| {
                let (lo, hi) = span(p);
                lo + (hi - lo) * x.clamp(0.0, 1.0)
            })
            .collect()
    };
    let evaluations = std::cell::Cell::new(0u64);
    let f = |u: &[f64]| {
        evaluations.set(evaluations.get() + 1);
        let v = loss(&to_theta(u));
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let start: Vec<f64> = priors
        .iter()
        .map(|p| {
            let (lo, hi) = span(p);
            ((p.centre() - lo) / (hi - lo)).clamp(0.0, 1.0)
        })
        .collect();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::new();
    let v0 = f(&start);
    simplex.push((start.clone(), v0));
    for i in 0..d {
        let mut x = start.clone();
        x[i] = if x[i] + 0.25 <= 1.0 { x[i] + 0.25 } else { x[i] - 0.25 };
        let v = f(&x);
        simplex.push((x, v));
    }
    let blend = |a: &[f64], b: &[f64], t: f64| -> Vec<f64> {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x + t * (y - x)).clamp(0.0, 1.0))
            .collect()
    };
    while evaluations.get() < max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[d].1);
        if (worst - best).abs() <= 1e-10 * (1.0 + best.abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..d)
            .map(|k| simplex[..d].iter().map(|(x, _)| x[k]).sum::<f64>() / d as f64)
            .collect();
        let reflected = blend(&centroid, &simplex[d].0, -1.0);
        let fr = f(&reflected);
        if fr < simplex[0].1 {
            let expanded = blend(&centroid, &simplex[d].0, -2.0);
            let fe = f(&expanded);
            simplex[d] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[d - 1].1 {
            simplex[d] = (reflected, fr);
        } else {
            let contracted = blend(&centroid, &simplex[d].0, 0.5);
            let fc = f(&contracted);
            if fc < simplex[d].1 {
                simplex[d] = (contracted, fc);
            } else {
                let best = simplex[0].0.clone();
                for s in simplex.iter_mut().skip(1) {
                    let x = blend(&best, &s.0, 0.5);
                    let v = f(&x);
                    *s = (x, v);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    Estimate {
        theta: to_theta(&simplex[0].0),
        loss: simplex[0].1,
        evaluations: evaluations.get(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_bowl_and_a_valley() {
        let priors = [
            Prior::Uniform { low: -5.0, high: 5.0 },
            Prior::Uniform { low: -5.0, high: 5.0 },
        ];
        let e = minimise(&priors, &|t| (t[0] - 1.5).powi(2) + 3.0 * (t[1] + 2.0).powi(2), 500);
        assert!(
            (e.theta[0] - 1.5).abs() < 1e-3 && (e.theta[1] + 2.0).abs() < 1e-3,
            "{e:?}"
        );
        let rosenbrock = |t: &[f64]| (1.0 - t[0]).powi(2) + 100.0 * (t[1] - t[0] * t[0]).powi(2);
        let e = minimise(&priors, &rosenbrock, 5000);
        assert!(
            (e.theta[0] - 1.0).abs() < 0.01 && (e.theta[1] - 1.0).abs() < 0.02,
            "{e:?}"
        );
        assert!(e.evaluations <= 5000 + 3);
    }

    #[test]
    fn stays_inside_the_bounds() {
        let priors = [Prior::Beta { alpha: 2.0, beta: 2.0 }];
        let e = minimise(&priors, &|t| -t[0], 200);
        assert!((e.theta[0] - 1.0).abs() < 1e-9, "{e:?}");
    }
}
