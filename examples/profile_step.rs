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
//! household-year. Where a host has no hardware counters for `perf stat` (the
//! project's development VM has none), `--branch-sim=yes` added to the callgrind
//! line counts conditional branches and a simulated predictor's mispredictions,
//! by line with `callgrind_annotate --show=Bc,Bcm --sort=Bcm`. A second argument `program` profiles the bench's three-order
//! program cycle (strategy `three_order` of `cargo bench --bench throughput`)
//! instead of the safety net.

use sandan::engine::Simulation;
use sandan::scenario;

fn main() {
    let text = "name = \"bench\"\nstart_year = 2016\nend_year = 2020\n[[village]]\nname = \"v\"\ncount = 100\nhouseholds = 1000\nstarting_incidence = 0.2\n\
                [[strategy]]\nname = \"no_program\"\n\
                [[strategy]]\nname = \"three_order\"\nmenu = \"needs_based\"\nordering = \"household_choice\"\nmatching = \"skill_based\"\nbudget = 35_000_000\n";
    let s = match scenario::parse(text, "profile.toml", "profile") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let strategy = match std::env::args().nth(2).as_deref() {
        None | Some("safety_net") => 0,
        Some("program") => 1,
        Some(other) => {
            eprintln!("profile_step: unknown cycle {other:?}; allowed: safety_net, program");
            std::process::exit(2);
        }
    };
    let mut start = Simulation::new(&s.strategies[strategy], 1, 0, 2016);
    start.baseline();
    let repetitions: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    for _ in 0..repetitions {
        let mut sim = start.clone();
        for _ in 2017..=2020 {
            std::hint::black_box(sim.step());
        }
    }
}
