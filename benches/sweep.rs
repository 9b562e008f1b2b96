//! `cargo bench --bench sweep`: runs per second of a parameter sweep, and its peak
//! heap memory, on a 1,000-household county (issue 6).
//!
//! A sweep must keep memory bounded whatever its size: runs are written to disk as
//! they finish and dropped. We check that by comparing the peak heap above the
//! starting level for a 200-run and a 1,000-run sweep of the same scenario — they
//! should be about equal — with a counting global allocator (exact, unlike RSS).

use criterion::{Criterion, Throughput};
use sandan::scenario;
use sandan::sweep::{self, Plan, Quiet, store::Shard};
use std::time::{Duration, Instant};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

const SCENARIO: &str = "name = \"bench\"\nstart_year = 2016\nend_year = 2020\nseed = 1\n[[village]]\nname = \"v\"\nhouseholds = 1000\nstarting_incidence = 0.2\n";

/// A sweep of `points` × 20 replicates over dibao take-up.
fn plan(points: usize) -> Plan {
    let values: Vec<String> = (0..points).map(|i| format!("{}", i as f64 / points as f64)).collect();
    let design = format!(
        "replicates = 20\n[grid]\n\"dibao.take_up_other\" = [{}]\n",
        values.join(", ")
    );
    let base = scenario::parse(SCENARIO, "bench.toml", "bench").expect("bench scenario is valid");
    Plan::new(&base, SCENARIO, "bench.toml", "bench", &design, "bench-design.toml").expect("bench design is valid")
}

/// Run a sweep into a fresh directory; return (seconds, peak heap bytes above the start).
fn measured(plan: &Plan) -> (f64, isize) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let before = counting_alloc::live();
    counting_alloc::reset_peak();
    let t = Instant::now();
    sweep::execute(plan, dir.path(), Shard::WHOLE, &Quiet).expect("sweep runs");
    let secs = t.elapsed().as_secs_f64();
    (secs, counting_alloc::peak() - before)
}

fn main() {
    let (small, large) = (plan(10), plan(50));
    let (_, peak_small) = measured(&small);
    let (secs, peak_large) = measured(&large);
    println!(
        "sweep: 1000 runs of 1000 households × 5 years in {secs:.2} s = {:.0} runs/s on {} threads",
        1000.0 / secs,
        rayon::current_num_threads()
    );
    println!(
        "sweep: peak heap above start {:.0} KiB for 200 runs, {:.0} KiB for 1000 runs (ratio {:.2})",
        peak_small as f64 / 1024.0,
        peak_large as f64 / 1024.0,
        peak_large as f64 / peak_small.max(1) as f64
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("sweep: process {hwm}");
    }
    // No criterion plots: they need system fonts, which CI machines lack.
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("sweep");
    group.throughput(Throughput::Elements(1000));
    group.sample_size(10).measurement_time(Duration::from_secs(15));
    group.bench_function("1000_runs_of_1000_households", |b| b.iter(|| measured(&large)));
    group.finish();
    c.final_summary();
}
