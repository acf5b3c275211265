//! Recipe 8.9: evaluating device performance. The vector sum of recipe 8.7 at
//! growing sizes, every command timed by the queue's profiling events: copies
//! in, kernel, copy out. Bandwidth is bytes moved over kernel time; rayon does
//! the same sum on the same CPU for comparison.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_09_opencl_performance
//!      [-- --max-len 16777216 --runs 5]
//! The kernel, kernels/vector_add.cl, is compiled into the program.

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;
extern crate rayon;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ocl::enums::ProfilingInfo;
use ocl::{Buffer, Device, Event, Platform, ProQue, flags};
use rayon::prelude::*;
use std::fmt::Display;
use std::time::{Duration, Instant};

const SOURCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/kernels/vector_add.cl"
));

/// What one run on the device cost, command by command.
#[derive(Clone, Copy)]
struct Profile {
    copy_in: Duration,
    /// The kernel from the moment it was queued: launch overhead included.
    launch: Duration,
    kernel: Duration,
    copy_out: Duration,
}

// ANCHOR: profile
/// The device buffers of one size, allocated once and reused by every run: a
/// fresh buffer would add the cost of the operating system's first touch of
/// its pages to the first command that writes it.
struct Buffers {
    a: Buffer<f32>,
    b: Buffer<f32>,
    c: Buffer<f32>,
}

/// c = a + b on the device, each command with its own event.
fn profile_vector_add(
    pro_que: &ProQue,
    dev: &Buffers,
    (a, b): (&[f32], &[f32]),
    c: &mut [f32],
) -> ocl::Result<Profile> {
    let len = a.len();
    let (mut write_a, mut write_b) = (Event::empty(), Event::empty());
    dev.a.write(a).enew(&mut write_a).enq()?;
    dev.b.write(b).enew(&mut write_b).enq()?;
    let kernel = pro_que
        .kernel_builder("vector_add")
        .arg(&dev.a)
        .arg(&dev.b)
        .arg(&dev.c)
        .arg(len as u32)
        .global_work_size(len)
        .build()?;
    let mut run = Event::empty();
    // SAFETY: three buffers of len floats; one work-item per element.
    unsafe { kernel.cmd().enew(&mut run).enq()? };
    let mut read_c = Event::empty();
    dev.c.read(&mut *c).enew(&mut read_c).enq()?;
    assert!(
        c == reference::vector_add(a, b),
        "the device's sum is wrong"
    );
    Ok(Profile {
        copy_in: profiled(&write_a)? + profiled(&write_b)?,
        launch: queued_to_end(&run)?,
        kernel: profiled(&run)?,
        copy_out: profiled(&read_c)?,
    })
}
// ANCHOR_END: profile

/// The vector sum at growing sizes on the first OpenCL device, each command
/// timed, against rayon on the CPU.
#[derive(Parser)]
struct Args {
    /// The largest size, in elements; the sizes run from 1024 up by fours. At
    /// most 2^26 = 67108864: 256 MiB per buffer.
    #[arg(long, default_value_t = 16_777_216,
          value_parser = RangedU64ValueParser::<usize>::new().range(1024..=1 << 26))]
    max_len: usize,
    /// Timed runs per size, at most 20; medians are shown.
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=20))]
    runs: usize,
}

fn main() -> ocl::Result<()> {
    let Args { max_len, runs } = parse_args();

    // ANCHOR: main
    let (platform, device) = first_device();
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(max_len)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    println!(
        "c = a + b on {}; times are medians of {runs} runs",
        device.name()?
    );
    println!(
        "{:>9} | {:>10} {:>10} {:>10} {:>10} {:>11} | {:>10} {:>11}",
        "elements", "copy in", "launch", "kernel", "copy out", "kernel GB/s", "rayon", "rayon GB/s"
    );
    // ANCHOR_END: main

    // ANCHOR: sizes
    let mut len = 1024;
    let mut last = None;
    while len <= max_len {
        let a = random_floats(len, 1);
        let b = random_floats(len, 2);
        // Two floats read and one written per element.
        let bytes = 3 * 4 * len;
        let buffer = || {
            pro_que
                .buffer_builder::<f32>()
                .len(len)
                .fill_val(0.0)
                .build()
        };
        let dev = Buffers {
            a: buffer()?,
            b: buffer()?,
            c: buffer()?,
        };
        let mut c = vec![0.0f32; len];
        let mut profiles = Vec::new();
        for _ in 0..runs {
            profiles.push(profile_vector_add(&pro_que, &dev, (&a, &b), &mut c)?);
        }
        let median = |field: fn(&Profile) -> Duration| {
            let mut times: Vec<Duration> = profiles.iter().map(field).collect();
            times.sort();
            times[runs / 2]
        };
        let kernel = median(|p| p.kernel);
        let (copies, launch) = (
            median(|p| p.copy_in) + median(|p| p.copy_out),
            median(|p| p.launch),
        );
        let ((), rayon_time) = median_time(runs, || {
            c.par_iter_mut()
                .zip(a.par_iter().zip(&b))
                .for_each(|(c, (a, b))| *c = a + b);
        });
        println!(
            "{len:>9} | {:>10} {:>10} {:>10} {:>10} {:>11} | {:>10} {:>11}",
            ms(median(|p| p.copy_in)),
            ms(launch),
            ms(kernel),
            ms(median(|p| p.copy_out)),
            gb_per_s(bytes, kernel.as_secs_f64()),
            ms(rayon_time),
            gb_per_s(bytes, rayon_time.as_secs_f64()),
        );
        last = Some((copies, launch, rayon_time));
        len *= 4;
    }
    // ANCHOR_END: sizes

    // ANCHOR: summary
    let (copies, launch, rayon_time) = last.expect("at least one size");
    println!(
        "largest size: the copies are {:.1}% of the device's time; the kernel, launch \
         included, takes {:.2}x rayon's time",
        100.0 * copies.as_secs_f64() / (copies + launch).as_secs_f64(),
        launch.as_secs_f64() / rayon_time.as_secs_f64()
    );
    // ANCHOR_END: summary
    Ok(())
}

// ANCHOR: profiled
/// How long the command behind `event` ran on the device: from its start to
/// its end, as the queue's profiling timer saw them.
fn profiled(event: &Event) -> ocl::Result<Duration> {
    event.wait_for()?;
    let nanos = |info| -> ocl::Result<u64> { Ok(event.profiling_info(info)?.time()?) };
    let start = nanos(ProfilingInfo::Start)?;
    let end = nanos(ProfilingInfo::End)?;
    Ok(Duration::from_nanos(end.saturating_sub(start)))
}

/// The same command from the moment it was queued to its end: its run plus
/// the launch overhead (and any wait for commands queued before it).
fn queued_to_end(event: &Event) -> ocl::Result<Duration> {
    event.wait_for()?;
    let nanos = |info| -> ocl::Result<u64> { Ok(event.profiling_info(info)?.time()?) };
    let queued = nanos(ProfilingInfo::Queued)?;
    let end = nanos(ProfilingInfo::End)?;
    Ok(Duration::from_nanos(end.saturating_sub(queued)))
}
// ANCHOR_END: profiled

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

/// The CPU reference the device's result is checked against.
mod reference {
    /// `a + b`, element by element, in f32. IEEE 754 rounds a sum correctly,
    /// so a device must match it bit for bit.
    pub fn vector_add(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(&x, &y)| x + y).collect()
    }
}

/// Bytes per second as `12.34 GB/s` (10^9 bytes, as memory datasheets count).
fn gb_per_s(bytes: usize, seconds: f64) -> String {
    format!("{:.2} GB/s", bytes as f64 / seconds / 1e9)
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
