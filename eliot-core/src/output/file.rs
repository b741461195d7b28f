//! `FileDestination`: one JSON object per line, into a file or any writer.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::destination::{Destination, DestinationError};
use crate::message::Message;

/// Writes each message as one JSON line (Eliot's `FileDestination`).
///
/// Every message reaches the writer in a single `write_all` of the whole line
/// including its `\n`, under a mutex: lines from concurrent threads never
/// interleave, and a writer that rotates files between writes (see
/// [`RotatingFile`](crate::RotatingFile)) never splits one. The writer is flushed after
/// every message, as Python's `FileDestination` does, so a crash loses at most
/// the line being written.
///
/// A writer that logs while it writes (through a `tracing` bridge, say)
/// cannot have that message written into itself mid-write: the message
/// reaches the other destinations, and this one's failure to take it is
/// reported as an `eliot:destination_failure` message, instead of the
/// thread waiting forever for the lock it holds.
///
/// This destination blocks on I/O; in async programs wrap it in a
/// [`ThreadedWriter`](crate::ThreadedWriter), which writes each batch of
/// messages with one `write_all` ([`Destination::write_batch`]).
///
/// ```
/// use eliot_core::{add_destination, log_message, remove_destination, FileDestination};
///
/// let path = std::env::temp_dir().join("eliot-doc-file-destination.log");
/// let file = add_destination(FileDestination::create(&path)?);
/// log_message!("app:hello", who = "world");
/// remove_destination(&file).unwrap();
/// let text = std::fs::read_to_string(&path)?;
/// assert!(text.ends_with("\"message_type\":\"app:hello\"}\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FileDestination<W = File> {
    state: Mutex<State<W>>,
    /// The thread that holds `state` ([`thread_token`]), or 0: a writer that
    /// logs comes back here on that thread, and must not wait for the lock
    /// it holds itself.
    writing: AtomicUsize,
}

struct State<W> {
    writer: W,
    line: Vec<u8>,
}

impl<W: Write + Send> FileDestination<W> {
    /// Writes to any writer: a file, a socket, `std::io::stdout()`, a
    /// `Vec<u8>`, or a rotating file.
    pub fn new(writer: W) -> Self {
        FileDestination {
            state: Mutex::new(State {
                writer,
                line: Vec::new(),
            }),
            writing: AtomicUsize::new(0),
        }
    }

    /// Stops writing and returns the writer.
    pub fn into_inner(self) -> W {
        self.state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .writer
    }

    /// Writes messages with one `write_all` and one flush: one message, or a
    /// batching writer thread's batch.
    fn write_lines<'m>(&self, messages: impl IntoIterator<Item = &'m Message>) -> io::Result<()> {
        let mut state = self.lock()?;
        let State { writer, line } = &mut *state.guard;
        line.clear();
        for message in messages {
            line.extend_from_slice(message.as_json().as_bytes());
            line.push(b'\n');
        }
        let result = writer.write_all(line).and_then(|()| writer.flush());
        if line.capacity() > 1 << 20 {
            *line = Vec::new();
        }
        result
    }

    /// Takes the writer, unless this thread holds it already: then its
    /// writer is logging while it writes, and the message it logged cannot
    /// be written here (it still reaches the other destinations, and this
    /// failure is reported).
    fn lock(&self) -> io::Result<Locked<'_, State<W>>> {
        let me = thread_token();
        if self.writing.load(Ordering::Relaxed) == me {
            return Err(io::Error::other(
                "the FileDestination's writer logged a message while writing; \
                 that message cannot be written to the same FileDestination",
            ));
        }
        // A panicking writer leaves at worst a partial line, which readers
        // report; the destination stays usable.
        let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.writing.store(me, Ordering::Relaxed);
        Ok(Locked {
            guard,
            writing: &self.writing,
        })
    }
}

/// The writer of a [`FileDestination`], held by this thread.
struct Locked<'a, T> {
    guard: MutexGuard<'a, T>,
    writing: &'a AtomicUsize,
}

impl<T> Drop for Locked<'_, T> {
    fn drop(&mut self) {
        // Before `guard` is released (fields drop after this).
        self.writing.store(0, Ordering::Relaxed);
    }
}

/// A number that identifies the calling thread among the living ones, and
/// is never 0: the address of a thread-local, which every thread has its
/// own of and which stays readable while the thread exits.
pub(crate) fn thread_token() -> usize {
    thread_local! {
        static TOKEN: u8 = const { 0 };
    }
    TOKEN.with(|token| std::ptr::from_ref(token).addr())
}

impl FileDestination<File> {
    /// Appends to the file at `path`, creating it if needed.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = crate::output::rotating_file::open_append(path.as_ref())?;
        Self::from_file(file)
    }

    /// Writes to an open file, after checking that it can be written: a file
    /// opened read-only is refused here with a clear error, instead of
    /// failing on every message later (Eliot issue 403).
    ///
    /// ```
    /// use eliot_core::FileDestination;
    ///
    /// let read_only = std::fs::File::open("Cargo.toml")?;
    /// let error = FileDestination::from_file(read_only).unwrap_err();
    /// assert!(error.to_string().contains("not open for writing"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_file(mut file: File) -> io::Result<Self> {
        // A zero-length write checks the descriptor's mode without writing:
        // EBADF means it was not opened for writing. Other errors (a full
        // disk, say) may pass; they are reported per message instead.
        const EBADF: i32 = 9;
        match file.write(&[]) {
            Err(e) if e.raw_os_error() == Some(EBADF) => Err(io::Error::new(
                e.kind(),
                format!("the file given to FileDestination is not open for writing: {e}"),
            )),
            _ => Ok(Self::new(file)),
        }
    }
}

impl<W: Write + Send> Destination for FileDestination<W> {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_lines(std::iter::once(message))?;
        Ok(())
    }

    fn flush(&self) -> Result<(), DestinationError> {
        self.lock()?.guard.writer.flush()?;
        Ok(())
    }

    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        self.write_lines(messages)?;
        Ok(())
    }

    fn write_lines(&self, lines: &str) -> Result<(), DestinationError> {
        let mut state = self.lock()?;
        let writer = &mut state.guard.writer;
        writer.write_all(lines.as_bytes())?;
        writer.flush()?;
        Ok(())
    }
}

impl<W> fmt::Debug for FileDestination<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileDestination")
            .field("writer", &std::any::type_name::<W>())
            .finish_non_exhaustive()
    }
}
