//! Recipe 8.4: element-wise kernels with CUDA (`cust`): SAXPY and the radius
//! sqrt(x^2 + y^2), both instances of one generic grid-stride loop in
//! kernels/elementwise.cu, checked against the CPU. The OpenCL twin is
//! ch08_04_opencl_elementwise.
//!
//! Needs an NVIDIA GPU and driver, and the PTX (scripts/check-kernels). Run:
//!   cargo run --release -p cookbook --features cuda --example ch08_04_cuda_elementwise
//!   [-- --len 1000000]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, reference};
use cust::prelude::*;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::from_env(&[("len", "1000000")]);
    let len = gpu::at_most(
        "len",
        options.positive("len"),
        gpu::MAX_LEN,
        "256 MiB per buffer",
    );
    let n = u32::try_from(len).unwrap_or_else(|_| cli::fail("--len must fit in 32 bits"));

    let (device, _context) = gpu::cuda::first_device();
    let module = gpu::cuda::load_module("elementwise");
    let stream = Stream::new(StreamFlags::DEFAULT, None)?;

    // ANCHOR: launch
    let x = gpu::random_floats(len, 1);
    let y = gpu::random_floats(len, 2);
    let x_dev = DeviceBuffer::from_slice(&x)?;
    let y_dev = DeviceBuffer::from_slice(&y)?;
    let y_saxpy = DeviceBuffer::from_slice(&y)?; // SAXPY updates y in place
    let z_dev = DeviceBuffer::<f32>::zeroed(len)?;
    let a = 2.5f32;
    // A grid-stride loop works with any grid: a few blocks per multiprocessor
    // keep the device busy without one thread per element.
    let sms = device.get_attribute(cust::device::DeviceAttribute::MultiprocessorCount)?;
    let (grid, block) = (4 * sms as u32, 256u32);
    // SAFETY: the arguments match each kernel's parameters; every buffer
    // holds n floats and the kernels index below n.
    unsafe {
        launch!(module.saxpy<<<grid, block, 0, stream>>>(
            a,
            x_dev.as_device_ptr(),
            y_saxpy.as_device_ptr(),
            n
        ))?;
        launch!(module.radius<<<grid, block, 0, stream>>>(
            x_dev.as_device_ptr(),
            y_dev.as_device_ptr(),
            z_dev.as_device_ptr(),
            n
        ))?;
    }
    stream.synchronize()?;
    let (mut saxpy, mut z) = (vec![0.0f32; len], vec![0.0f32; len]);
    y_saxpy.copy_to(&mut saxpy)?;
    z_dev.copy_to(&mut z)?;
    // ANCHOR_END: launch

    // ANCHOR: check
    let error = gpu::assert_close("saxpy", &saxpy, &reference::saxpy(a, &x, &y), 2.4e-7);
    println!(
        "saxpy    y = {a} * x + y on {len} elements: largest error {error:.1e} (tolerance 2.4e-7)"
    );
    let error = gpu::assert_close("radius", &z, &reference::radius(&x, &y), 1e-6);
    println!(
        "radius   z = sqrt(x*x + y*y) on {len} elements: largest error {error:.1e} (tolerance 1e-6)"
    );
    // ANCHOR_END: check
    Ok(())
}
