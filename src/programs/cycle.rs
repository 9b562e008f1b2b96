//! One year of the program, in two parts:
//! * [`allocate`], at the start of the year, from last year's state: carry on the
//!   projects under way; branches list menus; registered households without a
//!   project order; orders are filled within slots and budget by the allocation
//!   rule; members accept the filled orders; cash strategies pay out instead.
//! * [`run_project`], during the year, per household: the project succeeds or
//!   fails, pays or costs, and changes the household's skill and motivation.

use super::funds::{self, Account, Funds};
use super::matching::{self, Order};
use super::members::Members;
use super::{
    Applicant, CashDuration, Delivery, Help, ItemKind, KINDS, MatchingMode, MenuMode, OrderingMode, Plan, Program,
    TransferValue, Unclaimed,
};
use crate::agents::household::{Households, State, Status};
use crate::rng::{CellRng, Stream};
use crate::scenario::params::Income;
use crate::scenario::raw::Allocation;

/// Marks "no project" and "no member".
pub const NONE_ITEM: u8 = u8::MAX;
pub const NONE_MEMBER: u32 = u32::MAX;

/// What the start-of-year program phase did.
#[derive(Debug, Clone, Default)]
pub struct Allocated {
    pub orders_placed: f64,
    pub orders_filled: f64,
    pub orders_supported: f64,
    pub orders_unclaimed: f64,
    /// Orders that found no slot (or cattle room) for any listed item the budget
    /// left would have paid for.
    pub orders_no_slot: f64,
    /// Filled orders waiting a year for a member (`unclaimed = "wait"`).
    pub orders_waiting: f64,
    /// Scheme and apiary entries a member helped with this year (applications).
    pub entries_supported: f64,
    pub spending_by_kind: [f64; KINDS],
    /// Where this year's budget landed.
    pub funds: Funds,
    /// Households trained this year under `every_family`, and what it cost.
    pub trained: f64,
    /// Registered households with labour still without a trained person after this
    /// year's training (the budget ran out before them).
    pub untrained: f64,
    pub spending_training: f64,
    /// Cash paid per person of a registered household this year (cash delivery).
    pub cash_per_person: f64,
    /// Households supported by each member this year.
    pub member_load: Vec<u32>,
}

/// The branch quality of each village (0 good, 1 fairly good, 2 average), drawn
/// once per replicate.
pub fn branch_quality(program: &Program, villages: usize, seed: u64, replicate: u32) -> Vec<u8> {
    (0..villages)
        .map(|v| {
            let u = CellRng::new(seed, replicate, Stream::Menu, v as u64, 0).uniform();
            program.branch_quality_cdf.iter().position(|&c| u < c).unwrap_or(2) as u8
        })
        .collect()
}

/// Whether a cash strategy pays a household this year, given its status at the
/// start of the year and the years it has been paid: while registered, or for
/// `N` years from its first payment (which needs it registered) whatever its
/// status since, and never after.
#[inline]
pub fn cash_payee(duration: CashDuration, status: Status, years_paid: u8) -> bool {
    match duration {
        CashDuration::WhileRegistered => status == Status::Registered,
        CashDuration::Years(n) => {
            let paid = i64::from(years_paid);
            if paid == 0 {
                status == Status::Registered
            } else {
                paid < n
            }
        }
    }
}

fn applicant(hh: &Households, s: &State, i: usize) -> Applicant {
    Applicant {
        labourers: s.labourers[i],
        migrants: s.migrants[i],
        chronic: s.chronic[i],
        land: f64::from(hh.fixed.land[i]),
        skill: s.skill[i],
        motivation: s.motivation[i],
        holds_cattle: s.cattle[i] > 0,
        holds_stake: s.stake[i] > 0,
        keeps_bees: s.hives[i] > 0,
        experience: s.experience[i],
        transfer_per_mu: 0.0,
    }
}

/// A household as it orders: [`applicant`] with its value of letting its land
/// (§ 7.18), from its labour, ability and earning capacity as it knows them.
fn orderer(ctx: &Context<'_>, hh: &Households, s: &State, i: usize) -> Applicant {
    let a = applicant(hh, s, i);
    if !ctx.program.items.iter().any(|it| it.is_transfer()) {
        return a;
    }
    let earning = ctx.income.ability(s.skill[i], s.motivation[i])
        * f64::from(hh.fixed.productivity[i])
        * f64::from(s.persistent[i]).exp();
    Applicant {
        transfer_per_mu: ctx.transfer.per_mu(a.labourers, a.migrants.min(a.labourers), earning),
        ..a
    }
}

/// An unsigned key in the order of [`f32::total_cmp`]: negative patterns have every
/// bit flipped, the others their sign bit set.
#[inline]
pub(crate) fn total_order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b >> 31 == 1 { !b } else { b | 0x8000_0000 }
}

/// Bits of an applicant's index in the allocation queue's packed keys: enough for
/// any county sandan simulates.
const QUEUE_INDEX_BITS: u32 = 26;
const QUEUE_INDEX_MASK: u64 = (1 << QUEUE_INDEX_BITS) - 1;
const _: () = assert!(crate::scenario::validate::MAX_HOUSEHOLDS < 1 << QUEUE_INDEX_BITS);

/// Everything [`allocate`] reads.
pub struct Context<'a> {
    pub program: &'a Program,
    pub exit: &'a crate::scenario::params::Exit,
    pub plan: &'a Plan,
    pub members: &'a Members,
    pub quality: &'a [u8],
    pub villages: usize,
    pub seed: u64,
    pub replicate: u32,
    pub year: i32,
    /// Budget the engine spends itself this year before orders (demonstration apiaries).
    pub reserved: f64,
    /// The household income model (a household's ability) and the year's rates by
    /// which households value a land transfer.
    pub income: &'a Income,
    pub transfer: TransferValue,
}

/// The start-of-year program phase. Reads `prev`, writes the project fields of `next`.
pub fn allocate(ctx: &Context<'_>, hh: &Households, prev: &State, next: &mut State) -> Allocated {
    let p = ctx.program;
    let n = hh.len();
    let mut out = Allocated {
        member_load: vec![0; ctx.members.len()],
        ..Allocated::default()
    };

    // Projects under way continue with their member.
    for i in 0..n {
        next.project[i] = prev.project[i];
        next.project_years[i] = prev.project_years[i];
        next.project_chosen[i] = prev.project_chosen[i];
        next.project_member[i] = prev.project_member[i];
        next.cattle[i] = prev.cattle[i];
        next.stake[i] = prev.stake[i];
        next.own_stake[i] = prev.own_stake[i];
        next.trained[i] = prev.trained[i];
        next.hives[i] = prev.hives[i];
        next.cash_years[i] = prev.cash_years[i];
        next.experience[i] = prev.experience[i];
        if prev.project[i] != NONE_ITEM && prev.project_member[i] != NONE_MEMBER {
            out.member_load[prev.project_member[i] as usize] += 1;
        }
    }

    if ctx.plan.delivery == Delivery::Cash {
        let persons: f64 = (0..n)
            .filter(|&i| cash_payee(p.cash_duration, prev.status[i], prev.cash_years[i]))
            .map(|i| f64::from(hh.fixed.size[i]))
            .sum();
        if persons > 0.0 {
            out.cash_per_person = ctx.plan.budget / persons;
        }
        return out;
    }

    // Who may order: households without a project, registered or (with follow-up
    // orders) exited and still supported.
    let applicants: Vec<usize> = (0..n)
        .filter(|&i| {
            next.project[i] == NONE_ITEM
                && ctx
                    .exit
                    .may_order(prev.status[i], prev.exit_year[i], prev.monitored[i], ctx.year)
        })
        .collect();

    // Orders, best first per household: applicant `a`'s list is
    // `order_items[order_start[a]..order_start[a + 1]]`, all lists in one buffer.
    let mut chooser = super::Chooser::new(p);
    let mut order_items: Vec<u8> = Vec::new();
    let mut order_start: Vec<u32> = Vec::with_capacity(applicants.len() + 1);
    order_start.push(0);
    for &i in &applicants {
        let a = orderer(ctx, hh, prev, i);
        match ctx.plan.ordering {
            OrderingMode::HouseholdChoice => chooser.choose_into(&a, &mut order_items),
            // Top-down: the county's list for the household's recorded cause (or by
            // best average return), whatever the household's own fit.
            OrderingMode::Assigned => order_items.extend(
                p.county_lists[hh.fixed.cause[i] as usize]
                    .iter()
                    .copied()
                    .filter(|&k| a.eligible(&p.items[k as usize])),
            ),
            OrderingMode::Lottery => {
                // Drawn from the eligible items in name order (the catalogue's).
                let ok: Vec<u8> = (0..p.items.len() as u8)
                    .filter(|&k| a.eligible(&p.items[k as usize]))
                    .collect();
                let mut r = CellRng::new(ctx.seed, ctx.replicate, Stream::Orders, i as u64, ctx.year);
                if !ok.is_empty() {
                    order_items.push(ok[r.index(ok.len())]);
                }
            }
        }
        order_start.push(order_items.len() as u32);
    }
    let order_of = |a: usize| &order_items[order_start[a] as usize..order_start[a + 1] as usize];
    // A household places one order: its list of up to `orders_per_household` items,
    // best first (or the county's list, when assigned). Counting households rather
    // than items keeps fill rates comparable across ordering modes.
    out.orders_placed = order_start.windows(2).filter(|w| w[0] < w[1]).count() as f64;

    // The menu: slots per village and item.
    let items = p.items.len();
    let mut slots = vec![0u32; ctx.villages * items];
    for v in 0..ctx.villages {
        for (k, it) in p.items.iter().enumerate() {
            slots[v * items + k] = it.slots;
        }
    }
    if ctx.plan.menu == MenuMode::NeedsBased {
        // The branch asks what is needed: demand is each household's first choice
        // (whatever this strategy's ordering), and a branch of fit q lists
        // q·demand + (1 − q)·the county's default slots.
        let mut demand = vec![0u32; ctx.villages * items];
        for (a, &i) in applicants.iter().enumerate() {
            // Under household choice the order is that first choice already.
            let first = match ctx.plan.ordering {
                OrderingMode::HouseholdChoice => order_of(a).first().copied(),
                _ => chooser.choose(&orderer(ctx, hh, prev, i)).first().copied(),
            };
            if let Some(k) = first {
                demand[hh.fixed.village[i] as usize * items + k as usize] += 1;
            }
        }
        for v in 0..ctx.villages {
            let q = p.branch_fit[ctx.quality[v] as usize];
            for k in 0..items {
                let s = q * f64::from(demand[v * items + k]) + (1.0 - q) * f64::from(p.items[k].slots);
                slots[v * items + k] = s.round() as u32;
            }
        }
    }

    // Allocation order over households: the registered first, then follow-up orders;
    // with `monitor_priority`, a monitored household's order is served with the
    // registered, since it is at risk of falling back (防止返贫: help before it falls).
    // Each applicant's place as one key, ties by its index: the order is total, so
    // an unstable sort of the keys gives the one order there is, without a
    // comparison that looks up households.
    let follow_up = |a: usize| prev.status[applicants[a]] != Status::Registered;
    let later = |a: usize| follow_up(a) && !(ctx.exit.monitor_priority && prev.monitored[applicants[a]]);
    let queue: Vec<usize> = match p.allocation {
        // (later, income key, index) packed in one u64, in that order: 1 + 32 + 26
        // bits, since an index is below `MAX_HOUSEHOLDS` (< 2^26).
        Allocation::PoorestFirst => {
            let mut keyed: Vec<u64> = (0..applicants.len())
                .map(|a| {
                    (u64::from(later(a)) << 63)
                        | (u64::from(total_order_key(prev.income_pc[applicants[a]])) << QUEUE_INDEX_BITS)
                        | a as u64
                })
                .collect();
            keyed.sort_unstable();
            keyed.into_iter().map(|k| (k & QUEUE_INDEX_MASK) as usize).collect()
        }
        Allocation::Lottery => {
            let mut keyed: Vec<(bool, u64, usize)> = applicants
                .iter()
                .enumerate()
                .map(|(a, &i)| {
                    let key = CellRng::new(ctx.seed, ctx.replicate, Stream::Orders, i as u64, ctx.year).bits();
                    (later(a), key, a)
                })
                .collect();
            keyed.sort_unstable();
            keyed.into_iter().map(|(_, _, a)| a).collect()
        }
    };
    let rank: Vec<u32> = {
        let mut r = vec![0u32; applicants.len()];
        for (pos, &a) in queue.iter().enumerate() {
            r[a] = pos as u32;
        }
        r
    };

    // Room left on each village's cattle farm, in yuan of calves (its capacity in
    // head less the calves it already holds). Only counted when cattle are listed.
    let mut cattle_room: Vec<f64> = Vec::new();
    if p.items.iter().any(|it| it.kind == ItemKind::Cattle) {
        cattle_room = vec![f64::from(p.cattle.capacity) * p.cattle.calf_price; ctx.villages];
        for i in 0..n {
            cattle_room[hh.fixed.village[i] as usize] -= f64::from(prev.cattle[i]);
        }
    }

    // A share of the budget goes to the village mutual-aid funds (the engine pays it in).
    let mut budget = ctx.plan.budget * (1.0 - p.mutual_aid.budget_share) - ctx.reserved;

    // Every registered family has someone trained: before any order, poorest first,
    // as far as the budget goes.
    if p.training.every_family {
        let mut untrained: Vec<usize> = (0..n)
            .filter(|&i| prev.status[i] == Status::Registered && prev.labourers[i] > 0 && !prev.trained[i])
            .collect();
        untrained.sort_by(|&a, &b| prev.income_pc[a].total_cmp(&prev.income_pc[b]).then(a.cmp(&b)));
        out.untrained = untrained.len() as f64;
        for i in untrained {
            if budget < p.training.cost {
                break;
            }
            budget -= p.training.cost;
            next.trained[i] = true;
            out.trained += 1.0;
            out.untrained -= 1.0;
            out.spending_training += p.training.cost;
            out.funds.book(Account::Operator, p.training.cost);
        }
    }
    let mut filled: Vec<(usize, u8)> = Vec::new(); // (applicant index, item)

    // A grant: the item given without orders to the poorest eligible registered
    // households of each village, before any order is filled.
    let mut granted = vec![false; applicants.len()];
    if let Some(g) = p.grant {
        let it = &p.items[g.item as usize];
        let mut left = vec![g.per_village; ctx.villages];
        let mut poorest: Vec<usize> = (0..applicants.len()).collect();
        poorest.sort_by(|&a, &b| {
            prev.income_pc[applicants[a]]
                .total_cmp(&prev.income_pc[applicants[b]])
                .then(a.cmp(&b))
        });
        for a in poorest {
            let i = applicants[a];
            let v = hh.fixed.village[i] as usize;
            let room = it.kind != ItemKind::Cattle || cattle_room[v] >= it.unit_cost;
            if follow_up(a) || left[v] == 0 || budget < it.unit_cost || !room || !applicant(hh, prev, i).eligible(it) {
                continue;
            }
            left[v] -= 1;
            budget -= it.unit_cost;
            if it.kind == ItemKind::Cattle {
                cattle_room[v] -= it.unit_cost;
            }
            granted[a] = true;
            filled.push((a, g.item));
        }
    }
    let grants = filled.len();

    for &a in &queue {
        if granted[a] {
            continue;
        }
        let i = applicants[a];
        let v = hh.fixed.village[i] as usize;
        let (mut placed, mut affordable) = (false, false);
        for &k in order_of(a) {
            let it = &p.items[k as usize];
            let slot = &mut slots[v * items + k as usize];
            let room = it.kind != ItemKind::Cattle || cattle_room[v] >= it.unit_cost;
            affordable |= budget >= it.unit_cost;
            if *slot > 0 && budget >= it.unit_cost && room {
                *slot -= 1;
                budget -= it.unit_cost;
                if it.kind == ItemKind::Cattle {
                    cattle_room[v] -= it.unit_cost;
                }
                filled.push((a, k));
                placed = true;
                break;
            }
        }
        // Why budget may stay unspent: the menu, not the money, turned it away.
        if !placed && affordable {
            out.orders_no_slot += 1.0;
        }
    }

    // Members accept the filled orders, village by village.
    let mut capacity: Vec<u32> = (0..ctx.members.len())
        .map(|j| ctx.members.capacity[j].saturating_sub(out.member_load[j]))
        .collect();
    let mut member_of = vec![None; filled.len()];
    if ctx.plan.matching != MatchingMode::None {
        let mut by_village: Vec<Vec<usize>> = vec![Vec::new(); ctx.villages];
        for (f, &(a, _)) in filled.iter().enumerate() {
            by_village[hh.fixed.village[applicants[a]] as usize].push(f);
        }
        for (v, fs) in by_village.iter().enumerate() {
            if fs.is_empty() {
                continue;
            }
            let candidates: Vec<usize> = ctx.members.of_village(v).collect();
            let village_orders: Vec<Order> = fs
                .iter()
                .map(|&f| Order {
                    kind: p.items[filled[f].1 as usize].kind.index(),
                    rank: rank[filled[f].0],
                })
                .collect();
            let matched = match ctx.plan.matching {
                MatchingMode::SkillBased => {
                    matching::deferred_acceptance(ctx.members, &candidates, &mut capacity, &village_orders)
                }
                _ => {
                    let mut r = CellRng::new(ctx.seed, ctx.replicate, Stream::Matching, v as u64, ctx.year);
                    matching::random(ctx.members, &candidates, &mut capacity, &village_orders, &mut r)
                }
            };
            for (&f, m) in fs.iter().zip(matched) {
                member_of[f] = m;
            }
        }
    }

    for (f, &(a, k)) in filled.iter().enumerate() {
        let i = applicants[a];
        let it = &p.items[k as usize];
        let member = member_of[f];
        if ctx.plan.matching != MatchingMode::None && member.is_none() {
            out.orders_unclaimed += 1.0;
            if p.unclaimed == Unclaimed::Wait {
                out.orders_waiting += 1.0;
                continue; // the order waits a year; its slot and budget are not used
            }
        }
        out.orders_filled += 1.0;
        out.spending_by_kind[it.kind.index()] += it.unit_cost;
        out.funds.book(funds::account(it.kind), it.unit_cost);
        if it.kind == ItemKind::Bees {
            // Starter colonies for the household's own apiary.
            let colonies = (it.unit_cost / p.bees.colony_price).floor().min(f64::from(u16::MAX)) as u16;
            next.hives[i] = next.hives[i].saturating_add(colonies);
            if let Some(j) = member {
                out.orders_supported += 1.0;
                out.entries_supported += 1.0;
                out.member_load[j] += 1;
            }
            continue;
        }
        if let Some((k, heads)) = it.heads {
            // A livestock transfer: heads for the household's own herd, which
            // starts the year with them (docs/ODD.md § 7.17).
            next.herds[k][i] = next.herds[k][i].saturating_add(heads);
            if let Some(j) = member {
                out.orders_supported += 1.0;
                out.entries_supported += 1.0;
                out.member_load[j] += 1;
            }
            continue;
        }
        if it.kind.is_scheme() {
            // The budget becomes principal an operator holds for the household
            // (validated to be whole yuan; the household held none of this kind).
            let principal = it.unit_cost as u32;
            match it.kind {
                ItemKind::Cattle => next.cattle[i] = next.cattle[i].saturating_add(principal),
                _ => next.stake[i] = next.stake[i].saturating_add(principal),
            }
            if let Some(j) = member {
                // The member helps the household into the scheme this year.
                out.orders_supported += 1.0;
                out.entries_supported += 1.0;
                out.member_load[j] += 1;
            }
            continue;
        }
        next.project[i] = k;
        next.project_years[i] = it.duration;
        next.project_chosen[i] = f >= grants && ctx.plan.ordering == OrderingMode::HouseholdChoice;
        next.project_member[i] = match member {
            Some(j) => {
                out.orders_supported += 1.0;
                out.member_load[j] += 1;
                j as u32
            }
            None => NONE_MEMBER,
        };
    }
    out
}

/// A project's year for one household.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProjectYear {
    /// Income from the project this year (negative: the household's loss on failure).
    pub income: f64,
    /// The chance the year succeeds, and the income expected over that draw: what
    /// the review counts, as it counts the household's own income at its mean.
    pub probability: f64,
    pub expected: f64,
    pub succeeded: bool,
    pub skill: f32,
    pub motivation: f32,
    /// The project continues next year.
    pub continues: bool,
    /// Yearly income the household keeps from now on (enterprise or stake).
    pub kept: f64,
    /// The household's experience after the year (a success adds the item's kind).
    pub experience: u16,
    /// A member supported the project this year.
    pub supported: bool,
    /// Income the member's market access added to a successful year, yuan.
    pub market: f64,
    /// Failure loss the member's help with loans and applications avoided, yuan.
    pub loss_avoided: f64,
}

/// The support of household `i`'s project this year: its member's skill in the
/// item's kind, effectiveness and spare time.
pub fn help(program: &Program, members: &Members, allocated: &State, i: usize) -> Help {
    match allocated.project_member[i] {
        NONE_MEMBER => Help::NONE,
        j => {
            let j = j as usize;
            let kind = program.items[allocated.project[i] as usize].kind.index();
            Help {
                skill: f64::from(members.skill[j][kind]),
                effectiveness: f64::from(members.effectiveness[j]),
                quality: f64::from(members.spare[j]),
            }
        }
    }
}

/// Run household `i`'s project for the year: the household as it was last year
/// (`prev`), the project as allocated this year (`allocated`), the member's `help`.
/// `out_of_pocket` caps medical help at the household's remaining health spending.
#[allow(clippy::too_many_arguments)]
pub fn run_project(
    program: &Program,
    hh: &Households,
    prev: &State,
    allocated: &State,
    i: usize,
    help: &Help,
    out_of_pocket: f64,
    rng: &mut CellRng,
) -> ProjectYear {
    let item = &program.items[allocated.project[i] as usize];
    let e = &program.project;
    let a = applicant(hh, prev, i);
    let p = super::success_probability(e, item, &a, help, allocated.project_chosen[i]);
    let mut y = ProjectYear {
        skill: a.skill,
        motivation: a.motivation,
        experience: a.experience,
        supported: help.given(),
        ..ProjectYear::default()
    };
    let guidance = help.guidance();
    let success = if item.kind == ItemKind::Medical {
        item.expected_return.min(out_of_pocket)
    } else {
        super::supported_yield(e, item, a.skill, help)
    };
    let loss = e.failure_loss * item.unit_cost;
    let loss_avoided = loss * e.applications_effect * help.reach();
    y.probability = p;
    y.expected = p * success + (1.0 - p) * (loss_avoided - loss);
    if rng.uniform() < p {
        y.succeeded = true;
        y.income = success;
        if item.kind != ItemKind::Medical {
            y.market = y.income - item.yield_for(a.skill);
        }
        y.skill = (f64::from(a.skill) + item.skill_gain + e.support_skill_gain * guidance).min(1.0) as f32;
        y.motivation = (f64::from(a.motivation) + e.motivation_gain).min(1.0) as f32;
        y.experience |= 1 << item.kind.index();
        y.continues = allocated.project_years[i] > 1;
        if !y.continues && item.keep {
            y.kept = item.yield_for(y.skill) * if item.skill_dependent() { e.enterprise_keep } else { 1.0 };
        }
    } else {
        y.loss_avoided = loss_avoided;
        y.income = loss_avoided - loss;
        y.motivation = (f64::from(a.motivation) - e.motivation_loss).max(0.0) as f32;
        y.continues = false;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::synthesis::synthesize;
    use crate::programs::Assignment;
    use crate::scenario;

    #[test]
    fn total_order_key_orders_as_total_cmp() {
        let mut xs = vec![
            f32::NEG_INFINITY,
            -1e30,
            -2.5,
            -f32::MIN_POSITIVE,
            -0.0,
            0.0,
            f32::MIN_POSITIVE,
            1.0,
            3.5e4,
            f32::INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        let mut r = crate::rng::CellRng::new(3, 0, crate::rng::Stream::Orders, 0, 0);
        xs.extend((0..2000).map(|_| f32::from_bits(r.bits() as u32)));
        for &a in &xs {
            for &b in xs.iter().step_by(7) {
                assert_eq!(total_order_key(a).cmp(&total_order_key(b)), a.total_cmp(&b), "{a} {b}");
            }
        }
    }

    fn setup() -> (crate::scenario::Model, Households) {
        let text = "[population]\nstarting_incidence = 0.4\n[[village]]\nname = \"a\"\nhouseholds = 60\n";
        let model = scenario::parse(text, "t.toml", "t").unwrap().strategies.remove(0).model;
        let hh = synthesize(&model, 1, 0, 2016);
        (model, hh)
    }

    fn with_project(hh: &Households, i: usize, item: u8, years: u8) -> State {
        let mut s = hh.state.clone();
        s.project[i] = item;
        s.project_years[i] = years;
        s.project_chosen[i] = true;
        s
    }

    fn item_index(model: &crate::scenario::Model, name: &str) -> u8 {
        model.program.items.iter().position(|it| it.name == name).unwrap() as u8
    }

    /// Find a cell whose first uniform is below (succeed) or above (fail) `p`.
    fn rng_where(succeed: bool, p: f64) -> CellRng {
        (0..10_000)
            .map(|e| CellRng::new(9, 0, Stream::Projects, e, 2017))
            .find(|r| {
                let u = r.clone().uniform();
                if succeed { u < p } else { u >= p }
            })
            .unwrap()
    }

    #[test]
    fn success_pays_and_teaches_failure_costs_and_ends() {
        let (model, hh) = setup();
        let p = &model.program;
        let k = item_index(&model, "beef_cattle");
        let i = (0..hh.len()).find(|&i| hh.state.labourers[i] > 0).unwrap();
        let alloc = with_project(&hh, i, k, 3);
        let none = &Help::NONE;

        let ok = run_project(p, &hh, &hh.state, &alloc, i, none, 0.0, &mut rng_where(true, 0.01));
        assert!(ok.succeeded && ok.continues);
        assert!(ok.income > 0.0);
        assert!(ok.motivation > hh.state.motivation[i] || hh.state.motivation[i] >= 1.0);
        assert!(ok.skill >= hh.state.skill[i]);
        assert_eq!(ok.kept, 0.0, "nothing is kept before the project completes");

        let bad = run_project(p, &hh, &hh.state, &alloc, i, none, 0.0, &mut rng_where(false, 0.999));
        assert!(!bad.succeeded && !bad.continues);
        assert!((bad.income + p.project.failure_loss * p.items[k as usize].unit_cost).abs() < 1e-9);
        assert!(bad.motivation <= hh.state.motivation[i]);
    }

    /// The review counts a project at `expected`: it must be the mean of the year's
    /// income over the success draw, the same whether the draw succeeds or fails.
    #[test]
    fn a_projects_expected_income_is_the_mean_of_its_draws() {
        let (model, hh) = setup();
        let p = &model.program;
        let k = item_index(&model, "beef_cattle");
        let i = (0..hh.len()).find(|&i| hh.state.labourers[i] > 0).unwrap();
        let alloc = with_project(&hh, i, k, 3);
        let n = 20_000;
        let years: Vec<ProjectYear> = (0..n)
            .map(|e| {
                let mut r = CellRng::new(11, 0, Stream::Projects, e, 2017);
                run_project(p, &hh, &hh.state, &alloc, i, &Help::NONE, 0.0, &mut r)
            })
            .collect();
        let first = &years[0];
        assert!(
            years
                .iter()
                .all(|y| y.expected == first.expected && y.probability == first.probability)
        );
        assert!(years.iter().any(|y| y.succeeded) && years.iter().any(|y| !y.succeeded));
        let incomes: Vec<f64> = years.iter().map(|y| y.income).collect();
        let mean = incomes.iter().sum::<f64>() / n as f64;
        let sd = (incomes.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        // Four standard errors of the Monte Carlo mean.
        assert!(
            (mean - first.expected).abs() < 4.0 * sd / (n as f64).sqrt(),
            "mean {mean} against expected {}",
            first.expected
        );
    }

    #[test]
    fn a_completed_project_is_kept() {
        let (model, hh) = setup();
        let k = item_index(&model, "beef_cattle");
        let i = (0..hh.len()).find(|&i| hh.state.labourers[i] > 0).unwrap();
        let last_year = with_project(&hh, i, k, 1);
        let y = run_project(
            &model.program,
            &hh,
            &hh.state,
            &last_year,
            i,
            &Help::NONE,
            0.0,
            &mut rng_where(true, 0.01),
        );
        assert!(y.succeeded && !y.continues);
        assert!(y.kept > 0.0);
    }

    #[test]
    fn medical_help_pays_at_most_the_health_bill() {
        let (model, hh) = setup();
        let k = item_index(&model, "medical_help");
        assert_eq!(model.program.items[k as usize].kind, ItemKind::Medical);
        let alloc = with_project(&hh, 0, k, 1);
        let y = run_project(
            &model.program,
            &hh,
            &hh.state,
            &alloc,
            0,
            &Help::NONE,
            350.0,
            &mut rng_where(true, 0.5),
        );
        assert_eq!(y.income, 350.0);
    }

    /// Allocate one year top-down to every household registered, with room for all.
    fn assign(model: &crate::scenario::Model, hh: &Households) -> State {
        let members = Members::synthesize(&model.program, 1, 1, 0);
        let mut prev = hh.state.clone();
        for s in prev.status.iter_mut() {
            *s = Status::Registered;
        }
        let plan = Plan {
            menu: MenuMode::CountyFixed,
            ordering: OrderingMode::Assigned,
            matching: MatchingMode::None,
            delivery: Delivery::Projects,
            budget: 1e9,
        };
        let ctx = Context {
            program: &model.program,
            exit: &model.exit,
            plan: &plan,
            members: &members,
            quality: &[0],
            villages: 1,
            seed: 1,
            replicate: 0,
            year: 2017,
            reserved: 0.0,
            income: &model.income,
            transfer: TransferValue::of(model, 2017),
        };
        let mut next = prev.clone();
        let out = allocate(&ctx, hh, &prev, &mut next);
        assert_eq!(out.orders_supported, 0.0);
        assert!((0..hh.len()).all(|i| !next.project_chosen[i]));
        next
    }

    #[test]
    fn cash_of_fixed_duration_pays_on_after_exit_while_registered_cash_stops() {
        use CashDuration::{WhileRegistered, Years};
        assert!(cash_payee(WhileRegistered, Status::Registered, 9));
        assert!(!cash_payee(WhileRegistered, Status::Exited, 1));
        // The first payment needs the household registered; then three years,
        // whatever its status.
        assert!(cash_payee(Years(3), Status::Registered, 0));
        assert!(!cash_payee(Years(3), Status::Exited, 0));
        assert!(cash_payee(Years(3), Status::Exited, 1));
        assert!(cash_payee(Years(3), Status::NotRegistered, 2));
        assert!(!cash_payee(Years(3), Status::Registered, 3));
    }

    #[test]
    fn assigned_households_get_the_best_average_return_they_are_eligible_for() {
        let (mut model, hh) = setup();
        model.program.items.iter_mut().for_each(|it| it.slots = 10_000);
        model.program.assignment = Assignment::BestAverageReturn;
        let by_return = super::super::by_average_return(&model.program.project, &model.program.items);
        model.program.county_lists = [0; 4].map(|_| by_return.clone());
        let next = assign(&model, &hh);
        let name = |k: u8| model.program.items[k as usize].name.as_str();
        // The default catalogue's best item for an average household is the workshop job.
        assert_eq!(name(by_return[0]), "workshop_job");
        for i in 0..hh.len() {
            let a = applicant(&hh, &hh.state, i);
            let best = by_return
                .iter()
                .copied()
                .find(|&k| a.eligible(&model.program.items[k as usize]));
            assert_eq!(next.project[i], best.unwrap_or(NONE_ITEM), "household {i}");
        }
        assert!((0..hh.len()).any(|i| next.project[i] != NONE_ITEM && name(next.project[i]) == "workshop_job"));
    }

    #[test]
    fn assigned_households_get_their_causes_priority_first() {
        use crate::agents::household::Cause;
        let (mut model, hh) = setup();
        model.program.items.iter_mut().for_each(|it| it.slots = 10_000);
        assert_eq!(model.program.assignment, Assignment::CausePriority, "the default rule");
        let next = assign(&model, &hh);
        let kind = |i: usize| model.program.items[next.project[i] as usize].kind;
        let mut seen = [false; 3];
        for i in 0..hh.len() {
            match hh.fixed.cause[i] {
                // Every ill household is eligible for medical help, first on its list.
                Cause::Illness => {
                    assert_eq!(kind(i), ItemKind::Medical, "household {i}");
                    seen[0] = true;
                }
                // Households short of capital or skills with labour: livestock first.
                Cause::LabourShort if hh.state.labourers[i] > 0 => {
                    assert_eq!(kind(i), ItemKind::Livestock, "household {i}");
                    seen[1] = true;
                }
                // The rest: a welfare post first.
                Cause::Other => {
                    assert_eq!(kind(i), ItemKind::Social, "household {i}");
                    seen[2] = true;
                }
                _ => {}
            }
        }
        assert_eq!(seen, [true; 3], "the test needs households of every cause");
    }
}
