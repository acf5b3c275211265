//! Recipe 6.4: sockets. A TCP server and client: the client sends a file, the
//! server hashes it (SHA-256) as it arrives and answers with the size and hash
//! it received, and the client compares them with its own.
//!
//! Run: cargo run -p cookbook --example ch06_04_file_transfer
//!      [-- --bytes 4194304 --max-bytes 16777216]
//! The server alone:  ... -- --role server [--addr 127.0.0.1:0 --max-bytes N
//!                           --max-connections 8 --deadline-ms 60000]
//! The client alone:  ... -- --role client --addr 127.0.0.1:PORT --file PATH

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate sha2;

use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: protocol
// The protocol, one transfer per connection:
//   client -> server   "CBFT" | length (u64, big-endian)
//   server -> client   "READY\n"  or  "ERR <reason>\n" (and the server closes)
//   client -> server   <length bytes of the file> | their SHA-256 (32 bytes)
//   server -> client   "OK <length> <sha256 in hex>\n"  or  "ERR <reason>\n"
// The client sends the body only after READY, so a refusal costs one header,
// and the client always gets to read why.

/// The first bytes of every transfer: anything else is not talking to us.
const MAGIC: &[u8; 4] = b"CBFT";
/// Bytes read or written in one call; also the buffer each side allocates.
const CHUNK: usize = 64 * 1024;
/// A peer that goes silent this long is dropped. A peer that sends a byte now
/// and then is not silent: the server's per-transfer deadline ends that one.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest reply line a client accepts.
const MAX_REPLY: u64 = 200;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn protocol_error(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
// ANCHOR_END: protocol

// ANCHOR: limits
/// What the server takes on.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// The largest file, checked against the header before the body is sent.
    max_bytes: u64,
    /// Transfers served at once; further connections wait in the kernel's queue.
    connections: usize,
    /// The longest one transfer may take, from accept to the last reply.
    deadline: Duration,
}

/// The server's end of a connection. Every read stops at `deadline`, however
/// the client paces its bytes, so no client holds a thread longer than that.
struct Connection {
    stream: TcpStream,
    deadline: Instant,
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use io::ErrorKind::{TimedOut, WouldBlock};
        let left = self.deadline.saturating_duration_since(Instant::now());
        if !left.is_zero() {
            self.stream.set_read_timeout(Some(left.min(IO_TIMEOUT)))?;
            match self.stream.read(buf) {
                // A read that timed out: `WouldBlock` on Unix, `TimedOut` on Windows.
                Err(e) if matches!(e.kind(), WouldBlock | TimedOut) => {}
                done => return done,
            }
        }
        let reason = match Instant::now() < self.deadline {
            true => format!("the client sent nothing for {} s", IO_TIMEOUT.as_secs()),
            false => "the transfer's deadline passed".to_owned(),
        };
        Err(io::Error::new(TimedOut, reason))
    }
}
// ANCHOR_END: limits

// ANCHOR: receive
/// Serves one connection: checks the header and the size limit, hashes the
/// body as it arrives (nothing is written to disk) and answers with what it got.
fn receive(stream: TcpStream, limits: Limits) -> io::Result<u64> {
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut connection = Connection {
        stream,
        deadline: Instant::now() + limits.deadline,
    };
    let mut header = [0u8; 12];
    connection.read_exact(&mut header)?;
    let length = u64::from_be_bytes(header[4..].try_into().expect("8 bytes"));
    let max_bytes = limits.max_bytes;
    let refusal = if &header[..4] != MAGIC {
        Some("not a file transfer".to_owned())
    } else if length > max_bytes {
        Some(format!(
            "file too large: {length} bytes, limit {max_bytes} bytes"
        ))
    } else {
        None
    };
    if let Some(reason) = refusal {
        writeln!(connection.stream, "ERR {reason}")?;
        return Err(protocol_error(format!("refused: {reason}")));
    }
    connection.stream.write_all(b"READY\n")?;

    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut remaining = length;
    while remaining > 0 {
        let want = remaining.min(CHUNK as u64) as usize;
        let got = connection.read(&mut buffer[..want])?;
        if got == 0 {
            let received = length - remaining;
            return Err(protocol_error(format!(
                "client closed after {received} of {length} bytes"
            )));
        }
        hasher.update(&buffer[..got]);
        remaining -= got as u64;
    }
    let mut claimed = [0u8; 32];
    connection.read_exact(&mut claimed)?;
    let digest = hasher.finalize();
    if digest[..] != claimed {
        let reason = format!("hash mismatch: received data hashes to {}", hex(&digest));
        writeln!(connection.stream, "ERR {reason}")?;
        return Err(protocol_error(reason));
    }
    writeln!(connection.stream, "OK {length} {}", hex(&digest))?;
    Ok(length)
}
// ANCHOR_END: receive

// ANCHOR: serve
/// The server role: a thread per connection, at most `limits.connections` at
/// once, until standard input closes.
fn run_server(addr: &str, limits: Limits) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    // The parent (or the reader) learns the port the OS picked from this line.
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    // One token per transfer that may run: the accept loop takes one before
    // it accepts, each transfer gives its token back when it ends. With none
    // left the loop waits, and new connections queue in the kernel meanwhile.
    let (give_back, tokens) = mpsc::sync_channel(limits.connections);
    for _ in 0..limits.connections {
        give_back.send(()).expect("room for every token");
    }
    thread::spawn(move || {
        while tokens.recv().is_ok() {
            let Ok((stream, peer)) = listener.accept() else {
                give_back.send(()).expect("the loop holds the receiver");
                continue;
            };
            let give_back = give_back.clone();
            thread::spawn(move || {
                let outcome = receive(stream, limits);
                let _ = give_back.send(());
                match outcome {
                    Ok(bytes) => eprintln!("server: {peer}: received {bytes} bytes"),
                    Err(e) => eprintln!("server: {peer}: {e}"),
                }
            });
        }
    });
    // Stop when stdin closes: Ctrl-D in a terminal, or the parent that
    // started us has exited, however it exited.
    io::stdin().lock().lines().for_each(drop);
    Ok(())
}
// ANCHOR_END: serve

// ANCHOR: replies
/// What the server said it received.
#[derive(Debug, PartialEq)]
struct Receipt {
    bytes: u64,
    sha256: String,
}

/// The server's replies, one line each, none longer than `MAX_REPLY` bytes.
struct Replies(io::Take<BufReader<TcpStream>>);

impl Replies {
    /// The next reply; `ERR <reason>` becomes an error that gives the reason.
    fn next(&mut self) -> io::Result<String> {
        let mut line = String::new();
        self.0.set_limit(MAX_REPLY);
        self.0.read_line(&mut line).map_err(|e| match e.kind() {
            // A read that timed out: `WouldBlock` on Unix, `TimedOut` on Windows.
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no reply from the server in {} s", IO_TIMEOUT.as_secs()),
            ),
            _ => e,
        })?;
        match line.trim_end().strip_prefix("ERR ") {
            Some(reason) => Err(io::Error::other(format!(
                "the server refused the transfer: {reason}"
            ))),
            None => Ok(line.trim_end().to_owned()),
        }
    }
}
// ANCHOR_END: replies

// ANCHOR: send
/// Sends `length` bytes from `body`, then their hash, and returns the server's
/// receipt after checking it against what was sent.
fn send(server: SocketAddr, length: u64, mut body: impl Read) -> io::Result<Receipt> {
    let mut stream = TcpStream::connect_timeout(&server, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut replies = Replies(BufReader::new(stream.try_clone()?).take(MAX_REPLY));

    stream.write_all(MAGIC)?;
    stream.write_all(&length.to_be_bytes())?;
    if replies.next()? != "READY" {
        return Err(protocol_error("no READY from the server".to_owned()));
    }
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut sent = 0u64;
    while sent < length {
        let want = (length - sent).min(CHUNK as u64) as usize;
        let got = body.read(&mut buffer[..want])?;
        if got == 0 {
            return Err(protocol_error(format!(
                "the file ended after {sent} of {length} bytes"
            )));
        }
        hasher.update(&buffer[..got]);
        stream.write_all(&buffer[..got])?;
        sent += got as u64;
    }
    let digest = hasher.finalize();
    stream.write_all(&digest)?;

    let reply = replies.next()?;
    let receipt = match reply.split(' ').collect::<Vec<_>>()[..] {
        ["OK", bytes, sha256] => Receipt {
            bytes: bytes.parse().map_err(|_| protocol_error(reply.clone()))?,
            sha256: sha256.to_owned(),
        },
        _ => return Err(protocol_error(format!("unexpected reply '{reply}'"))),
    };
    let expected = Receipt {
        bytes: length,
        sha256: hex(&digest),
    };
    if receipt != expected {
        return Err(protocol_error(format!(
            "the server received {receipt:?}, the client sent {expected:?}"
        )));
    }
    Ok(receipt)
}

fn send_file(server: SocketAddr, path: &Path) -> io::Result<Receipt> {
    let file = File::open(path)?;
    let length = file.metadata()?.len();
    send(server, length, file)
}
// ANCHOR_END: send

// ANCHOR: process
/// The server as a child process of this program; stopping it (or dropping it,
/// on an early return or a panic) closes its stdin and waits for it to exit.
struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(limits: Limits) -> io::Result<ServerProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--role", "server"])
            .args(["--max-bytes", &limits.max_bytes.to_string()])
            .args(["--max-connections", &limits.connections.to_string()])
            .args(["--deadline-ms", &limits.deadline.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped");
        // From here on, an early return drops `server`, which stops the child.
        let mut server = ServerProcess {
            child,
            stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let mut first_line = String::new();
        BufReader::new(stdout).read_line(&mut first_line)?;
        server.addr = first_line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| protocol_error(format!("the server said '{}'", first_line.trim())))?;
        Ok(server)
    }

    fn stop(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take()); // end of input: the server returns from main
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        self.child.kill()?;
        self.child.wait()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
// ANCHOR_END: process

/// A file of `len` bytes with a fixed pattern, in a folder of its own that is
/// removed when the value is dropped.
struct TestFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TestFile {
    fn create(len: u64) -> io::Result<TestFile> {
        let dir = std::env::temp_dir().join(format!("cookbook-ch06-04-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("payload.bin");
        let mut out = io::BufWriter::new(File::create(&path)?);
        let mut state = 0x2545_f491_u32; // xorshift: the same bytes on every run
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            out.write_all(&[state as u8])?;
        }
        out.flush()?;
        Ok(TestFile { dir, path })
    }
}

impl Drop for TestFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ANCHOR: demo
fn run_demo(len: u64, limits: Limits) -> io::Result<()> {
    let file = TestFile::create(len)?;
    let mut server = ServerProcess::start(limits)?;
    eprintln!(
        "server: pid {}, listening on {}",
        server.child.id(),
        server.addr
    );
    let max_bytes = limits.max_bytes;
    println!("server:   a child process on 127.0.0.1, at most {max_bytes} bytes per file,");
    println!(
        "          at most {} transfers at once, each within {} ms",
        limits.connections,
        limits.deadline.as_millis()
    );

    let start = Instant::now();
    let receipt = send_file(server.addr, &file.path)?;
    let elapsed = start.elapsed();
    // `send` has already compared the receipt with what it sent.
    println!(
        "sent:     {len} bytes of a generated file, sha256 {}",
        receipt.sha256
    );
    println!(
        "receipt:  the server received {} bytes with that sha256",
        receipt.bytes
    );
    println!("hashes match: the server checked the client's digest, the client the server's");
    println!(
        "time:     {} ({:.1} MiB/s over loopback)",
        ms(elapsed),
        len as f64 / elapsed.as_secs_f64() / (1024.0 * 1024.0)
    );

    // A transfer over the limit is refused after its header: no body is sent.
    // (`main` keeps `max_bytes` under MAX_BYTES_LIMIT, so this cannot overflow.)
    let too_large = max_bytes + 1;
    match send(server.addr, too_large, io::repeat(0)) {
        Ok(receipt) => panic!("the server accepted {too_large} bytes: {receipt:?}"),
        Err(e) => println!("refused:  {e}"),
    }
    // And the server carries on.
    let again = send_file(server.addr, &file.path)?;
    assert_eq!(again, receipt, "the second transfer differs");
    println!(
        "again:    {} bytes, same hash: the server still serves",
        again.bytes
    );

    let status = server.stop()?;
    assert!(status.success(), "the server exited with {status}");
    println!("stopped:  the server exited with status 0");
    Ok(())
}
// ANCHOR_END: demo

/// The largest `--max-bytes`: 1 TiB, far above what this server should take.
const MAX_BYTES_LIMIT: u64 = 1 << 40;
/// The largest `--bytes` of the demo's generated file: 1 GiB.
const DEMO_BYTES_LIMIT: u64 = 1 << 30;

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Role {
    /// Start a server process and send it a generated file.
    Demo,
    /// Serve until standard input closes.
    Server,
    /// Send --file to the server at --addr.
    Client,
}

/// A TCP file transfer checked by SHA-256: the demo, the server or the client.
#[derive(Parser)]
struct Args {
    #[arg(long, value_enum, default_value_t = Role::Demo)]
    role: Role,
    /// The server's address (the server binds it; the client connects to it).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// The file the client sends.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Size of the demo's generated file.
    #[arg(long, default_value_t = 4_194_304,
          value_parser = clap::value_parser!(u64).range(1..=DEMO_BYTES_LIMIT))]
    bytes: u64,
    /// The largest file the server takes.
    #[arg(long, default_value_t = 16_777_216,
          value_parser = clap::value_parser!(u64).range(1..=MAX_BYTES_LIMIT))]
    max_bytes: u64,
    /// Transfers the server runs at once (a thread each).
    #[arg(long, default_value_t = 8,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    max_connections: usize,
    /// The longest one transfer may take (at most an hour).
    #[arg(long, default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    deadline_ms: u64,
}

fn main() {
    let args = parse_args();
    let limits = Limits {
        max_bytes: args.max_bytes,
        connections: args.max_connections,
        deadline: Duration::from_millis(args.deadline_ms),
    };
    let outcome = match args.role {
        Role::Server => run_server(&args.addr, limits),
        Role::Client => {
            let server = args
                .addr
                .parse::<SocketAddr>()
                .ok()
                .filter(|a| a.port() != 0);
            let (Some(server), Some(file)) = (server, args.file) else {
                usage_error("--role client needs --addr HOST:PORT (the server's) and --file PATH");
            };
            send_file(server, &file).map(|receipt| {
                println!(
                    "sent:     {} bytes, sha256 {}",
                    receipt.bytes, receipt.sha256
                );
                println!("hashes match");
            })
        }
        Role::Demo => {
            if args.bytes > limits.max_bytes {
                usage_error("--bytes must be at most --max-bytes");
            }
            run_demo(args.bytes, limits)
        }
    };
    if let Err(e) = outcome {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// Options that clap accepted one by one but that do not go together: one
/// line, exit status 2, as for any bad option.
fn usage_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
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
