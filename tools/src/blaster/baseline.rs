//! The floor to compare RTES against: a raw TCP ping-pong over loopback,
//! in the same process and run. A tiny echo server thread returns every
//! byte; the client sends messages the size of the run's new order (an OUCH
//! Enter Order frame is 51 bytes, a FIX NewOrderSingle about 150) on the
//! same open-loop schedule and measures each echo from its scheduled time,
//! exactly as the blaster measures RTES. Closed-loop
//! mode sends the next message only after the previous echo (at most at
//! the rate) and measures from the actual send.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;

use super::schedule::{reduce_timer_slack, sleep_until, Schedule};
use super::stats::{latency_histogram, LATENCY_MAX_NS};

/// Bytes per ping by default: a SoupBinTCP-framed OUCH Enter Order (2 + 1 + 49).
pub const MESSAGE_BYTES: usize = 51;
/// Smallest ping: it carries its index in its first 8 bytes.
const MESSAGE_BYTES_MIN: usize = 8;

/// How the baseline runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineOptions {
    /// Messages per second.
    pub rate: f64,
    /// Messages in all.
    pub total: u64,
    /// Messages not measured at the start.
    pub warmup: u64,
    /// One message in flight at a time instead of open-loop.
    pub closed_loop: bool,
    /// Spin the last part of each wait (see the blaster's `spin_us`).
    pub spin: Duration,
    /// How long to wait for the last echoes.
    pub drain_timeout: Duration,
    /// Bytes per ping (at least 8).
    pub message_bytes: usize,
}

/// What the baseline measured.
#[derive(Debug)]
pub struct BaselineOutcome {
    /// Round trips, ns.
    pub latency_ns: Histogram<u64>,
    /// Messages sent.
    pub sent: u64,
    /// Echoes received.
    pub received: u64,
    /// True when run closed-loop.
    pub closed_loop: bool,
    /// Bytes per ping.
    pub message_bytes: usize,
}

/// Runs the ping-pong.
pub fn run_baseline(options: &BaselineOptions) -> Result<BaselineOutcome> {
    anyhow::ensure!(
        options.message_bytes >= MESSAGE_BYTES_MIN,
        "baseline messages need at least {MESSAGE_BYTES_MIN} bytes"
    );
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the echo server")?;
    let address = listener.local_addr()?;
    let echo = std::thread::Builder::new()
        .name("baseline-echo".into())
        .spawn(move || echo_server(listener))?;
    let stream = TcpStream::connect(address).context("connecting to the echo server")?;
    stream.set_nodelay(true)?;
    let outcome = if options.closed_loop {
        closed_loop(stream, options)
    } else {
        open_loop(stream, options)
    };
    // The client's socket is closed by now, so the echo thread sees EOF.
    let _ = echo.join();
    outcome
}

fn echo_server(listener: TcpListener) -> std::io::Result<()> {
    let (mut stream, _) = listener.accept()?;
    stream.set_nodelay(true)?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        stream.write_all(&buffer[..read])?;
    }
}

/// Appends ping `index`: its index, then spaces up to `bytes`.
fn append_message(out: &mut Vec<u8>, index: u64, bytes: usize) {
    out.extend_from_slice(&index.to_be_bytes());
    out.resize(out.len() + bytes - MESSAGE_BYTES_MIN, b' ');
}

fn record(histogram: &mut Histogram<u64>, latency_ns: u64) {
    histogram.saturating_record(latency_ns.clamp(1, LATENCY_MAX_NS));
}

fn open_loop(stream: TcpStream, options: &BaselineOptions) -> Result<BaselineOutcome> {
    let schedule = Schedule::new(options.rate, options.total, options.warmup);
    let mut reader = stream.try_clone()?;
    reader.set_read_timeout(Some(Duration::from_millis(50)))?;
    let start = Instant::now();
    let drain_timeout = options.drain_timeout;
    let message_bytes = options.message_bytes;
    let receiver = std::thread::Builder::new()
        .name("baseline-recv".into())
        .spawn(move || -> Result<(Histogram<u64>, u64)> {
            let mut histogram = latency_histogram();
            let mut buffer = vec![0u8; 256 * 1024];
            let mut filled = 0;
            let mut received = 0u64;
            // Generous: the schedule's length plus the drain timeout.
            let deadline =
                start + Duration::from_nanos(schedule.span_ns()) + drain_timeout + drain_timeout;
            while received < schedule.total() && Instant::now() < deadline {
                let read = match reader.read(&mut buffer[filled..]) {
                    Ok(0) => break,
                    Ok(read) => read,
                    Err(error)
                        if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                    {
                        continue
                    }
                    Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                    Err(error) => return Err(error.into()),
                };
                let now = start.elapsed().as_nanos() as u64;
                filled += read;
                let whole = filled / message_bytes * message_bytes;
                for chunk in buffer[..whole].chunks_exact(message_bytes) {
                    let index = u64::from_be_bytes(chunk[..8].try_into().expect("8 bytes"));
                    if schedule.is_measured(index) {
                        record(
                            &mut histogram,
                            now.saturating_sub(schedule.offset_ns(index)),
                        );
                    }
                    received += 1;
                }
                buffer.copy_within(whole..filled, 0);
                filled -= whole;
            }
            Ok((histogram, received))
        })?;
    reduce_timer_slack();
    let mut writer = stream;
    let mut batch = Vec::with_capacity(64 * 1024);
    let mut index = 0;
    while index < schedule.total() {
        let due = schedule.due_count(start.elapsed().as_nanos() as u64);
        while index < due {
            append_message(&mut batch, index, message_bytes);
            index += 1;
        }
        writer.write_all(&batch)?;
        batch.clear();
        if index < schedule.total() {
            sleep_until(start, schedule.offset_ns(index), options.spin);
        }
    }
    let (latency_ns, received) = receiver
        .join()
        .map_err(|_| anyhow::anyhow!("baseline receiver panicked"))??;
    writer.shutdown(std::net::Shutdown::Both)?;
    Ok(BaselineOutcome {
        latency_ns,
        sent: index,
        received,
        closed_loop: false,
        message_bytes,
    })
}

fn closed_loop(mut stream: TcpStream, options: &BaselineOptions) -> Result<BaselineOutcome> {
    let schedule = Schedule::new(options.rate, options.total, options.warmup);
    stream.set_read_timeout(Some(options.drain_timeout.max(Duration::from_millis(100))))?;
    let mut histogram = latency_histogram();
    reduce_timer_slack();
    let start = Instant::now();
    let mut echo = vec![0u8; options.message_bytes];
    let mut message = Vec::with_capacity(options.message_bytes);
    let mut received = 0;
    for index in 0..schedule.total() {
        message.clear();
        append_message(&mut message, index, options.message_bytes);
        sleep_until(start, schedule.offset_ns(index), options.spin);
        let sent_at = Instant::now();
        stream.write_all(&message)?;
        stream
            .read_exact(&mut echo)
            .context("waiting for the echo")?;
        let latency = sent_at.elapsed().as_nanos() as u64;
        received += 1;
        if schedule.is_measured(index) {
            record(&mut histogram, latency);
        }
    }
    stream.shutdown(std::net::Shutdown::Both)?;
    Ok(BaselineOutcome {
        latency_ns: histogram,
        sent: schedule.total(),
        received,
        closed_loop: true,
        message_bytes: options.message_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_closed_loop_echo_everything() {
        for (closed_loop, message_bytes) in [(false, MESSAGE_BYTES), (true, 160), (false, 157)] {
            let outcome = run_baseline(&BaselineOptions {
                rate: 5_000.0,
                total: 1_000,
                warmup: 100,
                closed_loop,
                spin: Duration::ZERO,
                drain_timeout: Duration::from_secs(2),
                message_bytes,
            })
            .unwrap();
            assert_eq!(outcome.message_bytes, message_bytes);
            assert_eq!(outcome.sent, 1_000);
            assert_eq!(outcome.received, 1_000);
            assert_eq!(outcome.latency_ns.len(), 900);
            assert!(outcome.latency_ns.value_at_quantile(0.5) > 0);
        }
    }
}
