//! The yearly cycle of one county: shocks → production → transfers →
//! identification → exit and re-entry → metrics.
//!
//! The step reads last year's [`State`] and writes this year's into a second buffer;
//! each household's update depends only on its own last-year state, the shared
//! shocks and its own random cells, so the order of visiting does not matter.

use super::income::{self, Wages, Work, YearShocks, ability};
use crate::agents::household::{Households, State, Status};
use crate::metrics::{HouseholdRecorder, Ledger, YearMetrics};
use crate::programs::ItemKind;
use crate::programs::bees::apiary_year as bee_year;
use crate::programs::collective::{self, CollectivePayout};
use crate::programs::cycle::{self as program, Allocated, NONE_ITEM, NONE_MEMBER};
use crate::programs::funds::{Account, Funds};
use crate::programs::members::Members;
use crate::programs::mutual_aid;
use crate::programs::schemes::{self, SchemeYear};
use crate::programs::shareholders::{self, Shareholders};
use crate::programs::{Delivery, Plan};
use crate::rng::CellRng;
use crate::rng::{Stream, StreamKey};
use crate::scenario::Model;
use crate::stats::{income_key, median_and_gini};

/// Metrics and money flows of one year.
#[derive(Debug, Clone, Copy, Default)]
pub struct YearOutcome {
    pub metrics: YearMetrics,
    pub ledger: Ledger,
    /// Where the program's budget went this year.
    pub funds: Funds,
}

/// Accumulates the person-weighted poverty measures over households.
pub(crate) struct Tally<'a> {
    line: f64,
    persons: f64,
    households: f64,
    poor_persons: f64,
    poor_households: f64,
    official_persons: f64,
    registered: f64,
    exited: f64,
    gap1: f64,
    gap2: f64,
    income: f64,
    keys: &'a mut Vec<u64>,
}

impl<'a> Tally<'a> {
    pub(crate) fn new(line: f64, keys: &'a mut Vec<u64>) -> Self {
        keys.clear();
        Tally {
            line,
            persons: 0.0,
            households: 0.0,
            poor_persons: 0.0,
            poor_households: 0.0,
            official_persons: 0.0,
            registered: 0.0,
            exited: 0.0,
            gap1: 0.0,
            gap2: 0.0,
            income: 0.0,
            keys,
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, size: u8, income_pc: f64, status: Status) {
        let w = f64::from(size);
        self.persons += w;
        self.households += 1.0;
        self.income += w * income_pc;
        if income_pc < self.line {
            self.poor_persons += w;
            self.poor_households += 1.0;
            let g = ((self.line - income_pc) / self.line).min(1.0);
            self.gap1 += w * g;
            self.gap2 += w * g * g;
        }
        match status {
            Status::Registered => {
                self.official_persons += w;
                self.registered += 1.0;
            }
            Status::Exited => self.exited += 1.0,
            Status::NotRegistered => {}
        }
        self.keys.push(income_key(income_pc as f32, size));
    }

    pub(crate) fn finish(self, year: i32) -> YearMetrics {
        let (median, gini) = median_and_gini(self.keys);
        let p = self.persons.max(1.0);
        YearMetrics {
            year,
            population: self.persons,
            households: self.households,
            incidence: self.poor_persons / p,
            incidence_households: self.poor_households / self.households.max(1.0),
            official_incidence: self.official_persons / p,
            registered: self.registered,
            exited: self.exited,
            fgt1: self.gap1 / p,
            fgt2: self.gap2 / p,
            mean_income: self.income / p,
            median_income: median,
            gini,
            ..YearMetrics::default()
        }
    }
}

/// Whether a household in `status` still receives the support of registered
/// households (medical assistance, dibao priority, housing, enrolment in insurance):
/// while registered and for `support_years` after exit (摘帽不摘政策).
#[inline]
pub(crate) fn supported(model: &Model, status: Status, exit_year: i16, year: i32) -> bool {
    match status {
        Status::Registered => true,
        Status::Exited => year - i32::from(exit_year) <= model.exit.support_years as i32,
        Status::NotRegistered => false,
    }
}

/// Everything the step needs besides the two state buffers.
pub(crate) struct StepContext<'a> {
    pub model: &'a Model,
    pub plan: &'a Plan,
    pub members: &'a Members,
    pub quality: &'a [u8],
    pub seed: u64,
    pub replicate: u32,
    pub year: i32,
}

/// Per-village registered persons, for village exit.
pub(crate) struct VillageCounts {
    pub persons: Vec<u64>,
    pub registered_persons: Vec<u64>,
}

/// What villages carry from one year to the next besides their households.
pub(crate) struct VillageStocks {
    /// Colonies in each village's demonstration apiaries (the collective's).
    pub apiary: Vec<u32>,
    /// Colonies the members of each village keep as their pay.
    pub member_hives: Vec<u32>,
    /// Whether each village's demonstration apiaries have been seeded.
    pub seeded: Vec<bool>,
    /// Balance of each village's mutual-aid fund, yuan.
    pub fund_balances: Vec<f64>,
    /// Each village collective's income last year, yuan (paid out this year).
    pub collective_income: Vec<f64>,
}

/// Run one year for every household: read `prev`, write `next`; push each
/// household's income by source into `households` when recording.
#[allow(clippy::too_many_arguments)]
pub(crate) fn step(
    ctx: &StepContext<'_>,
    hh: &Households,
    prev: &State,
    next: &mut State,
    villages: &mut VillageCounts,
    stocks: &mut VillageStocks,
    keys: &mut Vec<u64>,
    mut households: Option<&mut HouseholdRecorder>,
) -> YearOutcome {
    let VillageStocks {
        fund_balances,
        collective_income,
        apiary,
        member_hives,
        seeded,
    } = stocks;
    let (fund_balances, collective_income) = (fund_balances.as_mut_slice(), collective_income.as_mut_slice());
    let m = ctx.model;
    let t = ctx.year;
    let (seed, rep) = (ctx.seed, ctx.replicate);
    let hl = &m.health;
    let f = &hh.fixed;

    let shocks = YearShocks::draw(m, seed, rep, t);
    let wages = Wages::of(m, t);
    let health_stream = StreamKey::new(seed, rep, Stream::Health);
    let production_stream = StreamKey::new(seed, rep, Stream::Production);
    let identification_stream = StreamKey::new(seed, rep, Stream::Identification);
    let safety_net_stream = StreamKey::new(seed, rep, Stream::SafetyNet);
    let projects_stream = StreamKey::new(seed, rep, Stream::Projects);
    let line = m.poverty_line.at(t);
    let exit_line = line * (1.0 + m.exit.margin);
    let dibao_standard = m.dibao.standard.at(t);
    let subsistence_pc = m.finance.subsistence_share * line;
    let (excl, annual_review) = (m.identification.exclusion_error, m.identification.annual_review);

    // The program's start-of-year phase: menus, orders, allocation, matching.
    let program_on = ctx.plan.active();
    // The bee cooperative: villages without demonstration apiaries get their seed
    // colonies in the first program year the budget allows, paid before any order.
    let bees = &m.program.bees;
    let bees_on = program_on
        && ctx.plan.delivery == Delivery::Projects
        && m.program.items.iter().any(|it| it.kind == ItemKind::Bees);
    let mut seed_cost = 0.0;
    if bees_on {
        let unseeded = seeded.iter().filter(|&&s| !s).count() as f64;
        let cost = unseeded * f64::from(bees.seed_hives) * bees.colony_price;
        if cost > 0.0 && cost <= ctx.plan.budget * (1.0 - m.program.mutual_aid.budget_share) {
            seed_cost = cost;
            for (a, s) in apiary.iter_mut().zip(seeded.iter_mut()) {
                if !*s {
                    *a += bees.seed_hives;
                    *s = true;
                }
            }
        }
    }
    let mut allocated = if program_on {
        let pctx = program::Context {
            program: &m.program,
            plan: ctx.plan,
            members: ctx.members,
            quality: ctx.quality,
            villages: m.villages.len(),
            seed,
            replicate: rep,
            year: t,
            reserved: seed_cost,
        };
        program::allocate(&pctx, hh, prev, next)
    } else {
        Allocated::default()
    };
    let cash_pc = if ctx.plan.delivery == Delivery::Cash {
        allocated.cash_per_person
    } else {
        0.0
    };
    let keep_rate = 1.0 - m.program.project.enterprise_loss_rate;
    let schemes = if program_on {
        SchemeYear::draw(&m.program, m.villages.len(), seed, rep, t)
    } else {
        SchemeYear::default()
    };
    allocated.spending_by_kind[ItemKind::Bees.index()] += seed_cost;
    allocated.funds.book(Account::Collective, seed_cost);
    let mut funds = allocated.funds;
    // Coaching: each member claiming hives in the demonstration apiary coaches
    // households keeping bees, poorest first.
    let mut coached: Vec<bool> = Vec::new();
    let claims: Vec<u32> = if bees_on {
        (0..m.villages.len())
            .map(|v| (ctx.members.of_village(v).len() as u32).min(apiary[v] / bees.member_hives))
            .collect()
    } else {
        Vec::new()
    };
    if bees_on {
        coached = vec![false; hh.len()];
        let mut room: Vec<u32> = claims.iter().map(|&c| c * bees.coached_per_member).collect();
        let mut keepers: Vec<usize> = (0..hh.len()).filter(|&i| next.hives[i] > 0).collect();
        keepers.sort_by(|&a, &b| prev.income_pc[a].total_cmp(&prev.income_pc[b]).then(a.cmp(&b)));
        for i in keepers {
            let r = &mut room[f.village[i] as usize];
            if *r > 0 {
                *r -= 1;
                coached[i] = true;
            }
        }
    }
    let bees_stream = StreamKey::new(seed, rep, Stream::Bees);
    let mut household_hives = 0.0;
    let training = &m.program.training;
    let training_stream = StreamKey::new(seed, rep, Stream::Training);
    let mut placements = 0.0;
    // The village collectives: last year's income paid out this year, per person
    // (dividends) or per household with labour (welfare jobs), to registered households.
    let coll = &m.program.collective;
    let coll_on = program_on && coll.active();
    let (mut coll_new, mut coll_unit) = (Vec::new(), Vec::new());
    let mut coll_paid = 0.0;
    if coll_on {
        coll_new = vec![0.0; collective_income.len()];
        let mut units = vec![0.0f64; collective_income.len()];
        for i in 0..hh.len() {
            if prev.status[i] == Status::Registered && coll.pays(prev.labourers[i]) {
                units[f.village[i] as usize] += match coll.payout {
                    CollectivePayout::Dividends => f64::from(f.size[i]),
                    CollectivePayout::WelfareJobs => 1.0,
                };
            }
        }
        coll_unit = collective_income
            .iter()
            .zip(&units)
            .map(|(&inc, &u)| if u > 0.0 { inc * coll.payout_share / u } else { 0.0 })
            .collect();
    }
    // Mutual-aid funds: this year's capital in, then loans out to projects under way.
    let aid = &m.program.mutual_aid;
    let mut loans: Vec<u32> = Vec::new();
    let (mut loans_made, mut defaults) = (0.0, 0.0);
    if program_on && ctx.plan.delivery == Delivery::Projects && mutual_aid::active(&m.program, fund_balances) {
        let capital = ctx.plan.budget * aid.budget_share;
        if capital > 0.0 && !fund_balances.is_empty() {
            let per_village = capital / fund_balances.len() as f64;
            fund_balances.iter_mut().for_each(|b| *b += per_village);
            funds.book(Account::Fund, capital);
        }
        loans = mutual_aid::lend(aid, hh, prev, next, &m.program, fund_balances);
    }
    let (mut liquidated, mut cattle_value) = (0.0, 0.0);
    let (mut projects_run, mut projects_succeeded) = (0.0, 0.0);
    let mut by_source = [0.0f64; 11];
    let mut shares = Shareholders::new(&m.program.equity);

    let mut tally = Tally::new(line, keys);
    let mut out = YearMetrics::default();
    let mut ledger = Ledger::default();
    villages.registered_persons.iter_mut().for_each(|x| *x = 0);

    let n = hh.len();
    // Internal invariant (every vector holds every household), never influenced by
    // input; stating it lets the compiler drop bounds checks in the loop below.
    assert!(
        f.has_len(n) && prev.has_len(n) && next.has_len(n),
        "household vectors out of step"
    );
    for i in 0..n {
        let entity = i as u64;
        let size = f.size[i];
        let sz = f64::from(size);
        let v = f.village[i] as usize;
        let status = prev.status[i];
        let exit_year = prev.exit_year[i];
        let is_supported = supported(m, status, exit_year, t);
        let lab = prev.labourers[i];
        let mig = prev.migrants[i].min(lab);
        let chronic = prev.chronic[i];

        // Health: this year's episodes and their cost; onsets take effect next year.
        let mut h = health_stream.rng(entity, t);
        let illness = income::draw_illness(m, size, chronic, lab, &mut h);
        let mut next_lab = lab;
        let mut next_chronic = chronic;
        for _ in 0..h.binomial(u32::from(size.saturating_sub(chronic)), hl.chronic_onset_rate) {
            next_chronic += 1;
            if next_lab > 0 && h.chance(hl.onset_incapacity) {
                next_lab -= 1;
            }
        }

        // Production.
        let mut r = production_stream.rng(entity, t);
        let skill = prev.skill[i];
        let motivation = prev.motivation[i];
        let work = Work {
            size,
            labourers: lab,
            migrants: mig,
            land: f64::from(f.land[i]),
            ability: ability(m, skill, motivation),
        };
        let earnings = income::draw_earnings(m, &wages, &work, shocks.farm(v), &illness, &mut r);
        let productivity = f64::from(f.productivity[i]);
        let mut market = earnings.unscaled + productivity * earnings.scaled;
        let mut project_income = 0.0;

        // Transfers.
        let insured = f.insured[i] || is_supported;
        let out_of_pocket = income::out_of_pocket(m, illness.cost, insured);
        let assistance = if is_supported {
            income::medical_assistance(m, out_of_pocket)
        } else {
            0.0
        };
        // The household's project, and what it keeps from earlier ones.
        let (mut skill, mut motivation) = (skill, motivation);
        let mut kept = prev.kept_income[i];
        let (mut dividends, mut payback, mut coll_wages) = (0.0, 0.0, 0.0);
        if program_on {
            kept *= keep_rate as f32;
            if next.project[i] != NONE_ITEM {
                let mut pr = projects_stream.rng(entity, t);
                let y = program::run_project(
                    &m.program,
                    ctx.members,
                    hh,
                    prev,
                    next,
                    i,
                    out_of_pocket - assistance,
                    &mut pr,
                );
                projects_run += 1.0;
                projects_succeeded += f64::from(u8::from(y.succeeded));
                market += y.income;
                project_income = y.income;
                if let Some(&loan) = loans.get(i)
                    && loan > 0
                {
                    let l = mutual_aid::settle(aid, loan, y.succeeded);
                    market += l.income;
                    project_income += l.income;
                    fund_balances[v] += l.repaid;
                    funds.fund_interest += l.interest;
                    funds.lost += l.defaulted;
                    loans_made += 1.0;
                    defaults += f64::from(u8::from(!y.succeeded));
                }
                skill = y.skill;
                motivation = y.motivation;
                kept += y.kept as f32;
                if y.continues {
                    next.project_years[i] -= 1;
                } else {
                    next.project[i] = NONE_ITEM;
                    next.project_years[i] = 0;
                    next.project_member[i] = NONE_MEMBER;
                }
            }
            market += f64::from(kept);
            if coll_on && status == Status::Registered && coll.pays(lab) {
                let x = match coll.payout {
                    CollectivePayout::Dividends => {
                        dividends += coll_unit[v] * sz;
                        coll_unit[v] * sz
                    }
                    CollectivePayout::WelfareJobs => {
                        coll_wages += coll_unit[v];
                        coll_unit[v]
                    }
                };
                market += x;
                coll_paid += x;
            }
            // The household's apiary.
            let h = next.hives[i];
            if h > 0 {
                let coach = coached.get(i).copied().unwrap_or(false);
                let y = bee_year(
                    bees,
                    u32::from(h),
                    coach,
                    schemes.honey_price,
                    &mut bees_stream.rng(entity, t),
                );
                let total = y.survivors + y.new_colonies;
                let cap = (bees.max_hives_per_labourer * u32::from(lab)).min(u32::from(u16::MAX));
                let kept_hives = total.min(cap);
                let income = y.honey - y.costs + f64::from(total - kept_hives) * bees.colony_price;
                next.hives[i] = kept_hives as u16;
                household_hives += f64::from(kept_hives);
                market += income;
                project_income += income;
            }
            // Schemes: calves and stakes an operator holds for the household.
            let (c, st) = (next.cattle[i], next.stake[i]);
            if c > 0 || st > 0 {
                let before = dividends;
                let mut book = |h: schemes::Holding| {
                    if coll_on {
                        let (to_collective, to_household) = collective::split(coll, h.dividend);
                        coll_new[v] += to_collective;
                        dividends += to_household;
                    } else {
                        dividends += h.dividend;
                    }
                    payback += f64::from(h.recovered);
                    funds.held_to_households += f64::from(h.recovered);
                    funds.lost += f64::from(h.lost);
                    funds.held += f64::from(h.principal);
                    liquidated += f64::from(u8::from(h.failed));
                    h.principal
                };
                if c > 0 {
                    next.cattle[i] = book(schemes::cattle_year(
                        &m.program.cattle,
                        c,
                        schemes.cattle_price,
                        schemes.cattle_failed[v],
                    ));
                    cattle_value += f64::from(next.cattle[i]);
                }
                if st > 0 {
                    next.stake[i] = book(schemes::equity_year(
                        &m.program.equity,
                        st,
                        schemes.equity_return,
                        schemes.equity_failed[v],
                    ));
                }
                market += dividends - before;
            }
        }
        // Shares bought with the household's or its collective's own money (三变).
        let own = shares.hold(program_on, &schemes, v, &mut next.own_stake[i]);
        dividends += own.dividend;
        market += own.dividend;
        let cash = if status == Status::Registered {
            cash_pc * sz
        } else {
            0.0
        };
        let wealth = prev.wealth[i];
        let interest = income::interest(m, wealth);
        let before_dibao = market - out_of_pocket + assistance + cash + payback - interest;
        let incapable = lab == 0 || chronic > 0 || f.disabled[i] > 0;
        let eligible = before_dibao / sz < dibao_standard && (!m.dibao.require_incapacity || incapable);
        let take_up = if is_supported {
            m.dibao.take_up_registered
        } else {
            m.dibao.take_up_other
        };
        let dibao = if eligible && f64::from(f.dibao_draw[i]) < take_up {
            income::dibao_top_up(m, dibao_standard, size, before_dibao / sz)
        } else {
            0.0
        };
        let net = before_dibao + dibao;
        let pc = net / sz;

        let mut housing_safe = prev.housing_safe[i];
        if !housing_safe && is_supported {
            let mut s = safety_net_stream.rng(entity, t);
            if s.chance(m.housing.renovation_rate) {
                housing_safe = true;
                out.spending_housing += m.housing.renovation_cost;
            }
        }

        // Consumption and savings.
        let consumption = (subsistence_pc * sz).max(m.finance.consumption_share * net);
        let invested = shares.invest(wealth + net - consumption, &own, &mut next.own_stake[i]);
        let new_wealth = wealth + net - consumption - invested;

        // Identification, exit and re-entry.
        let mut new_status = status;
        let mut new_exit_year = exit_year;
        let mut years_above = prev.years_above[i];
        match status {
            Status::NotRegistered if pc < line && annual_review => {
                if identification_stream.rng(entity, t).chance(1.0 - excl) {
                    new_status = Status::Registered;
                    years_above = 0;
                    out.new_registrations += 1.0;
                }
            }
            Status::Exited if pc < line => {
                if identification_stream.rng(entity, t).chance(1.0 - excl) {
                    new_status = Status::Registered;
                    years_above = 0;
                    out.reentries += 1.0;
                }
            }
            Status::Registered => {
                years_above = if pc > exit_line {
                    years_above.saturating_add(1)
                } else {
                    0
                };
                let assured = !m.exit.require_assurances || housing_safe;
                if u32::from(years_above) >= m.exit.years_above_line && assured {
                    new_status = Status::Exited;
                    new_exit_year = t as i16;
                    years_above = 0;
                    out.exits += 1.0;
                    out.exits_persons += sz;
                }
            }
            Status::NotRegistered | Status::Exited => {}
        }
        if new_status == Status::Registered {
            villages.registered_persons[v] += u64::from(size);
        }

        next.labourers[i] = next_lab;
        next.migrants[i] = mig.min(next_lab);
        if program_on && next.trained[i] && !prev.trained[i] {
            // Trained this year: a skill gain, and perhaps a placement in outside work.
            skill = (skill + training.skill_gain as f32).min(1.0);
            if next.migrants[i] < next_lab && training_stream.rng(entity, t).chance(training.placement_rate) {
                next.migrants[i] += 1;
                placements += 1.0;
            }
        }
        next.chronic[i] = next_chronic;
        next.skill[i] = skill;
        next.motivation[i] = motivation;
        next.wealth[i] = new_wealth;
        next.kept_income[i] = kept;
        next.housing_safe[i] = housing_safe;
        next.status[i] = new_status;
        next.years_above[i] = years_above;
        next.exit_year[i] = new_exit_year;
        next.income_pc[i] = pc as f32;

        out.spending_dibao += dibao;
        out.spending_medical += assistance;
        ledger.market_income += market;
        ledger.transfers += dibao + assistance + cash + payback;
        let sources = [
            productivity * earnings.farm,
            earnings.rent,
            productivity * earnings.local_wages + coll_wages,
            productivity * earnings.remittances,
            project_income,
            if program_on { f64::from(kept) } else { 0.0 },
            dibao + assistance + cash + payback,
            earnings.other,
            out_of_pocket,
            interest,
            dividends,
        ];
        for (acc, x) in by_source.iter_mut().zip(sources) {
            *acc += x;
        }
        if let Some(r) = &mut households {
            r.push(sources);
        }
        out.spending_cash += cash;
        ledger.health_spending += out_of_pocket;
        ledger.interest += interest;
        ledger.net_income += net;
        ledger.consumption += consumption;
        ledger.wealth_change += new_wealth - wealth;
        tally.add(size, pc, new_status);
    }

    let mut metrics = tally.finish(t);
    shares.report(&mut metrics, &mut ledger);
    metrics.exits = out.exits;
    metrics.exits_persons = out.exits_persons;
    metrics.reentries = out.reentries;
    metrics.new_registrations = out.new_registrations;
    metrics.spending_dibao = out.spending_dibao;
    metrics.spending_medical = out.spending_medical;
    metrics.spending_housing = out.spending_housing;
    metrics.spending_cash = out.spending_cash;
    metrics.orders_placed = allocated.orders_placed;
    metrics.orders_filled = allocated.orders_filled;
    metrics.orders_supported = allocated.orders_supported;
    metrics.orders_unclaimed = allocated.orders_unclaimed;
    metrics.active_projects = projects_run;
    metrics.project_success_rate = if projects_run > 0.0 {
        projects_succeeded / projects_run
    } else {
        f64::NAN
    };
    let load = &allocated.member_load;
    if !load.is_empty() {
        metrics.member_load_mean = load.iter().map(|&x| f64::from(x)).sum::<f64>() / load.len() as f64;
        metrics.member_load_max = f64::from(load.iter().copied().max().unwrap_or(0));
    }
    let k = &allocated.spending_by_kind;
    [
        metrics.program_planting,
        metrics.program_livestock,
        metrics.program_enterprise,
        metrics.program_labour,
        metrics.program_dividend,
        metrics.program_medical,
        metrics.program_social,
        metrics.program_cattle,
        metrics.program_equity,
        metrics.program_bees,
    ] = *k;
    metrics.cattle = cattle_value / m.program.cattle.calf_price;
    metrics.holdings_liquidated = liquidated;
    metrics.spending_program = k.iter().sum::<f64>() + funds.to_fund + allocated.spending_training;
    metrics.program_training = allocated.spending_training;
    metrics.trained = allocated.trained;
    metrics.placements = placements;
    funds.book(Account::Household, out.spending_cash);
    // The demonstration apiaries and the members' own hives.
    if bees_on {
        let (mut member_income, mut apiary_income) = (0.0, 0.0);
        for v in 0..m.villages.len() {
            let a = apiary[v];
            let mut r = CellRng::new(seed, rep, Stream::Apiaries, v as u64 * 2, t);
            let y = bee_year(bees, a, true, schemes.honey_price, &mut r);
            let claimed = f64::from(claims[v] * bees.member_hives);
            let frac = if a > 0 { claimed / f64::from(a) } else { 0.0 };
            let to_members =
                ((bees.member_share * frac * f64::from(y.new_colonies)).floor() as u32).min(y.new_colonies);
            let members_honey = bees.member_share * frac * y.honey;
            // The demonstration apiaries keep at most their seed size; the members at
            // most `max_hives_per_labourer` each. Colonies beyond are sold.
            let kept = y.survivors + y.new_colonies - to_members;
            apiary[v] = kept.min(bees.seed_hives);
            let net = y.honey - members_honey - y.costs + f64::from(kept - apiary[v]) * bees.colony_price;
            apiary_income += net;
            if coll_on {
                coll_new[v] += net;
            }
            let mut r = CellRng::new(seed, rep, Stream::Apiaries, v as u64 * 2 + 1, t);
            let ym = bee_year(bees, member_hives[v], true, schemes.honey_price, &mut r);
            let held = ym.survivors + ym.new_colonies + to_members;
            let cap = (ctx.members.of_village(v).len() as u32).saturating_mul(bees.max_hives_per_labourer);
            member_hives[v] = held.min(cap);
            member_income +=
                members_honey + ym.honey - ym.costs + f64::from(held - member_hives[v]) * bees.colony_price;
        }
        metrics.hives_apiary = apiary.iter().map(|&x| f64::from(x)).sum();
        metrics.hives_members = member_hives.iter().map(|&x| f64::from(x)).sum();
        metrics.bee_income_members = member_income;
        metrics.apiary_income = apiary_income;
    }
    metrics.hives = household_hives;
    if coll_on {
        metrics.collective_income = coll_new.iter().sum();
        metrics.collective_paid = coll_paid;
        metrics.collectives_on_target =
            coll_new.iter().filter(|&&x| x >= coll.target).count() as f64 / coll_new.len().max(1) as f64;
        shareholders::quantify(&m.program.equity, hh, next, &mut coll_new, &mut metrics);
        collective_income.copy_from_slice(&coll_new);
    }
    funds.fund = fund_balances.iter().sum();
    metrics.program_fund = funds.to_fund;
    metrics.fund_balance = funds.fund;
    metrics.fund_interest = funds.fund_interest;
    metrics.loans = loans_made;
    metrics.loan_defaults = defaults;
    metrics.funds_households = funds.to_households + funds.held_to_households;
    metrics.funds_operators = funds.to_operators;
    metrics.funds_collective = funds.to_collective;
    metrics.funds_lost = funds.lost;
    metrics.funds_held = funds.held;
    let persons = metrics.population.max(1.0);
    [
        metrics.income_farm,
        metrics.income_rent,
        metrics.income_wages,
        metrics.income_remittances,
        metrics.income_projects,
        metrics.income_assets,
        metrics.income_transfers,
        metrics.income_other,
        metrics.health_spending,
        metrics.interest_paid,
        metrics.income_dividends,
    ] = by_source.map(|x| x / persons);
    YearOutcome { metrics, ledger, funds }
}
