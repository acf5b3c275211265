//! Shared helpers for the listings of the Rust parallel-programming cookbook.
//!
//! Each recipe is one program in `code/examples/`; what several of them need
//! (reading options, timing, printing a measurement) lives here so the listings
//! show only what their recipe teaches.

pub mod cli;
pub mod gpu;
pub mod measure;
pub mod plot;
pub mod workload;
