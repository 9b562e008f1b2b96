//! Budget used: how much of its program budget each strategy spent, apart from the
//! safety net, and why a strategy left much of it unspent.
//!
//! Strategies "with the same budget" are compared fairly only if they spend it; a
//! strategy that leaves half its budget in the treasury looks cheap per person lifted
//! and weak in impact for a reason that is not its design's merit. So the share used
//! is shown beside every impact, and flagged above a set share unspent, with what the
//! model knows of the reason: orders that found no slot on the menu, filled orders
//! waiting for a member, or too few households ordering at all. Pure functions of the
//! results table, like the impacts.

use super::fonts::Lang;
use super::plot::group_thousands;
use super::results::RunResults;
use crate::metrics::Summary;

/// The file the budget use is written to, beside `trajectories.csv`.
pub const FILE: &str = "budget.csv";

/// The default share of a strategy's budget left unspent above which it is flagged
/// (`--flag-unspent`; docs/ODD.md § 4, Observation).
pub const DEFAULT_FLAG_UNSPENT: f64 = 0.10;

/// Program spending: projects, schemes, funds, training and cash.
const PROGRAM: [&str; 2] = ["spending_program", "spending_cash"];
/// The safety net: dibao, medical assistance, housing.
const SAFETY_NET: [&str; 3] = ["spending_dibao", "spending_medical", "spending_housing"];

/// Why budget stayed unspent, as far as the model knows (means per year).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// Filled orders waited a year for a member (`unclaimed = "wait"`).
    Members(f64),
    /// Orders found no slot on the menu for any item the budget would have paid for.
    Slots(f64),
    /// Every order was served: too few households ordered (or, for cash, were paid).
    FewOrders(f64),
}

impl Reason {
    /// The code written to `budget.csv`.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Members(_) => "members",
            Reason::Slots(_) => "slots",
            Reason::FewOrders(_) => "few_orders",
        }
    }

    fn words(&self, lang: Lang) -> String {
        let n = |v: f64| group_thousands(&format!("{v:.0}"));
        match (self, lang) {
            (Reason::Members(v), Lang::En) => format!("{} filled orders a year waited for a member", n(*v)),
            (Reason::Slots(v), Lang::En) => format!("{} orders a year found no slot on the menu", n(*v)),
            (Reason::FewOrders(v), Lang::En) => {
                format!("too few households ordered ({} orders a year, all served)", n(*v))
            }
            (Reason::Members(v), Lang::Zh) => format!("每年 {} 个已批订单等待党员承接", n(*v)),
            (Reason::Slots(v), Lang::Zh) => format!("每年 {} 个订单在菜单上找不到名额", n(*v)),
            (Reason::FewOrders(v), Lang::Zh) => format!("下单户太少（每年 {} 单，均已满足）", n(*v)),
        }
    }
}

/// One strategy's budget in one year (a year after the baseline), means over replicates.
#[derive(Debug, Clone, PartialEq)]
pub struct YearBudget {
    pub strategy: usize,
    pub year: i32,
    /// Program budget available, yuan.
    pub available: f64,
    /// Program spending (projects, schemes, funds, training, cash), yuan.
    pub program: f64,
    /// Safety-net spending (dibao, medical assistance, housing), yuan.
    pub safety_net: f64,
    /// Program spending over the budget available, over replicates (empty without a budget).
    pub share_used: Summary,
}

/// A strategy's budget over the whole period, with the flag.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetUse {
    pub strategy: usize,
    /// Mean over replicates of program spending over budget available, all simulated years.
    pub share_used: f64,
    /// Whether more than the flag share was left unspent.
    pub flagged: bool,
    /// Why, when flagged and the model knows.
    pub reasons: Vec<Reason>,
}

fn sum_of(row: &[f64], ks: &[usize]) -> f64 {
    ks.iter().map(|&k| row[k]).filter(|v| v.is_finite()).sum()
}

fn columns(r: &RunResults, names: &[&str]) -> Vec<usize> {
    names.iter().filter_map(|n| r.metric(n)).collect()
}

/// Each strategy's budget by year after the baseline; empty when the run does not
/// record the budget available (a run of an older version).
pub fn by_year(r: &RunResults) -> Vec<YearBudget> {
    let Some(avail) = r.metric("budget_available") else {
        return Vec::new();
    };
    let (program, net) = (columns(r, &PROGRAM), columns(r, &SAFETY_NET));
    let mut out = Vec::new();
    for s in 0..r.strategies.len() {
        for y in 1..r.years.len() {
            let reps: Vec<&[f64]> = r.replicates(s).map(|rows| rows[y].as_slice()).collect();
            let mean = |f: &dyn Fn(&[f64]) -> f64| Summary::of(&reps.iter().map(|row| f(row)).collect::<Vec<_>>()).mean;
            let shares: Vec<f64> = reps
                .iter()
                .filter(|row| row[avail] > 0.0)
                .map(|row| sum_of(row, &program) / row[avail])
                .collect();
            out.push(YearBudget {
                strategy: s,
                year: r.years[y],
                available: mean(&|row| row[avail]),
                program: mean(&|row| sum_of(row, &program)),
                safety_net: mean(&|row| sum_of(row, &net)),
                share_used: Summary::of(&shares),
            });
        }
    }
    out
}

/// Each strategy with a budget: the share of it used over all simulated years, and a
/// flag when more than `flag_unspent` of it was left unspent, with the reasons.
pub fn use_of_budget(r: &RunResults, flag_unspent: f64) -> Vec<BudgetUse> {
    let Some(avail) = r.metric("budget_available") else {
        return Vec::new();
    };
    let program = columns(r, &PROGRAM);
    let per_year = |s: usize, name: &str| -> Option<f64> {
        let k = r.metric(name)?;
        let (mut sum, mut n) = (0.0, 0usize);
        for rows in r.replicates(s) {
            for row in &rows[1..] {
                if row[avail] > 0.0 && row[k].is_finite() {
                    sum += row[k];
                    n += 1;
                }
            }
        }
        (n > 0).then(|| sum / n as f64)
    };
    let mut out = Vec::new();
    for s in 0..r.strategies.len() {
        let shares: Vec<f64> = r
            .replicates(s)
            .filter_map(|rows| {
                let budget: f64 = rows[1..].iter().map(|row| row[avail]).filter(|v| v.is_finite()).sum();
                let spent: f64 = rows[1..].iter().map(|row| sum_of(row, &program)).sum();
                (budget > 0.0).then(|| spent / budget)
            })
            .collect();
        if shares.is_empty() {
            continue; // no program budget: nothing to use
        }
        let share_used = Summary::of(&shares).mean;
        let flagged = 1.0 - share_used > flag_unspent;
        let mut reasons = Vec::new();
        if flagged {
            if let Some(v) = per_year(s, "orders_waiting").filter(|&v| v > 0.0) {
                reasons.push(Reason::Members(v));
            }
            if let Some(v) = per_year(s, "orders_no_slot").filter(|&v| v > 0.0) {
                reasons.push(Reason::Slots(v));
            }
            if reasons.is_empty()
                && let Some(v) = per_year(s, "orders_placed")
            {
                reasons.push(Reason::FewOrders(v));
            }
        }
        out.push(BudgetUse {
            strategy: s,
            share_used,
            flagged,
            reasons,
        });
    }
    out
}

/// `budget.csv`: strategy, year, budget_available, program_spending,
/// safety_net_spending (means over replicates, yuan), share_used with its p05 and p95
/// over replicates (`NA` without a budget).
pub fn budget_csv(r: &RunResults, rows: &[YearBudget]) -> Vec<u8> {
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v}")
        } else {
            "NA".to_string()
        }
    };
    let mut out = String::from(
        "strategy,year,budget_available,program_spending,safety_net_spending,share_used,share_used_p05,share_used_p95\n",
    );
    for b in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            super::impacts::csv_field(&r.strategies[b.strategy]),
            b.year,
            f(b.available),
            f(b.program),
            f(b.safety_net),
            f(b.share_used.mean),
            f(b.share_used.p05),
            f(b.share_used.p95),
        ));
    }
    out.into_bytes()
}

/// The flag line of a strategy that left more than `flag_unspent` of its budget
/// unspent, with the reasons the model knows; `None` if it is not flagged.
pub fn flag_line(r: &RunResults, b: &BudgetUse, flag_unspent: f64, lang: Lang) -> Option<String> {
    if !b.flagged {
        return None;
    }
    let name = &r.strategies[b.strategy];
    let (used, unspent, limit) = (100.0 * b.share_used, 100.0 * (1.0 - b.share_used), 100.0 * flag_unspent);
    let why: Vec<String> = b.reasons.iter().map(|x| x.words(lang)).collect();
    Some(match lang {
        Lang::En => format!(
            "{name} spent {used:.0}% of its program budget, leaving {unspent:.0}% unspent (more than {limit:.0}%){}",
            if why.is_empty() {
                ".".to_string()
            } else {
                format!(": {}.", why.join("; "))
            }
        ),
        Lang::Zh => format!(
            "{name} 仅用去项目预算的 {used:.0}%，{unspent:.0}% 未用（超过 {limit:.0}%）{}",
            if why.is_empty() {
                "。".to_string()
            } else {
                format!("：{}。", why.join("；"))
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two replicates; `spent` uses its budget, `idle` half of it with orders that
    /// found no slot, `few` a quarter with every order served, `none` has no budget.
    fn run() -> RunResults {
        let text = "strategy,replicate,year,budget_available,spending_program,spending_cash,spending_dibao,orders_placed,orders_no_slot,orders_waiting\n\
            none,0,2016,0,0,0,0,0,0,0\nnone,0,2017,0,0,0,50,0,0,0\n\
            none,1,2016,0,0,0,0,0,0,0\nnone,1,2017,0,0,0,70,0,0,0\n\
            spent,0,2016,0,0,0,0,0,0,0\nspent,0,2017,1000,990,0,40,9,0,0\n\
            spent,1,2016,0,0,0,0,0,0,0\nspent,1,2017,1000,0,1000,60,0,0,0\n\
            idle,0,2016,0,0,0,0,0,0,0\nidle,0,2017,1000,400,0,50,9,4,0\n\
            idle,1,2016,0,0,0,0,0,0,0\nidle,1,2017,1000,600,0,50,9,2,0\n\
            few,0,2016,0,0,0,0,0,0,0\nfew,0,2017,1000,250,0,50,3,0,0\n\
            few,1,2016,0,0,0,0,0,0,0\nfew,1,2017,1000,250,0,50,5,0,0\n";
        RunResults::from_trajectories_csv(text.as_bytes()).unwrap()
    }

    #[test]
    fn program_spending_is_apart_from_the_safety_net() {
        let r = run();
        let rows = by_year(&r);
        let spent = rows.iter().find(|b| b.strategy == 1).unwrap();
        assert_eq!((spent.year, spent.available, spent.program), (2017, 1000.0, 995.0));
        assert_eq!(spent.safety_net, 50.0);
        assert!((spent.share_used.mean - 0.995).abs() < 1e-12);
        // No budget: the share is undefined, written NA.
        assert!(rows[0].share_used.mean.is_nan());
        let csv = String::from_utf8(budget_csv(&r, &rows)).unwrap();
        assert!(csv.contains("\nnone,2017,0,0,60,NA,NA,NA\n"), "{csv}");
    }

    #[test]
    fn a_budget_left_unspent_is_flagged_with_the_reason() {
        let r = run();
        let uses = use_of_budget(&r, 0.10);
        // The strategy without a budget is not judged.
        assert_eq!(uses.iter().map(|b| b.strategy).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(!uses[0].flagged);
        assert_eq!(uses[1].share_used, 0.5);
        assert_eq!(uses[1].reasons, [Reason::Slots(3.0)]);
        assert_eq!(uses[2].reasons, [Reason::FewOrders(4.0)]);
        assert_eq!(
            flag_line(&r, &uses[1], 0.10, Lang::En).unwrap(),
            "idle spent 50% of its program budget, leaving 50% unspent (more than 10%): 3 orders a year found no slot on the menu."
        );
        assert_eq!(flag_line(&r, &uses[0], 0.10, Lang::En), None);
        // A looser flag lets half a budget pass.
        assert!(!use_of_budget(&r, 0.6)[1].flagged);
    }
}
