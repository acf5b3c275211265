//! Running the book's listings from tests: each under a timeout, its output
//! compared with the captured output the book shows.

#![allow(dead_code)] // Each test file uses its own part of this module.

pub mod redis_server;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Set to regenerate the captured output files instead of comparing with them.
pub const UPDATE_VAR: &str = "UPDATE_OUTPUT";

/// How a listing's output is compared with its captured file.
#[derive(Clone, Copy, Debug, Default)]
pub struct Compare {
    /// Decimal numbers (times, rates, ratios) are masked; counts are not.
    pub measured: bool,
    /// Lines are sorted first: threads print in whatever order they run.
    pub unordered: bool,
}

pub const EXACT: Compare = Compare {
    measured: false,
    unordered: false,
};
pub const MEASURED: Compare = Compare {
    measured: true,
    unordered: false,
};
pub const UNORDERED: Compare = Compare {
    measured: false,
    unordered: true,
};

/// What a finished (or killed) listing left behind.
#[derive(Debug)]
pub struct Run {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Run {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("code/ is in the workspace")
        .to_owned()
}

/// `target/<profile>/<name>`: the listing built as a reader's own project by
/// `scripts/listing-projects` (the code its page gives, with its page's
/// `[dependencies]`, in `target/listing-projects/<name>/`), found from this
/// test binary's location (`target/<profile>/deps/<test>`), so it works under
/// cargo test and nextest. Refuses a project whose sources differ from the
/// listing's (anchor comments aside) and a binary older than its project.
pub fn example_binary(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().expect("test binary path");
    let profile_dir = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let binary = profile_dir.join(name);
    let rebuild = format!("rebuild it with `scripts/listing-projects {name}`");
    assert!(
        binary.exists(),
        "{} is missing: {rebuild}",
        binary.display()
    );
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let examples = workspace_root().join("code/examples");
    let project = workspace_root()
        .join("target/listing-projects")
        .join(name)
        .join("src");
    // A listing is one file (the project's main.rs), or a folder of them.
    let sources: Vec<(PathBuf, PathBuf)> = match std::fs::read_dir(examples.join(name)) {
        Ok(folder) => folder
            .map(|entry| entry.expect("a listing file").path())
            .map(|file| (project.join(file.file_name().expect("a file name")), file))
            .collect(),
        Err(_) => vec![(project.join("main.rs"), examples.join(format!("{name}.rs")))],
    };
    for (copy, source) in sources {
        let wanted = std::fs::read_to_string(&source)
            .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        // mdBook drops the anchor comments from what a page gives.
        let wanted: String = wanted
            .split_inclusive('\n')
            .filter(|line| !line.contains("ANCHOR: ") && !line.contains("ANCHOR_END: "))
            .collect();
        assert!(
            std::fs::read_to_string(&copy).is_ok_and(|built| built == wanted),
            "{} is not the listing {} as its page gives it: {rebuild}",
            copy.display(),
            source.display()
        );
        assert!(
            modified(&copy) <= modified(&binary),
            "{} is older than {}: {rebuild}",
            binary.display(),
            copy.display()
        );
    }
    binary
}

/// Generous: these machines are shared. A listing that hangs fails; it never hangs CI.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the example `name` with `args` under [`TIMEOUT`]; it must exit 0.
pub fn run_listing(name: &str, args: &[&str]) -> Run {
    let mut command = Command::new(example_binary(name));
    command.args(args);
    expect_success(name, run_with_timeout(command, TIMEOUT))
}

/// Asserts that `run` (of `what`) finished in time with status 0, showing
/// its output if not.
pub fn expect_success(what: &str, run: Run) -> Run {
    assert!(
        !run.timed_out,
        "{what} hung: killed after the timeout\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.success(),
        "{what} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
    run
}

/// Runs the example `name` with bad `args`: it must print nothing on stdout,
/// one `error: ...` line containing `says` on stderr, and exit 2.
pub fn expect_usage_error(name: &str, args: &[&str], says: &str) {
    let mut command = Command::new(example_binary(name));
    command.args(args);
    let run = run_with_timeout(command, TIMEOUT);
    expect_error(&format!("{name} {args:?}"), &run, 2, says);
}

/// Asserts that `run` (of `what`) ended with exit status `code`, nothing on
/// stdout and one `error: ...` line containing `says` on stderr.
pub fn expect_error(what: &str, run: &Run, code: i32, says: &str) {
    assert!(!run.timed_out, "{what} hung: killed after the timeout");
    assert_eq!(
        run.code(),
        Some(code),
        "{what}: exit status\n{}",
        run.stderr
    );
    assert!(
        run.stdout.is_empty(),
        "{what}: printed to stdout:\n{}",
        run.stdout
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error: ") && lines[0].contains(says),
        "{what}: expected one 'error: ...{says}...' line, got:\n{}",
        run.stderr
    );
}

/// Runs `program` with `args`, killing it and everything it started if it
/// has not finished within `timeout`.
pub fn run_with_timeout(mut command: Command, timeout: Duration) -> Run {
    // A group of its own, so a timeout kills the workers a listing spawned too.
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + timeout;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("wait for listing") {
            break (Some(status), false);
        }
        if Instant::now() >= deadline {
            kill_group(child.id());
            let _ = child.wait();
            break (None, true);
        }
        thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        timed_out,
    }
}

fn kill_group(leader: u32) {
    // SAFETY: kill(2) with a negative pid signals the group we created above.
    unsafe {
        libc::kill(-(leader as libc::pid_t), libc::SIGKILL);
    }
}

/// The file holding a listing's captured output, shown in the book.
pub fn captured_output_file(name: &str) -> PathBuf {
    workspace_root()
        .join("code/examples/output")
        .join(format!("{name}.txt"))
}

/// Masks what may legitimately change between runs.
pub fn normalise(text: &str, compare: Compare) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            if compare.measured {
                mask_decimals(line)
            } else {
                line.trim_end().to_owned()
            }
        })
        .collect();
    if compare.unordered {
        lines.sort();
    }
    lines
}

/// `12.345 ms   3.42x` becomes `# ms #x`: decimals masked, runs of spaces folded
/// (column widths follow the numbers).
fn mask_decimals(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            let is_decimal = number.trim_end_matches('.').contains('.');
            out.push_str(if is_decimal { "#" } else { &number });
            continue;
        }
        if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && !out.is_empty() {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Compares `stdout` with the listing's captured output, or rewrites the file
/// when `UPDATE_OUTPUT` is set.
pub fn check_against_captured(name: &str, stdout: &str, compare: Compare) {
    let file = captured_output_file(name);
    if std::env::var_os(UPDATE_VAR).is_some() {
        std::fs::write(&file, stdout).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        return;
    }
    let captured = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nCapture it with: scripts/capture-output {name}",
            file.display()
        )
    });
    let expected = normalise(&captured, compare);
    let actual = normalise(stdout, compare);
    if expected != actual {
        let diff: Vec<String> = (0..expected.len().max(actual.len()))
            .filter(|&i| expected.get(i) != actual.get(i))
            .take(10)
            .map(|i| {
                let show =
                    |line: Option<&String>| line.map_or("<none>".to_owned(), |l| format!("{l:?}"));
                format!(
                    "  line {}: book {} | run {}",
                    i + 1,
                    show(expected.get(i)),
                    show(actual.get(i))
                )
            })
            .collect();
        panic!(
            "{name}: output differs from the captured output the book shows ({}):\n{}\n\
             If the change is intended, recapture: scripts/capture-output {name}",
            file.display(),
            diff.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_masked_counts_are_not() {
        assert_eq!(
            mask_decimals("threads  4   time 12.345 ms  speedup 3.42x"),
            "threads 4 time # ms speedup #x"
        );
        assert_eq!(mask_decimals("sum = 500000500000"), "sum = 500000500000");
        assert_eq!(mask_decimals("  -0.5 and -3"), "# and -3");
    }
}
