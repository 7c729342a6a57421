//! Cross-checks the encoders against an independent decoder: Wireshark's
//! `soupbintcp` and `ouch` dissectors. Skipped (passes) when `tshark` or
//! `text2pcap` is not installed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use rtes_gateway::ouch::*;
use rtes_gateway::soupbin::ascii::Alpha;
use rtes_gateway::soupbin::wire::{LoginAcceptedRecord, LoginRequestRecord};
use rtes_gateway::soupbin::{write_header, Packet, HEADER_LEN};

fn token(text: &[u8]) -> Token {
    Alpha::padded(text).unwrap()
}

fn push_packet(packet: Packet<'_>, stream: &mut Vec<u8>) {
    let mut buffer = [0u8; 128];
    let written = packet.encode_into(&mut buffer).unwrap();
    stream.extend_from_slice(&buffer[..written]);
}

fn push_message<M: OuchMessage>(packet_type: u8, message: &M, stream: &mut Vec<u8>) {
    let mut buffer = [0u8; 128];
    let written = message.encode(&mut buffer[HEADER_LEN..]).unwrap();
    write_header(&mut buffer, packet_type, written).unwrap();
    stream.extend_from_slice(&buffer[..HEADER_LEN + written]);
}

fn client_stream() -> Vec<u8> {
    let mut stream = Vec::new();
    let login = LoginRequestRecord::new(b"USER", b"PASS", b"", 1).unwrap();
    push_packet(
        Packet::LoginRequest {
            login: &login,
            heartbeat_timeout: None,
        },
        &mut stream,
    );
    let order = EnterOrder {
        order_token: token(b"TOK1"),
        side: Side::Buy,
        shares: 100,
        stock: Alpha::padded(b"AAPL").unwrap(),
        price: 1_501_200,
        time_in_force: 99_999,
        firm: Alpha::padded(b"FIRM").unwrap(),
        display: Display::Anonymous,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 0,
        cross_type: CrossType::NoCross,
        customer_type: CustomerType::PortDefault,
    };
    push_message(b'U', &order, &mut stream);
    let replace = ReplaceOrder {
        existing_order_token: token(b"TOK1"),
        replacement_order_token: token(b"TOK2"),
        shares: 50,
        price: 1_500_000,
        time_in_force: 99_999,
        display: Display::Anonymous,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 0,
    };
    push_message(b'U', &replace, &mut stream);
    push_message(
        b'U',
        &CancelOrder {
            order_token: token(b"TOK2"),
            shares: 0,
        },
        &mut stream,
    );
    push_packet(Packet::LogoutRequest, &mut stream);
    stream
}

fn server_stream() -> Vec<u8> {
    let mut stream = Vec::new();
    let accepted_login = LoginAcceptedRecord::new(b"SESS1", 1).unwrap();
    push_packet(Packet::LoginAccepted(&accepted_login), &mut stream);
    let start = SystemEvent {
        timestamp_ns: 34_200_000_000_000,
        event_code: EventCode::StartOfDay,
    };
    push_message(b'S', &start, &mut stream);
    let order = AcceptedOrder {
        timestamp_ns: 34_200_000_000_001,
        order_token: token(b"TOK1"),
        side: Side::Buy,
        shares: 100,
        stock: Alpha::padded(b"AAPL").unwrap(),
        price: 1_501_200,
        time_in_force: 99_999,
        firm: Alpha::padded(b"FIRM").unwrap(),
        display: Display::Anonymous,
        order_reference_number: 77,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 0,
        cross_type: CrossType::NoCross,
        order_state: OrderState::Live,
        bbo_weight_indicator: BboWeightIndicator::Unspecified,
    };
    push_message(b'S', &Accepted(order), &mut stream);
    let replacement = AcceptedOrder {
        order_token: token(b"TOK2"),
        shares: 50,
        order_reference_number: 78,
        ..order
    };
    push_message(
        b'S',
        &Replaced {
            order: replacement,
            previous_order_token: token(b"TOK1"),
        },
        &mut stream,
    );
    let executed = Executed {
        timestamp_ns: 5,
        order_token: token(b"TOK2"),
        executed_shares: 10,
        execution_price: 1_500_000,
        liquidity_flag: LiquidityFlag::Added,
        match_number: 99,
    };
    push_message(b'S', &executed, &mut stream);
    let canceled = Canceled {
        timestamp_ns: 6,
        order_token: token(b"TOK2"),
        decrement_shares: 40,
        reason: CancelReason::SelfMatchPrevention,
    };
    push_message(b'S', &canceled, &mut stream);
    let rejected = Rejected {
        timestamp_ns: 7,
        order_token: token(b"TOK3"),
        reason: RejectReason::InvalidPrice,
    };
    push_message(b'S', &rejected, &mut stream);
    let broken = BrokenTrade {
        timestamp_ns: 8,
        order_token: token(b"TOK2"),
        match_number: 99,
        reason: TradeCorrectionReason::Erroneous,
    };
    push_message(b'S', &broken, &mut stream);
    let corrected = PriceCorrection {
        timestamp_ns: 9,
        order_token: token(b"TOK2"),
        match_number: 99,
        new_execution_price: 1_499_900,
        reason: TradeCorrectionReason::Consent,
    };
    push_message(b'S', &corrected, &mut stream);
    push_packet(Packet::ServerHeartbeat, &mut stream);
    push_packet(Packet::EndOfSession, &mut stream);
    stream
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Runs tshark's verbose dissection over `stream` sent from `source_port`.
fn dissect(
    directory: &Path,
    name: &str,
    stream: &[u8],
    source_port: u16,
    destination_port: u16,
) -> String {
    let mut hex = String::new();
    for (line, chunk) in stream.chunks(16).enumerate() {
        write!(hex, "{:06x}", line * 16).unwrap();
        for byte in chunk {
            write!(hex, " {byte:02x}").unwrap();
        }
        hex.push('\n');
    }
    let hex_path = directory.join(format!("{name}.hex"));
    let pcap_path = directory.join(format!("{name}.pcap"));
    std::fs::write(&hex_path, hex).unwrap();
    let status = Command::new("text2pcap")
        .arg("-q")
        .arg("-T")
        .arg(format!("{source_port},{destination_port}"))
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
            "tcp.port==15000,soupbintcp",
            "-O",
            "soupbintcp,ouch",
            "-V",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn temporary_directory() -> PathBuf {
    let directory = std::env::temp_dir().join(format!("rtes-codec-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

#[test]
fn tshark_reads_our_packets_as_we_meant_them() {
    if !installed("tshark") || !installed("text2pcap") {
        eprintln!("tshark/text2pcap not installed: skipping the interoperability check");
        return;
    }
    let directory = temporary_directory();
    let client = dissect(&directory, "client", &client_stream(), 40_000, 15_000);
    let server = dissect(&directory, "server", &server_stream(), 15_000, 40_000);
    std::fs::remove_dir_all(&directory).unwrap();
    for text in [&client, &server] {
        assert!(!text.contains("Malformed"), "{text}");
        assert!(!text.contains("Unknown"), "{text}");
    }
    for expected in [
        "Requested sequence number: 1",
        "OUCH, Enter Order",
        "Price: $150.1200",
        "Time In Force: System Hours (99999)",
        "Customer Type: Default configured for port (' ')",
        "OUCH, Replace Order",
        "Replacement Order Token: TOK2",
        "OUCH, Cancel Order",
        "Packet Type: Logout Request ('O')",
    ] {
        assert!(
            client.contains(expected),
            "missing {expected:?} in\n{client}"
        );
    }
    for expected in [
        "Next sequence number: 1",
        "Timestamp: 9:30:00.000000000",
        "Event Code: Start of Day ('S')",
        "Order Reference Number: 77",
        "Order State: Order Live ('L')",
        "Previous Order Token: TOK1",
        "Liquidity Flag: Added ('A')",
        "Match Number: 99",
        "Cancel Reason: Self-match prevention ('Q')",
        "Decrement Shares: 40",
        "Reject Reason: Invalid Price ('X')",
        "Broken Trade Reason: Erroneous ('E')",
        "New Execution Price: $149.9900",
        "Packet Type: Server Heartbeat ('H')",
        "Packet Type: End of Session ('Z')",
    ] {
        assert!(
            server.contains(expected),
            "missing {expected:?} in\n{server}"
        );
    }
}
