//! Trajectory plots, drawn with plotters into memory and encoded as PNG bytes.
//!
//! Text is rendered with a font embedded in the binary (DejaVu Sans, see
//! `assets/fonts/`), so plots draw the same on a machine with no system fonts.

use super::OutputError;
use super::tables::SummaryTable;
use crate::scenario::Scenario;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 620;

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

pub(crate) fn ensure_font() {
    static FONT_ONCE: Once = Once::new();
    FONT_ONCE.call_once(|| {
        // The font is compiled in and known to be valid; a failure here would only
        // mean text is missing from the plot, never a crash.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

pub(crate) fn plot_error(what: &str) -> impl Fn(String) -> OutputError + '_ {
    move |message| OutputError::Plot {
        what: what.to_string(),
        message,
    }
}

/// Measured poverty incidence by year: per strategy, the mean over replicates as a
/// line and the 5–95% range as a band.
pub fn incidence_png(scenario: &Scenario, t: &SummaryTable) -> Result<Vec<u8>, OutputError> {
    let what = "incidence.png";
    let err = plot_error(what);
    ensure_font();
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let (first, last) = (t.years[0], *t.years.last().unwrap_or(&t.years[0]));
        let mut top: f64 = 0.0;
        for s in 0..t.strategies.len() {
            for y in 0..t.years.len() {
                if let Some(c) = t.get(s, y, "incidence") {
                    top = top.max(c.p95 * 100.0).max(c.mean * 100.0);
                }
            }
        }
        let top = if top.is_finite() && top > 0.0 { top * 1.1 } else { 1.0 };
        let x_end = if last > first {
            f64::from(last)
        } else {
            f64::from(first) + 1.0
        };
        let caption = format!(
            "Poverty incidence — {} ({} replicates; line: mean, band: 5–95%)",
            scenario.name, scenario.replicates
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 22))
            .margin(16)
            .margin_right(40)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(f64::from(first)..x_end, 0.0..top)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("Year")
            .y_desc("Persons below the poverty line (%)")
            .x_labels(t.years.len().min(12))
            .x_label_formatter(&|x| format!("{}", x.round() as i64))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| err(e.to_string()))?;

        for (s, name) in t.strategies.iter().enumerate() {
            let colour = strategy_colour(s);
            let pts: Vec<(f64, f64, f64, f64)> = (0..t.years.len())
                .filter_map(|y| {
                    t.get(s, y, "incidence")
                        .map(|c| (f64::from(t.years[y]), c.mean * 100.0, c.p05 * 100.0, c.p95 * 100.0))
                })
                .collect();
            let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
            band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
            chart
                .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18).filled())))
                .map_err(|e| err(e.to_string()))?;
            chart
                .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), colour.stroke_width(3)))
                .map_err(|e| err(e.to_string()))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3)));
            chart
                .draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, colour.filled())))
                .map_err(|e| err(e.to_string()))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 16))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(&rgb, WIDTH, HEIGHT).map_err(err)
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
