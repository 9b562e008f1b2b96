//! The response plot of a sweep: a chosen metric in the final year against one
//! parameter (per strategy, the mean over replicates as a line and the 5–95% band)
//! or two (one heatmap of the mean per strategy).
//!
//! Points that share the plotted coordinates (other parameters varied too) are
//! averaged, which the caption says. Drawn with the embedded font of
//! [`crate::output::plot`], so it looks the same on any machine.

use super::summary::SweepSummary;
use crate::metrics::Summary;
use crate::output::OutputError;
use crate::output::fonts::{LATIN_FAMILY, Lang};
use crate::output::plot::{
    Figure, HEADER_HEIGHT, LEGEND_WIDTH, LegendEntry, Panel, Series, XScale, axis_number, encode_png, ensure_font,
    figure_png, plot_error, strategy_colour,
};
use plotters::prelude::*;
use plotters::style::text_anchor as text;

/// Width of the sensitivity and rankings charts.
const WIDTH: u32 = 1000;

/// Means of (mean, p05, p95) per strategy at each distinct plotted coordinate.
struct Cell {
    at: Vec<f64>,
    /// Per strategy: (mean, p05, p95), summed then divided by `n`.
    stats: Vec<(f64, f64, f64)>,
    n: f64,
}

/// Parameter values as numbers: numbers as themselves, anything else by its rank
/// among the distinct values (so a categorical parameter still has an axis).
fn numeric_column(s: &SweepSummary, p: usize) -> Vec<f64> {
    let raw: Vec<&str> = s.points.iter().map(|pt| pt.params[p].as_str()).collect();
    if raw.iter().all(|v| v.parse::<f64>().is_ok()) {
        return raw.iter().map(|v| v.parse().unwrap_or(f64::NAN)).collect();
    }
    let mut distinct: Vec<&str> = raw.clone();
    distinct.sort_unstable();
    distinct.dedup();
    raw.iter()
        .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0) as f64)
        .collect()
}

fn cells(s: &SweepSummary, by: &[usize]) -> Vec<Cell> {
    let cols: Vec<Vec<f64>> = by.iter().map(|&p| numeric_column(s, p)).collect();
    let mut out: Vec<Cell> = Vec::new();
    for (i, pt) in s.points.iter().enumerate() {
        let at: Vec<f64> = cols.iter().map(|c| c[i]).collect();
        let idx = match out.iter().position(|c| c.at == at) {
            Some(j) => j,
            None => {
                out.push(Cell {
                    at,
                    stats: vec![(0.0, 0.0, 0.0); s.strategies.len()],
                    n: 0.0,
                });
                out.len() - 1
            }
        };
        let c = &mut out[idx];
        c.n += 1.0;
        for (name, sm) in &pt.by_strategy {
            if let Some(k) = s.strategies.iter().position(|x| x == name) {
                c.stats[k].0 += sm.mean;
                c.stats[k].1 += sm.p05;
                c.stats[k].2 += sm.p95;
            }
        }
    }
    for c in &mut out {
        for st in &mut c.stats {
            *st = (st.0 / c.n, st.1 / c.n, st.2 / c.n);
        }
    }
    out.sort_by(|a, b| a.at.partial_cmp(&b.at).unwrap_or(std::cmp::Ordering::Equal));
    out
}

fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi - lo < 1e-12 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

/// Draw the plot against the parameters at indices `by` (one or two).
pub fn response_png(s: &SweepSummary, by: &[usize]) -> Result<Vec<u8>, OutputError> {
    let what = "response.png";
    let err = plot_error(what);
    ensure_font();
    let averaged = s.points.len() > cells(s, by).len();
    // One parameter: drawn as a run's charts are (the same layout, legend, colours,
    // bands and notes).
    if let [x] = by {
        return figure_png(&response_figure(s, *x, averaged), LATIN_FAMILY).map_err(err);
    }
    let [x, y] = by else {
        return Err(err("plot against one or two parameters".to_string()));
    };
    let strategies = s.strategies.len().max(1) as u32;
    let (width, height) = (
        crate::output::plot::WIDTH,
        HEADER_HEIGHT + strategies.div_ceil(HEATMAP_COLUMNS) * HEATMAP_ROW,
    );
    let mut rgb = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        heatmaps(&root, s, *x, *y, averaged).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(&rgb, width, height).map_err(err)
}

/// Heatmaps two to a row, each this high.
const HEATMAP_COLUMNS: u32 = 2;
const HEATMAP_ROW: u32 = 400;

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Whether a metric is a share, drawn in percent as a run's charts draw it.
fn is_share(metric: &str) -> bool {
    metric.ends_with("incidence") || metric.starts_with("share_") || metric == "collectives_on_target"
}

/// Parameter values on a whole-number axis: in steps of a power of ten, 1/100 to
/// 1/1,000 of their range (whole numbers of a range up to 1,000 exactly), from a
/// round origin so that the ticks fall on round values. The points' x and the scale
/// that reads them back.
fn x_axis(values: &[f64]) -> (Vec<i32>, (f64, f64)) {
    let (lo, hi) = span(values.iter().copied());
    let whole = values.iter().all(|v| v.fract() == 0.0) && hi - lo <= 1000.0;
    let step = if whole {
        1.0
    } else {
        10f64.powi((hi - lo).log10().floor() as i32 - 2)
    };
    let origin = (lo / (100.0 * step)).floor() * 100.0 * step;
    let xs = values
        .iter()
        .map(|v| {
            if v.is_finite() {
                ((v - origin) / step).round() as i32
            } else {
                -1
            }
        })
        .collect();
    (xs, (origin, step))
}

/// The response to one parameter as a run's chart: per strategy, the mean over
/// replicates at each value (line) with the 5–95% band, the legend beside the
/// plot ranked by the value at the parameter's largest value, a share in percent.
pub fn response_figure(s: &SweepSummary, x: usize, averaged: bool) -> Figure {
    let cs = cells(s, &[x]);
    let scale = if is_share(&s.metric) { 100.0 } else { 1.0 };
    let at: Vec<f64> = cs.iter().map(|c| c.at[0]).collect();
    let (xs, (origin, step)) = x_axis(&at);
    let summary = |c: &Cell, k: usize| Summary {
        mean: c.stats[k].0 * scale,
        p05: c.stats[k].1 * scale,
        p50: c.stats[k].0 * scale,
        p95: c.stats[k].2 * scale,
    };
    let series = (0..s.strategies.len())
        .map(|k| Series {
            strategy: k,
            points: cs.iter().zip(&xs).map(|(c, &xi)| (xi, summary(c, k))).collect(),
            dashed: false,
        })
        .collect();
    let value = |v: f64| {
        if !v.is_finite() {
            "–".to_string()
        } else if scale == 100.0 {
            format!("{v:.1}%")
        } else {
            axis_number(v, v.abs())
        }
    };
    let last = cs.last();
    let mut ranked: Vec<(usize, f64)> = (0..s.strategies.len())
        .map(|k| (k, last.map_or(f64::NAN, |c| summary(c, k).mean)))
        .collect();
    ranked.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
        (false, false) => b.1.total_cmp(&a.1),
        (p, q) => p.cmp(&q),
    });
    let legend: Vec<LegendEntry> = ranked
        .into_iter()
        .map(|(k, v)| LegendEntry {
            strategy: k,
            name: s.strategies[k].clone(),
            value: value(v),
        })
        .collect();
    let parameter = &s.parameters[x];
    let largest = last.map_or(String::new(), |c| axis_number(c.at[0], c.at[0].abs()));
    let mut notes = vec![format!(
        "Line: mean over each point's replicates. Band: 5–95% of them.{}",
        if averaged {
            " Points that share this parameter's value (other parameters varied) are averaged."
        } else {
            ""
        }
    )];
    notes.extend(crate::output::figures::overlap_notes(&legend, Lang::En));
    let description = crate::output::figures::describe(&s.metric).unwrap_or_default();
    Figure {
        stem: "response",
        caption: description.to_string(),
        title: format!("{} in {} against {parameter}", s.metric, s.year),
        subtitle: format!(
            "Sweep of {} design points × {} strategies",
            s.points.len(),
            s.strategies.len()
        ),
        x_label: parameter.clone(),
        panels: vec![Panel {
            title: if description.is_empty() {
                s.metric.clone()
            } else {
                crate::output::plot::first_clause(description)
            },
            y_label: if scale == 100.0 {
                format!("{} (%)", s.metric)
            } else {
                s.metric.clone()
            },
            series,
            legend: Vec::new(),
            x_scale: Some(XScale::Numeric { origin, step }),
        }],
        legend_title: format!("{}, at {parameter} = {largest} (highest first):", s.metric),
        legend,
        notes,
    }
}

/// Light yellow (low) to dark blue (high).
fn shade(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(lerp(255, 8), lerp(247, 48), lerp(188, 107))
}

fn heatmaps(root: &Area, s: &SweepSummary, x: usize, y: usize, averaged: bool) -> DrawResult {
    let cs = cells(s, &[x, y]);
    let scale = if is_share(&s.metric) { 100.0 } else { 1.0 };
    let (lo, hi) = span(cs.iter().flat_map(|c| c.stats.iter().map(|t| t.0)));
    let shown = |v: f64| {
        if scale == 100.0 {
            format!("{:.1}", v * scale)
        } else {
            axis_number(v, hi - lo)
        }
    };
    let unit = if scale == 100.0 { "%" } else { "" };
    // The run charts' header and legend column.
    let grey = RGBColor(90, 90, 90);
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    header.draw(&Text::new(
        format!(
            "{} in {} by {} and {}",
            s.metric, s.year, s.parameters[x], s.parameters[y]
        ),
        (16, 10),
        (LATIN_FAMILY, 26).into_font().color(&BLACK),
    ))?;
    header.draw(&Text::new(
        format!(
            "Sweep of {} design points × {} strategies",
            s.points.len(),
            s.strategies.len()
        ),
        (16, 40),
        (LATIN_FAMILY, 16).into_font().color(&grey),
    ))?;
    let (w, _) = body.dim_in_pixel();
    let (plots, key) = body.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    // The key: the colour scale, then how to read it.
    key.draw(&Text::new(
        format!(
            "Mean {}{}, {}:",
            s.metric,
            if unit.is_empty() { "" } else { " (%)" },
            s.year
        ),
        (8, 40),
        (LATIN_FAMILY, 16).into_font().color(&BLACK),
    ))?;
    for i in 0..200 {
        let t = f64::from(i) / 199.0;
        key.draw(&Rectangle::new([(8 + i, 70), (9 + i, 92)], shade(t).filled()))?;
    }
    for (text, at) in [(shown(lo), 8), (shown(hi), 208)] {
        key.draw(&Text::new(
            format!("{text}{unit}"),
            (at, 98),
            (LATIN_FAMILY, 14)
                .into_font()
                .color(&BLACK)
                .pos(text::Pos::new(text::HPos::Center, text::VPos::Top)),
        ))?;
    }
    let mut notes = vec![
        "Each cell: the mean over the point's replicates; light is low, dark is high, one scale for every strategy."
            .to_string(),
    ];
    if averaged {
        notes
            .push("Points that share these two parameters' values (other parameters varied) are averaged.".to_string());
    }
    let mut line_y = 130;
    for note in &notes {
        for line in crate::output::plot::wrap(note, 36) {
            key.draw(&Text::new(
                line,
                (8, line_y),
                (LATIN_FAMILY, 14).into_font().color(&grey),
            ))?;
            line_y += 18;
        }
        line_y += 4;
    }
    let rows = s.strategies.len().max(1).div_ceil(HEATMAP_COLUMNS as usize);
    let columns = s.strategies.len().clamp(1, HEATMAP_COLUMNS as usize);
    let panels = plots.split_evenly((rows, columns));
    let mut xs: Vec<f64> = cs.iter().map(|c| c.at[0]).collect();
    let mut ys: Vec<f64> = cs.iter().map(|c| c.at[1]).collect();
    for v in [&mut xs, &mut ys] {
        v.sort_by(|a, b| a.total_cmp(b));
        v.dedup();
    }
    let is_grid = xs.len() * ys.len() == cs.len();
    for (k, (panel, name)) in panels.iter().zip(&s.strategies).enumerate() {
        let colour = strategy_colour(k);
        if is_grid {
            // Segmented (categorical) axes: one rectangle per grid cell, labelled
            // with its mean when the cells are large enough to hold the text.
            let (nx, ny) = (xs.len() as i32, ys.len() as i32);
            let mut chart = ChartBuilder::on(panel)
                .caption(name.as_str(), (LATIN_FAMILY, 20).into_font().color(&colour))
                .margin(10)
                .margin_right(24)
                .x_label_area_size(44)
                .y_label_area_size(84)
                .build_cartesian_2d((0..nx - 1).into_segmented(), (0..ny - 1).into_segmented())?;
            let (xl, yl) = (xs.clone(), ys.clone());
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(s.parameters[x].as_str())
                .y_desc(s.parameters[y].as_str())
                .x_labels(xs.len().min(12))
                .y_labels(ys.len().min(12))
                .x_label_formatter(&move |v| label_at(&xl, v))
                .y_label_formatter(&move |v| label_at(&yl, v))
                .label_style((LATIN_FAMILY, 16))
                .axis_desc_style((LATIN_FAMILY, 17))
                .draw()?;
            let (pw, ph) = chart.plotting_area().dim_in_pixel();
            let roomy = pw as usize / xs.len().max(1) >= 48 && ph as usize / ys.len().max(1) >= 22;
            for c in &cs {
                let i = xs.iter().position(|v| *v == c.at[0]).unwrap_or(0) as i32;
                let j = ys.iter().position(|v| *v == c.at[1]).unwrap_or(0) as i32;
                let t = (c.stats[k].0 - lo) / (hi - lo);
                let corners = [
                    (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                    (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
                ];
                chart.draw_series(std::iter::once(Rectangle::new(corners, shade(t).filled())))?;
                if roomy {
                    let ink = if t > 0.5 { WHITE } else { BLACK };
                    let style = (LATIN_FAMILY, 14)
                        .into_font()
                        .color(&ink)
                        .pos(text::Pos::new(text::HPos::Center, text::VPos::Center));
                    chart.draw_series(std::iter::once(Text::new(
                        shown(c.stats[k].0),
                        (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
                        style,
                    )))?;
                }
            }
        } else {
            let (x0, x1) = span(xs.iter().copied());
            let (y0, y1) = span(ys.iter().copied());
            let mut chart = ChartBuilder::on(panel)
                .caption(name.as_str(), (LATIN_FAMILY, 20).into_font().color(&colour))
                .margin(10)
                .margin_right(24)
                .x_label_area_size(44)
                .y_label_area_size(84)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .x_desc(s.parameters[x].as_str())
                .y_desc(s.parameters[y].as_str())
                .x_label_formatter(&|v| axis_number(*v, x1 - x0))
                .y_label_formatter(&|v| axis_number(*v, y1 - y0))
                .label_style((LATIN_FAMILY, 16))
                .axis_desc_style((LATIN_FAMILY, 17))
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(225, 225, 225))
                .draw()?;
            chart.draw_series(
                cs.iter()
                    .map(|c| Circle::new((c.at[0], c.at[1]), 7, shade((c.stats[k].0 - lo) / (hi - lo)).filled())),
            )?;
        }
    }
    Ok(())
}

/// The grid value of a segment, as an axis label.
fn label_at(values: &[f64], v: &SegmentValue<i32>) -> String {
    match v {
        SegmentValue::CenterOf(i) => values.get(*i as usize).map(|x| format!("{x}")).unwrap_or_default(),
        _ => String::new(),
    }
}

/// The sensitivity chart of one strategy (or difference of strategies): its main
/// index — total order ST for Sobol (with S1 as a dot), μ* for Morris — for the
/// design's first metric in the final year, one bar per parameter, sorted from the
/// largest, with the bootstrap 95% interval as a whisker. A bar whose interval
/// includes 0 is grey and marked "≈ 0": the analysis does not tell it from no effect.
pub fn sensitivity_png(a: &super::sensitivity::Analysis, strategy: &str) -> Result<Vec<u8>, OutputError> {
    let what = format!("sensitivity_{strategy}.png");
    let err = plot_error(&what);
    ensure_font();
    let main = if a.method == "sobol" { "ST" } else { "mu_star" };
    let rows: Vec<&super::sensitivity::Row> = a.rows.iter().filter(|r| r.strategy == strategy).collect();
    let metric = rows.first().map(|r| r.metric.clone()).unwrap_or_default();
    let year = rows
        .iter()
        .filter(|r| r.metric == metric)
        .map(|r| r.year)
        .max()
        .unwrap_or(0);
    let pick = |index: &str| -> Vec<&super::sensitivity::Row> {
        rows.iter()
            .filter(|r| r.metric == metric && r.year == year && r.index == index)
            .copied()
            .collect()
    };
    let mut bars = pick(main);
    bars.sort_by(|x, y| y.value.total_cmp(&x.value));
    let firsts = pick("S1");
    let height = (160 + 60 * bars.len() as u32).clamp(300, 1400);
    let mut rgb = vec![255u8; (WIDTH * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let draw = || -> DrawResult {
            let (_, hi) = span(bars.iter().flat_map(|b| [b.value, b.high, 0.0]));
            let lo = bars
                .iter()
                .flat_map(|b| [b.value, b.low])
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::min);
            let n = bars.len().max(1) as f64;
            let label = if a.method == "sobol" {
                "total-order index ST (bar, 95% interval), first-order S1 (dot)"
            } else {
                "μ*: mean |elementary effect| per unit of the parameter's range (95% interval)"
            };
            let names: Vec<String> = bars.iter().map(|b| b.parameter.clone()).collect();
            let mut chart = ChartBuilder::on(&root)
                .caption(format!("{strategy}: {metric} in {year}"), ("sans-serif", 20))
                .margin(16)
                .x_label_area_size(50)
                .y_label_area_size(330)
                .build_cartesian_2d((lo * 1.05)..(hi * 1.08 + 1e-12), -0.5..(n - 0.5))?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(bars.len().max(1))
                .y_label_formatter(&|v| top_first(&names, *v))
                .x_desc(label)
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 16))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            for (i, b) in bars.iter().enumerate() {
                let y = n - 1.0 - i as f64;
                let zero = b.includes_zero() || !b.value.is_finite();
                let colour = if zero {
                    RGBColor(170, 170, 170)
                } else {
                    strategy_colour(0)
                };
                let v = if b.value.is_finite() { b.value } else { 0.0 };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.3), (v, y + 0.3)],
                    colour.filled(),
                )))?;
                if b.low.is_finite() && b.high.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(b.low, y), (b.high, y)],
                        BLACK.stroke_width(2),
                    )))?;
                    for x in [b.low, b.high] {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(x, y - 0.12), (x, y + 0.12)],
                            BLACK.stroke_width(2),
                        )))?;
                    }
                }
                if let Some(f) = firsts.iter().find(|f| f.parameter == b.parameter)
                    && f.value.is_finite()
                {
                    chart.draw_series(std::iter::once(Circle::new((f.value, y), 5, BLACK.filled())))?;
                }
                if zero {
                    chart.draw_series(std::iter::once(Text::new(
                        "≈ 0 (interval includes 0)",
                        (b.high.max(v).max(0.0), y + 0.12),
                        ("sans-serif", 14).into_font().color(&RGBColor(90, 90, 90)),
                    )))?;
                }
            }
            Ok(())
        };
        draw().map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(&rgb, WIDTH, height).map_err(err)
}

/// The rankings chart: over the whole design, the share of replicates in which each
/// strategy is best (bars, most often best first), with its mean regret beside it.
pub fn rankings_png(r: &super::rankings::Rankings) -> Result<Vec<u8>, OutputError> {
    let err = plot_error("rankings.png");
    ensure_font();
    let mut bars: Vec<&super::rankings::Standing> = r.overall.iter().collect();
    bars.sort_by(|a, b| b.share_best.total_cmp(&a.share_best));
    let height = (160 + 50 * bars.len() as u32).clamp(300, 1400);
    // A share's regret reads in percentage points, as the run's impacts do.
    let share = is_share(&r.metric);
    let mut rgb = vec![255u8; (WIDTH * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let draw = || -> DrawResult {
            let n = bars.len().max(1) as f64;
            let names: Vec<String> = bars.iter().map(|b| b.strategy.clone()).collect();
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!(
                        "Share of replicates in which each strategy has the lowest {} in {} (all points)",
                        r.metric, r.year
                    ),
                    (LATIN_FAMILY, 20),
                )
                .margin(16)
                .x_label_area_size(50)
                .y_label_area_size(260)
                .build_cartesian_2d(0.0..1.45, -0.5..(n - 0.5))?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(bars.len().max(1))
                .y_label_formatter(&|v| top_first(&names, *v))
                .x_label_formatter(&|v| if *v <= 1.0 + 1e-9 { format!("{:.0}%", 100.0 * v) } else { String::new() })
                .x_desc(if share {
                    "replicates in which the strategy is best (bar); regret: its value − the best one's in the same replicate, points"
                } else {
                    "replicates in which the strategy is best (bar); regret: its value − the best one's in the same replicate"
                })
                .label_style((LATIN_FAMILY, 16))
                .axis_desc_style((LATIN_FAMILY, 15))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            for (i, b) in bars.iter().enumerate() {
                let y = n - 1.0 - i as f64;
                let v = if b.share_best.is_finite() { b.share_best } else { 0.0 };
                let k = r.overall.iter().position(|s| s.strategy == b.strategy).unwrap_or(i);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.3), (v, y + 0.3)],
                    strategy_colour(k).filled(),
                )))?;
                let regret = if share {
                    format!("{:.2} points", 100.0 * b.regret.mean)
                } else {
                    axis_number(b.regret.mean, b.regret.mean.abs())
                };
                chart.draw_series(std::iter::once(Text::new(
                    format!("{:.0}% best; regret {regret}", 100.0 * v),
                    (v + 0.01, y - 0.1),
                    (LATIN_FAMILY, 15).into_font(),
                )))?;
            }
            Ok(())
        };
        draw().map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(&rgb, WIDTH, height).map_err(err)
}

/// The label of bar position `v` in a chart of `names` drawn with the first (the
/// largest) at the top: empty between bars.
fn top_first(names: &[String], v: f64) -> String {
    let (i, n) = (v.round(), names.len() as f64);
    if (v - i).abs() < 1e-6 && i >= 0.0 && i < n {
        names[(n - 1.0 - i) as usize].clone()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Summary;
    use crate::sweep::summary::PointSummary;

    fn summary(params: &[&[&str]]) -> SweepSummary {
        let sm = |m: f64| Summary {
            mean: m,
            p05: m - 0.01,
            p50: m,
            p95: m + 0.01,
        };
        SweepSummary {
            parameters: (0..params[0].len()).map(|i| format!("p{i}")).collect(),
            metric: "incidence".into(),
            year: 2020,
            strategies: vec!["a".into(), "b".into()],
            points: params
                .iter()
                .enumerate()
                .map(|(i, p)| PointSummary {
                    point: i as u64,
                    params: p.iter().map(|s| s.to_string()).collect(),
                    by_strategy: vec![("a".into(), sm(0.1 + i as f64 * 0.01)), ("b".into(), sm(0.05))],
                })
                .collect(),
        }
    }

    #[test]
    fn plots_one_and_two_parameters_as_png() {
        let one = summary(&[&["0.1"], &["0.5"], &["0.9"]]);
        assert_eq!(&response_png(&one, &[0]).unwrap()[..4], b"\x89PNG");
        let two = summary(&[&["1", "x"], &["1", "y"], &["2", "x"], &["2", "y"]]);
        let png = response_png(&two, &[0, 1]).unwrap();
        // Issue 13: the run charts' width and header, heatmaps two to a row.
        let reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        assert_eq!(
            (reader.info().width, reader.info().height),
            (crate::output::plot::WIDTH, HEADER_HEIGHT + HEATMAP_ROW)
        );
        let single_column = summary(&[&["1", "x"], &["1", "y"]]);
        assert_eq!(&response_png(&single_column, &[0, 1]).unwrap()[..4], b"\x89PNG");
        let scattered = summary(&[&["1", "3"], &["2", "4"], &["1.5", "3.5"]]);
        assert_eq!(&response_png(&scattered, &[0, 1]).unwrap()[..4], b"\x89PNG");
    }

    /// Issue 13: a sweep's response to one parameter is drawn as a run's chart: a
    /// share in percent, the legend beside the plot ranked at the largest value,
    /// the parameter's values on the x axis.
    #[test]
    fn the_response_to_one_parameter_is_a_run_style_figure() {
        let mut one = summary(&[&["0.4"], &["0.7"], &["1.0"]]);
        one.metric = "incidence".into();
        let f = response_figure(&one, 0, false);
        let p = &f.panels[0];
        let Some(XScale::Numeric { origin, step }) = p.x_scale else {
            panic!("a numeric axis: {:?}", p.x_scale)
        };
        let xs: Vec<f64> = p.series[0]
            .points
            .iter()
            .map(|q| origin + f64::from(q.0) * step)
            .collect();
        assert!(
            xs.iter().zip([0.4, 0.7, 1.0]).all(|(a, b)| (a - b).abs() < 1e-9),
            "{xs:?}"
        );
        // a: 0.1, 0.11, 0.12 as shares, drawn in percent; b 0.05.
        assert!((p.series[0].points[2].1.mean - 12.0).abs() < 1e-9);
        assert_eq!(f.legend[0].name, "a");
        assert_eq!(f.legend[0].value, "12.0%");
        assert!(f.legend_title.contains("at p0 = 1.00"), "{}", f.legend_title);
        assert!(p.y_label.ends_with("(%)"));
        // Whole numbers keep their values exactly.
        let (xs, (origin, step)) = x_axis(&[3.0, 10.0, 250.0]);
        assert_eq!(step, 1.0);
        assert_eq!(
            xs.iter().map(|&x| origin + f64::from(x)).collect::<Vec<_>>(),
            [3.0, 10.0, 250.0]
        );
    }

    #[test]
    fn points_sharing_coordinates_are_averaged() {
        let s = summary(&[&["1", "a"], &["1", "b"], &["2", "a"]]);
        let cs = cells(&s, &[0]);
        assert_eq!(cs.len(), 2);
        assert!((cs[0].stats[0].0 - 0.105).abs() < 1e-12);
    }
}
