//! Recipe 8.5: a reduction on a CUDA device, the dot product as map (x * y)
//! and reduce (+): the naive tree of launches in global memory, then a tree in
//! each block's shared memory; both checked against the CPU and timed with
//! CUDA events. The OpenCL twin is ch08_05_opencl_reduction.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels writes
//! it to target/ptx). Run from the repository's root:
//!   cargo run --release -p cookbook --features cuda --example ch08_05_cuda_reduction
//!   [-- --len 2097152 --groups 64 --block 256 --ptx target/ptx]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate cust;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use cust::prelude::*;
use std::error::Error;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

const BLOCK: u32 = 256;

// ANCHOR: naive
/// Products into a scratch buffer, then about log2(n) launches that each add
/// the upper half onto the lower half. Returns the sum, the launches and the
/// time between events recorded around them.
fn naive_dot(
    module: &Module,
    stream: &Stream,
    (x, y): (&DeviceBuffer<f32>, &DeviceBuffer<f32>),
    n: u32,
) -> Result<(f64, usize, Duration), Box<dyn Error>> {
    let products = DeviceBuffer::<f32>::zeroed(n as usize)?;
    let (start, end) = (
        Event::new(EventFlags::DEFAULT)?,
        Event::new(EventFlags::DEFAULT)?,
    );
    start.record(stream)?;
    let mut launches = 1;
    // SAFETY: every buffer holds n floats; the kernels index below n, and
    // add_halves touches only indices below `len`.
    unsafe {
        launch!(module.multiply<<<n.div_ceil(BLOCK), BLOCK, 0, stream>>>(
            x.as_device_ptr(),
            y.as_device_ptr(),
            products.as_device_ptr(),
            n
        ))?;
        let mut len = n;
        while len > 1 {
            let upper = len.div_ceil(2);
            launch!(module.add_halves<<<(len - upper).div_ceil(BLOCK), BLOCK, 0, stream>>>(
                products.as_device_ptr(),
                len
            ))?;
            launches += 1;
            len = upper;
        }
    }
    end.record(stream)?;
    end.synchronize()?;
    let mut sum = [0.0f32];
    products.index(0..1).copy_to(&mut sum[..])?;
    Ok((f64::from(sum[0]), launches, end.elapsed(&start)?))
}
// ANCHOR_END: naive

// ANCHOR: tree
/// One launch of `groups` blocks of `block` threads, each block with `block`
/// floats of shared memory; each block writes one partial sum, which the host
/// adds.
fn tree_dot(
    module: &Module,
    stream: &Stream,
    (x, y): (&DeviceBuffer<f32>, &DeviceBuffer<f32>),
    n: u32,
    (groups, block): (u32, u32),
) -> Result<(f64, Duration), Box<dyn Error>> {
    let partial = DeviceBuffer::<f32>::zeroed(groups as usize)?;
    let shared_bytes = block * std::mem::size_of::<f32>() as u32;
    let (start, end) = (
        Event::new(EventFlags::DEFAULT)?,
        Event::new(EventFlags::DEFAULT)?,
    );
    start.record(stream)?;
    // SAFETY: x and y hold n floats, `partial` one per block, and the shared
    // memory one float per thread, as the kernel expects.
    unsafe {
        launch!(module.dot_partial<<<groups, block, shared_bytes, stream>>>(
            x.as_device_ptr(),
            y.as_device_ptr(),
            partial.as_device_ptr(),
            n
        ))?;
    }
    end.record(stream)?;
    end.synchronize()?;
    let mut sums = vec![0.0f32; groups as usize];
    partial.copy_to(&mut sums)?;
    Ok((
        sums.iter().map(|&s| f64::from(s)).sum(),
        end.elapsed(&start)?,
    ))
}
// ANCHOR_END: tree

/// A dot product on the first CUDA device: a tree of launches in global
/// memory against a tree in each block's shared memory.
#[derive(Parser)]
struct Args {
    /// Elements per vector. At most 4000000: the products average 4, and
    /// beyond that their sum may pass 2^24, where f32 sums stop being exact.
    #[arg(long, default_value_t = 2_097_152,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=4_000_000))]
    len: usize,
    /// Blocks of the tree reduction; a few per multiprocessor is plenty. At
    /// most 4096: with 1024 threads each, that is already one thread per
    /// element at the largest --len.
    #[arg(long, default_value_t = 64,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=4096))]
    groups: usize,
    /// Threads per block: a power of two (the tree halves it), at most 1024.
    #[arg(long, default_value_t = 256, value_parser = power_of_two)]
    block: usize,
    /// The folder holding reduction.ptx (kernels/reduction.cu compiled to PTX).
    #[arg(long, default_value = "target/ptx")]
    ptx: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Args {
        len,
        groups,
        block,
        ptx,
    } = parse_args();
    let n = u32::try_from(len).expect("--len is at most 4000000");
    let shape = (groups as u32, block as u32);

    // ANCHOR: main
    let (device, _context) = first_device();
    let module = load_module(&ptx, "reduction");
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;
    // Whole numbers 1 to 3: every partial sum is a whole number below 2^24,
    // which f32 holds exactly, so any order of additions gives the same sum.
    let x = small_whole_numbers(len, 1);
    let y = small_whole_numbers(len, 2);
    let (x_dev, y_dev) = (DeviceBuffer::from_slice(&x)?, DeviceBuffer::from_slice(&y)?);
    let want = reference::dot(&x, &y);
    if want >= F32_EXACT_INTEGERS {
        usage_error("--len is too large: the sum would pass 2^24, where f32 sums stop being exact");
    }
    println!(
        "dot product of {len} whole numbers 1 to 3 on {}; the CPU's sum: {want}",
        device.name()?
    );

    // A first run of each warms up the device (clocks, caches, the module's
    // first use); the second is the one reported.
    naive_dot(&module, &stream, (&x_dev, &y_dev), n)?;
    let (naive, launches, naive_time) = naive_dot(&module, &stream, (&x_dev, &y_dev), n)?;
    tree_dot(&module, &stream, (&x_dev, &y_dev), n, shape)?;
    let (tree, tree_time) = tree_dot(&module, &stream, (&x_dev, &y_dev), n, shape)?;
    assert_eq!(naive, want, "the naive reduction lost or doubled something");
    assert_eq!(tree, want, "the tree reduction lost or doubled something");
    println!(
        "naive, global memory: {:<26}{:>10}  exact",
        if launches == 1 {
            "1 launch".to_owned()
        } else {
            format!("{launches} launches")
        },
        ms(naive_time)
    );
    println!(
        "tree, shared memory:  1 launch, {groups} blocks of {block}  {:>10}  exact",
        ms(tree_time)
    );
    println!(
        "tree vs naive on this device: {} the speed",
        speedup(naive_time, tree_time)
    );
    // ANCHOR_END: main
    Ok(())
}

/// `--block`'s value: a power of two from 1 to 1024.
fn power_of_two(text: &str) -> Result<usize, String> {
    let value: usize = text.parse().map_err(|e| format!("{e}"))?;
    match value.is_power_of_two() && value <= 1024 {
        true => Ok(value),
        false => Err(format!(
            "{value} is not a power of two from 1 to 1024 (the tree halves it)"
        )),
    }
}

/// 2^24: below it every whole number is exactly an f32; above, not all are.
const F32_EXACT_INTEGERS: f64 = 16_777_216.0;

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

/// `len` pseudo-random whole numbers 1 to 3, as floats. Every sum of them
/// below 2^24 is a whole number an f32 holds exactly, so a reduction of them
/// gives the exact answer in any order, and can be checked for equality. No
/// zeros: a product of two of them is never 0, so every lost or doubled
/// element changes a dot product.
fn small_whole_numbers(len: usize, seed: u64) -> Vec<f32> {
    random_floats(len, seed)
        .into_iter()
        .map(|u| (u * 3.0).floor() + 1.0)
        .collect()
}

/// The CPU references the device's results are checked against, in f64, so
/// they are more accurate than the f32 results they check.
mod reference {
    /// The dot product: the map (`x * y`) and the reduction (`+`).
    pub fn dot(x: &[f32], y: &[f32]) -> f64 {
        x.iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum()
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

/// A value only the device can judge, refused like a bad option: one line,
/// exit status 2.
fn usage_error(message: impl Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
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
