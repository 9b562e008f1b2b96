//! The bee cooperative (Honghe village, docs/SOURCES.md): the branch builds demonstration
//! apiaries with seed colonies; members without a post claim hives in them, keep a
//! share of the honey and of the new colonies as pay, and each coaches a number of
//! poor households in beekeeping. Households that order bees get starter colonies
//! and keep an apiary of their own: colonies swarm (split), die over winter or
//! abscond; honey yields and sells at a county price with shocks; running costs are
//! paid per hive; a household keeps at most a number of hives per labourer; coaching
//! raises yield and survival.
//!
//! Stocks of hives are reported by owner: households, members, the demonstration
//! apiaries (the collective's).

use crate::rng::CellRng;
use crate::scenario::raw::RawBees;

/// Validated `[program.bees]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bees {
    /// Price of a colony, yuan: a bees item's unit cost buys cost / price colonies.
    pub colony_price: f64,
    /// Seed colonies of each village's demonstration apiaries, bought in the first program year.
    pub seed_hives: u32,
    /// Hives a member claims in the demonstration apiary.
    pub member_hives: u32,
    /// Members' share of the honey and the new colonies of the hives they claim.
    pub member_share: f64,
    /// Households a claiming member coaches.
    pub coached_per_member: u32,
    /// Honey per hive per year, kg.
    pub honey_yield: f64,
    /// Farm-gate price, yuan per kg (mean).
    pub honey_price: f64,
    pub price_sd: f64,
    /// Running cost per hive per year, yuan.
    pub running_cost: f64,
    /// New colonies per surviving colony per year (swarms caught and splits).
    pub swarm_rate: f64,
    pub winter_loss: f64,
    pub abscond_rate: f64,
    /// Most hives a household keeps per labourer (colonies beyond are sold at the colony price).
    pub max_hives_per_labourer: u32,
    /// Yield raised by coaching, as a share.
    pub coaching_yield_gain: f64,
    /// Share of losses coaching prevents.
    pub coaching_loss_cut: f64,
}

impl Bees {
    pub fn from_raw(r: &RawBees, seed_hives: u32, member_hives: u32, coached: u32, max: u32) -> Bees {
        Bees {
            colony_price: r.colony_price,
            seed_hives,
            member_hives,
            member_share: r.member_share,
            coached_per_member: coached,
            honey_yield: r.honey_yield,
            honey_price: r.honey_price,
            price_sd: r.price_sd,
            running_cost: r.running_cost,
            swarm_rate: r.swarm_rate,
            winter_loss: r.winter_loss,
            abscond_rate: r.abscond_rate,
            max_hives_per_labourer: max,
            coaching_yield_gain: r.coaching_yield_gain,
            coaching_loss_cut: r.coaching_loss_cut,
        }
    }

    /// Yearly chance a colony is lost (winter or absconding). Coaching prevents
    /// `coaching_loss_cut` of the avoidable part: loss × (1 − cut × (1 − loss)), so
    /// that small losses fall by about the cut and a certain loss stays certain.
    pub fn loss_rate(&self, coached: bool) -> f64 {
        let loss = 1.0 - (1.0 - self.winter_loss) * (1.0 - self.abscond_rate);
        if coached {
            loss * (1.0 - self.coaching_loss_cut * (1.0 - loss))
        } else {
            loss
        }
    }
}

/// A binomial count: exact for small `n`, a rounded normal approximation beyond
/// (the inverse-CDF draw underflows for large `n`).
fn count(rng: &mut CellRng, n: u32, p: f64) -> u32 {
    if n <= 60 || p <= 0.0 || p >= 1.0 {
        return rng.binomial(n, p);
    }
    let (m, sd) = (f64::from(n) * p, (f64::from(n) * p * (1.0 - p)).sqrt());
    (m + sd * rng.normal()).round().clamp(0.0, f64::from(n)) as u32
}

/// One year of an apiary of `hives` colonies: losses, then honey from the
/// survivors, then new colonies from them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ApiaryYear {
    pub survivors: u32,
    pub new_colonies: u32,
    /// Honey sold, yuan, before running costs.
    pub honey: f64,
    /// Running costs, yuan.
    pub costs: f64,
}

pub fn apiary_year(b: &Bees, hives: u32, coached: bool, price: f64, rng: &mut CellRng) -> ApiaryYear {
    let lost = count(rng, hives, b.loss_rate(coached));
    let survivors = hives - lost;
    let gain = if coached { 1.0 + b.coaching_yield_gain } else { 1.0 };
    // Swarms: each survivor yields swarm_rate new colonies on average (two chances
    // of swarm_rate / 2, so rates up to 2 are allowed).
    let new_colonies = count(rng, survivors.saturating_mul(2), (b.swarm_rate / 2.0).min(1.0));
    ApiaryYear {
        survivors,
        new_colonies,
        honey: f64::from(survivors) * b.honey_yield * gain * price,
        costs: f64::from(hives) * b.running_cost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn bees() -> Bees {
        Bees {
            colony_price: 550.0,
            seed_hives: 86,
            member_hives: 3,
            member_share: 0.6,
            coached_per_member: 3,
            honey_yield: 10.0,
            honey_price: 100.0,
            price_sd: 0.0,
            running_cost: 75.0,
            swarm_rate: 1.5,
            winter_loss: 0.128,
            abscond_rate: 0.05,
            max_hives_per_labourer: 20,
            coaching_yield_gain: 0.3,
            coaching_loss_cut: 0.5,
        }
    }

    #[test]
    fn total_loss_leaves_no_hives_and_no_honey() {
        let b = Bees {
            winter_loss: 1.0,
            ..bees()
        };
        for e in 0..50 {
            for coached in [false, true] {
                let mut r = CellRng::new(1, 0, Stream::Bees, e, 2017);
                let y = apiary_year(&b, 40 + e as u32 * 10, coached, 100.0, &mut r);
                assert_eq!((y.survivors, y.new_colonies, y.honey), (0, 0, 0.0));
            }
        }
    }

    #[test]
    fn coaching_raises_survival_and_yield_on_average() {
        let b = bees();
        let (mut bare, mut coached) = ((0, 0.0), (0, 0.0));
        for e in 0..2000 {
            let y = apiary_year(&b, 10, false, 100.0, &mut CellRng::new(1, 0, Stream::Bees, e, 2017));
            let z = apiary_year(&b, 10, true, 100.0, &mut CellRng::new(1, 0, Stream::Bees, e, 2017));
            bare = (bare.0 + y.survivors, bare.1 + y.honey);
            coached = (coached.0 + z.survivors, coached.1 + z.honey);
        }
        assert!(coached.0 > bare.0 && coached.1 > bare.1);
        let l = 1.0 - 0.872 * 0.95;
        assert!((b.loss_rate(false) - l).abs() < 1e-12);
        assert!((b.loss_rate(true) - l * (1.0 - 0.5 * (1.0 - l))).abs() < 1e-12);
        assert_eq!(Bees { winter_loss: 1.0, ..b }.loss_rate(true), 1.0);
    }

    #[test]
    fn large_apiaries_grow_by_about_the_swarm_rate() {
        let b = Bees {
            winter_loss: 0.0,
            abscond_rate: 0.0,
            ..bees()
        };
        let y = apiary_year(&b, 10_000, false, 100.0, &mut CellRng::new(1, 0, Stream::Bees, 0, 2017));
        assert_eq!(y.survivors, 10_000);
        assert!((f64::from(y.new_colonies) / 10_000.0 - 1.5).abs() < 0.05);
    }
}
