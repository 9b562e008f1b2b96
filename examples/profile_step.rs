//! Runs the safety-net cycle of the 100,000-household benchmark county for a number
//! of years (default 2), for instruction-level profiling that, unlike wall time,
//! does not depend on what else the machine is doing:
//!
//! ```sh
//! cargo build --release --example profile_step
//! valgrind --tool=callgrind --toggle-collect='*Simulation*step*' \
//!     target/release/examples/profile_step 2
//! ```
//!
//! Divide the instruction count by 200,000 for instructions per household-year.

use sandan::engine::Simulation;
use sandan::scenario;

fn main() {
    let text = "name = \"bench\"\nstart_year = 2016\nend_year = 2020\n[[village]]\nname = \"v\"\ncount = 100\nhouseholds = 1000\nstarting_incidence = 0.2\n";
    let s = match scenario::parse(text, "profile.toml", "profile") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut sim = Simulation::new(&s.strategies[0], 1, 0, 2016);
    sim.baseline();
    let steps: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    for _ in 0..steps {
        std::hint::black_box(sim.step());
    }
}
