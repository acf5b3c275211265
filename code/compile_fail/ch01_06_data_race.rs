// Two threads increment one plain integer: a data race. Rust refuses to compile it.
use std::thread;

fn main() {
    let mut hits = 0;
    thread::scope(|s| {
        s.spawn(|| hits += 1);
        s.spawn(|| hits += 1);
    });
    println!("{hits}");
}
