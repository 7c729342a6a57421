//! Time-driven rules, QuickFIX's timing: a Heartbeat after HeartBtInt of
//! our silence; a TestRequest after 1.2 × HeartBtInt of theirs; disconnect
//! after 2.4 × HeartBtInt of theirs (one more 1.2 × HeartBtInt after the
//! TestRequest). Before logon the logon timeout applies, after our Logout
//! the logout timeout.

use super::core::{Core, Io};
use super::{DisconnectReason, SessionHandler, SessionState, SessionStore, StoreFailure};

/// 1.2 × HeartBtInt, in integer arithmetic.
fn test_request_after_ns(heartbeat_interval_ns: u64) -> u64 {
    heartbeat_interval_ns * 6 / 5
}

/// 2.4 × HeartBtInt.
fn silence_limit_ns(heartbeat_interval_ns: u64) -> u64 {
    heartbeat_interval_ns * 12 / 5
}

impl<S: SessionStore> Core<S> {
    /// Runs whatever is due at `io.now`.
    pub(super) fn on_timer<H: SessionHandler<S>>(&mut self, io: &mut Io<'_, H>) {
        if let Err(error) = self.run_timers(io) {
            self.store_failed(error, io.handler);
        }
    }

    fn run_timers<H: SessionHandler<S>>(&mut self, io: &mut Io<'_, H>) -> Result<(), StoreFailure> {
        let now_ns = io.now.monotonic_ns;
        match self.state {
            SessionState::AwaitingLogon | SessionState::LogonPending => {
                if now_ns.saturating_sub(self.connected_at_ns) >= self.settings.logon_timeout_ns {
                    self.disconnect(DisconnectReason::LogonTimeout, io.handler);
                }
            }
            SessionState::LogoutSent => {
                if now_ns.saturating_sub(self.logout_sent_at_ns) >= self.settings.logout_timeout_ns
                {
                    self.disconnect(DisconnectReason::LogoutTimeout, io.handler);
                }
            }
            SessionState::Active => self.heartbeat_timers(io)?,
            SessionState::Disconnected | SessionState::Disconnecting => {}
        }
        Ok(())
    }

    fn heartbeat_timers<H: SessionHandler<S>>(
        &mut self,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let interval = self.heartbeat_interval_ns;
        let now_ns = io.now.monotonic_ns;
        let received_silence = now_ns.saturating_sub(self.last_received_ns);
        let sent_silence = now_ns.saturating_sub(self.outbound.last_sent_ns);
        if received_silence >= silence_limit_ns(interval) {
            self.disconnect(DisconnectReason::HeartbeatTimeout, io.handler);
        } else if received_silence >= test_request_after_ns(interval) && !self.test_request_pending
        {
            self.test_requests_sent += 1;
            self.outbound
                .test_request(self.test_requests_sent, io.now, io.output)?;
            self.test_request_pending = true;
        } else if sent_silence >= interval && !self.test_request_pending {
            self.outbound.heartbeat(None, io.now, io.output)?;
        }
        Ok(())
    }

    /// When `on_timer` next has something to do (monotonic ns).
    pub(super) fn next_deadline_ns(&self) -> Option<u64> {
        match self.state {
            SessionState::AwaitingLogon | SessionState::LogonPending => {
                Some(self.connected_at_ns + self.settings.logon_timeout_ns)
            }
            SessionState::LogoutSent => {
                Some(self.logout_sent_at_ns + self.settings.logout_timeout_ns)
            }
            SessionState::Active => {
                let interval = self.heartbeat_interval_ns;
                let deadline = if self.test_request_pending {
                    self.last_received_ns + silence_limit_ns(interval)
                } else {
                    (self.outbound.last_sent_ns + interval)
                        .min(self.last_received_ns + test_request_after_ns(interval))
                };
                Some(deadline)
            }
            SessionState::Disconnected | SessionState::Disconnecting => None,
        }
    }
}
