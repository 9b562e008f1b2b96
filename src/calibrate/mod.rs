//! Calibration: fitting a scenario's parameters to a village's or county's record.
//!
//! A targets file ([`targets`]) names the strategy that ran in reality, the
//! observations by year with their errors, and the parameters to fit with their
//! priors. It is read and checked against the scenario before anything runs, with
//! the same `file:line:column: message` errors as a scenario.

pub mod abc;
pub mod fit;
pub mod nelder_mead;
pub mod targets;

pub use targets::{Observation, Parameter, Prior, Targets};
