//! Impacts against a baseline strategy: how much better, how surely, at what cost.
//!
//! Every strategy of a replicate faces the same county, weather and prices (common
//! random numbers), so the difference of a strategy and the baseline *within* a
//! replicate is free of the county's luck. Each impact is summarised over those
//! paired differences — mean and 5/50/95% quantiles — with the share of replicates
//! in which the strategy did strictly better. Pure functions of the results table,
//! so `sandan run` and `sandan report` give the same numbers.

use super::fonts::Lang;
use super::plot::group_thousands;
use super::results::{Replicate, RunResults};
use crate::metrics::Summary;

/// The file the impacts are written to, beside `trajectories.csv`.
pub const FILE: &str = "impacts.csv";

/// Which way is better for a metric.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Better {
    Lower,
    Higher,
}

/// The impacts reported: (name in `impacts.csv`, column, scale, better).
/// Incidences are in percentage points; persons and money in their units.
const IMPACTS: [(&str, &str, f64, Better); 8] = [
    ("incidence_points", "incidence", 100.0, Better::Lower),
    ("official_incidence_points", "official_incidence", 100.0, Better::Lower),
    ("deep_incidence_points", "deep_incidence", 100.0, Better::Lower),
    ("fgt1", "fgt1", 1.0, Better::Lower),
    ("fgt2", "fgt2", 1.0, Better::Lower),
    ("persons_exited_total", "persons_exited_total", 1.0, Better::Higher),
    ("reentries_total", "reentries_total", 1.0, Better::Lower),
    ("spending_total", "spending_total", 1.0, Better::Lower),
];

/// One row of `impacts.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Impact {
    pub strategy: usize,
    pub year: i32,
    pub metric: &'static str,
    pub summary: Summary,
    /// Share of paired replicates in which the strategy did strictly better (NaN for
    /// a measure without a direction).
    pub share_better: f64,
}

/// The baseline of a run: the named strategy if given, else `no_program` if the run
/// has it, else the first strategy. A name the run lacks is an error naming the
/// strategies it has.
pub fn baseline(r: &RunResults, name: Option<&str>) -> Result<usize, String> {
    match name {
        Some(n) => r.strategies.iter().position(|s| s == n).ok_or_else(|| {
            format!(
                "no strategy '{n}' to compare against; the run has: {}",
                r.strategies.join(", ")
            )
        }),
        None => Ok(r.strategies.iter().position(|s| s == "no_program").unwrap_or(0)),
    }
}

fn share(flags: impl Iterator<Item = bool>) -> f64 {
    let (n, k) = flags.fold((0usize, 0usize), |(n, k), b| (n + 1, k + usize::from(b)));
    if n == 0 { f64::NAN } else { k as f64 / n as f64 }
}

/// Paired differences of one column, year index `y`, over the shared replicates.
fn differences(pairs: &[(Replicate<'_>, Replicate<'_>)], k: usize, y: usize, scale: f64) -> Vec<f64> {
    pairs.iter().map(|(s, b)| scale * (s[y][k] - b[y][k])).collect()
}

/// Persons out of poverty thanks to the strategy in year index `y` of a replicate
/// pair: the baseline's poor persons less the strategy's.
fn persons_lifted(s: Replicate<'_>, b: Replicate<'_>, y: usize, inc: usize, pop: usize) -> f64 {
    b[y][inc] * b[y][pop] - s[y][inc] * s[y][pop]
}

/// Every strategy's impacts against `base`, for every year after the first; then the
/// incremental cost per additional person out of poverty (`cost_per_person_lifted`:
/// extra spending since the baseline over extra persons out of poverty that year,
/// per replicate; NaN in a replicate with no additional person out, and for the
/// year if any replicate has none, rather than a division by zero or a mean over
/// the lucky ones); then each strategy's probability of having the lowest incidence
/// (`probability_best`: the share of replicates, ties shared).
pub fn impacts(r: &RunResults, base: usize) -> Vec<Impact> {
    let mut out = Vec::new();
    let years = 1..r.years.len();
    for s in (0..r.strategies.len()).filter(|&s| s != base) {
        let pairs = r.paired(s, base);
        for y in years.clone() {
            for &(metric, column, scale, better) in &IMPACTS {
                let Some(k) = r.metric(column) else { continue };
                let d = differences(&pairs, k, y, scale);
                let share_better = share(d.iter().map(|&x| match better {
                    Better::Lower => x < 0.0,
                    Better::Higher => x > 0.0,
                }));
                out.push(Impact {
                    strategy: s,
                    year: r.years[y],
                    metric,
                    summary: Summary::of(&d),
                    share_better,
                });
            }
            if let (Some(inc), Some(pop), Some(spent)) = (
                r.metric("incidence"),
                r.metric("population"),
                r.metric("spending_total"),
            ) {
                let costs: Vec<f64> = pairs
                    .iter()
                    .map(|&(a, b)| {
                        let lifted = persons_lifted(a, b, y, inc, pop);
                        if lifted > 0.0 {
                            (a[y][spent] - b[y][spent]) / lifted
                        } else {
                            f64::NAN
                        }
                    })
                    .collect();
                let summary = if costs.iter().all(|c| c.is_finite()) {
                    Summary::of(&costs)
                } else {
                    Summary::of(&[])
                };
                out.push(Impact {
                    strategy: s,
                    year: r.years[y],
                    metric: "cost_per_person_lifted",
                    summary,
                    share_better: f64::NAN,
                });
            }
        }
    }
    if let Some(inc) = r.metric("incidence") {
        for y in years {
            for (s, p) in probability_best(r, inc, y).into_iter().enumerate() {
                out.push(Impact {
                    strategy: s,
                    year: r.years[y],
                    metric: "probability_best",
                    summary: Summary {
                        mean: p,
                        p05: f64::NAN,
                        p50: f64::NAN,
                        p95: f64::NAN,
                    },
                    share_better: f64::NAN,
                });
            }
        }
    }
    out
}

/// Per strategy, the share of replicates (numbered alike in every strategy) in which
/// its column `k` is the lowest in year index `y`; ties share the replicate.
fn probability_best(r: &RunResults, k: usize, y: usize) -> Vec<f64> {
    let n = r.strategies.len();
    let mut wins = vec![0.0; n];
    // Replicates every strategy shares: pair each with the first strategy.
    let rows: Vec<Vec<Replicate<'_>>> = (0..n)
        .map(|s| r.paired(s, 0).into_iter().map(|p| p.0).collect())
        .collect();
    let common = rows.iter().map(Vec::len).min().unwrap_or(0);
    for rep in 0..common {
        let values: Vec<f64> = rows.iter().map(|v| v[rep][y][k]).collect();
        let best = values.iter().copied().fold(f64::INFINITY, f64::min);
        let tied: Vec<usize> = (0..n).filter(|&s| values[s] == best).collect();
        for &s in &tied {
            wins[s] += 1.0 / tied.len() as f64;
        }
    }
    wins.iter()
        .map(|w| if common == 0 { f64::NAN } else { w / common as f64 })
        .collect()
}

/// `impacts.csv`: strategy, baseline, year, metric, mean, p05, p50, p95, share_better
/// (`NA` where undefined).
pub fn impacts_csv(r: &RunResults, base: usize, rows: &[Impact]) -> Vec<u8> {
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v}")
        } else {
            "NA".to_string()
        }
    };
    let mut out = String::from("strategy,baseline,year,metric,mean,p05,p50,p95,share_better\n");
    for i in rows {
        let s = &i.summary;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            csv_field(&r.strategies[i.strategy]),
            csv_field(&r.strategies[base]),
            i.year,
            i.metric,
            f(s.mean),
            f(s.p05),
            f(s.p50),
            f(s.p95),
            f(i.share_better)
        ));
    }
    out.into_bytes()
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One line per strategy for the terminal and the report: its final-year impact on
/// incidence against the baseline, how surely, and at what cost per person lifted.
pub fn headline(r: &RunResults, base: usize, rows: &[Impact], lang: Lang) -> Vec<String> {
    let Some(&year) = r.years.last() else {
        return Vec::new();
    };
    let find = |s: usize, m: &str| rows.iter().find(|i| i.strategy == s && i.year == year && i.metric == m);
    (0..r.strategies.len())
        .filter(|&s| s != base)
        .filter_map(|s| {
            let inc = find(s, "incidence_points")?;
            let n = r.paired(s, base).len();
            let better = (inc.share_better * n as f64).round() as usize;
            let yuan = |v: f64| group_thousands(&format!("{v:.0}"));
            let cost = find(s, "cost_per_person_lifted").map(|c| &c.summary).filter(|c| c.mean.is_finite());
            let (i, name, base) = (&inc.summary, &r.strategies[s], &r.strategies[base]);
            Some(match lang {
                Lang::En => format!(
                    "{name}: {:+.2} points of incidence [{:+.2}, {:+.2}] against {base} in {year}, better in {better} of {n} replicates; {}",
                    i.mean,
                    i.p05,
                    i.p95,
                    cost.map_or("no additional person out of poverty in every replicate".to_string(), |c| format!(
                        "{} yuan per additional person out of poverty [{}, {}]",
                        yuan(c.mean),
                        yuan(c.p05),
                        yuan(c.p95)
                    ))
                ),
                Lang::Zh => format!(
                    "{name}：{year} 年贫困发生率较 {base} 变化 {:+.2} 个百分点 [{:+.2}, {:+.2}]，{n} 次重复中 {better} 次更好；{}",
                    i.mean,
                    i.p05,
                    i.p95,
                    cost.map_or("并非每次重复都多有人脱贫".to_string(), |c| format!(
                        "每多一人脱贫花费 {} 元 [{}, {}]",
                        yuan(c.mean),
                        yuan(c.p05),
                        yuan(c.p95)
                    ))
                ),
            })
        })
        .collect()
}

/// The report's opening paragraph: the three questions answered in plain words for
/// the strategy that lowers final-year incidence most against the baseline — how
/// much, how surely, at what cost — and how much of its program budget it spent.
/// `None` when the run has a single strategy or no incidence.
pub fn summary_paragraph(
    r: &RunResults,
    base: usize,
    rows: &[Impact],
    uses: &[super::budget::BudgetUse],
    lang: Lang,
) -> Option<String> {
    let &year = r.years.last()?;
    let find = |s: usize, m: &str| rows.iter().find(|i| i.strategy == s && i.year == year && i.metric == m);
    let best = (0..r.strategies.len())
        .filter(|&s| s != base)
        .filter_map(|s| Some((s, find(s, "incidence_points")?)))
        .filter(|(_, i)| i.summary.mean.is_finite())
        .min_by(|a, b| a.1.summary.mean.total_cmp(&b.1.summary.mean))?;
    let (s, inc) = best;
    let (name, base_name) = (&r.strategies[s], &r.strategies[base]);
    let n = r.paired(s, base).len();
    let better = (inc.share_better * n as f64).round() as usize;
    let i = &inc.summary;
    let yuan = |v: f64| group_thousands(&format!("{v:.0}"));
    let cost = find(s, "cost_per_person_lifted")
        .map(|c| &c.summary)
        .filter(|c| c.mean.is_finite());
    let used = uses.iter().find(|u| u.strategy == s).map(|u| 100.0 * u.share_used);
    let p_best = rows
        .iter()
        .find(|x| x.strategy == s && x.year == year && x.metric == "probability_best")
        .map(|x| 100.0 * x.summary.mean);
    Some(match lang {
        Lang::En => {
            let how_much = if i.mean < 0.0 {
                format!(
                    "{name} lowers {year} poverty incidence by {:.2} points [{:.2}, {:.2}] against {base_name}",
                    -i.mean, -i.p95, -i.p05
                )
            } else {
                format!(
                    "No strategy lowers {year} poverty incidence against {base_name}; the best, {name}, changes it by {:+.2} points [{:+.2}, {:+.2}]",
                    i.mean, i.p05, i.p95
                )
            };
            let at_cost = cost.map_or(String::new(), |c| {
                format!(
                    ", at {} yuan per additional person out of poverty [{}, {}]",
                    yuan(c.mean),
                    yuan(c.p05),
                    yuan(c.p95)
                )
            });
            let spent = used.map_or(String::new(), |u| format!("; it spent {u:.0}% of its program budget"));
            let p = p_best.map_or(String::new(), |p| {
                format!(" It has the lowest incidence of all strategies in {p:.0}% of replicates.")
            });
            format!("{how_much}, better in {better} of {n} replicates{at_cost}{spent}.{p}")
        }
        Lang::Zh => {
            let how_much = if i.mean < 0.0 {
                format!(
                    "{name} 使 {year} 年贫困发生率较 {base_name} 降低 {:.2} 个百分点 [{:.2}, {:.2}]",
                    -i.mean, -i.p95, -i.p05
                )
            } else {
                format!(
                    "没有策略使 {year} 年贫困发生率低于 {base_name}；最好的 {name} 使其变化 {:+.2} 个百分点 [{:+.2}, {:+.2}]",
                    i.mean, i.p05, i.p95
                )
            };
            let at_cost = cost.map_or(String::new(), |c| {
                format!(
                    "，每多一人脱贫花费 {} 元 [{}, {}]",
                    yuan(c.mean),
                    yuan(c.p05),
                    yuan(c.p95)
                )
            });
            let spent = used.map_or(String::new(), |u| format!("；项目预算用去 {u:.0}%"));
            let p = p_best.map_or(String::new(), |p| {
                format!("在 {p:.0}% 的重复中其贫困发生率为各策略最低。")
            });
            format!("{how_much}，{n} 次重复中 {better} 次更好{at_cost}{spent}。{p}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two replicates of a baseline and two strategies over 2016–2017.
    fn run() -> RunResults {
        let text = "strategy,replicate,year,incidence,population,spending_total\n\
                    base,0,2016,0.2,100,0\nbase,0,2017,0.20,100,1000\n\
                    base,1,2016,0.2,100,0\nbase,1,2017,0.30,100,1000\n\
                    same,0,2016,0.2,100,0\nsame,0,2017,0.20,100,1000\n\
                    same,1,2016,0.2,100,0\nsame,1,2017,0.30,100,1000\n\
                    good,0,2016,0.2,100,0\ngood,0,2017,0.10,100,3000\n\
                    good,1,2016,0.2,100,0\ngood,1,2017,0.25,100,2000\n";
        RunResults::from_trajectories_csv(text.as_bytes()).unwrap()
    }

    fn row<'a>(rows: &'a [Impact], r: &RunResults, s: &str, m: &str) -> &'a Impact {
        let s = r.strategies.iter().position(|x| x == s).unwrap();
        rows.iter().find(|i| i.strategy == s && i.metric == m).unwrap()
    }

    #[test]
    fn paired_differences_and_shares_are_exact() {
        let r = run();
        let rows = impacts(&r, 0);
        let good = row(&rows, &r, "good", "incidence_points");
        // −10 and −5 points: paired, whatever the replicates' own levels.
        assert!((good.summary.mean + 7.5).abs() < 1e-9);
        assert_eq!(good.share_better, 1.0);
        let same = row(&rows, &r, "same", "incidence_points");
        assert_eq!((same.summary.mean, same.share_better), (0.0, 0.0));
        // 2,000 more yuan for 10 persons, 1,000 for 5: 200 yuan a person in each.
        let cost = row(&rows, &r, "good", "cost_per_person_lifted");
        assert!((cost.summary.mean - 200.0).abs() < 1e-9);
        // No additional person out: NA, not a division by zero.
        assert!(row(&rows, &r, "same", "cost_per_person_lifted").summary.mean.is_nan());
        // good is lowest in both replicates; base and same tie nowhere for best.
        assert_eq!(row(&rows, &r, "good", "probability_best").summary.mean, 1.0);
        assert_eq!(row(&rows, &r, "base", "probability_best").summary.mean, 0.0);
    }

    #[test]
    fn the_baseline_is_no_program_or_named() {
        let r = run();
        assert_eq!(baseline(&r, None), Ok(0));
        assert_eq!(baseline(&r, Some("good")), Ok(2));
        assert_eq!(
            baseline(&r, Some("nope")),
            Err("no strategy 'nope' to compare against; the run has: base, same, good".to_string())
        );
    }

    #[test]
    fn the_headline_says_how_much_how_surely_and_at_what_cost() {
        let r = run();
        let rows = impacts(&r, 0);
        let lines = headline(&r, 0, &rows, Lang::En);
        assert_eq!(
            lines[1],
            "good: -7.50 points of incidence [-9.75, -5.25] against base in 2017, better in 2 of 2 replicates; 200 yuan per additional person out of poverty [200, 200]"
        );
        assert!(lines[0].ends_with("no additional person out of poverty in every replicate"));
    }

    #[test]
    fn the_summary_answers_for_the_best_strategy() {
        let r = run();
        let rows = impacts(&r, 0);
        let uses = [super::super::budget::BudgetUse {
            strategy: 2,
            share_used: 0.97,
            flagged: false,
            reasons: Vec::new(),
        }];
        assert_eq!(
            summary_paragraph(&r, 0, &rows, &uses, Lang::En).unwrap(),
            "good lowers 2017 poverty incidence by 7.50 points [5.25, 9.75] against base, better in 2 of 2 replicates, \
             at 200 yuan per additional person out of poverty [200, 200]; it spent 97% of its program budget. \
             It has the lowest incidence of all strategies in 100% of replicates."
        );
        // Measured against the best, nothing lowers incidence: said so, not dressed up.
        let rows = impacts(&r, 2);
        let text = summary_paragraph(&r, 2, &rows, &[], Lang::En).unwrap();
        assert!(
            text.starts_with("No strategy lowers 2017 poverty incidence against good; the best, "),
            "{text}"
        );
    }
}
