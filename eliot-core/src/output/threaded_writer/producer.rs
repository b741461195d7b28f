//! The producers' side: the destination [`ThreadedWriter::start`]
//! registers, which copies each line into the logging thread's ring.
//!
//! [`ThreadedWriter::start`]: super::ThreadedWriter::start

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;

use super::Overflow;
use super::rings::{self, Pushed};
use super::shared::Shared;
use crate::destination::{Destination, DestinationError};
use crate::message::Message;

/// The destination `start` registers: puts lines in the logging thread's
/// ring.
pub(super) struct Handle {
    /// The queue of lines too large for a ring, and of those logged by a
    /// thread that is exiting.
    pub(super) sender: Sender<Message>,
    pub(super) overflow: Overflow,
    /// The writer thread, to wake it when a queue is full or when it
    /// sleeps.
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
        if !self.queue(message) {
            return Ok(()); // Dropped (lossy), or written late.
        }
        // Step 3 of the stop protocol (module doc): pairs with the fence
        // the writer thread runs before its final drain, and with the one
        // it runs before it sleeps (a sleeping writer is woken).
        shared.fences.logging_side();
        if shared.closed.load(Ordering::Relaxed) {
            shared.write_late(None);
        } else if shared.sleeping.load(Ordering::Relaxed) {
            shared.sleeping.store(false, Ordering::Relaxed);
            self.writer.unpark();
        }
        Ok(())
    }
}

impl Handle {
    /// Queues `message`: true once queued, false if it was dropped (lossy
    /// mode) or written late instead (the writer finished meanwhile).
    fn queue(&self, message: &Message) -> bool {
        let shared = &*self.shared;
        let line = message.as_json().as_bytes();
        let mut waited = 0u32;
        loop {
            match rings::push(&shared.rings, line) {
                Pushed::Queued => return true,
                Pushed::Full => {
                    if self.overflow == Overflow::Drop {
                        shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
                        self.writer.unpark();
                        return false;
                    }
                }
                Pushed::TooLarge => {
                    // After every line of this thread still in its ring, so
                    // that its lines stay in order.
                    if rings::own_ring_is_empty(&shared.rings) {
                        return self.send(message.clone());
                    }
                }
                Pushed::NoRing => return self.send(message.clone()),
            }
            // Wait for the writer thread to make room.
            if !self.wait_for_room(&mut waited) {
                shared.write_late(Some(message));
                return false;
            }
        }
    }

    /// Waits a little for the writer thread to take lines; false if it has
    /// finished instead.
    fn wait_for_room(&self, waited: &mut u32) -> bool {
        self.writer.unpark();
        *waited += 1;
        if *waited < 16 {
            thread::yield_now();
        } else {
            thread::sleep(Duration::from_micros(50));
        }
        !waited.is_multiple_of(64) || self.shared.lock_finish().report.is_none()
    }

    /// Sends a line too large for a ring (or from a thread without one) on
    /// the queue of those: true once queued, false if it was dropped or
    /// written late.
    fn send(&self, mut message: Message) -> bool {
        let shared = &*self.shared;
        if self.overflow == Overflow::Drop {
            let sent = self.sender.try_send(message).is_ok();
            if !sent {
                shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            self.writer.unpark();
            return sent;
        }
        self.writer.unpark();
        loop {
            match self.sender.send_timeout(message, Duration::from_millis(50)) {
                Ok(()) => return true,
                Err(crossbeam_channel::SendTimeoutError::Timeout(back)) => {
                    if shared.lock_finish().report.is_some() {
                        shared.write_late(Some(&back));
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
