//! Herds: livestock a household owns, head by head, by species.
//!
//! Why a module of its own: a herd is the household's productive asset, and the
//! poverty trap of the graduation and BRAC evidence (docs/SOURCES.md) is a property
//! of assets with a fixed cost. A herd grows by births, shrinks by deaths, disasters
//! (disease, snow) and sales, and costs feed per head and a fixed cost per herd
//! (a pen, vaccination, the herder's days), so a small herd does not pay for itself
//! and is sold off for consumption while a large one keeps growing. Heads are whole
//! animals (`u32`), stored per species as one vector over households (structure of
//! arrays, like the rest of [`super::household::State`]).
//!
//! Everything here is off by default: a scenario without `[[herd.species]]` has no
//! herd vectors and the yearly step skips this code.

use crate::metrics::YearMetrics;
use crate::rng::{CellRng, Stream, StreamKey};

/// One species, validated (`[[herd.species]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Species {
    pub name: String,
    /// Value of a head, yuan: what a head sells or is bought for.
    pub value: f64,
    /// Births per head per year (may exceed 1: litters, poultry).
    pub births: f64,
    /// Yearly chance that a head dies.
    pub deaths: f64,
    /// Share of the heads (after births and deaths) sold each year as the herd's
    /// regular offtake (income).
    pub sale_rate: f64,
    /// Feed and running cost per head a year, yuan, on the heads at the start of the year.
    pub feed_cost: f64,
    /// Fixed cost a year of keeping any herd of this species, yuan.
    pub fixed_cost: f64,
    /// Yearly chance of a disaster (disease, snow) in a village, and the share of
    /// each herd's heads it kills (each head dies with this chance).
    pub disaster_probability: f64,
    pub disaster_loss: f64,
    /// Heads a household can keep per labourer; heads beyond are sold.
    pub max_heads_per_labourer: u32,
    /// Heads every household holds at the baseline, and heads households poor at
    /// the baseline hold instead (a livestock transfer at identification).
    pub initial_heads: u32,
    pub initial_heads_poor: u32,
}

impl Species {
    /// Heads a household with `labourers` labourers can keep.
    pub fn cap(&self, labourers: u8) -> u32 {
        self.max_heads_per_labourer.saturating_mul(u32::from(labourers))
    }

    /// Expected heads after disaster, deaths and births per head at the start of the
    /// year, before sales: (1 − pL)(1 − d)(1 + b).
    pub fn multiplier(&self) -> f64 {
        (1.0 - self.disaster_probability * self.disaster_loss) * (1.0 - self.deaths) * (1.0 + self.births)
    }

    /// Expected yearly gain of a head, in yuan, net of feed: (multiplier − 1) × value −
    /// feed cost. The herd grows in value when heads × this exceeds the fixed cost
    /// plus what the household consumes of it (docs/ODD.md § 7.17).
    pub fn gain_per_head(&self) -> f64 {
        (self.multiplier() - 1.0) * self.value - self.feed_cost
    }

    /// The income a herd of `heads` is expected to bring in a year ([`herd_year`] at
    /// its mean rates): heads sold as offtake and beyond the cap of a household with
    /// `labourers`, less feed and the fixed cost. What synthesis counts of a herd
    /// held at the baseline (docs/ODD.md § 7.1).
    pub fn expected_income(&self, heads: u32, labourers: u8) -> f64 {
        if heads == 0 {
            return 0.0;
        }
        let before_sales = f64::from(heads) * self.multiplier();
        let kept = ((1.0 - self.sale_rate) * before_sales).min(f64::from(self.cap(labourers)));
        (before_sales - kept) * self.value - f64::from(heads) * self.feed_cost - self.fixed_cost
    }
}

/// The herd rules of a scenario (`[herd]`): its species and how savings buy and
/// sell heads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Herding {
    pub species: Vec<Species>,
    /// A household whose savings after consumption fall below this sells heads,
    /// cheapest species first, until they are back at it or its herds are gone.
    pub sell_below: f64,
    /// A household whose savings after consumption exceed this buys heads of
    /// `buy_species` with `buy_share` of the excess (whole heads, within its cap).
    pub buy_above: f64,
    pub buy_share: f64,
    /// The species households buy (its index in `species`), if any.
    pub buy_species: Option<usize>,
}

impl Herding {
    pub fn active(&self) -> bool {
        !self.species.is_empty()
    }
}

/// One household's herd of one species over a year, in heads and yuan.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HerdYear {
    /// Heads at the end of the year (before the savings rule buys or sells).
    pub heads: u32,
    pub births: u32,
    /// Heads that died, of disease and old age or in a disaster.
    pub deaths: u32,
    pub disaster: u32,
    /// Heads sold as offtake, and beyond the household's cap.
    pub sold: u32,
    /// Sales less feed and fixed costs, yuan: the herd's cash income.
    pub income: f64,
}

/// `n` trials of chance `p`: exact for small herds, normal beyond (as the bees do).
fn count(rng: &mut CellRng, n: u32, p: f64) -> u32 {
    if n <= 60 || p <= 0.0 || p >= 1.0 {
        return rng.binomial(n, p);
    }
    let (m, sd) = (f64::from(n) * p, (f64::from(n) * p * (1.0 - p)).sqrt());
    (m + sd * rng.normal()).round().clamp(0.0, f64::from(n)) as u32
}

/// One year of a herd of `heads` of species `s`: a disaster (if the village has one
/// this year) kills each head with chance `disaster_loss`, the rest die with chance
/// `deaths`, survivors give birth (`births` a head: the whole part for sure, the
/// fraction by chance), then `sale_rate` of the heads are sold, and any beyond `cap`.
/// Feed is paid on the heads at the start of the year, the fixed cost if there were any.
pub fn herd_year(s: &Species, heads: u32, disaster: bool, cap: u32, rng: &mut CellRng) -> HerdYear {
    if heads == 0 {
        return HerdYear::default();
    }
    let disaster_lost = if disaster {
        count(rng, heads, s.disaster_loss)
    } else {
        0
    };
    let alive = heads - disaster_lost;
    let deaths = count(rng, alive, s.deaths);
    let survivors = alive - deaths;
    let whole = s.births.floor();
    let births = ((f64::from(survivors) * whole).min(f64::from(u32::MAX / 2)) as u32).saturating_add(count(
        rng,
        survivors,
        s.births - whole,
    ));
    let before_sales = survivors.saturating_add(births);
    let offtake = count(rng, before_sales, s.sale_rate);
    let kept = (before_sales - offtake).min(cap);
    let sold = before_sales - kept;
    let costs = f64::from(heads) * s.feed_cost + s.fixed_cost;
    HerdYear {
        heads: kept,
        births,
        deaths: deaths + disaster_lost,
        disaster: disaster_lost,
        sold,
        income: f64::from(sold) * s.value - costs,
    }
}

/// What the savings rule did to one household's herds this year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Conversion {
    /// Savings spent on heads, yuan, and heads bought.
    pub spent: f64,
    pub bought: u32,
    /// Heads sold to restore savings, and what they raised, yuan.
    pub sold: u32,
    pub raised: f64,
}

impl Conversion {
    /// What left savings for heads, net: spent less raised.
    pub fn net(&self) -> f64 {
        self.spent - self.raised
    }
}

/// The savings rule at the end of the year. `savings` is household `i`'s wealth
/// after this year's net income and consumption; `herds[k][i]` its heads of species
/// k (updated in place); `labourers` sets the caps. Below `sell_below` the household
/// sells heads, cheapest species first (ties in list order), until its savings are
/// back at `sell_below` or it has none left; above `buy_above` it buys whole heads
/// of `buy_species` with `buy_share` of the excess, within its cap.
pub fn convert(h: &Herding, savings: f64, labourers: u8, herds: &mut [Vec<u32>], i: usize) -> Conversion {
    let mut c = Conversion::default();
    if savings < h.sell_below {
        let mut need = h.sell_below - savings;
        let mut order: Vec<usize> = (0..h.species.len()).collect();
        order.sort_by(|&a, &b| h.species[a].value.total_cmp(&h.species[b].value).then(a.cmp(&b)));
        for k in order {
            if need <= 0.0 {
                break;
            }
            let v = h.species[k].value;
            let heads = &mut herds[k][i];
            let n = ((need / v).ceil().min(f64::from(u32::MAX)) as u32).min(*heads);
            *heads -= n;
            c.sold += n;
            c.raised += f64::from(n) * v;
            need -= f64::from(n) * v;
        }
    } else if savings > h.buy_above
        && let Some(k) = h.buy_species
    {
        let s = &h.species[k];
        let heads = &mut herds[k][i];
        let room = s.cap(labourers).saturating_sub(*heads);
        let affordable = (h.buy_share * (savings - h.buy_above) / s.value)
            .floor()
            .min(f64::from(u32::MAX)) as u32;
        let n = affordable.min(room);
        *heads += n;
        c.bought = n;
        c.spent = f64::from(n) * s.value;
    }
    c
}

/// The year's herd totals over households, for the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HerdTotals {
    pub heads: f64,
    pub value: f64,
    pub births: f64,
    pub deaths: f64,
    pub disaster: f64,
    pub sold: f64,
    pub bought: f64,
    /// Heads the program's livestock transfers gave households this year.
    pub transferred: f64,
    pub distress: f64,
    pub income: f64,
    pub spent: f64,
    pub raised: f64,
}

impl HerdTotals {
    /// Add one household's year of one species.
    pub fn add_year(&mut self, y: &HerdYear) {
        self.births += f64::from(y.births);
        self.deaths += f64::from(y.deaths);
        self.disaster += f64::from(y.disaster);
        self.sold += f64::from(y.sold);
        self.income += y.income;
    }

    /// Add one household's savings conversion.
    pub fn add_conversion(&mut self, c: &Conversion) {
        self.bought += f64::from(c.bought);
        self.distress += f64::from(c.sold);
        self.spent += c.spent;
        self.raised += c.raised;
    }

    /// Set the stocks from the households' herds at the end of the year.
    pub fn count_stock(&mut self, h: &Herding, herds: &[Vec<u32>]) {
        for (s, heads) in h.species.iter().zip(herds) {
            let n: f64 = heads.iter().map(|&x| f64::from(x)).sum();
            self.heads += n;
            self.value += n * s.value;
        }
    }

    /// Write the totals into the year's metrics.
    pub fn report(&self, m: &mut YearMetrics) {
        m.herd_heads = self.heads;
        m.herd_value = self.value;
        m.herd_births = self.births;
        m.herd_deaths = self.deaths;
        m.herd_disaster = self.disaster;
        m.herd_sold = self.sold;
        m.herd_bought = self.bought + self.transferred;
        m.herd_distress = self.distress;
        m.herd_income = self.income;
        m.herd_spent = self.spent;
        m.herd_raised = self.raised;
    }
}

/// Whether each (village, species) has a disaster this year: one draw per village
/// and species on its own stream, so every strategy of a replicate faces the same.
pub fn disasters(h: &Herding, villages: usize, seed: u64, replicate: u32, year: i32) -> Vec<bool> {
    let key = StreamKey::new(seed, replicate, Stream::HerdDisasters).year(year);
    let k = h.species.len();
    (0..villages * k)
        .map(|cell| key.rng(cell as u64).chance(h.species[cell % k].disaster_probability))
        .collect()
}

/// Household `i`'s herds over the year, in place: `herds` holds its heads at the
/// start of the year — `prev`, last year's, plus any livestock transfer of this
/// year's program (counted in the totals) — and gets its heads at the end; returns
/// the herds' cash income. `disaster[v * species + k]` says whether its village `v`
/// has a disaster of species k.
#[allow(clippy::too_many_arguments)]
pub fn household_year(
    h: &Herding,
    i: usize,
    village: usize,
    labourers: u8,
    disaster: &[bool],
    prev: &[Vec<u32>],
    herds: &mut [Vec<u32>],
    rng: &mut CellRng,
    totals: &mut HerdTotals,
) -> f64 {
    let species = h.species.len();
    let mut income = 0.0;
    for (k, s) in h.species.iter().enumerate() {
        totals.transferred += f64::from(herds[k][i].saturating_sub(prev[k][i]));
        let y = herd_year(s, herds[k][i], disaster[village * species + k], s.cap(labourers), rng);
        herds[k][i] = y.heads;
        totals.add_year(&y);
        income += y.income;
    }
    income
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    /// The expected income is the mean of the year's draws (no disaster or every
    /// village's disaster at its chance, within four standard errors).
    #[test]
    fn a_herds_expected_income_is_the_mean_of_its_years() {
        let s = cattle();
        let n = 20_000;
        for (heads, labourers) in [(8u32, 1u8), (40, 1), (3, 2)] {
            let incomes: Vec<f64> = (0..n)
                .map(|e| {
                    let mut r = StreamKey::new(5, 0, Stream::Herds).rng(e, 2017);
                    let disaster = r.chance(s.disaster_probability);
                    herd_year(&s, heads, disaster, s.cap(labourers), &mut r).income
                })
                .collect();
            let mean = incomes.iter().sum::<f64>() / n as f64;
            let sd = (incomes.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            let expected = s.expected_income(heads, labourers);
            assert!(
                (mean - expected).abs() < 4.0 * sd / (n as f64).sqrt() + 1e-9,
                "{heads} heads: mean {mean}, expected {expected}"
            );
        }
        assert_eq!(s.expected_income(0, 3), 0.0);
    }

    fn cattle() -> Species {
        Species {
            name: "cattle".into(),
            value: 6000.0,
            births: 0.5,
            deaths: 0.024,
            sale_rate: 0.3,
            feed_cost: 2000.0,
            fixed_cost: 3000.0,
            disaster_probability: 0.05,
            disaster_loss: 0.3,
            max_heads_per_labourer: 20,
            initial_heads: 0,
            initial_heads_poor: 0,
        }
    }

    fn rng(entity: u64) -> CellRng {
        CellRng::new(7, 0, Stream::Herds, entity, 2017)
    }

    #[test]
    fn heads_are_conserved_within_a_year() {
        let s = cattle();
        for e in 0..500 {
            let heads = (e % 90) as u32;
            let y = herd_year(&s, heads, e % 3 == 0, 40, &mut rng(e));
            assert_eq!(y.heads + y.sold + y.deaths, heads + y.births, "{y:?}");
            assert!(y.heads <= 40);
            assert!(y.disaster <= y.deaths);
            let costs = if heads > 0 {
                f64::from(heads) * 2000.0 + 3000.0
            } else {
                0.0
            };
            assert!((y.income - (f64::from(y.sold) * 6000.0 - costs)).abs() < 1e-9);
        }
    }

    #[test]
    fn no_herd_costs_nothing() {
        assert_eq!(herd_year(&cattle(), 0, true, 10, &mut rng(1)), HerdYear::default());
    }

    #[test]
    fn a_total_disaster_leaves_no_heads() {
        let s = Species {
            disaster_loss: 1.0,
            ..cattle()
        };
        let y = herd_year(&s, 30, true, 100, &mut rng(3));
        assert_eq!((y.heads, y.births, y.disaster), (0, 0, 30));
    }

    #[test]
    fn expected_multiplier_matches_the_draws() {
        // Mean heads before sales over many herds ≈ multiplier × heads, within 4 standard errors.
        let s = Species {
            sale_rate: 0.0,
            ..cattle()
        };
        let n = 4000;
        let xs: Vec<f64> = (0..n)
            .map(|e| {
                let disaster = rng(1_000_000 + e).chance(s.disaster_probability);
                f64::from(herd_year(&s, 10, disaster, u32::MAX, &mut rng(e)).heads)
            })
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let se = sd / (n as f64).sqrt();
        assert!(
            (mean - 10.0 * s.multiplier()).abs() < 4.0 * se,
            "{mean} vs {}",
            10.0 * s.multiplier()
        );
    }

    fn herding() -> Herding {
        let sheep = Species {
            name: "sheep".into(),
            value: 800.0,
            ..cattle()
        };
        Herding {
            species: vec![cattle(), sheep],
            sell_below: 0.0,
            buy_above: 10_000.0,
            buy_share: 0.5,
            buy_species: Some(0),
        }
    }

    #[test]
    fn short_savings_sell_the_cheapest_heads_first() {
        let h = herding();
        let mut heads = vec![vec![3], vec![4]];
        let c = convert(&h, -4000.0, 2, &mut heads, 0);
        // 4 sheep raise 3,200, then one head of cattle the rest.
        assert_eq!(heads, [[2], [0]]);
        assert_eq!((c.sold, c.raised, c.bought), (5, 9200.0, 0));
        let mut none = vec![vec![0], vec![0]];
        assert_eq!(convert(&h, -4000.0, 2, &mut none, 0), Conversion::default());
    }

    #[test]
    fn savings_above_the_threshold_buy_heads_within_the_cap() {
        let h = herding();
        let mut heads = vec![vec![0], vec![0]];
        let c = convert(&h, 40_000.0, 1, &mut heads, 0);
        // Half of 30,000 buys two heads at 6,000.
        assert_eq!((heads[0][0], heads[1][0], c.bought, c.spent), (2, 0, 2, 12_000.0));
        let mut full = vec![vec![20], vec![0]];
        assert_eq!(convert(&h, 1e7, 1, &mut full, 0).bought, 0);
        let mut between = vec![vec![1], vec![1]];
        assert_eq!(convert(&h, 5_000.0, 1, &mut between, 0), Conversion::default());
    }
}
