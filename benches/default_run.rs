//! `cargo bench --bench default_run`: the whole default run's simulations, as
//! `cargo run --release` runs them: the embedded Suiyang-like county (84,200
//! households × 6 strategies × 20 replicates × 2016–2020), every simulation with
//! the groups of who gains, on all cores (the default `--threads`). The scenario
//! is parsed once before timing (its income fit, about 0.1 s, is done once per
//! process), and no file is written: `/usr/bin/time sandan run` measures the
//! whole command with its tables, charts and report (README, Performance).
//! Slow by design (one iteration is the whole run).

use criterion::{Criterion, Throughput};
use sandan::{engine, scenario};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let s = scenario::parse(scenario::DEFAULT_SCENARIO, scenario::DEFAULT_ORIGIN, "suiyang")
        .expect("the embedded default is valid");
    let households = s.strategies[0].model.household_count() as u64;
    let years = s.simulated_years().count() as u64;
    let sims = s.strategies.len() as u64 * u64::from(s.replicates);
    let mut group = c.benchmark_group("default_run");
    group.sample_size(10).measurement_time(Duration::from_secs(1));
    // Household-years stepped (the baseline years are synthesised, not stepped).
    group.throughput(Throughput::Elements(households * years * sims));
    group.bench_function("suiyang_simulations", |b| {
        b.iter(|| engine::run_recording(&s, None, &|| {}))
    });
    group.finish();
}

fn main() {
    // No plots: criterion would look for system fonts, which these machines lack.
    let mut c = Criterion::default().without_plots().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
