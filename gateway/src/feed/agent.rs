//! The feed thread's agent: market ring → publisher → multicast, plus the
//! re-request server and the replay listener, all non-blocking.
//!
//! Hot path (ring → ITCH encode → packet → `send_to`) allocates nothing:
//! the publisher's buffers and history are allocated at start-up, and the
//! request buffer is a fixed array.

use super::drop::PacketDropper;
use super::replay::ReplayServer;
use crate::runtime::clock::{Clock, MonotonicClock};
use crate::runtime::latency::{AgentStats, LatencyRecorder};
use crate::runtime::{Agent, MarketRecord};
use rtes_mdfeed::moldudp::Request;
use rtes_mdfeed::net::would_block;
use rtes_mdfeed::publisher::{PacketSink, Publisher};
use rtrb::Consumer;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// Most events taken from the ring per `do_work` (fairness in shared mode).
const BATCH_EVENTS_MAX: usize = 1_024;
/// Most re-requests answered per `do_work`.
const REQUESTS_PER_ROUND_MAX: usize = 16;
/// Most messages sent in answer to one request.
pub const REQUEST_COUNT_MAX: u16 = 2_000;

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

/// The market-data agent.
pub struct FeedAgent<C: Clock = MonotonicClock> {
    market: Consumer<MarketRecord>,
    publisher: Publisher,
    transport: Transport,
    replay: ReplayServer,
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
    ) -> Self {
        FeedAgent {
            market,
            publisher,
            transport,
            replay,
            clock: MonotonicClock,
            latency: LatencyRecorder::new("engine->mdfeed"),
            pending: PendingStamps {
                engine_ns: [0; PENDING_STAMPS_MAX],
                len: 0,
                wire: LatencyRecorder::new("engine->datagram sent"),
            },
            counters: Counters::default(),
            started: false,
        }
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

    fn serve_requests(&mut self) -> usize {
        let mut buffer = [0u8; 64];
        let mut served = 0;
        for _ in 0..REQUESTS_PER_ROUND_MAX {
            let (len, from) = match self.transport.rerequest.recv_from(&mut buffer) {
                Ok(received) => received,
                Err(error) if would_block(&error) => break,
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
        work += self.serve_requests();
        work += self.replay.do_work(
            self.publisher.history(),
            self.publisher.next_sequence(),
            now_ns,
        );
        work
    }

    fn park_hint(&self) -> Option<Duration> {
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
        self.replay
            .close(self.publisher.history(), self.publisher.next_sequence());
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
            ],
        }]
    }
}
