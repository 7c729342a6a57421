//! Shared workload generators for the RTES benchmarks.
#![deny(missing_docs)]
