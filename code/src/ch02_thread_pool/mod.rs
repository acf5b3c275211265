//! Recipe 2.16: a teaching thread pool, built in two stages.
//!
//! - [`s1_workers`]: a fixed set of workers that take jobs from a shared queue;
//!   dropping the pool finishes the queued jobs and joins the workers.
//! - [`s2_results`]: `submit` returns a handle whose `join` gives the job's
//!   result, the role of `concurrent.futures.Future.result()`.
//!
//! Production code uses rayon's pool (also shown in recipe 2.16), which adds
//! work stealing (recipe 2.17) and scoped jobs.

pub mod s1_workers;
pub mod s2_results;

pub use s2_results::{JobHandle, ThreadPool};
