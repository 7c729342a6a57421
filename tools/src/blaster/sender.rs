//! The sending half: follows the [`Schedule`], asks the [`FlowGenerator`]
//! what to send, marks each request outstanding in [`Slots`] and writes the
//! OUCH messages. Everything due is sent at once (a burst when late), one
//! `write` per session per round.

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rtes_gateway::ouch::{
    encode_framed, CancelOrder, Capacity, CrossType, CustomerType, Display, EnterOrder,
    IntermarketSweep, OuchMessage, ReplaceOrder,
};
use rtes_gateway::soupbin::ascii::Alpha;
use rtes_gateway::soupbin::Packet;

use super::flow::{Action, FlowGenerator, LiveOrder, LiveSet};
use super::run::Control;
use super::schedule::{reduce_timer_slack, sleep_until, Schedule};
use super::slots::{Request, RequestKind, Slots};
use super::stats::latency_histogram;
use super::token::TokenCodec;
use hdrhistogram::Histogram;

/// OUCH time in force of a resting order: system hours (a day order).
const TIME_IN_FORCE_DAY: u32 = 99_999;
/// OUCH time in force 0: immediate or cancel.
const TIME_IN_FORCE_IOC: u32 = 0;
/// SoupBinTCP: a client silent this long sends a heartbeat.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// Flush a session's buffer mid-burst beyond this many bytes.
const FLUSH_BYTES: usize = 32 * 1024;
/// Pause before retrying a write the socket refused (its buffer is full).
const WRITE_RETRY_PAUSE: Duration = Duration::from_micros(20);

struct Outbound {
    stream: TcpStream,
    buffer: Vec<u8>,
    live: LiveSet,
    last_write: Instant,
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
}

/// The sender of a run.
pub struct Sender {
    outbound: Vec<Outbound>,
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
}

impl Sender {
    /// A sender over the write halves of the sessions.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        streams: Vec<TcpStream>,
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
        let outbound = streams
            .into_iter()
            .map(|stream| Outbound {
                stream,
                buffer: Vec::with_capacity(FLUSH_BYTES * 2),
                live: LiveSet::new(max_live_per_session),
                last_write: Instant::now(),
            })
            .collect();
        Sender {
            outbound,
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
            self.flush_all()?;
            let flushed = self.elapsed_ns();
            for sent in round_start.max(self.schedule.warmup())..index {
                let lag = flushed.saturating_sub(self.schedule.offset_ns(sent));
                send_lag_ns.saturating_record(lag.max(1));
            }
            self.control.sent.store(index, Ordering::Relaxed);
            if index < total {
                self.heartbeats()?;
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
        })
    }

    fn wait_for(&mut self, done: impl Fn(&Control) -> bool) -> Result<()> {
        while !done(&self.control) {
            self.heartbeats()?;
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
                self.slots.begin(number, request(kind));
                let message = EnterOrder {
                    order_token: Alpha(self.codec.encode(number)),
                    side,
                    shares,
                    stock: Alpha(self.generator.models()[usize::from(symbol)].stock),
                    price,
                    time_in_force: if ioc {
                        TIME_IN_FORCE_IOC
                    } else {
                        TIME_IN_FORCE_DAY
                    },
                    firm: Alpha(*b"RTES"),
                    display: Display::Anonymous,
                    capacity: Capacity::Agency,
                    intermarket_sweep: IntermarketSweep::NotEligible,
                    minimum_quantity: 0,
                    cross_type: CrossType::NoCross,
                    customer_type: CustomerType::PortDefault,
                };
                self.append(session, &message)?;
                if !ioc {
                    self.outbound[session].live.push(LiveOrder {
                        number,
                        symbol,
                        side,
                    });
                }
            }
            Action::Cancel { order } => {
                self.counts.cancel += 1;
                self.slots.begin(order.number, request(RequestKind::Cancel));
                let message = CancelOrder {
                    order_token: Alpha(self.codec.encode(order.number)),
                    shares: 0,
                };
                self.append(session, &message)?;
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
                let message = ReplaceOrder {
                    existing_order_token: Alpha(self.codec.encode(order.number)),
                    replacement_order_token: Alpha(self.codec.encode(replacement)),
                    shares,
                    price,
                    time_in_force: TIME_IN_FORCE_DAY,
                    display: Display::Anonymous,
                    intermarket_sweep: IntermarketSweep::NotEligible,
                    minimum_quantity: 0,
                };
                self.append(session, &message)?;
                self.outbound[session].live.push(LiveOrder {
                    number: replacement,
                    ..order
                });
            }
        }
        Ok(())
    }

    fn append<M: OuchMessage>(&mut self, session: usize, message: &M) -> Result<()> {
        let mut frame = [0u8; 128];
        let written = encode_framed(b'U', message, &mut frame)
            .map_err(|error| anyhow::anyhow!("encoding: {error}"))?;
        let outbound = &mut self.outbound[session];
        outbound.buffer.extend_from_slice(&frame[..written]);
        if outbound.buffer.len() >= FLUSH_BYTES {
            flush(outbound)?;
        }
        Ok(())
    }

    fn flush_all(&mut self) -> Result<()> {
        self.outbound.iter_mut().try_for_each(flush)
    }

    fn heartbeats(&mut self) -> Result<()> {
        for outbound in &mut self.outbound {
            if outbound.last_write.elapsed() >= HEARTBEAT_INTERVAL {
                let mut packet = [0u8; 3];
                let written = Packet::ClientHeartbeat.encode_into(&mut packet)?;
                outbound.buffer.extend_from_slice(&packet[..written]);
                flush(outbound)?;
            }
        }
        Ok(())
    }

    fn cancel_all_live(&mut self) -> Result<u64> {
        let now = self.elapsed_ns();
        let mut cancels = 0;
        for session in 0..self.outbound.len() {
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
                let message = CancelOrder {
                    order_token: Alpha(self.codec.encode(order.number)),
                    shares: 0,
                };
                self.append(session, &message)?;
                cancels += 1;
            }
        }
        self.flush_all()?;
        Ok(cancels)
    }

    fn logout(&mut self) {
        for outbound in &mut self.outbound {
            let mut packet = [0u8; 3];
            if let Ok(written) = Packet::LogoutRequest.encode_into(&mut packet) {
                outbound.buffer.extend_from_slice(&packet[..written]);
                // The server may already have gone; nothing to do about it.
                let _ = flush(outbound);
            }
        }
    }
}

/// Writes the whole buffer. The socket shares its non-blocking flag with
/// the receiver's handle, so a full socket buffer is waited out here: the
/// delay lands on the schedule and so in the measured latency.
fn flush(outbound: &mut Outbound) -> Result<()> {
    let mut written = 0;
    while written < outbound.buffer.len() {
        match outbound.stream.write(&outbound.buffer[written..]) {
            Ok(0) => anyhow::bail!("server closed the connection"),
            Ok(count) => written += count,
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(WRITE_RETRY_PAUSE)
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error).context("sending"),
        }
    }
    if written > 0 {
        outbound.last_write = Instant::now();
    }
    outbound.buffer.clear();
    Ok(())
}
