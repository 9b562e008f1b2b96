//! The short table of final-year results printed at the end of a run.

use super::tables::SummaryTable;
use std::fmt::Write;

/// Final-year results per strategy: measured incidence with its 5–95% interval,
/// official incidence, households registered, exited and re-entered, and spending.
pub fn final_year_table(t: &SummaryTable) -> String {
    let y = t.years.len().saturating_sub(1);
    let year = t.years.get(y).copied().unwrap_or_default();
    let width = t.strategies.iter().map(|s| s.len()).max().unwrap_or(8).max(8);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Final year {year} (mean over replicates; [5%, 95%]):\n{:<width$}  {:>22}  {:>9}  {:>10}  {:>8}  {:>10}  {:>13}",
        "strategy", "incidence %", "official %", "registered", "exited", "re-entries", "spending M¥/y"
    );
    for (s, name) in t.strategies.iter().enumerate() {
        let g = |m: &str| t.get(s, y, m).map(|c| c.mean).unwrap_or(f64::NAN);
        let inc = t.get(s, y, "incidence");
        let (mean, lo, hi) = inc
            .map(|c| (c.mean, c.p05, c.p95))
            .unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        // Re-entries summed over the simulated years (each year's mean).
        let reentries: f64 = (1..t.years.len())
            .map(|k| t.get(s, k, "reentries").map(|c| c.mean).unwrap_or(0.0))
            .sum();
        let spending = (g("spending_dibao") + g("spending_medical") + g("spending_housing")) / 1e6;
        let _ = writeln!(
            out,
            "{:<width$}  {:>22}  {:>9.2}  {:>10.0}  {:>8.0}  {:>10.0}  {:>13.2}",
            name,
            format!("{:.2} [{:.2}, {:.2}]", mean * 100.0, lo * 100.0, hi * 100.0),
            g("official_incidence") * 100.0,
            g("registered"),
            g("exited"),
            reentries,
            spending,
        );
    }
    out
}
