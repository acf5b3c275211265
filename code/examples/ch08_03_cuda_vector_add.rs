//! Recipe 8.3: launching a kernel with CUDA (`cust`). Load the PTX compiled
//! from kernels/vector_add.cu, copy the inputs, launch one thread per element
//! on a grid of blocks, copy the result back and check it against the CPU.
//! Its twin on OpenCL, which runs anywhere, is recipe 8.7.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels writes
//! it to target/ptx). Run from the repository's root:
//!   cargo run --release -p cookbook --features cuda --example ch08_03_cuda_vector_add
//!   [-- --len 1000000 --block 256 --ptx target/ptx]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate cust;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use cust::prelude::*;
use std::error::Error;
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// Adds two vectors of floats on the first CUDA device and checks every sum.
#[derive(Parser)]
struct Args {
    /// Elements per vector. At most 2^26 = 67108864: 256 MiB per buffer.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1 << 26))]
    len: usize,
    /// Threads per block, at most 1024 (the most a CUDA block can have).
    #[arg(long, default_value_t = 256,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    block: usize,
    /// The folder holding vector_add.ptx (kernels/vector_add.cu compiled to PTX).
    #[arg(long, default_value = "target/ptx")]
    ptx: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Args { len, block, ptx } = parse_args();
    let n = u32::try_from(len).expect("--len is at most 2^26");

    // ANCHOR: setup
    let (device, _context) = first_device();
    let module = load_module(&ptx, "vector_add"); // target/ptx/vector_add.ptx
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    println!("device: {}", device.name()?);
    // ANCHOR_END: setup

    // ANCHOR: launch
    let a = random_floats(len, 1);
    let b = random_floats(len, 2);
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

// ANCHOR: cuda_init
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

/// Loads `<ptx>/<name>.ptx`, the kernel file `kernels/<name>.cu` compiled to
/// PTX, which the driver compiles for the GPU it runs on.
fn load_module(ptx: &Path, name: &str) -> Module {
    let path = ptx.join(format!("{name}.ptx"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        fail(format!(
            "cannot read {} ({e}): compile the kernels first with scripts/check-kernels \
             (or: nvcc -ptx -arch=compute_70 kernels/{name}.cu -o {}), or give --ptx \
             the folder that holds {name}.ptx",
            path.display(),
            path.display()
        ))
    });
    // NVRTC 12.9 writes PTX ISA 8.8, which only a driver for CUDA 12.9 or
    // newer (R575 and later) understands; an older one refuses the module.
    Module::from_ptx(text, &[]).unwrap_or_else(|e| {
        fail(format!(
            "the driver rejected {} ({e}); if that is an unsupported PTX version, the \
             driver is older than CUDA 12.9 (R575): update it, or write the PTX with the \
             nvcc of a toolkit no newer than the driver: nvcc -ptx -arch=compute_70 \
             kernels/{name}.cu -o {}",
            path.display(),
            path.display()
        ))
    })
}
// ANCHOR_END: cuda_init

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

/// The CPU reference the device's result is checked against.
mod reference {
    /// `a + b`, element by element, in f32. IEEE 754 rounds a sum correctly,
    /// so a device must match it bit for bit.
    pub fn vector_add(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(&x, &y)| x + y).collect()
    }
}

/// Prints `error: <message>` and exits with status 1: the machine lacks what
/// the listing needs (a CUDA driver, a device, a compiled kernel).
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
