// Rc counts its owners with a plain integer, so it must not reach another thread.
use std::rc::Rc;
use std::thread;

fn main() {
    let shared = Rc::new(vec![1, 2, 3]);
    let copy = Rc::clone(&shared);
    let handle = thread::spawn(move || copy.len());
    println!("{}", handle.join().unwrap() + shared.len());
}
