//! The HTTP side of a workshop: the embedded page, a small JSON API, and one
//! bounded queue of simulations shared by every browser in the room.
//!
//! One thread takes requests ([`tiny_http`], synchronous: no async runtime, one
//! binary to copy); cheap answers (the page, the lists) are given at
//! once; simulations and exports wait in a queue of fixed length for a fixed number of
//! worker threads. When the queue is full the answer is 503 "busy, retry" at once,
//! so that a room of laptops never makes the machine swap or the page spin for
//! ever. Nothing here opens a file: the scenarios were read when the server started.

use super::catalogue::Catalogue;
use super::levers;
use super::outcome;
use super::setting::{self, Setting};
use crate::engine::RunRecord;
use crate::output::fonts::Lang;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tiny_http::{Header, Method, Request, Response};

/// The largest request body accepted: a setting is well under 10 KiB.
pub const MAX_BODY: usize = 64 * 1024;

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/workshop.js");
const STYLE: &str = include_str!("page/workshop.css");

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub bind: IpAddr,
    /// 0: any free port (the address is printed).
    pub port: u16,
    /// The page's language when it opens.
    pub lang: Lang,
    /// The most household-years (households × replicates × years reported, per
    /// strategy) one request may simulate.
    pub max_work: u64,
    /// Simulation threads (at most the cores).
    pub workers: usize,
    /// Simulations that may wait for a worker; more are refused with "busy".
    pub queue: usize,
}

/// What a queued request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Run,
    /// Validating an export parses the scenario (its income fit synthesises the
    /// county): work for a worker too, not for the thread that takes requests.
    Export,
}

/// A request waiting for a worker, with the request to answer.
struct Job {
    request: Request,
    setting: Setting,
    task: Task,
}

struct Shared {
    catalogue: Catalogue,
    options: Options,
    /// The baselines run last, by what they depend on (see [`baseline_key`]).
    baselines: Mutex<VecDeque<(String, Arc<Vec<RunRecord>>)>>,
}

/// Baselines kept: one per scenario, village, baseline, replicates and seed that
/// the room is looking at (each a few kilobytes a replicate).
const BASELINES_KEPT: usize = 16;

/// What a baseline's results depend on: the scenario's file, the village (its
/// budget scaled), the baseline strategy, replicates and seed — not the setting.
fn baseline_key(s: &Setting) -> String {
    format!(
        "{}|{:?}|{}|{}|{}",
        s.scenario, s.village, s.baseline, s.replicates, s.seed
    )
}

/// A running workshop server; [`Server::stop`] ends it.
pub struct Server {
    addr: SocketAddr,
    http: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Bind the address and start the request thread and the workers.
    pub fn start(catalogue: Catalogue, options: Options) -> Result<Server, String> {
        let bind = SocketAddr::new(options.bind, options.port);
        let http = tiny_http::Server::http(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
        let addr = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| format!("cannot listen on {bind}: no IP address"))?;
        let http = Arc::new(http);
        let shared = Arc::new(Shared {
            catalogue,
            options,
            baselines: Mutex::new(VecDeque::new()),
        });
        let (tx, rx) = sync_channel::<Job>(shared.options.queue);
        let rx = Arc::new(Mutex::new(rx));
        let mut threads = Vec::new();
        for i in 0..shared.options.workers.max(1) {
            let (rx, shared) = (Arc::clone(&rx), Arc::clone(&shared));
            let t = std::thread::Builder::new()
                .name(format!("workshop-worker-{i}"))
                .spawn(move || work(&rx, &shared))
                .map_err(|e| format!("cannot start a worker thread: {e}"))?;
            threads.push(t);
        }
        let stopping = Arc::new(AtomicBool::new(false));
        let (h, s) = (Arc::clone(&http), Arc::clone(&stopping));
        let t = std::thread::Builder::new()
            .name("workshop-http".into())
            .spawn(move || accept(&h, &s, &tx, &shared))
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
        threads.push(t);
        Ok(Server {
            addr,
            http,
            stopping,
            threads,
        })
    }

    /// The address the server listens on (with the port chosen, if it was 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve until the process is stopped.
    pub fn wait(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }

    /// Stop taking requests, let the workers finish what is queued, and join them.
    pub fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.http.unblock();
        for t in self.threads.into_iter().rev() {
            let _ = t.join();
        }
    }
}

fn accept(http: &tiny_http::Server, stopping: &AtomicBool, queue: &SyncSender<Job>, shared: &Shared) {
    loop {
        match http.recv() {
            Ok(request) => route(request, queue, shared),
            Err(_) if stopping.load(Ordering::SeqCst) => break,
            // A client's broken connection: keep serving the others.
            Err(_) => continue,
        }
    }
    // Dropping the queue's sender ends the workers once it is empty.
}

fn work(rx: &Mutex<Receiver<Job>>, shared: &Shared) {
    loop {
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let answer = match job.task {
            Task::Run => simulate(&job.setting, shared),
            Task::Export => export(&job.setting, shared),
        };
        respond(job.request, answer);
    }
}

/// An answer: HTTP status and JSON body.
type Answer = (u16, Value);

fn error(status: u16, message: impl Into<String>) -> Answer {
    (status, json!({ "error": message.into() }))
}

fn respond(request: Request, (status, body): Answer) {
    let bytes = body.to_string().into_bytes();
    let mut r = Response::from_data(bytes).with_status_code(status);
    for h in [
        "Content-Type: application/json; charset=utf-8",
        "Cache-Control: no-store",
    ] {
        if let Ok(h) = h.parse::<Header>() {
            r.add_header(h);
        }
    }
    if status == 503
        && let Ok(h) = "Retry-After: 1".parse::<Header>()
    {
        r.add_header(h);
    }
    // A client that went away is no concern of the others.
    let _ = request.respond(r);
}

fn respond_text(request: Request, content_type: &str, text: &'static str) {
    let mut r = Response::from_data(text.as_bytes()).with_status_code(200);
    for h in [
        format!("Content-Type: {content_type}"),
        "Cache-Control: no-store".to_string(),
    ] {
        if let Ok(h) = h.parse::<Header>() {
            r.add_header(h);
        }
    }
    let _ = request.respond(r);
}

fn route(mut request: Request, queue: &SyncSender<Job>, shared: &Shared) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let method = request.method().clone();
    match (&method, path) {
        (Method::Get, "/") => respond_text(request, "text/html; charset=utf-8", PAGE),
        (Method::Get, "/workshop.js") => respond_text(request, "text/javascript; charset=utf-8", SCRIPT),
        (Method::Get, "/workshop.css") => respond_text(request, "text/css; charset=utf-8", STYLE),
        (Method::Get, "/api/scenarios") => respond(request, (200, scenarios(shared))),
        (Method::Get, "/api/levers") => {
            let answer = lever_list(shared, query);
            respond(request, answer)
        }
        (Method::Post, "/api/run") | (Method::Post, "/api/export") => {
            if let Some(origin) = foreign_origin(&request) {
                return respond(
                    request,
                    error(
                        403,
                        format!(
                            "a page from {} may not run simulations here; open the workshop's own page",
                            crate::scenario::validate::shown(&origin)
                        ),
                    ),
                );
            }
            let setting = match read_setting(&mut request) {
                Ok(s) => s,
                Err(e) => return respond(request, e),
            };
            if let Err(e) = affordable(&setting, shared) {
                return respond(request, e);
            }
            let task = if path == "/api/export" { Task::Export } else { Task::Run };
            match queue.try_send(Job { request, setting, task }) {
                Ok(()) => {}
                Err(TrySendError::Full(job)) => respond(
                    job.request,
                    error(
                        503,
                        format!(
                            "busy: {} simulations are waiting for {} workers; retry in a moment",
                            shared.options.queue, shared.options.workers
                        ),
                    ),
                ),
                Err(TrySendError::Disconnected(job)) => respond(job.request, error(503, "the server is stopping")),
            }
        }
        (_, "/" | "/workshop.js" | "/workshop.css" | "/api/scenarios" | "/api/levers" | "/api/run" | "/api/export") => {
            respond(request, error(405, format!("{path} does not accept {method}")))
        }
        _ => respond(
            request,
            error(404, format!("no such page: {}", crate::scenario::validate::shown(path))),
        ),
    }
}

/// The `Origin` of a request sent by a page from another site, if it is one. A
/// browser names the page's origin on every POST; another site's page (any tab the
/// trainer has open) could otherwise spend the server's work, since the server
/// answers whoever reaches it. Requests without an `Origin` (scripts, curl) pass.
fn foreign_origin(request: &Request) -> Option<String> {
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let origin = header("Origin")?;
    let host = header("Host").unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    (origin_host != host).then_some(origin)
}

/// The body of a POST as a setting: 413 above [`MAX_BODY`], 400 when it is not
/// JSON or not a setting (naming the field and what is allowed).
fn read_setting(request: &mut Request) -> Result<Setting, Answer> {
    let too_large = || {
        error(
            413,
            format!(
                "the request is larger than {} KiB; a setting is a few KiB",
                MAX_BODY / 1024
            ),
        )
    };
    if request.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| error(400, format!("cannot read the request: {e}")))?;
    if body.len() > MAX_BODY {
        return Err(too_large());
    }
    let de = &mut serde_json::Deserializer::from_slice(&body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let what = if inner.is_syntax() || inner.is_eof() {
            format!("malformed JSON: {inner}")
        } else if path.is_empty() || path == "." {
            format!("not a setting: {inner}")
        } else {
            format!("not a setting: {path}: {inner}")
        };
        error(400, crate::scenario::validate::one_line(&what))
    })
}

/// Refuse a setting above `--max-work` before it is queued, saying how to shrink it.
fn affordable(s: &Setting, shared: &Shared) -> Result<(), Answer> {
    let entry = shared.catalogue.get(&s.scenario).map_err(|m| error(422, m))?;
    let households = match s.village {
        Some(i) => {
            setting::village_share(entry, i).map_err(|m| error(422, m))?;
            entry.households(Some(i))
        }
        None => entry.households(None),
    };
    check_work(
        households,
        s.replicates,
        entry.scenario.years_reported(),
        shared.options.max_work,
    )
}

fn check_work(households: u64, replicates: u32, years: usize, max: u64) -> Result<(), Answer> {
    let work = households * u64::from(replicates) * years as u64;
    if work <= max {
        return Ok(());
    }
    let per_replicate = households * years as u64;
    let hint = if per_replicate <= max {
        format!(
            "choose at most {} replicates, or one village",
            max / per_replicate.max(1)
        )
    } else {
        "choose one village (the whole county is too large for this workshop)".to_string()
    };
    Err(error(
        422,
        format!(
            "the setting needs {households} households × {replicates} replicates × {years} years = {work} household-years, more than this workshop's limit of {max} (--max-work); {hint}"
        ),
    ))
}

/// Run a setting: materialize, validate, check the work again (an override may
/// change the households), simulate, and summarise.
fn simulate(s: &Setting, shared: &Shared) -> Answer {
    let entry = match shared.catalogue.get(&s.scenario) {
        Ok(e) => e,
        Err(m) => return error(422, m),
    };
    let (m, scenario) = match setting::scenario(entry, s) {
        Ok(x) => x,
        Err(message) => return error(422, message),
    };
    let households = scenario
        .strategies
        .iter()
        .map(|st| st.model.household_count() as u64)
        .max()
        .unwrap_or(0);
    if let Err(e) = check_work(
        households,
        scenario.replicates,
        scenario.years_reported(),
        shared.options.max_work,
    ) {
        return e;
    }
    let key = baseline_key(s);
    let kept = shared
        .baselines
        .lock()
        .ok()
        .and_then(|b| b.iter().find(|(k, _)| *k == key).map(|(_, r)| Arc::clone(r)));
    let runs = outcome::simulate_reusing(&scenario, 1, kept.as_deref().map(Vec::as_slice));
    if kept.is_none()
        && let Ok(mut b) = shared.baselines.lock()
    {
        let records: Vec<RunRecord> = runs.records.iter().filter(|r| r.strategy == 0).cloned().collect();
        b.push_front((key, Arc::new(records)));
        b.truncate(BASELINES_KEPT);
    }
    match outcome::view(&scenario, &runs) {
        Ok(mut v) => {
            v["label"] = json!(s.label);
            v["strategy_name"] = json!(m.strategy_name);
            (200, v)
        }
        Err(message) => error(500, format!("internal error: {message}")),
    }
}

fn export(s: &Setting, shared: &Shared) -> Answer {
    let entry = match shared.catalogue.get(&s.scenario) {
        Ok(e) => e,
        Err(m) => return error(422, m),
    };
    match setting::scenario(entry, s) {
        Ok((m, _)) => (
            200,
            json!({ "file": m.file, "scenario": m.text, "strategy": m.strategy_block, "strategy_name": m.strategy_name }),
        ),
        Err(message) => error(422, message),
    }
}

fn scenarios(shared: &Shared) -> Value {
    let list: Vec<Value> = shared
        .catalogue
        .entries
        .iter()
        .map(|e| {
            let s = &e.scenario;
            let default_baseline = s
                .baseline
                .clone()
                .or_else(|| s.strategies.iter().find(|t| t.name == "no_program").map(|t| t.name.clone()))
                .unwrap_or_else(|| s.strategies[0].name.clone());
            json!({
                "name": e.name,
                "origin": e.origin,
                "description": s.description,
                "start_year": s.start_year,
                "end_year": s.end_year,
                "replicates": s.replicates,
                "seed": s.seed,
                "baseline": default_baseline,
                "strategies": s.strategies.iter().map(|t| json!({"name": t.name, "description": t.description})).collect::<Vec<_>>(),
                "villages": e.villages,
                "households": e.households(None),
            })
        })
        .collect();
    json!({
        "scenarios": list,
        "lang": shared.options.lang.code(),
        "max_work": shared.options.max_work,
        "workers": shared.options.workers,
    })
}

/// `GET /api/levers?scenario=S&strategy=T[&village=I]`.
fn lever_list(shared: &Shared, query: &str) -> Answer {
    let mut scenario = None;
    let mut strategy = None;
    let mut village = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "scenario" => scenario = Some(v),
            "strategy" => strategy = Some(v),
            "village" if !v.is_empty() => match v.parse::<usize>() {
                Ok(i) => village = Some(i),
                Err(_) => return error(400, "village must be a whole number (a village entry's index)"),
            },
            "village" => {}
            _ => {
                return error(
                    400,
                    format!(
                        "unknown parameter '{}'; use scenario, strategy, village",
                        crate::scenario::validate::shown(k)
                    ),
                );
            }
        }
    }
    let (Some(scenario), Some(strategy)) = (scenario, strategy) else {
        return error(
            400,
            "give scenario and strategy, e.g. /api/levers?scenario=suiyang&strategy=three_order",
        );
    };
    let entry = match shared.catalogue.get(scenario) {
        Ok(e) => e,
        Err(m) => return error(422, m),
    };
    match levers::levers(entry, strategy, village) {
        Ok(l) => (200, json!({ "levers": l })),
        Err(m) => error(422, m),
    }
}
