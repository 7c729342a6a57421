//! Opening one session (connect, log in with the run's protocol, hand the
//! socket over) and the little the receiver must tell the sender about it
//! afterwards ([`SessionLink`]).

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};

use super::config::{Config, Protocol};
use super::fix;
use super::ouch;
use super::protocol::{SessionEncoder, SessionReader};

/// Receive buffer per session: big, so one `read` takes a whole burst.
pub const RECEIVE_BUFFER_BYTES: usize = 1 << 20;

/// A logged-in session, socket still blocking.
#[derive(Debug)]
pub struct LoggedIn {
    /// The connection (TCP_NODELAY set).
    pub stream: TcpStream,
    /// The receiving side, holding whatever arrived after the login.
    pub reader: SessionReader,
    /// The sending side.
    pub encoder: SessionEncoder,
    /// Username or SenderCompID, for reports.
    pub name: String,
}

/// Connects session `index` of `config` and logs it in within `timeout`.
pub fn login(config: &Config, index: usize, timeout: Duration) -> Result<LoggedIn> {
    let (host, port) = (config.host.as_str(), config.server_port());
    let address = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {host}:{port}"))?
        .next()
        .with_context(|| format!("{host}:{port} resolves to nothing"))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to {address} ({})", config.protocol))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(timeout))?;
    let (reader, encoder) = match config.protocol {
        Protocol::Ouch => {
            let user = &config.users[index];
            let decoder = ouch::login(&mut stream, user, RECEIVE_BUFFER_BYTES, timeout)?;
            (SessionReader::Ouch(decoder), SessionEncoder::Ouch)
        }
        Protocol::Fix => {
            let (outbound, reader) = fix::login(
                &mut stream,
                &config.fix_sessions[index],
                &config.fix_target_comp_id,
                config.fix_heartbeat_s,
                RECEIVE_BUFFER_BYTES,
                timeout,
            )?;
            (SessionReader::Fix(reader), SessionEncoder::Fix(outbound))
        }
    };
    stream.set_read_timeout(None)?;
    Ok(LoggedIn {
        stream,
        reader,
        encoder,
        name: config.session_name(index).to_string(),
    })
}

/// What the sender and the receiver tell each other about one session:
/// that it is over and why, and which FIX TestRequest to answer. Both are
/// rare, so the sender pays two atomic loads per session per round and
/// the locks are taken only when something happened.
#[derive(Debug)]
pub struct SessionLink {
    closed: AtomicBool,
    reason: Mutex<Option<String>>,
    test_request_pending: AtomicBool,
    test_request_id: Mutex<Vec<u8>>,
}

impl Default for SessionLink {
    fn default() -> Self {
        SessionLink {
            closed: AtomicBool::new(false),
            reason: Mutex::new(None),
            test_request_pending: AtomicBool::new(false),
            test_request_id: Mutex::new(Vec::with_capacity(fix::TEST_REQUEST_ID_MAX)),
        }
    }
}

impl SessionLink {
    /// Receiver: the session is over because of what the server said or
    /// did; this reason replaces the sender's (a failed write is usually
    /// the consequence of the server closing, not the cause).
    ///
    /// ```
    /// use rtes_tools::blaster::session::SessionLink;
    /// let link = SessionLink::default();
    /// link.close_from_sender("sending failed: Broken pipe".into());
    /// link.close_from_receiver("venue logged out: bye".into());
    /// link.close_from_sender("sending failed again".into());
    /// assert!(link.is_closed());
    /// assert_eq!(link.reason().as_deref(), Some("venue logged out: bye"));
    /// ```
    pub fn close_from_receiver(&self, why: String) {
        *self.reason.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        self.closed.store(true, Ordering::Release);
    }

    /// Sender: the session is over because writing to it failed; the
    /// receiver's reason, when it has one, wins.
    pub fn close_from_sender(&self, why: String) {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(why);
        self.closed.store(true, Ordering::Release);
    }

    /// Why the session closed, if it did.
    pub fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Receiver: asks the sender to answer a TestRequest (a newer one
    /// replaces an unanswered older one; the venue only needs to hear from us).
    ///
    /// ```
    /// use rtes_tools::blaster::session::SessionLink;
    /// let link = SessionLink::default();
    /// let mut id = Vec::new();
    /// assert!(!link.take_test_request(&mut id));
    /// link.post_test_request(b"TEST-1");
    /// assert!(link.take_test_request(&mut id));
    /// assert_eq!(id, b"TEST-1");
    /// assert!(!link.take_test_request(&mut id), "answered once");
    /// ```
    pub fn post_test_request(&self, id: &[u8]) {
        let id = &id[..id.len().min(fix::TEST_REQUEST_ID_MAX)];
        let mut slot = self
            .test_request_id
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        slot.clear();
        slot.extend_from_slice(id);
        self.test_request_pending.store(true, Ordering::Release);
    }

    /// Sender: copies the TestReqID waiting for its Heartbeat into `id`;
    /// false when none waits.
    pub fn take_test_request(&self, id: &mut Vec<u8>) -> bool {
        if !self.test_request_pending.load(Ordering::Acquire) {
            return false;
        }
        let slot = self
            .test_request_id
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.test_request_pending.store(false, Ordering::Release);
        id.clear();
        id.extend_from_slice(&slot);
        true
    }
}
