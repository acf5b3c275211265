//! Recipe 8.8: a complete OpenCL application, an element-wise expression that
//! prices millions of options with the Black-Scholes formula, timed against the
//! same formula in Rust on one core and on all cores with rayon, on the same
//! CPU, with every price checked.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_08_opencl_application
//!      [-- --options 2000000 --runs 5]
//! The kernel, kernels/black_scholes.cl, is compiled into the program.

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;
extern crate rayon;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ocl::enums::{DeviceInfo, DeviceInfoResult, ProfilingInfo};
use ocl::{Device, Event, Platform, ProQue, flags};
use rayon::prelude::*;
use std::fmt::Display;
use std::time::{Duration, Instant};

const SOURCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/kernels/black_scholes.cl"
));
const RATE: f32 = 0.02;
const VOLATILITY: f32 = 0.30;
const LOCAL: usize = 256;

// ANCHOR: cpu
/// The kernel's formula in Rust, line for line.
fn normal_cdf(x: f32) -> f32 {
    let k = 1.0 / (1.0 + 0.231_641_9 * x.abs());
    let poly = k
        * (0.319_381_53
            + k * (-0.356_563_78 + k * (1.781_477_9 + k * (-1.821_256 + k * 1.330_274_4))));
    let tail = 0.398_942_3 * (-0.5 * x * x).exp() * poly;
    if x >= 0.0 { 1.0 - tail } else { tail }
}

fn call_price(spot: f32, strike: f32, years: f32) -> f32 {
    let v_sqrt_t = VOLATILITY * years.sqrt();
    let d1 = ((spot / strike).ln() + (RATE + 0.5 * VOLATILITY * VOLATILITY) * years) / v_sqrt_t;
    let d2 = d1 - v_sqrt_t;
    spot * normal_cdf(d1) - strike * (-RATE * years).exp() * normal_cdf(d2)
}
// ANCHOR_END: cpu

/// The portfolio: spot prices 10 to 100, strikes 10 to 100, 0.25 to 5 years.
struct Portfolio {
    spot: Vec<f32>,
    strike: Vec<f32>,
    years: Vec<f32>,
}

impl Portfolio {
    fn new(len: usize) -> Portfolio {
        let scale = |seed, low: f32, high: f32| -> Vec<f32> {
            let unit = random_floats(len, seed);
            unit.into_iter().map(|u| low + u * (high - low)).collect()
        };
        Portfolio {
            spot: scale(1, 10.0, 100.0),
            strike: scale(2, 10.0, 100.0),
            years: scale(3, 0.25, 5.0),
        }
    }
}

// ANCHOR: opencl
/// Prices the portfolio on the device. Returns the prices, the time from the
/// first copy in to the last copy out (the time the application waits), and
/// the kernel's own time from its profiling event.
fn price_on_device(pro_que: &ProQue, p: &Portfolio) -> ocl::Result<(Vec<f32>, Duration, Duration)> {
    let start = Instant::now();
    let input = |data: &[f32]| {
        pro_que
            .buffer_builder()
            .flags(flags::MEM_READ_ONLY)
            .copy_host_slice(data)
            .build()
    };
    let (spot, strike, years) = (input(&p.spot)?, input(&p.strike)?, input(&p.years)?);
    let call = pro_que.create_buffer::<f32>()?;
    let kernel = pro_que
        .kernel_builder("black_scholes")
        .arg(&spot)
        .arg(&strike)
        .arg(&years)
        .arg(&call)
        .arg(RATE)
        .arg(VOLATILITY)
        .arg(p.spot.len() as u32)
        .global_work_size(round_up(p.spot.len(), LOCAL))
        .local_work_size(LOCAL)
        .build()?;
    let mut event = Event::empty();
    // SAFETY: every buffer holds one float per option; the kernel checks i < n.
    unsafe { kernel.cmd().enew(&mut event).enq()? };
    let mut prices = vec![0.0f32; p.spot.len()];
    call.read(&mut prices).enq()?;
    Ok((prices, start.elapsed(), profiled(&event)?))
}
// ANCHOR_END: opencl

/// Prices call options on the first OpenCL device and with Rust on the CPU.
#[derive(Parser)]
struct Args {
    /// Call options to price. At most 2^24 = 16777216: 64 MiB per buffer, and
    /// a few seconds per run on a CPU.
    #[arg(long, default_value_t = 2_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1 << 24))]
    options: usize,
    /// Timed runs of each version, at most 5; medians are shown.
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=5))]
    runs: usize,
}

fn main() -> ocl::Result<()> {
    let Args { options: len, runs } = parse_args();

    // ANCHOR: main
    let (platform, device) = first_device();
    check_buffer_len::<f32>(&device, "options", len);
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(len)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    let portfolio = Portfolio::new(len);
    let p = &portfolio;
    let price = |i: usize| call_price(p.spot[i], p.strike[i], p.years[i]);
    let (sequential, sequential_time) =
        median_time(runs, || (0..len).map(price).collect::<Vec<_>>());
    let (parallel, rayon_time) = median_time(runs, || {
        (0..len).into_par_iter().map(price).collect::<Vec<_>>()
    });
    assert_eq!(
        parallel, sequential,
        "rayon runs the same code, so the same bits"
    );

    let mut device_runs = Vec::new();
    for _ in 0..runs {
        device_runs.push(price_on_device(&pro_que, p)?);
    }
    // The median run end to end, and the fastest kernel.
    let kernel = device_runs.iter().map(|run| run.2).min().expect("runs > 0");
    device_runs.sort_by_key(|&(_, total, _)| total);
    let (prices, total, _) = device_runs.swap_remove(runs / 2);
    // ANCHOR_END: main

    // ANCHOR: report
    // The device's exp, log and sqrt round differently from Rust's: prices
    // (0 to 100) agree to about 1e-5 absolute, well inside the tolerance.
    let want: Vec<f64> = sequential.iter().map(|&x| f64::from(x)).collect();
    let error = assert_close("black_scholes", &prices, &want, 1e-4);
    let rate = |time: Duration| len as f64 / time.as_secs_f64() / 1e6;
    println!("{len} call options priced; device vs CPU largest error {error:.1e} (tolerance 1e-4)");
    println!("{:<34}{:>12}{:>16}", "", "time", "options/s");
    let row = |what: &str, time: Duration| {
        println!("{what:<34}{:>12}{:>12.1} M/s", ms(time), rate(time));
    };
    row("Rust, one core", sequential_time);
    row("Rust + rayon, all cores", rayon_time);
    row("OpenCL kernel alone", kernel);
    row("OpenCL with copies in and out", total);
    // ANCHOR_END: report
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

/// How long the command behind `event` ran on the device: from its start to
/// its end, as the queue's profiling timer saw them.
fn profiled(event: &Event) -> ocl::Result<Duration> {
    event.wait_for()?;
    let nanos = |info| -> ocl::Result<u64> { Ok(event.profiling_info(info)?.time()?) };
    let start = nanos(ProfilingInfo::Start)?;
    let end = nanos(ProfilingInfo::End)?;
    Ok(Duration::from_nanos(end.saturating_sub(start)))
}

/// Runs `work` `runs` times; returns its result and the median time, which
/// shrugs off the odd run disturbed by another process.
fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, Duration) {
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        let start = Instant::now();
        result = Some(std::hint::black_box(work()));
        times.push(start.elapsed());
    }
    times.sort();
    (result.expect("at least one run"), times[runs / 2])
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
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

/// Refuses, with one line and exit status 2, a `--name` that makes a buffer of
/// `len` elements of `T` larger than the device's largest.
fn check_buffer_len<T>(device: &Device, name: &str, len: usize) {
    let bytes = len as u64 * std::mem::size_of::<T>() as u64;
    let max = match device.info(DeviceInfo::MaxMemAllocSize) {
        Ok(DeviceInfoResult::MaxMemAllocSize(bytes)) => bytes,
        other => fail(format!(
            "cannot read the device's MaxMemAllocSize: {other:?}"
        )),
    };
    if bytes > max {
        usage_error(format_args!(
            "--{name} is too large: a buffer of {bytes} bytes, the device allows at most {max}"
        ));
    }
}

/// Prints `error: <message>` and exits with status 1: the machine lacks what
/// the listing needs (an OpenCL driver, a device).
fn fail(message: impl Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

/// A value only the device can judge, refused like a bad option: one line,
/// exit status 2.
fn usage_error(message: impl Display) -> ! {
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
