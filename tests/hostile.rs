//! Issue 16: the hostile corpus. Every file of `tests/hostile/` is an input that once
//! crashed sandan, ran to `inf`, was silently misread, or printed more than one line.
//! Each must now be refused: exit code 2, exactly one line on stderr naming the file
//! (with `:line:column:` unless its first line says "(no location)"), and no output.
//! Scenarios go through `sandan validate` and `sandan run`; `design_*.toml` files are
//! sweep designs, run with `sandan sweep` on `tests/fixtures/tiny.toml`.

mod common;
use common::{fixture, sandan};
use std::path::Path;

/// The same limit everywhere, so that the resource refusals do not depend on the
/// machine's memory.
const LIMIT: &str = "64G";

fn check(file: &Path, args: &[&std::ffi::OsStr], out: &Path) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let o = sandan().args(args).args(["--max-memory", LIMIT]).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let what = format!("{name} ({:?}): {stderr}", args[0]);
    assert_eq!(o.status.code(), Some(2), "{what}");
    assert_eq!(stderr.lines().count(), 1, "{what}");
    assert!(stderr.len() < 1000, "{what}");
    let head = std::fs::read(file).unwrap();
    let head = String::from_utf8_lossy(&head);
    let located = !head.lines().next().unwrap_or("").contains("(no location)");
    let at = stderr
        .find(&name)
        .unwrap_or_else(|| panic!("does not name the file: {what}"));
    let after = &stderr[at + name.len()..];
    if located {
        let mut parts = after.splitn(4, ':');
        let (_, line, column) = (parts.next(), parts.next(), parts.next());
        let number = |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
        assert!(number(line) && number(column), "not located: {what}");
    }
    assert!(!out.exists(), "left output: {what}");
}

#[test]
fn every_hostile_input_is_refused_on_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let tiny = fixture("tiny.toml");
    let mut files: Vec<_> = std::fs::read_dir(format!("{}/tests/hostile", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{}", files.len());
    for f in &files {
        let design = f.file_name().unwrap().to_string_lossy().starts_with("design_");
        if design {
            let args = [
                "sweep".as_ref(),
                tiny.as_ref(),
                "--design".as_ref(),
                f.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ];
            check(f, &args, &out);
        } else {
            check(f, &["validate".as_ref(), f.as_os_str()], &out);
            check(
                f,
                &["run".as_ref(), f.as_os_str(), "--out".as_ref(), out.as_os_str()],
                &out,
            );
        }
    }
}
