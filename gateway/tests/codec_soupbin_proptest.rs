//! Property tests of the SoupBinTCP codec: every packet round-trips, the
//! frame decoder finds the same frames however the stream is split, and
//! arbitrary bytes never panic.

use proptest::prelude::*;
use rtes_gateway::soupbin::ascii::{parse_numeric, write_numeric, Alpha};
use rtes_gateway::soupbin::wire::{LoginAcceptedRecord, LoginRejectedRecord, LoginRequestRecord};
use rtes_gateway::soupbin::{
    decode_frame, FrameDecoder, FrameDecoderConfig, LoginRejectReason, Packet, SoupError,
};

/// A packet with owned fields, compared after a round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Debug(Vec<u8>),
    LoginAccepted {
        session: Vec<u8>,
        sequence_number: u64,
    },
    LoginRejected(LoginRejectReason),
    Sequenced(Vec<u8>),
    ServerHeartbeat,
    EndOfSession,
    LoginRequest {
        username: Vec<u8>,
        password: Vec<u8>,
        session: Vec<u8>,
        sequence_number: u64,
        timeout: Option<[u8; 5]>,
    },
    Unsequenced(Vec<u8>),
    ClientHeartbeat,
    LogoutRequest,
}

fn alpha(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![b'A'..=b'Z', b'a'..=b'z', b'0'..=b'9'], 0..=max)
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..200)
}

fn owned_packet() -> impl Strategy<Value = Owned> {
    prop_oneof![
        payload().prop_map(Owned::Debug),
        (alpha(10), any::<u64>()).prop_map(|(session, sequence_number)| Owned::LoginAccepted {
            session,
            sequence_number
        }),
        prop_oneof![
            Just(LoginRejectReason::NotAuthorized),
            Just(LoginRejectReason::SessionNotAvailable)
        ]
        .prop_map(Owned::LoginRejected),
        payload().prop_map(Owned::Sequenced),
        Just(Owned::ServerHeartbeat),
        Just(Owned::EndOfSession),
        (
            alpha(6),
            alpha(10),
            alpha(10),
            any::<u64>(),
            proptest::option::of(proptest::array::uniform5(b'0'..=b'9'))
        )
            .prop_map(|(username, password, session, sequence_number, timeout)| {
                Owned::LoginRequest {
                    username,
                    password,
                    session,
                    sequence_number,
                    timeout,
                }
            }),
        payload().prop_map(Owned::Unsequenced),
        Just(Owned::ClientHeartbeat),
        Just(Owned::LogoutRequest),
    ]
}

fn encode(owned: &Owned) -> Vec<u8> {
    let mut out = vec![0u8; 512];
    let accepted;
    let rejected;
    let request;
    let packet = match owned {
        Owned::Debug(p) => Packet::Debug(p),
        Owned::LoginAccepted {
            session,
            sequence_number,
        } => {
            accepted = LoginAcceptedRecord::new(session, *sequence_number).unwrap();
            Packet::LoginAccepted(&accepted)
        }
        Owned::LoginRejected(reason) => {
            rejected = LoginRejectedRecord::new(*reason);
            Packet::LoginRejected(&rejected)
        }
        Owned::Sequenced(p) => Packet::SequencedData(p),
        Owned::ServerHeartbeat => Packet::ServerHeartbeat,
        Owned::EndOfSession => Packet::EndOfSession,
        Owned::LoginRequest {
            username,
            password,
            session,
            sequence_number,
            timeout,
        } => {
            request =
                LoginRequestRecord::new(username, password, session, *sequence_number).unwrap();
            Packet::LoginRequest {
                login: &request,
                heartbeat_timeout: timeout.as_ref(),
            }
        }
        Owned::Unsequenced(p) => Packet::UnsequencedData(p),
        Owned::ClientHeartbeat => Packet::ClientHeartbeat,
        Owned::LogoutRequest => Packet::LogoutRequest,
    };
    let written = packet.encode_into(&mut out).unwrap();
    assert_eq!(written, packet.encoded_len());
    out.truncate(written);
    out
}

fn to_owned(packet: Packet<'_>) -> Owned {
    match packet {
        Packet::Debug(p) => Owned::Debug(p.to_vec()),
        Packet::LoginAccepted(r) => Owned::LoginAccepted {
            session: r.session().to_vec(),
            sequence_number: r.sequence_number().unwrap(),
        },
        Packet::LoginRejected(r) => Owned::LoginRejected(r.reason().unwrap()),
        Packet::SequencedData(p) => Owned::Sequenced(p.to_vec()),
        Packet::ServerHeartbeat => Owned::ServerHeartbeat,
        Packet::EndOfSession => Owned::EndOfSession,
        Packet::LoginRequest {
            login,
            heartbeat_timeout,
        } => Owned::LoginRequest {
            username: login.username().to_vec(),
            password: login.password().to_vec(),
            session: login.requested_session().to_vec(),
            sequence_number: login.requested_sequence_number().unwrap(),
            timeout: heartbeat_timeout.copied(),
        },
        Packet::UnsequencedData(p) => Owned::Unsequenced(p.to_vec()),
        Packet::ClientHeartbeat => Owned::ClientHeartbeat,
        Packet::LogoutRequest => Owned::LogoutRequest,
    }
}

/// What the decoder produced: a frame re-encoded to bytes, or an error.
type Event = Result<Vec<u8>, SoupError>;

fn is_fatal(error: &SoupError) -> bool {
    matches!(error, SoupError::ZeroLength | SoupError::TooLong { .. })
}

/// Drains every frame; returns true when a fatal error stopped decoding.
fn drain(decoder: &mut FrameDecoder, events: &mut Vec<Event>) -> bool {
    loop {
        match decoder.next_frame() {
            Ok(None) => return false,
            Ok(Some(packet)) => {
                let mut out = vec![0u8; 2048];
                let written = packet.encode_into(&mut out).unwrap();
                out.truncate(written);
                events.push(Ok(out));
            }
            Err(error) => {
                let fatal = is_fatal(&error);
                events.push(Err(error));
                if fatal {
                    // Fatal errors repeat until the session is dropped.
                    assert_eq!(decoder.next_frame().err(), Some(error));
                    return true;
                }
            }
        }
    }
}

/// Feeds `stream` cut at `cuts` through a decoder with a small buffer.
fn run(stream: &[u8], cuts: &[usize], config: FrameDecoderConfig) -> Vec<Event> {
    let mut decoder = FrameDecoder::new(config);
    let mut events = Vec::new();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    bounds.push(0);
    bounds.push(stream.len());
    bounds.sort_unstable();
    for window in bounds.windows(2) {
        let mut chunk = &stream[window[0]..window[1]];
        while !chunk.is_empty() {
            let taken = decoder.feed(chunk);
            chunk = &chunk[taken..];
            assert!(decoder.buffered_len() <= config.buffer_capacity);
            if drain(&mut decoder, &mut events) {
                return events;
            }
            assert!(
                taken > 0 || decoder.buffered_len() < config.buffer_capacity,
                "decoder stuck"
            );
        }
    }
    events
}

const SMALL: FrameDecoderConfig = FrameDecoderConfig {
    packet_length_max: 256,
    buffer_capacity: 258,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_packet_round_trips(owned in owned_packet()) {
        let bytes = encode(&owned);
        let (packet, used) = decode_frame(&bytes, 1024).unwrap().unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(to_owned(packet), owned);
        // Every strict prefix is incomplete, never an error.
        for end in 0..bytes.len() {
            prop_assert_eq!(decode_frame(&bytes[..end], 1024), Ok(None));
        }
    }

    #[test]
    fn any_split_gives_the_same_frames(
        packets in proptest::collection::vec(owned_packet(), 0..20),
        cuts in proptest::collection::vec(any::<usize>(), 0..30),
    ) {
        let encoded: Vec<Vec<u8>> = packets.iter().map(encode).collect();
        let stream = encoded.concat();
        let expected: Vec<Event> = encoded.iter().cloned().map(Ok).collect();
        prop_assert_eq!(&run(&stream, &cuts, SMALL), &expected);
        prop_assert_eq!(&run(&stream, &[], FrameDecoderConfig::default()), &expected);
        let byte_by_byte: Vec<usize> = (0..stream.len()).collect();
        prop_assert_eq!(run(&stream, &byte_by_byte, SMALL), expected);
    }

    #[test]
    fn random_bytes_never_panic_and_split_does_not_matter(
        stream in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<usize>(), 0..30),
    ) {
        let whole = run(&stream, &[], SMALL);
        prop_assert_eq!(run(&stream, &cuts, SMALL), whole);
        let _ = decode_frame(&stream, 1024);
    }

    #[test]
    fn mostly_valid_streams_with_noise(
        packets in proptest::collection::vec(owned_packet(), 1..10),
        noise_at in any::<usize>(),
        noise in any::<u8>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..30),
    ) {
        let mut stream = packets.iter().map(encode).collect::<Vec<_>>().concat();
        let at = noise_at % stream.len();
        stream[at] = noise;
        let whole = run(&stream, &[], SMALL);
        prop_assert_eq!(run(&stream, &cuts, SMALL), whole);
    }

    #[test]
    fn numeric_fields_round_trip(value in any::<u64>()) {
        let mut field = [0u8; 20];
        write_numeric(&mut field, value).unwrap();
        prop_assert_eq!(parse_numeric(&field), Ok(value));
    }

    #[test]
    fn numeric_parse_never_panics(field in proptest::collection::vec(any::<u8>(), 0..25)) {
        let _ = parse_numeric(&field);
    }

    #[test]
    fn alpha_fields_round_trip(value in alpha(14)) {
        let field = Alpha::<14>::padded(&value).unwrap();
        prop_assert_eq!(field.trimmed(), &value[..]);
    }
}

#[test]
fn framing_errors_are_typed() {
    assert_eq!(decode_frame(b"\x00\x00", 1024), Err(SoupError::ZeroLength));
    assert_eq!(
        decode_frame(b"\x04\x01", 1024),
        Err(SoupError::TooLong {
            length: 1025,
            max: 1024
        })
    );
    assert_eq!(
        decode_frame(b"\x00\x01Q", 1024),
        Err(SoupError::UnknownType { packet_type: b'Q' })
    );
    assert_eq!(
        decode_frame(b"\x00\x02Hx", 1024),
        Err(SoupError::WrongLength {
            packet_type: b'H',
            length: 2,
            expected: 1
        })
    );
    assert_eq!(
        decode_frame(b"\x00\x03JAA", 1024),
        Err(SoupError::WrongLength {
            packet_type: b'J',
            length: 3,
            expected: 2
        })
    );
    let mut login = vec![0x00, 48, b'L'];
    login.extend_from_slice(&[b' '; 47]);
    assert_eq!(
        decode_frame(&login, 1024),
        Err(SoupError::WrongLength {
            packet_type: b'L',
            length: 48,
            expected: 47
        })
    );
}

#[test]
fn skippable_errors_let_decoding_continue() {
    let mut decoder = FrameDecoder::new(FrameDecoderConfig::default());
    decoder.feed(b"\x00\x01Q\x00\x01H");
    assert_eq!(
        decoder.next_frame(),
        Err(SoupError::UnknownType { packet_type: b'Q' })
    );
    assert_eq!(decoder.next_frame(), Ok(Some(Packet::ServerHeartbeat)));
}

#[test]
fn spare_capacity_and_commit() {
    let mut decoder = FrameDecoder::new(FrameDecoderConfig {
        packet_length_max: 8,
        buffer_capacity: 10,
    });
    let spare = decoder.spare_capacity();
    assert_eq!(spare.len(), 10);
    spare[..4].copy_from_slice(b"\x00\x01R\x00");
    decoder.commit(4);
    assert_eq!(decoder.next_frame(), Ok(Some(Packet::ClientHeartbeat)));
    assert_eq!(decoder.next_frame(), Ok(None));
    // The partial frame moved to the front: 9 bytes are free again.
    assert_eq!(decoder.spare_capacity().len(), 9);
}

#[test]
fn encoder_reports_small_buffers() {
    let mut out = [0u8; 4];
    assert_eq!(
        Packet::Debug(b"hello").encode_into(&mut out),
        Err(SoupError::BufferTooSmall {
            needed: 8,
            available: 4
        })
    );
    let long = vec![0u8; 65_535];
    let mut big = vec![0u8; 70_000];
    assert_eq!(
        Packet::SequencedData(&long).encode_into(&mut big),
        Err(SoupError::PayloadTooLong { length: 65_535 })
    );
}
