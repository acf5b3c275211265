//! Recipe 8.5: a reduction on the device, the dot product as map (x * y) and
//! reduce (+). First the naive way, a tree of launches in global memory, then
//! a tree inside each work-group in local memory; both checked against the CPU
//! and timed with the queue's profiling events.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_05_opencl_reduction
//!      [-- --len 2097152 --groups 64 --local 256 --runs 5]
//! The kernels, kernels/reduction.cl, are compiled into the program.

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ocl::enums::{DeviceInfo, DeviceInfoResult, ProfilingInfo};
use ocl::{Buffer, Device, Event, Platform, ProQue, flags};
use std::fmt::Display;
use std::time::Duration;

const SOURCE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/kernels/reduction.cl"));

// ANCHOR: naive
/// Products into a scratch buffer, then about log2(n) launches that each add
/// the upper half onto the lower half. Returns the sum, the launches and the
/// time the device spent in them.
fn naive_dot(
    pro_que: &ProQue,
    x: &Buffer<f32>,
    y: &Buffer<f32>,
    n: u32,
) -> ocl::Result<(f64, usize, Duration)> {
    let products = pro_que.create_buffer::<f32>()?;
    let multiply = pro_que
        .kernel_builder("multiply")
        .arg(x)
        .arg(y)
        .arg(&products)
        .arg(n)
        .build()?;
    let add_halves = pro_que
        .kernel_builder("add_halves")
        .arg(&products)
        .arg_named("len", n)
        .build()?;
    let mut events = vec![Event::empty()];
    // SAFETY: the buffers have n elements; the kernels stay below n.
    unsafe { multiply.cmd().enew(&mut events[0]).enq()? };
    let mut len = n;
    while len > 1 {
        let half = len.div_ceil(2);
        add_halves.set_arg("len", len)?;
        let mut event = Event::empty();
        // SAFETY: work-item i adds element i + half < len onto element i.
        unsafe {
            let cmd = add_halves.cmd().global_work_size((len - half) as usize);
            cmd.enew(&mut event).enq()?;
        }
        events.push(event);
        len = half;
    }
    let mut sum = [0.0f32];
    products.read(&mut sum[..]).len(1).enq()?;
    let time = events.iter().map(profiled).sum::<ocl::Result<Duration>>()?;
    Ok((f64::from(sum[0]), events.len(), time))
}
// ANCHOR_END: naive

// ANCHOR: tree
/// One launch of `groups` work-groups of `local` work-items: each work-group
/// reduces its share in local memory and writes one partial sum. The host adds
/// the few partial sums.
fn tree_dot(
    pro_que: &ProQue,
    x: &Buffer<f32>,
    y: &Buffer<f32>,
    n: u32,
    (groups, local): (usize, usize),
) -> ocl::Result<(f64, Duration)> {
    let partial = pro_que.buffer_builder::<f32>().len(groups).build()?;
    let kernel = pro_que
        .kernel_builder("dot_partial")
        .arg(x)
        .arg(y)
        .arg(&partial)
        .arg(n)
        .arg_local::<f32>(local) // `sums`: one float per work-item
        .global_work_size(groups * local)
        .local_work_size(local)
        .build()?;
    let mut event = Event::empty();
    // SAFETY: the kernel reads x and y below n and writes one partial sum per
    // work-group into a buffer of `groups` elements.
    unsafe { kernel.cmd().enew(&mut event).enq()? };
    let mut sums = vec![0.0f32; groups];
    partial.read(&mut sums).enq()?;
    let total = sums.iter().map(|&s| f64::from(s)).sum();
    Ok((total, profiled(&event)?))
}
// ANCHOR_END: tree

/// A dot product on the first OpenCL device: a tree of launches in global
/// memory against a tree in each work-group's local memory.
#[derive(Parser)]
struct Args {
    /// Elements per vector. At most 4000000: the products average 4, and
    /// beyond that their sum may pass 2^24, where f32 sums stop being exact.
    #[arg(long, default_value_t = 2_097_152,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=4_000_000))]
    len: usize,
    /// Work-groups of the tree reduction; a few per compute unit is plenty.
    /// At most 4096: with 1024 work-items each, that is already one work-item
    /// per element at the largest --len.
    #[arg(long, default_value_t = 64,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=4096))]
    groups: usize,
    /// Work-items per work-group: a power of two (the tree halves it), no
    /// more than the device's largest work-group.
    #[arg(long, default_value_t = 256, value_parser = power_of_two)]
    local: usize,
    /// Runs of each version; the fastest is shown.
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100))]
    runs: usize,
}

fn main() -> ocl::Result<()> {
    let Args {
        len,
        groups,
        local,
        runs,
    } = parse_args();
    let n = u32::try_from(len).expect("--len is at most 4000000");

    // ANCHOR: main
    let (platform, device) = first_device();
    check_local_size(&device, "local", local);
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(len)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    // Whole numbers 1 to 3: every partial sum is a whole number below 2^24,
    // which f32 holds exactly, so any order of additions gives the same sum.
    let x = small_whole_numbers(len, 1);
    let y = small_whole_numbers(len, 2);
    let input = |data: &[f32]| pro_que.buffer_builder().copy_host_slice(data).build();
    let (x_dev, y_dev) = (input(&x)?, input(&y)?);
    let want = reference::dot(&x, &y);
    if want >= F32_EXACT_INTEGERS {
        usage_error("--len is too large: the sum would pass 2^24, where f32 sums stop being exact");
    }
    println!("dot product of {len} whole numbers 1 to 3; the CPU's sum: {want}");

    // The fastest of `runs` runs: the device is shared with everything else.
    let (mut naive_times, mut tree_times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (naive, launches, time) = naive_dot(&pro_que, &x_dev, &y_dev, n)?;
        assert_eq!(naive, want, "the naive reduction lost or doubled something");
        naive_times.push((time, launches));
        let (tree, time) = tree_dot(&pro_que, &x_dev, &y_dev, n, (groups, local))?;
        assert_eq!(tree, want, "the tree reduction lost or doubled something");
        tree_times.push(time);
    }
    let (naive_time, launches) = *naive_times.iter().min().expect("runs > 0");
    let tree_time = *tree_times.iter().min().expect("runs > 0");
    println!(
        "naive, global memory: {:<27}{:>10}  exact",
        if launches == 1 {
            "1 launch".to_owned()
        } else {
            format!("{launches} launches")
        },
        ms(naive_time)
    );
    println!(
        "tree, local memory:   1 launch, {groups} groups of {local}  {:>10}  exact",
        ms(tree_time)
    );
    println!(
        "tree vs naive on this device: {} the speed",
        speedup(naive_time, tree_time)
    );
    // ANCHOR_END: main
    Ok(())
}

/// `--local`'s value: a power of two from 1 to 65536.
fn power_of_two(text: &str) -> Result<usize, String> {
    let value: usize = text.parse().map_err(|e| format!("{e}"))?;
    match value.is_power_of_two() && value <= 65536 {
        true => Ok(value),
        false => Err(format!(
            "{value} is not a power of two from 1 to 65536 (the tree halves it)"
        )),
    }
}

/// 2^24: below it every whole number is exactly an f32; above, not all are.
const F32_EXACT_INTEGERS: f64 = 16_777_216.0;

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

/// `len` pseudo-random whole numbers 1 to 3, as floats. Every sum of them
/// below 2^24 is a whole number an f32 holds exactly, so a reduction of them
/// gives the exact answer in any order, and can be checked for equality. No
/// zeros: a product of two of them is never 0, so every lost or doubled
/// element changes a dot product.
fn small_whole_numbers(len: usize, seed: u64) -> Vec<f32> {
    random_floats(len, seed)
        .into_iter()
        .map(|u| (u * 3.0).floor() + 1.0)
        .collect()
}

/// The CPU references the device's results are checked against, in f64, so
/// they are more accurate than the f32 results they check.
mod reference {
    /// The dot product: the map (`x * y`) and the reduction (`+`).
    pub fn dot(x: &[f32], y: &[f32]) -> f64 {
        x.iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum()
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

/// Refuses, with one line and exit status 2, a `--name` work-group size larger
/// than the device can run; the driver's own refusal would come only at the
/// launch, as a multi-line error.
fn check_local_size(device: &Device, name: &str, local: usize) {
    let max = match device.info(DeviceInfo::MaxWorkGroupSize) {
        Ok(DeviceInfoResult::MaxWorkGroupSize(size)) => size,
        other => fail(format!(
            "cannot read the device's MaxWorkGroupSize: {other:?}"
        )),
    };
    if local > max {
        usage_error(format_args!(
            "--{name} {local} is larger than the device's largest work-group ({max})"
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
