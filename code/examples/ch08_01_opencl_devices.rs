//! Recipe 8.1: querying OpenCL platforms and devices. Every platform (driver)
//! the ICD loader finds, and every device of each, with the properties that
//! decide how to launch work on it.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_01_opencl_devices

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;

use clap::Parser;
use ocl::enums::{DeviceInfo, DeviceInfoResult, PlatformInfo};
use ocl::{Device, Platform};
use std::fmt::Display;

// ANCHOR: query
fn describe_platform(platform: &Platform) -> ocl::Result<()> {
    println!("platform: {}", platform.name()?);
    println!("  vendor:  {}", platform.vendor()?);
    println!("  version: {}", platform.info(PlatformInfo::Version)?);
    Ok(())
}

fn describe_device(device: &Device) -> ocl::Result<()> {
    let info = |kind| device.info(kind);
    println!("  device: {}", device.name()?);
    println!("    type:                  {}", info(DeviceInfo::Type)?);
    println!(
        "    OpenCL C:              {}",
        info(DeviceInfo::OpenclCVersion)?
    );
    println!(
        "    compute units:         {}",
        info(DeviceInfo::MaxComputeUnits)?
    );
    println!(
        "    max work-group size:   {}",
        info(DeviceInfo::MaxWorkGroupSize)?
    );
    println!(
        "    preferred float lanes: {}",
        info(DeviceInfo::PreferredVectorWidthFloat)?
    );
    let gib = |kind| Ok::<_, ocl::Error>(bytes(device, kind)? as f64 / f64::from(1 << 30));
    println!(
        "    global memory:         {:.2} GiB",
        gib(DeviceInfo::GlobalMemSize)?
    );
    println!(
        "    largest buffer:        {:.2} GiB",
        gib(DeviceInfo::MaxMemAllocSize)?
    );
    println!(
        "    local memory:          {} KiB",
        bytes(device, DeviceInfo::LocalMemSize)? >> 10
    );
    Ok(())
}

/// A memory size the device reports, in bytes.
fn bytes(device: &Device, kind: DeviceInfo) -> ocl::Result<u64> {
    match device.info(kind)? {
        DeviceInfoResult::GlobalMemSize(bytes)
        | DeviceInfoResult::MaxMemAllocSize(bytes)
        | DeviceInfoResult::LocalMemSize(bytes) => Ok(bytes),
        other => panic!("{other:?} is not a memory size"),
    }
}
// ANCHOR_END: query

/// Lists every OpenCL platform and device with the properties that matter.
#[derive(Parser)]
struct Args {}

// ANCHOR: main
fn main() -> ocl::Result<()> {
    let Args {} = parse_args();
    // Not `Platform::list()`: it panics when no driver is installed.
    let platforms = platforms().unwrap_or_else(|e| fail(e));
    if platforms.is_empty() {
        fail(NO_PLATFORM);
    }
    let mut devices = 0;
    for platform in &platforms {
        describe_platform(platform)?;
        for device in Device::list_all(platform)? {
            describe_device(&device)?;
            devices += 1;
        }
    }
    println!("{} platform(s), {devices} device(s)", platforms.len());
    assert!(devices > 0, "no platform has a device to run a kernel on");
    Ok(())
}
// ANCHOR_END: main

// ANCHOR: platforms
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

/// Prints `error: <message>` and exits with status 1: the machine lacks what
/// the listing needs.
fn fail(message: impl Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}
// ANCHOR_END: platforms

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
