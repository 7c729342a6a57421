//! Loopback UDP sockets for the feed (socket2): the multicast sender, the
//! multicast receiver and unicast servers. RTES publishes on loopback only:
//! every function here refuses a non-loopback interface.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};

fn require_loopback(interface: Ipv4Addr) -> io::Result<()> {
    if interface.is_loopback() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("interface {interface} is not loopback: RTES multicasts on loopback only"),
        ))
    }
}

fn udp_socket() -> io::Result<Socket> {
    Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
}

/// A non-blocking multicast sender bound to `interface:0`, sending through
/// `interface` (IP_MULTICAST_IF) with `ttl`, loopback delivery on so local
/// subscribers receive it. Returns the socket and the group address to send
/// to: a group port of 0 takes the sender's own ephemeral port number, so
/// tests get a free port without a fixed number.
pub fn multicast_sender(
    interface: Ipv4Addr,
    group: SocketAddrV4,
    ttl: u32,
) -> io::Result<(UdpSocket, SocketAddrV4)> {
    require_loopback(interface)?;
    if !group.ip().is_multicast() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a multicast group", group.ip()),
        ));
    }
    let socket = udp_socket()?;
    socket.set_multicast_if_v4(&interface)?;
    socket.set_multicast_ttl_v4(ttl)?;
    socket.set_multicast_loop_v4(true)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(interface, 0)).into())?;
    socket.set_nonblocking(true)?;
    let socket: UdpSocket = socket.into();
    let port = match group.port() {
        0 => socket.local_addr()?.port(),
        port => port,
    };
    Ok((socket, SocketAddrV4::new(*group.ip(), port)))
}

/// A non-blocking receiver joined to `group` on `interface`. It binds the
/// group address itself (so it gets only this group's datagrams) with
/// SO_REUSEADDR so several subscribers on one host can listen.
pub fn multicast_receiver(group: SocketAddrV4, interface: Ipv4Addr) -> io::Result<UdpSocket> {
    require_loopback(interface)?;
    let socket = udp_socket()?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::V4(group).into())?;
    socket.join_multicast_v4(group.ip(), &interface)?;
    // Room for bursts: the subscriber is not on a hot path but must not
    // lose packets to a small default buffer while it builds books.
    let _ = socket.set_recv_buffer_size(4 << 20);
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// A non-blocking UDP socket bound to `address` (the re-request server, or
/// a client's request socket with port 0).
pub fn udp_bound(address: SocketAddr) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(address)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// True for the error a non-blocking socket returns when it has nothing.
pub fn would_block(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::WouldBlock
}
