//! `report.html`: one self-contained page for planners and workshops — what was
//! simulated, a table per strategy, every chart, the parameters, and how to reproduce
//! the run. No scripts, external styles or fonts; charts are inline base64 PNG, so
//! the file can be mailed, opened offline, or printed (it has print CSS).
//!
//! It is built only from what a run leaves on disk (the manifest, the scenario text
//! and the results read back from `trajectories.csv`), so `sandan report` can rebuild
//! it without re-running the simulation.

use super::budget::BudgetUse;
use super::figures::{StrategyTotals, describe};
use super::fonts::Lang;
use super::gains::Winners;
use super::manifest::Manifest;
use super::plot::{Figure, Picture, group_thousands, strategy_colour};
use super::results::RunResults;
use super::targets::TargetRow;
use super::villages::VillageRow;
use std::fmt::Write;

/// What the report shows.
pub struct ReportInput<'a> {
    pub lang: Lang,
    pub manifest: &'a Manifest,
    /// The scenario file's text, if it was saved with the run.
    pub scenario_toml: Option<&'a str>,
    pub results: &'a RunResults,
    pub totals: &'a [StrategyTotals],
    /// Each figure with its PNG bytes.
    pub figures: &'a [(Figure, Vec<u8>)],
    /// The command that rebuilt this report, when it was `sandan report`.
    pub rebuilt_by: Option<&'a str>,
    /// One line per strategy: its final-year impact against the baseline
    /// ([`super::impacts::headline`]).
    pub impacts: &'a [String],
    /// The opening paragraph ([`super::impacts::summary_paragraph`]).
    pub summary: Option<&'a str>,
    /// The impact chart with its PNG bytes ([`super::figures::impact_figure`]).
    pub impact_figure: Option<&'a (Figure, Vec<u8>)>,
    /// The village chart with its PNG bytes ([`super::villages::villages_figure`]),
    /// and the exit year of each village under each strategy.
    pub villages: Option<&'a (Figure, Vec<u8>)>,
    pub village_rows: &'a [VillageRow],
    /// Progress against the scenario's targets ([`super::targets::progress`]).
    pub targets: &'a [TargetRow],
    /// Each strategy's use of its program budget, and the flags of those that left
    /// too much unspent ([`super::budget`]).
    pub budget: &'a [BudgetUse],
    pub budget_flags: &'a [String],
    /// Per strategy, the shares of persons in each band of income change against
    /// their twin in the baseline ([`super::gains::BANDS`]), over replicates.
    pub winners: &'a [Winners],
    /// The same as a chart with intervals ([`super::gains::winners_figure`]).
    pub winners_figure: Option<&'a (Figure, Vec<u8>)>,
    /// The strategy impacts and winners are measured against.
    pub baseline: &'a str,
}

/// Escape text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

const CSS: &str = r#"
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #d6d6d6; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
  color: var(--ink); max-width: 1240px; margin: 0 auto; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.8em; margin: 0 0 .2em; }
h2 { font-size: 1.3em; border-bottom: 2px solid var(--rule); padding-bottom: .2em; margin-top: 1.6em; }
.lead { font-size: 1.08em; max-width: 70em; }
.muted, figcaption, footer { color: var(--muted); }
table { border-collapse: collapse; margin: .6em 0; }
th, td { padding: .35em .7em; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
table.results { width: 100%; }
th { font-size: .92em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num, td.name, .nw { white-space: nowrap; }
.answer { font-size: 1.15em; max-width: 62em; margin: .4em 0 .8em; }
.flag { background: #fff4e5; border-left: 4px solid #d55e00; padding: .5em .8em; max-width: 62em; }
td.flagged { color: #a33f00; font-weight: bold; }
.bar { display: flex; width: 28em; height: 1.2em; border: 1px solid var(--rule); }
.interval { color: var(--muted); font-size: .85em; }
.met { color: #007a58; font-weight: bold; }
.unmet { color: #a33f00; }
.bar span { display: block; height: 100%; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px; margin-right: .45em;
  vertical-align: -.1em; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
figure { margin: 1.2em 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--rule); }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: .85em; white-space: pre-wrap; }
code { font-size: .92em; word-break: break-all; }
footer { margin-top: 2em; border-top: 2px solid var(--rule); padding-top: .6em; font-size: .9em; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  figure, table, tr { break-inside: avoid; }
  figure img { border: none; }
  details > pre { display: none; }
}
"#;

fn tr(lang: Lang, en: &'static str, zh: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

fn num(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        group_thousands(&format!("{v:.decimals$}"))
    } else {
        "–".to_string()
    }
}

/// Colours of the bands, from losing much (vermilion) to gaining much (green).
const BAND_COLOURS: [&str; 5] = ["#d55e00", "#f0b98d", "#d9d9d9", "#9fd8c4", "#009e73"];

/// Who wins and who loses: per strategy, a bar of the shares of persons whose
/// household's final-year income is lower or higher than its twin's in the baseline.
fn write_winners(h: &mut String, input: &ReportInput<'_>, final_year: i32) {
    let lang = input.lang;
    let t = |en, zh| tr(lang, en, zh);
    let names = [
        t("loses more than 5%", "减少 5% 以上"),
        t("loses less than 5%", "减少不足 5%"),
        t("no change", "不变"),
        t("gains less than 5%", "增加不足 5%"),
        t("gains more than 5%", "增加 5% 以上"),
    ];
    let replicates = input.winners.iter().map(|w| w.replicates).max().unwrap_or(0);
    let base = escape(input.baseline);
    let _ = writeln!(
        h,
        "<section id=\"winners\">\n<h2>{}</h2>\n<p class=\"muted\">{}</p>\n<table class=\"winners\">\n<thead><tr><th>{}</th><th>{}</th>{}</tr></thead>\n<tbody>",
        t("Who wins and who loses", "谁受益、谁受损"),
        match (lang, replicates > 1) {
            (Lang::En, true) => format!(
                "Each household against its own twin under {base} (the same household in the same replicate, under the same shocks): \
                 the share of persons whose income per head in {final_year} is lower or higher. The bar and each first number: the mean \
                 over {replicates} replicates; below it, 5–95% of the replicates. winners.csv has every pair of strategies."
            ),
            (Lang::Zh, true) => format!(
                "每户与其在 {base} 下的“孪生”户（同一户、同一次重复、同样冲击）对比：{final_year} 年人均收入更低或更高的人口占比。\
                 色条与各格首个数字为 {replicates} 次重复的均值；其下为各次重复的 5%–95% 区间。winners.csv 含所有策略两两对比。"
            ),
            (Lang::En, false) => format!(
                "Each household against its own twin under {base} (the same household, replicate 0, the same shocks): \
                 the share of persons whose income per head in {final_year} is lower or higher. winners.csv has every pair of strategies."
            ),
            (Lang::Zh, false) => format!(
                "每户与其在 {base} 下的“孪生”户（同一户、第 0 次重复、同样冲击）对比：{final_year} 年人均收入更低或更高的人口占比。winners.csv 含所有策略两两对比。"
            ),
        },
        t("Strategy", "策略"),
        t("Persons by change in income", "按收入变化的人口分布"),
        names
            .iter()
            .map(|n| format!("<th class=\"num\">{}</th>", escape(n)))
            .collect::<String>()
    );
    for w in input.winners {
        let bar: String = w
            .shares
            .iter()
            .zip(BAND_COLOURS)
            .zip(names)
            .map(|((s, c), n)| {
                format!(
                    "<span style=\"width:{:.2}%;background:{c}\" title=\"{}: {:.1}%\"></span>",
                    100.0 * s.mean,
                    escape(n),
                    100.0 * s.mean
                )
            })
            .collect();
        let cells: String = w
            .shares
            .iter()
            .map(|s| {
                let interval = if s.p05.is_finite() && s.p95.is_finite() {
                    format!(
                        "<br><span class=\"interval\">{}–{}</span>",
                        num(100.0 * s.p05, 1),
                        num(100.0 * s.p95, 1)
                    )
                } else {
                    String::new()
                };
                format!("<td class=\"num\">{}%{interval}</td>", num(100.0 * s.mean, 1))
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"name\">{}</td><td><div class=\"bar\">{bar}</div></td>{cells}</tr>",
            escape(&w.strategy)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    if let Some((fig, png)) = input.winners_figure {
        write_figure(h, fig, png, lang);
    }
    let _ = writeln!(h, "</section>");
}

/// Progress against the scenario's targets: one row per target, one cell per
/// strategy with its value and in how many replicates it meets the target.
fn write_targets(h: &mut String, input: &ReportInput<'_>, final_year: i32) {
    let lang = input.lang;
    let t = |en, zh| tr(lang, en, zh);
    let r = input.results;
    let _ = writeln!(
        h,
        "<section id=\"targets\">\n<h2>{}</h2>\n<p class=\"muted\">{}</p>\n<table class=\"targets\">\n<thead><tr><th>{}</th>{}</tr></thead>\n<tbody>",
        t("Progress against the scenario's targets", "情景目标的完成情况"),
        match lang {
            Lang::En => format!(
                "Each target the scenario sets, in {final_year}: the mean over replicates with its 5–95% range, \
                 and in how many replicates the strategy meets it (✓ in every one)."
            ),
            Lang::Zh => format!(
                "情景设定的各项目标，{final_year} 年：各次重复的均值及其 5%–95% 区间，以及有多少次重复达标（✓ 为每次都达标）。"
            ),
        },
        t("Target", "目标"),
        strategy_headers(&r.strategies, "")
    );
    for row in input.targets {
        let cells: String = row
            .cells
            .iter()
            .map(|c| {
                let verdict = match (c.met, lang) {
                    (Some((k, n)), _) if k == n && n > 0 => {
                        format!("<span class=\"met\">✓ {}</span>", t("met", "达标"))
                    }
                    (Some((k, n)), Lang::En) => format!("<span class=\"unmet\">✗ met in {k} of {n} replicates</span>"),
                    (Some((k, n)), Lang::Zh) => format!("<span class=\"unmet\">✗ {n} 次中 {k} 次达标</span>"),
                    (None, _) => String::new(),
                };
                format!("<td>{}<br>{verdict}</td>", escape(&c.value))
            })
            .collect();
        let _ = writeln!(h, "<tr><th>{}</th>{cells}</tr>", escape(&row.target));
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    if input
        .targets
        .iter()
        .any(|row| row.cells.iter().any(|c| c.met.is_none()))
    {
        let _ = writeln!(
            h,
            "<p class=\"muted\">{}</p>",
            t(
                "Training has no verdict: the model trains a labourer of each registered family not yet trained as far as the budget goes, \
                 so families without labour are not trained and families registered later are; the count is set against the register at the start.",
                "培训不作达标判断：模型在预算范围内为每个尚未培训的建档户培训一名劳动力，无劳动力的户无法培训，后来建档的户也会培训；人数与起始年建档户数对照。"
            )
        );
    }
    let _ = writeln!(h, "</section>");
}

/// When the villages exit: the village chart, then each village's exit year under
/// each strategy (the year by which it has exited in at least half the replicates).
fn write_villages(h: &mut String, input: &ReportInput<'_>, fig: &Figure, png: &[u8], final_year: i32) {
    let lang = input.lang;
    let t = |en, zh| tr(lang, en, zh);
    let _ = writeln!(
        h,
        "<section id=\"villages\">\n<h2>{}</h2>",
        t("When the villages exit", "各村何时退出")
    );
    write_figure(h, fig, png, lang);
    if input.village_rows.is_empty() {
        let _ = writeln!(h, "</section>");
        return;
    }
    let r = input.results;
    let base = escape(input.baseline);
    let _ = writeln!(
        h,
        "<details open>\n<summary>{}</summary>\n<p class=\"muted\">{}</p>\n<table class=\"villages\">\n<thead><tr><th>{}</th><th class=\"num\">{}</th>{}</tr></thead>\n<tbody>",
        match lang {
            Lang::En => format!(
                "Exit year of each of the {} villages, by strategy",
                input.village_rows.len()
            ),
            Lang::Zh => format!("{} 个村在各策略下的退出年份", input.village_rows.len()),
        },
        match lang {
            Lang::En => format!(
                "The year by which the village has exited in at least half of the replicates; “–”: not by {final_year}. \
                 Those {base} leaves longest first, then the poorest at the start. Start: the village's poverty incidence in {}.",
                r.years.first().copied().unwrap_or_default()
            ),
            Lang::Zh => format!(
                "至少半数重复中该村已退出的年份；“–”：{final_year} 年前未退出。{base} 下退出最晚的村在前，其次按起始贫困发生率从高到低。起始：该村 {} 年的贫困发生率。",
                r.years.first().copied().unwrap_or_default()
            ),
        },
        t("Village", "村"),
        t("Start, %", "起始 %"),
        strategy_headers(&r.strategies, " class=\"num\"")
    );
    for row in input.village_rows {
        let cells: String = row
            .exit
            .iter()
            .map(|y| match y {
                Some(y) => format!("<td class=\"num\">{y}</td>"),
                None => "<td class=\"num\">–</td>".to_string(),
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"name\">{}</td><td class=\"num\">{}</td>{cells}</tr>",
            escape(&row.name),
            num(row.start_incidence, 1)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>\n</details>\n</section>");
}

/// One chart: the PNG inline, its caption, and the names of its files.
fn write_figure(h: &mut String, fig: &Figure, png: &[u8], lang: Lang) {
    let (w, ht) = fig.size();
    let suffix = lang.file_suffix();
    let _ = writeln!(
        h,
        "<figure class=\"chart\" id=\"chart-{stem}\" data-chart=\"{stem}\">\n\
         <img src=\"data:image/png;base64,{}\" width=\"{w}\" height=\"{ht}\" alt=\"{}\">\n\
         <figcaption>{} {} <code>{stem}{suffix}.png</code>, <code>{stem}{suffix}.svg</code></figcaption>\n</figure>",
        base64(png),
        escape(&fig.title),
        escape(&fig.caption),
        tr(lang, "Also saved as", "另存为"),
        stem = fig.stem,
    );
}

/// The report page as bytes.
pub fn report_html(input: &ReportInput<'_>) -> Vec<u8> {
    let lang = input.lang;
    let t = |en, zh| tr(lang, en, zh);
    let m = input.manifest;
    let r = input.results;
    let final_year = r.years.last().copied().unwrap_or(m.end_year);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        lang.code(),
        escape(&m.scenario_name),
        t("sandan report", "sandan 报告"),
    );

    // Header: what was simulated.
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", escape(&m.scenario_name));
    if !m.scenario_description.trim().is_empty() {
        let _ = writeln!(h, "<p class=\"lead\">{}</p>", escape(m.scenario_description.trim()));
    }
    let _ = writeln!(
        h,
        "<p class=\"muted\">{}</p>\n</header>",
        match lang {
            Lang::En => format!(
                "{} strategies compared over {}–{}, {} replicates each; {} households in {} {}. \
                 All figures are means over replicates unless an interval is given.",
                r.strategies.len(),
                m.start_year,
                m.end_year,
                m.replicates,
                group_thousands(&m.households.to_string()),
                m.villages,
                if m.villages == 1 { "village" } else { "villages" }
            ),
            Lang::Zh => format!(
                "比较 {} 种策略，{}–{} 年，每种 {} 次重复模拟；{} 个村共 {} 户。除注明区间外，数字均为各次重复的均值。",
                r.strategies.len(),
                m.start_year,
                m.end_year,
                m.replicates,
                m.villages,
                group_thousands(&m.households.to_string())
            ),
        }
    );

    // First the answer: the best strategy's impact in words, budgets left unspent,
    // the impact chart, and each strategy's impact line.
    if input.summary.is_some() || !input.impacts.is_empty() {
        let _ = writeln!(
            h,
            "<section id=\"answer\">\n<h2>{}</h2>",
            t("Impact against the baseline", "相对基准的影响")
        );
        if let Some(text) = input.summary {
            let _ = writeln!(h, "<p class=\"answer\" id=\"summary\">{}</p>", escape(text));
        }
        if !input.budget_flags.is_empty() {
            let _ = writeln!(
                h,
                "<div class=\"flag\" id=\"budget-flags\"><p>{}</p>\n<ul>",
                t(
                    "Not the same budget in practice: these strategies left much of their program budget unspent, \
                     so their impact is that of a smaller program (budget.csv has every year).",
                    "实际并非同样的预算：以下策略有大量项目预算未用，其影响相当于规模更小的项目（budget.csv 含各年）。"
                )
            );
            for line in input.budget_flags {
                let _ = writeln!(h, "<li>{}</li>", escape(line));
            }
            let _ = writeln!(h, "</ul></div>");
        }
        if let Some((fig, png)) = input.impact_figure {
            write_figure(&mut h, fig, png, lang);
        }
        if !input.impacts.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"muted\">{}</p>\n<ul>",
                t(
                    "Each strategy against the baseline within the same replicates (same county, weather and prices): \
                     the mean difference, its 5–95% range over replicates, how often it did better, and its extra spending \
                     per additional person out of poverty. impacts.csv has every year and measure.",
                    "在相同重复（同一县、同样的天气与价格）内与基准对比：平均差异、重复间 5%–95% 区间、更好的次数，\
                     以及每多一人脱贫的额外支出。impacts.csv 含各年各项指标。"
                )
            );
            for line in input.impacts {
                let _ = writeln!(h, "<li>{}</li>", escape(line));
            }
            let _ = writeln!(h, "</ul>");
        }
        let _ = writeln!(h, "</section>");
    }

    // Results table.
    let _ = writeln!(
        h,
        "<section>\n<h2>{} {final_year}</h2>\n<table class=\"results\">\n<thead><tr><th>{}</th><th class=\"num\">{}</th>\
         <th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead>\n<tbody>",
        t("Results by strategy, final year", "各策略结果，末年"),
        t("Strategy", "策略"),
        t(
            "Poverty incidence, % <span class=\"nw\">[5–95%]</span>",
            "贫困发生率 % <span class=\"nw\">［5–95%］</span>",
        ),
        t("Persons exited", "脱贫人数"),
        t("Re-entries (households)", "返贫户数"),
        t("Spending (million yuan)", "支出（百万元）"),
        t("Cost per person exited (yuan)", "每脱贫一人成本（元）"),
        t("Program budget used", "项目预算使用率"),
    );
    // Best (lowest final-year incidence) first, so the table reads as a ranking.
    let mut order: Vec<usize> = (0..r.strategies.len()).collect();
    let final_incidence = |s: usize| input.totals.get(s).map_or(f64::NAN, |t| t.incidence.mean);
    order.sort_by(
        |&a, &b| match (final_incidence(a).is_nan(), final_incidence(b).is_nan()) {
            (false, false) => final_incidence(a).total_cmp(&final_incidence(b)),
            (x, y) => x.cmp(&y),
        },
    );
    for s in order {
        let name = &r.strategies[s];
        let tot = input.totals.get(s);
        let c = strategy_colour(s);
        let inc = tot.map(|x| x.incidence);
        let g = |f: fn(&StrategyTotals) -> f64| tot.map_or(f64::NAN, f);
        let _ = writeln!(
            h,
            "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>{}</td>\
             <td class=\"num\">{} [{}, {}]</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td>{}</tr>",
            c.0,
            c.1,
            c.2,
            escape(name),
            num(inc.map_or(f64::NAN, |i| i.mean * 100.0), 1),
            num(inc.map_or(f64::NAN, |i| i.p05 * 100.0), 1),
            num(inc.map_or(f64::NAN, |i| i.p95 * 100.0), 1),
            num(g(|x| x.persons_exited), 0),
            num(g(|x| x.reentries), 0),
            num(g(|x| x.spending / 1e6), 2),
            num(g(|x| x.cost_per_person_exited), 0),
            match input.budget.iter().find(|b| b.strategy == s) {
                Some(b) if b.flagged => format!("<td class=\"num flagged\">{}% ⚠</td>", num(100.0 * b.share_used, 0)),
                Some(b) => format!("<td class=\"num\">{}%</td>", num(100.0 * b.share_used, 0)),
                None => "<td class=\"num\">–</td>".to_string(),
            },
        );
    }
    let _ = writeln!(
        h,
        "</tbody>\n</table>\n<p class=\"muted\">{}</p>\n</section>",
        t(
            "Ranked by final-year poverty incidence, lowest first. \
             Persons exited, re-entries and spending are totals from the first simulated year to the final year. \
             Cost per person exited is total spending (safety net included) divided by persons exited (– while nobody has exited); \
             the impact section gives the cost per additional person out of poverty. \
             Program budget used: program spending over the program budget, all simulated years (– without a program; ⚠ flagged).",
            "按末年贫困发生率从低到高排列。脱贫人数、返贫户数和支出为从首个模拟年到末年的累计值。每脱贫一人成本 = 累计支出（含兜底保障）÷ 累计脱贫人数（尚无人脱贫时为 –）；\
             每多一人脱贫的成本见影响一节。项目预算使用率：各模拟年项目支出 ÷ 项目预算（无项目为 –；⚠ 为提示）。"
        )
    );

    // Progress against the scenario's own targets.
    if !input.targets.is_empty() {
        write_targets(&mut h, input, final_year);
    }

    // Winners and losers: each household against its twin in the baseline.
    if !input.winners.is_empty() {
        write_winners(&mut h, input, final_year);
    }

    // When the villages exit.
    if let Some((fig, png)) = input.villages {
        write_villages(&mut h, input, fig, png, final_year);
    }

    // Charts.
    let _ = writeln!(h, "<section>\n<h2>{}</h2>", t("Charts", "图表"));
    for (fig, png) in input.figures {
        write_figure(&mut h, fig, png, lang);
    }
    let _ = writeln!(h, "</section>");

    // Parameters.
    let _ = writeln!(
        h,
        "<section>\n<h2>{}</h2>\n<table class=\"params\">\n<tbody>",
        t("Scenario parameters", "情景参数")
    );
    let rows: [(&str, String); 7] = [
        (t("Years", "年份"), format!("{}–{}", m.start_year, m.end_year)),
        (t("Seed", "随机种子"), m.seed.to_string()),
        (
            t("Replicates per strategy", "每种策略重复次数"),
            m.replicates.to_string(),
        ),
        (t("Villages", "村数"), m.villages.to_string()),
        (t("Households", "户数"), group_thousands(&m.households.to_string())),
        (t("Scenario file", "情景文件"), m.scenario_path.clone()),
        (t("Scenario hash", "情景哈希"), m.scenario_hash.clone()),
    ];
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(&v));
    }
    let _ = writeln!(
        h,
        "</tbody>\n</table>\n<h3>{}</h3>\n<table class=\"strategies\">\n<tbody>",
        t("Strategies", "策略")
    );
    for (s, name) in r.strategies.iter().enumerate() {
        let c = strategy_colour(s);
        let d = m.description_of(name);
        let _ = writeln!(
            h,
            "<tr><th><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>{}</th><td>{}</td></tr>",
            c.0,
            c.1,
            c.2,
            escape(name),
            if d.is_empty() {
                t("(no description)", "（无说明）").to_string()
            } else {
                escape(d)
            }
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    if let Some(text) = input.scenario_toml {
        let _ = writeln!(
            h,
            "<details>\n<summary>{}</summary>\n<pre>{}</pre>\n</details>",
            t("The scenario file, as run", "运行所用的情景文件"),
            escape(text)
        );
    }
    let _ = writeln!(
        h,
        "<details>\n<summary>{}</summary>\n<table class=\"metrics\">\n<tbody>",
        t("Metrics in trajectories.csv", "trajectories.csv 中的指标")
    );
    for metric in &r.metrics {
        let _ = writeln!(
            h,
            "<tr><th><code>{}</code></th><td>{}</td></tr>",
            escape(metric),
            escape(describe(metric).unwrap_or(""))
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>\n</details>\n</section>");

    // Footer: how to reproduce.
    let _ = write!(
        h,
        "<footer>\n<p>{} sandan {} · {} {} · {} {} · {} <code>{}</code></p>\n",
        t("Simulated with", "模拟程序"),
        escape(&m.sandan_version),
        t("seed", "种子"),
        m.seed,
        t("replicates", "重复次数"),
        m.replicates,
        t("command:", "命令："),
        escape(&m.command),
    );
    if let Some(cmd) = input.rebuilt_by {
        let _ = writeln!(
            h,
            "<p>{} sandan {}: <code>{}</code></p>",
            t("Report rebuilt from the saved results by", "报告由已保存结果重建，使用"),
            env!("CARGO_PKG_VERSION"),
            escape(cmd)
        );
    }
    let _ = write!(
        h,
        "<p>{}</p>\n</footer>\n</body>\n</html>\n",
        t(
            "Running the same command with the same sandan version and scenario file reproduces these results exactly, \
             whatever the number of threads.",
            "以相同版本的 sandan、相同的情景文件和命令重新运行，结果完全一致，与线程数无关。"
        )
    );
    h.into_bytes()
}

/// What a calibration's `report.html` shows (`sandan calibrate`): plain values, so
/// that the page is built without the calibration's types and tested on its own.
pub struct CalibrationReport<'a> {
    pub scenario_name: &'a str,
    pub scenario_file: &'a str,
    pub targets_file: &'a str,
    /// The strategy that ran in reality.
    pub strategy: &'a str,
    /// Why the sampler stopped, in words.
    pub stopped_by: &'a str,
    pub replicates: u32,
    /// Each observation: metric, year, observed value, its standard deviation.
    pub observations: Vec<(String, i32, f64, f64)>,
    /// Each generation: index, tolerance, acceptance, effective sample size, simulations.
    pub generations: Vec<(usize, f64, f64, f64, u64)>,
    /// Each fitted key: path, prior in words, posterior 5%, 50%, 95%.
    pub parameters: Vec<(String, String, f64, f64, f64)>,
    pub fit_png: &'a [u8],
    pub pairs_png: &'a [u8],
}

/// A PNG's width and height, from its header.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return None;
    }
    let be = |at: usize| Some(u32::from_be_bytes(png.get(at..at + 4)?.try_into().ok()?));
    Some((be(16)?, be(20)?))
}

/// A number for the calibration page: four significant digits, whole from 1000 up.
fn sig(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() { "–".into() } else { "∞".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let decimals = (3 - v.abs().log10().floor() as i64).clamp(0, 12) as usize;
    group_thousands(&format!("{v:.decimals$}"))
}

/// A calibration's `report.html`: the fit and pairs figures, the generations, the
/// posterior ranges, and how to read them. Nothing on it depends on the machine,
/// paths or wall time, so a calibration run in shards gives the same bytes.
pub fn calibration_html(c: &CalibrationReport<'_>) -> Vec<u8> {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — sandan calibration</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(c.scenario_name)
    );
    let last = c.generations.last();
    let spent: u64 = c.generations.iter().map(|g| g.4).sum();
    let _ = writeln!(
        h,
        "<header>\n<h1>Calibration of {}</h1>\n<p class=\"lead\">The keys below were fitted so that strategy \
         <code>{}</code> of <code>{}</code> reproduces the record in <code>{}</code>: {} generations, {} simulations \
         of {} replicates each, stopped by {}; the last tolerance is {}.</p>\n</header>",
        escape(c.scenario_name),
        escape(c.strategy),
        escape(c.scenario_file),
        escape(c.targets_file),
        c.generations.len(),
        group_thousands(&spent.to_string()),
        c.replicates,
        escape(c.stopped_by),
        last.map_or("–".into(), |g| sig(g.1)),
    );
    let _ = writeln!(
        h,
        "<section>\n<h2>How to read this page</h2>\n\
         <p>Each candidate set of values (a <em>particle</em>) was simulated over the same replicates and scored by how \
         likely the record is under it: the record is taken as one realisation of the village plus observation error, \
         so the replicates' mean is compared with it under the replicates' own spread plus the observation errors \
         below. Its <em>distance</em> is that miss in standard deviations, the years' correlations taken into account. \
         Each generation keeps a particle with a chance that falls with its distance, more strictly as the tolerance \
         comes down; at tolerance 1 the kept particles, with their weights, are the <em>posterior</em>: the values the \
         record supports, and how surely.</p>\n\
         <p>If the run stopped before tolerance 1 (by the generation limit, the budget or a low acceptance), the last \
         generation is wider than the posterior: run longer, or fit other keys if the acceptance collapsed, which means \
         no values of the fitted keys reproduce the record. In the fit figure, the blue band \
         (the posterior's simulations, 5–95%) should reach the orange points (the observations with their 90% error \
         range). In the pairs figure, a narrow histogram means the record pins a key down; particles along a curve, or \
         |r| near 1, mean it fixes only a combination of two keys, so their medians are not known separately. \
         <code>calibrated.toml</code> is the scenario with the posterior medians set.</p>\n</section>"
    );
    let _ = writeln!(
        h,
        "<section>\n<h2>Posterior ranges</h2>\n<table class=\"results\">\n<thead><tr><th>Key</th><th>Prior</th>\
         <th class=\"num\">5%</th><th class=\"num\">Median</th><th class=\"num\">95%</th></tr></thead>\n<tbody>"
    );
    for (path, prior, p05, p50, p95) in &c.parameters {
        let _ = writeln!(
            h,
            "<tr><td class=\"name\"><code>{}</code></td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(path),
            escape(prior),
            sig(*p05),
            sig(*p50),
            sig(*p95)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>\n</section>");
    for (stem, png, caption) in [
        (
            "fit",
            c.fit_png,
            "Posterior-predictive 5–95% bands of each observed metric by year (blue), with the observations and \
             their 90% error ranges (orange).",
        ),
        (
            "pairs",
            c.pairs_png,
            "The posterior's particles: each key's weighted histogram on the diagonal, each pair's scatter below it \
             (darker: more weight) and their weighted correlation r above it.",
        ),
    ] {
        // Never wider than drawn: a pairs grid of one or two keys is small.
        let size = png_size(png).map_or(String::new(), |(w, ht)| {
            format!(" width=\"{w}\" height=\"{ht}\" style=\"max-width:{w}px\"")
        });
        let _ = writeln!(
            h,
            "<figure class=\"chart\" id=\"chart-{stem}\">\n<img src=\"data:image/png;base64,{}\"{size} alt=\"{stem}\">\n\
             <figcaption>{} Also saved as <code>{stem}.png</code>, <code>{stem}.svg</code></figcaption>\n</figure>",
            base64(png),
            escape(caption)
        );
    }
    let _ = writeln!(
        h,
        "<section>\n<h2>Generations</h2>\n<table class=\"results\">\n<thead><tr><th>Generation</th>\
         <th class=\"num\">Tolerance</th><th class=\"num\">Acceptance</th><th class=\"num\">Effective sample size</th>\
         <th class=\"num\">Simulations</th></tr></thead>\n<tbody>"
    );
    for (index, tolerance, acceptance, ess, simulations) in &c.generations {
        let _ = writeln!(
            h,
            "<tr><td>{index}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            sig(*tolerance),
            num(*acceptance, 3),
            num(*ess, 0),
            group_thousands(&simulations.to_string())
        );
    }
    let _ = writeln!(
        h,
        "</tbody>\n</table>\n<p class=\"muted\">Generation 0 is drawn from the priors (no tolerance). Acceptance is \
         the share of a generation's proposals it kept; the effective sample size, 1 / Σ w², says how \
         many equally weighted particles the weighted ones are worth. generations.csv and posterior.csv hold these \
         numbers in full.</p>\n</section>"
    );
    let _ = writeln!(
        h,
        "<section>\n<h2>Observations</h2>\n<table class=\"results\">\n<thead><tr><th>Metric</th><th>Year</th>\
         <th class=\"num\">Observed</th><th class=\"num\">Observation error (sd)</th></tr></thead>\n<tbody>"
    );
    for (metric, year, value, sd) in &c.observations {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{year}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(metric),
            sig(*value),
            sig(*sd)
        );
    }
    let _ = write!(
        h,
        "</tbody>\n</table>\n</section>\n<footer>\n<p>Calibrated with sandan {}; calibration.json holds the seed, \
         the settings, the hashes of both files and the command. Running the same command reproduces this page \
         exactly, on any number of threads or Slurm shards.</p>\n</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h.into_bytes()
}

/// One header cell per strategy, with its colour's swatch; `attributes` go into
/// each `<th>` (e.g. a class).
fn strategy_headers(strategies: &[String], attributes: &str) -> String {
    strategies
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let c = strategy_colour(s);
            format!(
                "<th{attributes}><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>{}</th>",
                c.0,
                c.1,
                c.2,
                escape(name)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn a_calibration_page_shows_its_ranges_generations_and_figures() {
        let c = CalibrationReport {
            scenario_name: "Liangshuiquan <village>",
            scenario_file: "s.toml",
            targets_file: "t.toml",
            strategy: "three_order",
            stopped_by: "the generation limit",
            replicates: 4,
            observations: vec![("official_incidence".into(), 2018, 0.0085, 0.003)],
            generations: vec![(0, f64::INFINITY, 1.0, 200.0, 200), (1, 2.345_67, 0.41, 151.2, 488)],
            parameters: vec![(
                "poverty_line.2020".into(),
                "uniform 3000 – 5000".into(),
                3512.4,
                4000.0,
                4488.8,
            )],
            fit_png: b"fit",
            pairs_png: b"pairs",
        };
        let page = String::from_utf8(calibration_html(&c)).unwrap();
        for shown in [
            "<title>Liangshuiquan &lt;village&gt; — sandan calibration</title>",
            "2 generations, 688 simulations of 4 replicates each, stopped by the generation limit; the last tolerance is 2.346.",
            "<code>poverty_line.2020</code></td><td>uniform 3000 – 5000</td><td class=\"num\">3,512</td>",
            "<td>1</td><td class=\"num\">2.346</td><td class=\"num\">0.410</td><td class=\"num\">151</td>",
            "<td>0</td><td class=\"num\">∞</td>",
            "<td><code>official_incidence</code></td><td>2018</td><td class=\"num\">0.008500</td>",
            "How to read this page",
        ] {
            assert!(page.contains(shown), "{shown} in\n{page}");
        }
        assert!(page.contains(&format!("data:image/png;base64,{}\" alt=\"fit\"", base64(b"fit"))));
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02\x58\0\0\x02\xc4";
        assert_eq!(png_size(png), Some((600, 708)));
        assert!(page.contains(&format!("data:image/png;base64,{}", base64(b"pairs"))));
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
