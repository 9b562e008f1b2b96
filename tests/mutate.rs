//! Issue 16: a mutation fuzzer over `scenarios/template.toml`. Each case changes up
//! to three of the template's values (or deletes or misspells their keys) and reads
//! the result as a scenario: it must never panic, and every refusal must be one line
//! `t.toml:LINE:COLUMN: message` with the line and column inside the text; an
//! accepted scenario of at most 2,000 households runs replicate 0 of every strategy
//! to metrics that are all finite (or a documented NA).
//!
//! CI runs 1,000 cases (about 6 s in a debug build); set `SANDAN_MUTATIONS=N` to
//! run N, e.g. 100000 in a release build before resolving the issue.

use proptest::prelude::*;
use sandan::scenario;

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Every value of the tree that is not a table or array of tables, by path.
fn leaves(v: &toml::Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, c) in t {
                path.push(Seg::Key(k.clone()));
                leaves(c, path, out);
                path.pop();
            }
        }
        toml::Value::Array(a) if a.iter().any(|c| c.is_table()) => {
            for (i, c) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                leaves(c, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

/// The table holding the leaf at `path`, and the leaf's key in it.
fn parent<'a>(root: &'a mut toml::Value, path: &[Seg]) -> Option<(&'a mut toml::Table, String)> {
    let (last, init) = path.split_last()?;
    let mut node = root;
    for seg in init {
        node = match seg {
            Seg::Key(k) => node.as_table_mut()?.get_mut(k)?,
            Seg::Index(i) => node.as_array_mut()?.get_mut(*i)?,
        };
    }
    match last {
        Seg::Key(k) => Some((node.as_table_mut()?, k.clone())),
        Seg::Index(_) => None,
    }
}

/// What a mutation does to a value: delete its key, set it, or scale a number.
#[derive(Debug, Clone)]
enum Change {
    Delete,
    Set(toml::Value),
    Scale(f64),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        1 => Just(Change::Delete),
        4 => replacement().prop_map(Change::Set),
        // Mostly valid: the same number larger, smaller or zero.
        4 => prop::sample::select(vec![0.0, 0.1, 0.5, 0.9, 1.1, 2.0, 10.0, 1e3]).prop_map(Change::Scale),
    ]
}

/// What a mutation puts in place of a value.
fn replacement() -> impl Strategy<Value = toml::Value> {
    use toml::Value as V;
    prop_oneof![
        Just(V::Float(1e308)),
        Just(V::Float(-1e308)),
        Just(V::Float(f64::NAN)),
        Just(V::Float(f64::INFINITY)),
        Just(V::Float(5e-324)),
        Just(V::Integer(i64::MAX)),
        Just(V::Integer(i64::MIN)),
        Just(V::Integer(0)),
        Just(V::Integer(-1)),
        any::<f64>().prop_map(V::Float),
        (-1_000_000i64..1_000_000).prop_map(V::Integer),
        (0.0f64..2.0).prop_map(V::Float),
        Just(V::String(String::new())),
        Just(V::String("a\nb\u{0}'\"".to_string())),
        Just(V::String("x".repeat(10_000))),
        Just(V::Boolean(true)),
        Just(V::Array(Vec::new())),
        Just(V::Table(toml::Table::new())),
        Just(V::Table(toml::Table::from_iter([("2016".to_string(), V::Float(1.0))]))),
    ]
}

/// One mutation: which leaf, whether to misspell its key, and what to put there.
fn mutation() -> impl Strategy<Value = (prop::sample::Index, bool, Change)> {
    (any::<prop::sample::Index>(), prop::bool::weighted(0.1), change())
}

fn cases() -> u32 {
    std::env::var("SANDAN_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_template_is_read_or_refused_on_one_located_line(
        mutations in prop::collection::vec(mutation(), 1..=3)
    ) {
        let mut root = toml::Value::Table(
            toml::from_str(include_str!("../scenarios/template.toml")).unwrap(),
        );
        let mut paths = Vec::new();
        leaves(&root, &mut Vec::new(), &mut paths);
        for (at, misspell, change) in mutations {
            let path = at.get(&paths).clone();
            let Some((table, key)) = parent(&mut root, &path) else { continue };
            let old = table.remove(&key);
            let key = if misspell { format!("{key}x") } else { key };
            let new = match (change, old) {
                (Change::Delete, _) | (_, None) => None,
                (Change::Set(v), _) => Some(v),
                (Change::Scale(f), Some(toml::Value::Float(x))) => Some(toml::Value::Float(x * f)),
                (Change::Scale(f), Some(toml::Value::Integer(n))) => Some(toml::Value::Integer((n as f64 * f) as i64)),
                (Change::Scale(_), Some(v)) => Some(v),
            };
            if let Some(v) = new {
                table.insert(key, v);
            }
        }
        let text = toml::to_string(&root).unwrap();
        match scenario::parse(&text, "t.toml", "t") {
            // An accepted county small enough to run here runs to finite results.
            Ok(s) => {
                let small = s.strategies.iter().all(|st| st.model.household_count() <= 2_000)
                    && s.years_reported() <= 30;
                for k in (0..s.strategies.len()).filter(|_| small) {
                    let rec = sandan::engine::simulate(&s, k, 0);
                    prop_assert_eq!(rec.first_non_finite(), None, "{}", text);
                }
            }
            Err(e) => {
            let e = e.to_string();
            prop_assert!(!e.contains('\n') && e.len() < 1000, "{}", e);
            let rest = e.strip_prefix("t.toml:").unwrap_or_else(|| panic!("unlocated: {e}"));
            let mut parts = rest.splitn(3, ':');
            let line: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let column: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let lines = text.lines().count().max(1);
            prop_assert!(line >= 1 && line <= lines, "line {} of {}: {}", line, lines, e);
            let width = text.lines().nth(line - 1).map_or(0, |l| l.chars().count());
            prop_assert!(column >= 1 && column <= width + 1, "column {} of {}: {}", column, width, e);
            }
        }
    }
}
