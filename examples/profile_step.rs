//! Runs the safety-net cycle of the 100,000-household benchmark county over the
//! scenario's years (2017–2020) a number of times (default 1), each from a copy of
//! the baseline county, as `cargo bench --bench throughput` does; for
//! instruction-level profiling that, unlike wall time, does not depend on what else
//! the machine is doing:
//!
//! ```sh
//! cargo build --release --example profile_step
//! valgrind --tool=callgrind --toggle-collect='*Simulation*step*' \
//!     target/release/examples/profile_step 1
//! ```
//!
//! Divide the instruction count by 400,000 per repetition for instructions per
//! household-year.

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
    let mut start = Simulation::new(&s.strategies[0], 1, 0, 2016);
    start.baseline();
    let repetitions: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    for _ in 0..repetitions {
        let mut sim = start.clone();
        for _ in 2017..=2020 {
            std::hint::black_box(sim.step());
        }
    }
}
