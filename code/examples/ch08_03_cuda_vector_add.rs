//! Recipe 8.3: launching a kernel with CUDA (`cust`). Load the PTX compiled
//! from kernels/vector_add.cu, copy the inputs, launch one thread per element
//! on a grid of blocks, copy the result back and check it against the CPU.
//! Its twin on OpenCL, which runs anywhere, is recipe 8.7.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels). Run:
//!   cargo run --release -p cookbook --features cuda --example ch08_03_cuda_vector_add
//!   [-- --len 1000000 --block 256]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, reference};
use cust::prelude::*;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::from_env(&[("len", "1000000"), ("block", "256")]);
    let len = gpu::at_most(
        "len",
        options.positive("len"),
        gpu::MAX_LEN,
        "256 MiB per buffer",
    );
    let block = options.positive("block");
    let n = u32::try_from(len).unwrap_or_else(|_| cli::fail("--len must fit in 32 bits"));
    if block > 1024 {
        cli::fail("--block must be at most 1024 (the most threads a CUDA block can have)");
    }

    // ANCHOR: setup
    let (device, _context) = gpu::cuda::first_device();
    let module = gpu::cuda::load_module("vector_add"); // target/ptx/vector_add.ptx
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    println!("device: {}", device.name()?);
    // ANCHOR_END: setup

    // ANCHOR: launch
    let a = gpu::random_floats(len, 1);
    let b = gpu::random_floats(len, 2);
    let a_dev = DeviceBuffer::from_slice(&a)?;
    let b_dev = DeviceBuffer::from_slice(&b)?;
    let c_dev = DeviceBuffer::<f32>::zeroed(len)?;
    // Enough blocks to cover every element; the kernel's `if (i < n)` idles
    // the threads of the last block that fall past the end.
    let grid = len.div_ceil(block) as u32;
    // SAFETY: the arguments match the kernel's parameters in number, order
    // and type, and the kernel touches only indices below n.
    unsafe {
        launch!(module.vector_add<<<grid, block as u32, 0, stream>>>(
            a_dev.as_device_ptr(),
            b_dev.as_device_ptr(),
            c_dev.as_device_ptr(),
            n
        ))?;
    }
    stream.synchronize()?; // launches are asynchronous: wait, and see errors
    let mut c = vec![0.0f32; len];
    c_dev.copy_to(&mut c)?;
    // ANCHOR_END: launch

    // ANCHOR: check
    println!(
        "{len} elements, blocks of {block}: grid of {grid} blocks, {} idle threads",
        grid as usize * block - len
    );
    assert!(
        c == reference::vector_add(&a, &b),
        "c = a + b differs from the CPU"
    );
    println!("c = a + b matches the CPU's f32 sums bit for bit");
    // ANCHOR_END: check
    Ok(())
}
