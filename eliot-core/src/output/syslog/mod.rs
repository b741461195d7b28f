//! A syslog destination: each Eliot message as one RFC 5424 message, over a
//! unix datagram socket, UDP (RFC 5426), or TCP with octet-counted framing
//! (RFC 6587), e.g. to a local or central `rsyslogd`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use eliot_core::{log_message, ThreadedWriter};
//! use eliot_core::syslog::{Facility, SyslogDestination};
//!
//! let syslog = Arc::new(
//!     SyslogDestination::tcp("127.0.0.1:514").facility(Facility::Local0).app_name("shop").build(),
//! );
//! let writer = ThreadedWriter::new(syslog.clone()); // callers never wait for the network
//! writer.start()?;
//! log_message!("shop:started");
//! writer.stop()?;
//! let report = syslog.deliver(std::time::Duration::from_secs(2)); // before exit
//! assert_eq!(report.buffered, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The messages
//!
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`, where
//!
//! - PRI is the facility (default `user`) and a severity taken from the
//!   message like Python Eliot's journald destination does: `err` for a
//!   failed action's end and for `eliot:traceback`, `warning` for Eliot's own
//!   reports of lost messages and failing destinations, `info` otherwise;
//! - TIMESTAMP is the Eliot message's own `timestamp` (when it happened, not
//!   when it was sent), in UTC with microseconds;
//! - HOSTNAME, APP-NAME (default: the executable's name), PROCID (the process
//!   id) and MSGID (default `eliot`) are restricted to printable ASCII and
//!   shortened to the lengths RFC 5424 allows;
//! - there is no structured data (`-`), and MSG is the Eliot JSON line as
//!   is: UTF-8 without a byte order mark (RFC 5424's `MSG-ANY`), because
//!   receivers that keep a BOM would put it in front of the JSON.
//!
//! Over TCP each message is framed as `LEN SP MSG` (RFC 6587 octet
//! counting), so nothing in a message can split it; over UDP and unix
//! sockets each message is one datagram.
//!
//! # Oversized messages
//!
//! RFC 5424 sets no upper limit but lets each receiver have one (receivers
//! must accept 480 octets and should accept 2048); a receiver that gets a
//! longer message should truncate it at its end, or may discard it
//! (section 6.1). rsyslog truncates at its `maxMessageSize`, 8 KiB by
//! default. A truncated Eliot line is no longer JSON and its task can never be
//! complete, so this destination does not leave it to the receiver: with a
//! maximum size known ([`SyslogBuilder::max_message_size`]; by default 8192
//! octets over TCP and unix sockets, 2048 over UDP), a message that would be
//! longer is sent as a shortened, valid Eliot message instead: the same
//! `timestamp`, `task_uuid`, `task_level`, `message_type` or `action_type`
//! and `action_status` (and `exception` for a failure), so the tree stays
//! complete, with an `eliot:truncated` field holding the original size, the
//! maximum, and the start of the original line as a string. Only if even that
//! does not fit (an absurdly long action type, or a tiny maximum) is the
//! message truncated at its end, as RFC 5424 says a receiver would, at a
//! UTF-8 character boundary. Both are counted in
//! [`SyslogReport::truncated`].
//!
//! # Failures
//!
//! The destination never blocks its caller for long and never fails it. It
//! connects lazily, with a bounded [`connect_timeout`](SyslogBuilder::connect_timeout)
//! and [`write_timeout`](SyslogBuilder::write_timeout). When the server
//! refuses, resets, disappears or stalls, the connection is dropped and
//! messages are kept in a bounded buffer
//! ([`buffer_capacity`](SyslogBuilder::buffer_capacity) messages) while it
//! retries with exponential backoff ([`backoff`](SyslogBuilder::backoff));
//! between retries a write only appends to the buffer. When the buffer is
//! full, newer messages are dropped and counted, and as soon as there is
//! room again an `eliot:messages_dropped` message (its own one-message task,
//! with `dropped`, `capacity`, `reason`, and the `first_timestamp` and
//! `last_timestamp` of the dropped messages) goes into the stream exactly
//! where the gap is. The start and end of each outage are reported on
//! stderr, and [`SyslogDestination::report`] counts everything.
//!
//! Buffered messages are sent with the next write or flush after the
//! backoff has passed; [`SyslogDestination::deliver`] waits (bounded) for
//! them, e.g. before the process exits. Dropping the destination makes one
//! last attempt and says on stderr how many messages were never delivered.
//!
//! Before each write over TCP the connection is checked for a peer that has
//! closed it, so a server restart loses nothing that was written after the
//! old server closed its end. What TCP cannot tell is whether bytes the
//! kernel accepted were read by the server before it went away: a server
//! killed with unread data in its socket loses that data. For guaranteed
//! delivery, send to a local relay (an edge rsyslogd over its unix socket)
//! and let it forward with a disk-assisted queue; see `scripts/rsyslog/`.
//!
//! The destination blocks on I/O, bounded by the timeouts above; run it
//! behind a [`ThreadedWriter`](crate::ThreadedWriter), which batches, so
//! logging callers never wait for the network.

mod buffer;
mod builder;
mod destination;
mod format;
mod transport;

use std::time::Duration;

use crate::message::Message;
use format::Head;

pub use builder::SyslogBuilder;
pub use destination::{SyslogDestination, SyslogReport};

/// Default [`SyslogBuilder::buffer_capacity`]: messages kept while the
/// server is unreachable.
pub const DEFAULT_BUFFER_CAPACITY: usize = 10_000;

/// Default maximum message size over TCP and unix sockets: rsyslog's default
/// `maxMessageSize`, and what RFC 5425 says receivers should accept.
pub const DEFAULT_MAX_STREAM_MESSAGE: usize = 8192;

/// Default maximum message size over UDP: what RFC 5426 says receivers
/// should accept.
pub const DEFAULT_MAX_UDP_MESSAGE: usize = 2048;

/// Default [`SyslogBuilder::connect_timeout`] and
/// [`SyslogBuilder::write_timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// Default first and longest waits between reconnection attempts.
pub const DEFAULT_BACKOFF: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_secs(10));

/// The smallest maximum message size accepted: what RFC 5424 requires every
/// receiver to accept.
pub const MIN_MESSAGE_SIZE: usize = 480;

/// The shortest time between two reports of an outage on stderr.
pub const NOTICE_INTERVAL: Duration = Duration::from_secs(10);

/// Syslog facilities (RFC 5424 section 6.2.1) a program may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Facility {
    /// user-level messages (1), the default
    User,
    /// mail system (2)
    Mail,
    /// system daemons (3)
    Daemon,
    /// security/authorization messages (4)
    Auth,
    /// local use 0 (16)
    Local0,
    /// local use 1 (17)
    Local1,
    /// local use 2 (18)
    Local2,
    /// local use 3 (19)
    Local3,
    /// local use 4 (20)
    Local4,
    /// local use 5 (21)
    Local5,
    /// local use 6 (22)
    Local6,
    /// local use 7 (23)
    Local7,
}

impl Facility {
    /// The facility's number.
    pub fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Mail => 2,
            Facility::Daemon => 3,
            Facility::Auth => 4,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

/// The severities this destination uses (RFC 5424 section 6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Severity {
    /// error conditions (3): failed actions, `eliot:traceback`
    Error,
    /// warning conditions (4): `eliot:messages_dropped`,
    /// `eliot:destination_failure`
    Warning,
    /// informational messages (6): everything else
    Informational,
}

impl Severity {
    /// The severity's number.
    pub fn code(self) -> u8 {
        match self {
            Severity::Error => 3,
            Severity::Warning => 4,
            Severity::Informational => 6,
        }
    }

    /// The severity of an Eliot message, as Python Eliot's journald
    /// destination chooses it (plus warnings for Eliot's own reports).
    ///
    /// ```
    /// use eliot_core::Message;
    /// use eliot_core::syslog::Severity;
    ///
    /// let failed = Message::from_json(r#"{"action_status":"failed","action_type":"a","task_level":[2]}"#)?;
    /// assert_eq!(Severity::of(&failed), Severity::Error);
    /// let note = Message::from_json(r#"{"message_type":"app:note","task_level":[1]}"#)?;
    /// assert_eq!(Severity::of(&note), Severity::Informational);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn of(message: &Message) -> Severity {
        Head::of(message).severity()
    }
}
