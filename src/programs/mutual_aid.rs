//! Village mutual-aid funds (互助资金; Zhang County had them in all 68 poor villages,
//! docs/SOURCES.md): a share of the program budget capitalises a revolving fund in each
//! village, which lends one-year loans for project capital to households running a
//! project; a project that succeeds repays the loan with interest (less a subsidy
//! the fund bears), a project that fails defaults and the fund loses the loan.
//!
//! Loans last a year, so no household carries loan state between years: the fund's
//! balance per village is the only stock (kept by the engine between years).

use super::{ItemKind, Program};
use crate::agents::household::{Households, State, Status};
use crate::scenario::raw::RawMutualAid;

/// Validated `[program.mutual_aid]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MutualAid {
    /// Share of each year's project budget paid into the village funds (equally).
    pub budget_share: f64,
    /// Size of one loan, whole yuan.
    pub loan_size: u32,
    /// Yearly interest the fund charges.
    pub interest_rate: f64,
    /// Share of the interest waived (the subsidy; the fund bears it).
    pub interest_subsidy: f64,
    /// Yearly income a successful project earns on a yuan of borrowed capital.
    pub capital_return: f64,
}

impl MutualAid {
    pub fn from_raw(r: &RawMutualAid, loan_size: u32) -> MutualAid {
        MutualAid {
            budget_share: r.budget_share,
            loan_size,
            interest_rate: r.interest_rate,
            interest_subsidy: r.interest_subsidy,
            capital_return: r.capital_return,
        }
    }

    /// The interest a borrower pays on a yuan for a year.
    pub fn rate_paid(&self) -> f64 {
        self.interest_rate * (1.0 - self.interest_subsidy)
    }
}

/// Whether the funds take part in this strategy's program at all.
pub fn active(program: &Program, balances: &[f64]) -> bool {
    program.mutual_aid.budget_share > 0.0 || balances.iter().any(|&b| b > 0.0)
}

/// Lend this year's loans: registered households running a planting, livestock or
/// enterprise project borrow `loan_size`, poorest first (last year's income), while
/// their village's fund has the money. Returns each household's loan (0 for none)
/// and takes the loans out of the balances.
pub fn lend(
    m: &MutualAid,
    hh: &Households,
    prev: &State,
    next: &State,
    program: &Program,
    balances: &mut [f64],
) -> Vec<u32> {
    let n = hh.len();
    let mut loans = vec![0u32; n];
    if m.loan_size == 0 {
        return loans;
    }
    let mut borrowers: Vec<usize> = (0..n)
        .filter(|&i| {
            prev.status[i] == Status::Registered
                && next.project[i] != super::cycle::NONE_ITEM
                && matches!(
                    program.items[next.project[i] as usize].kind,
                    ItemKind::Planting | ItemKind::Livestock | ItemKind::Enterprise
                )
        })
        .collect();
    borrowers.sort_by(|&a, &b| prev.income_pc[a].total_cmp(&prev.income_pc[b]).then(a.cmp(&b)));
    let size = f64::from(m.loan_size);
    for i in borrowers {
        let v = hh.fixed.village[i] as usize;
        if balances[v] >= size {
            balances[v] -= size;
            loans[i] = m.loan_size;
        }
    }
    loans
}

/// A loan's year: what the household gains, and what comes back to the fund.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Settled {
    /// The household's extra income: the return on the capital less the interest.
    pub income: f64,
    /// Principal and interest repaid to the fund.
    pub repaid: f64,
    pub interest: f64,
    /// Principal lost by default.
    pub defaulted: f64,
}

/// Settle a loan at the end of the year by the project's outcome.
pub fn settle(m: &MutualAid, loan: u32, succeeded: bool) -> Settled {
    let x = f64::from(loan);
    if succeeded {
        let interest = x * m.rate_paid();
        Settled {
            income: x * m.capital_return - interest,
            repaid: x + interest,
            interest,
            defaulted: 0.0,
        }
    } else {
        Settled {
            defaulted: x,
            ..Settled::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fund() -> MutualAid {
        MutualAid {
            budget_share: 0.1,
            loan_size: 5000,
            interest_rate: 0.06,
            interest_subsidy: 0.5,
            capital_return: 0.3,
        }
    }

    #[test]
    fn a_successful_project_repays_with_subsidised_interest() {
        let s = settle(&fund(), 5000, true);
        assert!((s.interest - 150.0).abs() < 1e-9);
        assert!((s.repaid - 5150.0).abs() < 1e-9);
        assert!((s.income - (1500.0 - 150.0)).abs() < 1e-9);
        assert_eq!(s.defaulted, 0.0);
    }

    #[test]
    fn a_failed_project_defaults() {
        let s = settle(&fund(), 5000, false);
        assert_eq!((s.defaulted, s.repaid, s.income), (5000.0, 0.0, 0.0));
    }
}
