//! Recipe 8.6: matrix multiplication on a CUDA device, the naive kernel
//! against the tiled one that reuses tiles from shared memory; both checked
//! against the CPU and timed with CUDA events. The OpenCL twin is
//! ch08_06_opencl_matmul.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels writes
//! it to target/ptx). Run from the repository's root:
//!   cargo run --release -p cookbook --features cuda --example ch08_06_cuda_matmul
//!   [-- --n 1024 --ptx target/ptx]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate cust;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use cust::prelude::*;
use std::error::Error;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The tile edge; kernels/matmul.cu defines the same TILE.
const TILE: u32 = 16;

// ANCHOR: launch
/// Runs kernel `name` on n x n matrices with TILE x TILE blocks, and returns c
/// and the time between events recorded around the launch.
fn multiply(
    module: &Module,
    stream: &Stream,
    name: &str,
    (a, b): (&DeviceBuffer<f32>, &DeviceBuffer<f32>),
    n: u32,
) -> Result<(Vec<f32>, Duration), Box<dyn Error>> {
    let c = DeviceBuffer::<f32>::zeroed((n * n) as usize)?;
    let kernel = module.get_function(name)?;
    // x runs along a row (columns), y down the rows; whole tiles, the kernels
    // skip what lies outside the matrix.
    let tiles = n.div_ceil(TILE);
    let (start, end) = (
        Event::new(EventFlags::DEFAULT)?,
        Event::new(EventFlags::DEFAULT)?,
    );
    start.record(stream)?;
    // SAFETY: a, b and c hold n * n floats and the kernels index below that.
    unsafe {
        launch!(kernel<<<(tiles, tiles), (TILE, TILE), 0, stream>>>(
            a.as_device_ptr(),
            b.as_device_ptr(),
            c.as_device_ptr(),
            n
        ))?;
    }
    end.record(stream)?;
    end.synchronize()?;
    let mut result = vec![0.0f32; (n * n) as usize];
    c.copy_to(&mut result)?;
    Ok((result, end.elapsed(&start)?))
}
// ANCHOR_END: launch

/// Naive and tiled matrix multiplication on the first CUDA device.
#[derive(Parser)]
struct Args {
    /// Rows and columns of the square matrices; any size, not only multiples
    /// of 16. At most 4096: the CPU check takes long beyond.
    #[arg(long, default_value_t = 1024,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=4096))]
    n: usize,
    /// The folder holding matmul.ptx (kernels/matmul.cu compiled to PTX).
    #[arg(long, default_value = "target/ptx")]
    ptx: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Args { n, ptx } = parse_args();

    // ANCHOR: main
    let (device, _context) = first_device();
    let module = load_module(&ptx, "matmul");
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    let a = random_floats(n * n, 1);
    let b = random_floats(n * n, 2);
    let (a_dev, b_dev) = (DeviceBuffer::from_slice(&a)?, DeviceBuffer::from_slice(&b)?);
    let want = reference::matmul(&a, &b, n);
    let flops = 2.0 * (n as f64).powi(3);
    println!(
        "c = a * b, {n} x {n} floats on {}, blocks of {TILE} x {TILE}",
        device.name()?
    );
    let mut times = Vec::new();
    for name in ["matmul_naive", "matmul_tiled"] {
        multiply(&module, &stream, name, (&a_dev, &b_dev), n as u32)?; // warm-up
        let (c, time) = multiply(&module, &stream, name, (&a_dev, &b_dev), n as u32)?;
        let error = assert_close(name, &c, &want, 1e-5);
        println!(
            "{name}: {:>10}  {:8.1} GFLOP/s  largest error {error:.1e} (tolerance 1e-5)",
            ms(time),
            flops / time.as_secs_f64() / 1e9
        );
        times.push(time);
    }
    println!("tiled vs naive: {}", speedup(times[0], times[1]));
    // ANCHOR_END: main
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
    /// `a * b` for square row-major `n` x `n` matrices.
    pub fn matmul(a: &[f32], b: &[f32], n: usize) -> Vec<f64> {
        let mut c = vec![0.0f64; n * n];
        for i in 0..n {
            let row = &mut c[i * n..(i + 1) * n];
            for k in 0..n {
                let a_ik = f64::from(a[i * n + k]);
                for (c_ij, &b_kj) in row.iter_mut().zip(&b[k * n..(k + 1) * n]) {
                    *c_ij += a_ik * f64::from(b_kj);
                }
            }
        }
        c
    }
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// How many times faster `new` is than `old`: `3.42x`.
fn speedup(old: Duration, new: Duration) -> String {
    let ratio = old.as_secs_f64() / new.as_secs_f64();
    // Two significant digits, however small: 0.0042x, not 0.00x.
    let decimals = (1.0 - ratio.log10().floor()).clamp(2.0, 9.0) as usize;
    format!("{ratio:.decimals$}x")
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
