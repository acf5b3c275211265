//! Recipe 6.5: remote procedure calls. A tarpc service over TCP (JSON frames),
//! three servers in a chain, each its own process: the client calls A, A calls
//! B, B calls C, and C does the work. Every hop adds its name to a trace and
//! passes the caller's deadline on; the answer is checked against a local run.
//!
//! Run: cargo run -p cookbook --example ch06_05_rpc_chain
//!      [-- --below 200000 --deadline-ms 5000]
//! One server alone:  ... -- --role server --name C [--next 127.0.0.1:PORT]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate futures;
extern crate tarpc;
extern crate tokio;

use clap::{Parser, ValueEnum};
use futures::{StreamExt, future};
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};
use tarpc::client::{self, RpcError};
use tarpc::context;
// tarpc re-exports the serde it was built with: deriving through it keeps the
// types and the transport on one serde, whatever else the program links.
use tarpc::serde::{Deserialize, Serialize};
use tarpc::serde_transport::tcp;
use tarpc::server::incoming::Incoming;
use tarpc::server::{BaseChannel, Channel};
use tarpc::tokio_serde::formats::Json;

/// The largest frame (one JSON request or response) a server or client accepts.
const MAX_FRAME: usize = 64 * 1024;
/// The largest job C takes on; a caller cannot make it count forever.
const MAX_BELOW: u32 = 10_000_000;
/// The longest a server works on one call, whatever deadline the caller asked for.
const MAX_BUDGET: Duration = Duration::from_secs(10);
/// The largest `--deadline-ms`: one hour (the servers cap it at `MAX_BUDGET` anyway).
const MAX_DEADLINE_MS: u64 = 3_600_000;
/// The most calls one connection may have in progress at once; tarpc answers
/// any more at once with an error, instead of starting a task for each.
const MAX_IN_FLIGHT: usize = 8;

// ANCHOR: types
/// One hop of a call: which server, and how much of the deadline it had left.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(crate = "tarpc::serde")]
struct Hop {
    server: String,
    time_left_ms: f64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(crate = "tarpc::serde")]
struct Answer {
    primes: u64,
    trace: Vec<Hop>,
}

/// The service: the macro turns the trait into request/response types, a
/// `ChainClient` with one async method per call, and a `serve` function.
#[tarpc::service]
trait Chain {
    /// Counts the primes below `below`; the last server in the chain does it,
    /// after waiting `pause_ms` (to let a deadline expire on purpose).
    async fn primes_below(trace: Vec<Hop>, below: u32, pause_ms: u64) -> Result<Answer, String>;
}

/// A server: its name and, unless it is the last, a client for the next one.
#[derive(Clone)]
struct Link {
    name: String,
    next: Option<ChainClient>,
}
// ANCHOR_END: types

// ANCHOR: handler
impl Chain for Link {
    async fn primes_below(
        self,
        mut ctx: context::Context,
        mut trace: Vec<Hop>,
        below: u32,
        pause_ms: u64,
    ) -> Result<Answer, String> {
        // The caller chose the deadline and may have asked for a year: this
        // server gives a call at most MAX_BUDGET, and passes the cap on.
        let budget_end = Instant::now() + MAX_BUDGET;
        ctx.deadline = ctx.deadline.min(budget_end);
        let time_left = ctx.deadline.saturating_duration_since(Instant::now());
        trace.push(Hop {
            server: self.name.clone(),
            time_left_ms: time_left.as_secs_f64() * 1e3,
        });
        if let Some(next) = &self.next {
            // The same context goes on: the next server gets our deadline,
            // and our client stops waiting for it when that deadline passes.
            return next
                .primes_below(ctx, trace, below, pause_ms)
                .await
                .map_err(|e| format!("{}: calling the next server: {e}", self.name))?;
        }
        if below > MAX_BELOW {
            return Err(format!("{}: below must be at most {MAX_BELOW}", self.name));
        }
        let mut watch = Unfinished {
            server: &self.name,
            finished: false,
        };
        let work = async {
            tokio::time::sleep(Duration::from_millis(pause_ms)).await;
            // Dropping this future does not stop the count once it has
            // started: a blocking thread cannot be cancelled, so it runs to
            // the end and its result is thrown away. MAX_BELOW bounds it.
            tokio::task::spawn_blocking(move || count_primes(0..below)).await
        };
        // tarpc drops this handler when the caller's deadline passes; when
        // the cap comes first, `timeout_at` ends the work and says so.
        let primes = tokio::time::timeout_at(budget_end.into(), work)
            .await
            .map_err(|_| format!("{}: over its budget of {MAX_BUDGET:?}", self.name))?
            .map_err(|e| e.to_string())?;
        watch.finished = true;
        Ok(Answer { primes, trace })
    }
}
// ANCHOR_END: handler

// ANCHOR: unfinished
/// Says so on stderr when a call ends before its work finished: when tarpc
/// drops the handler (the caller's deadline passed, or it cancelled the call)
/// or when the server's own cap ends it.
struct Unfinished<'a> {
    server: &'a str,
    finished: bool,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if !self.finished {
            eprintln!("server {}: call abandoned before it finished", self.server);
        }
    }
}
// ANCHOR_END: unfinished

// ANCHOR: server
async fn connect(addr: SocketAddr) -> io::Result<ChainClient> {
    let mut transport = tcp::connect(addr, Json::default);
    transport.config_mut().max_frame_length(MAX_FRAME);
    Ok(ChainClient::new(client::Config::default(), transport.await?).spawn())
}

/// The server role: serves on 127.0.0.1 (port chosen by the OS) until its
/// standard input closes, which happens when the parent exits, however it exits.
async fn run_server(name: String, next: Option<SocketAddr>) -> io::Result<()> {
    let next = match next {
        Some(addr) => Some(connect(addr).await?),
        None => None,
    };
    let mut listener = tcp::listen("127.0.0.1:0", Json::default).await?;
    listener.config_mut().max_frame_length(MAX_FRAME);
    println!("listening on {}", listener.local_addr());

    let link = Link { name, next };
    let serve = listener
        .filter_map(|connection| future::ready(connection.ok()))
        .map(BaseChannel::with_defaults)
        // Without a cap, one connection could start any number of calls,
        // each a task (and, at C, a blocking thread) of this server.
        .max_concurrent_requests_per_channel(MAX_IN_FLIGHT)
        .for_each_concurrent(None, |channel| {
            let link = link.clone();
            channel.execute(link.serve()).for_each(|request| async {
                tokio::spawn(request);
            })
        });

    let (closed, stdin_closed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        io::stdin().lock().lines().for_each(drop);
        let _ = closed.send(());
    });
    tokio::select! {
        _ = serve => {}
        _ = stdin_closed => {}
    }
    Ok(())
}
// ANCHOR_END: server

// ANCHOR: processes
/// The three server processes. Dropping this (after the run, on an early
/// return or in a panic) closes their stdin, waits, and kills any that linger.
struct Chain3 {
    servers: Vec<(String, Child, Option<ChildStdin>)>,
}

impl Chain3 {
    /// Starts C, then B pointing at C, then A pointing at B; returns A's address.
    fn start() -> io::Result<(Chain3, SocketAddr)> {
        let mut chain = Chain3 {
            servers: Vec::new(),
        };
        let mut next: Option<SocketAddr> = None;
        for name in ["C", "B", "A"] {
            let mut command = Command::new(std::env::current_exe()?);
            command.args(["--role", "server", "--name", name]);
            if let Some(addr) = next {
                command.args(["--next", &addr.to_string()]);
            }
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?;
            let stdin = child.stdin.take();
            let stdout = child.stdout.take().expect("piped");
            let pid = child.id();
            chain.servers.push((name.to_owned(), child, stdin));
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line)?;
            let addr: SocketAddr = line
                .trim()
                .strip_prefix("listening on ")
                .and_then(|addr| addr.parse().ok())
                .ok_or_else(|| io::Error::other(format!("server {name} said '{}'", line.trim())))?;
            eprintln!("server {name}: pid {pid}, listening on {addr}");
            next = Some(addr);
        }
        Ok((chain, next.expect("three servers")))
    }
}
// ANCHOR_END: processes

// ANCHOR: stop
impl Chain3 {
    /// Closes every server's stdin, then waits for each to exit; returns
    /// how many exited with status 0.
    fn stop(&mut self) -> usize {
        for (_, _, stdin) in &mut self.servers {
            drop(stdin.take());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut clean = 0;
        for (name, child, _) in self.servers.drain(..) {
            let mut child = child;
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(10))
                    }
                    _ => {
                        eprintln!("server {name} did not stop: killing it");
                        let _ = child.kill();
                        let _ = child.wait();
                        break None;
                    }
                }
            };
            clean += usize::from(status.is_some_and(|s| s.success()));
        }
        clean
    }
}

impl Drop for Chain3 {
    fn drop(&mut self) {
        self.stop();
    }
}
// ANCHOR_END: stop

// ANCHOR: in_time
/// A context whose deadline is `limit` from now.
fn deadline_in(limit: Duration) -> context::Context {
    let mut ctx = context::current();
    ctx.deadline = Instant::now() + limit;
    ctx
}

/// Call 1: the chain does the work within the deadline, and every hop had
/// less time left than the one before. Returns the count.
async fn call_in_time(
    client: &ChainClient,
    trace: Vec<Hop>,
    below: u32,
    limit: Duration,
) -> io::Result<u64> {
    let answer = client
        .primes_below(deadline_in(limit), trace, below, 0)
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
    let local = count_primes(0..below);
    let names: Vec<&str> = answer.trace.iter().map(|hop| hop.server.as_str()).collect();
    assert_eq!(
        names,
        ["client", "A", "B", "C"],
        "the call took another path"
    );
    assert!(
        answer
            .trace
            .windows(2)
            .all(|w| w[1].time_left_ms <= w[0].time_left_ms),
        "the deadline grew along the chain: {:?}",
        answer.trace
    );
    assert_eq!(
        answer.primes, local,
        "the chain's count differs from the local count"
    );
    println!(
        "call 1: primes below {below}, deadline {} ms",
        limit.as_millis()
    );
    println!("  path:      {}", names.join(" -> "));
    let left: Vec<String> = answer.trace[1..]
        .iter()
        .map(|hop| format!("{} {:.1} ms", hop.server, hop.time_left_ms))
        .collect();
    println!("  time left: {}", left.join(", "));
    println!(
        "  answer:    {} (local count: {local}, equal)",
        answer.primes
    );
    Ok(local)
}
// ANCHOR_END: in_time

// ANCHOR: too_late
/// Call 2: C is asked to wait longer than the deadline allows.
async fn call_too_late(client: &ChainClient, trace: Vec<Hop>, below: u32) {
    let short = Duration::from_millis(300);
    let pause_ms = 2000;
    let start = Instant::now();
    let outcome = client
        .primes_below(deadline_in(short), trace, below, pause_ms)
        .await;
    let waited = start.elapsed();
    // The client's timer and A's own call to B run out at the same moment, A's
    // a hair later. On a busy machine A's report can still be read first;
    // either way, it is this deadline that passed.
    let expired = RpcError::DeadlineExceeded.to_string();
    match &outcome {
        Err(RpcError::DeadlineExceeded) => {}
        Ok(Err(report)) if report.ends_with(&expired) => {}
        _ => panic!("expected the deadline to expire, got {outcome:?}"),
    }
    assert!(short <= waited && waited < Duration::from_millis(pause_ms));
    println!(
        "call 2: deadline {} ms, C pauses {pause_ms} ms first",
        short.as_millis()
    );
    println!("  error:     {expired} after {}", ms(waited));
}

async fn calls(a: SocketAddr, below: u32, limit: Duration) -> io::Result<()> {
    let client = connect(a).await?;
    let trace = vec![Hop {
        server: "client".to_owned(),
        time_left_ms: limit.as_secs_f64() * 1e3,
    }];
    let local = call_in_time(&client, trace.clone(), below, limit).await?;
    call_too_late(&client, trace.clone(), below).await;

    // Call 3: the chain still serves after a call that was given up.
    let again = client
        .primes_below(deadline_in(limit), trace.clone(), below, 0)
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
    assert_eq!(again.primes, local);
    println!("call 3: the chain still answers: {} primes", again.primes);
    calls_too_many(&client, trace).await;
    Ok(())
}
// ANCHOR_END: too_late

// ANCHOR: too_many
/// Calls 4: one more call at once than a connection may have in progress.
/// Each waits 300 ms at C, so the first MAX_IN_FLIGHT are still running when
/// the last arrives at A, which refuses it at once.
async fn calls_too_many(client: &ChainClient, trace: Vec<Hop>) {
    let limit = Duration::from_secs(5);
    let calls = (0..=MAX_IN_FLIGHT)
        .map(|_| client.primes_below(deadline_in(limit), trace.clone(), 1000, 300));
    let outcomes = future::join_all(calls).await;
    let refused: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Err(RpcError::Server(refusal)) => Some(refusal.detail.clone()),
            _ => None,
        })
        .collect();
    let answered = outcomes.iter().filter(|o| matches!(o, Ok(Ok(_)))).count();
    assert_eq!(
        (answered, refused.len()),
        (MAX_IN_FLIGHT, 1),
        "{outcomes:?}"
    );
    println!(
        "calls 4: {} at once on one connection: {answered} answered, 1 refused: {}",
        outcomes.len(),
        refused[0]
    );
}
// ANCHOR_END: too_many

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Role {
    /// Start the three servers and call them.
    Client,
    /// Serve calls (and pass them to --next, if given) until stdin closes.
    Server,
}

/// A chain of three RPC servers, each its own process, called with deadlines.
#[derive(Parser)]
struct Args {
    #[arg(long, value_enum, default_value_t = Role::Client)]
    role: Role,
    /// The server's name (role server).
    #[arg(long)]
    name: Option<String>,
    /// The next server's address (role server; none for the last).
    #[arg(long)]
    next: Option<SocketAddr>,
    /// Count the primes below this number.
    #[arg(long, default_value_t = 200_000,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_BELOW)))]
    below: u32,
    /// The deadline of calls 1 and 3.
    #[arg(long, default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_DEADLINE_MS))]
    deadline_ms: u64,
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Runtime::new().expect("build the runtime");
    match args.role {
        Role::Server => {
            let Some(name) = args.name else {
                eprintln!("error: --role server needs --name NAME");
                std::process::exit(2);
            };
            if let Err(e) = runtime.block_on(run_server(name, args.next)) {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
        Role::Client => {
            let (below, limit) = (args.below, Duration::from_millis(args.deadline_ms));
            // ANCHOR: main
            let (mut chain, a) = match Chain3::start() {
                Ok(started) => started,
                Err(e) => {
                    eprintln!("error: starting the servers: {e}");
                    std::process::exit(1);
                }
            };
            println!("chain: client -> A -> B -> C, three processes on 127.0.0.1");
            let outcome = runtime.block_on(calls(a, below, limit));
            let clean = chain.stop();
            if let Err(e) = outcome {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
            assert_eq!(clean, 3, "a server did not exit cleanly");
            println!("stopped: 3 servers, each exited with status 0");
            // ANCHOR_END: main
        }
    }
}

/// Counts the primes in `range` by trial division: work with a checkable answer.
fn count_primes(range: std::ops::Range<u32>) -> u64 {
    let is_prime = |n: u32| {
        n >= 2 && (2..).take_while(|&d| d <= n / d).all(|d| n % d != 0) // d * d <= n, no overflow
    };
    range.filter(|&n| is_prime(n)).count() as u64
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// Reads the options. A bad one gets clap's own `error:` line (without the
/// usage text clap adds below it) and exit status 2; `--help` works as usual.
fn parse_args() -> Args {
    Args::try_parse().unwrap_or_else(|error| {
        if !error.use_stderr() {
            error.exit() // --help or --version: printed, exit status 0
        }
        eprintln!("{}", error.to_string().lines().next().unwrap_or_default());
        std::process::exit(2)
    })
}
