//! Test support shared by the engine's integration tests: the naive
//! reference engine, a recording event sink and the random command streams.
//!
//! Each test binary uses only part of this module, hence the allowance.
#![allow(dead_code)]

pub mod reference;
pub mod stream;

use rtes_engine::{EventSink, MarketEvent, Report};

/// One event as emitted, reports and market events in one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A report to an owner.
    Report(Report),
    /// A public market-data delta.
    Market(MarketEvent),
}

/// An `EventSink` that keeps every event in emission order.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Events in the order the engine emitted them.
    pub events: Vec<Recorded>,
}

impl Recorder {
    /// Takes the events recorded so far, leaving the recorder empty.
    pub fn take(&mut self) -> Vec<Recorded> {
        std::mem::take(&mut self.events)
    }
}

impl EventSink for Recorder {
    fn report(&mut self, report: &Report) {
        self.events.push(Recorded::Report(*report));
    }

    fn market(&mut self, event: &MarketEvent) {
        self.events.push(Recorded::Market(*event));
    }
}
