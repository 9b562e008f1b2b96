//! Counter-based randomness: every random number in a run is derived from
//! (seed, replicate, stream, entity, year).
//!
//! Why not one generator per thread or per replicate? Because then a result would
//! depend on the order in which households are visited, on the thread count, and on
//! how many draws an earlier household happened to consume. Deriving a fresh,
//! independent generator for each (stream, entity, year) cell makes every draw a pure
//! function of its coordinates:
//!
//! * results are bit-identical whatever the thread count or scheduling;
//! * two strategies in one replicate see the same weather, prices and illness
//!   (common random numbers), because the strategy is *not* one of the coordinates;
//! * a program that changes how many draws one stream consumes (say, more migrants)
//!   cannot shift the draws of another stream (say, illness).
//!
//! The generator is SplitMix64 (Steele, Lea & Flood 2014): one 64-bit add and a
//! mixing function per output, it passes BigCrush, and seeding costs nothing — which
//! matters when a generator is created for every household every year. We implement
//! it here rather than use `SmallRng`, whose algorithm `rand` does not promise to keep
//! stable across versions.

use rand::{Rng, TryRng};
use rand_distr::{Distribution, StandardNormal};
use std::convert::Infallible;

/// The independent random streams of the model. Each mechanism draws from its own
/// stream so that changing one mechanism never perturbs the draws of another.
/// The discriminants are part of the reproducibility contract: never renumber them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Household size at synthesis.
    SynthesisSize = 1,
    /// Which households are poor and of which cause, per village.
    SynthesisSelection = 2,
    /// Every other household attribute at synthesis.
    SynthesisAttributes = 3,
    /// Village weather (yield) shocks.
    Weather = 4,
    /// County price shocks.
    Price = 5,
    /// A household's farm, local work and migrant work.
    Production = 6,
    /// Illness episodes, their cost, and onset of chronic illness.
    Health = 7,
    /// Registration decisions (inclusion and exclusion error).
    Identification = 8,
    /// Safety-net take-up and housing renovation.
    SafetyNet = 9,
    /// Member agents of the program, at synthesis.
    Members = 10,
    /// Branch quality and menus.
    Menu = 11,
    /// Household orders and allocation lotteries.
    Orders = 12,
    /// Random matching of orders to members.
    Matching = 13,
    /// Project outcomes.
    Projects = 14,
    /// Failure of the operators of schemes (cattle farms, enterprises), per village.
    Operators = 15,
    /// County-wide scheme prices and returns (cattle sale price, equity return).
    SchemePrices = 16,
    /// Placement of trained labourers in outside work.
    Training = 17,
    /// Household apiaries: colony losses and swarms.
    Bees = 18,
    /// The villages' demonstration apiaries and members' hives.
    Apiaries = 19,
}

/// SplitMix64's output function: a bijective mixer of 64-bit words.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A key naming one cell of the (seed, replicate, stream, entity, year) lattice.
#[inline]
pub fn cell_key(seed: u64, replicate: u32, stream: Stream, entity: u64, year: i32) -> u64 {
    StreamKey::new(seed, replicate, stream).cell(entity, year)
}

/// The (seed, replicate, stream) part of a cell key, computed once and reused for
/// every entity of a year: the hot loop then mixes in only entity and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamKey(u64);

impl StreamKey {
    #[inline]
    pub fn new(seed: u64, replicate: u32, stream: Stream) -> StreamKey {
        let mut k = mix64(seed ^ 0x5a4e_d4a1_0000_0001);
        k = mix64(k ^ (replicate as u64).wrapping_mul(GOLDEN));
        StreamKey(mix64(k ^ (stream as u64).wrapping_mul(0xd6e8_feb8_6659_fd93)))
    }

    #[inline]
    pub fn cell(self, entity: u64, year: i32) -> u64 {
        let k = mix64(self.0 ^ entity.wrapping_mul(0xa076_1d64_78bd_642f));
        mix64(k ^ (year as i64 as u64).wrapping_mul(0xe703_7ed1_a0b4_28db))
    }

    /// The generator of one cell of this stream.
    #[inline]
    pub fn rng(self, entity: u64, year: i32) -> CellRng {
        CellRng {
            state: self.cell(entity, year),
        }
    }
}

/// The random generator of one (seed, replicate, stream, entity, year) cell.
#[derive(Debug, Clone)]
pub struct CellRng {
    state: u64,
}

impl CellRng {
    /// The generator for one cell; see [`cell_key`].
    #[inline]
    pub fn new(seed: u64, replicate: u32, stream: Stream, entity: u64, year: i32) -> Self {
        CellRng {
            state: cell_key(seed, replicate, stream, entity, year),
        }
    }

    #[inline]
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix64(self.state)
    }

    /// 64 random bits.
    #[inline]
    pub fn bits(&mut self) -> u64 {
        self.next()
    }

    /// A uniform number in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A standard normal deviate (ziggurat, from `rand_distr`).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        StandardNormal.sample(self)
    }

    /// A lognormal multiplier with mean 1 and log-scale `sigma`.
    #[inline]
    pub fn mean_one_lognormal(&mut self, sigma: f64) -> f64 {
        if sigma == 0.0 {
            1.0
        } else {
            (sigma * self.normal() - 0.5 * sigma * sigma).exp()
        }
    }

    /// Number of successes in `n` trials of probability `p` (small `n`).
    #[inline]
    pub fn binomial_small(&mut self, n: u32, p: f64) -> u32 {
        (0..n).map(|_| u32::from(self.chance(p))).sum()
    }

    /// A binomial(n, p) count from a single uniform, by inverse CDF. Meant for small
    /// `n` and rare events (illness in a household): one draw instead of `n`.
    #[inline]
    pub fn binomial(&mut self, n: u32, p: f64) -> u32 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        let u = self.uniform();
        let q = 1.0 - p;
        let mut pk = q.powi(n as i32);
        let mut cdf = pk;
        let mut k = 0;
        let ratio = p / q;
        while u >= cdf && k < n {
            pk *= f64::from(n - k) / f64::from(k + 1) * ratio;
            k += 1;
            cdf += pk;
        }
        k
    }

    /// A uniform index in `0..n` (`n > 0`), by Lemire's multiply-shift.
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        ((self.next() >> 32).wrapping_mul(n as u64) >> 32) as usize
    }
}

impl TryRng for CellRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.next() >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.next())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// Shuffle a slice in place (Fisher–Yates) with a cell generator.
pub fn shuffle<T>(rng: &mut CellRng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.index(i + 1);
        items.swap(i, j);
    }
}

/// Draw from any `rand_distr` distribution; a thin helper so call sites read well.
#[inline]
pub fn draw<T, D: Distribution<T>>(rng: &mut CellRng, dist: &D) -> T {
    dist.sample(rng)
}

// `Rng` is implemented through the blanket impl over `TryRng<Error = Infallible>`;
// this assertion keeps that true if the trait structure of `rand` changes.
const _: fn() = || {
    fn assert_rng<R: Rng>() {}
    assert_rng::<CellRng>();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_cell_same_numbers() {
        let mut a = CellRng::new(7, 3, Stream::Health, 42, 2017);
        let mut b = CellRng::new(7, 3, Stream::Health, 42, 2017);
        for _ in 0..100 {
            assert_eq!(a.next(), b.next());
        }
    }

    #[test]
    fn stream_keys_give_the_same_cells() {
        let k = StreamKey::new(7, 3, Stream::Health);
        assert_eq!(k.cell(42, 2017), cell_key(7, 3, Stream::Health, 42, 2017));
        assert_eq!(
            k.rng(42, 2017).uniform(),
            CellRng::new(7, 3, Stream::Health, 42, 2017).uniform()
        );
    }

    #[test]
    fn every_coordinate_changes_the_stream() {
        let base = cell_key(7, 3, Stream::Health, 42, 2017);
        assert_ne!(base, cell_key(8, 3, Stream::Health, 42, 2017));
        assert_ne!(base, cell_key(7, 4, Stream::Health, 42, 2017));
        assert_ne!(base, cell_key(7, 3, Stream::Production, 42, 2017));
        assert_ne!(base, cell_key(7, 3, Stream::Health, 43, 2017));
        assert_ne!(base, cell_key(7, 3, Stream::Health, 42, 2018));
    }

    #[test]
    fn uniform_is_in_unit_interval_and_roughly_flat() {
        let mut r = CellRng::new(1, 0, Stream::Weather, 0, 2016);
        let n = 100_000;
        let mut bins = [0u32; 10];
        for _ in 0..n {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            bins[(u * 10.0) as usize] += 1;
        }
        for b in bins {
            assert!((b as f64 - 10_000.0).abs() < 500.0, "bin count {b}");
        }
    }

    #[test]
    fn mean_one_lognormal_has_mean_one() {
        let mut r = CellRng::new(2, 0, Stream::Price, 0, 2016);
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| r.mean_one_lognormal(0.3)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    }

    #[test]
    fn inverse_cdf_binomial_has_the_right_moments() {
        let mut r = CellRng::new(4, 0, Stream::Health, 0, 2016);
        for (n, p) in [(5u32, 0.05), (3, 0.3), (8, 0.5), (1, 0.9)] {
            let draws: Vec<f64> = (0..200_000).map(|_| f64::from(r.binomial(n, p))).collect();
            let mean = draws.iter().sum::<f64>() / draws.len() as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            let (m, v) = (f64::from(n) * p, f64::from(n) * p * (1.0 - p));
            assert!((mean - m).abs() < 0.01 * m.max(0.1), "n {n} p {p}: mean {mean}");
            assert!((var - v).abs() < 0.03 * v.max(0.1), "n {n} p {p}: var {var}");
            assert!(draws.iter().all(|&x| x <= f64::from(n)));
        }
        assert_eq!(r.binomial(4, 0.0), 0);
        assert_eq!(r.binomial(4, 1.0), 4);
    }

    #[test]
    fn index_stays_in_range_and_shuffle_permutes() {
        let mut r = CellRng::new(3, 0, Stream::SynthesisSelection, 0, 2016);
        for n in 1..50 {
            assert!(r.index(n) < n);
        }
        let mut v: Vec<u32> = (0..100).collect();
        shuffle(&mut r, &mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }
}
