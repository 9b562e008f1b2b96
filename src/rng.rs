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

/// The (seed, replicate, stream) part of a cell key, computed once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamKey(u64);

impl StreamKey {
    #[inline]
    pub fn new(seed: u64, replicate: u32, stream: Stream) -> StreamKey {
        let mut k = mix64(seed ^ 0x5a4e_d4a1_0000_0001);
        k = mix64(k ^ (replicate as u64).wrapping_mul(GOLDEN));
        StreamKey(mix64(k ^ (stream as u64).wrapping_mul(0xd6e8_feb8_6659_fd93)))
    }

    /// This stream's key in one year: the hot loop derives it once per year and
    /// then mixes in only the entity, one mixing round per cell.
    #[inline]
    pub fn year(self, year: i32) -> YearKey {
        YearKey(mix64(self.0 ^ (year as i64 as u64).wrapping_mul(0xe703_7ed1_a0b4_28db)))
    }

    #[inline]
    pub fn cell(self, entity: u64, year: i32) -> u64 {
        self.year(year).cell(entity)
    }

    /// The generator of one cell of this stream.
    #[inline]
    pub fn rng(self, entity: u64, year: i32) -> CellRng {
        self.year(year).rng(entity)
    }
}

/// The (seed, replicate, stream, year) part of a cell key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearKey(u64);

impl YearKey {
    #[inline]
    pub fn cell(self, entity: u64) -> u64 {
        mix64(self.0 ^ entity.wrapping_mul(0xa076_1d64_78bd_642f))
    }

    /// The generator of one entity's cell in this stream and year.
    #[inline]
    pub fn rng(self, entity: u64) -> CellRng {
        CellRng {
            state: self.cell(entity),
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
            exp(sigma * self.normal() - 0.5 * sigma * sigma)
        }
    }

    /// A lognormal deviate: `exp(mu + sigma · z)` for a standard normal `z`.
    #[inline]
    pub fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        exp(mu + sigma * self.normal())
    }

    /// Number of successes in `n` trials of probability `p` (small `n`).
    #[inline]
    pub fn binomial_small(&mut self, n: u32, p: f64) -> u32 {
        (0..n).map(|_| u32::from(self.chance(p))).sum()
    }

    /// A binomial(n, p) count from a single uniform, by inverse CDF. Meant for small
    /// `n` and rare events (illness in a household): one draw instead of `n`. In a
    /// hot loop with a fixed `p`, [`SmallBinomial`] tabulates the start of the CDF.
    #[inline]
    pub fn binomial(&mut self, n: u32, p: f64) -> u32 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        let q = 1.0 - p;
        inverse_cdf(self.uniform(), n, none_of(n, q), p / q)
    }

    /// A uniform index in `0..n` (`n > 0`), by Lemire's multiply-shift.
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        ((self.next() >> 32).wrapping_mul(n as u64) >> 32) as usize
    }
}

/// (1 − p)ⁿ, the chance of no success, as a plain product so that the table of
/// [`SmallBinomial`] and [`CellRng::binomial`] agree to the bit.
#[inline]
fn none_of(n: u32, q: f64) -> f64 {
    (0..n).fold(1.0, |a, _| a * q)
}

/// The binomial count whose CDF first exceeds `u`, walking up from P(0) = `p0`
/// with the ratio p / (1 − p) of successive terms.
#[inline]
fn inverse_cdf(u: f64, n: u32, p0: f64, ratio: f64) -> u32 {
    let (mut pk, mut cdf, mut k) = (p0, p0, 0);
    while u >= cdf && k < n {
        pk *= f64::from(n - k) / f64::from(k + 1) * ratio;
        k += 1;
        cdf += pk;
    }
    k
}

/// Binomial(n, p) draws for small `n` and one `p`, as [`CellRng::binomial`] makes
/// them, with the chances of no success, (1 − p)ⁿ, tabulated once rather than raised
/// to a power at every draw (households are small; larger `n` falls back).
#[derive(Debug, Clone)]
pub struct SmallBinomial {
    p: f64,
    ratio: f64,
    none: [f64; SmallBinomial::TABLE],
}

impl SmallBinomial {
    const TABLE: usize = 16;

    pub fn new(p: f64) -> SmallBinomial {
        let q = 1.0 - p;
        SmallBinomial {
            p,
            ratio: p / q,
            none: std::array::from_fn(|n| none_of(n as u32, q)),
        }
    }

    /// A binomial(n, p) count from one uniform of `rng`.
    #[inline]
    pub fn draw(&self, rng: &mut CellRng, n: u32) -> u32 {
        if n == 0 || self.p <= 0.0 {
            return 0;
        }
        if self.p >= 1.0 {
            return n;
        }
        match self.none.get(n as usize) {
            Some(&p0) => inverse_cdf(rng.uniform(), n, p0, self.ratio),
            None => rng.binomial(n, self.p),
        }
    }
}

/// 2^(j/64) for j in 0..64, correctly rounded (computed with 80-digit decimals;
/// a test checks them against the platform's `exp2`).
const EXP2_64THS: [u64; 64] = [
    0x3ff0000000000000,
    0x3ff02c9a3e778061,
    0x3ff059b0d3158574,
    0x3ff0874518759bc8,
    0x3ff0b5586cf9890f,
    0x3ff0e3ec32d3d1a2,
    0x3ff11301d0125b51,
    0x3ff1429aaea92de0,
    0x3ff172b83c7d517b,
    0x3ff1a35beb6fcb75,
    0x3ff1d4873168b9aa,
    0x3ff2063b88628cd6,
    0x3ff2387a6e756238,
    0x3ff26b4565e27cdd,
    0x3ff29e9df51fdee1,
    0x3ff2d285a6e4030b,
    0x3ff306fe0a31b715,
    0x3ff33c08b26416ff,
    0x3ff371a7373aa9cb,
    0x3ff3a7db34e59ff7,
    0x3ff3dea64c123422,
    0x3ff4160a21f72e2a,
    0x3ff44e086061892d,
    0x3ff486a2b5c13cd0,
    0x3ff4bfdad5362a27,
    0x3ff4f9b2769d2ca7,
    0x3ff5342b569d4f82,
    0x3ff56f4736b527da,
    0x3ff5ab07dd485429,
    0x3ff5e76f15ad2148,
    0x3ff6247eb03a5585,
    0x3ff6623882552225,
    0x3ff6a09e667f3bcd,
    0x3ff6dfb23c651a2f,
    0x3ff71f75e8ec5f74,
    0x3ff75feb564267c9,
    0x3ff7a11473eb0187,
    0x3ff7e2f336cf4e62,
    0x3ff82589994cce13,
    0x3ff868d99b4492ed,
    0x3ff8ace5422aa0db,
    0x3ff8f1ae99157736,
    0x3ff93737b0cdc5e5,
    0x3ff97d829fde4e50,
    0x3ff9c49182a3f090,
    0x3ffa0c667b5de565,
    0x3ffa5503b23e255d,
    0x3ffa9e6b5579fdbf,
    0x3ffae89f995ad3ad,
    0x3ffb33a2b84f15fb,
    0x3ffb7f76f2fb5e47,
    0x3ffbcc1e904bc1d2,
    0x3ffc199bdd85529c,
    0x3ffc67f12e57d14b,
    0x3ffcb720dcef9069,
    0x3ffd072d4a07897c,
    0x3ffd5818dcfba487,
    0x3ffda9e603db3285,
    0x3ffdfc97337b9b5f,
    0x3ffe502ee78b3ff6,
    0x3ffea4afa2a490da,
    0x3ffefa1bee615a27,
    0x3fff50765b6e4540,
    0x3fffa7c1819e90d8,
];

/// e^x in plain IEEE arithmetic: the same bits on every platform, which a
/// platform's `exp` does not promise, and a short dependency chain with no division
/// or call in the hot loop. x = (64m + j)·ln2/64 + r with |r| ≤ ln2/128, so
/// e^x = 2^m · 2^(j/64) · e^r with e^r from a degree-5 polynomial (truncation error
/// below 4·10⁻¹⁷). Within two units in the last place; arguments are clamped to the
/// range where the result is a normal number.
#[inline]
pub fn exp(x: f64) -> f64 {
    const INV_LN2_64: f64 = 92.332_482_616_893_66;
    // ln2/64 split so that k·HI is exact for every k the clamp allows.
    const LN2_64_HI: f64 = 0.010_830_424_695_996_044;
    const LN2_64_LO: f64 = 2.531_017_216_665_087_7e-13;
    // Adding and subtracting 1.5·2^52 rounds to the nearest integer without a call.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(-708.0, 709.0);
    let kf = (x * INV_LN2_64 + ROUND) - ROUND;
    let k = kf as i32;
    let r = (x - kf * LN2_64_HI) - kf * LN2_64_LO;
    let r2 = r * r;
    // e^r − 1 = r + r²/2 + r³/6 + r⁴/24 + r⁵/120, grouped for a short chain.
    let p = r + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
    let t = f64::from_bits(EXP2_64THS[(k & 63) as usize]);
    // 2^m from its exponent bits; m = k >> 6 lies in the normal range after the clamp.
    (t + t * p) * f64::from_bits(((0x3ff + (k >> 6)) as u64) << 52)
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
        assert_eq!(k.year(2017).cell(42), k.cell(42, 2017));
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
    fn small_binomial_draws_what_binomial_draws() {
        for p in [0.0, 0.005, 0.05, 0.3, 1.0] {
            let table = SmallBinomial::new(p);
            for n in [0u32, 1, 3, 7, 15, 16, 40] {
                let (mut a, mut b) = (
                    CellRng::new(5, 0, Stream::Health, 1, 2016),
                    CellRng::new(5, 0, Stream::Health, 1, 2016),
                );
                for _ in 0..2_000 {
                    let x = table.draw(&mut a, n);
                    let y = b.binomial(n, p);
                    assert!(x <= n);
                    assert_eq!(x, y, "p {p} n {n}");
                }
            }
        }
    }

    #[test]
    fn exp_table_holds_the_powers_of_two() {
        for (j, &bits) in EXP2_64THS.iter().enumerate() {
            let want = (j as f64 / 64.0).exp2();
            assert!((f64::from_bits(bits) - want).abs() <= f64::EPSILON * want, "2^({j}/64)");
        }
    }

    #[test]
    fn exp_matches_the_platform_within_two_ulps() {
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
        assert!(exp(-1e6) > 0.0 && exp(1e6).is_finite());
        let mut r = CellRng::new(9, 0, Stream::Price, 0, 2016);
        for _ in 0..200_000 {
            let x = (r.uniform() - 0.5) * 60.0;
            let (ours, libm) = (exp(x), x.exp());
            assert!(
                ((ours - libm) / libm).abs() <= 2.0 * f64::EPSILON,
                "exp({x}) = {ours}, libm {libm}"
            );
        }
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
