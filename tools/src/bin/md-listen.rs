//! `md-listen`: joins the RTES ITCH 5.0 / MoldUDP64 multicast feed on
//! loopback, recovers gaps from the re-request server, rebuilds the books
//! and prints top of book and trades (text) or every message (JSON lines).
//!
//! ```text
//! md-listen [--group 239.255.0.1:26400] [--interface 127.0.0.1]
//!           [--rerequest 127.0.0.1:15003 | --no-recovery] [--replay 127.0.0.1:15002]
//!           [--symbols AAPL,MSFT] [--format text|json] [--depth N] [--duration SECS]
//!           [--from-sequence N]
//! ```
//! With `--replay`, a gap the re-request server can no longer fill (its
//! history moved on) is closed by a snapshot from the replay server; the
//! snapshot's messages print with sequence number 0.
//! Counters (messages, packets, gaps recovered …) go to stderr at the end
//! (Ctrl-C, `--duration`, or the feed's End of Session).

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use rtes_mdfeed::itch::{Body, Message};
use rtes_mdfeed::subscriber::{Books, Subscriber, SubscriberConfig};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Top of book after each change, and trades.
    Text,
    /// One JSON object per ITCH message.
    Json,
}

#[derive(Parser, Debug)]
#[command(
    name = "md-listen",
    version,
    about = "Listen to the RTES ITCH 5.0 feed"
)]
struct Args {
    /// Multicast group:port.
    #[arg(long, default_value = "239.255.0.1:26400")]
    group: SocketAddrV4,
    /// Interface to join on (loopback only).
    #[arg(long, default_value = "127.0.0.1")]
    interface: Ipv4Addr,
    /// MoldUDP64 re-request server.
    #[arg(long, default_value = "127.0.0.1:15003")]
    rerequest: SocketAddr,
    /// Do not recover gaps (print what arrives).
    #[arg(long)]
    no_recovery: bool,
    /// SoupBinTCP replay server, for a snapshot when the re-request server
    /// no longer holds what is missing.
    #[arg(long)]
    replay: Option<SocketAddr>,
    /// Only these symbols (comma separated); default all.
    #[arg(long, value_delimiter = ',')]
    symbols: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Levels per side printed in text mode.
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// Stop after this many seconds.
    #[arg(long)]
    duration: Option<f64>,
    /// First sequence number wanted (1 = the whole session, recovered).
    #[arg(long, default_value_t = 1)]
    from_sequence: u64,
}

fn main() {
    if let Err(error) = run(Args::parse()) {
        eprintln!("md-listen: error: {error:#}");
        std::process::exit(1);
    }
}

fn price(value: u32) -> String {
    format!("{}.{:04}", value / 10_000, value % 10_000)
}

fn alpha(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

fn run(args: Args) -> Result<()> {
    if args.from_sequence == 0 {
        bail!("--from-sequence must be at least 1");
    }
    let mut config =
        SubscriberConfig::new(args.group, (!args.no_recovery).then_some(args.rerequest));
    config.interface = args.interface;
    config.first_sequence = args.from_sequence;
    config.replay = args.replay.filter(|_| !args.no_recovery);
    let mut subscriber = Subscriber::join(config)
        .with_context(|| format!("joining {} on {}", args.group, args.interface))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::Release))
        .context("installing the Ctrl-C handler")?;
    let deadline = args
        .duration
        .map(|seconds| Instant::now() + Duration::from_secs_f64(seconds));
    let mut lines: Vec<String> = Vec::new();
    let mut books_seen = Books::default();
    let mut in_snapshot = false;
    while !stop.load(Ordering::Acquire) {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
        subscriber.poll(Duration::from_millis(50), |sequence, message| {
            // A snapshot (sequence 0, up to End of Snapshot) replaces the
            // books: start the mirror over at its first message.
            if sequence == 0 && !in_snapshot {
                books_seen = Books::default();
                in_snapshot = true;
            }
            if let Body::EndOfSnapshot { .. } = message.body {
                in_snapshot = false;
            }
            // The subscriber applied the message already; mirror it to
            // know symbols and books at this point for printing.
            books_seen.apply(message);
            if let Some(line) = render(&args, &books_seen, sequence, message) {
                lines.push(line);
            }
        })?;
        for line in lines.drain(..) {
            println!("{line}");
        }
        if subscriber.stats().tracker.end_of_session > 0 && !subscriber.in_gap() {
            break;
        }
    }
    let stats = subscriber.stats();
    eprintln!(
        "messages {} packets {} retransmission_packets {} gaps_detected {} gaps_recovered {} duplicates {} requests {} snapshots {} malformed {}",
        stats.tracker.delivered,
        stats.packets,
        stats.retransmission_packets,
        stats.tracker.gaps_detected,
        stats.tracker.gaps_recovered,
        stats.tracker.duplicates,
        stats.tracker.requests,
        stats.snapshots,
        stats.malformed,
    );
    Ok(())
}

fn symbol_of(books: &Books, locate: u16) -> String {
    books
        .instrument(locate)
        .map(|instrument| instrument.symbol.clone())
        .unwrap_or_default()
}

fn render(args: &Args, books: &Books, sequence: u64, message: &Message) -> Option<String> {
    let locate = message.header.stock_locate;
    let symbol = symbol_of(books, locate);
    if locate != 0 && !args.symbols.is_empty() && !args.symbols.contains(&symbol) {
        return None;
    }
    match args.format {
        Format::Json => Some(json(sequence, &symbol, message)),
        Format::Text => text(args, books, &symbol, message),
    }
}

fn text(args: &Args, books: &Books, symbol: &str, message: &Message) -> Option<String> {
    let locate = message.header.stock_locate;
    match message.body {
        Body::SystemEvent { event_code } => Some(format!("system event {}", event_code as char)),
        Body::TradingAction { trading_state, .. } => Some(format!(
            "{symbol:<8} trading state {}",
            trading_state as char
        )),
        Body::Trade {
            shares,
            price: p,
            match_number,
            ..
        } => Some(format!(
            "{symbol:<8} trade {shares}@{} match {match_number} (hidden)",
            price(p)
        )),
        Body::CrossTrade {
            shares,
            price: p,
            match_number,
            cross_type,
            ..
        } => Some(format!(
            "{symbol:<8} cross {} {shares}@{} match {match_number}",
            cross_type as char,
            price(p)
        )),
        Body::StockDirectory(_) => Some(format!("{symbol:<8} listed (locate {locate})")),
        Body::EndOfSnapshot { sequence } => Some(format!("end of snapshot: live from {sequence}")),
        _ => {
            let book = books.book(locate)?;
            let mut line = format!("{symbol:<8}");
            if let Body::OrderExecuted {
                shares,
                match_number,
                ..
            } = message.body
            {
                let (p, _, _) = books.instrument(locate)?.last_trade?;
                line.push_str(&format!(
                    " trade {shares}@{} match {match_number} |",
                    price(p)
                ));
            }
            let bids = book.bid_depth(args.depth);
            let asks = book.ask_depth(args.depth);
            let side = |levels: &[rtes_mdfeed::subscriber::Level]| {
                if levels.is_empty() {
                    return "-".to_string();
                }
                levels
                    .iter()
                    .map(|level| format!("{}@{}", level.shares, price(level.price)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            line.push_str(&format!(" bid {}  ask {}", side(&bids), side(&asks)));
            Some(line)
        }
    }
}

fn json(sequence: u64, symbol: &str, message: &Message) -> String {
    let header = &message.header;
    let mut fields = vec![
        format!("\"seq\":{sequence}"),
        format!("\"type\":\"{}\"", message.message_type() as char),
        format!("\"locate\":{}", header.stock_locate),
        format!("\"timestamp_ns\":{}", header.timestamp_ns),
    ];
    if !symbol.is_empty() {
        fields.push(format!("\"symbol\":\"{symbol}\""));
    }
    let mut add = |name: &str, value: String| fields.push(format!("\"{name}\":{value}"));
    let text = |bytes: &[u8]| format!("\"{}\"", alpha(bytes));
    let char_of = |byte: u8| format!("\"{}\"", byte as char);
    match message.body {
        Body::SystemEvent { event_code } => add("event_code", char_of(event_code)),
        Body::StockDirectory(d) => {
            add("stock", text(&d.stock));
            add("round_lot_size", d.round_lot_size.to_string());
        }
        Body::TradingAction {
            trading_state,
            reason,
            ..
        } => {
            add("trading_state", char_of(trading_state));
            add("reason", text(&reason));
        }
        Body::AddOrder {
            order_ref,
            side,
            shares,
            price: p,
            ..
        } => {
            add("order_ref", order_ref.to_string());
            add("side", char_of(side));
            add("shares", shares.to_string());
            add("price", format!("\"{}\"", price(p)));
        }
        Body::OrderExecuted {
            order_ref,
            shares,
            match_number,
        } => {
            add("order_ref", order_ref.to_string());
            add("shares", shares.to_string());
            add("match_number", match_number.to_string());
        }
        Body::OrderExecutedWithPrice {
            order_ref,
            shares,
            match_number,
            printable,
            price: p,
        } => {
            add("order_ref", order_ref.to_string());
            add("shares", shares.to_string());
            add("match_number", match_number.to_string());
            add("printable", char_of(printable));
            add("price", format!("\"{}\"", price(p)));
        }
        Body::OrderCancel { order_ref, shares } => {
            add("order_ref", order_ref.to_string());
            add("shares", shares.to_string());
        }
        Body::OrderDelete { order_ref } => add("order_ref", order_ref.to_string()),
        Body::OrderReplace {
            original_order_ref,
            new_order_ref,
            shares,
            price: p,
        } => {
            add("original_order_ref", original_order_ref.to_string());
            add("new_order_ref", new_order_ref.to_string());
            add("shares", shares.to_string());
            add("price", format!("\"{}\"", price(p)));
        }
        Body::Trade {
            order_ref,
            side,
            shares,
            price: p,
            match_number,
            ..
        } => {
            add("order_ref", order_ref.to_string());
            add("side", char_of(side));
            add("shares", shares.to_string());
            add("price", format!("\"{}\"", price(p)));
            add("match_number", match_number.to_string());
        }
        Body::CrossTrade {
            shares,
            price: p,
            match_number,
            cross_type,
            ..
        } => {
            add("shares", shares.to_string());
            add("price", format!("\"{}\"", price(p)));
            add("match_number", match_number.to_string());
            add("cross_type", char_of(cross_type));
        }
        Body::EndOfSnapshot { sequence } => add("live_from", sequence.to_string()),
    }
    format!("{{{}}}", fields.join(","))
}
