//! Workshop mode: a local web page on which a trainer changes one strategy's levers
//! and the room sees the consequence at once (`sandan workshop`).
//!
//! A second front end beside [`crate::cli`], over the same library calls and with no
//! model code of its own: a setting becomes scenario text ([`setting`]), parsed and
//! validated as a file would be, simulated by the engine and summarised by the same
//! impact functions as `sandan run` ([`outcome`]); [`server`] serves the embedded
//! page (`src/workshop/page/`) and one bounded queue of simulations.

pub mod catalogue;
pub mod levers;
pub mod outcome;
pub mod server;
pub mod setting;

pub use catalogue::{Catalogue, Entry};
pub use server::{Options, Server};
