//! Recipe 8.4: element-wise kernels in OpenCL. SAXPY from a kernel file, and a
//! generic element-wise kernel generated at run time from an expression, the
//! way PyOpenCL's `ElementwiseKernel` does it. Both checked against the CPU.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_04_opencl_elementwise
//!      [-- --len 1000000]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, opencl, reference};
use ocl::{ProQue, flags};

const SAXPY: &str = include_str!("../../kernels/elementwise.cl");

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

fn main() -> ocl::Result<()> {
    let options = Options::from_env(&[("len", "1000000")]);
    let len = gpu::at_most(
        "len",
        options.positive("len"),
        gpu::MAX_LEN,
        "256 MiB per buffer",
    );
    let n = u32::try_from(len).unwrap_or_else(|_| cli::fail("--len must fit in 32 bits"));

    // ANCHOR: build
    let radius = elementwise_kernel(
        "radius",
        "__global const float *x, __global const float *y, __global float *z",
        "z[i] = sqrt(x[i] * x[i] + y[i] * y[i])",
    );
    let (platform, device) = opencl::first_device();
    opencl::check_buffer_len::<f32>(&device, "len", len);
    // One program holds both kernels: the file's and the generated one.
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(format!("{SAXPY}\n{radius}"))
        .dims(len)
        .build()?;
    print!("generated kernel:\n{radius}");
    // ANCHOR_END: build

    // ANCHOR: run
    let x = gpu::random_floats(len, 1);
    let y = gpu::random_floats(len, 2);
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
    let error = gpu::assert_close("saxpy", &saxpy_result, &reference::saxpy(a, &x, &y), 2.4e-7);
    println!(
        "saxpy    y = {a} * x + y on {len} elements: largest error {error:.1e} (tolerance 2.4e-7)"
    );
    // OpenCL allows sqrt an error of 3 units in the last place.
    let error = gpu::assert_close("radius", &z, &reference::radius(&x, &y), 1e-6);
    println!(
        "radius   z = sqrt(x*x + y*y) on {len} elements: largest error {error:.1e} (tolerance 1e-6)"
    );
    // ANCHOR_END: check
    Ok(())
}
