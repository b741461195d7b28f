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

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
#[cfg(unix)]
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::destination::{Destination, DestinationError};
use crate::field::Field;
use crate::message::Message;

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

/// How many bytes of records go into one TCP write.
const TCP_CHUNK: usize = 64 * 1024;

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

/// Where the messages go.
#[derive(Debug, Clone)]
enum Target {
    Tcp(String),
    Udp(String),
    #[cfg(unix)]
    Unix(PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Tcp(address) => write!(f, "tcp://{address}"),
            Target::Udp(address) => write!(f, "udp://{address}"),
            #[cfg(unix)]
            Target::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Configures a [`SyslogDestination`]; from [`SyslogDestination::tcp`],
/// [`udp`](SyslogDestination::udp) or [`unix`](SyslogDestination::unix).
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the destination"]
pub struct SyslogBuilder {
    target: Target,
    facility: Facility,
    hostname: String,
    app_name: String,
    proc_id: String,
    msg_id: String,
    max_message_size: usize,
    buffer_capacity: usize,
    connect_timeout: Duration,
    write_timeout: Duration,
    backoff: (Duration, Duration),
}

impl SyslogBuilder {
    fn new(target: Target) -> Self {
        let max_message_size = match target {
            Target::Udp(_) => DEFAULT_MAX_UDP_MESSAGE,
            _ => DEFAULT_MAX_STREAM_MESSAGE,
        };
        let app_name = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.file_stem()?.to_string_lossy().into_owned()))
            .unwrap_or_default();
        SyslogBuilder {
            target,
            facility: Facility::User,
            hostname: local_hostname(),
            app_name,
            proc_id: std::process::id().to_string(),
            msg_id: "eliot".to_owned(),
            max_message_size,
            buffer_capacity: DEFAULT_BUFFER_CAPACITY,
            connect_timeout: DEFAULT_TIMEOUT,
            write_timeout: DEFAULT_TIMEOUT,
            backoff: DEFAULT_BACKOFF,
        }
    }

    /// The facility of every message (default [`Facility::User`]).
    pub fn facility(mut self, facility: Facility) -> Self {
        self.facility = facility;
        self
    }

    /// The HOSTNAME field (default: the kernel's host name).
    pub fn hostname(mut self, hostname: &str) -> Self {
        self.hostname = hostname.to_owned();
        self
    }

    /// The APP-NAME field (default: the executable's file name).
    pub fn app_name(mut self, app_name: &str) -> Self {
        self.app_name = app_name.to_owned();
        self
    }

    /// The MSGID field (default `eliot`, so receivers can select Eliot's
    /// messages, e.g. `if $msgid == "eliot"` in rsyslog).
    pub fn msg_id(mut self, msg_id: &str) -> Self {
        self.msg_id = msg_id.to_owned();
        self
    }

    /// The largest message the receiver accepts, in octets, without the TCP
    /// frame's length prefix (at least [`MIN_MESSAGE_SIZE`]). Set it to the
    /// receiver's limit (rsyslog: `global(maxMessageSize=...)`). See
    /// [Oversized messages](self#oversized-messages).
    pub fn max_message_size(mut self, octets: usize) -> Self {
        self.max_message_size = octets.max(MIN_MESSAGE_SIZE);
        self
    }

    /// How many messages are kept while the server is unreachable (at least
    /// 1; default [`DEFAULT_BUFFER_CAPACITY`]).
    pub fn buffer_capacity(mut self, messages: usize) -> Self {
        self.buffer_capacity = messages.max(1);
        self
    }

    /// The longest wait for a connection (default [`DEFAULT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The longest wait for a write to make progress (default
    /// [`DEFAULT_TIMEOUT`]); a server that stalls longer is treated as gone.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The first and the longest wait between reconnection attempts; the
    /// wait doubles after each failed attempt (default [`DEFAULT_BACKOFF`]).
    pub fn backoff(mut self, first: Duration, longest: Duration) -> Self {
        self.backoff = (first, longest.max(first));
        self
    }

    /// The destination. It connects on its first write.
    pub fn build(self) -> SyslogDestination {
        let header_tail = format!(
            " {} {} {} {} - ",
            header_field(&self.hostname, 255),
            header_field(&self.app_name, 48),
            header_field(&self.proc_id, 128),
            header_field(&self.msg_id, 32),
        );
        SyslogDestination {
            state: Mutex::new(State {
                connection: None,
                pending: VecDeque::new(),
                gap: None,
                next_attempt: None,
                backoff: self.backoff.0,
                outage: None,
                quiet_until: None,
                report: SyslogReport::default(),
            }),
            header_tail,
            config: self,
        }
    }
}

/// Sends Eliot messages to a syslog server; see the [module docs](self).
pub struct SyslogDestination {
    config: SyslogBuilder,
    /// `" HOSTNAME APP-NAME PROCID MSGID - "`, the same for every message.
    header_tail: String,
    state: Mutex<State>,
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

struct State {
    connection: Option<Connection>,
    /// Framed records (for TCP with their length prefix), oldest first.
    pending: VecDeque<Vec<u8>>,
    /// Messages dropped since the last notice: count, first and last
    /// timestamp.
    gap: Option<(u64, f64, f64)>,
    /// No connection attempt before this.
    next_attempt: Option<Instant>,
    backoff: Duration,
    outage: Option<Outage>,
    /// No outage is reported on stderr before this.
    quiet_until: Option<Instant>,
    report: SyslogReport,
}

/// A time the server could not be reached.
struct Outage {
    since: Instant,
    /// What went wrong first.
    error: String,
    /// Reported on stderr (then its end is reported too).
    announced: bool,
}

enum Connection {
    Tcp(TcpStream),
    Udp(UdpSocket),
    #[cfg(unix)]
    Unix(UnixDatagram),
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

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn connect(&self) -> io::Result<Connection> {
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

    /// Frames one message: the RFC 5424 message, shortened if needed, with
    /// the octet count in front over TCP.
    fn frame(&self, message: &Message, state: &mut State) -> Vec<u8> {
        let head = Head::of(message);
        let pri = self.config.facility.code() * 8 + head.severity().code();
        let mut header = format!("<{pri}>1 ");
        match head.timestamp.and_then(rfc3339) {
            Some(timestamp) => header.push_str(&timestamp),
            None => header.push('-'),
        }
        header.push_str(&self.header_tail);
        let max = self.config.max_message_size;
        let json = message.as_json();
        let body: std::borrow::Cow<'_, str> = if header.len() + json.len() <= max {
            json.into()
        } else {
            state.report.truncated += 1;
            shorten(message, max.saturating_sub(header.len())).into()
        };
        let mut syslog_message = header.into_bytes();
        syslog_message.extend_from_slice(body.as_bytes());
        if syslog_message.len() > max {
            // The stand-in did not fit either: cut at the end, as RFC 5424
            // has receivers do, without splitting a UTF-8 character.
            let mut end = max;
            while end > 0 && (syslog_message[end] & 0xC0) == 0x80 {
                end -= 1;
            }
            syslog_message.truncate(end);
        }
        match self.config.target {
            Target::Tcp(_) => {
                let mut framed = format!("{} ", syslog_message.len()).into_bytes();
                framed.extend_from_slice(&syslog_message);
                framed
            }
            _ => syslog_message,
        }
    }

    /// Buffers a message, or counts it as dropped when the buffer is full.
    fn enqueue(&self, state: &mut State, message: &Message) {
        let capacity = self.config.buffer_capacity;
        self.note_gap(state);
        // While a drop notice waits for room, later messages are dropped
        // too: the notice must stand exactly where the gap is.
        if state.pending.len() >= capacity || state.gap.is_some() {
            let timestamp = Head::of(message).timestamp.unwrap_or(0.0);
            let gap = state.gap.get_or_insert((0, timestamp, timestamp));
            gap.0 += 1;
            gap.2 = timestamp;
            state.report.dropped += 1;
            let now = Instant::now();
            if gap.0 == 1 && state.quiet_until.is_none_or(|quiet| now >= quiet) {
                state.quiet_until = Some(now + NOTICE_INTERVAL);
                eprintln!(
                    "eliot: the syslog buffer for {} is full ({capacity} messages); dropping \
                     messages until the server takes them again (they are counted in the log)",
                    self.config.target
                );
            }
            return;
        }
        let record = self.frame(message, state);
        state.pending.push_back(record);
    }

    /// Puts the drop notice into the stream if there is room for it.
    fn note_gap(&self, state: &mut State) {
        let Some((dropped, first, last)) = state.gap else {
            return;
        };
        if state.pending.len() >= self.config.buffer_capacity {
            return;
        }
        state.gap = None;
        let reason = format!(
            "the syslog server at {} was unreachable and the buffer was full",
            self.config.target
        );
        let notice = crate::message::detached_message(
            "eliot:messages_dropped",
            &[
                Field::new("dropped", &dropped),
                Field::new("capacity", &self.config.buffer_capacity),
                Field::new("reason", &reason),
                Field::new("first_timestamp", &first),
                Field::new("last_timestamp", &last),
            ],
        );
        let record = self.frame(&notice, state);
        state.pending.push_back(record);
    }

    /// Sends what is pending, connecting first if the backoff allows.
    fn pump(&self, state: &mut State) {
        if let Some(Connection::Tcp(stream)) = &state.connection
            && let Err(error) = peer_closed(stream)
        {
            self.lost_connection(state, &error);
        }
        loop {
            self.note_gap(state);
            if state.pending.is_empty() {
                return;
            }
            if state.connection.is_none() {
                let now = Instant::now();
                if state.next_attempt.is_some_and(|at| now < at) {
                    return;
                }
                match self.connect() {
                    Ok(connection) => {
                        state.connection = Some(connection);
                        state.report.connects += 1;
                    }
                    Err(error) => {
                        self.failed(state, &error);
                        return;
                    }
                }
            }
            match self.send_some(state) {
                Ok(()) => self.recovered(state),
                Err(error) => {
                    self.failed(state, &error);
                    return;
                }
            }
        }
    }

    /// Sends pending records (a chunk of them over TCP); pops those sent.
    fn send_some(&self, state: &mut State) -> io::Result<()> {
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

    /// A connection attempt or a write failed: drop the connection, back
    /// off, and report the outage (at most one report per
    /// [`NOTICE_INTERVAL`], so a flapping server does not flood stderr).
    fn failed(&self, state: &mut State, error: &io::Error) {
        state.connection = None;
        state.report.failures += 1;
        let now = Instant::now();
        state.next_attempt = Some(now + state.backoff);
        state.backoff = (state.backoff * 2).min(self.config.backoff.1);
        if state.outage.is_none() {
            let error = match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
                    "no progress within {:?} (the server stalls)",
                    self.config.write_timeout
                ),
                _ => error.to_string(),
            };
            let announced = state.quiet_until.is_none_or(|quiet| now >= quiet);
            if announced {
                state.quiet_until = Some(now + NOTICE_INTERVAL);
                eprintln!(
                    "eliot: cannot send to the syslog server at {}: {error}; keeping up to {} \
                     messages and retrying with backoff",
                    self.config.target, self.config.buffer_capacity
                );
            }
            state.outage = Some(Outage {
                since: now,
                error,
                announced,
            });
        }
    }

    /// The peer closed a TCP connection between writes: reconnect now.
    fn lost_connection(&self, state: &mut State, error: &io::Error) {
        state.connection = None;
        if state.outage.is_none() {
            state.outage = Some(Outage {
                since: Instant::now(),
                error: error.to_string(),
                announced: false,
            });
        }
    }

    /// A write succeeded: the outage, if any, is over.
    fn recovered(&self, state: &mut State) {
        state.backoff = self.config.backoff.0;
        state.next_attempt = None;
        if let Some(outage) = state.outage.take()
            && outage.announced
        {
            eprintln!(
                "eliot: the syslog server at {} takes messages again after {:.1} s ({}); \
                     {} message(s) dropped so far",
                self.config.target,
                outage.since.elapsed().as_secs_f64(),
                outage.error,
                state.report.dropped
            );
        }
    }
}

/// Sends datagrams until one fails; a datagram too large for the socket is
/// dropped (it could never be sent) and counted.
fn send_datagrams(
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
fn is_too_large(error: &io::Error) -> bool {
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
fn peer_closed(stream: &TcpStream) -> io::Result<()> {
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

/// The few fields of a message the syslog header needs.
#[derive(Deserialize, Default)]
struct Head<'a> {
    #[serde(borrow, default)]
    action_status: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    message_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<f64>,
}

impl<'a> Head<'a> {
    fn of(message: &'a Message) -> Self {
        // A line that is not what Eliot writes (a duplicate key, a
        // non-number timestamp) still goes out, as `info`, stamped `-`.
        serde_json::from_str(message.as_json()).unwrap_or_default()
    }

    fn severity(&self) -> Severity {
        if self.action_status.as_deref() == Some("failed") {
            return Severity::Error;
        }
        match self.message_type.as_deref() {
            Some("eliot:traceback") => Severity::Error,
            Some("eliot:messages_dropped" | "eliot:destination_failure") => Severity::Warning,
            _ => Severity::Informational,
        }
    }
}

/// A shortened stand-in for a message longer than `budget` octets: Eliot's
/// own fields, and `eliot:truncated` with the original size and as much of
/// its start as fits.
fn shorten(message: &Message, budget: usize) -> String {
    const KEPT: [&str; 7] = [
        "exception",
        "action_status",
        "timestamp",
        "task_uuid",
        "action_type",
        "task_level",
        "message_type",
    ];
    let original = message.as_json();
    let fields = message.to_map().unwrap_or_default();
    let mut tail = Vec::new();
    for key in KEPT {
        if let Some(value) = fields.get(key) {
            tail.push(b',');
            crate::json::write_str(&mut tail, key);
            tail.push(b':');
            // A `Value` always serializes, and writing into a `Vec` cannot
            // fail.
            let _ = serde_json::to_writer(&mut tail, value);
        }
    }
    let prefix = format!(
        "{{\"eliot:truncated\":{{\"size\":{},\"max\":{},\"start\":\"",
        original.len(),
        budget
    );
    let closing = b"\"}";
    let fixed = prefix.len() + closing.len() + tail.len() + 1;
    let room = budget.saturating_sub(fixed);
    let mut out = prefix.into_bytes();
    // As much of the original as fits, escaped as JSON escapes it, cut
    // between two characters (never inside an escape).
    let mut escaped = Vec::with_capacity(8);
    let mut used = 0;
    for c in original.chars() {
        escaped.clear();
        crate::json::write_str(&mut escaped, c.encode_utf8(&mut [0; 4]));
        let inner = &escaped[1..escaped.len() - 1]; // without the quotes
        if used + inner.len() > room {
            break;
        }
        used += inner.len();
        out.extend_from_slice(inner);
    }
    out.extend_from_slice(closing);
    out.extend_from_slice(&tail);
    out.push(b'}');
    // Whole characters and JSON only: always UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A header field: printable ASCII only (others become `_`), at most `max`
/// octets, `-` when empty.
fn header_field(value: &str, max: usize) -> String {
    let field: String = value
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if field.is_empty() {
        "-".to_owned()
    } else {
        field
    }
}

/// The kernel's host name, or empty (sent as `-`).
fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// Seconds since the epoch as RFC 3339 UTC with microseconds
/// (`2024-05-01T12:34:56.123456Z`); None outside years 1970..=9999.
fn rfc3339(seconds: f64) -> Option<String> {
    if !(0.0..253_402_300_800.0).contains(&seconds) {
        return None;
    }
    let micros = (seconds * 1e6).round() as i64;
    let (secs, micro) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = crate::time::civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micro:06}Z",
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        assert_eq!(rfc3339(0.0).unwrap(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1795682709.2272968).unwrap(),
            "2026-11-26T08:45:09.227297Z"
        );
        // A leap day, and the end of a year.
        assert_eq!(
            rfc3339(951_782_400.5).unwrap(),
            "2000-02-29T00:00:00.500000Z"
        );
        assert_eq!(
            rfc3339(1_704_067_199.0).unwrap(),
            "2023-12-31T23:59:59.000000Z"
        );
        assert_eq!(rfc3339(f64::NAN), None);
        assert_eq!(rfc3339(-1.0), None);
    }

    #[test]
    fn header_fields_are_printable_ascii_of_bounded_length() {
        assert_eq!(header_field("my app", 48), "my_app");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field("é", 48), "_");
        assert_eq!(header_field(&"x".repeat(100), 48).len(), 48);
    }

    #[test]
    fn a_shortened_message_keeps_eliots_fields_and_fits() {
        let big = "y".repeat(5000);
        let line = format!(
            r#"{{"blob":"{big}","action_status":"started","timestamp":1.5,"task_uuid":"u-1","action_type":"app:big","task_level":[3,1]}}"#
        );
        let message = Message::from_json(&line).unwrap();
        let short = shorten(&message, 600);
        assert!(short.len() <= 600, "{}", short.len());
        let fields = Message::from_json(&short).unwrap().to_map().unwrap();
        assert_eq!(fields["action_type"], "app:big");
        assert_eq!(fields["task_level"], serde_json::json!([3, 1]));
        assert_eq!(fields["eliot:truncated"]["size"], line.len());
        let start = fields["eliot:truncated"]["start"].as_str().unwrap();
        assert!(line.starts_with(start) && start.len() > 300, "{start}");
    }

    #[test]
    fn a_shortened_start_is_escaped_and_cut_between_characters() {
        // Quotes, backslashes, control characters and multi-byte
        // characters, to be cut at every possible place.
        let text = "\"q\" \\ \n\t\u{1}\u{8} é ü 😀 ".repeat(200);
        let line = serde_json::json!({ "text": text, "message_type": "app:odd" }).to_string();
        let message = Message::from_json(&line).unwrap();
        for budget in 300..400 {
            let short = shorten(&message, budget);
            assert!(short.len() <= budget, "{budget}: {}", short.len());
            let fields = Message::from_json(&short).unwrap().to_map().unwrap();
            assert_eq!(fields["message_type"], "app:odd");
            let start = fields["eliot:truncated"]["start"].as_str().unwrap();
            assert!(line.starts_with(start), "{budget}: {start}");
            assert!(start.len() > 100, "{budget}: {start}");
        }
    }
}
