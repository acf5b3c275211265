//! Runs every MPI listing under `mpiexec` (feature `mpi`), each under a
//! timeout, at several rank counts. At 4 ranks the output must match the
//! captured output the book shows; every run must exit 0, and each listing
//! asserts its own per-rank results. A listing that needs more ranks than it
//! is given must say so in one line and exit 2.

#![cfg(feature = "mpi")]

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
#[allow(unused_imports)] // Each mode is there for the listings that need it.
use support::{Compare, EXACT, MEASURED, UNORDERED};

const TIMEOUT: Duration = Duration::from_secs(120);

/// The rank count whose output the book shows.
const BOOK_RANKS: usize = 4;

fn mpiexec(ranks: usize, name: &str, args: &[&str]) -> support::Run {
    let mut command = Command::new("mpiexec");
    command
        .args(["-n", &ranks.to_string()])
        .arg(support::example_binary(name))
        .args(args);
    support::run_with_timeout(command, TIMEOUT)
}

/// Runs `name` at each rank count; `min_ranks` is the fewest it accepts.
fn run_mpi_listing(name: &str, ranks: &[usize], min_ranks: usize, args: &[&str], compare: Compare) {
    for &n in ranks {
        let run = mpiexec(n, name, args);
        assert!(
            !run.timed_out,
            "{name} at {n} ranks hung: killed after {TIMEOUT:?}"
        );
        if n < min_ranks {
            assert_eq!(
                run.code(),
                Some(2),
                "{name} at {n} ranks must refuse to run"
            );
            assert!(
                run.stderr.trim_end().lines().count() == 1
                    && run
                        .stderr
                        .contains(&format!("needs at least {min_ranks} ranks")),
                "{name} at {n} ranks: expected one 'needs at least {min_ranks} ranks' line, got:\n{}",
                run.stderr
            );
            continue;
        }
        assert!(
            run.success(),
            "{name} at {n} ranks failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            run.status,
            run.stdout,
            run.stderr
        );
        if n == BOOK_RANKS {
            support::check_against_captured(name, &run.stdout, compare);
        }
    }
}

/// One test per listing: `name: ranks [..] min N, args [..] compare-mode;`.
macro_rules! mpi_listings {
    ($($name:ident: ranks [$($n:expr),*] min $min:expr, args [$($arg:expr),*] $compare:expr;)*) => {
        $(
            #[test]
            fn $name() {
                run_mpi_listing(stringify!($name), &[$($n),*], $min, &[$($arg),*], $compare);
            }
        )*

        const LISTINGS: &[&str] = &[$(stringify!($name)),*];
    };
}

mpi_listings! {
    ch04_01_hello: ranks [1, 2, 4] min 1, args [] EXACT;
    ch04_02_point_to_point: ranks [1, 2, 4] min 2, args [] EXACT;
    ch04_03_deadlock: ranks [1, 2, 4] min 2, args [] EXACT;
    ch04_04_broadcast: ranks [1, 2, 4] min 1, args [] EXACT;
    ch04_05_scatter: ranks [1, 2, 4] min 1, args [] EXACT;
    ch04_06_gather: ranks [1, 2, 4] min 1, args [] EXACT;
    ch04_07_all_to_all: ranks [1, 2, 4, 11] min 1, args [] EXACT;
    ch04_08_reduction: ranks [1, 2, 4] min 1, args [] EXACT;
    ch04_09_topology: ranks [1, 2, 4] min 1, args [] EXACT;
    ch04_10_heat: ranks [1, 2, 4] min 1, args [] MEASURED;
}

/// The longest the deadlocking exchange of recipe 4.3 may take to start: the
/// ranks of an MPI job can take seconds to start on a loaded 2-core machine.
const DEADLOCK_START: Duration = Duration::from_secs(30);

/// How long the exchange must stay stuck, once rank 0 has announced it, to
/// count as hung: a working exchange of a few numbers takes milliseconds.
const DEADLOCK_HOLD: Duration = Duration::from_secs(2);

/// Starts the deadlocking variant at `ranks` ranks, waits for rank 0's
/// announcement and then [`DEADLOCK_HOLD`] more, and kills the job. Returns
/// what rank 0 printed and whether the job was still running when killed.
fn run_until_stuck(binary: &Path, ranks: usize) -> (String, bool) {
    let mut child = Command::new("mpiexec")
        .args(["-n", &ranks.to_string()])
        .arg(binary)
        .args(["--variant", "deadlock"])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mpiexec");
    let (lines_out, lines) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines_out.send(line);
        }
    });
    let start = Instant::now();
    let mut printed = String::new();
    while let Some(left) = DEADLOCK_START.checked_sub(start.elapsed()) {
        match lines.recv_timeout(left) {
            Ok(line) => {
                printed.push_str(&line);
                printed.push('\n');
                if line.contains("none returns") {
                    std::thread::sleep(DEADLOCK_HOLD);
                    break;
                }
            }
            Err(_) => break, // the job ended, or never announced anything
        }
    }
    let still_running = child.try_wait().expect("poll mpiexec").is_none();
    // SAFETY: kill(2) with a negative pid signals the group made above.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
    let _ = child.wait();
    (printed, still_running)
}

/// Processes running `binary` with `arg` among their arguments (read from
/// /proc; zombies have no command line and do not count). The argument tells
/// this test's ranks from those of other tests running the same binary.
fn processes_running(binary: &Path, arg: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                let mut words = cmdline.split(|&b| b == 0);
                words.next() == Some(binary.as_os_str().as_bytes())
                    && words.any(|word| word == arg.as_bytes())
            })
        })
        .collect()
}

/// Recipe 4.3's naive exchange must really deadlock (every rank blocked in
/// `synchronous_send`), and killing the job must leave no rank behind.
#[test]
fn ch04_03_deadlock_variant_hangs_and_is_cleaned_up() {
    let binary = support::example_binary("ch04_03_deadlock");
    for ranks in [2, 4] {
        let (printed, still_running) = run_until_stuck(&binary, ranks);
        assert!(
            printed.contains("none returns"),
            "rank 0 announces the exchange before it hangs, got:\n{printed}"
        );
        assert!(
            still_running,
            "the deadlocking exchange at {ranks} ranks finished instead of hanging:\n{printed}"
        );
        // SIGKILL is delivered at once, but the ranks may take a moment to go.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut left = processes_running(&binary, "deadlock");
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            left = processes_running(&binary, "deadlock");
        }
        assert!(
            left.is_empty(),
            "ranks left running after the timeout at {ranks} ranks: pids {left:?}"
        );
    }
}

/// Bad options: one line from rank 0 only, and exit 2 from the job.
#[test]
fn every_mpi_listing_rejects_bad_input_with_one_line_and_exit_2() {
    for name in LISTINGS {
        let run = mpiexec(2, name, &["--no-such-option", "1"]);
        assert_eq!(
            run.code(),
            Some(2),
            "{name}: exit status for bad input\n{}",
            run.stderr
        );
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("error: "),
            "{name}: expected one 'error: ...' line, got:\n{}",
            run.stderr
        );
    }
}

/// Chapter 4's numeric options at their extremes. Out of range (0 where the
/// range starts at 1, one past the maximum, a number too big for any integer):
/// one `error:` line from rank 0 and exit status 2 from the job. In range, the
/// cheap extremes must run at 4 ranks and pass their own checks (4.8 with one
/// item leaves three ranks with empty blocks; 4.10 with one point per rank).
/// The slowest maximum, `--points 2000000 --steps 500` in 4.10 (about 5 s),
/// was run by hand.
#[test]
fn ch04_options_at_their_extremes() {
    const HUGE: &str = "99999999999999999999999";
    let refused: &[(&str, &str, &[&str])] = &[
        ("ch04_02_point_to_point", "--len", &["0", "100001", HUGE]),
        ("ch04_03_deadlock", "--len", &["0", "100001", HUGE]),
        ("ch04_03_deadlock", "--variant", &["both"]),
        ("ch04_04_broadcast", "--len", &["0", "1000001", HUGE]),
        ("ch04_05_scatter", "--chunk", &["0", "10001", HUGE]),
        ("ch04_05_scatter", "--len", &["0", "100001", HUGE]),
        ("ch04_06_gather", "--n", &["0", "1000001", HUGE]),
        ("ch04_08_reduction", "--n", &["0", "100000001", HUGE]),
        ("ch04_10_heat", "--points", &["0", "2000001", HUGE]),
        ("ch04_10_heat", "--steps", &["0", "501", HUGE]),
    ];
    for (name, option, values) in refused {
        for value in *values {
            let run = mpiexec(1, name, &[option, value]);
            let lines: Vec<&str> = run.stderr.lines().collect();
            assert!(
                run.code() == Some(2)
                    && lines.len() == 1
                    && lines[0].starts_with("error: ")
                    && lines[0].contains(option),
                "{name} {option} {value}: expected one 'error: ...{option}...' line and exit 2, \
                 got {:?}:\n{}",
                run.status,
                run.stderr
            );
        }
    }
    let accepted: &[(&str, &[&str])] = &[
        ("ch04_02_point_to_point", &["--len", "100000"]),
        ("ch04_03_deadlock", &["--len", "100000"]),
        ("ch04_04_broadcast", &["--len", "1000000"]),
        ("ch04_05_scatter", &["--chunk", "10000", "--len", "100000"]),
        ("ch04_05_scatter", &["--chunk", "1", "--len", "1"]),
        ("ch04_06_gather", &["--n", "1000000"]),
        ("ch04_06_gather", &["--n", "1"]),
        ("ch04_08_reduction", &["--n", "1"]),
        ("ch04_10_heat", &["--points", "4", "--steps", "1"]),
    ];
    for (name, args) in accepted {
        let run = mpiexec(BOOK_RANKS, name, args);
        assert!(
            !run.timed_out && run.success(),
            "{name} {args:?} at {BOOK_RANKS} ranks failed ({:?}):\n{}",
            run.status,
            run.stderr
        );
        if *name == "ch04_08_reduction" {
            // Ranks 1 to 3 have no items: they say so instead of printing
            // the placeholder `Best::NONE` as if it were an item.
            assert!(
                run.stdout.contains("rank 3: no items,")
                    && !run.stdout.contains(&u64::MAX.to_string()),
                "{name} {args:?}: the ranks without items must say so:\n{}",
                run.stdout
            );
        }
    }
}

/// Recipe 4.11: the 4.1 listing on two "hosts", two names for this machine;
/// MPICH's launcher treats them as two hosts and starts a proxy for each. The
/// output the page shows is captured here.
#[test]
fn ch04_11_two_host_names() {
    let mut command = Command::new("mpiexec");
    command
        .args(["-hosts", "localhost,127.0.0.1", "-n", "4"])
        .arg(support::example_binary("ch04_01_hello"));
    let run = support::run_with_timeout(command, TIMEOUT);
    assert!(!run.timed_out, "the two-host run hung");
    assert!(run.success(), "the two-host run failed:\n{}", run.stderr);
    support::check_against_captured("ch04_11_two_hosts", &run.stdout, EXACT);
}
