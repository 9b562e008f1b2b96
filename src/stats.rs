//! Small numerical helpers: the normal distribution's CDF and quantile (used to
//! calibrate synthesis), sample quantiles (used in summaries), person-weighted
//! median and Gini (used in yearly metrics), and a weighted correlation (used on
//! calibration posteriors).

/// Φ(x), the standard normal CDF, via the complementary error function
/// (W. J. Cody's rational approximation as given in Numerical Recipes, |ε| < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation refined by one Halley
/// step. Outside (0, 1) it returns ∓∞.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let plow = 0.02425;
    let x = if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley refinement step.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

/// The `q`-quantile of sorted data, linear between order statistics (R's type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Lower-triangular Cholesky factor L (A = L Lᵀ) of a symmetric positive-definite
/// matrix; a pivot that rounding makes non-positive is floored at 10⁻³⁰⁰.
pub fn cholesky(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][i] = (a[i][i] - s).max(1e-300).sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    l
}

/// The Pearson correlation of `x` and `y` under weights `w` (NaN if either is constant).
pub fn weighted_correlation(x: &[f64], y: &[f64], w: &[f64]) -> f64 {
    let total: f64 = w.iter().sum();
    let mean = |v: &[f64]| v.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for ((a, b), c) in x.iter().zip(y).zip(w) {
        sxy += c * (a - mx) * (b - my);
        sxx += c * (a - mx).powi(2);
        syy += c * (b - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

/// Pack a non-negative per-capita income and a household size into one sortable key.
/// Non-negative `f32` bit patterns sort like the numbers they encode.
#[inline]
fn income_key(income_pc: f32, size: u8) -> u64 {
    (u64::from(income_pc.max(0.0).to_bits()) << 8) | u64::from(size)
}

/// The income and the weight a key holds.
#[inline]
fn decode(k: u64) -> (f64, f64) {
    (f64::from(f32::from_bits((k >> 8) as u32)), (k & 0xff) as f64)
}

/// Bits per digit of the radix sort: three digits cover an `f32` pattern.
const BITS: u32 = 11;
const DIGITS: usize = 3;
const MASK: u64 = (1 << BITS) - 1;

/// The `d`-th digit of a key's income bits (bits 8 to 40).
#[inline]
fn digit(k: u64, d: usize) -> usize {
    ((k >> (8 + d as u32 * BITS)) & MASK) as usize
}

/// The per-capita incomes of one year's households, for their person-weighted
/// median and Gini. The keys and the sort's scratch space live as long as the
/// simulation, so that a year allocates nothing. Adding a household also counts its
/// key's radix digits and its persons and income, work that overlaps with the
/// household loop instead of taking passes of its own over the keys.
#[derive(Debug, Clone)]
pub struct IncomeKeys {
    keys: Vec<u64>,
    scratch: Vec<u64>,
    counts: Box<[[u32; 1 << BITS]; DIGITS]>,
    persons: f64,
    total: f64,
}

impl Default for IncomeKeys {
    fn default() -> IncomeKeys {
        IncomeKeys::with_capacity(0)
    }
}

impl IncomeKeys {
    /// Room for `n` households.
    pub fn with_capacity(n: usize) -> IncomeKeys {
        IncomeKeys {
            keys: Vec::with_capacity(n),
            scratch: Vec::with_capacity(n),
            counts: Box::new([[0; 1 << BITS]; DIGITS]),
            persons: 0.0,
            total: 0.0,
        }
    }

    /// Households added since [`Self::clear`].
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none has been added.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Persons in the households added: the sum of their sizes.
    pub fn persons(&self) -> f64 {
        self.persons
    }

    /// Forget last year's incomes.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.counts.iter_mut().for_each(|c| c.fill(0));
        (self.persons, self.total) = (0.0, 0.0);
    }

    /// Add a household: its per-capita income (below zero counts as zero) and size.
    #[inline(always)]
    pub fn push(&mut self, income_pc: f32, size: u8) {
        let k = income_key(income_pc, size);
        self.keys.push(k);
        for (d, c) in self.counts.iter_mut().enumerate() {
            c[digit(k, d)] += 1;
        }
        let (y, w) = decode(k);
        self.persons += w;
        self.total += w * y;
    }

    /// Person-weighted median and Gini of the incomes added since [`Self::clear`].
    /// Incomes below zero count as zero (the Gini coefficient is defined for
    /// non-negative incomes).
    pub fn median_and_gini(&mut self) -> (f64, f64) {
        if self.keys.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        self.radix_sort();
        let (persons, total) = (self.persons, self.total);
        let half = persons / 2.0;
        let mut median = f64::NAN;
        // Gini = 1 − Σ w_i (S_{i−1} + S_i) / (W · S_n), S_i the cumulative income.
        let (mut cum_w, mut cum_y, mut area) = (0.0, 0.0, 0.0);
        for &k in self.keys.iter() {
            let (y, w) = decode(k);
            let prev = cum_y;
            cum_y += w * y;
            area += w * (prev + cum_y);
            cum_w += w;
            if median.is_nan() && cum_w >= half {
                median = y;
            }
        }
        let gini = if total > 0.0 {
            1.0 - area / (persons * total)
        } else {
            0.0
        };
        (median, gini)
    }

    /// Sort the keys by their income bits with an LSD radix sort of three 11-bit
    /// digits, counted as they were added: linear in the number of households,
    /// where the yearly metrics need a full sort. Keys of equal income keep their
    /// input order, which is deterministic.
    fn radix_sort(&mut self) {
        let (keys, scratch) = (&mut self.keys, &mut self.scratch);
        let n = keys.len();
        // Every slot is written before it is read; zero it only when it grows.
        scratch.resize(n, 0);
        for (d, counts) in self.counts.iter().enumerate() {
            if counts.iter().any(|&c| c as usize == n) {
                continue; // every key has the same digit: this pass would move nothing
            }
            // Each digit's first slot; the counts stay counts, so that more keys
            // may be added and the sort run again.
            let mut next = [0u32; 1 << BITS];
            let mut start = 0;
            for (slot, &c) in next.iter_mut().zip(counts.iter()) {
                *slot = start;
                start += c;
            }
            for &k in keys.iter() {
                let b = &mut next[digit(k, d)];
                scratch[*b as usize] = k;
                *b += 1;
            }
            std::mem::swap(keys, scratch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_and_quantile_agree() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        for p in [1e-10, 0.001, 0.02, 0.3, 0.5, 0.8, 0.99, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) - p).abs() < 1e-7 * p.max(1e-3), "p {p} x {x}");
        }
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&v, 0.5), 3.0);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 5.0);
        assert!((quantile_sorted(&v, 0.05) - 1.2).abs() < 1e-12);
    }

    #[test]
    fn a_weightless_point_does_not_move_the_correlation() {
        let (x, y) = ([1.0, 2.0, 3.0, 10.0], [2.0, 4.0, 6.0, -50.0]);
        assert!((weighted_correlation(&x, &y, &[1.0, 2.0, 1.0, 0.0]) - 1.0).abs() < 1e-12);
        assert!(weighted_correlation(&x, &y, &[1.0; 4]) < 0.0);
        assert!(weighted_correlation(&x, &[5.0; 4], &[1.0; 4]).is_nan());
    }

    #[test]
    fn gini_of_equal_incomes_is_zero_and_of_one_earner_is_near_one() {
        let mut eq = IncomeKeys::default();
        (0..10).for_each(|_| eq.push(1000.0, 3));
        let (m, g) = eq.median_and_gini();
        assert_eq!(m, 1000.0);
        assert!(g.abs() < 1e-12);
        let mut one = IncomeKeys::default();
        (0..1000).for_each(|i| one.push(if i == 0 { 1e6 } else { 0.0 }, 1));
        let (_, g) = one.median_and_gini();
        assert!((g - 0.999).abs() < 1e-9, "{g}");
    }

    #[test]
    fn radix_sort_sorts() {
        let mut r = crate::rng::CellRng::new(1, 0, crate::rng::Stream::Weather, 0, 0);
        let mut keys = IncomeKeys::default();
        for _ in 0..10_000 {
            keys.push((r.uniform() * 1e5) as f32, (r.index(9) + 1) as u8);
        }
        let mut expected = keys.keys.clone();
        expected.sort_by_key(|k| k >> 8);
        keys.radix_sort();
        let income = |v: &[u64]| v.iter().map(|k| k >> 8).collect::<Vec<_>>();
        assert_eq!(income(&keys.keys), income(&expected));
    }

    #[test]
    fn keys_can_be_added_after_a_sort() {
        let mut r = crate::rng::CellRng::new(2, 0, crate::rng::Stream::Weather, 0, 0);
        let mut all = IncomeKeys::default();
        let mut first = IncomeKeys::default();
        for i in 0..3_000 {
            let (y, w) = ((r.uniform() * 1e4) as f32, (r.index(6) + 1) as u8);
            all.push(y, w);
            if i < 1_000 {
                first.push(y, w);
            } else if i == 1_000 {
                let once = first.median_and_gini();
                assert_eq!(first.median_and_gini(), once, "sorting twice changes nothing");
                first.push(y, w);
            } else {
                first.push(y, w);
            }
        }
        let (m1, g1) = first.median_and_gini();
        let (m2, g2) = all.median_and_gini();
        assert_eq!(m1, m2);
        assert!((g1 - g2).abs() < 1e-12, "{g1} {g2}");
    }

    #[test]
    fn gini_is_person_weighted() {
        // Two households: 1 person at 0, 3 persons at 100: person Gini = 0.25.
        let mut k = IncomeKeys::default();
        k.push(0.0, 1);
        k.push(100.0, 3);
        let (m, g) = k.median_and_gini();
        assert_eq!(m, 100.0);
        assert!((g - 0.25).abs() < 1e-12, "{g}");
    }
}
