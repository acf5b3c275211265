//! Recipe 8.2: device memory with OpenCL. Allocate buffers, copy host to
//! device and back, copy on the device, use host-accessible ("pinned") memory
//! through a mapping, and see the errors a bad size gives.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_02_opencl_memory [-- --mib 64]

use cookbook::cli::Options;
use cookbook::gpu::{self, opencl};
use ocl::enums::{DeviceInfo, DeviceInfoResult};
use ocl::{Buffer, Context, Queue, flags};

fn main() -> ocl::Result<()> {
    let options = Options::from_env(&[("mib", "64")]);
    let mib = options.positive("mib");
    gpu::at_most(
        "mib",
        mib,
        256,
        "the listing holds several buffers of that size",
    );
    let (platform, device) = opencl::first_device();
    opencl::check_buffer_len::<f32>(&device, "mib", mib << 18);
    let context = Context::builder()
        .platform(platform)
        .devices(device)
        .build()?;
    let queue = Queue::new(&context, device, None)?;

    // ANCHOR: round_trip
    let len = mib << 18; // 2^18 four-byte floats make a MiB
    let host = gpu::random_floats(len, 1);
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
