//! Where the program's money goes: every yuan of budget spent lands in one account
//! — a household, an operator, the village collective, a fund — or is recorded as a
//! loss. Money an operator holds for households (calves, stakes) stays a stock of
//! the program until it is paid out or lost, so that, year by year and to the yuan,
//! budget spent = flows to households, operators and the collective + losses +
//! the change in stocks (tested over random scenarios in `tests/properties.rs`).

use super::ItemKind;

/// The account a yuan of program budget lands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    /// Paid to a household, in cash or in kind (seedlings, chicks, inputs, care).
    Household,
    /// Paid to an operator for a service (a training school, a workshop, an enterprise).
    Operator,
    /// Paid to the village collective (it pays public-welfare jobs).
    Collective,
    /// Held by an operator for a household: calves, equity stakes (a stock).
    Held,
    /// Paid into a village mutual-aid fund (a stock).
    Fund,
    /// Lost: principal an operator could not return.
    Loss,
}

/// Where the budget of a menu item of each kind lands when the project starts.
pub fn account(kind: ItemKind) -> Account {
    match kind {
        ItemKind::Planting | ItemKind::Livestock | ItemKind::Enterprise | ItemKind::Medical | ItemKind::Bees => {
            Account::Household
        }
        // A training school or workshop is paid; a generic stake is capital handed to
        // an enterprise that returns a fixed income and is not tracked further.
        ItemKind::Labour | ItemKind::Dividend => Account::Operator,
        ItemKind::Social => Account::Collective,
        ItemKind::Cattle | ItemKind::Equity => Account::Held,
    }
}

/// One year's program money by account: flows of the year, and stocks at its end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Funds {
    /// Budget spent this year (projects and cash), yuan.
    pub spent: f64,
    pub to_households: f64,
    pub to_operators: f64,
    pub to_collective: f64,
    /// Budget newly placed with operators this year (adds to `held`).
    pub to_held: f64,
    /// Held principal paid back to households this year (an operator's liquidation).
    pub held_to_households: f64,
    /// Held principal lost this year.
    pub lost: f64,
    /// Principal held by operators for households at the end of the year (a stock).
    pub held: f64,
    /// Budget newly paid into mutual-aid funds this year.
    pub to_fund: f64,
    /// Interest the funds received from borrowers this year (households' money).
    pub fund_interest: f64,
    /// Balance of the mutual-aid funds at the end of the year (a stock).
    pub fund: f64,
}

impl Funds {
    /// Book `x` yuan of newly spent budget to `account`.
    pub fn book(&mut self, account: Account, x: f64) {
        self.spent += x;
        match account {
            Account::Household => self.to_households += x,
            Account::Operator => self.to_operators += x,
            Account::Collective => self.to_collective += x,
            Account::Held => self.to_held += x,
            Account::Fund => self.to_fund += x,
            Account::Loss => self.lost += x,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_adds_to_spent_and_to_one_account() {
        let mut f = Funds::default();
        f.book(Account::Household, 10.0);
        f.book(Account::Held, 5.0);
        f.book(Account::Collective, 2.0);
        assert_eq!(f.spent, 17.0);
        assert_eq!(
            (f.to_households, f.to_held, f.to_collective, f.to_operators),
            (10.0, 5.0, 2.0, 0.0)
        );
    }

    #[test]
    fn every_kind_lands_somewhere_defined() {
        for k in ItemKind::ALL {
            let a = account(k);
            assert_ne!(a, Account::Loss, "{k:?}: budget is never spent straight into a loss");
        }
    }
}
