//! `manifest.json`: what is needed to reproduce a run and to tell runs apart, and what
//! `sandan report` needs, besides the CSV files, to rebuild the plots and the report
//! (the scenario's description, its strategies' descriptions, its size).

use super::{OutputError, RunInfo};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// A strategy as the report names and describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyInfo {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// The manifest as written and read back. Fields added after the first version have
/// defaults, so that older runs can still be reported on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub sandan_version: String,
    pub scenario_name: String,
    pub scenario_path: String,
    pub scenario_hash: String,
    pub seed: u64,
    pub replicates: u32,
    pub start_year: i32,
    pub end_year: i32,
    pub strategies: Vec<String>,
    pub households: usize,
    pub threads: usize,
    pub wall_seconds: f64,
    pub command: String,
    #[serde(default)]
    pub scenario_description: String,
    #[serde(default)]
    pub villages: usize,
    #[serde(default)]
    pub strategy_details: Vec<StrategyInfo>,
    /// The CSV tables the run wrote (`households.csv` only when asked for).
    #[serde(default)]
    pub tables: Vec<String>,
    /// The strategy impacts are measured against, when the scenario or `--baseline`
    /// named one ("" for the default rule: `no_program`, else the first).
    #[serde(default)]
    pub baseline: String,
}

impl Manifest {
    pub fn of(scenario: &Scenario, info: &RunInfo) -> Manifest {
        let model = scenario.strategies.first().map(|s| &s.model);
        Manifest {
            sandan_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_name: scenario.name.clone(),
            scenario_path: info.scenario_path.clone(),
            scenario_hash: info.scenario_hash.clone(),
            seed: scenario.seed,
            replicates: scenario.replicates,
            start_year: scenario.start_year,
            end_year: scenario.end_year,
            strategies: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
            households: model.map(|m| m.household_count()).unwrap_or(0),
            threads: info.threads,
            wall_seconds: (info.wall_seconds * 1000.0).round() / 1000.0,
            command: info.command.clone(),
            scenario_description: scenario.description.clone(),
            villages: model.map(|m| m.villages.len()).unwrap_or(0),
            strategy_details: scenario
                .strategies
                .iter()
                .map(|s| StrategyInfo {
                    name: s.name.clone(),
                    description: s.description.clone(),
                })
                .collect(),
            tables: vec![
                "trajectories.csv".to_string(),
                "summary.csv".to_string(),
                super::impacts::FILE.to_string(),
                super::budget::FILE.to_string(),
            ],
            baseline: scenario.baseline.clone().unwrap_or_default(),
        }
    }

    /// Read a manifest back from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// A strategy's description, if the manifest has one.
    pub fn description_of(&self, strategy: &str) -> &str {
        self.strategy_details
            .iter()
            .find(|s| s.name == strategy)
            .map_or("", |s| s.description.as_str())
    }
}

pub fn manifest_json(manifest: &Manifest) -> Result<Vec<u8>, OutputError> {
    let mut bytes = serde_json::to_vec_pretty(manifest).map_err(|e| OutputError::Format {
        what: "manifest.json".into(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_manifest_without_the_report_fields_still_reads() {
        let old = r#"{"sandan_version":"0.1.0","scenario_name":"x","scenario_path":"p","scenario_hash":"h",
            "seed":1,"replicates":2,"start_year":2016,"end_year":2018,"strategies":["a"],"households":5,
            "threads":1,"wall_seconds":0.1,"command":"sandan run"}"#;
        let m = Manifest::from_json(old.as_bytes()).unwrap();
        assert_eq!(m.villages, 0);
        assert!(m.tables.is_empty());
        assert_eq!(m.description_of("a"), "");
        assert!(Manifest::from_json(b"{").is_err());
    }
}
