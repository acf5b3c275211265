//! Recipe 8.2: device memory with OpenCL. Allocate buffers, copy host to
//! device and back, copy on the device, use host-accessible ("pinned") memory
//! through a mapping, and see the errors a bad size gives.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_02_opencl_memory [-- --mib 64]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ocl::enums::{DeviceInfo, DeviceInfoResult};
use ocl::{Buffer, Context, Device, Platform, Queue, flags};
use std::fmt::Display;

/// Copies buffers between the host and the first OpenCL device, and shows
/// the errors bad sizes give.
#[derive(Parser)]
struct Args {
    /// Size of each buffer, in MiB. At most 256 (the listing holds several
    /// buffers of that size), and no more than the device's largest buffer.
    #[arg(long, default_value_t = 64,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    mib: usize,
}

fn main() -> ocl::Result<()> {
    let Args { mib } = parse_args();
    let (platform, device) = first_device();
    check_buffer_len::<f32>(&device, "mib", mib << 18);
    let context = Context::builder()
        .platform(platform)
        .devices(device)
        .build()?;
    let queue = Queue::new(&context, device, None)?;

    // ANCHOR: round_trip
    let len = mib << 18; // 2^18 four-byte floats make a MiB
    let host = random_floats(len, 1);
    // Allocate on the device and copy the host data in, in one step.
    let on_device = Buffer::<f32>::builder()
        .queue(queue.clone())
        .flags(flags::MEM_READ_ONLY)
        .len(len)
        .copy_host_slice(&host)
        .build()?;
    // A second buffer, filled by a copy that never leaves the device.
    let copy = Buffer::<f32>::builder()
        .queue(queue.clone())
        .len(len)
        .build()?;
    on_device.copy(&copy, None, None).enq()?;
    let mut back = vec![0.0f32; len];
    copy.read(&mut back).enq()?; // blocks until the data is in `back`
    assert_eq!(back, host, "the round trip changed the data");
    println!("round trip: {len} floats ({mib} MiB) host -> device -> device -> host, identical");
    // ANCHOR_END: round_trip

    // ANCHOR: pinned
    // Memory the device can reach directly and the host can map: the OpenCL
    // counterpart of CUDA's pinned (page-locked) host memory.
    let pinned = Buffer::<f32>::builder()
        .queue(queue.clone())
        .flags(flags::MEM_ALLOC_HOST_PTR)
        .len(len)
        .build()?;
    // SAFETY: no kernel or transfer uses `pinned` while the mapping lives.
    let mut mapped = unsafe { pinned.map().write_invalidate().enq()? };
    mapped.copy_from_slice(&host);
    mapped.unmap().enq()?;
    pinned.read(&mut back).enq()?;
    assert_eq!(back, host, "the mapped write did not reach the buffer");
    println!("mapped buffer: written through a host mapping, read back identical");
    // ANCHOR_END: pinned

    // ANCHOR: errors
    let largest = match device.info(DeviceInfo::MaxMemAllocSize)? {
        DeviceInfoResult::MaxMemAllocSize(bytes) => bytes as usize,
        other => panic!("asked for the largest buffer, got {other:?}"),
    };
    println!("largest buffer the device allows: {} MiB", largest >> 20);
    let too_big = Buffer::<u8>::builder()
        .queue(queue.clone())
        .len(largest + 1)
        .build();
    let status = too_big.err().and_then(|e| e.api_status());
    println!("allocating {} MiB + 1 byte: {status:?}", largest >> 20);
    assert!(status.is_some(), "an oversized buffer must be refused");

    let mut too_long = vec![0.0f32; len + 1];
    let refused = copy.read(&mut too_long).enq().err();
    let refused = refused.expect("reading past the end must be refused");
    println!(
        "reading {} floats from a buffer of {len}: {refused}",
        len + 1
    );
    // ANCHOR_END: errors
    Ok(())
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
