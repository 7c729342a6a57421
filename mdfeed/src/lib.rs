//! # rtes-mdfeed
//!
//! Market data for RTES: ITCH 5.0 messages in MoldUDP64 packets, the rewind
//! server and the subscriber side. Filled in by the market-data issue.
#![deny(missing_docs)]
