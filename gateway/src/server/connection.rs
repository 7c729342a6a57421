//! One TCP connection: its buffers, login state and timers.

use std::io::{self, Read, Write};

use mio::net::TcpStream;

/// Where a connection is in the SoupBinTCP session life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginState {
    /// Connected; only a Login Request is acceptable.
    AwaitingLogin,
    /// Logged in as `users[index]`.
    LoggedIn(usize),
}

/// Why a connection is being closed (logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed the socket.
    PeerClosed,
    /// The peer sent a Logout Request.
    Logout,
    /// Socket error.
    IoError,
    /// Nothing received for the idle timeout.
    IdleTimeout,
    /// No Login Request in time.
    LoginTimeout,
    /// Login rejected.
    LoginRejected,
    /// A frame that breaks the protocol.
    ProtocolError,
    /// The client did not read its replies fast enough.
    SlowConsumer,
    /// Sustained excess message rate.
    Throttled,
    /// The server is shutting down.
    Shutdown,
}

/// What [`Connection::read_round`] found.
#[derive(Debug)]
pub enum ReadOutcome {
    /// The peer closed the connection.
    Closed,
    /// Bytes arrived; `filled` when they filled the buffer (the socket may
    /// hold more: read again next round).
    Read {
        /// The read took all the buffer's room.
        filled: bool,
    },
    /// Nothing to read now.
    Nothing,
    /// The read failed.
    Failed(io::Error),
}

/// Connection state.
#[derive(Debug)]
pub struct Connection {
    /// The socket.
    pub stream: TcpStream,
    /// Peer address, for logs.
    pub peer: std::net::SocketAddr,
    /// Session state.
    pub login: LoginState,
    /// Received bytes not yet decoded: `read_buffer[..read_len]`.
    pub read_buffer: Box<[u8]>,
    /// Valid bytes in `read_buffer`.
    pub read_len: usize,
    /// Bytes waiting to be written: `write_buffer[write_pos..]`.
    pub write_buffer: Vec<u8>,
    /// First unwritten byte.
    pub write_pos: usize,
    /// Next sequence number to send from the user's store.
    pub send_cursor: u64,
    /// Last time anything arrived.
    pub last_receive_ns: u64,
    /// Last time anything was queued for sending.
    pub last_send_ns: u64,
    /// Connected at.
    pub connected_ns: u64,
    /// Set when the socket must be closed after flushing.
    pub closing: Option<CloseReason>,
    /// Writable interest registered (the socket returned WouldBlock).
    pub waiting_writable: bool,
    /// Input was left unread because the engine ring was full.
    pub input_paused: bool,
    /// Messages refused by the throttle in the current window.
    pub throttled_in_window: u32,
}

impl Connection {
    /// A fresh connection.
    pub fn new(
        stream: TcpStream,
        peer: std::net::SocketAddr,
        read_capacity: usize,
        write_capacity: usize,
        now_ns: u64,
    ) -> Connection {
        Connection {
            stream,
            peer,
            login: LoginState::AwaitingLogin,
            read_buffer: vec![0u8; read_capacity].into_boxed_slice(),
            read_len: 0,
            write_buffer: Vec::with_capacity(write_capacity),
            write_pos: 0,
            send_cursor: 1,
            last_receive_ns: now_ns,
            last_send_ns: now_ns,
            connected_ns: now_ns,
            closing: None,
            waiting_writable: false,
            input_paused: false,
            throttled_in_window: 0,
        }
    }

    /// Bytes queued and not yet written.
    #[inline]
    pub fn pending_write(&self) -> usize {
        self.write_buffer.len() - self.write_pos
    }

    /// Reads what the socket has into the free part of the read buffer.
    /// Returns bytes read; `Ok(0)` with free space means the peer closed.
    pub fn read_some(&mut self) -> io::Result<usize> {
        let free = &mut self.read_buffer[self.read_len..];
        if free.is_empty() {
            return Err(io::Error::other("read buffer full"));
        }
        let read = self.stream.read(free)?;
        self.read_len += read;
        Ok(read)
    }

    /// One read into the free part of the read buffer, retrying EINTR.
    pub fn read_round(&mut self) -> ReadOutcome {
        loop {
            let room = self.read_buffer.len() - self.read_len;
            match self.read_some() {
                Ok(0) => return ReadOutcome::Closed,
                Ok(read) => {
                    return ReadOutcome::Read {
                        filled: read == room,
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    return ReadOutcome::Nothing
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return ReadOutcome::Failed(error),
            }
        }
    }

    /// Drops `consumed` decoded bytes from the front of the read buffer.
    pub fn consume_input(&mut self, consumed: usize) {
        debug_assert!(consumed <= self.read_len);
        self.read_buffer.copy_within(consumed..self.read_len, 0);
        self.read_len -= consumed;
    }

    /// Writes as much queued output as the socket takes. `Ok(true)` when
    /// everything was written.
    pub fn flush(&mut self) -> io::Result<bool> {
        while self.write_pos < self.write_buffer.len() {
            match self.stream.write(&self.write_buffer[self.write_pos..]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(written) => self.write_pos += written,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.write_buffer.clear();
        self.write_pos = 0;
        Ok(true)
    }
}

/// Buffer sizes of the connections a listener accepts.
#[derive(Debug, Clone, Copy)]
pub struct BufferSizes {
    /// Read buffer, bytes.
    pub read: usize,
    /// Initial write buffer capacity, bytes.
    pub write: usize,
}

/// Accepts every pending connection on `listener` into a free slot of
/// `connections`, registered for reading under its slot index; `protocol`
/// prefixes the log lines. Returns when the listener would block.
pub fn accept_pending(
    listener: &mio::net::TcpListener,
    registry: &mio::Registry,
    connections: &mut [Option<Connection>],
    free: &mut Vec<usize>,
    buffers: BufferSizes,
    now_ns: u64,
    protocol: &str,
) {
    loop {
        match listener.accept() {
            Ok((mut stream, peer)) => {
                let Some(index) = free.pop() else {
                    tracing::warn!(%peer, protocol, "connection limit reached, refusing");
                    continue;
                };
                let _ = stream.set_nodelay(true);
                if let Err(error) =
                    registry.register(&mut stream, mio::Token(index), mio::Interest::READABLE)
                {
                    tracing::warn!(%peer, %error, protocol, "register failed");
                    free.push(index);
                    continue;
                }
                tracing::info!(%peer, connection = index, protocol, "connected");
                connections[index] = Some(Connection::new(
                    stream,
                    peer,
                    buffers.read,
                    buffers.write,
                    now_ns,
                ));
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
            Err(error) => {
                tracing::warn!(%error, protocol, "accept failed");
                return;
            }
        }
    }
}
