//! Recipe 8.1: querying CUDA devices with the driver API (`cust`): how many
//! there are and, for each, the properties that decide how to launch work on
//! it, including its peak memory bandwidth computed from its own attributes.
//!
//! Needs an NVIDIA GPU and driver. Build and run:
//!   cargo run --release -p cookbook --features cuda --example ch08_01_cuda_devices

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate cust;

use clap::Parser;
use cust::CudaApiVersion;
use cust::device::DeviceAttribute;
use cust::prelude::*;
use std::error::Error;
use std::fmt::Display;

// ANCHOR: query
fn describe(ordinal: usize, device: Device) -> Result<(), Box<dyn Error>> {
    let attribute = |kind| device.get_attribute(kind);
    println!("device {ordinal}: {}", device.name()?);
    println!(
        "  compute capability:      {}.{}",
        attribute(DeviceAttribute::ComputeCapabilityMajor)?,
        attribute(DeviceAttribute::ComputeCapabilityMinor)?
    );
    println!(
        "  multiprocessors (SMs):   {}",
        attribute(DeviceAttribute::MultiprocessorCount)?
    );
    println!(
        "  warp size:               {}",
        attribute(DeviceAttribute::WarpSize)?
    );
    println!(
        "  max threads per block:   {}",
        attribute(DeviceAttribute::MaxThreadsPerBlock)?
    );
    println!(
        "  shared memory per block: {} KiB",
        attribute(DeviceAttribute::MaxSharedMemoryPerBlock)? >> 10
    );
    let memory = device.total_memory()?;
    println!(
        "  global memory:           {:.2} GiB",
        memory as f64 / f64::from(1 << 30)
    );
    // Double data rate: two transfers per clock (in kHz) over a bus of so many bits.
    let clock_khz = f64::from(attribute(DeviceAttribute::MemoryClockRate)?);
    let bus_bits = f64::from(attribute(DeviceAttribute::GlobalMemoryBusWidth)?);
    let peak = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
    println!("  peak memory bandwidth:   {:.0} GB/s", peak / 1e9);
    Ok(())
}
// ANCHOR_END: query

/// Lists the CUDA devices with the attributes that matter.
#[derive(Parser)]
struct Args {}

// ANCHOR: main
fn main() -> Result<(), Box<dyn Error>> {
    let Args {} = parse_args();
    // cuInit fails when there is a driver but no usable device (or the
    // driver is broken); without a driver the program does not start at all.
    cust::init(CudaFlags::empty())
        .unwrap_or_else(|e| fail(format!("no CUDA driver or device: cuInit failed: {e}")));
    let version = CudaApiVersion::get()?;
    println!("CUDA driver API {}.{}", version.major(), version.minor());
    let count = Device::num_devices()?;
    if count == 0 {
        fail("no CUDA device found");
    }
    for (ordinal, device) in Device::devices()?.enumerate() {
        describe(ordinal, device?)?;
    }
    println!("{count} device(s)");
    Ok(())
}
// ANCHOR_END: main

/// Prints `error: <message>` and exits with status 1: the machine lacks what
/// the listing needs (a CUDA driver, a device).
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
