//! Appends outbound SoupBinTCP packets to a connection's write buffer.

use crate::soupbin::wire::packet_type;
use crate::soupbin::wire::{LoginAcceptedRecord, LoginRejectedRecord};
use crate::soupbin::{write_header, LoginRejectReason, Packet, HEADER_LEN};

/// Appends `packet` to `out` (a staging array keeps this allocation-free
/// while `out` has capacity).
fn append(out: &mut Vec<u8>, packet: &Packet<'_>) {
    let mut staging = [0u8; 1024];
    let written = packet
        .encode_into(&mut staging)
        .expect("outbound packets fit the staging buffer");
    out.extend_from_slice(&staging[..written]);
}

/// Sequenced Data carrying one application message.
pub fn sequenced(out: &mut Vec<u8>, message: &[u8]) {
    let mut header = [0u8; HEADER_LEN];
    write_header(&mut header, packet_type::SEQUENCED_DATA, message.len())
        .expect("stored OUCH messages are far shorter than a SoupBinTCP packet allows");
    out.extend_from_slice(&header);
    out.extend_from_slice(message);
}

/// Login Accepted.
pub fn login_accepted(out: &mut Vec<u8>, session: &[u8], next_sequence: u64) {
    let record = LoginAcceptedRecord::new(session, next_sequence)
        .expect("session name validated at start-up; sequence fits 20 digits");
    append(out, &Packet::LoginAccepted(&record));
}

/// Login Rejected.
pub fn login_rejected(out: &mut Vec<u8>, reason: LoginRejectReason) {
    let record = LoginRejectedRecord::new(reason);
    append(out, &Packet::LoginRejected(&record));
}

/// Server Heartbeat.
pub fn server_heartbeat(out: &mut Vec<u8>) {
    append(out, &Packet::ServerHeartbeat);
}

/// End of Session.
pub fn end_of_session(out: &mut Vec<u8>) {
    append(out, &Packet::EndOfSession);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_the_spec_layout() {
        let mut out = Vec::new();
        sequenced(&mut out, b"xy");
        server_heartbeat(&mut out);
        end_of_session(&mut out);
        login_rejected(&mut out, LoginRejectReason::SessionNotAvailable);
        assert_eq!(out, b"\x00\x03Sxy\x00\x01H\x00\x01Z\x00\x02JS");
        out.clear();
        login_accepted(&mut out, b"RTES", 7);
        assert_eq!(out.len(), 33);
        assert_eq!(&out[..3], b"\x00\x1fA");
        assert_eq!(&out[3..13], b"RTES      ");
        assert_eq!(&out[13..33], b"                   7");
    }
}
