//! Synthesises the 100,000-household benchmark county of `examples/profile_step.rs`
//! (and of `cargo bench --bench throughput`) a number of times (default 1), for
//! instruction-level profiling of synthesis alone:
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo build --release --example profile_synthesis
//! valgrind --tool=callgrind --dump-instr=no --toggle-collect='*synthesize*' \
//!     target/release/examples/profile_synthesis 3
//! ```
//!
//! Divide the instruction count by 100,000 per repetition for instructions per
//! household. The scenario's parse, and with it any income fit (the bench county
//! states no income target), is outside the toggled function.

use sandan::agents::synthesis::synthesize;
use sandan::scenario;

fn main() {
    let text = "name = \"bench\"\nstart_year = 2016\nend_year = 2020\n[[village]]\nname = \"v\"\ncount = 100\nhouseholds = 1000\nstarting_incidence = 0.2\n\
                [[strategy]]\nname = \"no_program\"\n";
    let s = match scenario::parse(text, "profile.toml", "profile") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let model = &s.strategies[0].model;
    let repetitions: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    for _ in 0..repetitions {
        std::hint::black_box(synthesize(model, 1, 0, 2016));
    }
}
