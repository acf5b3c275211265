//! Runs the networking listings of chapter 6 (recipes 6.4 to 6.6, which need no
//! system component): each under a timeout, its output compared with the captured
//! output the book shows. Also checks what the pages promise beyond the
//! output: the 6.4 server refuses an oversized file and keeps serving, serves
//! a limited number of transfers at once and ends one that outlives its
//! deadline; the 6.5 servers cap the caller's deadline, and the chain leaves no
//! server process behind, even when its parent is killed.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
#[allow(unused_imports)] // Each mode is there for the listings that need it.
use support::{Compare, EXACT, MEASURED, UNORDERED};

/// Generous: these machines are shared. A listing that hangs fails; it never hangs CI.
const TIMEOUT: Duration = Duration::from_secs(60);

fn run_listing(name: &str, args: &[&str], compare: Compare) -> support::Run {
    let run = support::run_listing(name, args);
    support::check_against_captured(name, &run.stdout, compare);
    run
}

/// One test per listing: `name: [args] compare-mode;`.
macro_rules! listings {
    ($($name:ident: [$($arg:expr),*] $compare:expr;)*) => {
        $(
            #[test]
            fn $name() {
                run_listing(stringify!($name), &[$($arg),*], $compare);
            }
        )*

        /// The listings this file runs.
        const LISTINGS: &[&str] = &[$(stringify!($name)),*];
    };
}

listings! {
    ch06_04_file_transfer: [] MEASURED;
    ch06_05_rpc_chain: [] MEASURED;
    ch06_06_csp: [] EXACT;
}

/// Bad input, for every listing and for the roles' own checks: one
/// `error: ...` line on stderr, nothing on stdout, exit status 2.
#[test]
fn every_net_listing_rejects_bad_input_with_one_line_and_exit_2() {
    let mut cases: Vec<(&str, Vec<&str>)> = LISTINGS
        .iter()
        .map(|&name| (name, vec!["--no-such-option", "1"]))
        .collect();
    cases.extend([
        ("ch06_04_file_transfer", vec!["--role", "sideways"]),
        ("ch06_04_file_transfer", vec!["--role", "client"]),
        (
            "ch06_04_file_transfer",
            vec!["--bytes", "9", "--max-bytes", "8"],
        ),
        // u64::MAX: the demo's "one byte over the limit" would overflow.
        (
            "ch06_04_file_transfer",
            vec!["--max-bytes", "18446744073709551615"],
        ),
        ("ch06_04_file_transfer", vec!["--max-connections", "0"]),
        (
            "ch06_04_file_transfer",
            vec!["--deadline-ms", "18446744073709551615"],
        ),
        ("ch06_05_rpc_chain", vec!["--role", "server"]),
        ("ch06_05_rpc_chain", vec!["--below", "999999999"]),
        // `Instant::now() + deadline` would overflow.
        (
            "ch06_05_rpc_chain",
            vec!["--deadline-ms", "18446744073709551615"],
        ),
        ("ch06_06_csp", vec!["--workers", "0"]),
    ]);
    for (name, args) in cases {
        support::expect_usage_error(name, &args, "");
    }
}

/// A server process started by a test: killed and reaped when dropped, so a
/// failing assertion leaves nothing behind.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// Starts `binary` with `args` and reads its `listening on ADDR` line.
    fn start(binary: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("read the server's first line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the server said {line:?}"))
            .to_owned();
        Server { child, addr }
    }

    /// Closes the server's stdin, as its parent would, and waits for it to exit.
    fn stop(mut self) -> (Option<i32>, String) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(
                Instant::now() < deadline,
                "the server did not exit when its stdin closed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr)
            .expect("read the server's stderr");
        (self.child.wait().expect("wait").code(), stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file of `len` bytes in a folder of this test's own.
fn test_file(dir: &Path, name: &str, len: usize) -> PathBuf {
    let path = dir.join(name);
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(&path, bytes).expect("write a test file");
    path
}

/// Recipe 6.4: the server and the client as separate processes, as the page
/// shows them. A file over the server's limit is refused with a clear error
/// before its body is sent (the client exits 1 and says why); the server
/// carries on, takes a file within the limit, and exits 0 when its stdin closes.
#[test]
fn ch06_04_server_refuses_an_oversized_file_and_keeps_serving() {
    let binary = support::example_binary("ch06_04_file_transfer");
    let dir = std::env::temp_dir().join(format!("cookbook-net-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let too_large = test_file(&dir, "too_large.bin", 1001);
    let fits = test_file(&dir, "fits.bin", 1000);

    let server = Server::start(&binary, &["--role", "server", "--max-bytes", "1000"]);
    let client = |file: &Path| {
        let mut command = Command::new(&binary);
        command
            .args(["--role", "client", "--addr", &server.addr, "--file"])
            .arg(file);
        support::run_with_timeout(command, TIMEOUT)
    };

    let refused = client(&too_large);
    assert_eq!(
        refused.code(),
        Some(1),
        "an oversized file must fail the client\nstdout:\n{}\nstderr:\n{}",
        refused.stdout,
        refused.stderr
    );
    assert_eq!(
        refused.stderr.trim(),
        "error: the server refused the transfer: file too large: 1001 bytes, limit 1000 bytes"
    );

    let accepted = client(&fits);
    assert!(
        accepted.success(),
        "the server no longer serves after a refusal:\n{}",
        accepted.stderr
    );
    assert!(
        accepted.stdout.starts_with("sent:     1000 bytes, sha256 ")
            && accepted.stdout.contains("hashes match"),
        "unexpected client output:\n{}",
        accepted.stdout
    );

    let (code, log) = server.stop();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "the server's exit status\n{log}");
    assert!(
        log.contains("refused: file too large: 1001 bytes, limit 1000 bytes")
            && log.contains("received 1000 bytes"),
        "the server's log:\n{log}"
    );
}

/// Recipe 6.4's connection cap and per-transfer deadline. With one transfer
/// allowed at a time and 1 s per transfer, a client that sends its header and
/// then one byte every 100 ms (never silent for `IO_TIMEOUT`) holds the only
/// slot: a second client waits until the deadline ends the first transfer,
/// then is served.
#[test]
fn ch06_04_server_caps_connections_and_ends_slow_transfers() {
    let binary = support::example_binary("ch06_04_file_transfer");
    let dir = std::env::temp_dir().join(format!("cookbook-net-slow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fits = test_file(&dir, "fits.bin", 1000);
    let server = Server::start(
        &binary,
        &[
            "--role",
            "server",
            "--max-connections",
            "1",
            "--deadline-ms",
            "1000",
        ],
    );

    let mut slow = TcpStream::connect(&server.addr).expect("connect");
    slow.write_all(b"CBFT").unwrap();
    slow.write_all(&1000u64.to_be_bytes()).unwrap();
    let mut ready = String::new();
    BufReader::new(slow.try_clone().unwrap())
        .read_line(&mut ready)
        .expect("read READY");
    assert_eq!(ready, "READY\n");
    let trickle = std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if slow.write_all(b"x").is_err() {
                return Some(start.elapsed()); // the server closed the connection
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    });

    let start = Instant::now();
    let mut command = Command::new(&binary);
    command
        .args(["--role", "client", "--addr", &server.addr, "--file"])
        .arg(&fits);
    let waiting = support::run_with_timeout(command, TIMEOUT);
    let waited = start.elapsed();
    let dropped_after = trickle.join().expect("the trickling thread");
    let (code, log) = server.stop();
    let _ = std::fs::remove_dir_all(&dir);

    assert!(
        waiting.success(),
        "the second client was not served once the slot was free:\n{}",
        waiting.stderr
    );
    assert!(
        waited >= Duration::from_millis(500),
        "the second client was served after {waited:?}, while the first held the only slot"
    );
    assert!(
        dropped_after.is_some(),
        "the server still took bytes from the slow client after 10 s"
    );
    assert_eq!(code, Some(0), "the server's exit status\n{log}");
    assert!(
        log.contains("the transfer's deadline passed") && log.contains("received 1000 bytes"),
        "the server's log:\n{log}"
    );
}

/// Recipe 6.5: a caller may ask for any deadline; each server caps it at 10 s
/// (`MAX_BUDGET`), and the trace shows what each one had left.
#[test]
fn ch06_05_servers_cap_the_callers_deadline() {
    let run = support::run_listing(
        "ch06_05_rpc_chain",
        &["--below", "1000", "--deadline-ms", "3600000"],
    );
    let line = run
        .stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("time left: "))
        .unwrap_or_else(|| panic!("no 'time left' line:\n{}", run.stdout));
    let left: Vec<f64> = line
        .split(", ")
        .map(|hop| {
            let ms = hop.split(' ').nth(1).expect("'A 9999.9 ms'");
            ms.parse().expect("a number of ms")
        })
        .collect();
    assert_eq!(left.len(), 3, "three hops in {line:?}");
    assert!(
        left.iter().all(|&ms| (5_000.0..=10_000.0).contains(&ms)),
        "each server should have had at most 10 s of the caller's hour: {line:?}"
    );
}

/// The pids a run of 6.5 printed on stderr: `server C: pid 1234, listening on ...`.
fn server_pids(stderr: &str) -> Vec<u32> {
    stderr
        .lines()
        .filter_map(|line| {
            line.strip_prefix("server ")?
                .split_once(": pid ")?
                .1
                .split(',')
                .next()
        })
        .map(|pid| pid.parse().expect("a pid"))
        .collect()
}

/// Which of `pids` still run `binary` (zombies have no command line and do not count).
fn still_running(binary: &Path, pids: &[u32]) -> Vec<u32> {
    pids.iter()
        .copied()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                cmdline.split(|&b| b == 0).next() == Some(binary.as_os_str().as_bytes())
            })
        })
        .collect()
}

/// Waits up to 5 s for `pids` to be gone; kills the ones that are not (so a
/// failure leaves nothing behind either) and returns them.
fn left_behind(binary: &Path, pids: &[u32]) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut left = still_running(binary, pids);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        left = still_running(binary, pids);
    }
    for pid in &left {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    left
}

/// Recipe 6.5 after a normal run: its three servers have exited.
#[test]
fn ch06_05_leaves_no_server_behind() {
    let binary = support::example_binary("ch06_05_rpc_chain");
    let mut command = Command::new(&binary);
    command.args(["--below", "1000"]);
    let run = support::run_with_timeout(command, TIMEOUT);
    assert!(run.success(), "the chain failed:\n{}", run.stderr);
    let pids = server_pids(&run.stderr);
    assert_eq!(
        pids.len(),
        3,
        "three server pids on stderr:\n{}",
        run.stderr
    );
    let left = left_behind(&binary, &pids);
    assert!(left.is_empty(), "servers left running: pids {left:?}");
    // Call 2's deadline expired while C was pausing: C dropped the handler.
    assert!(
        run.stderr
            .contains("server C: call abandoned before it finished"),
        "C did not report the abandoned call:\n{}",
        run.stderr
    );
}

/// Recipe 6.5 when its parent dies without cleaning up (SIGKILL, no destructor
/// runs): the servers see their stdin close and exit on their own.
#[test]
fn ch06_05_servers_exit_when_the_parent_is_killed() {
    let binary = support::example_binary("ch06_05_rpc_chain");
    let mut parent = Command::new(&binary)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the chain");
    let mut stderr = BufReader::new(parent.stderr.take().expect("piped"));
    let mut pids = Vec::new();
    let mut line = String::new();
    while pids.len() < 3 {
        line.clear();
        if stderr.read_line(&mut line).expect("read stderr") == 0 {
            break;
        }
        pids.extend(server_pids(&line));
    }
    // The three servers are up; call 2 keeps the parent busy for 300 ms.
    parent.kill().expect("kill the parent");
    parent.wait().expect("reap the parent");
    assert_eq!(pids.len(), 3, "three server pids on stderr");
    let left = left_behind(&binary, &pids);
    assert!(
        left.is_empty(),
        "servers left running after their parent was killed: pids {left:?}"
    );
}
