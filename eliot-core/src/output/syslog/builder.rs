//! Where and how a [`SyslogDestination`] sends: the builder of its settings.

use std::collections::VecDeque;
use std::fmt;
#[cfg(unix)]
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use super::buffer::State;
use super::destination::{SyslogDestination, SyslogReport};
use super::format::{header_field, local_hostname};
use super::{
    DEFAULT_BACKOFF, DEFAULT_BUFFER_CAPACITY, DEFAULT_MAX_STREAM_MESSAGE, DEFAULT_MAX_UDP_MESSAGE,
    DEFAULT_TIMEOUT, Facility, MIN_MESSAGE_SIZE,
};

/// Where the messages go.
#[derive(Debug, Clone)]
pub(super) enum Target {
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
    pub(super) target: Target,
    pub(super) facility: Facility,
    pub(super) hostname: String,
    pub(super) app_name: String,
    pub(super) proc_id: String,
    pub(super) msg_id: String,
    pub(super) max_message_size: usize,
    pub(super) buffer_capacity: usize,
    pub(super) connect_timeout: Duration,
    pub(super) write_timeout: Duration,
    pub(super) backoff: (Duration, Duration),
}

impl SyslogBuilder {
    pub(super) fn new(target: Target) -> Self {
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
    /// [Oversized messages](crate::syslog#oversized-messages).
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
