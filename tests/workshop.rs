//! `sandan workshop` (issue 14): the server on a free loopback port, its refusals,
//! a room of concurrent clients, and the same numbers as `sandan run` for an
//! exported setting.

mod common;

use common::{fixture, sandan};
use sandan::workshop::{Catalogue, Entry, Options, Server, outcome, setting};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

fn start(catalogue: Catalogue, workers: usize, queue: usize, max_work: u64) -> Server {
    let options = Options {
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        lang: sandan::output::fonts::Lang::En,
        max_work,
        workers,
        queue,
    };
    Server::start(catalogue, options).unwrap()
}

fn tiny() -> Catalogue {
    let text = std::fs::read_to_string(fixture("tiny.toml")).unwrap();
    Catalogue::single(Entry::new("tiny", "tiny.toml", text).unwrap())
}

/// One HTTP/1.1 request (the connection closed after it): status and body.
fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    request_with(addr, method, path, "", body)
}

/// [`request`] with extra header lines (each ending in CRLF).
fn request_with(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // A refused oversized body may close the connection before it is all sent.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn post(addr: SocketAddr, path: &str, v: &Value) -> (u16, Value) {
    let (status, body) = request(addr, "POST", path, v.to_string().as_bytes());
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}")),
    )
}

fn tiny_setting(levers: Value) -> Value {
    json!({ "scenario": "tiny", "baseline": "no_program", "strategy": "full_dibao",
            "levers": levers, "replicates": 2, "seed": 5, "label": "a" })
}

#[test]
fn issue14_bad_requests_get_a_clear_4xx_and_the_server_keeps_answering() {
    let server = start(tiny(), 1, 2, 10_000);
    let addr = server.addr();

    let (status, body) = request(addr, "POST", "/api/run", b"{\"scenario\": \"tiny\",");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("malformed JSON"), "{body}");

    // Another site's page may not spend the server's work; the workshop's own may.
    let setting = tiny_setting(json!({})).to_string();
    let (status, body) = request_with(
        addr,
        "POST",
        "/api/run",
        "Origin: http://example.org\r\n",
        setting.as_bytes(),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("example.org"), "{body}");
    let (status, body) = request_with(
        addr,
        "POST",
        "/api/run",
        &format!("Origin: http://{addr}\r\n"),
        setting.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");

    let (status, v) = post(addr, "/api/run", &json!({ "scenario": "tiny", "colour": "red" }));
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("unknown field `colour`"), "{v}");

    // An unknown scenario key: the scenario file's message, naming it.
    let (status, v) = post(addr, "/api/run", &tiny_setting(json!({ "dibao.take_up_everyone": 1 })));
    assert_eq!(status, 422);
    let e = v["error"].as_str().unwrap();
    assert!(
        e.starts_with("tiny_workshop_a.toml:") && e.contains("take_up_everyone"),
        "{e}"
    );

    // Out of range: what a scenario file with the same value gets.
    let (status, v) = post(addr, "/api/run", &tiny_setting(json!({ "dibao.take_up_other": 1.5 })));
    assert_eq!(status, 422);
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("take_up_other") && e.contains("between 0 and 1"), "{e}");

    // Too much work for this server: say how to shrink it.
    let mut big = tiny_setting(json!({}));
    big["replicates"] = json!(40);
    let (status, v) = post(addr, "/api/run", &big);
    assert_eq!(status, 422);
    let e = v["error"].as_str().unwrap();
    assert!(
        e.contains("12000 household-years") && e.contains("at most 33 replicates"),
        "{e}"
    );

    // Larger than any setting: refused before it is read.
    let huge = vec![b' '; 200 * 1024];
    let (status, body) = request(addr, "POST", "/api/run", &huge);
    assert_eq!(status, 413, "{body}");

    let (status, _) = request(addr, "GET", "/nowhere", b"");
    assert_eq!(status, 404);
    let (status, _) = request(addr, "DELETE", "/api/run", b"");
    assert_eq!(status, 405);

    // The levers of a strategy, with the file's values; an unknown one names those there are.
    let (status, body) = request(
        addr,
        "GET",
        "/api/levers?scenario=tiny&strategy=full_dibao&village=1",
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let levers: Value = serde_json::from_str(&body).unwrap();
    let take_up = levers["levers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "dibao.take_up_other")
        .unwrap();
    assert_eq!(
        (take_up["value"].clone(), take_up["min"].clone(), take_up["max"].clone()),
        (json!(1.0), json!(0.0), json!(1.0))
    );
    let (status, body) = request(addr, "GET", "/api/levers?scenario=tiny&strategy=nope", b"");
    assert_eq!(status, 422);
    assert!(body.contains("no_program, full_dibao"), "{body}");
    let (status, body) = request(addr, "GET", "/api/scenarios", b"");
    assert_eq!(status, 200);
    assert!(body.contains("\"households\":100"), "{body}");

    // And still answers.
    let (status, v) = post(addr, "/api/run", &tiny_setting(json!({ "dibao.take_up_other": 0.5 })));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["strategies"], json!(["no_program", "full_dibao_a"]));
    let (status, page) = request(addr, "GET", "/", b"");
    assert_eq!(status, 200);
    assert!(page.contains("/workshop.js"));
    server.stop();
}

#[test]
fn issue14_twenty_clients_at_once_each_get_an_answer_or_a_clear_refusal() {
    let server = start(tiny(), 2, 2, 10_000);
    let addr = server.addr();
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                s.spawn(move || {
                    post(
                        addr,
                        "/api/run",
                        &tiny_setting(json!({ "dibao.take_up_other": 0.05 * f64::from(i) })),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    for (status, v) in &answers {
        match status {
            200 => assert_eq!(v["years"], json!([2016, 2017, 2018])),
            503 => assert!(v["error"].as_str().unwrap().starts_with("busy:"), "{v}"),
            other => panic!("status {other}: {v}"),
        }
    }
    assert!(ok >= 1, "no client got an answer");
    let (status, v) = post(addr, "/api/run", &tiny_setting(json!({})));
    assert_eq!(status, 200, "{v}");
    server.stop();
}

/// The page's numbers are `sandan run`'s: a setting (one village of a shipped
/// scenario, levers changed) and its exported file run with the same seed give the
/// same trajectories.csv, byte for byte, and the same impact.
#[test]
fn issue14_an_exported_setting_run_by_sandan_run_gives_the_pages_numbers() {
    let text = std::fs::read_to_string(fixture("tiny.toml")).unwrap().replace(
        "name = \"full_dibao\"",
        "name = \"full_dibao\"\nmenu = \"needs_based\"\nbudget = 50_000",
    );
    let entry = Entry::new("tiny", "tiny.toml", text).unwrap();
    let s: setting::Setting = serde_json::from_value(json!({
        "scenario": "tiny", "village": 0, "baseline": "no_program", "strategy": "full_dibao",
        "levers": { "matching": "random", "exit.years_above_line": 2, "program.member_kind.0.capacity": 5 },
        "replicates": 3, "seed": 11, "label": "c"
    }))
    .unwrap();
    let (m, scenario) = setting::scenario(&entry, &s).unwrap();
    let runs = outcome::simulate(&scenario, 1);
    let page_csv = sandan::output::tables::trajectories_csv(&scenario, &runs.records).unwrap();
    let view = outcome::view(&scenario, &runs).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(&m.file);
    std::fs::write(&file, &m.text).unwrap();
    let out = dir.path().join("out");
    sandan()
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--threads",
            "2",
        ])
        .assert()
        .success();
    let cli_csv = std::fs::read(out.join("trajectories.csv")).unwrap();
    assert_eq!(
        String::from_utf8(cli_csv).unwrap(),
        String::from_utf8(page_csv).unwrap()
    );

    // The impact the page shows is the one impacts.csv holds.
    let impacts = std::fs::read_to_string(out.join("impacts.csv")).unwrap();
    let row = impacts
        .lines()
        .find(|l| l.starts_with("full_dibao_c,no_program,2018,incidence_points,"))
        .unwrap();
    let cli_mean: f64 = row.split(',').nth(4).unwrap().parse().unwrap();
    let page = view["impact"].as_array().unwrap().last().unwrap();
    assert_eq!(page["year"], json!(2018));
    assert_eq!(page["summary"]["mean"].as_f64().unwrap(), cli_mean);
    // One village of the two, with 60 of the county's 100 households: 60% of the budget.
    assert_eq!(scenario.strategies[1].plan.budget, 30_000.0);
    assert_eq!(view["households"]["status"].as_array().unwrap().len(), 60);
    // Each household's cause, and by year its project's item and member (none here:
    // full_dibao runs no program).
    let h = &view["households"];
    assert_eq!(h["cause"].as_array().unwrap().len(), 60);
    assert!(h["project"][0].as_array().unwrap().iter().all(|p| p.is_null()));
    assert_eq!(h["member"][0].as_array().unwrap().len(), 3, "one entry per year");
}

#[test]
fn issue14_a_bad_scenario_or_address_stops_the_command_before_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "start_year = 2016\nend_year = 2018\n[[village]]\nname = \"v\"\nhouseholds = 0\n",
    )
    .unwrap();
    sandan()
        .args(["workshop", bad.to_str().unwrap(), "--port", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "bad.toml:5:14: village[0].households must be at least 1, got 0",
        ));
    sandan()
        .args(["workshop", "--bind", "the-room"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--bind"));
}
