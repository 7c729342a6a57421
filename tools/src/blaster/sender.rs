//! The sending half: follows the [`Schedule`], asks the [`FlowGenerator`]
//! what to send, marks each request outstanding in [`Slots`] and has the
//! session's [`SessionEncoder`] append the message (OUCH or FIX).
//! Everything due is sent at once (a burst when late), one `write` per
//! session per round. Between rounds it keeps the sessions alive: a
//! heartbeat when one has been silent, the Heartbeat a FIX TestRequest asked
//! for, and a Logout to a session the receiver found closed (nothing more is
//! sent on it).

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::flow::{Action, FlowGenerator, LiveOrder, LiveSet};
use super::protocol::{CancelRequest, EnterRequest, ReplaceRequest, SessionEncoder};
use super::run::Control;
use super::schedule::{reduce_timer_slack, sleep_until, Schedule};
use super::session::SessionLink;
use super::slots::{Request, RequestKind, Slots};
use super::stats::latency_histogram;
use super::token::TokenCodec;
use hdrhistogram::Histogram;

/// Flush a session's buffer mid-burst beyond this many bytes.
const FLUSH_BYTES: usize = 32 * 1024;
/// Pause before retrying a write the socket refused (its buffer is full).
const WRITE_RETRY_PAUSE: Duration = Duration::from_micros(20);
/// A session whose socket takes nothing for this long is given up (the
/// server stopped reading); without a bound the run could never end.
const WRITE_STALL_LIMIT: Duration = Duration::from_secs(10);

/// The sending half of a logged-in session.
#[derive(Debug)]
pub struct WriteHalf {
    /// The socket (shared with the receiver's read half).
    pub stream: TcpStream,
    /// Its encoder.
    pub encoder: SessionEncoder,
}

struct Outbound {
    stream: TcpStream,
    encoder: SessionEncoder,
    buffer: Vec<u8>,
    live: LiveSet,
    last_write: Instant,
    open: bool,
}

/// Messages sent, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SentCounts {
    /// Resting orders.
    pub new: u64,
    /// Marketable IOC orders.
    pub ioc: u64,
    /// Cancels.
    pub cancel: u64,
    /// Replaces.
    pub replace: u64,
}

impl SentCounts {
    /// All messages.
    pub fn total(&self) -> u64 {
        self.new + self.ioc + self.cancel + self.replace
    }
}

/// What the sender hands back.
#[derive(Debug, Clone)]
pub struct SenderOutcome {
    /// How late each measured message left, ns after its scheduled time
    /// (the blaster's own share of every measured latency).
    pub send_lag_ns: Histogram<u64>,
    /// Measured messages sent, by kind.
    pub measured: SentCounts,
    /// Warm-up messages sent.
    pub warmup: u64,
    /// When the first measured message went out, ns after the start.
    pub measured_start_ns: u64,
    /// When the last scheduled message went out, ns after the start.
    pub send_end_ns: u64,
    /// Clean-up cancels sent after the drain.
    pub cleanup_cancels: u64,
    /// Scheduled messages not sent because their session had closed.
    pub not_sent: u64,
}

/// The sender of a run.
pub struct Sender {
    outbound: Vec<Outbound>,
    links: Arc<[SessionLink]>,
    generator: FlowGenerator,
    codec: TokenCodec,
    slots: Arc<Slots>,
    control: Arc<Control>,
    schedule: Schedule,
    start: Instant,
    spin: Duration,
    cancel_on_exit: bool,
    next_number: u64,
    counts: SentCounts,
    not_sent: u64,
    /// A TestReqID being answered (capacity reserved once).
    test_request_id: Vec<u8>,
}

impl Sender {
    /// A sender over the write halves of the sessions; `links[i]` is shared
    /// with the receiver's session `i`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sessions: Vec<WriteHalf>,
        links: Arc<[SessionLink]>,
        generator: FlowGenerator,
        codec: TokenCodec,
        slots: Arc<Slots>,
        control: Arc<Control>,
        schedule: Schedule,
        start: Instant,
        spin: Duration,
        max_live_per_session: usize,
        cancel_on_exit: bool,
    ) -> Sender {
        assert_eq!(sessions.len(), links.len(), "one link per session");
        let outbound = sessions
            .into_iter()
            .map(|half| Outbound {
                stream: half.stream,
                encoder: half.encoder,
                buffer: Vec::with_capacity(FLUSH_BYTES * 2),
                live: LiveSet::new(max_live_per_session),
                last_write: Instant::now(),
                open: true,
            })
            .collect();
        Sender {
            outbound,
            links,
            generator,
            codec,
            slots,
            control,
            schedule,
            start,
            spin,
            cancel_on_exit,
            next_number: 0,
            counts: SentCounts::default(),
            not_sent: 0,
            test_request_id: Vec::with_capacity(super::fix::TEST_REQUEST_ID_MAX),
        }
    }

    fn elapsed_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Sends the whole schedule, waits for the receiver's drain, sends the
    /// clean-up cancels, waits for the receiver to finish, logs out.
    pub fn run(mut self) -> Result<SenderOutcome> {
        reduce_timer_slack();
        let result = self.run_phases();
        // Whatever happened, let the receiver stop waiting for us.
        self.control.sender_done.store(true, Ordering::Release);
        self.control.cleanup_done.store(true, Ordering::Release);
        result
    }

    fn run_phases(&mut self) -> Result<SenderOutcome> {
        let total = self.schedule.total();
        let mut index = 0u64;
        let mut warmup_counts = SentCounts::default();
        let mut measured_start_ns = 0;
        let mut send_lag_ns = latency_histogram();
        while index < total {
            if self.control.abort.load(Ordering::Relaxed) {
                break;
            }
            if self.outbound.iter().all(|outbound| !outbound.open) {
                // Every session is gone: the rest of the schedule cannot go out.
                self.not_sent += total - index;
                break;
            }
            let now = self.elapsed_ns();
            let due = self.schedule.due_count(now);
            let round_start = index;
            while index < due {
                if index == self.schedule.warmup() {
                    warmup_counts = self.counts;
                    self.counts = SentCounts::default();
                    measured_start_ns = now;
                }
                self.emit(index)?;
                index += 1;
            }
            self.flush_all();
            let flushed = self.elapsed_ns();
            for sent in round_start.max(self.schedule.warmup())..index {
                let lag = flushed.saturating_sub(self.schedule.offset_ns(sent));
                send_lag_ns.saturating_record(lag.max(1));
            }
            self.control.sent.store(index, Ordering::Relaxed);
            if index < total {
                self.service_sessions()?;
                sleep_until(self.start, self.schedule.offset_ns(index), self.spin);
            }
        }
        let send_end_ns = self.elapsed_ns();
        let measuring = index > self.schedule.warmup();
        let measured = if measuring {
            self.counts
        } else {
            // Stopped during the warm-up: nothing was measured.
            warmup_counts = self.counts;
            SentCounts::default()
        };
        self.control.sender_done.store(true, Ordering::Release);
        self.wait_for(|control| {
            control.drained.load(Ordering::Acquire) || control.receiver_done.load(Ordering::Acquire)
        })?;
        let cleanup_cancels = if self.cancel_on_exit {
            self.cancel_all_live()?
        } else {
            0
        };
        self.control.cleanup_done.store(true, Ordering::Release);
        self.wait_for(|control| control.receiver_done.load(Ordering::Acquire))?;
        self.logout();
        Ok(SenderOutcome {
            send_lag_ns,
            measured,
            warmup: warmup_counts.total(),
            measured_start_ns,
            send_end_ns,
            cleanup_cancels,
            not_sent: self.not_sent,
        })
    }

    fn wait_for(&mut self, done: impl Fn(&Control) -> bool) -> Result<()> {
        while !done(&self.control) {
            self.service_sessions()?;
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    fn take_number(&mut self) -> u64 {
        let number = self.next_number;
        assert!(
            (number as usize) < self.slots.capacity(),
            "more orders than slots"
        );
        self.next_number += 1;
        self.control
            .orders_used
            .store(self.next_number, Ordering::Release);
        number
    }

    fn emit(&mut self, index: u64) -> Result<()> {
        let session = (index % self.outbound.len() as u64) as usize;
        if !self.outbound[session].open {
            self.not_sent += 1;
            return Ok(());
        }
        let measured = self.schedule.is_measured(index);
        let scheduled_ns = self.schedule.offset_ns(index);
        let request = |kind| Request {
            kind,
            measured,
            scheduled_ns,
        };
        let slots = Arc::clone(&self.slots);
        let action = self
            .generator
            .next(&mut self.outbound[session].live, |number| {
                slots.liveness(number)
            });
        match action {
            Action::Enter {
                symbol,
                side,
                price,
                shares,
                ioc,
            } => {
                let number = self.take_number();
                let kind = if ioc {
                    self.counts.ioc += 1;
                    RequestKind::Ioc
                } else {
                    self.counts.new += 1;
                    RequestKind::New
                };
                // Outstanding before it is written: a reply can never beat
                // its own bookkeeping.
                self.slots.begin(number, request(kind));
                let enter = EnterRequest {
                    token: &self.codec.encode(number),
                    stock: &self.generator.models()[usize::from(symbol)].stock,
                    side,
                    price,
                    shares,
                    ioc,
                };
                let outbound = &mut self.outbound[session];
                outbound.encoder.enter(&mut outbound.buffer, &enter)?;
                if !ioc {
                    outbound.live.push(LiveOrder {
                        number,
                        symbol,
                        side,
                    });
                }
            }
            Action::Cancel { order } => {
                self.counts.cancel += 1;
                self.slots.begin(order.number, request(RequestKind::Cancel));
                let cancel = CancelRequest {
                    token: &self.codec.encode(order.number),
                    stock: &self.generator.models()[usize::from(order.symbol)].stock,
                    side: order.side,
                };
                let outbound = &mut self.outbound[session];
                outbound.encoder.cancel(&mut outbound.buffer, &cancel)?;
            }
            Action::Replace {
                order,
                price,
                shares,
            } => {
                self.counts.replace += 1;
                let replacement = self.take_number();
                self.slots.link_replacement(replacement, order.number);
                self.slots
                    .begin(order.number, request(RequestKind::ReplaceSource));
                self.slots.begin(replacement, request(RequestKind::Replace));
                let replace = ReplaceRequest {
                    existing: &self.codec.encode(order.number),
                    replacement: &self.codec.encode(replacement),
                    stock: &self.generator.models()[usize::from(order.symbol)].stock,
                    side: order.side,
                    price,
                    shares,
                };
                let outbound = &mut self.outbound[session];
                outbound.encoder.replace(&mut outbound.buffer, &replace)?;
                outbound.live.push(LiveOrder {
                    number: replacement,
                    ..order
                });
            }
        }
        if self.outbound[session].buffer.len() >= FLUSH_BYTES {
            self.flush_session(session);
        }
        Ok(())
    }

    fn flush_all(&mut self) {
        for session in 0..self.outbound.len() {
            self.flush_session(session);
        }
    }

    /// Writes session `session`'s buffer; a failure closes the session (the
    /// run goes on with the others) and says why in the report.
    fn flush_session(&mut self, session: usize) {
        let outbound = &mut self.outbound[session];
        if !outbound.open {
            outbound.buffer.clear();
            return;
        }
        if let Err(why) = flush(outbound) {
            outbound.open = false;
            self.links[session].close_from_sender(format!("sending failed: {why}"));
        }
    }

    /// Between rounds: a Logout to sessions the receiver closed, the
    /// Heartbeat a TestRequest asked for, a heartbeat where one is due.
    fn service_sessions(&mut self) -> Result<()> {
        for session in 0..self.outbound.len() {
            let link = &self.links[session];
            let outbound = &mut self.outbound[session];
            if !outbound.open {
                continue;
            }
            if link.is_closed() {
                outbound.open = false;
                outbound.buffer.clear();
                outbound.encoder.logout(&mut outbound.buffer)?;
                // Best effort and never waiting: the server may be gone.
                let _ = outbound.stream.write(&outbound.buffer);
                outbound.buffer.clear();
                continue;
            }
            let answer = link.take_test_request(&mut self.test_request_id);
            let idle = outbound.last_write.elapsed() >= outbound.encoder.heartbeat_interval();
            if answer || idle {
                let id: &[u8] = if answer { &self.test_request_id } else { &[] };
                outbound.encoder.heartbeat(&mut outbound.buffer, id)?;
                self.flush_session(session);
            }
        }
        Ok(())
    }

    fn cancel_all_live(&mut self) -> Result<u64> {
        let now = self.elapsed_ns();
        let mut cancels = 0;
        for session in 0..self.outbound.len() {
            if !self.outbound[session].open {
                continue;
            }
            let slots = Arc::clone(&self.slots);
            let orders = self.outbound[session]
                .live
                .drain_live(|number| slots.liveness(number));
            for order in orders {
                self.slots.begin(
                    order.number,
                    Request {
                        kind: RequestKind::Cancel,
                        measured: false,
                        scheduled_ns: now,
                    },
                );
                let cancel = CancelRequest {
                    token: &self.codec.encode(order.number),
                    stock: &self.generator.models()[usize::from(order.symbol)].stock,
                    side: order.side,
                };
                let outbound = &mut self.outbound[session];
                outbound.encoder.cancel(&mut outbound.buffer, &cancel)?;
                cancels += 1;
                if self.outbound[session].buffer.len() >= FLUSH_BYTES {
                    self.flush_session(session);
                }
            }
        }
        self.flush_all();
        Ok(cancels)
    }

    fn logout(&mut self) {
        for outbound in &mut self.outbound {
            if !outbound.open {
                continue;
            }
            outbound.buffer.clear();
            if outbound.encoder.logout(&mut outbound.buffer).is_ok() {
                // The server may already have gone; nothing to do about it.
                let _ = flush(outbound);
            }
        }
    }
}

/// Writes the whole buffer. The socket shares its non-blocking flag with
/// the receiver's handle, so a full socket buffer is waited out here: the
/// delay lands on the schedule and so in the measured latency. A socket
/// that takes nothing for [`WRITE_STALL_LIMIT`] is an error.
fn flush(outbound: &mut Outbound) -> std::io::Result<()> {
    let mut written = 0;
    let mut stalled_since: Option<Instant> = None;
    let result = loop {
        if written == outbound.buffer.len() {
            break Ok(());
        }
        match outbound.stream.write(&outbound.buffer[written..]) {
            Ok(0) => break Err(ErrorKind::WriteZero.into()),
            Ok(count) => {
                written += count;
                stalled_since = None;
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                let since = *stalled_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= WRITE_STALL_LIMIT {
                    break Err(std::io::Error::new(
                        ErrorKind::TimedOut,
                        format!("the server took nothing for {WRITE_STALL_LIMIT:?}"),
                    ));
                }
                std::thread::sleep(WRITE_RETRY_PAUSE)
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => break Err(error),
        }
    };
    if written > 0 {
        outbound.last_write = Instant::now();
    }
    outbound.buffer.clear();
    result
}
