//! The `sandan` command; all of it lives in [`sandan::cli`].

fn main() -> std::process::ExitCode {
    sandan::cli::main()
}
