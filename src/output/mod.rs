//! Turning results into files. Each exporter turns results into bytes (and so is
//! testable without a disk); [`write_run`] is the one place that writes them, each
//! atomically: to a temporary file in the same directory, then renamed, so that an
//! interrupted run never leaves a half-written file under a final name.

pub mod manifest;
pub mod plot;
pub mod table;
pub mod tables;

use crate::engine::RunRecord;
use crate::scenario::Scenario;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot draw {what}: {message}")]
    Plot { what: String, message: String },
    #[error("cannot format {what}: {message}")]
    Format { what: String, message: String },
}

/// Write `bytes` to `path` atomically (temporary file in the same directory, flushed
/// to disk, then renamed over the final name).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let io = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Everything about a run that the manifest records besides the results.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub scenario_path: String,
    pub scenario_hash: String,
    pub threads: usize,
    pub wall_seconds: f64,
    pub command: String,
}

/// The files of a finished run, as bytes, keyed by file name.
pub fn render_run(
    scenario: &Scenario,
    records: &[RunRecord],
    info: &RunInfo,
) -> Result<Vec<(&'static str, Vec<u8>)>, OutputError> {
    let summary = tables::summarise(scenario, records);
    Ok(vec![
        ("trajectories.csv", tables::trajectories_csv(scenario, records)?),
        ("summary.csv", tables::summary_csv(&summary)?),
        ("incidence.png", plot::incidence_png(scenario, &summary)?),
        ("manifest.json", manifest::manifest_json(scenario, info)?),
    ])
}

/// Render and write a run's files into `dir` (created if needed). Returns the paths.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    records: &[RunRecord],
    info: &RunInfo,
) -> Result<Vec<PathBuf>, OutputError> {
    let files = render_run(scenario, records, info)?;
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
    }

    #[test]
    fn atomic_write_into_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing").join("a.csv");
        let e = write_atomic(&p, b"x").unwrap_err();
        assert!(e.to_string().contains("a.csv"));
    }
}
