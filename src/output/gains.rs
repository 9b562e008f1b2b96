//! Who gains: `groups.csv` (the engine's year-end sums over the baseline's groups of
//! households, [`crate::engine::groups`]) and the analyses drawn from it — each
//! strategy's impact against the baseline within each cause of poverty and each
//! baseline income decile, paired over replicates like the county's impacts.
//!
//! The report is drawn from the file, not the engine's records, so `sandan report`
//! redraws the same charts; a run without the file (an older version) has none.

use super::OutputError;
use super::fonts::Lang;
use super::plot::{Figure, LegendEntry, Panel, Series, XScale};
use crate::engine::RunRecord;
use crate::engine::groups::{Breakdown, CAUSES};
use crate::metrics::Summary;
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// The file the groups are written to, beside `trajectories.csv`.
pub const FILE: &str = "groups.csv";

const HEADER: &str = "strategy,replicate,year,breakdown,group,persons,poor,registered,income_pc,exited\n";

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "NA".to_string()
    }
}

/// `groups.csv`: one row per strategy × replicate × year × group: `breakdown`
/// (`cause`, `decile`, `village`), `group` (the cause's name, the decile 1–10, the
/// village's name), `persons`, `poor` (persons below the line), `registered`
/// (persons registered, not exited), `income_pc` (mean per-capita net income over
/// the group's persons) and `exited` (villages: 1 once exited; else `NA`).
pub fn groups_csv(scenario: &Scenario, records: &[RunRecord]) -> Vec<u8> {
    let villages = &scenario.strategies[0].model.villages;
    let mut out = String::from(HEADER);
    for r in records {
        let name = super::impacts::csv_field(&scenario.strategies[r.strategy].name);
        for g in &r.groups {
            let group = match g.breakdown {
                Breakdown::Cause => CAUSES.get(g.group as usize).copied().unwrap_or("other").to_string(),
                Breakdown::Decile => g.group.to_string(),
                Breakdown::Village => villages
                    .get(g.group as usize)
                    .map_or_else(|| g.group.to_string(), |v| super::impacts::csv_field(&v.name)),
            };
            let pc = if g.persons > 0.0 {
                g.income / g.persons
            } else {
                f64::NAN
            };
            out.push_str(&format!(
                "{name},{},{},{},{group},{},{},{},{},{}\n",
                r.replicate,
                g.year,
                g.breakdown.name(),
                g.persons,
                g.poor,
                g.registered,
                num(pc),
                num(g.exited)
            ));
        }
    }
    out.into_bytes()
}

/// One group's row: persons, poor persons and mean income, per strategy,
/// replicate and year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub persons: f64,
    pub poor: f64,
    pub income_pc: f64,
}

/// One group's cells, keyed by (strategy, replicate, year).
type GroupCells = BTreeMap<(String, u32, i32), Cell>;

/// `groups.csv` read back: `cells[(breakdown, group)][(strategy, replicate, year)]`.
#[derive(Debug, Clone, Default)]
pub struct GroupResults {
    cells: BTreeMap<(String, String), GroupCells>,
}

/// One row of `groups.csv` read back; its numbers are parsed on demand, and a
/// field that is not one is an error naming the line.
pub(super) struct GroupRow<'a> {
    line: usize,
    rec: &'a csv::StringRecord,
    pub replicate: u32,
    pub year: i32,
}

impl GroupRow<'_> {
    pub fn strategy(&self) -> &str {
        self.field(0)
    }

    pub fn breakdown(&self) -> &str {
        self.field(3)
    }

    pub fn group(&self) -> &str {
        self.field(4)
    }

    fn field(&self, k: usize) -> &str {
        self.rec.get(k).unwrap_or_default()
    }

    /// The number in column `k` (`NA`: not a number).
    pub fn number(&self, k: usize) -> Result<f64, OutputError> {
        match self.field(k) {
            "NA" => Ok(f64::NAN),
            t => t
                .parse()
                .map_err(|_| bad_groups(format!("line {}: {t:?} is not a number", self.line))),
        }
    }
}

fn bad_groups(message: String) -> OutputError {
    OutputError::Input {
        path: FILE.into(),
        message,
    }
}

/// Check the header of `groups.csv` and hand each row to `each`, in file order; a
/// damaged file is an error naming the line.
pub(super) fn read_groups(
    bytes: &[u8],
    mut each: impl FnMut(&GroupRow) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header = reader.headers().map_err(|e| bad_groups(e.to_string()))?.clone();
    if header.iter().collect::<Vec<_>>().join(",") + "\n" != HEADER {
        return Err(bad_groups(format!("the header must be {}", HEADER.trim_end())));
    }
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| bad_groups(format!("line {line}: {e}")))?;
        let field = |k: usize| rec.get(k).unwrap_or_default();
        let not_whole = |what: &str| bad_groups(format!("line {line}: {what} is not a whole number"));
        let replicate = field(1).parse().map_err(|_| not_whole("replicate"))?;
        let year = field(2).parse().map_err(|_| not_whole("year"))?;
        each(&GroupRow {
            line,
            rec: &rec,
            replicate,
            year,
        })?;
    }
    Ok(())
}

impl GroupResults {
    /// Parse `groups.csv`; a damaged file is an error naming the line.
    pub fn from_csv(bytes: &[u8]) -> Result<GroupResults, OutputError> {
        let mut out = GroupResults::default();
        read_groups(bytes, |row| {
            // Villages are written for analysis elsewhere, not drawn: not kept, so
            // the report's memory does not grow with the number of villages.
            if row.breakdown() == "village" {
                return Ok(());
            }
            let cell = Cell {
                persons: row.number(5)?,
                poor: row.number(6)?,
                income_pc: row.number(8)?,
            };
            out.cells
                .entry((row.breakdown().to_string(), row.group().to_string()))
                .or_default()
                .insert((row.strategy().to_string(), row.replicate, row.year), cell);
            Ok(())
        })?;
        Ok(out)
    }

    fn cell(&self, breakdown: &str, group: &str, strategy: &str, replicate: u32, year: i32) -> Option<&Cell> {
        self.cells
            .get(&(breakdown.to_string(), group.to_string()))?
            .get(&(strategy.to_string(), replicate, year))
    }

    /// The replicates of `strategy` in a group, ascending.
    fn replicates(&self, breakdown: &str, group: &str, strategy: &str) -> Vec<u32> {
        let mut r: Vec<u32> = self
            .cells
            .get(&(breakdown.to_string(), group.to_string()))
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| k.0 == strategy)
            .map(|k| k.1)
            .collect();
        r.dedup();
        r
    }

    /// The paired differences (strategy − baseline) of a group's measure in `year`,
    /// over the replicates both have: incidence in points (`income` false) or mean
    /// income in percent of the baseline's (`income` true).
    pub fn paired(
        &self,
        breakdown: &str,
        group: &str,
        strategy: &str,
        base: &str,
        year: i32,
        income: bool,
    ) -> Vec<f64> {
        self.replicates(breakdown, group, strategy)
            .into_iter()
            .filter_map(|rep| {
                let a = self.cell(breakdown, group, strategy, rep, year)?;
                let b = self.cell(breakdown, group, base, rep, year)?;
                if income {
                    (b.income_pc > 0.0).then(|| 100.0 * (a.income_pc / b.income_pc - 1.0))
                } else {
                    (a.persons > 0.0 && b.persons > 0.0).then(|| 100.0 * (a.poor / a.persons - b.poor / b.persons))
                }
            })
            .collect()
    }

    /// Whether the file has any row of `breakdown`.
    pub fn has(&self, breakdown: &str) -> bool {
        self.cells.keys().any(|k| k.0 == breakdown)
    }
}

/// The file of winners and losers, beside `groups.csv`.
pub const WINNERS_FILE: &str = "winners.csv";

pub use crate::engine::groups::{BANDS, band};

const WINNERS_HEADER: &str = "strategy,baseline,band,households,persons,share_persons,share_p05,share_p95,replicates\n";

/// `winners.csv`: for every ordered pair of strategies, the final year, each
/// household against its twin in the same replicate, over the replicates: per band,
/// `households` and `persons` (means over replicates), `share_persons` (the mean
/// share of persons), `share_p05`, `share_p95` (5% and 95% of the share over
/// replicates) and `replicates`. Every pair, so that `sandan report --baseline` can
/// pick any baseline.
pub fn winners_csv(names: &[String], records: &[RunRecord]) -> Option<Vec<u8>> {
    let strategies = names.len();
    if strategies < 2 || records.iter().all(|r| r.against.is_empty()) {
        return None;
    }
    let mut out = String::from(WINNERS_HEADER);
    for a in 0..strategies {
        for b in (0..strategies).filter(|&b| b != a) {
            let pairs: Vec<_> = records
                .iter()
                .filter(|r| r.strategy == a)
                .filter_map(|r| r.against.get(b))
                .collect();
            if pairs.is_empty() {
                continue;
            }
            let n = pairs.len() as f64;
            for (k, name) in BANDS.iter().enumerate() {
                let shares: Vec<f64> = pairs
                    .iter()
                    .map(|p| p.persons[k] as f64 / p.persons.iter().sum::<u64>().max(1) as f64)
                    .collect();
                let share = Summary::of(&shares);
                let households = pairs.iter().map(|p| p.households[k] as f64).sum::<f64>() / n;
                let persons = pairs.iter().map(|p| p.persons[k] as f64).sum::<f64>() / n;
                out.push_str(&format!(
                    "{},{},{name},{households},{persons},{},{},{},{}\n",
                    super::impacts::csv_field(&names[a]),
                    super::impacts::csv_field(&names[b]),
                    share.mean,
                    share.p05,
                    share.p95,
                    pairs.len()
                ));
            }
        }
    }
    Some(out.into_bytes())
}

/// A band's share of persons: the mean over replicates and its 5–95% interval
/// (NaN for a file of an older run, which compared replicate 0 only).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BandShare {
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
}

/// One strategy's bands against the baseline, in [`BANDS`] order, and the
/// replicates compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Winners {
    pub strategy: String,
    pub shares: [BandShare; 5],
    pub replicates: u32,
}

/// `winners.csv` read back for one baseline: per strategy, the share of persons in
/// each band. Reads the six columns of older runs (replicate 0 only) too.
pub fn winners_against(bytes: &[u8], base: &str) -> Result<Vec<Winners>, OutputError> {
    let bad = |message: String| OutputError::Input {
        path: WINNERS_FILE.into(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let mut out: Vec<Winners> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| bad(format!("line {line}: {e}")))?;
        let field = |k: usize| rec.get(k).unwrap_or_default();
        if field(1) != base {
            continue;
        }
        let k = BANDS.iter().position(|b| *b == field(2)).ok_or_else(|| {
            bad(format!(
                "line {line}: band {:?} is not one of {}",
                field(2),
                BANDS.join(", ")
            ))
        })?;
        let number = |k: usize, name: &str| -> Result<f64, OutputError> {
            match rec.get(k) {
                None | Some("NA") => Ok(f64::NAN),
                Some(t) => t
                    .parse()
                    .map_err(|_| bad(format!("line {line}: {name} {t:?} is not a number"))),
            }
        };
        let share = BandShare {
            mean: number(5, "share_persons")?,
            p05: number(6, "share_p05")?,
            p95: number(7, "share_p95")?,
        };
        let replicates = match rec.get(8) {
            None => 1,
            Some(t) => t
                .parse()
                .map_err(|_| bad(format!("line {line}: replicates {t:?} is not a whole number")))?,
        };
        match out.iter_mut().find(|w| w.strategy == field(0)) {
            Some(w) => w.shares[k] = share,
            None => {
                let mut shares = [BandShare::default(); 5];
                shares[k] = share;
                out.push(Winners {
                    strategy: field(0).to_string(),
                    shares,
                    replicates,
                });
            }
        }
    }
    Ok(out)
}

/// Who wins and who loses as a chart: for each band of income change against the
/// twin under the baseline, each strategy's mean share of persons (dot) with its
/// 5–95% range over replicates (whisker).
pub fn winners_figure(
    winners: &[Winners],
    strategies: &[String],
    base: usize,
    year: i32,
    lang: Lang,
    scenario_name: &str,
) -> Option<Figure> {
    if winners.is_empty() {
        return None;
    }
    let base_name = strategies.get(base)?;
    let names: Vec<String> = match lang {
        Lang::En => ["loses > 5%", "loses < 5%", "no change", "gains < 5%", "gains > 5%"],
        Lang::Zh => ["减少 5% 以上", "减少不足 5%", "不变", "增加不足 5%", "增加 5% 以上"],
    }
    .map(String::from)
    .to_vec();
    let index = |w: &Winners| strategies.iter().position(|s| *s == w.strategy);
    let series: Vec<Series> = winners
        .iter()
        .filter_map(|w| {
            let s = index(w)?;
            Some(Series {
                strategy: s,
                points: w
                    .shares
                    .iter()
                    .enumerate()
                    .map(|(k, sh)| {
                        (
                            k as i32,
                            Summary {
                                mean: 100.0 * sh.mean,
                                p05: 100.0 * sh.p05,
                                p50: 100.0 * sh.mean,
                                p95: 100.0 * sh.p95,
                            },
                        )
                    })
                    .collect(),
                dashed: false,
            })
        })
        .collect();
    // Most persons gaining more than 5% first.
    let mut ranked: Vec<&Winners> = winners.iter().filter(|w| index(w).is_some()).collect();
    ranked.sort_by(|a, b| b.shares[4].mean.total_cmp(&a.shares[4].mean));
    let legend: Vec<LegendEntry> = ranked
        .iter()
        .filter_map(|w| {
            Some(LegendEntry {
                strategy: index(w)?,
                name: w.strategy.clone(),
                value: match lang {
                    Lang::En => format!("{:.1}% gain more than 5%", 100.0 * w.shares[4].mean),
                    Lang::Zh => format!("{:.1}% 增加 5% 以上", 100.0 * w.shares[4].mean),
                },
            })
        })
        .collect();
    let replicates = winners.iter().map(|w| w.replicates).max().unwrap_or(0);
    Some(Figure {
        stem: "winners",
        caption: match lang {
            Lang::En => format!(
                "Who wins and who loses: each household against its own twin under {base_name} in the same replicate, \
                 the share of persons whose income per head in {year} is lower or higher, by how much."
            ),
            Lang::Zh => format!(
                "谁受益、谁受损：每户与其在 {base_name} 下同一次重复中的“孪生”户对比，{year} 年人均收入更低或更高的人口占比。"
            ),
        },
        title: match lang {
            Lang::En => format!("Who wins and who loses against {base_name}, {year}"),
            Lang::Zh => format!("相对 {base_name} 谁受益、谁受损，{year} 年"),
        },
        subtitle: lang.scenario_subtitle(scenario_name),
        x_label: lang.tr(
            "Change in the household's income per head against its twin",
            "该户人均收入相对其孪生户的变化",
        ),
        panels: vec![Panel {
            title: lang.tr("Persons by change in income", "按收入变化的人口分布"),
            y_label: lang.tr("Persons (%)", "人口占比（%）"),
            series,
            legend: Vec::new(),
            x_scale: Some(XScale::Categories(names)),
        }],
        legend_title: lang.tr(
            "Most persons gaining more than 5% first:",
            "收入增加 5% 以上的人口，从多到少：",
        ),
        legend,
        notes: vec![match (lang, replicates > 1) {
            (Lang::En, true) => format!("Dot: mean share over {replicates} replicates. Whisker: 5–95% of them."),
            (Lang::Zh, true) => format!("圆点：{replicates} 次重复的平均占比；竖线：其 5%–95% 区间。"),
            (Lang::En, false) => "Dot: the share in replicate 0 (an older run: no interval).".to_string(),
            (Lang::Zh, false) => "圆点：第 0 次重复的占比（旧版运行，无区间）。".to_string(),
        }],
    })
}

/// A legend ranked by the first panel's final values, best (lowest) first.
fn legend(strategies: &[String], base: usize, last: &[(usize, f64)], lang: Lang, unit: &str) -> Vec<LegendEntry> {
    let mut ranked: Vec<(usize, f64)> = last.to_vec();
    ranked.push((base, 0.0));
    ranked.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
        (false, false) => a.1.total_cmp(&b.1),
        (x, y) => x.cmp(&y),
    });
    ranked
        .into_iter()
        .map(|(s, v)| LegendEntry {
            strategy: s,
            name: strategies[s].clone(),
            value: if s == base {
                lang.tr("the baseline (0)", "基准（0）")
            } else if v.is_finite() {
                format!("{v:+.2} {unit}")
            } else {
                "–".to_string()
            },
        })
        .collect()
}

fn zero_series(s: usize, xs: &[i32]) -> Series {
    let z = Summary {
        mean: 0.0,
        p05: 0.0,
        p50: 0.0,
        p95: 0.0,
    };
    Series {
        strategy: s,
        points: xs.iter().map(|&x| (x, z)).collect(),
        dashed: true,
    }
}

/// The impact by cause of poverty: one panel per cause recorded at the baseline
/// (illness, labour short, other, and those not poor at the baseline), each
/// strategy's paired difference in incidence from the baseline by year.
pub fn by_cause_figure(
    g: &GroupResults,
    strategies: &[String],
    years: &[i32],
    base: usize,
    lang: Lang,
    scenario_name: &str,
) -> Option<Figure> {
    if !g.has("cause") || strategies.len() < 2 || years.is_empty() {
        return None;
    }
    let titles = [
        ("illness", lang.tr("Poor by illness at the baseline", "基线因病致贫")),
        (
            "labour_short",
            lang.tr("Poor, labour short of means", "基线缺资金技术（有劳动力）"),
        ),
        ("other", lang.tr("Poor, little or no labour", "基线缺劳动力等其他原因")),
        ("not_poor", lang.tr("Not poor at the baseline", "基线非贫困")),
    ];
    let base_name = &strategies[base];
    let last = *years.last()?;
    let mut finals = Vec::new();
    let panels: Vec<Panel> = titles
        .iter()
        .map(|(group, title)| Panel {
            legend: Vec::new(),
            x_scale: None,
            title: title.clone(),
            y_label: lang.tr("Difference (percentage points)", "差异（百分点）"),
            series: (0..strategies.len())
                .map(|s| {
                    if s == base {
                        return zero_series(s, years);
                    }
                    let points: Vec<(i32, Summary)> = years
                        .iter()
                        .map(|&y| {
                            (
                                y,
                                Summary::of(&g.paired("cause", group, &strategies[s], base_name, y, false)),
                            )
                        })
                        .collect();
                    finals.push((
                        *group,
                        s,
                        points.iter().find(|p| p.0 == last).map_or(f64::NAN, |p| p.1.mean),
                    ));
                    Series {
                        strategy: s,
                        points,
                        dashed: false,
                    }
                })
                .collect(),
        })
        .collect();
    // The legend ranks by the cause whose group the strategies change most apart
    // (a group every strategy leaves alike ranks nothing).
    let spread = |group: &str| {
        let v: Vec<f64> = finals
            .iter()
            .filter(|f| f.0 == group && f.2.is_finite())
            .map(|f| f.2)
            .collect();
        v.iter().copied().fold(0.0f64, f64::max) - v.iter().copied().fold(0.0f64, f64::min)
    };
    let (ranked_by, ranked_title) = titles
        .iter()
        .max_by(|a, b| spread(a.0).total_cmp(&spread(b.0)))
        .map(|(g, t)| (*g, t.clone()))?;
    let finals: Vec<(usize, f64)> = finals.iter().filter(|f| f.0 == ranked_by).map(|f| (f.1, f.2)).collect();
    let unit = lang.tr("points", "个百分点");
    Some(Figure {
        stem: "by_cause",
        caption: match lang {
            Lang::En => format!(
                "Who gains, by the cause of poverty recorded at the baseline: each strategy's paired difference from \
                 {base_name} in the incidence of the group's persons (the same households in every strategy). Lower is better. \
                 groups.csv has the sums by cause, income decile and village."
            ),
            Lang::Zh => format!(
                "谁受益（按基线记录的致贫原因）：各策略与 {base_name} 在该组人口贫困发生率上的配对差异（各策略为同一批户）。越低越好。\
                 groups.csv 含按致贫原因、收入十分位和村的汇总。"
            ),
        },
        title: match lang {
            Lang::En => format!("Impact by cause of poverty, against {base_name}"),
            Lang::Zh => format!("按致贫原因的影响，相对 {base_name}"),
        },
        subtitle: lang.scenario_subtitle(scenario_name),
        x_label: lang.tr("Year", "年份"),
        panels,
        legend_title: match lang {
            Lang::En => format!("{ranked_title}: change in incidence, {last} (best first):"),
            Lang::Zh => format!("{ranked_title}：贫困发生率变化，{last}年，最好的在前："),
        },
        legend: legend(strategies, base, &finals, lang, &unit),
        notes: vec![lang.tr(
            "Line: mean of the paired differences over replicates. Band: 5–95% of them. \
             A panel flat at zero: the strategies do not differ for that group.",
            "实线：各次重复配对差异的均值；色带：其 5%–95% 区间。某图一直为零：各策略对该组无差别。",
        )],
    })
}

/// The impact by baseline income decile in the final year: the change in
/// incidence (points) and in mean income (% of the baseline's) of each tenth of
/// households, poorest first.
pub fn by_decile_figure(
    g: &GroupResults,
    strategies: &[String],
    years: &[i32],
    base: usize,
    lang: Lang,
    scenario_name: &str,
) -> Option<Figure> {
    if !g.has("decile") || strategies.len() < 2 {
        return None;
    }
    let last = *years.last()?;
    let deciles: Vec<i32> = (1..=10).collect();
    let base_name = &strategies[base];
    let mut finals = Vec::new();
    let panel = |income: bool, title: String, y_label: String, finals: &mut Vec<(usize, f64)>| Panel {
        legend: Vec::new(),
        x_scale: None,
        title,
        y_label,
        series: (0..strategies.len())
            .map(|s| {
                if s == base {
                    return zero_series(s, &deciles);
                }
                let points: Vec<(i32, Summary)> = deciles
                    .iter()
                    .map(|&d| {
                        let diffs = g.paired("decile", &d.to_string(), &strategies[s], base_name, last, income);
                        (d, Summary::of(&diffs))
                    })
                    .collect();
                if income {
                    finals.push((s, points[0].1.mean));
                }
                Series {
                    strategy: s,
                    points,
                    dashed: false,
                }
            })
            .collect(),
    };
    let panels = vec![
        panel(
            false,
            lang.tr("Change in incidence", "贫困发生率变化"),
            lang.tr("Difference (percentage points)", "差异（百分点）"),
            &mut Vec::new(),
        ),
        panel(
            true,
            lang.tr("Change in mean income", "平均收入变化"),
            lang.tr("Difference (% of the baseline's)", "差异（占基准的 %）"),
            &mut finals,
        ),
    ];
    // The legend ranks by the poorest tenth's income gain, highest first.
    let mut legend = legend(
        strategies,
        base,
        &finals.iter().map(|&(s, v)| (s, -v)).collect::<Vec<_>>(),
        lang,
        "",
    );
    for e in &mut legend {
        if let Some(&(_, v)) = finals.iter().find(|f| f.0 == e.strategy) {
            e.value = if v.is_finite() {
                format!("{v:+.1}%")
            } else {
                "–".into()
            };
        }
    }
    Some(Figure {
        stem: "by_decile",
        caption: match lang {
            Lang::En => format!(
                "Who gains, by tenth of households ranked by baseline income per person (1 = poorest): in {last}, each \
                 strategy's paired difference from {base_name} in the tenth's poverty incidence and in its mean income."
            ),
            Lang::Zh => format!(
                "谁受益（按基线人均收入将农户分为十等份，1 = 最穷）：{last} 年各策略与 {base_name} 在该组贫困发生率与平均收入上的配对差异。"
            ),
        },
        title: match lang {
            Lang::En => format!("Impact by baseline income decile, {last}, against {base_name}"),
            Lang::Zh => format!("按基线收入十分位的影响，{last} 年，相对 {base_name}"),
        },
        subtitle: lang.scenario_subtitle(scenario_name),
        x_label: lang.tr(
            "Baseline income decile (1 = poorest tenth)",
            "基线收入十分位（1 = 最穷的十分之一）",
        ),
        panels,
        legend_title: lang.tr(
            "Poorest tenth: change in mean income (highest first):",
            "最穷十分之一：平均收入变化（从高到低）：",
        ),
        legend,
        notes: vec![lang.tr(
            "Line: mean of the paired differences over replicates. Band: 5–95% of them. \
             Here the x axis is the decile, not the year.",
            "实线：各次重复配对差异的均值；色带：其 5%–95% 区间。横轴为收入十分位，不是年份。",
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> GroupResults {
        let mut text = String::from(HEADER);
        // Two replicates; "good" lowers the poorest decile's poor by 10 of 100
        // persons in one and 20 in the other, and raises its income 10% and 30%.
        for (s, rep, poor, income) in [
            ("base", 0, 50, 1000.0),
            ("base", 1, 60, 1000.0),
            ("good", 0, 40, 1100.0),
            ("good", 1, 40, 1300.0),
        ] {
            for y in [2016, 2017] {
                let (poor, income) = if y == 2016 { (50, 1000.0) } else { (poor, income) };
                text.push_str(&format!("{s},{rep},{y},decile,1,100,{poor},0,{income},NA\n"));
                text.push_str(&format!("{s},{rep},{y},cause,illness,100,{poor},0,{income},NA\n"));
            }
        }
        GroupResults::from_csv(text.as_bytes()).unwrap()
    }

    #[test]
    fn group_impacts_are_paired_within_replicates() {
        let g = groups();
        let d = g.paired("decile", "1", "good", "base", 2017, false);
        assert!((d[0] + 10.0).abs() < 1e-9 && (d[1] + 20.0).abs() < 1e-9, "{d:?}");
        let income = g.paired("decile", "1", "good", "base", 2017, true);
        assert!((income[0] - 10.0).abs() < 1e-9 && (income[1] - 30.0).abs() < 1e-9);
        assert_eq!(g.paired("decile", "1", "base", "base", 2017, false), [0.0, 0.0]);
        let names = ["base".to_string(), "good".to_string()];
        let f = by_decile_figure(&g, &names, &[2016, 2017], 0, Lang::En, "t").unwrap();
        assert_eq!(f.legend[0].name, "good");
        assert_eq!(f.legend[0].value, "+20.0%");
        let f = by_cause_figure(&g, &names, &[2016, 2017], 0, Lang::En, "t").unwrap();
        assert!((f.panels[0].series[1].points[1].1.mean + 15.0).abs() < 1e-9);
    }

    #[test]
    fn each_household_is_banded_against_its_twin() {
        assert_eq!(band(100.0, 100.0), 2);
        assert_eq!(band(94.0, 100.0), 0);
        assert_eq!(band(96.0, 100.0), 1);
        assert_eq!(band(104.0, 100.0), 3);
        assert_eq!(band(106.0, 100.0), 4);
        // Against a negative income, the change is relative to its size.
        assert_eq!(band(-90.0, -100.0), 4);
        assert_eq!(band(1.0, 0.0), 4);
        // An older run's six columns (replicate 0) still read, without an interval.
        let text = "strategy,baseline,band,households,persons,share_persons\n\
                    a,b,gains_more_than_5pct,1,3,0.75\na,b,no_change,1,1,0.25\nb,a,loses_more_than_5pct,1,3,0.75\n";
        let w = winners_against(text.as_bytes(), "b").unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].strategy.as_str(), w[0].replicates), ("a", 1));
        let means: Vec<f64> = w[0].shares.iter().map(|s| s.mean).collect();
        assert_eq!(means, [0.0, 0.0, 0.25, 0.0, 0.75]);
        assert!(w[0].shares[4].p05.is_nan());
        let e = winners_against(b"s,b,band,h,p,x\na,b,wins,1,1,1\n", "b").unwrap_err();
        assert!(e.to_string().contains("line 2: band \"wins\""), "{e}");
    }

    fn record(strategy: usize, replicate: u32, against: Vec<crate::engine::groups::Bands>) -> RunRecord {
        RunRecord {
            strategy,
            replicate,
            years: Vec::new(),
            groups: Vec::new(),
            against,
        }
    }

    /// Issue 13: winners and losers over every replicate, each replicate's
    /// households against their own twins: the mean share and its interval.
    #[test]
    fn winners_are_counted_in_every_replicate() {
        use crate::engine::groups::twin_bands;
        // Four households of 1, 2, 3 and 4 persons. In replicate 0 the "good"
        // strategy raises the two largest more than 5% (70% of persons gain); in
        // replicate 1 only the largest (40%); the others keep the same income.
        let sizes = [1, 2, 3, 4];
        let base = [100.0, 100.0, 100.0, 100.0];
        let good0 = [100.0, 100.0, 120.0, 120.0];
        let good1 = [100.0, 100.0, 100.0, 103.0];
        let bands = |a: &[f32], b: &[f32]| twin_bands(&sizes, a, b);
        let records = vec![
            record(0, 0, vec![bands(&base, &base), bands(&base, &good0)]),
            record(0, 1, vec![bands(&base, &base), bands(&base, &good1)]),
            record(1, 0, vec![bands(&good0, &base), bands(&good0, &good0)]),
            record(1, 1, vec![bands(&good1, &base), bands(&good1, &good1)]),
        ];
        let names = ["base".to_string(), "good".to_string()];
        let csv = winners_csv(&names, &records).unwrap();
        let w = winners_against(&csv, "base").unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].strategy.as_str(), w[0].replicates), ("good", 2));
        let [_, _, same, small, large] = w[0].shares;
        // Gains more than 5%: 0.7 and 0 of persons; less than 5%: 0 and 0.4.
        assert!((large.mean - 0.35).abs() < 1e-12 && large.p05 >= 0.0 && large.p95 <= 0.7 && large.p95 > large.p05);
        assert!((small.mean - 0.2).abs() < 1e-12);
        assert!((same.mean - 0.45).abs() < 1e-12);
        // Against good, base loses: the mirror image.
        let back = winners_against(&csv, "good").unwrap();
        assert!((back[0].shares[0].mean - 0.35).abs() < 1e-12);
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with(WINNERS_HEADER), "{text}");
        assert!(text.contains("good,base,gains_more_than_5pct,1,3.5,0.35,"), "{text}");
        let f = winners_figure(&w, &names, 0, 2020, Lang::En, "t").unwrap();
        assert!(matches!(&f.panels[0].x_scale, Some(XScale::Categories(c)) if c.len() == 5));
        let gains = f.panels[0].series[0].points[4];
        assert_eq!(gains.0, 4);
        assert!((gains.1.mean - 35.0).abs() < 1e-9 && gains.1.p95 > gains.1.p05);
        assert_eq!(f.legend[0].value, "35.0% gain more than 5%");
        // Nothing to compare without twins.
        assert!(winners_csv(&names, &[record(0, 0, Vec::new()), record(1, 0, Vec::new())]).is_none());
    }

    #[test]
    fn a_damaged_groups_file_is_an_input_error() {
        let e = GroupResults::from_csv(b"a,b\n").unwrap_err();
        assert!(e.to_string().starts_with("groups.csv: the header must be"), "{e}");
        let text = format!("{HEADER}s,0,2016,decile,1,x,1,0,1,NA\n");
        let e = GroupResults::from_csv(text.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
