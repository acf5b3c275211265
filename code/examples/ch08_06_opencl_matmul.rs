//! Recipe 8.6: matrix multiplication on the device, the naive kernel against
//! the tiled one that reuses tiles from local memory. Both checked against the
//! CPU and timed with profiling events.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_06_opencl_matmul
//!      [-- --n 512 --runs 3]
//! The kernels, kernels/matmul.cl, are compiled into the program.

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ocl::enums::ProfilingInfo;
use ocl::{Buffer, Device, Event, Platform, ProQue, flags};
use std::fmt::Display;
use std::time::Duration;

const SOURCE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/kernels/matmul.cl"));
/// The tile edge; kernels/matmul.cl defines the same TILE.
const TILE: usize = 16;

// ANCHOR: launch
/// Runs kernel `name` on n x n matrices with TILE x TILE work-groups and
/// returns c and the kernel's time on the device.
fn multiply(
    pro_que: &ProQue,
    name: &str,
    (a, b): (&Buffer<f32>, &Buffer<f32>),
    n: usize,
) -> ocl::Result<(Vec<f32>, Duration)> {
    let c = pro_que.create_buffer::<f32>()?;
    // Dimension 0 runs along a row (columns), dimension 1 down the rows; both
    // rounded up to whole tiles, the kernels skip what lies outside.
    let global = round_up(n, TILE);
    let kernel = pro_que
        .kernel_builder(name)
        .arg(a)
        .arg(b)
        .arg(&c)
        .arg(n as u32)
        .global_work_size([global, global])
        .local_work_size([TILE, TILE])
        .build()?;
    let mut event = Event::empty();
    // SAFETY: a, b and c hold n * n floats; the kernels index below that.
    unsafe { kernel.cmd().enew(&mut event).enq()? };
    let mut result = vec![0.0f32; n * n];
    c.read(&mut result).enq()?;
    Ok((result, profiled(&event)?))
}
// ANCHOR_END: launch

/// Naive and tiled matrix multiplication on the first OpenCL device.
#[derive(Parser)]
struct Args {
    /// Rows and columns of the square matrices; any size, not only multiples
    /// of 16. At most 1024: on a CPU device one naive run takes seconds there.
    #[arg(long, default_value_t = 512,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    n: usize,
    /// Runs of each kernel, at most 3; the fastest is shown.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=3))]
    runs: usize,
}

fn main() -> ocl::Result<()> {
    let Args { n, runs } = parse_args();

    // ANCHOR: main
    let (platform, device) = first_device();
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(n * n)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    let a = random_floats(n * n, 1);
    let b = random_floats(n * n, 2);
    let input = |data: &[f32]| {
        pro_que
            .buffer_builder()
            .flags(flags::MEM_READ_ONLY)
            .copy_host_slice(data)
            .build()
    };
    let (a_dev, b_dev) = (input(&a)?, input(&b)?);
    let want = reference::matmul(&a, &b, n);
    let flops = 2.0 * (n as f64).powi(3);
    println!("c = a * b, {n} x {n} floats, work-groups of {TILE} x {TILE}");

    let mut times = Vec::new();
    for name in ["matmul_naive", "matmul_tiled"] {
        let mut fastest = Duration::MAX;
        let mut c = Vec::new();
        for _ in 0..runs {
            let time;
            (c, time) = multiply(&pro_que, name, (&a_dev, &b_dev), n)?;
            fastest = fastest.min(time);
        }
        // Each element is a sum of n products, rounded n times in f32.
        let error = assert_close(name, &c, &want, 1e-5);
        println!(
            "{name}: {:>10}  {:6.2} GFLOP/s  largest error {error:.1e} (tolerance 1e-5)",
            ms(fastest),
            flops / fastest.as_secs_f64() / 1e9
        );
        times.push(fastest);
    }
    println!(
        "tiled vs naive on this device: {}",
        speedup(times[0], times[1])
    );
    // ANCHOR_END: main
    Ok(())
}

/// Compares a device result with a CPU reference computed in f64. The error of
/// one element is relative (|got - want| / |want|), or absolute where
/// |want| < 1, so values near zero do not inflate it. Panics, naming the first
/// element out of tolerance, or returns the largest error seen.
fn assert_close(what: &str, got: &[f32], want: &[f64], tolerance: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length differs");
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let error = (f64::from(g) - w).abs() / w.abs().max(1.0);
        assert!(
            error <= tolerance,
            "{what}: element {i} is {g}, the CPU says {w} (error {error:.1e} > {tolerance:.0e})"
        );
        worst = worst.max(error);
    }
    worst
}

/// `len` pseudo-random numbers in [0, 1), the same on every run and machine
/// (splitmix64), so outputs and errors are reproducible.
fn random_floats(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            // The top 24 bits: every value is exactly representable in an f32.
            (z >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

/// `n` rounded up to a multiple of `step`: a launch covers whole work-groups,
/// so the last one may run past the end of the data.
fn round_up(n: usize, step: usize) -> usize {
    n.div_ceil(step) * step
}

/// The CPU references the device's results are checked against, in f64, so
/// they are more accurate than the f32 results they check.
mod reference {
    /// `a * b` for square row-major `n` x `n` matrices.
    pub fn matmul(a: &[f32], b: &[f32], n: usize) -> Vec<f64> {
        let mut c = vec![0.0f64; n * n];
        for i in 0..n {
            let row = &mut c[i * n..(i + 1) * n];
            for k in 0..n {
                let a_ik = f64::from(a[i * n + k]);
                for (c_ij, &b_kj) in row.iter_mut().zip(&b[k * n..(k + 1) * n]) {
                    *c_ij += a_ik * f64::from(b_kj);
                }
            }
        }
        c
    }
}

/// How long the command behind `event` ran on the device: from its start to
/// its end, as the queue's profiling timer saw them.
fn profiled(event: &Event) -> ocl::Result<Duration> {
    event.wait_for()?;
    let nanos = |info| -> ocl::Result<u64> { Ok(event.profiling_info(info)?.time()?) };
    let start = nanos(ProfilingInfo::Start)?;
    let end = nanos(ProfilingInfo::End)?;
    Ok(Duration::from_nanos(end.saturating_sub(start)))
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// How many times faster `new` is than `old`: `3.42x`.
fn speedup(old: Duration, new: Duration) -> String {
    let ratio = old.as_secs_f64() / new.as_secs_f64();
    // Two significant digits, however small: 0.0042x, not 0.00x.
    let decimals = (1.0 - ratio.log10().floor()).clamp(2.0, 9.0) as usize;
    format!("{ratio:.decimals$}x")
}

/// What the listing says when the loader finds no OpenCL driver.
const NO_PLATFORM: &str = "no OpenCL platform found (no driver registered in \
    /etc/OpenCL/vendors; on Debian: apt install pocl-opencl-icd)";

/// The OpenCL platforms (drivers) the ICD loader finds. `Platform::list`
/// panics when there are none, and ocl's own query retries for ten seconds
/// when the loader reports no driver, so ask the loader directly: with no
/// driver it answers `CL_PLATFORM_NOT_FOUND_KHR` at once.
fn platforms() -> Result<Vec<Platform>, String> {
    const PLATFORM_NOT_FOUND_KHR: i32 = -1001;
    let mut count = 0u32;
    // SAFETY: asks only for the count; the loader writes one u32.
    let status = unsafe { ocl::ffi::clGetPlatformIDs(0, std::ptr::null_mut(), &mut count) };
    match status {
        0 if count > 0 => ocl::core::get_platform_ids()
            .map(|ids| ids.into_iter().map(Platform::new).collect())
            .map_err(|e| e.to_string()),
        0 | PLATFORM_NOT_FOUND_KHR => Ok(Vec::new()),
        status => Err(format!("clGetPlatformIDs failed with status {status}")),
    }
}

/// The first device of the first platform that has one, or a one-line error
/// and exit status 1.
fn first_device() -> (Platform, Device) {
    let platforms = platforms().unwrap_or_else(|e| fail(e));
    if platforms.is_empty() {
        fail(NO_PLATFORM);
    }
    platforms
        .into_iter()
        .find_map(|platform| {
            let devices = Device::list_all(platform).ok()?;
            Some((platform, *devices.first()?))
        })
        .unwrap_or_else(|| fail("no OpenCL device found: the platforms have no device"))
}

/// Prints `error: <message>` and exits with status 1: the machine lacks what
/// the listing needs (an OpenCL driver, a device).
fn fail(message: impl Display) -> ! {
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
