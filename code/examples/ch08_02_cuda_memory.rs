//! Recipe 8.2: device memory with CUDA (`cust`). Allocate, copy host to device
//! and back, copy on the device, pinned (page-locked) host memory for fast
//! asynchronous copies, the free and total memory, and the error an impossible
//! allocation gives.
//!
//! Needs an NVIDIA GPU and driver. Build and run:
//!   cargo run --release -p cookbook --features cuda --example ch08_02_cuda_memory [-- --mib 64]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate cust;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use cust::memory::{AsyncCopyDestination, LockedBuffer, mem_get_info};
use cust::prelude::*;
use std::error::Error;
use std::fmt::Display;

/// Copies buffers between the host and the first CUDA device, and shows the
/// error an impossible allocation gives.
#[derive(Parser)]
struct Args {
    /// Size of each buffer, in MiB. At most 256: the listing holds several
    /// buffers of that size.
    #[arg(long, default_value_t = 64,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    mib: usize,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Args { mib } = parse_args();
    // The context must live as long as anything allocated on the device.
    let (_device, _context) = first_device();

    // ANCHOR: round_trip
    let len = mib << 18; // 2^18 four-byte floats make a MiB
    let host = random_floats(len, 1);
    let on_device = DeviceBuffer::from_slice(&host)?; // cuMemAlloc + cuMemcpyHtoD
    let mut copy = DeviceBuffer::<f32>::zeroed(len)?;
    copy.copy_from(&on_device)?; // device to device: never crosses the bus
    let mut back = vec![0.0f32; len];
    copy.copy_to(&mut back)?; // blocks until the data is in `back`
    assert_eq!(back, host, "the round trip changed the data");
    println!("round trip: {len} floats ({mib} MiB) host -> device -> device -> host, identical");
    // ANCHOR_END: round_trip

    // ANCHOR: pinned
    // Page-locked host memory: the GPU's copy engine reads it directly (DMA),
    // so copies from it are faster and can run asynchronously on a stream.
    let mut pinned = LockedBuffer::new(&0.0f32, len)?;
    pinned.copy_from_slice(&host);
    // A stream with default flags waits for work on the legacy default stream,
    // where `zeroed`'s memset runs; a NON_BLOCKING one would not.
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    let mut from_pinned = DeviceBuffer::<f32>::zeroed(len)?;
    // SAFETY: neither buffer is touched by the host until the stream is done.
    unsafe { from_pinned.async_copy_from(&pinned, &stream)? };
    stream.synchronize()?;
    from_pinned.copy_to(&mut back)?;
    assert_eq!(back, host, "the copy from pinned memory changed the data");
    println!("pinned buffer: copied asynchronously on a stream, identical");
    // ANCHOR_END: pinned

    // ANCHOR: errors
    let (free, total) = mem_get_info()?;
    println!(
        "device memory: {} MiB free of {} MiB",
        free >> 20,
        total >> 20
    );
    let impossible = DeviceBuffer::<u8>::zeroed(total + 1).err();
    println!("allocating {} MiB + 1 byte: {impossible:?}", total >> 20);
    assert!(
        impossible.is_some(),
        "more than the device has must be refused"
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

/// Initialises the driver and makes a context on the first device, or ends
/// with a one-line error and exit status 1. (Without the NVIDIA driver at all
/// the program cannot start: it links `libcuda`, and the system's loader
/// refuses to run it.)
fn first_device() -> (Device, Context) {
    cust::init(CudaFlags::empty())
        .unwrap_or_else(|e| fail(format!("no CUDA driver: cuInit failed: {e}")));
    match Device::num_devices() {
        Ok(0) | Err(_) => fail("no CUDA device found"),
        Ok(_) => {}
    }
    let device = Device::get_device(0).unwrap_or_else(|e| fail(e));
    let context = Context::new(device).unwrap_or_else(|e| fail(e));
    (device, context)
}

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
