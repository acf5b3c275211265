//! Recipe 8.9: evaluating GPU performance with CUDA events. The vector sum of
//! recipe 8.3 at growing sizes: copies in from pinned memory, kernel, copy
//! out, each between two events; bandwidth is bytes moved over kernel time,
//! set against the peak the device's attributes give; rayon does the same sum
//! on the host's CPU. The OpenCL twin is ch08_09_opencl_performance.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels writes
//! it to target/ptx). Run from the repository's root:
//!   cargo run --release -p cookbook --features cuda --example ch08_09_cuda_performance
//!   [-- --max-len 16777216 --runs 5 --ptx target/ptx]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate cust;
extern crate rayon;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use cust::device::DeviceAttribute;
use cust::memory::{AsyncCopyDestination, LockedBuffer};
use cust::prelude::*;
use rayon::prelude::*;
use std::error::Error;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// The vector sum at growing sizes on the first CUDA device, each stage timed
/// with events, against rayon on the CPU.
#[derive(Parser)]
struct Args {
    /// The largest size, in elements; the sizes run from 1024 up by fours. At
    /// most 2^26 = 67108864: 256 MiB per buffer.
    #[arg(long, default_value_t = 16_777_216,
          value_parser = RangedU64ValueParser::<usize>::new().range(1024..=1 << 26))]
    max_len: usize,
    /// Timed runs per size, at most 20; medians are shown.
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=20))]
    runs: usize,
    /// The folder holding vector_add.ptx (kernels/vector_add.cu compiled to PTX).
    #[arg(long, default_value = "target/ptx")]
    ptx: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Args { max_len, runs, ptx } = parse_args();

    // ANCHOR: main
    let (device, _context) = first_device();
    let module = load_module(&ptx, "vector_add");
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
        let pinned = |seed| LockedBuffer::from_slice(&random_floats(len, seed));
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
            gb_per_s(bytes, kernel.as_secs_f64()),
            100.0 * bytes as f64 / kernel.as_secs_f64() / peak,
            ms(rayon_time),
        );
        len *= 4;
    }
    // ANCHOR_END: main
    Ok(())
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

/// The CPU reference the device's result is checked against.
mod reference {
    /// `a + b`, element by element, in f32. IEEE 754 rounds a sum correctly,
    /// so a device must match it bit for bit.
    pub fn vector_add(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(&x, &y)| x + y).collect()
    }
}

/// Bytes per second as `12.34 GB/s` (10^9 bytes, as memory datasheets count).
fn gb_per_s(bytes: usize, seconds: f64) -> String {
    format!("{:.2} GB/s", bytes as f64 / seconds / 1e9)
}

/// Runs `work` `runs` times; returns its result and the median time, which
/// shrugs off the odd run disturbed by another process.
fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, Duration) {
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        let start = Instant::now();
        result = Some(std::hint::black_box(work()));
        times.push(start.elapsed());
    }
    times.sort();
    (result.expect("at least one run"), times[runs / 2])
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
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
