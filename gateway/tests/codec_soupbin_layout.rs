//! Pins the SoupBinTCP 4.00 packet layouts byte by byte.

use core::mem::{offset_of, size_of};

use rtes_gateway::soupbin::wire::{
    EmptyPacketRecord, LoginAcceptedRecord, LoginRejectedRecord, LoginRequestRecord,
    LoginRequestWithTimeoutRecord, PacketHeader,
};
use rtes_gateway::soupbin::{decode_frame, LoginRejectReason, Packet};

fn encode(packet: Packet<'_>) -> Vec<u8> {
    let mut out = vec![0u8; 2048];
    let written = packet.encode_into(&mut out).unwrap();
    out.truncate(written);
    out
}

#[test]
fn header_layout() {
    assert_eq!(size_of::<PacketHeader>(), 3);
    assert_eq!(offset_of!(PacketHeader, packet_length), 0);
    assert_eq!(offset_of!(PacketHeader, packet_type), 2);
}

#[test]
fn login_request_layout() {
    assert_eq!(size_of::<LoginRequestRecord>(), 49);
    assert_eq!(offset_of!(LoginRequestRecord, username), 3);
    assert_eq!(offset_of!(LoginRequestRecord, password), 9);
    assert_eq!(offset_of!(LoginRequestRecord, requested_session), 19);
    assert_eq!(
        offset_of!(LoginRequestRecord, requested_sequence_number),
        29
    );
    let record = LoginRequestRecord::new(b"USER1", b"secret", b"", 42).unwrap();
    let bytes = encode(Packet::LoginRequest {
        login: &record,
        heartbeat_timeout: None,
    });
    let mut expected = b"\x00\x2fLUSER1 secret              ".to_vec();
    expected.extend_from_slice(b"                  42");
    assert_eq!(bytes, expected);
}

#[test]
fn login_request_with_timeout_layout() {
    assert_eq!(size_of::<LoginRequestWithTimeoutRecord>(), 54);
    assert_eq!(
        offset_of!(LoginRequestWithTimeoutRecord, heartbeat_timeout),
        49
    );
    let record = LoginRequestRecord::new(b"U", b"P", b"SESSION1", 0).unwrap();
    let bytes = encode(Packet::LoginRequest {
        login: &record,
        heartbeat_timeout: Some(b"15000"),
    });
    assert_eq!(bytes.len(), 54);
    assert_eq!(&bytes[..3], b"\x00\x34L");
    assert_eq!(&bytes[49..], b"15000");
    let (packet, used) = decode_frame(&bytes, 1024).unwrap().unwrap();
    assert_eq!(used, 54);
    let Packet::LoginRequest {
        login,
        heartbeat_timeout,
    } = packet
    else {
        panic!("{packet:?}")
    };
    assert_eq!(login.requested_session(), b"SESSION1");
    assert_eq!(heartbeat_timeout, Some(b"15000"));
}

#[test]
fn login_accepted_layout() {
    assert_eq!(size_of::<LoginAcceptedRecord>(), 33);
    assert_eq!(offset_of!(LoginAcceptedRecord, session), 3);
    assert_eq!(offset_of!(LoginAcceptedRecord, sequence_number), 13);
    let record = LoginAcceptedRecord::new(b"S1", 1).unwrap();
    let bytes = encode(Packet::LoginAccepted(&record));
    assert_eq!(bytes, b"\x00\x1fAS1                           1".to_vec());
}

#[test]
fn login_rejected_layout() {
    assert_eq!(size_of::<LoginRejectedRecord>(), 4);
    assert_eq!(offset_of!(LoginRejectedRecord, reject_reason_code), 3);
    let not_authorized = LoginRejectedRecord::new(LoginRejectReason::NotAuthorized);
    assert_eq!(
        encode(Packet::LoginRejected(&not_authorized)),
        b"\x00\x02JA"
    );
    let unavailable = LoginRejectedRecord::new(LoginRejectReason::SessionNotAvailable);
    assert_eq!(encode(Packet::LoginRejected(&unavailable)), b"\x00\x02JS");
    assert_eq!(
        unavailable.reason(),
        Some(LoginRejectReason::SessionNotAvailable)
    );
}

#[test]
fn empty_packet_layouts() {
    assert_eq!(size_of::<EmptyPacketRecord>(), 3);
    assert_eq!(encode(Packet::ServerHeartbeat), b"\x00\x01H");
    assert_eq!(encode(Packet::ClientHeartbeat), b"\x00\x01R");
    assert_eq!(encode(Packet::LogoutRequest), b"\x00\x01O");
    assert_eq!(encode(Packet::EndOfSession), b"\x00\x01Z");
}

#[test]
fn payload_packet_layouts() {
    assert_eq!(encode(Packet::SequencedData(b"abc")), b"\x00\x04Sabc");
    assert_eq!(encode(Packet::UnsequencedData(b"xyz")), b"\x00\x04Uxyz");
    assert_eq!(encode(Packet::Debug(b"hello")), b"\x00\x06+hello");
    assert_eq!(encode(Packet::SequencedData(b"")), b"\x00\x01S");
}

#[test]
fn liberal_login_fields() {
    // Left-padded username, zero-padded and left-justified sequence number.
    let mut bytes = b"\x00\x2fL  BOB PASS      SESS1     ".to_vec();
    bytes.extend_from_slice(b"00000000000000000007");
    let (packet, _) = decode_frame(&bytes, 1024).unwrap().unwrap();
    let Packet::LoginRequest { login, .. } = packet else {
        panic!()
    };
    assert_eq!(login.username(), b"BOB");
    assert_eq!(login.password(), b"PASS");
    assert_eq!(login.requested_session(), b"SESS1");
    assert_eq!(login.requested_sequence_number(), Ok(7));
    let mut left_justified = bytes.clone();
    left_justified[29..49].copy_from_slice(b"7                   ");
    let (packet, _) = decode_frame(&left_justified, 1024).unwrap().unwrap();
    let Packet::LoginRequest { login, .. } = packet else {
        panic!()
    };
    assert_eq!(login.requested_sequence_number(), Ok(7));
}
