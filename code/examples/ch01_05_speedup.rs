//! Recipe 1.5: evaluating performance. One CPU-bound job with a serial phase and
//! a parallel phase, run at 1, 2, 3 and 4 threads: time, speedup, efficiency, and
//! what Amdahl's law predicts from the serial fraction measured at one thread.
//!
//! Run: cargo run -p cookbook --example ch01_05_speedup [-- --items 400000 --rounds 100 --runs 5 --svg speedup.svg]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate plotters;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// The thread counts measured: fixed, so the table has the same rows on every machine.
const THREAD_COUNTS: [usize; 4] = [1, 2, 3, 4];

/// Scrambling rounds per item in the serial phase.
const SERIAL_ROUNDS: u32 = 12;

// ANCHOR: workload
/// Serial phase: a chain of pseudo-random numbers. Each value is computed from
/// the previous one, so no number of threads can speed this phase up.
fn generate(items: usize, seed: u64, rounds: u32) -> Vec<u64> {
    let mut state = seed;
    (0..items)
        .map(|_| {
            state = scramble(state, rounds);
            state
        })
        .collect()
}

/// Parallel phase: every item is scrambled `rounds` times, independently of the others.
fn scramble(item: u64, rounds: u32) -> u64 {
    (0..rounds).fold(item, |x, round| {
        (x ^ (x >> 31) ^ u64::from(round)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

/// The whole job: the serial phase, then the parallel phase split into one
/// equal chunk per thread. Returns a checksum and the time of the serial phase.
fn job(items: usize, rounds: u32, threads: usize) -> (u64, Duration) {
    let start = Instant::now();
    let data = generate(items, 0x2545_F491_4F6C_DD1D, SERIAL_ROUNDS);
    let serial_time = start.elapsed();

    let chunk = data.len().div_ceil(threads);
    let checksum = thread::scope(|scope| {
        let handles: Vec<_> = data
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().fold(0u64, |sum, &x| sum ^ scramble(x, rounds)))
            })
            .collect();
        handles
            .into_iter()
            .fold(0, |sum, h| sum ^ h.join().unwrap())
    });
    (checksum, serial_time)
}
// ANCHOR_END: workload

// ANCHOR: laws
/// Amdahl: with a serial fraction `f` of the one-thread time, `p` processors
/// can at best run `1 / (f + (1 - f) / p)` times faster.
fn amdahl(serial_fraction: f64, p: f64) -> f64 {
    1.0 / (serial_fraction + (1.0 - serial_fraction) / p)
}
// ANCHOR_END: laws

/// One job with a serial and a parallel phase, timed at 1, 2, 3 and 4 threads.
#[derive(Parser)]
struct Args {
    /// Items in the job.
    #[arg(long, default_value_t = 400_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    items: usize,
    /// Work per item in the parallel phase.
    #[arg(long, default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(0..=200))]
    rounds: u32,
    /// Timed runs per thread count; the median is shown.
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=15))]
    runs: usize,
    /// Also write the speedup chart to this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
}

fn main() {
    let Args {
        items,
        rounds,
        runs,
        svg,
    } = parse_args();

    // ANCHOR: main
    let mut rows = Vec::new();
    for threads in THREAD_COUNTS {
        let ((checksum, serial_time), time) = median_time(runs, || job(items, rounds, threads));
        rows.push((threads, time, serial_time, checksum));
    }
    let (_, one_thread, serial_part, checksum) = rows[0];
    assert!(
        rows.iter().all(|row| row.3 == checksum),
        "every thread count must compute the same checksum"
    );

    // Serial fraction f, measured on the one-thread run.
    let f = serial_part.as_secs_f64() / one_thread.as_secs_f64();
    println!("{items} items, {rounds} rounds each, checksum {checksum}");
    println!(
        "serial fraction f = {f:.3} (serial phase {})",
        ms(serial_part)
    );
    println!("threads       time  speedup  efficiency  Amdahl");
    let mut measured = Vec::new();
    for &(threads, time, _, _) in &rows {
        let p = threads as f64;
        let speedup = one_thread.as_secs_f64() / time.as_secs_f64();
        measured.push((p, speedup));
        println!(
            "{threads:>7} {:>10} {speedup:>7.2}x {:>10.1}% {:>6.2}x",
            ms(time),
            100.0 * speedup / p,
            amdahl(f, p),
        );
    }
    // ANCHOR_END: main

    // ANCHOR: plot
    if let Some(svg) = svg {
        let ideal = THREAD_COUNTS.map(|p| (p as f64, p as f64)).to_vec();
        let predicted = THREAD_COUNTS
            .map(|p| (p as f64, amdahl(f, p as f64)))
            .to_vec();
        let amdahl_label = format!("Amdahl, f = {f:.3}");
        let series = [
            ("measured", measured),
            ("ideal (linear)", ideal),
            (amdahl_label.as_str(), predicted),
        ];
        let (title, x_label, y_label) =
            ("Speedup of the job", "threads", "speedup over one thread");
        write_line_chart(&svg, title, x_label, y_label, &series).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
        eprintln!("plot written to {}", svg.display());
    }
    // ANCHOR_END: plot
}

/// Size of the SVG image, in pixels.
const CHART_SIZE: (u32, u32) = (640, 420);

/// Line colours, in the order of the series; darker than plotters' basic
/// palette so the lines stay readable on a white page.
const CHART_COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(90, 90, 90),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

/// Writes a line chart to `path` as SVG with plotters: one line per named
/// series, a marker at every point and an entry in the legend. The axes start
/// at zero and reach a little past the largest value, so the values read
/// honestly against the origin.
fn write_line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<(), Box<dyn Error>> {
    let points = || series.iter().flat_map(|(_, points)| points);
    if points().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return Err("a chart can only draw finite values".into());
    }
    let x_max = points().map(|p| p.0).fold(0.0, f64::max);
    let y_max = points().map(|p| p.1).fold(0.0, f64::max);
    // Headroom above the largest value, and a usable range if all are zero.
    let x_end = if x_max > 0.0 { x_max * 1.05 } else { 1.0 };
    let y_end = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x_end, 0.0..y_end)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|x| tick_label(*x))
            .y_label_formatter(&|y| tick_label(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (index, (name, points)) in series.iter().enumerate() {
            let colour = CHART_COLOURS[index % CHART_COLOURS.len()];
            let line = colour.stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), line))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
            chart.draw_series(
                points
                    .iter()
                    .map(|&point| Circle::new(point, 3, colour.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()?;
        root.present()?;
    }
    std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// Whole numbers without a decimal point (thread counts), others as they come.
fn tick_label(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}").trim_end_matches('0').to_owned()
    }
}

/// Runs `work` `runs` times; returns the result and the time of the median
/// run, which shrugs off the odd run disturbed by another process (and keeps
/// whatever the result measured consistent with the time shown).
fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, Duration) {
    let mut timed: Vec<(Duration, T)> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let result = std::hint::black_box(work());
            (start.elapsed(), result)
        })
        .collect();
    timed.sort_by_key(|&(time, _)| time);
    let (time, result) = timed.swap_remove(runs / 2);
    (result, time)
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
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
