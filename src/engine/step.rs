//! The yearly cycle of one county: shocks → production → transfers →
//! identification → exit and re-entry → metrics.
//!
//! The step reads last year's [`State`] and writes this year's into a second buffer;
//! each household's update depends only on its own last-year state, the shared
//! shocks and its own random cells, so the order of visiting does not matter.
//!
//! This is the hot loop of every run. It holds the household model (illness, work,
//! the safety net, identification and exit); the program's part of a household's
//! year is a [`HouseholdProgram`], and the loop is compiled once without a program
//! and once with one, so that the safety-net cycle carries no program code.

use super::income::{self, Wages, Work, YearShocks, ability};
use crate::agents::herd::{self, HerdTotals};
use crate::agents::household::{Cause, Households, State, Status};
use crate::metrics::{HouseholdRecorder, INCOME_SOURCES, Ledger, YearMetrics};
use crate::programs::Plan;
use crate::programs::funds::Funds;
use crate::programs::members::Members;
use crate::programs::year::{Cells, HouseholdFacts, HouseholdProgram, NoProgram, ProgramYear, VillageStocks};
use crate::rng::{Stream, StreamKey};
use crate::scenario::Model;
use crate::stats::IncomeKeys;

/// Metrics and money flows of one year.
#[derive(Debug, Clone, Copy, Default)]
pub struct YearOutcome {
    pub metrics: YearMetrics,
    pub ledger: Ledger,
    /// Where the program's budget went this year.
    pub funds: Funds,
}

/// Accumulates the person-weighted poverty measures over households; the count
/// of households and persons is the income keys'.
pub(crate) struct Tally<'a> {
    line: f64,
    poor_persons: f64,
    poor_households: f64,
    official_persons: f64,
    registered: f64,
    exited: f64,
    gap1: f64,
    gap2: f64,
    deep_persons: f64,
    income: f64,
    keys: &'a mut IncomeKeys,
}

impl<'a> Tally<'a> {
    pub(crate) fn new(line: f64, keys: &'a mut IncomeKeys) -> Self {
        keys.clear();
        Tally {
            line,
            poor_persons: 0.0,
            poor_households: 0.0,
            official_persons: 0.0,
            registered: 0.0,
            exited: 0.0,
            gap1: 0.0,
            gap2: 0.0,
            deep_persons: 0.0,
            income: 0.0,
            keys,
        }
    }

    #[inline(always)]
    pub(crate) fn add(&mut self, size: u8, income_pc: f64, status: Status) {
        let w = f64::from(size);
        self.income += w * income_pc;
        if income_pc < self.line {
            self.poor_persons += w;
            self.poor_households += 1.0;
            let g = ((self.line - income_pc) / self.line).min(1.0);
            self.gap1 += w * g;
            self.gap2 += w * g * g;
            if g > 0.5 {
                self.deep_persons += w;
            }
        }
        match status {
            Status::Registered => {
                self.official_persons += w;
                self.registered += 1.0;
            }
            Status::Exited => self.exited += 1.0,
            Status::NotRegistered => {}
        }
        self.keys.push(income_pc as f32, size);
    }

    /// The year's metrics: these measures over `counts`, the step's own counts.
    pub(crate) fn finish(self, year: i32, counts: YearMetrics) -> YearMetrics {
        let (median, gini) = self.keys.median_and_gini();
        let (persons, households) = (self.keys.persons(), self.keys.len() as f64);
        let p = persons.max(1.0);
        YearMetrics {
            year,
            population: persons,
            households,
            incidence: self.poor_persons / p,
            incidence_households: self.poor_households / households.max(1.0),
            official_incidence: self.official_persons / p,
            poverty_line: self.line,
            registered: self.registered,
            exited: self.exited,
            fgt1: self.gap1 / p,
            fgt2: self.gap2 / p,
            deep_incidence: self.deep_persons / p,
            mean_income: self.income / p,
            median_income: median,
            gini,
            ..counts
        }
    }
}

/// Half the variance of the AR(1) z_t = ρ z_{t−1} + σ ε_t after `years` steps from 0.
fn persistent_half_variance(rho: f64, sd: f64, years: i32) -> f64 {
    let k = years.max(0);
    let var = if (1.0 - rho * rho).abs() < 1e-12 {
        sd * sd * f64::from(k)
    } else {
        sd * sd * (1.0 - rho.powi(2 * k)) / (1.0 - rho * rho)
    };
    0.5 * var
}

/// Households per chunk of the two-pass loop: the chunk's draws (11 kB)
/// stay in the L1 cache between the passes.
const CHUNK: usize = 128;

/// One household's draws of the year, from the first pass of the loop: what the
/// second pass cannot read from the state again.
#[derive(Debug, Clone, Copy, Default)]
struct Drawn {
    /// This year's treatment cost before insurance, yuan.
    cost: f64,
    earnings: income::Earnings,
    /// The household's labour multiplier and the rent of land it lets this year
    /// (the rest of its [`Work`] is its state).
    ability: f64,
    let_rent: f64,
    /// This year's persistent part of log earning capacity.
    persistent: f32,
    /// Labourers and chronically ill members next year, after this year's onsets.
    next_lab: u8,
    next_chronic: u8,
}

/// Everything the step needs besides the two state buffers.
pub(crate) struct StepContext<'a> {
    pub model: &'a Model,
    pub plan: &'a Plan,
    pub members: &'a Members,
    pub quality: &'a [u8],
    /// Seed, replicate and year: the coordinates of the year's random cells.
    pub cells: Cells,
}

/// Per-village registered persons, for village exit.
#[derive(Debug, Clone)]
pub(crate) struct VillageCounts {
    pub persons: Vec<u64>,
    pub registered_persons: Vec<u64>,
}

/// Run one year for every household: read `prev`, write `next`; push each
/// household's income by source into `recorder` when recording.
#[allow(clippy::too_many_arguments)]
pub(crate) fn step(
    ctx: &StepContext<'_>,
    hh: &Households,
    prev: &State,
    next: &mut State,
    villages: &mut VillageCounts,
    stocks: &mut VillageStocks,
    keys: &mut IncomeKeys,
    recorder: Option<&mut HouseholdRecorder>,
) -> YearOutcome {
    let cells = ctx.cells;
    // Herds start the year as they ended the last; a livestock transfer of this
    // year's program adds to them before the household's step.
    for (n, p) in next.herds.iter_mut().zip(&prev.herds) {
        n.copy_from_slice(p);
    }
    if ctx.plan.active() {
        let (m, plan) = (ctx.model, ctx.plan);
        let program = ProgramYear::begin(m, plan, ctx.members, ctx.quality, stocks, cells, hh, prev, next);
        households(m, cells, hh, prev, next, villages, keys, recorder, program)
    } else {
        households(ctx.model, cells, hh, prev, next, villages, keys, recorder, NoProgram)
    }
}

/// The household loop and the year's metrics, with program `P`.
#[allow(clippy::too_many_arguments)]
fn households<P: HouseholdProgram>(
    m: &Model,
    cells: Cells,
    hh: &Households,
    prev: &State,
    next: &mut State,
    villages: &mut VillageCounts,
    keys: &mut IncomeKeys,
    mut recorder: Option<&mut HouseholdRecorder>,
    mut program: P,
) -> YearOutcome {
    let Cells {
        seed,
        replicate: rep,
        year: t,
    } = cells;
    let f = &hh.fixed;
    let shocks = YearShocks::draw(m, seed, rep, t);
    let wages = Wages::of(m, t);
    let health_stream = StreamKey::new(seed, rep, Stream::Health).year(t);
    let production_stream = StreamKey::new(seed, rep, Stream::Production).year(t);
    let identification_stream = StreamKey::new(seed, rep, Stream::Identification).year(t);
    let safety_net_stream = StreamKey::new(seed, rep, Stream::SafetyNet).year(t);
    let line = m.poverty_line.at(t);
    let exit_line = line * (1.0 + m.exit.margin);
    let dibao_standard = m.dibao.standard.at(t);
    let subsistence_pc = m.finance.subsistence_share * line;
    let id = &m.identification;
    let annual_review = id.annual_review;
    let assessor = income::Assessor::of(m, t);
    let (rho, persistent_sd) = (m.income.persistence, m.income.persistent_sd);
    let log_mean = persistent_half_variance(rho, persistent_sd, t - m.start_year);
    let assessment_sd = id.assessment_sd;
    // Monitoring looks at the coming year: next year's expected income against
    // next year's line (§ 7.5, 防止返贫动态监测).
    let assessor_next = income::Assessor::of(m, t + 1);
    let monitor_line = m.poverty_line.at(t + 1) * (1.0 + m.exit.monitor_margin);
    let phase_out = m.dibao.phase_out_years;
    let onset = &m.health_draws.onset;
    // Herds (off without species): this year's disasters per village and species.
    let herding = &m.herd;
    let herds_on = herding.active();
    let herd_stream = StreamKey::new(seed, rep, Stream::Herds).year(t);
    let disasters = if herds_on {
        herd::disasters(herding, m.villages.len(), seed, rep, t)
    } else {
        Vec::new()
    };
    let mut herd_totals = HerdTotals::default();
    let mut by_source = [0.0f64; INCOME_SOURCES.len()];

    let mut tally = Tally::new(line, keys);
    // The step's own counts (exits, registrations, spending), completed by the tally.
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
    // Two passes over each chunk of households: first every household's illness
    // and earnings draws, then its accounting. The draws of one household do not
    // depend on another's, so without the accounting in between the processor
    // overlaps the long latency chains of several households' draws; the chunk's
    // draws stay in the L1 cache for the second pass. The draws are the same, in
    // the same order per stream, as in one pass.
    // A household's labour and land this year, from its state, its labour multiplier
    // and the rent of the land it lets under a transfer contract (§ 7.18: all of it
    // when it lets any). The first pass draws earnings with it; the second, which
    // the review needs it for, builds it again rather than keep it.
    let work_of = |i: usize, ability: f64, let_rent: f64| {
        let (labourers, land) = (prev.labourers[i], f64::from(f.land[i]));
        Work {
            size: f.size[i],
            labourers,
            migrants: prev.migrants[i].min(labourers),
            land,
            ability,
            let_land: if let_rent > 0.0 { land } else { 0.0 },
            let_rent,
        }
    };
    let mut drawn = [Drawn::default(); CHUNK];
    for start in (0..n).step_by(CHUNK) {
        let chunk = start..n.min(start + CHUNK);
        for (i, d) in chunk.clone().zip(drawn.iter_mut()) {
            let entity = i as u64;
            let (size, lab, chronic) = (f.size[i], prev.labourers[i], prev.chronic[i]);

            // Health: this year's episodes and their cost; onsets take effect next year.
            let mut h = health_stream.rng(entity);
            let illness = income::draw_illness(m, size, chronic, lab, &mut h);
            let mut next_lab = lab;
            let mut next_chronic = chronic;
            for _ in 0..onset.draw(&mut h, u32::from(size.saturating_sub(chronic))) {
                next_chronic += 1;
                if next_lab > 0 && h.chance(m.health.onset_incapacity) {
                    next_lab -= 1;
                }
            }

            // Production.
            let mut r = production_stream.rng(entity);
            let let_rent = program.land_let(i, next);
            let work = work_of(i, ability(m, prev.skill[i], prev.motivation[i]), let_rent);
            let v = f.village[i] as usize;
            let earnings = income::draw_earnings(m, &wages, &work, shocks.farm(v), &illness, &mut r);
            let persistent = (rho * f64::from(prev.persistent[i]) + persistent_sd * r.normal()) as f32;
            d.cost = illness.cost;
            d.earnings = earnings;
            d.ability = work.ability;
            d.let_rent = work.let_rent;
            d.persistent = persistent;
            d.next_lab = next_lab;
            d.next_chronic = next_chronic;
        }
        for (i, d) in chunk.zip(drawn.iter()) {
            let Drawn {
                cost,
                earnings,
                ability,
                let_rent,
                persistent,
                next_lab,
                next_chronic,
            } = *d;
            let entity = i as u64;
            let size = f.size[i];
            let sz = f64::from(size);
            let v = f.village[i] as usize;
            let status = prev.status[i];
            let exit_year = prev.exit_year[i];
            let is_supported = m.exit.supports(status, exit_year, prev.monitored[i], t);
            let lab = prev.labourers[i];
            let mig = prev.migrants[i].min(lab);
            let chronic = prev.chronic[i];
            // The household's labour and land, as the first pass drew its earnings with.
            let work = work_of(i, ability, let_rent);
            // The persistent part's mean-one multiplier exp(z − v/2).
            let productivity = f64::from(f.productivity[i]) * (f64::from(persistent) - log_mean).exp();

            // Transfers.
            let insured = f.insured[i] || is_supported;
            let out_of_pocket = income::out_of_pocket(m, cost, insured);
            let assistance = if is_supported {
                income::medical_assistance(m, out_of_pocket)
            } else {
                0.0
            };
            // The program: projects, holdings, payouts, cash.
            let support = program.household(
                &HouseholdFacts {
                    index: i,
                    village: v,
                    size: sz,
                    status,
                    labourers: lab,
                    unreimbursed: out_of_pocket - assistance,
                    skill: prev.skill[i],
                    motivation: prev.motivation[i],
                },
                hh,
                prev,
                next,
            );
            let herd_income = if herds_on {
                let mut r = herd_stream.rng(entity);
                herd::household_year(
                    herding,
                    i,
                    v,
                    lab,
                    &disasters,
                    &prev.herds,
                    &mut next.herds,
                    &mut r,
                    &mut herd_totals,
                )
            } else {
                0.0
            };
            let market = earnings.unscaled + productivity * earnings.scaled + support.market + herd_income;
            let wealth = prev.wealth[i];
            let interest = income::interest(m, wealth);
            let received = support.cash + support.payback;
            let before_dibao = market - out_of_pocket + assistance + received - interest;
            let incapable = lab == 0 || chronic > 0 || f.disabled[i] > 0;
            let eligible = before_dibao / sz < dibao_standard && (!m.dibao.require_incapacity || incapable);
            let take_up = if is_supported {
                m.dibao.take_up_registered
            } else {
                m.dibao.take_up_other
            };
            let full_dibao = if eligible && f64::from(f.dibao_draw[i]) < take_up {
                income::dibao_top_up(m, dibao_standard, size, before_dibao / sz)
            } else {
                0.0
            };
            // Gradual withdrawal (渐退): a recipient who no longer qualifies keeps a
            // falling share of its last top-up for `phase_out_years`.
            let (dibao, dibao_last, dibao_phase) = if full_dibao > 0.0 {
                (full_dibao, full_dibao as f32, 0u8)
            } else if prev.dibao_last[i] > 0.0 && u32::from(prev.dibao_phase[i]) < phase_out {
                let k = u32::from(prev.dibao_phase[i]) + 1;
                let paid = f64::from(prev.dibao_last[i]) * f64::from(phase_out + 1 - k) / f64::from(phase_out + 1);
                (paid, prev.dibao_last[i], k as u8)
            } else {
                (0.0, 0.0, 0)
            };
            let net = before_dibao + dibao;
            let pc = net / sz;

            let mut housing_safe = prev.housing_safe[i];
            if !housing_safe && is_supported && safety_net_stream.rng(entity).chance(m.housing.renovation_rate) {
                housing_safe = true;
                out.spending_housing += m.housing.renovation_cost;
            }

            // Consumption and savings.
            let consumption = (subsistence_pc * sz).max(m.finance.consumption_share * net);
            let invested = program.invest(i, wealth + net - consumption, &support, next);
            // The savings rule: heads sold when savings are short, bought when ample.
            let herd_net = if herds_on {
                let c = herd::convert(herding, wealth + net - consumption - invested, lab, &mut next.herds, i);
                herd_totals.add_conversion(&c);
                c.net()
            } else {
                0.0
            };
            let new_wealth = wealth + net - consumption - invested - herd_net;

            // The yearly review assesses every household as identification does (four
            // looks, one calculation): its expected income under its present labour,
            // illness, land, capacity and debt, plus what it keeps from enterprises,
            // estimated with error — not this year's realised income.
            let mut review = identification_stream.rng(entity);
            let error = review.mean_one_lognormal(assessment_sd);
            // A dibao recipient's income is secured at what dibao tops it up to.
            let secured = id.assessment_counts_dibao && status != Status::NotRegistered && dibao > 0.0;
            let assessed_pc = {
                let e = assessor.expected(m, &work, chronic, insured, wealth);
                // The calculation sees the program income that lasts past exit.
                let programs = if id.assessment_counts_programs {
                    support.lasting() + herd_income
                } else {
                    0.0
                };
                let expected = e.unscaled + productivity * e.scaled + f64::from(prev.kept_income[i]) + programs;
                let assessed = expected * error / sz;
                if secured { assessed.max(pc) } else { assessed }
            };
            let mut new_status = status;
            let mut new_exit_year = exit_year;
            let mut years_above = prev.years_above[i];
            let mut since = prev.since[i];
            let mut below = false;
            match status {
                Status::NotRegistered if annual_review => {
                    let p = if assessed_pc < line {
                        1.0 - id.review_exclusion_error
                    } else {
                        id.review_inclusion_error
                    };
                    if review.chance(p) {
                        new_status = Status::Registered;
                        years_above = 0;
                        since = t as i16;
                        out.new_registrations += 1.0;
                    }
                }
                // An exited household assessed below the line is registered again
                // (返贫) when it has been monitored (监测户, helped without being
                // registered) at the `reentry_confirm_reviews` − 1 reviews before;
                // otherwise it is monitored now.
                Status::Exited if annual_review && assessed_pc < line => {
                    below = true;
                    if u32::from(prev.reviews_at_risk[i]) + 1 >= m.exit.reentry_confirm_reviews
                        && review.chance(1.0 - id.review_exclusion_error)
                    {
                        new_status = Status::Registered;
                        years_above = 0;
                        since = t as i16;
                        out.reentries += 1.0;
                    }
                }
                Status::Exited => {}
                Status::Registered => {
                    let wrongly_included = i32::from(since) == m.start_year && f.cause[i] == Cause::NotPoor;
                    if annual_review && wrongly_included && assessed_pc >= line && review.chance(id.review_removal) {
                        new_status = Status::NotRegistered;
                        years_above = 0;
                        out.removals += 1.0;
                    } else {
                        // Exit on income stably above the line: realised for
                        // `years_above_line` years and assessed, plus the assurances.
                        years_above = if pc > exit_line && assessed_pc > exit_line {
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
                }
                Status::NotRegistered => {}
            }
            // An exited household, this year's exits included, is at risk of falling
            // back when the same assessment of next year — next year's wages and
            // prices, its labour after this year's onsets, without the project that
            // ended — falls below next year's line × (1 + `monitor_margin`).
            let monitored = new_status == Status::Exited
                && (below || {
                    // A transfer contract that ends this year no longer lets the land.
                    let next_work = Work {
                        labourers: next_lab,
                        migrants: mig.min(next_lab),
                        let_land: if support.project_ends { 0.0 } else { work.let_land },
                        ..work
                    };
                    let e = assessor_next.expected(m, &next_work, next_chronic, insured, new_wealth);
                    let programs = if id.assessment_counts_programs {
                        support.lasting_next() + herd_income
                    } else {
                        0.0
                    };
                    let ahead =
                        (e.unscaled + productivity * e.scaled + f64::from(support.kept) + programs) * error / sz;
                    (if secured { ahead.max(pc) } else { ahead }) < monitor_line
                });
            if monitored {
                out.monitored += 1.0;
            }
            if new_status == Status::Registered {
                villages.registered_persons[v] += u64::from(size);
            }

            next.labourers[i] = next_lab;
            next.migrants[i] = mig.min(next_lab);
            next.chronic[i] = next_chronic;
            next.skill[i] = program.train(i, prev, next, support.skill);
            next.motivation[i] = support.motivation;
            next.wealth[i] = new_wealth;
            next.kept_income[i] = support.kept;
            next.housing_safe[i] = housing_safe;
            next.status[i] = new_status;
            next.years_above[i] = years_above;
            next.exit_year[i] = new_exit_year;
            next.income_pc[i] = pc as f32;
            next.persistent[i] = persistent;
            next.since[i] = since;
            next.dibao_last[i] = dibao_last;
            next.dibao_phase[i] = dibao_phase;
            next.monitored[i] = monitored;
            next.reviews_at_risk[i] = if monitored {
                prev.reviews_at_risk[i].saturating_add(1)
            } else {
                0
            };

            let transfers = dibao + assistance + received;
            out.spending_dibao += dibao;
            out.spending_medical += assistance;
            ledger.market_income += market;
            let sources = [
                productivity * earnings.farm,
                earnings.rent,
                productivity * earnings.local_wages + support.collective_wages,
                productivity * earnings.remittances,
                support.projects,
                support.assets + herd_income,
                transfers,
                earnings.other,
                out_of_pocket,
                interest,
                support.dividends,
            ];
            for (acc, x) in by_source.iter_mut().zip(sources) {
                *acc += x;
            }
            if let Some(r) = &mut recorder {
                r.push(sources);
            }
            ledger.net_income += net;
            ledger.consumption += consumption;
            ledger.wealth_change += new_wealth - wealth;
            tally.add(size, pc, new_status);
        }
    }

    let mut metrics = tally.finish(t, out);
    let funds: Funds = program.finish(hh, next, &mut metrics, &mut ledger);
    if herds_on {
        herd_totals.count_stock(herding, &next.herds);
        herd_totals.report(&mut metrics);
        ledger.invested += herd_totals.spent - herd_totals.raised;
    }
    // Transfers, health spending and interest are sums the sources already hold.
    let [_, _, _, _, _, _, transfers, _, health_spending, interest, _] = by_source;
    ledger.transfers = transfers;
    ledger.health_spending = health_spending;
    ledger.interest = interest;
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
    let [
        farm,
        rent,
        wages,
        remittances,
        projects,
        assets,
        transfers,
        other,
        _,
        _,
        dividends,
    ] = by_source;
    let groups = [
        wages,
        farm + projects + assets,
        rent + dividends,
        remittances + transfers + other,
    ];
    let gross: f64 = groups.iter().sum();
    if gross > 0.0 {
        [
            metrics.share_wages,
            metrics.share_business,
            metrics.share_property,
            metrics.share_transfers,
        ] = groups.map(|x| x / gross);
    }
    YearOutcome { metrics, ledger, funds }
}

#[cfg(test)]
mod tests {
    use super::persistent_half_variance;

    #[test]
    fn persistent_variance_grows_to_the_stationary_value() {
        assert_eq!(persistent_half_variance(0.8, 0.1, 0), 0.0);
        assert!((persistent_half_variance(0.8, 0.1, 1) - 0.005).abs() < 1e-12);
        let stationary = 0.5 * 0.01 / (1.0 - 0.64);
        assert!((persistent_half_variance(0.8, 0.1, 200) - stationary).abs() < 1e-9);
        assert!((persistent_half_variance(1.0, 0.1, 3) - 0.015).abs() < 1e-12);
    }
}
