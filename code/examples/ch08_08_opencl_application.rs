//! Recipe 8.8: a complete OpenCL application, an element-wise expression that
//! prices millions of options with the Black-Scholes formula, timed against the
//! same formula in Rust on one core and on all cores with rayon, on the same
//! CPU, with every price checked.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_08_opencl_application
//!      [-- --options 2000000 --runs 5]

use cookbook::cli::Options;
use cookbook::gpu::{self, opencl};
use cookbook::measure::{median_time, ms};
use ocl::{Event, ProQue, flags};
use rayon::prelude::*;
use std::time::{Duration, Instant};

const SOURCE: &str = include_str!("../../kernels/black_scholes.cl");
const RATE: f32 = 0.02;
const VOLATILITY: f32 = 0.30;
const LOCAL: usize = 256;

// ANCHOR: cpu
/// The kernel's formula in Rust, line for line.
fn normal_cdf(x: f32) -> f32 {
    let k = 1.0 / (1.0 + 0.231_641_9 * x.abs());
    let poly = k
        * (0.319_381_53
            + k * (-0.356_563_78 + k * (1.781_477_9 + k * (-1.821_256 + k * 1.330_274_4))));
    let tail = 0.398_942_3 * (-0.5 * x * x).exp() * poly;
    if x >= 0.0 { 1.0 - tail } else { tail }
}

fn call_price(spot: f32, strike: f32, years: f32) -> f32 {
    let v_sqrt_t = VOLATILITY * years.sqrt();
    let d1 = ((spot / strike).ln() + (RATE + 0.5 * VOLATILITY * VOLATILITY) * years) / v_sqrt_t;
    let d2 = d1 - v_sqrt_t;
    spot * normal_cdf(d1) - strike * (-RATE * years).exp() * normal_cdf(d2)
}
// ANCHOR_END: cpu

/// The portfolio: spot prices 10 to 100, strikes 10 to 100, 0.25 to 5 years.
struct Portfolio {
    spot: Vec<f32>,
    strike: Vec<f32>,
    years: Vec<f32>,
}

impl Portfolio {
    fn new(len: usize) -> Portfolio {
        let scale = |seed, low: f32, high: f32| -> Vec<f32> {
            let unit = gpu::random_floats(len, seed);
            unit.into_iter().map(|u| low + u * (high - low)).collect()
        };
        Portfolio {
            spot: scale(1, 10.0, 100.0),
            strike: scale(2, 10.0, 100.0),
            years: scale(3, 0.25, 5.0),
        }
    }
}

// ANCHOR: opencl
/// Prices the portfolio on the device. Returns the prices, the time from the
/// first copy in to the last copy out (the time the application waits), and
/// the kernel's own time from its profiling event.
fn price_on_device(pro_que: &ProQue, p: &Portfolio) -> ocl::Result<(Vec<f32>, Duration, Duration)> {
    let start = Instant::now();
    let input = |data: &[f32]| {
        pro_que
            .buffer_builder()
            .flags(flags::MEM_READ_ONLY)
            .copy_host_slice(data)
            .build()
    };
    let (spot, strike, years) = (input(&p.spot)?, input(&p.strike)?, input(&p.years)?);
    let call = pro_que.create_buffer::<f32>()?;
    let kernel = pro_que
        .kernel_builder("black_scholes")
        .arg(&spot)
        .arg(&strike)
        .arg(&years)
        .arg(&call)
        .arg(RATE)
        .arg(VOLATILITY)
        .arg(p.spot.len() as u32)
        .global_work_size(gpu::round_up(p.spot.len(), LOCAL))
        .local_work_size(LOCAL)
        .build()?;
    let mut event = Event::empty();
    // SAFETY: every buffer holds one float per option; the kernel checks i < n.
    unsafe { kernel.cmd().enew(&mut event).enq()? };
    let mut prices = vec![0.0f32; p.spot.len()];
    call.read(&mut prices).enq()?;
    Ok((prices, start.elapsed(), opencl::profiled(&event)?))
}
// ANCHOR_END: opencl

fn main() -> ocl::Result<()> {
    let options = Options::from_env(&[("options", "2000000"), ("runs", "5")]);
    let len = options.positive("options");
    gpu::at_most("options", len, gpu::MAX_LEN, "256 MiB per buffer");
    let runs = options.positive("runs");

    // ANCHOR: main
    let (platform, device) = opencl::first_device();
    opencl::check_buffer_len::<f32>(&device, "options", len);
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(len)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    let portfolio = Portfolio::new(len);
    let p = &portfolio;
    let price = |i: usize| call_price(p.spot[i], p.strike[i], p.years[i]);
    let (sequential, sequential_time) =
        median_time(runs, || (0..len).map(price).collect::<Vec<_>>());
    let (parallel, rayon_time) = median_time(runs, || {
        (0..len).into_par_iter().map(price).collect::<Vec<_>>()
    });
    assert_eq!(
        parallel, sequential,
        "rayon runs the same code, so the same bits"
    );

    let mut device_runs = Vec::new();
    for _ in 0..runs {
        device_runs.push(price_on_device(&pro_que, p)?);
    }
    // The median run end to end, and the fastest kernel.
    let kernel = device_runs.iter().map(|run| run.2).min().expect("runs > 0");
    device_runs.sort_by_key(|&(_, total, _)| total);
    let (prices, total, _) = device_runs.swap_remove(runs / 2);
    // ANCHOR_END: main

    // ANCHOR: report
    // The device's exp, log and sqrt round differently from Rust's: prices
    // (0 to 100) agree to about 1e-5 absolute, well inside the tolerance.
    let want: Vec<f64> = sequential.iter().map(|&x| f64::from(x)).collect();
    let error = gpu::assert_close("black_scholes", &prices, &want, 1e-4);
    let rate = |time: Duration| len as f64 / time.as_secs_f64() / 1e6;
    println!("{len} call options priced; device vs CPU largest error {error:.1e} (tolerance 1e-4)");
    println!("{:<34}{:>12}{:>16}", "", "time", "options/s");
    let row = |what: &str, time: Duration| {
        println!("{what:<34}{:>12}{:>12.1} M/s", ms(time), rate(time));
    };
    row("Rust, one core", sequential_time);
    row("Rust + rayon, all cores", rayon_time);
    row("OpenCL kernel alone", kernel);
    row("OpenCL with copies in and out", total);
    // ANCHOR_END: report
    Ok(())
}
