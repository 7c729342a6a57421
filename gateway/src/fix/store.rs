//! The FIX session message store: one append-only file per FIX session, so
//! that a restarted `rtes` resumes each session's sequence numbers without a
//! reset and can still answer a ResendRequest for application messages sent
//! before the restart.
//!
//! # Durability contract
//!
//! The per-message calls ([`FileMessageStore::append_sent`],
//! [`FileMessageStore::skip_sent`], [`FileMessageStore::set_next_target_seq`])
//! only change memory and a fixed in-memory record buffer: no syscall, no
//! allocation in steady state. [`FileMessageStore::flush`] hands the buffered
//! records to the OS, and `fsync`s them when [`StoreOptions::fsync`] is set.
//! The gateway flushes once per event-loop round, *before* it writes that
//! round's outbound bytes to the sockets, so a peer never sees a MsgSeqNum
//! that the store forgets in a crash (a process crash with `fsync: false`, a
//! power loss too with `fsync: true`). A full buffer is written out before
//! the flush; that is harmless, because recovery then sees a prefix of the
//! calls, which is what a crash at that moment would leave anyway.
//!
//! The next MsgSeqNum expected from the peer is written at flush only: one
//! 17-byte record per round, however many messages arrived. Recovering an
//! older value is safe (the session sees a gap and sends a ResendRequest);
//! recovering a newer one cannot happen.
//!
//! # File format (version 1)
//!
//! The file is `<escaped session key>.fixstore` (see [`store_file_name`]) in
//! the store's directory: a file header, then records. Integers are
//! little-endian.
//!
//! File header, [`FILE_HEADER_BYTES`] = 12 bytes:
//!
//! | offset | bytes | field                     |
//! |--------|-------|---------------------------|
//! | 0      | 8     | magic, `RTESFIXS`         |
//! | 8      | 4     | format version, `1` (u32) |
//!
//! Record: a [`RECORD_HEADER_BYTES`] = 17-byte header, then the body:
//!
//! | offset | bytes       | field                                                    |
//! |--------|-------------|----------------------------------------------------------|
//! | 0      | 4           | CRC-32 (IEEE, as zlib's) of every record byte after it   |
//! | 4      | 4           | body length in bytes (u32; 0 except for a sent message)  |
//! | 8      | 1           | kind, a [`RecordKind`]                                   |
//! | 9      | 8           | value (u64), its meaning set by the kind                 |
//! | 17     | body length | body                                                     |
//!
//! | kind | name                | value                                     | body                              |
//! |------|---------------------|-------------------------------------------|-----------------------------------|
//! | 1    | sent message        | its MsgSeqNum (= the next sender seq)     | the complete FIX message, `8=` to the checksum's SOH |
//! | 2    | sender seq set      | next MsgSeqNum RTES sends; stored messages at or above it are dropped | empty |
//! | 3    | target seq set      | next MsgSeqNum expected from the peer     | empty                             |
//! | 4    | reset               | creation time, UTC ns since the Unix epoch; both seqs back to 1, stored messages dropped | empty |
//!
//! Every file starts with a reset record, which carries the creation time.
//!
//! # Recovery
//!
//! [`FileMessageStore::open`] replays the records. At the first record that
//! is incomplete (a torn write), fails its CRC, or makes no sense (unknown
//! kind, a sent message out of sequence, a sequence number 0, a first record
//! that is not a reset), the file is truncated to the end of the last good
//! record, the drop is logged with the file, offset and bytes (`warn` when
//! the bad record is the end of the file, `error` when bytes follow it) and
//! reported in [`StoreRecovery::truncated_bytes`].
//!
//! Corruption in the middle is handled like a torn tail, on purpose: the
//! records after a bad one cannot be trusted to continue the sequence
//! (skipping the bad one could invent a gap or a duplicate), and refusing to
//! open would keep the venue from starting. Losing the newest sent records
//! makes the next MsgSeqNum lower than the peer has already seen, which the
//! peer answers with a Logout (MsgSeqNum too low): the loss is loud, never a
//! silent reuse. A file header that is not ours (too short, wrong magic or
//! version) is never modified: `open` returns [`StoreError::Corrupt`].
//!
//! # Reset
//!
//! [`FileMessageStore::reset`] writes a fresh file (header and reset record)
//! to `<name>.tmp`, fsyncs it, renames it over the store and fsyncs the
//! directory. The rename is atomic, so a crash at any point leaves either the
//! old file or the new one, each complete; `open` deletes a leftover `.tmp`.
//! This keeps a file to one FIX session's life (the daily reset starts it
//! afresh) instead of a reset record appended to a file that grows forever.
//! The two fsyncs happen whatever [`StoreOptions::fsync`] says, because an
//! unsynced file renamed into place can be empty after a power loss; resets
//! are rare (a Logon with ResetSeqNumFlag=Y). A new store is created the
//! same way.
//!
//! # Limits
//!
//! Sent messages are at most [`StoreOptions::max_message_bytes`]; a record
//! body in a file is at most [`MAX_RECORD_BODY_BYTES`] (a larger length field
//! is taken for corruption); the record buffer is fixed at
//! [`StoreOptions::buffer_bytes`]; the resend index preallocates
//! [`StoreOptions::index_capacity`] entries (24 bytes each) and grows
//! amortized beyond. Nothing locks the file: the caller keeps one
//! [`FileMessageStore`] per session in one process.
//!
//! # Example
//!
//! ```
//! use rtes_gateway::fix::store::{FileMessageStore, StoreOptions};
//!
//! let directory = tempfile::tempdir().unwrap();
//! let (mut store, recovery) =
//!     FileMessageStore::open(directory.path(), "RTES-CLIENT1", StoreOptions::default()).unwrap();
//! assert_eq!(recovery.records, 0);
//! store.append_sent(1, b"8=FIX.4.4\x019=5\x0135=8\x0110=000\x01").unwrap();
//! store.skip_sent(2).unwrap(); // a Heartbeat: gap-filled on resend
//! store.set_next_target_seq(7).unwrap();
//! store.flush().unwrap();
//! drop(store);
//!
//! let (mut store, recovery) =
//!     FileMessageStore::open(directory.path(), "RTES-CLIENT1", StoreOptions::default()).unwrap();
//! assert_eq!((recovery.next_sender_seq, recovery.next_target_seq), (3, 7));
//! let mut resent = Vec::new();
//! store.for_each_sent(1, 0, |seq, _message| resent.push(seq)).unwrap();
//! assert_eq!(resent, [1]);
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout, Unaligned};

/// First bytes of every store file.
pub const FILE_MAGIC: [u8; 8] = *b"RTESFIXS";
/// The format this module writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes of the file header.
pub const FILE_HEADER_BYTES: usize = 12;
/// Bytes of a record header (CRC, body length, kind, value).
pub const RECORD_HEADER_BYTES: usize = 17;
/// Largest record body the format admits; a length field above it is corrupt.
pub const MAX_RECORD_BODY_BYTES: usize = 16 << 20;
/// Largest session key; keeps the escaped file name under 255 bytes.
pub const MAX_SESSION_KEY_BYTES: usize = 64;
/// Extension of a store file.
pub const FILE_EXTENSION: &str = "fixstore";
/// Largest [`StoreOptions::buffer_bytes`].
pub const MAX_BUFFER_BYTES: usize = 64 << 20;
/// Largest [`StoreOptions::index_capacity`].
pub const MAX_INDEX_CAPACITY: usize = 1 << 24;

/// The CRC covers the record from the body length on.
const CRC_COVERED_FROM: usize = 4;
/// Bytes of a new store: the file header and its reset record.
const FRESH_FILE_BYTES: u64 = (FILE_HEADER_BYTES + RECORD_HEADER_BYTES) as u64;
/// Read-ahead of the replay at open.
const REPLAY_READ_BYTES: usize = 64 << 10;

/// The file header.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct FileHeader {
    magic: [u8; 8],
    format_version: U32,
}

/// The header of every record.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RecordHeader {
    crc32: U32,
    body_length_bytes: U32,
    kind: u8,
    value: U64,
}

const _: () = assert!(std::mem::size_of::<FileHeader>() == FILE_HEADER_BYTES);
const _: () = assert!(std::mem::size_of::<RecordHeader>() == RECORD_HEADER_BYTES);
const _: () = assert!(MAX_RECORD_BODY_BYTES <= u32::MAX as usize);

/// What a record says; the `u8` is the kind byte on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordKind {
    /// An application message RTES sent; value: its MsgSeqNum; body: the message.
    SentMessage = 1,
    /// value: the next MsgSeqNum RTES sends.
    SenderSeqSet = 2,
    /// value: the next MsgSeqNum expected from the peer.
    TargetSeqSet = 3,
    /// value: the new creation time; both sequence numbers back to 1.
    Reset = 4,
}

impl RecordKind {
    /// The kind of a kind byte, `None` for a byte no kind has.
    pub fn from_byte(byte: u8) -> Option<RecordKind> {
        match byte {
            1 => Some(RecordKind::SentMessage),
            2 => Some(RecordKind::SenderSeqSet),
            3 => Some(RecordKind::TargetSeqSet),
            4 => Some(RecordKind::Reset),
            _ => None,
        }
    }
}

/// A store failure. Every I/O failure names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file or directory operation failed.
    #[error("FIX store {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// The file is not a store this module can read, or a stored record no
    /// longer matches what was written.
    #[error("FIX store {path}: corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the bad header or record.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A sent message or administrative message with a sequence number other
    /// than the next one.
    #[error("sent MsgSeqNum {got}, expected {expected}")]
    SequenceOutOfOrder {
        /// The store's next sender sequence number.
        expected: u64,
        /// The one given.
        got: u64,
    },
    /// A sequence number of 0, or one after which no next one exists.
    #[error("invalid sequence number {seq}")]
    InvalidSequence {
        /// The one given.
        seq: u64,
    },
    /// A message over [`StoreOptions::max_message_bytes`].
    #[error("message of {length_bytes} bytes is over the store's maximum {max_bytes}")]
    MessageTooLarge {
        /// The message's length.
        length_bytes: usize,
        /// The configured maximum.
        max_bytes: usize,
    },
    /// A session key that is empty or over [`MAX_SESSION_KEY_BYTES`].
    #[error("invalid FIX session key {key:?}: {reason}")]
    InvalidSessionKey {
        /// The key given.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// [`StoreOptions`] out of their bounds.
    #[error("invalid FIX store options: {reason}")]
    InvalidOptions {
        /// What is wrong.
        reason: &'static str,
    },
    /// An earlier write failed and its partial bytes could not be cut off,
    /// so appending more would bury a torn record; reopen the store.
    #[error("FIX store {path} is unusable after a failed write; reopen it")]
    Unusable {
        /// The file.
        path: PathBuf,
    },
}

/// Tuning and limits of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// `fsync` at every [`FileMessageStore::flush`] that wrote something, so
    /// records survive a power loss and not only a process crash.
    pub fsync: bool,
    /// Largest message [`FileMessageStore::append_sent`] accepts.
    pub max_message_bytes: usize,
    /// Size of the in-memory record buffer; holds at least one record of the
    /// largest message.
    pub buffer_bytes: usize,
    /// Stored messages the resend index holds before it first grows.
    pub index_capacity: usize,
}

impl Default for StoreOptions {
    /// Process-crash durability, 64 KiB messages, a 256 KiB buffer, 4096
    /// index entries.
    fn default() -> StoreOptions {
        StoreOptions {
            fsync: false,
            max_message_bytes: 64 << 10,
            buffer_bytes: 256 << 10,
            index_capacity: 4096,
        }
    }
}

impl StoreOptions {
    /// Checks every field against its bound.
    pub fn validate(&self) -> Result<(), StoreError> {
        let reason = if self.max_message_bytes == 0 {
            "max_message_bytes is 0"
        } else if self.max_message_bytes > MAX_RECORD_BODY_BYTES {
            "max_message_bytes is over MAX_RECORD_BODY_BYTES"
        } else if self.buffer_bytes < RECORD_HEADER_BYTES + self.max_message_bytes {
            "buffer_bytes cannot hold a record of max_message_bytes"
        } else if self.buffer_bytes > MAX_BUFFER_BYTES {
            "buffer_bytes is over MAX_BUFFER_BYTES"
        } else if self.index_capacity > MAX_INDEX_CAPACITY {
            "index_capacity is over MAX_INDEX_CAPACITY"
        } else {
            return Ok(());
        };
        Err(StoreError::InvalidOptions { reason })
    }
}

/// What [`FileMessageStore::open`] found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreRecovery {
    /// Good records replayed from an existing file; 0 for a new store.
    pub records: u64,
    /// Bytes cut off the end of the file: a torn or corrupt record and
    /// everything after it.
    pub truncated_bytes: u64,
    /// The next MsgSeqNum RTES sends.
    pub next_sender_seq: u64,
    /// The next MsgSeqNum expected from the peer.
    pub next_target_seq: u64,
    /// Application messages available for resend.
    pub stored_messages: u64,
}

/// Where a stored message's record lives in the file.
#[derive(Debug, Clone, Copy)]
struct IndexEntry {
    seq: u64,
    offset: u64,
    body_length_bytes: u32,
}

/// The persistent store of one FIX session: sequence numbers and the sent
/// application messages, in an append-only file (format in the module docs).
pub struct FileMessageStore {
    path: PathBuf,
    temp_path: PathBuf,
    directory: PathBuf,
    file: File,
    options: StoreOptions,
    /// Bytes handed to the OS; buffered records go after them.
    file_length_bytes: u64,
    /// Records not yet written; never holds more than `options.buffer_bytes`.
    buffer: Vec<u8>,
    /// Reused by `for_each_sent`; holds the largest stored record, so
    /// resends allocate nothing.
    read_buffer: Vec<u8>,
    /// Stored messages by ascending sequence number.
    index: Vec<IndexEntry>,
    next_sender_seq: u64,
    next_target_seq: u64,
    /// The next-target value the last target record (or reset) holds, so
    /// `flush` writes a record only when it changed.
    recorded_target_seq: u64,
    creation_time_ns: u64,
    /// Bytes were written since the last fsync.
    unsynced: bool,
    /// A failed write left bytes that could not be cut off.
    unusable: bool,
}

impl fmt::Debug for FileMessageStore {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The buffers are large and say nothing useful.
        formatter
            .debug_struct("FileMessageStore")
            .field("path", &self.path)
            .field("next_sender_seq", &self.next_sender_seq)
            .field("next_target_seq", &self.next_target_seq)
            .field("stored_messages", &self.index.len())
            .field("creation_time_ns", &self.creation_time_ns)
            .finish_non_exhaustive()
    }
}

/// The file name of a session's store: the key with every byte outside
/// `A-Z a-z 0-9 - _` (and `.` outside the first byte) written as `%XX`, so
/// distinct keys never share a file and no key escapes the directory.
///
/// ```
/// use rtes_gateway::fix::store::store_file_name;
/// assert_eq!(store_file_name("RTES-CLIENT1").unwrap(), "RTES-CLIENT1.fixstore");
/// assert_eq!(store_file_name("../a b").unwrap(), "%2E.%2Fa%20b.fixstore");
/// ```
pub fn store_file_name(session_key: &str) -> Result<String, StoreError> {
    let invalid = |reason| StoreError::InvalidSessionKey {
        key: session_key.to_owned(),
        reason,
    };
    if session_key.is_empty() {
        return Err(invalid("empty"));
    }
    if session_key.len() > MAX_SESSION_KEY_BYTES {
        return Err(invalid("longer than MAX_SESSION_KEY_BYTES"));
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut name = String::with_capacity(session_key.len() * 3 + FILE_EXTENSION.len() + 1);
    for (position, &byte) in session_key.as_bytes().iter().enumerate() {
        let kept = byte.is_ascii_alphanumeric()
            || byte == b'-'
            || byte == b'_'
            || (byte == b'.' && position > 0);
        if kept {
            name.push(byte as char);
        } else {
            name.push('%');
            name.push(HEX[usize::from(byte >> 4)] as char);
            name.push(HEX[usize::from(byte & 0x0f)] as char);
        }
    }
    name.push('.');
    name.push_str(FILE_EXTENSION);
    Ok(name)
}

impl FileMessageStore {
    /// Opens (creating if needed, directory included) the store of
    /// `session_key` under `directory`, replaying and repairing the file.
    pub fn open(
        directory: &Path,
        session_key: &str,
        options: StoreOptions,
    ) -> Result<(FileMessageStore, StoreRecovery), StoreError> {
        options.validate()?;
        let file_name = store_file_name(session_key)?;
        fs::create_dir_all(directory).map_err(io_error(directory))?;
        let path = directory.join(&file_name);
        let temp_path = directory.join(format!("{file_name}.tmp"));
        // A leftover temp file is a reset or creation that crashed before
        // its rename: the store file (or its absence) is still the truth.
        remove_if_present(&temp_path)?;
        let paths = StorePaths {
            path,
            temp_path,
            directory: directory.to_path_buf(),
        };
        match OpenOptions::new().read(true).append(true).open(&paths.path) {
            Ok(file) => FileMessageStore::recover(paths, file, options),
            Err(source) if source.kind() == io::ErrorKind::NotFound => {
                FileMessageStore::create(paths, options)
            }
            Err(source) => Err(StoreError::Io {
                path: paths.path,
                source,
            }),
        }
    }

    /// The next MsgSeqNum RTES will send (1 for a new store).
    #[inline]
    pub fn next_sender_seq(&self) -> u64 {
        self.next_sender_seq
    }

    /// The next MsgSeqNum expected from the peer (1 for a new store).
    #[inline]
    pub fn next_target_seq(&self) -> u64 {
        self.next_target_seq
    }

    /// Session creation time, UTC ns since the Unix epoch; persisted, renewed
    /// by [`FileMessageStore::reset`].
    #[inline]
    pub fn creation_time_ns(&self) -> u64 {
        self.creation_time_ns
    }

    /// Application messages available for resend.
    #[inline]
    pub fn stored_messages(&self) -> usize {
        self.index.len()
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets the next MsgSeqNum expected from the peer. Memory only: the
    /// value reaches the file at the next [`FileMessageStore::flush`].
    #[inline]
    pub fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        if seq == 0 {
            return Err(StoreError::InvalidSequence { seq });
        }
        self.next_target_seq = seq;
        Ok(())
    }

    /// Sets the next MsgSeqNum RTES sends (a SequenceReset-Reset it sends,
    /// an admin tool). Stored messages at or above `seq` are dropped: that
    /// number will be used again.
    pub fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        if seq == 0 {
            return Err(StoreError::InvalidSequence { seq });
        }
        self.push_record(RecordKind::SenderSeqSet, seq, &[])?;
        let kept = self.index.partition_point(|entry| entry.seq < seq);
        self.index.truncate(kept);
        self.next_sender_seq = seq;
        Ok(())
    }

    /// Stores a sent application message (the complete FIX message bytes,
    /// `8=...10=xxx<SOH>`) under `seq`, which must equal
    /// [`FileMessageStore::next_sender_seq`]; advances it.
    #[inline]
    pub fn append_sent(&mut self, seq: u64, message: &[u8]) -> Result<(), StoreError> {
        let next = self.check_next_sender(seq)?;
        if message.len() > self.options.max_message_bytes {
            return Err(StoreError::MessageTooLarge {
                length_bytes: message.len(),
                max_bytes: self.options.max_message_bytes,
            });
        }
        let offset = self.push_record(RecordKind::SentMessage, seq, message)?;
        self.index.push(IndexEntry {
            seq,
            offset,
            // Bounded by max_message_bytes, itself at most u32::MAX.
            body_length_bytes: message.len() as u32,
        });
        self.next_sender_seq = next;
        Ok(())
    }

    /// Records that an administrative message with `seq` was sent; it is
    /// not stored, because resends of administrative messages are
    /// gap-filled. Advances [`FileMessageStore::next_sender_seq`].
    #[inline]
    pub fn skip_sent(&mut self, seq: u64) -> Result<(), StoreError> {
        let next = self.check_next_sender(seq)?;
        self.push_record(RecordKind::SenderSeqSet, next, &[])?;
        self.next_sender_seq = next;
        Ok(())
    }

    /// Calls `visit(seq, message)` for every stored application message with
    /// `begin <= seq <= end`, in order; `end` 0 means no upper bound, as
    /// EndSeqNo=0 in a ResendRequest. Numbers without a stored message
    /// (administrative ones) are absent: the caller gap-fills them.
    /// Buffered records are written to the OS first.
    pub fn for_each_sent(
        &mut self,
        begin: u64,
        end: u64,
        mut visit: impl FnMut(u64, &[u8]),
    ) -> Result<(), StoreError> {
        self.write_out()?;
        let end = if end == 0 { u64::MAX } else { end };
        let first = self.index.partition_point(|entry| entry.seq < begin);
        for entry in &self.index[first..] {
            if entry.seq > end {
                break;
            }
            let record_bytes = RECORD_HEADER_BYTES + entry.body_length_bytes as usize;
            // Open sized it for the largest replayed record and for
            // max_message_bytes, which bounds every append since.
            assert!(record_bytes <= self.read_buffer.len());
            let record = &mut self.read_buffer[..record_bytes];
            read_at(&self.file, entry.offset, record).map_err(io_error(&self.path))?;
            let body =
                check_stored_record(record, entry).map_err(|reason| StoreError::Corrupt {
                    path: self.path.clone(),
                    offset: entry.offset,
                    reason,
                })?;
            visit(entry.seq, body);
        }
        Ok(())
    }

    /// Both sequence numbers back to 1, stored messages dropped, creation
    /// time renewed from the wall clock (a Logon with ResetSeqNumFlag=Y).
    /// Durable when it returns, whatever [`StoreOptions::fsync`] says.
    pub fn reset(&mut self) -> Result<(), StoreError> {
        self.reset_with_creation_time(wall_clock_ns())
    }

    /// [`FileMessageStore::reset`] with the creation time given (UTC ns since
    /// the Unix epoch), for a caller with its own clock and for tests.
    pub fn reset_with_creation_time(&mut self, creation_time_ns: u64) -> Result<(), StoreError> {
        let file = write_fresh_file(&self.temp_path, &self.path, creation_time_ns)?;
        // The rename made the fresh file the store: memory follows it now,
        // whatever the directory sync below says. Buffered records belonged
        // to the replaced file and are superseded.
        self.file = file;
        self.file_length_bytes = FRESH_FILE_BYTES;
        self.buffer.clear();
        self.index.clear();
        self.next_sender_seq = 1;
        self.next_target_seq = 1;
        self.recorded_target_seq = 1;
        self.creation_time_ns = creation_time_ns;
        self.unsynced = false;
        self.unusable = false;
        sync_directory(&self.directory)
    }

    /// Writes the buffered records (and the next target sequence number, if
    /// it changed) to the OS; fsyncs too when [`StoreOptions::fsync`]. Called
    /// once per gateway event-loop round, before that round's sends.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.next_target_seq != self.recorded_target_seq {
            self.push_record(RecordKind::TargetSeqSet, self.next_target_seq, &[])?;
            self.recorded_target_seq = self.next_target_seq;
        }
        self.write_out()?;
        if self.options.fsync && self.unsynced {
            self.file.sync_data().map_err(io_error(&self.path))?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// The next sender sequence number after `seq`, if `seq` is the current one.
    #[inline]
    fn check_next_sender(&self, seq: u64) -> Result<u64, StoreError> {
        if seq != self.next_sender_seq {
            return Err(StoreError::SequenceOutOfOrder {
                expected: self.next_sender_seq,
                got: seq,
            });
        }
        seq.checked_add(1)
            .ok_or(StoreError::InvalidSequence { seq })
    }

    /// Encodes a record into the buffer, writing the buffer out first when
    /// the record does not fit; returns the record's file offset.
    #[inline]
    fn push_record(
        &mut self,
        kind: RecordKind,
        value: u64,
        body: &[u8],
    ) -> Result<u64, StoreError> {
        let record_bytes = RECORD_HEADER_BYTES + body.len();
        debug_assert!(record_bytes <= self.options.buffer_bytes);
        if self.buffer.len() + record_bytes > self.options.buffer_bytes {
            self.write_out()?;
        }
        if self.unusable {
            return Err(StoreError::Unusable {
                path: self.path.clone(),
            });
        }
        let offset = self.file_length_bytes + self.buffer.len() as u64;
        encode_record(&mut self.buffer, kind, value, body);
        debug_assert!(self.buffer.len() <= self.options.buffer_bytes);
        Ok(offset)
    }

    /// Hands the buffer to the OS (no fsync).
    fn write_out(&mut self) -> Result<(), StoreError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        if self.unusable {
            return Err(StoreError::Unusable {
                path: self.path.clone(),
            });
        }
        match self.file.write_all(&self.buffer) {
            Ok(()) => {
                self.file_length_bytes += self.buffer.len() as u64;
                self.buffer.clear();
                self.unsynced = true;
                Ok(())
            }
            Err(source) => {
                // Part of the buffer may have landed; later records after it
                // would hide a torn one mid-file, so cut it off and keep the
                // buffer for the next attempt.
                if self.file.set_len(self.file_length_bytes).is_err() {
                    self.unusable = true;
                }
                Err(StoreError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        }
    }

    /// A new store: a fresh file with the current time as creation time.
    fn create(
        paths: StorePaths,
        options: StoreOptions,
    ) -> Result<(FileMessageStore, StoreRecovery), StoreError> {
        let creation_time_ns = wall_clock_ns();
        let file = write_fresh_file(&paths.temp_path, &paths.path, creation_time_ns)?;
        sync_directory(&paths.directory)?;
        let replay = Replay::new(options.index_capacity);
        let replay = Replay {
            creation_time_ns: Some(creation_time_ns),
            ..replay
        };
        Ok(FileMessageStore::assemble(
            paths,
            file,
            options,
            FRESH_FILE_BYTES,
            replay,
            0,
        ))
    }

    /// An existing store: replay, truncate a bad tail, rebuild the state.
    fn recover(
        paths: StorePaths,
        file: File,
        options: StoreOptions,
    ) -> Result<(FileMessageStore, StoreRecovery), StoreError> {
        let file_length_bytes = file.metadata().map_err(io_error(&paths.path))?.len();
        let mut replay = Replay::new(options.index_capacity);
        let good_end = replay_file(&paths.path, &file, file_length_bytes, &mut replay)?;
        let truncated_bytes = file_length_bytes - good_end;
        if truncated_bytes > 0 {
            // Appends go after the last good record, and the cut must be on
            // disk before them, or a crash could bring the bad bytes back
            // between good ones.
            file.set_len(good_end).map_err(io_error(&paths.path))?;
            file.sync_all().map_err(io_error(&paths.path))?;
        }
        let needs_reset_record = replay.creation_time_ns.is_none();
        let (mut store, recovery) =
            FileMessageStore::assemble(paths, file, options, good_end, replay, truncated_bytes);
        if needs_reset_record {
            // The file's first record was lost: only the header is left, so
            // the session starts afresh and needs its creation time back.
            store.creation_time_ns = wall_clock_ns();
            store.push_record(RecordKind::Reset, store.creation_time_ns, &[])?;
            store.write_out()?;
            store.file.sync_data().map_err(io_error(&store.path))?;
            store.unsynced = false;
        }
        Ok((store, recovery))
    }

    fn assemble(
        paths: StorePaths,
        file: File,
        options: StoreOptions,
        file_length_bytes: u64,
        replay: Replay,
        truncated_bytes: u64,
    ) -> (FileMessageStore, StoreRecovery) {
        let read_bytes =
            RECORD_HEADER_BYTES + options.max_message_bytes.max(replay.largest_body_bytes);
        let recovery = StoreRecovery {
            records: replay.records,
            truncated_bytes,
            next_sender_seq: replay.next_sender_seq,
            next_target_seq: replay.next_target_seq,
            stored_messages: replay.index.len() as u64,
        };
        let store = FileMessageStore {
            path: paths.path,
            temp_path: paths.temp_path,
            directory: paths.directory,
            file,
            options,
            file_length_bytes,
            buffer: Vec::with_capacity(options.buffer_bytes),
            read_buffer: vec![0; read_bytes],
            index: replay.index,
            next_sender_seq: replay.next_sender_seq,
            next_target_seq: replay.next_target_seq,
            recorded_target_seq: replay.next_target_seq,
            creation_time_ns: replay.creation_time_ns.unwrap_or(0),
            unsynced: false,
            unusable: false,
        };
        (store, recovery)
    }
}

impl Drop for FileMessageStore {
    /// Flushes, as a `BufWriter` does; a failure can only be logged here.
    fn drop(&mut self) {
        if let Err(error) = self.flush() {
            tracing::warn!(%error, "FIX store: flush on drop failed");
        }
    }
}

/// The three paths of a store.
struct StorePaths {
    path: PathBuf,
    temp_path: PathBuf,
    directory: PathBuf,
}

/// The state rebuilt by replaying records.
struct Replay {
    records: u64,
    next_sender_seq: u64,
    next_target_seq: u64,
    creation_time_ns: Option<u64>,
    index: Vec<IndexEntry>,
    largest_body_bytes: usize,
}

impl Replay {
    fn new(index_capacity: usize) -> Replay {
        Replay {
            records: 0,
            next_sender_seq: 1,
            next_target_seq: 1,
            creation_time_ns: None,
            index: Vec::with_capacity(index_capacity),
            largest_body_bytes: 0,
        }
    }

    /// Applies one record whose CRC matched; a record that makes no sense
    /// is refused with why, and changes nothing.
    fn apply(
        &mut self,
        header: &RecordHeader,
        offset: u64,
        body_length_bytes: usize,
    ) -> Result<(), &'static str> {
        let value = header.value.get();
        let kind = RecordKind::from_byte(header.kind).ok_or("unknown record kind")?;
        if self.creation_time_ns.is_none() && kind != RecordKind::Reset {
            return Err("the first record is not a reset");
        }
        if kind != RecordKind::SentMessage && body_length_bytes != 0 {
            return Err("a body on a record kind that has none");
        }
        match kind {
            RecordKind::SentMessage => {
                if value != self.next_sender_seq {
                    return Err("sent message out of sequence");
                }
                self.next_sender_seq = value.checked_add(1).ok_or("sequence number overflow")?;
                self.index.push(IndexEntry {
                    seq: value,
                    offset,
                    body_length_bytes: body_length_bytes as u32,
                });
                self.largest_body_bytes = self.largest_body_bytes.max(body_length_bytes);
            }
            RecordKind::SenderSeqSet => {
                if value == 0 {
                    return Err("sender sequence number 0");
                }
                let kept = self.index.partition_point(|entry| entry.seq < value);
                self.index.truncate(kept);
                self.next_sender_seq = value;
            }
            RecordKind::TargetSeqSet => {
                if value == 0 {
                    return Err("target sequence number 0");
                }
                self.next_target_seq = value;
            }
            RecordKind::Reset => {
                self.index.clear();
                self.next_sender_seq = 1;
                self.next_target_seq = 1;
                self.creation_time_ns = Some(value);
            }
        }
        self.records += 1;
        Ok(())
    }
}

/// One record read during replay.
enum ReadOutcome {
    /// No bytes left.
    End,
    /// A complete record whose CRC matched.
    Good(RecordHeader, usize),
    /// A torn or corrupt record; `declared_end` is where its length says it
    /// ends, when that is readable and inside the file.
    Bad {
        reason: &'static str,
        declared_end: Option<u64>,
    },
}

/// Replays every record into `replay`; returns the end of the last good
/// record, logging what comes after it.
fn replay_file(
    path: &Path,
    file: &File,
    file_length_bytes: u64,
    replay: &mut Replay,
) -> Result<u64, StoreError> {
    let mut reader = BufReader::with_capacity(REPLAY_READ_BYTES, file);
    check_file_header(path, &mut reader, file_length_bytes)?;
    let mut offset = FILE_HEADER_BYTES as u64;
    let mut body = Vec::new();
    loop {
        let remaining = file_length_bytes - offset;
        let outcome = read_record(&mut reader, remaining, &mut body).map_err(io_error(path))?;
        let (reason, declared_end) = match outcome {
            ReadOutcome::End => return Ok(offset),
            ReadOutcome::Good(header, body_length_bytes) => {
                match replay.apply(&header, offset, body_length_bytes) {
                    Ok(()) => {
                        offset += (RECORD_HEADER_BYTES + body_length_bytes) as u64;
                        continue;
                    }
                    Err(reason) => (
                        reason,
                        Some(offset + (RECORD_HEADER_BYTES + body_length_bytes) as u64),
                    ),
                }
            }
            ReadOutcome::Bad {
                reason,
                declared_end,
            } => (reason, declared_end.map(|end| offset + end)),
        };
        log_truncation(path, offset, file_length_bytes, reason, declared_end);
        return Ok(offset);
    }
}

/// Logs a drop: a warning for a torn tail, an error when bytes follow the
/// bad record (corruption in the middle, later records lost with it).
fn log_truncation(
    path: &Path,
    offset: u64,
    file_length_bytes: u64,
    reason: &'static str,
    declared_end: Option<u64>,
) {
    let dropped_bytes = file_length_bytes - offset;
    let path = path.display();
    match declared_end {
        Some(end) if end < file_length_bytes => tracing::error!(
            %path,
            offset,
            dropped_bytes,
            reason,
            "FIX store: bad record before the end of the file; it and every record after it are dropped"
        ),
        _ => tracing::warn!(
            %path,
            offset,
            dropped_bytes,
            reason,
            "FIX store: torn or corrupt last record dropped"
        ),
    }
}

fn check_file_header(
    path: &Path,
    reader: &mut impl Read,
    file_length_bytes: u64,
) -> Result<(), StoreError> {
    let corrupt = |reason| StoreError::Corrupt {
        path: path.to_path_buf(),
        offset: 0,
        reason,
    };
    if file_length_bytes < FILE_HEADER_BYTES as u64 {
        return Err(corrupt("shorter than the file header"));
    }
    let mut header = FileHeader::new_zeroed();
    reader
        .read_exact(header.as_mut_bytes())
        .map_err(io_error(path))?;
    if header.magic != FILE_MAGIC {
        return Err(corrupt("not a FIX store file (magic)"));
    }
    if header.format_version.get() != FORMAT_VERSION {
        return Err(corrupt("unsupported format version"));
    }
    Ok(())
}

/// Reads the record at the reader's position, `remaining` bytes before the
/// end of the file; the body lands in `body`.
fn read_record(
    reader: &mut impl Read,
    remaining: u64,
    body: &mut Vec<u8>,
) -> io::Result<ReadOutcome> {
    if remaining == 0 {
        return Ok(ReadOutcome::End);
    }
    let torn = |reason| ReadOutcome::Bad {
        reason,
        declared_end: None,
    };
    if remaining < RECORD_HEADER_BYTES as u64 {
        return Ok(torn("torn record header"));
    }
    let mut header = RecordHeader::new_zeroed();
    reader.read_exact(header.as_mut_bytes())?;
    let body_length_bytes = header.body_length_bytes.get() as usize;
    if body_length_bytes > MAX_RECORD_BODY_BYTES {
        return Ok(torn("body length over MAX_RECORD_BODY_BYTES"));
    }
    let record_bytes = (RECORD_HEADER_BYTES + body_length_bytes) as u64;
    if record_bytes > remaining {
        return Ok(torn("torn record body"));
    }
    body.resize(body_length_bytes, 0);
    reader.read_exact(body)?;
    if record_crc(&header, body) != header.crc32.get() {
        return Ok(ReadOutcome::Bad {
            reason: "checksum mismatch",
            declared_end: Some(record_bytes),
        });
    }
    Ok(ReadOutcome::Good(header, body_length_bytes))
}

/// Checks a record read back for a resend; returns its body.
fn check_stored_record<'a>(record: &'a [u8], entry: &IndexEntry) -> Result<&'a [u8], &'static str> {
    let (header, body) =
        RecordHeader::read_from_prefix(record).map_err(|_| "record shorter than its header")?;
    if record_crc(&header, body) != header.crc32.get() {
        return Err("checksum mismatch on resend");
    }
    if header.kind != RecordKind::SentMessage as u8
        || header.value.get() != entry.seq
        || header.body_length_bytes.get() != entry.body_length_bytes
    {
        return Err("record differs from the resend index");
    }
    Ok(body)
}

fn record_crc(header: &RecordHeader, body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header.as_bytes()[CRC_COVERED_FROM..]);
    hasher.update(body);
    hasher.finalize()
}

/// Appends one record to `buffer`; the caller made room.
#[inline]
fn encode_record(buffer: &mut Vec<u8>, kind: RecordKind, value: u64, body: &[u8]) {
    let mut header = RecordHeader {
        crc32: U32::ZERO,
        // Callers bound bodies by max_message_bytes <= MAX_RECORD_BODY_BYTES.
        body_length_bytes: U32::new(body.len() as u32),
        kind: kind as u8,
        value: U64::new(value),
    };
    header.crc32 = U32::new(record_crc(&header, body));
    buffer.extend_from_slice(header.as_bytes());
    buffer.extend_from_slice(body);
}

/// Writes a store holding only a reset record to `temp_path`, makes it
/// durable and renames it to `path`; returns it open for append.
fn write_fresh_file(
    temp_path: &Path,
    path: &Path,
    creation_time_ns: u64,
) -> Result<File, StoreError> {
    remove_if_present(temp_path)?;
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create_new(true)
        .open(temp_path)
        .map_err(io_error(temp_path))?;
    let header = FileHeader {
        magic: FILE_MAGIC,
        format_version: U32::new(FORMAT_VERSION),
    };
    let mut bytes = Vec::with_capacity(FRESH_FILE_BYTES as usize);
    bytes.extend_from_slice(header.as_bytes());
    encode_record(&mut bytes, RecordKind::Reset, creation_time_ns, &[]);
    file.write_all(&bytes).map_err(io_error(temp_path))?;
    file.sync_all().map_err(io_error(temp_path))?;
    fs::rename(temp_path, path).map_err(io_error(path))?;
    Ok(file)
}

/// Makes a rename in `directory` durable.
fn sync_directory(directory: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(directory)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error(directory))?;
    // Elsewhere a directory cannot be opened for sync; the rename is still atomic.
    #[cfg(not(unix))]
    let _ = directory;
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(source) if source.kind() != io::ErrorKind::NotFound => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
        _ => Ok(()),
    }
}

/// Fills `bytes` from `offset`; the file is in append mode, so the seek
/// cannot move where writes land.
fn read_at(mut file: &File, offset: u64, bytes: &mut [u8]) -> io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(bytes)
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// UTC ns since the Unix epoch; 0 before it (a broken clock).
fn wall_clock_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: RecordKind, value: u64, body: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_record(&mut bytes, kind, value, body);
        bytes
    }

    fn read(bytes: &[u8]) -> ReadOutcome {
        let mut body = Vec::new();
        read_record(&mut &bytes[..], bytes.len() as u64, &mut body).unwrap()
    }

    #[test]
    fn record_kinds_round_trip_through_their_byte() {
        for kind in [
            RecordKind::SentMessage,
            RecordKind::SenderSeqSet,
            RecordKind::TargetSeqSet,
            RecordKind::Reset,
        ] {
            assert_eq!(RecordKind::from_byte(kind as u8), Some(kind));
        }
        assert_eq!(RecordKind::from_byte(0), None);
        assert_eq!(RecordKind::from_byte(5), None);
    }

    #[test]
    fn encoded_record_reads_back() {
        let bytes = record(RecordKind::SentMessage, 42, b"8=FIX.4.4\x01");
        assert_eq!(bytes.len(), RECORD_HEADER_BYTES + 10);
        match read(&bytes) {
            ReadOutcome::Good(header, body_length_bytes) => {
                assert_eq!(header.kind, RecordKind::SentMessage as u8);
                assert_eq!(header.value.get(), 42);
                assert_eq!(body_length_bytes, 10);
            }
            _ => panic!("a well-formed record was not read back"),
        }
        assert!(matches!(read(&[]), ReadOutcome::End));
    }

    #[test]
    fn every_torn_prefix_is_bad_without_a_declared_end() {
        let bytes = record(RecordKind::SentMessage, 7, b"0123456789");
        for length in 1..bytes.len() {
            match read(&bytes[..length]) {
                ReadOutcome::Bad { declared_end, .. } => assert_eq!(declared_end, None),
                _ => panic!("a record torn at {length} bytes was accepted"),
            }
        }
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let bytes = record(RecordKind::TargetSeqSet, 9, &[]);
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(
                matches!(read(&flipped), ReadOutcome::Bad { .. }),
                "bit {bit} flipped was not detected"
            );
        }
    }

    #[test]
    fn a_length_over_the_format_maximum_is_corrupt_not_read() {
        let mut bytes = record(RecordKind::SentMessage, 1, b"x");
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        match read(&bytes) {
            ReadOutcome::Bad { reason, .. } => {
                assert_eq!(reason, "body length over MAX_RECORD_BODY_BYTES")
            }
            _ => panic!("a huge length field was accepted"),
        }
    }

    #[test]
    fn replay_refuses_records_that_make_no_sense() {
        let header = |kind: u8, value: u64| RecordHeader {
            crc32: U32::ZERO,
            body_length_bytes: U32::ZERO,
            kind,
            value: U64::new(value),
        };
        let mut replay = Replay::new(4);
        assert_eq!(
            replay.apply(&header(RecordKind::SentMessage as u8, 1), 12, 0),
            Err("the first record is not a reset")
        );
        replay
            .apply(&header(RecordKind::Reset as u8, 5), 12, 0)
            .unwrap();
        assert_eq!(replay.creation_time_ns, Some(5));
        assert_eq!(
            replay.apply(&header(RecordKind::SentMessage as u8, 2), 29, 3),
            Err("sent message out of sequence")
        );
        assert_eq!(
            replay.apply(&header(9, 1), 29, 0),
            Err("unknown record kind")
        );
        assert_eq!(
            replay.apply(&header(RecordKind::TargetSeqSet as u8, 0), 29, 0),
            Err("target sequence number 0")
        );
        assert_eq!(
            replay.apply(&header(RecordKind::SenderSeqSet as u8, 3), 29, 1),
            Err("a body on a record kind that has none")
        );
        replay
            .apply(&header(RecordKind::SentMessage as u8, 1), 29, 3)
            .unwrap();
        replay
            .apply(&header(RecordKind::SenderSeqSet as u8, 5), 49, 0)
            .unwrap();
        assert_eq!((replay.next_sender_seq, replay.index.len()), (5, 1));
        // Lowering the sender sequence drops what will be sent again.
        replay
            .apply(&header(RecordKind::SenderSeqSet as u8, 1), 66, 0)
            .unwrap();
        assert_eq!((replay.next_sender_seq, replay.index.len()), (1, 0));
        assert_eq!(replay.records, 4);
    }

    #[test]
    fn file_names_are_escaped_and_distinct() {
        assert_eq!(
            store_file_name("RTES-CLIENT1").unwrap(),
            "RTES-CLIENT1.fixstore"
        );
        assert_eq!(store_file_name("a.b_c").unwrap(), "a.b_c.fixstore");
        assert_eq!(store_file_name("..").unwrap(), "%2E..fixstore");
        assert_eq!(store_file_name("a/b").unwrap(), "a%2Fb.fixstore");
        assert_eq!(store_file_name("a%2Fb").unwrap(), "a%252Fb.fixstore");
        assert_eq!(store_file_name("é").unwrap(), "%C3%A9.fixstore");
        let longest = "%".repeat(MAX_SESSION_KEY_BYTES);
        assert!(store_file_name(&longest).unwrap().len() < 255);
        assert!(matches!(
            store_file_name(""),
            Err(StoreError::InvalidSessionKey { .. })
        ));
        assert!(matches!(
            store_file_name(&"a".repeat(MAX_SESSION_KEY_BYTES + 1)),
            Err(StoreError::InvalidSessionKey { .. })
        ));
    }

    #[test]
    fn options_are_bounded() {
        StoreOptions::default().validate().unwrap();
        let invalid = |options: StoreOptions| {
            matches!(options.validate(), Err(StoreError::InvalidOptions { .. }))
        };
        let base = StoreOptions::default();
        assert!(invalid(StoreOptions {
            max_message_bytes: 0,
            ..base
        }));
        assert!(invalid(StoreOptions {
            max_message_bytes: MAX_RECORD_BODY_BYTES + 1,
            buffer_bytes: MAX_BUFFER_BYTES,
            ..base
        }));
        assert!(invalid(StoreOptions {
            buffer_bytes: RECORD_HEADER_BYTES + base.max_message_bytes - 1,
            ..base
        }));
        assert!(!invalid(StoreOptions {
            buffer_bytes: RECORD_HEADER_BYTES + base.max_message_bytes,
            ..base
        }));
        assert!(invalid(StoreOptions {
            buffer_bytes: MAX_BUFFER_BYTES + 1,
            ..base
        }));
        assert!(invalid(StoreOptions {
            index_capacity: MAX_INDEX_CAPACITY + 1,
            ..base
        }));
    }
}
