//! RTES as a peer: the flow translated command by command.

use rtes_benches::flow::FlowCommand;
use rtes_benches::outcome::{Fill, Levels};
use rtes_benches::rtes::{self, CountingSink, RecordingSink};
use rtes_engine::Engine;

use crate::Peer;

pub struct Rtes {
    engine: Engine,
    ts: u64,
    counting: CountingSink,
    recording: RecordingSink,
}

impl Peer for Rtes {
    const NAME: &'static str = "rtes";
    const NOTES: &'static str = "native replace (keeps priority on a same-price reduction)";

    fn new() -> Self {
        Rtes {
            engine: rtes::new_engine(),
            ts: 0,
            counting: CountingSink::default(),
            recording: RecordingSink::default(),
        }
    }

    #[inline]
    fn apply(&mut self, command: &FlowCommand) {
        self.ts += 1;
        let command = rtes::to_command(command, self.ts);
        self.engine.apply(&command, &mut self.counting);
    }

    fn apply_recording(&mut self, command: &FlowCommand, fills: &mut Vec<Fill>) {
        self.ts += 1;
        let command = rtes::to_command(command, self.ts);
        self.engine.apply(&command, &mut self.recording);
        assert!(
            self.recording.refusals.is_empty(),
            "{:?}",
            self.recording.refusals
        );
        fills.append(&mut self.recording.fills);
    }

    fn levels(&self) -> (Levels, Levels) {
        assert_eq!(self.counting.refusals, 0, "RTES refused a flow command");
        rtes::book_levels(&self.engine)
    }
}
