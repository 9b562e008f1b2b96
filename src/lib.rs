//! sandan — an agent-based policy sandbox for village-level poverty alleviation.
//!
//! Households of a synthesised county are stepped through yearly cycles under a
//! TOML [`scenario`], over many replicates, and their poverty-incidence trajectories
//! are written as tidy tables and plots so that strategies can be compared side by
//! side. The model is described for modellers in `docs/ODD.md`.
//!
//! The library is organised by the nouns of the domain:
//! * [`scenario`] — reading and validating a scenario into an immutable configuration;
//! * [`agents`] — households and their synthesis;
//! * [`engine`] — the yearly cycle and the replicate runner;
//! * [`metrics`] — what is measured and how replicates are summarised;
//! * [`output`] — CSV, plots (PNG, SVG), `report.html`, the manifest and the final table;
//! * [`resources`] — the memory and work a run or sweep will need, checked before it starts;
//! * [`rng`] — randomness derived from (seed, replicate, stream, entity, year);
//! * [`sweep`] — parameter sweeps: designs, resumable results, shards and merging;
//! * [`workshop`] — the workshop server: a local page to change a strategy and see the result.

//!
//! # Using the library
//!
//! ```
//! use sandan::{engine, scenario};
//!
//! let text = r#"
//!     name = "one_village"
//!     start_year = 2016
//!     end_year = 2018
//!     replicates = 2
//!     [population]
//!     starting_incidence = 0.2559
//!     [[village]]
//!     name = "Liangshuiquan"
//!     households = 260
//! "#;
//! let s = scenario::parse(text, "one_village.toml", "one_village").unwrap();
//! let records = engine::run(&s, &|| {});
//! assert_eq!(records.len(), 2); // one strategy (no_program) x 2 replicates
//! let baseline = &records[0].years[0];
//! assert_eq!(baseline.year, 2016);
//! assert!((baseline.incidence - 0.2559).abs() <= 0.005); // calibrated at synthesis
//! ```

pub mod agents;
pub mod calibrate;
pub mod cli;
pub mod engine;
pub mod metrics;
pub mod output;
pub mod programs;
pub mod resources;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod sweep;
pub mod workshop;
