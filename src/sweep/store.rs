//! The on-disk state of a sweep, built so that it can be killed at any instant and
//! resumed.
//!
//! A sweep directory holds:
//! * `sweep.json` — what is being run (design and scenario hashes, shard, metrics);
//!   written once, atomically, before any run, and compared on every restart;
//! * `results.csv` — the tidy rows, appended one complete run block at a time as
//!   runs finish, so that it is a plain CSV a researcher can read mid-sweep;
//! * `progress.log` — one line per completed run: `run end_offset block_hash`.
//!
//! Rows are written and fsync'd *before* their progress lines, which are then
//! fsync'd, so a progress line never names bytes that might not be on disk. On a
//! restart we keep the longest prefix of progress lines whose blocks are intact
//! (hash checked), truncate both files to it — dropping a torn tail from a crash —
//! and run the runs it does not name. Runs finish in any order; when all are done
//! both files are rewritten in run order ([`Store::finish`]), so a finished
//! directory does not depend on threads, kills or timing.

use super::SweepError;
use crate::output::write_atomic;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "sweep.json";
pub const RESULTS: &str = "results.csv";
pub const PROGRESS: &str = "progress.log";
/// Held (an advisory lock) while a process writes the directory.
pub const LOCK: &str = ".lock";

/// A deterministic K-th of N parts of a sweep: a contiguous range of run indices,
/// so that the shards' results concatenated in shard order are the whole sweep's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parse `K/N` with 0 ≤ K < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard takes K/N with 0 ≤ K < N (e.g. 0/4), got '{text}'");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// This shard's runs among `total`: `[start, end)`.
    pub fn range(&self, total: u64) -> (u64, u64) {
        let at = |k: u64| ((u128::from(total) * u128::from(k)) / u128::from(self.count)) as u64;
        (at(u64::from(self.index)), at(u64::from(self.index) + 1))
    }
}

/// How a sweep seeds its runs (see [`super::Plan::run_seed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seeding {
    /// Replicate r has the same seed at every point (common random numbers).
    Common,
    /// Every (point, replicate) has its own seed.
    PerRun,
}

impl Seeding {
    fn per_run() -> Seeding {
        Seeding::PerRun
    }
}

/// What a sweep directory holds; a restart must match it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub sandan_version: String,
    pub scenario_file: String,
    pub scenario_hash: String,
    pub design_file: String,
    pub design_hash: String,
    pub method: String,
    pub parameters: Vec<String>,
    pub points: u64,
    pub replicates: u32,
    pub strategies: Vec<String>,
    pub seed: u64,
    /// How runs are seeded; directories from before common random numbers were
    /// seeded per run.
    #[serde(default = "Seeding::per_run")]
    pub seeding: Seeding,
    pub metrics: Vec<String>,
    pub shard: Shard,
    /// This directory's runs: `[start, end)` of the sweep's run indices.
    pub runs: (u64, u64),
    /// A Morris or Sobol design's analysis (absent for other designs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<super::design::Sensitivity>,
}

impl Manifest {
    /// Why `other` is not the same sweep as `self`, if it is not. File paths may
    /// differ (a sweep can be resumed from another directory); contents may not.
    pub fn same_sweep(&self, other: &Manifest) -> Option<String> {
        let differ = |what: &str, a: &dyn std::fmt::Display, b: &dyn std::fmt::Display| {
            Some(format!("the {what} changed ({a} then, {b} now)"))
        };
        if self.design_hash != other.design_hash {
            return differ("design", &self.design_hash, &other.design_hash);
        }
        if self.scenario_hash != other.scenario_hash {
            return differ("scenario", &self.scenario_hash, &other.scenario_hash);
        }
        if self.sandan_version != other.sandan_version || self.metrics != other.metrics {
            return differ(
                "sandan version or its metrics",
                &self.sandan_version,
                &other.sandan_version,
            );
        }
        let shape = |m: &Manifest| {
            (
                m.method.clone(),
                m.parameters.clone(),
                m.points,
                m.replicates,
                m.strategies.clone(),
                m.seed,
                m.seeding,
            )
        };
        if shape(self) != shape(other) {
            return Some("the sweep's points, replicates, strategies or seed changed".to_string());
        }
        None
    }

    /// Why `other` (the sweep being started) cannot continue in a directory made for
    /// `self`, if it cannot.
    pub fn mismatch(&self, other: &Manifest) -> Option<String> {
        self.same_sweep(other).or_else(|| {
            (self.shard != other.shard || self.runs != other.runs).then(|| {
                format!(
                    "the shard changed ({}/{} then, {}/{} now)",
                    self.shard.index, self.shard.count, other.shard.index, other.shard.count
                )
            })
        })
    }

    pub fn read(dir: &Path) -> Result<Manifest, SweepError> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| SweepError::Damaged(format!("{}: not a sweep manifest: {e}", path.display())))
    }
}

pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// FNV-1a 64 of a run block, to recognise a block torn or altered after its record.
pub fn block_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// One line of `progress.log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub run: u64,
    pub end: u64,
    pub hash: u64,
}

impl Record {
    pub fn line(&self) -> String {
        format!("{} {} {:016x}\n", self.run, self.end, self.hash)
    }

    fn parse(line: &str) -> Option<Record> {
        let mut it = line.split(' ');
        let r = Record {
            run: it.next()?.parse().ok()?,
            end: it.next()?.parse().ok()?,
            hash: u64::from_str_radix(it.next()?, 16).ok()?,
        };
        it.next().is_none().then_some(r)
    }
}

/// The intact completed runs of a directory: the longest prefix of progress records
/// that are well formed, name distinct runs of `runs` (`[start, end)`), follow each
/// other in `results.csv`, and whose blocks hash right. Records are in the order
/// the runs finished, which a finished directory puts back into run order
/// ([`Store::finish`]). Returns the records and the byte length of `results.csv`
/// they cover.
pub fn intact(dir: &Path, header: &[u8], runs: (u64, u64)) -> Result<(Vec<Record>, u64), SweepError> {
    let results_path = dir.join(RESULTS);
    let mut results = match File::open(&results_path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(io(&results_path)(e)),
    };
    let mut head = vec![0u8; header.len()];
    if results.read_exact(&mut head).is_err() || head != header {
        return Ok((Vec::new(), 0));
    }
    let progress_path = dir.join(PROGRESS);
    let text = match std::fs::read(&progress_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(&progress_path)(e)),
    };
    let mut reader = BufReader::new(results);
    let mut records = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut at = header.len() as u64;
    let mut block = Vec::new();
    for raw in text.split_inclusive(|&b| b == b'\n') {
        let Some(r) = raw
            .strip_suffix(b"\n")
            .and_then(|l| std::str::from_utf8(l).ok())
            .and_then(Record::parse)
        else {
            break;
        };
        if !(runs.0..runs.1).contains(&r.run) || seen.contains(&r.run) || r.end <= at || r.end - at > (1 << 30) {
            break;
        }
        block.resize((r.end - at) as usize, 0);
        if reader.read_exact(&mut block).is_err() || block_hash(&block) != r.hash {
            break;
        }
        at = r.end;
        seen.insert(r.run);
        records.push(r);
    }
    Ok((records, at))
}

/// An open sweep directory, appending completed runs as they finish.
pub struct Store {
    dir: PathBuf,
    /// Keeps the directory's lock until the store is dropped (or the process dies).
    _lock: File,
    results: File,
    progress: File,
    end: u64,
    /// This directory's runs, `[start, end)`.
    runs: (u64, u64),
    header_len: u64,
    /// The completion records, in the order the runs finished.
    records: Vec<Record>,
}

impl Store {
    /// Open `dir` for `manifest`: start it if new, or resume it — refusing if it was
    /// started for a different sweep — after cutting off any torn tail.
    /// [`Store::pending`] tells which runs remain.
    pub fn open(dir: &Path, manifest: &Manifest, header: &[u8]) -> Result<Store, SweepError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lock_path = dir.join(LOCK);
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(SweepError::Busy(dir.to_path_buf()));
        }
        let manifest_path = dir.join(MANIFEST);
        let (records, end) = if manifest_path.exists() {
            let old = Manifest::read(dir)?;
            if let Some(why) = old.mismatch(manifest) {
                return Err(SweepError::Mismatch {
                    dir: dir.to_path_buf(),
                    why,
                });
            }
            intact(dir, header, manifest.runs)?
        } else {
            (Vec::new(), 0)
        };
        let results_path = dir.join(RESULTS);
        let progress_path = dir.join(PROGRESS);
        let end = if end == 0 {
            // Nothing usable yet: start both files afresh.
            write_atomic(&results_path, header)?;
            write_atomic(&progress_path, b"")?;
            header.len() as u64
        } else {
            let lines: String = records.iter().map(Record::line).collect();
            write_atomic(&progress_path, lines.as_bytes())?;
            let f = OpenOptions::new()
                .write(true)
                .open(&results_path)
                .map_err(io(&results_path))?;
            f.set_len(end).map_err(io(&results_path))?;
            f.sync_all().map_err(io(&results_path))?;
            end
        };
        if !manifest_path.exists() {
            let json = serde_json::to_vec_pretty(manifest).map_err(|e| SweepError::Damaged(e.to_string()))?;
            write_atomic(&manifest_path, &json)?;
        }
        sync_dir(dir);
        let mut results = OpenOptions::new()
            .write(true)
            .open(&results_path)
            .map_err(io(&results_path))?;
        results.seek(SeekFrom::Start(end)).map_err(io(&results_path))?;
        let progress = OpenOptions::new()
            .append(true)
            .open(&progress_path)
            .map_err(io(&progress_path))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            _lock: lock,
            results,
            progress,
            end,
            runs: manifest.runs,
            header_len: header.len() as u64,
            records,
        })
    }

    /// The runs not yet completed, in run order.
    pub fn pending(&self) -> Vec<u64> {
        let done: std::collections::HashSet<u64> = self.records.iter().map(|r| r.run).collect();
        (self.runs.0..self.runs.1).filter(|r| !done.contains(r)).collect()
    }

    /// How many runs are complete.
    pub fn done(&self) -> u64 {
        self.records.len() as u64
    }

    /// Append the blocks of finished runs `(run, rows)`, in any order, and make them
    /// durable: rows first, then their completion records.
    pub fn append(&mut self, blocks: &[(u64, Vec<u8>)]) -> Result<(), SweepError> {
        let rp = self.dir.join(RESULTS);
        let pp = self.dir.join(PROGRESS);
        let mut lines = String::new();
        for (run, b) in blocks {
            self.results.write_all(b).map_err(io(&rp))?;
            self.end += b.len() as u64;
            let r = Record {
                run: *run,
                end: self.end,
                hash: block_hash(b),
            };
            lines.push_str(&r.line());
            self.records.push(r);
        }
        self.results.sync_data().map_err(io(&rp))?;
        self.progress.write_all(lines.as_bytes()).map_err(io(&pp))?;
        self.progress.sync_data().map_err(io(&pp))
    }

    /// Once every run is complete, put `results.csv` and `progress.log` in run order
    /// (a no-op if they already are), so that a finished directory is the same bytes
    /// whatever order the runs finished in. Each file is replaced atomically; a kill
    /// between the two renames leaves records that no longer match the rows, which
    /// the next [`Store::open`] cuts off and runs again.
    pub fn finish(self) -> Result<(), SweepError> {
        let want = self.runs.1 - self.runs.0;
        if self.records.len() as u64 != want {
            return Err(SweepError::Internal(format!(
                "{}: {} of {want} runs complete at the end of the sweep",
                self.dir.display(),
                self.records.len()
            )));
        }
        if self.records.windows(2).all(|w| w[0].run < w[1].run) {
            return Ok(());
        }
        // Each record's block runs from the previous record's end (the header's, first).
        let mut spans: Vec<(u64, u64, u64)> = Vec::with_capacity(self.records.len());
        let mut from = self.header_len;
        for r in &self.records {
            spans.push((r.run, from, r.end));
            from = r.end;
        }
        spans.sort_unstable();
        let rp = self.dir.join(RESULTS);
        let mut reader = File::open(&rp).map_err(io(&rp))?;
        let mut ordered = Vec::with_capacity(spans.len());
        let mut at = self.header_len;
        crate::output::write_atomic_with(&rp, |out| {
            let mut head = vec![0u8; self.header_len as usize];
            reader.read_exact(&mut head)?;
            out.write_all(&head)?;
            let mut block = Vec::new();
            for &(run, a, b) in &spans {
                block.resize((b - a) as usize, 0);
                reader.seek(SeekFrom::Start(a))?;
                reader.read_exact(&mut block)?;
                out.write_all(&block)?;
                at += b - a;
                ordered.push(Record {
                    run,
                    end: at,
                    hash: block_hash(&block),
                });
            }
            Ok(())
        })?;
        let lines: String = ordered.iter().map(Record::line).collect();
        write_atomic(&self.dir.join(PROGRESS), lines.as_bytes())?;
        sync_dir(&self.dir);
        Ok(())
    }
}

/// Make a rename or a new file in `dir` durable (best effort: not every platform
/// lets a directory be opened).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Read the progress records of a finished directory, checked against its results.
pub fn complete_records(dir: &Path, manifest: &Manifest, header: &[u8]) -> Result<Vec<Record>, SweepError> {
    let (records, _) = intact(dir, header, manifest.runs)?;
    let want = manifest.runs.1 - manifest.runs.0;
    let in_order = records.iter().map(|r| r.run).eq(manifest.runs.0..manifest.runs.1);
    if !in_order {
        return Err(SweepError::Merge(format!(
            "{} is not finished: {} of its {want} runs are complete (run the same sweep command again to finish it)",
            dir.display(),
            records.len()
        )));
    }
    Ok(records)
}

/// Lines of a CSV stream, for readers that only need them whole.
pub fn lines(path: &Path) -> Result<impl Iterator<Item = std::io::Result<String>>, SweepError> {
    Ok(BufReader::new(File::open(path).map_err(io(path))?).lines())
}

/// A finished sweep's `results.csv`, opened: its path, a reader past the header, and
/// the header's names (for [`column`]).
pub(crate) fn open_results(dir: &Path) -> Result<(PathBuf, csv::Reader<std::fs::File>, Vec<String>), SweepError> {
    let path = dir.join(RESULTS);
    let mut reader = csv::Reader::from_path(&path).map_err(|e| damaged(&path, e.to_string()))?;
    let header = reader
        .headers()
        .map_err(|e| damaged(&path, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    Ok((path, reader, header))
}

/// The position of column `name` in `header`, or why `path` is damaged.
pub(crate) fn column(header: &[String], name: &str, path: &Path) -> Result<usize, SweepError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| damaged(path, format!("no column '{name}'")))
}

/// A damaged sweep file, named.
pub(crate) fn damaged(path: &Path, message: String) -> SweepError {
    SweepError::Damaged(format!("{}: {message}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        for total in [0u64, 1, 7, 100] {
            for n in 1..6 {
                let mut next = 0;
                for k in 0..n {
                    let (a, b) = Shard { index: k, count: n }.range(total);
                    assert_eq!(a, next);
                    next = b;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        for bad in ["4/4", "1", "a/b", "0/0"] {
            assert!(Shard::parse(bad).unwrap_err().contains("K/N"));
        }
    }

    fn manifest() -> Manifest {
        Manifest {
            sandan_version: "t".into(),
            scenario_file: "s".into(),
            scenario_hash: "h1".into(),
            design_file: "d".into(),
            design_hash: "h2".into(),
            method: "grid".into(),
            parameters: vec!["a".into()],
            points: 2,
            replicates: 2,
            strategies: vec!["x".into()],
            seed: 1,
            seeding: Seeding::Common,
            metrics: vec!["m".into()],
            shard: Shard::WHOLE,
            runs: (0, 4),
            sensitivity: None,
        }
    }

    #[test]
    fn torn_tails_are_cut_and_the_run_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest();
        let mut s = Store::open(dir.path(), &m, b"h\n").unwrap();
        s.append(&[(0, b"r0\n".to_vec()), (1, b"r1\n".to_vec())]).unwrap();
        drop(s);
        // A crash mid-way through run 2: rows half written, a record half written.
        let mut f = OpenOptions::new().append(true).open(dir.path().join(RESULTS)).unwrap();
        f.write_all(b"r2 partial").unwrap();
        let mut p = OpenOptions::new().append(true).open(dir.path().join(PROGRESS)).unwrap();
        p.write_all(b"2 17").unwrap();
        let mut s = Store::open(dir.path(), &m, b"h\n").unwrap();
        assert_eq!(s.pending(), [2, 3]);
        s.append(&[(2, b"r2\n".to_vec()), (3, b"r3\n".to_vec())]).unwrap();
        assert_eq!(std::fs::read(dir.path().join(RESULTS)).unwrap(), b"h\nr0\nr1\nr2\nr3\n");
        let (records, _) = intact(dir.path(), b"h\n", (0, 4)).unwrap();
        assert_eq!(records.len(), 4);
    }

    #[test]
    fn a_record_whose_block_is_damaged_is_redone() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest();
        let mut s = Store::open(dir.path(), &m, b"h\n").unwrap();
        s.append(&[(0, b"r0\n".to_vec()), (1, b"r1\n".to_vec())]).unwrap();
        drop(s);
        // Power loss after the record but with the block's bytes lost (as if unsynced).
        let f = OpenOptions::new().write(true).open(dir.path().join(RESULTS)).unwrap();
        f.set_len(6).unwrap();
        let s = Store::open(dir.path(), &m, b"h\n").unwrap();
        assert_eq!(s.pending(), [1, 2, 3]);
        assert_eq!(std::fs::read(dir.path().join(RESULTS)).unwrap(), b"h\nr0\n");
    }

    #[test]
    fn issue15_runs_recorded_out_of_order_resume_and_finish_in_run_order() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest();
        let mut s = Store::open(dir.path(), &m, b"h\n").unwrap();
        s.append(&[(2, b"r2\n".to_vec()), (0, b"r0 longer\n".to_vec())])
            .unwrap();
        drop(s);
        // A kill: run 3 half recorded, run 1 never finished.
        let mut p = OpenOptions::new().append(true).open(dir.path().join(PROGRESS)).unwrap();
        p.write_all(b"3 40 00").unwrap();
        let mut s = Store::open(dir.path(), &m, b"h\n").unwrap();
        assert_eq!(s.pending(), [1, 3]);
        assert_eq!(s.done(), 2);
        s.append(&[(3, b"r3\n".to_vec())]).unwrap();
        s.append(&[(1, b"r1\n".to_vec())]).unwrap();
        s.finish().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(RESULTS)).unwrap(),
            "h\nr0 longer\nr1\nr2\nr3\n"
        );
        let (records, _) = intact(dir.path(), b"h\n", (0, 4)).unwrap();
        assert_eq!(records.iter().map(|r| r.run).collect::<Vec<_>>(), [0, 1, 2, 3]);
        complete_records(dir.path(), &m, b"h\n").unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
        // A record naming a run twice, or one outside the shard, ends the intact prefix.
        std::fs::write(dir.path().join(PROGRESS), "0 13 0\n").unwrap();
        assert_eq!(intact(dir.path(), b"h\n", (1, 4)).unwrap().0.len(), 0);
    }

    #[test]
    fn a_different_sweep_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path(), &manifest(), b"h\n").unwrap();
        let mut other = manifest();
        other.design_hash = "h3".into();
        let e = Store::open(dir.path(), &other, b"h\n").err().unwrap().to_string();
        assert!(e.contains("the design changed"), "{e}");
    }

    #[test]
    fn two_writers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Store::open(dir.path(), &manifest(), b"h\n").unwrap();
        let e = Store::open(dir.path(), &manifest(), b"h\n").err().unwrap().to_string();
        assert!(
            e.contains("another sandan process is writing this sweep directory"),
            "{e}"
        );
    }

    #[test]
    fn a_sweep_resumed_from_elsewhere_is_the_same_sweep() {
        let mut moved = manifest();
        moved.scenario_file = "../s".into();
        assert_eq!(manifest().mismatch(&moved), None);
        moved.shard = Shard { index: 1, count: 2 };
        assert!(manifest().mismatch(&moved).unwrap().contains("shard changed"));
    }
}
