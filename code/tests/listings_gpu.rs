//! Chapter 8's listings. With the `opencl` feature every OpenCL listing runs on
//! the machine's OpenCL device (on the build machine PoCL, a real OpenCL
//! device on the CPU) under a timeout, and its output must match the captured
//! output its page shows, apart from what depends on the device (its name,
//! counts and sizes, rounding errors), so the test passes on any OpenCL
//! device; each listing checks its results against a CPU reference itself.
//! Sizes that are not whole work-groups run too, checked by their result
//! lines. Bad input, including sizes the device cannot take, must be one line
//! and exit 2; with no OpenCL platform at all, a listing must say so in one
//! line and exit 1.
//!
//! The CUDA listings run only where the NVIDIA driver (libcuda) and a device
//! exist, built with the `cuda` feature; there each must succeed and print its
//! check line, and a `--ptx` folder without their kernel must be one line and
//! exit 1. Elsewhere the test says on stderr which listings it skipped and why
//! (scripts/test.sh type-checks them: steps `clippy` and `listings`).
//!
//! Each listing carries its own copy of the helpers it shares with others
//! (test data, CPU references, the tolerance check, device set-up); every
//! copy of one helper must be the same code.
//!
//! The CUDA kernels are checked here without a GPU: scripts/check-kernels
//! compiles every kernels/*.cu to PTX with NVRTC and has ptxas compile that PTX
//! for sm_70, sm_80 and sm_90. Its report must match the one the book shows,
//! and a broken kernel must fail with the compiler's own message. NVRTC and
//! ptxas come from NVIDIA's PyPI wheels, which scripts/setup.sh installs into
//! target/venv.

// Without either GPU feature only the kernel check and the skip notices remain.
#![cfg_attr(
    not(any(feature = "opencl", feature = "cuda")),
    allow(unused_imports, dead_code)
)]

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
#[allow(unused_imports)] // Each mode is there for the listings that need it.
use support::{Compare, EXACT, MEASURED, UNORDERED};

/// Generous: these machines are shared. A listing that hangs fails; it never hangs CI.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Says something on the test's stderr even when the harness captures output
/// (it captures `eprintln!`, not a direct write), so a skip is never silent.
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

#[cfg(feature = "opencl")]
mod opencl {
    use super::*;

    /// Runs listing `name` with `args` under the timeout; it must succeed.
    fn run_ok(name: &str, args: &[&str]) -> support::Run {
        support::run_listing(name, args)
    }

    /// `line` with what depends on the machine's OpenCL device replaced by
    /// `#`: its name, counts and sizes, and the rounding errors its math
    /// library makes. The book's files keep the full output; the comparison
    /// checks everything else, so a reader's device passes as the book's does.
    fn mask_device_specific(name: &str, line: &str) -> String {
        let mut line = line.to_owned();
        // "largest error 6.0e-8": each device's math library rounds its own way.
        if let Some(at) = line.find("largest error ") {
            let value = at + "largest error ".len();
            let end = line[value..].find(' ').map_or(line.len(), |i| value + i);
            line.replace_range(value..end, "#");
        }
        let digits_masked = |text: &str| -> String {
            let mut out = String::new();
            for c in text.chars() {
                match c.is_ascii_digit() {
                    true if out.ends_with('#') => {}
                    true => out.push('#'),
                    false => out.push(c),
                }
            }
            out
        };
        match name {
            // Every value is the device's own: keep only the labels.
            "ch08_01_opencl_devices" => match line.split_once(':') {
                Some((label, _)) => format!("{label}: #"),
                None => digits_masked(&line),
            },
            // The device's largest buffer.
            "ch08_02_opencl_memory"
                if line.starts_with("largest buffer") || line.starts_with("allocating") =>
            {
                digits_masked(&line)
            }
            "ch08_07_opencl_vector_sum" if line.starts_with("device: ") => "device: #".to_owned(),
            "ch08_09_opencl_performance" if line.starts_with("c = a + b on ") => {
                let rest = line.split_once(';').map_or("", |(_, rest)| rest);
                format!("c = a + b on #;{rest}")
            }
            _ => line,
        }
    }

    /// The lines compared for listing `name`: device-specific values masked,
    /// then measured decimals masked or not, as `compare` says.
    fn comparable(name: &str, text: &str, compare: Compare) -> Vec<String> {
        let masked: Vec<String> = text
            .lines()
            .map(|line| mask_device_specific(name, line))
            .collect();
        let mut lines = support::normalise(&masked.join("\n"), compare);
        if name == "ch08_01_opencl_devices" {
            // Any number of platforms and devices: the set of labels.
            lines.sort();
            lines.dedup();
        }
        lines
    }

    /// Runs `name` with its default options and compares its output with
    /// the captured file, device-specific values masked. UPDATE_OUTPUT=1
    /// recaptures the whole output, unmasked, for the book.
    fn run_listing(name: &str, compare: Compare) {
        let run = run_ok(name, &[]);
        if std::env::var_os(support::UPDATE_VAR).is_some() {
            support::check_against_captured(name, &run.stdout, compare);
            return;
        }
        let file = support::captured_output_file(name);
        let captured =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (expected, actual) = (
            comparable(name, &captured, compare),
            comparable(name, &run.stdout, compare),
        );
        let differences: Vec<String> = (0..expected.len().max(actual.len()))
            .filter(|&i| expected.get(i) != actual.get(i))
            .take(10)
            .map(|i| {
                format!(
                    "  line {}: book {:?} | run {:?}",
                    i + 1,
                    expected.get(i),
                    actual.get(i)
                )
            })
            .collect();
        assert!(
            differences.is_empty(),
            "{name}: output differs from {} (device-specific values masked):\n{}\n\
             If the change is intended, recapture with UPDATE_OUTPUT=1.\nstdout:\n{}",
            file.display(),
            differences.join("\n"),
            run.stdout
        );
    }

    #[test]
    fn device_specific_values_are_masked_and_the_rest_is_compared() {
        let same = |name: &str, book: &str, run: &str, compare: Compare| {
            comparable(name, book, compare) == comparable(name, run, compare)
        };
        let sum = "ch08_07_opencl_vector_sum";
        let book = "device: pthread-skylake\nc = a + b matches the CPU's f32 sums bit for bit";
        let other_device = "device: NVIDIA A100\nc = a + b matches the CPU's f32 sums bit for bit";
        assert!(same(sum, book, other_device, EXACT));
        assert!(!same(
            sum,
            book,
            "device: pthread-skylake\nc = a + b differs",
            EXACT
        ));

        let devices = "ch08_01_opencl_devices";
        let one = "platform: PoCL\n  device: cpu\n    compute units:         2\n\
                   1 platform(s), 1 device(s)";
        let two = "platform: NVIDIA CUDA\n  device: A100\n    compute units:         108\n\
                   platform: PoCL\n  device: cpu\n    compute units:         64\n\
                   2 platform(s), 2 device(s)";
        assert!(same(devices, one, two, EXACT));
        assert!(!same(
            devices,
            one,
            "platform: PoCL\n1 platform(s), 1 device(s)",
            EXACT
        ));

        let elementwise = "ch08_04_opencl_elementwise";
        let book = "saxpy on 1000000 elements: largest error 6.0e-8 (tolerance 2.4e-7)";
        let run = "saxpy on 1000000 elements: largest error 1.2e-9 (tolerance 2.4e-7)";
        assert!(same(elementwise, book, run, EXACT));
        let wrong = "saxpy on 999999 elements: largest error 6.0e-8 (tolerance 2.4e-7)";
        assert!(!same(elementwise, book, wrong, EXACT));
    }

    /// One test per listing: `name: compare-mode;`.
    macro_rules! opencl_listings {
        ($($name:ident: $compare:expr;)*) => {
            $(
                #[test]
                fn $name() {
                    run_listing(stringify!($name), $compare);
                }
            )*

            /// The listings this module runs.
            const LISTINGS: &[&str] = &[$(stringify!($name)),*];
        };
    }

    opencl_listings! {
        ch08_01_opencl_devices: EXACT;
        ch08_02_opencl_memory: EXACT;
        ch08_04_opencl_elementwise: EXACT;
        ch08_05_opencl_reduction: MEASURED;
        ch08_06_opencl_matmul: MEASURED;
        ch08_07_opencl_vector_sum: EXACT;
        ch08_08_opencl_application: MEASURED;
        ch08_09_opencl_performance: MEASURED;
    }

    /// `run`'s stdout must contain a line with `expect`.
    fn assert_line(name: &str, run: &support::Run, expect: &str) {
        assert!(
            run.stdout.lines().any(|line| line.contains(expect)),
            "{name}: expected a line with {expect:?}, got:\n{}",
            run.stdout
        );
    }

    /// Sizes that are not multiples of the work-group size: the kernels'
    /// bounds checks and the padding of the last work-group (or tile) are
    /// exercised, and each listing's own check must still pass.
    #[test]
    fn sizes_that_are_not_whole_work_groups() {
        let name = "ch08_07_opencl_vector_sum";
        let run = run_ok(name, &["--len", "1000003", "--local", "64"]);
        assert_line(
            name,
            &run,
            "global size 1000064, 15626 work-groups, 61 idle",
        );
        assert_line(
            name,
            &run,
            "c = a + b matches the CPU's f32 sums bit for bit",
        );

        let name = "ch08_06_opencl_matmul";
        let run = run_ok(name, &["--n", "100", "--runs", "1"]);
        assert_line(name, &run, "c = a * b, 100 x 100 floats");
        for kernel in ["matmul_naive", "matmul_tiled"] {
            assert_line(name, &run, &format!("{kernel}: "));
        }

        let name = "ch08_04_opencl_elementwise";
        let run = run_ok(name, &["--len", "1001"]);
        assert_line(name, &run, "radius   z = sqrt(x*x + y*y) on 1001 elements");
    }

    /// An odd length: the naive reduction's halvings meet odd lengths (the
    /// middle element waits for the next step), and the tree's work-groups
    /// get chunks of unequal length. Both sums must still be exact.
    #[test]
    fn reduction_of_an_odd_length() {
        let name = "ch08_05_opencl_reduction";
        for groups in ["64", "7"] {
            let run = run_ok(
                name,
                &[
                    "--len", "1000003", "--groups", groups, "--local", "32", "--runs", "1",
                ],
            );
            assert_line(name, &run, "dot product of 1000003 whole numbers 1 to 3");
            assert_line(name, &run, "naive, global memory: 21 launches");
            assert_line(name, &run, &format!("1 launch, {groups} groups of 32"));
            assert_eq!(run.stdout.matches("  exact").count(), 2, "{}", run.stdout);
        }
    }

    /// Every OpenCL listing rejects an option it does not know with one line and exit 2.
    #[test]
    fn every_opencl_listing_rejects_bad_input_with_one_line_and_exit_2() {
        for name in LISTINGS {
            support::expect_usage_error(
                name,
                &["--no-such-option", "1"],
                "unexpected argument '--no-such-option'",
            );
        }
    }

    /// Values the device cannot take (a work-group larger than it runs) or
    /// that would need more memory or time than is sensible are bad input
    /// too: one line and exit 2, before anything is allocated. Clap refuses
    /// the fixed limits, naming the range; the listing itself refuses what
    /// only the device can judge.
    #[test]
    fn out_of_range_sizes_are_one_line_and_exit_2() {
        let cases: &[(&str, &[&str], &str)] = &[
            // The device's largest work-group: 4096 on PoCL, 1024 or less on GPUs.
            (
                "ch08_05_opencl_reduction",
                &["--local", "8192"],
                "--local 8192 is larger than the device's largest work-group",
            ),
            (
                "ch08_07_opencl_vector_sum",
                &["--local", "8192"],
                "--local 8192 is larger than the device's largest work-group",
            ),
            (
                "ch08_05_opencl_reduction",
                &["--local", "100"],
                "'--local <LOCAL>': 100 is not a power of two",
            ),
            (
                "ch08_02_opencl_memory",
                &["--mib", "100000"],
                "'--mib <MIB>': 100000 is not in 1..=256",
            ),
            (
                "ch08_04_opencl_elementwise",
                &["--len", "4000000000"],
                "'--len <LEN>': 4000000000 is not in 1..=67108864",
            ),
            (
                "ch08_05_opencl_reduction",
                &["--len", "4000001"],
                "'--len <LEN>': 4000001 is not in 1..=4000000",
            ),
            (
                "ch08_05_opencl_reduction",
                &["--groups", "1000000000"],
                "'--groups <GROUPS>': 1000000000 is not in 1..=4096",
            ),
            (
                "ch08_06_opencl_matmul",
                &["--n", "1025"],
                "'--n <N>': 1025 is not in 1..=1024",
            ),
            (
                "ch08_07_opencl_vector_sum",
                &["--len", "4000000000"],
                "'--len <LEN>': 4000000000 is not in 1..=67108864",
            ),
            (
                "ch08_08_opencl_application",
                &["--options", "999999999"],
                "'--options <OPTIONS>': 999999999 is not in 1..=16777216",
            ),
            (
                "ch08_09_opencl_performance",
                &["--max-len", "999999999"],
                "'--max-len <MAX_LEN>': 999999999 is not in 1024..=67108864",
            ),
            (
                "ch08_09_opencl_performance",
                &["--runs", "0"],
                "'--runs <RUNS>': 0 is not in 1..=20",
            ),
        ];
        for (name, args, says) in cases {
            support::expect_usage_error(name, args, says);
        }
    }

    /// With no OpenCL driver registered, every listing says so in one line and
    /// exits 1. The ICD loader (ocl-icd) reads the drivers' .icd files from
    /// OCL_ICD_VENDORS instead of /etc/OpenCL/vendors: an empty folder is a
    /// machine without OpenCL.
    #[test]
    fn every_opencl_listing_without_a_platform_says_so_and_exits_1() {
        let empty = std::env::temp_dir().join(format!("cookbook-no-icd-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        for name in LISTINGS {
            let mut command = Command::new(support::example_binary(name));
            command.env("OCL_ICD_VENDORS", &empty);
            let run = support::run_with_timeout(command, TIMEOUT);
            support::expect_error(name, &run, 1, "no OpenCL platform found");
        }
        let _ = std::fs::remove_dir_all(&empty);
    }
}

#[cfg(not(feature = "opencl"))]
#[test]
fn opencl_listings_skipped_without_the_opencl_feature() {
    say(
        "skipped: OpenCL listings of chapter 8: built without the `opencl` feature \
         (cargo test --features opencl)",
    );
}

/// The CUDA listings, each with the line its output must contain when it
/// has checked its results: `name: [args] "line";`.
macro_rules! cuda_listings {
    ($($name:ident: [$($arg:expr),*] $expect:expr;)*) => {
        const CUDA_LISTINGS: &[(&str, &[&str], &str)] =
            &[$((stringify!($name), &[$($arg),*], $expect)),*];
    };
}

cuda_listings! {
    ch08_01_cuda_devices: [] "device(s)";
    ch08_02_cuda_memory: [] "pinned buffer: copied asynchronously on a stream, identical";
    ch08_03_cuda_vector_add: [] "c = a + b matches the CPU's f32 sums bit for bit";
    ch08_04_cuda_elementwise: [] "radius   z = sqrt(x*x + y*y)";
    ch08_05_cuda_reduction: [] "tree vs naive on this device";
    ch08_06_cuda_matmul: [] "tiled vs naive";
    ch08_09_cuda_performance: ["--runs", "3"] "16777216 |";
    // Sizes that are not whole blocks (tiles), and an odd-length reduction.
    ch08_03_cuda_vector_add: ["--len", "1000003", "--block", "64"] "matches the CPU's f32 sums";
    ch08_05_cuda_reduction: ["--len", "1000003", "--groups", "7"] "tree vs naive on this device";
    ch08_06_cuda_matmul: ["--n", "100"] "tiled vs naive";
}

fn cuda_names() -> String {
    let mut names: Vec<&str> = CUDA_LISTINGS.iter().map(|(name, _, _)| *name).collect();
    names.sort();
    names.dedup();
    names.join(", ")
}

/// Whether the NVIDIA driver library can be loaded.
#[cfg(feature = "cuda")]
fn driver_present() -> bool {
    // SAFETY: dlopen with a constant name; the handle is closed at once.
    unsafe {
        let handle = libc::dlopen(c"libcuda.so.1".as_ptr(), libc::RTLD_NOW);
        if handle.is_null() {
            return false;
        }
        libc::dlclose(handle);
    }
    true
}

#[cfg(feature = "cuda")]
#[test]
fn cuda_listings_run_on_a_cuda_device() {
    if !driver_present() {
        say(&format!(
            "skipped: no CUDA driver/device: libcuda.so.1 not found; not run: {}",
            cuda_names()
        ));
        return;
    }
    // The listings load the PTX that scripts/check-kernels writes to target/ptx,
    // by default from the folder they run in: the repository's root.
    let root = support::workspace_root();
    let check = Command::new(root.join("scripts/check-kernels"))
        .output()
        .expect("run scripts/check-kernels");
    assert!(
        check.status.success(),
        "scripts/check-kernels failed:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    for (name, args, expect) in CUDA_LISTINGS {
        let mut command = Command::new(support::example_binary(name));
        command.args(*args).current_dir(&root);
        let run = support::run_with_timeout(command, TIMEOUT);
        assert!(!run.timed_out, "{name} hung");
        if run.code() == Some(1) && run.stderr.contains("no CUDA") {
            say(&format!(
                "skipped: no CUDA driver/device: {}; not run: {}",
                run.stderr.trim(),
                cuda_names()
            ));
            return;
        }
        assert!(
            run.success(),
            "{name} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            run.status,
            run.stdout,
            run.stderr
        );
        assert!(
            run.stdout.contains(expect),
            "{name}: expected a line with '{expect}', got:\n{}",
            run.stdout
        );
        print!("{name}:\n{}", run.stdout);

        support::expect_usage_error(name, &["--no-such-option", "1"], "--no-such-option");
    }
    // A --ptx folder without the kernel: one line that says how to make it, exit 1.
    let empty = scratch("no-ptx");
    for name in CUDA_PTX_LISTINGS {
        let mut command = Command::new(support::example_binary(name));
        command.arg("--ptx").arg(&empty);
        let run = support::run_with_timeout(command, TIMEOUT);
        support::expect_error(name, &run, 1, "compile the kernels first");
    }
    let _ = std::fs::remove_dir_all(&empty);
}

/// The CUDA listings that load a kernel from the `--ptx` folder.
#[cfg(feature = "cuda")]
const CUDA_PTX_LISTINGS: &[&str] = &[
    "ch08_03_cuda_vector_add",
    "ch08_04_cuda_elementwise",
    "ch08_05_cuda_reduction",
    "ch08_06_cuda_matmul",
    "ch08_09_cuda_performance",
];

#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_listings_run_on_a_cuda_device() {
    say(&format!(
        "skipped: no CUDA driver/device: built without the `cuda` feature (it links \
         libcuda, the NVIDIA driver); not run: {}",
        cuda_names()
    ));
}

// --- The helpers each listing carries ----------------------------------------

/// The helpers more than one listing of the chapter carries a copy of. The
/// twins must generate the same data, check it against the same references
/// with the same tolerance check, and find their device the same way, so every
/// copy of a helper must be the same code (its doc comment may differ).
const SHARED_HELPERS: &[&str] = &[
    "random_floats",
    "small_whole_numbers",
    "round_up",
    "assert_close",
    "gb_per_s",
    "vector_add",
    "saxpy",
    "radius",
    "dot",
    "matmul",
    "platforms",
    "first_device",
    "check_local_size",
    "check_buffer_len",
    "profiled",
    "load_module",
    "median_time",
    "ms",
    "speedup",
    "parse_args",
];

/// The code of `fn name` in `source` (a free function or one in a module):
/// from its `fn` line to the closing brace at the same indentation.
fn function_body(source: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|line| {
        let code = line.trim_start().trim_start_matches("pub ");
        code.starts_with(&format!("fn {name}(")) || code.starts_with(&format!("fn {name}<"))
    })?;
    let indent = &lines[start][..lines[start].len() - lines[start].trim_start().len()];
    let end = (start..lines.len()).find(|&i| lines[i] == format!("{indent}}}"))?;
    Some(lines[start..=end].join("\n"))
}

#[test]
fn every_copy_of_a_shared_helper_is_the_same() {
    let examples = support::workspace_root().join("code/examples");
    let mut listings: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("ch08_") && name.ends_with(".rs")
        })
        .collect();
    listings.sort();
    assert_eq!(listings.len(), 15, "chapter 8 has 15 listings");
    for helper in SHARED_HELPERS {
        // CUDA and OpenCL find their device differently: one version per API.
        let per_api = *helper == "first_device";
        let mut first_seen: std::collections::HashMap<bool, (String, String)> = Default::default();
        for path in &listings {
            let source = std::fs::read_to_string(path).unwrap();
            let Some(body) = function_body(&source, helper) else {
                continue;
            };
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            let (seen_in, seen) = first_seen
                .entry(per_api && file.contains("_cuda_"))
                .or_insert((file.clone(), body.clone()));
            assert!(
                *seen == body,
                "fn {helper} in {file} differs from the copy in {seen_in}: keep the copies \
                 the same (they make the data and the checks of every listing)"
            );
        }
        assert!(!first_seen.is_empty(), "no listing has fn {helper}");
    }
}

// --- The CUDA kernels, checked without a GPU ---------------------------------

fn check_kernels() -> Command {
    Command::new(support::workspace_root().join("scripts/check-kernels"))
}

/// A folder of the test's own for the PTX, so tests never race on target/ptx.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cookbook-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether the wheels are installed; if not, says so where the harness does
/// not capture it, so the skip is seen.
fn tools_present() -> bool {
    let venv = support::workspace_root().join("target/venv/lib");
    let found = std::fs::read_dir(&venv).into_iter().flatten().any(|entry| {
        let nvidia = entry.unwrap().path().join("site-packages/nvidia");
        nvidia.join("cuda_nvrtc").is_dir() && nvidia.join("cuda_nvcc").is_dir()
    });
    if !found {
        say(
            "skipped: CUDA kernel check: NVRTC and ptxas not installed under target/venv \
             (run scripts/setup.sh)",
        );
    }
    found
}

#[test]
fn ch08_check_kernels() {
    if !tools_present() {
        return;
    }
    let out = scratch("ptx");
    let mut command = check_kernels();
    command.arg("--out").arg(&out);
    let run = support::run_with_timeout(command, TIMEOUT);
    let _ = std::fs::remove_dir_all(&out);
    assert!(!run.timed_out, "scripts/check-kernels hung");
    assert!(
        run.success(),
        "a kernel failed to compile:\n{}{}",
        run.stdout,
        run.stderr
    );
    for arch in ["sm_70", "sm_80", "sm_90"] {
        assert!(
            run.stdout.contains(&format!("vector_add.cu {arch}: ok")),
            "{arch} missing from:\n{}",
            run.stdout
        );
    }
    support::check_against_captured("ch08_check_kernels", &run.stdout, support::EXACT);
}

#[test]
fn a_broken_kernel_fails_with_the_compilers_message() {
    if !tools_present() {
        return;
    }
    let dir = scratch("broken-kernel");
    let source = dir.join("broken.cu");
    std::fs::write(
        &source,
        "extern \"C\" __global__ void broken(float *x) { x[threadIdx.x] = y; }\n",
    )
    .unwrap();
    let mut command = check_kernels();
    command.arg("--out").arg(&dir).arg(&source);
    let run = support::run_with_timeout(command, TIMEOUT);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        run.code(),
        Some(1),
        "a broken kernel must fail:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("broken.cu(1): error: identifier \"y\" is undefined"),
        "expected NVRTC's message, got:\n{}",
        run.stderr
    );
}
