//! The receiving half: one `mio` poll over every session; each readiness
//! is drained until `WouldBlock` in large reads, every complete message
//! decoded in place by its session's [`SessionReader`] (OUCH or FIX), and
//! every [`Reply`] resolved against [`Slots`]. One clock read per `read`
//! call stamps all the replies it brought.

use std::io::{ErrorKind, Read};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::protocol::{Event, Reply, SessionReader};
use super::run::Control;
use super::session::SessionLink;
use super::slots::{Request, RequestKind, Slots};
use super::stats::{LatencyKind, Stats};
use super::token::TokenCodec;

/// How often the running p99 is published for the progress bar.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(250);
/// Longest wait in `poll`, so phase changes are noticed.
const POLL_TIMEOUT: Duration = Duration::from_millis(50);

/// The receiving half of a logged-in session.
#[derive(Debug)]
pub struct ReadHalf {
    /// The socket (shared with the sender's write half).
    pub stream: std::net::TcpStream,
    /// Its reader, holding whatever arrived after the login.
    pub reader: SessionReader,
    /// Username or SenderCompID, for reports.
    pub name: String,
}

struct Connection {
    stream: TcpStream,
    reader: SessionReader,
    name: String,
    open: bool,
}

/// What the receiver hands back.
#[derive(Debug)]
pub struct ReceiverOutcome {
    /// Latencies and counters.
    pub stats: Stats,
    /// Requests never answered by the end of the drain.
    pub unanswered_count: u64,
    /// The first few of them (order number, request).
    pub unanswered_first: Vec<(u64, Request)>,
    /// Sessions the server closed (or the blaster gave up on), with why.
    pub closed_sessions: Vec<String>,
}

/// The receiver of a run.
pub struct Receiver {
    poll: Poll,
    connections: Vec<Connection>,
    links: Arc<[SessionLink]>,
    codec: TokenCodec,
    slots: Arc<Slots>,
    control: Arc<Control>,
    start: Instant,
    stats: Stats,
    drain_timeout: Duration,
}

/// How many unanswered tokens the report lists.
pub const UNANSWERED_LISTED: usize = 10;

impl Receiver {
    /// A receiver over `sessions` (their read halves, already logged in);
    /// `links[i]` is shared with the sender's session `i`.
    pub fn new(
        sessions: Vec<ReadHalf>,
        links: Arc<[SessionLink]>,
        codec: TokenCodec,
        slots: Arc<Slots>,
        control: Arc<Control>,
        start: Instant,
        drain_timeout: Duration,
    ) -> Result<Receiver> {
        assert_eq!(sessions.len(), links.len(), "one link per session");
        let poll = Poll::new()?;
        let mut connections = Vec::with_capacity(sessions.len());
        for (index, half) in sessions.into_iter().enumerate() {
            half.stream.set_nonblocking(true)?;
            let mut stream = TcpStream::from_std(half.stream);
            poll.registry()
                .register(&mut stream, Token(index), Interest::READABLE)?;
            connections.push(Connection {
                stream,
                reader: half.reader,
                name: half.name,
                open: true,
            });
        }
        Ok(Receiver {
            poll,
            connections,
            links,
            codec,
            slots,
            control,
            start,
            stats: Stats::default(),
            drain_timeout,
        })
    }

    fn elapsed_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Runs until the send phase is over and every reply is in (or the
    /// drain timeout passed), then through the clean-up phase.
    pub fn run(self) -> Result<ReceiverOutcome> {
        let control = Arc::clone(&self.control);
        let outcome = self.run_phases();
        // Whatever happened, let the sender stop waiting for us.
        control.drained.store(true, Ordering::Release);
        control.receiver_done.store(true, Ordering::Release);
        outcome
    }

    fn run_phases(mut self) -> Result<ReceiverOutcome> {
        let mut events = Events::with_capacity(1024);
        let mut last_publish = Instant::now();
        // Bytes already buffered at login are replies too.
        for index in 0..self.connections.len() {
            self.process_frames(index, self.elapsed_ns());
        }
        let mut drain_deadline: Option<Instant> = None;
        let mut snapshot: Option<(u64, Vec<(u64, Request)>)> = None;
        let mut cleanup_deadline: Option<Instant> = None;
        loop {
            match self.poll.poll(&mut events, Some(POLL_TIMEOUT)) {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            }
            for event in events.iter() {
                self.drain_socket(event.token().0);
            }
            // The sender may have given up on a session (a failed write):
            // read what the server said last (often the real reason), then
            // stop.
            for index in 0..self.connections.len() {
                if self.connections[index].open && self.links[index].is_closed() {
                    self.drain_socket(index);
                    self.close(index, None);
                }
            }
            if last_publish.elapsed() >= PUBLISH_INTERVAL {
                last_publish = Instant::now();
                let p99 = self.stats.all_ns.value_at_quantile(0.99);
                self.control.running_p99_ns.store(p99, Ordering::Relaxed);
            }
            let all_closed = self.connections.iter().all(|c| !c.open);
            if snapshot.is_none() {
                if !self.control.sender_done.load(Ordering::Acquire) && !all_closed {
                    continue;
                }
                let deadline =
                    *drain_deadline.get_or_insert_with(|| Instant::now() + self.drain_timeout);
                if self.slots.outstanding() > 0 && Instant::now() < deadline && !all_closed {
                    continue;
                }
                let used = self.control.orders_used.load(Ordering::Acquire);
                snapshot = Some(self.slots.unanswered(used, UNANSWERED_LISTED));
                self.control.drained.store(true, Ordering::Release);
                cleanup_deadline = Some(Instant::now() + self.drain_timeout);
            }
            let unanswered = snapshot.as_ref().map_or(0, |(count, _)| *count);
            let cleanup_sent = self.control.cleanup_done.load(Ordering::Acquire);
            let past = cleanup_deadline.is_some_and(|deadline| Instant::now() >= deadline);
            if all_closed || past || (cleanup_sent && self.slots.outstanding() <= unanswered) {
                break;
            }
        }
        let (unanswered_count, unanswered_first) = snapshot.unwrap_or_default();
        let closed_sessions = self
            .connections
            .iter()
            .zip(self.links.iter())
            .enumerate()
            .filter_map(|(index, (connection, link))| {
                let why = link.reason()?;
                Some(format!("session {index} ({}): {why}", connection.name))
            })
            .collect();
        Ok(ReceiverOutcome {
            stats: self.stats,
            unanswered_count,
            unanswered_first,
            closed_sessions,
        })
    }

    /// Stops reading session `index` and tells the sender to stop using
    /// it; `why` goes into the report (`None`: the sender already said).
    fn close(&mut self, index: usize, why: Option<String>) {
        let connection = &mut self.connections[index];
        if connection.open {
            connection.open = false;
            let _ = self.poll.registry().deregister(&mut connection.stream);
            if let Some(why) = why {
                self.links[index].close_from_receiver(why);
            }
        }
    }

    fn drain_socket(&mut self, index: usize) {
        loop {
            let connection = &mut self.connections[index];
            if !connection.open {
                return;
            }
            let spare = connection.reader.spare_capacity();
            if spare.is_empty() {
                // Only a message longer than the buffer could do this, and
                // the readers refuse those first.
                self.close(index, Some("receive buffer full".to_string()));
                return;
            }
            match connection.stream.read(spare) {
                Ok(0) => {
                    self.process_frames(index, self.elapsed_ns());
                    self.close(index, Some("server closed the connection".to_string()));
                    return;
                }
                Ok(read) => {
                    connection.reader.commit(read);
                    let now = self.elapsed_ns();
                    self.process_frames(index, now);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.close(index, Some(format!("read error: {error}")));
                    return;
                }
            }
        }
    }

    fn process_frames(&mut self, index: usize, now_ns: u64) {
        loop {
            // Split borrows: the event borrows the reader, the handlers
            // borrow the rest of `self`.
            let Receiver {
                connections,
                links,
                codec,
                slots,
                control,
                stats,
                ..
            } = &mut *self;
            if !connections[index].open {
                return;
            }
            match connections[index].reader.next_event() {
                Event::Pending => return,
                Event::Reply(reply) => ReplyHandler {
                    codec,
                    slots,
                    control,
                    stats,
                    now_ns,
                }
                .apply(reply),
                Event::Ignored => {}
                Event::Malformed => stats.malformed += 1,
                Event::TestRequest(id) => {
                    stats.test_requests += 1;
                    links[index].post_test_request(id);
                }
                Event::Close(why) => {
                    self.close(index, Some(why));
                    return;
                }
            }
        }
    }
}

/// Resolves replies against the slots; the core of the receiver, the same
/// for every protocol.
struct ReplyHandler<'a> {
    codec: &'a TokenCodec,
    slots: &'a Slots,
    control: &'a Control,
    stats: &'a mut Stats,
    now_ns: u64,
}

impl ReplyHandler<'_> {
    fn number(&mut self, token: &[u8]) -> Option<u64> {
        match self.codec.decode_slice(token) {
            Some(number) if self.slots.contains(number) => Some(number),
            _ => {
                self.stats.foreign += 1;
                None
            }
        }
    }

    fn resolved(&mut self, kind: LatencyKind, request: Request) {
        self.control.acked.fetch_add(1, Ordering::Relaxed);
        if request.measured {
            self.stats
                .record(kind, self.now_ns.saturating_sub(request.scheduled_ns));
        }
    }

    fn apply(&mut self, reply: Reply<'_>) {
        match reply {
            Reply::Accepted {
                token,
                open_shares,
                dead,
            } => {
                let Some(number) = self.number(token) else {
                    return;
                };
                if dead {
                    self.slots.set_dead(number);
                } else {
                    self.slots.set_live(number, open_shares);
                }
                if let Some(request) = self.slots.take_if(number, RequestKind::New) {
                    self.resolved(LatencyKind::New, request);
                }
            }
            Reply::Executed { token, shares } => {
                let Some(number) = self.number(token) else {
                    return;
                };
                self.stats.executions += 1;
                self.slots.reduce(number, shares);
                if let Some(request) = self.slots.take_if(number, RequestKind::Ioc) {
                    self.resolved(LatencyKind::Ioc, request);
                }
            }
            Reply::Canceled { token } => {
                let Some(number) = self.number(token) else {
                    return;
                };
                // The blaster only ever cancels whole orders; IOC remainders
                // and self-match cancels end the order too.
                self.slots.set_dead(number);
                match self.slots.peek(number).map(|request| request.kind) {
                    Some(RequestKind::Cancel) => self.take_and_resolve(number, LatencyKind::Cancel),
                    Some(RequestKind::Ioc) => {
                        self.take_and_resolve(number, LatencyKind::IocUnfilled)
                    }
                    Some(RequestKind::New) => self.take_and_resolve(number, LatencyKind::New),
                    _ => {}
                }
            }
            Reply::Replaced {
                token,
                previous,
                open_shares,
            } => {
                let Some(number) = self.number(token) else {
                    return;
                };
                self.slots.set_live(number, open_shares);
                if let Some(previous) = self.codec.decode_slice(previous) {
                    if self.slots.contains(previous) {
                        self.slots.set_dead(previous);
                        self.slots.take_if(previous, RequestKind::ReplaceSource);
                    }
                }
                if let Some(request) = self.slots.take_if(number, RequestKind::Replace) {
                    self.resolved(LatencyKind::Replace, request);
                }
            }
            Reply::Rejected { token } => {
                let Some(number) = self.number(token) else {
                    return;
                };
                self.rejected(number);
            }
            Reply::CancelRejected { token } => {
                let Some(number) = self.number(token) else {
                    return;
                };
                if let Some(request) = self.slots.take_if(number, RequestKind::Cancel) {
                    if request.measured {
                        self.stats.cancel_rejected += 1;
                    }
                    self.control.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn rejected(&mut self, number: u64) {
        self.slots.set_dead(number);
        let Some(request) = self.slots.take(number) else {
            return;
        };
        self.control.rejected.fetch_add(1, Ordering::Relaxed);
        let slot = match request.kind {
            RequestKind::New => 0,
            RequestKind::Ioc => 1,
            RequestKind::Cancel => 2,
            RequestKind::Replace | RequestKind::ReplaceSource => 3,
        };
        if request.measured {
            self.stats.rejected[slot] += 1;
        }
        if request.kind == RequestKind::Replace {
            if let Some(original) = self.slots.replaced_by(number) {
                self.slots.take_if(original, RequestKind::ReplaceSource);
            }
        }
    }

    fn take_and_resolve(&mut self, number: u64, kind: LatencyKind) {
        if let Some(request) = self.slots.take(number) {
            self.resolved(kind, request);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blaster::ouch;
    use crate::blaster::slots::Liveness;
    use rtes_gateway::ouch::{
        Accepted, AcceptedOrder, BboWeightIndicator, CancelReason, CancelReject, Canceled,
        Capacity, CrossType, Display, Executed, IntermarketSweep, LiquidityFlag, OrderState,
        OuchMessage, RejectReason, Rejected, Replaced, Side,
    };
    use rtes_gateway::soupbin::ascii::Alpha;

    const CODEC: TokenCodec = TokenCodec::new_const(*b"RUN001");

    fn token(number: u64) -> Alpha<14> {
        Alpha(CODEC.encode(number))
    }

    fn accepted(number: u64, shares: u32) -> AcceptedOrder {
        AcceptedOrder {
            timestamp_ns: 1,
            order_token: token(number),
            side: Side::Buy,
            shares,
            stock: Alpha(*b"AAPL    "),
            price: 1_900_000,
            time_in_force: 99_999,
            firm: Alpha(*b"RTES"),
            display: Display::Anonymous,
            order_reference_number: 7,
            capacity: Capacity::Agency,
            intermarket_sweep: IntermarketSweep::NotEligible,
            minimum_quantity: 0,
            cross_type: CrossType::NoCross,
            order_state: OrderState::Live,
            bbo_weight_indicator: BboWeightIndicator::Unspecified,
        }
    }

    struct Fixture {
        slots: Slots,
        control: Control,
        stats: Stats,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                slots: Slots::new(16),
                control: Control::default(),
                stats: Stats::default(),
            }
        }

        fn begin(&self, number: u64, kind: RequestKind) {
            self.slots.begin(
                number,
                Request {
                    kind,
                    measured: true,
                    scheduled_ns: 1_000,
                },
            );
        }

        /// What `process_frames` does with an event that concerns orders.
        fn handle(&mut self, event: Event<'_>, now_ns: u64) {
            let mut handler = ReplyHandler {
                codec: &CODEC,
                slots: &self.slots,
                control: &self.control,
                stats: &mut self.stats,
                now_ns,
            };
            match event {
                Event::Reply(reply) => handler.apply(reply),
                Event::Malformed => handler.stats.malformed += 1,
                other => panic!("not an order event: {other:?}"),
            }
        }

        fn reply<M: OuchMessage>(&mut self, message: &M, now_ns: u64) {
            let mut bytes = [0u8; 128];
            let length = message.encode(&mut bytes).unwrap();
            self.handle(ouch::event_of(&bytes[..length]), now_ns);
        }

        fn count(&self, kind: LatencyKind) -> u64 {
            self.stats.histogram(kind).len()
        }
    }

    #[test]
    fn order_then_cancel() {
        let mut fixture = Fixture::new();
        fixture.begin(0, RequestKind::New);
        fixture.reply(&Accepted(accepted(0, 100)), 51_000);
        assert_eq!(fixture.count(LatencyKind::New), 1);
        assert_eq!(
            fixture.stats.histogram(LatencyKind::New).max() / 1000,
            50,
            "measured from the scheduled time"
        );
        assert_eq!(fixture.slots.liveness(0), Liveness::Live);
        fixture.begin(0, RequestKind::Cancel);
        fixture.reply(
            &Canceled {
                timestamp_ns: 2,
                order_token: token(0),
                decrement_shares: 100,
                reason: CancelReason::UserRequested,
            },
            60_000,
        );
        assert_eq!(fixture.count(LatencyKind::Cancel), 1);
        assert_eq!(fixture.slots.liveness(0), Liveness::Dead);
        assert_eq!(fixture.slots.outstanding(), 0);
    }

    #[test]
    fn ioc_waits_for_its_first_execution() {
        let mut fixture = Fixture::new();
        fixture.begin(1, RequestKind::Ioc);
        fixture.reply(&Accepted(accepted(1, 300)), 10_000);
        assert_eq!(
            fixture.slots.outstanding(),
            1,
            "Accepted does not end an IOC"
        );
        let executed = Executed {
            timestamp_ns: 3,
            order_token: token(1),
            executed_shares: 100,
            execution_price: 1_900_000,
            liquidity_flag: LiquidityFlag::Removed,
            match_number: 9,
        };
        fixture.reply(&executed, 20_000);
        fixture.reply(&executed, 21_000);
        fixture.reply(
            &Canceled {
                timestamp_ns: 4,
                order_token: token(1),
                decrement_shares: 100,
                reason: CancelReason::ImmediateOrCancel,
            },
            22_000,
        );
        assert_eq!(fixture.count(LatencyKind::Ioc), 1);
        assert_eq!(fixture.count(LatencyKind::IocUnfilled), 0);
        assert_eq!(fixture.stats.executions, 2);
        assert_eq!(fixture.slots.liveness(1), Liveness::Dead);
        // An IOC that found nothing: Accepted then Canceled.
        fixture.begin(2, RequestKind::Ioc);
        fixture.reply(&Accepted(accepted(2, 100)), 10_000);
        fixture.reply(
            &Canceled {
                timestamp_ns: 4,
                order_token: token(2),
                decrement_shares: 100,
                reason: CancelReason::ImmediateOrCancel,
            },
            12_000,
        );
        assert_eq!(fixture.count(LatencyKind::IocUnfilled), 1);
        assert_eq!(fixture.slots.outstanding(), 0);
    }

    #[test]
    fn replace_accepted_and_replace_refused() {
        let mut fixture = Fixture::new();
        fixture.begin(3, RequestKind::New);
        fixture.reply(&Accepted(accepted(3, 100)), 5_000);
        // 3 → 4 succeeds.
        fixture.slots.link_replacement(4, 3);
        fixture.begin(3, RequestKind::ReplaceSource);
        fixture.begin(4, RequestKind::Replace);
        assert_eq!(fixture.slots.liveness(3), Liveness::Busy);
        fixture.reply(
            &Replaced {
                order: accepted(4, 200),
                previous_order_token: token(3),
            },
            9_000,
        );
        assert_eq!(fixture.count(LatencyKind::Replace), 1);
        assert_eq!(fixture.slots.liveness(3), Liveness::Dead);
        assert_eq!(fixture.slots.liveness(4), Liveness::Live);
        assert_eq!(fixture.slots.outstanding(), 0);
        // 4 → 5 refused (4 filled meanwhile): Rejected on the replacement.
        fixture.slots.link_replacement(5, 4);
        fixture.begin(4, RequestKind::ReplaceSource);
        fixture.begin(5, RequestKind::Replace);
        fixture.reply(
            &Rejected {
                timestamp_ns: 5,
                order_token: token(5),
                reason: RejectReason::Other,
            },
            9_000,
        );
        assert_eq!(fixture.stats.rejected, [0, 0, 0, 1]);
        assert_eq!(
            fixture.slots.outstanding(),
            0,
            "the source marker is cleared too"
        );
    }

    #[test]
    fn cancel_reject_and_foreign_tokens() {
        let mut fixture = Fixture::new();
        fixture.begin(6, RequestKind::Cancel);
        fixture.reply(
            &CancelReject {
                timestamp_ns: 6,
                order_token: token(6),
            },
            7_000,
        );
        assert_eq!(fixture.stats.cancel_rejected, 1);
        assert_eq!(fixture.slots.outstanding(), 0);
        fixture.reply(
            &CancelReject {
                timestamp_ns: 6,
                order_token: Alpha(TokenCodec::new(99).encode(6)),
            },
            7_000,
        );
        assert_eq!(fixture.stats.foreign, 1);
        // Beyond the slots: foreign too, never an out-of-bounds index.
        fixture.reply(
            &CancelReject {
                timestamp_ns: 6,
                order_token: token(1_000),
            },
            7_000,
        );
        assert_eq!(fixture.stats.foreign, 2);
        fixture.on_garbage();
        assert_eq!(fixture.stats.malformed, 1);
    }

    impl Fixture {
        fn on_garbage(&mut self) {
            self.handle(ouch::event_of(b"A short"), 0);
        }
    }

    /// Replies as RTES's FIX acceptor sends them, through a [`FixReader`]
    /// (framing, sequence numbers) into the same handler.
    mod fix {
        use super::*;
        use crate::blaster::fix::FixReader;
        use crate::blaster::session::RECEIVE_BUFFER_BYTES;
        use rtes_gateway::fix::codec::{tags, Encoder};

        struct Venue {
            reader: FixReader,
            sequence: u64,
        }

        impl Venue {
            fn new() -> Venue {
                Venue {
                    reader: FixReader::new(RECEIVE_BUFFER_BYTES),
                    sequence: 1,
                }
            }

            /// Sends `msg_type` with `body` (`#N` stands for token N) and
            /// hands what the reader made of it to the fixture.
            fn send(
                &mut self,
                fixture: &mut Fixture,
                msg_type: &str,
                body: &[(u32, &str)],
                now_ns: u64,
            ) {
                let mut encoder = Encoder::with_capacity(512);
                encoder.begin(msg_type.as_bytes());
                encoder.field_bytes(tags::SENDER_COMP_ID, b"RTES");
                encoder.field_bytes(tags::TARGET_COMP_ID, b"DEMO01");
                encoder.field_u64(tags::MSG_SEQ_NUM, self.sequence);
                encoder.field_bytes(tags::SENDING_TIME, b"20261123-09:20:00.000");
                for (tag, value) in body {
                    let value = match value.strip_prefix('#') {
                        Some(rest) => {
                            let (number, suffix) = rest.split_at(
                                rest.find(|c: char| !c.is_ascii_digit())
                                    .unwrap_or(rest.len()),
                            );
                            let mut id = CODEC.encode(number.parse().unwrap()).to_vec();
                            id.extend_from_slice(suffix.as_bytes());
                            id
                        }
                        None => value.as_bytes().to_vec(),
                    };
                    encoder.field_bytes(*tag, &value);
                }
                self.sequence += 1;
                let bytes = encoder.finish();
                self.reader.spare_capacity()[..bytes.len()].copy_from_slice(bytes);
                self.reader.commit(bytes.len());
                let event = self.reader.next_event();
                fixture.handle(event, now_ns);
                assert_eq!(self.reader.next_event(), Event::Pending);
            }
        }

        #[test]
        fn new_order_cancel_and_iocs() {
            let mut fixture = Fixture::new();
            let mut venue = Venue::new();
            fixture.begin(0, RequestKind::New);
            venue.send(
                &mut fixture,
                "8",
                &[(150, "0"), (39, "0"), (11, "#0"), (151, "100"), (14, "0")],
                31_000,
            );
            assert_eq!(fixture.count(LatencyKind::New), 1);
            assert_eq!(fixture.stats.histogram(LatencyKind::New).max() / 1000, 30);
            assert_eq!(fixture.slots.liveness(0), Liveness::Live);
            // The cancel's own ClOrdID is in 11; the order's in 41.
            fixture.begin(0, RequestKind::Cancel);
            venue.send(
                &mut fixture,
                "8",
                &[(150, "4"), (39, "4"), (11, "#0C"), (41, "#0"), (151, "0")],
                40_000,
            );
            assert_eq!(fixture.count(LatencyKind::Cancel), 1);
            assert_eq!(fixture.slots.liveness(0), Liveness::Dead);
            // IOC: New does not end it, the first fill does.
            fixture.begin(1, RequestKind::Ioc);
            venue.send(
                &mut fixture,
                "8",
                &[(150, "0"), (11, "#1"), (151, "300")],
                10_000,
            );
            assert_eq!(fixture.slots.outstanding(), 1);
            venue.send(
                &mut fixture,
                "8",
                &[
                    (150, "F"),
                    (11, "#1"),
                    (32, "100"),
                    (31, "190.01"),
                    (151, "200"),
                ],
                20_000,
            );
            venue.send(
                &mut fixture,
                "8",
                &[(150, "4"), (11, "#1"), (151, "0")],
                21_000,
            );
            assert_eq!(fixture.count(LatencyKind::Ioc), 1);
            assert_eq!(fixture.stats.executions, 1);
            // An IOC that found nothing: New then its remainder canceled.
            fixture.begin(2, RequestKind::Ioc);
            venue.send(
                &mut fixture,
                "8",
                &[(150, "0"), (11, "#2"), (151, "100")],
                10_000,
            );
            venue.send(
                &mut fixture,
                "8",
                &[
                    (150, "4"),
                    (11, "#2"),
                    (151, "0"),
                    (58, "immediate-or-cancel remainder"),
                ],
                12_000,
            );
            assert_eq!(fixture.count(LatencyKind::IocUnfilled), 1);
            assert_eq!(fixture.slots.outstanding(), 0);
            // A refused order.
            fixture.begin(6, RequestKind::New);
            venue.send(
                &mut fixture,
                "8",
                &[(150, "8"), (39, "8"), (11, "#6"), (103, "99")],
                12_000,
            );
            assert_eq!(fixture.stats.rejected, [1, 0, 0, 0]);
            assert_eq!(fixture.slots.liveness(6), Liveness::Dead);
        }

        #[test]
        fn replaces_and_cancel_rejects() {
            let mut fixture = Fixture::new();
            let mut venue = Venue::new();
            fixture.begin(3, RequestKind::New);
            venue.send(
                &mut fixture,
                "8",
                &[(150, "0"), (11, "#3"), (151, "100")],
                5_000,
            );
            fixture.slots.link_replacement(4, 3);
            fixture.begin(3, RequestKind::ReplaceSource);
            fixture.begin(4, RequestKind::Replace);
            venue.send(
                &mut fixture,
                "8",
                &[(150, "5"), (39, "0"), (11, "#4"), (41, "#3"), (151, "200")],
                9_000,
            );
            assert_eq!(fixture.count(LatencyKind::Replace), 1);
            assert_eq!(fixture.slots.liveness(3), Liveness::Dead);
            assert_eq!(fixture.slots.liveness(4), Liveness::Live);
            // 4 → 5 refused: OrderCancelReject 434=2 names the replacement in 11.
            fixture.slots.link_replacement(5, 4);
            fixture.begin(4, RequestKind::ReplaceSource);
            fixture.begin(5, RequestKind::Replace);
            venue.send(
                &mut fixture,
                "9",
                &[(11, "#5"), (41, "#4"), (39, "0"), (434, "2"), (102, "0")],
                9_500,
            );
            assert_eq!(fixture.stats.rejected, [0, 0, 0, 1]);
            assert_eq!(
                fixture.slots.outstanding(),
                0,
                "the source marker is cleared too"
            );
            assert_eq!(
                fixture.slots.liveness(4),
                Liveness::Live,
                "the original still rests"
            );
            // A cancel of 4 refused: 434=1 names the order in 41.
            fixture.begin(4, RequestKind::Cancel);
            venue.send(
                &mut fixture,
                "9",
                &[(11, "#4C"), (41, "#4"), (39, "4"), (434, "1"), (102, "0")],
                9_700,
            );
            assert_eq!(fixture.stats.cancel_rejected, 1);
            assert_eq!(fixture.slots.outstanding(), 0);
            // Another run's ClOrdID, and one that is not a token at all.
            venue.send(
                &mut fixture,
                "8",
                &[(150, "0"), (11, "ZZZZZZ00000001"), (151, "1")],
                1,
            );
            venue.send(&mut fixture, "8", &[(150, "0"), (11, "o-1"), (151, "1")], 1);
            assert_eq!(fixture.stats.foreign, 2);
            venue.send(&mut fixture, "8", &[(150, "0"), (11, "#7")], 1);
            assert_eq!(fixture.stats.malformed, 1, "a New without LeavesQty");
        }
    }
}
