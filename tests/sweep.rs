//! End-to-end tests of `sandan sweep` and `sandan merge` (issue 6): shards merge to
//! the single-machine result, a killed sweep resumes with every run exactly once,
//! and design mistakes are reported before anything runs.

use predicates::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::{fixture, sandan};

/// `sandan sweep tiny.toml --design DESIGN --out OUT`, printing its summary line.
fn sweep_command(design: &str, out: &Path) -> assert_cmd::Command {
    let mut c = sandan();
    c.args(["sweep", &fixture("tiny.toml"), "--design", &fixture(design), "--out"])
        .arg(out);
    c
}

fn sweep(design: &str, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    sweep_command(design, out).arg("--quiet").args(extra).assert()
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Data rows sorted, so that comparisons do not depend on row order.
fn sorted_rows(csv: &str) -> Vec<&str> {
    let mut rows: Vec<&str> = csv.lines().skip(1).collect();
    rows.sort_unstable();
    rows
}

/// `run` ids of the rows, each run once per strategy × year.
fn run_ids(csv: &str) -> Vec<u64> {
    let mut ids: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    ids.dedup();
    ids
}

#[test]
fn sweep_writes_tidy_results_summary_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep_command("sweep_grid.toml", &out)
        .assert()
        .success()
        .stdout(predicate::str::contains("12 runs done (0 resumed)"));
    let results = read(out.join("results.csv"));
    assert!(results.starts_with(
        "run,point,dibao.take_up_other,identification.exclusion_error,strategy,replicate,seed,year,population,"
    ));
    // 4 points × 3 replicates × 2 strategies × 3 years.
    assert_eq!(results.lines().count(), 1 + 4 * 3 * 2 * 3);
    assert_eq!(run_ids(&results), (0..12).collect::<Vec<_>>());
    let summary = read(out.join("summary.csv"));
    assert!(summary.starts_with(
        "point,dibao.take_up_other,identification.exclusion_error,strategy,year,metric,mean,p05,p50,p95\n"
    ));
    assert!(summary.contains("\n3,0.6,0.3,full_dibao,2018,incidence,"));
    assert_eq!(&std::fs::read(out.join("response.png")).unwrap()[..4], b"\x89PNG");
    let manifest: serde_json::Value = serde_json::from_str(&read(out.join("sweep.json"))).unwrap();
    assert_eq!(manifest["points"], 4);
    assert!(manifest["design_hash"].as_str().unwrap().starts_with("fnv1a64:"));
}

#[test]
fn issue15_replicate_r_has_one_seed_at_every_point_and_replicates_differ() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep("sweep_lhs.toml", &out, &[]).success();
    let results = read(out.join("results.csv"));
    let mut seeds = HashSet::new();
    let mut strata = HashSet::new();
    for l in results.lines().skip(1) {
        let c: Vec<&str> = l.split(',').collect();
        // Only the chosen strategy runs.
        assert_eq!(c[3], "full_dibao");
        seeds.insert((c[0].to_string(), c[5].to_string()));
        // One point in each fifth of [0, 0.4].
        strata.insert((c[2].parse::<f64>().unwrap() / 0.08).floor() as i64);
    }
    assert_eq!(strata, (0..5).collect());
    let distinct: HashSet<&String> = seeds.iter().map(|(_, s)| s).collect();
    assert_eq!(seeds.len(), 5 * 2, "one seed per run");
    assert_eq!(
        distinct.len(),
        2,
        "common random numbers: one seed per replicate, shared by the points"
    );
}

#[test]
fn shards_merged_equal_the_unsharded_sweep_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    sweep("sweep_grid.toml", &whole, &["--threads", "2"]).success();
    let shards: Vec<PathBuf> = (0..3).map(|k| dir.path().join(format!("shard-{k}"))).collect();
    // Shards in a scrambled order, with different thread counts.
    for k in [2, 0, 1] {
        sweep(
            "sweep_grid.toml",
            &shards[k],
            &["--shard", &format!("{k}/3"), "--threads", "1"],
        )
        .success();
        assert!(
            !shards[k].join("summary.csv").exists(),
            "a shard leaves the summary to merge"
        );
    }
    let merged = dir.path().join("merged");
    sandan()
        .arg("merge")
        .args([&shards[1], &shards[2], &shards[0]])
        .arg("--out")
        .arg(&merged)
        .assert()
        .success()
        .stdout(predicate::str::contains("merged 3 shards: 12 runs"));
    let (a, b) = (read(whole.join("results.csv")), read(merged.join("results.csv")));
    assert_eq!(sorted_rows(&a), sorted_rows(&b));
    for f in ["results.csv", "progress.log", "summary.csv", "response.png"] {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn merge_refuses_missing_or_foreign_shards() {
    let dir = tempfile::tempdir().unwrap();
    let (s0, s1) = (dir.path().join("s0"), dir.path().join("s1"));
    sweep("sweep_grid.toml", &s0, &["--shard", "0/2"]).success();
    sandan()
        .arg("merge")
        .arg(&s0)
        .arg("--out")
        .arg(dir.path().join("m"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("need each of the 2 shards exactly once"));
    sweep("sweep_lhs.toml", &s1, &["--shard", "1/2"]).success();
    sandan()
        .arg("merge")
        .args([&s0, &s1])
        .arg("--out")
        .arg(dir.path().join("m"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from another sweep"));
}

#[test]
fn a_torn_tail_is_cut_and_the_sweep_finished_with_every_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, torn) = (dir.path().join("ref"), dir.path().join("torn"));
    sweep("sweep_grid.toml", &reference, &[]).success();
    sweep("sweep_grid.toml", &torn, &[]).success();
    // As if power failed during run 8: the last four progress records were never
    // written, one is half written, and run 8's rows are half on disk.
    let progress = read(torn.join("progress.log"));
    let kept: Vec<&str> = progress.lines().take(8).collect();
    let end: u64 = kept[7].split(' ').nth(1).unwrap().parse().unwrap();
    std::fs::write(torn.join("progress.log"), format!("{}\n8 99", kept.join("\n"))).unwrap();
    let results = std::fs::read(torn.join("results.csv")).unwrap();
    std::fs::write(torn.join("results.csv"), &results[..end as usize + 40]).unwrap();
    std::fs::remove_file(torn.join("summary.csv")).unwrap();
    sweep_command("sweep_grid.toml", &torn)
        .assert()
        .success()
        .stdout(predicate::str::contains("12 runs done (8 resumed)"));
    for f in ["results.csv", "progress.log", "summary.csv"] {
        assert_eq!(read(reference.join(f)), read(torn.join(f)), "{f} differs");
    }
}

/// Temporary files (`*.tmp`) in a directory.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn issue15_a_sweep_killed_with_sigkill_again_and_again_progresses_and_ends_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, killed) = (dir.path().join("ref"), dir.path().join("killed"));
    let args = |out: &Path| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("sandan"));
        c.args([
            "sweep",
            &fixture("tiny.toml"),
            "--design",
            &fixture("sweep_long.toml"),
            "--quiet",
            "--threads",
            "2",
        ])
        .arg("--out")
        .arg(out);
        c
    };
    let done = || {
        std::fs::read_to_string(killed.join("progress.log"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    let total = 200;
    // Kill at several moments; every restart must keep what was recorded and add to it.
    let mut at_kill = Vec::new();
    for target in [5, 40, 90, 150] {
        let mut child = args(&killed).spawn().unwrap();
        let started = Instant::now();
        loop {
            if done() >= target || started.elapsed() > Duration::from_secs(120) {
                child.kill().unwrap(); // SIGKILL: no chance to clean up.
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.wait().unwrap();
        at_kill.push(done());
    }
    assert!(
        at_kill.windows(2).all(|w| w[0] < w[1]) && at_kill[0] >= 5 && *at_kill.last().unwrap() < total,
        "recorded runs at each kill: {at_kill:?} of {total}"
    );
    assert!(args(&killed).status().unwrap().success());
    assert!(args(&reference).status().unwrap().success());
    let (a, b) = (read(reference.join("results.csv")), read(killed.join("results.csv")));
    assert_eq!(
        run_ids(&b),
        (0..total as u64).collect::<Vec<_>>(),
        "every run exactly once, in order"
    );
    assert_eq!(a, b);
    for f in ["progress.log", "summary.csv"] {
        assert_eq!(read(reference.join(f)), read(killed.join(f)), "{f} differs");
    }
    assert_eq!(temporaries(&killed), Vec::<String>::new());
}

#[test]
fn a_changed_design_is_not_resumed_into_old_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep("sweep_grid.toml", &out, &[]).success();
    sweep("sweep_lhs.toml", &out, &[])
        .code(2)
        .stderr(predicate::str::contains("holds a different sweep: the design changed"))
        .stderr(predicate::str::contains("Use another --out"));
}

#[test]
fn design_mistakes_are_reported_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep("sweep_bad_value.toml", &out, &[]).code(2).stderr(predicate::str::contains(
        "sweep_bad_value.toml: point 2 (identification.exclusion_error = 1.2): identification.exclusion_error must be between 0 and 1, got 1.2",
    ));
    sweep("sweep_unknown_key.toml", &out, &[])
        .code(2)
        .stderr(predicate::str::contains(
            "sweep_unknown_key.toml:2:1: unknown field `repliactes`",
        ));
    sweep("sweep_grid.toml", &out, &["--metric", "happiness"])
        .code(2)
        .stderr(predicate::str::contains("--metric happiness: no such metric"));
    sweep("sweep_grid.toml", &out, &["--by", "dibao.generosity"])
        .code(2)
        .stderr(predicate::str::contains(
            "--by dibao.generosity: not a parameter of the design",
        ));
    sweep("sweep_grid.toml", &out, &["--shard", "3/3"])
        .code(2)
        .stderr(predicate::str::contains("K/N"));
    assert!(!out.exists(), "nothing is written for a refused sweep");
}

/// (strategy, metric, year, parameter, index) of an `indices.csv` row.
type IndexKey = (String, String, String, String, String);

/// `indices.csv` rows as their key → (value, low, high).
fn indices(csv: &str) -> std::collections::HashMap<IndexKey, (f64, f64, f64)> {
    let num = |s: &str| if s == "NA" { f64::NAN } else { s.parse().unwrap() };
    csv.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                (c[1].into(), c[2].into(), c[3].into(), c[4].into(), c[5].into()),
                (num(c[6]), num(c[7]), num(c[8])),
            )
        })
        .collect()
}

#[test]
fn issue15_a_sobol_sweep_finds_the_budget_and_not_a_key_the_strategy_never_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep_command("sweep_sobol.toml", &out)
        .assert()
        .success()
        .stderr(predicate::str::contains("only 16 base samples"));
    let text = read(out.join("indices.csv"));
    assert!(text.starts_with("method,strategy,metric,year,parameter,index,value,low,high,includes_zero\n"));
    let ix = indices(&text);
    let get = |p: &str, i: &str| {
        ix[&(
            "full_dibao".to_string(),
            "incidence".to_string(),
            "2018".to_string(),
            p.to_string(),
            i.to_string(),
        )]
    };
    let (st, lo, _) = get("strategy.full_dibao.budget", "ST");
    assert!(
        st > 0.0 && lo > 0.0,
        "the budget moves its own strategy's incidence: ST {st}, low {lo}"
    );
    let (st, lo, hi) = get("strategy.no_program.program.risk_aversion", "ST");
    assert!(
        st.abs() < 1e-12 && lo <= 0.0 && hi >= 0.0,
        "never read: ST {st} [{lo}, {hi}]"
    );
    assert!(text.contains(",true\n"), "an interval holding 0 is flagged");
    for f in ["sensitivity_full_dibao.png", "rankings.csv", "rankings.png"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // The same files from the directory alone.
    let before = std::fs::read(out.join("indices.csv")).unwrap();
    std::fs::remove_file(out.join("indices.csv")).unwrap();
    sandan().args(["sensitivity", "--quiet"]).arg(&out).assert().success();
    assert_eq!(before, std::fs::read(out.join("indices.csv")).unwrap());
    // Sharded and merged, the same indices.
    let shards: Vec<PathBuf> = (0..2).map(|k| dir.path().join(format!("shard-{k}"))).collect();
    for (k, d) in shards.iter().enumerate() {
        sweep("sweep_sobol.toml", d, &["--shard", &format!("{k}/2")]).success();
        assert!(
            !d.join("indices.csv").exists(),
            "a shard leaves the analysis to the merge"
        );
    }
    sandan()
        .args(["sensitivity", "--quiet"])
        .arg(&shards[0])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sandan merge"));
    let merged = dir.path().join("merged");
    sandan()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    assert_eq!(before, std::fs::read(merged.join("indices.csv")).unwrap());
}

#[test]
fn issue15_rankings_share_one_best_per_replicate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep("sweep_grid.toml", &out, &[]).success();
    let text = read(out.join("rankings.csv"));
    assert!(text.starts_with(
        "point,dibao.take_up_other,identification.exclusion_error,strategy,metric,year,replicates,share_best,regret_mean,regret_p50,regret_p95\n"
    ));
    let all: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("all,"))
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(all.len(), 2);
    let share: f64 = all.iter().map(|c| c[7].parse::<f64>().unwrap()).sum();
    assert!((share - 1.0).abs() < 1e-9, "shares of best sum to 1: {share}");
    assert!(
        all.iter().all(|c| c[8].parse::<f64>().unwrap() >= 0.0),
        "regret is never negative: {all:?}"
    );
    // Feature scores from the sweep on disk: both strategies, both parameters.
    let scores = read(out.join("feature_scores.csv"));
    assert!(scores.starts_with("strategy,metric,year,parameter,first_order,noise_floor,bins,points\n"));
    assert_eq!(scores.lines().count(), 1 + 2 * 2);
    for l in scores.lines().skip(1) {
        // NA where the strategy's incidence is the same at every point.
        let share = l.split(',').nth(4).unwrap();
        assert!(
            share == "NA" || (0.0..=1.0).contains(&share.parse::<f64>().unwrap()),
            "{l}"
        );
    }
    std::fs::remove_file(out.join("feature_scores.csv")).unwrap();
    sandan()
        .args(["sensitivity"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("has no sensitivity indices"));
    assert_eq!(scores, read(out.join("feature_scores.csv")));
}
