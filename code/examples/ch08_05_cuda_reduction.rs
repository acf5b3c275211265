//! Recipe 8.5: a reduction on a CUDA device, the dot product as map (x * y)
//! and reduce (+): the naive tree of launches in global memory, then a tree in
//! each block's shared memory; both checked against the CPU and timed with
//! CUDA events. The OpenCL twin is ch08_05_opencl_reduction.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels). Run:
//!   cargo run --release -p cookbook --features cuda --example ch08_05_cuda_reduction
//!   [-- --len 2097152 --groups 64 --block 256]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, reference};
use cookbook::measure::{ms, speedup};
use cust::prelude::*;
use std::error::Error;
use std::time::Duration;

const BLOCK: u32 = 256;

// ANCHOR: naive
/// Products into a scratch buffer, then about log2(n) launches that each add
/// the upper half onto the lower half. Returns the sum, the launches and the
/// time between events recorded around them.
fn naive_dot(
    module: &Module,
    stream: &Stream,
    (x, y): (&DeviceBuffer<f32>, &DeviceBuffer<f32>),
    n: u32,
) -> Result<(f64, usize, Duration), Box<dyn Error>> {
    let products = DeviceBuffer::<f32>::zeroed(n as usize)?;
    let (start, end) = (
        Event::new(EventFlags::DEFAULT)?,
        Event::new(EventFlags::DEFAULT)?,
    );
    start.record(stream)?;
    let mut launches = 1;
    // SAFETY: every buffer holds n floats; the kernels index below n, and
    // add_halves touches only indices below `len`.
    unsafe {
        launch!(module.multiply<<<n.div_ceil(BLOCK), BLOCK, 0, stream>>>(
            x.as_device_ptr(),
            y.as_device_ptr(),
            products.as_device_ptr(),
            n
        ))?;
        let mut len = n;
        while len > 1 {
            let upper = len.div_ceil(2);
            launch!(module.add_halves<<<(len - upper).div_ceil(BLOCK), BLOCK, 0, stream>>>(
                products.as_device_ptr(),
                len
            ))?;
            launches += 1;
            len = upper;
        }
    }
    end.record(stream)?;
    end.synchronize()?;
    let mut sum = [0.0f32];
    products.index(0..1).copy_to(&mut sum[..])?;
    Ok((f64::from(sum[0]), launches, end.elapsed(&start)?))
}
// ANCHOR_END: naive

// ANCHOR: tree
/// One launch of `groups` blocks of `block` threads, each block with `block`
/// floats of shared memory; each block writes one partial sum, which the host
/// adds.
fn tree_dot(
    module: &Module,
    stream: &Stream,
    (x, y): (&DeviceBuffer<f32>, &DeviceBuffer<f32>),
    n: u32,
    (groups, block): (u32, u32),
) -> Result<(f64, Duration), Box<dyn Error>> {
    let partial = DeviceBuffer::<f32>::zeroed(groups as usize)?;
    let shared_bytes = block * std::mem::size_of::<f32>() as u32;
    let (start, end) = (
        Event::new(EventFlags::DEFAULT)?,
        Event::new(EventFlags::DEFAULT)?,
    );
    start.record(stream)?;
    // SAFETY: x and y hold n floats, `partial` one per block, and the shared
    // memory one float per thread, as the kernel expects.
    unsafe {
        launch!(module.dot_partial<<<groups, block, shared_bytes, stream>>>(
            x.as_device_ptr(),
            y.as_device_ptr(),
            partial.as_device_ptr(),
            n
        ))?;
    }
    end.record(stream)?;
    end.synchronize()?;
    let mut sums = vec![0.0f32; groups as usize];
    partial.copy_to(&mut sums)?;
    Ok((
        sums.iter().map(|&s| f64::from(s)).sum(),
        end.elapsed(&start)?,
    ))
}
// ANCHOR_END: tree

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::from_env(&[("len", "2097152"), ("groups", "64"), ("block", "256")]);
    let len = options.positive("len");
    gpu::at_most(
        "len",
        len,
        gpu::MAX_DOT_LEN,
        "beyond it the sum may pass 2^24",
    );
    let groups = options.positive("groups");
    gpu::at_most(
        "groups",
        groups,
        1 << 16,
        "a few per multiprocessor is plenty",
    );
    let block = options.positive("block");
    let n = u32::try_from(len).unwrap_or_else(|_| cli::fail("--len must fit in 32 bits"));
    if !block.is_power_of_two() || block > 1024 {
        cli::fail("--block must be a power of two, at most 1024");
    }
    let shape = (groups as u32, block as u32);

    // ANCHOR: main
    let (device, _context) = gpu::cuda::first_device();
    let module = gpu::cuda::load_module("reduction");
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    // Whole numbers 1 to 3: every partial sum is a whole number below 2^24,
    // which f32 holds exactly, so any order of additions gives the same sum.
    let x = gpu::small_whole_numbers(len, 1);
    let y = gpu::small_whole_numbers(len, 2);
    let (x_dev, y_dev) = (DeviceBuffer::from_slice(&x)?, DeviceBuffer::from_slice(&y)?);
    let want = reference::dot(&x, &y);
    if want >= gpu::F32_EXACT_INTEGERS {
        cli::fail("--len is too large: the sum would pass 2^24, where f32 sums stop being exact");
    }
    println!(
        "dot product of {len} whole numbers 1 to 3 on {}; the CPU's sum: {want}",
        device.name()?
    );

    // A first run of each warms up the device (clocks, caches, the module's
    // first use); the second is the one reported.
    naive_dot(&module, &stream, (&x_dev, &y_dev), n)?;
    let (naive, launches, naive_time) = naive_dot(&module, &stream, (&x_dev, &y_dev), n)?;
    tree_dot(&module, &stream, (&x_dev, &y_dev), n, shape)?;
    let (tree, tree_time) = tree_dot(&module, &stream, (&x_dev, &y_dev), n, shape)?;
    assert_eq!(naive, want, "the naive reduction lost or doubled something");
    assert_eq!(tree, want, "the tree reduction lost or doubled something");
    println!(
        "naive, global memory: {launches} launches               {:>10}  exact",
        ms(naive_time)
    );
    println!(
        "tree, shared memory:  1 launch, {groups} blocks of {block}  {:>10}  exact",
        ms(tree_time)
    );
    println!(
        "tree vs naive on this device: {} the speed",
        speedup(naive_time, tree_time)
    );
    // ANCHOR_END: main
    Ok(())
}
