//! Which pictures a run gets, and what goes into each, in English or Chinese.
//!
//! Every figure and panel names the metrics it needs; a panel whose metrics the run
//! does not have is left out, and a figure with no panels is not drawn. So a metric
//! added to `metrics!` (program orders, scheme stocks…) lights up its panel without
//! code changes here, and `sandan report` still works on runs from older versions.
//!
//! The derived measures (total and cumulative spending, cost per person exited) are
//! also what the report's tables show, so they are defined once, here.

use super::fonts::Lang;
use super::plot::{Figure, LegendEntry, Panel, Series, group_thousands};
use super::results::{Replicate, RunResults, column, cumulative};
use crate::metrics::{Summary, YearMetrics};

/// A per-replicate series: one value per year.
type SeriesFn = Box<dyn Fn(Replicate<'_>) -> Vec<f64>>;

/// A metric's column scaled by `factor` (e.g. 100 for a share shown in %).
fn scaled(r: &RunResults, name: &str, factor: f64) -> Option<SeriesFn> {
    let k = r.metric(name)?;
    Some(Box::new(move |rows| {
        column(k)(rows).into_iter().map(|v| v * factor).collect()
    }))
}

/// A rise of the poverty line by this share or more in one year is noted on every
/// figure measured against the line: incidence jumps with it (the disputed 2020
/// line, docs/SOURCES.md [P1]).
const LINE_STEP: f64 = 0.05;

/// Notes on the years in which a strategy's poverty line rises by `LINE_STEP` or
/// more, from the `poverty_line` column (none if the run lacks it). Strategies that
/// share a line share a note.
pub fn line_step_notes(r: &RunResults, lang: Lang) -> Vec<String> {
    let Some(k) = r.metric("poverty_line") else {
        return Vec::new();
    };
    // Each strategy's line by year (the same in every replicate).
    let lines: Vec<Vec<f64>> = (0..r.strategies.len())
        .map(|s| r.replicates(s).next().map(column(k)).unwrap_or_default())
        .collect();
    let mut notes: Vec<(Vec<usize>, String)> = Vec::new();
    for (s, line) in lines.iter().enumerate() {
        for (y, w) in line.windows(2).enumerate() {
            let rise = w[1] / w[0] - 1.0;
            if rise.is_nan() || rise < LINE_STEP {
                continue;
            }
            let (from, to) = (
                group_thousands(&format!("{:.0}", w[0])),
                group_thousands(&format!("{:.0}", w[1])),
            );
            let year = r.years[y + 1];
            let text = match lang {
                Lang::En => format!(
                    "The poverty line rises {:.1}% in {year} ({from} → {to} yuan)",
                    100.0 * rise
                ),
                Lang::Zh => format!("贫困线 {year} 年上调 {:.1}%（{from} → {to} 元）", 100.0 * rise),
            };
            match notes.iter_mut().find(|(_, t)| *t == text) {
                Some((who, _)) => who.push(s),
                None => notes.push((vec![s], text)),
            }
        }
    }
    let all = r.strategies.len();
    notes
        .into_iter()
        .map(|(who, text)| {
            let names = who
                .iter()
                .map(|&s| r.strategies[s].as_str())
                .collect::<Vec<_>>()
                .join(", ");
            match (lang, who.len() == all) {
                (Lang::En, true) => format!("{text}: incidence moves with it."),
                (Lang::En, false) => format!("{text} for {names}: incidence moves with it."),
                (Lang::Zh, true) => format!("{text}，贫困发生率随之变动。"),
                (Lang::Zh, false) => format!("{text}（{names}），贫困发生率随之变动。"),
            }
        })
        .collect()
}

/// Spending per year, yuan: the sum of every per-year `spending_*` column (dibao,
/// medical, housing, and program and cash spending when the run has them).
/// `spending_total` is a running total (since the baseline), so it is not added in.
pub fn total_spending(r: &RunResults) -> Option<SeriesFn> {
    let ks: Vec<usize> = (0..r.metrics.len())
        .filter(|&k| r.metrics[k].starts_with("spending_") && r.metrics[k] != "spending_total")
        .collect();
    if ks.is_empty() {
        return None;
    }
    Some(Box::new(move |rows| {
        rows.iter()
            .map(|row| ks.iter().map(|&k| row.get(k).copied().unwrap_or(0.0)).sum())
            .collect()
    }))
}

/// The run's own running total if it has one (`total_name`), else the running total
/// of a per-year column (`per_year`).
fn running_total(r: &RunResults, total_name: &str, per_year: Option<SeriesFn>) -> Option<SeriesFn> {
    if let Some(f) = scaled(r, total_name, 1.0) {
        return Some(f);
    }
    let f = per_year?;
    Some(Box::new(move |rows| cumulative(f(rows))))
}

/// Spending since the baseline, yuan.
pub fn cumulative_spending(r: &RunResults) -> Option<SeriesFn> {
    running_total(r, "spending_total", total_spending(r))
}

/// Persons in households that exited the register since the baseline.
pub fn cumulative_persons_exited(r: &RunResults) -> Option<SeriesFn> {
    running_total(r, "persons_exited_total", scaled(r, "exits_persons", 1.0))
}

/// Re-entries since the baseline (households).
pub fn cumulative_reentries(r: &RunResults) -> Option<SeriesFn> {
    running_total(r, "reentries_total", scaled(r, "reentries", 1.0))
}

/// Yuan spent per person exited, both counted from the start: the run's own
/// `cost_per_person_exited` if it has one, else cumulative spending over cumulative
/// persons exited (undefined while nobody has exited).
pub fn cost_per_person_exited(r: &RunResults) -> Option<SeriesFn> {
    if let Some(f) = scaled(r, "cost_per_person_exited", 1.0) {
        return Some(f);
    }
    let spent = cumulative_spending(r)?;
    let exited = cumulative_persons_exited(r)?;
    Some(Box::new(move |rows| {
        spent(rows)
            .into_iter()
            .zip(exited(rows))
            .map(|(s, p)| if p > 0.0 { s / p } else { f64::NAN })
            .collect()
    }))
}

/// Orders filled over orders placed, %.
fn fill_rate(r: &RunResults) -> Option<SeriesFn> {
    let (placed, filled) = (r.metric("orders_placed")?, r.metric("orders_filled")?);
    Some(Box::new(move |rows| {
        rows.iter()
            .map(|row| {
                let (p, f) = (
                    row.get(placed).copied().unwrap_or(0.0),
                    row.get(filled).copied().unwrap_or(0.0),
                );
                if p > 0.0 { 100.0 * f / p } else { f64::NAN }
            })
            .collect()
    }))
}

/// Per strategy, the summaries over replicates of `f` for each year.
fn series_of(r: &RunResults, f: &SeriesFn, from_year: usize, dashed: bool) -> Vec<Series> {
    (0..r.strategies.len())
        .map(|s| Series {
            strategy: s,
            points: r
                .summarise_by_year(s, &|rows| f(rows))
                .into_iter()
                .enumerate()
                .skip(from_year)
                .map(|(y, c)| (r.years[y], c))
                .collect(),
            dashed,
        })
        .collect()
}

/// What a figure is made of before it is drawn.
struct PanelSpec {
    title: String,
    y_label: String,
    f: SeriesFn,
    /// Flows (per-year counts) start after the baseline year, which has none.
    flow: bool,
    /// A dashed companion drawn in the same panel.
    companion: Option<SeriesFn>,
    /// How the legend writes this panel's values (when it is the first panel).
    unit: Unit,
    /// What the legend calls the ranked values, if not the panel's title.
    legend_name: Option<String>,
}

/// How legend values are written.
#[derive(Clone, Copy)]
enum Unit {
    Percent,
    Count,
    MillionYuan,
    /// Yuan per person.
    YuanPerPerson,
    Plain,
}

fn format_value(v: f64, unit: Unit, lang: Lang) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    match (unit, lang) {
        (Unit::Percent, _) => format!("{v:.1}%"),
        (Unit::Count, _) => group_thousands(&format!("{v:.0}")),
        (Unit::MillionYuan, Lang::En) => format!("{v:.2} million yuan"),
        (Unit::MillionYuan, Lang::Zh) => format!("{v:.2} 百万元"),
        (Unit::YuanPerPerson, Lang::En) => format!("{} yuan a person", group_thousands(&format!("{v:.0}"))),
        (Unit::YuanPerPerson, Lang::Zh) => format!("人均 {} 元", group_thousands(&format!("{v:.0}"))),
        (Unit::Plain, _) => format!("{v:.2}"),
    }
}

/// Everything a figure needs besides the data.
pub struct FigureContext<'a> {
    pub lang: Lang,
    pub scenario_name: &'a str,
}

struct Builder<'a> {
    r: &'a RunResults,
    ctx: &'a FigureContext<'a>,
}

impl Builder<'_> {
    fn figure(
        &self,
        stem: &'static str,
        title: String,
        panels: Vec<Option<PanelSpec>>,
        extra_notes: Vec<String>,
    ) -> Option<Figure> {
        self.figure_ranked(stem, title, panels, extra_notes, None)
    }

    /// [`Builder::figure`] whose legend ranks by `rank` (its title names the
    /// ranked values) instead of the first panel.
    fn figure_ranked(
        &self,
        stem: &'static str,
        title: String,
        panels: Vec<Option<PanelSpec>>,
        extra_notes: Vec<String>,
        rank: Option<PanelSpec>,
    ) -> Option<Figure> {
        let lang = self.ctx.lang;
        let specs: Vec<PanelSpec> = panels.into_iter().flatten().collect();
        let first = rank.as_ref().or(specs.first())?;
        let last_year = self.r.years.len().saturating_sub(1);
        // The legend lists strategies as the first panel's lines end, highest first.
        let legend = self.ranked_legend(first);
        // Lines that end at the same value are drawn over each other; say so, or a
        // reader looks in vain for the one underneath.
        let overlapping = overlap_notes(&legend, lang);
        let year = self.r.years.get(last_year).copied().unwrap_or_default();
        let ranked_name = first.legend_name.as_ref().unwrap_or(&first.title);
        let legend_title = match lang {
            Lang::En => format!("{}, {year} (highest first):", ranked_name),
            Lang::Zh => format!("{}，{year}年，从高到低：", ranked_name),
        };
        let reps = (0..self.r.strategies.len())
            .map(|s| self.r.replicate_count(s))
            .max()
            .unwrap_or(0);
        let mut notes = vec![match lang {
            Lang::En => format!("Line: mean of {reps} replicates. Band: 5–95% of replicates."),
            Lang::Zh => format!("实线：{reps} 次重复模拟的均值；色带：5%–95% 区间。"),
        }];
        notes.extend(extra_notes);
        notes.extend(overlapping);
        let panels = specs
            .iter()
            .map(|p| {
                let mut series = series_of(self.r, &p.f, usize::from(p.flow), false);
                if let Some(c) = &p.companion {
                    series.extend(series_of(self.r, c, usize::from(p.flow), true));
                }
                Panel {
                    legend: Vec::new(),
                    x_scale: None,
                    title: p.title.clone(),
                    y_label: p.y_label.clone(),
                    series,
                }
            })
            .collect();
        Some(Figure {
            stem,
            caption: caption(stem, lang),
            title,
            subtitle: lang.scenario_subtitle(self.ctx.scenario_name),
            x_label: lang.tr("Year", "年份"),
            panels,
            legend_title,
            legend,
            notes,
        })
    }

    /// Every strategy as `spec`'s lines end in the final year, highest first, with
    /// the value in the spec's unit.
    fn ranked_legend(&self, spec: &PanelSpec) -> Vec<LegendEntry> {
        let last_year = self.r.years.len().saturating_sub(1);
        let mut ranked: Vec<(usize, f64)> = (0..self.r.strategies.len())
            .map(|s| {
                let v = self
                    .r
                    .summarise_by_year(s, &|rows| (spec.f)(rows))
                    .get(last_year)
                    .map_or(f64::NAN, |c| c.mean);
                (s, v)
            })
            .collect();
        ranked.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
            (false, false) => b.1.total_cmp(&a.1),
            (x, y) => x.cmp(&y),
        });
        ranked
            .into_iter()
            .map(|(s, v)| LegendEntry {
                strategy: s,
                name: self.r.strategies[s].clone(),
                value: format_value(v, spec.unit, self.ctx.lang),
            })
            .collect()
    }

    /// [`Builder::figure`] for panels of different measures: each panel has its own
    /// legend under it (its final values, highest first; strategies without a value
    /// left out), and the figure's legend is the key of colours, in scenario order.
    fn figure_per_panel(
        &self,
        stem: &'static str,
        title: String,
        panels: Vec<Option<PanelSpec>>,
        extra_notes: Vec<String>,
    ) -> Option<Figure> {
        let lang = self.ctx.lang;
        let keys: Vec<Vec<LegendEntry>> = panels
            .iter()
            .flatten()
            .map(|p| {
                let mut legend = self.ranked_legend(p);
                legend.retain(|e| e.value != "–");
                legend
            })
            .collect();
        let mut fig = self.figure(stem, title, panels, extra_notes)?;
        // The first panel's overlaps were noted for the figure's legend; each panel
        // now notes its own.
        let first_overlaps = overlap_notes(&fig.legend, lang);
        fig.notes.retain(|n| !first_overlaps.contains(n));
        let mut overlaps = false;
        for (panel, legend) in fig.panels.iter_mut().zip(keys) {
            overlaps |= !overlap_notes(&legend, lang).is_empty();
            panel.legend = legend;
        }
        if overlaps {
            fig.notes.push(lang.tr(
                "Equal values under a panel: those lines end together and overlap.",
                "某图下方数值相同：这些线条末端重合。",
            ));
        }
        fig.legend.sort_by_key(|e| e.strategy);
        for e in &mut fig.legend {
            e.value.clear();
        }
        let year = self.r.years.last().copied().unwrap_or_default();
        fig.legend_title = match lang {
            Lang::En => format!("Strategies (each panel lists its own {year} values, highest first):"),
            Lang::Zh => format!("策略（各图下方列出其 {year} 年数值，从高到低）："),
        };
        Some(fig)
    }

    fn spec(&self, title: String, y_label: String, f: Option<SeriesFn>, flow: bool, unit: Unit) -> Option<PanelSpec> {
        Some(PanelSpec {
            title,
            y_label,
            f: f?,
            flow,
            companion: None,
            unit,
            legend_name: None,
        })
    }
}

/// Lines that end at the same value are drawn over each other; say so, or a reader
/// looks in vain for the one underneath. `legend` is ranked, so equal values are
/// neighbours.
pub(crate) fn overlap_notes(legend: &[LegendEntry], lang: Lang) -> Vec<String> {
    legend
        .windows(2)
        .filter(|w| w[0].value == w[1].value && w[0].value != "–")
        .map(|w| match lang {
            Lang::En => format!("{} and {} end level; their lines overlap.", w[0].name, w[1].name),
            Lang::Zh => format!("{} 与 {} 末值相同，线条重叠。", w[0].name, w[1].name),
        })
        .collect()
}

/// What a figure shows and how to read it, for the report's caption.
fn caption(stem: &str, lang: Lang) -> String {
    let (en, zh) = match stem {
        "incidence" => (
            "Share of persons whose household income per head is below the poverty line. Lower is better. \
             Bands show the spread over replicates; strategies share each replicate's county and shocks, so \
             compare them by the paired differences (the impact section, impacts.csv), not by whether bands overlap.",
            "家庭人均收入低于贫困线的人口占比，越低越好。色带为各次重复间的分布；各策略在同一次重复中面对相同的县与冲击，\
             应以配对差异（影响一节、impacts.csv）比较，而非看色带是否重叠。",
        ),
        "incidence_official" => (
            "Measured poverty against the register: a dashed line below the solid one means households \
             counted as exited whose income is still below the line.",
            "实测贫困与建档登记对照：虚线低于实线，说明部分已退出户收入仍低于贫困线。",
        ),
        "poverty_gap" => (
            "How far below the line the poor are: FGT1 is the average shortfall as a share of the line \
             (0 for the non-poor); FGT2 weights the poorest more.",
            "贫困人口离贫困线有多远：FGT1 为平均收入缺口占贫困线的比例（非贫困者计为 0）；FGT2 更重视最贫困者。",
        ),
        "exits_reentries" => (
            "Households leaving the register each year, and exited households falling back into poverty and onto the register.",
            "每年退出建档的户数，以及已退出户重新返贫的户数。",
        ),
        "spending" => (
            "What the strategies cost: total spending since the start, and that total divided by the persons \
             exited so far (lower is cheaper per exit).",
            "各策略的成本：自起始年的累计支出，以及累计支出除以累计脱贫人数（越低，每脱贫一人越省）。",
        ),
        "four_incomes" => (
            "The four incomes of Tibet's program, per person of the county (all households, not only the registered): \
             rent (land and pasture let out, with the rent of households without labour and other property income), payment (for produce: farming and projects, contract purchase among them), \
             dividends (shares held by households and the collectives' payouts) and wages (local work and remitted migrant \
             earnings). A line at zero: the run has none of that income.",
            "西藏扶贫“四项收入”，按全县人口人均（全部农户，不只建档户）：租金（土地、草场流转，含无劳动力户的土地租金和其他财产收入）、薪金之外的生产收入（种养与项目，含订单收购）、\
             股金分红（折股到户与村集体分红）和工资（本地务工与外出务工汇款）。一条线为零：本次运行没有该项收入。",
        ),
        _ => (
            "Program and scheme measures, drawn for the metrics this run records.",
            "产业项目与帮扶机制的指标，按本次运行记录的指标绘制。",
        ),
    };
    lang.tr(en, zh)
}

/// The run's figures, in report order; those whose metrics are missing are left out.
pub fn figures(r: &RunResults, ctx: &FigureContext<'_>) -> Vec<Figure> {
    let b = Builder { r, ctx };
    let lang = ctx.lang;
    let t = |en: &str, zh: &str| lang.tr(en, zh);
    let pct_persons = t("Persons below the poverty line (%)", "贫困人口占比（%）");
    let line_notes = line_step_notes(r, lang);
    let mut out = Vec::new();

    out.extend(b.figure(
        "incidence",
        t("Poverty incidence by strategy", "各策略的贫困发生率"),
        vec![b.spec(
            t("Measured incidence", "实测贫困发生率"),
            pct_persons.clone(),
            scaled(r, "incidence", 100.0),
            false,
            Unit::Percent,
        )],
        line_notes.clone(),
    ));

    let mut measured = b.spec(
        t("Measured incidence", "实测贫困发生率"),
        t("Persons (%)", "人口占比（%）"),
        scaled(r, "incidence", 100.0),
        false,
        Unit::Percent,
    );
    let official = scaled(r, "official_incidence", 100.0);
    let has_official = official.is_some();
    if let Some(m) = measured.as_mut() {
        m.companion = official;
        m.legend_name = Some(std::mem::replace(
            &mut m.title,
            t("Measured (solid) and official (dashed)", "实测（实线）与建档（虚线）"),
        ));
    }
    if has_official {
        out.extend(
            b.figure(
                "incidence_official",
                t("Measured vs official incidence", "实测与建档贫困发生率"),
                vec![measured],
                std::iter::once(t(
                    "Solid: measured (income below the line). Dashed: official (registered, not exited).",
                    "实线：实测（收入低于贫困线）；虚线：建档（已登记、未退出）。",
                ))
                .chain(line_notes.iter().cloned())
                .collect(),
            ),
        );
    }

    out.extend(b.figure(
        "poverty_gap",
        t("Depth of poverty", "贫困深度"),
        vec![
            b.spec(
                t("Poverty gap (FGT1)", "贫困距指数（FGT1）"),
                t("Mean shortfall (% of the line)", "平均缺口（占贫困线 %）"),
                scaled(r, "fgt1", 100.0),
                false,
                Unit::Percent,
            ),
            b.spec(
                t("Squared poverty gap (FGT2)", "平方贫困距（FGT2）"),
                t("Severity (× 100)", "严重程度（× 100）"),
                scaled(r, "fgt2", 100.0),
                false,
                Unit::Percent,
            ),
        ],
        line_notes.clone(),
    ));

    out.extend(b.figure(
        "exits_reentries",
        t("Exits and re-entries per year", "每年退出与返贫"),
        vec![
            b.spec(
                t("Households exiting the register", "退出建档的户数"),
                t("Households per year", "户 / 年"),
                scaled(r, "exits", 1.0),
                true,
                Unit::Count,
            ),
            b.spec(
                t("Exited households re-entering", "已退出户返贫"),
                t("Households per year", "户 / 年"),
                scaled(r, "reentries", 1.0),
                true,
                Unit::Count,
            ),
        ],
        line_notes,
    ));

    out.extend(b.figure(
        "spending",
        t("Spending and cost per person exited", "支出与每脱贫一人的成本"),
        vec![
                b.spec(
                    t("Cumulative spending", "累计支出"),
                    t("Million yuan since the start", "自起始年累计（百万元）"),
                    cumulative_spending(r)
                        .map(|f| -> SeriesFn { Box::new(move |rows| f(rows).into_iter().map(|v| v / 1e6).collect()) }),
                    false,
                    Unit::MillionYuan,
                ),
                b.spec(
                    t("Cost per person exited", "每脱贫一人的成本"),
                    t("Yuan per person (cumulative)", "元 / 人（累计）"),
                    cost_per_person_exited(r),
                    true,
                    Unit::Plain,
                ),
            ],
        vec![t(
            "Spending: dibao, medical assistance, housing and programs, as the run records them.",
            "支出：低保、医疗救助、危房改造及项目支出（以运行记录为准）。",
        )],
    ));

    // The four incomes (Tibet's rent, payment, dividends and wages), per person:
    // drawn for every run that has the sources, so that any scenario's income
    // composition can be read; ranked by the four together.
    let sum = |names: &[&str]| -> Option<SeriesFn> {
        let ks: Vec<usize> = names.iter().map(|n| r.metric(n)).collect::<Option<_>>()?;
        Some(Box::new(move |rows| {
            rows.iter()
                .map(|row| ks.iter().map(|&k| row.get(k).copied().unwrap_or(f64::NAN)).sum())
                .collect()
        }))
    };
    const RENT: &[&str] = &["income_rent"];
    const PAYMENT: &[&str] = &["income_farm", "income_projects"];
    const DIVIDENDS: &[&str] = &["income_dividends"];
    const WAGES: &[&str] = &["income_wages", "income_remittances"];
    let per_person = t("Yuan per person", "元 / 人");
    let income_panel = |en: &str, zh: &str, names: &[&str]| {
        b.spec(t(en, zh), per_person.clone(), sum(names), true, Unit::YuanPerPerson)
    };
    let four = [RENT, PAYMENT, DIVIDENDS, WAGES].concat();
    let together = b
        .spec(
            t("The four incomes together", "四项收入合计"),
            per_person.clone(),
            sum(&four),
            true,
            Unit::YuanPerPerson,
        )
        .map(|mut p| {
            p.legend_name = Some(t("The four incomes together, per person", "四项收入合计（人均）"));
            p
        });
    out.extend(b.figure_ranked(
        "four_incomes",
        t(
            "The four incomes: rent, payment, dividends, wages",
            "四项收入：租金、生产收入、股金分红、工资",
        ),
        vec![
            income_panel(
                "Rent (land let out, other property)",
                "租金（土地草场流转及其他财产）",
                RENT,
            ),
            income_panel("Payment (farming and projects)", "生产收入（种养与项目）", PAYMENT),
            income_panel(
                "Dividends (shares, collective payouts)",
                "股金分红（折股到户、集体分红）",
                DIVIDENDS,
            ),
            income_panel("Wages (local and migrant)", "工资（本地与外出务工）", WAGES),
        ],
        vec![t(
            "Per person of the county: each source summed over households, over the population.",
            "全县人均：各项收入按户加总后除以总人口。",
        )],
        together,
    ));

    // Program and scheme panels: each appears once its metrics exist (a scheme's
    // stock once it is non-zero somewhere: every run writes the column).
    let mut program = vec![
        b.spec(
            t("Order fill rate", "订单完成率"),
            t("Orders filled (%)", "已完成订单（%）"),
            fill_rate(r),
            true,
            Unit::Percent,
        ),
        b.spec(
            t("Project success rate", "项目成功率"),
            t("Projects succeeding (%)", "成功项目（%）"),
            scaled(r, "project_success_rate", 100.0),
            true,
            Unit::Percent,
        ),
        b.spec(
            t("Member load (mean)", "党员帮扶负荷（均值）"),
            t("Households supported per member", "每名党员帮扶户数"),
            scaled(r, "member_load_mean", 1.0),
            true,
            Unit::Plain,
        ),
    ];
    for (name, en, zh, en_unit, zh_unit, factor, unit) in [
        ("hives", "Bee hives", "蜂箱", "Hives", "箱", 1.0, Unit::Count),
        ("cattle", "Cattle", "牛存栏", "Head", "头", 1.0, Unit::Count),
        (
            "fund_balance",
            "Fund balance",
            "基金余额",
            "Million yuan",
            "百万元",
            1e-6,
            Unit::MillionYuan,
        ),
    ] {
        let found = [name.to_string(), format!("scheme_{name}"), format!("stock_{name}")]
            .into_iter()
            .find(|n| r.any_nonzero(n));
        if let Some(n) = found {
            program.push(b.spec(t(en, zh), t(en_unit, zh_unit), scaled(r, &n, factor), false, unit));
        }
    }
    out.extend(b.figure_per_panel(
        "programs",
        t("Programs and schemes", "产业项目与帮扶机制"),
        program,
        vec![],
    ));
    out
}

/// The impact chart: each strategy's paired difference from the baseline by year
/// (mean line, 5–95% band of the replicate pairs), in points of measured incidence
/// and, when the run has it, of official incidence. The baseline is the dashed line
/// at zero. `None` when the run has no incidence or only one strategy.
pub fn impact_figure(r: &RunResults, base: usize, ctx: &FigureContext<'_>) -> Option<Figure> {
    let lang = ctx.lang;
    let t = |en: &str, zh: &str| lang.tr(en, zh);
    if r.strategies.len() < 2 {
        return None;
    }
    let paired = |k: usize, s: usize| -> Vec<(i32, Summary)> {
        let pairs = r.paired(s, base);
        (0..r.years.len())
            .map(|y| {
                let d: Vec<f64> = pairs.iter().map(|(a, b)| 100.0 * (a[y][k] - b[y][k])).collect();
                (r.years[y], Summary::of(&d))
            })
            .collect()
    };
    let zero = |s: usize| Series {
        strategy: s,
        points: r
            .years
            .iter()
            .map(|&y| {
                (
                    y,
                    Summary {
                        mean: 0.0,
                        p05: 0.0,
                        p50: 0.0,
                        p95: 0.0,
                    },
                )
            })
            .collect(),
        dashed: true,
    };
    let panel = |k: usize, title: String| Panel {
        legend: Vec::new(),
        x_scale: None,
        title,
        y_label: t("Difference (percentage points)", "差异（百分点）"),
        series: (0..r.strategies.len())
            .map(|s| {
                if s == base {
                    zero(s)
                } else {
                    Series {
                        strategy: s,
                        points: paired(k, s),
                        dashed: false,
                    }
                }
            })
            .collect(),
    };
    let inc = r.metric("incidence")?;
    let mut panels = vec![panel(inc, t("Measured incidence", "实测贫困发生率"))];
    if let Some(k) = r.metric("official_incidence") {
        panels.push(panel(k, t("Official incidence", "建档贫困发生率")));
    }
    let last = r.years.len() - 1;
    let year = r.years[last];
    let base_name = &r.strategies[base];
    // Lowest (best) first: the legend reads as a ranking of impacts.
    let mut ranked: Vec<(usize, f64)> = (0..r.strategies.len())
        .map(|s| (s, if s == base { 0.0 } else { paired(inc, s)[last].1.mean }))
        .collect();
    ranked.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
        (false, false) => a.1.total_cmp(&b.1),
        (x, y) => x.cmp(&y),
    });
    let legend: Vec<LegendEntry> = ranked
        .into_iter()
        .map(|(s, v)| LegendEntry {
            strategy: s,
            name: r.strategies[s].clone(),
            value: if s == base {
                t("the baseline (0)", "基准（0）")
            } else if v.is_finite() {
                match lang {
                    Lang::En => format!("{v:+.2} points"),
                    Lang::Zh => format!("{v:+.2} 个百分点"),
                }
            } else {
                "–".into()
            },
        })
        .collect();
    let reps = (0..r.strategies.len())
        .filter(|&s| s != base)
        .map(|s| r.paired(s, base).len())
        .max()
        .unwrap_or(0);
    let mut notes = vec![match lang {
        Lang::En => format!(
            "Line: mean of {reps} paired differences (strategy − {base_name}, same replicate). Band: 5–95% of them. Below zero: fewer poor than the baseline."
        ),
        Lang::Zh => format!(
            "实线：{reps} 个配对差异（策略 − {base_name}，同一次重复）的均值；色带：其 5%–95% 区间。低于零：贫困人口少于基准。"
        ),
    }];
    notes.extend(line_step_notes(r, lang));
    notes.extend(overlap_notes(&legend, lang));
    Some(Figure {
        stem: "impact",
        caption: match lang {
            Lang::En => format!(
                "How much each strategy changes poverty incidence against {base_name}, year by year: each replicate's \
                 difference from {base_name} in the same county under the same shocks, so the band is the uncertainty \
                 of the impact itself. Lower is better."
            ),
            Lang::Zh => format!(
                "各策略逐年相对 {base_name} 改变贫困发生率多少：每次重复中与 {base_name} 在同一县、同样冲击下的差异，\
                 色带即影响本身的不确定性。越低越好。"
            ),
        },
        title: match lang {
            Lang::En => format!("Impact on poverty incidence against {base_name}"),
            Lang::Zh => format!("相对 {base_name} 对贫困发生率的影响"),
        },
        subtitle: lang.scenario_subtitle(ctx.scenario_name),
        x_label: t("Year", "年份"),
        panels,
        legend_title: match lang {
            Lang::En => format!("Change in measured incidence, {year} (best first):"),
            Lang::Zh => format!("实测贫困发生率变化，{year}年，最好的在前："),
        },
        legend,
        notes,
    })
}

/// The numbers of a strategy's row in the report's table, all means over replicates
/// except the interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrategyTotals {
    /// Final-year measured incidence, as a share.
    pub incidence: Summary,
    pub persons_exited: f64,
    pub reentries: f64,
    /// Yuan, whole period.
    pub spending: f64,
    pub cost_per_person_exited: f64,
}

/// Final-year totals per strategy.
pub fn strategy_totals(r: &RunResults) -> Vec<StrategyTotals> {
    let last = r.years.len().saturating_sub(1);
    let final_mean = |s: usize, f: &Option<SeriesFn>| match f {
        Some(f) => r
            .summarise_by_year(s, &|rows| f(rows))
            .get(last)
            .map_or(f64::NAN, |c| c.mean),
        None => f64::NAN,
    };
    let incidence = scaled(r, "incidence", 1.0);
    let exited = cumulative_persons_exited(r);
    let reentries = cumulative_reentries(r);
    let spending = cumulative_spending(r);
    let cost = cost_per_person_exited(r);
    (0..r.strategies.len())
        .map(|s| StrategyTotals {
            incidence: match &incidence {
                Some(f) => r.summarise_by_year(s, &|rows| f(rows)).get(last).copied(),
                None => None,
            }
            .unwrap_or(Summary::of(&[])),
            persons_exited: final_mean(s, &exited),
            reentries: final_mean(s, &reentries),
            spending: final_mean(s, &spending),
            cost_per_person_exited: final_mean(s, &cost),
        })
        .collect()
}

/// A metric's description with its unit, for metrics this build knows.
pub fn describe(metric: &str) -> Option<&'static str> {
    let k = YearMetrics::NAMES.iter().position(|n| *n == metric)?;
    YearMetrics::DESCRIPTIONS.get(k).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(header: &str) -> RunResults {
        let n = header.split(',').count();
        let mut text = format!("strategy,replicate,year,{header}\n");
        for s in ["a", "b"] {
            for rep in 0..3 {
                for (yi, y) in [2016, 2017, 2018].iter().enumerate() {
                    let vals: Vec<String> = (0..n).map(|k| format!("{}", (k + yi + rep) as f64 / 10.0)).collect();
                    text.push_str(&format!("{s},{rep},{y},{}\n", vals.join(",")));
                }
            }
        }
        RunResults::from_trajectories_csv(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_line_step_is_noted_once_for_the_strategies_it_concerns() {
        let text = "strategy,replicate,year,incidence,poverty_line\n\
                    a,0,2018,0.1,2995\na,0,2019,0.1,3218\na,0,2020,0.1,3315\n\
                    b,0,2018,0.1,2995\nb,0,2019,0.1,3218\nb,0,2020,0.1,4000\n";
        let r = RunResults::from_trajectories_csv(text.as_bytes()).unwrap();
        let notes = line_step_notes(&r, Lang::En);
        assert_eq!(
            notes,
            [
                "The poverty line rises 7.4% in 2019 (2,995 → 3,218 yuan): incidence moves with it.",
                "The poverty line rises 24.3% in 2020 (3,218 → 4,000 yuan) for b: incidence moves with it.",
            ]
        );
        let f = figures(
            &r,
            &FigureContext {
                lang: Lang::En,
                scenario_name: "t",
            },
        );
        assert!(f[0].notes.contains(&notes[1]));
        // A run without the column, or with small steps only, gets no note.
        let small = "strategy,replicate,year,incidence,poverty_line\na,0,2018,0.1,2995\na,0,2019,0.1,3100\n";
        assert!(line_step_notes(&RunResults::from_trajectories_csv(small.as_bytes()).unwrap(), Lang::En).is_empty());
    }

    fn stems(r: &RunResults) -> Vec<&'static str> {
        let ctx = FigureContext {
            lang: Lang::En,
            scenario_name: "t",
        };
        figures(r, &ctx).iter().map(|f| f.stem).collect()
    }

    #[test]
    fn figures_appear_with_their_metrics() {
        assert_eq!(stems(&results("incidence")), ["incidence"]);
        assert_eq!(
            stems(&results(
                "incidence,official_incidence,fgt1,exits,exits_persons,reentries,spending_dibao"
            )),
            [
                "incidence",
                "incidence_official",
                "poverty_gap",
                "exits_reentries",
                "spending"
            ]
        );
        // Program metrics light up the programs figure without code changes.
        let r = results("incidence,orders_placed,orders_filled,hives");
        assert_eq!(stems(&r), ["incidence", "programs"]);
        let ctx = FigureContext {
            lang: Lang::Zh,
            scenario_name: "t",
        };
        let f = figures(&r, &ctx);
        assert_eq!(f[1].panels.len(), 2);
        assert_eq!(f[1].panels[0].title, "订单完成率");
        // Issue 13: each panel of the programs figure has its own legend of what it
        // shows; the figure's legend is the key of colours, in scenario order.
        assert!(f[1].panels.iter().all(|p| p.legend.len() == 2));
        // Hives: 0.5, 0.6 and 0.7 in the final year, a count: 1.
        assert_eq!(f[1].panels[1].legend[0].value, "1");
        assert!(f[1].legend.iter().all(|e| e.value.is_empty()));
        assert_eq!(f[1].legend[0].strategy, 0);
        assert!(f[0].panels.iter().all(|p| p.legend.is_empty()));
        // A stock that stays zero (a run without the scheme) draws no panel.
        let text = "strategy,replicate,year,orders_placed,orders_filled,cattle,fund_balance\na,0,2016,1,1,0,0\na,0,2017,2,1,0,5\n";
        let r = RunResults::from_trajectories_csv(text.as_bytes()).unwrap();
        let f = figures(&r, &ctx);
        let programs = f.iter().find(|f| f.stem == "programs").unwrap();
        assert_eq!(programs.panels.len(), 2, "fill rate and fund balance, no cattle");
    }

    /// Issue 13: the impact chart draws paired differences (not differences of
    /// means), the baseline at zero, best first, and names twins that overlap.
    #[test]
    fn the_impact_chart_draws_paired_differences() {
        let text = "strategy,replicate,year,incidence\n\
            base,0,2016,0.2\nbase,0,2017,0.3\nbase,1,2016,0.2\nbase,1,2017,0.1\n\
            good,0,2016,0.2\ngood,0,2017,0.2\ngood,1,2016,0.2\ngood,1,2017,0.05\n\
            twin,0,2016,0.2\ntwin,0,2017,0.2\ntwin,1,2016,0.2\ntwin,1,2017,0.05\n";
        let r = RunResults::from_trajectories_csv(text.as_bytes()).unwrap();
        let ctx = FigureContext {
            lang: Lang::En,
            scenario_name: "t",
        };
        let f = impact_figure(&r, 0, &ctx).unwrap();
        assert_eq!(f.stem, "impact");
        assert_eq!(f.panels.len(), 1, "no official incidence in this run");
        let good = &f.panels[0].series[1];
        // −10 and −5 points in the two replicates: mean −7.5, band within them.
        let (year, c) = good.points[1];
        assert_eq!(year, 2017);
        assert!((c.mean + 7.5).abs() < 1e-9 && c.p05 >= -10.0 - 1e-9 && c.p95 <= -5.0 + 1e-9);
        assert!(f.panels[0].series[0].dashed && f.panels[0].series[0].points[1].1.mean == 0.0);
        let names: Vec<&str> = f.legend.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["good", "twin", "base"]);
        assert_eq!(f.legend[0].value, "-7.50 points");
        assert!(
            f.notes
                .contains(&"good and twin end level; their lines overlap.".to_string())
        );
        // A single strategy has nothing to compare.
        let one = "strategy,replicate,year,incidence\na,0,2016,0.2\na,0,2017,0.1\n";
        let r = RunResults::from_trajectories_csv(one.as_bytes()).unwrap();
        assert!(impact_figure(&r, 0, &ctx).is_none());
    }

    /// Issue 13: the four incomes (rent, payment, dividends, wages) per person, each
    /// summed from its sources, the legend ranked by the four together.
    #[test]
    fn the_four_incomes_sum_their_sources_and_rank_by_the_total() {
        let text = "strategy,replicate,year,income_rent,income_farm,income_projects,income_dividends,income_wages,income_remittances\n\
            a,0,2016,NA,NA,NA,NA,NA,NA\na,0,2017,10,100,50,5,300,200\n\
            b,0,2016,NA,NA,NA,NA,NA,NA\nb,0,2017,0,100,150,0,300,200\n";
        let r = RunResults::from_trajectories_csv(text.as_bytes()).unwrap();
        let ctx = FigureContext {
            lang: Lang::En,
            scenario_name: "t",
        };
        let all = figures(&r, &ctx);
        let f = all.iter().find(|f| f.stem == "four_incomes").unwrap();
        let titles: Vec<&str> = f.panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles.len(), 4);
        assert!(
            titles[0].starts_with("Rent") && titles[3].starts_with("Wages"),
            "{titles:?}"
        );
        // Payment is farming and projects; wages are local and migrant; the
        // baseline year, without sources, is not drawn.
        let payment = &f.panels[1].series[0].points;
        assert_eq!(payment.len(), 1);
        assert_eq!(payment[0], (2017, Summary::of(&[150.0])));
        assert_eq!(f.panels[3].series[1].points[0].1.mean, 500.0);
        // b earns 750 a person from the four, a 665: b first, though a has more rent.
        assert_eq!(f.legend[0].name, "b");
        assert_eq!(f.legend[0].value, "750 yuan a person");
        assert_eq!(f.legend[1].value, "665 yuan a person");
    }

    #[test]
    fn legend_is_ranked_highest_first() {
        let text =
            "strategy,replicate,year,incidence\nlow,0,2016,0.1\nlow,0,2017,0.1\nhigh,0,2016,0.5\nhigh,0,2017,0.4\n";
        let r = RunResults::from_trajectories_csv(text.as_bytes()).unwrap();
        let ctx = FigureContext {
            lang: Lang::En,
            scenario_name: "t",
        };
        let f = figures(&r, &ctx);
        let names: Vec<_> = f[0].legend.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["high", "low"]);
        assert_eq!(f[0].legend[0].value, "40.0%");
        // Colours follow scenario order, not rank.
        assert_eq!(f[0].legend[0].strategy, 1);
    }

    /// `spending_total` (a running total, as the engine writes it) is used as it is,
    /// never summed again with the per-year columns.
    #[test]
    fn running_totals_from_the_run_are_not_summed_twice() {
        let text = "strategy,replicate,year,exits_persons,spending_dibao,spending_total,persons_exited_total\n\
            a,0,2016,0,0,0,0\na,0,2017,10,1000,1000,10\na,0,2018,5,1000,2000,15\n";
        let r = RunResults::from_trajectories_csv(text.as_bytes()).unwrap();
        let t = strategy_totals(&r);
        assert_eq!(t[0].spending, 2000.0);
        assert_eq!(t[0].persons_exited, 15.0);
        assert!((t[0].cost_per_person_exited - 2000.0 / 15.0).abs() < 1e-9);
    }

    #[test]
    fn totals_cost_per_person_exited() {
        let text = "strategy,replicate,year,incidence,exits_persons,reentries,spending_dibao,spending_program\n\
            a,0,2016,0.3,0,0,0,0\na,0,2017,0.2,10,1,1000,500\na,0,2018,0.1,5,2,1000,500\n";
        let r = RunResults::from_trajectories_csv(text.as_bytes()).unwrap();
        let t = strategy_totals(&r);
        assert_eq!(t[0].persons_exited, 15.0);
        assert_eq!(t[0].reentries, 3.0);
        assert_eq!(t[0].spending, 3000.0);
        assert_eq!(t[0].cost_per_person_exited, 200.0);
        assert!((t[0].incidence.mean - 0.1).abs() < 1e-12);
    }
}
