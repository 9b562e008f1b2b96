//! End-to-end tests of the `sandan` command on tiny fixture scenarios.

use predicates::prelude::*;
use std::path::Path;

mod common;
use common::{fixture, sandan};

fn run_tiny(out: &Path, extra: &[&str]) {
    sandan()
        .args(["run", &fixture("tiny.toml"), "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn run_writes_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny");
    sandan()
        .args(["run", &fixture("tiny.toml"), "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Final year 2018"))
        .stdout(predicate::str::contains("full_dibao"));
    for f in [
        "trajectories.csv",
        "summary.csv",
        "impacts.csv",
        "budget.csv",
        "incidence.png",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let traj = std::fs::read_to_string(out.join("trajectories.csv")).unwrap();
    let mut lines = traj.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("strategy,replicate,year,population,households,incidence,")
    );
    // 2 strategies × 4 replicates × 3 years.
    assert_eq!(lines.count(), 24);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("strategy,year,metric,mean,p05,p50,p95,n,sd\n"));
    // Issue 13: n and sd beside the quantiles; every replicate has 100 households,
    // so their sd is 0.
    let households = summary
        .lines()
        .find(|l| l.starts_with("no_program,2016,households,"))
        .unwrap();
    assert_eq!(households, "no_program,2016,households,100,100,100,100,4,0");
    let png = std::fs::read(out.join("incidence.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        !out.join("households.csv").exists(),
        "households.csv is written only when asked for"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 42);
    assert_eq!(
        manifest["tables"],
        serde_json::json!([
            "trajectories.csv",
            "summary.csv",
            "impacts.csv",
            "budget.csv",
            "groups.csv",
            "winners.csv"
        ])
    );
    assert_eq!(manifest["replicates"], 4);
    assert!(manifest["scenario_hash"].as_str().unwrap().starts_with("fnv1a64:"));
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    run_tiny(&a, &["--threads", "1", "--households"]);
    // Issue 17: the strategies of a replicate share its county, on any number of
    // threads (16 on this machine's 2 cores: more threads than simulations).
    for threads in ["2", "16"] {
        let b = dir.path().join(threads);
        run_tiny(&b, &["--threads", threads, "--households"]);
        for f in [
            "trajectories.csv",
            "summary.csv",
            "impacts.csv",
            "groups.csv",
            "winners.csv",
            "households.csv",
            "incidence.png",
        ] {
            assert_eq!(
                std::fs::read(a.join(f)).unwrap(),
                std::fs::read(b.join(f)).unwrap(),
                "{f} differs on {threads} threads"
            );
        }
    }
}

#[test]
fn seed_and_replicates_flags_override_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_tiny(&a, &["--replicates", "2", "--seed", "7"]);
    run_tiny(&b, &["--replicates", "2", "--seed", "8"]);
    let ta = std::fs::read_to_string(a.join("trajectories.csv")).unwrap();
    assert_eq!(ta.lines().count(), 1 + 2 * 2 * 3);
    assert_ne!(ta, std::fs::read_to_string(b.join("trajectories.csv")).unwrap());
}

#[test]
fn validate_accepts_good_scenarios() {
    sandan()
        .args(["validate", &fixture("tiny.toml")])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok"));
    let root = env!("CARGO_MANIFEST_DIR");
    for f in [
        "scenarios/template.toml",
        "scenarios/suiyang.toml",
        "scenarios/liangshuiquan.toml",
    ] {
        sandan().args(["validate", &format!("{root}/{f}")]).assert().success();
    }
    sandan()
        .args([
            "validate",
            &format!("{root}/scenarios/liangshuiquan.toml"),
            "--targets",
            &format!("{root}/scenarios/targets/liangshuiquan.toml"),
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 observations, 4 parameters"));
}

fn rejects(fixture_name: &str, message: &str) {
    let path = fixture(fixture_name);
    sandan()
        .args(["validate", &path])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn zero_households_is_located() {
    rejects(
        "zero_households.toml",
        "zero_households.toml:13:14: village[2].households must be at least 1, got 0",
    );
}

#[test]
fn unknown_key_is_located() {
    rejects("unknown_key.toml", "unknown_key.toml:5:1: ");
    rejects("unknown_key.toml", "unknown field `acute_rat`");
}

#[test]
fn malformed_toml_is_located() {
    rejects("malformed.toml", "malformed.toml:2:");
    rejects("malformed.toml", "malformed TOML");
}

#[test]
fn probability_out_of_range_is_located() {
    rejects(
        "bad_probability.toml",
        "bad_probability.toml:4:19: identification.exclusion_error must be between 0 and 1, got 1.2",
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    sandan()
        .args(["validate", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.toml: cannot read the scenario"));
}

#[test]
fn a_failed_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad");
    sandan()
        .args(["run", &fixture("zero_households.toml"), "--out"])
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
}

#[test]
fn unwritable_output_is_exit_code_one() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    sandan()
        .args(["run", &fixture("tiny.toml"), "--replicates", "1", "--out"])
        .arg(blocker.join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot write"));
}

#[test]
fn zero_threads_is_a_usage_error() {
    sandan()
        .args(["run", &fixture("tiny.toml"), "--threads", "0"])
        .assert()
        .code(2);
}

#[test]
fn every_shipped_scenario_runs() {
    // The small ones in full; the county-sized default with one replicate.
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(format!("{root}/scenarios")).unwrap() {
        let path = f.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") || path.ends_with("template.toml") {
            continue;
        }
        let out = dir.path().join(path.file_stem().unwrap());
        sandan()
            .arg("run")
            .arg(&path)
            .args(["--replicates", "1", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        assert!(out.join("trajectories.csv").is_file(), "{}", path.display());
    }
}

#[test]
fn readme_documents_every_metric() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for name in sandan::metrics::YearMetrics::NAMES {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md does not document the metric `{name}`"
        );
    }
}

/// Issue 4: a scenario per report, each validating and carrying the schemes its
/// comments cite (they also run, in `every_shipped_scenario_runs`).
#[test]
fn issue_4_each_report_has_a_scenario_with_its_schemes() {
    use sandan::programs::{ItemKind, ReturnMode};
    let root = env!("CARGO_MANIFEST_DIR");
    let load = |name: &str| {
        let path = format!("{root}/scenarios/{name}.toml");
        sandan().args(["validate", &path]).assert().success();
        sandan::scenario::load(Path::new(&path)).unwrap()
    };
    let kinds = |s: &sandan::scenario::Scenario| -> Vec<ItemKind> {
        s.strategies[0].model.program.items.iter().map(|it| it.kind).collect()
    };
    let suiyang = load("suiyang");
    assert!(kinds(&suiyang).contains(&ItemKind::Cattle) && kinds(&suiyang).contains(&ItemKind::Equity));
    assert_eq!(suiyang.strategies[0].model.program.cattle.household_share, 0.8);
    let zhangxian = load("zhangxian");
    assert!(kinds(&zhangxian).contains(&ItemKind::Cattle));
    assert!(zhangxian.strategies[0].model.program.mutual_aid.budget_share > 0.0);
    let ziyang = load("ziyang");
    assert!(kinds(&ziyang).contains(&ItemKind::Equity));
    assert_eq!(
        ziyang.strategies[0].model.program.equity.return_mode,
        ReturnMode::Variable
    );
    assert!(
        ziyang.strategies[0]
            .model
            .program
            .member_kinds
            .iter()
            .any(|m| m.capacity == 10)
    );
    // Ziyang's three changes with the villagers' and collectives' own money.
    assert!(ziyang.strategies.iter().any(|s| {
        let e = &s.model.program.equity;
        e.household_invest_share > 0.0 && e.collective_invest_share > 0.0 && s.model.program.collective.active()
    }));
    let tibet = load("tibet");
    assert!(kinds(&tibet).contains(&ItemKind::Equity) && kinds(&tibet).contains(&ItemKind::Labour));
    // Issue 11: a herding county with yak and sheep, livestock transfers on its
    // menu, and a strategy whose collectives run enterprises of their own.
    let species: Vec<&str> = tibet.strategies[0]
        .model
        .herd
        .species
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(species, ["yak", "sheep"]);
    assert!(
        tibet.strategies[0]
            .model
            .program
            .items
            .iter()
            .any(|it| it.heads.is_some())
    );
    assert!(
        tibet
            .strategies
            .iter()
            .any(|s| s.model.program.collective.enterprise_share > 0.0)
    );
    let liangshuiquan = load("liangshuiquan");
    assert!(kinds(&liangshuiquan).contains(&ItemKind::Cattle));
}

/// A CSV file without quoted fields as a header and rows of fields.
fn read_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>());
    let header = lines.next().unwrap();
    (header, lines.collect())
}

/// Issue 4: "each household's income by source, including the four incomes". With
/// `--households` a run writes households.csv: one row per strategy × year ×
/// household of replicate 0, whose sources add up to the per-person `income_*`
/// columns of trajectories.csv times the population.
#[test]
fn issue_4_households_csv_splits_each_households_income_by_source() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny");
    run_tiny(&out, &["--households", "--replicates", "2"]);
    let (header, rows) = read_table(&out.join("households.csv"));
    assert_eq!(
        header.join(","),
        "strategy,replicate,year,household,village,size,status,registered,income_pc,farm,rent,wages,\
         remittances,projects,assets,transfers,other,health_spending,interest_paid,dividends,cause,project,member"
    );
    // tiny.toml: 2 strategies × 3 years (2016–2018) × 100 households, replicate 0 only.
    assert_eq!(rows.len(), 2 * 3 * 100);
    assert!(rows.iter().all(|r| r[1] == "0"));
    assert!(rows.iter().all(|r| r[4] == "upper" || r[4] == "lower"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["tables"],
        serde_json::json!([
            "trajectories.csv",
            "summary.csv",
            "impacts.csv",
            "budget.csv",
            "groups.csv",
            "winners.csv",
            "households.csv"
        ])
    );

    let (th, trajectories) = read_table(&out.join("trajectories.csv"));
    let col = |name: &str| th.iter().position(|c| c == name).unwrap();
    let mut checked = 0;
    for t in trajectories.iter().filter(|t| t[1] == "0" && t[2] != "2016") {
        let population: f64 = t[col("population")].parse().unwrap();
        let ours: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == t[0] && r[2] == t[2]).collect();
        assert_eq!(ours.len(), 100);
        for (k, source) in header.iter().enumerate().skip(9).take(11) {
            let metric = if th.contains(&format!("income_{source}")) {
                format!("income_{source}")
            } else {
                source.clone()
            };
            let per_person: f64 = t[col(&metric)].parse().unwrap();
            let sum: f64 = ours.iter().map(|r| r[k].parse::<f64>().unwrap()).sum();
            assert!(
                (sum - per_person * population).abs() <= 1e-6 * sum.abs().max(1.0),
                "{} {}: {source} sums to {sum}, trajectories say {per_person} × {population}",
                t[0],
                t[2]
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        2 * 2 * 11,
        "every source of every simulated year of both strategies"
    );
    // The baseline year has no split by source.
    assert!(rows.iter().filter(|r| r[2] == "2016").all(|r| r[9] == "NA"));
}

#[test]
fn targets_are_checked_against_the_scenario() {
    let scenario = fixture("tiny.toml");
    sandan()
        .args(["validate", &scenario, "--targets", &fixture("targets/tiny.toml")])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "strategy 'no_program', 2 observations, 1 parameters",
        ));
    for (file, message) in [
        (
            "targets/bad_metric.toml",
            "bad_metric.toml:11:10: observation[1].metric: no metric 'officail_incidence'",
        ),
        (
            "targets/bad_strategy.toml",
            "bad_strategy.toml:2:12: strategy: the scenario has no strategy 'three_order'; it has: no_program, full_dibao",
        ),
    ] {
        sandan()
            .args(["validate", &scenario, "--targets", &fixture(file)])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains("panicked").not());
    }
}

/// `sandan calibrate` of the tiny fixture against `targets` (a file in
/// `tests/fixtures/targets/`).
fn calibrate(targets: &str) -> assert_cmd::Command {
    let mut c = sandan();
    c.args([
        "calibrate",
        &fixture("tiny.toml"),
        "--targets",
        &fixture(&format!("targets/{targets}")),
    ]);
    c
}

/// The small calibration the CLI tests share: 16 particles, 1 replicate, at most
/// 3 generations.
const SMALL_CALIBRATION: [&str; 6] = ["--particles", "16", "--replicates", "1", "--max-generations", "3"];

fn calibrate_tiny(out: &Path, extra: &[&str]) {
    calibrate("tiny.toml")
        .args(SMALL_CALIBRATION)
        .args(["--quiet", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

const CALIBRATION_FILES: [&str; 8] = [
    "posterior.csv",
    "generations.csv",
    "calibrated.toml",
    "fit.png",
    "fit.svg",
    "pairs.png",
    "pairs.svg",
    "report.html",
];

#[test]
fn calibration_is_the_same_on_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    calibrate_tiny(&a, &["--threads", "1"]);
    calibrate_tiny(&b, &["--threads", "2"]);
    for f in CALIBRATION_FILES {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let generations = std::fs::read_to_string(a.join("generations.csv")).unwrap();
    assert_eq!(generations.lines().count(), 1 + 3);
    // The pairs picture is labelled by the fitted key's path.
    let pairs = std::fs::read_to_string(a.join("pairs.svg")).unwrap();
    assert!(pairs.contains("population.starting_incidence"));
    assert!(std::fs::read(a.join("pairs.png")).unwrap().starts_with(b"\x89PNG"));
    // report.html holds both figures, the ranges and the generations.
    let report = std::fs::read_to_string(a.join("report.html")).unwrap();
    let png = |f: &str| sandan::output::report::base64(&std::fs::read(a.join(f)).unwrap());
    assert!(report.contains(&png("fit.png")) && report.contains(&png("pairs.png")));
    assert!(report.contains("<code>population.starting_incidence</code></td><td>uniform 0.02000 – 0.6000</td>"));
    assert_eq!(
        report.matches("<tr><td>").count(),
        3 + 2,
        "3 generations, 2 observations"
    );
    // calibrated.toml is the scenario file with the fitted key changed (its range
    // beside it) and the file's own comments kept; `sandan run` runs it.
    let calibrated = std::fs::read_to_string(a.join("calibrated.toml")).unwrap();
    assert!(
        calibrated.contains("# A tiny county for CLI tests: two villages, three years, four replicates.\n"),
        "{calibrated}"
    );
    let fitted = calibrated
        .lines()
        .find(|l| l.starts_with("starting_incidence = "))
        .unwrap();
    assert!(fitted.contains(" # calibrated: posterior median, 5–95% "), "{fitted}");
    assert!(calibrated.contains("description = \"Every eligible household takes up dibao.\"\n"));
    sandan()
        .args(["run", "-q", "--out"])
        .arg(dir.path().join("run"))
        .arg(a.join("calibrated.toml"))
        .assert()
        .success();
    assert!(dir.path().join("run/trajectories.csv").exists());
}

#[test]
fn an_interrupted_calibration_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    calibrate_tiny(&whole, &[]);
    calibrate_tiny(&cut, &[]);
    // As a kill leaves it: the last generation in posterior.csv but not yet in
    // generations.csv, and the one before it lost entirely.
    let g = std::fs::read_to_string(cut.join("generations.csv")).unwrap();
    let kept: Vec<&str> = g.lines().take(2).collect();
    std::fs::write(cut.join("generations.csv"), kept.join("\n") + "\n").unwrap();
    for f in [
        "calibrated.toml",
        "fit.png",
        "fit.svg",
        "pairs.png",
        "pairs.svg",
        "report.html",
    ] {
        std::fs::remove_file(cut.join(f)).unwrap();
    }
    // Without --quiet, but stderr is no terminal: no progress line reaches a log.
    calibrate("tiny.toml")
        .args(SMALL_CALIBRATION)
        .arg("--out")
        .arg(&cut)
        .assert()
        .success()
        .stdout(predicate::str::contains("3 generations"))
        .stderr(predicate::str::contains("generation").not());
    for f in CALIBRATION_FILES {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(cut.join(f)).unwrap(),
            "{f}"
        );
    }
    // Another calibration in the same directory is refused.
    calibrate("tiny.toml")
        .arg("--out")
        .arg(&cut)
        .args(["--particles", "17", "--quiet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds a different calibration"));
}

#[test]
fn calibrate_refuses_bad_targets_before_running() {
    let dir = tempfile::tempdir().unwrap();
    calibrate("bad_metric.toml")
        .arg("--out")
        .arg(dir.path().join("c"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad_metric.toml:11:10: observation[1].metric: no metric",
        ));
    assert!(!dir.path().join("c").exists());
}

#[test]
fn nelder_mead_gives_a_point_inside_the_prior() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nm");
    calibrate("tiny.toml")
        .args([
            "--method",
            "nelder-mead",
            "--replicates",
            "1",
            "--max-simulations",
            "30",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("estimate.csv")).unwrap();
    let value: f64 = csv.lines().nth(1).unwrap().split(',').nth(1).unwrap().parse().unwrap();
    assert!((0.02..=0.6).contains(&value), "{csv}");
    sandan()
        .arg("validate")
        .arg(out.join("calibrated.toml"))
        .assert()
        .success();
}

#[test]
fn a_calibration_killed_mid_generation_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, killed) = (dir.path().join("whole"), dir.path().join("killed"));
    let args = |out: &Path| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sandan"));
        c.args([
            "calibrate",
            &fixture("tiny.toml"),
            "--targets",
            &fixture("targets/tiny.toml"),
        ])
        .args([
            "--particles",
            "24",
            "--replicates",
            "2",
            "--max-generations",
            "6",
            "--quiet",
            "--out",
        ])
        .arg(out);
        c
    };
    assert!(args(&whole).status().unwrap().success());
    // SIGKILL once the first generation is on disk (if the run is done by then,
    // the rerun below simply finds it finished).
    let mut child = args(&killed).spawn().unwrap();
    let gens = killed.join("generations.csv");
    while child.try_wait().unwrap().is_none() {
        if std::fs::read_to_string(&gens).is_ok_and(|g| g.lines().count() >= 2) {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.wait();
    assert!(args(&killed).status().unwrap().success());
    for f in CALIBRATION_FILES {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(killed.join(f)).unwrap(),
            "{f}"
        );
    }
}

/// Issue 13: impacts against a baseline. Two identical strategies have impacts of
/// exactly 0 and are better in no replicate; `--baseline` names the baseline, on
/// `run` and on `report`, and a name the run lacks is refused on one line.
#[test]
fn impacts_of_a_twin_are_zero_and_the_baseline_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("twins.toml");
    let text = std::fs::read_to_string(fixture("tiny.toml")).unwrap() + "\n[[strategy]]\nname = \"twin\"\n";
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    sandan()
        .args(["run", "-q", "--baseline", "twin", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .success();
    let (header, rows) = read_table(&out.join("impacts.csv"));
    assert_eq!(
        header.join(","),
        "strategy,baseline,year,metric,mean,p05,p50,p95,share_better"
    );
    let twin: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "no_program" && r[1] == "twin").collect();
    assert!(!twin.is_empty());
    for r in twin
        .iter()
        .filter(|r| r[3] != "cost_per_person_lifted" && r[3] != "probability_best")
    {
        assert_eq!((r[4].as_str(), r[8].as_str()), ("0", "0"), "{r:?}");
    }
    // No additional person out of poverty: the cost is NA, not a division by zero.
    assert!(
        twin.iter()
            .filter(|r| r[3] == "cost_per_person_lifted")
            .all(|r| r[4] == "NA")
    );
    // The report can measure against another strategy; an unknown one is refused.
    sandan()
        .arg("report")
        .arg(&out)
        .args(["-q", "--baseline", "full_dibao"])
        .assert()
        .success();
    let (_, rows) = read_table(&out.join("impacts.csv"));
    assert!(rows.iter().all(|r| r[1] == "full_dibao" || r[3] == "probability_best"));
    let refused = sandan()
        .args(["run", "-q", "--baseline", "nope", "--out"])
        .arg(dir.path().join("never"))
        .arg(&scenario)
        .assert()
        .code(2);
    let err = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no strategy 'nope'"), "{err}");
    assert!(!dir.path().join("never").exists());
}

#[test]
fn issue16_a_run_removes_only_temporaries_of_dead_processes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Above Linux's largest pid (2^22): no live process has it.
    let dead = out.join(".households.csv.part0.4194305.tmp");
    let alive = out.join(format!(".trajectories.csv.{}.tmp", std::process::id()));
    let other = out.join(".notes.tmp");
    for p in [&dead, &alive, &other] {
        std::fs::write(p, b"x").unwrap();
    }
    run_tiny(&out, &["--replicates", "1", "--quiet"]);
    assert_eq!(dead.exists(), !cfg!(target_os = "linux"));
    assert!(alive.exists() && other.exists());
}

/// A scenario file in `dir`: tiny.toml with `extra` lines after its header.
fn tiny_with(dir: &Path, name: &str, extra: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("tiny.toml")).unwrap();
    let (head, tail) = text.split_once("[population]").unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("{head}{extra}\n[population]{tail}")).unwrap();
    path
}

/// `args` exit 2 with one line on stderr that contains each of `needles`, and
/// `out` is never created.
fn refused(args: &[&std::ffi::OsStr], out: &Path, needles: &[&str]) {
    let o = sandan()
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{n}: {stderr}");
    }
    assert!(!out.exists());
}

#[test]
fn issue16_a_run_too_large_for_the_memory_limit_is_refused_naming_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let os = |s: &str| std::ffi::OsString::from(s);
    let big = tiny_with(dir.path(), "big.toml", "");
    let text = std::fs::read_to_string(&big)
        .unwrap()
        .replace("households = 60", "households = 200000");
    std::fs::write(&big, text).unwrap();
    let run = |path: &Path, limit: &str| vec![os("run"), path.as_os_str().to_owned(), os("--max-memory"), os(limit)];
    let args = run(&big, "20M");
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    refused(
        &args,
        &out,
        &[
            "big.toml:12:1: the run needs about",
            "limit of 20.0 MiB (--max-memory)",
            "200040 households (village.households × village.count)",
        ],
    );
    let reps = fixture("tiny.toml");
    let args = [
        os("run"),
        os(&reps),
        os("--replicates"),
        os("100000"),
        os("--max-memory"),
        os("1G"),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    refused(
        &args,
        &out,
        &[
            "tiny.toml:6:14: the run needs about 2.7 GiB",
            "600000 result rows (replicates 100000 × 3 years",
        ],
    );
    let members = tiny_with(
        dir.path(),
        "members.toml",
        "[[program.member_kind]]\nname = \"m\"\nper_village = 10000\ncapacity = 1\nskill_share = 0.5\nskill = { mean = 0.5, sd = 0.1 }\nspare_time = { mean = 0.5, sd = 0.1 }\neffectiveness = { mean = 0.5, sd = 0.1 }\n",
    );
    let args = run(&members, "16.5M");
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    refused(
        &args,
        &out,
        &["20000 party members (program.member_kind.per_village × villages)"],
    );
    // The same runs within the limit the machine gives start (the first one runs).
    run_tiny(&out, &["--replicates", "1", "--quiet", "--max-memory", "1G"]);
    sandan().args(["run", "--max-memory", "8X"]).assert().code(2);
}

#[test]
fn issue16_a_sweep_too_large_is_refused_and_a_bad_grid_value_is_found_fast() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let os = |s: &str| std::ffi::OsString::from(s);
    let tiny = fixture("tiny.toml");
    let grid = fixture("sweep_grid.toml");
    let args = [
        os("sweep"),
        os(&tiny),
        os("--design"),
        os(&grid),
        os("--max-memory"),
        os("16M"),
        os("--quiet"),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    refused(
        &args,
        &out,
        &[
            "sweep_grid.toml: the sweep needs about",
            "limit of 16.0 MiB (--max-memory)",
        ],
    );
    // A million points whose bad value is the last of the first key: found among
    // the grid's 2,000 one-value points, not after a million.
    let first: Vec<String> = (0..999)
        .map(|i| format!("{}", 0.0005 * f64::from(i)))
        .chain(["2.0".into()])
        .collect();
    let second: Vec<String> = (0..1000).map(|i| format!("{}", 0.3 + 0.0001 * f64::from(i))).collect();
    let design = dir.path().join("million.toml");
    std::fs::write(
        &design,
        format!(
            "replicates = 1\nprecedence = \"strategy\"\n[grid]\n\"dibao.take_up_other\" = [{}]\n\"dibao.take_up_registered\" = [{}]\n",
            first.join(", "),
            second.join(", ")
        ),
    )
    .unwrap();
    let args = [os("sweep"), os(&tiny), os("--design"), design.as_os_str().to_owned()];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    refused(
        &args,
        &out,
        &[
            "million.toml: point 999000 (dibao.take_up_other = 2, ",
            "must be between 0 and 1, got 2",
        ],
    );
}

/// Issue 12: a generation's slots computed as shards (as a Slurm array runs them)
/// and merged give the same files, byte for byte, as one machine.
#[test]
fn a_calibration_in_shards_merges_to_the_same_bytes_as_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, sharded) = (dir.path().join("whole"), dir.path().join("sharded"));
    calibrate_tiny(&whole, &[]);
    let shards = 3;
    for generation in 0..3 {
        // Shards in any order; one run twice, as a requeued task would.
        for k in [2, 0, 1, 2] {
            calibrate_tiny(&sharded, &["--shard", &format!("{k}/{shards}")]);
        }
        assert!(sharded.join(format!("shard-{generation}-1-of-3.csv")).exists());
        if generation == 1 {
            // A merge with a shard missing is refused, and changes nothing.
            let missing = sharded.join("shard-1-1-of-3.csv");
            let kept = std::fs::read(&missing).unwrap();
            std::fs::remove_file(&missing).unwrap();
            calibrate("tiny.toml")
                .args(SMALL_CALIBRATION)
                .args(["--merge", "3", "--out"])
                .arg(&sharded)
                .assert()
                .code(2)
                .stderr(predicate::str::contains("shard-1-1-of-3.csv"))
                .stderr(predicate::str::contains("--shard K/3"));
            std::fs::write(&missing, kept).unwrap();
        }
        calibrate_tiny(&sharded, &["--merge", "3"]);
        let generations = std::fs::read_to_string(sharded.join("generations.csv")).unwrap();
        assert_eq!(generations.lines().count(), 2 + generation);
        assert!(!sharded.join(format!("shard-{generation}-0-of-3.csv")).exists());
        // The results are written once, when the calibration stops.
        assert_eq!(sharded.join("calibrated.toml").exists(), generation == 2);
    }
    for f in CALIBRATION_FILES {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(sharded.join(f)).unwrap(),
            "{f}"
        );
    }
    // A stopped calibration has nothing left for a shard to do.
    calibrate_tiny(&sharded, &["--shard", "0/3"]);
    assert!(!sharded.join("shard-3-0-of-3.csv").exists());
}

/// Issue 13: a budget nobody can spend is flagged in `budget.csv`'s share, the
/// terminal and the report, with the reason the model knows; a looser
/// `--flag-unspent` lets it pass. The terminal ends with where to look.
#[test]
fn issue13_a_budget_nobody_can_spend_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = sandan()
        .args(["run", &fixture("unspent.toml"), "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(run.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("Budget left unspent (more than 10%"), "{stdout}");
    assert!(
        stdout.contains("three_order spent 0% of its program budget, leaving 100% unspent (more than 10%): too few households ordered"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().last().unwrap(),
        format!("open {}", out.join("report.html").display())
    );
    let (header, rows) = read_table(&out.join("budget.csv"));
    let share = header.iter().position(|h| h == "share_used").unwrap();
    let available = header.iter().position(|h| h == "budget_available").unwrap();
    let program: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "three_order").collect();
    assert_eq!(program.len(), 2, "one row per simulated year");
    for r in program {
        assert_eq!(r[available], "50000000");
        assert!(r[share].parse::<f64>().unwrap() < 0.01, "{r:?}");
    }
    assert!(rows.iter().filter(|r| r[0] == "no_program").all(|r| r[share] == "NA"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"budget-flags\""));
    // Every share may be left unspent: nothing is flagged; a share above 1 is refused.
    let report = sandan()
        .arg("report")
        .arg(&out)
        .args(["--flag-unspent", "1", "--out"])
        .arg(dir.path().join("lenient"))
        .assert()
        .success();
    let stdout = String::from_utf8(report.get_output().stdout.clone()).unwrap();
    assert!(!stdout.contains("Budget left unspent"), "{stdout}");
    let html = std::fs::read_to_string(dir.path().join("lenient/report.html")).unwrap();
    assert!(!html.contains("id=\"budget-flags\""));
    sandan()
        .arg("report")
        .arg(&out)
        .args(["--flag-unspent", "1.5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must be a share between 0 and 1, got 1.5"));
}

/// Issue 13: each command's help shows an example, and those that take a scenario
/// point to the template that lists every key.
#[test]
fn issue13_help_shows_examples_and_the_template() {
    for (command, template) in [
        ("run", true),
        ("report", false),
        ("validate", true),
        ("sweep", true),
        ("merge", false),
    ] {
        let out = sandan().args([command, "--help"]).assert().success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(text.contains(&format!("  sandan {command}")), "{command}: {text}");
        assert_eq!(text.contains("scenarios/template.toml"), template, "{command}: {text}");
    }
}
