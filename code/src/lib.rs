//! Shared helpers for the listings of the Rust parallel-programming cookbook.
//!
//! Each recipe is one program in `code/examples/`; what several of them need
//! (reading options, timing, printing a measurement) lives here so the listings
//! show only what their recipe teaches.

#[cfg(feature = "distributed")]
pub mod celery;
pub mod ch02_event;
pub mod ch02_semaphore;
pub mod ch02_thread_pool;
pub mod ch05_event_loop;
pub mod cli;
pub mod gpu;
pub mod measure;
#[cfg(feature = "mpi")]
pub mod mpi_output;
pub mod plot;
mod sync;
#[cfg(feature = "distributed")]
pub mod task_queue;
pub mod worker_processes;
pub mod workload;
