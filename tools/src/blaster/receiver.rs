//! The receiving half: one `mio` poll over every session; each readiness
//! is drained until `WouldBlock` in large reads, every complete SoupBinTCP
//! frame decoded in place, and every reply resolved against [`Slots`].
//! One clock read per `read` call stamps all the replies it brought.

use std::io::{ErrorKind, Read};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rtes_gateway::ouch::{decode_outbound, OutboundMessage};
use rtes_gateway::soupbin::{FrameDecoder, Packet, SoupError};

use super::run::Control;
use super::slots::{Request, RequestKind, Slots};
use super::stats::{LatencyKind, Stats};
use super::token::TokenCodec;

/// How often the running p99 is published for the progress bar.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(250);
/// Longest wait in `poll`, so phase changes are noticed.
const POLL_TIMEOUT: Duration = Duration::from_millis(50);

struct Connection {
    stream: TcpStream,
    decoder: FrameDecoder,
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
    /// Sessions the server closed, with why.
    pub closed_sessions: Vec<String>,
}

/// The receiver of a run.
pub struct Receiver {
    poll: Poll,
    connections: Vec<Connection>,
    codec: TokenCodec,
    slots: Arc<Slots>,
    control: Arc<Control>,
    start: Instant,
    stats: Stats,
    drain_timeout: Duration,
    closed_sessions: Vec<String>,
}

/// How many unanswered tokens the report lists.
pub const UNANSWERED_LISTED: usize = 10;

impl Receiver {
    /// A receiver over `sessions` (their read halves, already logged in).
    pub fn new(
        sessions: Vec<(std::net::TcpStream, FrameDecoder)>,
        codec: TokenCodec,
        slots: Arc<Slots>,
        control: Arc<Control>,
        start: Instant,
        drain_timeout: Duration,
    ) -> Result<Receiver> {
        let poll = Poll::new()?;
        let mut connections = Vec::with_capacity(sessions.len());
        for (index, (stream, decoder)) in sessions.into_iter().enumerate() {
            stream.set_nonblocking(true)?;
            let mut stream = TcpStream::from_std(stream);
            poll.registry()
                .register(&mut stream, Token(index), Interest::READABLE)?;
            connections.push(Connection {
                stream,
                decoder,
                open: true,
            });
        }
        Ok(Receiver {
            poll,
            connections,
            codec,
            slots,
            control,
            start,
            stats: Stats::default(),
            drain_timeout,
            closed_sessions: Vec::new(),
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
        Ok(ReceiverOutcome {
            stats: self.stats,
            unanswered_count,
            unanswered_first,
            closed_sessions: self.closed_sessions,
        })
    }

    fn close(&mut self, index: usize, why: String) {
        let connection = &mut self.connections[index];
        if connection.open {
            connection.open = false;
            let _ = self.poll.registry().deregister(&mut connection.stream);
            self.closed_sessions.push(format!("session {index}: {why}"));
        }
    }

    fn drain_socket(&mut self, index: usize) {
        loop {
            let connection = &mut self.connections[index];
            if !connection.open {
                return;
            }
            let spare = connection.decoder.spare_capacity();
            if spare.is_empty() {
                // Only a frame longer than the buffer could do this, and
                // the decoder refuses those first.
                self.close(index, "receive buffer full".to_string());
                return;
            }
            match connection.stream.read(spare) {
                Ok(0) => {
                    self.process_frames(index, self.elapsed_ns());
                    self.close(index, "server closed the connection".to_string());
                    return;
                }
                Ok(read) => {
                    connection.decoder.commit(read);
                    let now = self.elapsed_ns();
                    self.process_frames(index, now);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.close(index, format!("read error: {error}"));
                    return;
                }
            }
        }
    }

    fn process_frames(&mut self, index: usize, now_ns: u64) {
        loop {
            // Split borrows: the frame borrows the decoder, the handlers
            // borrow the rest of `self`.
            let Receiver {
                connections,
                codec,
                slots,
                control,
                stats,
                ..
            } = &mut *self;
            let mut handler = ReplyHandler {
                codec,
                slots,
                control,
                stats,
                now_ns,
            };
            match connections[index].decoder.next_frame() {
                Ok(None) => return,
                Ok(Some(Packet::SequencedData(message))) => handler.on_message(message),
                Ok(Some(Packet::EndOfSession)) => {
                    self.close(index, "End of Session".to_string());
                    return;
                }
                Ok(Some(_)) => {}
                Err(SoupError::ZeroLength | SoupError::TooLong { .. }) => {
                    self.close(index, "unframeable SoupBinTCP stream".to_string());
                    return;
                }
                Err(_) => handler.stats.malformed += 1,
            }
        }
    }
}

/// Resolves replies against the slots; the core of the receiver.
struct ReplyHandler<'a> {
    codec: &'a TokenCodec,
    slots: &'a Slots,
    control: &'a Control,
    stats: &'a mut Stats,
    now_ns: u64,
}

impl ReplyHandler<'_> {
    fn number(&mut self, token: &[u8; 14]) -> Option<u64> {
        match self.codec.decode(token) {
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

    fn on_message(&mut self, message: &[u8]) {
        let Ok(decoded) = decode_outbound(message) else {
            self.stats.malformed += 1;
            return;
        };
        match decoded {
            OutboundMessage::Accepted(record) => {
                let Some(number) = self.number(&record.order_token) else {
                    return;
                };
                if record.order_state == b'D' {
                    self.slots.set_dead(number);
                } else {
                    self.slots.set_live(number, record.shares.get());
                }
                if let Some(request) = self.slots.take_if(number, RequestKind::New) {
                    self.resolved(LatencyKind::New, request);
                }
            }
            OutboundMessage::Executed(record) => {
                let Some(number) = self.number(&record.order_token) else {
                    return;
                };
                self.stats.executions += 1;
                self.slots.reduce(number, record.executed_shares.get());
                if let Some(request) = self.slots.take_if(number, RequestKind::Ioc) {
                    self.resolved(LatencyKind::Ioc, request);
                }
            }
            OutboundMessage::Canceled(record) => {
                let Some(number) = self.number(&record.order_token) else {
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
            OutboundMessage::Replaced(record) => {
                let Some(number) = self.number(&record.replacement_order_token) else {
                    return;
                };
                self.slots.set_live(number, record.shares.get());
                if let Some(previous) = self.codec.decode(&record.previous_order_token) {
                    if self.slots.contains(previous) {
                        self.slots.set_dead(previous);
                        self.slots.take_if(previous, RequestKind::ReplaceSource);
                    }
                }
                if let Some(request) = self.slots.take_if(number, RequestKind::Replace) {
                    self.resolved(LatencyKind::Replace, request);
                }
            }
            OutboundMessage::Rejected(record) => {
                let Some(number) = self.number(&record.order_token) else {
                    return;
                };
                self.slots.set_dead(number);
                if let Some(request) = self.slots.take(number) {
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
            }
            OutboundMessage::CancelReject(record) => {
                let Some(number) = self.number(&record.order_token) else {
                    return;
                };
                if let Some(request) = self.slots.take_if(number, RequestKind::Cancel) {
                    if request.measured {
                        self.stats.cancel_rejected += 1;
                    }
                    self.control.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
            OutboundMessage::SystemEvent(_)
            | OutboundMessage::BrokenTrade(_)
            | OutboundMessage::PriceCorrection(_) => {}
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

        fn reply<M: OuchMessage>(&mut self, message: &M, now_ns: u64) {
            let mut bytes = [0u8; 128];
            let length = message.encode(&mut bytes).unwrap();
            ReplyHandler {
                codec: &CODEC,
                slots: &self.slots,
                control: &self.control,
                stats: &mut self.stats,
                now_ns,
            }
            .on_message(&bytes[..length]);
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
            ReplyHandler {
                codec: &CODEC,
                slots: &self.slots,
                control: &self.control,
                stats: &mut self.stats,
                now_ns: 0,
            }
            .on_message(b"A short");
        }
    }
}
