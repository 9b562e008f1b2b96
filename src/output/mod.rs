//! Turning results into files. Each exporter turns results into bytes (and so is
//! testable without a disk); [`write_run`] is the one place that writes them, each
//! atomically: to a temporary file in the same directory, then renamed, so that an
//! interrupted run never leaves a half-written file under a final name.
//!
//! The pictures and the report are drawn from the run's files as they are on disk
//! ([`render_pictures`] takes `trajectories.csv` bytes and the manifest), whether just
//! after a run or later by `sandan report`, so the two always agree.

pub mod budget;
pub mod figures;
pub mod fonts;
pub mod gains;
pub mod households;
pub mod impacts;
pub mod manifest;
pub mod plot;
pub mod report;
pub mod results;
pub mod table;
pub mod tables;
pub mod targets;
pub mod villages;

use crate::engine::RunRecord;
use crate::scenario::Scenario;
use plot::Figure;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot draw {what}: {message}")]
    Plot { what: String, message: String },
    #[error("cannot format {what}: {message}")]
    Format { what: String, message: String },
    /// A file of a finished run is missing or not what `sandan run` writes.
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
}

/// Write `bytes` to `path` atomically (temporary file in the same directory, flushed
/// to disk, then renamed over the final name).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// [`write_atomic`] for content that `fill` streams into the temporary file.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let io = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        fill(&mut f)?;
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// The process id in the name of a temporary file of sandan's own naming,
/// `.NAME.PID.tmp` ([`write_atomic`]; `households.csv`'s parts are
/// `.households.csv.partK.PID.tmp`), or `None` if `file_name` is not one.
fn temporary_pid(file_name: &str) -> Option<u32> {
    let (name, pid) = file_name.strip_prefix('.')?.strip_suffix(".tmp")?.rsplit_once('.')?;
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if name.is_empty() || !digits {
        return None;
    }
    pid.parse().ok()
}

/// Remove what interrupted runs left in `dir`: files of sandan's own temporary
/// naming whose process is gone (a killed run's parts of `households.csv` can be
/// hundreds of megabytes). Only where `/proc/PID` tells whether a process lives
/// (Linux); elsewhere nothing is removed. Returns the paths removed.
pub fn remove_stale_temporaries(dir: &Path) -> Vec<PathBuf> {
    let proc = Path::new("/proc");
    if !cfg!(target_os = "linux") || !proc.join("self").exists() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(temporary_pid) else {
            continue;
        };
        let stale = !proc.join(pid.to_string()).exists() && entry.file_type().is_ok_and(|t| t.is_file());
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed.sort();
    removed
}

/// Everything about a run that the manifest records besides the results.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub scenario_path: String,
    pub scenario_hash: String,
    /// The scenario file's text, saved beside the results as `scenario.toml`.
    pub scenario_text: String,
    pub threads: usize,
    pub wall_seconds: f64,
    pub command: String,
    /// Whether the run wrote `households.csv` (listed among the manifest's tables).
    pub households: bool,
}

/// How pictures and the report are written: language and plot font.
#[derive(Debug, Clone)]
pub struct Style {
    pub lang: fonts::Lang,
    pub font: fonts::PlotFont,
    /// The strategy impacts are measured against, overriding the run's own
    /// (`baseline` of the scenario, kept in the manifest).
    pub baseline: Option<String>,
    /// The share of its program budget a strategy may leave unspent before it is
    /// flagged (`--flag-unspent`, default [`budget::DEFAULT_FLAG_UNSPENT`]).
    pub flag_unspent: f64,
}

/// A file to write: its name in the output directory and its bytes.
pub type OutputFile = (String, Vec<u8>);

/// What a finished run renders: its files as bytes, keyed by file name, the impact
/// lines for the terminal (the report's first section) and the report's file name.
#[derive(Debug)]
pub struct Rendered {
    pub files: Vec<OutputFile>,
    pub impact_lines: Vec<String>,
    pub report: String,
}

/// The files of a finished run, as bytes, keyed by file name: the tables, the
/// manifest and the scenario text, then the pictures and the report drawn from them.
pub fn render_run(
    scenario: &Scenario,
    records: &[RunRecord],
    info: &RunInfo,
    style: &Style,
) -> Result<Rendered, OutputError> {
    let summary = tables::summarise(scenario, records);
    let trajectories = tables::trajectories_csv(scenario, records)?;
    let mut manifest = manifest::Manifest::of(scenario, info);
    let mut files = vec![("summary.csv".to_string(), tables::summary_csv(&summary)?)];
    let groups = records
        .iter()
        .any(|r| !r.groups.is_empty())
        .then(|| gains::groups_csv(scenario, records));
    if let Some(g) = &groups {
        manifest.tables.push(gains::FILE.to_string());
        files.push((gains::FILE.to_string(), g.clone()));
    }
    let names: Vec<String> = scenario.strategies.iter().map(|s| s.name.clone()).collect();
    let winners = gains::winners_csv(&names, records);
    if let Some(w) = &winners {
        manifest.tables.push(gains::WINNERS_FILE.to_string());
        files.push((gains::WINNERS_FILE.to_string(), w.clone()));
    }
    if info.households {
        // Streamed during the run by `households::HouseholdsWriter`.
        manifest.tables.push(households::FILE.to_string());
    }
    files.push(("manifest.json".to_string(), manifest::manifest_json(&manifest)?));
    files.push(("scenario.toml".to_string(), info.scenario_text.clone().into_bytes()));
    let pictures = render_pictures(
        &trajectories,
        groups.as_deref(),
        winners.as_deref(),
        &manifest,
        Some(&info.scenario_text),
        style,
        None,
    )?;
    files.insert(0, ("trajectories.csv".to_string(), trajectories));
    files.extend(pictures.files);
    Ok(Rendered {
        files,
        impact_lines: pictures.impact_lines,
        report: pictures.report,
    })
}

/// `impacts.csv`, the plots (PNG and SVG) and `report.html`, from `trajectories.csv`
/// bytes (and `groups.csv`'s, when the run has them) and the manifest, and the
/// impact lines. `rebuilt_by` is the `sandan report` command line, when there was one.
pub fn render_pictures(
    trajectories_csv: &[u8],
    groups_csv: Option<&[u8]>,
    winners_csv: Option<&[u8]>,
    manifest: &manifest::Manifest,
    scenario_toml: Option<&str>,
    style: &Style,
    rebuilt_by: Option<&str>,
) -> Result<Rendered, OutputError> {
    let results = results::RunResults::from_trajectories_csv(trajectories_csv).map_err(|e| OutputError::Input {
        path: PathBuf::from("trajectories.csv"),
        message: e.to_string(),
    })?;
    let named = style
        .baseline
        .as_deref()
        .or(Some(manifest.baseline.as_str()).filter(|b| !b.is_empty()));
    let base = impacts::baseline(&results, named).map_err(|message| OutputError::Input {
        path: PathBuf::from("trajectories.csv"),
        message,
    })?;
    let impact_rows = impacts::impacts(&results, base);
    let headline = impacts::headline(&results, base, &impact_rows, style.lang);
    let budget_years = budget::by_year(&results);
    let budget_use = budget::use_of_budget(&results, style.flag_unspent);
    let flags: Vec<String> = budget_use
        .iter()
        .filter_map(|b| budget::flag_line(&results, b, style.flag_unspent, style.lang))
        .collect();
    let summary = impacts::summary_paragraph(&results, base, &impact_rows, &budget_use, style.lang);
    let ctx = figures::FigureContext {
        lang: style.lang,
        scenario_name: &manifest.scenario_name,
    };
    let family = style.font.family.as_str();
    let suffix = style.lang.file_suffix();
    let mut files = vec![(
        impacts::FILE.to_string(),
        impacts::impacts_csv(&results, base, &impact_rows),
    )];
    if !budget_years.is_empty() {
        files.push((budget::FILE.to_string(), budget::budget_csv(&results, &budget_years)));
    }
    // Each figure drawn as PNG and SVG, both kept among the files.
    let mut draw = |fig: Figure| -> Result<(Figure, Vec<u8>), OutputError> {
        let err = |ext: &str| {
            let what = format!("{}{suffix}.{ext}", fig.stem);
            move |message| OutputError::Plot { what, message }
        };
        let png = plot::figure_png(&fig, family).map_err(err("png"))?;
        let svg = plot::figure_svg(&fig, family).map_err(err("svg"))?;
        files.push((format!("{}{suffix}.png", fig.stem), png.clone()));
        files.push((format!("{}{suffix}.svg", fig.stem), svg));
        Ok((fig, png))
    };
    let impact_drawn = figures::impact_figure(&results, base, &ctx)
        .map(&mut draw)
        .transpose()?;
    let mut who_gains = Vec::new();
    let (mut villages_drawn, mut village_rows) = (None, Vec::new());
    if let Some(bytes) = groups_csv {
        let g = gains::GroupResults::from_csv(bytes)?;
        let (names, years, lang, name) = (&results.strategies, &results.years, style.lang, &manifest.scenario_name);
        who_gains.extend(gains::by_cause_figure(&g, names, years, base, lang, name));
        who_gains.extend(gains::by_decile_figure(&g, names, years, base, lang, name));
        let poor = scenario_toml.and_then(villages::poor_villages);
        let start = years.first().copied().unwrap_or_default();
        let v = villages::VillageResults::from_csv(bytes, poor.as_deref(), start)?;
        let notes = figures::line_step_notes(&results, lang);
        villages_drawn = villages::villages_figure(&v, names, years, &notes, lang, name)
            .map(&mut draw)
            .transpose()?;
        village_rows = v.exit_table(names, base);
    }
    let winners = match winners_csv {
        Some(bytes) => gains::winners_against(bytes, &results.strategies[base])?,
        None => Vec::new(),
    };
    let winners_drawn = gains::winners_figure(
        &winners,
        &results.strategies,
        base,
        results.years.last().copied().unwrap_or_default(),
        style.lang,
        &manifest.scenario_name,
    )
    .map(&mut draw)
    .transpose()?;
    let drawn = who_gains
        .into_iter()
        .chain(figures::figures(&results, &ctx))
        .map(&mut draw)
        .collect::<Result<Vec<_>, _>>()?;
    let targets = targets::progress(
        &results,
        &targets::TargetSpec::of(scenario_toml, manifest.villages),
        style.lang,
    );
    let totals = figures::strategy_totals(&results);
    let html = report::report_html(&report::ReportInput {
        lang: style.lang,
        manifest,
        scenario_toml,
        results: &results,
        totals: &totals,
        figures: &drawn,
        rebuilt_by,
        impacts: &headline,
        summary: summary.as_deref(),
        impact_figure: impact_drawn.as_ref(),
        villages: villages_drawn.as_ref(),
        village_rows: &village_rows,
        targets: &targets,
        budget: &budget_use,
        budget_flags: &flags,
        winners: &winners,
        winners_figure: winners_drawn.as_ref(),
        baseline: &results.strategies[base],
    });
    let report_name = style.lang.report_file();
    files.push((report_name.clone(), html));
    let heading = match style.lang {
        fonts::Lang::En => format!(
            "Impacts against {}, paired over replicates [5%, 95%] (impacts.csv has every year and measure):",
            results.strategies[base]
        ),
        fonts::Lang::Zh => format!(
            "相对 {} 的影响，按重复配对 [5%, 95%]（impacts.csv 含各年各项指标）：",
            results.strategies[base]
        ),
    };
    let mut impact_lines: Vec<String> = if headline.is_empty() {
        Vec::new()
    } else {
        std::iter::once(heading)
            .chain(headline.iter().map(|l| format!("  {l}")))
            .collect()
    };
    if !flags.is_empty() {
        impact_lines.push(match style.lang {
            fonts::Lang::En => format!(
                "Budget left unspent (more than {:.0}%; budget.csv has every year):",
                100.0 * style.flag_unspent
            ),
            fonts::Lang::Zh => format!(
                "预算未用完（超过 {:.0}%；budget.csv 含各年）：",
                100.0 * style.flag_unspent
            ),
        });
        impact_lines.extend(flags.iter().map(|l| format!("  {l}")));
    }
    Ok(Rendered {
        files,
        impact_lines,
        report: report_name,
    })
}

/// Read a file of a finished run: a missing or unreadable file is an input error
/// naming it (the directory is probably not a run's output), other failures are I/O.
fn read_run_file(dir: &Path, name: &str) -> Result<Vec<u8>, OutputError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => OutputError::Input {
            path: path.clone(),
            message: "not found; is this the output directory of a finished `sandan run`?".to_string(),
        },
        _ => OutputError::Io { path, source },
    })
}

/// Redraw the plots and the report of a finished run in `dir` from its files, without
/// simulating again. Returns the files, to be written by [`write_files`], with the
/// impact lines and the report's name.
pub fn rebuild_pictures(dir: &Path, style: &Style, command: &str) -> Result<Rendered, OutputError> {
    let input = |name: &str, message: String| OutputError::Input {
        path: dir.join(name),
        message,
    };
    // A regular file, or a directory no run wrote: say so, and write nothing.
    if !dir.join("manifest.json").is_file() {
        return Err(OutputError::Input {
            path: dir.to_path_buf(),
            message: "not a run directory (no manifest.json)".to_string(),
        });
    }
    let manifest = manifest::Manifest::from_json(&read_run_file(dir, "manifest.json")?)
        .map_err(|m| input("manifest.json", format!("not a sandan manifest: {m}")))?;
    let trajectories = read_run_file(dir, "trajectories.csv")?;
    // The summary is not drawn from, but a damaged one means a damaged run: say so.
    tables::check_summary_csv(&read_run_file(dir, "summary.csv")?).map_err(|m| input("summary.csv", m))?;
    let scenario_text = match std::fs::read(dir.join("scenario.toml")) {
        Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Err(_) => None,
    };
    // Older runs have no groups.csv or winners.csv: their reports have no charts
    // of who gains.
    let optional = |name: &str| match std::fs::read(dir.join(name)) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(OutputError::Io {
            path: dir.join(name),
            source,
        }),
    };
    let groups = optional(gains::FILE)?;
    let winners = optional(gains::WINNERS_FILE)?;
    render_pictures(
        &trajectories,
        groups.as_deref(),
        winners.as_deref(),
        &manifest,
        scenario_text.as_deref(),
        style,
        Some(command),
    )
    .map_err(|e| match e {
        OutputError::Input { path, message }
            if [
                Path::new("trajectories.csv"),
                Path::new(gains::FILE),
                Path::new(gains::WINNERS_FILE),
            ]
            .contains(&path.as_path()) =>
        {
            OutputError::Input {
                path: dir.join(path),
                message,
            }
        }
        other => other,
    })
}

/// Write files into `dir` (created if needed), each atomically. Returns the paths.
pub fn write_files(dir: &Path, files: Vec<OutputFile>) -> Result<Vec<PathBuf>, OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Render and write a run's files into `dir` (created if needed). Returns what was
/// rendered, its files replaced by the paths written.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    records: &[RunRecord],
    info: &RunInfo,
    style: &Style,
) -> Result<(Vec<PathBuf>, Rendered), OutputError> {
    let mut rendered = render_run(scenario, records, info, style)?;
    let files = std::mem::take(&mut rendered.files);
    Ok((write_files(dir, files)?, rendered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> manifest::Manifest {
        manifest::Manifest::from_json(
            br#"{"sandan_version":"0.1.0","scenario_name":"t & <u>","scenario_path":"p","scenario_hash":"h",
            "seed":1,"replicates":2,"start_year":2016,"end_year":2017,"strategies":["a","b"],"households":5,
            "threads":1,"wall_seconds":0.1,"command":"sandan run"}"#,
        )
        .unwrap()
    }

    #[test]
    fn pictures_and_report_render_to_bytes_without_a_disk() {
        let csv = "strategy,replicate,year,incidence,exits\n\
            a,0,2016,0.2,0\na,0,2017,0.1,3\na,1,2016,0.3,0\na,1,2017,0.2,1\n\
            b,0,2016,0.2,0\nb,0,2017,0.15,2\nb,1,2016,0.2,0\nb,1,2017,0.05,4\n";
        let style = Style {
            lang: fonts::Lang::En,
            font: fonts::resolve(fonts::Lang::En, None).unwrap(),
            baseline: None,
            flag_unspent: budget::DEFAULT_FLAG_UNSPENT,
        };
        let files = render_pictures(csv.as_bytes(), None, None, &manifest(), None, &style, None)
            .unwrap()
            .files;
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        // Only what this run has metrics for is drawn: no official incidence, no spending.
        assert_eq!(
            names,
            [
                "impacts.csv",
                "impact.png",
                "impact.svg",
                "incidence.png",
                "incidence.svg",
                "exits_reentries.png",
                "exits_reentries.svg",
                "report.html"
            ]
        );
        let html = String::from_utf8(files[7].1.clone()).unwrap();
        assert!(html.contains("<h1>t &amp; &lt;u&gt;</h1>"));
        assert!(html.contains("data-chart=\"incidence\""));
        // The answer first: the summary paragraph, then the impact chart, then levels.
        let (summary, chart, levels) = (
            html.find("id=\"summary\"").unwrap(),
            html.find("data-chart=\"impact\"").unwrap(),
            html.find("table class=\"results\"").unwrap(),
        );
        assert!(summary < chart && chart < levels);
        assert!(
            html.contains(
                "b lowers 2017 poverty incidence by 5.00 points [-4.00, 14.00] against a, better in 1 of 2 replicates"
            ),
            "{html}"
        );
    }

    #[test]
    fn garbled_trajectories_are_an_input_error() {
        let style = Style {
            lang: fonts::Lang::En,
            font: fonts::resolve(fonts::Lang::En, None).unwrap(),
            baseline: None,
            flag_unspent: budget::DEFAULT_FLAG_UNSPENT,
        };
        let e = render_pictures(b"nonsense", None, None, &manifest(), None, &style, None).unwrap_err();
        assert!(matches!(e, OutputError::Input { .. }));
        assert!(e.to_string().starts_with("trajectories.csv: "), "{e}");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
    }

    #[test]
    fn issue16_only_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let own = std::process::id();
        // Above the largest pid Linux gives (2^22), so never a live process.
        let dead = 4_194_305;
        let names = [
            format!(".trajectories.csv.{dead}.tmp"),
            format!(".households.csv.part1.{}.tmp", dead + 1),
            format!(".trajectories.csv.{own}.tmp"),
            ".summary.csv.tmp".to_string(),
            format!("trajectories.csv.{dead}.tmp"),
            format!(".{dead}.tmp"),
            format!(".a.{dead}x.tmp"),
            "results.csv".to_string(),
        ];
        for n in &names {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        let removed = remove_stale_temporaries(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut expected: Vec<String> = names[2..].to_vec();
        expected.sort();
        if cfg!(target_os = "linux") {
            assert_eq!(removed.len(), 2, "{removed:?}");
            assert_eq!(left, expected);
        } else {
            assert!(removed.is_empty());
        }
        assert!(remove_stale_temporaries(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn atomic_write_into_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing").join("a.csv");
        let e = write_atomic(&p, b"x").unwrap_err();
        assert!(e.to_string().contains("a.csv"));
    }
}
