//! Recipe 8.7: the vector sum of recipe 8.3 in OpenCL C, on any OpenCL device
//! (here PoCL's CPU device): load the kernel source, build it for the device,
//! copy the inputs, launch one work-item per element, read the result back and
//! check it against the CPU.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_07_opencl_vector_sum
//!      [-- --len 1000000 --local 256]
//! The kernel, kernels/vector_add.cl, is compiled into the program.

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ocl::enums::{DeviceInfo, DeviceInfoResult};
use ocl::{Device, Platform, ProQue, Program, flags};
use std::fmt::Display;

// ANCHOR: source
/// The kernel, compiled into the program as text; the OpenCL driver compiles
/// it for the device when the program starts.
const SOURCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/kernels/vector_add.cl"
));
// ANCHOR_END: source

/// Adds two vectors of floats on the first OpenCL device and checks every sum.
#[derive(Parser)]
struct Args {
    /// Elements per vector. At most 2^26 = 67108864: 256 MiB per buffer.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1 << 26))]
    len: usize,
    /// Work-items per work-group; no more than the device's largest work-group.
    #[arg(long, default_value_t = 256,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=65536))]
    local: usize,
}

fn main() -> ocl::Result<()> {
    let Args { len, local } = parse_args();
    let n = u32::try_from(len).expect("--len is at most 2^26");

    // ANCHOR: setup
    let (platform, device) = first_device();
    check_local_size(&device, "local", local);
    check_buffer_len::<f32>(&device, "len", len);
    // `-cl-kernel-arg-info` keeps the kernel's parameter types in the built
    // program, so that ocl can check each argument's Rust type against them.
    let mut program = Program::builder();
    program.src(SOURCE).cmplr_opt("-cl-kernel-arg-info");
    // A context, a queue on the device, and the program built for it.
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .prog_bldr(program)
        .dims(len)
        .build()?;
    println!("device: {}", device.name()?);
    // ANCHOR_END: setup

    // ANCHOR: launch
    let a = random_floats(len, 1);
    let b = random_floats(len, 2);
    let input = |data: &[f32]| {
        pro_que
            .buffer_builder()
            .flags(flags::MEM_READ_ONLY)
            .copy_host_slice(data)
            .build()
    };
    let (a_dev, b_dev) = (input(&a)?, input(&b)?);
    let c_dev = pro_que.create_buffer::<f32>()?;

    // Whole work-groups: the global size is rounded up, and the kernel's
    // `if (i < n)` idles the work-items past the end.
    let global = round_up(len, local);
    let kernel = pro_que
        .kernel_builder("vector_add")
        .arg(&a_dev)
        .arg(&b_dev)
        .arg(&c_dev)
        .arg(n)
        .global_work_size(global)
        .local_work_size(local)
        .build()?;
    // SAFETY: the arguments match the kernel's parameters, and the kernel
    // touches only indices below n, the length of every buffer.
    unsafe { kernel.enq()? };
    let mut c = vec![0.0f32; len];
    c_dev.read(&mut c).enq()?; // waits for the kernel, then copies
    // ANCHOR_END: launch

    // ANCHOR: check
    println!(
        "{len} elements, work-groups of {local}: global size {global}, {} work-groups, \
         {} idle work-items",
        global / local,
        global - len
    );
    // IEEE 754 rounds every f32 sum the same way on any conforming device.
    assert!(
        c == reference::vector_add(&a, &b),
        "c = a + b differs from the CPU"
    );
    println!("c = a + b matches the CPU's f32 sums bit for bit");
    // ANCHOR_END: check

    // ANCHOR: type_check
    // The kernel declares `const uint n`: an i32 has the right size, but ocl
    // compares the Rust type with the declared one and refuses it.
    let wrong_type = pro_que
        .kernel_builder("vector_add")
        .arg(&a_dev)
        .arg(&b_dev)
        .arg(&c_dev)
        .arg(n as i32)
        .build()
        .expect_err("an i32 for a uint parameter must be refused");
    let message = wrong_type.to_string();
    let message = message.split(" (").next().unwrap_or_default();
    println!("n passed as an i32: {message}");
    // ANCHOR_END: type_check
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

/// `n` rounded up to a multiple of `step`: a launch covers whole work-groups,
/// so the last one may run past the end of the data.
fn round_up(n: usize, step: usize) -> usize {
    n.div_ceil(step) * step
}

/// The CPU reference the device's result is checked against.
mod reference {
    /// `a + b`, element by element, in f32. IEEE 754 rounds a sum correctly,
    /// so a device must match it bit for bit.
    pub fn vector_add(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(&x, &y)| x + y).collect()
    }
}

/// What the listing says when the loader finds no OpenCL driver.
const NO_PLATFORM: &str = "no OpenCL platform found (no driver registered in \
    /etc/OpenCL/vendors; on Debian: apt install pocl-opencl-icd)";

/// The OpenCL platforms (drivers) the ICD loader finds. `Platform::list`
/// panics when there are none, and ocl's own query retries for ten seconds
/// when the loader reports no driver, so ask the loader directly: with no
/// driver it answers `CL_PLATFORM_NOT_FOUND_KHR` at once.
fn platforms() -> Result<Vec<Platform>, String> {
    const PLATFORM_NOT_FOUND_KHR: i32 = -1001;
    let mut count = 0u32;
    // SAFETY: asks only for the count; the loader writes one u32.
    let status = unsafe { ocl::ffi::clGetPlatformIDs(0, std::ptr::null_mut(), &mut count) };
    match status {
        0 if count > 0 => ocl::core::get_platform_ids()
            .map(|ids| ids.into_iter().map(Platform::new).collect())
            .map_err(|e| e.to_string()),
        0 | PLATFORM_NOT_FOUND_KHR => Ok(Vec::new()),
        status => Err(format!("clGetPlatformIDs failed with status {status}")),
    }
}

/// The first device of the first platform that has one, or a one-line error
/// and exit status 1.
fn first_device() -> (Platform, Device) {
    let platforms = platforms().unwrap_or_else(|e| fail(e));
    if platforms.is_empty() {
        fail(NO_PLATFORM);
    }
    platforms
        .into_iter()
        .find_map(|platform| {
            let devices = Device::list_all(platform).ok()?;
            Some((platform, *devices.first()?))
        })
        .unwrap_or_else(|| fail("no OpenCL device found: the platforms have no device"))
}

/// Refuses, with one line and exit status 2, a `--name` work-group size larger
/// than the device can run; the driver's own refusal would come only at the
/// launch, as a multi-line error.
fn check_local_size(device: &Device, name: &str, local: usize) {
    let max = match device.info(DeviceInfo::MaxWorkGroupSize) {
        Ok(DeviceInfoResult::MaxWorkGroupSize(size)) => size,
        other => fail(format!(
            "cannot read the device's MaxWorkGroupSize: {other:?}"
        )),
    };
    if local > max {
        usage_error(format_args!(
            "--{name} {local} is larger than the device's largest work-group ({max})"
        ));
    }
}

/// Refuses, with one line and exit status 2, a `--name` that makes a buffer of
/// `len` elements of `T` larger than the device's largest.
fn check_buffer_len<T>(device: &Device, name: &str, len: usize) {
    let bytes = len as u64 * std::mem::size_of::<T>() as u64;
    let max = match device.info(DeviceInfo::MaxMemAllocSize) {
        Ok(DeviceInfoResult::MaxMemAllocSize(bytes)) => bytes,
        other => fail(format!(
            "cannot read the device's MaxMemAllocSize: {other:?}"
        )),
    };
    if bytes > max {
        usage_error(format_args!(
            "--{name} is too large: a buffer of {bytes} bytes, the device allows at most {max}"
        ));
    }
}

/// Prints `error: <message>` and exits with status 1: the machine lacks what
/// the listing needs (an OpenCL driver, a device).
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
