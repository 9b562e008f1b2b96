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
//! A cell's key is mixed from its coordinates with SplitMix64's output function
//! (Steele, Lea & Flood 2014), a bijection with full avalanche, so neighbouring
//! households and years get unrelated keys. From its key a cell draws with wyrand
//! (Wang Yi; the generator of Go's runtime and of the `fastrand` crate): one add
//! and one 64×64→128-bit multiply per output, half the work of a SplitMix64 output,
//! it passes BigCrush and PractRand, and seeding costs nothing, which matters when a
//! generator is created for every household every year. We implement both here
//! rather than use `SmallRng`, whose algorithm `rand` does not promise to keep
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
    /// Household herds: deaths, births and sales.
    Herds = 20,
    /// Herd disasters (disease, snow), per village and species.
    HerdDisasters = 21,
    /// Failure of the village collectives' own enterprises, per village.
    CollectiveEnterprises = 22,
    /// The assessment that ranks households exited before the baseline.
    ExitedBeforeBaseline = 23,
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

    /// wyrand's step: one add and one 64×64→128-bit multiply per output.
    #[inline]
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.state) * u128::from(self.state ^ 0xe703_7ed1_a0b4_28db);
        (t >> 64) as u64 ^ t as u64
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

/// 2^(j/256) for j in 0..256, correctly rounded (computed with 90-digit decimals;
/// a test checks them against the platform's `exp2`).
const EXP2_256THS: [u64; 256] = [
    0x3ff0000000000000,
    0x3ff00b1afa5abcbf,
    0x3ff0163da9fb3335,
    0x3ff02168143b0281,
    0x3ff02c9a3e778061,
    0x3ff037d42e11bbcc,
    0x3ff04315e86e7f85,
    0x3ff04e5f72f654b1,
    0x3ff059b0d3158574,
    0x3ff0650a0e3c1f89,
    0x3ff0706b29ddf6de,
    0x3ff07bd42b72a836,
    0x3ff0874518759bc8,
    0x3ff092bdf66607e0,
    0x3ff09e3ecac6f383,
    0x3ff0a9c79b1f3919,
    0x3ff0b5586cf9890f,
    0x3ff0c0f145e46c85,
    0x3ff0cc922b7247f7,
    0x3ff0d83b23395dec,
    0x3ff0e3ec32d3d1a2,
    0x3ff0efa55fdfa9c5,
    0x3ff0fb66affed31b,
    0x3ff1073028d7233e,
    0x3ff11301d0125b51,
    0x3ff11edbab5e2ab6,
    0x3ff12abdc06c31cc,
    0x3ff136a814f204ab,
    0x3ff1429aaea92de0,
    0x3ff14e95934f312e,
    0x3ff15a98c8a58e51,
    0x3ff166a45471c3c2,
    0x3ff172b83c7d517b,
    0x3ff17ed48695bbc0,
    0x3ff18af9388c8dea,
    0x3ff1972658375d2f,
    0x3ff1a35beb6fcb75,
    0x3ff1af99f8138a1c,
    0x3ff1bbe084045cd4,
    0x3ff1c82f95281c6b,
    0x3ff1d4873168b9aa,
    0x3ff1e0e75eb44027,
    0x3ff1ed5022fcd91d,
    0x3ff1f9c18438ce4d,
    0x3ff2063b88628cd6,
    0x3ff212be3578a819,
    0x3ff21f49917ddc96,
    0x3ff22bdda27912d1,
    0x3ff2387a6e756238,
    0x3ff2451ffb82140a,
    0x3ff251ce4fb2a63f,
    0x3ff25e85711ece75,
    0x3ff26b4565e27cdd,
    0x3ff2780e341ddf29,
    0x3ff284dfe1f56381,
    0x3ff291ba7591bb70,
    0x3ff29e9df51fdee1,
    0x3ff2ab8a66d10f13,
    0x3ff2b87fd0dad990,
    0x3ff2c57e39771b2f,
    0x3ff2d285a6e4030b,
    0x3ff2df961f641589,
    0x3ff2ecafa93e2f56,
    0x3ff2f9d24abd886b,
    0x3ff306fe0a31b715,
    0x3ff31432edeeb2fd,
    0x3ff32170fc4cd831,
    0x3ff32eb83ba8ea32,
    0x3ff33c08b26416ff,
    0x3ff3496266e3fa2d,
    0x3ff356c55f929ff1,
    0x3ff36431a2de883b,
    0x3ff371a7373aa9cb,
    0x3ff37f26231e754a,
    0x3ff38cae6d05d866,
    0x3ff39a401b7140ef,
    0x3ff3a7db34e59ff7,
    0x3ff3b57fbfec6cf4,
    0x3ff3c32dc313a8e5,
    0x3ff3d0e544ede173,
    0x3ff3dea64c123422,
    0x3ff3ec70df1c5175,
    0x3ff3fa4504ac801c,
    0x3ff40822c367a024,
    0x3ff4160a21f72e2a,
    0x3ff423fb2709468a,
    0x3ff431f5d950a897,
    0x3ff43ffa3f84b9d4,
    0x3ff44e086061892d,
    0x3ff45c2042a7d232,
    0x3ff46a41ed1d0057,
    0x3ff4786d668b3237,
    0x3ff486a2b5c13cd0,
    0x3ff494e1e192aed2,
    0x3ff4a32af0d7d3de,
    0x3ff4b17dea6db7d7,
    0x3ff4bfdad5362a27,
    0x3ff4ce41b817c114,
    0x3ff4dcb299fddd0d,
    0x3ff4eb2d81d8abff,
    0x3ff4f9b2769d2ca7,
    0x3ff508417f4531ee,
    0x3ff516daa2cf6642,
    0x3ff5257de83f4eef,
    0x3ff5342b569d4f82,
    0x3ff542e2f4f6ad27,
    0x3ff551a4ca5d920f,
    0x3ff56070dde910d2,
    0x3ff56f4736b527da,
    0x3ff57e27dbe2c4cf,
    0x3ff58d12d497c7fd,
    0x3ff59c0827ff07cc,
    0x3ff5ab07dd485429,
    0x3ff5ba11fba87a03,
    0x3ff5c9268a5946b7,
    0x3ff5d84590998b93,
    0x3ff5e76f15ad2148,
    0x3ff5f6a320dceb71,
    0x3ff605e1b976dc09,
    0x3ff6152ae6cdf6f4,
    0x3ff6247eb03a5585,
    0x3ff633dd1d1929fd,
    0x3ff6434634ccc320,
    0x3ff652b9febc8fb7,
    0x3ff6623882552225,
    0x3ff671c1c70833f6,
    0x3ff68155d44ca973,
    0x3ff690f4b19e9538,
    0x3ff6a09e667f3bcd,
    0x3ff6b052fa75173e,
    0x3ff6c012750bdabf,
    0x3ff6cfdcddd47645,
    0x3ff6dfb23c651a2f,
    0x3ff6ef9298593ae5,
    0x3ff6ff7df9519484,
    0x3ff70f7466f42e87,
    0x3ff71f75e8ec5f74,
    0x3ff72f8286ead08a,
    0x3ff73f9a48a58174,
    0x3ff74fbd35d7cbfd,
    0x3ff75feb564267c9,
    0x3ff77024b1ab6e09,
    0x3ff780694fde5d3f,
    0x3ff790b938ac1cf6,
    0x3ff7a11473eb0187,
    0x3ff7b17b0976cfdb,
    0x3ff7c1ed0130c132,
    0x3ff7d26a62ff86f0,
    0x3ff7e2f336cf4e62,
    0x3ff7f3878491c491,
    0x3ff80427543e1a12,
    0x3ff814d2add106d9,
    0x3ff82589994cce13,
    0x3ff8364c1eb941f7,
    0x3ff8471a4623c7ad,
    0x3ff857f4179f5b21,
    0x3ff868d99b4492ed,
    0x3ff879cad931a436,
    0x3ff88ac7d98a6699,
    0x3ff89bd0a478580f,
    0x3ff8ace5422aa0db,
    0x3ff8be05bad61778,
    0x3ff8cf3216b5448c,
    0x3ff8e06a5e0866d9,
    0x3ff8f1ae99157736,
    0x3ff902fed0282c8a,
    0x3ff9145b0b91ffc6,
    0x3ff925c353aa2fe2,
    0x3ff93737b0cdc5e5,
    0x3ff948b82b5f98e5,
    0x3ff95a44cbc8520f,
    0x3ff96bdd9a7670b3,
    0x3ff97d829fde4e50,
    0x3ff98f33e47a22a2,
    0x3ff9a0f170ca07ba,
    0x3ff9b2bb4d53fe0d,
    0x3ff9c49182a3f090,
    0x3ff9d674194bb8d5,
    0x3ff9e86319e32323,
    0x3ff9fa5e8d07f29e,
    0x3ffa0c667b5de565,
    0x3ffa1e7aed8eb8bb,
    0x3ffa309bec4a2d33,
    0x3ffa42c980460ad8,
    0x3ffa5503b23e255d,
    0x3ffa674a8af46052,
    0x3ffa799e1330b358,
    0x3ffa8bfe53c12e59,
    0x3ffa9e6b5579fdbf,
    0x3ffab0e521356eba,
    0x3ffac36bbfd3f37a,
    0x3ffad5ff3a3c2774,
    0x3ffae89f995ad3ad,
    0x3ffafb4ce622f2ff,
    0x3ffb0e07298db666,
    0x3ffb20ce6c9a8952,
    0x3ffb33a2b84f15fb,
    0x3ffb468415b749b1,
    0x3ffb59728de5593a,
    0x3ffb6c6e29f1c52a,
    0x3ffb7f76f2fb5e47,
    0x3ffb928cf22749e4,
    0x3ffba5b030a1064a,
    0x3ffbb8e0b79a6f1f,
    0x3ffbcc1e904bc1d2,
    0x3ffbdf69c3f3a207,
    0x3ffbf2c25bd71e09,
    0x3ffc06286141b33d,
    0x3ffc199bdd85529c,
    0x3ffc2d1cd9fa652c,
    0x3ffc40ab5fffd07a,
    0x3ffc544778fafb22,
    0x3ffc67f12e57d14b,
    0x3ffc7ba88988c933,
    0x3ffc8f6d9406e7b5,
    0x3ffca3405751c4db,
    0x3ffcb720dcef9069,
    0x3ffccb0f2e6d1675,
    0x3ffcdf0b555dc3fa,
    0x3ffcf3155b5bab74,
    0x3ffd072d4a07897c,
    0x3ffd1b532b08c968,
    0x3ffd2f87080d89f2,
    0x3ffd43c8eacaa1d6,
    0x3ffd5818dcfba487,
    0x3ffd6c76e862e6d3,
    0x3ffd80e316c98398,
    0x3ffd955d71ff6075,
    0x3ffda9e603db3285,
    0x3ffdbe7cd63a8315,
    0x3ffdd321f301b460,
    0x3ffde7d5641c0658,
    0x3ffdfc97337b9b5f,
    0x3ffe11676b197d17,
    0x3ffe264614f5a129,
    0x3ffe3b333b16ee12,
    0x3ffe502ee78b3ff6,
    0x3ffe653924676d76,
    0x3ffe7a51fbc74c83,
    0x3ffe8f7977cdb740,
    0x3ffea4afa2a490da,
    0x3ffeb9f4867cca6e,
    0x3ffecf482d8e67f1,
    0x3ffee4aaa2188510,
    0x3ffefa1bee615a27,
    0x3fff0f9c1cb6412a,
    0x3fff252b376bba97,
    0x3fff3ac948dd7274,
    0x3fff50765b6e4540,
    0x3fff6632798844f8,
    0x3fff7bfdad9cbe14,
    0x3fff91d802243c89,
    0x3fffa7c1819e90d8,
    0x3fffbdba3692d514,
    0x3fffd3c22b8f71f1,
    0x3fffe9d96b2a23d9,
];

/// e^x in plain IEEE arithmetic: the same bits on every platform, which a
/// platform's `exp` does not promise, and a short dependency chain with no division
/// or call in the hot loop. x = (256m + j)·ln2/256 + r with |r| ≤ ln2/512, so
/// e^x = 2^m · 2^(j/256) · e^r with e^r from a degree-4 polynomial (truncation error
/// below 4·10⁻¹⁷). Within two units in the last place; arguments are clamped to the
/// range where the result is a normal number.
#[inline]
pub fn exp(x: f64) -> f64 {
    const INV_LN2_256: f64 = 369.329_930_467_574_6;
    // ln2/256 split so that k·HI is exact for every k the clamp allows (|k| < 2^18).
    const LN2_256_HI: f64 = 0.002_707_606_173_999_011;
    const LN2_256_LO: f64 = 6.327_543_041_662_719e-14;
    // Adding and subtracting 1.5·2^52 rounds to the nearest integer without a call.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(-708.0, 709.0);
    let shifted = x * INV_LN2_256 + ROUND;
    // The integer k sits in the low bits of `shifted`'s pattern, in two's complement.
    let k = shifted.to_bits() as i32;
    let kf = shifted - ROUND;
    let r = (x - kf * LN2_256_HI) - kf * LN2_256_LO;
    let r2 = r * r;
    // e^r − 1 = r + r²/2 + r³/6 + r⁴/24, grouped for a short chain.
    let p = r + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0));
    let t = f64::from_bits(EXP2_256THS[(k & 255) as usize]);
    // 2^m from its exponent bits; m = k >> 8 lies in the normal range after the clamp.
    (t + t * p) * f64::from_bits(((0x3ff + (k >> 8)) as u64) << 52)
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
    fn neighbouring_cells_are_unrelated_and_every_bit_is_balanced() {
        // The first draws of households i and i + 1 in one year: a weak key mix or
        // output function would show here first.
        let key = StreamKey::new(11, 2, Stream::Production).year(2018);
        let n = 100_000u64;
        let mut ones = [0u32; 64];
        let (mut sx, mut sy, mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let (mut a, mut b) = (key.rng(i), key.rng(i + 1));
            let bits = a.bits();
            for (j, c) in ones.iter_mut().enumerate() {
                *c += ((bits >> j) & 1) as u32;
            }
            let (x, y) = (a.uniform() - 0.5, b.uniform() - 0.5);
            (sx, sy, sxy, sxx, syy) = (sx + x, sy + y, sxy + x * y, sxx + x * x, syy + y * y);
        }
        let nf = n as f64;
        let cov = sxy / nf - (sx / nf) * (sy / nf);
        let corr = cov / ((sxx / nf - (sx / nf).powi(2)) * (syy / nf - (sy / nf).powi(2))).sqrt();
        assert!(corr.abs() < 0.015, "correlation {corr}");
        for (j, c) in ones.iter().enumerate() {
            // 5 standard deviations of a fair bit over n cells.
            assert!(
                (f64::from(*c) - nf / 2.0).abs() < 5.0 * (nf / 4.0).sqrt(),
                "bit {j}: {c}"
            );
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
        for (j, &bits) in EXP2_256THS.iter().enumerate() {
            let want = (j as f64 / 256.0).exp2();
            assert!(
                (f64::from_bits(bits) - want).abs() <= f64::EPSILON * want,
                "2^({j}/256)"
            );
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
