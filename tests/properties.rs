//! Property tests of the model's invariants over random small scenarios.

use proptest::prelude::*;
use sandan::agents::household::Status;
use sandan::engine::Simulation;
use sandan::scenario;

fn scenario_text(villages: &[(u32, f64)], exclusion: f64, take_up: f64, margin: f64) -> String {
    let mut t = format!(
        "start_year = 2016\nend_year = 2020\n[identification]\nexclusion_error = {exclusion}\n[dibao]\ntake_up_registered = {take_up}\n[exit]\nmargin = {margin}\n"
    );
    for (i, (h, inc)) in villages.iter().enumerate() {
        t.push_str(&format!(
            "[[village]]\nname = \"v{i}\"\nhouseholds = {h}\nstarting_incidence = {inc}\n"
        ));
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_every_year(
        villages in prop::collection::vec((1u32..80, 0.0f64..0.9), 1..4),
        exclusion in 0.0f64..0.5,
        take_up in 0.0f64..1.0,
        margin in 0.0f64..0.3,
        seed in any::<u64>(),
    ) {
        let text = scenario_text(&villages, exclusion, take_up, margin);
        let s = scenario::parse(&text, "p.toml", "p").unwrap();
        let mut sim = Simulation::new(&s.strategies[0], seed, 0, 2016);
        let base = sim.baseline();
        let population = base.population;
        for _ in 0..4 {
            let o = sim.step();
            let m = o.metrics;
            // Population is conserved.
            prop_assert_eq!(m.population, population);
            // Incidences are shares.
            for x in [m.incidence, m.incidence_households, m.official_incidence, m.fgt1, m.fgt2] {
                prop_assert!((0.0..=1.0).contains(&x), "{x}");
            }
            prop_assert!(m.fgt2 <= m.fgt1 + 1e-12 && m.fgt1 <= m.incidence + 1e-12);
            // Money: net income = market income + transfers − health − interest; and
            // the change in wealth = net income − consumption.
            let l = o.ledger;
            let scale = l.net_income.abs().max(1.0);
            prop_assert!((l.market_income + l.transfers - l.health_spending - l.interest - l.net_income).abs() < 1e-7 * scale);
            prop_assert!((l.wealth_change - (l.net_income - l.consumption - l.invested)).abs() < 1e-7 * scale);
            prop_assert!((l.transfers - m.spending_dibao - m.spending_medical).abs() < 1e-6 * scale.max(l.transfers));
            // Every household is in exactly one registration state, and the counts agree.
            let st = &sim.households().state;
            let reg = st.status.iter().filter(|&&x| x == Status::Registered).count() as f64;
            let ex = st.status.iter().filter(|&&x| x == Status::Exited).count() as f64;
            prop_assert_eq!(reg, m.registered);
            prop_assert_eq!(ex, m.exited);
            prop_assert!(reg + ex <= m.households);
            // Household composition stays consistent.
            for i in 0..st.len() {
                prop_assert!(st.migrants[i] <= st.labourers[i]);
                prop_assert!(st.labourers[i] <= sim.households().fixed.size[i]);
            }
        }
    }

    #[test]
    fn baseline_reproduces_the_stated_incidence(households in 400u32..1500, incidence in 0.02f64..0.6, seed in any::<u64>()) {
        let text = scenario_text(&[(households, incidence)], 0.1, 0.8, 0.0);
        let s = scenario::parse(&text, "p.toml", "p").unwrap();
        let mut sim = Simulation::new(&s.strategies[0], seed, 0, 2016);
        let b = sim.baseline();
        prop_assert!((b.incidence - incidence).abs() <= 0.005, "{} vs {}", b.incidence, incidence);
    }
}

const TEMPLATE: &str = include_str!("../scenarios/template.toml");

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// No input, however malformed, makes reading a scenario panic: arbitrary text,
    /// and the template with one line replaced by arbitrary text or a key set to an
    /// arbitrary value.
    #[test]
    fn reading_a_scenario_never_panics(
        text in ".{0,200}",
        line in 0usize..400,
        junk in "[ -~]{0,40}",
        value in prop_oneof![Just("-1".to_string()), Just("nan".to_string()), Just("inf".to_string()), Just("1e308".to_string()), Just("\"x\"".to_string()), Just("[]".to_string()), Just("{}".to_string()), Just("0".to_string()), Just("99999999999".to_string())],
    ) {
        let _ = scenario::parse(&text, "fuzz.toml", "fuzz");
        let lines: Vec<&str> = TEMPLATE.lines().collect();
        let k = line % lines.len();
        let mut replaced = lines.clone();
        replaced[k] = &junk;
        let _ = scenario::parse(&replaced.join("\n"), "fuzz.toml", "fuzz");
        if let Some((key, _)) = lines[k].split_once('=')
            && !key.trim_start().starts_with('#')
        {
            let mut set = lines.clone();
            let new_line = format!("{key}= {value}");
            set[k] = &new_line;
            let _ = scenario::parse(&set.join("\n"), "fuzz.toml", "fuzz");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    /// Income by source adds up: the sources, less health spending and interest,
    /// equal mean per-capita income, with and without a program.
    #[test]
    fn income_sources_add_up_to_mean_income(households in 50u32..300, seed in any::<u64>(), budget in prop_oneof![Just(0.0), 100_000.0f64..2_000_000.0]) {
        let text = format!(
            "{}\n[[strategy]]\nname = \"s\"\nmenu = \"needs_based\"\nbudget = {budget}\n",
            scenario_text(&[(households, 0.3)], 0.1, 0.8, 0.0)
        );
        let s = scenario::parse(&text, "p.toml", "p").unwrap();
        let mut sim = Simulation::new(&s.strategies[0], seed, 0, 2016);
        sim.baseline();
        for _ in 0..4 {
            let m = sim.step().metrics;
            let sources = m.income_farm + m.income_rent + m.income_wages + m.income_remittances + m.income_projects
                + m.income_assets + m.income_dividends + m.income_transfers + m.income_other - m.health_spending - m.interest_paid;
            prop_assert!((sources - m.mean_income).abs() < 1e-6 * m.mean_income.abs().max(1.0), "{sources} vs {}", m.mean_income);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Money traced: every yuan of program budget spent lands in one account. Year by
    /// year and in total since the baseline, budget spent (projects and cash) + the
    /// interest the mutual-aid funds received = households + operators + collective +
    /// losses + principal still held + fund balances, to the yuan.
    #[test]
    fn program_budget_is_conserved(
        households in 20u32..200,
        incidence in 0.05f64..0.6,
        seed in any::<u64>(),
        budget in prop_oneof![Just(0.0), 1_000.0f64..3_000_000.0],
        menu in prop_oneof![Just("county_fixed"), Just("needs_based")],
        ordering in prop_oneof![Just("household_choice"), Just("assigned"), Just("lottery")],
        delivery in prop_oneof![Just("projects"), Just("cash")],
        schemes in any::<bool>(),
        failure in 0.0f64..1.0,
        sale_price in 0.0f64..20_000.0,
        recovery in 0.0f64..1.0,
        insured in any::<bool>(),
        variable in any::<bool>(),
        fund_share in prop_oneof![Just(0.0), 0.0f64..0.5],
        collective_share in prop_oneof![Just(0.0), 0.0f64..1.0],
        collective_dividends in any::<bool>(),
        invest_share in prop_oneof![Just(0.0), 0.0f64..1.0],
        reserve in 0.0f64..20_000.0,
        collective_invest in prop_oneof![Just(0.0), 0.0f64..1.0],
        enterprise_share in prop_oneof![Just(0.0), 0.0f64..0.5],
        rent in 1.0f64..2_000.0,
    ) {
        // With schemes, a catalogue of calves, stakes, a planting project, a
        // livestock transfer, a land transfer and a welfare job, collective
        // enterprises, and operators that fail, prices that crash, partial recovery.
        let catalogue = if schemes {
            format!(
                "[program.cattle]\nfailure_probability = {failure}\nsale_price = {sale_price}\nrecovery = {recovery}\ninsured = {insured}\ncapacity = 30\n\
                 [program.mutual_aid]\nbudget_share = {fund_share}\nloan_size = 3000\n\
                 [program.training]\nevery_family = {collective_dividends}\n\
                 [program.collective]\nscheme_share = {collective_share}\npayout = \"{}\"\nenterprise_share = {enterprise_share}\nenterprise_failure = {failure}\n\
                 [program.equity]\nfailure_probability = {failure}\nrecovery = {recovery}\nreturn_mode = \"{}\"\n\
                 household_invest_share = {invest_share}\nhousehold_reserve = {reserve}\ncollective_invest_share = {collective_invest}\n\
                 [[program.item]]\nname = \"calves\"\nkind = \"cattle\"\nunit_cost = 11001\nslots = 9\nexpected_return = 3000\nrisk = 0.05\n\
                 [[program.item]]\nname = \"stake\"\nkind = \"equity\"\nunit_cost = 4999\nslots = 9\nexpected_return = 500\nrisk = 0.01\n\
                 [[program.item]]\nname = \"tea\"\nkind = \"planting\"\nunit_cost = 2000.5\nslots = 9\nmin_labourers = 1\nexpected_return = 1500\nrisk = 0.1\n\
                 [program.bees]\nwinter_loss = {recovery}\n\
                 [[program.item]]\nname = \"bees\"\nkind = \"bees\"\nunit_cost = 2200.5\nslots = 9\nexpected_return = 2000\nrisk = 0.1\n\
                 [[program.item]]\nname = \"welfare\"\nkind = \"social\"\nunit_cost = 4000\nslots = 9\nexpected_return = 4000\nrisk = 0.05\n\
                 [[program.item]]\nname = \"land_transfer\"\nkind = \"dividend\"\nunit_cost = 300.5\nslots = 9\nmin_land = 0.5\nexpected_return = 0\nrisk = {failure}\nduration = 3\nrent_per_mu = {rent}\n\
                 [[program.item]]\nname = \"goats\"\nkind = \"livestock\"\nspecies = \"goat\"\nunit_cost = 3000.5\nslots = 9\nmin_labourers = 1\nexpected_return = 1800\nrisk = 0.0\n\
                 [[herd.species]]\nname = \"goat\"\nvalue = 1000\nbirths = 0.8\ndeaths = 0.1\nsale_rate = 0.3\nfeed_cost = 100\nfixed_cost = 300\n\
                 disaster_probability = {recovery}\ndisaster_loss = 0.5\nmax_heads_per_labourer = 30\ninitial_heads_poor = 2\n",
                if collective_dividends { "dividends" } else { "welfare_jobs" },
                if variable { "variable" } else { "fixed" }
            )
        } else {
            String::new()
        };
        let text = format!(
            "{}\n{catalogue}\n[[strategy]]\nname = \"s\"\nmenu = \"{menu}\"\nordering = \"{ordering}\"\ndelivery = \"{delivery}\"\nbudget = {budget}\n",
            scenario_text(&[(households, incidence)], 0.1, 0.8, 0.0)
        );
        let s = scenario::parse(&text, "p.toml", "p").unwrap();
        let mut sim = Simulation::new(&s.strategies[0], seed, 0, 2016);
        sim.baseline();
        let (mut spent, mut landed) = (0.0, 0.0);
        let (mut held_before, mut own_before) = (0.0, 0.0);
        for _ in 0..4 {
            let o = sim.step();
            let (m, f, l) = (o.metrics, o.funds, o.ledger);
            prop_assert!(m.spending_program + m.spending_cash <= budget + 1e-6);
            prop_assert!((f.spent - (m.spending_program + m.spending_cash)).abs() < 1e-6);
            let flows = m.funds_households + m.funds_operators + m.funds_collective + m.funds_lost;
            prop_assert!(flows >= 0.0 && m.funds_held >= 0.0 && m.cattle >= 0.0);
            prop_assert!(m.hives >= 0.0 && m.hives_members >= 0.0 && m.hives_apiary >= 0.0);
            // Stocks in the state agree with the reported stocks.
            let st = &sim.households().state;
            let held: f64 = st.cattle.iter().chain(&st.stake).map(|&x| f64::from(x)).sum();
            prop_assert_eq!(held, m.funds_held);
            // The funds' interest is households' money coming in.
            let stocks = m.funds_held + m.fund_balance;
            prop_assert!((f.spent + m.fund_interest - (flows + stocks - held_before)).abs() < 0.5, "year {}: {} vs {}", m.year, f.spent, flows + stocks - held_before);
            spent += f.spent + m.fund_interest;
            landed += flows;
            prop_assert!((spent - (landed + stocks)).abs() < 0.5, "since the baseline: {spent} vs {}", landed + stocks);
            prop_assert!(m.fund_balance >= 0.0 && m.loan_defaults <= m.loans);
            // Income by source still adds up with schemes, loans and collectives.
            let sources = m.income_farm + m.income_rent + m.income_wages + m.income_remittances + m.income_projects
                + m.income_assets + m.income_dividends + m.income_transfers + m.income_other - m.health_spending - m.interest_paid;
            prop_assert!((sources - m.mean_income).abs() < 1e-6 * m.mean_income.abs().max(1.0), "{sources} vs {}", m.mean_income);
            held_before = stocks;
            // Households' own money: the ledger balances with what they invested, and
            // the stock of own-money shares (never negative) moves by its flows only.
            let scale = l.net_income.abs().max(1.0);
            prop_assert!((l.market_income + l.transfers - l.health_spending - l.interest - l.net_income).abs() < 1e-7 * scale);
            prop_assert!((l.wealth_change - (l.net_income - l.consumption - l.invested)).abs() < 1e-7 * scale);
            let own: f64 = st.own_stake.iter().map(|&x| f64::from(x)).sum();
            prop_assert_eq!(own, m.stakes_own);
            prop_assert_eq!(own, own_before + m.stakes_bought + m.collective_invested - m.stakes_own_lost - m.stakes_own_returned);
            prop_assert!(m.stakes_bought >= 0.0 && m.collective_invested >= 0.0 && m.stakes_own_lost >= 0.0);
            own_before = own;
        }
    }
}
