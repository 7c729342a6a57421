//! `fix-md-sink`: N FIX sessions that subscribe to the full book of every
//! symbol (snapshot + incremental refresh) and read everything RTES sends,
//! counting messages and entries. Load for measuring RTES's FIX market-data
//! path (its `engine apply->fix market data queued` histogram, printed by
//! `rtes` on shutdown) and for watching the feed's rate.
//!
//! ```text
//! fix-md-sink --port 15001 --sessions MD01,MD02 --symbols AAPL,MSFT --duration 10
//! ```

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Parser;
use rtes_gateway::fix::codec::{frame, tags, Decoder, Encoder, Frame};

#[derive(Parser, Debug)]
#[command(
    name = "fix-md-sink",
    about = "Subscribe FIX sessions to RTES market data and count what arrives"
)]
struct Args {
    /// Host of the FIX acceptor.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the FIX acceptor.
    #[arg(long, default_value_t = 15001)]
    port: u16,
    /// SenderCompIDs to log on as, comma separated (each a configured session).
    #[arg(long, value_delimiter = ',', required = true)]
    sessions: Vec<String>,
    /// Symbols to subscribe to.
    #[arg(long, value_delimiter = ',', default_value = "AAPL,MSFT,SPY,QQQ,TSLA")]
    symbols: Vec<String>,
    /// The venue's CompID.
    #[arg(long, default_value = "RTES")]
    target: String,
    /// Seconds to run (0 = until killed).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
}

/// One logged-on subscriber.
struct Sink {
    name: String,
    stream: TcpStream,
    buffer: Vec<u8>,
    filled: usize,
    next_seq: u64,
    messages: u64,
    entries: u64,
}

fn utc_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

impl Sink {
    fn send(
        &mut self,
        encoder: &mut Encoder,
        target: &str,
        msg_type: &[u8],
        body: impl FnOnce(&mut Encoder),
    ) -> Result<()> {
        encoder.begin(msg_type);
        encoder.field_bytes(tags::SENDER_COMP_ID, self.name.as_bytes());
        encoder.field_bytes(tags::TARGET_COMP_ID, target.as_bytes());
        encoder.field_u64(tags::MSG_SEQ_NUM, self.next_seq);
        encoder.field_timestamp(tags::SENDING_TIME, utc_ns());
        body(encoder);
        self.next_seq += 1;
        self.stream
            .write_all(encoder.finish())
            .with_context(|| format!("{}: write", self.name))
    }

    /// Reads what is there; answers TestRequests; counts X/W entries.
    fn poll(&mut self, encoder: &mut Encoder, decoder: &mut Decoder, target: &str) -> Result<bool> {
        if self.filled == self.buffer.len() {
            self.buffer.resize(self.buffer.len() * 2, 0);
        }
        match self.stream.read(&mut self.buffer[self.filled..]) {
            Ok(0) => bail!("{}: the venue closed the connection", self.name),
            Ok(read) => self.filled += read,
            Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(error) => return Err(error).with_context(|| format!("{}: read", self.name)),
        }
        let mut consumed = 0;
        let mut test_request: Option<Vec<u8>> = None;
        loop {
            let rest = &self.buffer[consumed..self.filled];
            match frame(rest, 1 << 20) {
                Frame::Complete(length) => {
                    let message = decoder
                        .decode(&rest[..length])
                        .map_err(|error| anyhow::anyhow!("{}: {error}", self.name))?;
                    self.messages += 1;
                    match message.msg_type() {
                        b"X" | b"W" => {
                            self.entries += message
                                .fields()
                                .iter()
                                .filter(|field| field.tag == tags::MD_ENTRY_TYPE)
                                .count() as u64
                        }
                        b"1" => test_request = message.get(tags::TEST_REQ_ID).map(<[u8]>::to_vec),
                        b"5" => bail!(
                            "{}: logged out by the venue: {:?}",
                            self.name,
                            message.get(tags::TEXT).map(String::from_utf8_lossy)
                        ),
                        b"Y" => bail!(
                            "{}: subscription refused: {:?}",
                            self.name,
                            message.get(tags::TEXT).map(String::from_utf8_lossy)
                        ),
                        _ => {}
                    }
                    consumed += length;
                }
                Frame::Incomplete => break,
                other => bail!("{}: bad frame from the venue: {other:?}", self.name),
            }
        }
        self.buffer.copy_within(consumed..self.filled, 0);
        self.filled -= consumed;
        if let Some(id) = test_request {
            self.send(encoder, target, b"0", |encoder| {
                encoder.field_bytes(tags::TEST_REQ_ID, &id)
            })?;
        }
        Ok(true)
    }
}

fn logon(args: &Args, name: &str, encoder: &mut Encoder) -> Result<Sink> {
    let stream = TcpStream::connect((args.host.as_str(), args.port))
        .with_context(|| format!("{name}: connect to {}:{}", args.host, args.port))?;
    stream.set_nodelay(true)?;
    let mut sink = Sink {
        name: name.to_string(),
        stream,
        buffer: vec![0; 1 << 16],
        filled: 0,
        next_seq: 1,
        messages: 0,
        entries: 0,
    };
    sink.send(encoder, &args.target, b"A", |encoder| {
        encoder.field_u64(tags::ENCRYPT_METHOD, 0);
        encoder.field_u64(tags::HEART_BT_INT, 30);
        encoder.field_bytes(tags::RESET_SEQ_NUM_FLAG, b"Y");
    })?;
    sink.send(encoder, &args.target, b"V", |encoder| {
        encoder.field_bytes(tags::MD_REQ_ID, format!("{name}-all").as_bytes());
        encoder.field_u64(tags::SUBSCRIPTION_REQUEST_TYPE, 1);
        encoder.field_u64(tags::MARKET_DEPTH, 0);
        encoder.field_u64(tags::MD_UPDATE_TYPE, 1);
        encoder.field_u64(tags::NO_MD_ENTRY_TYPES, 3);
        for entry_type in [b"0", b"1", b"2"] {
            encoder.field_bytes(tags::MD_ENTRY_TYPE, entry_type);
        }
        encoder.field_u64(tags::NO_RELATED_SYM, args.symbols.len() as u64);
        for symbol in &args.symbols {
            encoder.field_bytes(tags::SYMBOL, symbol.as_bytes());
        }
    })?;
    sink.stream.set_nonblocking(true)?;
    Ok(sink)
}

fn main() {
    if let Err(error) = run(Args::parse()) {
        eprintln!("fix-md-sink: error: {error:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    let mut encoder = Encoder::with_capacity(4096);
    let mut decoder = Decoder::new(1 << 16);
    let mut sinks = Vec::with_capacity(args.sessions.len());
    for name in &args.sessions {
        sinks.push(logon(&args, name, &mut encoder)?);
    }
    let started = Instant::now();
    let mut last_report = started;
    let run_for = Duration::from_secs_f64(args.duration.max(0.0));
    loop {
        let mut busy = false;
        for sink in &mut sinks {
            busy |= sink.poll(&mut encoder, &mut decoder, &args.target)?;
        }
        if !busy {
            std::thread::sleep(Duration::from_micros(200));
        }
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            let messages: u64 = sinks.iter().map(|sink| sink.messages).sum();
            let entries: u64 = sinks.iter().map(|sink| sink.entries).sum();
            eprintln!(
                "{:>6.1}s  {} sessions  {messages} messages  {entries} entries",
                started.elapsed().as_secs_f64(),
                sinks.len()
            );
        }
        if !run_for.is_zero() && started.elapsed() >= run_for {
            break;
        }
    }
    for sink in &sinks {
        println!(
            "{{\"session\":\"{}\",\"messages\":{},\"entries\":{}}}",
            sink.name, sink.messages, sink.entries
        );
    }
    Ok(())
}
