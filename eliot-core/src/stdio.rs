//! `StdioDestination`: JSON lines on the process's stdout or stderr, for
//! containers, where an agent (Docker's log driver, a Kubernetes node agent,
//! systemd's journal) collects what a process prints.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use crate::destination::{Destination, DestinationError};
use crate::message::Message;

/// Writes each message as one JSON line to stdout or stderr.
///
/// Collectors split a stream into records at newlines, so a record must
/// never hold half of one line and half of another. Each write (one message,
/// or a whole batch from a [`ThreadedWriter`](crate::ThreadedWriter)) holds
/// the stream's lock, the same lock `println!`/`eprintln!` take, for one
/// `write_all` of whole lines and one flush: Eliot's lines never interleave
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
    /// Reused for the lines of one batch.
    buffer: Mutex<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
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
            buffer: Mutex::new(Vec::new()),
        }
    }

    fn write_lines(&self, messages: &[Message]) -> io::Result<()> {
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        buffer.clear();
        for message in messages {
            buffer.extend_from_slice(message.as_json().as_bytes());
            buffer.push(b'\n');
        }
        let result = match self.stream {
            Stream::Stdout => write_locked(&mut io::stdout().lock(), &buffer),
            Stream::Stderr => write_locked(&mut io::stderr().lock(), &buffer),
        };
        if buffer.capacity() > 1 << 20 {
            *buffer = Vec::new();
        }
        result
    }
}

/// One `write_all` of whole lines and a flush, under the stream's lock.
fn write_locked(stream: &mut impl Write, lines: &[u8]) -> io::Result<()> {
    stream.write_all(lines)?;
    stream.flush()
}

impl Destination for StdioDestination {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_lines(std::slice::from_ref(message))?;
        Ok(())
    }

    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        self.write_lines(messages)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), DestinationError> {
        match self.stream {
            Stream::Stdout => io::stdout().lock().flush()?,
            Stream::Stderr => io::stderr().lock().flush()?,
        }
        Ok(())
    }
}

impl fmt::Debug for StdioDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StdioDestination")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}
