//! What a run or a sweep will cost, estimated from the validated scenario before
//! anything runs (issue 16): peak memory, refused above a limit, and work, warned
//! about above a threshold. A scenario can be valid and still need more memory than
//! the machine has (fifty million villages of one household, a million replicates
//! of three centuries); it is better refused in a second, with the keys that make
//! it large, than killed by the kernel after an hour.
//!
//! The byte counts are measured peaks of `sandan run --threads 1` (maximum resident
//! size, `/usr/bin/time -f %M`) on 2026-12-04, less the 14 MB of a one-household run,
//! divided by the count that was varied.

use crate::scenario::Scenario;

/// Bytes per household of one simulation: both state buffers, the fixed
/// characteristics, the program's state and synthesis (a million households of one
/// village: 202 MB; the struct fields of `agents::household` alone are ~150).
pub const HOUSEHOLD_BYTES: u64 = 190;
/// Bytes per household of a replicate's county held while the strategies that share
/// it start from copies of it (`engine::County`): one state buffer, the sum of its
/// fields' widths (about 70) rounded up; packing keeps less where every household
/// holds one value (about 30 in the default scenario), and the fixed
/// characteristics are shared with the simulations (counted in [`HOUSEHOLD_BYTES`]).
pub const COUNTY_BYTES: u64 = 75;
/// Bytes per party member of one simulation (a million members: 52 MB).
pub const MEMBER_BYTES: u64 = 56;
/// Bytes per village, of one simulation and of each strategy's model together
/// (a hundred thousand villages of one household: 47 MB, less their households).
pub const VILLAGE_BYTES: u64 = 150;
/// Bytes per result row (strategy × replicate × year) a run keeps until it writes
/// them: the metrics, their CSV text, and the CSV read back for the pictures
/// (2,000 replicates × 301 years: 1.85 GB).
pub const ROW_BYTES: u64 = 3_100;
/// Bytes per group of households and result row that `sandan run` keeps for who
/// gains (`engine::groups`: 4 causes, 10 income deciles and every village): the
/// record's sums (48 bytes) and their line of `groups.csv` (~60).
pub const GROUP_ROW_BYTES: u64 = 110;
/// Bytes per household and strategy kept for winners and losers (its final-year
/// income per head; the sizes are the county's) until its replicate's strategies
/// are compared: about one replicate's worth at a time.
pub const TWIN_BYTES: u64 = 4;
/// Bytes per result row a sweep holds in its window before appending it.
pub const SWEEP_ROW_BYTES: u64 = 1_600;
/// Bytes per design point and varied key, the design held in memory.
pub const POINT_KEY_BYTES: u64 = 64;
/// The process before any household (binary, fonts, buffers).
pub const BASE_BYTES: u64 = 16 << 20;
/// Household-years one thread simulates per second, roughly (README, Performance:
/// 7.6–8.6 million for the safety net alone; programs cost more).
pub const HOUSEHOLD_YEARS_PER_SECOND: f64 = 5e6;
/// Above this much work a run or sweep warns and says how long it should take.
pub const WARN_HOUSEHOLD_YEARS: f64 = 1e10;
/// The memory limit when the machine's cannot be read.
pub const FALLBACK_LIMIT: u64 = 16 << 30;

/// What one simulation holds: the most households, members and villages of any
/// strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub households: u64,
    pub members: u64,
    pub villages: u64,
}

impl Size {
    pub fn of(s: &Scenario) -> Size {
        let mut size = Size::default();
        for st in &s.strategies {
            let m = &st.model;
            let villages = m.villages.len() as u64;
            let per_village: u64 = m.program.member_kinds.iter().map(|k| u64::from(k.per_village)).sum();
            size = size.max(Size {
                households: m.household_count() as u64,
                members: per_village * villages,
                villages,
            });
        }
        size
    }

    pub fn max(self, o: Size) -> Size {
        Size {
            households: self.households.max(o.households),
            members: self.members.max(o.members),
            villages: self.villages.max(o.villages),
        }
    }

    /// The parts of one simulation's memory, with the keys each comes from.
    fn parts(&self) -> [(u64, String, &'static str); 3] {
        [
            (
                self.households.saturating_mul(HOUSEHOLD_BYTES),
                format!("{} households (village.households × village.count)", self.households),
                "village",
            ),
            (
                self.members.saturating_mul(MEMBER_BYTES),
                format!(
                    "{} party members (program.member_kind.per_village × villages)",
                    self.members
                ),
                "program",
            ),
            (
                self.villages.saturating_mul(VILLAGE_BYTES),
                format!("{} villages (village.count)", self.villages),
                "village",
            ),
        ]
    }
}

/// An estimate: peak bytes, the work in household-years, and the largest part of
/// the memory, described with its keys (`key`: the top-level key to point at).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub bytes: u64,
    pub household_years: f64,
    pub threads: usize,
    pub largest: String,
    pub key: &'static str,
}

/// The estimate of `sandan run`: every simulation in flight (one per thread) holds
/// its county, each replicate in flight (one per thread) the county its strategies
/// share, and every result row is kept until the end.
pub fn run(s: &Scenario, threads: usize) -> Estimate {
    let size = Size::of(s);
    let (strategies, replicates) = (s.strategies.len() as u64, u64::from(s.replicates));
    let years = s.years_reported() as u64;
    let in_flight = (threads as u64).min(strategies * replicates).max(1);
    let rows = strategies * replicates * years;
    let groups = 14 + size.villages;
    let results = (
        rows.saturating_mul(ROW_BYTES)
            .saturating_add(rows.saturating_mul(groups).saturating_mul(GROUP_ROW_BYTES))
            .saturating_add(strategies.saturating_mul(size.households).saturating_mul(TWIN_BYTES)),
        format!(
            "{rows} result rows (replicates {replicates} × {years} years, start_year to end_year, × {strategies} strategies), each with its sums over {groups} groups of households"
        ),
        "replicates",
    );
    let sharing = crate::engine::county_owners(s).iter().enumerate().any(|(i, &o)| o != i);
    let counties = if sharing {
        (threads as u64).min(replicates).max(1)
    } else {
        0
    };
    let shared = (
        size.households.saturating_mul(COUNTY_BYTES).saturating_mul(counties),
        format!(
            "{} households (village.households × village.count) of the county shared by a replicate's strategies, in each of {counties} replicates at once",
            size.households
        ),
        "village",
    );
    let work = size.households as f64 * years.saturating_sub(1) as f64 * (strategies * replicates) as f64;
    estimate(size, in_flight, vec![results, shared], work, threads)
}

/// What a sweep's estimate is made of: the largest point's county, the households
/// summed over points, and the design's extent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SweepShape {
    pub largest: Size,
    pub households: f64,
    pub points: u64,
    pub keys: usize,
    pub strategies: u64,
    pub replicates: u32,
    /// Years per run, baseline included.
    pub years: u64,
}

/// The estimate of `sandan sweep`: the largest point's county in every thread's
/// simulation, a window of runs' rows, and the design's points.
pub fn sweep(sh: &SweepShape, threads: usize) -> Estimate {
    let window = (threads as u64 * 4).max(1);
    let held = (
        (window * sh.strategies * sh.years).saturating_mul(SWEEP_ROW_BYTES)
            + sh.points.saturating_mul(sh.keys as u64 * POINT_KEY_BYTES),
        format!("{} design points", sh.points),
        "points",
    );
    let work = sh.households * sh.years.saturating_sub(1) as f64 * (sh.strategies * u64::from(sh.replicates)) as f64;
    estimate(sh.largest, threads as u64, vec![held], work, threads)
}

fn estimate(
    size: Size,
    in_flight: u64,
    other: Vec<(u64, String, &'static str)>,
    work: f64,
    threads: usize,
) -> Estimate {
    let mut parts: Vec<(u64, String, &'static str)> = size
        .parts()
        .into_iter()
        .map(|(b, what, key)| {
            let what = if in_flight > 1 {
                format!("{what} in each of {in_flight} simulations at once (--threads)")
            } else {
                what
            };
            (b.saturating_mul(in_flight), what, key)
        })
        .collect();
    parts.extend(other);
    let bytes = parts.iter().fold(BASE_BYTES, |acc, p| acc.saturating_add(p.0));
    let (_, largest, key) = parts.into_iter().max_by_key(|p| p.0).unwrap_or_default();
    Estimate {
        bytes,
        household_years: work,
        threads,
        largest,
        key,
    }
}

impl Estimate {
    /// Why the estimate exceeds `limit` bytes, or `None` if it does not.
    pub fn refusal(&self, limit: u64, limit_from: &str) -> Option<String> {
        (self.bytes > limit).then(|| {
            format!(
                "needs about {} of memory, more than the limit of {} ({limit_from}); the largest part is {}",
                bytes(self.bytes),
                bytes(limit),
                self.largest
            )
        })
    }

    /// A warning about a long run, or `None` below [`WARN_HOUSEHOLD_YEARS`].
    pub fn warning(&self) -> Option<String> {
        (self.household_years > WARN_HOUSEHOLD_YEARS).then(|| {
            let seconds = self.household_years / (HOUSEHOLD_YEARS_PER_SECOND * self.threads.max(1) as f64);
            format!(
                "warning: about {:.1e} household-years to simulate: roughly {} on {} threads at ~5 million household-years a second per thread",
                self.household_years,
                duration(seconds),
                self.threads
            )
        })
    }
}

/// Bytes as a person reads them: 1.5 GiB, 312 MiB.
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut x = b as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 2.0 * 86400.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.0} days", seconds / 86400.0)
    }
}

/// A size such as `8G`, `512M`, `1.5GiB` or `1000000` (bytes): K, M, G and T are
/// powers of 1024. For `--max-memory`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("'{s}' is not a size; write e.g. 8G, 512M or 1000000 (bytes)")),
    };
    match number.parse::<f64>() {
        Ok(x) if x >= 1.0 && x * ((1u64 << shift) as f64) < 1.8e19 => Ok((x * (1u64 << shift) as f64) as u64),
        _ => Err(format!(
            "'{s}' is not a size of at least one byte; write e.g. 8G, 512M or 1000000"
        )),
    }
}

/// The machine's memory (MemTotal of /proc/meminfo), if it can be read.
pub fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The limit and what it is, for messages: `--max-memory`, else the machine's
/// memory, else [`FALLBACK_LIMIT`].
pub fn limit(max_memory: Option<u64>) -> (u64, String) {
    match (max_memory, machine_memory()) {
        (Some(m), _) => (m, "--max-memory".to_string()),
        (None, Some(m)) => (m, "the machine's memory; --max-memory to change".to_string()),
        (None, None) => (FALLBACK_LIMIT, "the default; --max-memory to change".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("1000"), Ok(1000));
        for bad in ["", "G", "8X", "-1G", "0", "1e3", "1.2.3M", "99999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bytes_read_as_a_person_reads_them() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
    }

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "start_year = 2016\nend_year = 2020\nreplicates = 2\n{extra}\n[[village]]\nname = \"a\"\nhouseholds = 1000\n"
        );
        crate::scenario::parse(&text, "t.toml", "t").unwrap()
    }

    #[test]
    fn the_estimate_counts_households_threads_and_rows() {
        let s = scenario("");
        let one = run(&s, 1);
        let members = Size::of(&s).members * MEMBER_BYTES;
        assert_eq!(members, 12 * MEMBER_BYTES, "the default member kinds: 12 per village");
        assert_eq!(
            one.bytes,
            BASE_BYTES
                + 1000 * HOUSEHOLD_BYTES
                + members
                + VILLAGE_BYTES
                + 10 * (ROW_BYTES + 15 * GROUP_ROW_BYTES)
                + 1000 * TWIN_BYTES
        );
        assert_eq!(one.household_years, 1000.0 * 4.0 * 2.0);
        // Issue 17: strategies that share a county hold it once per replicate in flight.
        let pair = scenario("[[strategy]]\nname = \"x\"\n[[strategy]]\nname = \"y\"\n");
        let (p1, p2) = (run(&pair, 1), run(&pair, 2));
        assert_eq!(
            p2.bytes - p1.bytes,
            1000 * (HOUSEHOLD_BYTES + COUNTY_BYTES) + members + VILLAGE_BYTES
        );
        // Two simulations at once hold two counties; three threads still two.
        let two = run(&s, 3);
        assert_eq!(two.bytes - one.bytes, 1000 * HOUSEHOLD_BYTES + members + VILLAGE_BYTES);
        assert!(one.refusal(one.bytes, "x").is_none());
        let e = one.refusal(1 << 20, "--max-memory").unwrap();
        assert!(
            e.starts_with("needs about 16.") && e.contains("the limit of 1.0 MiB (--max-memory)"),
            "{e}"
        );
        assert!(one.warning().is_none());
    }

    #[test]
    fn a_long_run_is_warned_about_with_its_expected_time() {
        let mut s = scenario("");
        s.replicates = 5_000_000;
        let w = run(&s, 2).warning().unwrap();
        assert_eq!(
            w,
            "warning: about 2.0e10 household-years to simulate: roughly 33 min on 2 threads at ~5 million household-years a second per thread"
        );
    }
}
