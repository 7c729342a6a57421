//! Session settings and their defaults.

/// Nanoseconds per second.
const NS_PER_SECOND: u64 = 1_000_000_000;

/// What a Logon's ResetSeqNumFlag (141) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetPolicy {
    /// 141=Y resets both sequence numbers to 1 and the reply carries 141=Y
    /// (QuickFIX's acceptor).
    #[default]
    HonourRequest,
    /// Both sequence numbers go back to 1 at every Logon, whatever 141 says
    /// (QuickFIX's `ResetOnLogon=Y`).
    Always,
    /// 141=Y is refused with a Logout: the session only ever continues.
    Never,
}

/// Who checks a Logon's Username (553) and Password (554).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialCheck {
    /// Nobody: a Logon that passes the session checks is accepted at once.
    None,
    /// The caller: the session reports `SessionEvent::LogonRequest`, stops
    /// reading, and waits for `accept_logon` or `refuse_logon` (a password
    /// hash check takes tens of milliseconds, too long for the session).
    #[default]
    Caller,
}

/// Everything one FIX session is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    /// RTES's CompID: our SenderCompID (49), their TargetCompID (56).
    pub sender_comp_id: String,
    /// The client's CompID: our TargetCompID, their SenderCompID.
    pub target_comp_id: String,
    /// Smallest HeartBtInt (108) accepted, seconds.
    pub heartbeat_min_s: u32,
    /// Largest HeartBtInt accepted, seconds.
    pub heartbeat_max_s: u32,
    /// What ResetSeqNumFlag (141) on a Logon does.
    pub reset_policy: ResetPolicy,
    /// Largest distance between a message's SendingTime (52) and our clock.
    pub sending_time_tolerance_ns: u64,
    /// Disconnect when no Logon arrives (or the caller does not decide on
    /// one) this long after the connection.
    pub logon_timeout_ns: u64,
    /// Disconnect when our Logout is not answered within this.
    pub logout_timeout_ns: u64,
    /// Largest inbound message; a larger one is answered with Logout.
    pub max_message_bytes: usize,
    /// Most fields in an inbound message; more is answered with Logout.
    pub max_fields: usize,
    /// Bytes of messages held while waiting for a gap to be filled; more
    /// is answered with Logout.
    pub max_queued_bytes: usize,
    /// When set, a Logon must carry Username (553) equal to it.
    pub username: Option<String>,
    /// Who checks credentials.
    pub credential_check: CredentialCheck,
}

impl SessionSettings {
    /// Settings with the defaults below for two CompIDs.
    ///
    /// | setting | default |
    /// |---|---|
    /// | HeartBtInt range | 1–300 s |
    /// | reset policy | honour 141=Y |
    /// | SendingTime tolerance | 120 s |
    /// | logon timeout | 10 s |
    /// | logout timeout | 2 s |
    /// | max message | 8,192 bytes, 256 fields |
    /// | max queued | 1 MiB |
    /// | username | none |
    /// | credential check | caller |
    pub fn new(sender_comp_id: &str, target_comp_id: &str) -> SessionSettings {
        SessionSettings {
            sender_comp_id: sender_comp_id.to_owned(),
            target_comp_id: target_comp_id.to_owned(),
            heartbeat_min_s: 1,
            heartbeat_max_s: 300,
            reset_policy: ResetPolicy::default(),
            sending_time_tolerance_ns: 120 * NS_PER_SECOND,
            logon_timeout_ns: 10 * NS_PER_SECOND,
            logout_timeout_ns: 2 * NS_PER_SECOND,
            max_message_bytes: 8192,
            max_fields: 256,
            max_queued_bytes: 1 << 20,
            username: None,
            credential_check: CredentialCheck::default(),
        }
    }

    /// Checks the settings hang together (the config layer calls this and
    /// reports; `Session::new` asserts it).
    pub fn check(&self) -> Result<(), SettingsError> {
        let comp_id_ok = |comp_id: &str| {
            !comp_id.is_empty() && comp_id.bytes().all(|byte| byte.is_ascii_graphic())
        };
        if !comp_id_ok(&self.sender_comp_id) || !comp_id_ok(&self.target_comp_id) {
            return Err(SettingsError::CompId);
        }
        if self.heartbeat_min_s == 0 || self.heartbeat_min_s > self.heartbeat_max_s {
            return Err(SettingsError::HeartbeatRange);
        }
        // A message must at least hold a header; below this every Logon
        // would be refused.
        if self.max_message_bytes < 128 || self.max_fields < 16 {
            return Err(SettingsError::MessageLimits);
        }
        if self.max_queued_bytes < self.max_message_bytes {
            return Err(SettingsError::QueueTooSmall);
        }
        Ok(())
    }
}

/// Why settings were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A CompID is empty or has characters outside printable ASCII.
    #[error("CompIDs must be non-empty printable ASCII")]
    CompId,
    /// The HeartBtInt range is empty or starts at 0.
    #[error("heartbeat range must be 1 <= min <= max seconds")]
    HeartbeatRange,
    /// Message limits too small to hold a Logon.
    #[error("max_message_bytes must be >= 128 and max_fields >= 16")]
    MessageLimits,
    /// The gap queue cannot hold one message.
    #[error("max_queued_bytes must be >= max_message_bytes")]
    QueueTooSmall,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_checks_bite() {
        let settings = SessionSettings::new("RTES", "CLIENT");
        assert_eq!(settings.check(), Ok(()));
        let mut bad = settings.clone();
        bad.heartbeat_min_s = 0;
        assert_eq!(bad.check(), Err(SettingsError::HeartbeatRange));
        let mut bad = settings.clone();
        bad.target_comp_id = "A B".into();
        assert_eq!(bad.check(), Err(SettingsError::CompId));
        let mut bad = settings;
        bad.max_queued_bytes = 10;
        assert_eq!(bad.check(), Err(SettingsError::QueueTooSmall));
    }
}
