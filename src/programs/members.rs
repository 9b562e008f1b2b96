//! Member agents: party members and cadres who accept orders (党员接单).
//!
//! Each member belongs to a village and has, per item kind, a skill level (0 where
//! the member holds no such skill), a share of spare time, a capacity in households
//! (the kind's capacity scaled by the spare time) and an effectiveness. Members are synthesised
//! once per replicate from their own random stream, so every strategy of a
//! replicate has the same members.

use super::{KINDS, Program};
use crate::rng::{CellRng, Stream};

/// All members of the county, village by village (structure of arrays).
#[derive(Debug, Clone, Default)]
pub struct Members {
    pub village: Vec<u32>,
    pub kind: Vec<u8>,
    pub capacity: Vec<u32>,
    /// Skill level per item kind, 0 where the member does not hold the skill.
    pub skill: Vec<[f32; KINDS]>,
    pub effectiveness: Vec<f32>,
    /// Share of the member's time free for supporting households, in [0, 1]: it sets
    /// both the member's capacity and the quality of its support.
    pub spare: Vec<f32>,
    /// `village_start[v]..village_start[v + 1]` are the members of village `v`.
    pub village_start: Vec<usize>,
}

/// Item kinds that existed before the schemes (planting to social).
const FIRST_KINDS: usize = 7;

impl Members {
    pub fn synthesize(program: &Program, villages: usize, seed: u64, replicate: u32) -> Members {
        let mut m = Members::default();
        for v in 0..villages {
            m.village_start.push(m.village.len());
            for (k, kind) in program.member_kinds.iter().enumerate() {
                for j in 0..kind.per_village {
                    // Keyed by (village, kind, index) so that adding members to one
                    // kind leaves every existing member as it was.
                    let entity = ((v as u64) << 32) | ((k as u64) << 20) | u64::from(j);
                    let mut r = CellRng::new(seed, replicate, Stream::Members, entity, 0);
                    let mut skills = [0f32; KINDS];
                    let draw_skill = |s: &mut f32, r: &mut CellRng| {
                        if r.chance(kind.skill_share) {
                            *s = kind.skill.sample(r).clamp(0.01, 1.0) as f32;
                        }
                    };
                    for s in skills[..FIRST_KINDS].iter_mut() {
                        draw_skill(s, &mut r);
                    }
                    let spare = kind.spare_time.sample(&mut r).clamp(0.0, 1.0);
                    let effectiveness = kind.effectiveness.sample(&mut r).clamp(0.0, 1.0) as f32;
                    // Kinds added later (the schemes) draw after the rest, so that
                    // adding them changed no existing member.
                    for s in skills[FIRST_KINDS..].iter_mut() {
                        draw_skill(s, &mut r);
                    }
                    m.village.push(v as u32);
                    m.kind.push(k as u8);
                    m.capacity.push((f64::from(kind.capacity) * spare).round() as u32);
                    m.skill.push(skills);
                    m.effectiveness.push(effectiveness);
                    m.spare.push(spare as f32);
                }
            }
        }
        m.village_start.push(m.village.len());
        m
    }

    pub fn len(&self) -> usize {
        self.village.len()
    }

    pub fn is_empty(&self) -> bool {
        self.village.is_empty()
    }

    /// The members of village `v`.
    pub fn of_village(&self, v: usize) -> std::ops::Range<usize> {
        self.village_start[v]..self.village_start[v + 1]
    }

    /// The support a member gives a project of `kind`: skill × effectiveness.
    pub fn support(&self, member: usize, kind: usize) -> f64 {
        f64::from(self.skill[member][kind]) * f64::from(self.effectiveness[member])
    }
}
