//! `sandan workshop`: start the workshop server and print the address to open.

use super::CliError;
use crate::output::fonts::Lang;
use crate::scenario;
use crate::workshop::{Catalogue, Entry, Options, Server};
use std::net::IpAddr;
use std::path::PathBuf;

/// The default limit of one request: 20 replicates over six years of up to about
/// 16,000 households, or the whole default county with 4 replicates; about half a
/// second per strategy on one core at the measured 3.6 million household-years a
/// second of the program cycle (README, Performance).
pub const DEFAULT_MAX_WORK: u64 = 2_000_000;

/// Simulations that may wait per worker before the server answers "busy": a room
/// of 10-20 laptops changing levers at once is queued (each waits at most a few
/// answers' time), a flood is refused at once rather than piling up.
pub const QUEUE_PER_WORKER: usize = 8;

#[derive(Debug, Clone, clap::Args)]
pub struct WorkshopArgs {
    /// The scenario file (TOML) to offer; without one, the scenarios shipped with sandan.
    pub scenario: Option<PathBuf>,
    /// The port to listen on (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8480)]
    pub port: u16,
    /// The address to listen on: loopback by default; 0.0.0.0 lets the room's
    /// laptops open the page.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// The page's language when it opens (the page has a switch).
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// The most household-years one request may simulate (households × replicates ×
    /// years, per strategy); larger requests are refused with how to shrink them.
    #[arg(long, default_value_t = DEFAULT_MAX_WORK, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_work: u64,
    /// Simulation threads [default: all cores; never more].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
}

pub fn workshop(args: &WorkshopArgs) -> Result<(), CliError> {
    let catalogue = match &args.scenario {
        Some(p) => {
            let (_, text) = scenario::load_with_text(p)?;
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "scenario".into());
            Catalogue::single(Entry::new(&stem, &p.display().to_string(), text).map_err(CliError::Usage)?)
        }
        None => Catalogue::shipped().map_err(CliError::Internal)?,
    };
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let workers = args.workers.map_or(cores, usize::from).min(cores);
    let options = Options {
        bind: args.bind,
        port: args.port,
        lang: args.lang,
        max_work: args.max_work,
        workers,
        queue: QUEUE_PER_WORKER * workers,
    };
    let server = Server::start(catalogue, options).map_err(CliError::Usage)?;
    let addr = server.addr();
    println!("sandan workshop: open http://{addr}/ in a browser (Ctrl-C to stop)");
    if addr.ip().is_unspecified() {
        println!(
            "participants open http://<this machine's address on the room's network>:{}/",
            addr.port()
        );
    }
    server.wait();
    Ok(())
}
