//! Runs every MPI listing under `mpiexec` (feature `mpi`), each under a
//! timeout, at several rank counts. At 4 ranks the output must match the
//! captured output the book shows; every run must exit 0, and each listing
//! asserts its own per-rank results. A listing that needs more ranks than it
//! is given must say so in one line and exit 2.

#![cfg(feature = "mpi")]

mod support;

use std::process::Command;
use std::time::Duration;
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
