//! `StdioDestination`: JSON lines on the process's stdout or stderr, for
//! containers, where an agent (Docker's log driver, a Kubernetes node agent,
//! systemd's journal) collects what a process prints.

use std::fmt;
use std::io::{self, Write};

use crate::destination::{Destination, DestinationError};
use crate::message::Message;
use crate::output::file::FileDestination;

/// Writes each message as one JSON line to stdout or stderr.
///
/// Collectors split a stream into records at newlines, so a record must
/// never hold half of one line and half of another. Each write (one message,
/// or a whole batch from a [`ThreadedWriter`](crate::ThreadedWriter)) is
/// one `write_all` of whole lines under the stream's lock, the same lock
/// `println!`/`eprintln!` take, then a flush: Eliot's lines never interleave
/// with each other, nor with other output of the process written through
/// `std::io`. They reach the collector when the write returns.
///
/// A closed stream (the collector went away: `EPIPE`) is an error of the
/// write, reported like any destination failure; the application goes on.
///
/// ```
/// use eliot_core::{add_destination, log_message, remove_destination, StdioDestination};
///
/// let stdout = add_destination(StdioDestination::stdout());
/// log_message!("app:started", port = 8080);
/// remove_destination(&stdout).unwrap();
/// ```
///
/// In async programs put it behind a
/// [`ThreadedWriter`](crate::ThreadedWriter), which batches: a pipe whose
/// reader is slow blocks the writer's thread, not the runtime.
pub struct StdioDestination {
    stream: Stream,
    /// [`FileDestination`] writes every message or batch with one
    /// `write_all` and a flush; [`Stream`] makes each of those one call
    /// under the stream's lock.
    file: FileDestination<Stream>,
}

/// Standard output or error, as a [`Write`]r for [`FileDestination`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Stdout => io::stdout().write(buf),
            Stream::Stderr => io::stderr().write(buf),
        }
    }

    /// One call under the stream's lock (what `Stdout::write_all` and
    /// `Stderr::write_all` do): whole lines, never interleaved with
    /// `println!`.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Stdout => io::stdout().write_all(buf),
            Stream::Stderr => io::stderr().write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Stdout => io::stdout().flush(),
            Stream::Stderr => io::stderr().flush(),
        }
    }
}

impl StdioDestination {
    /// JSON lines on standard output.
    pub fn stdout() -> Self {
        Self::new(Stream::Stdout)
    }

    /// JSON lines on standard error.
    pub fn stderr() -> Self {
        Self::new(Stream::Stderr)
    }

    fn new(stream: Stream) -> Self {
        StdioDestination {
            stream,
            file: FileDestination::new(stream),
        }
    }
}

impl Destination for StdioDestination {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.file.write(message)
    }

    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        self.file.write_batch(messages)
    }

    fn flush(&self) -> Result<(), DestinationError> {
        self.file.flush()
    }
}

impl fmt::Debug for StdioDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StdioDestination")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}
