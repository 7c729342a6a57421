//! Typed SoupBinTCP packets: parsing one complete frame and encoding one.

use zerocopy::{FromBytes, IntoBytes};

use super::ascii::{parse_numeric, trim_spaces, write_alpha, write_numeric, FieldError};
use super::wire::{
    packet_length, packet_type, EmptyPacketRecord, LoginAcceptedRecord, LoginRejectedRecord,
    LoginRequestRecord, LoginRequestWithTimeoutRecord, PacketHeader, HEADER_LEN,
};
use super::SoupError;

/// Why the server refused a login (`J` packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum LoginRejectReason {
    /// `A`: not authorized (bad username or password).
    NotAuthorized = b'A',
    /// `S`: the requested session is not available.
    SessionNotAvailable = b'S',
}

impl LoginRejectReason {
    /// The reason for a wire byte, `None` for a byte the spec does not define.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            b'A' => Some(LoginRejectReason::NotAuthorized),
            b'S' => Some(LoginRejectReason::SessionNotAvailable),
            _ => None,
        }
    }
}

impl LoginRequestRecord {
    /// A 4.00 login request; alpha fields are space padded, the sequence
    /// number right-justified.
    pub fn new(
        username: &[u8],
        password: &[u8],
        requested_session: &[u8],
        requested_sequence_number: u64,
    ) -> Result<Self, FieldError> {
        let mut record = LoginRequestRecord {
            header: PacketHeader::new(packet_type::LOGIN_REQUEST, packet_length::LOGIN_REQUEST - 1),
            username: [b' '; 6],
            password: [b' '; 10],
            requested_session: [b' '; 10],
            requested_sequence_number: [b' '; 20],
        };
        write_alpha(&mut record.username, username)?;
        write_alpha(&mut record.password, password)?;
        write_alpha(&mut record.requested_session, requested_session)?;
        write_numeric(
            &mut record.requested_sequence_number,
            requested_sequence_number,
        )?;
        Ok(record)
    }

    /// Username with spaces trimmed.
    pub fn username(&self) -> &[u8] {
        trim_spaces(&self.username)
    }

    /// Password with spaces trimmed.
    pub fn password(&self) -> &[u8] {
        trim_spaces(&self.password)
    }

    /// Requested session with spaces trimmed (empty = the current session).
    pub fn requested_session(&self) -> &[u8] {
        trim_spaces(&self.requested_session)
    }

    /// Requested sequence number (0 = start from the most recent message).
    pub fn requested_sequence_number(&self) -> Result<u64, FieldError> {
        parse_numeric(&self.requested_sequence_number)
    }
}

impl LoginAcceptedRecord {
    /// A login accepted packet for `session`, next message `sequence_number`.
    pub fn new(session: &[u8], sequence_number: u64) -> Result<Self, FieldError> {
        let mut record = LoginAcceptedRecord {
            header: PacketHeader::new(
                packet_type::LOGIN_ACCEPTED,
                packet_length::LOGIN_ACCEPTED - 1,
            ),
            session: [b' '; 10],
            sequence_number: [b' '; 20],
        };
        write_alpha(&mut record.session, session)?;
        write_numeric(&mut record.sequence_number, sequence_number)?;
        Ok(record)
    }

    /// Session with spaces trimmed.
    pub fn session(&self) -> &[u8] {
        trim_spaces(&self.session)
    }

    /// Sequence number of the next message the client will receive.
    pub fn sequence_number(&self) -> Result<u64, FieldError> {
        parse_numeric(&self.sequence_number)
    }
}

impl LoginRejectedRecord {
    /// A login rejected packet.
    pub fn new(reason: LoginRejectReason) -> Self {
        LoginRejectedRecord {
            header: PacketHeader::new(
                packet_type::LOGIN_REJECTED,
                packet_length::LOGIN_REJECTED - 1,
            ),
            reject_reason_code: reason as u8,
        }
    }

    /// The reason, `None` when the byte is not one the spec defines.
    pub fn reason(&self) -> Option<LoginRejectReason> {
        LoginRejectReason::from_byte(self.reject_reason_code)
    }
}

/// One complete SoupBinTCP packet, borrowing the receive buffer. The
/// decoder accepts every type in either direction; a server refuses the
/// server-only ones with [`Packet::is_from_client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `+` Debug: free text, either direction.
    Debug(&'a [u8]),
    /// `A` Login Accepted.
    LoginAccepted(&'a LoginAcceptedRecord),
    /// `J` Login Rejected.
    LoginRejected(&'a LoginRejectedRecord),
    /// `S` Sequenced Data: one application message.
    SequencedData(&'a [u8]),
    /// `H` Server Heartbeat.
    ServerHeartbeat,
    /// `Z` End of Session.
    EndOfSession,
    /// `L` Login Request (length 47, or 52 with the 4.1 heartbeat timeout).
    LoginRequest {
        /// The 4.00 fields.
        login: &'a LoginRequestRecord,
        /// The 4.1-style requested heartbeat timeout, numeric ASCII, when present.
        heartbeat_timeout: Option<&'a [u8; 5]>,
    },
    /// `U` Unsequenced Data: one application message.
    UnsequencedData(&'a [u8]),
    /// `R` Client Heartbeat.
    ClientHeartbeat,
    /// `O` Logout Request.
    LogoutRequest,
}

impl<'a> Packet<'a> {
    /// The wire type code.
    pub fn packet_type(&self) -> u8 {
        match self {
            Packet::Debug(_) => packet_type::DEBUG,
            Packet::LoginAccepted(_) => packet_type::LOGIN_ACCEPTED,
            Packet::LoginRejected(_) => packet_type::LOGIN_REJECTED,
            Packet::SequencedData(_) => packet_type::SEQUENCED_DATA,
            Packet::ServerHeartbeat => packet_type::SERVER_HEARTBEAT,
            Packet::EndOfSession => packet_type::END_OF_SESSION,
            Packet::LoginRequest { .. } => packet_type::LOGIN_REQUEST,
            Packet::UnsequencedData(_) => packet_type::UNSEQUENCED_DATA,
            Packet::ClientHeartbeat => packet_type::CLIENT_HEARTBEAT,
            Packet::LogoutRequest => packet_type::LOGOUT_REQUEST,
        }
    }

    /// True for the packets a client sends (`L`, `U`, `R`, `O`; `+` goes both ways).
    pub fn is_from_client(&self) -> bool {
        matches!(
            self,
            Packet::LoginRequest { .. }
                | Packet::UnsequencedData(_)
                | Packet::ClientHeartbeat
                | Packet::LogoutRequest
                | Packet::Debug(_)
        )
    }

    /// Bytes the packet takes on the wire, length field included.
    pub fn encoded_len(&self) -> usize {
        match self {
            Packet::Debug(payload)
            | Packet::SequencedData(payload)
            | Packet::UnsequencedData(payload) => HEADER_LEN + payload.len(),
            Packet::LoginAccepted(_) => core::mem::size_of::<LoginAcceptedRecord>(),
            Packet::LoginRejected(_) => core::mem::size_of::<LoginRejectedRecord>(),
            Packet::LoginRequest {
                heartbeat_timeout: None,
                ..
            } => core::mem::size_of::<LoginRequestRecord>(),
            Packet::LoginRequest {
                heartbeat_timeout: Some(_),
                ..
            } => core::mem::size_of::<LoginRequestWithTimeoutRecord>(),
            Packet::ServerHeartbeat
            | Packet::EndOfSession
            | Packet::ClientHeartbeat
            | Packet::LogoutRequest => core::mem::size_of::<EmptyPacketRecord>(),
        }
    }

    /// Writes the packet at the start of `out` and returns the bytes written.
    /// The length field is computed from the content, so records whose header
    /// was tampered with are still framed correctly.
    ///
    /// ```
    /// use rtes_gateway::soupbin::Packet;
    /// let mut out = [0u8; 16];
    /// let written = Packet::UnsequencedData(b"hi").encode_into(&mut out).unwrap();
    /// assert_eq!(&out[..written], b"\x00\x03Uhi");
    /// ```
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, SoupError> {
        let total = self.encoded_len();
        if total - 2 > usize::from(u16::MAX) {
            return Err(SoupError::PayloadTooLong {
                length: total - HEADER_LEN,
            });
        }
        if out.len() < total {
            return Err(SoupError::BufferTooSmall {
                needed: total,
                available: out.len(),
            });
        }
        let out = &mut out[..total];
        match self {
            Packet::Debug(payload)
            | Packet::SequencedData(payload)
            | Packet::UnsequencedData(payload) => {
                out[HEADER_LEN..].copy_from_slice(payload);
            }
            Packet::LoginAccepted(record) => out.copy_from_slice(record.as_bytes()),
            Packet::LoginRejected(record) => out.copy_from_slice(record.as_bytes()),
            Packet::LoginRequest {
                login,
                heartbeat_timeout,
            } => {
                let (head, tail) = out.split_at_mut(core::mem::size_of::<LoginRequestRecord>());
                head.copy_from_slice(login.as_bytes());
                if let Some(timeout) = heartbeat_timeout {
                    tail.copy_from_slice(&timeout[..]);
                }
            }
            Packet::ServerHeartbeat
            | Packet::EndOfSession
            | Packet::ClientHeartbeat
            | Packet::LogoutRequest => {}
        }
        write_header(out, self.packet_type(), total - HEADER_LEN)?;
        Ok(total)
    }
}

/// Writes a packet header for `packet_type` and `payload_len` bytes of
/// payload at the start of `out`, so a caller can encode an application
/// message straight into `out[HEADER_LEN..]` without a copy.
///
/// ```
/// use rtes_gateway::soupbin::{write_header, HEADER_LEN};
/// let mut out = [0u8; 8];
/// write_header(&mut out, b'S', 5).unwrap();
/// assert_eq!(&out[..HEADER_LEN], b"\x00\x06S");
/// ```
pub fn write_header(out: &mut [u8], packet_type: u8, payload_len: usize) -> Result<(), SoupError> {
    let length = u16::try_from(payload_len + 1).map_err(|_| SoupError::PayloadTooLong {
        length: payload_len,
    })?;
    if out.len() < HEADER_LEN {
        return Err(SoupError::BufferTooSmall {
            needed: HEADER_LEN,
            available: out.len(),
        });
    }
    out[..2].copy_from_slice(&length.to_be_bytes());
    out[2] = packet_type;
    Ok(())
}

/// Parses one complete frame: `frame` is exactly one packet, length field
/// included, whose length field already agrees with `frame.len()`.
pub(crate) fn parse_frame(frame: &[u8]) -> Result<Packet<'_>, SoupError> {
    debug_assert!(frame.len() >= HEADER_LEN);
    debug_assert_eq!(
        usize::from(u16::from_be_bytes([frame[0], frame[1]])) + 2,
        frame.len()
    );
    let kind = frame[2];
    let length = (frame.len() - 2) as u16;
    let payload = &frame[HEADER_LEN..];
    let expect = |expected: u16| {
        if length == expected {
            Ok(())
        } else {
            Err(SoupError::WrongLength {
                packet_type: kind,
                length,
                expected,
            })
        }
    };
    let packet = match kind {
        packet_type::DEBUG => Packet::Debug(payload),
        packet_type::SEQUENCED_DATA => Packet::SequencedData(payload),
        packet_type::UNSEQUENCED_DATA => Packet::UnsequencedData(payload),
        packet_type::LOGIN_ACCEPTED => {
            expect(packet_length::LOGIN_ACCEPTED)?;
            Packet::LoginAccepted(view(frame)?)
        }
        packet_type::LOGIN_REJECTED => {
            expect(packet_length::LOGIN_REJECTED)?;
            Packet::LoginRejected(view(frame)?)
        }
        packet_type::LOGIN_REQUEST => parse_login_request(frame, length)?,
        packet_type::SERVER_HEARTBEAT
        | packet_type::END_OF_SESSION
        | packet_type::CLIENT_HEARTBEAT
        | packet_type::LOGOUT_REQUEST => {
            expect(packet_length::EMPTY)?;
            empty_packet(kind)
        }
        _ => return Err(SoupError::UnknownType { packet_type: kind }),
    };
    Ok(packet)
}

fn parse_login_request(frame: &[u8], length: u16) -> Result<Packet<'_>, SoupError> {
    match length {
        packet_length::LOGIN_REQUEST => Ok(Packet::LoginRequest {
            login: view(frame)?,
            heartbeat_timeout: None,
        }),
        packet_length::LOGIN_REQUEST_WITH_TIMEOUT => {
            let record: &LoginRequestWithTimeoutRecord = view(frame)?;
            Ok(Packet::LoginRequest {
                login: &record.login,
                heartbeat_timeout: Some(&record.heartbeat_timeout),
            })
        }
        _ => Err(SoupError::WrongLength {
            packet_type: packet_type::LOGIN_REQUEST,
            length,
            expected: packet_length::LOGIN_REQUEST,
        }),
    }
}

fn empty_packet(kind: u8) -> Packet<'static> {
    match kind {
        packet_type::SERVER_HEARTBEAT => Packet::ServerHeartbeat,
        packet_type::END_OF_SESSION => Packet::EndOfSession,
        packet_type::CLIENT_HEARTBEAT => Packet::ClientHeartbeat,
        _ => Packet::LogoutRequest,
    }
}

/// Views `frame` as record `T`; the length was checked by the caller, so a
/// failure here is a bug in the length tables, reported rather than panicking.
fn view<T: FromBytes + zerocopy::KnownLayout + zerocopy::Immutable>(
    frame: &[u8],
) -> Result<&T, SoupError> {
    T::ref_from_bytes(frame).map_err(|_| SoupError::WrongLength {
        packet_type: frame[2],
        length: (frame.len() - 2) as u16,
        expected: (core::mem::size_of::<T>() - 2) as u16,
    })
}
