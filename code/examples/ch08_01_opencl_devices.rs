//! Recipe 8.1: querying OpenCL platforms and devices. Every platform (driver)
//! the ICD loader finds, and every device of each, with the properties that
//! decide how to launch work on it.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_01_opencl_devices

use cookbook::cli::Options;
use cookbook::gpu::{self, opencl};
use ocl::enums::{DeviceInfo, DeviceInfoResult, PlatformInfo};
use ocl::{Device, Platform};

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

// ANCHOR: main
fn main() -> ocl::Result<()> {
    Options::from_env(&[]);
    // Not `Platform::list()`: it panics when no driver is installed.
    let platforms = opencl::platforms().unwrap_or_else(|e| gpu::fail(e));
    if platforms.is_empty() {
        gpu::fail(opencl::NO_PLATFORM);
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
