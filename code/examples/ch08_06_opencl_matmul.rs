//! Recipe 8.6: matrix multiplication on the device, the naive kernel against
//! the tiled one that reuses tiles from local memory. Both checked against the
//! CPU and timed with profiling events.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_06_opencl_matmul
//!      [-- --n 512 --runs 3]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, opencl, reference};
use cookbook::measure::{ms, speedup};
use ocl::{Buffer, Event, ProQue, flags};
use std::time::Duration;

const SOURCE: &str = include_str!("../../kernels/matmul.cl");
/// The tile edge; kernels/matmul.cl defines the same TILE.
const TILE: usize = 16;

// ANCHOR: launch
/// Runs kernel `name` on n x n matrices with TILE x TILE work-groups and
/// returns c and the kernel's time on the device.
fn multiply(
    pro_que: &ProQue,
    name: &str,
    (a, b): (&Buffer<f32>, &Buffer<f32>),
    n: usize,
) -> ocl::Result<(Vec<f32>, Duration)> {
    let c = pro_que.create_buffer::<f32>()?;
    // Dimension 0 runs along a row (columns), dimension 1 down the rows; both
    // rounded up to whole tiles, the kernels skip what lies outside.
    let global = gpu::round_up(n, TILE);
    let kernel = pro_que
        .kernel_builder(name)
        .arg(a)
        .arg(b)
        .arg(&c)
        .arg(n as u32)
        .global_work_size([global, global])
        .local_work_size([TILE, TILE])
        .build()?;
    let mut event = Event::empty();
    // SAFETY: a, b and c hold n * n floats; the kernels index below that.
    unsafe { kernel.cmd().enew(&mut event).enq()? };
    let mut result = vec![0.0f32; n * n];
    c.read(&mut result).enq()?;
    Ok((result, opencl::profiled(&event)?))
}
// ANCHOR_END: launch

fn main() -> ocl::Result<()> {
    let options = Options::from_env(&[("n", "512"), ("runs", "3")]);
    let n = options.positive("n");
    let runs = options.positive("runs");
    if n > 4096 {
        cli::fail("--n must be at most 4096 (the CPU check takes long beyond)");
    }

    // ANCHOR: main
    let (platform, device) = opencl::first_device();
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(n * n)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    let a = gpu::random_floats(n * n, 1);
    let b = gpu::random_floats(n * n, 2);
    let input = |data: &[f32]| {
        pro_que
            .buffer_builder()
            .flags(flags::MEM_READ_ONLY)
            .copy_host_slice(data)
            .build()
    };
    let (a_dev, b_dev) = (input(&a)?, input(&b)?);
    let want = reference::matmul(&a, &b, n);
    let flops = 2.0 * (n as f64).powi(3);
    println!("c = a * b, {n} x {n} floats, work-groups of {TILE} x {TILE}");

    let mut times = Vec::new();
    for name in ["matmul_naive", "matmul_tiled"] {
        let mut fastest = Duration::MAX;
        let mut c = Vec::new();
        for _ in 0..runs {
            let time;
            (c, time) = multiply(&pro_que, name, (&a_dev, &b_dev), n)?;
            fastest = fastest.min(time);
        }
        // Each element is a sum of n products, rounded n times in f32.
        let error = gpu::assert_close(name, &c, &want, 1e-5);
        println!(
            "{name}: {:>10}  {:6.2} GFLOP/s  largest error {error:.1e} (tolerance 1e-5)",
            ms(fastest),
            flops / fastest.as_secs_f64() / 1e9
        );
        times.push(fastest);
    }
    println!(
        "tiled vs naive on this device: {}",
        speedup(times[0], times[1])
    );
    // ANCHOR_END: main
    Ok(())
}
