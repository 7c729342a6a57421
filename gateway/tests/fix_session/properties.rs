//! Property tests: the codec round-trips, and a logged-on session survives
//! corrupted, truncated and split streams without advancing past a message
//! that was not valid.

use proptest::prelude::*;
use rtes_gateway::fix::codec::{frame, tags, Decoder, Encoder, Frame};
use rtes_gateway::fix::session::*;

use crate::support::*;

/// Tags that are neither header nor trailer framing fields.
fn body_tag() -> impl Strategy<Value = u32> {
    (11u32..100_000).prop_filter("not a framing tag", |tag| ![8, 9, 10, 35].contains(tag))
}

/// A value without SOH (and not empty).
fn value() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>().prop_filter("no SOH", |byte| *byte != 1), 1..40)
}

proptest! {
    #[test]
    fn encode_frame_decode_round_trips(
        msg_type in "[0-9A-Za-z]{1,2}",
        fields in proptest::collection::vec((body_tag(), value()), 0..30),
    ) {
        let mut encoder = Encoder::with_capacity(64);
        encoder.begin(msg_type.as_bytes());
        for (tag, value) in &fields {
            encoder.field_bytes(*tag, value);
        }
        let bytes = encoder.finish().to_vec();
        prop_assert_eq!(frame(&bytes, bytes.len()), Frame::Complete(bytes.len()));
        let mut decoder = Decoder::new(64);
        let message = decoder.decode(&bytes).unwrap();
        prop_assert_eq!(message.msg_type(), msg_type.as_bytes());
        let decoded: Vec<_> = message.fields()[3..message.fields().len() - 1]
            .iter()
            .map(|field| (field.tag, message.value(field).to_vec()))
            .collect();
        prop_assert_eq!(decoded, fields);
    }
}

/// A logged-on session and a stream of `count` valid orders numbered from 2.
fn session_and_stream(count: usize) -> (Harness, Vec<Vec<u8>>) {
    let harness = Harness::logged_on();
    let mut client = Harness::logged_on();
    let messages = (0..count)
        .map(|index| client.order(&format!("o{index}")).bytes())
        .collect();
    (harness, messages)
}

/// Feeds `chunks` one after the other, keeping unconsumed bytes like a
/// caller would.
fn feed_chunks(harness: &mut Harness, chunks: &[&[u8]]) {
    let mut pending = Vec::new();
    for chunk in chunks {
        pending.extend_from_slice(chunk);
        let (consumed, _) = harness.feed(&pending);
        pending.drain(..consumed);
        if harness.session.wants_disconnect().is_some() {
            return;
        }
    }
}

#[derive(Debug, Clone)]
enum Damage {
    Flip { offset: usize, byte: u8 },
    Truncate { keep: usize },
    Insert { offset: usize, byte: u8 },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(offset, byte)| Damage::Flip { offset, byte }),
        any::<usize>().prop_map(|keep| Damage::Truncate { keep }),
        (any::<usize>(), any::<u8>()).prop_map(|(offset, byte)| Damage::Insert { offset, byte }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Damage one message of a stream: the session never panics, and the
    /// expected MsgSeqNum never passes a message that was not delivered
    /// intact (or rejected: a Reject is a processed message).
    #[test]
    fn damaged_streams_never_advance_past_an_invalid_message(
        victim in 0usize..6,
        damages in proptest::collection::vec(damage(), 1..4),
        split in proptest::collection::vec(1usize..64, 0..8),
    ) {
        let (mut harness, messages) = session_and_stream(6);
        let mut stream = Vec::new();
        for (index, message) in messages.iter().enumerate() {
            let mut message = message.clone();
            if index == victim {
                for damage in &damages {
                    if message.is_empty() {
                        break;
                    }
                    match *damage {
                        Damage::Flip { offset, byte } => {
                            let at = offset % message.len();
                            message[at] = byte;
                        }
                        Damage::Truncate { keep } => message.truncate(keep % message.len()),
                        Damage::Insert { offset, byte } => {
                            let at = offset % (message.len() + 1);
                            message.insert(at, byte);
                        }
                    }
                }
            }
            stream.extend_from_slice(&message);
        }
        // Split the stream at arbitrary points.
        let mut chunks = Vec::new();
        let mut rest = &stream[..];
        for size in split {
            let size = size.min(rest.len());
            let (head, tail) = rest.split_at(size);
            chunks.push(head);
            rest = tail;
        }
        chunks.push(rest);
        feed_chunks(&mut harness, &chunks);

        let victim_seq = 2 + victim as u64;
        let delivered: Vec<u64> = harness.recorder.delivered.iter().map(|delivered| delivered.seq).collect();
        // Damage that still leaves a valid message (bytes changed in ways
        // that cancel in the CheckSum) is a valid message: delivering it is
        // right.
        let victim_delivered = delivered.contains(&victim_seq);
        let victim_rejected = harness.sent.iter().any(|reply| {
            reply.msg_type() == "3" && reply.get_u64(tags::REF_SEQ_NUM) == Some(victim_seq)
        });
        // Every delivered message is one of ours, in order, each once.
        prop_assert!(delivered.windows(2).all(|pair| pair[0] < pair[1]));
        if !victim_delivered && !victim_rejected {
            prop_assert!(
                harness.expected() <= victim_seq,
                "expected {} passed the damaged message {}", harness.expected(), victim_seq
            );
            prop_assert!(delivered.iter().all(|seq| *seq < victim_seq));
        }
    }

    /// A valid stream gives the same deliveries, replies and sequence
    /// numbers however it is split.
    #[test]
    fn splitting_a_valid_stream_changes_nothing(cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        let (mut whole, messages) = session_and_stream(5);
        let stream: Vec<u8> = messages.concat();
        whole.recorder.acknowledge_orders = true;
        whole.send(&stream);
        let (mut split, _) = session_and_stream(0);
        split.recorder.acknowledge_orders = true;
        let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut % (stream.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut previous = 0;
        for cut in cuts {
            chunks.push(&stream[previous..cut]);
            previous = cut;
        }
        chunks.push(&stream[previous..]);
        feed_chunks(&mut split, &chunks);
        prop_assert_eq!(&split.recorder.delivered, &whole.recorder.delivered);
        prop_assert_eq!(split.expected(), whole.expected());
        prop_assert_eq!(split.sent.len(), whole.sent.len());
    }
}

/// Exhaustive form of the split property: every single byte boundary.
#[test]
fn a_stream_split_at_every_byte_boundary_gives_the_same_result() {
    let (mut whole, messages) = session_and_stream(3);
    let stream: Vec<u8> = messages.concat();
    whole.send(&stream);
    for cut in 0..=stream.len() {
        let (mut split, _) = session_and_stream(0);
        feed_chunks(&mut split, &[&stream[..cut], &stream[cut..]]);
        assert_eq!(
            split.recorder.delivered, whole.recorder.delivered,
            "cut at {cut}"
        );
        assert_eq!(split.expected(), whole.expected());
    }
    // And one byte at a time.
    let (mut bytewise, _) = session_and_stream(0);
    let chunks: Vec<&[u8]> = stream.chunks(1).collect();
    feed_chunks(&mut bytewise, &chunks);
    assert_eq!(bytewise.recorder.delivered, whole.recorder.delivered);
    assert_eq!(bytewise.session.state(), SessionState::Active);
}
