//! Fonts for plot text, and the language plots and the report are written in.
//!
//! Latin text uses DejaVu Sans, compiled into the binary, so plots render on a machine
//! with no font libraries or fonts at all. Chinese needs a CJK font, which is far too
//! large to embed; it is found on the system (or given with `--font`), checked to have
//! the glyphs we draw, and registered with plotters once per process. Without one, a
//! Chinese run stops with a message that says what to install, rather than drawing
//! boxes where the characters should be.

use ab_glyph::{Font, FontRef};
use plotters::style::{FontStyle, register_font};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

/// The embedded Latin font.
const DEJAVU: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The plotters family name of the embedded font.
pub const LATIN_FAMILY: &str = "sans-serif";

/// Environment variable: directories (separated by `:`) searched for a CJK font
/// instead of the usual system ones. Tests point it at an empty directory.
pub const FONT_DIRS_ENV: &str = "SANDAN_FONT_DIRS";

/// The language of plot text and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese (needs a CJK font on the system or `--font`).
    Zh,
}

impl Lang {
    /// The text in this language, of an English and a Chinese version.
    pub fn tr(self, en: &str, zh: &str) -> String {
        match self {
            Lang::En => en.to_string(),
            Lang::Zh => zh.to_string(),
        }
    }

    /// A chart's subtitle naming the scenario.
    pub fn scenario_subtitle(self, name: &str) -> String {
        match self {
            Lang::En => format!("Scenario “{name}”"),
            Lang::Zh => format!("情景“{name}”"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// What the language adds to the names of the files drawn in it, so that both
    /// languages' charts and reports live side by side: `report.html` and
    /// `report.zh.html`, `incidence.png` and `incidence.zh.png`.
    pub fn file_suffix(self) -> &'static str {
        match self {
            Lang::En => "",
            Lang::Zh => ".zh",
        }
    }

    /// The report's file name in this language.
    pub fn report_file(self) -> String {
        format!("report{}.html", self.file_suffix())
    }
}

/// Why no usable font could be set up.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "--lang zh needs a Chinese (CJK) font and none was found in {searched}.\n\
         Install one, e.g. `apt-get install fonts-noto-cjk` or `apt-get install fonts-wqy-microhei`, \
         or pass a font file with `--font PATH` (.ttf, .otf or .ttc)."
    )]
    NoCjkFont { searched: String },
    #[error("--font {path}: cannot read the font: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--font {path}: {message}")]
    Unusable { path: PathBuf, message: String },
}

/// A font family registered with plotters, ready to be named in text styles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFont {
    /// The plotters family name to use in text styles.
    pub family: String,
    /// The font file, when it came from the system rather than the binary.
    pub path: Option<PathBuf>,
}

/// Set up the font for `lang`: the embedded one for English (or `font` if given), a
/// CJK font for Chinese (`font`, else the first usable one found on the system).
pub fn resolve(lang: Lang, font: Option<&Path>) -> Result<PlotFont, FontError> {
    ensure_latin();
    if let Some(path) = font {
        let bytes = std::fs::read(path).map_err(|source| FontError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let needed = match lang {
            Lang::En => "0Ay%",
            Lang::Zh => SAMPLE_ZH,
        };
        check_glyphs(&bytes, needed).map_err(|message| FontError::Unusable {
            path: path.to_path_buf(),
            message,
        })?;
        return Ok(register(path, bytes));
    }
    match lang {
        Lang::En => Ok(PlotFont {
            family: LATIN_FAMILY.to_string(),
            path: None,
        }),
        Lang::Zh => {
            let dirs = search_dirs();
            for path in candidates(&dirs) {
                if let Ok(bytes) = std::fs::read(&path)
                    && check_glyphs(&bytes, SAMPLE_ZH).is_ok()
                {
                    return Ok(register(&path, bytes));
                }
            }
            Err(FontError::NoCjkFont {
                searched: dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }
}

/// Characters a Chinese plot must be able to draw: digits, Latin (strategy names are
/// often ASCII), and a few of the Han characters in our labels.
const SAMPLE_ZH: &str = "0A%贫困率年元";

pub(crate) fn ensure_latin() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Compiled in and known to be valid; failure would only mean missing text.
        let _ = register_font(LATIN_FAMILY, FontStyle::Normal, DEJAVU);
    });
}

/// Register a font file under a family name of its own; each file is loaded (and its
/// bytes leaked, as plotters keeps `&'static` font data) at most once per process.
fn register(path: &Path, bytes: Vec<u8>) -> PlotFont {
    static LOADED: Mutex<Option<HashMap<PathBuf, String>>> = Mutex::new(None);
    let mut guard = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(family) = map.get(path) {
        return PlotFont {
            family: family.clone(),
            path: Some(path.to_path_buf()),
        };
    }
    let family = format!("sandan-font-{}", map.len());
    let data: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    // Checked by `check_glyphs` with the same parser plotters uses, so this succeeds.
    let _ = register_font(&family, FontStyle::Normal, data);
    map.insert(path.to_path_buf(), family.clone());
    PlotFont {
        family,
        path: Some(path.to_path_buf()),
    }
}

/// Check that `bytes` parse as a font (for a `.ttc` collection, its first face, as
/// plotters reads it) and have a glyph for every character of `needed`.
pub fn check_glyphs(bytes: &[u8], needed: &str) -> Result<(), String> {
    let f = FontRef::try_from_slice(bytes).map_err(|_| "not a TrueType/OpenType font or collection".to_string())?;
    let missing: String = needed.chars().filter(|c| f.glyph_id(*c).0 == 0).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("the font has no glyphs for {missing:?}"))
    }
}

/// Where CJK fonts are looked for: `SANDAN_FONT_DIRS` if set, else the usual places.
pub fn search_dirs() -> Vec<PathBuf> {
    if let Some(v) = std::env::var_os(FONT_DIRS_ENV) {
        return std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
    }
    let mut dirs = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        dirs.push(home.join(".local/share/fonts"));
        dirs.push(home.join(".fonts"));
    }
    dirs
}

/// Font files under `dirs` whose names suggest CJK coverage, best first: single fonts
/// (.ttf/.otf) before collections (.ttc, of which only the first face is used), Simplified
/// Chinese faces before others, then by path so that the choice is repeatable.
pub fn candidates(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for d in dirs {
        walk(d, 0, &mut found);
    }
    let rank = |p: &Path| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let collection = name.ends_with(".ttc");
        let simplified = ["cjksc", "sc-", "-sc", "_sc", "wqy", "hans", "notosanssc"]
            .iter()
            .any(|k| name.contains(k));
        (collection, !simplified, p.to_path_buf())
    };
    found.sort_by_key(|p| rank(p));
    found.dedup();
    found
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, depth + 1, found);
        } else if looks_cjk(&p) {
            found.push(p);
        }
    }
}

fn looks_cjk(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let font = [".ttf", ".otf", ".ttc"].iter().any(|x| name.ends_with(x));
    let cjk = [
        "cjk",
        "wqy",
        "droidsansfallback",
        "sourcehan",
        "notosanssc",
        "notoserifsc",
        "uming",
        "ukai",
    ]
    .iter()
    .any(|k| name.contains(k));
    font && cjk
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_has_latin_but_not_han() {
        assert!(check_glyphs(DEJAVU, "0Ay%").is_ok());
        assert!(check_glyphs(DEJAVU, SAMPLE_ZH).unwrap_err().contains('贫'));
        assert!(check_glyphs(b"not a font", "0").is_err());
    }

    #[test]
    fn candidates_prefer_single_simplified_fonts() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("opentype/noto");
        std::fs::create_dir_all(&sub).unwrap();
        for n in [
            "NotoSansCJK-Regular.ttc",
            "NotoSansCJKsc-Regular.otf",
            "DejaVuSans.ttf",
            "readme.txt",
        ] {
            std::fs::write(sub.join(n), b"x").unwrap();
        }
        let c = candidates(&[dir.path().to_path_buf()]);
        let names: Vec<_> = c
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["NotoSansCJKsc-Regular.otf", "NotoSansCJK-Regular.ttc"]);
    }

    #[test]
    fn english_needs_no_system_font() {
        let f = resolve(Lang::En, None).unwrap();
        assert_eq!(f.family, LATIN_FAMILY);
        assert!(f.path.is_none());
    }

    #[test]
    fn a_font_that_is_not_a_font_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fake.ttf");
        std::fs::write(&p, b"garbage").unwrap();
        let e = resolve(Lang::Zh, Some(&p)).unwrap_err();
        assert!(e.to_string().contains("fake.ttf"), "{e}");
        let e = resolve(Lang::Zh, Some(&dir.path().join("none.ttf"))).unwrap_err();
        assert!(matches!(e, FontError::Read { .. }));
    }

    /// A `.ttc` collection loads (its first face) if the system has one; this is what
    /// lets Debian's fonts-noto-cjk and fonts-wqy-microhei work.
    #[test]
    fn system_cjk_font_if_any_renders_han() {
        let Some(p) = candidates(&search_dirs()).into_iter().next() else {
            eprintln!("no CJK font on this machine; the browser script checks this path");
            return;
        };
        let bytes = std::fs::read(&p).unwrap();
        check_glyphs(&bytes, SAMPLE_ZH).unwrap();
    }
}
