//! Issue 17, decision (c), measured before building it: nanoseconds per standard
//! normal drawn
//! * as the safety-net cycle draws them: a cell generator (wyrand) per household,
//!   its normals one after another by rand_distr's ziggurat;
//! * wide across the 128 households of a chunk, in loops the compiler vectorises:
//!   a counter-based SplitMix64 output per (cell, draw), then Box–Muller with a
//!   polynomial log, sine and cosine in plain IEEE arithmetic (no FMA, no libm,
//!   so every vector width gives the same bits);
//! * and, as a lower bound on a wide ziggurat, its fast path alone run wide (the
//!   counter-based output, the layer from 8 bits, two table lookups, the test;
//!   without the 1.2% of rejected candidates to redraw);
//!
//! and nanoseconds per `sandan::rng::exp`, one call at a time and over a chunk.
//! It prints the wide normals' mean and variance as a check, then five rounds:
//!
//! ```sh
//! cargo build --release --example normals && target/release/examples/normals 4
//! ```
//!
//! The argument is normals per household (even; default 4, as the cycle draws
//! about 4.5). For the AVX2 width, build the same file with
//! `-C target-feature=+avx2` (e.g. `RUSTFLAGS='-C target-feature=+avx2'`): the
//! results are in README.md, "Issue 17: the safety-net cycle".

use sandan::rng::{Stream, StreamKey};
use std::hint::black_box;
use std::time::Instant;

const CHUNK: usize = 128;
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

#[inline(always)]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// ln x for x in (0, 1], plain arithmetic.
#[inline(always)]
fn ln(x: f64) -> f64 {
    const SQRT2: f64 = std::f64::consts::SQRT_2;
    // ln 2 split as fdlibm splits it (the high part has 32 bits).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > SQRT2;
    let m = if big { m * 0.5 } else { m };
    let e = (if big { e + 1 } else { e }) as f64;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let p = 1.0
        + s2 * (1.0 / 3.0
            + s2 * (1.0 / 5.0
                + s2 * (1.0 / 7.0
                    + s2 * (1.0 / 9.0
                        + s2 * (1.0 / 11.0
                            + s2 * (1.0 / 13.0
                                + s2 * (1.0 / 15.0 + s2 * (1.0 / 17.0 + s2 * (1.0 / 19.0 + s2 / 21.0)))))))));
    (e * LN2_HI + 2.0 * s * p) + e * LN2_LO
}

/// (cos, sin) of 2π·(q/4 + f/4), f in [−1/2, 1/2).
#[inline(always)]
fn cos_sin(q: u64, f: f64) -> (f64, f64) {
    let t = f * std::f64::consts::FRAC_PI_2;
    let t2 = t * t;
    let s = t
        * (1.0
            + t2 * (-1.0 / 6.0
                + t2 * (1.0 / 120.0
                    + t2 * (-1.0 / 5040.0
                        + t2 * (1.0 / 362_880.0
                            + t2 * (-1.0 / 39_916_800.0
                                + t2 * (1.0 / 6_227_020_800.0 + t2 * (-1.0 / 1_307_674_368_000.0))))))));
    let c = 1.0
        + t2 * (-0.5
            + t2 * (1.0 / 24.0
                + t2 * (-1.0 / 720.0
                    + t2 * (1.0 / 40_320.0
                        + t2 * (-1.0 / 3_628_800.0
                            + t2 * (1.0 / 479_001_600.0
                                + t2 * (-1.0 / 87_178_291_200.0 + t2 * (1.0 / 20_922_789_888_000.0))))))));
    let (a, b) = if q & 1 == 0 { (c, s) } else { (-s, c) };
    if q & 2 == 0 { (a, b) } else { (-a, -b) }
}

/// Two normals per lane from two 64-bit outputs.
#[inline(always)]
fn box_muller(a: u64, b: u64) -> (f64, f64) {
    let u = 2.0 - f64::from_bits(0x3ff0_0000_0000_0000 | (a >> 12));
    let r = (-2.0 * ln(u)).sqrt();
    let f = f64::from_bits(0x3ff0_0000_0000_0000 | (b >> 12)) - 1.5;
    let (c, s) = cos_sin(b & 3, f);
    (r * c, r * s)
}

/// `per_cell` normals for each of a chunk's cells, wide.
#[inline(never)]
fn wide(key: StreamKey, start: u64, per_cell: usize, out: &mut [[f64; CHUNK]]) {
    let year = key.year(2018);
    let mut keys = [0u64; CHUNK];
    for (j, k) in keys.iter_mut().enumerate() {
        *k = year.cell(start + j as u64);
    }
    for d in (0..per_cell).step_by(2) {
        let (lo, hi) = out.split_at_mut(d + 1);
        let (z0, z1) = (&mut lo[d], &mut hi[0]);
        for j in 0..CHUNK {
            let s = keys[j].wrapping_add((d as u64 + 1).wrapping_mul(GOLDEN));
            let (a, b) = (mix64(s), mix64(s.wrapping_add(GOLDEN)));
            let (x, y) = box_muller(a, b);
            z0[j] = x;
            z1[j] = y;
        }
    }
}

/// The fast path of a ziggurat run wide (a lower bound on a wide ziggurat's cost:
/// the 1.2% of rejected candidates, redrawn, are left out): per lane one output,
/// the layer from its low 8 bits, a candidate and its acceptance test from two
/// table lookups.
#[inline(never)]
fn wide_ziggurat_fast_path(
    key: StreamKey,
    start: u64,
    per_cell: usize,
    x_tab: &[f64; 257],
    out: &mut [[f64; CHUNK]],
) -> usize {
    let year = key.year(2018);
    let mut keys = [0u64; CHUNK];
    for (j, k) in keys.iter_mut().enumerate() {
        *k = year.cell(start + j as u64);
    }
    let mut rejected = 0;
    for (d, row) in out.iter_mut().enumerate().take(per_cell) {
        for j in 0..CHUNK {
            let bits = mix64(keys[j].wrapping_add((d as u64 + 1).wrapping_mul(GOLDEN)));
            let i = (bits & 0xff) as usize;
            let u = f64::from_bits(0x4000_0000_0000_0000 | (bits >> 12)) - 3.0;
            let x = u * x_tab[i];
            let accept = x.abs() < x_tab[i + 1];
            rejected += usize::from(!accept);
            row[j] = x;
        }
    }
    rejected
}

/// `sandan::rng::exp` over a chunk's values: in one loop the compiler may vectorise
/// it (with AVX2, the table lookup becomes a gather).
#[inline(never)]
fn exp_chunk(x: &[f64; CHUNK], out: &mut [f64; CHUNK]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = sandan::rng::exp(v);
    }
}

/// The same, one value at a time behind an opaque call, as the cycle meets them.
#[inline(never)]
fn exp_one(x: f64) -> f64 {
    sandan::rng::exp(x)
}

/// The cycle's way, for comparison: a cell generator per household, its normals
/// one after another (rand_distr's ziggurat), into the same layout.
#[inline(never)]
fn per_cell_ziggurat(key: StreamKey, start: u64, per_cell: usize, out: &mut [[f64; CHUNK]]) {
    let year = key.year(2018);
    for j in 0..CHUNK {
        let mut r = year.rng(start + j as u64);
        for row in out.iter_mut().take(per_cell) {
            row[j] = r.normal();
        }
    }
}

/// Nanoseconds per normal of `fill` over a million cells.
fn time_normals(per_cell: usize, mut fill: impl FnMut(u64, &mut [[f64; CHUNK]])) -> f64 {
    let cells = 1_000_000u64;
    let mut out = vec![[0.0f64; CHUNK]; per_cell];
    let t = Instant::now();
    for c in (0..cells).step_by(CHUNK) {
        fill(c, &mut out);
        black_box(&mut out);
    }
    t.elapsed().as_secs_f64() * 1e9 / (cells as f64 * per_cell as f64)
}

fn main() {
    let per_cell: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let per_cell = per_cell.max(2) & !1;
    let key = StreamKey::new(1, 0, Stream::Production);
    // A table of the ziggurat's shape (decreasing layer edges) for the lower bound.
    let x_tab: [f64; 257] = std::array::from_fn(|i| 3.7 * (1.0 - i as f64 / 257.0).sqrt());
    let xs: [f64; CHUNK] = std::array::from_fn(|j| 0.3 * (j as f64 / CHUNK as f64 - 0.5));
    // The wide normals' first two moments, as a check that they are standard.
    let mut out = vec![[0.0f64; CHUNK]; per_cell];
    let (mut s1, mut s2, mut n) = (0.0, 0.0, 0.0);
    for c in (0..1_000_000).step_by(CHUNK) {
        wide(key, c, per_cell, &mut out);
        for &z in out.iter().flatten() {
            (s1, s2, n) = (s1 + z, s2 + z * z, n + 1.0);
        }
    }
    println!(
        "wide Box-Muller: mean {:.4}, variance {:.4} over {n} draws",
        s1 / n,
        s2 / n
    );
    for round in 0..5 {
        let scalar = time_normals(per_cell, |c, out| per_cell_ziggurat(key, c, per_cell, out));
        let bm = time_normals(per_cell, |c, out| wide(key, c, per_cell, out));
        let mut rejected = 0;
        let zig = time_normals(per_cell, |c, out| {
            rejected += wide_ziggurat_fast_path(key, c, per_cell, &x_tab, out);
        });
        black_box(rejected);
        let (mut ys, reps) = ([0.0f64; CHUNK], 20_000);
        let t = Instant::now();
        for _ in 0..reps {
            exp_chunk(black_box(&xs), &mut ys);
            black_box(&mut ys);
        }
        let exp_wide = t.elapsed().as_secs_f64() * 1e9 / (reps * CHUNK) as f64;
        let t = Instant::now();
        for _ in 0..reps {
            for (y, &x) in ys.iter_mut().zip(black_box(&xs)) {
                *y = exp_one(x);
            }
            black_box(&mut ys);
        }
        let exp_scalar = t.elapsed().as_secs_f64() * 1e9 / (reps * CHUNK) as f64;
        println!(
            "round {round}: ns per normal: ziggurat per cell {scalar:.2}, wide Box-Muller {bm:.2}, \
             wide ziggurat fast path (a lower bound) {zig:.2}; ns per exp: one call at a time {exp_scalar:.2}, \
             over a chunk {exp_wide:.2}"
        );
    }
}
