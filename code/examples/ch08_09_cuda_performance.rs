//! Recipe 8.9: evaluating GPU performance with CUDA events. The vector sum of
//! recipe 8.3 at growing sizes: copies in from pinned memory, kernel, copy
//! out, each between two events; bandwidth is bytes moved over kernel time,
//! set against the peak the device's attributes give; rayon does the same sum
//! on the host's CPU. The OpenCL twin is ch08_09_opencl_performance.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels). Run:
//!   cargo run --release -p cookbook --features cuda --example ch08_09_cuda_performance
//!   [-- --max-len 16777216 --runs 5]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, reference};
use cookbook::measure::{median_time, ms};
use cust::device::DeviceAttribute;
use cust::memory::{AsyncCopyDestination, LockedBuffer};
use cust::prelude::*;
use rayon::prelude::*;
use std::error::Error;
use std::time::Duration;

const BLOCK: u32 = 256;

/// What one run on the device cost, stage by stage.
#[derive(Clone, Copy)]
struct Profile {
    copy_in: Duration,
    kernel: Duration,
    copy_out: Duration,
}

// ANCHOR: profile
/// c = a + b on the device, from pinned host buffers, with an event between
/// every two stages of the stream.
fn profile_vector_add(
    module: &Module,
    stream: &Stream,
    host: (
        &LockedBuffer<f32>,
        &LockedBuffer<f32>,
        &mut LockedBuffer<f32>,
    ),
    dev: (
        &mut DeviceBuffer<f32>,
        &mut DeviceBuffer<f32>,
        &mut DeviceBuffer<f32>,
    ),
) -> Result<Profile, Box<dyn Error>> {
    let (a, b, c) = host;
    let (a_dev, b_dev, c_dev) = dev;
    let n = a.len() as u32;
    let events = [(); 4].map(|_| Event::new(EventFlags::DEFAULT));
    let [copied_in, launched, ran, copied_out] = events;
    let (copied_in, launched, ran, copied_out) = (copied_in?, launched?, ran?, copied_out?);
    // SAFETY: the host buffers are pinned and not touched until the stream is
    // synchronised; the kernel's arguments match its parameters.
    unsafe {
        copied_in.record(stream)?;
        a_dev.async_copy_from(a, stream)?;
        b_dev.async_copy_from(b, stream)?;
        launched.record(stream)?;
        launch!(module.vector_add<<<n.div_ceil(BLOCK), BLOCK, 0, stream>>>(
            a_dev.as_device_ptr(),
            b_dev.as_device_ptr(),
            c_dev.as_device_ptr(),
            n
        ))?;
        ran.record(stream)?;
        c_dev.async_copy_to(c, stream)?;
        copied_out.record(stream)?;
    }
    stream.synchronize()?;
    Ok(Profile {
        copy_in: launched.elapsed(&copied_in)?,
        kernel: ran.elapsed(&launched)?,
        copy_out: copied_out.elapsed(&ran)?,
    })
}
// ANCHOR_END: profile

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::from_env(&[("max-len", "16777216"), ("runs", "5")]);
    let max_len = options.positive("max-len");
    let runs = options.positive("runs");
    if !(1024..=1 << 26).contains(&max_len) {
        cli::fail("--max-len must be between 1024 and 67108864");
    }

    // ANCHOR: main
    let (device, _context) = gpu::cuda::first_device();
    let module = gpu::cuda::load_module("vector_add");
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    let clock_khz = f64::from(device.get_attribute(DeviceAttribute::MemoryClockRate)?);
    let bus_bits = f64::from(device.get_attribute(DeviceAttribute::GlobalMemoryBusWidth)?);
    let peak = 2.0 * clock_khz * 1e3 * bus_bits / 8.0; // bytes per second
    println!(
        "c = a + b on {}, peak memory bandwidth {:.0} GB/s; medians of {runs} runs",
        device.name()?,
        peak / 1e9
    );
    println!(
        "{:>9} | {:>10} {:>10} {:>10} {:>11} {:>7} | {:>10}",
        "elements", "copy in", "kernel", "copy out", "kernel GB/s", "of peak", "rayon"
    );
    let mut len = 1024;
    while len <= max_len {
        let pinned = |seed| LockedBuffer::from_slice(&gpu::random_floats(len, seed));
        let (a, b, mut c) = (pinned(1)?, pinned(2)?, LockedBuffer::new(&0.0f32, len)?);
        let mut a_dev = DeviceBuffer::<f32>::zeroed(len)?;
        let mut b_dev = DeviceBuffer::<f32>::zeroed(len)?;
        let mut c_dev = DeviceBuffer::<f32>::zeroed(len)?;
        let mut profiles = Vec::new();
        for _ in 0..runs {
            let dev = (&mut a_dev, &mut b_dev, &mut c_dev);
            profiles.push(profile_vector_add(&module, &stream, (&a, &b, &mut c), dev)?);
        }
        assert!(
            c.as_slice() == reference::vector_add(&a, &b),
            "the device's sum is wrong"
        );
        let median = |field: fn(&Profile) -> Duration| {
            let mut times: Vec<Duration> = profiles.iter().map(field).collect();
            times.sort();
            times[runs / 2]
        };
        let kernel = median(|p| p.kernel);
        let bytes = 3 * 4 * len; // two floats read and one written per element
        let mut host_c = vec![0.0f32; len];
        let ((), rayon_time) = median_time(runs, || {
            host_c
                .par_iter_mut()
                .zip(a.par_iter().zip(b.as_slice()))
                .for_each(|(c, (a, b))| *c = a + b);
        });
        println!(
            "{len:>9} | {:>10} {:>10} {:>10} {:>11} {:>6.1}% | {:>10}",
            ms(median(|p| p.copy_in)),
            ms(kernel),
            ms(median(|p| p.copy_out)),
            gpu::gb_per_s(bytes, kernel.as_secs_f64()),
            100.0 * bytes as f64 / kernel.as_secs_f64() / peak,
            ms(rayon_time),
        );
        len *= 4;
    }
    // ANCHOR_END: main
    Ok(())
}
