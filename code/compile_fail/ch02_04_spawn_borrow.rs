// A spawned thread borrows a local vector. Rust refuses: the thread might outlive it.
use std::thread;

fn main() {
    let values = vec![1, 2, 3];
    let handle = thread::spawn(|| values.iter().sum::<i32>());
    println!("{}", handle.join().unwrap());
}
