//! The village collective economy (村集体经济): the collective takes a share of the
//! schemes' dividends (its own stake in the cattle farm or the enterprise), and the
//! next year pays its income out to the village's registered households — as
//! dividends by persons, or as wages for public-welfare jobs to households with
//! labour. Its yearly income is reported against a target (Tibet: every village
//! collective to earn at least 50,000 yuan a year; Liangshuiquan: 500,000).
//!
//! This is scheme income, not program budget: the program-funds identity of
//! [`super::funds`] does not include it. Its own identity — income of one year =
//! what is paid out the next + what is kept — is tested.

pub use crate::scenario::raw::CollectivePayout;
use crate::scenario::raw::RawCollective;

/// Validated `[program.collective]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Collective {
    /// The collective's share of every scheme dividend (before the households').
    pub scheme_share: f64,
    /// Share of last year's income paid out to households this year.
    pub payout_share: f64,
    pub payout: CollectivePayout,
    /// Yearly income a collective should reach, yuan.
    pub target: f64,
    /// Share of the yearly budget invested in the collectives' own enterprises, their
    /// yearly return on capital, and their yearly chance of failure.
    pub enterprise_share: f64,
    pub enterprise_return: f64,
    pub enterprise_failure: f64,
}

impl Collective {
    pub fn from_raw(r: &RawCollective) -> Collective {
        Collective {
            scheme_share: r.scheme_share,
            payout_share: r.payout_share,
            payout: r.payout,
            target: r.target,
            enterprise_share: r.enterprise_share,
            enterprise_return: r.enterprise_return,
            enterprise_failure: r.enterprise_failure,
        }
    }

    /// Whether the collective takes part at all.
    pub fn active(&self) -> bool {
        self.scheme_share > 0.0 || self.enterprise_share > 0.0
    }

    /// Whether a household with `labourers` labourers receives the payout.
    pub fn pays(&self, labourers: u8) -> bool {
        match self.payout {
            CollectivePayout::Dividends => true,
            CollectivePayout::WelfareJobs => labourers > 0,
        }
    }
}

/// A year of a village's own enterprise of `capital` yuan: (capital at the end of
/// the year, its income to the collective). A failure (chance `enterprise_failure`,
/// one `uniform` draw) loses the capital and pays nothing; otherwise it pays
/// `enterprise_return` × capital. Never negative.
pub fn enterprise_year(c: &Collective, capital: f64, uniform: f64) -> (f64, f64) {
    if capital <= 0.0 || uniform < c.enterprise_failure {
        (0.0, 0.0)
    } else {
        (capital, c.enterprise_return * capital)
    }
}

/// Split a scheme dividend between the collective and the household:
/// (collective, household).
pub fn split(c: &Collective, dividend: f64) -> (f64, f64) {
    let to_collective = c.scheme_share * dividend;
    (to_collective, dividend - to_collective)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_adds_up_and_welfare_jobs_need_labour() {
        let c = Collective {
            scheme_share: 0.25,
            payout_share: 1.0,
            payout: CollectivePayout::WelfareJobs,
            target: 50_000.0,
            enterprise_share: 0.0,
            enterprise_return: 0.1,
            enterprise_failure: 0.02,
        };
        assert_eq!(split(&c, 400.0), (100.0, 300.0));
        assert!(!c.pays(0) && c.pays(1));
        let d = Collective {
            payout: CollectivePayout::Dividends,
            ..c
        };
        assert!(d.pays(0));
    }

    #[test]
    fn an_enterprise_pays_its_return_or_fails_with_nothing() {
        let c = Collective {
            scheme_share: 0.0,
            payout_share: 1.0,
            payout: CollectivePayout::WelfareJobs,
            target: 50_000.0,
            enterprise_share: 0.5,
            enterprise_return: 0.1,
            enterprise_failure: 0.02,
        };
        assert!(c.active());
        assert_eq!(enterprise_year(&c, 500_000.0, 0.5), (500_000.0, 50_000.0));
        assert_eq!(enterprise_year(&c, 500_000.0, 0.01), (0.0, 0.0));
        assert_eq!(enterprise_year(&c, 0.0, 0.5), (0.0, 0.0));
    }
}
