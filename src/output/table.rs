//! The short table of final-year results printed at the end of a run.

use super::tables::SummaryTable;
use std::fmt::Write;

/// Final-year results per strategy (means over replicates): measured incidence with
/// its 5–95% interval, official incidence, and since the baseline the persons
/// exited, re-entries, all spending and the cost per person exited.
pub fn final_year_table(t: &SummaryTable) -> String {
    let y = t.years.len().saturating_sub(1);
    let (first, year) = (
        t.years.first().copied().unwrap_or_default(),
        t.years.get(y).copied().unwrap_or_default(),
    );
    let width = t.strategies.iter().map(|s| s.len()).max().unwrap_or(8).max(8);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Final year {year}, means over replicates [5%, 95%]; totals since {first}:\n{:<width$}  {:>22}  {:>10}  {:>14}  {:>10}  {:>11}  {:>14}",
        "strategy", "incidence %", "official %", "persons exited", "re-entries", "spending M¥", "¥ per exit"
    );
    for (s, name) in t.strategies.iter().enumerate() {
        let g = |m: &str| t.get(s, y, m).map(|c| c.mean).unwrap_or(f64::NAN);
        let (mean, lo, hi) =
            t.get(s, y, "incidence")
                .map(|c| (c.mean, c.p05, c.p95))
                .unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        let _ = writeln!(
            out,
            "{:<width$}  {:>22}  {:>10.2}  {:>14.0}  {:>10.0}  {:>11.1}  {:>14.0}",
            name,
            format!("{:.2} [{:.2}, {:.2}]", mean * 100.0, lo * 100.0, hi * 100.0),
            g("official_incidence") * 100.0,
            g("persons_exited_total"),
            g("reentries_total"),
            g("spending_total") / 1e6,
            g("cost_per_person_exited"),
        );
    }
    out
}
