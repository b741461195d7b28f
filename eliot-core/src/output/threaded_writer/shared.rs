//! What the writer thread, the producers and the [`ThreadedWriter`] share,
//! and the writing of a batch: counted, reported, never panicking.
//!
//! [`ThreadedWriter`]: super::ThreadedWriter

use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use crossbeam_channel::Receiver;

use super::WriterReport;
use super::fences::Fences;
use super::rings::Rings;
use crate::destination::{Destination, DestinationError};
use crate::failure::Failure;
use crate::message::Message;
use crate::own_messages::MessagesDropped;

/// What the writer thread, the handle and the [`ThreadedWriter`] share.
pub(super) struct Shared {
    pub(super) inner: Arc<dyn Destination>,
    /// The logging threads' queues.
    pub(super) rings: Rings,
    /// The lines too large for a ring, and those logged by a thread that
    /// is exiting (its ring is gone).
    pub(super) receiver: Receiver<Message>,
    /// Messages of a typical size a ring holds (as set by `with_capacity`).
    pub(super) capacity: usize,
    /// Set by the writer thread before it sleeps until a message arrives:
    /// the logging thread that queues one then wakes it.
    pub(super) sleeping: AtomicBool,
    /// Set by `shutdown` once the handle is unregistered. Every producer
    /// reads it twice per message: on a cache line of its own, so that the
    /// writer thread's writes to its neighbours (`failing`, the counters)
    /// never take that line away from the producers' caches.
    pub(super) closed: OwnLine<AtomicBool>,
    /// The fence pair between queueing a line and reading `closed` or
    /// `sleeping`.
    pub(super) fences: Fences,
    /// Messages logged on the writer thread itself (by the destination, or a
    /// failure report): written with the next batch, never queued, so the
    /// writer never waits on its own queue.
    pub(super) own: Mutex<Vec<Message>>,
    pub(super) counters: Counters,
    /// In a run of failures: report only its first.
    pub(super) failing: AtomicBool,
    /// The report once the writer thread is done, and the waker of the
    /// `Shutdown` future. Only ever held briefly: polling never waits.
    pub(super) finish: Mutex<Finish>,
    pub(super) finished: Condvar,
    /// Serializes the writes of late messages (see `write_late`).
    pub(super) late_lock: Mutex<()>,
}

/// A value alone on its cache line: 128 bytes, because x86 fetches lines
/// in adjacent pairs.
#[repr(align(128))]
pub(super) struct OwnLine<T>(pub(super) T);

impl<T> Deref for OwnLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[derive(Default)]
pub(super) struct Finish {
    pub(super) report: Option<WriterReport>,
    pub(super) waker: Option<Waker>,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) written: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) late: AtomicU64,
}

impl Counters {
    pub(super) fn report(&self) -> WriterReport {
        WriterReport {
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
        }
    }

    pub(super) fn progress(&self) -> u64 {
        self.written.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
}

impl Shared {
    /// Tells `stop`, the `Shutdown` future and late writers that the
    /// writer thread is done.
    pub(super) fn publish_report(&self) {
        let mut finish = self.lock_finish();
        finish.report = Some(self.counters.report());
        let waker = finish.waker.take();
        self.finished.notify_all();
        drop(finish);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(super) fn lock_finish(&self) -> MutexGuard<'_, Finish> {
        self.finish.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn take_own(&self) -> Vec<Message> {
        std::mem::take(&mut *self.own.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Writes the `n` lines taken from the rings (each ending with `\n`),
    /// as `Rings::drain_into` counted them; counts and reports failures,
    /// never panics.
    pub(super) fn write_lines(&self, lines: &[u8], n: u64) {
        if lines.is_empty() {
            return;
        }
        // Whole lines of messages: valid UTF-8 (checked, not assumed).
        let outcome = match std::str::from_utf8(lines) {
            Ok(text) => catch_unwind(AssertUnwindSafe(|| self.inner.write_lines(text))),
            Err(error) => Ok(Err(DestinationError::from(error))),
        };
        // The first line, for the report of a failure.
        let first = || {
            let text = String::from_utf8_lossy(lines);
            let line = text.split('\n').next().unwrap_or_default();
            Message::from_json(line).ok()
        };
        match outcome {
            Ok(Ok(())) => {
                self.counters.written.fetch_add(n, Ordering::Relaxed);
                if self.failing.load(Ordering::Relaxed) {
                    self.failing.store(false, Ordering::Relaxed);
                }
            }
            Ok(Err(error)) => self.failed(n, error, first().as_ref()),
            Err(payload) => self.failed(n, panic_error(&*payload), first().as_ref()),
        }
    }

    /// Writes a batch; counts and reports failures, never panics.
    pub(super) fn write_batch(&self, batch: &[Message]) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        match catch_unwind(AssertUnwindSafe(|| self.inner.write_batch(batch))) {
            Ok(Ok(())) => {
                self.counters.written.fetch_add(n, Ordering::Relaxed);
                // Read first: a store on every batch would dirty the line
                // for nothing.
                if self.failing.load(Ordering::Relaxed) {
                    self.failing.store(false, Ordering::Relaxed);
                }
            }
            Ok(Err(error)) => self.failed(n, error, batch.first()),
            Err(payload) => self.failed(n, panic_error(&*payload), batch.first()),
        }
    }

    pub(super) fn flush(&self) {
        match catch_unwind(AssertUnwindSafe(|| self.inner.flush())) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => self.failed(0, error, None),
            Err(payload) => self.failed(0, panic_error(&*payload), None),
        }
    }

    /// Counts `n` failed messages; reports the first failure of a run.
    pub(super) fn failed(&self, n: u64, error: DestinationError, first: Option<&Message>) {
        self.counters.failed.fetch_add(n, Ordering::Relaxed);
        if self.failing.swap(true, Ordering::Relaxed) {
            return;
        }
        let failure = error.into_failure();
        eprintln!(
            "eliot: the destination of a ThreadedWriter failed to write {n} message(s): {failure} \
             (further failures are counted, not reported, until a write succeeds)"
        );
        use crate::own_messages::{DESTINATION_FAILURE, with_destination_failure_fields};
        with_destination_failure_fields(&failure, first, |fields| {
            // To every registered destination, this one included if this
            // thread's snapshot still holds its handle (which, called on this
            // thread, adds it to `own`).
            let report = crate::message::log_detached(DESTINATION_FAILURE, fields);
            // Whether the handle got it is not `closed`: a stop may unregister
            // the handle just before or just after the delivery. The report
            // itself tells, so that this destination writes it exactly once.
            let mut own = self.own.lock().unwrap_or_else(PoisonError::into_inner);
            if !own.iter().any(|queued| queued.same_line(&report)) {
                own.push(report);
            }
        });
    }

    /// In lossy mode: tells the log how many messages were dropped since
    /// the last notice; `reported` is the writer thread's count of those
    /// already told.
    pub(super) fn note_drops(&self, reported: &mut u64, batch: &mut Vec<Message>) {
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        if dropped > *reported {
            let count = dropped - *reported;
            *reported = dropped;
            let capacity = self.capacity;
            batch.push(
                MessagesDropped {
                    dropped: count,
                    capacity,
                    reason: "the queue of a lossy ThreadedWriter was full",
                    first_timestamp: None,
                    last_timestamp: None,
                }
                .message(),
            );
        }
    }

    /// Writes what reached the writer after its final drain: waits for the
    /// drain to finish, then writes what is left in the rings and the queue
    /// and `message`, in order, on this thread.
    pub(super) fn write_late(&self, message: Option<&Message>) {
        let mut finish = self.lock_finish();
        while finish.report.is_none() {
            finish = self
                .finished
                .wait(finish)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(finish);
        let late = self
            .late_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Every line left in the rings (a drain takes a part of each).
        let mut lines = Vec::new();
        let mut in_lines = 0;
        loop {
            let taken = self.rings.drain_into(&mut lines);
            if taken == 0 {
                break;
            }
            in_lines += taken;
        }
        let mut batch: Vec<Message> = self.receiver.try_iter().collect();
        batch.extend(message.cloned());
        batch.extend(self.take_own());
        let n = in_lines + batch.len() as u64;
        if n == 0 {
            return;
        }
        self.write_lines(&lines, in_lines);
        self.write_batch(&batch);
        self.flush();
        self.counters.late.fetch_add(n, Ordering::Relaxed);
        drop(late);
    }
}

fn panic_error(payload: &(dyn std::any::Any + Send)) -> DestinationError {
    DestinationError::new(Failure::panic(crate::util::panic::payload_message(payload)))
}
