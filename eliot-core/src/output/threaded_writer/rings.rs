//! The logging threads' rings: each thread that logs to a
//! [`ThreadedWriter`](super::ThreadedWriter) copies its lines into a byte
//! ring of its own, which the writer thread empties.
//!
//! A ring has one writer (its logging thread) and one reader (whoever holds
//! the list's lock: the writer thread, or a thread writing late), so a line
//! is handed over with a copy and one release store, without a lock, a
//! compare-and-swap or an allocation: the line's own allocation stays with
//! the thread that made it, which frees it at once. `rtrb` is the ring: a
//! well-kept wait-free single-producer single-consumer queue.

use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rtrb::{Consumer, Producer, RingBuffer};

/// Every logging thread's ring of one writer.
pub(super) struct Rings {
    consumers: Mutex<Vec<Consumer<u8>>>,
    /// The size of each ring, in bytes.
    ring_bytes: usize,
}

/// What became of a line given to [`push`].
pub(super) enum Pushed {
    /// It is in this thread's ring.
    Queued,
    /// The ring has no room for it now.
    Full,
    /// It is larger than a whole ring.
    TooLarge,
    /// This thread's ring cannot be reached: the thread is exiting.
    NoRing,
}

thread_local! {
    /// This thread's rings, one per writer it logged to, by the address of
    /// the writer's `Rings`.
    static PRODUCERS: RefCell<Vec<(usize, Producer<u8>)>> = const { RefCell::new(Vec::new()) };
}

impl Rings {
    pub(super) fn new(ring_bytes: usize) -> Self {
        Rings {
            consumers: Mutex::new(Vec::new()),
            ring_bytes,
        }
    }

    fn key(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Consumer<u8>>> {
        self.consumers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends to `out` the lines queued in every ring (from each, the
    /// whole lines among its first [`TAKE_BYTES`], or its first line if
    /// that is longer), and forgets the rings of threads that exited once
    /// they are empty; returns how many lines it appended.
    pub(super) fn drain_into(&self, out: &mut Vec<u8>) -> u64 {
        let before = out.len();
        self.lock().retain_mut(|consumer| {
            let queued = consumer.slots();
            if queued > 0
                && let Ok(chunk) = consumer.read_chunk(queued)
            {
                let (first, second) = chunk.as_slices();
                let taken = whole_lines(first, second, TAKE_BYTES);
                out.extend_from_slice(&first[..taken.min(first.len())]);
                out.extend_from_slice(&second[..taken.saturating_sub(first.len())]);
                chunk.commit(taken);
            }
            // Its thread may have queued more since: kept until it is
            // seen empty after the thread let go of it.
            !(consumer.is_abandoned() && consumer.is_empty())
        });
        count_lines(&out[before..])
    }

    /// How many lines wait in the rings.
    pub(super) fn queued_lines(&self) -> u64 {
        self.lock()
            .iter_mut()
            .map(|consumer| {
                let queued = consumer.slots();
                consumer.read_chunk(queued).map_or(0, |chunk| {
                    let (first, second) = chunk.as_slices();
                    // Not committed: read, not taken.
                    count_lines(first) + count_lines(second)
                })
            })
            .sum()
    }
}

/// At most this many bytes are taken from a ring at once (unless its first
/// line is longer): the writer's batch stays this size per logging thread
/// instead of a whole ring's.
const TAKE_BYTES: usize = 1 << 20;

/// How many bytes of `first` then `second` (whole lines, each ending with
/// `\n`) to take: the lines that end within `limit` bytes, or the first
/// line if it alone is longer.
fn whole_lines(first: &[u8], second: &[u8], limit: usize) -> usize {
    let total = first.len() + second.len();
    if total <= limit {
        return total;
    }
    let byte = |at: usize| {
        if at < first.len() {
            first[at]
        } else {
            second[at - first.len()]
        }
    };
    // The last newline within the limit ends the last line taken.
    if let Some(end) = (0..limit).rev().find(|&at| byte(at) == b'\n') {
        return end + 1;
    }
    (limit..total)
        .find(|&at| byte(at) == b'\n')
        .map_or(total, |end| end + 1)
}

/// The `\n`s in `bytes`: each line in a ring ends with one. The writer
/// thread counts every byte it takes, so with memchr's vector search: a
/// byte-by-byte count cost it about 5 instructions per byte, as much as
/// the logging thread spends on a whole message.
pub(super) fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Queues `line` and its `\n` in this thread's ring of `rings`, made and
/// registered on first use.
pub(super) fn push(rings: &Rings, line: &[u8]) -> Pushed {
    let needed = line.len() + 1;
    if needed > rings.ring_bytes {
        return Pushed::TooLarge;
    }
    let key = rings.key();
    let pushed = PRODUCERS.try_with(|producers| {
        let Ok(mut producers) = producers.try_borrow_mut() else {
            return Pushed::NoRing;
        };
        let producer = match producers
            .iter()
            .position(|(k, p)| *k == key && !p.is_abandoned())
        {
            Some(at) => &mut producers[at].1,
            None => {
                // The rings of writers that are gone (their address may
                // be reused by this one).
                producers.retain(|(_, p)| !p.is_abandoned());
                let (mut producer, consumer) = RingBuffer::new(rings.ring_bytes);
                touch_every_page(&mut producer);
                rings.lock().push(consumer);
                producers.push((key, producer));
                &mut producers.last_mut().expect("just pushed").1
            }
        };
        let Ok(mut chunk) = producer.write_chunk(needed) else {
            return Pushed::Full;
        };
        let (first, second) = chunk.as_mut_slices();
        copy_line(line, first, second);
        chunk.commit_all();
        Pushed::Queued
    });
    pushed.unwrap_or(Pushed::NoRing)
}

/// Writes the whole of a new ring once, without queuing anything, so that
/// the system maps its pages now. Otherwise the call that first reaches
/// each 4 KiB page of the ring waits for a page fault: one call in about 45
/// over the ring's first round, 2,048 calls for a ring of 8 MiB, enough to
/// make the caller's p99.9 over a million calls that of a page fault. The
/// thread's first call pays for all of them at once instead (the process
/// takes as many faults either way).
fn touch_every_page(producer: &mut Producer<u8>) {
    // `write_chunk` fills the slots with zeros; dropped uncommitted, the
    // chunk queues nothing.
    drop(producer.write_chunk(producer.slots()));
}

/// Whether this thread's ring of `rings` is empty (or it has none): every
/// line it queued was taken by the writer.
pub(super) fn own_ring_is_empty(rings: &Rings) -> bool {
    let key = rings.key();
    PRODUCERS
        .try_with(|producers| {
            producers.try_borrow().map_or(true, |producers| {
                producers
                    .iter()
                    .filter(|(k, p)| *k == key && !p.is_abandoned())
                    .all(|(_, p)| p.slots() == p.buffer().capacity())
            })
        })
        .unwrap_or(true)
}

/// Copies `line` then `\n` into `first` then `second`, whose lengths add
/// up to one more than the line's.
fn copy_line(line: &[u8], first: &mut [u8], second: &mut [u8]) {
    if first.len() > line.len() {
        first[..line.len()].copy_from_slice(line);
        first[line.len()] = b'\n';
    } else {
        let (head, tail) = line.split_at(first.len());
        first.copy_from_slice(head);
        second[..tail.len()].copy_from_slice(tail);
        second[tail.len()] = b'\n';
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_around_the_ring_whole_and_in_order() {
        let rings = Rings::new(64);
        let mut out = Vec::new();
        let mut expected = Vec::new();
        for i in 0..100 {
            let line = format!("{{\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 17));
            assert!(matches!(push(&rings, line.as_bytes()), Pushed::Queued));
            expected.extend_from_slice(line.as_bytes());
            expected.push(b'\n');
            assert_eq!(rings.queued_lines(), 1);
            assert_eq!(rings.drain_into(&mut out), 1);
        }
        assert_eq!(out, expected);
        assert!(own_ring_is_empty(&rings));
    }

    #[test]
    fn whole_lines_are_taken_up_to_the_limit_or_the_first_line_alone() {
        assert_eq!(whole_lines(b"ab\ncd\n", b"", 100), 6);
        assert_eq!(whole_lines(b"ab\ncd\n", b"", 5), 3);
        assert_eq!(whole_lines(b"ab", b"\ncd\n", 4), 3);
        assert_eq!(whole_lines(b"abcdef", b"gh\nij\n", 4), 9);
    }

    #[test]
    fn a_full_ring_refuses_and_a_huge_line_never_fits() {
        let rings = Rings::new(32);
        assert!(matches!(push(&rings, &[b'a'; 20]), Pushed::Queued));
        assert!(matches!(push(&rings, &[b'b'; 20]), Pushed::Full));
        assert!(!own_ring_is_empty(&rings));
        assert!(matches!(push(&rings, &[b'c'; 32]), Pushed::TooLarge));
        let mut out = Vec::new();
        assert_eq!(rings.drain_into(&mut out), 1);
        assert!(matches!(push(&rings, &[b'b'; 20]), Pushed::Queued));
    }

    #[test]
    fn the_ring_of_a_thread_that_exited_is_drained_then_forgotten() {
        let rings = std::sync::Arc::new(Rings::new(1024));
        let theirs = rings.clone();
        std::thread::spawn(move || {
            assert!(matches!(
                push(&theirs, b"{\"from\":\"them\"}"),
                Pushed::Queued
            ));
        })
        .join()
        .unwrap();
        let mut out = Vec::new();
        assert_eq!(rings.drain_into(&mut out), 1);
        assert_eq!(out, b"{\"from\":\"them\"}\n");
        assert!(rings.lock().is_empty(), "forgotten once empty");
    }
}
