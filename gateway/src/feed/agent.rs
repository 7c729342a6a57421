//! The feed thread's agent: market ring → publisher → multicast, plus the
//! re-request server and the replay listener, all non-blocking.
//!
//! Hot path (ring → ITCH encode → packet → `send_to`) allocates nothing:
//! the publisher's buffers and history are allocated at start-up, and the
//! request buffer is a fixed array.
//!
//! The re-request socket and the replay listener are registered with the
//! agent's own `mio::Poll` and looked at at most every
//! [`SOCKET_POLL_INTERVAL`], never once per round: a busy-spinning feed
//! thread runs millions of rounds a second, and a non-blocking `accept`
//! that finds nothing still allocates a socket inode, a file and a
//! descriptor and frees them through RCU. At that rate the RCU callbacks
//! ran in millisecond-long softirq batches (and in `ksoftirqd`) on the
//! feed's own core and held the ring hand-off up by milliseconds.

use super::drop::PacketDropper;
use super::replay::ReplayServer;
use crate::runtime::clock::{Clock, MonotonicClock};
use crate::runtime::latency::{AgentStats, LatencyRecorder};
use crate::runtime::{Agent, MarketRecord};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use rtes_mdfeed::moldudp::Request;
use rtes_mdfeed::net::would_block;
use rtes_mdfeed::publisher::{PacketSink, Publisher};
use rtrb::Consumer;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Most events taken from the ring per `do_work` (fairness in shared mode).
const BATCH_EVENTS_MAX: usize = 1_024;
/// Most re-requests answered per socket poll.
const REQUESTS_PER_ROUND_MAX: usize = 16;
/// Most messages sent in answer to one request.
pub const REQUEST_COUNT_MAX: u16 = 2_000;
/// Shortest time between two looks at the re-request and replay sockets: a
/// re-request or a replay login waits at most this much longer, and the
/// publish path pays one `epoll_wait` per interval instead of two syscalls
/// per round.
pub const SOCKET_POLL_INTERVAL: Duration = Duration::from_micros(50);
/// Readiness events taken per socket poll (two sockets are registered).
const POLL_EVENTS_MAX: usize = 8;
/// Token of the re-request socket.
const REREQUEST: Token = Token(0);
/// Token of the replay listener.
const REPLAY_LISTENER: Token = Token(1);

/// The feed's UDP side.
pub(crate) struct Transport {
    pub(crate) multicast: UdpSocket,
    pub(crate) group: SocketAddr,
    pub(crate) rerequest: UdpSocket,
    pub(crate) dropper: PacketDropper,
}

/// Most engine events waiting in one open packet (a 1,400-byte payload holds
/// at most 66 ITCH messages; 65,507 bytes would need more, so the count
/// saturates and the oldest stamps are kept).
const PENDING_STAMPS_MAX: usize = 256;

/// Engine-apply times of the events in the packet being filled, so the
/// latency engine → datagram on the wire is recorded when it is sent.
struct PendingStamps {
    engine_ns: [u64; PENDING_STAMPS_MAX],
    len: usize,
    wire: LatencyRecorder,
}

impl PendingStamps {
    fn push(&mut self, engine_ns: u64) {
        if self.len < PENDING_STAMPS_MAX {
            self.engine_ns[self.len] = engine_ns;
            self.len += 1;
        }
    }

    /// The open packet went out (or was dropped on purpose: `sent_ns` None).
    fn packet_done(&mut self, sent_ns: Option<u64>) {
        if let Some(sent_ns) = sent_ns {
            for &engine_ns in &self.engine_ns[..self.len] {
                self.wire.record_ns(sent_ns.saturating_sub(engine_ns));
            }
        }
        self.len = 0;
    }
}

/// Multicast sink with the drop knob and counters.
struct MulticastSink<'a, C: Clock> {
    socket: &'a UdpSocket,
    group: SocketAddr,
    dropper: &'a mut PacketDropper,
    counters: &'a mut Counters,
    pending: &'a mut PendingStamps,
    clock: &'a C,
}

impl<C: Clock> PacketSink for MulticastSink<'_, C> {
    fn send(&mut self, packet: &[u8]) {
        if self.dropper.drop_next() {
            self.counters.dropped_packets += 1;
            self.pending.packet_done(None);
            return;
        }
        // UDP: a full socket buffer loses the packet; subscribers recover
        // it from the history like any other loss.
        if self.socket.send_to(packet, self.group).is_err() {
            self.counters.send_errors += 1;
            self.pending.packet_done(None);
            return;
        }
        self.pending.packet_done(Some(self.clock.now_ns()));
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    events: u64,
    dropped_packets: u64,
    send_errors: u64,
    requests: u64,
    malformed_requests: u64,
}

/// Readiness of the re-request and replay sockets (edge-triggered: a flag
/// stays set until the socket said `WouldBlock`).
struct SocketPoll {
    poll: Poll,
    events: Events,
    next_poll_ns: u64,
    rerequest_ready: bool,
    listener_ready: bool,
}

impl SocketPoll {
    fn new(rerequest: &UdpSocket, replay: &ReplayServer) -> io::Result<SocketPoll> {
        let poll = Poll::new()?;
        let registry = poll.registry();
        registry.register(
            &mut SourceFd(&rerequest.as_raw_fd()),
            REREQUEST,
            Interest::READABLE,
        )?;
        registry.register(
            &mut SourceFd(&replay.listener_fd()),
            REPLAY_LISTENER,
            Interest::READABLE,
        )?;
        Ok(SocketPoll {
            poll,
            events: Events::with_capacity(POLL_EVENTS_MAX),
            next_poll_ns: 0,
            // Look once at start: something may have arrived before
            // registration.
            rerequest_ready: true,
            listener_ready: true,
        })
    }

    /// True (and readiness refreshed) if an interval has passed since the
    /// last look.
    fn due(&mut self, now_ns: u64) -> bool {
        if now_ns < self.next_poll_ns {
            return false;
        }
        self.next_poll_ns = now_ns + SOCKET_POLL_INTERVAL.as_nanos() as u64;
        // A failed poll (EINTR) is retried next interval; flags stay.
        if self
            .poll
            .poll(&mut self.events, Some(Duration::ZERO))
            .is_ok()
        {
            for event in self.events.iter() {
                match event.token() {
                    REREQUEST => self.rerequest_ready = true,
                    REPLAY_LISTENER => self.listener_ready = true,
                    _ => {}
                }
            }
        }
        true
    }
}

/// The market-data agent.
pub struct FeedAgent<C: Clock = MonotonicClock> {
    market: Consumer<MarketRecord>,
    publisher: Publisher,
    transport: Transport,
    replay: ReplayServer,
    sockets: SocketPoll,
    clock: C,
    latency: LatencyRecorder,
    pending: PendingStamps,
    counters: Counters,
    started: bool,
}

fn unix_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos() as u64)
        .unwrap_or(0)
}

impl FeedAgent<MonotonicClock> {
    pub(crate) fn new(
        market: Consumer<MarketRecord>,
        publisher: Publisher,
        transport: Transport,
        replay: ReplayServer,
    ) -> io::Result<Self> {
        let sockets = SocketPoll::new(&transport.rerequest, &replay)?;
        Ok(FeedAgent {
            market,
            publisher,
            transport,
            replay,
            sockets,
            clock: MonotonicClock,
            latency: LatencyRecorder::new("engine->mdfeed"),
            pending: PendingStamps {
                engine_ns: [0; PENDING_STAMPS_MAX],
                len: 0,
                wire: LatencyRecorder::new("engine->datagram sent"),
            },
            counters: Counters::default(),
            started: false,
        })
    }
}

impl<C: Clock> FeedAgent<C> {
    /// The publisher core (for inspection).
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    fn sink(&mut self) -> (&mut Publisher, MulticastSink<'_, C>) {
        (
            &mut self.publisher,
            MulticastSink {
                socket: &self.transport.multicast,
                group: self.transport.group,
                dropper: &mut self.transport.dropper,
                counters: &mut self.counters,
                pending: &mut self.pending,
                clock: &self.clock,
            },
        )
    }

    fn drain_ring(&mut self, now_ns: u64) -> usize {
        let available = self.market.slots().min(BATCH_EVENTS_MAX);
        for _ in 0..available {
            let Ok(record) = self.market.pop() else {
                break;
            };
            self.latency
                .record_ns(now_ns.saturating_sub(record.engine_ns));
            self.counters.events += 1;
            let (publisher, mut sink) = self.sink();
            publisher.publish(&record.event, now_ns, &mut sink);
            // Any packet `publish` sent held only earlier events; this one
            // is now in the open packet.
            self.pending.push(record.engine_ns);
        }
        available
    }

    /// Answers waiting re-requests (at most [`REQUESTS_PER_ROUND_MAX`]);
    /// clears the readiness flag once the socket is empty.
    fn serve_requests(&mut self) -> usize {
        let mut buffer = [0u8; 64];
        let mut served = 0;
        for _ in 0..REQUESTS_PER_ROUND_MAX {
            let (len, from) = match self.transport.rerequest.recv_from(&mut buffer) {
                Ok(received) => received,
                Err(error) if would_block(&error) => {
                    self.sockets.rerequest_ready = false;
                    break;
                }
                // ICMP errors from earlier answers surface here; ignore.
                Err(_) => continue,
            };
            served += 1;
            let request = match Request::decode(&buffer[..len]) {
                Ok(request) if request.session == self.publisher.session() => request,
                _ => {
                    self.counters.malformed_requests += 1;
                    continue;
                }
            };
            self.counters.requests += 1;
            let socket = &self.transport.rerequest;
            self.publisher
                .retransmit(&request, REQUEST_COUNT_MAX, |packet| {
                    let _ = socket.send_to(packet, from);
                });
        }
        served
    }

    /// Re-requests, replay logins and replay streams, when an interval has
    /// passed since the last look.
    fn serve_sockets(&mut self, now_ns: u64) -> usize {
        if !self.sockets.due(now_ns) {
            return 0;
        }
        let mut work = 0;
        if self.sockets.rerequest_ready {
            work += self.serve_requests();
        }
        if self.sockets.listener_ready {
            work += self.replay.accept(now_ns);
            self.sockets.listener_ready = false;
        }
        work += self.replay.serve(&self.publisher, now_ns);
        work
    }
}

impl<C: Clock + Send> Agent for FeedAgent<C> {
    fn name(&self) -> &str {
        "mdfeed"
    }

    fn do_work(&mut self) -> usize {
        let now_ns = self.clock.now_ns();
        let mut work = 0;
        if !self.started {
            self.started = true;
            let (publisher, mut sink) = self.sink();
            publisher.start_of_day(unix_now_ns(), now_ns, &mut sink);
            work += 1;
        }
        work += self.drain_ring(now_ns);
        let ring_empty = self.market.is_empty();
        let (publisher, mut sink) = self.sink();
        if publisher.on_idle(now_ns, ring_empty, &mut sink) {
            work += 1;
        }
        work + self.serve_sockets(now_ns)
    }

    fn park_hint(&self) -> Option<Duration> {
        if self.publisher.has_open_packet() {
            // A packet waits for its flush (at most the coalescing gap or
            // the flush interval, microseconds). A park that short does not
            // exist: in shared mode it is an epoll wait, rounded up to a
            // millisecond, and a futex wait has 50 µs of timer slack. So
            // the thread keeps polling until the packet is out.
            return Some(Duration::ZERO);
        }
        let now_ns = self.clock.now_ns();
        let publisher_ns = self.publisher.next_deadline_in_ns(now_ns);
        // Re-requests and replay logins arrive on sockets this agent does
        // not block on, so it must not sleep long while waiting for them.
        Some(Duration::from_nanos(publisher_ns.min(1_000_000)))
    }

    fn on_close(&mut self) {
        // Drain what the engine left (the runner stops the engine first).
        let now_ns = self.clock.now_ns();
        while !self.market.is_empty() {
            self.drain_ring(now_ns);
        }
        let (publisher, mut sink) = self.sink();
        publisher.end_of_session(unix_now_ns(), now_ns, &mut sink);
        self.replay.close(&self.publisher);
    }

    fn stats(&mut self) -> Vec<AgentStats> {
        let publisher = self.publisher.stats();
        vec![AgentStats {
            agent: "mdfeed".to_string(),
            latencies: vec![self.latency.clone(), self.pending.wire.clone()],
            counters: vec![
                ("events", self.counters.events),
                ("messages", publisher.messages),
                ("packets", publisher.packets),
                ("heartbeats", publisher.heartbeats),
                ("retransmitted", publisher.retransmitted),
                ("requests", self.counters.requests),
                ("malformed_requests", self.counters.malformed_requests),
                ("dropped_packets", self.counters.dropped_packets),
                ("send_errors", self.counters.send_errors),
                ("clamped_fields", publisher.clamped_fields),
                ("replay_sessions", self.replay.sessions_accepted()),
                ("snapshots", self.replay.snapshots_sent()),
                (
                    "snapshot_unknown_orders",
                    self.publisher.snapshot_books().stats().unknown_orders,
                ),
                (
                    "snapshot_refused_adds",
                    self.publisher.snapshot_books().stats().refused_adds,
                ),
            ],
        }]
    }
}
