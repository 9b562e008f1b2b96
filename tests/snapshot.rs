//! A snapshot of a small seeded run's trajectories. Any change to the model's
//! numbers shows up here; if the change is intended, regenerate the snapshot with
//! `SANDAN_UPDATE_SNAPSHOTS=1 cargo test --test snapshot` and say why in the commit.

use sandan::{engine, output, scenario};

#[test]
fn tiny_trajectories_match_the_snapshot() {
    let root = env!("CARGO_MANIFEST_DIR");
    let s = scenario::load(std::path::Path::new(&format!("{root}/tests/fixtures/tiny.toml"))).unwrap();
    let records = engine::run(&s, &|| {});
    let csv = output::tables::trajectories_csv(&s, &records).unwrap();
    let path = format!("{root}/tests/snapshots/tiny_trajectories.csv");
    if std::env::var_os("SANDAN_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(format!("{root}/tests/snapshots")).unwrap();
        std::fs::write(&path, &csv).unwrap();
    }
    let expected = std::fs::read(&path).expect("snapshot missing: run with SANDAN_UPDATE_SNAPSHOTS=1");
    assert!(
        csv == expected,
        "trajectories differ from {path}; if intended, regenerate it"
    );
}
