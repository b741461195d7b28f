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
//!
//! A thread's first ring is small ([`FIRST_RING_BYTES`]). A thread that
//! finds its ring full moves on to a new ring four times larger, up to the
//! writer's capacity, and queues there from then on: a thread's lines form
//! a chain of rings, drained oldest first, and a ring that was left is
//! forgotten (freed) once it is empty. So a thread holds as much ring as
//! its bursts of logging have needed, and only the largest ring full makes
//! it wait (or, lossy, drop).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rtrb::{Consumer, Producer, RingBuffer};

/// Every logging thread's chain of rings of one writer.
pub(super) struct Rings {
    chains: Mutex<Chains>,
    /// The size of a thread's first ring, in bytes.
    first_bytes: usize,
    /// The size of the largest ring, in bytes: the writer's capacity.
    ring_bytes: usize,
}

/// The size of a thread's first ring (unless the capacity is smaller).
/// Written through at the thread's first message (see
/// [`touch_every_page`]), it costs that call 64 page faults instead of the
/// 2,048 of a ring of the default 8 MiB, and the thread holds 256 KiB
/// unless it logs faster than the writer thread writes.
const FIRST_RING_BYTES: usize = 256 << 10;

/// How much larger a thread's next ring is than the one it filled.
const GROWTH: usize = 4;

#[derive(Default)]
struct Chains {
    list: Vec<Chain>,
    next_id: u64,
}

/// One logging thread's rings, oldest first: only the last one receives
/// lines; the others are drained, then forgotten.
struct Chain {
    id: u64,
    rings: VecDeque<Consumer<u8>>,
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

/// This thread's ring for one writer: the last of its chain.
struct Local {
    /// The address of the writer's `Rings`.
    key: usize,
    /// Its chain in the writer's `Rings`.
    chain: u64,
    producer: Producer<u8>,
}

thread_local! {
    /// This thread's rings, one per writer it logged to.
    static PRODUCERS: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

impl Rings {
    /// Rings of at most `ring_bytes` each.
    pub(super) fn new(ring_bytes: usize) -> Self {
        Self::with_first(FIRST_RING_BYTES, ring_bytes)
    }

    fn with_first(first_bytes: usize, ring_bytes: usize) -> Self {
        Rings {
            chains: Mutex::new(Chains::default()),
            first_bytes: first_bytes.min(ring_bytes),
            ring_bytes,
        }
    }

    fn key(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    fn lock(&self) -> MutexGuard<'_, Chains> {
        self.chains.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new chain holding `consumer`: its id.
    fn new_chain(&self, consumer: Consumer<u8>) -> u64 {
        let mut chains = self.lock();
        let id = chains.next_id;
        chains.next_id += 1;
        chains.list.push(Chain {
            id,
            rings: VecDeque::from([consumer]),
        });
        id
    }

    /// Appends `consumer` to chain `id`; false if there is no such chain.
    fn extend_chain(&self, id: u64, consumer: Consumer<u8>) -> bool {
        let mut chains = self.lock();
        let Some(chain) = chains.list.iter_mut().find(|chain| chain.id == id) else {
            return false;
        };
        chain.rings.push_back(consumer);
        true
    }

    /// Appends to `out` the lines queued in every chain (from each, the
    /// whole lines among the first [`TAKE_BYTES`] of its oldest ring, or
    /// that ring's first line if it is longer; a ring found empty after its
    /// thread left it gives way to the next in the same call), and forgets
    /// the rings left and emptied, and the chains of threads that exited;
    /// returns how many lines it appended.
    pub(super) fn drain_into(&self, out: &mut Vec<u8>) -> u64 {
        let before = out.len();
        self.lock().list.retain_mut(|chain| {
            while let Some(oldest) = chain.rings.front_mut() {
                let queued = oldest.slots();
                if queued > 0
                    && let Ok(chunk) = oldest.read_chunk(queued)
                {
                    let (first, second) = chunk.as_slices();
                    let taken = whole_lines(first, second, TAKE_BYTES);
                    out.extend_from_slice(&first[..taken.min(first.len())]);
                    out.extend_from_slice(&second[..taken.saturating_sub(first.len())]);
                    chunk.commit(taken);
                }
                // Its thread may have queued more since: kept until it is
                // seen empty after the thread let go of it (for a larger
                // ring, or on exit).
                if !(oldest.is_abandoned() && oldest.is_empty()) {
                    return true;
                }
                chain.rings.pop_front();
            }
            false
        });
        count_lines(&out[before..])
    }

    /// How many lines wait in the rings.
    pub(super) fn queued_lines(&self) -> u64 {
        self.lock()
            .list
            .iter_mut()
            .flat_map(|chain| chain.rings.iter_mut())
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
/// registered on first use, replaced by a larger one when full.
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
        let local = match producers
            .iter()
            .position(|local| local.key == key && !local.producer.is_abandoned())
        {
            Some(at) => &mut producers[at],
            None => {
                // The rings of writers that are gone (their address may
                // be reused by this one).
                producers.retain(|local| !local.producer.is_abandoned());
                let (producer, consumer) = new_ring(rings.first_bytes.max(needed));
                let chain = rings.new_chain(consumer);
                producers.push(Local {
                    key,
                    chain,
                    producer,
                });
                producers.last_mut().expect("just pushed")
            }
        };
        if queue_line(&mut local.producer, line) {
            return Pushed::Queued;
        }
        let size = local.producer.buffer().capacity();
        if size == rings.ring_bytes {
            return Pushed::Full;
        }
        // Full: go on in a larger ring. This one is drained first, then
        // forgotten.
        let larger = (size * GROWTH).max(needed).min(rings.ring_bytes);
        let (producer, consumer) = new_ring(larger);
        if !rings.extend_chain(local.chain, consumer) {
            return Pushed::Full;
        }
        local.producer = producer;
        if queue_line(&mut local.producer, line) {
            Pushed::Queued
        } else {
            Pushed::Full
        }
    });
    pushed.unwrap_or(Pushed::NoRing)
}

/// Copies `line` and its `\n` into `producer`'s ring; false if they do
/// not fit. (`write_chunk` reads where the writer thread is only when the
/// room it last saw is not enough.)
fn queue_line(producer: &mut Producer<u8>, line: &[u8]) -> bool {
    let Ok(mut chunk) = producer.write_chunk(line.len() + 1) else {
        return false;
    };
    let (first, second) = chunk.as_mut_slices();
    copy_line(line, first, second);
    chunk.commit_all();
    true
}

/// A ring of `bytes`, written through (see [`touch_every_page`]).
fn new_ring(bytes: usize) -> (Producer<u8>, Consumer<u8>) {
    let (mut producer, consumer) = RingBuffer::new(bytes);
    touch_every_page(&mut producer);
    (producer, consumer)
}

/// Writes the whole of a new ring once, without queuing anything, so that
/// the system maps its pages now. Otherwise the call that first reaches
/// each 4 KiB page of the ring waits for a page fault: one call in about 45
/// over the ring's first round, enough to make the caller's p99.9 over a
/// million calls that of a page fault. The call that makes the ring (the
/// thread's first, or one that found its ring full) pays for all of them
/// at once instead (the process takes as many faults either way).
fn touch_every_page(producer: &mut Producer<u8>) {
    // `write_chunk` fills the slots with zeros; dropped uncommitted, the
    // chunk queues nothing.
    drop(producer.write_chunk(producer.slots()));
}

/// Whether this thread's rings of `rings` are empty (or it has none):
/// every line it queued was taken by the writer.
pub(super) fn own_ring_is_empty(rings: &Rings) -> bool {
    let key = rings.key();
    let chain = PRODUCERS
        .try_with(|producers| {
            producers.try_borrow().ok().and_then(|producers| {
                producers
                    .iter()
                    .find(|local| local.key == key && !local.producer.is_abandoned())
                    .map(|local| local.chain)
            })
        })
        .ok()
        .flatten();
    let Some(chain) = chain else {
        return true;
    };
    rings
        .lock()
        .list
        .iter()
        .filter(|c| c.id == chain)
        .all(|c| c.rings.iter().all(Consumer::is_empty))
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
        assert!(rings.lock().list.is_empty(), "forgotten once empty");
    }

    #[test]
    fn a_full_ring_gives_way_to_a_larger_one_and_the_lines_stay_in_order() {
        let rings = Rings::with_first(64, 1024);
        let mut expected = Vec::new();
        let mut i = 0;
        // Nothing is drained: the thread goes through rings of 64, 256 and
        // 1024 bytes, and only the largest full refuses a line.
        loop {
            let line = format!("{{\"i\":{i}}}");
            match push(&rings, line.as_bytes()) {
                Pushed::Queued => {}
                Pushed::Full => break,
                _ => panic!("a line this short always has a ring"),
            }
            expected.extend_from_slice(line.as_bytes());
            expected.push(b'\n');
            i += 1;
        }
        assert!(expected.len() > 64 + 256, "grew to the largest ring");
        assert_eq!(rings.lock().list[0].rings.len(), 3);
        assert!(!own_ring_is_empty(&rings));
        assert_eq!(rings.queued_lines(), i);

        let mut out = Vec::new();
        assert_eq!(rings.drain_into(&mut out), i, "every ring in one drain");
        assert_eq!(out, expected);
        assert!(own_ring_is_empty(&rings));
        assert_eq!(
            rings.lock().list[0].rings.len(),
            1,
            "the rings left are forgotten once empty"
        );
        assert!(matches!(push(&rings, b"{\"after\":1}"), Pushed::Queued));
        out.clear();
        assert_eq!(rings.drain_into(&mut out), 1);
        assert_eq!(out, b"{\"after\":1}\n");
    }

    #[test]
    fn a_ring_left_with_lines_is_drained_before_the_next() {
        let rings = Rings::with_first(32, 128);
        assert!(matches!(push(&rings, &[b'a'; 20]), Pushed::Queued));
        // Does not fit beside the first line: a new ring of 128 bytes.
        assert!(matches!(push(&rings, &[b'b'; 20]), Pushed::Queued));
        assert!(matches!(push(&rings, &[b'c'; 20]), Pushed::Queued));
        let mut out = Vec::new();
        assert_eq!(rings.drain_into(&mut out), 3);
        let mut expected = Vec::new();
        for b in [b'a', b'b', b'c'] {
            expected.extend_from_slice(&[b; 20]);
            expected.push(b'\n');
        }
        assert_eq!(out, expected);
    }
}
