//! Matching orders to members (党员接单).
//!
//! `skill_based` is household-proposing deferred acceptance (Gale & Shapley 1962,
//! in its many-to-one "college admissions" form, Roth & Sotomayor 1990):
//! * an order finds acceptable the members of its village who hold the skill its
//!   item needs and have spare capacity, and prefers them by support (skill level ×
//!   effectiveness), then by index;
//! * a member prefers poorer households first (the program's priority), then
//!   orders in its stronger skill, then by index, and holds at most its spare
//!   capacity.
//!
//! The result is stable — no order and member would both rather be matched to each
//! other than to what they got — and household-optimal among stable matchings. It
//! respects capacity and skill by construction. First-come claiming, by contrast,
//! lets early orders take the best members whatever the fit.
//!
//! `random` takes the orders in the order members prefer them when skills are
//! alike — poorer households first — and gives each a uniformly chosen acceptable
//! member with spare capacity: the same constraints and the same priority among
//! households, without using skill levels. The two differ by the use of skills
//! alone: with identical members they serve the same orders.

use super::KINDS;
use super::members::Members;
use crate::rng::CellRng;

/// An order waiting for a member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    /// Item kind index (the skill the order needs).
    pub kind: usize,
    /// Rank of the household's poverty: lower is poorer.
    pub rank: u32,
}

/// Whether `member` prefers order `a` (index `ai`) to `b` (index `bi`): poorer
/// first, then orders in its stronger skill, then by index.
fn member_prefers(m: &Members, member: usize, a: &Order, ai: usize, b: &Order, bi: usize) -> bool {
    let (sa, sb) = (m.skill[member][a.kind], m.skill[member][b.kind]);
    a.rank
        .cmp(&b.rank)
        .then(sa.total_cmp(&sb).reverse())
        .then(ai.cmp(&bi))
        .is_lt()
}

/// [`member_prefers`] as one key per order, lower preferred
/// (tested against it). Where a member places order `o` among those it holds, as one key: lower is
/// preferred. Poorer first (lower rank), then the member's stronger skill (its
/// skill's bits in total_cmp's order, inverted), then the order's index; the index
/// makes the order total, so the order a member likes least is the largest key.
fn member_key(m: &Members, member: usize, order: &Order, o: usize) -> (u64, usize) {
    let skill = crate::programs::cycle::total_order_key(m.skill[member][order.kind]);
    ((u64::from(order.rank) << 32) | u64::from(!skill), o)
}

/// Acceptable members of an order, best first.
fn preferences(m: &Members, candidates: &[usize], capacity: &[u32], order: &Order) -> Vec<usize> {
    let mut prefs: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&j| m.skill[j][order.kind] > 0.0 && capacity[j] > 0)
        .collect();
    prefs.sort_by(|&a, &b| {
        m.support(b, order.kind)
            .total_cmp(&m.support(a, order.kind))
            .then(a.cmp(&b))
    });
    prefs
}

/// Stable matching of `orders` to `candidates` (member indices) with spare
/// `capacity` (indexed by member, decremented for every match). Returns each
/// order's member, if any.
pub fn deferred_acceptance(
    m: &Members,
    candidates: &[usize],
    capacity: &mut [u32],
    orders: &[Order],
) -> Vec<Option<usize>> {
    // An order's list depends only on its kind (capacity does not change until the
    // end), so orders of one kind share a list: one per kind, not one per order.
    let mut by_kind: [Option<Vec<usize>>; KINDS] = std::array::from_fn(|_| None);
    for o in orders {
        if by_kind[o.kind].is_none() {
            by_kind[o.kind] = Some(preferences(m, candidates, capacity, o));
        }
    }
    let prefs: Vec<&[usize]> = orders
        .iter()
        .map(|o| by_kind[o.kind].as_deref().unwrap_or(&[]))
        .collect();
    let mut next = vec![0usize; orders.len()];
    // Each member's held orders with its keys for them ([`member_key`]).
    let mut held: std::collections::BTreeMap<usize, Vec<(u64, usize)>> = std::collections::BTreeMap::new();
    let mut free: Vec<usize> = (0..orders.len()).rev().collect();
    while let Some(o) = free.pop() {
        let Some(&member) = prefs[o].get(next[o]) else { continue };
        next[o] += 1;
        let list = held.entry(member).or_default();
        list.push(member_key(m, member, &orders[o], o));
        if list.len() > capacity[member] as usize {
            // Reject the order the member likes least: the largest key.
            let worst = (1..list.len()).fold(0, |w, k| if list[k] > list[w] { k } else { w });
            free.push(list.swap_remove(worst).1);
        }
    }
    let mut result = vec![None; orders.len()];
    for (member, list) in held {
        capacity[member] -= list.len() as u32;
        for (_, o) in list {
            result[o] = Some(member);
        }
    }
    result
}

/// Random matching: orders poorest first (ties by index), each to a uniformly
/// chosen member who holds the skill and has spare capacity.
pub fn random(
    m: &Members,
    candidates: &[usize],
    capacity: &mut [u32],
    orders: &[Order],
    rng: &mut CellRng,
) -> Vec<Option<usize>> {
    let mut order_ix: Vec<usize> = (0..orders.len()).collect();
    order_ix.sort_by_key(|&o| (orders[o].rank, o));
    let mut result = vec![None; orders.len()];
    for o in order_ix {
        let ok: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&j| m.skill[j][orders[o].kind] > 0.0 && capacity[j] > 0)
            .collect();
        if !ok.is_empty() {
            let j = ok[rng.index(ok.len())];
            capacity[j] -= 1;
            result[o] = Some(j);
        }
    }
    result
}

/// Whether a matching is stable in the sense of [`deferred_acceptance`]; for tests.
pub fn is_stable(
    m: &Members,
    candidates: &[usize],
    capacity: &[u32],
    orders: &[Order],
    matched: &[Option<usize>],
) -> bool {
    for (o, order) in orders.iter().enumerate() {
        for j in preferences(m, candidates, capacity, order) {
            if matched[o] == Some(j) {
                break; // members after this one are worse for the order
            }
            // The order would rather have member j: j must be full with orders it prefers.
            let held: Vec<usize> = (0..orders.len()).filter(|&k| matched[k] == Some(j)).collect();
            if held.len() < capacity[j] as usize {
                return false;
            }
            if held.iter().any(|&k| member_prefers(m, j, order, o, &orders[k], k)) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;
    use proptest::prelude::*;

    fn members(skills: &[[f32; 2]], eff: &[f32]) -> Members {
        let mut m = Members {
            village_start: vec![0, skills.len()],
            ..Members::default()
        };
        for (i, s) in skills.iter().enumerate() {
            let mut k = [0f32; KINDS];
            k[0] = s[0];
            k[1] = s[1];
            m.village.push(0);
            m.kind.push(0);
            m.capacity.push(2);
            m.skill.push(k);
            m.effectiveness.push(eff[i]);
            m.spare.push(1.0);
        }
        m
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

        #[test]
        fn deferred_acceptance_is_stable_and_feasible(
            skills in prop::collection::vec((0u8..4, 0u8..4), 1..8),
            caps in prop::collection::vec(0u32..4, 8),
            orders in prop::collection::vec((0usize..2, 0u32..20), 0..20),
        ) {
            let sk: Vec<[f32; 2]> = skills.iter().map(|&(a, b)| [f32::from(a) / 3.0, f32::from(b) / 3.0]).collect();
            let eff: Vec<f32> = (0..sk.len()).map(|i| 0.5 + 0.05 * i as f32).collect();
            let m = members(&sk, &eff);
            let cand: Vec<usize> = (0..m.len()).collect();
            let capacity: Vec<u32> = (0..m.len()).map(|i| caps[i]).collect();
            let orders: Vec<Order> = orders.iter().map(|&(kind, rank)| Order { kind, rank }).collect();
            let mut left = capacity.clone();
            let matched = deferred_acceptance(&m, &cand, &mut left, &orders);
            // Capacity never exceeded, and the remaining capacity is what was left.
            for j in 0..m.len() {
                let n = matched.iter().filter(|&&x| x == Some(j)).count() as u32;
                prop_assert!(n <= capacity[j]);
                prop_assert_eq!(left[j], capacity[j] - n);
            }
            // No order is claimed by a member without the skill it needs.
            for (o, x) in matched.iter().enumerate() {
                if let Some(j) = x {
                    prop_assert!(m.skill[*j][orders[o].kind] > 0.0);
                }
            }
            prop_assert!(is_stable(&m, &cand, &capacity, &orders, &matched));

            // Random matching obeys the same constraints.
            let mut left = capacity.clone();
            let mut rng = CellRng::new(1, 0, Stream::Matching, 0, 0);
            let r = random(&m, &cand, &mut left, &orders, &mut rng);
            for (j, cap) in capacity.iter().enumerate() {
                prop_assert!(r.iter().filter(|&&x| x == Some(j)).count() as u32 <= *cap);
            }
            for (o, x) in r.iter().enumerate() {
                if let Some(j) = x {
                    prop_assert!(m.skill[*j][orders[o].kind] > 0.0);
                }
            }
        }
    }

    #[test]
    fn a_members_keys_order_orders_as_it_prefers_them() {
        // Skills with ties, zero and -0.0, ranks with ties, both kinds.
        let m = members(&[[0.5, -0.0], [0.0, 0.25]], &[1.0, 1.0]);
        let orders: Vec<Order> = (0..12)
            .map(|o| Order {
                kind: o % 2,
                rank: [3, 1, 3, u32::MAX][o % 4],
            })
            .collect();
        for member in 0..2 {
            for (a, oa) in orders.iter().enumerate() {
                for (b, ob) in orders.iter().enumerate() {
                    let by_key = member_key(&m, member, oa, a) < member_key(&m, member, ob, b);
                    assert_eq!(by_key, member_prefers(&m, member, oa, a, ob, b), "{member} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn best_member_goes_to_the_poorest_when_contested() {
        // One strong member with capacity 1, one weak; two orders of the same kind.
        let mut m = members(&[[0.9, 0.0], [0.2, 0.0]], &[1.0, 1.0]);
        m.capacity = vec![1, 1];
        let cand = vec![0, 1];
        let orders = [Order { kind: 0, rank: 5 }, Order { kind: 0, rank: 1 }];
        let mut cap = m.capacity.clone();
        let r = deferred_acceptance(&m, &cand, &mut cap, &orders);
        assert_eq!(r, vec![Some(1), Some(0)]);
    }

    #[test]
    fn first_come_would_be_unstable_here() {
        let mut m = members(&[[0.9, 0.0], [0.2, 0.0]], &[1.0, 1.0]);
        m.capacity = vec![1, 1];
        let orders = [Order { kind: 0, rank: 5 }, Order { kind: 0, rank: 1 }];
        let first_come = vec![Some(0), Some(1)];
        assert!(!is_stable(&m, &[0, 1], &m.capacity, &orders, &first_come));
    }
}
