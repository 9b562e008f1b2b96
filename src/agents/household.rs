//! Households, stored as a structure of arrays.
//!
//! A county has up to millions of households and the yearly cycle touches each once,
//! so the layout is chosen for the cache: one dense vector per attribute, small
//! integer and `f32` types where the precision is not needed, `f64` for money that
//! accumulates. Attributes split in two:
//! * [`Fixed`] — set at synthesis and never changed (size, land, village…);
//! * [`State`] — what the yearly cycle changes. The engine keeps two `State`s and
//!   each year reads last year's and writes this year's (double buffering), so no
//!   household can see another's update of the same year.

use std::sync::Arc;

/// The main cause of poverty recorded at identification (docs/SOURCES.md, Suiyang survey).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cause {
    /// Not poor at the baseline.
    NotPoor = 0,
    /// Poor because of illness: at least one chronically ill member.
    Illness = 1,
    /// Labour available but short of capital, skills or ideas.
    LabourShort = 2,
    /// Other combined causes: no or little labour (elderly, disabled).
    Other = 3,
}

/// Registration status in the official poverty register (建档立卡).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Status {
    /// Never registered.
    #[default]
    NotRegistered = 0,
    /// Registered and not exited.
    Registered = 1,
    /// Registered once, exited since (and not re-registered).
    Exited = 2,
}

/// Attributes fixed for the whole run.
#[derive(Debug, Clone, Default)]
pub struct Fixed {
    /// Index of the household's village in `Model::villages`.
    pub village: Vec<u32>,
    /// Persons in the household.
    pub size: Vec<u8>,
    /// Members with a disability (they do not work).
    pub disabled: Vec<u8>,
    pub cause: Vec<Cause>,
    /// Farmland, mu.
    pub land: Vec<f32>,
    /// Unobserved earning ability, mean 1: multiplies labour and farm income.
    pub productivity: Vec<f32>,
    /// Members covered by medical insurance (all or none).
    pub insured: Vec<bool>,
    /// A uniform draw fixed per household: it takes up dibao when eligible if the
    /// draw is below the take-up rate (some households never apply).
    pub dibao_draw: Vec<f32>,
}

/// Attributes the yearly cycle changes.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Members able to work.
    pub labourers: Vec<u8>,
    /// Labourers working away from the township for part of the year.
    pub migrants: Vec<u8>,
    /// Chronically ill members.
    pub chronic: Vec<u8>,
    /// Skill in [0, 1].
    pub skill: Vec<f32>,
    /// Motivation (内生动力) in [0, 1].
    pub motivation: Vec<f32>,
    /// Savings minus debt, yuan.
    pub wealth: Vec<f64>,
    /// Whether the dwelling is safe (one of the "three guarantees").
    pub housing_safe: Vec<bool>,
    pub status: Vec<Status>,
    /// Consecutive years a registered household's income was above the exit line.
    pub years_above: Vec<u8>,
    /// Year of the last exit (0 if none).
    pub exit_year: Vec<i16>,
    /// Per-capita net income this year, yuan.
    pub income_pc: Vec<f32>,
    /// The program item the household's project runs (`NONE_ITEM` if none).
    pub project: Vec<u8>,
    /// Years the project still runs, this one included.
    pub project_years: Vec<u8>,
    /// Whether the household chose the project itself (the ownership effect).
    pub project_chosen: Vec<bool>,
    /// The member supporting the project (`NONE_MEMBER` if none).
    pub project_member: Vec<u32>,
    /// Yearly income from enterprises and stakes the household has kept, yuan.
    pub kept_income: Vec<f32>,
    /// Program principal in calves an operator holds for the household, whole yuan
    /// (whole yuan so that the money identity holds exactly).
    pub cattle: Vec<u32>,
    /// Program principal in equity stakes held for the household, whole yuan.
    pub stake: Vec<u32>,
    /// Principal of equity stakes bought with the household's own savings or
    /// quantified to it from the village collective's income, whole yuan. Kept apart
    /// from `stake` because it is not program budget (see `programs::shareholders`).
    pub own_stake: Vec<u32>,
    /// Whether a member of the household has been trained under `every_family`.
    pub trained: Vec<bool>,
    /// Bee colonies in the household's own apiary.
    pub hives: Vec<u16>,
    /// The persistent part of log earning capacity, an AR(1) from 0 at the baseline
    /// (the capacity identification assessed); multiplies `Fixed::productivity`.
    pub persistent: Vec<f32>,
    /// Year the household was last registered (0 if never).
    pub since: Vec<i16>,
    /// The last full dibao top-up, yuan, and the years of its gradual withdrawal
    /// (渐退) already paid since the household's income rose above the standard.
    pub dibao_last: Vec<f32>,
    pub dibao_phase: Vec<u8>,
    /// An exited household whose assessed income fell back near the line: monitored
    /// and supported again (防止返贫动态监测).
    pub monitored: Vec<bool>,
    /// Consecutive reviews, up to last year's, at which an exited household was
    /// found at risk (monitored); assessed below the line after
    /// `exit.reentry_confirm_reviews` − 1 of them, it is registered again (返贫).
    pub reviews_at_risk: Vec<u8>,
    /// Heads of each species of `[[herd.species]]` (one vector per species, over
    /// households; none without species).
    pub herds: Vec<Vec<u32>>,
    /// Years a cash strategy has paid the household (counts its term under
    /// `program.cash_duration = N`).
    pub cash_years: Vec<u8>,
    /// Item kinds (bit `ItemKind::index`) in which the household has run a project
    /// year successfully: it is no longer a novice in them (`novice_penalty`).
    pub experience: Vec<u16>,
}

/// Calls macro `$m` with every per-household column of [`State`] but `herds` (a
/// vector per species), so that code treating the columns alike lists them once;
/// [`State::has_len`] checks at compile time that the list is complete.
macro_rules! state_columns {
    ($m:ident) => {
        $m!(
            labourers,
            migrants,
            chronic,
            skill,
            motivation,
            wealth,
            housing_safe,
            status,
            years_above,
            exit_year,
            income_pc,
            project,
            project_years,
            project_chosen,
            project_member,
            kept_income,
            cattle,
            stake,
            own_stake,
            trained,
            hives,
            persistent,
            since,
            dibao_last,
            dibao_phase,
            monitored,
            reviews_at_risk,
            cash_years,
            experience
        )
    };
}

impl State {
    pub fn with_capacity(n: usize) -> State {
        macro_rules! with_capacity {
            ($($col:ident),*) => {
                State {
                    $($col: Vec::with_capacity(n),)*
                    herds: Vec::new(),
                }
            };
        }
        state_columns!(with_capacity)
    }

    pub fn len(&self) -> usize {
        self.status.len()
    }

    pub fn is_empty(&self) -> bool {
        self.status.is_empty()
    }

    /// Whether every attribute vector holds `n` households. Always true by
    /// construction; asserting it before a hot loop lets the compiler drop the
    /// per-element bounds checks.
    pub fn has_len(&self, n: usize) -> bool {
        macro_rules! has_len {
            ($($col:ident),*) => {{
                // Every field named: a column missing from `state_columns` does not compile.
                let State { $($col,)* herds } = self;
                [$($col.len()),*].iter().all(|&l| l == n) && herds.iter().all(|h| h.len() == n)
            }};
        }
        state_columns!(has_len)
    }
}

/// A [`State`] kept compactly while it is only copied from (a replicate's county at
/// the baseline, [`crate::engine::County`]): an attribute whose households all hold
/// one value (at the baseline, every household's project, stakes, herds of the
/// program and withdrawal phase are empty) is kept as that value alone.
/// [`PackedState::unpack`] gives back the same state, value for value.
#[derive(Debug, Clone, Default)]
pub struct PackedState {
    /// Each attribute's vector, of one element where all households hold that value.
    columns: State,
    n: usize,
}

/// Whether two values are the same bits: floats compare by their bits, so that a
/// column of 0.0 and −0.0 (equal as numbers) is not packed as one of them.
trait Same: Copy {
    fn same(self, other: Self) -> bool;
}

macro_rules! same_by_eq {
    ($($t:ty),*) => {
        $(impl Same for $t {
            fn same(self, other: Self) -> bool {
                self == other
            }
        })*
    };
}
same_by_eq!(u8, u16, u32, i16, bool, Status);

impl Same for f32 {
    fn same(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}

impl Same for f64 {
    fn same(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}

/// Keep `v` as its one value if all its elements are the same (and it has more than one).
fn squeeze<T: Same>(v: &mut Vec<T>) {
    if v.len() > 1 && v.iter().all(|x| x.same(v[0])) {
        v.truncate(1);
        v.shrink_to_fit();
    }
}

/// `v` for `n` households into `out`: itself, or its one value repeated if it was
/// squeezed.
fn expand_into<T: Copy>(v: &[T], n: usize, out: &mut Vec<T>) {
    out.clear();
    if v.len() == n {
        out.extend_from_slice(v);
    } else {
        out.resize(n, v[0]);
    }
}

impl PackedState {
    pub fn new(state: State) -> PackedState {
        let n = state.len();
        let mut s = state;
        macro_rules! squeeze_all {
            ($($col:ident),*) => {
                $(squeeze(&mut s.$col);)*
            };
        }
        state_columns!(squeeze_all);
        for h in &mut s.herds {
            squeeze(h);
        }
        PackedState { columns: s, n }
    }

    /// Households.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The state as it was packed.
    pub fn unpack(&self) -> State {
        let mut s = State::default();
        self.unpack_into(&mut s);
        s
    }

    /// [`Self::unpack`] into `out`, reusing its vectors' memory (a simulation
    /// that has finished leaves its buffers to the next).
    pub fn unpack_into(&self, out: &mut State) {
        let (c, n) = (&self.columns, self.n);
        macro_rules! expand_all {
            ($($col:ident),*) => {
                $(expand_into(&c.$col, n, &mut out.$col);)*
            };
        }
        state_columns!(expand_all);
        let herds = &mut out.herds;
        herds.resize_with(c.herds.len(), Vec::new);
        for (h, out) in c.herds.iter().zip(herds) {
            expand_into(h, n, out);
        }
    }
}

/// All households of one simulated county. The fixed attributes are shared
/// between copies (a replicate's strategies start from copies of one county):
/// only the state is copied.
#[derive(Debug, Clone, Default)]
pub struct Households {
    pub fixed: Arc<Fixed>,
    pub state: State,
}

impl Fixed {
    pub fn with_capacity(n: usize) -> Fixed {
        Fixed {
            village: Vec::with_capacity(n),
            size: Vec::with_capacity(n),
            disabled: Vec::with_capacity(n),
            cause: Vec::with_capacity(n),
            land: Vec::with_capacity(n),
            productivity: Vec::with_capacity(n),
            insured: Vec::with_capacity(n),
            dibao_draw: Vec::with_capacity(n),
        }
    }

    /// See [`State::has_len`].
    pub fn has_len(&self, n: usize) -> bool {
        [
            self.village.len(),
            self.size.len(),
            self.disabled.len(),
            self.cause.len(),
            self.land.len(),
            self.productivity.len(),
            self.insured.len(),
            self.dibao_draw.len(),
        ]
        .iter()
        .all(|&l| l == n)
    }
}

impl Households {
    pub fn len(&self) -> usize {
        self.fixed.size.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fixed.size.is_empty()
    }

    /// Persons in all households.
    pub fn population(&self) -> u64 {
        self.fixed.size.iter().map(|&s| u64::from(s)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: a packed state keeps one value for a column every household shares
    /// (bit for bit: 0.0 and −0.0 are not one value) and unpacks to the same state.
    #[test]
    fn a_packed_state_unpacks_to_the_same_state() {
        let mut s = State::with_capacity(3);
        for i in 0..3u8 {
            s.labourers.push(i);
            s.migrants.push(0);
            s.chronic.push(0);
            s.skill.push(0.5);
            s.motivation.push(0.5 + f32::from(i));
            s.wealth.push(if i == 1 { -0.0 } else { 0.0 });
            s.housing_safe.push(true);
            s.status.push(if i == 2 {
                Status::Registered
            } else {
                Status::NotRegistered
            });
            s.years_above.push(0);
            s.exit_year.push(0);
            s.income_pc.push(1000.0 * f32::from(i));
            s.project.push(255);
            s.project_years.push(0);
            s.project_chosen.push(false);
            s.project_member.push(u32::MAX);
            s.kept_income.push(0.0);
            s.cattle.push(0);
            s.stake.push(0);
            s.own_stake.push(0);
            s.trained.push(false);
            s.hives.push(0);
            s.persistent.push(0.0);
            s.since.push(0);
            s.dibao_last.push(0.0);
            s.dibao_phase.push(0);
            s.monitored.push(false);
            s.reviews_at_risk.push(0);
            s.cash_years.push(0);
            s.experience.push(0);
        }
        s.herds = vec![vec![2, 2, 2], vec![0, 1, 0]];
        assert!(s.has_len(3));
        let packed = PackedState::new(s.clone());
        assert_eq!(packed.len(), 3);
        let c = &packed.columns;
        assert_eq!((c.labourers.len(), c.status.len(), c.wealth.len()), (3, 3, 3));
        assert_eq!(
            (
                c.skill.len(),
                c.project_member.len(),
                c.herds[0].len(),
                c.herds[1].len()
            ),
            (1, 1, 1, 3)
        );
        assert_eq!(format!("{:?}", packed.unpack()), format!("{s:?}"));
        // Into buffers that held another state (longer, more species): the same.
        let mut reused = s.clone();
        reused.labourers.extend([7, 8]);
        reused.herds.push(vec![1, 1, 1, 1]);
        packed.unpack_into(&mut reused);
        assert_eq!(format!("{reused:?}"), format!("{s:?}"));
        // No households: nothing to pack.
        let none = PackedState::new(State::default());
        assert_eq!(format!("{:?}", none.unpack()), format!("{:?}", State::default()));
    }
}
