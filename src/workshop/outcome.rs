//! What the page shows of a setting's run, computed from the run's results table
//! with the same functions as `sandan run`'s files: trajectories with bands,
//! impacts against the baseline paired over replicates, the budget used, where the
//! money went, and replicate 0's households.
//!
//! The simulations are the engine's own ([`engine::simulate_recording`]), one after
//! another on the calling worker thread, in `engine::run`'s order; the results pass
//! through `trajectories.csv`'s bytes ([`tables::trajectories_csv`]) as a `sandan
//! run` does, so the page and the exported file's run agree to the last digit.

use crate::engine::{self, HouseholdSink, RunRecord};
use crate::metrics::{HouseholdYear, INCOME_SOURCES, Summary};
use crate::output::impacts::{self, Impact};
use crate::output::results::{RunResults, column};
use crate::output::tables;
use crate::scenario::Scenario;
use serde_json::{Value, json};
use std::sync::Mutex;

/// The most households of replicate 0 sent to the page (one village has a few
/// hundred; a county is summarised by its first ones).
pub const MAX_HOUSEHOLDS_SHOWN: usize = 1000;

/// The metrics drawn with bands over replicates.
const BANDS: &[&str] = &["incidence", "official_incidence", "mean_income"];

/// Where the program money and the safety net's went: (metric, kind name).
const SPENDING: &[&str] = &[
    "spending_dibao",
    "spending_medical",
    "spending_housing",
    "spending_cash",
    "program_planting",
    "program_livestock",
    "program_enterprise",
    "program_labour",
    "program_dividend",
    "program_medical",
    "program_social",
    "program_cattle",
    "program_equity",
    "program_bees",
    "program_training",
    "program_fund",
];

/// A scenario's records (strategy 0 the baseline, 1 the setting) and the
/// setting's households in replicate 0.
pub struct Runs {
    pub records: Vec<RunRecord>,
    pub households: Vec<HouseholdYear>,
}

struct Collect(Mutex<Vec<HouseholdYear>>, usize);

impl HouseholdSink for Collect {
    fn year(&self, strategy: usize, rows: &[HouseholdYear]) {
        if strategy == self.1
            && let Ok(mut all) = self.0.lock()
        {
            all.extend(rows.iter().filter(|r| (r.household as usize) < MAX_HOUSEHOLDS_SHOWN));
        }
    }
}

/// Simulate every strategy × replicate of the scenario on this thread, in the order
/// of [`engine::run`], recording strategy `shown`'s households in replicate 0.
pub fn simulate(scenario: &Scenario, shown: usize) -> Runs {
    simulate_reusing(scenario, shown, None)
}

/// [`simulate`], taking strategy 0's records from `baseline` when given: a
/// simulation depends only on its own strategy, the seed, the replicate and the
/// years, so a baseline already run for the same scenario, village, seed and
/// replicates need not run again when only the setting's levers change.
pub fn simulate_reusing(scenario: &Scenario, shown: usize, baseline: Option<&[RunRecord]>) -> Runs {
    let sink = Collect(Mutex::new(Vec::new()), shown);
    let mut records = Vec::with_capacity(scenario.strategies.len() * scenario.replicates as usize);
    let reuse = baseline.filter(|b| shown != 0 && b.len() == scenario.replicates as usize);
    for s in 0..scenario.strategies.len() {
        if let (0, Some(b)) = (s, reuse) {
            records.extend_from_slice(b);
            continue;
        }
        for r in 0..scenario.replicates {
            records.push(engine::simulate_recording(scenario, s, r, Some(&sink)));
        }
    }
    Runs {
        records,
        households: sink.0.into_inner().unwrap_or_default(),
    }
}

fn summary(s: &Summary) -> Value {
    json!({ "mean": finite(s.mean), "p05": finite(s.p05), "p50": finite(s.p50), "p95": finite(s.p95) })
}

/// JSON has no NaN: an undefined value is null.
fn finite(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// The page's view of a run: strategy 0 is the baseline, 1 the setting.
pub fn view(scenario: &Scenario, runs: &Runs) -> Result<Value, String> {
    let csv = tables::trajectories_csv(scenario, &runs.records).map_err(|e| e.to_string())?;
    let r = RunResults::from_trajectories_csv(&csv).map_err(|e| e.to_string())?;
    let (base, set) = (0usize, 1usize);
    let mut bands = serde_json::Map::new();
    for m in BANDS {
        let Some(k) = r.metric(m) else { continue };
        let per: Vec<Value> = [base, set]
            .iter()
            .map(|&s| Value::Array(r.summarise_by_year(s, &column(k)).iter().map(summary).collect()))
            .collect();
        bands.insert((*m).to_string(), Value::Array(per));
    }
    let all = impacts::impacts(&r, base);
    let of =
        |metric: &str| -> Vec<&Impact> { all.iter().filter(|i| i.strategy == set && i.metric == metric).collect() };
    let impact_json =
        |i: &&Impact| json!({ "year": i.year, "summary": summary(&i.summary), "share_better": finite(i.share_better) });
    let last = r.years.len() - 1;
    let final_of = |metric: &str, s: usize| -> f64 {
        r.metric(metric)
            .map(|k| {
                let vals: Vec<f64> = r.replicates(s).map(|rep| rep[last][k]).collect();
                Summary::of(&vals).mean
            })
            .unwrap_or(f64::NAN)
    };
    let budget = scenario.strategies[set].plan.budget;
    let years_simulated = r.years.len() - 1;
    let used = |s: usize| {
        let total = |m: &str| {
            r.metric(m).map_or(0.0, |k| {
                let vals: Vec<f64> = r
                    .replicates(s)
                    .map(|rep| rep[1..].iter().map(|row| row[k]).sum())
                    .collect();
                Summary::of(&vals).mean
            })
        };
        total("spending_program") + total("spending_cash")
    };
    let spending = |s: usize| -> Value {
        let total = |m: &str| {
            r.metric(m).map_or(0.0, |k| {
                let vals: Vec<f64> = r
                    .replicates(s)
                    .map(|rep| rep[1..].iter().map(|row| row[k]).filter(|x| x.is_finite()).sum())
                    .collect();
                Summary::of(&vals).mean
            })
        };
        let mut kinds: Vec<Value> = SPENDING
            .iter()
            .map(|m| (m, total(m)))
            .filter(|(_, y)| *y > 0.5)
            .map(|(m, y)| json!({ "kind": m, "yuan": y }))
            .collect();
        let listed: f64 = SPENDING
            .iter()
            .filter(|m| m.starts_with("program_"))
            .map(|m| total(m))
            .sum();
        let other = total("spending_program") - listed;
        if other > 0.5 {
            kinds.push(json!({ "kind": "program_collective_enterprises", "yuan": other }));
        }
        Value::Array(kinds)
    };
    Ok(json!({
        "scenario": scenario.name,
        "strategies": r.strategies,
        "years": r.years,
        "replicates": scenario.replicates,
        "households_total": scenario.strategies[set].model.household_count(),
        "bands": bands,
        "impact": of("incidence_points").iter().map(impact_json).collect::<Vec<_>>(),
        "official_impact": of("official_incidence_points").iter().map(impact_json).collect::<Vec<_>>(),
        "cost_per_person_lifted": of("cost_per_person_lifted").iter().map(impact_json).collect::<Vec<_>>(),
        "persons_exited": [final_of("persons_exited_total", base), final_of("persons_exited_total", set)],
        "reentries": [final_of("reentries_total", base), final_of("reentries_total", set)],
        "budget": {
            "per_year": budget,
            "available": budget * years_simulated as f64,
            "used": used(set),
        },
        "spending": [spending(base), spending(set)],
        "households": households(scenario, set, &runs.households),
    }))
}

/// Replicate 0's households under the setting: each one's status at the end of
/// every year (`n` never registered, `R` registered, `E` exited), whether it was
/// below the line (`1`), its program income (projects, assets, dividends), its
/// recorded cause, and by year the item its project ran and the member supporting
/// it (null where none).
fn households(scenario: &Scenario, set: usize, rows: &[HouseholdYear]) -> Value {
    let model = &scenario.strategies[set].model;
    let years: Vec<i32> = (scenario.start_year..=scenario.end_year).collect();
    let shown = model.household_count().min(MAX_HOUSEHOLDS_SHOWN);
    let mut status = vec![String::new(); shown];
    let mut poor = vec![String::new(); shown];
    let mut program = vec![0.0f64; shown];
    let mut size = vec![0u8; shown];
    let mut village = vec![0u32; shown];
    let mut cause = vec![""; shown];
    let mut project: Vec<Vec<Option<&str>>> = vec![Vec::new(); shown];
    let mut member: Vec<Vec<Option<u32>>> = vec![Vec::new(); shown];
    let items = &model.program.items;
    let (projects, assets, dividends) = (
        INCOME_SOURCES.iter().position(|s| *s == "income_projects"),
        INCOME_SOURCES.iter().position(|s| *s == "income_assets"),
        INCOME_SOURCES.iter().position(|s| *s == "income_dividends"),
    );
    for h in rows {
        let i = h.household as usize;
        if i >= shown {
            continue;
        }
        status[i].push(match h.status {
            crate::agents::household::Status::NotRegistered => 'n',
            crate::agents::household::Status::Registered => 'R',
            crate::agents::household::Status::Exited => 'E',
        });
        let line = model.poverty_line.at(h.year);
        poor[i].push(if f64::from(h.income_pc) < line { '1' } else { '0' });
        for k in [projects, assets, dividends].into_iter().flatten() {
            if h.sources[k].is_finite() {
                program[i] += h.sources[k];
            }
        }
        size[i] = h.size;
        village[i] = h.village;
        cause[i] = crate::engine::groups::CAUSES[h.cause as usize];
        project[i].push(items.get(usize::from(h.project)).map(|it| it.name.as_str()));
        member[i].push((h.member != crate::programs::cycle::NONE_MEMBER).then_some(h.member));
    }
    let villages: Vec<&str> = model.villages.iter().map(|v| v.name.as_str()).collect();
    json!({
        "years": years,
        "total": model.household_count(),
        "villages": villages,
        "status": status,
        "poor": poor,
        "program_income": program.iter().map(|x| x.round()).collect::<Vec<_>>(),
        "size": size,
        "village": village,
        "cause": cause,
        "project": project,
        "member": member,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::{Entry, setting};

    #[test]
    fn a_reused_baseline_gives_the_same_results_as_a_fresh_one() {
        let text = include_str!("../../tests/fixtures/tiny.toml");
        let entry = Entry::new("tiny", "tiny.toml", text.to_string()).unwrap();
        let s: setting::Setting = serde_json::from_value(json!({
            "scenario": "tiny", "baseline": "no_program", "strategy": "full_dibao",
            "levers": { "dibao.take_up_other": 0.4 }, "replicates": 3, "seed": 9
        }))
        .unwrap();
        let (_, scenario) = setting::scenario(&entry, &s).unwrap();
        let fresh = simulate(&scenario, 1);
        let baseline: Vec<RunRecord> = fresh.records.iter().filter(|r| r.strategy == 0).cloned().collect();
        let reused = simulate_reusing(&scenario, 1, Some(&baseline));
        assert_eq!(format!("{:?}", fresh.records), format!("{:?}", reused.records));
        assert_eq!(format!("{:?}", fresh.households), format!("{:?}", reused.households));
        assert_eq!(view(&scenario, &fresh).unwrap(), view(&scenario, &reused).unwrap());
    }
}
