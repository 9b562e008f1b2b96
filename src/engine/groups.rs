//! Who gains: year-end sums over groups of households fixed at the baseline — the
//! recorded cause of poverty, the baseline income decile, the village — so that a
//! strategy's impact can be read for the poor by illness, the poorest tenth or one
//! village, not only for the county.
//!
//! The groups are fixed at the baseline, which every strategy of a replicate shares
//! (the same synthesised county), so a group holds the same households in every
//! strategy and its differences are paired like the county's. The sums are taken
//! in one pass at the end of each year, after the step, so the household loop is
//! untouched; only `sandan run` asks for them (sweeps and calibration do not).
//!
//! Winners and losers compare each household with its twin in another strategy of
//! the same replicate ([`twin_bands`]); the run counts the bands as soon as a
//! replicate's strategies are done and keeps only the counts, so that every
//! replicate is compared without holding every household's income.

use crate::agents::household::{Households, Status};
use crate::programs::cycle::total_order_key;

/// What households are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// The cause recorded at identification: 0 not poor at the baseline, 1 illness,
    /// 2 labour short, 3 other.
    Cause,
    /// The baseline per-capita income decile, 1 (poorest tenth of households) to 10.
    Decile,
    /// The village, by its index in the scenario.
    Village,
}

impl Breakdown {
    /// The name written to `groups.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Breakdown::Cause => "cause",
            Breakdown::Decile => "decile",
            Breakdown::Village => "village",
        }
    }
}

/// The causes' names in `groups.csv`, by [`crate::agents::household::Cause`] value.
pub const CAUSES: [&str; 4] = ["not_poor", "illness", "labour_short", "other"];

/// Deciles of the baseline income.
pub const DECILES: usize = 10;

/// One group's year-end sums.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupYear {
    pub year: i32,
    pub breakdown: Breakdown,
    /// The cause's value, the decile (1–10) or the village's index.
    pub group: u32,
    pub persons: f64,
    /// Persons whose household's per-capita income is below the line.
    pub poor: f64,
    /// Persons in registered (not exited) households.
    pub registered: f64,
    /// Persons' income: the sum of size × per-capita net income, yuan.
    pub income: f64,
    /// For a village: 1 once it has exited (its official incidence fell below the
    /// exit threshold), else 0; NaN for the other breakdowns.
    pub exited: f64,
}

/// Each household's groups, fixed at the baseline.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// Baseline income decile, 0–9.
    decile: Vec<u8>,
    villages: usize,
}

impl Groups {
    /// The groups of a county at its baseline: deciles of households ranked by
    /// per-capita income (ties by index, so the split is deterministic).
    pub fn at_baseline(hh: &Households, villages: usize) -> Groups {
        let n = hh.len();
        // Each household's rank as one key, income (in total_cmp's order) above its
        // index: the order is total, so an unstable sort of the keys gives the one
        // order there is, without a comparison that looks households up. An index
        // fits in 32 bits: a county has at most `MAX_HOUSEHOLDS` (50 million).
        let mut order: Vec<u64> = hh
            .state
            .income_pc
            .iter()
            .enumerate()
            .map(|(i, &x)| (u64::from(total_order_key(x)) << 32) | i as u64)
            .collect();
        order.sort_unstable();
        let mut decile = vec![0u8; n];
        for (rank, &key) in order.iter().enumerate() {
            decile[key as u32 as usize] = (rank * DECILES / n.max(1)) as u8;
        }
        Groups { decile, villages }
    }

    /// The year-end sums of every group, against the year's poverty `line`, with
    /// which villages have exited.
    pub fn tally(&self, hh: &Households, year: i32, line: f64, village_exited: &[bool]) -> Vec<GroupYear> {
        let blank = |breakdown, group| GroupYear {
            year,
            breakdown,
            group,
            persons: 0.0,
            poor: 0.0,
            registered: 0.0,
            income: 0.0,
            exited: match breakdown {
                Breakdown::Village => f64::from(u8::from(village_exited.get(group as usize).copied().unwrap_or(false))),
                _ => f64::NAN,
            },
        };
        // Persons, the poor and the registered are whole numbers, summed exactly as
        // integers (the f64 sums they replace were exact: far below 2^53); the
        // income, which is not, is summed in household order, as before.
        #[derive(Clone, Copy, Default)]
        struct Sum {
            persons: u64,
            poor: u64,
            registered: u64,
            income: f64,
        }
        impl Sum {
            #[inline]
            fn add(&mut self, size: u64, poor: bool, registered: bool, income: f64) {
                self.persons += size;
                self.poor += if poor { size } else { 0 };
                self.registered += if registered { size } else { 0 };
                self.income += income;
            }
        }
        let mut sums = vec![Sum::default(); CAUSES.len() + DECILES + self.villages];
        let (by_cause, rest) = sums.split_at_mut(CAUSES.len());
        let (by_decile, by_village) = rest.split_at_mut(DECILES);
        let (f, s) = (&hh.fixed, &hh.state);
        let households = f
            .size
            .iter()
            .zip(&s.income_pc)
            .zip(&s.status)
            .zip(f.cause.iter().zip(&self.decile).zip(&f.village));
        for (((&size, &pc), &status), ((&cause, &decile), &village)) in households {
            let pc = f64::from(pc);
            let (poor, registered) = (pc < line, status == Status::Registered);
            let (size, income) = (u64::from(size), f64::from(size) * pc);
            by_cause[cause as usize].add(size, poor, registered, income);
            by_decile[usize::from(decile)].add(size, poor, registered, income);
            by_village[village as usize].add(size, poor, registered, income);
        }
        let row = |(breakdown, group): (Breakdown, u32), sum: &Sum| GroupYear {
            persons: sum.persons as f64,
            poor: sum.poor as f64,
            registered: sum.registered as f64,
            income: sum.income,
            ..blank(breakdown, group)
        };
        let groups = (0..CAUSES.len() as u32)
            .map(|c| (Breakdown::Cause, c))
            .chain((1..=DECILES as u32).map(|d| (Breakdown::Decile, d)))
            .chain((0..self.villages as u32).map(|v| (Breakdown::Village, v)));
        let rows: Vec<GroupYear> = groups.zip(&sums).map(|(g, sum)| row(g, sum)).collect();
        rows
    }
}

/// The bands of a household's final-year income per head against its twin's in
/// another strategy (the same household, replicate and shocks), by index.
pub const BANDS: [&str; 5] = [
    "loses_more_than_5pct",
    "loses_less_than_5pct",
    "no_change",
    "gains_less_than_5pct",
    "gains_more_than_5pct",
];

/// The band of a per-capita income `a` against its twin's `b`: the change relative
/// to the twin's income (its size, when that is negative; any change of an income
/// of 0 is more than 5%).
pub fn band(a: f32, b: f32) -> usize {
    let (a, b) = (f64::from(a), f64::from(b));
    if a == b {
        return 2;
    }
    let change = (a - b) / b.abs();
    match (a > b, change.abs() > 0.05 || b == 0.0) {
        (false, true) => 0,
        (false, false) => 1,
        (true, false) => 3,
        (true, true) => 4,
    }
}

/// Households and persons in each of the [`BANDS`] of one strategy against another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bands {
    pub households: [u64; 5],
    pub persons: [u64; 5],
}

/// Each household of `a` (its final-year income per head; its size in `sizes`)
/// banded against its twin in `b` (the same households, in the same order).
pub fn twin_bands(sizes: &[u8], a: &[f32], b: &[f32]) -> Bands {
    let mut out = Bands::default();
    for ((&size, &x), &y) in sizes.iter().zip(a).zip(b) {
        let k = band(x, y);
        out.households[k] += 1;
        out.persons[k] += u64::from(size);
    }
    out
}
