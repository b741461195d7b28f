//! The writer thread: takes every logging thread's lines at once, writes
//! and flushes them, and polls the empty rings before it sleeps.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::shared::Shared;
use super::{MAX_BATCH, MAX_IDLE_POLL, MIN_IDLE_POLL, SLEEP_AFTER_IDLE};
use crate::message::Message;

thread_local! {
    /// The `Shared` whose writer thread this is (its address), or 0.
    static WRITER_OF: Cell<usize> = const { Cell::new(0) };
}

impl Shared {
    /// Whether this thread is the writer thread of this writer.
    pub(super) fn is_writer_thread(&self) -> bool {
        let me = self as *const Shared as usize;
        WRITER_OF.try_with(Cell::get).is_ok_and(|w| w == me)
    }
}

/// How many times the final drain writes what was logged on the writer
/// thread while it wrote (see `writer_thread`): the report of a failure of
/// the last write needs one more round, a destination that logs while it
/// writes what it logged one per level.
const FINAL_OWN_ROUNDS: usize = 4;

/// A batch smaller than this is followed by a pause of [`GATHER`] before
/// the writer thread looks at the rings again.
const SMALL_BATCH_BYTES: usize = 64 << 10;

/// How long the writer thread lets lines gather after a small batch: at
/// most how late a line is written while the writer is busy. (A logging
/// thread that finds its ring full wakes it.)
const GATHER: Duration = Duration::from_micros(200);

/// Lines taken from the rings at once are written with one call; a buffer
/// that grew beyond this is freed once written.
const KEEP_LINES_BUFFER: usize = 4 << 20;

/// The writer thread: takes every line queued, writes, flushes when the
/// queues drain, and on stop drains everything and publishes its report.
pub(super) fn writer_thread(shared: &Arc<Shared>) {
    let me = Arc::as_ptr(shared) as usize;
    let _ = WRITER_OF.try_with(|w| w.set(me));
    let receiver = &shared.receiver;
    let mut lines: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut batch: Vec<Message> = Vec::with_capacity(MAX_BATCH);
    let mut dirty = false;
    let mut idle = Idle::new();
    // Drops already told in an `eliot:messages_dropped` notice.
    let mut drops_reported = 0;
    loop {
        let taken = shared.rings.drain_into(&mut lines);
        batch.extend(receiver.try_iter().take(MAX_BATCH));
        shared.note_drops(&mut drops_reported, &mut batch);
        if taken > 0 || !batch.is_empty() {
            let small = lines.len() < SMALL_BATCH_BYTES;
            shared.write_lines(&lines, taken);
            forget_large(&mut lines);
            batch.extend(shared.take_own());
            shared.write_batch(&batch);
            batch.clear();
            dirty = true;
            idle = Idle::new();
            if small && !shared.closed.load(Ordering::Acquire) {
                // Let the next lines gather: taking a few lines at a time
                // costs a write each, and a writer thread that keeps
                // looking at the rings takes their cache lines away from
                // the logging threads at every line, which slows every
                // logging call (measured in the README's Benchmarks section).
                thread::park_timeout(GATHER);
            }
            continue;
        }
        // The queues are empty.
        if dirty {
            shared.flush();
            dirty = false;
            continue;
        }
        if shared.closed.load(Ordering::Acquire) {
            break;
        }
        if idle.since.elapsed() < SLEEP_AFTER_IDLE {
            // Producers never pay for waking this thread up while it
            // polls: it comes back by itself.
            thread::park_timeout(idle.wait);
            idle.wait = (idle.wait * 2).min(MAX_IDLE_POLL);
        } else {
            // Idle for long: sleep until a message or a stop arrives. The
            // first message pays for the wake-up; while the writer is busy
            // again, the next ones do not.
            shared.sleeping.store(true, Ordering::Relaxed);
            // Pairs with the fence of `Handle::write` between queueing a
            // line and reading `sleeping`: either the look below finds the
            // line, or its producer sees `sleeping` and wakes this thread.
            shared.fences.writer_side();
            while shared.sleeping.load(Ordering::Relaxed)
                && shared.rings.queued_lines() == 0
                && receiver.is_empty()
                && !shared.closed.load(Ordering::Acquire)
            {
                // A line too large for a ring, or a full lossy queue, only
                // unparks: looked at again at least every second.
                thread::park_timeout(Duration::from_secs(1));
            }
            shared.sleeping.store(false, Ordering::Relaxed);
            idle = Idle::new();
        }
    }
    // `closed` is set: step 2 of the stop protocol (module doc). Pairs with
    // the fence in `Handle::write`.
    shared.fences.writer_side();
    // Final drain. Late messages wait for its report before they are
    // written, so they come after everything drained here. The queues run
    // dry: a producer that queues now sees `closed` before it logs again.
    loop {
        let taken = shared.rings.drain_into(&mut lines);
        batch.extend(receiver.try_iter().take(MAX_BATCH));
        shared.note_drops(&mut drops_reported, &mut batch);
        if taken == 0 && batch.is_empty() {
            break;
        }
        shared.write_lines(&lines, taken);
        forget_large(&mut lines);
        batch.extend(shared.take_own());
        shared.write_batch(&batch);
        batch.clear();
    }
    shared.flush();
    // What was logged on this thread meanwhile: by the destination (its
    // handle, reached through another destination that forwards to it,
    // keeps that in `own`) and the reports of failures, written in a few
    // rounds. Each round may log again, and a destination that logs on
    // every write would keep this going forever.
    for _ in 0..FINAL_OWN_ROUNDS {
        batch.extend(shared.take_own());
        if batch.is_empty() {
            break;
        }
        shared.write_batch(&batch);
        shared.flush();
        batch.clear();
    }
    let unwritten = shared.take_own().len();
    if unwritten > 0 {
        eprintln!(
            "eliot: a ThreadedWriter stopped without writing {unwritten} message(s) logged on its \
             thread while it wrote its last ones (its destination logs on every write)"
        );
    }
    drop(batch);
    shared.publish_report();
}

/// Empties `lines`, and frees it if it grew large (a burst of lines, or
/// one huge line, should not hold memory for the writer's lifetime).
fn forget_large(lines: &mut Vec<u8>) {
    lines.clear();
    if lines.capacity() > KEEP_LINES_BUFFER {
        *lines = Vec::with_capacity(1 << 16);
    }
}

/// The writer thread's polling of an empty queue.
struct Idle {
    since: Instant,
    wait: Duration,
}

impl Idle {
    fn new() -> Self {
        Idle {
            since: Instant::now(),
            wait: MIN_IDLE_POLL,
        }
    }
}
