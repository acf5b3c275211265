//! Recipe 8.7: the vector sum of recipe 8.3 in OpenCL C, on any OpenCL device
//! (here PoCL's CPU device): load the kernel source, build it for the device,
//! copy the inputs, launch one work-item per element, read the result back and
//! check it against the CPU.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_07_opencl_vector_sum
//!      [-- --len 1000000 --local 256]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, opencl, reference};
use ocl::{ProQue, Program, flags};

// ANCHOR: source
/// The kernel, compiled into the program as text; the OpenCL driver compiles
/// it for the device when the program starts.
const SOURCE: &str = include_str!("../../kernels/vector_add.cl");
// ANCHOR_END: source

fn main() -> ocl::Result<()> {
    let options = Options::from_env(&[("len", "1000000"), ("local", "256")]);
    let len = gpu::at_most(
        "len",
        options.positive("len"),
        gpu::MAX_LEN,
        "256 MiB per buffer",
    );
    let local = options.positive("local");
    let n = u32::try_from(len).unwrap_or_else(|_| cli::fail("--len must fit in 32 bits"));

    // ANCHOR: setup
    let (platform, device) = opencl::first_device();
    opencl::check_local_size(&device, "local", local);
    opencl::check_buffer_len::<f32>(&device, "len", len);
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
    let a = gpu::random_floats(len, 1);
    let b = gpu::random_floats(len, 2);
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
    let global = gpu::round_up(len, local);
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
