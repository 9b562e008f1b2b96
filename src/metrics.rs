//! What is measured each year, and how replicates are summarised.
//!
//! The metric list is declared once, in the `metrics!` macro below, which defines the struct, the
//! CSV column names and the value order together so that they cannot drift apart.

use crate::agents::household::{Households, Status};
use crate::stats::quantile_sorted;

macro_rules! metrics {
    ($( $(#[doc = $doc:literal])+ $name:ident ),+ $(,)?) => {
        /// One strategy × replicate × year row.
        #[derive(Debug, Clone, Copy, Default, PartialEq)]
        pub struct YearMetrics {
            pub year: i32,
            $( $(#[doc = $doc])+ pub $name: f64, )+
        }

        impl YearMetrics {
            /// Column names, in CSV order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),+];
            /// Descriptions with units, in CSV order (for documentation and reports).
            pub const DESCRIPTIONS: &'static [&'static str] = &[$(concat!($($doc),+)),+];

            /// Values in the order of [`Self::NAMES`].
            pub fn values(&self) -> Vec<f64> {
                vec![$(self.$name),+]
            }
        }
    };
}

metrics! {
    /// Persons in the county.
    population,
    /// Households in the county.
    households,
    /// Measured poverty incidence: share of persons whose household's per-capita net income is below the line.
    incidence,
    /// Share of households whose per-capita net income is below the line.
    incidence_households,
    /// Official incidence: persons in registered, not exited households over the population.
    official_incidence,
    /// Households registered and not exited at the end of the year.
    registered,
    /// Households that exited the register this year.
    exits,
    /// Persons in households that exited this year.
    exits_persons,
    /// Households in the exited state at the end of the year (cumulative, net of re-entries).
    exited,
    /// Exited households registered again this year (返贫).
    reentries,
    /// Households newly registered this year (never registered before).
    new_registrations,
    /// Villages whose official incidence has fallen below the exit threshold (cumulative).
    villages_exited,
    /// Designated poor villages (`poor = true`) among them (cumulative; NA when the scenario designates none).
    poor_villages_exited,
    /// The year's poverty line, yuan per person (the strategy's own, if it overrides it).
    poverty_line,
    /// Poverty gap index FGT1: mean over persons of max(0, line − income) / line.
    fgt1,
    /// Squared poverty gap FGT2: mean over persons of (max(0, line − income) / line)².
    fgt2,
    /// Deep poverty: share of persons whose household's per-capita net income is below half the line.
    deep_incidence,
    /// Mean per-capita net income over persons, yuan.
    mean_income,
    /// Median per-capita net income over persons, yuan.
    median_income,
    /// Gini coefficient of per-capita net income over persons (negative incomes as 0).
    gini,
    /// Dibao (minimum-living guarantee) paid this year, yuan.
    spending_dibao,
    /// Medical assistance paid this year, yuan.
    spending_medical,
    /// Housing renovation paid this year, yuan.
    spending_housing,
    /// Orders placed this year: households that ordered (an order lists up to `orders_per_household` items, best first).
    orders_placed,
    /// Orders filled within slots and budget (projects started) this year.
    orders_filled,
    /// Filled orders accepted by a member this year.
    orders_supported,
    /// Filled orders no member could accept this year.
    orders_unclaimed,
    /// Orders that found no slot on the village's menu (nor room on its cattle farm) for any item listed while the budget left would have paid for one, this year.
    orders_no_slot,
    /// Filled orders that wait a year for a member (`unclaimed = "wait"`), their slot and budget unused, this year.
    orders_waiting,
    /// Projects running this year.
    active_projects,
    /// Share of this year's running projects that succeeded.
    project_success_rate,
    /// Share of this year's running projects with a member's support that succeeded.
    project_success_supported,
    /// Share of this year's running projects without a member's support that succeeded.
    project_success_unsupported,
    /// Supported projects of work the household does itself (planting, livestock, enterprise, jobs) this year: technical guidance and coaching.
    support_guidance,
    /// Supported projects and scheme entries of the other kinds this year (welfare posts, medical help, schemes, apiaries): help with claims, loans and applications.
    support_applications,
    /// Income members' market access added to successful projects this year, yuan.
    support_market,
    /// Failure losses members' help with loans and applications avoided this year, yuan.
    support_losses_avoided,
    /// Mean households supported per member this year.
    member_load_mean,
    /// Most households supported by one member this year.
    member_load_max,
    /// Program spending on projects, schemes and mutual-aid funds this year, yuan.
    spending_program,
    /// Program budget paid as cash this year, yuan.
    spending_cash,
    /// Program budget available this year, yuan: the strategy's `budget` (0 without a program, and in the baseline year).
    budget_available,
    /// Program spending on planting items this year, yuan.
    program_planting,
    /// Program spending on livestock items this year, yuan.
    program_livestock,
    /// Program spending on enterprise items this year, yuan.
    program_enterprise,
    /// Program spending on labour items (training, jobs) this year, yuan.
    program_labour,
    /// Program spending on dividend items (stakes) this year, yuan.
    program_dividend,
    /// Program spending on medical-help items this year, yuan.
    program_medical,
    /// Program spending on social items (welfare jobs) this year, yuan.
    program_social,
    /// Program spending on cattle dividend items (calves held by an operator) this year, yuan.
    program_cattle,
    /// Program spending on equity-stake items (shares held for households) this year, yuan.
    program_equity,
    /// Program spending on bees this year: starter colonies for households and the demonstration apiaries' seed colonies, yuan.
    program_bees,
    /// Program budget spent training one person in every registered family this year, yuan (part of `spending_program`).
    program_training,
    /// Households with a person trained this year under the every-family rule.
    trained,
    /// Registered households with labour still without a trained person after this year's training under the every-family rule (0 when the rule is off).
    untrained,
    /// Trained labourers placed in outside work this year.
    placements,
    /// Program budget paid into village mutual-aid funds this year, yuan (part of `spending_program`).
    program_fund,
    /// Balance of the village mutual-aid funds at the end of the year, yuan (a stock).
    fund_balance,
    /// Interest the mutual-aid funds received from borrowers this year, yuan (households' money, not budget).
    fund_interest,
    /// Mutual-aid loans settled this year.
    loans,
    /// Mutual-aid loans defaulted this year (the project failed).
    loan_defaults,
    /// Income of the village collectives this year: their share of scheme dividends and their own enterprises' returns, summed over villages, yuan.
    collective_income,
    /// Paid by the collectives to registered households this year (last year's income), yuan.
    collective_paid,
    /// Share of villages whose collective earned at least its target this year.
    collectives_on_target,
    /// Bee colonies in households' own apiaries at the end of the year (a stock).
    hives,
    /// Bee colonies members keep as their pay (their share of new colonies) at the end of the year (a stock).
    hives_members,
    /// Bee colonies in the villages' demonstration apiaries at the end of the year (the collectives'; a stock).
    hives_apiary,
    /// Members' honey income from the hives they claim and keep this year, yuan.
    bee_income_members,
    /// The demonstration apiaries' honey income net of running costs and the members' share this year, yuan (to the collective).
    apiary_income,
    /// Cattle an operator holds for households at the end of the year: calves' principal over the calf price, head (a stock).
    cattle,
    /// Households whose calves or stake were liquidated this year because the operator failed.
    holdings_liquidated,
    /// Program budget that reached households this year (cash, inputs in kind, care, an operator's liquidation), yuan.
    funds_households,
    /// Program budget paid to operators for services this year (training, workshops, generic stakes), yuan.
    funds_operators,
    /// Program budget paid to village collectives this year (public-welfare jobs, seed colonies, their own enterprises), yuan.
    funds_collective,
    /// Program principal lost this year (operators that failed, herds that shrank), yuan.
    funds_lost,
    /// Program principal held by operators for households at the end of the year (calves, stakes), yuan (a stock).
    funds_held,
    /// Principal of equity stakes households hold from their own savings or from their collective's income at the end of the year, yuan (a stock; not program budget).
    stakes_own,
    /// Households' savings put into equity stakes this year, yuan.
    stakes_bought,
    /// Village collectives' income converted into equity stakes quantified to registered households this year, yuan.
    collective_invested,
    /// Dividends on own-money stakes this year, yuan (part of `income_dividends`).
    stakes_own_dividends,
    /// Own-money principal paid back to households' savings this year because the enterprise failed, yuan.
    stakes_own_returned,
    /// Own-money principal lost this year because the enterprise failed, yuan (households' money, not in `funds_lost`).
    stakes_own_lost,
    /// Heads of livestock households own at the end of the year, all species of `[[herd.species]]` (a stock).
    herd_heads,
    /// Value of the households' herds at the end of the year: heads × value per head, yuan (a stock).
    herd_value,
    /// Heads born in households' herds this year.
    herd_births,
    /// Heads that died this year, of disease and age or in a disaster.
    herd_deaths,
    /// Heads killed by disasters (disease, snow) this year (part of `herd_deaths`).
    herd_disaster,
    /// Heads sold this year as the herds' offtake and beyond a household's cap (income).
    herd_sold,
    /// Heads households bought with their savings this year, or were given by the program's livestock transfers.
    herd_bought,
    /// Heads households sold this year to restore their savings (distress sales for consumption).
    herd_distress,
    /// The herds' cash income this year: sales less feed and fixed costs, yuan (part of `income_assets`).
    herd_income,
    /// Savings spent on heads this year, yuan.
    herd_spent,
    /// Savings raised by distress sales of heads this year, yuan.
    herd_raised,
    /// Persons in households that exited, summed since the baseline.
    persons_exited_total,
    /// Re-entries summed since the baseline.
    reentries_total,
    /// All spending (program, cash, safety net) since the baseline, yuan.
    spending_total,
    /// All spending since the baseline per person exited since the baseline, yuan (NA before any exit).
    cost_per_person_exited,
    /// Farm income per person this year, yuan (the baseline year reports none by source).
    income_farm,
    /// Land rent per person this year, yuan.
    income_rent,
    /// Local wages per person this year, yuan.
    income_wages,
    /// Remitted migrant earnings per person this year, yuan.
    income_remittances,
    /// Project income (net of losses on failure) per person this year, yuan.
    income_projects,
    /// Income from kept enterprises and stakes per person this year, yuan.
    income_assets,
    /// Dibao, medical assistance, cash transfers and principal paid back by failed scheme operators per person this year, yuan.
    income_transfers,
    /// Other income (pensions, small transfers) per person this year, yuan.
    income_other,
    /// Out-of-pocket health spending per person this year, yuan (subtracted from net income).
    health_spending,
    /// Interest on debt per person this year, yuan (subtracted from net income).
    interest_paid,
    /// Scheme dividends (cattle profit share, equity returns on the program's and own-money shares, collective dividends) per person this year, yuan.
    income_dividends,
    /// Registered households removed by this year's review as wrongly included at the baseline (their assessed income is above the line).
    removals,
    /// Exited households (this year's exits included) monitored at the end of the year: their income assessed as next year's review would see it is below next year's line × (1 + `exit.monitor_margin`), so they are supported before they would re-enter (防止返贫动态监测).
    monitored,
    /// Wages' share of gross income this year, as the statistics of poor areas count it: local wages and collective wages.
    share_wages,
    /// Household business's share of gross income: farming, household business, projects and kept enterprises.
    share_business,
    /// Property income's share of gross income: land rent and dividends.
    share_property,
    /// Transfers' share of gross income: remittances of members working away, dibao, medical assistance, cash, pensions and other transfers.
    share_transfers,
}

/// The sources the yearly step splits each household's net income into, in the
/// order of its `by_source` array, each named by the metric that reports it per
/// person. Net income = the sources − `health_spending` − `interest_paid`.
pub const INCOME_SOURCES: [&str; 11] = [
    "income_farm",
    "income_rent",
    "income_wages",
    "income_remittances",
    "income_projects",
    "income_assets",
    "income_transfers",
    "income_other",
    "health_spending",
    "interest_paid",
    "income_dividends",
];

/// One household's year, as `households.csv` reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HouseholdYear {
    pub year: i32,
    /// The household's index in the county (stable over years and strategies).
    pub household: u32,
    /// Index of its village in `Model::villages`.
    pub village: u32,
    pub size: u8,
    /// Registration status at the end of the year.
    pub status: Status,
    /// Per-capita net income this year, yuan.
    pub income_pc: f32,
    /// Yuan by source, in the order of [`INCOME_SOURCES`] (NaN in the baseline
    /// year, which has no split by source).
    pub sources: [f64; INCOME_SOURCES.len()],
    /// The cause of poverty recorded at the baseline.
    pub cause: crate::agents::household::Cause,
    /// The program item its project runs at the end of the year, an index into the
    /// strategy's `program.items` ([`crate::programs::cycle::NONE_ITEM`] if none).
    pub project: u8,
    /// The party member supporting that project, an index into the simulation's
    /// members ([`crate::programs::cycle::NONE_MEMBER`] if none).
    pub member: u32,
}

/// Records each household's year during one simulation: the step pushes each
/// household's sources as it accumulates them (in household order), and the
/// simulation closes the year with the households' new state. Only a simulation
/// asked to record has one, so the step's default path neither allocates nor
/// records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HouseholdRecorder {
    year: Vec<[f64; INCOME_SOURCES.len()]>,
    rows: Vec<HouseholdYear>,
}

impl HouseholdRecorder {
    /// This year's sources of the next household.
    #[inline]
    pub fn push(&mut self, sources: [f64; INCOME_SOURCES.len()]) {
        self.year.push(sources);
    }

    /// Close `year`: one row per household, with its state at the end of the year
    /// and the sources pushed since the last close (none in the baseline year).
    pub fn end_year(&mut self, year: i32, hh: &Households) {
        let (f, s) = (&hh.fixed, &hh.state);
        self.rows.reserve(hh.len());
        for i in 0..hh.len() {
            self.rows.push(HouseholdYear {
                year,
                household: i as u32,
                village: f.village[i],
                size: f.size[i],
                status: s.status[i],
                income_pc: s.income_pc[i],
                sources: self.year.get(i).copied().unwrap_or([f64::NAN; INCOME_SOURCES.len()]),
                cause: f.cause[i],
                project: s.project[i],
                member: s.project_member[i],
            });
        }
        self.year.clear();
    }

    /// The rows closed since the last call, year by year, households in order.
    pub fn take_rows(&mut self) -> Vec<HouseholdYear> {
        std::mem::take(&mut self.rows)
    }
}

impl YearMetrics {
    /// The metrics that are undefined (NaN, written `NA`) by design in some years: a
    /// count of designated poor villages when none is designated, success rates in a
    /// year without projects, a cost per person exited before anyone exited.
    pub const MAY_BE_NA: &'static [&'static str] = &[
        "poor_villages_exited",
        "project_success_rate",
        "project_success_supported",
        "project_success_unsupported",
        "cost_per_person_exited",
    ];

    /// The composition shares, undefined in the baseline year with the income
    /// sources ([`INCOME_SOURCES`]).
    const BASELINE_SHARES: [&'static str; 4] = ["share_wages", "share_business", "share_property", "share_transfers"];

    /// Whether metric `name` is undefined (NaN, written `NA`) in the baseline year,
    /// which describes the synthesised county and has no split of income by source:
    /// the income sources and the composition shares.
    pub fn na_in_baseline(name: &str) -> bool {
        INCOME_SOURCES.contains(&name) || Self::BASELINE_SHARES.contains(&name)
    }

    /// Mark the [`Self::na_in_baseline`] metrics undefined: this is a baseline year.
    pub fn undefine_baseline_split(&mut self) {
        for v in [
            &mut self.income_farm,
            &mut self.income_rent,
            &mut self.income_wages,
            &mut self.income_remittances,
            &mut self.income_projects,
            &mut self.income_assets,
            &mut self.income_transfers,
            &mut self.income_other,
            &mut self.health_spending,
            &mut self.interest_paid,
            &mut self.income_dividends,
            &mut self.share_wages,
            &mut self.share_business,
            &mut self.share_property,
            &mut self.share_transfers,
        ] {
            *v = f64::NAN;
        }
    }

    /// The first metric that is not a finite number, other than a [`Self::MAY_BE_NA`]
    /// metric's NaN (or, in the `baseline` year, a [`Self::na_in_baseline`] one's):
    /// its name and value. Any such value is a fault of sandan's, since validation
    /// bounds every input (issue 16).
    pub fn first_non_finite(&self, baseline: bool) -> Option<(&'static str, f64)> {
        let may_be_na = |name: &&str| Self::MAY_BE_NA.contains(name) || baseline && Self::na_in_baseline(name);
        Self::NAMES
            .iter()
            .zip(self.values())
            .find(|(name, x)| !(x.is_finite() || x.is_nan() && may_be_na(name)))
            .map(|(name, x)| (*name, x))
    }
}

/// Summary of one metric over replicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
}

impl Summary {
    /// Mean and the 5th, 50th and 95th percentiles (type 7) of the values.
    /// Values that are not numbers (such as a cost per person exited before any
    /// exit) are left out; if none is a number, every field is NaN.
    pub fn of(values: &[f64]) -> Summary {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let mean = if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        };
        Summary {
            mean,
            p05: quantile_sorted(&v, 0.05),
            p50: quantile_sorted(&v, 0.5),
            p95: quantile_sorted(&v, 0.95),
        }
    }
}

/// Money flows of one simulated year, summed over households. The engine's ledger
/// test checks that they balance: net income = market income + transfers − health
/// spending − interest, and wealth change = net income − consumption − invested.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ledger {
    pub market_income: f64,
    pub transfers: f64,
    pub health_spending: f64,
    pub interest: f64,
    pub net_income: f64,
    pub consumption: f64,
    /// Savings households moved into equity stakes, less own principal paid back to
    /// their savings by a failed enterprise, plus savings spent on heads less heads
    /// sold for savings: wealth (savings) turned into shares and herds, or back, not
    /// spent, so it is not consumption.
    pub invested: f64,
    pub wealth_change: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_line_up() {
        let m = YearMetrics {
            incidence: 0.25,
            gini: 0.4,
            ..Default::default()
        };
        let v = m.values();
        assert_eq!(v.len(), YearMetrics::NAMES.len());
        assert_eq!(YearMetrics::DESCRIPTIONS.len(), YearMetrics::NAMES.len());
        let at = |n: &str| v[YearMetrics::NAMES.iter().position(|&x| x == n).unwrap()];
        assert_eq!(at("incidence"), 0.25);
        assert_eq!(at("gini"), 0.4);
    }

    #[test]
    fn only_documented_metrics_may_be_na() {
        for name in YearMetrics::MAY_BE_NA {
            assert!(YearMetrics::NAMES.contains(name), "{name}");
        }
        let mut m = YearMetrics {
            cost_per_person_exited: f64::NAN,
            poor_villages_exited: f64::NAN,
            ..Default::default()
        };
        assert_eq!(m.first_non_finite(false), None);
        m.cost_per_person_exited = f64::INFINITY;
        assert_eq!(
            m.first_non_finite(false),
            Some(("cost_per_person_exited", f64::INFINITY))
        );
        m.cost_per_person_exited = 0.0;
        m.mean_income = f64::NAN;
        assert!(
            m.first_non_finite(false)
                .is_some_and(|(n, x)| n == "mean_income" && x.is_nan())
        );
        // The split by source is NA in the baseline year only.
        m.mean_income = 0.0;
        m.undefine_baseline_split();
        assert_eq!(m.first_non_finite(true), None);
        assert!(m.first_non_finite(false).is_some_and(|(n, _)| n == "income_farm"));
    }

    #[test]
    fn summary_of_known_values() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert_eq!(s.p50, 3.0);
        assert!((s.p05 - 1.2).abs() < 1e-12);
        assert!((s.p95 - 4.8).abs() < 1e-12);
    }
}
