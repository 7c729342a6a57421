//! MoldUDP64 packets: layout, round trips, malformed input.

use proptest::prelude::*;
use rtes_mdfeed::moldudp::{
    header_packet, MoldError, Packet, PacketBuilder, PacketKind, Request, HEADER_LEN,
};

const SESSION: [u8; 10] = *b"RTES000042";

#[test]
fn packet_layout() {
    let mut builder = PacketBuilder::new(SESSION, 100);
    builder.start(0x0102_0304_0506_0708);
    assert!(builder.push(b"abc"));
    assert!(builder.push(b"de"));
    let bytes = builder.bytes().to_vec();
    assert_eq!(&bytes[..10], b"RTES000042");
    assert_eq!(&bytes[10..18], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(&bytes[18..20], &[0, 2]);
    assert_eq!(&bytes[20..], &[0, 3, b'a', b'b', b'c', 0, 2, b'd', b'e']);
}

#[test]
fn builder_respects_the_payload_limit() {
    let mut builder = PacketBuilder::new(SESSION, HEADER_LEN + 10);
    builder.start(1);
    assert!(builder.push(&[1; 8]));
    assert!(!builder.push(&[1; 1]));
    assert_eq!(builder.bytes().len(), HEADER_LEN + 10);
}

#[test]
fn heartbeat_end_of_session_and_request() {
    let heartbeat_bytes = header_packet(SESSION, 7, 0);
    let heartbeat = Packet::decode(&heartbeat_bytes).unwrap();
    assert_eq!(heartbeat.kind(), PacketKind::Heartbeat);
    assert_eq!(heartbeat.sequence_number, 7);
    assert_eq!(heartbeat.messages().count(), 0);
    let end_bytes = header_packet(SESSION, 7, 0xFFFF);
    let end = Packet::decode(&end_bytes).unwrap();
    assert_eq!(end.kind(), PacketKind::EndOfSession);
    let request = Request {
        session: SESSION,
        sequence_number: 99,
        message_count: 12,
    };
    assert_eq!(Request::decode(&request.encode()), Ok(request));
    assert_eq!(
        Request::decode(&[0; 19]),
        Err(MoldError::BadRequestLength(19))
    );
}

#[test]
fn malformed_packets() {
    assert_eq!(Packet::decode(&[0; 5]), Err(MoldError::Short(5)));
    let mut bytes = header_packet(SESSION, 1, 2).to_vec();
    bytes.extend_from_slice(&[0, 1, b'x']);
    assert_eq!(
        Packet::decode(&bytes),
        Err(MoldError::Truncated { index: 1 })
    );
    let mut bytes = header_packet(SESSION, 1, 1).to_vec();
    bytes.extend_from_slice(&[0, 1, b'x', 9]);
    assert_eq!(Packet::decode(&bytes), Err(MoldError::TrailingBytes(1)));
}

proptest! {
    #[test]
    fn round_trip(first in 1u64..u64::MAX / 2, messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 1..20)) {
        let mut builder = PacketBuilder::new(SESSION, 1_400);
        builder.start(first);
        for message in &messages {
            prop_assert!(builder.push(message));
        }
        let bytes = builder.bytes().to_vec();
        let packet = Packet::decode(&bytes).unwrap();
        prop_assert_eq!(packet.session, SESSION);
        let decoded: Vec<(u64, Vec<u8>)> = packet.messages().map(|(s, m)| (s, m.to_vec())).collect();
        let expected: Vec<(u64, Vec<u8>)> = messages.iter().enumerate().map(|(i, m)| (first + i as u64, m.clone())).collect();
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        if let Ok(packet) = Packet::decode(&bytes) {
            let _ = packet.messages().count();
        }
        let _ = Request::decode(&bytes);
    }
}
