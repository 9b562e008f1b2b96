//! The cattle dividend scheme and equity stakes, end to end, same seeds throughout.

use sandan::engine::{HouseholdSink, Simulation, simulate, simulate_recording};
use sandan::metrics::{HouseholdYear, INCOME_SOURCES, YearMetrics};
use sandan::scenario::{self, Scenario};

/// A county whose catalogue holds only the two schemes: two calves (Gaoping) and a
/// 5,000-yuan stake (Xiyuan) per household.
fn county(cattle: &str, equity: &str, extra_items: &str) -> Scenario {
    let text = format!(
        r#"
start_year = 2016
end_year = 2020
replicates = 3
[population]
starting_incidence = 0.35
[[village]]
name = "v"
count = 2
households = 200
[program.cattle]
{cattle}
[program.equity]
{equity}
[[program.item]]
name = "gaoping_cattle"
kind = "cattle"
unit_cost = 11000
slots = 40
expected_return = 3000
risk = 0.05
[[program.item]]
name = "xiyuan_stake"
kind = "equity"
unit_cost = 5000
slots = 40
expected_return = 500
risk = 0.01
{extra_items}
[[strategy]]
name = "schemes"
menu = "county_fixed"
budget = 600000
"#
    );
    scenario::parse(&text, "schemes.toml", "schemes").unwrap()
}

#[test]
fn schemes_hold_calves_and_stakes_and_pay_dividends() {
    let s = county("failure_probability = 0.0", "failure_probability = 0.0", "");
    let rec = simulate(&s, 0, 0);
    let y = &rec.years[1];
    assert!(y.program_cattle > 0.0 && y.program_equity > 0.0, "{y:?}");
    assert!(y.cattle > 0.0);
    assert!(y.income_dividends > 0.0);
    assert_eq!(y.holdings_liquidated, 0.0);
    // No failure: the principal only grows (a loss year could shrink a herd, but not
    // at these prices) and stays within the operator's capacity of 400 head a village.
    for w in rec.years[1..].windows(2) {
        assert!(w[1].funds_held >= w[0].funds_held);
    }
    assert!(rec.years.iter().all(|y| y.cattle <= 800.0 + 1e-9));
}

#[test]
fn a_households_share_of_zero_gives_no_dividend() {
    // No equity on the menu, households keep nothing of the cattle profit.
    let s = county("household_share = 0.0", "", "");
    let s_no_equity = {
        let mut s = s;
        let p = &mut s.strategies[0].model.program;
        p.items.retain(|it| it.name != "xiyuan_stake");
        s
    };
    for r in 0..s_no_equity.replicates {
        let rec = simulate(&s_no_equity, 0, r);
        assert!(rec.years.iter().any(|y| y.cattle > 0.0), "the test needs cattle");
        // The baseline year has no split by source (NA).
        for y in &rec.years[1..] {
            assert_eq!(y.income_dividends, 0.0, "year {}", y.year);
        }
    }
}

#[test]
fn an_operators_failure_costs_the_principal_and_the_dividends() {
    let s = county(
        "failure_probability = 1.0\nrecovery = 0.25",
        "failure_probability = 1.0\nrecovery = 0.25",
        "",
    );
    let mut sim = Simulation::new(&s.strategies[0], 7, 0, 2016);
    sim.baseline();
    let o = sim.step();
    let m = o.metrics;
    assert!(m.spending_program > 0.0);
    assert!(m.holdings_liquidated > 0.0);
    assert_eq!((m.cattle, m.funds_held, m.income_dividends), (0.0, 0.0, 0.0));
    // A quarter comes back to the households, the rest is lost (to the yuan, up to
    // flooring each household's quarter).
    assert!((m.funds_lost - 0.75 * m.spending_program).abs() <= m.holdings_liquidated);
    assert!((m.funds_households - 0.25 * m.spending_program).abs() <= m.holdings_liquidated);
    assert!(sim.households().state.cattle.iter().all(|&c| c == 0));
}

/// Person-weighted incidence among the households given `members`, this year.
fn incidence_among(sim: &Simulation, members: &[usize], line: f64) -> f64 {
    let hh = sim.households();
    let (mut poor, mut all) = (0.0, 0.0);
    for &i in members {
        let w = f64::from(hh.fixed.size[i]);
        all += w;
        if f64::from(hh.state.income_pc[i]) < line {
            poor += w;
        }
    }
    poor / all.max(1.0)
}

#[test]
fn raising_the_households_profit_share_never_raises_participants_incidence() {
    let low = county("household_share = 0.5\nfailure_probability = 0.0", "", "");
    let high = county("household_share = 0.9\nfailure_probability = 0.0", "", "");
    let mut higher_dividends = 0;
    for seed in 0..4u64 {
        let mut a = Simulation::new(&low.strategies[0], seed, 0, 2016);
        let mut b = Simulation::new(&high.strategies[0], seed, 0, 2016);
        a.baseline();
        b.baseline();
        let (ma, mb) = (a.step().metrics, b.step().metrics);
        // The first year's participants are the same in both runs: orders do not
        // depend on the share.
        let part = |s: &Simulation| -> Vec<usize> {
            let st = &s.households().state;
            (0..st.len()).filter(|&i| st.cattle[i] > 0).collect()
        };
        let members = part(&a);
        assert_eq!(members, part(&b), "seed {seed}");
        assert!(!members.is_empty());
        let line = low.strategies[0].model.poverty_line.at(2017);
        assert!(incidence_among(&b, &members, line) <= incidence_among(&a, &members, line));
        // In a year of losses (a low sale price) neither share pays a cattle dividend.
        assert!(mb.income_dividends >= ma.income_dividends, "seed {seed}");
        higher_dividends += usize::from(mb.income_dividends > ma.income_dividends);
        for year in 2018..=2020 {
            a.step();
            b.step();
            let line = low.strategies[0].model.poverty_line.at(year);
            let (ia, ib) = (incidence_among(&a, &members, line), incidence_among(&b, &members, line));
            assert!(ib <= ia, "seed {seed} year {year}: {ib} > {ia}");
        }
    }
    assert!(higher_dividends > 0, "the larger share never paid more");
}

#[test]
fn households_without_labour_hold_schemes() {
    let mut s = county("", "failure_probability = 0.0", "");
    // Enough budget to serve every registered household: cattle (the better
    // expected return) go first, then stakes.
    s.strategies[0].plan.budget = 5_000_000.0;
    let mut sim = Simulation::new(&s.strategies[0], 3, 0, 2016);
    sim.baseline();
    sim.step();
    let st = &sim.households().state;
    assert!(
        (0..st.len()).any(|i| st.labourers[i] == 0 && (st.stake[i] > 0 || st.cattle[i] > 0)),
        "a household without labour holds calves or a stake"
    );
    // The next year, households holding calves order stakes too.
    sim.step();
    let st = &sim.households().state;
    assert!((0..st.len()).any(|i| st.stake[i] > 0 && st.cattle[i] > 0));
}

#[test]
fn scheme_items_must_cost_whole_yuan() {
    let text = "[[village]]\nname = \"v\"\nhouseholds = 5\n[[program.item]]\nname = \"c\"\nkind = \"cattle\"\nunit_cost = 5500.5\nslots = 1\nexpected_return = 1\nrisk = 0.1\n";
    let e = scenario::parse(text, "bad.toml", "bad").unwrap_err().to_string();
    assert!(e.contains("unit_cost") && e.contains("whole number"), "{e}");
}

/// A county with one planting project of the given risk and a mutual-aid fund.
fn fund_county(risk: f64) -> Scenario {
    let text = format!(
        r#"
start_year = 2016
end_year = 2019
[population]
starting_incidence = 0.35
[[village]]
name = "v"
households = 300
[program.project]
skill_effect = 0.0
motivation_effect = 0.0
support_effect = 0.0
[program.mutual_aid]
budget_share = 0.5
loan_size = 2000
interest_rate = 0.1
interest_subsidy = 0.0
[[program.item]]
name = "tea"
kind = "planting"
unit_cost = 2000
slots = 30
min_labourers = 1
expected_return = 1500
risk = {risk}
duration = 3
[[strategy]]
name = "fund"
ordering = "assigned"
budget = 100000
"#
    );
    scenario::parse(&text, "fund.toml", "fund").unwrap()
}

#[test]
fn a_mutual_aid_fund_grows_by_its_interest_when_projects_succeed() {
    let s = fund_county(0.0);
    let rec = simulate(&s, 0, 0);
    let mut expected = 0.0;
    for y in &rec.years[1..] {
        assert_eq!(y.program_fund, 50_000.0);
        assert!(y.loans > 0.0, "year {}", y.year);
        assert_eq!(y.loan_defaults, 0.0);
        // Every loan of 2,000 pays 200 of interest.
        assert!((y.fund_interest - 200.0 * y.loans).abs() < 1e-6);
        expected += 50_000.0 + y.fund_interest;
        assert!(
            (y.fund_balance - expected).abs() < 1e-6,
            "{} vs {expected}",
            y.fund_balance
        );
    }
}

#[test]
fn when_every_project_fails_every_loan_defaults() {
    let s = fund_county(1.0);
    let rec = simulate(&s, 0, 0);
    let y = &rec.years[1];
    assert!(y.loans > 0.0);
    assert_eq!(y.loan_defaults, y.loans);
    assert_eq!(y.fund_interest, 0.0);
    assert!((y.funds_lost - 2000.0 * y.loans).abs() < 1e-6);
    assert!((y.fund_balance - (50_000.0 - 2000.0 * y.loans)).abs() < 1e-6);
}

#[test]
fn the_collective_takes_its_share_and_pays_it_out_the_next_year() {
    // Only stakes at a fixed 10%, no failure; the collective takes a quarter.
    let make = |collective: &str| {
        let mut s = county(
            "",
            &format!("failure_probability = 0.0\n[program.collective]\n{collective}"),
            "",
        );
        s.strategies[0]
            .model
            .program
            .items
            .retain(|it| it.name == "xiyuan_stake");
        s
    };
    let none = make("scheme_share = 0.0");
    let some = make("scheme_share = 0.25\npayout = \"dividends\"\ntarget = 1.0");
    let (a, b) = (simulate(&none, 0, 0), simulate(&some, 0, 0));
    let y1 = (&a.years[1], &b.years[1]);
    let persons = y1.0.population;
    assert!(y1.0.income_dividends > 0.0);
    // In the first year the households get three quarters of what they got without it.
    assert!((y1.1.income_dividends - 0.75 * y1.0.income_dividends).abs() < 1e-9 * persons);
    assert!((y1.1.collective_income - 0.25 * y1.0.income_dividends * persons).abs() < 1e-6);
    assert_eq!(y1.1.collective_paid, 0.0, "nothing to pay out in the first year");
    assert_eq!(y1.1.collectives_on_target, 1.0);
    assert_eq!(a.years[1].collective_income, 0.0);
    // The next year the whole of last year's income goes to registered households.
    for w in b.years[1..].windows(2) {
        assert!(
            (w[1].collective_paid - w[0].collective_income).abs() < 1e-6,
            "{} vs {}",
            w[1].collective_paid,
            w[0].collective_income
        );
    }
    let high = make("scheme_share = 0.25\ntarget = 1e10");
    assert!(
        simulate(&high, 0, 0).years[1..]
            .iter()
            .all(|y| y.collectives_on_target == 0.0)
    );
}

#[test]
fn every_registered_family_gets_someone_trained() {
    let make = |placement: f64| {
        let mut s = county("", "", "");
        let t = &mut s.strategies[0].model.program.training;
        t.every_family = true;
        t.placement_rate = placement;
        s.strategies[0].plan.budget = 5_000_000.0;
        s
    };
    let s = make(1.0);
    let mut sim = Simulation::new(&s.strategies[0], 4, 0, 2016);
    sim.baseline();
    let before = sim.households().state.clone();
    let with_labour = (0..before.len())
        .filter(|&i| before.status[i] == sandan::agents::household::Status::Registered && before.labourers[i] > 0)
        .count() as f64;
    let m = sim.step().metrics;
    assert_eq!(m.trained, with_labour);
    assert_eq!(m.program_training, 1000.0 * with_labour);
    let after = &sim.households().state;
    for i in 0..after.len() {
        if after.trained[i] {
            assert!(after.skill[i] >= before.skill[i]);
        }
    }
    assert!(m.placements > 0.0 && m.placements <= m.trained);
    // Nobody is trained twice.
    let m2 = sim.step().metrics;
    assert!(m2.trained < m.trained);
    let none = make(0.0);
    let mut sim = Simulation::new(&none.strategies[0], 4, 0, 2016);
    sim.baseline();
    assert_eq!(sim.step().metrics.placements, 0.0);
}

#[test]
fn a_strategy_changes_a_schemes_terms_by_override() {
    let text = "[[village]]\nname = \"v\"\nhouseholds = 10\n[[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"b\"\noverrides = { \"program.cattle.household_share\" = 0.6, \"program.cattle.insured\" = true, \"program.equity.return_mode\" = \"variable\" }\n";
    let s = scenario::parse(text, "o.toml", "o").unwrap();
    let (a, b) = (&s.strategies[0].model.program, &s.strategies[1].model.program);
    assert_eq!((a.cattle.household_share, a.cattle.insured), (0.8, false));
    assert_eq!((b.cattle.household_share, b.cattle.insured), (0.6, true));
    assert_eq!(b.equity.return_mode, sandan::programs::ReturnMode::Variable);
    let bad = text.replace("0.6", "1.6");
    let e = scenario::parse(&bad, "o.toml", "o").unwrap_err().to_string();
    assert!(e.contains("household_share"), "{e}");
}

/// A county whose menu holds only Honghe's bees: starter colonies (4 at 550).
fn bee_county(bees: &str) -> Scenario {
    let text = format!(
        r#"
start_year = 2016
end_year = 2019
replicates = 2
[population]
starting_incidence = 0.35
[[village]]
name = "v"
count = 2
households = 200
[program.bees]
{bees}
[[program.item]]
name = "honghe_bees"
kind = "bees"
unit_cost = 2200
slots = 40
min_labourers = 1
expected_return = 2000
risk = 0.1
[[strategy]]
name = "bees"
budget = 400000
"#
    );
    scenario::parse(&text, "bees.toml", "bees").unwrap()
}

#[test]
fn the_bee_cooperative_seeds_apiaries_and_households_keep_bees() {
    let s = bee_county("");
    let rec = simulate(&s, 0, 0);
    let y = &rec.years[1];
    // Two villages' seed colonies (86 each at 550) and starter colonies for households.
    assert!(y.program_bees >= 2.0 * 86.0 * 550.0);
    assert!((y.funds_collective - 2.0 * 86.0 * 550.0).abs() < 1e-6);
    assert!(y.hives > 0.0 && y.hives_apiary > 0.0 && y.hives_members > 0.0);
    assert!(y.bee_income_members > 0.0);
    // Seeded once only.
    assert!(rec.years[2..].iter().all(|y| y.funds_collective == 0.0));
    let st = simulate(&s, 0, 1);
    assert!(
        st.years
            .iter()
            .all(|y| y.hives >= 0.0 && y.hives_apiary >= 0.0 && y.hives_members >= 0.0)
    );
}

#[test]
fn a_total_colony_loss_leaves_no_hives() {
    let s = bee_county("winter_loss = 1.0");
    for r in 0..s.replicates {
        for y in &simulate(&s, 0, r).years[1..] {
            assert_eq!(
                (y.hives, y.hives_apiary, y.hives_members),
                (0.0, 0.0, 0.0),
                "year {}",
                y.year
            );
        }
    }
}

#[test]
fn coaching_never_lowers_the_first_years_hives_or_honey() {
    let bare = bee_county("coached_per_member = 0");
    let coached = bee_county("coached_per_member = 3");
    for seed in 0..6u64 {
        let mut a = Simulation::new(&bare.strategies[0], seed, 0, 2016);
        let mut b = Simulation::new(&coached.strategies[0], seed, 0, 2016);
        a.baseline();
        b.baseline();
        let (ma, mb) = (a.step().metrics, b.step().metrics);
        assert!(mb.hives >= ma.hives, "seed {seed}: {} < {}", mb.hives, ma.hives);
        assert!(mb.income_projects >= ma.income_projects, "seed {seed}");
    }
}

#[test]
fn households_keep_at_most_the_cap_per_labourer() {
    // A cap of 0: every colony is sold at the colony price at the end of the year.
    let s = bee_county("max_hives_per_labourer = 0");
    let mut sim = Simulation::new(&s.strategies[0], 1, 0, 2016);
    sim.baseline();
    let m = sim.step().metrics;
    assert!(m.program_bees > 0.0);
    assert_eq!(m.hives, 0.0);
    assert!(sim.households().state.hives.iter().all(|&h| h == 0));
    let capped = bee_county("max_hives_per_labourer = 1\nswarm_rate = 2.0\nwinter_loss = 0.0\nabscond_rate = 0.0");
    let mut sim = Simulation::new(&capped.strategies[0], 1, 0, 2016);
    sim.baseline();
    let before = sim.households().state.labourers.clone();
    sim.step();
    let st = &sim.households().state;
    assert!((0..st.len()).all(|i| st.hives[i] <= u16::from(before[i])));
    assert!(st.hives.iter().any(|&h| h > 0));
}

#[test]
fn demonstration_apiaries_and_members_hives_stay_bounded() {
    let s = bee_county("winter_loss = 0.0\nabscond_rate = 0.0\nswarm_rate = 2.0");
    let rec = simulate(&s, 0, 0);
    let members_per_village = 8.0 + 3.0 + 1.0; // the default member kinds
    for y in &rec.years[1..] {
        assert!(y.hives_apiary <= 2.0 * 86.0, "{}", y.hives_apiary);
        assert!(
            y.hives_members <= 2.0 * members_per_village * 20.0,
            "{}",
            y.hives_members
        );
    }
    // Honey and sold surplus colonies give the apiaries an income.
    assert!(rec.years[2].apiary_income > 0.0);
}

#[test]
fn a_strategy_grants_calves_directly_without_orders() {
    // No slots: nobody can order calves; only the grant gives them.
    let text = r#"
start_year = 2016
end_year = 2018
[population]
starting_incidence = 0.35
[[village]]
name = "v"
count = 3
households = 200
[program.cattle]
failure_probability = 0.0
[[program.item]]
name = "gaoping_cattle"
kind = "cattle"
unit_cost = 11000
slots = 0
expected_return = 2800
risk = 0.02
[[strategy]]
name = "orders_only"
budget = 1000000
[[strategy]]
name = "granted"
budget = 1000000
overrides = { "program.grant.item" = "gaoping_cattle", "program.grant.per_village" = 17 }
"#;
    let s = scenario::parse(text, "g.toml", "g").unwrap();
    let mut a = Simulation::new(&s.strategies[0], 1, 0, 2016);
    let mut b = Simulation::new(&s.strategies[1], 1, 0, 2016);
    a.baseline();
    b.baseline();
    let (ma, mb) = (a.step().metrics, b.step().metrics);
    assert_eq!(ma.program_cattle, 0.0);
    assert_eq!(mb.program_cattle, 3.0 * 17.0 * 11_000.0);
    let holders = b.households().state.cattle.iter().filter(|&&c| c > 0).count();
    assert_eq!(holders, 3 * 17);
    // The next year the holders cannot be granted again; 17 more a village are.
    let mb2 = b.step().metrics;
    assert_eq!(mb2.program_cattle, 3.0 * 17.0 * 11_000.0);
    assert_eq!(b.households().state.cattle.iter().filter(|&&c| c > 0).count(), 6 * 17);
    let bad = text.replace(
        "\"program.grant.item\" = \"gaoping_cattle\"",
        "\"program.grant.item\" = \"unicorns\"",
    );
    let e = scenario::parse(&bad, "g.toml", "g").unwrap_err().to_string();
    assert!(e.contains("unicorns") && e.contains("grant"), "{e}");
}

/// The county of [`county`] with only Xiyuan's stake on the menu, equity terms
/// `equity` and a collective `collective`.
fn stake_county(equity: &str, collective: &str) -> Scenario {
    let mut s = county("", &format!("{equity}\n[program.collective]\n{collective}"), "");
    s.strategies[0]
        .model
        .program
        .items
        .retain(|it| it.name == "xiyuan_stake");
    s
}

/// Issue 4: with no own money invested, the equity scheme is the program's alone,
/// whatever the reserve: the same numbers to the bit.
#[test]
fn issue_4_investing_nothing_of_ones_own_changes_nothing() {
    let base = stake_county("", "scheme_share = 0.2\npayout = \"dividends\"");
    let zero = stake_county(
        "household_invest_share = 0.0\nhousehold_reserve = 0.0\ncollective_invest_share = 0.0",
        "scheme_share = 0.2\npayout = \"dividends\"",
    );
    for r in 0..2 {
        let (a, b) = (simulate(&base, 0, r), simulate(&zero, 0, r));
        assert_eq!(format!("{:?}", a.years), format!("{:?}", b.years));
        assert!(a.years.iter().all(|y| y.stakes_own == 0.0 && y.stakes_bought == 0.0));
    }
}

/// Issue 4: households buy shares with their savings above the reserve; the shares
/// pay dividends as income and, when the enterprise fails, the loss is theirs, not
/// the program's. The households' ledger and the own-shares stock balance every year.
#[test]
fn issue_4_households_buy_shares_with_their_own_savings() {
    for failure in [0.0, 0.5] {
        let s = stake_county(
            &format!("failure_probability = {failure}\nhousehold_invest_share = 0.5\nhousehold_reserve = 2000"),
            "",
        );
        let mut sim = Simulation::new(&s.strategies[0], 7, 0, 2016);
        sim.baseline();
        let (mut own_before, mut bought, mut own_dividends, mut lost) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..4 {
            let o = sim.step();
            let (m, l) = (o.metrics, o.ledger);
            let st = &sim.households().state;
            let own: f64 = st.own_stake.iter().map(|&x| f64::from(x)).sum();
            assert_eq!(own, m.stakes_own);
            assert_eq!(
                own,
                own_before + m.stakes_bought + m.collective_invested - m.stakes_own_lost - m.stakes_own_returned
            );
            let scale = l.net_income.abs().max(1.0);
            assert!((l.wealth_change - (l.net_income - l.consumption - l.invested)).abs() < 1e-7 * scale);
            assert!((l.invested - (m.stakes_bought - m.stakes_own_returned)).abs() < 1e-6 * scale);
            // Own money never enters the program's accounts.
            let held: f64 = st.stake.iter().map(|&x| f64::from(x)).sum();
            assert_eq!(held, m.funds_held);
            assert!(m.stakes_own_dividends <= m.income_dividends * m.population + 1e-6);
            own_before = own;
            bought += m.stakes_bought;
            own_dividends += m.stakes_own_dividends;
            lost += m.stakes_own_lost;
        }
        assert!(bought > 0.0, "nothing bought at failure {failure}");
        // A safe enterprise pays on what was bought; a failing one may never pay
        // within four years (each year's failure wipes out the shares held).
        assert!(
            failure > 0.0 || own_dividends > 0.0,
            "no dividends from a safe enterprise"
        );
        assert_eq!(lost > 0.0, failure > 0.0);
    }
}

/// Issue 4: a household with no savings (or none above the reserve) buys nothing.
#[test]
fn issue_4_no_savings_above_the_reserve_no_shares() {
    let s = stake_county("household_invest_share = 1.0\nhousehold_reserve = 1e9", "");
    let rec = simulate(&s, 0, 0);
    assert!(rec.years.iter().all(|y| y.stakes_bought == 0.0 && y.stakes_own == 0.0));
    // With no reserve, exactly the households whose savings grew above zero invest,
    // and they invest all of it: none keeps positive savings.
    let s = stake_county(
        "failure_probability = 0.0\nhousehold_invest_share = 1.0\nhousehold_reserve = 0",
        "",
    );
    let mut sim = Simulation::new(&s.strategies[0], 3, 0, 2016);
    sim.baseline();
    for _ in 0..3 {
        let before = sim.households().state.own_stake.clone();
        sim.step();
        let st = &sim.households().state;
        for ((&wealth, &own), &was) in st.wealth.iter().zip(&st.own_stake).zip(&before) {
            assert!(wealth < 1.0, "a household kept {wealth} of savings");
            if own > was {
                assert!(wealth >= 0.0, "a household bought shares out of debt");
            }
        }
    }
}

/// Issue 4: a collective converts a share of its income into shares quantified to
/// its registered households; it pays out the rest the next year.
#[test]
fn issue_4_the_collective_turns_income_into_households_shares() {
    let s = stake_county(
        "failure_probability = 0.0\ncollective_invest_share = 0.4",
        "scheme_share = 0.25\npayout = \"dividends\"",
    );
    let rec = simulate(&s, 0, 0);
    let y = &rec.years[1];
    assert!(y.collective_income > 0.0 && y.collective_invested > 0.0);
    assert!(y.collective_invested <= 0.4 * y.collective_income);
    assert!(y.collective_invested > 0.4 * y.collective_income - y.registered * 1.0 - 1.0);
    assert_eq!(y.stakes_own, y.collective_invested, "no household money in this county");
    for w in rec.years[1..].windows(2) {
        let kept = w[0].collective_income - w[0].collective_invested;
        assert!(
            (w[1].collective_paid - kept).abs() < 1e-6,
            "{} vs {kept}",
            w[1].collective_paid
        );
    }
    // The shares pay dividends from the next year.
    assert!(rec.years[2].stakes_own_dividends > 0.0);
}

/// Keeps every household-year a simulation sends.
#[derive(Default)]
struct Collect(std::sync::Mutex<Vec<HouseholdYear>>);

impl HouseholdSink for Collect {
    fn year(&self, _: usize, rows: &[HouseholdYear]) {
        self.0.lock().unwrap().extend_from_slice(rows);
    }
}

/// Issue 4: each household's income by source, as the step accumulates it, adds up
/// over households to the per-person metric of the same name times the population —
/// in a county where every source is at work (schemes and own shares, a kept
/// planting project, collective welfare jobs), so that a source recorded under
/// another's name would show.
#[test]
fn issue_4_each_households_sources_add_up_to_the_metric_of_the_same_name() {
    let s = county(
        "",
        "household_invest_share = 0.3\nhousehold_reserve = 1000\n[program.collective]\nscheme_share = 0.2",
        "[[program.item]]\nname = \"tea\"\nkind = \"planting\"\nunit_cost = 2000\nslots = 40\nmin_labourers = 1\n\
         expected_return = 1500\nrisk = 0.2\nkeep = true\n",
    );
    let households = Collect::default();
    let rec = simulate_recording(&s, 0, 0, Some(&households));
    let households = households.0.into_inner().unwrap();
    assert_eq!(households.len(), rec.years.len() * 400);
    for (k, name) in INCOME_SOURCES.iter().enumerate() {
        let col = YearMetrics::NAMES.iter().position(|n| n == name).unwrap();
        let mut at_work = false;
        for y in &rec.years[1..] {
            let rows = households.iter().filter(|h| h.year == y.year);
            let sum: f64 = rows.map(|h| h.sources[k]).sum();
            let expected = y.values()[col] * y.population;
            assert!(
                (sum - expected).abs() <= 1e-6 * expected.abs().max(1.0),
                "{} {name}: {sum} vs {expected}",
                y.year
            );
            at_work |= sum != 0.0;
        }
        assert!(
            at_work,
            "{name} is zero every year: the test could not tell it from another source"
        );
    }
}

#[test]
fn a_collective_never_pays_out_a_loss() {
    // Issue 11: a loss-making demonstration apiary once gave negative wages.
    let s = bee_county(
        "honey_price = 0.0\nrunning_cost = 200.0\nswarm_rate = 0.0\n[program.collective]\nscheme_share = 0.5",
    );
    let mut saw_loss = false;
    for r in 0..s.replicates {
        for y in &simulate(&s, 0, r).years[1..] {
            saw_loss |= y.collective_income < 0.0;
            assert!(y.collective_paid >= 0.0, "year {}: paid {}", y.year, y.collective_paid);
        }
    }
    assert!(saw_loss, "the case must contain a collective loss to test anything");
}

#[test]
fn issue11_a_collective_enterprise_earns_income_of_its_own() {
    // Half of the 600,000 budget a year into 2 villages' enterprises at 10%, no
    // scheme share: the collectives' income is the enterprises' alone.
    let make = |failure: f64| {
        county(
            "",
            &format!(
                "[program.collective]\nenterprise_share = 0.5\nenterprise_return = 0.1\nenterprise_failure = {failure}\ntarget = 45000.0"
            ),
            "",
        )
    };
    let rec = simulate(&make(0.0), 0, 0);
    for (t, y) in rec.years[1..].iter().enumerate() {
        // 150,000 more capital per village each year, 10% of it earned the same year.
        let capital = 150_000.0 * (t + 1) as f64;
        assert!(
            (y.collective_income - 2.0 * 0.1 * capital).abs() < 1e-6,
            "year {}",
            y.year
        );
        assert!(y.funds_collective >= 300_000.0 - 1e-6 && y.spending_program >= 300_000.0 - 1e-6);
        assert_eq!(
            y.collectives_on_target,
            if capital * 0.1 >= 45_000.0 { 1.0 } else { 0.0 }
        );
        assert!(y.collective_paid >= 0.0);
    }
    for w in rec.years[1..].windows(2) {
        assert!((w[1].collective_paid - w[0].collective_income).abs() < 1e-6);
    }
    // An enterprise that always fails earns nothing and pays nothing.
    let failed = simulate(&make(1.0), 0, 0);
    assert!(
        failed.years[1..]
            .iter()
            .all(|y| y.collective_income == 0.0 && y.collective_paid == 0.0)
    );
    // Without the enterprise the budget goes to orders as before.
    let off = county("", "[program.collective]\nenterprise_share = 0.0", "");
    assert!(
        simulate(&off, 0, 0).years[1..]
            .iter()
            .all(|y| y.collective_income == 0.0)
    );
}
