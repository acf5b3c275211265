//! Recipe 2.19: evaluating multithreaded performance. A CPU-bound job (counting
//! primes) and an I/O-bound job (requests that block, simulated with a sleep)
//! run on 1, 2, 3 and 4 threads: time, speedup and efficiency for each, and
//! optionally a chart. code/examples/python/ch02_19_gil.py runs the same two
//! jobs with Python threads, for comparison.
//!
//! Run: cargo run -p cookbook --example ch02_19_threads_speedup [-- --limit 200000 --requests 12 --wait-ms 5 --runs 5 --svg threads_speedup.svg]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate plotters;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// Fixed thread counts, so the table has the same rows on every machine.
const THREAD_COUNTS: [usize; 4] = [1, 2, 3, 4];

/// The CPU-bound job hands out numbers in blocks of this size.
const BLOCK: u64 = 1000;

// ANCHOR: workloads
fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// CPU-bound: count the primes below `limit`. Blocks of numbers are dealt to
/// the threads in turn (block b to thread b % threads), so each thread gets a
/// fair mix of small, cheap numbers and large, expensive ones.
fn count_primes(limit: u64, threads: usize) -> usize {
    let blocks = limit.div_ceil(BLOCK);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                scope.spawn(move || {
                    (t..blocks)
                        .step_by(threads)
                        .flat_map(|b| b * BLOCK..((b + 1) * BLOCK).min(limit))
                        .filter(|&n| is_prime(n))
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// I/O-bound: `requests` requests that each wait `wait` for an answer. The
/// sleep stands in for blocking I/O (a network call, a disk read): the thread
/// uses no CPU while it waits. Requests are dealt to the threads in turn.
fn serve_requests(requests: usize, wait: Duration, threads: usize) -> usize {
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mine = (t..requests).step_by(threads).count();
                    for _ in 0..mine {
                        thread::sleep(wait);
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}
// ANCHOR_END: workloads

// ANCHOR: table
/// Times `job` at every thread count, prints the table, returns the speedups.
fn measure(runs: usize, job: impl Fn(usize) -> usize) -> Vec<(f64, f64)> {
    let rows: Vec<(usize, usize, Duration)> = THREAD_COUNTS
        .iter()
        .map(|&threads| {
            let (result, time) = median_time(runs, || job(threads));
            (threads, result, time)
        })
        .collect();
    assert!(
        rows.iter().all(|row| row.1 == rows[0].1),
        "same result at every thread count"
    );
    let one_thread = rows[0].2.as_secs_f64();
    println!("threads        time  speedup  efficiency");
    rows.iter()
        .map(|&(threads, _, time)| {
            let speedup = one_thread / time.as_secs_f64();
            let efficiency = 100.0 * speedup / threads as f64;
            println!(
                "{threads:>7} {:>11} {speedup:>7.2}x {efficiency:>10.1}%",
                ms(time)
            );
            (threads as f64, speedup)
        })
        .collect()
}

fn runs_text(runs: usize) -> String {
    match runs {
        1 => "one run each".to_owned(),
        n => format!("median of {n} runs"),
    }
}
// ANCHOR_END: table

/// A CPU-bound and an I/O-bound job timed on 1, 2, 3 and 4 threads.
#[derive(Parser)]
struct Args {
    /// The CPU-bound job counts the primes below this number.
    #[arg(long, default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    limit: u64,
    /// Requests of the I/O-bound job.
    #[arg(long, default_value_t = 12,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=50))]
    requests: usize,
    /// How long each request waits, in ms.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=20))]
    wait_ms: u64,
    /// Timed runs per row; the median is shown.
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=9))]
    runs: usize,
    /// Also write the speedup chart to this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
}

fn main() {
    let Args {
        limit,
        requests,
        wait_ms,
        runs,
        svg,
    } = parse_args();
    let wait = Duration::from_millis(wait_ms);

    // ANCHOR: main
    let primes = count_primes(limit, 1);
    assert_eq!(primes, (0..limit).filter(|&n| is_prime(n)).count());
    println!(
        "CPU-bound: primes below {limit}, {primes} found ({})",
        runs_text(runs)
    );
    let cpu = measure(runs, |threads| count_primes(limit, threads));

    println!(
        "I/O-bound: {requests} requests waiting {wait:?} each, sleep standing in for blocking I/O ({})",
        runs_text(runs)
    );
    let io = measure(runs, |threads| serve_requests(requests, wait, threads));
    // ANCHOR_END: main

    // ANCHOR: plot
    if let Some(svg) = svg {
        let ideal = THREAD_COUNTS.map(|p| (p as f64, p as f64)).to_vec();
        let series = [
            ("CPU-bound (primes)", cpu),
            ("I/O-bound (blocking waits)", io),
            ("ideal (linear)", ideal),
        ];
        let (title, x_label, y_label) = (
            "Rust threads: speedup over one thread",
            "threads",
            "speedup",
        );
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
