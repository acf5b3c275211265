//! Recipe 5.7: async I/O. A TCP echo server and many clients on the loopback
//! interface, every connection a task, all of them under one deadline, and
//! every echoed byte compared with what was sent.
//!
//! Run: cargo run -p cookbook --example ch05_07_async_io [-- --connections 200 --bytes 4096]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate tokio;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// The server echoes at most this much per connection; the rest is dropped.
const MAX_MESSAGE: u64 = 64 * 1024;
/// Connections the kernel queues until the server accepts them; also the most
/// clients the listing starts.
const ACCEPT_BACKLOG: u32 = 1024;
/// The whole run, server and clients, must be over by then.
const DEADLINE: Duration = Duration::from_secs(10);

// ANCHOR: server
/// Accepts connections until `shutdown` fires, one task per connection, and
/// collects each connection's task as soon as it finishes; then waits for the
/// connections still open. Returns (connections, bytes echoed).
async fn serve(
    listener: TcpListener,
    mut shutdown: oneshot::Receiver<()>,
) -> io::Result<(usize, u64)> {
    let mut connections = JoinSet::new();
    let (mut served, mut echoed) = (0, 0);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = accepted?;
                connections.spawn(echo(stream));
            }
            // A JoinSet keeps a finished task until it is joined: without
            // this branch a long-running server would hold one per client.
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                echoed += finished.expect("an echo task panicked")?;
                served += 1;
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener); // stop accepting: new connections are now refused
    while let Some(finished) = connections.join_next().await {
        echoed += finished.expect("an echo task panicked")?;
        served += 1;
    }
    Ok((served, echoed))
}

/// Copies what the client sends back to it, up to MAX_MESSAGE bytes, until the
/// client closes its sending side.
async fn echo(mut stream: TcpStream) -> io::Result<u64> {
    let (reader, mut writer) = stream.split();
    let copied = tokio::io::copy(&mut reader.take(MAX_MESSAGE), &mut writer).await?;
    writer.shutdown().await?;
    Ok(copied)
}
// ANCHOR_END: server

// ANCHOR: client
/// The bytes connection `id` sends: different for every connection, so a reply
/// that went to the wrong client would not match.
fn payload(id: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| ((id * 131 + i * 7) % 251) as u8).collect()
}

/// One client: sends its payload while reading the echo (both at once, so
/// neither side can fill its buffers and wait for the other), then compares.
async fn client(server: SocketAddr, id: usize, len: usize) -> io::Result<usize> {
    let mut stream = TcpStream::connect(server).await?;
    let (mut reader, mut writer) = stream.split();
    let sent = payload(id, len);
    let mut echoed = Vec::with_capacity(len);
    let (write, read) = tokio::join!(
        async {
            writer.write_all(&sent).await?;
            writer.shutdown().await // end of message: the server sees EOF
        },
        reader.read_to_end(&mut echoed),
    );
    write?;
    read?;
    assert!(
        echoed == sent,
        "connection {id}: the echo differs from what was sent"
    );
    Ok(echoed.len())
}
// ANCHOR_END: client

// ANCHOR: run
/// Server and clients in one program. Returns (connections, bytes the clients
/// checked, connections the server served, bytes it echoed).
async fn run(connections: usize, len: usize) -> io::Result<(usize, usize, usize, u64)> {
    // Loopback only, port 0: the operating system picks a free port.
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    // Room for every client to be waiting in the accept queue at once.
    // (TcpListener::bind uses 128; connections beyond that are refused for a
    // moment and the client's kernel retries one second later.)
    let listener = socket.listen(ACCEPT_BACKLOG)?;
    let address = listener.local_addr()?;
    eprintln!("echo server listening on {address}");
    let (stop, shutdown) = oneshot::channel();
    let server = tokio::spawn(serve(listener, shutdown));

    let mut clients = JoinSet::new();
    for id in 0..connections {
        clients.spawn(client(address, id, len));
    }
    let (mut done, mut checked) = (0, 0);
    while let Some(finished) = clients.join_next().await {
        checked += finished.expect("a client panicked")?;
        done += 1;
    }
    let _ = stop.send(());
    let (served, echoed) = server.await.expect("the server panicked")?;
    Ok((done, checked, served, echoed))
}
// ANCHOR_END: run

/// A TCP echo server and many clients on 127.0.0.1, all on one runtime.
#[derive(Parser)]
struct Args {
    /// Clients, all started at once. Each connection holds two sockets (file
    /// descriptors) in this process: 400 connections stay below Linux's
    /// default limit of 1024 open files per process (macOS allows 256).
    #[arg(long, default_value_t = 200,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=400))]
    connections: usize,
    /// The message each client sends, in bytes; at most what the server
    /// echoes per connection.
    #[arg(long, default_value_t = 4096,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_MESSAGE))]
    bytes: usize,
}

fn main() {
    let Args {
        connections,
        bytes: len,
    } = parse_args();
    // Each connection is two sockets in this process (the client's end and
    // the server's), and the runtime and the standard streams hold a few more
    // files: check the limit first rather than fail halfway through.
    let needed = 2 * connections as u64 + 16;
    if let Some(limit) = open_files_limit()
        && needed > limit
    {
        exit_with(&format!(
            "{connections} connections need about {needed} open files, and this process \
             may open {limit}: lower --connections or raise `ulimit -n`"
        ));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build the runtime");

    // ANCHOR: main
    let start = Instant::now();
    let outcome =
        runtime.block_on(async { tokio::time::timeout(DEADLINE, run(connections, len)).await });
    let elapsed = start.elapsed();
    let (done, checked, served, echoed) = match outcome {
        Ok(Ok(counts)) => counts,
        // Still possible if something else holds files: each connection is
        // two sockets, and the first failure may show up as a reset or refused
        // connection on the other end.
        Ok(Err(e)) => exit_with(&format!(
            "{e} ({connections} connections hold {} sockets; see `ulimit -n`)",
            2 * connections
        )),
        Err(_) => exit_with(&format!("not finished within {DEADLINE:?}")),
    };
    assert_eq!(done, connections);
    assert_eq!(checked, connections * len);
    assert_eq!((served, echoed), (connections, checked as u64));
    println!("{connections} connections x {len} bytes, started together on 127.0.0.1");
    println!("clients: {done} echoes received, {checked} bytes compared, all equal");
    println!("server:  {served} connections served, {echoed} bytes echoed, stopped cleanly");
    println!(
        "time:    {} (deadline {} s)",
        ms(elapsed),
        DEADLINE.as_secs()
    );
    // ANCHOR_END: main
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// The most files this process may open: the soft `RLIMIT_NOFILE`, which
/// `ulimit -n` sets, read from /proc on Linux; `None` elsewhere or unlimited.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    // "Max open files    1024    1048576    files": the soft limit comes first.
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A failure at run time: one line, exit status 1.
fn exit_with(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
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
