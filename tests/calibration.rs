//! Calibration recovers what sandan itself simulated (issue 12): a record made by one
//! realisation of a small village, with a known parameter and observation errors
//! drawn as the targets declare them, is calibrated back with the replicates of
//! another seed, as a real village's record would be. The 90% posterior intervals
//! must cover the truth about 90% of the time, and narrow as observations are added.
//!
//! Before the synthetic-likelihood distance and the Gaussian kernel stopped at
//! tolerance 1, the intervals narrowed with every generation whatever the errors,
//! and missed the truth (0.154–0.206 for 0.15).

use sandan::calibrate::abc::{self, Settings, Stop};
use sandan::calibrate::fit::{self, Problem};
use sandan::calibrate::targets;
use sandan::metrics::YearMetrics;
use sandan::rng::{CellRng, Stream};
use sandan::scenario;

/// One village of 80 households, 2016–2019, no program: the register moves by
/// the yearly review, exits and re-entries, so later years carry a realisation's
/// own noise.
const VILLAGE: &str = r#"
name = "recovery"
start_year = 2016
end_year = 2019
seed = 1
replicates = 1

[population]
starting_incidence = 0.3

[[village]]
name = "only"
households = 80

[[strategy]]
name = "no_program"
"#;

const LOW: f64 = 0.1;
const HIGH: f64 = 0.5;

/// The record of case `case`: official incidence in `years`, from replicate 0 of a
/// seed no calibration uses, with `starting_incidence` = `truth`, each observed as a
/// count of persons with its binomial error added.
fn record(truth: f64, case: u64, years: &[i32]) -> String {
    let text = VILLAGE.replace("starting_incidence = 0.3", &format!("starting_incidence = {truth}"));
    let mut s = scenario::parse(&text, "recovery.toml", "scenario").unwrap();
    s.seed = 1_000_003 + case;
    let run = sandan::engine::simulate(&s, 0, 0);
    let column = YearMetrics::NAMES
        .iter()
        .position(|n| *n == "official_incidence")
        .unwrap();
    let persons = run.years[0].values()[YearMetrics::NAMES.iter().position(|n| *n == "population").unwrap()];
    let mut rng = CellRng::new(case, 7, Stream::Health, 0, 0);
    let mut out = String::from("strategy = \"no_program\"\n");
    for &y in years {
        let realised = run.years.iter().find(|r| r.year == y).unwrap().values()[column];
        let count = (realised * persons).round();
        let sd = targets::binomial_sd(count, persons);
        let observed = (realised + sd * rng.normal()).clamp(0.0, 1.0);
        out +=
            &format!("[[observation]]\nmetric = \"official_incidence\"\nyear = {y}\nvalue = {observed}\nsd = {sd}\n");
    }
    out + &format!(
        "[[parameter]]\npath = \"population.starting_incidence\"\nprior = \"uniform\"\nlow = {LOW}\nhigh = {HIGH}\n"
    )
}

/// The 5–95% posterior range of the one parameter.
fn interval(case: u64, truth: f64, years: &[i32]) -> (f64, f64) {
    let s = scenario::parse(VILLAGE, "recovery.toml", "scenario").unwrap();
    let t = targets::parse(&record(truth, case, years), "t.toml", &s, VILLAGE, "recovery.toml").unwrap();
    let priors: Vec<_> = t.parameters.iter().map(|p| p.prior).collect();
    let problem = Problem {
        scenario_text: VILLAGE.to_string(),
        scenario_file: "recovery.toml".into(),
        targets: t,
        replicates: 8,
        seed: 5,
    };
    let settings = Settings {
        seed: 11 + case,
        particles: 40,
        max_generations: 15,
        max_simulations: 100_000,
        ..Settings::default()
    };
    let (gens, stop) = abc::run(&priors, &settings, &|t: &[f64]| problem.score(t), Vec::new(), |g| {
        if std::env::var_os("SANDAN_TRACE").is_some() {
            eprintln!(
                "  generation {}: tolerance {:.3}, acceptance {:.3}, ess {:.0}",
                g.index,
                g.tolerance,
                g.acceptance(),
                g.ess()
            )
        }
    });
    assert_eq!(stop, Stop::Tolerance, "case {case} stopped early: {stop:?}");
    let last = gens.last().unwrap();
    (
        fit::weighted_quantile(last, 0, 0.05),
        fit::weighted_quantile(last, 0, 0.95),
    )
}

/// 20 cases, truths spread over the prior. If the 90% intervals truly cover 90%,
/// the number covered is Binomial(20, 0.9): 15 or fewer has probability 4.3%, so
/// at least 16 are required (the issue's 80%). The synthetic likelihood's Gaussian
/// form and 40 particles make the intervals approximate: a miss rate far above 10%,
/// as before, fails. With one observed year against four, the mean width must shrink.
#[test]
fn ninety_percent_intervals_cover_a_parameter_sandan_simulated() {
    let cases = 20;
    let all = [2016, 2017, 2018, 2019];
    let (mut covered, mut width_all, mut width_one) = (0, 0.0, 0.0);
    for case in 0..cases {
        let truth = LOW + (HIGH - LOW) * (case as f64 + 0.5) / cases as f64;
        let (lo, hi) = interval(case, truth, &all);
        eprintln!("case {case}: truth {truth:.3}, 90% interval {lo:.3} – {hi:.3}");
        covered += usize::from((lo..=hi).contains(&truth));
        if case % 4 == 0 {
            let (lo1, hi1) = interval(case, truth, &[2019]);
            width_all += hi - lo;
            width_one += hi1 - lo1;
        }
    }
    eprintln!(
        "covered {covered} of {cases}; summed widths over 5 cases: {width_all:.3} with four years, {width_one:.3} with 2019 alone"
    );
    assert!(
        covered >= 16,
        "the 90% interval covered the truth in {covered} of {cases} cases"
    );
    assert!(
        width_all < width_one,
        "summed widths {width_all} with four years, {width_one} with one"
    );
}

/// The shipped Liangshuiquan, calibrated to its record, reproduces it: for every
/// observation of `scenarios/targets/liangshuiquan.toml`, the 5–95% band of the
/// scenario's replicates under the strategy that ran reaches the observation's own
/// 90% error range (what `fit.png` shows), and the baseline stays at the record's
/// 25.59%. Without a program the village does not reach 2018's 0.85%.
#[test]
fn the_shipped_liangshuiquan_reproduces_its_record() {
    let root = env!("CARGO_MANIFEST_DIR");
    let path = format!("{root}/scenarios/liangshuiquan.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = scenario::parse(&text, &path, "scenario").unwrap();
    let ttext = std::fs::read_to_string(format!("{root}/scenarios/targets/liangshuiquan.toml")).unwrap();
    let t = targets::parse(&ttext, "liangshuiquan targets", &s, &text, &path).unwrap();
    let band = |strategy: &str, o: &targets::Observation| -> (f64, f64) {
        let k = s.strategy_index(strategy).unwrap();
        let mut v: Vec<f64> = (0..s.replicates)
            .map(|r| {
                let run = sandan::engine::simulate(&s, k, r);
                run.years.iter().find(|y| y.year == o.year).unwrap().values()[o.column]
            })
            .collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| sandan::stats::quantile_sorted(&v, p);
        (q(0.05), q(0.95))
    };
    for o in &t.observations {
        let (lo, hi) = band(&t.strategy, o);
        let (olo, ohi) = (o.value - 1.645 * o.sd, o.value + 1.645 * o.sd);
        eprintln!(
            "{} {}: replicates {lo:.4} – {hi:.4}, observed {:.4} ({olo:.4} – {ohi:.4})",
            o.metric, o.year, o.value
        );
        assert!(
            lo <= ohi && olo <= hi,
            "{} {}: band {lo} – {hi} misses the observed {olo} – {ohi}",
            o.metric,
            o.year
        );
    }
    let baseline = &t.observations[0];
    assert_eq!((baseline.metric.as_str(), baseline.year), ("official_incidence", 2016));
    let (lo, hi) = band(&t.strategy, baseline);
    assert!(
        (lo - 0.2559).abs() < 0.005 && (hi - 0.2559).abs() < 0.005,
        "baseline {lo} – {hi}"
    );
    let in_2018 = t.observations.iter().find(|o| o.year == 2018).unwrap();
    let (lo, _) = band("no_program", in_2018);
    assert!(
        lo > in_2018.value + 1.645 * in_2018.sd,
        "no_program reaches {lo} in 2018"
    );
}
