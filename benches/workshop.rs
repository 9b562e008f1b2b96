//! `cargo bench --bench workshop`: the time from a lever change to the server's
//! answer (issue 14) for a 300-household village × 20 replicates × 6 years (both
//! the setting and its baseline simulated), p50 and p95 over 50 changes, one client
//! and then 10 clients changing levers at once, through the real HTTP server on a
//! loopback port with the workers `sandan workshop` starts (all cores). The page
//! adds its drawing (a few milliseconds) to this.

use criterion::Criterion;
use sandan::workshop::{Catalogue, Entry, Options, Server};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Liangshuiquan (2016-2021: six years reported) with a 300-household village.
fn catalogue() -> Catalogue {
    let text = include_str!("../scenarios/liangshuiquan.toml").replace("households = 258", "households = 300");
    assert!(
        text.contains("households = 300"),
        "the bench village has 300 households"
    );
    Catalogue::single(Entry::new("village300", "village300.toml", text).expect("bench scenario is valid"))
}

/// One lever change: the cattle scheme's share, different each time.
fn change(addr: SocketAddr, i: usize) -> Duration {
    let body = json!({
        "scenario": "liangshuiquan", "baseline": "no_program", "strategy": "three_order",
        "levers": { "program.cattle.household_share": 0.5 + 0.005 * (i % 100) as f64 },
        "replicates": 20, "seed": 2016, "label": "a"
    })
    .to_string();
    let t = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /api/run HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("send");
    s.write_all(body.as_bytes()).expect("send");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("answer");
    let took = t.elapsed();
    assert!(
        out.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&out[..out.len().min(300)])
    );
    took
}

fn quantiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    (q(0.5), q(0.95))
}

fn main() {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let options = Options {
        bind: "127.0.0.1".parse().expect("loopback"),
        port: 0,
        lang: sandan::output::fonts::Lang::En,
        max_work: 2_000_000,
        workers,
        queue: 8 * workers,
    };
    let server = Server::start(catalogue(), options).expect("server starts");
    let addr = server.addr();
    change(addr, 0);

    let one: Vec<Duration> = (0..50).map(|i| change(addr, i)).collect();
    let (p50, p95) = quantiles(one);
    println!(
        "workshop: one client, 50 lever changes (300 households × 20 replicates × 6 years): p50 {p50:.0} ms, p95 {p95:.0} ms on {workers} workers"
    );

    let ten: Vec<Duration> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..10)
            .map(|c| s.spawn(move || (0..5).map(|i| change(addr, 10 * i + c)).collect::<Vec<_>>()))
            .collect();
        clients.into_iter().flat_map(|h| h.join().expect("client")).collect()
    });
    let (p50, p95) = quantiles(ten);
    println!("workshop: 10 clients at once, 5 changes each: p50 {p50:.0} ms, p95 {p95:.0} ms on {workers} workers");

    // No criterion plots: they need system fonts, which CI machines lack.
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("workshop");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    let mut i = 0;
    group.bench_function("lever_change_300_households_20_replicates", |b| {
        b.iter(|| {
            i += 1;
            change(addr, i)
        })
    });
    group.finish();
    c.final_summary();
    server.stop();
}
