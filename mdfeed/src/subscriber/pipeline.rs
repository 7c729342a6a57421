//! The sans-I/O heart of a subscriber: MoldUDP64 packet → sequence tracker
//! → ITCH decode → books. [`super::Subscriber`] feeds it from its sockets;
//! benchmarks and tests feed it bytes.

use super::snapshot::Snapshot;
use super::{Books, SequenceTracker};
use crate::itch::{Body, Message};
use crate::moldudp::Packet;

/// Packets in, in-order messages applied to [`Books`] and handed out.
///
/// ```
/// use rtes_mdfeed::itch::{stock_field, Body, Header, Message};
/// use rtes_mdfeed::moldudp::PacketBuilder;
/// use rtes_mdfeed::subscriber::Pipeline;
/// let add = Message { header: Header { stock_locate: 1, ..Header::default() },
///     body: Body::AddOrder { order_ref: 7, side: b'S', shares: 5,
///                            stock: stock_field("AAPL"), price: 1_000_000 } };
/// let mut bytes = [0u8; 64];
/// let len = add.encode(&mut bytes).unwrap();
/// let mut packet = PacketBuilder::new(*b"RTES000001", 1_400);
/// packet.start(1);
/// packet.push(&bytes[..len]);
/// let mut pipeline = Pipeline::new(1, 1_000, 1_000_000);
/// assert_eq!(pipeline.on_datagram(packet.bytes(), |_, _| {}), 1);
/// assert_eq!(pipeline.books().book(1).unwrap().best_ask().unwrap().shares, 5);
/// ```
#[derive(Debug, Clone)]
pub struct Pipeline {
    tracker: SequenceTracker,
    books: Books,
    malformed: u64,
}

impl Pipeline {
    /// Expects message `first_sequence` next; see [`SequenceTracker::new`].
    pub fn new(first_sequence: u64, pending_max: usize, retry_ns: u64) -> Pipeline {
        Pipeline {
            tracker: SequenceTracker::new(first_sequence, pending_max, retry_ns),
            books: Books::default(),
            malformed: 0,
        }
    }

    /// The sequence tracker.
    pub fn tracker(&self) -> &SequenceTracker {
        &self.tracker
    }

    /// The sequence tracker, to ask it for requests.
    pub fn tracker_mut(&mut self) -> &mut SequenceTracker {
        &mut self.tracker
    }

    /// The books built so far.
    pub fn books(&self) -> &Books {
        &self.books
    }

    /// Datagrams or messages that could not be decoded.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// Processes one datagram (live or retransmitted): every message now
    /// next in sequence is applied to the books, then passed to
    /// `on_message`. Returns the messages delivered.
    pub fn on_datagram(&mut self, bytes: &[u8], mut on_message: impl FnMut(u64, &Message)) -> u64 {
        let Ok(packet) = Packet::decode(bytes) else {
            self.malformed += 1;
            return 0;
        };
        let books = &mut self.books;
        let malformed = &mut self.malformed;
        let mut delivered = 0;
        self.tracker
            .on_packet(&packet, |sequence, bytes| match Message::decode(bytes) {
                Ok(message) => {
                    books.apply(&message);
                    on_message(sequence, &message);
                    delivered += 1;
                }
                Err(_) => *malformed += 1,
            });
        delivered
    }

    /// Replaces the books with a snapshot's and continues from its
    /// `live_from`: the snapshot's messages, then End of Snapshot, go to
    /// `on_message` with sequence number 0, then every held message from
    /// `live_from` on with its own. Returns the held messages delivered.
    pub fn apply_snapshot(
        &mut self,
        snapshot: &Snapshot,
        mut on_message: impl FnMut(u64, &Message),
    ) -> u64 {
        self.books = Books::default();
        for message in &snapshot.messages {
            self.books.apply(message);
            on_message(0, message);
        }
        let end = Message {
            header: Default::default(),
            body: Body::EndOfSnapshot {
                sequence: snapshot.live_from,
            },
        };
        on_message(0, &end);
        let books = &mut self.books;
        let malformed = &mut self.malformed;
        let mut delivered = 0;
        self.tracker.restart_at(
            snapshot.live_from,
            |sequence, bytes| match Message::decode(bytes) {
                Ok(message) => {
                    books.apply(&message);
                    on_message(sequence, &message);
                    delivered += 1;
                }
                Err(_) => *malformed += 1,
            },
        );
        delivered
    }
}
