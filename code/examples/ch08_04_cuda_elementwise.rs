//! Recipe 8.4: element-wise kernels with CUDA (`cust`): SAXPY and the radius
//! sqrt(x^2 + y^2), both instances of one generic grid-stride loop in
//! kernels/elementwise.cu, checked against the CPU. The OpenCL twin is
//! ch08_04_opencl_elementwise.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels writes
//! it to target/ptx). Run from the repository's root:
//!   cargo run --release -p cookbook --features cuda --example ch08_04_cuda_elementwise
//!   [-- --len 1000000 --ptx target/ptx]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate cust;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use cust::prelude::*;
use std::error::Error;
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// SAXPY and the radius, element by element on the first CUDA device.
#[derive(Parser)]
struct Args {
    /// Elements per vector. At most 2^26 = 67108864: 256 MiB per buffer.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1 << 26))]
    len: usize,
    /// The folder holding elementwise.ptx (kernels/elementwise.cu compiled to PTX).
    #[arg(long, default_value = "target/ptx")]
    ptx: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Args { len, ptx } = parse_args();
    let n = u32::try_from(len).expect("--len is at most 2^26");

    let (device, _context) = first_device();
    let module = load_module(&ptx, "elementwise");
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;

    // ANCHOR: launch
    let x = random_floats(len, 1);
    let y = random_floats(len, 2);
    let x_dev = DeviceBuffer::from_slice(&x)?;
    let y_dev = DeviceBuffer::from_slice(&y)?;
    let y_saxpy = DeviceBuffer::from_slice(&y)?; // SAXPY updates y in place
    let z_dev = DeviceBuffer::<f32>::zeroed(len)?;
    let a = 2.5f32;
    // A grid-stride loop works with any grid: a few blocks per multiprocessor
    // keep the device busy without one thread per element.
    let sms = device.get_attribute(cust::device::DeviceAttribute::MultiprocessorCount)?;
    let (grid, block) = (4 * sms as u32, 256u32);
    // SAFETY: the arguments match each kernel's parameters; every buffer
    // holds n floats and the kernels index below n.
    unsafe {
        launch!(module.saxpy<<<grid, block, 0, stream>>>(
            a,
            x_dev.as_device_ptr(),
            y_saxpy.as_device_ptr(),
            n
        ))?;
        launch!(module.radius<<<grid, block, 0, stream>>>(
            x_dev.as_device_ptr(),
            y_dev.as_device_ptr(),
            z_dev.as_device_ptr(),
            n
        ))?;
    }
    stream.synchronize()?;
    let (mut saxpy, mut z) = (vec![0.0f32; len], vec![0.0f32; len]);
    y_saxpy.copy_to(&mut saxpy)?;
    z_dev.copy_to(&mut z)?;
    // ANCHOR_END: launch

    // ANCHOR: check
    let error = assert_close("saxpy", &saxpy, &reference::saxpy(a, &x, &y), 2.4e-7);
    println!(
        "saxpy    y = {a} * x + y on {len} elements: largest error {error:.1e} (tolerance 2.4e-7)"
    );
    let error = assert_close("radius", &z, &reference::radius(&x, &y), 1e-6);
    println!(
        "radius   z = sqrt(x*x + y*y) on {len} elements: largest error {error:.1e} (tolerance 1e-6)"
    );
    // ANCHOR_END: check
    Ok(())
}

/// Compares a device result with a CPU reference computed in f64. The error of
/// one element is relative (|got - want| / |want|), or absolute where
/// |want| < 1, so values near zero do not inflate it. Panics, naming the first
/// element out of tolerance, or returns the largest error seen.
fn assert_close(what: &str, got: &[f32], want: &[f64], tolerance: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length differs");
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let error = (f64::from(g) - w).abs() / w.abs().max(1.0);
        assert!(
            error <= tolerance,
            "{what}: element {i} is {g}, the CPU says {w} (error {error:.1e} > {tolerance:.0e})"
        );
        worst = worst.max(error);
    }
    worst
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

/// The CPU references the device's results are checked against, in f64, so
/// they are more accurate than the f32 results they check.
mod reference {
    /// `a * x + y`.
    pub fn saxpy(a: f32, x: &[f32], y: &[f32]) -> Vec<f64> {
        x.iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(a) * f64::from(x) + f64::from(y))
            .collect()
    }

    /// `sqrt(x^2 + y^2)`, the distance from the origin.
    pub fn radius(x: &[f32], y: &[f32]) -> Vec<f64> {
        x.iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(x).hypot(f64::from(y)))
            .collect()
    }
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
