//! Drawing figures: one or more panels of per-strategy trajectories (mean line, 5–95%
//! band) with a shared legend beside them, rendered with plotters into memory as PNG
//! or SVG bytes.
//!
//! What goes into a figure is decided in [`super::figures`]; this module only knows how
//! to draw a [`Figure`], so every chart looks alike: the same colour per strategy, the
//! legend outside the plotting area (it never hides data) and ordered as the lines end,
//! highest first, so that the ranking reads at a glance.

use crate::metrics::Summary;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Colour-blind-safe colours (Okabe & Ito), one per strategy, in scenario order,
/// used for that strategy in every plot.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

pub fn strategy_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Values beyond this are not drawn (nothing real comes near: 10¹⁵ yuan).
const MAX_VALUE: f64 = 1e15;
/// x values (years, or deciles in the chart by income decile) outside this range
/// are not drawn (only a damaged file has them).
const YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// Width of every figure, in pixels.
pub const WIDTH: u32 = 1200;
/// The legend's column beside the plots.
pub const LEGEND_WIDTH: u32 = 300;
/// The title and subtitle above the plots.
pub const HEADER_HEIGHT: u32 = 64;
const ROW_HEIGHT: u32 = 440;
const COLUMNS: usize = 2;
/// A panel legend's line height; its entries go two to a line.
const PANEL_LEGEND_LINE: u32 = 20;

impl Figure {
    /// Height under each row of panels for the panels' own legends (the longest).
    fn panel_legend_height(&self) -> u32 {
        let lines = self
            .panels
            .iter()
            .map(|p| p.legend.len().div_ceil(2))
            .max()
            .unwrap_or(0) as u32;
        if lines == 0 { 0 } else { lines * PANEL_LEGEND_LINE + 8 }
    }
}

/// One strategy's line in a panel: per year, the summary over replicates (already in
/// the panel's unit). NaN values leave a gap.
#[derive(Debug, Clone)]
pub struct Series {
    pub strategy: usize,
    pub points: Vec<(i32, Summary)>,
    /// Drawn dashed and without a band (a secondary measure beside a solid one).
    pub dashed: bool,
}

/// One set of axes.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// The panel's own legend (its lines' final values, ranked), drawn under its
    /// axes, for a figure whose panels show different measures; empty: the figure's
    /// legend speaks for the panel.
    pub legend: Vec<LegendEntry>,
    /// An x axis of numbers other than years (a sweep's parameter): `None` reads
    /// the points' x as years.
    pub x_scale: Option<XScale>,
}

/// An x axis other than years.
#[derive(Debug, Clone, PartialEq)]
pub enum XScale {
    /// Numbers: a point's x of `k` stands for `origin + k × step` (the points' x
    /// are whole numbers, so a parameter's values are held to `step`).
    Numeric { origin: f64, step: f64 },
    /// Categories: a point's x is the index of its name. Each series is drawn as a
    /// dot at its mean with a whisker over its 5–95% range, the series side by side
    /// within a category.
    Categories(Vec<String>),
}

/// One legend line: a strategy and its ranking value.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub strategy: usize,
    pub name: String,
    pub value: String,
}

/// A picture: a title, panels laid out two to a row, and one legend.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File name without extension (`incidence` → `incidence.png`, `incidence.svg`).
    pub stem: &'static str,
    /// One or two sentences on what the figure shows, for the report (not drawn).
    pub caption: String,
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub panels: Vec<Panel>,
    pub legend_title: String,
    pub legend: Vec<LegendEntry>,
    /// How to read the lines (mean, band, dashed), printed under the legend.
    pub notes: Vec<String>,
}

/// A weighted sample of several quantities (a calibration's posterior), drawn as a
/// grid: each quantity's weighted histogram on the diagonal, each pair's scatter
/// below it (darker by weight) and the pair's weighted correlation above it, so that
/// a ridge shows a pair the data cannot separate.
#[derive(Debug, Clone)]
pub struct Pairs {
    pub title: String,
    pub subtitle: String,
    /// One per quantity: axis labels.
    pub names: Vec<String>,
    /// The sample: each point's values (one per name) and its weight.
    pub points: Vec<(Vec<f64>, f64)>,
}

/// What [`figure_png`] and [`figure_svg`] render: a [`Figure`] or [`Pairs`].
pub trait Picture {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, family: &str) -> Result<(), String>;
}

impl Picture for Figure {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(COLUMNS).max(1) as u32;
        (WIDTH, HEADER_HEIGHT + rows * (ROW_HEIGHT + self.panel_legend_height()))
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, family: &str) -> Result<(), String> {
        draw(root, self, family)
    }
}

/// Render a picture as PNG bytes, text in the plotters font family `family`.
pub fn figure_png(fig: &impl Picture, family: &str) -> Result<Vec<u8>, String> {
    let (w, h) = fig.size();
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        fig.paint(&root, family)?;
        root.present().map_err(|e| e.to_string())?;
    }
    encode_png(&rgb, w, h)
}

/// Render a picture as SVG text. Glyphs are not embedded: the viewer's fonts draw the
/// text, with the same family fallbacks as the report page.
pub fn figure_svg(fig: &impl Picture, family: &str) -> Result<Vec<u8>, String> {
    let (w, h) = fig.size();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        fig.paint(&root, family)?;
        root.present().map_err(|e| e.to_string())?;
    }
    // Name real fonts for viewers: plotters writes the family we registered under.
    let out = out.replace(
        &format!("font-family=\"{family}\""),
        "font-family=\"DejaVu Sans, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif\"",
    );
    Ok(out.into_bytes())
}

/// Register the embedded Latin font as "sans-serif" (for plots drawn elsewhere, such
/// as the sweep's, that name that family directly).
pub(crate) fn ensure_font() {
    super::fonts::ensure_latin();
}

/// An error maker for plotters failures while drawing `what`.
pub(crate) fn plot_error(what: &str) -> impl Fn(String) -> super::OutputError + '_ {
    move |message| super::OutputError::Plot {
        what: what.to_string(),
        message,
    }
}

fn text_style(family: &str, size: i32, colour: RGBColor) -> TextStyle<'_> {
    TextStyle {
        font: (family, size).into_font(),
        color: colour.to_backend_color(),
        pos: Default::default(),
    }
}

fn e<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure, family: &str) -> Result<(), String> {
    root.fill(&WHITE).map_err(e)?;
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    let text = |size: i32, colour: RGBColor| text_style(family, size, colour);
    header
        .draw(&Text::new(fig.title.clone(), (16, 10), text(26, BLACK)))
        .map_err(e)?;
    header
        .draw(&Text::new(
            fig.subtitle.clone(),
            (16, 40),
            text(16, RGBColor(90, 90, 90)),
        ))
        .map_err(e)?;
    let (w, _) = body.dim_in_pixel();
    let (plots, legend) = body.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    draw_legend(&legend, fig, family)?;
    let rows = fig.panels.len().div_ceil(COLUMNS).max(1);
    let columns = fig.panels.len().clamp(1, COLUMNS);
    let cells = plots.split_evenly((rows, columns));
    let key_height = fig.panel_legend_height();
    for (panel, area) in fig.panels.iter().zip(cells.iter()) {
        if panel.legend.is_empty() {
            draw_panel(area, panel, &fig.x_label, family)?;
        } else {
            let (axes, key) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(key_height));
            draw_panel(&axes, panel, &fig.x_label, family)?;
            draw_panel_legend(&key, &panel.legend, family)?;
        }
    }
    Ok(())
}

/// A panel's own legend under its axes: a swatch, the name and the value of each
/// entry, two to a line, in the legend's order (left to right, then down).
fn draw_panel_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    legend: &[LegendEntry],
    family: &str,
) -> Result<(), String> {
    let left = 10;
    let column = (area.dim_in_pixel().0 as i32 - left - 10).max(120) / 2;
    // About 6.5 pixels a character at 13 pixels; the value keeps its room.
    let chars = (column - 24) as usize * 2 / 13;
    for (i, entry) in legend.iter().enumerate() {
        let x = left + (i % 2) as i32 * column;
        let y = (i / 2) as i32 * PANEL_LEGEND_LINE as i32 + 2;
        let colour = strategy_colour(entry.strategy);
        area.draw(&Rectangle::new([(x, y + 3), (x + 16, y + 13)], colour.filled()))
            .map_err(e)?;
        let value_chars = entry.value.chars().count() + 1;
        let name = shorten_middle(&entry.name, chars.saturating_sub(value_chars).max(6));
        area.draw(&Text::new(
            format!("{name} {}", entry.value),
            (x + 22, y),
            text_style(family, 13, RGBColor(40, 40, 40)),
        ))
        .map_err(e)?;
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fig: &Figure, family: &str) -> Result<(), String> {
    let text = |size: i32, colour: RGBColor| text_style(family, size, colour);
    let mut y = 40;
    for line in wrap(&fig.legend_title, 30) {
        area.draw(&Text::new(line, (8, y), text(16, BLACK))).map_err(e)?;
        y += 21;
    }
    y += 8;
    // Name above value while everything fits; with many strategies, one line each.
    let note_lines: i32 = fig.notes.iter().map(|n| wrap(n, 36).len() as i32 * 18 + 4).sum();
    let room = area.dim_in_pixel().1 as i32 - y - note_lines - 12;
    let entries = fig.legend.len().max(1) as i32;
    // A key of colours without values (the panels carry their own) takes one line each.
    let key_only = fig.legend.iter().all(|e| e.value.is_empty());
    let (two_lines, step) = if key_only {
        (false, (room / entries).clamp(18, 26))
    } else if entries * 50 <= room {
        (true, 50)
    } else if entries * 42 <= room {
        (true, 42)
    } else {
        (false, (room / entries).clamp(18, 26))
    };
    for entry in &fig.legend {
        let colour = strategy_colour(entry.strategy);
        area.draw(&Rectangle::new([(8, y + 3), (30, y + 15)], colour.mix(0.25).filled()))
            .map_err(e)?;
        area.draw(&PathElement::new(vec![(8, y + 9), (30, y + 9)], colour.stroke_width(3)))
            .map_err(e)?;
        if two_lines {
            area.draw(&Text::new(shorten(&entry.name, 26), (38, y), text(17, BLACK)))
                .map_err(e)?;
            area.draw(&Text::new(
                entry.value.clone(),
                (38, y + 21),
                text(15, RGBColor(70, 70, 70)),
            ))
            .map_err(e)?;
        } else {
            let line = if key_only {
                shorten(&entry.name, 30)
            } else {
                format!("{}  {}", shorten(&entry.name, 16), entry.value)
            };
            area.draw(&Text::new(line, (38, y), text(15, BLACK))).map_err(e)?;
        }
        y += step;
    }
    y += 6;
    for note in &fig.notes {
        for line in wrap(note, 36) {
            area.draw(&Text::new(line, (8, y), text(14, RGBColor(90, 90, 90))))
                .map_err(e)?;
            y += 18;
        }
        y += 4;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x_label: &str,
    family: &str,
) -> Result<(), String> {
    // Larger values (only from a damaged file) overflow plotters' tick arithmetic.
    let finite = |v: f64| (v.abs() <= MAX_VALUE).then_some(v);
    let all = panel.series.iter().flat_map(|s| s.points.iter());
    let years: Vec<i32> = all.clone().map(|p| p.0).filter(|y| YEARS.contains(y)).collect();
    let values: Vec<f64> = all
        .filter(|(y, _)| YEARS.contains(y))
        .flat_map(|(_, c)| [c.mean, c.p05, c.p95])
        .filter_map(finite)
        .collect();
    let first = years.iter().copied().min().unwrap_or(0);
    let last = years.iter().copied().max().unwrap_or(first);
    let x_end = if last > first { last } else { first.saturating_add(1) };
    let first = if x_end > first { first } else { x_end - 1 };
    let categories = match &panel.x_scale {
        Some(XScale::Categories(names)) => Some(names),
        _ => None,
    };
    // Categories sit at whole numbers, half a category of room each side.
    let (x_lo, x_hi) = match categories {
        Some(names) => (-0.5, names.len().max(1) as f64 - 0.5),
        None => (f64::from(first), f64::from(x_end)),
    };
    let lo = values.iter().copied().fold(0.0f64, f64::min);
    let hi = values.iter().copied().fold(0.0f64, f64::max);
    let (lo, hi) = if hi > lo {
        (
            lo - (hi - lo) * 0.04 * f64::from(u8::from(lo < 0.0)),
            hi + (hi - lo) * 0.08,
        )
    } else {
        (lo, lo + 1.0)
    };
    // Values near f64::MAX (from a damaged file) would overflow the padding; an axis
    // must have a finite, non-empty range.
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title.clone(), (family, 20))
        .margin(10)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(x_lo..x_hi, lo..hi)
        .map_err(e)?;
    let span = hi - lo;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(panel.y_label.clone())
        .x_labels(match &panel.x_scale {
            None => (i64::from(x_end) - i64::from(first) + 1).clamp(2, 12) as usize,
            Some(XScale::Numeric { .. }) => 8,
            Some(XScale::Categories(names)) => names.len().max(1),
        })
        .x_label_formatter(&|x| match &panel.x_scale {
            None => format!("{}", x.round() as i64),
            Some(XScale::Numeric { origin, step }) => axis_number(origin + x * step, f64::from(x_end - first) * step),
            Some(XScale::Categories(names)) => names
                .get(x.round().max(0.0) as usize)
                .filter(|_| (x - x.round()).abs() < 0.01)
                .cloned()
                .unwrap_or_default(),
        })
        .y_label_formatter(&|y| axis_number(*y, span))
        .label_style((family, 16))
        .axis_desc_style((family, 17))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(e)?;
    if categories.is_some() {
        // Side by side within a category: the series spread over 70% of its width.
        let solid: Vec<&Series> = panel.series.iter().filter(|s| !s.dashed).collect();
        let m = solid.len().max(1) as f64;
        for (j, s) in solid.iter().enumerate() {
            let colour = strategy_colour(s.strategy);
            let offset = (j as f64 - (m - 1.0) / 2.0) * 0.7 / m;
            for (k, c) in &s.points {
                let x = f64::from(*k) + offset;
                if c.p05.abs() <= MAX_VALUE && c.p95.abs() <= MAX_VALUE {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, c.p05), (x, c.p95)],
                            colour.stroke_width(2),
                        )))
                        .map_err(e)?;
                }
                if c.mean.abs() <= MAX_VALUE {
                    chart
                        .draw_series(std::iter::once(Circle::new((x, c.mean), 5, colour.filled())))
                        .map_err(e)?;
                }
            }
        }
        return Ok(());
    }
    // Bands first, so that no band covers another strategy's line.
    for s in panel.series.iter().filter(|s| !s.dashed) {
        let colour = strategy_colour(s.strategy);
        for seg in segments(&s.points, |c| c.p05.abs() <= MAX_VALUE && c.p95.abs() <= MAX_VALUE) {
            let mut band: Vec<(f64, f64)> = seg.iter().map(|(y, c)| (f64::from(*y), c.p95)).collect();
            band.extend(seg.iter().rev().map(|(y, c)| (f64::from(*y), c.p05)));
            chart
                .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.16).filled())))
                .map_err(e)?;
        }
    }
    for s in &panel.series {
        let colour = strategy_colour(s.strategy);
        for seg in segments(&s.points, |c| c.mean.abs() <= MAX_VALUE) {
            let pts: Vec<(f64, f64)> = seg.iter().map(|(y, c)| (f64::from(*y), c.mean)).collect();
            if s.dashed {
                chart
                    .draw_series(DashedLineSeries::new(pts.clone(), 8, 6, colour.stroke_width(2)))
                    .map_err(e)?;
            } else {
                chart
                    .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(3)))
                    .map_err(e)?;
                chart
                    .draw_series(pts.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                    .map_err(e)?;
            }
        }
    }
    Ok(())
}

/// Side of one cell of a pairs grid, and room under the grid for its note.
const PAIRS_CELL: u32 = 300;
const PAIRS_FOOTER: u32 = 44;
const HISTOGRAM_BINS: usize = 20;

impl Picture for Pairs {
    fn size(&self) -> (u32, u32) {
        let side = (PAIRS_CELL * self.names.len().max(1) as u32).clamp(600, 1800);
        (side, HEADER_HEIGHT + side + PAIRS_FOOTER)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, family: &str) -> Result<(), String> {
        root.fill(&WHITE).map_err(e)?;
        let grey = RGBColor(90, 90, 90);
        let (header, body) = root.split_vertically(HEADER_HEIGHT);
        header
            .draw(&Text::new(self.title.clone(), (16, 10), text_style(family, 26, BLACK)))
            .map_err(e)?;
        header
            .draw(&Text::new(
                self.subtitle.clone(),
                (16, 40),
                text_style(family, 16, grey),
            ))
            .map_err(e)?;
        let (grid, footer) = body.split_vertically(body.dim_in_pixel().1.saturating_sub(PAIRS_FOOTER));
        let note =
            "Diagonal: weighted histogram. Below: each particle, darker by weight. Above: weighted correlation r.";
        let chars = (footer.dim_in_pixel().0 / 8) as usize;
        for (k, line) in wrap(note, chars).into_iter().enumerate() {
            footer
                .draw(&Text::new(line, (16, 4 + 18 * k as i32), text_style(family, 14, grey)))
                .map_err(e)?;
        }
        let d = self.names.len().max(1);
        let columns: Vec<Vec<f64>> = (0..self.names.len())
            .map(|k| self.points.iter().map(|p| p.0[k]).collect())
            .collect();
        let weights: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        let heaviest = weights.iter().copied().fold(f64::MIN_POSITIVE, f64::max);
        let ranges: Vec<(f64, f64)> = columns.iter().map(|c| padded_range(c)).collect();
        // Lightest first, so that the heaviest particles are drawn on top.
        let mut order: Vec<usize> = (0..self.points.len()).collect();
        order.sort_by(|&a, &b| weights[a].total_cmp(&weights[b]));
        let colour = strategy_colour(0);
        for (cell, area) in grid.split_evenly((d, d)).iter().enumerate() {
            let (i, j) = (cell / d, cell % d);
            if i >= self.names.len() {
                break;
            }
            if j > i {
                let r = crate::stats::weighted_correlation(&columns[j], &columns[i], &weights);
                let (w, h) = area.dim_in_pixel();
                let label = if r.is_finite() {
                    format!("r = {r:.2}")
                } else {
                    "r: –".into()
                };
                let size = (w.min(h) / 7).clamp(14, 40) as i32;
                let centre = Pos::new(HPos::Center, VPos::Center);
                area.draw(&Text::new(
                    label,
                    (w as i32 / 2, h as i32 / 2),
                    text_style(family, size, BLACK).pos(centre),
                ))
                .map_err(e)?;
                continue;
            }
            let (x_lo, x_hi) = ranges[j];
            let x = &columns[j];
            let bins = (i == j).then(|| histogram(x, &weights, ranges[j]));
            let (y_lo, y_hi) = match &bins {
                Some(b) => (0.0, 1.1 * b.iter().copied().fold(1e-9, f64::max)),
                None => ranges[i],
            };
            let mut builder = ChartBuilder::on(area);
            builder.margin(6).x_label_area_size(44).y_label_area_size(72);
            if i == j {
                builder.caption(shorten(&self.names[i], 36), (family, 16));
            }
            let mut chart = builder.build_cartesian_2d(x_lo..x_hi, y_lo..y_hi).map_err(e)?;
            let x_ticks = |v: &f64| axis_number(*v, x_hi - x_lo);
            let y_ticks = |v: &f64| axis_number(*v, y_hi - y_lo);
            let mut mesh = chart.configure_mesh();
            mesh.x_labels(4)
                .y_labels(4)
                .x_label_formatter(&x_ticks)
                .y_label_formatter(&y_ticks)
                .label_style((family, 12))
                .axis_desc_style((family, 14))
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(225, 225, 225));
            if i + 1 == d {
                mesh.x_desc(shorten(&self.names[j], 40));
            }
            if j == 0 {
                mesh.y_desc(if i == 0 {
                    "share of weight".to_string()
                } else {
                    shorten(&self.names[i], 40)
                });
            }
            mesh.draw().map_err(e)?;
            if let Some(bins) = bins {
                let step = (x_hi - x_lo) / bins.len() as f64;
                chart
                    .draw_series(bins.iter().enumerate().map(|(b, &h)| {
                        let left = x_lo + b as f64 * step;
                        Rectangle::new([(left, 0.0), (left + step, h)], colour.mix(0.6).filled())
                    }))
                    .map_err(e)?;
            } else {
                let y = &columns[i];
                chart
                    .draw_series(
                        order
                            .iter()
                            .filter(|&&p| x[p].is_finite() && y[p].is_finite())
                            .map(|&p| {
                                let alpha = 0.1 + 0.8 * weights[p] / heaviest;
                                Circle::new((x[p], y[p]), 3, colour.mix(alpha).filled())
                            }),
                    )
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

/// The finite values' range with 5% to spare each side (a point gets a small width).
fn padded_range(values: &[f64]) -> (f64, f64) {
    let finite = values.iter().copied().filter(|v| v.abs() <= MAX_VALUE);
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    if lo > hi {
        (0.0, 1.0)
    } else if hi > lo {
        (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
    } else {
        let half = (0.01 * lo.abs()).max(1e-9);
        (lo - half, hi + half)
    }
}

/// Each bin's share of the total weight, [`HISTOGRAM_BINS`] bins over `range`.
fn histogram(values: &[f64], weights: &[f64], (lo, hi): (f64, f64)) -> Vec<f64> {
    let mut bins = vec![0.0; HISTOGRAM_BINS];
    let total: f64 = weights.iter().sum();
    for (v, w) in values.iter().zip(weights) {
        if (lo..=hi).contains(v) {
            let b = ((v - lo) / (hi - lo) * HISTOGRAM_BINS as f64) as usize;
            bins[b.min(HISTOGRAM_BINS - 1)] += w / total;
        }
    }
    bins
}

/// Runs of consecutive drawable points that satisfy `ok`, so that gaps are not bridged.
fn segments(points: &[(i32, Summary)], ok: impl Fn(&Summary) -> bool) -> Vec<Vec<(i32, Summary)>> {
    let mut out: Vec<Vec<(i32, Summary)>> = vec![Vec::new()];
    for p in points {
        if YEARS.contains(&p.0) && ok(&p.1) {
            if let Some(last) = out.last_mut() {
                last.push(*p);
            }
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Axis tick text: thousands separated, decimals only where the axis needs them.
pub fn axis_number(v: f64, span: f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    };
    group_thousands(&format!("{v:.decimals$}"))
}

/// `1234567.5` → `1,234,567.5`.
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The first clause of a description (up to its first `:`, `;` or `,`), as a
/// panel's title: "Measured poverty incidence: share of …" → "Measured poverty incidence".
pub fn first_clause(description: &str) -> String {
    let end = description.find([':', ';', ',', '(']).unwrap_or(description.len());
    description[..end].trim().trim_end_matches('.').to_string()
}

/// `s` cut to `max` characters in the middle, keeping its start and end (strategy
/// names that share a start differ at their end: `three_order_random_match`).
fn shorten_middle(s: &str, max: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max || max < 3 {
        return shorten(s, max);
    }
    let end = (max - 1) / 2;
    let start = max - 1 - end;
    let mut t: String = chars[..start].iter().collect();
    t.push('…');
    t.extend(&chars[chars.len() - end..]);
    t
}

/// Break text into lines of at most about `width` characters, at spaces where there
/// are any (Chinese text has none and is broken anywhere; its characters are wider,
/// so its lines are halved).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let wide = text.chars().any(|c| c as u32 >= 0x2E80);
    let width = if wide { width * 6 / 10 + 1 } else { width };
    let mut lines = Vec::new();
    let mut line = String::new();
    let words: Vec<&str> = if wide { vec![text] } else { text.split(' ').collect() };
    for word in words {
        for chunk in word.chars().collect::<Vec<_>>().chunks(width.max(1)) {
            let chunk: String = chunk.iter().collect();
            let len = line.chars().count();
            if len > 0 && len + 1 + chunk.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() && !wide {
                line.push(' ');
            }
            line.push_str(&chunk);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Encode an RGB buffer as PNG bytes.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(rgb).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::fonts::{LATIN_FAMILY, Lang, resolve};

    fn summary(m: f64) -> Summary {
        Summary {
            mean: m,
            p05: m - 1.0,
            p50: m,
            p95: m + 1.0,
        }
    }

    fn figure(panels: usize) -> Figure {
        let series = |s: usize, dashed| Series {
            strategy: s,
            points: vec![
                (2016, summary(10.0)),
                (2017, summary(f64::NAN)),
                (2018, summary(5.0 + s as f64)),
            ],
            dashed,
        };
        Figure {
            stem: "test",
            caption: String::new(),
            title: "Title".into(),
            subtitle: "Subtitle".into(),
            x_label: "Year".into(),
            panels: (0..panels)
                .map(|i| Panel {
                    legend: Vec::new(),
                    x_scale: None,
                    title: format!("Panel {i}"),
                    y_label: "Persons (%)".into(),
                    series: vec![series(0, false), series(1, false), series(1, true)],
                })
                .collect(),
            legend_title: "Final year 2018, highest first".into(),
            legend: vec![],
            notes: vec!["Line: mean; band: 5–95%.".into()],
        }
    }

    #[test]
    fn png_has_the_figure_size() {
        resolve(Lang::En, None).unwrap();
        for panels in [1, 2, 3] {
            let fig = figure(panels);
            let bytes = figure_png(&fig, LATIN_FAMILY).unwrap();
            let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
            let reader = decoder.read_info().unwrap();
            let info = reader.info();
            assert_eq!((info.width, info.height), fig.size());
        }
        assert_eq!(figure(3).size().1, HEADER_HEIGHT + 2 * ROW_HEIGHT);
    }

    #[test]
    fn svg_is_well_formed_and_sized() {
        resolve(Lang::En, None).unwrap();
        let fig = figure(2);
        let svg = String::from_utf8(figure_svg(&fig, LATIN_FAMILY).unwrap()).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains(&format!("width=\"{}\" height=\"{}\"", WIDTH, fig.size().1)));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Panel 1"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn extreme_values_and_years_do_not_panic() {
        resolve(Lang::En, None).unwrap();
        let mut fig = figure(1);
        for (year, v) in [(i32::MAX, f64::MAX), (i32::MIN, -f64::MAX), (0, f64::MIN_POSITIVE)] {
            fig.panels[0].series[0].points = vec![(year, summary(v)), (year, summary(-v))];
            figure_png(&fig, LATIN_FAMILY).unwrap();
        }
        fig.panels[0].series.clear();
        figure_svg(&fig, LATIN_FAMILY).unwrap();
    }

    #[test]
    fn a_crowded_legend_still_draws() {
        resolve(Lang::En, None).unwrap();
        let mut fig = figure(1);
        fig.legend = (0..9)
            .map(|s| LegendEntry {
                strategy: s,
                name: format!("a_rather_long_strategy_name_{s}"),
                value: "12.3%".into(),
            })
            .collect();
        fig.notes
            .extend((0..3).map(|_| "A long note that wraps over several lines of the legend.".to_string()));
        figure_png(&fig, LATIN_FAMILY).unwrap();
    }

    #[test]
    fn a_pairs_grid_is_sized_labelled_and_survives_degenerate_samples() {
        resolve(Lang::En, None).unwrap();
        let points: Vec<(Vec<f64>, f64)> = (0..50)
            .map(|k| {
                let a = k as f64 / 50.0;
                (vec![a, 1.0 - a + 0.01 * (k % 3) as f64, 7.0], 1.0 + (k % 5) as f64)
            })
            .collect();
        let mut pairs = Pairs {
            title: "Posterior".into(),
            subtitle: "Subtitle".into(),
            names: vec!["a.first".into(), "b.second".into(), "c.constant".into()],
            points,
        };
        let png = figure_png(&pairs, LATIN_FAMILY).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), pairs.size());
        let svg = String::from_utf8(figure_svg(&pairs, LATIN_FAMILY).unwrap()).unwrap();
        for label in ["a.first", "b.second", "c.constant", "r = -1.00", "r: –"] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(!svg.contains("NaN"));
        pairs.points[0].0[0] = f64::NAN;
        pairs.points[1].0[1] = f64::INFINITY;
        figure_png(&pairs, LATIN_FAMILY).unwrap();
        pairs.points.clear();
        figure_svg(&pairs, LATIN_FAMILY).unwrap();
    }

    #[test]
    fn thousands_and_wrapping() {
        assert_eq!(group_thousands("1234567.50"), "1,234,567.50");
        assert_eq!(group_thousands("-1234"), "-1,234");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(axis_number(12.0, 1.0), "12.00");
        assert_eq!(wrap("one two three", 8), ["one two", "three"]);
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten_middle("three_order_random_match", 15), "three_o…m_match");
        assert_eq!(shorten_middle("short", 15), "short");
    }
}
