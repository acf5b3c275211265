//! Recipe 5.3: coroutines. A finite-state machine whose states are `async fn`s
//! that await each other, and, for one small `async fn`, the state-machine
//! `Future` the compiler generates, written out by hand and polled side by side.
//!
//! Run: cargo run -p cookbook --example ch05_03_coroutines [-- --seed 9]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate tokio;

use clap::Parser;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// The machine's input: a small deterministic pseudo-random source of 0s and
/// 1s (xorshift), so a seed always gives the same run.
struct Inputs(u64);

impl Inputs {
    fn new(seed: u64) -> Inputs {
        // Spread the seed's bits first: xorshift starts poorly from small seeds.
        Inputs(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u8 & 1
    }
}

// ANCHOR: machine
/// Start: input 0 goes to state 2, input 1 to state 1.
async fn start_state(inputs: &mut Inputs) -> String {
    let value = inputs.next();
    read_sensor().await;
    let result = match value {
        0 => state2(value, inputs).await,
        _ => state1(value, inputs).await,
    };
    format!("Start State calling {result}")
}

/// State 1: input 0 goes to state 3, input 1 to state 2.
async fn state1(transition: u8, inputs: &mut Inputs) -> String {
    let value = inputs.next();
    read_sensor().await;
    // The states call each other in a cycle: a future cannot contain itself,
    // so the next state's future goes on the heap (Box::pin).
    let result = match value {
        0 => Box::pin(state3(value, inputs)).await,
        _ => Box::pin(state2(value, inputs)).await,
    };
    format!("State 1 with transition value {transition}\nState 1 calling {result}")
}

/// State 2: input 0 goes to state 1, input 1 to state 3.
async fn state2(transition: u8, inputs: &mut Inputs) -> String {
    let value = inputs.next();
    read_sensor().await;
    let result = match value {
        0 => Box::pin(state1(value, inputs)).await,
        _ => Box::pin(state3(value, inputs)).await,
    };
    format!("State 2 with transition value {transition}\nState 2 calling {result}")
}

/// State 3: input 0 goes back to state 1, input 1 ends the machine.
async fn state3(transition: u8, inputs: &mut Inputs) -> String {
    let value = inputs.next();
    read_sensor().await;
    let result = match value {
        0 => Box::pin(state1(value, inputs)).await,
        _ => end_state(value).await,
    };
    format!("State 3 with transition value {transition}\nState 3 calling {result}")
}

async fn end_state(transition: u8) -> String {
    format!("End State with transition value {transition}")
}

/// Stands in for waiting on the outside world: gives the runtime a turn.
async fn read_sensor() {
    tokio::task::yield_now().await;
}
// ANCHOR_END: machine

// ANCHOR: yield_once
/// A leaf future: the first poll says "not yet" (after asking to be polled
/// again), the second says "done". Every await point bottoms out in futures
/// like this one, written by hand around a timer, a socket or a channel.
#[derive(Default)]
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref(); // ready to go on at once: poll me again
        Poll::Pending
    }
}
// ANCHOR_END: yield_once

// ANCHOR: by_hand
/// The `async fn` ...
async fn add_then_double(a: u32, b: u32) -> u32 {
    let sum = a + b;
    YieldOnce::default().await;
    sum * 2
}

/// ... and what the compiler makes of it: one variant per place the function
/// can be suspended, holding the variables that live across that point.
enum AddThenDouble {
    Start { a: u32, b: u32 },
    Waiting { sum: u32, inner: YieldOnce },
    Done,
}

impl Future for AddThenDouble {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        loop {
            match &mut *self {
                AddThenDouble::Start { a, b } => {
                    let sum = *a + *b; // the code before the first .await
                    *self = AddThenDouble::Waiting {
                        sum,
                        inner: YieldOnce::default(),
                    };
                }
                AddThenDouble::Waiting { sum, inner } => {
                    let sum = *sum;
                    match Pin::new(inner).poll(cx) {
                        Poll::Pending => return Poll::Pending, // suspended here
                        Poll::Ready(()) => {
                            *self = AddThenDouble::Done;
                            return Poll::Ready(sum * 2); // the code after it
                        }
                    }
                }
                AddThenDouble::Done => panic!("polled after it returned Ready"),
            }
        }
    }
}

/// The smallest executor: poll until Ready, counting the polls. A waker that
/// does nothing is enough because these futures are ready to go on at once.
fn poll_to_completion<F: Future>(future: F) -> (F::Output, usize) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
    }
}
// ANCHOR_END: by_hand

/// A state machine of `async fn`s, and one `async fn` written out by hand.
#[derive(Parser)]
struct Args {
    /// Seed of the machine's pseudo-random input. Not 0: xorshift would only
    /// give 0s.
    #[arg(long, default_value_t = 9,
          value_parser = clap::value_parser!(u64).range(1..=u64::MAX))]
    seed: u64,
}

fn main() {
    let Args { seed } = parse_args();

    // ANCHOR: main
    // Calling an async fn runs none of its body: it returns a future, a value.
    let compiled = add_then_double(20, 1);
    let by_hand = AddThenDouble::Start { a: 20, b: 1 };
    println!(
        "add_then_double(20, 1) is a future of {} bytes; the enum written by hand is {} bytes",
        size_of_val(&compiled),
        size_of_val(&by_hand)
    );
    let (compiled_result, compiled_polls) = poll_to_completion(compiled);
    let (by_hand_result, by_hand_polls) = poll_to_completion(by_hand);
    assert_eq!(
        compiled_result, by_hand_result,
        "same state machine, same result"
    );
    assert_eq!(compiled_polls, by_hand_polls);
    println!(
        "async fn: {compiled_result} after {compiled_polls} polls; by hand: {by_hand_result} after {by_hand_polls} polls"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("build the runtime");
    let mut inputs = Inputs::new(seed);
    let machine = start_state(&mut inputs);
    println!(
        "the state machine's future: {} bytes (the states it calls are boxed)",
        size_of_val(&machine)
    );
    let transcript = runtime.block_on(machine);
    assert!(transcript.starts_with("Start State calling "));
    assert!(transcript.ends_with("calling End State with transition value 1"));
    println!("Resume of the transition (seed {seed}):");
    println!("{transcript}");
    // ANCHOR_END: main
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
