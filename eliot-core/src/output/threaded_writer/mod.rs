//! `ThreadedWriter`: a destination that hands messages to a thread of its
//! own, which writes them to a blocking destination (Eliot's
//! `eliot.logwriter.ThreadedWriter`).
//!
//! The guide for users is on [`ThreadedWriter`]. The parts:
//!
//! - `writer.rs`: the public type: start, stop, shutdown, report;
//! - `producer.rs`: the destination `start` registers (`Handle`), the
//!   logging threads' side: one copy into the thread's ring per message;
//! - `rings.rs`: the logging threads' queues, a byte ring per thread
//!   (replaced by a larger one when it fills);
//! - `writer_thread.rs`: the thread that takes every ring's lines at once,
//!   writes and flushes them;
//! - `shared.rs`: what both sides share (the rings, the queue of lines too
//!   large for a ring, the counters, the `closed` flag, the finished report)
//!   and the writing of a batch;
//! - `fences.rs`: the fence pair of the stop protocol and of the writer
//!   thread's sleep (on Linux, a system call on the writer's side and none
//!   on the logging threads');
//! - `shutdown.rs`: the [`Shutdown`] future of the final report.
//!
//! # The stop protocol
//!
//! A stop writes every message the writer accepted, including one that
//! races with it: the registry lets a thread that took its snapshot of the
//! destinations before the writer was unregistered deliver one more message
//! afterwards. This is the one description of the protocol; the code refers
//! to its steps.
//!
//! 1. `ThreadedWriter::shutdown` unregisters the handle, sets `closed`
//!    (SeqCst) and unparks the writer thread.
//! 2. The writer thread, once it sees `closed`, runs its side of the fence
//!    pair (`fences.rs`; a SeqCst fence, and on Linux `membarrier`), drains
//!    the rings and the queue until they run dry, flushes, writes (in up to
//!    `FINAL_OWN_ROUNDS` rounds) what was logged on its own thread
//!    meanwhile, and publishes its report: that wakes the [`Shutdown`]
//!    future and every thread waiting on `finished`.
//! 3. A producer (`Handle::write`) queues its line, runs its side of the
//!    fence pair (a SeqCst fence, or on Linux one the writer's `membarrier`
//!    imposes), then loads `closed`. The two fences come in one total
//!    order: if the producer's comes first, the final drain sees the line;
//!    if the writer's does, the producer sees `closed` (which the writer
//!    saw before its fence) and writes the message itself. Without the fences the
//!    queueing (a store) and the load, to another location, may be
//!    reordered, even on x86: the producer would miss `closed` while the
//!    drain misses the line. A ring made after the final drain took the
//!    list of rings (a thread's first, or a larger one) is made after
//!    `closed` was set (the list's lock orders them), so its producer sees
//!    `closed`. The same fence pairs with the
//!    one the writer thread runs before it sleeps (`sleeping`): either the
//!    writer's last look finds the line, or the producer wakes it.
//! 4. A message written late (`Shared::write_late`) waits for the report,
//!    then, under `late_lock`, is written with what is left in the rings and
//!    the queue, in order, on the thread that logged it, and counted in
//!    [`WriterReport::late`]. A producer that sees `closed` before it
//!    queues goes straight to this step; one waiting for room in its full
//!    ring looks for the report every few milliseconds (on the queue of
//!    large lines, every 50 ms) and writes late once it is there.
//!
//! Dropping a running [`ThreadedWriter`] runs the same stop and waits while
//! the destination makes progress ([`DROP_PATIENCE`]).

mod fences;
mod producer;
mod rings;
mod shared;
mod shutdown;
mod writer;
mod writer_thread;

use std::fmt;
use std::time::Duration;

pub use shutdown::Shutdown;
pub use writer::ThreadedWriter;

/// How many messages of up to 512 bytes a logging thread's queue holds by
/// default: see [`ThreadedWriter::with_capacity`].
///
/// Each logging thread's queue is then up to 8 MiB: about 50,000 lines of
/// a typical size, a burst of logging at full speed, which a writer thread
/// held up by a slow destination or a busy machine can fall behind by
/// without making the logging threads wait. A thread starts with a ring of
/// 256 KiB and moves to larger ones only when it fills one; its memory is
/// given back when the thread exits.
pub const DEFAULT_CAPACITY: usize = 16 * 1024;

/// The most messages the writer thread takes at once from the queue of
/// lines too large for a logging thread's ring (see
/// [`ThreadedWriter::with_capacity`]), and of those logged while the
/// logging thread was exiting.
pub const MAX_BATCH: usize = 1024;

/// Bytes of a logging thread's queue per message of capacity.
const BYTES_PER_MESSAGE: usize = 512;

/// The smallest and the largest queue of a logging thread, in bytes.
const RING_BYTES: std::ops::RangeInclusive<usize> = 4 << 10..=8 << 20;

/// How long the writer thread waits before it looks again at a queue it
/// found empty; while the queue stays empty the wait doubles, up to
/// [`MAX_IDLE_POLL`].
///
/// Each wake-up of the writer thread can preempt a producer on a busy
/// machine, which shows in the callers' slowest calls; a poll this long
/// keeps wake-ups rare and still finds large batches under a heavy load
/// (the measurements are in the README's Benchmarks section).
const MIN_IDLE_POLL: Duration = Duration::from_micros(500);

/// The longest the writer thread waits before looking at an empty queue
/// again, while it polls: about the most a message waits in the queue of an
/// otherwise idle writer.
pub const MAX_IDLE_POLL: Duration = Duration::from_millis(1);

/// After this long without a message, the writer thread stops polling and
/// sleeps until the next message wakes it (so an idle process has no
/// periodic wake-ups; that one message pays a few microseconds for it).
pub const SLEEP_AFTER_IDLE: Duration = Duration::from_millis(100);

/// How long dropping a running writer waits for a destination that makes
/// no progress at all before it gives up on the rest of the queue.
pub const DROP_PATIENCE: Duration = Duration::from_secs(5);

/// What to do when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overflow {
    /// Wait for room: lossless.
    Block,
    /// Drop the message, count it, and report the count in the log.
    Drop,
}

/// What a writer did: how many messages it wrote, dropped (lossy mode only)
/// and failed to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WriterReport {
    /// Lines written to the destination, including the writer's own
    /// `eliot:messages_dropped` notices and the `eliot:destination_failure`
    /// messages that reached it.
    pub written: u64,
    /// Messages dropped because the queue was full (lossy mode only).
    pub dropped: u64,
    /// Messages the destination failed to write (it returned an error or
    /// panicked). A failed batch counts all its messages.
    pub failed: u64,
    /// Of `written` and `failed`: messages that reached the writer after its
    /// thread's final drain (logged by a thread that took its snapshot of the
    /// destinations before the writer was unregistered), written by the
    /// thread that logged them. Only [`ThreadedWriter::report`] can see those
    /// that arrive after [`stop`](ThreadedWriter::stop) returned.
    pub late: u64,
}

/// A [`ThreadedWriter`] was used out of order.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriterError {
    /// `stop` or `shutdown` before `start`.
    NotStarted,
    /// `start` on a writer that is running.
    AlreadyStarted,
    /// `stop` or `shutdown` a second time, or `start` after a stop: a writer
    /// runs once.
    AlreadyStopped,
    /// The writer thread could not be spawned.
    Spawn(std::io::Error),
}

impl fmt::Display for WriterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriterError::NotStarted => f.write_str("the ThreadedWriter was never started"),
            WriterError::AlreadyStarted => f.write_str("the ThreadedWriter is already running"),
            WriterError::AlreadyStopped => {
                f.write_str("the ThreadedWriter was already stopped (a writer runs once)")
            }
            WriterError::Spawn(e) => write!(f, "cannot spawn the ThreadedWriter thread: {e}"),
        }
    }
}

impl std::error::Error for WriterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriterError::Spawn(e) => Some(e),
            _ => None,
        }
    }
}
