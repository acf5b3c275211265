//! Recipe 8.5: a reduction on the device, the dot product as map (x * y) and
//! reduce (+). First the naive way, a tree of launches in global memory, then
//! a tree inside each work-group in local memory; both checked against the CPU
//! and timed with the queue's profiling events.
//!
//! Run: cargo run -p cookbook --features opencl --example ch08_05_opencl_reduction
//!      [-- --len 2097152 --groups 64 --local 256 --runs 5]

use cookbook::cli::{self, Options};
use cookbook::gpu::{self, opencl, reference};
use cookbook::measure::{ms, speedup};
use ocl::{Buffer, Event, ProQue, flags};
use std::time::Duration;

const SOURCE: &str = include_str!("../../kernels/reduction.cl");

// ANCHOR: naive
/// Products into a scratch buffer, then about log2(n) launches that each add
/// the upper half onto the lower half. Returns the sum, the launches and the
/// time the device spent in them.
fn naive_dot(
    pro_que: &ProQue,
    x: &Buffer<f32>,
    y: &Buffer<f32>,
    n: u32,
) -> ocl::Result<(f64, usize, Duration)> {
    let products = pro_que.create_buffer::<f32>()?;
    let multiply = pro_que
        .kernel_builder("multiply")
        .arg(x)
        .arg(y)
        .arg(&products)
        .arg(n)
        .build()?;
    let add_halves = pro_que
        .kernel_builder("add_halves")
        .arg(&products)
        .arg_named("len", n)
        .build()?;
    let mut events = vec![Event::empty()];
    // SAFETY: the buffers have n elements; the kernels stay below n.
    unsafe { multiply.cmd().enew(&mut events[0]).enq()? };
    let mut len = n;
    while len > 1 {
        let half = len.div_ceil(2);
        add_halves.set_arg("len", len)?;
        let mut event = Event::empty();
        // SAFETY: work-item i adds element i + half < len onto element i.
        unsafe {
            let cmd = add_halves.cmd().global_work_size((len - half) as usize);
            cmd.enew(&mut event).enq()?;
        }
        events.push(event);
        len = half;
    }
    let mut sum = [0.0f32];
    products.read(&mut sum[..]).len(1).enq()?;
    let time = events
        .iter()
        .map(opencl::profiled)
        .sum::<ocl::Result<Duration>>()?;
    Ok((f64::from(sum[0]), events.len(), time))
}
// ANCHOR_END: naive

// ANCHOR: tree
/// One launch of `groups` work-groups of `local` work-items: each work-group
/// reduces its share in local memory and writes one partial sum. The host adds
/// the few partial sums.
fn tree_dot(
    pro_que: &ProQue,
    x: &Buffer<f32>,
    y: &Buffer<f32>,
    n: u32,
    (groups, local): (usize, usize),
) -> ocl::Result<(f64, Duration)> {
    let partial = pro_que.buffer_builder::<f32>().len(groups).build()?;
    let kernel = pro_que
        .kernel_builder("dot_partial")
        .arg(x)
        .arg(y)
        .arg(&partial)
        .arg(n)
        .arg_local::<f32>(local) // `sums`: one float per work-item
        .global_work_size(groups * local)
        .local_work_size(local)
        .build()?;
    let mut event = Event::empty();
    // SAFETY: the kernel reads x and y below n and writes one partial sum per
    // work-group into a buffer of `groups` elements.
    unsafe { kernel.cmd().enew(&mut event).enq()? };
    let mut sums = vec![0.0f32; groups];
    partial.read(&mut sums).enq()?;
    let total = sums.iter().map(|&s| f64::from(s)).sum();
    Ok((total, opencl::profiled(&event)?))
}
// ANCHOR_END: tree

fn main() -> ocl::Result<()> {
    let options = Options::from_env(&[
        ("len", "2097152"),
        ("groups", "64"),
        ("local", "256"),
        ("runs", "5"),
    ]);
    let len = options.positive("len");
    gpu::at_most(
        "len",
        len,
        gpu::MAX_DOT_LEN,
        "beyond it the sum may pass 2^24",
    );
    let (groups, local) = (options.positive("groups"), options.positive("local"));
    gpu::at_most(
        "groups",
        groups,
        1 << 16,
        "a few per compute unit is plenty",
    );
    let runs = options.positive("runs");
    let n = u32::try_from(len).unwrap_or_else(|_| cli::fail("--len must fit in 32 bits"));
    if !local.is_power_of_two() {
        cli::fail("--local must be a power of two (the tree halves it)");
    }

    // ANCHOR: main
    let (platform, device) = opencl::first_device();
    opencl::check_local_size(&device, "local", local);
    let pro_que = ProQue::builder()
        .platform(platform)
        .device(device)
        .src(SOURCE)
        .dims(len)
        .queue_properties(flags::QUEUE_PROFILING_ENABLE)
        .build()?;
    // Whole numbers 1 to 3: every partial sum is a whole number below 2^24,
    // which f32 holds exactly, so any order of additions gives the same sum.
    let x = gpu::small_whole_numbers(len, 1);
    let y = gpu::small_whole_numbers(len, 2);
    let input = |data: &[f32]| pro_que.buffer_builder().copy_host_slice(data).build();
    let (x_dev, y_dev) = (input(&x)?, input(&y)?);
    let want = reference::dot(&x, &y);
    if want >= gpu::F32_EXACT_INTEGERS {
        cli::fail("--len is too large: the sum would pass 2^24, where f32 sums stop being exact");
    }
    println!("dot product of {len} whole numbers 1 to 3; the CPU's sum: {want}");

    // The fastest of `runs` runs: the device is shared with everything else.
    let (mut naive_times, mut tree_times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (naive, launches, time) = naive_dot(&pro_que, &x_dev, &y_dev, n)?;
        assert_eq!(naive, want, "the naive reduction lost or doubled something");
        naive_times.push((time, launches));
        let (tree, time) = tree_dot(&pro_que, &x_dev, &y_dev, n, (groups, local))?;
        assert_eq!(tree, want, "the tree reduction lost or doubled something");
        tree_times.push(time);
    }
    let (naive_time, launches) = *naive_times.iter().min().expect("runs > 0");
    let tree_time = *tree_times.iter().min().expect("runs > 0");
    println!(
        "naive, global memory: {launches} launches                {:>10}  exact",
        ms(naive_time)
    );
    println!(
        "tree, local memory:   1 launch, {groups} groups of {local}  {:>10}  exact",
        ms(tree_time)
    );
    println!(
        "tree vs naive on this device: {} the speed",
        speedup(naive_time, tree_time)
    );
    // ANCHOR_END: main
    Ok(())
}
