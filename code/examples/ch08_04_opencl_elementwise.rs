//! Recipe 8.4: element-wise kernels in OpenCL. SAXPY from a kernel file, and a
//! generic element-wise kernel generated at run time from an expression, the
//! way PyOpenCL's `ElementwiseKernel` does it; then arithmetic on device
//! arrays, as with PyCUDA's `gpuarray`. All checked against the CPU.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_04_opencl_elementwise
//!      [-- --len 1000000]
//! The SAXPY kernel, kernels/elementwise.cl, is compiled into the program.

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate ocl;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ocl::enums::{DeviceInfo, DeviceInfoResult};
use ocl::{Buffer, Device, Platform, ProQue, flags};
use std::fmt::Display;

const SAXPY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/kernels/elementwise.cl"
));

// ANCHOR: generator
/// OpenCL C source for a kernel that applies `operation` to every index `i`
/// below `n`: the boilerplate PyOpenCL's `ElementwiseKernel` writes for you.
/// OpenCL compiles source at run time, so the host can generate it.
fn elementwise_kernel(name: &str, parameters: &str, operation: &str) -> String {
    format!(
        "__kernel void {name}({parameters}, const uint n)\n\
         {{\n\
         \x20   const size_t i = get_global_id(0);\n\
         \x20   if (i < n) {{ {operation}; }}\n\
         }}\n"
    )
}
// ANCHOR_END: generator

// ANCHOR: array
/// A vector in device memory with arithmetic on it, as PyCUDA's `gpuarray`
/// and PyOpenCL's `pyopencl.array` have: each operation launches a one-line
/// generated kernel and returns a new array on the device; nothing comes back
/// to the host until `get`.
struct DeviceArray<'q> {
    pro_que: &'q ProQue,
    data: Buffer<f32>,
}

/// The kernels `DeviceArray` launches, compiled with the program.
fn array_kernels() -> String {
    let vector = "__global const float *x";
    [
        elementwise_kernel(
            "array_scale",
            &format!("const float a, {vector}, __global float *z"),
            "z[i] = a * x[i]",
        ),
        elementwise_kernel(
            "array_add",
            &format!("{vector}, __global const float *y, __global float *z"),
            "z[i] = x[i] + y[i]",
        ),
    ]
    .concat()
}

impl<'q> DeviceArray<'q> {
    /// Copies `host` to the device (`gpuarray.to_gpu`).
    fn to_device(pro_que: &'q ProQue, host: &[f32]) -> ocl::Result<Self> {
        let data = pro_que.buffer_builder().copy_host_slice(host).build()?;
        Ok(DeviceArray { pro_que, data })
    }

    /// Copies the array back to the host (`.get()`).
    fn get(&self) -> ocl::Result<Vec<f32>> {
        let mut host = vec![0.0; self.data.len()];
        self.data.read(&mut host).enq()?;
        Ok(host)
    }

    /// The length, as the kernels take it (the queue's, at most 2^26).
    fn len(&self) -> u32 {
        self.data.len() as u32
    }
}
// ANCHOR_END: array

// ANCHOR: array_ops
impl<'q> DeviceArray<'q> {
    /// `a * self`, into a new array.
    fn scale(&self, a: f32) -> ocl::Result<DeviceArray<'q>> {
        let out = self.pro_que.create_buffer::<f32>()?;
        let kernel = (self.pro_que.kernel_builder("array_scale"))
            .arg(a)
            .arg(&self.data)
            .arg(&out)
            .arg(self.len())
            .build()?;
        self.launch(kernel, out)
    }

    /// `self + other`, into a new array.
    fn add(&self, other: &DeviceArray) -> ocl::Result<DeviceArray<'q>> {
        let out = self.pro_que.create_buffer::<f32>()?;
        let kernel = (self.pro_que.kernel_builder("array_add"))
            .arg(&self.data)
            .arg(&other.data)
            .arg(&out)
            .arg(self.len())
            .build()?;
        self.launch(kernel, out)
    }

    fn launch(&self, kernel: ocl::Kernel, out: Buffer<f32>) -> ocl::Result<DeviceArray<'q>> {
        // SAFETY: every buffer has the queue's length, the arguments are the
        // ones the kernel declares, and it touches only indices below `len`.
        unsafe { kernel.enq()? };
        Ok(DeviceArray {
            pro_que: self.pro_que,
            data: out,
        })
    }
}
// ANCHOR_END: array_ops

/// SAXPY and the radius, element by element on the first OpenCL device.
#[derive(Parser)]
struct Args {
    /// Elements per vector. At most 2^26 = 67108864: 256 MiB per buffer.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1 << 26))]
    len: usize,
}

fn main() -> ocl::Result<()> {
    let Args { len } = parse_args();
    let n = u32::try_from(len).expect("--len is at most 2^26");

    // ANCHOR: build
    let radius = elementwise_kernel(
        "radius",
        "__global const float *x, __global const float *y, __global float *z",
        "z[i] = sqrt(x[i] * x[i] + y[i] * y[i])",
    );
    let (platform, device) = first_device();
    check_buffer_len::<f32>(&device, "len", len);
    // One program holds every kernel: the file's and the generated ones.
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(format!("{SAXPY}\n{radius}\n{}", array_kernels()))
        .dims(len)
        .build()?;
    print!("generated kernel:\n{radius}");
    // ANCHOR_END: build

    // ANCHOR: run
    let x = random_floats(len, 1);
    let y = random_floats(len, 2);
    let input = |data: &[f32]| {
        pro_que
            .buffer_builder()
            .flags(flags::MEM_READ_ONLY)
            .copy_host_slice(data)
            .build()
    };
    let (x_dev, y_dev) = (input(&x)?, input(&y)?);
    let z_dev = pro_que.create_buffer::<f32>()?;
    // SAXPY updates y in place, so it gets a buffer of its own.
    let y_saxpy = pro_que.buffer_builder().copy_host_slice(&y).build()?;
    let a = 2.5f32;

    let saxpy = pro_que
        .kernel_builder("saxpy")
        .arg(a)
        .arg(&x_dev)
        .arg(&y_saxpy)
        .arg(n)
        .build()?;
    let radius = pro_que
        .kernel_builder("radius")
        .arg(&x_dev)
        .arg(&y_dev)
        .arg(&z_dev)
        .arg(n)
        .build()?;
    // SAFETY: each kernel gets the buffers and types it declares, all of
    // length n, and reads or writes only below n.
    unsafe {
        saxpy.enq()?;
        radius.enq()?;
    }
    let (mut saxpy_result, mut z) = (vec![0.0f32; len], vec![0.0f32; len]);
    y_saxpy.read(&mut saxpy_result).enq()?;
    z_dev.read(&mut z).enq()?;
    // ANCHOR_END: run

    // ANCHOR: check
    // Two roundings at most (or one, if the compiler fuses a multiply-add).
    let error = assert_close("saxpy", &saxpy_result, &reference::saxpy(a, &x, &y), 2.4e-7);
    println!(
        "saxpy    y = {a} * x + y on {len} elements: largest error {error:.1e} (tolerance 2.4e-7)"
    );
    // OpenCL allows sqrt an error of 3 units in the last place.
    let error = assert_close("radius", &z, &reference::radius(&x, &y), 1e-6);
    println!(
        "radius   z = sqrt(x*x + y*y) on {len} elements: largest error {error:.1e} (tolerance 1e-6)"
    );
    // ANCHOR_END: check

    // ANCHOR: arrays
    // PyCUDA: c = (2.5 * gpuarray.to_gpu(x) + gpuarray.to_gpu(y)).get()
    let x_array = DeviceArray::to_device(&pro_que, &x)?;
    let y_array = DeviceArray::to_device(&pro_que, &y)?;
    let c = x_array.scale(a)?.add(&y_array)?.get()?;
    // Two launches, two roundings: the product is stored before the sum.
    let error = assert_close("arrays", &c, &reference::saxpy(a, &x, &y), 2.4e-7);
    println!(
        "arrays   c = {a} * x + y on {len} elements, 2 launches: largest error {error:.1e} (tolerance 2.4e-7)"
    );
    // ANCHOR_END: arrays
    Ok(())
}

// ANCHOR: tolerance
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
// ANCHOR_END: tolerance

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
