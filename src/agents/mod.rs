//! The agents of the model: households (and, with the program, member agents),
//! and how a county's households are synthesised from a scenario.

pub mod herd;
pub mod household;
pub mod synthesis;
