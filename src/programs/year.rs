//! The program's part of one year, beside the household model's: what happens at
//! the start of the year (seed colonies for the demonstration apiaries, menus,
//! orders, allocation and matching, coaching, mutual-aid capital and loans, the
//! collectives' payout), what each household's projects and holdings add to its
//! year, and what the villages' apiaries, collectives and funds do at its end.
//!
//! Why a type of its own: the safety-net cycle runs for every household of every
//! strategy and is the hot loop of a run. The engine's step is generic over
//! [`HouseholdProgram`]: without a program ([`NoProgram`]) the compiler removes
//! every program branch and its state from that loop; with one ([`ProgramYear`]) the
//! scheme code lives here, next to the schemes, instead of inline in the engine.

use crate::agents::household::{Households, State, Status};
use crate::metrics::{Ledger, YearMetrics};
use crate::programs::bees::{Bees, apiary_year as bee_year};
use crate::programs::collective::{self, Collective, CollectivePayout};
use crate::programs::cycle::{self, Allocated, NONE_ITEM, NONE_MEMBER};
use crate::programs::funds::{Account, Funds};
use crate::programs::members::Members;
use crate::programs::mutual_aid;
use crate::programs::schemes::{self, SchemeYear};
use crate::programs::shareholders::{self, OwnYear, Shareholders};
use crate::programs::{Delivery, ItemKind, Plan, Program};
use crate::rng::{CellRng, Stream, StreamKey};
use crate::scenario::Model;

/// What villages carry from one year to the next besides their households.
#[derive(Debug, Clone)]
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
    /// Capital of each village collective's own enterprise, yuan.
    pub enterprise_capital: Vec<f64>,
}

impl VillageStocks {
    /// Empty stocks for `villages` villages.
    pub fn new(villages: usize) -> VillageStocks {
        VillageStocks {
            apiary: vec![0; villages],
            member_hives: vec![0; villages],
            seeded: vec![false; villages],
            fund_balances: vec![0.0; villages],
            collective_income: vec![0.0; villages],
            enterprise_capital: vec![0.0; villages],
        }
    }
}

/// What the household model knows of one household's year when the program's
/// part of it runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HouseholdFacts {
    pub index: usize,
    pub village: usize,
    pub size: f64,
    /// Status at the start of the year.
    pub status: Status,
    pub labourers: u8,
    /// This year's health spending after insurance and medical assistance, yuan.
    pub unreimbursed: f64,
    pub skill: f32,
    pub motivation: f32,
}

/// What the program adds to one household's year, yuan unless said otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Support {
    /// Everything below that counts as the household's market income.
    pub market: f64,
    /// Income of projects, loans and the household's apiary (may be negative).
    pub projects: f64,
    /// Income the household keeps from earlier enterprises and stakes (assets).
    pub assets: f64,
    /// Scheme and collective dividends.
    pub dividends: f64,
    /// The collective's public-welfare jobs.
    pub collective_wages: f64,
    /// What of `dividends` and `collective_wages` the village collective paid: it
    /// pays registered households only, so this stops at exit.
    pub collective_payout: f64,
    /// What of `projects` came from the household's project and its loan this year,
    /// and what was expected of them over the year's success draw: the review counts
    /// the expectation, as it counts the household's own income at its mean, so that
    /// a failure, like a drought, is bad luck and not a lasting change (§ 7.5).
    pub project_realised: f64,
    pub project_expected: f64,
    /// The project ends this year (its last year, or a failure): monitoring leaves
    /// it out of next year's income (§ 7.5).
    pub project_ends: bool,
    /// Transfers: principal paid back when an operator fails, and cash delivery.
    pub payback: f64,
    pub cash: f64,
    /// The household's shares bought with its own money, before it saves.
    pub own: OwnYear,
    /// The household's kept income carried to next year, and its skill and
    /// motivation after its project.
    pub kept: f32,
    pub skill: f32,
    pub motivation: f32,
}

impl Support {
    /// The year's income from the household's own projects, holdings and shares:
    /// what lasts past exit, as the exit rule's income calculation counted it; not
    /// cash nor the collective's payout to registered households, which stop there.
    /// The project counts at its expectation over the year's success draw.
    pub fn lasting(&self) -> f64 {
        self.projects - self.project_realised + self.project_expected + self.dividends + self.collective_wages
            - self.collective_payout
    }

    /// What of [`Support::lasting`] goes on next year: all but a project that ended
    /// this year (what it leaves is in `kept`).
    pub fn lasting_next(&self) -> f64 {
        self.lasting() - if self.project_ends { self.project_expected } else { 0.0 }
    }
}

/// The program's part of the yearly cycle, as the engine's step calls it.
pub(crate) trait HouseholdProgram {
    /// Run household `h.index`'s projects and holdings for the year; writes the
    /// program fields of `next`.
    fn household(&mut self, h: &HouseholdFacts, hh: &Households, prev: &State, next: &mut State) -> Support;

    /// The rent per mu of the land transfer (流转) household `i` lets its land under
    /// this year, as allocated at the start of the year (0: none); read before the
    /// household's earnings are drawn.
    fn land_let(&self, i: usize, next: &State) -> f64;

    /// After the household's labour for next year is known: training taken this
    /// year raises skill and may place a labourer in outside work. Returns the skill.
    fn train(&mut self, i: usize, prev: &State, next: &mut State, skill: f32) -> f32;

    /// At the year's end: what the household puts of its `savings` into shares with
    /// its own money, net of principal paid back ([`Shareholders::invest`]).
    fn invest(&mut self, i: usize, savings: f64, support: &Support, next: &mut State) -> f64;

    /// Write the year's program metrics and the households' investment into the
    /// ledger; return where the budget went.
    fn finish(self, hh: &Households, next: &mut State, metrics: &mut YearMetrics, ledger: &mut Ledger) -> Funds;
}

/// A strategy without a program: the safety net alone.
pub(crate) struct NoProgram;

impl HouseholdProgram for NoProgram {
    #[inline(always)]
    fn land_let(&self, _: usize, _: &State) -> f64 {
        0.0
    }

    #[inline(always)]
    fn household(&mut self, h: &HouseholdFacts, _: &Households, prev: &State, _: &mut State) -> Support {
        Support {
            kept: prev.kept_income[h.index],
            skill: h.skill,
            motivation: h.motivation,
            ..Support::default()
        }
    }

    #[inline(always)]
    fn train(&mut self, _: usize, _: &State, _: &mut State, skill: f32) -> f32 {
        skill
    }

    #[inline(always)]
    fn invest(&mut self, _: usize, _: f64, _: &Support, _: &mut State) -> f64 {
        0.0
    }

    fn finish(self, _: &Households, _: &mut State, metrics: &mut YearMetrics, _: &mut Ledger) -> Funds {
        no_projects(metrics);
        Funds::default()
    }
}

/// A share, undefined (NaN, written `NA`) when there is nothing to share.
fn rate(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { f64::NAN }
}

/// The success rates of a year without projects: undefined.
pub(crate) fn no_projects(metrics: &mut YearMetrics) {
    metrics.project_success_rate = f64::NAN;
    metrics.project_success_supported = f64::NAN;
    metrics.project_success_unsupported = f64::NAN;
}

/// The coordinates of the year's random cells.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cells {
    pub seed: u64,
    pub replicate: u32,
    pub year: i32,
}

/// One year of an active program: its start-of-year decisions, its running totals
/// over households, and the village stocks it updates.
pub(crate) struct ProgramYear<'a> {
    model: &'a Model,
    members: &'a Members,
    stocks: &'a mut VillageStocks,
    cells: Cells,
    /// The start-of-year allocation; its `funds` go on booking where the budget
    /// lands over the year.
    allocated: Allocated,
    schemes: SchemeYear,
    keep_rate: f32,
    cash_per_person: f64,
    bees_on: bool,
    /// Members claiming hives in each village's demonstration apiary.
    claims: Vec<u32>,
    /// Households coached by a member this year (empty without bees).
    coached: Vec<bool>,
    collective_on: bool,
    /// Budget invested in the collectives' own enterprises this year, yuan.
    enterprise_invested: f64,
    /// The strategy's program budget for the year, yuan.
    budget: f64,
    /// The collectives' payout per unit (person or job) and their income this year.
    collective_unit: Vec<f64>,
    collective_new: Vec<f64>,
    /// Each household's mutual-aid loan this year, yuan (empty without loans).
    loans: Vec<u32>,
    projects: StreamKey,
    bees: StreamKey,
    training: StreamKey,
    totals: Totals,
    /// Shares households and collectives hold with their own money.
    shares: Shareholders<'a>,
}

/// Running totals of the program over the year's households.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    projects_run: f64,
    projects_succeeded: f64,
    /// Projects run and succeeded with a member's support this year.
    supported_run: f64,
    supported_succeeded: f64,
    /// Supported projects of work the household runs itself (technical guidance),
    /// and of the other kinds (help with jobs, claims and applications).
    guidance: f64,
    applications: f64,
    market: f64,
    loss_avoided: f64,
    loans: f64,
    defaults: f64,
    household_hives: f64,
    cattle_value: f64,
    liquidated: f64,
    collective_paid: f64,
    placements: f64,
    cash: f64,
}

impl Totals {
    /// Count one project year of `item`.
    fn count(&mut self, p: &Program, item: u8, y: &cycle::ProjectYear) {
        let ok = f64::from(u8::from(y.succeeded));
        self.projects_run += 1.0;
        self.projects_succeeded += ok;
        if y.supported {
            self.supported_run += 1.0;
            self.supported_succeeded += ok;
            if p.items[item as usize].own_work() {
                self.guidance += 1.0;
            } else {
                self.applications += 1.0;
            }
        }
        self.market += y.market;
        self.loss_avoided += y.loss_avoided;
    }
}

impl<'a> ProgramYear<'a> {
    /// The start-of-year phase: reads `prev`, writes the program fields of `next`.
    #[allow(clippy::too_many_arguments)]
    pub fn begin(
        model: &'a Model,
        plan: &'a Plan,
        members: &'a Members,
        quality: &'a [u8],
        stocks: &'a mut VillageStocks,
        cells: Cells,
        hh: &Households,
        prev: &State,
        next: &mut State,
    ) -> ProgramYear<'a> {
        let p = &model.program;
        let villages = model.villages.len();
        let Cells { seed, replicate, year } = cells;
        // The bee cooperative: villages without demonstration apiaries get their seed
        // colonies in the first program year the budget allows, paid before any order.
        let bees_on = plan.delivery == Delivery::Projects && p.items.iter().any(|it| it.kind == ItemKind::Bees);
        let seed_cost = if bees_on {
            seed_apiaries(
                &p.bees,
                plan,
                p.mutual_aid.budget_share + p.collective.enterprise_share,
                stocks,
            )
        } else {
            0.0
        };
        // The collectives' own enterprises: their share of the budget, equally per
        // village, paid to the collective before any order.
        let enterprise_invested = if plan.delivery == Delivery::Projects && villages > 0 {
            let capital = plan.budget * p.collective.enterprise_share;
            let per_village = capital / villages as f64;
            stocks.enterprise_capital.iter_mut().for_each(|c| *c += per_village);
            capital
        } else {
            0.0
        };
        let ctx = cycle::Context {
            program: p,
            exit: &model.exit,
            plan,
            members,
            quality,
            villages,
            seed,
            replicate,
            year,
            reserved: seed_cost + enterprise_invested,
            income: &model.income,
            transfer: super::TransferValue::of(model, year),
        };
        let mut allocated = cycle::allocate(&ctx, hh, prev, next);
        allocated.spending_by_kind[ItemKind::Bees.index()] += seed_cost;
        allocated
            .funds
            .book(Account::Collective, seed_cost + enterprise_invested);
        let cash_per_person = if plan.delivery == Delivery::Cash {
            allocated.cash_per_person
        } else {
            0.0
        };

        // Coaching: each member claiming hives in the demonstration apiary coaches
        // households keeping bees, poorest first.
        let (claims, coached) = if bees_on {
            let claims: Vec<u32> = (0..villages)
                .map(|v| (members.of_village(v).len() as u32).min(stocks.apiary[v] / p.bees.member_hives))
                .collect();
            let coached = coach(&p.bees, &claims, hh, prev, next);
            (claims, coached)
        } else {
            (Vec::new(), Vec::new())
        };

        // The village collectives: last year's income paid out this year, per person
        // (dividends) or per household with labour (welfare jobs), to registered households.
        let coll = &p.collective;
        let collective_on = coll.active();
        let (collective_unit, collective_new) = if collective_on {
            (
                payout_units(coll, hh, prev, &stocks.collective_income),
                vec![0.0; villages],
            )
        } else {
            (Vec::new(), Vec::new())
        };

        // Mutual-aid funds: this year's capital in, then loans out to projects under way.
        let balances = &mut stocks.fund_balances;
        let loans = if plan.delivery == Delivery::Projects && mutual_aid::active(p, balances) {
            let capital = plan.budget * p.mutual_aid.budget_share;
            if capital > 0.0 && !balances.is_empty() {
                let per_village = capital / balances.len() as f64;
                balances.iter_mut().for_each(|b| *b += per_village);
                allocated.funds.book(Account::Fund, capital);
            }
            mutual_aid::lend(&p.mutual_aid, hh, prev, next, p, balances)
        } else {
            Vec::new()
        };

        ProgramYear {
            model,
            members,
            stocks,
            cells,
            allocated,
            schemes: SchemeYear::draw(p, villages, seed, replicate, year),
            keep_rate: (1.0 - p.project.enterprise_loss_rate) as f32,
            cash_per_person,
            bees_on,
            claims,
            coached,
            collective_on,
            enterprise_invested,
            budget: plan.budget,
            collective_unit,
            collective_new,
            loans,
            projects: StreamKey::new(seed, replicate, Stream::Projects),
            bees: StreamKey::new(seed, replicate, Stream::Bees),
            training: StreamKey::new(seed, replicate, Stream::Training),
            totals: Totals::default(),
            shares: Shareholders::new(&p.equity),
        }
    }
}

/// Seed the demonstration apiaries of villages that have none, if the budget left
/// after the mutual-aid share allows; returns the cost.
fn seed_apiaries(bees: &Bees, plan: &Plan, fund_share: f64, stocks: &mut VillageStocks) -> f64 {
    let unseeded = stocks.seeded.iter().filter(|&&s| !s).count() as f64;
    let cost = unseeded * f64::from(bees.seed_hives) * bees.colony_price;
    if cost <= 0.0 || cost > plan.budget * (1.0 - fund_share) {
        return 0.0;
    }
    for (a, s) in stocks.apiary.iter_mut().zip(stocks.seeded.iter_mut()) {
        if !*s {
            *a += bees.seed_hives;
            *s = true;
        }
    }
    cost
}

/// Which households keeping bees a member coaches this year: within each village's
/// room (claiming members × households each), poorest first.
fn coach(bees: &Bees, claims: &[u32], hh: &Households, prev: &State, next: &State) -> Vec<bool> {
    let mut coached = vec![false; hh.len()];
    let mut room: Vec<u32> = claims.iter().map(|&c| c * bees.coached_per_member).collect();
    let mut keepers: Vec<usize> = (0..hh.len()).filter(|&i| next.hives[i] > 0).collect();
    keepers.sort_by(|&a, &b| prev.income_pc[a].total_cmp(&prev.income_pc[b]).then(a.cmp(&b)));
    for i in keepers {
        let r = &mut room[hh.fixed.village[i] as usize];
        if *r > 0 {
            *r -= 1;
            coached[i] = true;
        }
    }
    coached
}

/// Each village collective's payout per unit (person or welfare job) this year.
fn payout_units(coll: &Collective, hh: &Households, prev: &State, income: &[f64]) -> Vec<f64> {
    let mut units = vec![0.0f64; income.len()];
    for i in 0..hh.len() {
        if prev.status[i] == Status::Registered && coll.pays(prev.labourers[i]) {
            units[hh.fixed.village[i] as usize] += match coll.payout {
                CollectivePayout::Dividends => f64::from(hh.fixed.size[i]),
                CollectivePayout::WelfareJobs => 1.0,
            };
        }
    }
    income
        .iter()
        .zip(&units)
        // A collective never pays out a loss: a year whose income is negative (a
        // loss-making apiary) pays nothing, and the loss is the collective's own.
        .map(|(&inc, &u)| {
            if u > 0.0 {
                inc.max(0.0) * coll.payout_share / u
            } else {
                0.0
            }
        })
        .collect()
}

impl HouseholdProgram for ProgramYear<'_> {
    #[inline]
    fn land_let(&self, i: usize, next: &State) -> f64 {
        match next.project[i] {
            NONE_ITEM => 0.0,
            k => self.model.program.items[k as usize].rent_per_mu,
        }
    }

    fn household(&mut self, h: &HouseholdFacts, hh: &Households, prev: &State, next: &mut State) -> Support {
        let (i, v) = (h.index, h.village);
        let entity = i as u64;
        let t = self.cells.year;
        let p = &self.model.program;
        let mut s = Support {
            skill: h.skill,
            motivation: h.motivation,
            ..Support::default()
        };
        let mut kept = prev.kept_income[i] * self.keep_rate;

        // The household's project, and its mutual-aid loan.
        if next.project[i] != NONE_ITEM {
            let mut rng = self.projects.rng(entity, t);
            let help = cycle::help(p, self.members, next, i);
            let y = cycle::run_project(p, hh, prev, next, i, &help, h.unreimbursed, &mut rng);
            self.totals.count(p, next.project[i], &y);
            next.experience[i] = y.experience;
            let mut income = y.income;
            let mut expected = y.expected;
            if let Some(&loan) = self.loans.get(i)
                && loan > 0
            {
                let l = mutual_aid::settle(&p.mutual_aid, loan, y.succeeded);
                let (repaid, lost) = (
                    mutual_aid::settle(&p.mutual_aid, loan, true).income,
                    mutual_aid::settle(&p.mutual_aid, loan, false).income,
                );
                expected += y.probability * repaid + (1.0 - y.probability) * lost;
                income += l.income;
                self.stocks.fund_balances[v] += l.repaid;
                self.allocated.funds.fund_interest += l.interest;
                self.allocated.funds.lost += l.defaulted;
                self.totals.loans += 1.0;
                self.totals.defaults += f64::from(u8::from(!y.succeeded));
            }
            s.projects += income;
            s.project_realised = income;
            s.project_expected = expected;
            s.project_ends = !y.continues;
            s.skill = y.skill;
            s.motivation = y.motivation;
            kept += y.kept as f32;
            if y.continues {
                next.project_years[i] -= 1;
            } else {
                next.project[i] = NONE_ITEM;
                next.project_years[i] = 0;
                next.project_member[i] = NONE_MEMBER;
            }
        }
        s.kept = kept;
        s.assets = f64::from(kept);

        // The collective's payout to registered households.
        let coll = &p.collective;
        if self.collective_on && h.status == Status::Registered && coll.pays(h.labourers) {
            match coll.payout {
                CollectivePayout::Dividends => s.dividends += self.collective_unit[v] * h.size,
                CollectivePayout::WelfareJobs => s.collective_wages += self.collective_unit[v],
            }
            s.collective_payout = s.dividends + s.collective_wages;
            self.totals.collective_paid += s.collective_payout;
        }

        // The household's apiary.
        let hives = next.hives[i];
        if hives > 0 {
            let bees = &p.bees;
            let coached = self.coached.get(i).copied().unwrap_or(false);
            let mut rng = self.bees.rng(entity, t);
            let y = bee_year(bees, u32::from(hives), coached, self.schemes.honey_price, &mut rng);
            let total = y.survivors + y.new_colonies;
            let cap = (bees.max_hives_per_labourer * u32::from(h.labourers)).min(u32::from(u16::MAX));
            let kept_hives = total.min(cap);
            next.hives[i] = kept_hives as u16;
            self.totals.household_hives += f64::from(kept_hives);
            s.projects += y.honey - y.costs + f64::from(total - kept_hives) * bees.colony_price;
        }

        // Schemes: calves and stakes an operator holds for the household.
        let (calves, stake) = (next.cattle[i], next.stake[i]);
        if calves > 0 {
            let y = schemes::cattle_year(
                &p.cattle,
                calves,
                self.schemes.cattle_price,
                self.schemes.cattle_failed[v],
            );
            next.cattle[i] = self.book(&mut s, v, y);
            self.totals.cattle_value += f64::from(next.cattle[i]);
        }
        if stake > 0 {
            let y = schemes::equity_year(
                &p.equity,
                stake,
                self.schemes.equity_return,
                self.schemes.equity_failed[v],
            );
            next.stake[i] = self.book(&mut s, v, y);
        }
        // Shares bought with the household's or its collective's own money (三变).
        s.own = self.shares.hold(true, &self.schemes, v, &mut next.own_stake[i]);
        s.dividends += s.own.dividend;

        if self.cash_per_person > 0.0 && cycle::cash_payee(p.cash_duration, h.status, prev.cash_years[i]) {
            s.cash = self.cash_per_person * h.size;
            self.totals.cash += s.cash;
            next.cash_years[i] = prev.cash_years[i].saturating_add(1);
        }
        s.market = s.projects + s.assets + s.dividends + s.collective_wages;
        s
    }

    fn train(&mut self, i: usize, prev: &State, next: &mut State, skill: f32) -> f32 {
        if !next.trained[i] || prev.trained[i] {
            return skill;
        }
        // Trained this year: a skill gain, and perhaps a placement in outside work.
        let training = &self.model.program.training;
        if next.migrants[i] < next.labourers[i]
            && self
                .training
                .rng(i as u64, self.cells.year)
                .chance(training.placement_rate)
        {
            next.migrants[i] += 1;
            self.totals.placements += 1.0;
        }
        (skill + training.skill_gain as f32).min(1.0)
    }

    fn invest(&mut self, i: usize, savings: f64, support: &Support, next: &mut State) -> f64 {
        self.shares.invest(savings, &support.own, &mut next.own_stake[i])
    }

    fn finish(mut self, hh: &Households, next: &mut State, metrics: &mut YearMetrics, ledger: &mut Ledger) -> Funds {
        let m = self.model;
        let a = &self.allocated;
        let t = self.totals;
        metrics.orders_placed = a.orders_placed;
        metrics.orders_filled = a.orders_filled;
        metrics.orders_supported = a.orders_supported;
        metrics.orders_unclaimed = a.orders_unclaimed;
        metrics.orders_no_slot = a.orders_no_slot;
        metrics.orders_waiting = a.orders_waiting;
        metrics.budget_available = self.budget;
        metrics.active_projects = t.projects_run;
        metrics.project_success_rate = rate(t.projects_succeeded, t.projects_run);
        metrics.project_success_supported = rate(t.supported_succeeded, t.supported_run);
        metrics.project_success_unsupported = rate(
            t.projects_succeeded - t.supported_succeeded,
            t.projects_run - t.supported_run,
        );
        metrics.support_guidance = t.guidance;
        metrics.support_applications = t.applications + a.entries_supported;
        metrics.support_market = t.market;
        metrics.support_losses_avoided = t.loss_avoided;
        let load = &a.member_load;
        if !load.is_empty() {
            metrics.member_load_mean = load.iter().map(|&x| f64::from(x)).sum::<f64>() / load.len() as f64;
            metrics.member_load_max = f64::from(load.iter().copied().max().unwrap_or(0));
        }
        let k = &a.spending_by_kind;
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
        metrics.cattle = t.cattle_value / m.program.cattle.calf_price;
        metrics.holdings_liquidated = t.liquidated;
        metrics.spending_program =
            k.iter().sum::<f64>() + self.allocated.funds.to_fund + a.spending_training + self.enterprise_invested;
        metrics.program_training = a.spending_training;
        metrics.trained = a.trained;
        metrics.untrained = a.untrained;
        metrics.placements = t.placements;
        metrics.spending_cash = t.cash;
        metrics.hives = t.household_hives;
        self.shares.report(metrics, ledger);
        self.allocated.funds.book(Account::Household, t.cash);
        if self.bees_on {
            self.village_apiaries(metrics);
        }
        if self.collective_on {
            let coll = &m.program.collective;
            if coll.enterprise_share > 0.0 {
                self.collective_enterprises();
            }
            let new = &self.collective_new;
            metrics.collective_income = new.iter().sum();
            metrics.collective_paid = t.collective_paid;
            metrics.collectives_on_target =
                new.iter().filter(|&&x| x >= coll.target).count() as f64 / new.len().max(1) as f64;
            shareholders::quantify(&m.program.equity, hh, next, &mut self.collective_new, metrics);
            self.stocks.collective_income.copy_from_slice(&self.collective_new);
        }
        let funds = &mut self.allocated.funds;
        funds.fund = self.stocks.fund_balances.iter().sum();
        metrics.program_fund = funds.to_fund;
        metrics.fund_balance = funds.fund;
        metrics.fund_interest = funds.fund_interest;
        metrics.loans = t.loans;
        metrics.loan_defaults = t.defaults;
        metrics.funds_households = funds.to_households + funds.held_to_households;
        metrics.funds_operators = funds.to_operators;
        metrics.funds_collective = funds.to_collective;
        metrics.funds_lost = funds.lost;
        metrics.funds_held = funds.held;
        self.allocated.funds
    }
}

impl ProgramYear<'_> {
    /// Book a year of a holding (calves or a stake): its dividend to the household
    /// (less the collective's share), principal paid back or lost on failure.
    /// Returns the principal still held.
    fn book(&mut self, s: &mut Support, village: usize, h: schemes::Holding) -> u32 {
        if self.collective_on {
            let (to_collective, to_household) = collective::split(&self.model.program.collective, h.dividend);
            self.collective_new[village] += to_collective;
            s.dividends += to_household;
        } else {
            s.dividends += h.dividend;
        }
        s.payback += f64::from(h.recovered);
        let f = &mut self.allocated.funds;
        f.held_to_households += f64::from(h.recovered);
        f.lost += f64::from(h.lost);
        f.held += f64::from(h.principal);
        self.totals.liquidated += f64::from(u8::from(h.failed));
        h.principal
    }

    /// The collectives' own enterprises at the end of the year: each pays its return
    /// into its collective's income, or fails and loses its capital.
    fn collective_enterprises(&mut self) {
        let coll = &self.model.program.collective;
        let Cells { seed, replicate, year } = self.cells;
        let key = StreamKey::new(seed, replicate, Stream::CollectiveEnterprises).year(year);
        for (v, capital) in self.stocks.enterprise_capital.iter_mut().enumerate() {
            let (left, income) = collective::enterprise_year(coll, *capital, key.rng(v as u64).uniform());
            *capital = left;
            self.collective_new[v] += income;
        }
    }

    /// The demonstration apiaries and the members' own hives at the end of the year.
    fn village_apiaries(&mut self, metrics: &mut YearMetrics) {
        let bees = &self.model.program.bees;
        let Cells { seed, replicate, year } = self.cells;
        let price = self.schemes.honey_price;
        let (mut member_income, mut apiary_income) = (0.0, 0.0);
        for v in 0..self.model.villages.len() {
            let a = self.stocks.apiary[v];
            let mut r = CellRng::new(seed, replicate, Stream::Apiaries, v as u64 * 2, year);
            let y = bee_year(bees, a, true, price, &mut r);
            let claimed = f64::from(self.claims[v] * bees.member_hives);
            let frac = if a > 0 { claimed / f64::from(a) } else { 0.0 };
            let to_members =
                ((bees.member_share * frac * f64::from(y.new_colonies)).floor() as u32).min(y.new_colonies);
            let members_honey = bees.member_share * frac * y.honey;
            // The demonstration apiaries keep at most their seed size; the members at
            // most `max_hives_per_labourer` each. Colonies beyond are sold.
            let kept = y.survivors + y.new_colonies - to_members;
            self.stocks.apiary[v] = kept.min(bees.seed_hives);
            let net = y.honey - members_honey - y.costs + f64::from(kept - self.stocks.apiary[v]) * bees.colony_price;
            apiary_income += net;
            if self.collective_on {
                self.collective_new[v] += net;
            }
            let mut r = CellRng::new(seed, replicate, Stream::Apiaries, v as u64 * 2 + 1, year);
            let ym = bee_year(bees, self.stocks.member_hives[v], true, price, &mut r);
            let held = ym.survivors + ym.new_colonies + to_members;
            let cap = (self.members.of_village(v).len() as u32).saturating_mul(bees.max_hives_per_labourer);
            self.stocks.member_hives[v] = held.min(cap);
            member_income +=
                members_honey + ym.honey - ym.costs + f64::from(held - self.stocks.member_hives[v]) * bees.colony_price;
        }
        metrics.hives_apiary = self.stocks.apiary.iter().map(|&x| f64::from(x)).sum();
        metrics.hives_members = self.stocks.member_hives.iter().map(|&x| f64::from(x)).sum();
        metrics.bee_income_members = member_income;
        metrics.apiary_income = apiary_income;
    }
}
