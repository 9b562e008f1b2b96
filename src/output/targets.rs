//! Progress against the scenario's own targets: what the county set out to reach by
//! the final year — the county's exit (official incidence below the threshold),
//! every designated poor village exited, every village collective earning its
//! target (Tibet: 50,000 yuan a year), one person trained in every registered
//! family — and where each strategy stands, with its interval over replicates and
//! in how many replicates it meets the target.
//!
//! The targets are read from the run's `scenario.toml` (a table in, a table out: no
//! simulation); a target the scenario does not set, or whose metric the run lacks,
//! is left out.

use super::fonts::Lang;
use super::plot::group_thousands;
use super::results::{RunResults, column};
use crate::metrics::Summary;
use crate::scenario::raw::{RawScenario, Region};

/// What a scenario sets out to reach.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetSpec {
    /// The exit threshold of official incidence (a share; 2%, 3% in the west).
    pub exit_threshold: Option<f64>,
    /// The number of designated poor villages.
    pub poor_villages: usize,
    /// Every village collective's yearly income target, yuan.
    pub collective_target: Option<f64>,
    /// Whether every registered family is to have one person trained.
    pub every_family: bool,
    /// Villages in the county.
    pub villages: usize,
}

impl TargetSpec {
    /// The targets of a scenario's text. Text this version cannot read as a
    /// scenario (an older run's) sets only what can still be read of it, the poor
    /// villages: a threshold guessed without the region would be wrong in the west.
    pub fn of(scenario_toml: Option<&str>, villages: usize) -> TargetSpec {
        let poor_villages = scenario_toml
            .and_then(super::villages::poor_villages)
            .map_or(0, |v| v.len());
        let raw: Option<RawScenario> = scenario_toml.and_then(|t| toml::from_str(t).ok());
        let Some(raw) = raw else {
            return TargetSpec {
                poor_villages,
                villages,
                ..TargetSpec::default()
            };
        };
        let threshold = raw.exit.village_threshold.unwrap_or(match raw.region {
            Region::West => 0.03,
            Region::East | Region::Central => 0.02,
        });
        TargetSpec {
            exit_threshold: Some(threshold),
            poor_villages,
            collective_target: Some(raw.program.collective.target),
            every_family: raw.program.training.every_family,
            villages,
        }
    }
}

/// One strategy's standing against one target in the final year.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCell {
    /// The value, with its interval where there is one.
    pub value: String,
    /// Replicates meeting the target, of those with a value (`None`: the model cannot
    /// tell whether it is met).
    pub met: Option<(usize, usize)>,
}

/// One target: what it is, then one cell per strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub target: String,
    pub cells: Vec<TargetCell>,
}

fn interval(s: &Summary, scale: f64, decimals: usize, unit: &str) -> String {
    let f = |v: f64| group_thousands(&format!("{:.decimals$}", v * scale));
    if s.p05.is_finite() && s.p95.is_finite() && s.p05 != s.p95 {
        format!("{}{unit} [{}–{}]", f(s.mean), f(s.p05), f(s.p95))
    } else {
        format!("{}{unit}", f(s.mean))
    }
}

/// The final-year value of `metric` in every replicate of `strategy`.
fn finals(r: &RunResults, strategy: usize, metric: &str) -> Option<Vec<f64>> {
    let k = r.metric(metric)?;
    let last = r.years.len().checked_sub(1)?;
    Some(
        r.replicates(strategy)
            .filter_map(|rows| rows.get(last).and_then(|row| row.get(k)).copied())
            .filter(|v| v.is_finite())
            .collect(),
    )
}

/// Progress against the scenario's targets in the final year, one row per target
/// the scenario sets and the run has a metric for.
pub fn progress(r: &RunResults, spec: &TargetSpec, lang: Lang) -> Vec<TargetRow> {
    let last = r.years.last().copied().unwrap_or_default();
    let start = r.years.first().copied().unwrap_or_default();
    let strategies = 0..r.strategies.len();
    let mut rows = Vec::new();
    // A target met when `ok` holds for a replicate's final value.
    let row = |target: String, metric: &str, ok: &dyn Fn(f64) -> bool, show: &dyn Fn(&Summary) -> String| {
        let cells: Option<Vec<TargetCell>> = strategies
            .clone()
            .map(|s| {
                let v = finals(r, s, metric)?;
                Some(TargetCell {
                    value: show(&Summary::of(&v)),
                    met: Some((v.iter().filter(|&&x| ok(x)).count(), v.len())),
                })
            })
            .collect();
        cells.map(|cells| TargetRow { target, cells })
    };
    if let Some(t) = spec.exit_threshold {
        rows.extend(row(
            match lang {
                Lang::En => format!("The county exits: official incidence below {:.0}% in {last}", 100.0 * t),
                Lang::Zh => format!("全县摘帽：{last} 年建档贫困发生率低于 {:.0}%", 100.0 * t),
            },
            "official_incidence",
            &|x| x < t,
            &|s| interval(s, 100.0, 2, "%"),
        ));
    }
    if spec.poor_villages > 0 {
        let n = spec.poor_villages as f64;
        rows.extend(row(
            match lang {
                Lang::En => format!("Every one of the {} poor villages exited by {last}", spec.poor_villages),
                Lang::Zh => format!("{last} 年前 {} 个贫困村全部退出", spec.poor_villages),
            },
            "poor_villages_exited",
            &|x| x >= n,
            &|s| match lang {
                Lang::En => format!("{} of {}", interval(s, 1.0, 1, ""), spec.poor_villages),
                Lang::Zh => format!("{} 个中 {}", spec.poor_villages, interval(s, 1.0, 1, "")),
            },
        ));
    }
    if let Some(target) = spec.collective_target.filter(|_| r.any_nonzero("collective_income")) {
        let yuan = group_thousands(&format!("{target:.0}"));
        let villages = spec.villages.max(1) as f64;
        let income = |s: usize| {
            finals(r, s, "collective_income").map(|v| Summary::of(&v.iter().map(|x| x / villages).collect::<Vec<_>>()))
        };
        if let Some(mut rw) = row(
            match lang {
                Lang::En => format!("Every village collective earns at least {yuan} yuan in {last}"),
                Lang::Zh => format!("{last} 年每个村集体收入不低于 {yuan} 元"),
            },
            "collectives_on_target",
            &|x| x >= 1.0 - 1e-9,
            &|s| match lang {
                Lang::En => format!("{} of villages", interval(s, 100.0, 0, "%")),
                Lang::Zh => format!("{} 的村", interval(s, 100.0, 0, "%")),
            },
        ) {
            for (s, cell) in rw.cells.iter_mut().enumerate() {
                if let Some(i) = income(s) {
                    cell.value.push_str(&match lang {
                        Lang::En => format!("; {} yuan a village", group_thousands(&format!("{:.0}", i.mean))),
                        Lang::Zh => format!("；每村 {} 元", group_thousands(&format!("{:.0}", i.mean))),
                    });
                }
            }
            rows.push(rw);
        }
    }
    if spec.every_family {
        rows.extend(training(r, lang, start));
    }
    rows
}

/// The every-family training target. The model trains a labourer of each registered
/// family not yet trained, as far as the budget goes (families without labour cannot
/// be). A run with `untrained` (the registered families with labour still without a
/// trained person after the year's training) is judged on it: met when none is left
/// in the final year. An older run without it shows the families trained since the
/// start against the register at the start, with no verdict.
fn training(r: &RunResults, lang: Lang, start: i32) -> Option<TargetRow> {
    let target = match lang {
        Lang::En => "One person trained in every registered family".to_string(),
        Lang::Zh => "每个建档户至少一人接受培训".to_string(),
    };
    let (trained, registered) = (r.metric("trained")?, r.metric("registered")?);
    let has_untrained = r.metric("untrained").is_some();
    let cells = (0..r.strategies.len())
        .map(|s| {
            let total = r.summarise_by_year(s, &|rows| {
                let t = column(trained)(rows);
                vec![t.iter().skip(1).filter(|x| x.is_finite()).sum()]
            });
            let t = group_thousands(&format!("{:.0}", total[0].mean));
            if has_untrained {
                let left = finals(r, s, "untrained").unwrap_or_default();
                let value = interval(&Summary::of(&left), 1.0, 0, "");
                return TargetCell {
                    value: match lang {
                        Lang::En => format!("{value} families with labour left untrained; {t} trained since {start}"),
                        Lang::Zh => format!("尚有 {value} 户有劳动力家庭未培训；{start} 年以来培训 {t} 户"),
                    },
                    met: Some((left.iter().filter(|&&x| x < 0.5).count(), left.len())),
                };
            }
            let register = r.summarise_by_year(s, &|rows| vec![column(registered)(rows)[0]]);
            let reg = register[0].mean;
            let share = if reg > 0.0 {
                100.0 * total[0].mean / reg
            } else {
                f64::NAN
            };
            let reg = group_thousands(&format!("{reg:.0}"));
            TargetCell {
                value: match lang {
                    Lang::En => {
                        format!("{t} families trained since {start} ({share:.0}% of the {reg} registered in {start})")
                    }
                    Lang::Zh => format!("{start} 年以来培训 {t} 户（为 {start} 年建档 {reg} 户的 {share:.0}%）"),
                },
                met: None,
            }
        })
        .collect();
    Some(TargetRow { target, cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> RunResults {
        // Two strategies, two replicates, 2016-2017. "good" takes official incidence
        // below 3% in both replicates and both poor villages out in one.
        let mut t = String::from(
            "strategy,replicate,year,official_incidence,poor_villages_exited,collective_income,collectives_on_target,trained,registered\n",
        );
        for (s, rep, inc, out, income, on, trained) in [
            ("base", 0, 0.05, 0, 0.0, 0.0, 0),
            ("base", 1, 0.02, 1, 0.0, 0.0, 0),
            ("good", 0, 0.01, 2, 120000.0, 1.0, 40),
            ("good", 1, 0.02, 1, 80000.0, 0.5, 60),
        ] {
            t.push_str(&format!("{s},{rep},2016,0.2,0,0,0,0,100\n"));
            t.push_str(&format!("{s},{rep},2017,{inc},{out},{income},{on},{trained},20\n"));
        }
        RunResults::from_trajectories_csv(t.as_bytes()).unwrap()
    }

    #[test]
    fn targets_are_met_replicate_by_replicate() {
        let spec = TargetSpec {
            exit_threshold: Some(0.03),
            poor_villages: 2,
            collective_target: Some(50000.0),
            every_family: true,
            villages: 2,
        };
        let rows = progress(&results(), &spec, Lang::En);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].target, "The county exits: official incidence below 3% in 2017");
        assert_eq!(rows[0].cells[0].met, Some((1, 2)));
        assert_eq!(rows[0].cells[1].met, Some((2, 2)));
        assert_eq!(rows[1].cells[1].met, Some((1, 2)));
        assert!(
            rows[1].cells[1].value.starts_with("1.5 ["),
            "{}",
            rows[1].cells[1].value
        );
        assert!(rows[1].cells[1].value.ends_with("of 2"), "{}", rows[1].cells[1].value);
        // Collectives: all villages on target in one replicate; 50,000 a village on average.
        assert_eq!(rows[2].cells[1].met, Some((1, 2)));
        assert!(
            rows[2].cells[1].value.ends_with("; 50,000 yuan a village"),
            "{}",
            rows[2].cells[1].value
        );
        assert_eq!(rows[3].cells[1].met, None);
        assert_eq!(
            rows[3].cells[1].value,
            "50 families trained since 2016 (50% of the 100 registered in 2016)"
        );
        // A scenario without those targets has only the county's exit.
        let plain = TargetSpec {
            exit_threshold: Some(0.02),
            villages: 2,
            ..TargetSpec::default()
        };
        assert_eq!(progress(&results(), &plain, Lang::En).len(), 1);
    }

    /// With `untrained` in the run, the training target has a verdict: met in a
    /// replicate whose final year leaves no registered family with labour untrained.
    #[test]
    fn training_is_judged_on_the_families_left_untrained() {
        let mut t = String::from("strategy,replicate,year,trained,registered,untrained\n");
        for (s, rep, trained, left) in [
            ("base", 0, 0, 30),
            ("base", 1, 0, 25),
            ("good", 0, 70, 0),
            ("good", 1, 65, 4),
        ] {
            t.push_str(&format!("{s},{rep},2016,0,100,0\n{s},{rep},2017,{trained},90,{left}\n"));
        }
        let r = RunResults::from_trajectories_csv(t.as_bytes()).unwrap();
        let spec = TargetSpec {
            every_family: true,
            ..TargetSpec::default()
        };
        let rows = progress(&r, &spec, Lang::En);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells[0].met, Some((0, 2)));
        assert_eq!(rows[0].cells[1].met, Some((1, 2)));
        assert!(
            rows[0].cells[1]
                .value
                .ends_with("families with labour left untrained; 68 trained since 2016"),
            "{}",
            rows[0].cells[1].value
        );
    }

    #[test]
    fn the_targets_are_read_from_the_scenario() {
        let text = "region = \"west\"\n[[village]]\nname = \"a\"\ncount = 3\nhouseholds = 5\npoor = true\n\
                    [program.training]\nevery_family = true\n[program.collective]\ntarget = 60000.0\n";
        let spec = TargetSpec::of(Some(text), 3);
        assert_eq!(spec.exit_threshold, Some(0.03));
        assert_eq!(spec.poor_villages, 3);
        assert_eq!(spec.collective_target, Some(60000.0));
        assert!(spec.every_family);
        let unreadable = TargetSpec::of(Some("nonsense = ["), 3);
        assert_eq!((unreadable.exit_threshold, unreadable.poor_villages), (None, 0));
        // An older scenario with a key this version does not know keeps its poor villages.
        let older = TargetSpec::of(Some(&format!("retired_key = 1\n{text}")), 3);
        assert_eq!((older.exit_threshold, older.poor_villages), (None, 3));
    }
}
