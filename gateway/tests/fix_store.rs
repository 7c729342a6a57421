//! The FIX session message store on real files: byte layout, restart,
//! torn and corrupt tails, reset, a model-based property test, and a
//! counting global allocator that proves the per-message calls do not
//! allocate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use rtes_gateway::fix::store::{
    store_file_name, FileMessageStore, StoreError, StoreOptions, StoreRecovery, FILE_HEADER_BYTES,
    RECORD_HEADER_BYTES,
};

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel cannot disturb the count;
    // `const` initialisation keeps the counter itself allocation-free.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: defers every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const KEY: &str = "RTES-CLIENT1";

/// Bytes of a new store: file header and reset record.
const FRESH_FILE_BYTES: usize = FILE_HEADER_BYTES + RECORD_HEADER_BYTES;

/// A FIX-looking message that differs for every `seq` and `variant`.
fn message(seq: u64, variant: u8) -> Vec<u8> {
    let filler = "X".repeat((seq % 7) as usize + usize::from(variant));
    format!("8=FIX.4.4\x019=42\x0135=8\x0134={seq}\x0158={filler}{variant}\x0110=000\x01")
        .into_bytes()
}

fn open(directory: &Path) -> (FileMessageStore, StoreRecovery) {
    open_with(directory, StoreOptions::default())
}

fn open_with(directory: &Path, options: StoreOptions) -> (FileMessageStore, StoreRecovery) {
    FileMessageStore::open(directory, KEY, options).unwrap()
}

fn store_path(directory: &Path) -> PathBuf {
    directory.join(store_file_name(KEY).unwrap())
}

fn resend(store: &mut FileMessageStore, begin: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
    let mut sent = Vec::new();
    store
        .for_each_sent(begin, end, |seq, bytes| sent.push((seq, bytes.to_vec())))
        .unwrap();
    sent
}

fn record_bytes(message: &[u8]) -> usize {
    RECORD_HEADER_BYTES + message.len()
}

#[test]
fn file_format_is_pinned_byte_for_byte() {
    let directory = tempfile::tempdir().unwrap();
    let (mut store, _) = open(directory.path());
    store
        .reset_with_creation_time(0x0102_0304_0506_0708)
        .unwrap();
    store.append_sent(1, b"8=FIX.4.4\x01").unwrap();
    store.skip_sent(2).unwrap();
    store.set_next_target_seq(7).unwrap();
    store.flush().unwrap();

    // CRCs computed independently with Python's zlib.crc32 over each
    // record's bytes after the CRC field.
    let mut expected = Vec::new();
    expected.extend_from_slice(b"RTESFIXS");
    expected.extend_from_slice(&[1, 0, 0, 0]);
    // Reset: creation time.
    expected.extend_from_slice(&0x9276_25c2_u32.to_le_bytes());
    expected.extend_from_slice(&[0, 0, 0, 0, 4]);
    expected.extend_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
    // Sent message 1.
    expected.extend_from_slice(&0x229f_4039_u32.to_le_bytes());
    expected.extend_from_slice(&[10, 0, 0, 0, 1]);
    expected.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    expected.extend_from_slice(b"8=FIX.4.4\x01");
    // Heartbeat 2 skipped: next sender 3.
    expected.extend_from_slice(&0xaf0d_69e7_u32.to_le_bytes());
    expected.extend_from_slice(&[0, 0, 0, 0, 2]);
    expected.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0]);
    // Next target 7, written by the flush.
    expected.extend_from_slice(&0x3c3c_735e_u32.to_le_bytes());
    expected.extend_from_slice(&[0, 0, 0, 0, 3]);
    expected.extend_from_slice(&[7, 0, 0, 0, 0, 0, 0, 0]);

    assert_eq!(fs::read(store.path()).unwrap(), expected);
    assert_eq!(store.path(), store_path(directory.path()));
}

#[test]
fn a_new_store_starts_at_one_with_its_creation_time() {
    let directory = tempfile::tempdir().unwrap();
    let nested = directory.path().join("sessions").join("fix");
    let before_ns = wall_clock_ns();
    let (store, recovery) = open(&nested);
    let after_ns = wall_clock_ns();
    assert_eq!(
        recovery,
        StoreRecovery {
            records: 0,
            truncated_bytes: 0,
            next_sender_seq: 1,
            next_target_seq: 1,
            stored_messages: 0,
        }
    );
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (1, 1));
    assert!((before_ns..=after_ns).contains(&store.creation_time_ns()));
    assert_eq!(
        fs::metadata(store_path(&nested)).unwrap().len(),
        FRESH_FILE_BYTES as u64
    );
    let creation_time_ns = store.creation_time_ns();
    drop(store);

    let (store, recovery) = open(&nested);
    assert_eq!(recovery.records, 1);
    assert_eq!(store.creation_time_ns(), creation_time_ns);
}

#[test]
fn sent_messages_round_trip_through_a_reopen() {
    let directory = tempfile::tempdir().unwrap();
    let (mut store, _) = open(directory.path());
    // 1, 2 application; 3 heartbeat; 4, 5 application; 6, 7 admin; 8 application.
    for seq in 1..=8 {
        if matches!(seq, 3 | 6 | 7) {
            store.skip_sent(seq).unwrap();
        } else {
            store.append_sent(seq, &message(seq, 0)).unwrap();
        }
    }
    store.flush().unwrap();
    let before = resend(&mut store, 1, 0);
    drop(store);

    let (mut store, recovery) = open(directory.path());
    assert_eq!(recovery.next_sender_seq, 9);
    assert_eq!(recovery.stored_messages, 5);
    assert_eq!(recovery.truncated_bytes, 0);
    let stored = [1, 2, 4, 5, 8];
    let expected: Vec<_> = stored.iter().map(|&seq| (seq, message(seq, 0))).collect();
    assert_eq!(resend(&mut store, 1, 0), expected);
    assert_eq!(before, expected);
    assert_eq!(
        resend(&mut store, 0, 0),
        expected,
        "BeginSeqNo 0 reads as 1"
    );
    assert_eq!(resend(&mut store, 3, 5), expected[2..4]);
    assert_eq!(resend(&mut store, 3, 3), []);
    assert_eq!(resend(&mut store, 6, 7), []);
    assert_eq!(resend(&mut store, 8, 8), expected[4..]);
    assert_eq!(resend(&mut store, 5, 1000), expected[3..]);
    assert_eq!(resend(&mut store, 5, 2), [], "begin beyond end");
    assert_eq!(resend(&mut store, 9, 0), [], "begin beyond the last sent");
}

#[test]
fn restart_resumes_both_sequence_numbers() {
    let directory = tempfile::tempdir().unwrap();
    let (mut store, _) = open(directory.path());
    store.append_sent(1, &message(1, 0)).unwrap();
    store.set_next_target_seq(42).unwrap();
    store.set_next_sender_seq(100).unwrap();
    store.append_sent(100, &message(100, 0)).unwrap();
    store.flush().unwrap();
    drop(store);

    let (mut store, recovery) = open(directory.path());
    assert_eq!(
        (recovery.next_sender_seq, recovery.next_target_seq),
        (101, 42)
    );
    assert_eq!(
        (store.next_sender_seq(), store.next_target_seq()),
        (101, 42)
    );
    assert_eq!(
        resend(&mut store, 1, 0),
        [(1, message(1, 0)), (100, message(100, 0))]
    );
    // The target moves per inbound message; only its latest value matters.
    for seq in 43..=50 {
        store.set_next_target_seq(seq).unwrap();
    }
    store.flush().unwrap();
    let length_bytes = fs::metadata(store.path()).unwrap().len();
    store.flush().unwrap();
    assert_eq!(
        fs::metadata(store.path()).unwrap().len(),
        length_bytes,
        "an unchanged target is not written again"
    );
    drop(store);
    assert_eq!(open(directory.path()).1.next_target_seq, 50);
}

#[test]
fn unflushed_records_are_lost_in_a_crash_and_flushed_ones_survive() {
    let directory = tempfile::tempdir().unwrap();
    let (mut store, _) = open(directory.path());
    store.append_sent(1, &message(1, 0)).unwrap();
    store.set_next_target_seq(5).unwrap();
    store.flush().unwrap();
    store.append_sent(2, &message(2, 0)).unwrap();
    store.set_next_target_seq(6).unwrap();
    // A crash: no flush and no destructor.
    std::mem::forget(store);

    let (mut store, recovery) = open(directory.path());
    assert_eq!((recovery.next_sender_seq, recovery.next_target_seq), (2, 5));
    assert_eq!(recovery.truncated_bytes, 0);
    assert_eq!(resend(&mut store, 1, 0), [(1, message(1, 0))]);
}

#[test]
fn dropping_the_store_flushes_it() {
    let directory = tempfile::tempdir().unwrap();
    let (mut store, _) = open(directory.path());
    store.append_sent(1, &message(1, 0)).unwrap();
    store.set_next_target_seq(3).unwrap();
    drop(store);
    let (mut store, recovery) = open(directory.path());
    assert_eq!((recovery.next_sender_seq, recovery.next_target_seq), (2, 3));
    assert_eq!(resend(&mut store, 1, 0), [(1, message(1, 0))]);
}

/// A store whose last record is sent message 6; returns the file's bytes
/// and the last record's length.
fn six_messages(directory: &Path) -> (Vec<u8>, usize) {
    let (mut store, _) = open(directory);
    for seq in 1..=6 {
        if seq == 5 {
            store.skip_sent(seq).unwrap();
        } else {
            store.append_sent(seq, &message(seq, 0)).unwrap();
        }
    }
    store.flush().unwrap();
    drop(store);
    (
        fs::read(store_path(directory)).unwrap(),
        record_bytes(&message(6, 0)),
    )
}

fn first_four() -> Vec<(u64, Vec<u8>)> {
    (1..=4).map(|seq| (seq, message(seq, 0))).collect()
}

/// After a damaged last record: the first five sequence numbers intact,
/// message 6 gone, and a new message 6 survives another reopen.
fn check_recovered_without_six(directory: &Path, intact_bytes: usize) {
    let (mut store, recovery) = open(directory);
    assert_eq!(recovery.next_sender_seq, 6);
    assert_eq!(resend(&mut store, 1, 0), first_four());
    assert_eq!(
        fs::metadata(store.path()).unwrap().len(),
        intact_bytes as u64
    );
    store.append_sent(6, &message(6, 1)).unwrap();
    store.flush().unwrap();
    drop(store);

    let (mut store, recovery) = open(directory);
    assert_eq!(recovery.truncated_bytes, 0);
    assert_eq!(recovery.next_sender_seq, 7);
    let mut expected = first_four();
    expected.push((6, message(6, 1)));
    assert_eq!(resend(&mut store, 1, 0), expected);
}

#[test]
fn a_torn_last_record_is_cut_off_at_every_length() {
    let directory = tempfile::tempdir().unwrap();
    let (bytes, last_record_bytes) = six_messages(directory.path());
    let intact_bytes = bytes.len() - last_record_bytes;
    for cut_bytes in 1..=last_record_bytes {
        fs::write(
            store_path(directory.path()),
            &bytes[..bytes.len() - cut_bytes],
        )
        .unwrap();
        let (_, recovery) = open(directory.path());
        assert_eq!(
            recovery.truncated_bytes,
            (last_record_bytes - cut_bytes) as u64,
            "cut {cut_bytes} bytes"
        );
        check_recovered_without_six(directory.path(), intact_bytes);
    }
}

#[test]
fn garbage_after_the_last_record_is_cut_off() {
    let directory = tempfile::tempdir().unwrap();
    let (bytes, _) = six_messages(directory.path());
    let mut huge_length = vec![0xAA; 4];
    huge_length.extend_from_slice(&u32::MAX.to_le_bytes());
    huge_length.extend_from_slice(&[1; 9]);
    let garbages: [Vec<u8>; 5] = [
        vec![0],
        vec![0; 17],
        vec![0; 4096],
        (0..=255).collect(),
        huge_length,
    ];
    for garbage in garbages {
        let mut damaged = bytes.clone();
        damaged.extend_from_slice(&garbage);
        fs::write(store_path(directory.path()), &damaged).unwrap();
        let (mut store, recovery) = open(directory.path());
        assert_eq!(recovery.truncated_bytes, garbage.len() as u64);
        assert_eq!(recovery.next_sender_seq, 7);
        assert_eq!(resend(&mut store, 1, 0).len(), 5);
        assert_eq!(
            fs::metadata(store.path()).unwrap().len(),
            bytes.len() as u64
        );
    }
}

#[test]
fn a_flipped_byte_in_the_last_record_is_detected_at_every_position() {
    let directory = tempfile::tempdir().unwrap();
    let (bytes, last_record_bytes) = six_messages(directory.path());
    let intact_bytes = bytes.len() - last_record_bytes;
    for position in intact_bytes..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[position] ^= 0x20;
        fs::write(store_path(directory.path()), &damaged).unwrap();
        let (_, recovery) = open(directory.path());
        assert_eq!(
            recovery.truncated_bytes, last_record_bytes as u64,
            "byte {position} flipped"
        );
        check_recovered_without_six(directory.path(), intact_bytes);
    }
}

#[test]
fn corruption_in_the_middle_truncates_there() {
    let directory = tempfile::tempdir().unwrap();
    let (bytes, _) = six_messages(directory.path());
    // Flip a byte in message 3's body: messages 3 to 6 are dropped with it.
    let record_three =
        FRESH_FILE_BYTES + record_bytes(&message(1, 0)) + record_bytes(&message(2, 0));
    let mut damaged = bytes.clone();
    damaged[record_three + RECORD_HEADER_BYTES + 3] ^= 0x01;
    fs::write(store_path(directory.path()), &damaged).unwrap();

    let (mut store, recovery) = open(directory.path());
    assert_eq!(
        recovery.truncated_bytes,
        (bytes.len() - record_three) as u64
    );
    assert_eq!(recovery.next_sender_seq, 3);
    assert_eq!(resend(&mut store, 1, 0), first_four()[..2]);
    assert_eq!(
        fs::metadata(store.path()).unwrap().len(),
        record_three as u64
    );
}

/// Log lines written by a test's own subscriber.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;

    fn make_writer(&'a self) -> CapturedLog {
        self.clone()
    }
}

/// Opens the store under a subscriber local to this thread; returns the log.
fn open_logged(directory: &Path) -> (StoreRecovery, String) {
    let log = CapturedLog::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    let recovery = tracing::subscriber::with_default(subscriber, || open(directory).1);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    (recovery, text)
}

#[test]
fn a_truncation_is_logged_with_the_file_offset_and_bytes_dropped() {
    let directory = tempfile::tempdir().unwrap();
    let (bytes, last_record_bytes) = six_messages(directory.path());
    let path = store_path(directory.path());
    let last_record = bytes.len() - last_record_bytes;

    fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    let (recovery, log) = open_logged(directory.path());
    assert_eq!(recovery.truncated_bytes, last_record_bytes as u64 - 1);
    assert!(log.contains(" WARN "), "{log}");
    assert!(log.contains(&path.display().to_string()), "{log}");
    assert!(log.contains(&format!("offset={last_record}")), "{log}");
    assert!(
        log.contains(&format!("dropped_bytes={}", last_record_bytes - 1)),
        "{log}"
    );

    // A bad record with good ones after it is louder.
    let mut damaged = bytes.clone();
    damaged[FRESH_FILE_BYTES + RECORD_HEADER_BYTES + 2] ^= 0x01;
    fs::write(&path, &damaged).unwrap();
    let (_, log) = open_logged(directory.path());
    assert!(log.contains(" ERROR "), "{log}");
    assert!(log.contains(&format!("offset={FRESH_FILE_BYTES}")), "{log}");

    let (recovery, log) = open_logged(directory.path());
    assert_eq!(recovery.truncated_bytes, 0);
    assert_eq!(log, "", "a clean open logs nothing");
}

#[test]
fn a_lost_first_record_starts_the_session_afresh() {
    let directory = tempfile::tempdir().unwrap();
    let (bytes, _) = six_messages(directory.path());
    let mut damaged = bytes.clone();
    damaged[FILE_HEADER_BYTES + 10] ^= 0xFF; // the reset record's creation time
    fs::write(store_path(directory.path()), &damaged).unwrap();

    let (mut store, recovery) = open(directory.path());
    assert_eq!(
        recovery.truncated_bytes,
        (bytes.len() - FILE_HEADER_BYTES) as u64
    );
    assert_eq!((recovery.next_sender_seq, recovery.next_target_seq), (1, 1));
    assert_eq!(resend(&mut store, 1, 0), []);
    assert_ne!(store.creation_time_ns(), 0);
    let creation_time_ns = store.creation_time_ns();
    drop(store);

    let (store, recovery) = open(directory.path());
    assert_eq!(recovery.truncated_bytes, 0);
    assert_eq!(store.creation_time_ns(), creation_time_ns);
}

#[test]
fn reset_survives_reopen_and_starts_a_small_file() {
    let directory = tempfile::tempdir().unwrap();
    let (mut store, _) = open(directory.path());
    for seq in 1..=20 {
        store.append_sent(seq, &message(seq, 0)).unwrap();
    }
    store.set_next_target_seq(9).unwrap();
    store.flush().unwrap();
    let old_creation_time_ns = store.creation_time_ns();
    // Buffered records of the old session must not leak into the new one.
    store.append_sent(21, &message(21, 0)).unwrap();

    let before_ns = wall_clock_ns();
    store.reset().unwrap();
    assert!(store.creation_time_ns() >= before_ns);
    assert!(store.creation_time_ns() >= old_creation_time_ns);
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (1, 1));
    assert_eq!(resend(&mut store, 1, 0), []);
    assert_eq!(
        fs::metadata(store.path()).unwrap().len(),
        FRESH_FILE_BYTES as u64
    );
    store.append_sent(1, &message(1, 1)).unwrap();
    let creation_time_ns = store.creation_time_ns();
    // A crash right after the reset: the reset itself was durable.
    std::mem::forget(store);

    let (mut store, recovery) = open(directory.path());
    assert_eq!((recovery.next_sender_seq, recovery.next_target_seq), (1, 1));
    assert_eq!(store.creation_time_ns(), creation_time_ns);
    store.append_sent(1, &message(1, 1)).unwrap();
    store.flush().unwrap();
    drop(store);

    let (mut store, recovery) = open(directory.path());
    assert_eq!(recovery.next_sender_seq, 2);
    assert_eq!(resend(&mut store, 1, 0), [(1, message(1, 1))]);
    assert!(!temp_file_exists(directory.path()));
}

fn temp_file_exists(directory: &Path) -> bool {
    fs::read_dir(directory).unwrap().any(|entry| {
        entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")
    })
}

#[test]
fn a_reset_that_crashed_before_its_rename_leaves_the_old_store() {
    let directory = tempfile::tempdir().unwrap();
    let (bytes, _) = six_messages(directory.path());
    let mut temp = store_path(directory.path()).into_os_string();
    temp.push(".tmp");
    fs::write(&temp, &bytes[..FRESH_FILE_BYTES - 3]).unwrap();

    let (mut store, recovery) = open(directory.path());
    assert_eq!(recovery.next_sender_seq, 7);
    assert_eq!(resend(&mut store, 1, 0).len(), 5);
    assert!(!temp_file_exists(directory.path()));
}

#[test]
fn a_file_that_is_not_a_store_is_refused_untouched() {
    let directory = tempfile::tempdir().unwrap();
    let path = store_path(directory.path());
    for foreign in [
        &b"RTES"[..],
        b"this is not a FIX store file at all",
        b"RTESFIXS\x02\x00\x00\x00 a later version",
    ] {
        fs::write(&path, foreign).unwrap();
        let error =
            FileMessageStore::open(directory.path(), KEY, StoreOptions::default()).unwrap_err();
        match error {
            StoreError::Corrupt {
                path: reported,
                offset,
                ..
            } => {
                assert_eq!(reported, path);
                assert_eq!(offset, 0);
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        assert_eq!(fs::read(&path).unwrap(), foreign);
    }
}

#[test]
fn io_errors_name_the_path() {
    let directory = tempfile::tempdir().unwrap();
    let blocker = directory.path().join("not-a-directory");
    fs::write(&blocker, b"").unwrap();
    let error = FileMessageStore::open(&blocker, KEY, StoreOptions::default()).unwrap_err();
    match &error {
        StoreError::Io { path, .. } => assert_eq!(path, &blocker),
        other => panic!("expected Io, got {other:?}"),
    }
    assert!(error.to_string().contains("not-a-directory"));
}

#[test]
fn refused_calls_change_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        max_message_bytes: 64,
        ..StoreOptions::default()
    };
    let (mut store, _) = open_with(directory.path(), options);
    store.append_sent(1, &[b'x'; 64]).unwrap();
    assert!(matches!(
        store.append_sent(2, &[b'x'; 65]),
        Err(StoreError::MessageTooLarge {
            length_bytes: 65,
            max_bytes: 64
        })
    ));
    assert!(matches!(
        store.append_sent(3, b"x"),
        Err(StoreError::SequenceOutOfOrder {
            expected: 2,
            got: 3
        })
    ));
    assert!(matches!(
        store.append_sent(1, b"x"),
        Err(StoreError::SequenceOutOfOrder {
            expected: 2,
            got: 1
        })
    ));
    assert!(matches!(
        store.skip_sent(5),
        Err(StoreError::SequenceOutOfOrder { .. })
    ));
    assert!(matches!(
        store.set_next_target_seq(0),
        Err(StoreError::InvalidSequence { seq: 0 })
    ));
    assert!(matches!(
        store.set_next_sender_seq(0),
        Err(StoreError::InvalidSequence { seq: 0 })
    ));
    store.set_next_sender_seq(u64::MAX).unwrap();
    assert!(matches!(
        store.append_sent(u64::MAX, b"x"),
        Err(StoreError::InvalidSequence { seq: u64::MAX })
    ));
    store.set_next_sender_seq(2).unwrap();
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (2, 1));
    store.append_sent(2, b"second").unwrap();
    drop(store);

    let (mut store, recovery) = open_with(directory.path(), options);
    assert_eq!(recovery.next_sender_seq, 3);
    assert_eq!(
        resend(&mut store, 1, 0),
        [(1, vec![b'x'; 64]), (2, b"second".to_vec())]
    );
    assert!(matches!(
        FileMessageStore::open(directory.path(), "", options),
        Err(StoreError::InvalidSessionKey { .. })
    ));
}

#[test]
fn lowering_the_sender_sequence_drops_what_will_be_sent_again() {
    let directory = tempfile::tempdir().unwrap();
    let (mut store, _) = open(directory.path());
    for seq in 1..=5 {
        store.append_sent(seq, &message(seq, 0)).unwrap();
    }
    store.set_next_sender_seq(3).unwrap();
    assert_eq!(store.stored_messages(), 2);
    store.append_sent(3, &message(3, 1)).unwrap();
    drop(store);

    let (mut store, recovery) = open(directory.path());
    assert_eq!(recovery.next_sender_seq, 4);
    assert_eq!(
        resend(&mut store, 1, 0),
        [(1, message(1, 0)), (2, message(2, 0)), (3, message(3, 1))]
    );
}

#[test]
fn sessions_in_one_directory_are_independent() {
    let directory = tempfile::tempdir().unwrap();
    let options = StoreOptions::default();
    let (mut first, _) = FileMessageStore::open(directory.path(), "RTES-A", options).unwrap();
    let (mut second, _) = FileMessageStore::open(directory.path(), "RTES/A", options).unwrap();
    assert_ne!(first.path(), second.path());
    first.append_sent(1, b"first").unwrap();
    second.skip_sent(1).unwrap();
    drop((first, second));
    let (mut first, _) = FileMessageStore::open(directory.path(), "RTES-A", options).unwrap();
    let (mut second, _) = FileMessageStore::open(directory.path(), "RTES/A", options).unwrap();
    assert_eq!(resend(&mut first, 1, 0), [(1, b"first".to_vec())]);
    assert_eq!(resend(&mut second, 1, 0), []);
    assert_eq!(second.next_sender_seq(), 2);
}

#[test]
fn a_small_buffer_writes_out_early_and_fsync_keeps_working() {
    let directory = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        fsync: true,
        max_message_bytes: 128,
        buffer_bytes: RECORD_HEADER_BYTES + 128,
        index_capacity: 1,
    };
    let (mut store, _) = open_with(directory.path(), options);
    for seq in 1..=50 {
        store.append_sent(seq, &message(seq, 0)).unwrap();
        store.set_next_target_seq(seq + 1).unwrap();
    }
    // Records reached the file before any flush: the buffer holds one.
    let unflushed_bytes = fs::metadata(store.path()).unwrap().len();
    assert!(unflushed_bytes > FRESH_FILE_BYTES as u64 + 40 * 60);
    let expected: Vec<_> = (1..=50).map(|seq| (seq, message(seq, 0))).collect();
    assert_eq!(resend(&mut store, 1, 0), expected);
    store.flush().unwrap();
    drop(store);

    let (mut store, recovery) = open_with(directory.path(), options);
    assert_eq!(
        (recovery.next_sender_seq, recovery.next_target_seq),
        (51, 51)
    );
    assert_eq!(resend(&mut store, 1, 0), expected);
}

#[test]
fn the_per_message_calls_do_not_allocate() {
    let directory = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        // Small, so the measured loop also writes full buffers out.
        buffer_bytes: 4096,
        max_message_bytes: 1024,
        index_capacity: 2000,
        fsync: false,
    };
    let (mut store, _) = open_with(directory.path(), options);
    let messages: Vec<Vec<u8>> = (0..7).map(|variant| message(1, variant)).collect();
    store.append_sent(1, &messages[0]).unwrap();
    store.flush().unwrap();

    // The counter sees allocations on this thread.
    let probe = allocations();
    drop(std::hint::black_box(vec![0u8; 1]));
    assert_eq!(allocations(), probe + 1);

    let before = allocations();
    for seq in 2..=1500 {
        store
            .append_sent(seq, &messages[seq as usize % messages.len()])
            .unwrap();
        store.set_next_target_seq(seq).unwrap();
        if seq % 100 == 0 {
            // Out of order: an error value, which must not allocate either.
            store.skip_sent(seq + 2).unwrap_err();
            store.flush().unwrap();
        }
    }
    assert_eq!(allocations(), before, "the per-message calls allocated");
    assert!(fs::metadata(store.path()).unwrap().len() > 1000 * 60);
}

fn wall_clock_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// One call on the store, chosen by the property test.
#[derive(Debug, Clone)]
enum Operation {
    Append(Vec<u8>),
    Skip,
    SetTarget(u64),
    SetSender(u64),
    Reset,
    Flush,
    Reopen,
    Resend(u64, u64),
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        6 => proptest::collection::vec(any::<u8>(), 0..=48).prop_map(Operation::Append),
        2 => Just(Operation::Skip),
        2 => (1u64..40).prop_map(Operation::SetTarget),
        1 => (1u64..40).prop_map(Operation::SetSender),
        1 => Just(Operation::Reset),
        2 => Just(Operation::Flush),
        2 => Just(Operation::Reopen),
        2 => (0u64..40, 0u64..40).prop_map(|(begin, end)| Operation::Resend(begin, end)),
    ]
}

/// What the store must hold: the reference the real one is compared with.
#[derive(Debug)]
struct Model {
    next_sender_seq: u64,
    next_target_seq: u64,
    sent: BTreeMap<u64, Vec<u8>>,
}

impl Model {
    fn resend(&self, begin: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
        let end = if end == 0 { u64::MAX } else { end };
        if begin > end {
            return Vec::new();
        }
        self.sent
            .range(begin..=end)
            .map(|(&seq, bytes)| (seq, bytes.clone()))
            .collect()
    }
}

fn apply(
    slot: &mut Option<FileMessageStore>,
    model: &mut Model,
    operation: &Operation,
    directory: &Path,
    options: StoreOptions,
) {
    let store = slot.as_mut().expect("the store is open between operations");
    match operation {
        Operation::Append(bytes) => {
            let seq = model.next_sender_seq;
            store.append_sent(seq, bytes).unwrap();
            model.sent.insert(seq, bytes.clone());
            model.next_sender_seq += 1;
        }
        Operation::Skip => {
            store.skip_sent(model.next_sender_seq).unwrap();
            model.next_sender_seq += 1;
        }
        Operation::SetTarget(seq) => {
            store.set_next_target_seq(*seq).unwrap();
            model.next_target_seq = *seq;
        }
        Operation::SetSender(seq) => {
            store.set_next_sender_seq(*seq).unwrap();
            model.sent.split_off(seq);
            model.next_sender_seq = *seq;
        }
        Operation::Reset => {
            store.reset().unwrap();
            *model = Model {
                next_sender_seq: 1,
                next_target_seq: 1,
                sent: BTreeMap::new(),
            };
        }
        Operation::Flush => store.flush().unwrap(),
        Operation::Reopen => {
            let creation_time_ns = store.creation_time_ns();
            // Taking the store out drops it, which is what flushes it.
            drop(slot.take());
            let (reopened, recovery) = FileMessageStore::open(directory, KEY, options).unwrap();
            let store = slot.insert(reopened);
            assert_eq!(recovery.truncated_bytes, 0);
            assert_eq!(recovery.next_sender_seq, model.next_sender_seq);
            assert_eq!(recovery.next_target_seq, model.next_target_seq);
            assert_eq!(recovery.stored_messages, model.sent.len() as u64);
            assert_eq!(store.creation_time_ns(), creation_time_ns);
            assert_eq!(resend(store, 1, 0), model.resend(1, 0));
        }
        Operation::Resend(begin, end) => {
            assert_eq!(resend(store, *begin, *end), model.resend(*begin, *end));
        }
    }
    let store = slot.as_ref().expect("the store is open between operations");
    assert_eq!(store.next_sender_seq(), model.next_sender_seq);
    assert_eq!(store.next_target_seq(), model.next_target_seq);
    assert_eq!(store.stored_messages(), model.sent.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_store_behaves_like_its_model(operations in proptest::collection::vec(operation(), 1..40)) {
        let directory = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            fsync: false,
            max_message_bytes: 48,
            // About two records: most appends write the buffer out.
            buffer_bytes: 2 * (RECORD_HEADER_BYTES + 48),
            index_capacity: 4,
        };
        let mut store = Some(FileMessageStore::open(directory.path(), KEY, options).unwrap().0);
        let mut model = Model { next_sender_seq: 1, next_target_seq: 1, sent: BTreeMap::new() };
        for operation in &operations {
            apply(&mut store, &mut model, operation, directory.path(), options);
        }
        apply(&mut store, &mut model, &Operation::Reopen, directory.path(), options);
    }
}

#[test]
fn a_lower_message_limit_after_a_restart_still_resends_larger_stored_ones() {
    let directory = tempfile::tempdir().unwrap();
    let large = StoreOptions {
        max_message_bytes: 1000,
        ..StoreOptions::default()
    };
    let (mut store, _) = open_with(directory.path(), large);
    store.append_sent(1, &[b'L'; 1000]).unwrap();
    drop(store);

    let small = StoreOptions {
        max_message_bytes: 64,
        buffer_bytes: 1024,
        ..StoreOptions::default()
    };
    let (mut store, recovery) = open_with(directory.path(), small);
    assert_eq!(recovery.truncated_bytes, 0);
    assert_eq!(resend(&mut store, 1, 0), [(1, vec![b'L'; 1000])]);
    assert!(matches!(
        store.append_sent(2, &[b'L'; 65]),
        Err(StoreError::MessageTooLarge { .. })
    ));
}
