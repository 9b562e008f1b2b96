//! The scenarios a workshop offers: the one file the command line named, or the
//! scenarios shipped with sandan (compiled into the binary, so that the server
//! never opens a file the trainer did not name).

use crate::scenario::{self, Scenario, raw::RawScenario};

/// The scenarios shipped in `scenarios/`, compiled in: (name, path, text). The
/// default county first; `template.toml` is a reference of every key, not a case.
pub const SHIPPED: &[(&str, &str, &str)] = &[
    ("suiyang", "scenarios/suiyang.toml", scenario::DEFAULT_SCENARIO),
    (
        "liangshuiquan",
        "scenarios/liangshuiquan.toml",
        include_str!("../../scenarios/liangshuiquan.toml"),
    ),
    (
        "zhangxian",
        "scenarios/zhangxian.toml",
        include_str!("../../scenarios/zhangxian.toml"),
    ),
    (
        "ziyang",
        "scenarios/ziyang.toml",
        include_str!("../../scenarios/ziyang.toml"),
    ),
    (
        "tibet",
        "scenarios/tibet.toml",
        include_str!("../../scenarios/tibet.toml"),
    ),
    (
        "poverty_trap",
        "scenarios/poverty_trap.toml",
        include_str!("../../scenarios/poverty_trap.toml"),
    ),
];

/// One `[[village]]` entry of a scenario, as the page lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VillageEntry {
    pub name: String,
    pub households: u64,
    pub count: u64,
}

/// One scenario on offer: its text as written, validated once at start.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    /// Where it came from (a path on the command line, or the shipped file's).
    pub origin: String,
    pub text: String,
    pub scenario: Scenario,
    pub villages: Vec<VillageEntry>,
    /// Every key with its value, the built-in defaults filled in (for the levers'
    /// current values).
    pub tree: toml::Table,
}

impl Entry {
    /// Validate scenario text as `sandan run` would; the message is the file's own.
    pub fn new(name: &str, origin: &str, text: String) -> Result<Entry, String> {
        let scenario = scenario::parse(&text, origin, name).map_err(|e| e.to_string())?;
        let raw = RawScenario::from_toml(&text).map_err(|e| format!("{origin}: {e}"))?;
        let villages = raw
            .village
            .iter()
            .map(|v| VillageEntry {
                name: v.name.clone(),
                households: v.households.max(0) as u64,
                count: v.count.max(0) as u64,
            })
            .collect();
        let tree = match toml::Value::try_from(&raw) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        Ok(Entry {
            name: scenario.name.clone(),
            origin: origin.to_string(),
            text,
            scenario,
            villages,
            tree,
        })
    }

    /// The `[[strategy]]` tables as written (none: the implicit `no_program`).
    pub fn raw_strategies(&self) -> Vec<toml::Table> {
        let tree: toml::Table = toml::from_str(&self.text).unwrap_or_default();
        tree.get("strategy")
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(|t| t.as_table().cloned()).collect())
            .unwrap_or_default()
    }

    /// The households of a village entry (one village of it), or of the whole county.
    pub fn households(&self, village: Option<usize>) -> u64 {
        match village {
            Some(i) => self.villages.get(i).map_or(0, |v| v.households),
            None => self.villages.iter().map(|v| v.households * v.count).sum(),
        }
    }
}

/// The scenarios of one workshop, by name.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub entries: Vec<Entry>,
}

impl Catalogue {
    /// Every shipped scenario.
    pub fn shipped() -> Result<Catalogue, String> {
        let entries = SHIPPED
            .iter()
            .map(|(name, path, text)| Entry::new(name, &format!("<shipped: {path}>"), text.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Catalogue { entries })
    }

    /// The one scenario the command line named.
    pub fn single(entry: Entry) -> Catalogue {
        Catalogue { entries: vec![entry] }
    }

    pub fn get(&self, name: &str) -> Result<&Entry, String> {
        self.entries.iter().find(|e| e.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
            format!(
                "no scenario '{}' in this workshop; it offers: {}",
                scenario::validate::shown(name),
                names.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_is_valid_and_found_by_its_name() {
        let c = Catalogue::shipped().unwrap();
        assert_eq!(c.entries.len(), SHIPPED.len());
        for (name, _, _) in SHIPPED {
            assert_eq!(&c.get(name).unwrap().name, name);
        }
        let suiyang = c.get("suiyang").unwrap();
        assert_eq!(suiyang.households(None), 84_200);
        assert_eq!(suiyang.households(Some(0)), 700);
        assert!(c.get("nowhere").unwrap_err().contains("suiyang, liangshuiquan"));
    }
}
