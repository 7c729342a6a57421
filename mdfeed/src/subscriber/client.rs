//! The socket side of a subscriber: joins the multicast group on loopback,
//! feeds packets to a [`SequenceTracker`], asks the re-request server for
//! what is missing, and applies delivered messages to [`Books`]. When the
//! re-request server cannot fill a gap (its history moved on), it fetches a
//! snapshot from the replay server ([`fetch_snapshot`]), rebuilds the books
//! from it and continues from the snapshot's sequence number.

use super::snapshot::{fetch_snapshot, SnapshotFetchError};
use super::{Books, Pipeline, TrackerStats};
use crate::itch::Message;
use crate::moldudp::PAYLOAD_LEN_MAX;
use crate::net::{multicast_receiver, udp_bound, would_block};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// Datagrams read from one socket before looking at the other (and at
/// timers): fewer empty reads under load, and neither socket starves.
const DATAGRAMS_PER_ROUND: usize = 64;

/// Where and how to subscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriberConfig {
    /// Multicast group and port.
    pub group: SocketAddrV4,
    /// Interface to join on (loopback).
    pub interface: Ipv4Addr,
    /// MoldUDP64 re-request server; `None` = no recovery.
    pub rerequest: Option<SocketAddr>,
    /// SoupBinTCP replay server that serves snapshots; `None` = a gap the
    /// re-request server cannot fill stays open.
    pub replay: Option<SocketAddr>,
    /// Requests in a row for the same missing message, unanswered, after
    /// which a snapshot is fetched (with `request_retry`, the wait before
    /// falling back).
    pub unanswered_requests_max: u32,
    /// Longest wait for a whole snapshot.
    pub snapshot_timeout: Duration,
    /// First sequence number wanted (1 = the whole session via recovery).
    pub first_sequence: u64,
    /// Most messages asked for per request (the RTES re-request server
    /// answers at most 2,000).
    pub request_count_max: u16,
    /// Repeat an unanswered request after this long.
    pub request_retry: Duration,
    /// Out-of-order messages are held up to this far past the first
    /// missing one (64 bytes each, allocated at the first gap: 32 MiB by
    /// default, more than the feed's default history of ~350,000 messages,
    /// so whatever the re-request server can still send can be held);
    /// later ones are requested again once the gap closes.
    pub pending_max: usize,
}

impl SubscriberConfig {
    /// Defaults for a group and re-request server.
    pub fn new(group: SocketAddrV4, rerequest: Option<SocketAddr>) -> SubscriberConfig {
        SubscriberConfig {
            group,
            interface: Ipv4Addr::LOCALHOST,
            rerequest,
            replay: None,
            unanswered_requests_max: 3,
            snapshot_timeout: Duration::from_secs(10),
            first_sequence: 1,
            request_count_max: 2_000,
            request_retry: Duration::from_millis(200),
            pending_max: 524_288,
        }
    }
}

/// Counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubscriberStats {
    /// Datagrams received from the group.
    pub packets: u64,
    /// Datagrams received from the re-request server.
    pub retransmission_packets: u64,
    /// Datagrams that were not valid MoldUDP64 or ITCH.
    pub malformed: u64,
    /// Snapshots fetched and applied.
    pub snapshots: u64,
    /// Messages those snapshots held.
    pub snapshot_messages: u64,
    /// Sequence tracking counters.
    pub tracker: TrackerStats,
}

/// Why [`Subscriber::poll`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriberError {
    /// A socket operation failed.
    #[error("subscriber socket: {0}")]
    Io(#[from] io::Error),
    /// A snapshot was needed and could not be fetched.
    #[error(transparent)]
    Snapshot(#[from] SnapshotFetchError),
}

/// A market-data subscriber.
pub struct Subscriber {
    config: SubscriberConfig,
    multicast: UdpSocket,
    requests: Option<UdpSocket>,
    pipeline: Pipeline,
    buffer: Vec<u8>,
    started: Instant,
    stats: SubscriberStats,
}

impl Subscriber {
    /// Joins the group and opens the request socket.
    pub fn join(config: SubscriberConfig) -> io::Result<Subscriber> {
        let multicast = multicast_receiver(config.group, config.interface)?;
        let requests = match config.rerequest {
            Some(_) => Some(udp_bound(SocketAddr::from((config.interface, 0)))?),
            None => None,
        };
        Ok(Subscriber {
            pipeline: Pipeline::new(
                config.first_sequence,
                config.pending_max,
                config.request_retry.as_nanos() as u64,
            ),
            config,
            multicast,
            requests,
            buffer: vec![0; PAYLOAD_LEN_MAX],
            started: Instant::now(),
            stats: SubscriberStats::default(),
        })
    }

    /// The books built so far.
    pub fn books(&self) -> &Books {
        self.pipeline.books()
    }

    /// Next sequence number expected.
    pub fn next_sequence(&self) -> u64 {
        self.pipeline.tracker().next()
    }

    /// Whether messages are known to be missing.
    pub fn in_gap(&self) -> bool {
        self.pipeline.tracker().in_gap()
    }

    /// Counters.
    pub fn stats(&self) -> SubscriberStats {
        SubscriberStats {
            tracker: self.pipeline.tracker().stats(),
            malformed: self.pipeline.malformed(),
            ..self.stats
        }
    }

    /// Receives for up to `timeout`, applying every in-order message to the
    /// books and passing it to `on_message`; sends recovery requests, and
    /// falls back to a snapshot when they go unanswered (then the books are
    /// rebuilt from scratch and the snapshot's messages are passed to
    /// `on_message` with sequence number 0, ending with End of Snapshot).
    /// Returns the number of messages delivered.
    pub fn poll(
        &mut self,
        timeout: Duration,
        mut on_message: impl FnMut(u64, &Message),
    ) -> Result<u64, SubscriberError> {
        let deadline = Instant::now() + timeout;
        let mut delivered = 0;
        loop {
            let mut busy = false;
            // Retransmissions first: they are what a waiting gap needs.
            busy |= self.receive_from_requests(&mut delivered, &mut on_message)?;
            busy |= self.receive_from_multicast(&mut delivered, &mut on_message)?;
            self.send_request()?;
            if self.pipeline.tracker().unanswered_requests() >= self.config.unanswered_requests_max
            {
                if let Some(server) = self.config.replay {
                    self.recover_by_snapshot(server, &mut delivered, &mut on_message)?;
                    busy = true;
                }
            }
            if Instant::now() >= deadline {
                return Ok(delivered);
            }
            if !busy {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }

    /// Up to [`DATAGRAMS_PER_ROUND`] datagrams from the group.
    fn receive_from_multicast(
        &mut self,
        delivered: &mut u64,
        on_message: &mut impl FnMut(u64, &Message),
    ) -> io::Result<bool> {
        for round in 0..DATAGRAMS_PER_ROUND {
            match self.multicast.recv_from(&mut self.buffer) {
                Ok((len, _)) => {
                    self.stats.packets += 1;
                    self.process(len, delivered, on_message);
                }
                Err(error) if would_block(&error) => return Ok(round > 0),
                Err(error) => return Err(error),
            }
        }
        Ok(true)
    }

    fn receive_from_requests(
        &mut self,
        delivered: &mut u64,
        on_message: &mut impl FnMut(u64, &Message),
    ) -> io::Result<bool> {
        for round in 0..DATAGRAMS_PER_ROUND {
            let Some(socket) = &self.requests else {
                return Ok(false);
            };
            match socket.recv_from(&mut self.buffer) {
                Ok((len, _)) => {
                    self.stats.retransmission_packets += 1;
                    self.process(len, delivered, on_message);
                }
                Err(error) if would_block(&error) => return Ok(round > 0),
                Err(error) => return Err(error),
            }
        }
        Ok(true)
    }

    fn process(
        &mut self,
        len: usize,
        delivered: &mut u64,
        on_message: &mut impl FnMut(u64, &Message),
    ) {
        *delivered += self
            .pipeline
            .on_datagram(&self.buffer[..len], &mut *on_message);
    }

    /// Replaces the books with a snapshot and continues after it.
    fn recover_by_snapshot(
        &mut self,
        server: SocketAddr,
        delivered: &mut u64,
        on_message: &mut impl FnMut(u64, &Message),
    ) -> Result<(), SubscriberError> {
        let snapshot = fetch_snapshot(server, self.config.snapshot_timeout)?;
        self.stats.snapshots += 1;
        self.stats.snapshot_messages += snapshot.messages.len() as u64;
        *delivered += self.pipeline.apply_snapshot(&snapshot, &mut *on_message);
        Ok(())
    }

    fn send_request(&mut self) -> io::Result<()> {
        let (Some(socket), Some(server)) = (&self.requests, self.config.rerequest) else {
            return Ok(());
        };
        let now_ns = self.started.elapsed().as_nanos() as u64;
        let count_max = self.config.request_count_max;
        if let Some(request) = self.pipeline.tracker_mut().request(now_ns, count_max) {
            match socket.send_to(&request.encode(), server) {
                Ok(_) => {}
                Err(error) if would_block(&error) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}
