//! `manifest.json`: what is needed to reproduce a run and to tell runs apart.

use super::{OutputError, RunInfo};
use crate::scenario::Scenario;
use serde::Serialize;

#[derive(Serialize)]
struct Manifest<'a> {
    sandan_version: &'a str,
    scenario_name: &'a str,
    scenario_path: &'a str,
    scenario_hash: &'a str,
    seed: u64,
    replicates: u32,
    start_year: i32,
    end_year: i32,
    strategies: Vec<&'a str>,
    households: usize,
    threads: usize,
    wall_seconds: f64,
    command: &'a str,
}

pub fn manifest_json(scenario: &Scenario, info: &RunInfo) -> Result<Vec<u8>, OutputError> {
    let m = Manifest {
        sandan_version: env!("CARGO_PKG_VERSION"),
        scenario_name: &scenario.name,
        scenario_path: &info.scenario_path,
        scenario_hash: &info.scenario_hash,
        seed: scenario.seed,
        replicates: scenario.replicates,
        start_year: scenario.start_year,
        end_year: scenario.end_year,
        strategies: scenario.strategies.iter().map(|s| s.name.as_str()).collect(),
        households: scenario
            .strategies
            .first()
            .map(|s| s.model.household_count())
            .unwrap_or(0),
        threads: info.threads,
        wall_seconds: (info.wall_seconds * 1000.0).round() / 1000.0,
        command: &info.command,
    };
    let mut bytes = serde_json::to_vec_pretty(&m).map_err(|e| OutputError::Format {
        what: "manifest.json".into(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
