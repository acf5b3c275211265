//! Shared plumbing of chapter 8's listings: test data, the CPU references the
//! device results are checked against, the tolerance check, and for each GPU
//! API the set-up that ends with one clear line, not a panic, when the machine
//! has no device.
//!
//! The data and the references are plain Rust; `opencl` and `cuda` exist only
//! under the features of the same names.

use std::fmt::Display;
use std::path::PathBuf;

/// Exit status when the machine lacks what a listing needs (a platform, a
/// device, a compiled kernel). Bad options exit with 2 (see `cli`).
pub const MISSING: i32 = 1;

/// Prints `error: <message>` and exits with status 1.
pub fn fail(message: impl Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(MISSING)
}

/// `len` pseudo-random numbers in [0, 1), the same on every run and machine
/// (splitmix64), so outputs and errors are reproducible.
pub fn random_floats(len: usize, seed: u64) -> Vec<f32> {
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
pub fn small_whole_numbers(len: usize, seed: u64) -> Vec<f32> {
    random_floats(len, seed)
        .into_iter()
        .map(|u| (u * 3.0).floor() + 1.0)
        .collect()
}

/// The longest `--len` the dot products of recipe 8.5 accept. The products
/// of two numbers from 1 to 3 average 4, so 4 000 000 of them sum to about
/// 16 000 000, safely below 2^24 = 16 777 216 (the listings still check the
/// exact sum).
pub const MAX_DOT_LEN: usize = 4_000_000;

/// The most elements a `--len` option of chapter 8 accepts: 2^26 floats are
/// 256 MiB per buffer, and a listing holds several on the host and the device.
pub const MAX_LEN: usize = 1 << 26;

/// `--name`'s value, or a one-line error and exit status 2 when it is above
/// `max` (the `why` says what the limit is).
pub fn at_most(name: &str, value: usize, max: usize, why: &str) -> usize {
    if value > max {
        crate::cli::fail(format_args!("--{name} must be at most {max} ({why})"));
    }
    value
}

/// 2^24: below it every whole number is exactly an f32; above, not all are.
pub const F32_EXACT_INTEGERS: f64 = 16_777_216.0;

/// `n` rounded up to a multiple of `step`: a launch covers whole work-groups
/// (blocks), so the last one may run past the end of the data.
pub fn round_up(n: usize, step: usize) -> usize {
    n.div_ceil(step) * step
}

// ANCHOR: check
/// Compares a device result with a CPU reference computed in f64. The error of
/// one element is relative (|got - want| / |want|), or absolute where
/// |want| < 1, so values near zero do not inflate it. Panics, naming the first
/// element out of tolerance, or returns the largest error seen.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], tolerance: f64) -> f64 {
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
// ANCHOR_END: check

/// Bytes per second as `12.34 GB/s` (10^9 bytes, as memory datasheets count).
pub fn gb_per_s(bytes: usize, seconds: f64) -> String {
    format!("{:.2} GB/s", bytes as f64 / seconds / 1e9)
}

/// The CPU references, in f64 so they are more accurate than the f32 results
/// they check.
pub mod reference {
    /// `a + b`, element by element, in f32 (recipes 8.3, 8.7, 8.9). IEEE 754
    /// rounds a sum correctly, so a device must match it bit for bit.
    pub fn vector_add(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(&x, &y)| x + y).collect()
    }

    /// `a * x + y` (recipe 8.4).
    pub fn saxpy(a: f32, x: &[f32], y: &[f32]) -> Vec<f64> {
        x.iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(a) * f64::from(x) + f64::from(y))
            .collect()
    }

    /// `sqrt(x^2 + y^2)`, the distance from the origin (recipe 8.4).
    pub fn radius(x: &[f32], y: &[f32]) -> Vec<f64> {
        x.iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(x).hypot(f64::from(y)))
            .collect()
    }

    /// The dot product: the map (`x * y`) and the reduction (`+`) of recipe 8.5.
    pub fn dot(x: &[f32], y: &[f32]) -> f64 {
        x.iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum()
    }

    /// `a * b` for square row-major `n` x `n` matrices (recipe 8.6).
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

/// The folder holding the compiled kernels: `kernels/`'s CUDA files turned into
/// PTX by `scripts/check-kernels`. `COOKBOOK_PTX_DIR` overrides it.
pub fn ptx_dir() -> PathBuf {
    std::env::var_os("COOKBOOK_PTX_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
                .join("ptx")
        })
}

/// OpenCL set-up (feature `opencl`).
#[cfg(feature = "opencl")]
pub mod opencl {
    use ocl::enums::{DeviceInfo, DeviceInfoResult, ProfilingInfo};
    use ocl::{Device, Event, Platform};
    use std::time::Duration;

    /// What a listing says when the loader finds no OpenCL driver.
    pub const NO_PLATFORM: &str = "no OpenCL platform found (no driver registered in \
        /etc/OpenCL/vendors; on Debian: apt install pocl-opencl-icd)";

    // ANCHOR: platforms
    /// The OpenCL platforms (drivers) the ICD loader finds. `Platform::list`
    /// panics when there are none, and ocl's own query retries for ten
    /// seconds when the loader reports no driver, so ask the loader directly:
    /// with no driver it answers `CL_PLATFORM_NOT_FOUND_KHR` at once.
    pub fn platforms() -> Result<Vec<Platform>, String> {
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

    /// The first device of the first platform that has one, or a one-line
    /// error and exit status 1.
    pub fn first_device() -> (Platform, Device) {
        let platforms = platforms().unwrap_or_else(|e| super::fail(e));
        if platforms.is_empty() {
            super::fail(NO_PLATFORM);
        }
        platforms
            .into_iter()
            .find_map(|platform| {
                let devices = Device::list_all(platform).ok()?;
                Some((platform, *devices.first()?))
            })
            .unwrap_or_else(|| super::fail("no OpenCL device found: the platforms have no device"))
    }
    // ANCHOR_END: platforms

    /// The largest work-group the device can run, from `MaxWorkGroupSize`.
    pub fn max_work_group_size(device: &Device) -> usize {
        match device.info(DeviceInfo::MaxWorkGroupSize) {
            Ok(DeviceInfoResult::MaxWorkGroupSize(size)) => size,
            other => super::fail(format!(
                "cannot read the device's MaxWorkGroupSize: {other:?}"
            )),
        }
    }

    /// The largest single buffer the device allows, in bytes, from `MaxMemAllocSize`.
    pub fn max_buffer_bytes(device: &Device) -> u64 {
        match device.info(DeviceInfo::MaxMemAllocSize) {
            Ok(DeviceInfoResult::MaxMemAllocSize(bytes)) => bytes,
            other => super::fail(format!(
                "cannot read the device's MaxMemAllocSize: {other:?}"
            )),
        }
    }

    /// Refuses, with one line and exit status 2, a `--name` work-group size
    /// larger than the device can run; the driver's own refusal would come
    /// only at the launch, as a multi-line error.
    pub fn check_local_size(device: &Device, name: &str, local: usize) {
        let max = max_work_group_size(device);
        if local > max {
            crate::cli::fail(format_args!(
                "--{name} {local} is larger than the device's largest work-group ({max})"
            ));
        }
    }

    /// Refuses, with one line and exit status 2, a `--name` that makes a
    /// buffer of `len` elements of `T` larger than the device's largest.
    pub fn check_buffer_len<T>(device: &Device, name: &str, len: usize) {
        let bytes = len as u64 * std::mem::size_of::<T>() as u64;
        let max = max_buffer_bytes(device);
        if bytes > max {
            crate::cli::fail(format_args!(
                "--{name} is too large: a buffer of {bytes} bytes, the device allows at most {max}"
            ));
        }
    }

    // ANCHOR: profiled
    /// How long the command behind `event` ran on the device: from its start
    /// to its end, as the queue's profiling timer saw them.
    pub fn profiled(event: &Event) -> ocl::Result<Duration> {
        event.wait_for()?;
        let nanos = |info| -> ocl::Result<u64> { Ok(event.profiling_info(info)?.time()?) };
        let start = nanos(ProfilingInfo::Start)?;
        let end = nanos(ProfilingInfo::End)?;
        Ok(Duration::from_nanos(end.saturating_sub(start)))
    }

    /// The same command from the moment it was queued to its end: its run
    /// plus the launch overhead (and any wait for commands queued before it).
    pub fn queued_to_end(event: &Event) -> ocl::Result<Duration> {
        event.wait_for()?;
        let nanos = |info| -> ocl::Result<u64> { Ok(event.profiling_info(info)?.time()?) };
        let queued = nanos(ProfilingInfo::Queued)?;
        let end = nanos(ProfilingInfo::End)?;
        Ok(Duration::from_nanos(end.saturating_sub(queued)))
    }
    // ANCHOR_END: profiled
}

/// CUDA set-up (feature `cuda`).
#[cfg(feature = "cuda")]
pub mod cuda {
    use cust::prelude::*;

    // ANCHOR: cuda_init
    /// Initialises the driver and makes a context on the first device, or
    /// ends with a one-line error and exit status 1. (Without the NVIDIA
    /// driver at all the program cannot start: it links `libcuda`, and the
    /// system's loader refuses to run it.)
    pub fn first_device() -> (Device, Context) {
        cust::init(CudaFlags::empty())
            .unwrap_or_else(|e| super::fail(format!("no CUDA driver: cuInit failed: {e}")));
        match Device::num_devices() {
            Ok(0) | Err(_) => super::fail("no CUDA device found"),
            Ok(_) => {}
        }
        let device = Device::get_device(0).unwrap_or_else(|e| super::fail(e));
        let context = Context::new(device).unwrap_or_else(|e| super::fail(e));
        (device, context)
    }

    /// Loads `target/ptx/<name>.ptx`, the kernel file `kernels/<name>.cu`
    /// compiled to PTX, which the driver compiles for the GPU it runs on.
    pub fn load_module(name: &str) -> Module {
        let path = super::ptx_dir().join(format!("{name}.ptx"));
        let ptx = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            super::fail(format!(
                "cannot read {} ({e}): compile the kernels first with scripts/check-kernels \
                 (or: nvcc -ptx -arch=compute_70 kernels/{name}.cu -o {})",
                path.display(),
                path.display()
            ))
        });
        // NVRTC 12.9 writes PTX ISA 8.8, which only a driver for CUDA 12.9 or
        // newer (R575 and later) understands; an older one refuses the module.
        Module::from_ptx(ptx, &[]).unwrap_or_else(|e| {
            super::fail(format!(
                "the driver rejected {} ({e}); if that is an unsupported PTX version, the \
                 driver is older than CUDA 12.9 (R575): update it, or write the PTX with the \
                 nvcc of a toolkit no newer than the driver: nvcc -ptx -arch=compute_70 \
                 kernels/{name}.cu -o {}",
                path.display(),
                path.display()
            ))
        })
    }
    // ANCHOR_END: cuda_init
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_floats_are_reproducible_and_in_range() {
        let a = random_floats(1000, 7);
        assert_eq!(a, random_floats(1000, 7));
        assert_ne!(a, random_floats(1000, 8));
        assert!(a.iter().all(|&x| (0.0..1.0).contains(&x)));
        let digits = small_whole_numbers(1000, 7);
        assert!(digits.iter().all(|&x| [1.0, 2.0, 3.0].contains(&x)));
        assert!(digits.contains(&1.0) && digits.contains(&3.0));
    }

    #[test]
    fn the_tolerance_check_catches_a_wrong_element() {
        assert_eq!(assert_close("ok", &[1.0, 2.0], &[1.0, 2.0], 0.0), 0.0);
        let wrong = std::panic::catch_unwind(|| assert_close("x", &[1.0, 2.5], &[1.0, 2.0], 1e-6));
        assert!(wrong.is_err());
    }

    #[test]
    fn references_agree_with_hand_computed_values() {
        assert_eq!(reference::vector_add(&[1.0, 2.0], &[3.0, 4.0]), [4.0, 6.0]);
        assert_eq!(reference::saxpy(2.0, &[1.0], &[3.0]), [5.0]);
        assert_eq!(reference::radius(&[3.0], &[4.0]), [5.0]);
        assert_eq!(reference::dot(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
        // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]
        let c = reference::matmul(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0], 2);
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
        assert_eq!(round_up(1000, 256), 1024);
    }
}
