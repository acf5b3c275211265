//! Recipe 8.6: matrix multiplication on a CUDA device, the naive kernel
//! against the tiled one that reuses tiles from shared memory; both checked
//! against the CPU and timed with CUDA events. The OpenCL twin is
//! ch08_06_opencl_matmul.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels). Run:
//!   cargo run --release -p cookbook --features cuda --example ch08_06_cuda_matmul [-- --n 1024]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, reference};
use cookbook::measure::{ms, speedup};
use cust::prelude::*;
use std::error::Error;
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

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::from_env(&[("n", "1024")]);
    let n = options.positive("n");
    if n > 4096 {
        cli::fail("--n must be at most 4096 (the CPU check takes long beyond)");
    }

    // ANCHOR: main
    let (device, _context) = gpu::cuda::first_device();
    let module = gpu::cuda::load_module("matmul");
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    let a = gpu::random_floats(n * n, 1);
    let b = gpu::random_floats(n * n, 2);
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
        let error = gpu::assert_close(name, &c, &want, 1e-5);
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
