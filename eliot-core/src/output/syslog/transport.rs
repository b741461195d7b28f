//! The sockets: connecting over TCP, UDP or a unix socket, and sending
//! records over them.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
#[cfg(unix)]
use std::os::unix::net::UnixDatagram;

use super::buffer::State;
use super::builder::Target;
use super::destination::{SyslogDestination, SyslogReport};

/// How many bytes of records go into one TCP write.
const TCP_CHUNK: usize = 64 * 1024;

pub(super) enum Connection {
    Tcp(TcpStream),
    Udp(UdpSocket),
    #[cfg(unix)]
    Unix(UnixDatagram),
}

impl SyslogDestination {
    pub(super) fn connect(&self) -> io::Result<Connection> {
        let config = &self.config;
        match &config.target {
            Target::Tcp(address) => {
                let mut last = None;
                for addr in address.to_socket_addrs()? {
                    match TcpStream::connect_timeout(&addr, config.connect_timeout) {
                        Ok(stream) => {
                            stream.set_write_timeout(Some(config.write_timeout))?;
                            stream.set_nodelay(true)?;
                            return Ok(Connection::Tcp(stream));
                        }
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("{address} has no address"))
                }))
            }
            Target::Udp(address) => {
                let addr = address.to_socket_addrs()?.next().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("{address} has no address"))
                })?;
                let local = if addr.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                let socket = UdpSocket::bind(local)?;
                socket.connect(addr)?;
                socket.set_write_timeout(Some(config.write_timeout))?;
                Ok(Connection::Udp(socket))
            }
            #[cfg(unix)]
            Target::Unix(path) => {
                let socket = UnixDatagram::unbound()?;
                socket.connect(path)?;
                socket.set_write_timeout(Some(config.write_timeout))?;
                Ok(Connection::Unix(socket))
            }
        }
    }

    /// Sends pending records (a chunk of them over TCP); pops those sent.
    pub(super) fn send_some(&self, state: &mut State) -> io::Result<()> {
        let State {
            connection,
            pending,
            report,
            ..
        } = state;
        match connection {
            Some(Connection::Tcp(stream)) => {
                let mut chunk = Vec::with_capacity(TCP_CHUNK);
                let mut ends = Vec::new();
                for record in pending.iter() {
                    if !chunk.is_empty() && chunk.len() + record.len() > TCP_CHUNK {
                        break;
                    }
                    chunk.extend_from_slice(record);
                    ends.push(chunk.len());
                }
                let mut written = 0;
                let result = loop {
                    if written == chunk.len() {
                        break Ok(());
                    }
                    match stream.write(&chunk[written..]) {
                        Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => written += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                // Records written whole are the socket's now; a record cut
                // by an error is sent again, whole, on the next connection.
                let sent = ends.iter().take_while(|&&end| end <= written).count();
                pending.drain(..sent);
                report.sent += sent as u64;
                result
            }
            Some(Connection::Udp(socket)) => send_datagrams(pending, report, |d| socket.send(d)),
            #[cfg(unix)]
            Some(Connection::Unix(socket)) => send_datagrams(pending, report, |d| socket.send(d)),
            None => Ok(()),
        }
    }
}

/// Sends datagrams until one fails; a datagram too large for the socket is
/// dropped (it could never be sent) and counted.
pub(super) fn send_datagrams(
    pending: &mut VecDeque<Vec<u8>>,
    report: &mut SyslogReport,
    mut send: impl FnMut(&[u8]) -> io::Result<usize>,
) -> io::Result<()> {
    while let Some(record) = pending.front() {
        match send(record) {
            Ok(_) => report.sent += 1,
            Err(e) if is_too_large(&e) => {
                eprintln!(
                    "eliot: a syslog datagram of {} octets is too large for the socket; dropped \
                     (lower max_message_size)",
                    record.len()
                );
                report.dropped += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        pending.pop_front();
    }
    Ok(())
}

/// Whether `error` is `EMSGSIZE`: a datagram larger than the socket can
/// send. The standard library has no `ErrorKind` for it, and its number
/// differs between systems; elsewhere such a datagram fails like any other
/// send (and is retried, then dropped by the buffer's limits).
pub(super) fn is_too_large(error: &io::Error) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const EMSGSIZE: Option<i32> = Some(90);
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd",
        target_os = "dragonfly"
    ))]
    const EMSGSIZE: Option<i32> = Some(40);
    // WSAEMSGSIZE.
    #[cfg(windows)]
    const EMSGSIZE: Option<i32> = Some(10040);
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd",
        target_os = "dragonfly",
        windows
    )))]
    const EMSGSIZE: Option<i32> = None;
    EMSGSIZE.is_some() && error.raw_os_error() == EMSGSIZE
}

/// Err if the peer has closed the connection (or it broke); never blocks.
pub(super) fn peer_closed(stream: &TcpStream) -> io::Result<()> {
    stream.set_nonblocking(true)?;
    let mut byte = [0u8; 1];
    let result = match stream.peek(&mut byte) {
        Ok(0) => Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the server closed the connection",
        )),
        // Syslog servers send nothing; if one does, it is still there.
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e),
    };
    stream.set_nonblocking(false)?;
    result
}
