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
//! * [`rng`] — randomness derived from (seed, replicate, stream, entity, year);
//! * [`sweep`] — parameter sweeps: designs, resumable results, shards and merging.

pub mod agents;
pub mod cli;
pub mod engine;
pub mod metrics;
pub mod output;
pub mod programs;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod sweep;
