//! The writer thread: takes batches off the queue, writes and flushes
//! them, and polls an empty queue before it sleeps.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

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

/// The writer thread: batches, writes, flushes when the queue drains, and
/// on stop drains everything and publishes its report.
pub(super) fn writer_thread(shared: &Arc<Shared>, stop_requested: &Receiver<()>) {
    let me = Arc::as_ptr(shared) as usize;
    let _ = WRITER_OF.try_with(|w| w.set(me));
    let receiver = &shared.receiver;
    let mut batch: Vec<Message> = Vec::with_capacity(MAX_BATCH);
    // The batch written before the current one, released only after it:
    // the newest lines stay allocated until more arrive, so the memory the
    // producers allocate from is never all free at once. Freeing everything
    // whenever the queue drained let the allocator hand it back to the
    // system and take page faults to get it again (one call in forty).
    // Usually the logging thread frees them in the end (see `keep_sent`).
    let mut previous: Vec<Message> = Vec::with_capacity(MAX_BATCH);
    let mut dirty = false;
    let mut idle = Idle::new();
    // Drops already told in an `eliot:messages_dropped` notice.
    let mut drops_reported = 0;
    loop {
        batch.extend(receiver.try_iter().take(MAX_BATCH));
        shared.note_drops(&mut drops_reported, &mut batch);
        if !batch.is_empty() {
            shared.write_batch(&batch);
            previous.clear();
            std::mem::swap(&mut batch, &mut previous);
            batch.extend(shared.take_own());
            shared.write_batch(&batch);
            batch.clear();
            dirty = true;
            idle = Idle::new();
            continue;
        }
        // The queue is empty.
        if dirty {
            shared.flush();
            dirty = false;
            continue;
        }
        if shared.closed.load(Ordering::Acquire) {
            break;
        }
        if idle.since.elapsed() < SLEEP_AFTER_IDLE {
            // Not registered with the queue: producers never pay for
            // waking this thread up; it comes back by itself.
            thread::park_timeout(idle.wait);
            idle.wait = (idle.wait * 2).min(MAX_IDLE_POLL);
        } else {
            // Idle for long: sleep until a message or a stop arrives. The
            // first message pays for the wake-up; while the writer is busy
            // again, the next ones do not.
            crossbeam_channel::select! {
                recv(receiver) -> message => batch.extend(message.ok()),
                recv(stop_requested) -> _ => {}
            }
            idle = Idle::new();
        }
    }
    // `closed` is set: step 2 of the stop protocol (module doc). Pairs with
    // the fence in `Handle::write`.
    fence(Ordering::SeqCst);
    // Final drain. Late messages wait for its report before they are
    // written, so they come after everything drained here. The queue runs
    // dry: a producer that pushes now sees `closed` before it logs again.
    loop {
        batch.extend(receiver.try_iter().take(MAX_BATCH));
        shared.note_drops(&mut drops_reported, &mut batch);
        if batch.is_empty() {
            break;
        }
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
    drop(previous);
    shared.publish_report();
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
