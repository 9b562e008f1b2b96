//! Helpers shared by the CLI tests: the built `sandan` binary and fixture paths.

use assert_cmd::Command;

/// The `sandan` binary Cargo built for these tests.
pub fn sandan() -> Command {
    Command::cargo_bin("sandan").unwrap()
}

/// The path of a fixture in `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}
