//! When the villages exit: the designated poor villages (`poor = true`, 贫困村) whose
//! exit a county plans and reports, read from `groups.csv`'s village rows — the
//! share of them exited and their poverty incidence by year under each strategy
//! (a chart), and the year each one exits under each strategy (a table), so that a
//! planner sees which villages a strategy leaves behind and for how long.
//!
//! A county of many villages cannot be read as one line per village; the chart sums
//! them, and the table lists each village with one number per strategy. Which
//! villages are designated is read from the run's `scenario.toml`; a scenario that
//! designates none is read for all its villages.

use super::OutputError;
use super::fonts::Lang;
use super::plot::{Figure, LegendEntry, Panel, Series};
use crate::metrics::Summary;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Above this many followed villages the table is left out (`groups.csv` has them
/// all): a table of thousands of rows is not read, and its data would grow the
/// report's memory with the county.
pub const MAX_TABLE_VILLAGES: usize = 500;

/// The names of the designated poor villages in a scenario's text (`[[village]]`
/// entries with `poor = true`, numbered as the scenario numbers them), or `None` if
/// the text cannot be read as a scenario's villages.
pub fn poor_villages(scenario_toml: &str) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Entry {
        name: String,
        #[serde(default = "one")]
        count: i64,
        #[serde(default)]
        poor: bool,
    }
    #[derive(serde::Deserialize)]
    struct Villages {
        #[serde(default)]
        village: Vec<Entry>,
    }
    fn one() -> i64 {
        1
    }
    let v: Villages = toml::from_str(scenario_toml).ok()?;
    let mut out = Vec::new();
    for e in v.village.iter().filter(|e| e.poor) {
        let n = u32::try_from(e.count).ok()?;
        out.extend((0..n).map(|k| crate::scenario::validate::village_name(&e.name, n, k)));
    }
    Some(out)
}

/// Sums over the followed villages of one strategy, replicate and year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    persons: f64,
    poor: f64,
    exited: f64,
}

/// `groups.csv`'s village rows, read for the followed villages.
#[derive(Debug, Clone, Default)]
pub struct VillageResults {
    /// Whether the followed villages are the designated poor ones (else all).
    pub designated: bool,
    /// The followed villages, in the file's order.
    pub villages: Vec<String>,
    sums: BTreeMap<(String, u32, i32), Sums>,
    /// Per (village, strategy, replicate): the first year it is exited, if ever
    /// (kept for at most [`MAX_TABLE_VILLAGES`] villages).
    first_exit: HashMap<(usize, String, u32), Option<i32>>,
    /// Per village: persons and poor persons in the start year, summed over the
    /// replicates of the first strategy read.
    start: Vec<(f64, f64)>,
    replicates: BTreeMap<String, BTreeSet<u32>>,
}

/// One row of the exit table: a village, its incidence in the start year (%, mean
/// over replicates) and, per strategy, the year by which it has exited in at least
/// half of the replicates (`None`: not by the final year).
#[derive(Debug, Clone, PartialEq)]
pub struct VillageRow {
    pub name: String,
    pub start_incidence: f64,
    pub exit: Vec<Option<i32>>,
}

impl VillageResults {
    /// Read the village rows of `groups.csv`; `poor` names the designated poor
    /// villages (`None` or empty: follow every village). `start_year` is the run's
    /// baseline year.
    pub fn from_csv(bytes: &[u8], poor: Option<&[String]>, start_year: i32) -> Result<VillageResults, OutputError> {
        let poor: Option<BTreeSet<&str>> = poor
            .filter(|p| !p.is_empty())
            .map(|p| p.iter().map(String::as_str).collect());
        let mut out = VillageResults {
            designated: poor.is_some(),
            ..VillageResults::default()
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut first_strategy: Option<String> = None;
        super::gains::read_groups(bytes, |row| {
            let name = row.group();
            if row.breakdown() != "village" || poor.as_ref().is_some_and(|p| !p.contains(name)) {
                return Ok(());
            }
            let (replicate, year) = (row.replicate, row.year);
            let (persons, poor_persons, exited) = (row.number(5)?, row.number(6)?, row.number(9)?);
            let strategy = row.strategy().to_string();
            let v = match index.get(name) {
                Some(&v) => v,
                None => {
                    let v = out.villages.len();
                    index.insert(name.to_string(), v);
                    out.villages.push(name.to_string());
                    out.start.push((0.0, 0.0));
                    v
                }
            };
            let s = out.sums.entry((strategy.clone(), replicate, year)).or_default();
            s.persons += persons;
            s.poor += poor_persons;
            s.exited += if exited > 0.0 { 1.0 } else { 0.0 };
            out.replicates.entry(strategy.clone()).or_default().insert(replicate);
            let first = first_strategy.get_or_insert_with(|| strategy.clone());
            if year == start_year && *first == strategy {
                out.start[v].0 += persons;
                out.start[v].1 += poor_persons;
            }
            if v < MAX_TABLE_VILLAGES {
                let e = out.first_exit.entry((v, strategy, replicate)).or_insert(None);
                if exited > 0.0 && e.is_none_or(|y| year < y) {
                    *e = Some(year);
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// A strategy's values of `f` (over the followed villages' sums) in `year`,
    /// one per replicate.
    fn values(&self, strategy: &str, year: i32, f: impl Fn(&Sums) -> f64) -> Vec<f64> {
        self.replicates
            .get(strategy)
            .into_iter()
            .flatten()
            .filter_map(|&r| self.sums.get(&(strategy.to_string(), r, year)).map(&f))
            .collect()
    }

    /// Per strategy, the share (%) of the followed villages exited in `year`.
    pub fn exited_share(&self, strategy: &str, year: i32) -> Summary {
        let n = self.villages.len().max(1) as f64;
        Summary::of(&self.values(strategy, year, |s| 100.0 * s.exited / n))
    }

    /// Per strategy, the incidence (% of persons) in the followed villages in `year`.
    pub fn incidence(&self, strategy: &str, year: i32) -> Summary {
        Summary::of(&self.values(strategy, year, |s| {
            if s.persons > 0.0 {
                100.0 * s.poor / s.persons
            } else {
                f64::NAN
            }
        }))
    }

    /// The exit table: each followed village with the year by which it has exited
    /// in at least half of the replicates under each strategy, the villages the
    /// baseline leaves longest first (then the poorest at the start). Empty above
    /// [`MAX_TABLE_VILLAGES`] villages.
    pub fn exit_table(&self, strategies: &[String], base: usize) -> Vec<VillageRow> {
        if self.villages.len() > MAX_TABLE_VILLAGES {
            return Vec::new();
        }
        let mut rows: Vec<VillageRow> = self
            .villages
            .iter()
            .enumerate()
            .map(|(v, name)| VillageRow {
                name: name.clone(),
                start_incidence: if self.start[v].0 > 0.0 {
                    100.0 * self.start[v].1 / self.start[v].0
                } else {
                    f64::NAN
                },
                exit: strategies.iter().map(|s| self.median_exit(v, s)).collect(),
            })
            .collect();
        // Not exited sorts as the latest year.
        let key = |r: &VillageRow| r.exit.get(base).copied().flatten().unwrap_or(i32::MAX);
        rows.sort_by(|a, b| {
            key(b)
                .cmp(&key(a))
                .then(b.start_incidence.total_cmp(&a.start_incidence))
        });
        rows
    }

    /// The first year by which village `v` has exited in at least half of the
    /// replicates of `strategy`.
    fn median_exit(&self, v: usize, strategy: &str) -> Option<i32> {
        let reps = self.replicates.get(strategy)?;
        let mut years: Vec<Option<i32>> = reps
            .iter()
            .map(|&r| self.first_exit.get(&(v, strategy.to_string(), r)).copied().flatten())
            .collect();
        // Not exited sorts last.
        years.sort_by_key(|y| y.unwrap_or(i32::MAX));
        let half = years.len().div_ceil(2);
        years.get(half.checked_sub(1)?).copied().flatten()
    }
}

/// The village chart: the share of the followed villages exited, and their poverty
/// incidence, by year and strategy (mean line, 5–95% band over replicates).
pub fn villages_figure(
    v: &VillageResults,
    strategies: &[String],
    years: &[i32],
    line_notes: &[String],
    lang: Lang,
    scenario_name: &str,
) -> Option<Figure> {
    if v.villages.is_empty() || years.is_empty() {
        return None;
    }
    let n = v.villages.len();
    let last = *years.last()?;
    let series = |f: &dyn Fn(&str, i32) -> Summary| -> Vec<Series> {
        strategies
            .iter()
            .enumerate()
            .map(|(s, name)| Series {
                strategy: s,
                points: years.iter().map(|&y| (y, f(name, y))).collect(),
                dashed: false,
            })
            .collect()
    };
    let (exited_title, incidence_title, which) = match (lang, v.designated) {
        (Lang::En, true) => (
            "Poor villages exited".to_string(),
            "Poverty incidence in the poor villages".to_string(),
            format!("the {n} designated poor villages"),
        ),
        (Lang::En, false) => (
            "Villages exited".to_string(),
            "Poverty incidence in the villages".to_string(),
            format!("all {n} villages (the scenario designates no poor village)"),
        ),
        (Lang::Zh, true) => (
            "已退出的贫困村".to_string(),
            "贫困村的贫困发生率".to_string(),
            format!("{n} 个贫困村"),
        ),
        (Lang::Zh, false) => (
            "已退出的村".to_string(),
            "各村的贫困发生率".to_string(),
            format!("全部 {n} 个村（情景未指定贫困村）"),
        ),
    };
    let panels = vec![
        Panel {
            legend: Vec::new(),
            x_scale: None,
            title: exited_title.clone(),
            y_label: match lang {
                Lang::En => format!("Exited (% of {n} villages)"),
                Lang::Zh => format!("已退出（占 {n} 个村的 %）"),
            },
            series: series(&|s, y| v.exited_share(s, y)),
        },
        Panel {
            legend: Vec::new(),
            x_scale: None,
            title: incidence_title,
            y_label: lang.tr("Persons below the poverty line (%)", "贫困人口占比（%）"),
            series: series(&|s, y| v.incidence(s, y)),
        },
    ];
    // Most villages exited first.
    let mut ranked: Vec<(usize, f64)> = strategies
        .iter()
        .enumerate()
        .map(|(s, name)| (s, v.exited_share(name, last).mean))
        .collect();
    ranked.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
        (false, false) => b.1.total_cmp(&a.1),
        (x, y) => x.cmp(&y),
    });
    let legend: Vec<LegendEntry> = ranked
        .into_iter()
        .map(|(s, share)| LegendEntry {
            strategy: s,
            name: strategies[s].clone(),
            value: if share.is_finite() {
                let count = share / 100.0 * n as f64;
                match lang {
                    Lang::En => format!("{count:.1} of {n} exited"),
                    Lang::Zh => format!("{n} 个中 {count:.1} 个已退出"),
                }
            } else {
                "–".into()
            },
        })
        .collect();
    let reps = v.replicates.values().map(BTreeSet::len).max().unwrap_or(0);
    let mut notes = vec![
        match lang {
            Lang::En => format!("Line: mean of {reps} replicates. Band: 5–95% of replicates."),
            Lang::Zh => format!("实线：{reps} 次重复模拟的均值；色带：5%–95% 区间。"),
        },
        lang.tr(
            "A village exits once its official incidence falls below the exit threshold; an exit is for good.",
            "村的建档贫困发生率降到退出标准以下即退出，退出后不再回退。",
        ),
    ];
    notes.extend(line_notes.iter().cloned());
    notes.extend(super::figures::overlap_notes(&legend, lang));
    Some(Figure {
        stem: "villages",
        caption: match lang {
            Lang::En => format!(
                "When the villages exit: for {which}, the share exited and their poverty incidence, by year and strategy. \
                 The table below gives each village's exit year under each strategy; groups.csv has every village, year and replicate."
            ),
            Lang::Zh => format!(
                "各村何时退出：{which}中已退出的比例及其贫困发生率，按年份与策略。下表给出各村在各策略下的退出年份；groups.csv 含每个村、每年、每次重复。"
            ),
        },
        title: match lang {
            Lang::En => format!("{exited_title} by strategy"),
            Lang::Zh => format!("各策略下{exited_title}"),
        },
        subtitle: lang.scenario_subtitle(scenario_name),
        x_label: lang.tr("Year", "年份"),
        panels,
        legend_title: match lang {
            Lang::En => format!("{exited_title}, {last} (most first):"),
            Lang::Zh => format!("{exited_title}，{last}年，从多到少："),
        },
        legend,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "strategy,replicate,year,breakdown,group,persons,poor,registered,income_pc,exited\n";

    /// Two poor villages (p1, p2) and one other (rich), two strategies, two
    /// replicates, 2016-2018. Under "base" p1 exits in 2018 in replicate 0 only;
    /// under "good" p1 exits in 2017 in both and p2 in 2018 in replicate 1 only.
    fn csv() -> String {
        let mut t = String::from(HEADER);
        let exit = |s: &str, v: &str, rep: u32, y: i32| -> bool {
            match (s, v) {
                ("base", "p1") => rep == 0 && y >= 2018,
                ("good", "p1") => y >= 2017,
                ("good", "p2") => rep == 1 && y >= 2018,
                (_, "rich") => y >= 2017,
                _ => false,
            }
        };
        for s in ["base", "good"] {
            for rep in 0..2 {
                for y in 2016..=2018 {
                    t.push_str(&format!("{s},{rep},{y},cause,illness,10,5,5,100,NA\n"));
                    for (v, poor) in [("p1", 40), ("p2", 30), ("rich", 5)] {
                        let poor = if y == 2016 || s == "base" { poor } else { poor / 2 };
                        let e = u8::from(exit(s, v, rep, y));
                        t.push_str(&format!("{s},{rep},{y},village,{v},100,{poor},0,100,{e}\n"));
                    }
                }
            }
        }
        t
    }

    #[test]
    fn poor_villages_are_read_from_the_scenario_numbered_as_it_numbers_them() {
        let text = "[[village]]\nname = \"a\"\ncount = 2\nhouseholds = 5\npoor = true\n\
                    [[village]]\nname = \"b\"\nhouseholds = 5\n\
                    [[village]]\nname = \"c\"\nhouseholds = 5\npoor = true\n";
        assert_eq!(poor_villages(text).unwrap(), ["a 1", "a 2", "c"]);
        assert_eq!(
            poor_villages("[[village]]\nname = \"x\"\nhouseholds = 1\n").unwrap(),
            Vec::<String>::new()
        );
        assert!(poor_villages("village = 3").is_none());
    }

    #[test]
    fn the_designated_villages_are_followed_and_their_exits_dated() {
        let poor = ["p1".to_string(), "p2".to_string()];
        let v = VillageResults::from_csv(csv().as_bytes(), Some(&poor), 2016).unwrap();
        assert!(v.designated);
        assert_eq!(v.villages, ["p1", "p2"]);
        // Good, 2018: 1 of 2 exited in replicate 0, 2 of 2 in replicate 1.
        let s = v.exited_share("good", 2018);
        assert!((s.mean - 75.0).abs() < 1e-9 && s.p05 >= 50.0 && s.p95 <= 100.0);
        assert_eq!(v.exited_share("base", 2017).mean, 0.0);
        // Incidence over the poor villages only: 70 of 200 at the start, 35 under good in 2018.
        assert!((v.incidence("base", 2016).mean - 35.0).abs() < 1e-9);
        assert!((v.incidence("good", 2018).mean - 17.5).abs() < 1e-9);
        let names = ["base".to_string(), "good".to_string()];
        let rows = v.exit_table(&names, 0);
        // Under base p2 never exits: listed first. p1 exits in 2018 in 1 of 2
        // replicates under base (half: 2018); under good p2 in 1 of 2 (2018).
        assert_eq!(rows[0].name, "p2");
        assert_eq!(rows[0].exit, [None, Some(2018)]);
        assert_eq!(rows[1].exit, [Some(2018), Some(2017)]);
        assert!((rows[1].start_incidence - 40.0).abs() < 1e-9);
        // Without designation, every village is followed.
        let all = VillageResults::from_csv(csv().as_bytes(), None, 2016).unwrap();
        assert!(!all.designated && all.villages.len() == 3);
        let f = villages_figure(&v, &names, &[2016, 2017, 2018], &[], Lang::En, "t").unwrap();
        assert_eq!(f.legend[0].name, "good");
        assert_eq!(f.legend[0].value, "1.5 of 2 exited");
        assert_eq!(f.panels.len(), 2);
    }

    #[test]
    fn a_damaged_village_row_names_its_line() {
        let text = format!("{HEADER}a,0,2016,village,v,x,1,0,1,0\n");
        let e = VillageResults::from_csv(text.as_bytes(), None, 2016).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
