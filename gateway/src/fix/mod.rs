//! FIX 4.4 order entry: the acceptor's sessions and their persistent state.

pub mod store;
