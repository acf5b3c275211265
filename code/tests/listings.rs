//! Runs every listing of the book as a reader would, each under a timeout: it
//! must exit 0, and what it prints must match the captured output the book
//! shows. `UPDATE_OUTPUT=1` (scripts/capture-output) rewrites those files.

mod support;

use std::process::Command;
#[allow(unused_imports)] // Each mode is there for the listings that need it.
use support::{Compare, EXACT, MEASURED, UNORDERED};

fn run_listing(name: &str, args: &[&str], compare: Compare) {
    let run = support::run_listing(name, args);
    support::check_against_captured(name, &run.stdout, compare);
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

        /// The listings this file runs, for the completeness check.
        const LISTINGS: &[&str] = &[$(stringify!($name)),*];
    };
}

listings! {
    ch01_01_simd: [] MEASURED;
    ch01_02_false_sharing: [] MEASURED;
    ch01_03_programming_models: [] EXACT;
    ch01_04_designing: [] MEASURED;
    ch01_05_speedup: [] MEASURED;
    ch01_06_ownership: [] EXACT;
    ch01_07_processes_and_threads: [] MEASURED;
    ch02_01_spawn_join: [] EXACT;
    ch02_02_naming: [] EXACT;
    ch02_03_thread_type: [] EXACT;
    ch02_04_scoped: [] EXACT;
    ch02_05_detached: [] MEASURED;
    ch02_06_mutex_counter: [] MEASURED;
    ch02_07_try_lock: [] MEASURED;
    ch02_08_reentrant: [] EXACT;
    ch02_09_rwlock: [] EXACT;
    ch02_10_semaphore: [] MEASURED;
    ch02_10_semaphore_counting: [] EXACT;
    ch02_11_condvar: [] EXACT;
    ch02_12_event: [] MEASURED;
    ch02_13_barrier: [] EXACT;
    ch02_14_channels: [] EXACT;
    ch02_15_atomics: [] MEASURED;
    ch02_16_thread_pool: [] EXACT;
    ch02_17_work_stealing: [] MEASURED;
    ch02_18_once_thread_local: [] EXACT;
    ch02_19_threads_speedup: [] MEASURED;
    ch05_01_futures_on_a_pool: [] MEASURED;
    ch05_02_event_loop: [] MEASURED;
    ch05_04_tasks: [] EXACT;
    ch05_05_futures_and_results: [] EXACT;
    ch05_06_errors_in_async_code: [] EXACT;
    ch05_07_async_io: [] MEASURED;
    ch05_08_backpressure: [] EXACT;
    ch05_09_mixing_blocking_and_async: [] MEASURED;
}

/// ch05_03_coroutines: compared exactly, except the sizes of futures (`16
/// bytes` is compared as `# bytes`): they depend on how the compiler lays the
/// futures out, which may change from one Rust release to the next.
#[test]
fn ch05_03_coroutines() {
    let name = "ch05_03_coroutines";
    let run = support::run_listing(name, &[]);
    if std::env::var_os(support::UPDATE_VAR).is_some() {
        return support::check_against_captured(name, &run.stdout, EXACT);
    }
    let file = support::captured_output_file(name);
    let captured = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nCapture it with: scripts/capture-output {name}",
            file.display()
        )
    });
    let sizes = |text: &str| -> Vec<String> {
        text.lines()
            .map(|line| {
                let words: Vec<&str> = line.split(' ').collect();
                let masked: Vec<&str> = words
                    .iter()
                    .enumerate()
                    .map(|(i, word)| match words.get(i + 1) {
                        Some(&"bytes" | &"bytes;") if word.parse::<u64>().is_ok() => "#",
                        _ => *word,
                    })
                    .collect();
                masked.join(" ").trim_end().to_owned()
            })
            .collect()
    };
    assert_eq!(
        sizes(&run.stdout),
        sizes(&captured),
        "{name}: output differs from the captured output the book shows ({}), sizes masked; \
         if the change is intended, recapture: scripts/capture-output {name}",
        file.display()
    );
}

/// Chapter 5's numeric options at their extremes. Out of range (0 where the
/// range starts at 1, one past the maximum, a number too big for any integer):
/// clap's one-line error and exit status 2. In range, the cheap extremes must
/// run and pass their own checks; the slow maxima (up to 10 s each: `--below
/// 3000000 --runs 5` in 5.1, `--ticks 50 --period-ms 100` in 5.2, `--limit-ms
/// 10000` in 5.5, `--items 5000 --limit 1` in 5.8, `--below 10000000` in 5.9)
/// were run by hand when the ranges were set.
#[test]
fn ch05_options_at_their_extremes() {
    const HUGE: &str = "99999999999999999999999";
    let refused: &[(&str, &str, &[&str])] = &[
        ("ch05_01_futures_on_a_pool", "--below", &["3000001", HUGE]),
        ("ch05_01_futures_on_a_pool", "--jobs", &["0", "257", HUGE]),
        ("ch05_01_futures_on_a_pool", "--workers", &["0", "65", HUGE]),
        ("ch05_01_futures_on_a_pool", "--runs", &["0", "6", HUGE]),
        (
            "ch05_01_futures_on_a_pool",
            "--worker",
            &["5..4", "0..3000001", "0..99999999999999999999999"],
        ),
        ("ch05_02_event_loop", "--period-ms", &["0", "101", HUGE]),
        ("ch05_02_event_loop", "--ticks", &["0", "51", HUGE]),
        (
            "ch05_03_coroutines",
            "--seed",
            &["0", "18446744073709551616"],
        ),
        ("ch05_03_coroutines", "--no-such-option", &["1"]),
        ("ch05_04_tasks", "--tasks", &["0", "100001", HUGE]),
        (
            "ch05_05_futures_and_results",
            "--limit-ms",
            &["0", "10001", HUGE],
        ),
        (
            "ch05_06_errors_in_async_code",
            "--jobs",
            &["0", "10001", HUGE],
        ),
        (
            "ch05_06_errors_in_async_code",
            "--failing",
            &["6", "10000", HUGE],
        ),
        ("ch05_07_async_io", "--connections", &["0", "401", HUGE]),
        ("ch05_07_async_io", "--bytes", &["0", "65537", HUGE]),
        ("ch05_08_backpressure", "--items", &["0", "5001", HUGE]),
        ("ch05_08_backpressure", "--capacity", &["0", "10001", HUGE]),
        ("ch05_08_backpressure", "--limit", &["0", "10001", HUGE]),
        (
            "ch05_09_mixing_blocking_and_async",
            "--below",
            &["999999", "10000001", HUGE],
        ),
        (
            "ch05_09_mixing_blocking_and_async",
            "--tick-ms",
            &["0", "11", HUGE],
        ),
    ];
    for (name, option, values) in refused {
        for value in *values {
            support::expect_usage_error(name, &[option, value], option);
        }
    }
    let accepted: &[(&str, &[&str])] = &[
        ("ch05_01_futures_on_a_pool", &["--below", "0"]),
        (
            "ch05_01_futures_on_a_pool",
            &[
                "--below",
                "1",
                "--jobs",
                "256",
                "--workers",
                "1",
                "--runs",
                "1",
            ],
        ),
        (
            "ch05_01_futures_on_a_pool",
            &["--worker", "3000000..3000000"],
        ),
        ("ch05_02_event_loop", &["--period-ms", "1", "--ticks", "1"]),
        ("ch05_03_coroutines", &["--seed", "18446744073709551615"]),
        ("ch05_04_tasks", &["--tasks", "100000"]),
        ("ch05_05_futures_and_results", &["--limit-ms", "1"]),
        (
            "ch05_06_errors_in_async_code",
            &["--jobs", "10000", "--failing", "9999"],
        ),
        (
            "ch05_06_errors_in_async_code",
            &["--jobs", "1", "--failing", "0"],
        ),
        (
            "ch05_07_async_io",
            &["--connections", "400", "--bytes", "65536"],
        ),
        ("ch05_07_async_io", &["--connections", "1", "--bytes", "1"]),
        (
            "ch05_08_backpressure",
            &["--items", "5000", "--capacity", "10000", "--limit", "10000"],
        ),
        (
            "ch05_08_backpressure",
            &["--items", "1", "--capacity", "1", "--limit", "1"],
        ),
        (
            "ch05_09_mixing_blocking_and_async",
            &["--below", "1000000", "--tick-ms", "1"],
        ),
    ];
    for (name, args) in accepted {
        support::run_listing(name, args);
    }
}

/// Recipe 5.7 under a low limit on open files (`ulimit -n 256`, macOS's
/// default): it must refuse to start, in one line, rather than fail halfway.
#[test]
fn ch05_07_async_io_checks_the_open_files_limit() {
    let binary = support::example_binary("ch05_07_async_io");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"ulimit -n 256 && exec "$0""#)
        .arg(&binary);
    let run = support::run_with_timeout(command, support::TIMEOUT);
    support::expect_error(
        "ch05_07_async_io under ulimit -n 256",
        &run,
        1,
        "open files",
    );
}

/// Recipe 2.19's Python half: the same two jobs on Python threads. The table
/// must keep the shape the book shows; times and speedups are masked (on a
/// CPython with the GIL the CPU-bound speedup stays near 1 at every thread count).
#[test]
fn ch02_19_gil_python() {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        println!("skipped: python3 not found");
        return;
    }
    let script = support::workspace_root().join("code/examples/python/ch02_19_gil.py");
    let mut command = Command::new("python3");
    command.arg(&script);
    let run = support::run_with_timeout(command, support::TIMEOUT);
    let run = support::expect_success(&script.display().to_string(), run);
    support::check_against_captured("ch02_19_gil_python", &run.stdout, MEASURED);
}

/// The programs a page shows failing to compile (code/compile_fail/): rustc must
/// reject each with the error the page explains. The message the page shows is
/// captured from this run (UPDATE_OUTPUT=1); afterwards the test compares the
/// `error` lines, not the notes, which name paths inside the toolchain.
fn rejected_by_rustc(name: &str, error: &str) {
    let root = support::workspace_root();
    let out_dir = std::env::temp_dir().join(format!("cookbook-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut command = Command::new("rustc");
    command
        .current_dir(&root)
        .args([
            "--edition",
            "2024",
            "--color",
            "never",
            "--emit",
            "metadata",
            "--out-dir",
        ])
        .arg(&out_dir)
        .arg(format!("code/compile_fail/{name}.rs"));
    let run = support::run_with_timeout(command, support::TIMEOUT);
    let _ = std::fs::remove_dir_all(&out_dir);
    assert!(!run.timed_out, "rustc hung on {name}");
    assert_eq!(
        run.code(),
        Some(1),
        "{name} must not compile\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(error),
        "{name}: expected {error}, got:\n{}",
        run.stderr
    );

    let file = support::captured_output_file(name);
    if std::env::var_os(support::UPDATE_VAR).is_some() {
        std::fs::write(&file, &run.stderr).unwrap();
        return;
    }
    let errors = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("error"))
            .map(str::to_owned)
            .collect()
    };
    let captured = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nCapture it with: scripts/capture-output {name}",
            file.display()
        )
    });
    assert_eq!(
        errors(&run.stderr),
        errors(&captured),
        "{name}: rustc's errors differ from those the book shows; recapture: scripts/capture-output {name}"
    );
}

#[test]
fn ch01_06_data_race() {
    rejected_by_rustc("ch01_06_data_race", "error[E0499]");
}

#[test]
fn ch01_06_not_send() {
    rejected_by_rustc("ch01_06_not_send", "error[E0277]");
}

#[test]
fn ch02_04_spawn_borrow() {
    rejected_by_rustc("ch02_04_spawn_borrow", "error[E0373]");
}

/// Every listing rejects an option it does not know with one line and exit 2.
#[test]
fn every_listing_rejects_bad_input_with_one_line_and_exit_2() {
    for name in LISTINGS {
        support::expect_usage_error(name, &["--no-such-option", "1"], "--no-such-option");
    }
}

/// Every example in code/examples/ is run by some test file in code/tests/.
#[test]
fn every_listing_is_run_by_a_test() {
    let root = support::workspace_root();
    let tests: String = std::fs::read_dir(root.join("code/tests"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    for entry in std::fs::read_dir(root.join("code/examples")).unwrap() {
        let path = entry.unwrap().path();
        // A listing is a file, or a folder with a main.rs (output/ and python/ are not).
        if path.extension().is_some_and(|ext| ext == "rs") || path.join("main.rs").exists() {
            let name = path.file_stem().unwrap().to_str().unwrap();
            assert!(
                tests.contains(&format!("{name}:")),
                "{name} is not run by any test in code/tests/"
            );
        }
    }
}
