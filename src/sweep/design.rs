//! Sweep designs: which scenario keys vary, over which values, how many replicates.
//!
//! A design is a small TOML file next to the scenario, so that the scenario stays the
//! one description of the model and the design only says what to vary. It expands to
//! an ordered list of [`Point`]s; the order is part of the reproducibility contract
//! (point ids, seeds and shard boundaries all derive from it), so it depends only on
//! the design text: grid and hypercube keys are taken in sorted order (a TOML table
//! has no order of its own), an explicit `[points]` table keeps the order of `keys`.

use crate::scenario::validate::{KeyPath, shown};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Scenario keys a design cannot vary: they frame the whole comparison, or have
/// their own place in the design (`seed`, `replicates`, `strategies`).
use crate::scenario::SHARED_KEYS as FRAME_KEYS;

/// Why a design could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}{location}: {message}")]
pub struct DesignError {
    pub file: String,
    /// `:line:column`, or empty when the problem is not at one place in the file.
    pub location: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesign {
    seed: Option<u64>,
    replicates: Option<u32>,
    strategies: Option<Vec<String>>,
    common_random_numbers: Option<bool>,
    precedence: Option<Precedence>,
    grid: Option<BTreeMap<String, Vec<toml::Value>>>,
    latin_hypercube: Option<RawLhs>,
    points: Option<RawPoints>,
    morris: Option<RawMorris>,
    sobol: Option<RawSobol>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMorris {
    trajectories: u32,
    #[serde(default = "default_levels")]
    levels: u32,
    bounds: BTreeMap<String, Vec<f64>>,
    metrics: Option<Vec<String>>,
}

fn default_levels() -> u32 {
    4
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSobol {
    samples: u32,
    bounds: BTreeMap<String, Vec<f64>>,
    metrics: Option<Vec<String>>,
}

/// What a sensitivity design asks the analysis for; recorded in the sweep's
/// manifest so that `sandan sensitivity DIR` needs nothing else.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sensitivity {
    /// `morris` or `sobol`.
    pub method: String,
    /// Morris: trajectories; Sobol: base samples N.
    pub size: u32,
    /// Morris: grid levels p (0 for Sobol).
    pub levels: u32,
    /// Each varied key's `[low, high]`, in key order.
    pub bounds: Vec<[f64; 2]>,
    /// The output metrics to analyse (columns of `results.csv`).
    pub metrics: Vec<String>,
}

/// Most trajectories or base samples: a typo should fail fast.
pub const MAX_SAMPLES: u32 = 100_000;
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLhs {
    points: u32,
    /// Each key's `[low, high]`; keys are taken in sorted order. Read as a list so
    /// that a bound of one or three numbers is refused, not truncated (issue 16).
    bounds: BTreeMap<String, Vec<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoints {
    keys: Vec<String>,
    values: Vec<Vec<toml::Value>>,
}

/// How the points were chosen (recorded in the sweep manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Grid,
    LatinHypercube,
    Table,
    Morris,
    Sobol,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Grid => "grid",
            Method::LatinHypercube => "latin_hypercube",
            Method::Table => "points",
            Method::Morris => "morris",
            Method::Sobol => "sobol",
        }
    }
}

/// Which value a strategy runs with when the design varies a scenario key that the
/// strategy's own `overrides` also set (or a table holding it, or a key inside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precedence {
    /// The point's value reaches the strategy too: its overlapping overrides are dropped.
    Sweep,
    /// The strategy keeps its own value: the point's value does not reach it.
    Strategy,
}

impl Precedence {
    pub fn name(self) -> &'static str {
        match self {
            Precedence::Sweep => "sweep",
            Precedence::Strategy => "strategy",
        }
    }
}

/// One point of the design: a value for every varied key, in [`Design::keys`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub values: Vec<toml::Value>,
}

/// A parsed design, expanded into its points.
#[derive(Debug, Clone)]
pub struct Design {
    pub method: Method,
    /// The varied scenario keys, as dotted paths.
    pub keys: Vec<String>,
    pub points: Vec<Point>,
    /// A grid's number of values for each key, in `keys` order (empty otherwise).
    pub lens: Vec<usize>,
    /// Sweep seed; `None` means the scenario's seed.
    pub seed: Option<u64>,
    /// Replicates per point; `None` means the scenario's replicates.
    pub replicates: Option<u32>,
    /// Strategy names to run; `None` means all of the scenario's.
    pub strategies: Option<Vec<String>>,
    /// Replicate r runs with the same seed at every point (default), so that two
    /// points differ only by their parameters; `false` gives every run its own seed.
    pub common_random_numbers: bool,
    /// Who wins where a varied scenario key is also a strategy's override; `None`
    /// refuses such a design.
    pub precedence: Option<Precedence>,
    /// What a `[morris]` or `[sobol]` design asks the analysis for.
    pub sensitivity: Option<Sensitivity>,
    /// Each key's `:line:column` in the design text, in `keys` order, for messages
    /// about a key that only the scenario can judge (a strategy it shadows).
    pub locations: Vec<String>,
}

/// At most this many points: a typo in a grid should fail fast, not fill a disk.
pub const MAX_POINTS: usize = 1_000_000;

/// At most this many replicates per point, the same cap as a scenario's `replicates`.
pub const MAX_REPLICATES: u32 = 1_000_000;

impl Design {
    /// Parse design text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Design, DesignError> {
        let fail = |location: String, message: String| DesignError {
            file: file.to_string(),
            location,
            message,
        };
        let raw: RawDesign = toml::from_str(text).map_err(|e| {
            let location = e.span().map(|s| line_col(text, s.start)).unwrap_or_default();
            fail(location, e.message().trim().to_string())
        })?;
        // Every refusal points at the key it is about (or the nearest table that exists).
        let doc = toml_edit::Document::parse(text).ok();
        let at = |path: &[&str], m: String| {
            let location = doc.as_ref().map(|d| locate(text, d, path)).unwrap_or_default();
            fail(location, crate::scenario::validate::one_line(&m))
        };
        let whole = |m: String| at(&[], m);
        let chosen = [
            raw.grid.is_some(),
            raw.latin_hypercube.is_some(),
            raw.points.is_some(),
            raw.morris.is_some(),
            raw.sobol.is_some(),
        ];
        if chosen.iter().filter(|&&c| c).count() != 1 {
            return Err(whole(
                "a design needs exactly one of [grid], [latin_hypercube], [points], [morris] or [sobol]".to_string(),
            ));
        }
        // Bounds of a hypercube, Morris or Sobol design: exactly [low, high], finite.
        let check_bounds = |table: &str, b: &BTreeMap<String, Vec<f64>>| -> Result<Vec<[f64; 2]>, DesignError> {
            if b.is_empty() {
                return Err(at(&[table, "bounds"], format!("{table}.bounds names no keys")));
            }
            let mut out = Vec::with_capacity(b.len());
            for (k, v) in b {
                let here = [table, "bounds", k.as_str()];
                let &[lo, hi] = v.as_slice() else {
                    return Err(at(
                        &here,
                        format!(
                            "{table}.bounds.\"{}\" must be exactly two numbers [low, high], got {} numbers",
                            shown(k),
                            v.len()
                        ),
                    ));
                };
                if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                    return Err(at(
                        &here,
                        format!(
                            "{table}.bounds.\"{}\" must be [low, high] with low ≤ high, got [{lo}, {hi}]",
                            shown(k)
                        ),
                    ));
                }
                out.push([lo, hi]);
            }
            Ok(out)
        };
        let check_metrics = |table: &str, m: Option<Vec<String>>| -> Result<Vec<String>, DesignError> {
            let m = m.unwrap_or_else(|| vec!["incidence".to_string()]);
            for x in &m {
                if !crate::metrics::YearMetrics::NAMES.contains(&x.as_str()) {
                    return Err(at(
                        &[table, "metrics"],
                        format!(
                            "{table}.metrics: no metric '{}'; choose columns of results.csv such as incidence, official_incidence, fgt1",
                            shown(x)
                        ),
                    ));
                }
            }
            if m.is_empty() {
                return Err(at(&[table, "metrics"], format!("{table}.metrics lists no metric")));
            }
            Ok(m)
        };
        let mut sensitivity = None;
        if let Some(r) = raw.replicates
            && !(1..=MAX_REPLICATES).contains(&r)
        {
            return Err(at(
                &["replicates"],
                format!("replicates must be between 1 and {MAX_REPLICATES}, got {r}"),
            ));
        }
        let base_seed = raw.seed.unwrap_or(0);
        let mut lens = Vec::new();
        let (method, keys, points) = if let Some(grid) = raw.grid {
            let keys: Vec<String> = grid.keys().cloned().collect();
            let mut total: usize = 1;
            for (k, vs) in &grid {
                if vs.is_empty() {
                    return Err(at(
                        &["grid", k],
                        format!("grid.\"{}\" lists no values; give at least one", shown(k)),
                    ));
                }
                total = total.saturating_mul(vs.len());
            }
            if total > MAX_POINTS {
                return Err(at(
                    &["grid"],
                    format!("the grid has {total} points; at most {MAX_POINTS} are allowed"),
                ));
            }
            let lists: Vec<&Vec<toml::Value>> = grid.values().collect();
            lens = lists.iter().map(|l| l.len()).collect();
            (Method::Grid, keys, grid_points(&lists))
        } else if let Some(lhs) = raw.latin_hypercube {
            if lhs.points == 0 || lhs.points as usize > MAX_POINTS {
                return Err(at(
                    &["latin_hypercube", "points"],
                    format!(
                        "latin_hypercube.points must be between 1 and {MAX_POINTS}, got {}",
                        lhs.points
                    ),
                ));
            }
            if lhs.bounds.is_empty() {
                return Err(at(
                    &["latin_hypercube", "bounds"],
                    "latin_hypercube.bounds names no keys".to_string(),
                ));
            }
            let mut bounds: Vec<[f64; 2]> = Vec::with_capacity(lhs.bounds.len());
            for (k, b) in &lhs.bounds {
                let here = ["latin_hypercube", "bounds", k.as_str()];
                let &[lo, hi] = b.as_slice() else {
                    return Err(at(
                        &here,
                        format!(
                            "latin_hypercube.bounds.\"{}\" must be exactly two numbers [low, high], got {} numbers",
                            shown(k),
                            b.len()
                        ),
                    ));
                };
                if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                    return Err(at(
                        &here,
                        format!(
                            "latin_hypercube.bounds.\"{}\" must be [low, high] with low ≤ high, got [{lo}, {hi}]",
                            shown(k)
                        ),
                    ));
                }
                bounds.push([lo, hi]);
            }
            let keys: Vec<String> = lhs.bounds.keys().cloned().collect();
            let unit = latin_hypercube(lhs.points as usize, bounds.len(), base_seed);
            let points = unit
                .into_iter()
                .map(|u| Point {
                    values: u
                        .iter()
                        .zip(&bounds)
                        .map(|(x, [lo, hi])| toml::Value::Float(lo + x * (hi - lo)))
                        .collect(),
                })
                .collect();
            (Method::LatinHypercube, keys, points)
        } else if let Some(table) = raw.points {
            if table.keys.is_empty() || table.values.is_empty() {
                return Err(at(
                    &["points"],
                    "points.keys and points.values must both be non-empty".to_string(),
                ));
            }
            for (i, row) in table.values.iter().enumerate() {
                if row.len() != table.keys.len() {
                    return Err(at(
                        &["points", "values"],
                        format!(
                            "points.values[{i}] has {} values but points.keys names {} keys",
                            row.len(),
                            table.keys.len()
                        ),
                    ));
                }
            }
            let points = table.values.into_iter().map(|values| Point { values }).collect();
            (Method::Table, table.keys, points)
        } else if let Some(m) = raw.morris {
            let bounds = check_bounds("morris", &m.bounds)?;
            if !(2..=MAX_SAMPLES).contains(&m.trajectories) {
                return Err(at(
                    &["morris", "trajectories"],
                    format!(
                        "morris.trajectories must be between 2 and {MAX_SAMPLES}, got {}",
                        m.trajectories
                    ),
                ));
            }
            if !(2..=100).contains(&m.levels) || m.levels % 2 != 0 {
                return Err(at(
                    &["morris", "levels"],
                    format!(
                        "morris.levels must be an even number between 2 and 100, got {}",
                        m.levels
                    ),
                ));
            }
            let total = m.trajectories as usize * (bounds.len() + 1);
            if total > MAX_POINTS {
                return Err(at(
                    &["morris", "trajectories"],
                    format!(
                        "the Morris design has {total} points (trajectories × (keys + 1)); at most {MAX_POINTS} are allowed"
                    ),
                ));
            }
            let unit = morris_trajectories(m.trajectories as usize, bounds.len(), m.levels as usize, base_seed);
            sensitivity = Some(Sensitivity {
                method: "morris".to_string(),
                size: m.trajectories,
                levels: m.levels,
                bounds: bounds.clone(),
                metrics: check_metrics("morris", m.metrics)?,
            });
            (
                Method::Morris,
                m.bounds.keys().cloned().collect(),
                scaled(&unit, &bounds),
            )
        } else if let Some(sb) = raw.sobol {
            let bounds = check_bounds("sobol", &sb.bounds)?;
            if !(2..=MAX_SAMPLES).contains(&sb.samples) {
                return Err(at(
                    &["sobol", "samples"],
                    format!("sobol.samples must be between 2 and {MAX_SAMPLES}, got {}", sb.samples),
                ));
            }
            let total = sb.samples as usize * (bounds.len() + 2);
            if total > MAX_POINTS {
                return Err(at(
                    &["sobol", "samples"],
                    format!(
                        "the Sobol design has {total} points (samples × (keys + 2)); at most {MAX_POINTS} are allowed"
                    ),
                ));
            }
            let unit = saltelli(sb.samples as usize, bounds.len(), base_seed);
            sensitivity = Some(Sensitivity {
                method: "sobol".to_string(),
                size: sb.samples,
                levels: 0,
                bounds: bounds.clone(),
                metrics: check_metrics("sobol", sb.metrics)?,
            });
            (
                Method::Sobol,
                sb.bounds.keys().cloned().collect(),
                scaled(&unit, &bounds),
            )
        } else {
            unreachable!("exactly one method was checked above")
        };
        for (i, k) in keys.iter().enumerate() {
            let top = k.split('.').next().unwrap_or_default();
            // `strategy.<name>.<field or override key>` varies one strategy.
            let per_strategy = top == "strategy" && k.split('.').nth(2).is_some();
            if top == "strategy" && !per_strategy {
                return Err(at(
                    &key_path(method, k),
                    format!(
                        "'{}' cannot be varied: name one strategy and its field, e.g. strategy.three_order.budget or strategy.three_order.dibao.take_up_registered",
                        shown(k)
                    ),
                ));
            }
            if FRAME_KEYS.contains(&top) && !per_strategy {
                return Err(at(
                    &key_path(method, k),
                    format!(
                        "'{}' cannot be varied: '{}' frames the whole sweep (set seed, replicates and strategies at the top of the design)",
                        shown(k),
                        shown(top)
                    ),
                ));
            }
            if k.split('.').any(|p| p.trim().is_empty()) {
                return Err(at(
                    &key_path(method, k),
                    format!("'{}' has an empty part; write keys joined by dots", shown(k)),
                ));
            }
            if k.split('.').nth(crate::scenario::MAX_PATH_PARTS).is_some() {
                return Err(at(
                    &key_path(method, k),
                    format!(
                        "'{}' has more than {} parts; no scenario key is that deep",
                        shown(k),
                        crate::scenario::MAX_PATH_PARTS
                    ),
                ));
            }
            if keys[..i].contains(k) {
                return Err(at(&key_path(method, k), format!("'{}' is listed twice", shown(k))));
            }
        }
        let locations = keys
            .iter()
            .map(|k| {
                doc.as_ref()
                    .map(|d| locate(text, d, &key_path(method, k)))
                    .unwrap_or_default()
            })
            .collect();
        Ok(Design {
            method,
            keys,
            points,
            lens,
            seed: raw.seed,
            replicates: raw.replicates,
            strategies: raw.strategies,
            common_random_numbers: raw.common_random_numbers.unwrap_or(true),
            precedence: raw.precedence,
            sensitivity,
            locations,
        })
    }
}

impl Design {
    /// The points of a grid that hold each key's values with every other key at
    /// its first value, in point order: one point per value rather than per
    /// combination. Every point for other methods.
    pub fn screening_points(&self) -> Vec<usize> {
        if self.method != Method::Grid {
            return (0..self.points.len()).collect();
        }
        let mut out = Vec::new();
        let mut stride = 1;
        for &len in self.lens.iter().rev() {
            out.extend((0..len).map(|j| j * stride));
            stride *= len;
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Where a method writes a varied key, as a path into the design.
fn key_path(m: Method, key: &str) -> Vec<&str> {
    match m {
        Method::Grid => vec!["grid", key],
        Method::LatinHypercube => vec!["latin_hypercube", "bounds", key],
        Method::Table => vec!["points", "keys"],
        Method::Morris => vec!["morris", "bounds", key],
        Method::Sobol => vec!["sobol", "bounds", key],
    }
}

/// `:line:column` of the deepest item of `path` that the design has.
pub(crate) fn locate(text: &str, doc: &toml_edit::Document<&str>, path: &[&str]) -> String {
    let path = path.iter().fold(KeyPath::default(), |p, k| p.key(k));
    line_col(text, crate::scenario::offset_of(doc, &path))
}

/// Every combination of the lists, the last key varying fastest.
fn grid_points(lists: &[&Vec<toml::Value>]) -> Vec<Point> {
    let total: usize = lists.iter().map(|l| l.len()).product();
    (0..total)
        .map(|mut i| {
            let mut values = vec![toml::Value::Boolean(false); lists.len()];
            for (j, list) in lists.iter().enumerate().rev() {
                values[j] = list[i % list.len()].clone();
                i /= list.len();
            }
            Point { values }
        })
        .collect()
}

/// A Latin hypercube in the unit cube: `n` points in `dims` dimensions, with exactly
/// one point in each of the `n` equal strata of every dimension. Stratum order is a
/// Fisher–Yates shuffle and the position within a stratum uniform, both drawn from a
/// SplitMix64 sequence seeded by the sweep seed, so the points are reproducible.
pub fn latin_hypercube(n: usize, dims: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut state = seed ^ 0x4c48_5343_5357_4550; // "LHSCSWEP"
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(state)
    };
    let mut out = vec![vec![0.0; dims]; n];
    for d in 0..dims {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            perm.swap(i, j);
        }
        for (i, row) in out.iter_mut().enumerate() {
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            row[d] = (perm[i] as f64 + u) / n as f64;
        }
    }
    out
}

/// Points of the unit cube scaled into each key's `[low, high]`.
fn scaled(unit: &[Vec<f64>], bounds: &[[f64; 2]]) -> Vec<Point> {
    unit.iter()
        .map(|u| Point {
            values: u
                .iter()
                .zip(bounds)
                .map(|(x, [lo, hi])| toml::Value::Float(lo + x * (hi - lo)))
                .collect(),
        })
        .collect()
}

/// A stream of uniforms in [0, 1) from SplitMix64, seeded by the design seed and a
/// tag, so that each design's points are reproducible from its text.
fn uniforms(seed: u64, tag: u64) -> impl FnMut() -> f64 {
    let mut state = seed ^ tag;
    move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        (mix64(state) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Morris's one-at-a-time trajectories (Morris 1991; Saltelli et al. 2008, § 3.3):
/// `r` trajectories of `k + 1` points on a `p`-level grid of the unit cube. Each
/// starts at a random grid point and moves one factor at a time, in a random order,
/// by Δ = p / (2 (p − 1)): up where that stays in the cube, else down (p even keeps
/// every point on the grid). Consecutive points of a trajectory differ in exactly
/// one factor, which is how the analysis finds each elementary effect.
pub fn morris_trajectories(r: usize, k: usize, p: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut u = uniforms(seed, 0x4d4f_5252_4953_5452); // "MORRISTR"
    let step = 1.0 / (p - 1) as f64;
    let half = p / 2;
    let mut out = Vec::with_capacity(r * (k + 1));
    for _ in 0..r {
        let mut level: Vec<usize> = (0..k).map(|_| ((u() * p as f64) as usize).min(p - 1)).collect();
        out.push(level.iter().map(|&l| l as f64 * step).collect());
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            let j = ((u() * (i + 1) as f64) as usize).min(i);
            order.swap(i, j);
        }
        for &i in &order {
            if level[i] < half {
                level[i] += half;
            } else {
                level[i] -= half;
            }
            out.push(level.iter().map(|&l| l as f64 * step).collect());
        }
    }
    out
}

/// Saltelli's sampling for first- and total-order indices (Saltelli et al. 2010):
/// two independent N × k matrices A and B of uniform points (each a Latin
/// hypercube), and for each factor i the matrix A_B^(i), A with column i from B.
/// Laid out per base sample j as `A_j, B_j, A_B^(1)_j, …, A_B^(k)_j`, so a sample's
/// `k + 2` points are consecutive runs (and shards split between samples rarely).
pub fn saltelli(n: usize, k: usize, seed: u64) -> Vec<Vec<f64>> {
    let a = latin_hypercube(n, k, seed ^ 0x5341_4c54_454c_4c41); // "SALTELLA"
    let b = latin_hypercube(n, k, seed ^ 0x5341_4c54_454c_4c42); // "SALTELLB"
    let mut out = Vec::with_capacity(n * (k + 2));
    for j in 0..n {
        out.push(a[j].clone());
        out.push(b[j].clone());
        for i in 0..k {
            let mut ab = a[j].clone();
            ab[i] = b[j][i];
            out.push(ab);
        }
    }
    out
}

/// SplitMix64's output mixer (bijective on 64-bit words).
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 1-based `:line:column` of a byte offset.
fn line_col(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    format!(":{line}:{}", before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<Design, String> {
        Design::parse(text, "d.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn a_grid_is_screened_by_one_point_per_value() {
        let d = Design::parse("[grid]\na = [1, 2, 3]\nb = [4, 5]\n", "d.toml").unwrap();
        assert_eq!(d.screening_points(), [0, 1, 2, 4]);
        assert_eq!(d.points[4].values, [toml::Value::Integer(3), toml::Value::Integer(4)]);
    }

    #[test]
    fn grid_expands_every_combination_last_key_fastest() {
        let d = parse("replicates = 2\n[grid]\n\"a.x\" = [1, 2]\n\"b.y\" = [0.1, 0.2, 0.3]\n").unwrap();
        assert_eq!(d.method, Method::Grid);
        assert_eq!(d.keys, vec!["a.x", "b.y"]);
        assert_eq!(d.points.len(), 6);
        assert_eq!(
            d.points[1].values,
            vec![toml::Value::Integer(1), toml::Value::Float(0.2)]
        );
        assert_eq!(
            d.points[3].values,
            vec![toml::Value::Integer(2), toml::Value::Float(0.1)]
        );
        assert_eq!(d.replicates, Some(2));
    }

    #[test]
    fn explicit_points_keep_their_order() {
        let d = parse("[points]\nkeys = [\"b\", \"a\"]\nvalues = [[1, 2], [3, 4]]\n").unwrap();
        assert_eq!(d.keys, vec!["b", "a"]);
        assert_eq!(
            d.points[1].values,
            vec![toml::Value::Integer(3), toml::Value::Integer(4)]
        );
    }

    #[test]
    fn unknown_keys_are_located_and_named() {
        let e = parse("seed = 1\nreplicate = 3\n[grid]\na = [1]\n").unwrap_err();
        assert!(e.starts_with("d.toml:2:1: "), "{e}");
        assert!(e.contains("unknown field `replicate`"), "{e}");
        let e = parse("[latin_hypercube]\npoints = 3\nbound = {}\n").unwrap_err();
        assert!(e.contains("unknown field `bound`"), "{e}");
    }

    #[test]
    fn design_mistakes_are_refused_with_the_key() {
        assert!(parse("seed = 1\n").unwrap_err().contains("exactly one of"));
        assert!(
            parse("[grid]\na = []\n")
                .unwrap_err()
                .contains("grid.\"a\" lists no values")
        );
        assert!(
            parse("[grid]\nseed = [1, 2]\n")
                .unwrap_err()
                .contains("'seed' cannot be varied")
        );
        assert!(
            parse("[points]\nkeys = [\"a\"]\nvalues = [[1, 2]]\n")
                .unwrap_err()
                .contains("points.values[0] has 2 values")
        );
        assert!(
            parse("[latin_hypercube]\npoints = 3\nbounds = { a = [2.0, 1.0] }\n")
                .unwrap_err()
                .contains("low ≤ high")
        );
        assert!(
            parse("replicates = 0\n[grid]\na = [1]\n")
                .unwrap_err()
                .contains("between 1 and")
        );
    }

    #[test]
    fn issue15_morris_and_sobol_designs_expand_and_are_checked() {
        let d = parse("[morris]\ntrajectories = 3\nbounds = { a = [0.0, 1.0], b = [10.0, 20.0] }\n").unwrap();
        assert_eq!(d.method, Method::Morris);
        assert_eq!(d.points.len(), 3 * 3);
        // Consecutive points of a trajectory differ in exactly one key, by 2/3 of its range.
        for t in 0..3 {
            for s in 0..2 {
                let (p, q) = (&d.points[t * 3 + s].values, &d.points[t * 3 + s + 1].values);
                let moved: Vec<usize> = (0..2).filter(|&i| p[i] != q[i]).collect();
                assert_eq!(moved.len(), 1);
                let i = moved[0];
                let step = (q[i].as_float().unwrap() - p[i].as_float().unwrap()).abs() / [1.0, 10.0][i];
                assert!((step - 2.0 / 3.0).abs() < 1e-12, "{step}");
            }
        }
        let d = parse("seed = 1\n[sobol]\nsamples = 4\nbounds = { a = [0.0, 1.0], b = [0.0, 1.0], c = [0.0, 1.0] }\n")
            .unwrap();
        assert_eq!(d.points.len(), 4 * 5);
        // A_B^(i) is A with column i from B.
        let (a, b, ab1) = (&d.points[0].values, &d.points[1].values, &d.points[3].values);
        assert_eq!(
            (ab1[0].clone(), ab1[1].clone(), ab1[2].clone()),
            (a[0].clone(), b[1].clone(), a[2].clone())
        );
        assert_eq!(d.sensitivity.as_ref().unwrap().metrics, ["incidence"]);
        for (text, want) in [
            (
                "[morris]\ntrajectories = 3\nlevels = 5\nbounds = { a = [0.0, 1.0] }\n",
                "d.toml:3:",
            ),
            ("[morris]\ntrajectories = 1\nbounds = { a = [0.0, 1.0] }\n", "d.toml:2:"),
            ("[sobol]\nsamples = 8\nbounds = { a = [1.0, 0.0] }\n", "d.toml:3:"),
            (
                "[sobol]\nsamples = 8\nbounds = { a = [0.0, 1.0] }\nmetrics = [\"happiness\"]\n",
                "d.toml:4:",
            ),
            (
                "[sobol]\nsamples = 100000\nbounds = { a = [0.0, 1.0], b = [0.0, 1.0], c = [0.0, 1.0], d = [0.0, 1.0], e = [0.0, 1.0], f = [0.0, 1.0], g = [0.0, 1.0], h = [0.0, 1.0], i = [0.0, 1.0] }\n",
                "at most 1000000",
            ),
            (
                "[grid]\na = [1]\n[sobol]\nsamples = 8\nbounds = { a = [0.0, 1.0] }\n",
                "exactly one of",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want) && !e.contains('\n'), "{text}: {e}");
        }
    }

    #[test]
    fn issue16_lhs_bounds_are_exactly_two_numbers() {
        for b in ["[0.1, 0.2, 0.3]", "[0.1]", "[]"] {
            let e = parse(&format!(
                "[latin_hypercube]\npoints = 3\nbounds = {{ \"dibao.top_up_share\" = {b} }}\n"
            ))
            .unwrap_err();
            assert!(e.starts_with("d.toml:3:"), "{e}");
            assert!(e.contains("must be exactly two numbers [low, high]"), "{e}");
        }
    }

    #[test]
    fn issue16_design_replicates_are_capped_like_a_scenario() {
        let e = parse("seed = 1\nreplicates = 4000000000\n[grid]\na = [1]\n").unwrap_err();
        assert!(
            e.starts_with("d.toml:2:14: replicates must be between 1 and 1000000"),
            "{e}"
        );
        parse("replicates = 1000000\n[grid]\na = [1]\n").unwrap();
    }

    #[test]
    fn issue16_design_refusals_are_located_on_one_line() {
        let e = parse("[grid]\n\"seed\" = [1, 2]\n").unwrap_err();
        assert!(e.starts_with("d.toml:2:"), "{e}");
        let deep = vec!["a"; 27_000].join(".");
        let e = parse(&format!("[grid]\n\"{deep}\" = [1]\n")).unwrap_err();
        assert!(
            e.starts_with("d.toml:2:") && e.contains("more than 16 parts"),
            "{}",
            &e[..100]
        );
        assert!(e.len() < 300 && !e.contains('\n'), "{}", &e[..100]);
        let e = parse("[grid]\n\"a\\nb\" = [1]\n\"a\\nb\" = [2]\n").unwrap_err();
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn latin_hypercube_is_reproducible_and_within_bounds() {
        let text = "seed = 9\n[latin_hypercube]\npoints = 7\nbounds = { a = [1.0, 2.0], b = [-1.0, 0.0] }\n";
        let (x, y) = (parse(text).unwrap(), parse(text).unwrap());
        assert_eq!(x.points, y.points);
        for p in &x.points {
            let a = p.values[0].as_float().unwrap();
            let b = p.values[1].as_float().unwrap();
            assert!((1.0..=2.0).contains(&a) && (-1.0..=0.0).contains(&b));
        }
    }

    proptest! {
        #[test]
        fn latin_hypercube_has_one_point_in_each_stratum(n in 1usize..60, dims in 1usize..5, seed: u64) {
            let pts = latin_hypercube(n, dims, seed);
            prop_assert_eq!(pts.len(), n);
            for d in 0..dims {
                let mut strata: Vec<usize> = pts.iter().map(|p| (p[d] * n as f64).floor() as usize).collect();
                strata.sort_unstable();
                prop_assert_eq!(strata, (0..n).collect::<Vec<_>>());
            }
        }
    }
}
