//! The engine: one [`Simulation`] per strategy × replicate, stepped year by year,
//! and [`run`] to do all of them in parallel.
//!
//! Parallelism is over whole simulations, and results are gathered in the order of
//! the (strategy, replicate) list, not the order they finish; together with the
//! counter-based randomness of [`crate::rng`] this makes the output identical for
//! any thread count.
//!
//! Common random numbers make a replicate's baseline county the same under every
//! strategy whose model synthesises it the same way, so [`run`] draws it once per
//! replicate ([`County`]) and starts each of those strategies from a copy of its
//! state (the fixed attributes are shared, not copied).

pub mod groups;
pub mod income;
mod step;

pub use step::YearOutcome;

use crate::agents::household::{Fixed, Households, PackedState, State, Status};
use crate::agents::synthesis::{same_inputs, synthesize};
use crate::metrics::{HouseholdRecorder, HouseholdYear, YearMetrics};
use crate::programs::Plan;
use crate::programs::cycle::branch_quality;
use crate::programs::members::Members;
use crate::programs::year::{Cells, VillageStocks};
use crate::rng::{CellRng, Stream};
use crate::scenario::{Model, Scenario, Strategy};
use crate::stats::IncomeKeys;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};
use step::{StepContext, Tally, VillageCounts};

/// One county under one strategy in one replicate. A clone continues independently
/// from the same state (benchmarks step the same years again and again).
#[derive(Clone)]
pub struct Simulation<'m> {
    model: &'m Model,
    plan: &'m Plan,
    /// The program's members and each village's branch quality (empty without a program).
    members: Members,
    quality: Vec<u8>,
    /// Running totals for the cumulative metrics.
    totals: Totals,
    seed: u64,
    replicate: u32,
    year: i32,
    households: Households,
    /// The write buffer of the double-buffered state.
    next: State,
    villages: VillageCounts,
    village_exited: Vec<bool>,
    /// Mutual-aid fund balances and collective income, per village.
    stocks: VillageStocks,
    keys: IncomeKeys,
    /// Each household's year, when asked for ([`Simulation::record_households`]).
    recorder: Option<HouseholdRecorder>,
}

/// A replicate's county at the baseline: its households synthesised and its poor
/// registered. It depends on the model only through what synthesis and
/// identification read ([`County::same`]), so strategies that agree there share it.
/// It is kept while they run, so it is kept small: the fixed attributes are shared
/// with each strategy's simulation, and the state is packed ([`PackedState`]: an
/// attribute every household holds at one value, such as a project or a stake at
/// the baseline, is kept as that value).
#[derive(Debug, Clone)]
pub struct County {
    fixed: Arc<Fixed>,
    state: PackedState,
    year: i32,
    /// The households' groups for who gains, the same for every strategy that
    /// starts from this county (they are fixed at the baseline).
    groups: groups::Groups,
}

/// Synthesise a county and register its poor households (the baseline year).
fn at_baseline(model: &Model, seed: u64, replicate: u32, start_year: i32) -> Households {
    let mut households = synthesize(model, seed, replicate, start_year);
    identify_baseline(model, seed, replicate, start_year, &mut households);
    households
}

impl County {
    /// Synthesise the county and register its poor households (the baseline year).
    pub fn new(model: &Model, seed: u64, replicate: u32, start_year: i32) -> County {
        let households = at_baseline(model, seed, replicate, start_year);
        County {
            groups: groups::Groups::at_baseline(&households, model.villages.len()),
            fixed: households.fixed,
            state: PackedState::new(households.state),
            year: start_year,
        }
    }

    /// Whether models `a` and `b` give the same county for every seed and replicate:
    /// synthesis reads the same values ([`same_inputs`]) and so does identification.
    pub fn same(a: &Model, b: &Model) -> bool {
        same_inputs(a, b) && a.identification == b.identification
    }

    /// The households: the fixed attributes shared, the state a copy.
    pub fn households(&self) -> Households {
        Households {
            fixed: Arc::clone(&self.fixed),
            state: self.state.unpack(),
        }
    }
}

/// For each strategy, the first strategy with the same county ([`County::same`]):
/// itself if none before it has.
pub fn county_owners(scenario: &Scenario) -> Vec<usize> {
    let models: Vec<&Model> = scenario.strategies.iter().map(|s| &s.model).collect();
    (0..models.len())
        .map(|s| (0..=s).find(|&t| County::same(models[t], models[s])).unwrap_or(s))
        .collect()
}

impl<'m> Simulation<'m> {
    /// Synthesise the county and register its poor households (the baseline year).
    pub fn new(strategy: &'m Strategy, seed: u64, replicate: u32, start_year: i32) -> Self {
        let households = at_baseline(&strategy.model, seed, replicate, start_year);
        Self::at(strategy, seed, replicate, start_year, households, None)
    }

    /// Start from a county already synthesised and identified for this seed and
    /// replicate with a model that gives the same county as the strategy's
    /// ([`County::same`]); the result is then that of [`Self::new`].
    pub fn on_county(strategy: &'m Strategy, seed: u64, replicate: u32, county: &County) -> Self {
        Self::on_county_in(strategy, seed, replicate, county, Buffers::default())
    }

    /// [`Self::on_county`] in the buffers another simulation left.
    fn on_county_in(strategy: &'m Strategy, seed: u64, replicate: u32, county: &County, mut b: Buffers) -> Self {
        county.state.unpack_into(&mut b.state);
        county.state.unpack_into(&mut b.next);
        let households = Households {
            fixed: Arc::clone(&county.fixed),
            state: b.state,
        };
        let n = households.len();
        let spare = (b.next, b.keys.unwrap_or_else(|| IncomeKeys::with_capacity(n)));
        Self::at(strategy, seed, replicate, county.year, households, Some(spare))
    }

    /// The buffers the simulation leaves when it ends, for another to reuse.
    fn into_buffers(self) -> Buffers {
        Buffers {
            state: self.households.state,
            next: self.next,
            keys: Some(self.keys),
        }
    }

    /// Start from `households` at the baseline of `start_year`; `spare`: the write
    /// buffer, holding the same state, and the median's sort space, if at hand.
    fn at(
        strategy: &'m Strategy,
        seed: u64,
        replicate: u32,
        start_year: i32,
        households: Households,
        spare: Option<(State, IncomeKeys)>,
    ) -> Self {
        debug_assert_eq!(households.len(), strategy.model.household_count());
        let model = &strategy.model;
        let plan = &strategy.plan;
        let (members, quality) = if plan.active() {
            (
                Members::synthesize(&model.program, model.villages.len(), seed, replicate),
                branch_quality(&model.program, model.villages.len(), seed, replicate),
            )
        } else {
            (Members::default(), Vec::new())
        };
        let mut persons = vec![0u64; model.villages.len()];
        for (v, s) in households.fixed.village.iter().zip(&households.fixed.size) {
            persons[*v as usize] += u64::from(*s);
        }
        let n = households.len();
        let (next, keys) = spare.unwrap_or_else(|| (households.state.clone(), IncomeKeys::with_capacity(n)));
        Simulation {
            model,
            plan,
            members,
            quality,
            totals: Totals::default(),
            seed,
            replicate,
            year: start_year,
            households,
            next,
            villages: VillageCounts {
                registered_persons: vec![0; persons.len()],
                persons,
            },
            village_exited: vec![false; model.villages.len()],
            stocks: VillageStocks::new(model.villages.len()),
            keys,
            recorder: None,
        }
    }

    /// Record each household's year from now on (its state and income by source),
    /// for `households.csv`. Call before [`Self::baseline`] to include the baseline.
    pub fn record_households(&mut self) {
        self.recorder.get_or_insert_with(HouseholdRecorder::default);
    }

    /// The households' years recorded since the last call (none unless recording).
    pub fn take_household_rows(&mut self) -> Vec<HouseholdYear> {
        self.recorder
            .as_mut()
            .map(HouseholdRecorder::take_rows)
            .unwrap_or_default()
    }

    /// The households in their current state.
    pub fn households(&self) -> &Households {
        &self.households
    }

    /// The current year (the baseline year before the first step).
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Metrics of the baseline year: the synthesised county at identification,
    /// before any transfer of the program period.
    pub fn baseline(&mut self) -> YearMetrics {
        let line = self.model.poverty_line.at(self.year);
        let s = &self.households.state;
        let f = &self.households.fixed;
        let mut tally = Tally::new(line, &mut self.keys);
        self.villages.registered_persons.iter_mut().for_each(|x| *x = 0);
        for i in 0..f.size.len() {
            tally.add(f.size[i], f64::from(s.income_pc[i]), s.status[i]);
            if s.status[i] == Status::Registered {
                self.villages.registered_persons[f.village[i] as usize] += u64::from(f.size[i]);
            }
        }
        let mut m = tally.finish(self.year, YearMetrics::default());
        m.new_registrations = m.registered;
        m.cost_per_person_exited = f64::NAN;
        crate::programs::year::no_projects(&mut m);
        m.undefine_baseline_split();
        self.update_village_exit(&mut m);
        let mut herds = crate::agents::herd::HerdTotals::default();
        herds.count_stock(&self.model.herd, &self.households.state.herds);
        herds.report(&mut m);
        if let Some(r) = &mut self.recorder {
            r.end_year(self.year, &self.households);
        }
        m
    }

    /// Advance one year and return its metrics and money flows.
    pub fn step(&mut self) -> YearOutcome {
        self.year += 1;
        let ctx = StepContext {
            model: self.model,
            plan: self.plan,
            members: &self.members,
            quality: &self.quality,
            cells: Cells {
                seed: self.seed,
                replicate: self.replicate,
                year: self.year,
            },
        };
        let mut out = step::step(
            &ctx,
            &self.households,
            &self.households.state,
            &mut self.next,
            &mut self.villages,
            &mut self.stocks,
            &mut self.keys,
            self.recorder.as_mut(),
        );
        std::mem::swap(&mut self.households.state, &mut self.next);
        if let Some(r) = &mut self.recorder {
            r.end_year(self.year, &self.households);
        }
        self.update_village_exit(&mut out.metrics);
        self.totals.add(&mut out.metrics);
        out
    }

    /// Mark the villages whose official incidence fell below the exit threshold
    /// this year (an exit is for good), and count the villages and the designated
    /// poor villages (NaN when the scenario designates none) that have exited.
    fn update_village_exit(&mut self, m: &mut YearMetrics) {
        let threshold = self.model.exit.village_threshold;
        for (v, exited) in self.village_exited.iter_mut().enumerate() {
            let persons = self.villages.persons[v].max(1) as f64;
            if (self.villages.registered_persons[v] as f64) / persons < threshold {
                *exited = true;
            }
        }
        let (mut all, mut poor, mut designated) = (0.0, 0.0, false);
        for (&e, v) in self.village_exited.iter().zip(&self.model.villages) {
            designated |= v.poor;
            all += f64::from(u8::from(e));
            poor += f64::from(u8::from(e && v.poor));
        }
        m.villages_exited = all;
        m.poor_villages_exited = if designated { poor } else { f64::NAN };
    }
}

/// Running totals since the baseline, for the cumulative metrics.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    persons_exited: f64,
    reentries: f64,
    spending: f64,
}

impl Totals {
    fn add(&mut self, m: &mut YearMetrics) {
        self.persons_exited += m.exits_persons;
        self.reentries += m.reentries;
        self.spending +=
            m.spending_dibao + m.spending_medical + m.spending_housing + m.spending_program + m.spending_cash;
        m.persons_exited_total = self.persons_exited;
        m.reentries_total = self.reentries;
        m.spending_total = self.spending;
        m.cost_per_person_exited = if self.persons_exited > 0.0 {
            self.spending / self.persons_exited
        } else {
            f64::NAN
        };
    }
}

/// Register households at the baseline: the poor with probability
/// 1 − exclusion error, the non-poor with probability inclusion error.
fn identify_baseline(model: &Model, seed: u64, replicate: u32, year: i32, hh: &mut Households) {
    let line = model.poverty_line.at(year);
    let id = &model.identification;
    for i in 0..hh.len() {
        let mut r = CellRng::new(seed, replicate, Stream::Identification, i as u64, year);
        let poor = f64::from(hh.state.income_pc[i]) < line;
        let p = if poor {
            1.0 - id.exclusion_error
        } else {
            id.inclusion_error
        };
        if r.chance(p) {
            hh.state.status[i] = Status::Registered;
            hh.state.since[i] = year as i16;
        }
    }
    if model.population.exited_before_baseline > 0.0 {
        exit_before_baseline(model, seed, replicate, year, hh);
    }
}

/// Mark, village by village, the households registered and exited before the
/// baseline (`population.exited_before_baseline` persons per person registered at
/// it): the households an earlier exit would have left just above the line, that is
/// the non-registered households whose expected income is at or above the line, in
/// the order of their assessed income (expected income times the review's mean-one
/// assessment error), lowest first, until their persons reach the share, taking a
/// household that overshoots only if it overshoots by less than it would undershoot.
/// They exited the year before the baseline.
fn exit_before_baseline(model: &Model, seed: u64, replicate: u32, year: i32, hh: &mut Households) {
    let line = model.poverty_line.at(year);
    let rate = model.population.exited_before_baseline;
    let sd = model.identification.assessment_sd;
    let mut registered = vec![0u64; model.villages.len()];
    let mut candidates: Vec<Vec<(f64, usize)>> = vec![Vec::new(); model.villages.len()];
    for i in 0..hh.len() {
        let v = hh.fixed.village[i] as usize;
        let income = f64::from(hh.state.income_pc[i]);
        match hh.state.status[i] {
            Status::Registered => registered[v] += u64::from(hh.fixed.size[i]),
            Status::NotRegistered if income >= line => {
                let mut r = CellRng::new(seed, replicate, Stream::ExitedBeforeBaseline, i as u64, year);
                candidates[v].push((income * r.mean_one_lognormal(sd), i));
            }
            _ => {}
        }
    }
    for (v, mut list) in candidates.into_iter().enumerate() {
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let target = (rate * registered[v] as f64).round();
        let mut taken = 0.0;
        for (_, i) in list {
            let size = f64::from(hh.fixed.size[i]);
            if taken + size - target > target - taken {
                break;
            }
            taken += size;
            hh.state.status[i] = Status::Exited;
            hh.state.exit_year[i] = (year - 1) as i16;
            hh.state.since[i] = (year - 1) as i16;
        }
    }
}

/// The yearly metrics of one strategy in one replicate, baseline year first.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub strategy: usize,
    pub replicate: u32,
    pub years: Vec<YearMetrics>,
    /// Year-end sums over the baseline's groups of households (cause, income decile,
    /// village), baseline year first; empty unless the run asked for them.
    pub groups: Vec<groups::GroupYear>,
    /// Winners and losers: this strategy's households banded against their twins in
    /// each strategy of the replicate (by the other's index; its own entry counts
    /// every household unchanged); empty unless the run asked for groups.
    pub against: Vec<groups::Bands>,
}

impl RunRecord {
    /// The first year and metric whose value is not a finite number (other than a
    /// documented NA, [`YearMetrics::MAY_BE_NA`]), with the value.
    pub fn first_non_finite(&self) -> Option<(i32, &'static str, f64)> {
        self.years
            .iter()
            .enumerate()
            .find_map(|(i, m)| m.first_non_finite(i == 0).map(|(name, x)| (m.year, name, x)))
    }
}

/// Where a run sends each household's year, as it simulates them, for
/// `households.csv`: replicate 0 of every strategy, one year at a time, so that
/// nothing accumulates in memory. Called from the simulation threads; the years of
/// one strategy arrive in order, baseline first.
pub trait HouseholdSink: Sync {
    fn year(&self, strategy: usize, rows: &[HouseholdYear]);
}

/// Simulate one strategy in one replicate over the scenario's years.
pub fn simulate(scenario: &Scenario, strategy: usize, replicate: u32) -> RunRecord {
    simulate_recording(scenario, strategy, replicate, None)
}

/// [`simulate`], sending each household's years to `households` in replicate 0.
pub fn simulate_recording(
    scenario: &Scenario,
    strategy: usize,
    replicate: u32,
    households: Option<&dyn HouseholdSink>,
) -> RunRecord {
    simulate_observed(
        scenario,
        strategy,
        replicate,
        households,
        false,
        None,
        &Mutex::default(),
    )
    .0
}

/// The buffers a simulation leaves when it ends, for the next strategy of the
/// replicate to start in: its two states and the median's sort space. Reusing them
/// spares the system handing out (and zeroing) fresh pages for every strategy
/// (README, Performance: fewer page faults and a few per cent of the time at a
/// million households).
#[derive(Default)]
struct Buffers {
    state: State,
    next: State,
    keys: Option<IncomeKeys>,
}

/// A strategy's households in the final year, kept until the replicate's strategies
/// are compared, each household with its twin in another strategy (winners and
/// losers): their sizes (shared with the county) and per-capita net incomes.
struct Final {
    fixed: Arc<Fixed>,
    income_pc: Vec<f32>,
}

/// [`simulate_recording`], also summing the baseline's groups of households at the
/// end of every year when `by_group` (who gains, [`groups`]) and then giving back
/// the final year's households ([`Final`]). It starts from `county` when given (the
/// strategy's own, [`County::same`]), in buffers taken from `spare` if it holds
/// any, else it synthesises the county; it leaves its buffers in `spare`.
fn simulate_observed(
    scenario: &Scenario,
    strategy: usize,
    replicate: u32,
    households: Option<&dyn HouseholdSink>,
    by_group: bool,
    county: Option<&County>,
    spare: &Mutex<Vec<Buffers>>,
) -> (RunRecord, Option<Final>) {
    let st = &scenario.strategies[strategy];
    let mut sim = match county {
        Some(county) => {
            let buffers = spare.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
            Simulation::on_county_in(st, scenario.seed, replicate, county, buffers)
        }
        None => Simulation::new(st, scenario.seed, replicate, scenario.start_year),
    };
    let households = households.filter(|_| replicate == 0);
    if households.is_some() {
        sim.record_households();
    }
    let send = |sim: &mut Simulation| {
        if let Some(sink) = households {
            sink.year(strategy, &sim.take_household_rows());
        }
    };
    let mut years = Vec::with_capacity(scenario.years_reported());
    years.push(sim.baseline());
    send(&mut sim);
    // A shared county's groups, else the strategy's own.
    let own;
    let grouping = match (by_group, county) {
        (false, _) => None,
        (true, Some(county)) => Some(&county.groups),
        (true, None) => {
            own = groups::Groups::at_baseline(sim.households(), st.model.villages.len());
            Some(&own)
        }
    };
    let mut by_groups = Vec::new();
    let mut tally = |sim: &Simulation, m: &YearMetrics| {
        if let Some(g) = &grouping {
            by_groups.extend(g.tally(sim.households(), m.year, m.poverty_line, &sim.village_exited));
        }
    };
    tally(&sim, &years[0]);
    for _ in scenario.simulated_years() {
        let m = sim.step().metrics;
        tally(&sim, &m);
        years.push(m);
        send(&mut sim);
    }
    // The simulation ends here: its incomes are moved out, not copied.
    let last = by_group.then(|| Final {
        fixed: Arc::clone(&sim.households.fixed),
        income_pc: std::mem::take(&mut sim.households.state.income_pc),
    });
    let record = RunRecord {
        strategy,
        replicate,
        years,
        groups: by_groups,
        against: Vec::new(),
    };
    if let Ok(mut s) = spare.lock() {
        s.push(sim.into_buffers());
    }
    (record, last)
}

/// Band each strategy's households of one replicate against their twins in every
/// other (`records`: the replicate's strategies; `finals`: their final years, in
/// the same order).
fn compare_twins(records: &mut [RunRecord], finals: &[Final]) {
    for (r, a) in records.iter_mut().zip(finals) {
        r.against = finals
            .iter()
            .map(|b| groups::twin_bands(&a.fixed.size, &a.income_pc, &b.income_pc))
            .collect();
    }
}

/// Run every strategy × replicate of the scenario in parallel on the current pool.
/// `on_done` is called once per finished simulation (for progress reporting).
/// Records come back ordered by strategy, then replicate.
pub fn run(scenario: &Scenario, on_done: &(dyn Fn() + Sync)) -> Vec<RunRecord> {
    run_recording(scenario, None, on_done)
}

/// [`run`], sending each household's years of replicate 0 to `households`, and
/// summing the baseline's groups of households every year (`groups.csv`).
///
/// Each replicate synthesises its county once for every set of strategies that
/// share it ([`county_owners`]) and hands each strategy a copy; a strategy whose
/// county no other shares synthesises its own. The replicates run in parallel, and
/// the strategies of a replicate too.
pub fn run_recording(
    scenario: &Scenario,
    households: Option<&dyn HouseholdSink>,
    on_done: &(dyn Fn() + Sync),
) -> Vec<RunRecord> {
    let owners = county_owners(scenario);
    let shared = |s: usize| owners[s] == s && owners.iter().filter(|&&o| o == s).count() > 1;
    // A replicate's strategies run together, so that its households are compared
    // with their twins as soon as they are done, and only the counts are kept.
    let by_replicate: Vec<Vec<RunRecord>> = (0..scenario.replicates)
        .into_par_iter()
        .map(|r| {
            let counties: Vec<Option<County>> = (0..owners.len())
                .map(|s| {
                    shared(s).then(|| County::new(&scenario.strategies[s].model, scenario.seed, r, scenario.start_year))
                })
                .collect();
            // The buffers of the replicate's finished simulations, for the next.
            let spare = Mutex::new(Vec::new());
            let (mut recs, finals): (Vec<RunRecord>, Vec<Option<Final>>) = (0..owners.len())
                .into_par_iter()
                .map(|s| {
                    let county = counties[owners[s]].as_ref();
                    let done = simulate_observed(scenario, s, r, households, true, county, &spare);
                    on_done();
                    done
                })
                .unzip();
            drop((counties, spare));
            let finals: Vec<Final> = finals.into_iter().flatten().collect();
            compare_twins(&mut recs, &finals);
            recs
        })
        .collect();
    // Ordered by strategy, then replicate.
    let mut columns: Vec<std::vec::IntoIter<RunRecord>> = by_replicate.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(owners.len() * columns.len());
    for _ in 0..owners.len() {
        out.extend(columns.iter_mut().filter_map(Iterator::next));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    pub(crate) const SMALL: &str = r#"
name = "small"
start_year = 2016
end_year = 2020
replicates = 3
[population]
starting_incidence = 0.25
[[village]]
name = "a"
households = 200
[[village]]
name = "b"
count = 2
households = 150
starting_incidence = 0.1
"#;

    fn scenario(text: &str) -> Scenario {
        scenario::parse(text, "t.toml", "t").unwrap()
    }

    #[test]
    fn baseline_reports_the_calibrated_incidence() {
        let s = scenario(SMALL);
        let rec = simulate(&s, 0, 0);
        let b = &rec.years[0];
        assert_eq!(b.year, 2016);
        assert!(b.incidence > 0.13 && b.incidence < 0.18, "{}", b.incidence);
        assert_eq!(rec.years.len(), 5);
        assert_eq!(rec.years.last().unwrap().year, 2020);
    }

    #[test]
    fn ledger_balances_every_year() {
        let s = scenario(SMALL);
        let mut sim = Simulation::new(&s.strategies[0], 1, 0, 2016);
        sim.baseline();
        for _ in 0..4 {
            let l = sim.step().ledger;
            let net = l.market_income + l.transfers - l.health_spending - l.interest;
            assert!((net - l.net_income).abs() < 1e-6 * l.net_income.abs().max(1.0));
            let saved = l.net_income - l.consumption - l.invested;
            assert!((l.wealth_change - saved).abs() < 1e-6 * l.net_income.abs().max(1.0));
        }
    }

    #[test]
    fn transfers_equal_reported_spending() {
        let s = scenario(SMALL);
        let mut sim = Simulation::new(&s.strategies[0], 1, 0, 2016);
        sim.baseline();
        let o = sim.step();
        assert!((o.ledger.transfers - (o.metrics.spending_dibao + o.metrics.spending_medical)).abs() < 1e-6);
        assert!(o.metrics.spending_dibao > 0.0);
    }

    #[test]
    fn run_orders_records_and_is_deterministic() {
        let s = scenario(SMALL);
        let a = run(&s, &|| {});
        let b = run(&s, &|| {});
        // Compared as text so that NaN (an undefined cost per exit) equals NaN.
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let order: Vec<_> = a.iter().map(|r| (r.strategy, r.replicate)).collect();
        assert_eq!(order, vec![(0, 0), (0, 1), (0, 2)]);
        assert_ne!(format!("{:?}", a[0].years), format!("{:?}", a[1].years));
    }

    /// Issue 13: every breakdown of who gains covers the county, so its groups add
    /// up to the county's persons, poor persons (incidence) and registered persons.
    #[test]
    fn groups_add_up_to_the_county() {
        let s = scenario(SMALL);
        let records = run_recording(&s, None, &|| {});
        for r in &records {
            for m in &r.years {
                for b in [
                    groups::Breakdown::Cause,
                    groups::Breakdown::Decile,
                    groups::Breakdown::Village,
                ] {
                    let rows: Vec<_> = r
                        .groups
                        .iter()
                        .filter(|g| g.year == m.year && g.breakdown == b)
                        .collect();
                    let sum = |f: fn(&groups::GroupYear) -> f64| rows.iter().map(|g| f(g)).sum::<f64>();
                    assert_eq!(sum(|g| g.persons), m.population);
                    assert!((sum(|g| g.poor) - m.incidence * m.population).abs() < 1e-6);
                    assert!((sum(|g| g.registered) - m.official_incidence * m.population).abs() < 1e-6);
                }
            }
            let deciles: Vec<_> = r
                .groups
                .iter()
                .filter(|g| g.breakdown == groups::Breakdown::Decile && g.year == 2016)
                .collect();
            assert_eq!(deciles.len(), 10);
            // The poorest tenth is poorer than the richest at the baseline.
            assert!(deciles[0].income / deciles[0].persons < deciles[9].income / deciles[9].persons);
        }
        // Sweeps and calibration do not pay for them.
        assert!(simulate(&s, 0, 0).groups.is_empty());
    }

    /// Issue 17: a run draws a replicate's county once for the strategies that
    /// share it, and a strategy that changes what synthesis reads draws its own;
    /// either way each record is the one a simulation on its own gives.
    #[test]
    fn a_shared_county_gives_the_records_of_separate_simulations() {
        let text = format!(
            "{SMALL}\n[[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"poorer\"\noverrides = {{ \"population.starting_incidence\" = 0.4 }}\n\
             [[strategy]]\nname = \"b\"\noverrides = {{ \"dibao.take_up_registered\" = 0.2 }}\n"
        );
        let s = scenario(&text);
        assert_eq!(county_owners(&s), vec![0, 1, 0]);
        let shared = run_recording(&s, None, &|| {});
        assert_eq!(shared.len(), 3 * s.replicates as usize);
        for replicate in 0..s.replicates {
            // The replicate's strategies simulated one by one, then compared as a
            // run compares them.
            let (mut alone, finals): (Vec<RunRecord>, Vec<Option<Final>>) = (0..3)
                .map(|strategy| simulate_observed(&s, strategy, replicate, None, true, None, &Mutex::default()))
                .unzip();
            let finals: Vec<Final> = finals.into_iter().flatten().collect();
            compare_twins(&mut alone, &finals);
            for (strategy, alone) in alone.iter().enumerate() {
                let k = strategy * s.replicates as usize + replicate as usize;
                assert_eq!(
                    format!("{:?}", shared[k]),
                    format!("{alone:?}"),
                    "{strategy} {replicate}"
                );
            }
        }
    }

    /// Issue 17: the county a run keeps (fixed attributes shared, state packed)
    /// gives back the households synthesis and identification made.
    #[test]
    fn a_county_gives_back_its_households() {
        let s = scenario(SMALL);
        let m = &s.strategies[0].model;
        let county = County::new(m, s.seed, 1, s.start_year);
        let households = at_baseline(m, s.seed, 1, s.start_year);
        assert_eq!(format!("{:?}", county.households()), format!("{households:?}"));
        assert_eq!(
            format!("{:?}", county.groups),
            format!("{:?}", groups::Groups::at_baseline(&households, m.villages.len()))
        );
    }

    #[test]
    fn strategies_see_the_same_shocks() {
        // Two strategies that differ only in dibao generosity: the production side
        // (market income before transfers) must be identical in every year.
        let text = format!(
            "{SMALL}\n[[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"b\"\noverrides = {{ \"dibao.take_up_registered\" = 0.2 }}\n"
        );
        let s = scenario(&text);
        let mut a = Simulation::new(&s.strategies[0], 5, 1, 2016);
        let mut b = Simulation::new(&s.strategies[1], 5, 1, 2016);
        a.baseline();
        b.baseline();
        let (la, lb) = (a.step().ledger, b.step().ledger);
        assert_eq!(la.market_income, lb.market_income);
        assert_ne!(la.transfers, lb.transfers);
    }

    #[test]
    fn exited_before_baseline_are_the_lowest_non_poor_in_the_stated_share() {
        // Without assessment error the ranking is by expected income alone, so every
        // household marked exited is at or above the line and no higher than any
        // non-registered non-poor household of its village left unmarked.
        let text = SMALL.replace(
            "[population]\n",
            "[identification]\nassessment_sd = 0.0\n[population]\nexited_before_baseline = 0.5\n",
        );
        let s = scenario(&text);
        let model = &s.strategies[0].model;
        let line = model.poverty_line.at(2016);
        let sim = Simulation::new(&s.strategies[0], 3, 1, 2016);
        let (f, st) = (&sim.households().fixed, &sim.households().state);
        for v in 0..model.villages.len() {
            let of =
                |status: Status| (0..st.len()).filter(move |&i| f.village[i] as usize == v && st.status[i] == status);
            let persons = |status: Status| of(status).map(|i| f64::from(f.size[i])).sum::<f64>();
            let (registered, exited) = (persons(Status::Registered), persons(Status::Exited));
            // Within half the largest household (7 persons) of the stated share.
            assert!(
                (exited - 0.5 * registered).abs() <= 3.5,
                "village {v}: {exited} of {registered}"
            );
            assert!(exited > 0.0);
            let highest_exited = of(Status::Exited).map(|i| st.income_pc[i]).fold(f32::MIN, f32::max);
            for i in of(Status::Exited) {
                assert!(f64::from(st.income_pc[i]) >= line);
                assert_eq!((st.exit_year[i], st.since[i]), (2015, 2015));
            }
            for i in of(Status::NotRegistered).filter(|&i| f64::from(st.income_pc[i]) >= line) {
                assert!(
                    st.income_pc[i] >= highest_exited,
                    "village {v}: household {i} left below an exited one"
                );
            }
        }
    }

    #[test]
    fn a_negative_share_exited_before_baseline_is_refused_where_written() {
        let text = SMALL.replace("[population]\n", "[population]\nexited_before_baseline = -0.1\n");
        let e = scenario::parse(&text, "t.toml", "t").err().unwrap().to_string();
        assert_eq!(
            e,
            "t.toml:7:26: population.exited_before_baseline must be between 0 and 10, got -0.1"
        );
    }

    #[test]
    fn households_exited_before_baseline_are_supported_and_may_re_enter() {
        let text = SMALL.replace("[population]\n", "[population]\nexited_before_baseline = 0.5\n");
        let s = scenario(&text);
        let rec = simulate(&s, 0, 0);
        assert!(rec.years[0].exited > 0.0);
        assert_eq!(rec.years[0].reentries, 0.0);
        // The exited near the line fall back as any exited household does.
        assert!(rec.years[1].reentries > 0.0, "{:?}", rec.years[1].reentries);
        let plain = simulate(&scenario(SMALL), 0, 0);
        assert_eq!(plain.years[1].reentries, 0.0);
    }

    #[test]
    fn no_household_is_both_registered_and_exited_and_statuses_are_consistent() {
        let s = scenario(SMALL);
        let mut sim = Simulation::new(&s.strategies[0], 2, 0, 2016);
        sim.baseline();
        for _ in 0..4 {
            let o = sim.step();
            let st = &sim.households().state;
            let registered = st.status.iter().filter(|&&x| x == Status::Registered).count() as f64;
            let exited = st.status.iter().filter(|&&x| x == Status::Exited).count() as f64;
            assert_eq!(registered, o.metrics.registered);
            assert_eq!(exited, o.metrics.exited);
            for i in 0..st.len() {
                if st.status[i] == Status::Exited {
                    assert!(st.exit_year[i] > 2016);
                }
            }
        }
    }
}
