//! The producers' side: the destination [`ThreadedWriter::start`]
//! registers, which puts each message on the queue, and the lines a logging
//! thread keeps so that it frees them itself.
//!
//! [`ThreadedWriter::start`]: super::ThreadedWriter::start

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{Ordering, fence};
use std::sync::{Arc, PoisonError};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};

use super::Overflow;
use super::shared::Shared;
use crate::destination::{Destination, DestinationError};
use crate::message::Message;

// Why a logging thread keeps a handle to the lines it queued.
//
// The thread that allocates a line should also free it: when the writer
// thread frees the lines of another thread, every free takes that thread's
// allocator lock (glibc's arena mutex), and the logging thread, allocating
// at the same moment, had to wake the writer thread out of that lock about
// 15,000 times a second (14 % of its time in `futex_wake`, a 13–17 µs p99
// on a slow moment of the 2-core benchmark machine). So a logging thread
// keeps a handle to what it queued and frees a line itself once the writer
// thread has let go of it; its allocator then reuses that memory at once,
// without a lock (p99 1.0 µs, and no wake-ups).
//
// How many: as many as the writer can hold, `capacity + 2 * MAX_BATCH`
// (its queue, the batch it writes and the one before; `Handle::keep_sent`).
// A thread that let go of a line the writer still holds would hand the free
// back to the writer thread, and that happens exactly under load, when the
// queue is long. Keeping them costs no memory while they are queued (the
// queue holds them anyway); a thread that stops logging keeps the last of
// them alive until it logs again or exits.

/// At most this many bytes of lines kept by a logging thread (see
/// `keep_sent`): room for a full default queue of lines of a few hundred
/// bytes, and a bound on what a thread that logged a few huge lines and
/// went quiet keeps alive.
const KEEP_SENT_BYTES: usize = 8 << 20;

/// The lines a logging thread queued, oldest first, and their total size.
struct Sent {
    lines: VecDeque<Message>,
    bytes: usize,
}

impl Sent {
    fn pop(&mut self) {
        if let Some(line) = self.lines.pop_front() {
            self.bytes -= line.as_json().len();
        }
    }
}

/// Keeps a handle to `message`, just queued, and frees (here) the oldest
/// lines the writer thread is done with; keeps at most `limit` lines.
fn keep_sent(message: &Message, limit: usize) {
    let _ = SENT.try_with(|sent| {
        let Ok(mut sent) = sent.try_borrow_mut() else {
            return;
        };
        // Lines leave the queue in order: the oldest is released first.
        while sent.lines.front().is_some_and(|m| !m.is_shared()) {
            sent.pop();
        }
        let size = message.as_json().len();
        while !sent.lines.is_empty()
            && (sent.lines.len() >= limit || sent.bytes + size > KEEP_SENT_BYTES)
        {
            sent.pop();
        }
        sent.bytes += size;
        sent.lines.push_back(message.clone());
    });
}

thread_local! {
    /// The lines this thread queued, until the writer thread is done with
    /// them (see [`keep_sent`]).
    static SENT: RefCell<Sent> = const {
        RefCell::new(Sent {
            lines: VecDeque::new(),
            bytes: 0,
        })
    };
}

/// The destination `start` registers: puts messages on the queue.
pub(super) struct Handle {
    pub(super) sender: Sender<Message>,
    pub(super) overflow: Overflow,
    /// How many of its queued lines a logging thread keeps (see
    /// [`keep_sent`]): all that the writer can hold.
    pub(super) keep_sent: usize,
    /// The writer thread, to wake it from its polling when the queue is
    /// full.
    pub(super) writer: thread::Thread,
    pub(super) shared: Arc<Shared>,
}

impl Destination for Handle {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        let shared = &*self.shared;
        if shared.is_writer_thread() {
            shared
                .own
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(message.clone());
            return Ok(());
        }
        if shared.closed.load(Ordering::Acquire) {
            shared.write_late(Some(message));
            return Ok(());
        }
        match self.sender.try_send(message.clone()) {
            Ok(()) => keep_sent(message, self.keep_sent),
            Err(TrySendError::Full(message)) => match self.overflow {
                Overflow::Drop => {
                    shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    self.writer.unpark();
                    return Ok(());
                }
                Overflow::Block => {
                    keep_sent(&message, self.keep_sent);
                    if !self.send_blocking(message) {
                        return Ok(());
                    }
                }
            },
            Err(TrySendError::Disconnected(_)) => {
                unreachable!("the receiver lives in `Shared`, which this handle holds")
            }
        }
        // Step 3 of the stop protocol (module doc): pairs with the fence
        // the writer thread runs before its final drain.
        fence(Ordering::SeqCst);
        if shared.closed.load(Ordering::Relaxed) {
            shared.write_late(None);
        }
        Ok(())
    }
}

impl Handle {
    /// Waits for room; true once queued, false if it was written late
    /// instead (the writer finished meanwhile).
    pub(super) fn send_blocking(&self, mut message: Message) -> bool {
        self.writer.unpark();
        loop {
            match self.sender.send_timeout(message, Duration::from_millis(50)) {
                Ok(()) => return true,
                Err(crossbeam_channel::SendTimeoutError::Timeout(back)) => {
                    if self.shared.lock_finish().report.is_some() {
                        self.shared.write_late(Some(&back));
                        return false;
                    }
                    message = back;
                }
                Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => {
                    unreachable!("the receiver lives in `Shared`, which this handle holds")
                }
            }
        }
    }
}
