//! Cross-checks MoldUDP64 framing against an independent decoder:
//! Wireshark's `moldudp64` dissector reads the publisher's packets (session,
//! sequence numbers, counts, message lengths). Wireshark's `nasdaq_itch`
//! dissector is ITCH 4.x (Chi-X) and cannot read ITCH 5.0 bodies, so the
//! message contents are checked with the `itchy` crate instead
//! (tests/publisher.rs). Skipped (passes) when `tshark`/`text2pcap` are
//! not installed.

use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, OrderRef, Price, Qty, SequenceNumber, Side,
    TimestampNs, TradingState,
};
use rtes_mdfeed::itch::stock_field;
use rtes_mdfeed::publisher::{InstrumentInfo, Publisher, PublisherConfig};
use std::fmt::Write as _;
use std::process::Command;

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|output| output.status.success())
        .unwrap_or(false)
}

fn packets() -> Vec<Vec<u8>> {
    let mut publisher = Publisher::new(
        PublisherConfig {
            session: *b"RTES000042",
            payload_len_max: 200,
            history_bytes: 1 << 16,
            flush_interval_ns: 1,
            heartbeat_interval_ns: 1,
            book_orders_max: 1_000,
        },
        vec![InstrumentInfo {
            stock: stock_field("AAPL"),
            tick_size: 100,
            lot_size: 1,
            initial_state: TradingState::Continuous,
        }],
    );
    let mut packets: Vec<Vec<u8>> = Vec::new();
    publisher.start_of_day(0, 0, &mut packets);
    for i in 1..=6 {
        let event = MarketEvent {
            seq: SequenceNumber(i),
            ts: TimestampNs(i),
            instrument: InstrumentId(0),
            kind: MarketEventKind::Add {
                order_ref: OrderRef(i),
                side: Side::Buy,
                price: Price(10_000),
                qty: Qty(100),
            },
        };
        publisher.publish(&event, 0, &mut packets);
    }
    publisher.flush(0, &mut packets);
    publisher.on_idle(10, true, &mut packets); // heartbeat
    publisher.end_of_session(0, 20, &mut packets);
    packets
}

#[test]
fn tshark_reads_our_moldudp64_packets() {
    if !installed("tshark") || !installed("text2pcap") {
        eprintln!("tshark/text2pcap not installed: skipping the interoperability check");
        return;
    }
    let directory =
        std::env::temp_dir().join(format!("rtes-moldudp64-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    // text2pcap: one packet per offset-0 block.
    let mut hex = String::new();
    for packet in packets() {
        for (line, chunk) in packet.chunks(16).enumerate() {
            write!(hex, "{:06x}", line * 16).unwrap();
            for byte in chunk {
                write!(hex, " {byte:02x}").unwrap();
            }
            hex.push('\n');
        }
    }
    let hex_path = directory.join("feed.hex");
    let pcap_path = directory.join("feed.pcap");
    std::fs::write(&hex_path, hex).unwrap();
    let status = Command::new("text2pcap")
        .args(["-q", "-u", "40000,26400"])
        .arg(&hex_path)
        .arg(&pcap_path)
        .status()
        .unwrap();
    assert!(status.success());
    let output = Command::new("tshark")
        .arg("-r")
        .arg(&pcap_path)
        .args([
            "-d",
            "udp.port==26400,moldudp64",
            "-T",
            "fields",
            "-E",
            "separator=;",
        ])
        .args([
            "-e",
            "moldudp64.session",
            "-e",
            "moldudp64.sequence",
            "-e",
            "moldudp64.count",
        ])
        .args([
            "-e",
            "moldudp64.msglen",
            "-e",
            "moldudp64.msgseq",
            "-e",
            "_ws.malformed",
        ])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&directory).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains("alformed"), "{text}");
    // session; first sequence; count; message lengths; message sequences.
    let expected = [
        "RTES000042;1;5;12,12,12,39,25;1,2,3,4,5;", // start of day (200-byte packets)
        "RTES000042;6;4;36,36,36,36;6,7,8,9;",      // the rest of it, and adds
        "RTES000042;10;2;36,36;10,11;",
        "RTES000042;12;0;;;", // heartbeat: next sequence, no messages
        "RTES000042;12;3;12,12,12;12,13,14;", // end of day system events
        "RTES000042;15;65535;;;", // end of session, three times
        "RTES000042;15;65535;;;",
        "RTES000042;15;65535;;;",
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");
}
