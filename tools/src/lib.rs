//! # rtes-tools
//!
//! Shared code of the programs RTES users run (`order-blaster`, `md-listen`).
#![deny(missing_docs)]

pub mod blaster;
pub mod perf;
