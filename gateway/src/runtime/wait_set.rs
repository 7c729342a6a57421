//! Sleeping on several agents' event sources at once, for shared mode.
//!
//! Each network agent owns a mio `Poll` (an epoll instance). An epoll file
//! descriptor is itself readable while it has events ready, so a parent
//! epoll watching the children's descriptors wakes as soon as any agent has
//! socket work: the one shared thread can block until there is work for any
//! of them, rather than in one agent's poll while another's sockets wait.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// Most children one set watches.
const CHILDREN_MAX: usize = 16;

/// A level-triggered epoll over other agents' epoll descriptors.
#[derive(Debug)]
pub struct WaitSet {
    epoll_fd: RawFd,
}

impl WaitSet {
    /// Watches every descriptor in `children` for readability.
    pub fn new(children: &[RawFd]) -> io::Result<WaitSet> {
        assert!(children.len() <= CHILDREN_MAX, "too many agents to wait on");
        // SAFETY: epoll_create1 takes no pointers; the result is checked.
        let epoll_fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epoll_fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let set = WaitSet { epoll_fd };
        for (index, child) in children.iter().enumerate() {
            let mut event = libc::epoll_event {
                events: libc::EPOLLIN as u32,
                u64: index as u64,
            };
            // SAFETY: `event` is a valid, initialised epoll_event that lives
            // across the call; both descriptors are open.
            let result =
                unsafe { libc::epoll_ctl(epoll_fd, libc::EPOLL_CTL_ADD, *child, &mut event) };
            if result < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(set)
    }

    /// Blocks until a child has events or `timeout` passes (rounded up to
    /// whole milliseconds, epoll's resolution). True if a child is ready.
    pub fn wait(&self, timeout: Duration) -> bool {
        let timeout_ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; CHILDREN_MAX];
        // SAFETY: `events` is a writable array of CHILDREN_MAX epoll_events
        // and CHILDREN_MAX is passed as its length.
        let ready = unsafe {
            libc::epoll_wait(
                self.epoll_fd,
                events.as_mut_ptr(),
                CHILDREN_MAX as i32,
                timeout_ms,
            )
        };
        ready > 0
    }
}

impl Drop for WaitSet {
    fn drop(&mut self) {
        // SAFETY: the descriptor was created by this set and is closed once.
        unsafe {
            libc::close(self.epoll_fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::time::Instant;

    #[test]
    fn wakes_when_any_child_poll_has_an_event() {
        let mut polls = Vec::new();
        let mut listeners = Vec::new();
        for token in 0..2 {
            let poll = mio::Poll::new().unwrap();
            let mut listener = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            poll.registry()
                .register(&mut listener, mio::Token(token), mio::Interest::READABLE)
                .unwrap();
            polls.push(poll);
            listeners.push(listener);
        }
        let fds: Vec<RawFd> = polls.iter().map(|poll| poll.as_raw_fd()).collect();
        let set = WaitSet::new(&fds).unwrap();
        let started = Instant::now();
        assert!(!set.wait(Duration::from_millis(20)), "nothing ready yet");
        assert!(started.elapsed() >= Duration::from_millis(15));

        // A connection to the second agent's listener wakes the set.
        let mut client = std::net::TcpStream::connect(listeners[1].local_addr().unwrap()).unwrap();
        client.write_all(b"x").unwrap();
        let started = Instant::now();
        assert!(set.wait(Duration::from_secs(5)));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
