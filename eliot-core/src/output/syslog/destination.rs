//! The destination: its public face, and the [`Destination`] calls that
//! buffer messages and send what the connection takes.

use std::fmt;
use std::io::{self, Write};
#[cfg(unix)]
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::buffer::State;
use super::builder::{SyslogBuilder, Target};
use super::transport::Connection;
use crate::destination::{Destination, DestinationError};
use crate::message::Message;

/// Sends Eliot messages to a syslog server; see the [module docs](crate::syslog).
pub struct SyslogDestination {
    pub(super) config: SyslogBuilder,
    /// `" HOSTNAME APP-NAME PROCID MSGID - "`, the same for every message.
    pub(super) header_tail: String,
    pub(super) state: Mutex<State>,
}

/// What a [`SyslogDestination`] did so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SyslogReport {
    /// Messages handed to the socket (including `eliot:messages_dropped`
    /// notices).
    pub sent: u64,
    /// Messages waiting in the buffer for the server.
    pub buffered: usize,
    /// Messages dropped because the buffer was full (or because the socket
    /// refused their size).
    pub dropped: u64,
    /// Messages shortened to fit the maximum message size.
    pub truncated: u64,
    /// Connections made.
    pub connects: u64,
    /// Connection attempts and writes that failed.
    pub failures: u64,
}

impl SyslogDestination {
    /// To a syslog server over TCP (`"host:port"`), with octet-counted
    /// framing (RFC 6587).
    pub fn tcp(address: impl Into<String>) -> SyslogBuilder {
        SyslogBuilder::new(Target::Tcp(address.into()))
    }

    /// To a syslog server over UDP (`"host:port"`, RFC 5426). UDP cannot
    /// tell whether a message arrived: messages sent while the server is
    /// down are lost without a trace (at most the next send fails, when
    /// the server's host answered with "port unreachable").
    pub fn udp(address: impl Into<String>) -> SyslogBuilder {
        SyslogBuilder::new(Target::Udp(address.into()))
    }

    /// To a local syslog daemon's unix datagram socket, such as `/dev/log`
    /// or an rsyslog `imuxsock` input.
    #[cfg(unix)]
    pub fn unix(path: impl Into<PathBuf>) -> SyslogBuilder {
        SyslogBuilder::new(Target::Unix(path.into()))
    }

    /// What it did so far.
    pub fn report(&self) -> SyslogReport {
        let state = self.lock();
        SyslogReport {
            buffered: state.pending.len(),
            ..state.report
        }
    }

    /// Connects now if not connected, ignoring the backoff; an error says
    /// why the server cannot be reached (a check for program start-up).
    pub fn try_connect(&self) -> io::Result<()> {
        let mut state = self.lock();
        if state.connection.is_none() {
            let connection = self.connect()?;
            state.connection = Some(connection);
            state.report.connects += 1;
        }
        Ok(())
    }

    /// Sends what is buffered, retrying until the buffer is empty or
    /// `timeout` has passed; what is still buffered then is in the report.
    /// Call it before the process exits (after stopping the
    /// `ThreadedWriter` in front of it).
    pub fn deliver(&self, timeout: Duration) -> SyslogReport {
        let deadline = Instant::now() + timeout;
        loop {
            let wait = {
                let mut state = self.lock();
                self.pump(&mut state);
                if state.pending.is_empty() && state.gap.is_none() {
                    break;
                }
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let next = state.next_attempt.unwrap_or(now).max(now);
                (next.min(deadline) - now).max(Duration::from_millis(1))
            };
            std::thread::sleep(wait.min(Duration::from_millis(50)));
        }
        self.report()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Destination for SyslogDestination {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_batch(std::slice::from_ref(message))
    }

    /// Buffers the batch and sends what the connection takes. Never fails:
    /// what cannot be sent stays buffered, and what the buffer cannot hold
    /// is counted and reported in the stream.
    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        let mut state = self.lock();
        // Older messages first: make room before buffering new ones.
        if !state.pending.is_empty() || state.gap.is_some() {
            self.pump(&mut state);
        }
        for message in messages {
            if state.pending.len() >= self.config.buffer_capacity {
                self.pump(&mut state);
            }
            self.enqueue(&mut state, message);
        }
        self.pump(&mut state);
        Ok(())
    }

    fn flush(&self) -> Result<(), DestinationError> {
        let mut state = self.lock();
        self.pump(&mut state);
        if let Some(Connection::Tcp(stream)) = &mut state.connection {
            let _ = stream.flush();
        }
        Ok(())
    }
}

impl Drop for SyslogDestination {
    fn drop(&mut self) {
        let mut state = self.lock();
        state.next_attempt = None;
        self.pump(&mut state);
        let lost = state.pending.len() as u64 + state.gap.map_or(0, |g| g.0);
        if lost > 0 {
            eprintln!(
                "eliot: {lost} message(s) for the syslog server at {} were never delivered \
                 (it was unreachable when the destination was dropped)",
                self.config.target
            );
        }
    }
}

impl fmt::Debug for SyslogDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyslogDestination")
            .field("target", &self.config.target.to_string())
            .field("report", &self.report())
            .finish_non_exhaustive()
    }
}
