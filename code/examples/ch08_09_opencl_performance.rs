//! Recipe 8.9: evaluating device performance. The vector sum of recipe 8.7 at
//! growing sizes, every command timed by the queue's profiling events: copies
//! in, kernel, copy out. Bandwidth is bytes moved over kernel time; rayon does
//! the same sum on the same CPU for comparison.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_09_opencl_performance
//!      [-- --max-len 16777216 --runs 5]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, opencl, reference};
use cookbook::measure::{median_time, ms};
use ocl::{Buffer, Event, ProQue, flags};
use rayon::prelude::*;
use std::time::Duration;

const SOURCE: &str = include_str!("../../kernels/vector_add.cl");

/// What one run on the device cost, command by command.
#[derive(Clone, Copy)]
struct Profile {
    copy_in: Duration,
    /// The kernel from the moment it was queued: launch overhead included.
    launch: Duration,
    kernel: Duration,
    copy_out: Duration,
}

// ANCHOR: profile
/// The device buffers of one size, allocated once and reused by every run: a
/// fresh buffer would add the cost of the operating system's first touch of
/// its pages to the first command that writes it.
struct Buffers {
    a: Buffer<f32>,
    b: Buffer<f32>,
    c: Buffer<f32>,
}

/// c = a + b on the device, each command with its own event.
fn profile_vector_add(
    pro_que: &ProQue,
    dev: &Buffers,
    (a, b): (&[f32], &[f32]),
    c: &mut [f32],
) -> ocl::Result<Profile> {
    let len = a.len();
    let (mut write_a, mut write_b) = (Event::empty(), Event::empty());
    dev.a.write(a).enew(&mut write_a).enq()?;
    dev.b.write(b).enew(&mut write_b).enq()?;
    let kernel = pro_que
        .kernel_builder("vector_add")
        .arg(&dev.a)
        .arg(&dev.b)
        .arg(&dev.c)
        .arg(len as u32)
        .global_work_size(len)
        .build()?;
    let mut run = Event::empty();
    // SAFETY: three buffers of len floats; one work-item per element.
    unsafe { kernel.cmd().enew(&mut run).enq()? };
    let mut read_c = Event::empty();
    dev.c.read(&mut *c).enew(&mut read_c).enq()?;
    assert!(
        c == reference::vector_add(a, b),
        "the device's sum is wrong"
    );
    Ok(Profile {
        copy_in: opencl::profiled(&write_a)? + opencl::profiled(&write_b)?,
        launch: opencl::queued_to_end(&run)?,
        kernel: opencl::profiled(&run)?,
        copy_out: opencl::profiled(&read_c)?,
    })
}
// ANCHOR_END: profile

fn main() -> ocl::Result<()> {
    let options = Options::from_env(&[("max-len", "16777216"), ("runs", "5")]);
    let max_len = options.positive("max-len");
    let runs = options.positive("runs");
    if !(1024..=1 << 26).contains(&max_len) {
        cli::fail("--max-len must be between 1024 and 67108864");
    }

    // ANCHOR: main
    let (platform, device) = opencl::first_device();
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(max_len)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    println!(
        "c = a + b on {}; times are medians of {runs} runs",
        device.name()?
    );
    println!(
        "{:>9} | {:>10} {:>10} {:>10} {:>10} {:>11} | {:>10} {:>11}",
        "elements", "copy in", "launch", "kernel", "copy out", "kernel GB/s", "rayon", "rayon GB/s"
    );
    let mut len = 1024;
    let mut last = None;
    while len <= max_len {
        let a = gpu::random_floats(len, 1);
        let b = gpu::random_floats(len, 2);
        // Two floats read and one written per element.
        let bytes = 3 * 4 * len;
        let buffer = || {
            pro_que
                .buffer_builder::<f32>()
                .len(len)
                .fill_val(0.0)
                .build()
        };
        let dev = Buffers {
            a: buffer()?,
            b: buffer()?,
            c: buffer()?,
        };
        let mut c = vec![0.0f32; len];
        let mut profiles = Vec::new();
        for _ in 0..runs {
            profiles.push(profile_vector_add(&pro_que, &dev, (&a, &b), &mut c)?);
        }
        let median = |field: fn(&Profile) -> Duration| {
            let mut times: Vec<Duration> = profiles.iter().map(field).collect();
            times.sort();
            times[runs / 2]
        };
        let kernel = median(|p| p.kernel);
        let (copies, launch) = (
            median(|p| p.copy_in) + median(|p| p.copy_out),
            median(|p| p.launch),
        );
        let ((), rayon_time) = median_time(runs, || {
            c.par_iter_mut()
                .zip(a.par_iter().zip(&b))
                .for_each(|(c, (a, b))| *c = a + b);
        });
        println!(
            "{len:>9} | {:>10} {:>10} {:>10} {:>10} {:>11} | {:>10} {:>11}",
            ms(median(|p| p.copy_in)),
            ms(launch),
            ms(kernel),
            ms(median(|p| p.copy_out)),
            gpu::gb_per_s(bytes, kernel.as_secs_f64()),
            ms(rayon_time),
            gpu::gb_per_s(bytes, rayon_time.as_secs_f64()),
        );
        last = Some((copies, launch, rayon_time));
        len *= 4;
    }
    let (copies, launch, rayon_time) = last.expect("at least one size");
    println!(
        "largest size: the copies are {:.1}% of the device's time; the kernel, launch \
         included, takes {:.2}x rayon's time",
        100.0 * copies.as_secs_f64() / (copies + launch).as_secs_f64(),
        launch.as_secs_f64() / rayon_time.as_secs_f64()
    );
    // ANCHOR_END: main
    Ok(())
}
