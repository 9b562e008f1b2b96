//! The three-order program (三单制) and its rivals: the branch lists a menu (支部下单),
//! households order from it (群众点单), members accept the orders (党员接单), and the
//! projects run.
//!
//! The program's *parameters* (catalogue, members, project effects) belong to the
//! model and can be overridden per strategy like any other key; a strategy's
//! *design* ([`Plan`]: menu, ordering, matching, delivery, budget) is what the
//! comparison is about. Each yearly program cycle runs at the start of the year
//! from last year's state ([`cycle::allocate`]); projects then produce during the
//! year ([`cycle::run_project`]).

pub mod bees;
pub mod collective;
pub mod cycle;
pub mod funds;
pub mod matching;
pub mod members;
pub mod mutual_aid;
pub mod schemes;
pub mod shareholders;
pub mod year;

use crate::scenario::Dist;
pub use crate::scenario::raw::{
    Allocation, Assignment, CashDuration, Delivery, ItemKind, MatchingMode, MenuMode, OrderingMode, ProjectEffects,
    ReturnMode, Unclaimed,
};
use schemes::{Cattle, Equity};

/// Number of item kinds (fixed: spending is reported per kind).
pub const KINDS: usize = ItemKind::ALL.len();

/// A validated catalogue item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub name: String,
    pub kind: ItemKind,
    /// Program cost of serving one household, paid when the project starts, yuan.
    pub unit_cost: f64,
    /// Slots per village per year on a county-fixed menu.
    pub slots: u32,
    pub min_labourers: u8,
    pub min_land: f64,
    pub min_skill: f64,
    /// Only for households with a chronically ill member.
    pub needs_illness: bool,
    /// Yearly income of a successful project at skill 0.5, yuan.
    pub expected_return: f64,
    /// Yearly chance of failure of an average, unsupported project.
    pub risk: f64,
    /// Years the project runs with support.
    pub duration: u8,
    /// Whether the household keeps the enterprise (or stake) after a successful run.
    pub keep: bool,
    /// Skill gained by the household from a successful year (training content).
    pub skill_gain: f64,
    /// The `[[herd.species]]` whose heads the item buys for the household's herd
    /// (a livestock transfer, no project), and how many: unit cost / value, whole.
    pub heads: Option<(usize, u32)>,
    /// A land transfer (流转): the household lets its land for this rent, yuan per
    /// mu a year, while the project runs (0: not a transfer; § 7.18).
    pub rent_per_mu: f64,
}

impl Item {
    /// Whether the project's income depends on the household's own skill (work it
    /// runs itself) rather than being a fixed payment (stakes, help, wages). A
    /// livestock transfer runs no project: its heads follow the herd model.
    pub fn skill_dependent(&self) -> bool {
        matches!(
            self.kind,
            ItemKind::Planting | ItemKind::Livestock | ItemKind::Enterprise
        ) && self.heads.is_none()
    }

    /// Whether the household does the work itself — runs the enterprise or holds
    /// the job — so that a first attempt can fail for want of experience.
    pub fn own_work(&self) -> bool {
        self.skill_dependent() || self.kind == ItemKind::Labour
    }

    /// Whether the item is a land transfer: the household lets its land.
    pub fn is_transfer(&self) -> bool {
        self.rent_per_mu > 0.0
    }

    /// Yearly income of a successful year for a household of this skill.
    pub fn yield_for(&self, skill: f32) -> f64 {
        if self.skill_dependent() {
            self.expected_return * (0.5 + f64::from(skill))
        } else {
            self.expected_return
        }
    }
}

/// A validated kind of member.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberKind {
    pub name: String,
    pub per_village: u32,
    pub capacity: u32,
    pub skill_share: f64,
    pub skill: Dist,
    pub spare_time: Dist,
    pub effectiveness: Dist,
}

/// The program's parameters (the `[program]` table).
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub orders_per_household: u32,
    pub allocation: Allocation,
    pub unclaimed: Unclaimed,
    pub risk_aversion: f64,
    /// Cumulative shares of branches that are good, fairly good, average.
    pub branch_quality_cdf: [f64; 3],
    /// How closely a branch of each quality fits its menu to its households' needs.
    pub branch_fit: [f64; 3],
    pub project: ProjectEffects,
    pub cattle: Cattle,
    pub equity: Equity,
    pub mutual_aid: mutual_aid::MutualAid,
    pub collective: collective::Collective,
    pub training: Training,
    pub bees: bees::Bees,
    /// An item granted directly each year, without orders (`None`: no grant).
    pub grant: Option<Grant>,
    /// The county's rule for top-down assignment, and its list of items for a
    /// household of each recorded cause (indexed by `Cause as usize`), best first.
    pub assignment: Assignment,
    pub county_lists: [Vec<u8>; 4],
    /// How long a cash strategy pays a household (validated: 1 to 50 years).
    pub cash_duration: CashDuration,
    /// The catalogue, in name order (validation sorts it): no rule — a household's
    /// ties, a lottery's draw, the county's list — can depend on the order a file
    /// lists its items in.
    pub items: Vec<Item>,
    pub member_kinds: Vec<MemberKind>,
}

/// Validated `[program.grant]`: an item given without orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grant {
    /// Index of the item in the catalogue.
    pub item: u8,
    /// Households granted the item per village and year.
    pub per_village: u32,
}

/// Validated `[program.training]`: train one person in every registered family.
#[derive(Debug, Clone, PartialEq)]
pub struct Training {
    /// Train a labourer of every registered household not trained yet, before orders.
    pub every_family: bool,
    /// Program cost of training one household's labourer, yuan (paid to the school).
    pub cost: f64,
    /// Skill the household gains.
    pub skill_gain: f64,
    /// Chance that the trained labourer, if not already away, is placed in outside work.
    pub placement_rate: f64,
}

/// A strategy's program design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub menu: MenuMode,
    pub ordering: OrderingMode,
    pub matching: MatchingMode,
    pub delivery: Delivery,
    /// Program budget per year for the county, yuan.
    pub budget: f64,
}

impl Plan {
    /// The safety net alone: no program budget.
    pub const NONE: Plan = Plan {
        menu: MenuMode::CountyFixed,
        ordering: OrderingMode::HouseholdChoice,
        matching: MatchingMode::SkillBased,
        delivery: Delivery::Projects,
        budget: 0.0,
    };

    /// Whether the program does anything at all. A zero budget means no menu, no
    /// orders and no projects: exactly the safety net alone.
    pub fn active(&self) -> bool {
        self.budget > 0.0
    }
}

/// What scoring and success depend on, for one household.
#[derive(Debug, Clone, Copy)]
pub struct Applicant {
    pub labourers: u8,
    pub migrants: u8,
    pub chronic: u8,
    pub land: f64,
    pub skill: f32,
    pub motivation: f32,
    /// The household already has calves or a stake held for it (one of each at most).
    pub holds_cattle: bool,
    pub holds_stake: bool,
    /// The household keeps bees already.
    pub keeps_bees: bool,
    /// Item kinds the household has run a project year of successfully (bit per kind).
    pub experience: u16,
    /// What letting a mu of its land brings the household besides the rent: the
    /// wages of the farm days it frees less the harvest (or the rent of a household
    /// without labour) it gives up, yuan a year ([`TransferValue`]; 0 when not
    /// valued).
    pub transfer_per_mu: f64,
}

impl Applicant {
    /// Whether the household meets an item's formal eligibility.
    pub fn eligible(&self, item: &Item) -> bool {
        let local_labour = self.labourers.saturating_sub(self.migrants);
        self.labourers >= item.min_labourers
            && self.land >= item.min_land
            && f64::from(self.skill) >= item.min_skill
            && (!item.needs_illness || self.chronic > 0)
            && (item.kind != ItemKind::Labour || local_labour > 0)
            && !(item.kind == ItemKind::Cattle && self.holds_cattle)
            && !(item.kind == ItemKind::Equity && self.holds_stake)
            && !(item.kind == ItemKind::Bees && self.keeps_bees)
            && !(item.is_transfer() && self.land <= 0.0)
    }
}

/// The year's rates by which a household values letting its land (§ 7.18), as the
/// review's calculation would: the expected harvest of a mu it farms, the rent a
/// household without labour gets for it anyway, and the wages of the farm days a
/// mu frees.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransferValue {
    /// Expected net farm income of a mu at ability and capacity 1.
    pub farm_per_mu: f64,
    /// The rent of a mu let by a household without labour (`land_rent_per_mu`).
    pub rent_per_mu: f64,
    /// The local wage of the days a mu of farming takes, at ability and capacity 1.
    pub wages_per_mu: f64,
}

impl TransferValue {
    pub fn of(model: &crate::scenario::Model, year: i32) -> TransferValue {
        let i = &model.income;
        let s = &model.shocks;
        let index = i.nonwage_index.at(year);
        TransferValue {
            farm_per_mu: i.farm_net_per_mu * (1.0 - s.drought_probability * s.drought_loss) * index,
            rent_per_mu: i.land_rent_per_mu * index,
            wages_per_mu: i.farm_days_per_mu * i.local_wage_per_day.at(year),
        }
    }

    /// A household's value of letting a mu besides the contract rent, given its
    /// labour and its `earning` multiplier (ability × earning capacity).
    pub fn per_mu(&self, labourers: u8, migrants: u8, earning: f64) -> f64 {
        if labourers == 0 {
            -self.rent_per_mu
        } else if labourers > migrants {
            (self.wages_per_mu - self.farm_per_mu) * earning
        } else {
            -self.farm_per_mu * earning
        }
    }
}

/// A member's support of one project this year (党员接单), through the mechanisms the
/// reports name: technical guidance and teaching (the member's skill in the item's
/// kind), market access and help with loans and applications (the member's
/// effectiveness: contacts, resources, standing), each scaled by the quality of the
/// member's time. All zero without a member.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Help {
    /// The member's skill in the item's kind, in [0, 1].
    pub skill: f64,
    pub effectiveness: f64,
    /// The share of its time the member can give (its spare time): full support is 1.
    pub quality: f64,
}

impl Help {
    pub const NONE: Help = Help {
        skill: 0.0,
        effectiveness: 0.0,
        quality: 0.0,
    };

    /// Technical guidance on the logit of success (skill × effectiveness × quality).
    pub fn guidance(&self) -> f64 {
        self.skill * self.effectiveness * self.quality
    }

    /// How much of a novice's penalty the member's teaching removes.
    pub fn teaching(&self) -> f64 {
        self.skill * self.quality
    }

    /// Market access and help with loans and applications.
    pub fn reach(&self) -> f64 {
        self.effectiveness * self.quality
    }

    /// Whether a member supports the project at all.
    pub fn given(&self) -> bool {
        *self != Help::NONE
    }
}

/// Whether a household running `item` is a novice: the item is work it does itself
/// (planting, livestock, enterprise, a job) in a kind it has never had a successful
/// year of.
pub fn novice(item: &Item, a: &Applicant) -> bool {
    item.own_work() && a.experience & (1 << item.kind.index()) == 0
}

/// Chance that a project succeeds this year: the item's base chance (1 − risk)
/// shifted on the logit scale by the household's skill and motivation (raised by
/// the ownership effect when the household chose the project), by a novice's
/// penalty (× (1 − skill), less what the member teaches) and by its member's
/// technical guidance.
pub fn success_probability(effects: &ProjectEffects, item: &Item, a: &Applicant, help: &Help, chosen: bool) -> f64 {
    success_from(base_logit(item), effects, item, a, help, chosen)
}

/// The logit of an item's base chance of success (1 − risk): the same for every
/// household, so that a choice over many households takes it once per item
/// ([`Chooser`]).
fn base_logit(item: &Item) -> f64 {
    let base = 1.0 - item.risk;
    (base / (1.0 - base)).ln()
}

/// [`success_probability`] from the item's [`base_logit`], taken beforehand (the
/// same expression, so the same bits).
fn success_from(
    base_logit: f64,
    effects: &ProjectEffects,
    item: &Item,
    a: &Applicant,
    help: &Help,
    chosen: bool,
) -> f64 {
    let base = 1.0 - item.risk;
    if base >= 1.0 {
        return 1.0;
    }
    if base <= 0.0 {
        return 0.0;
    }
    let motivation = (f64::from(a.motivation) + if chosen { effects.ownership_effect } else { 0.0 }).min(1.0);
    let skill = f64::from(a.skill);
    let penalty = if novice(item, a) {
        effects.novice_penalty * (1.0 - skill) * (1.0 - help.teaching())
    } else {
        0.0
    };
    let logit = base_logit
        + effects.skill_effect * (skill - 0.5)
        + effects.motivation_effect * (motivation - 0.5)
        + effects.support_effect * help.guidance()
        - penalty;
    1.0 / (1.0 + (-logit).exp())
}

/// The yield of a successful year with a member's market access (produce only:
/// planting, livestock, enterprise).
pub fn supported_yield(effects: &ProjectEffects, item: &Item, skill: f32, help: &Help) -> f64 {
    let y = item.yield_for(skill);
    if item.skill_dependent() {
        y * (1.0 + effects.market_effect * help.reach())
    } else {
        y
    }
}

/// The support a household expects when it orders: a typical member's (skill 0.55,
/// effectiveness 0.6, spare time 0.7: about the default members' means).
const EXPECTED_HELP: Help = Help {
    skill: 0.55,
    effectiveness: 0.6,
    quality: 0.7,
};

/// The expected yearly gain a household sees in an item: success times yield, less
/// the expected loss on failure, less a penalty for risk scaled by its aversion.
/// Households expect a typical member's support when they order, and know whether
/// they are novices in the item.
pub fn expected_gain(program: &Program, item: &Item, a: &Applicant) -> f64 {
    gain_from(base_logit(item), program, item, a)
}

/// [`expected_gain`] from the item's [`base_logit`], taken beforehand.
fn gain_from(base_logit: f64, program: &Program, item: &Item, a: &Applicant) -> f64 {
    let p = success_from(base_logit, &program.project, item, a, &EXPECTED_HELP, true);
    let y = item.yield_for(a.skill);
    let project =
        p * y - (1.0 - p) * program.project.failure_loss * item.unit_cost - program.risk_aversion * item.risk * y;
    if item.is_transfer() {
        project + a.land * (item.rent_per_mu + a.transfer_per_mu)
    } else {
        project
    }
}

/// The county's view of an item (`assignment = "best_average_return"`): its expected
/// net yearly return, in yuan, for an average household — skill and motivation 0.5,
/// a novice in the item, no member's support, not chosen — that is
/// (1 − risk) × expected_return − risk × failure_loss × unit_cost. Absolute rather
/// than per yuan of cost: the county's target is each assigned household's income
/// above the line, not the return on its budget.
pub fn average_return(effects: &ProjectEffects, item: &Item) -> f64 {
    let average = Applicant {
        labourers: 1,
        migrants: 0,
        chronic: 0,
        land: 0.0,
        skill: 0.5,
        motivation: 0.5,
        holds_cattle: false,
        holds_stake: false,
        keeps_bees: false,
        experience: 0,
        transfer_per_mu: 0.0,
    };
    let p = success_probability(effects, item, &average, &Help::NONE, false);
    p * item.yield_for(average.skill) - (1.0 - p) * effects.failure_loss * item.unit_cost
}

/// Item indices by best average return, ties by name.
pub fn by_average_return(effects: &ProjectEffects, items: &[Item]) -> Vec<u8> {
    let mut order: Vec<u8> = (0..items.len() as u8).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&items[a as usize], &items[b as usize]);
        average_return(effects, y)
            .total_cmp(&average_return(effects, x))
            .then_with(|| x.name.cmp(&y.name))
    });
    order
}

/// The items a household orders, best first (at most `orders_per_household`).
/// Households with a chronically ill member put medical help first.
pub fn choose(program: &Program, a: &Applicant) -> Vec<u8> {
    Chooser::new(program).choose(a)
}

/// A positive priority (infinity too) as a key that sorts best first: positive
/// doubles' bits order as the doubles do (as `total_cmp` would), so inverted they
/// order them from the highest.
#[inline]
fn priority_key(g: f64) -> u64 {
    !g.to_bits()
}

/// Households' choices of items under one program: what a choice needs of each
/// item whatever the household (its [`base_logit`]) is taken once, and the
/// scoring buffer is kept across households, so that a choice allocates at most
/// the list it returns.
pub struct Chooser<'a> {
    program: &'a Program,
    /// Each item's [`base_logit`], by index.
    base_logits: Vec<f64>,
    /// (key, item) of the items a household would order: the key is the
    /// priority's bits, inverted, so that ascending keys are descending priorities.
    scored: Vec<(u64, u8)>,
}

impl<'a> Chooser<'a> {
    pub fn new(program: &'a Program) -> Chooser<'a> {
        Chooser {
            program,
            base_logits: program.items.iter().map(base_logit).collect(),
            scored: Vec::new(),
        }
    }

    /// [`choose`] with this chooser.
    pub fn choose(&mut self, a: &Applicant) -> Vec<u8> {
        let mut chosen = Vec::new();
        self.choose_into(a, &mut chosen);
        chosen
    }

    /// [`choose`], appending the list to `out` (so many lists can share one buffer).
    pub fn choose_into(&mut self, a: &Applicant, out: &mut Vec<u8>) {
        let program = self.program;
        self.scored.clear();
        self.scored.extend(
            program
                .items
                .iter()
                .zip(&self.base_logits)
                .enumerate()
                .filter(|(_, (it, _))| a.eligible(it))
                .map(|(i, (it, &logit))| {
                    let priority = if it.needs_illness {
                        f64::INFINITY
                    } else {
                        gain_from(logit, program, it, a)
                    };
                    (priority, i as u8)
                })
                .filter(|(g, _)| *g > 0.0)
                .map(|(g, i)| (priority_key(g), i)),
        );
        // Ties by name: the catalogue is held in name order, so by index is by name.
        // The index makes the order total, so an unstable sort gives the same list.
        self.scored.sort_unstable();
        let chosen = &self.scored[..self.scored.len().min(program.orders_per_household as usize)];
        out.extend(chosen.iter().map(|&(_, i)| i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn program() -> Program {
        let text = "[[village]]\nname = \"a\"\nhouseholds = 1\n";
        scenario::parse(text, "t.toml", "t")
            .unwrap()
            .strategies
            .remove(0)
            .model
            .program
    }

    fn applicant() -> Applicant {
        Applicant {
            labourers: 2,
            migrants: 0,
            chronic: 0,
            land: 3.0,
            skill: 0.4,
            motivation: 0.5,
            holds_cattle: false,
            holds_stake: false,
            keeps_bees: false,
            experience: 0,
            transfer_per_mu: 0.0,
        }
    }

    fn help(skill: f64) -> Help {
        Help {
            skill,
            effectiveness: 0.6,
            quality: 1.0,
        }
    }

    #[test]
    fn priority_keys_order_positive_priorities_best_first() {
        let g = [
            f64::MIN_POSITIVE / 4.0,
            f64::MIN_POSITIVE,
            1e-300,
            0.5,
            1.0,
            1.0 + f64::EPSILON,
            3.25e7,
            f64::MAX,
            f64::INFINITY,
        ];
        for a in g {
            for b in g {
                assert_eq!(priority_key(a).cmp(&priority_key(b)), b.total_cmp(&a), "{a} {b}");
            }
        }
    }

    #[test]
    fn success_rises_with_skill_support_and_ownership() {
        let p = program();
        let item = &p.items[0];
        let a = applicant();
        let base = success_probability(&p.project, item, &a, &Help::NONE, false);
        let none = &Help::NONE;
        assert!(success_probability(&p.project, item, &Applicant { skill: 0.8, ..a }, none, false) > base);
        assert!(success_probability(&p.project, item, &a, &help(0.5), false) > base);
        assert!(success_probability(&p.project, item, &a, none, true) > base);
        assert!((0.0..=1.0).contains(&base));
    }

    #[test]
    fn a_novices_first_project_fails_more_and_a_skilled_member_makes_up_for_it() {
        let p = program();
        let item = p.items.iter().find(|it| it.skill_dependent() && it.risk > 0.0).unwrap();
        let novice = Applicant {
            skill: 0.35,
            ..applicant()
        };
        let seasoned = Applicant {
            experience: 1 << item.kind.index(),
            ..novice
        };
        let s = |a: &Applicant, h: &Help| success_probability(&p.project, item, a, h, true);
        let none = &Help::NONE;
        // The penalty: novice_penalty × (1 − skill) on the logit.
        let logit = |x: f64| (x / (1.0 - x)).ln();
        let lost = logit(s(&seasoned, none)) - logit(s(&novice, none));
        assert!(
            (lost - p.project.novice_penalty * (1.0 - f64::from(0.35f32))).abs() < 1e-9,
            "{lost}"
        );
        // A member's help rises with the member's skill, and helps a novice most.
        assert!(s(&novice, &help(0.9)) > s(&novice, &help(0.3)));
        assert!(s(&novice, &help(0.3)) > s(&novice, none));
        let gain = |a: &Applicant| logit(s(a, &help(0.9))) - logit(s(a, none));
        assert!(gain(&novice) > gain(&seasoned));
        // Work the household does not do itself has no novice penalty.
        let stake = p.items.iter().find(|it| !it.own_work() && it.risk > 0.0).unwrap();
        let t = |a: &Applicant| success_probability(&p.project, stake, a, none, true);
        assert_eq!(
            t(&novice),
            t(&Applicant {
                experience: u16::MAX,
                ..novice
            })
        );
    }

    #[test]
    fn market_access_raises_produce_yields_only() {
        let p = program();
        let e = &p.project;
        for it in &p.items {
            let (with, without) = (
                supported_yield(e, it, 0.4, &help(0.5)),
                supported_yield(e, it, 0.4, &Help::NONE),
            );
            assert_eq!(without, it.yield_for(0.4));
            if it.skill_dependent() && it.expected_return > 0.0 {
                assert!(
                    (with / without - (1.0 + e.market_effect * 0.6)).abs() < 1e-9,
                    "{}",
                    it.name
                );
            } else {
                assert_eq!(with, without, "{}", it.name);
            }
        }
    }

    #[test]
    fn households_without_labour_see_only_labour_free_items() {
        let p = program();
        let a = Applicant {
            labourers: 0,
            land: 0.0,
            ..applicant()
        };
        for i in choose(&p, &a) {
            let it = &p.items[i as usize];
            assert_eq!(it.min_labourers, 0, "{}", it.name);
        }
    }

    #[test]
    fn ill_households_order_medical_help_first() {
        let p = program();
        let a = Applicant {
            chronic: 1,
            ..applicant()
        };
        let first = choose(&p, &a)[0];
        assert_eq!(p.items[first as usize].kind, ItemKind::Medical);
    }

    #[test]
    fn orders_respect_the_limit_and_eligibility() {
        let p = program();
        let a = applicant();
        let c = choose(&p, &a);
        assert!(c.len() <= p.orders_per_household as usize);
        assert!(c.iter().all(|&i| a.eligible(&p.items[i as usize])));
    }
}
