//! Recipe 8.2: device memory with CUDA (`cust`). Allocate, copy host to device
//! and back, copy on the device, pinned (page-locked) host memory for fast
//! asynchronous copies, the free and total memory, and the error an impossible
//! allocation gives.
//!
//! Needs an NVIDIA GPU and driver. Build and run:
//!   cargo run --release -p cookbook --features cuda --example ch08_02_cuda_memory [-- --mib 64]

use cookbook::cli::Options;
use cookbook::gpu;
use cust::memory::{AsyncCopyDestination, LockedBuffer, mem_get_info};
use cust::prelude::*;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::from_env(&[("mib", "64")]);
    let mib = options.positive("mib");
    gpu::at_most(
        "mib",
        mib,
        256,
        "the listing holds several buffers of that size",
    );
    // The context must live as long as anything allocated on the device.
    let (_device, _context) = gpu::cuda::first_device();

    // ANCHOR: round_trip
    let len = mib << 18; // 2^18 four-byte floats make a MiB
    let host = gpu::random_floats(len, 1);
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
