//! A sample listing.
#![allow(dead_code)]
use std::sync::Mutex;

// ANCHOR: all
// ANCHOR: types
struct Counter {
    value: Mutex<u64>,
}
// ANCHOR_END: types

impl Counter {
    // ANCHOR: increment
    fn increment(&self) {
        *self.value.lock().unwrap() += 1;
    }
    // ANCHOR_END: increment
}
// ANCHOR_END: all

fn main() {
    // ANCHOR: repeated
    let counter = Counter { value: Mutex::new(0) };
    // ANCHOR_END: repeated
    counter.increment();
    # let hidden = "a line that already starts with a hash";
    // ANCHOR: repeated
    assert_eq!(*counter.value.lock().unwrap(), 1);
    // ANCHOR_END: repeated
}
