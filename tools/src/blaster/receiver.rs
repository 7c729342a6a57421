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
