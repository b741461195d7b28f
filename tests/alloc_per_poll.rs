//! `#[inline_actions]` promises no allocation per poll (eliot-macros docs):
//! resuming a future with an action open swaps two words with a thread-local
//! and allocates nothing. A counting global allocator checks it: only the
//! allocations made on the polling thread while it polls are counted.

// A global allocator is `unsafe impl GlobalAlloc`: this test file alone needs
// unsafe code, to forward every call to the system allocator.
#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use crate::support::poll::{yield_now, yielding};
use eliot::{add_destination, destination_fn, inline_actions, start_action};

/// The system allocator, counting the allocations of threads that asked to
/// be counted.
struct Counting;

thread_local! {
    // `const` and `Copy`: using them never allocates nor registers a
    // destructor. Per thread, so that tests polling on other threads at the
    // same time are not counted.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator can be called while the thread-locals are gone.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments, so
// `System`'s guarantees are ours; counting touches no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller upholds `alloc`'s contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: `ptr` came from `System` (every allocation here does), with
        // `layout`; the caller upholds the rest of `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Polls `future` once and returns the result with the number of
/// allocations the poll made on this thread.
fn poll_counted<F: Future + ?Sized>(
    future: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> (Poll<F::Output>, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    let poll = future.poll(cx);
    COUNTING.with(|c| c.set(false));
    (poll, ALLOCATIONS.with(Cell::get) - before)
}

const YIELDS: u32 = 1_000;

#[inline_actions]
async fn with_an_action_open(yields: u32) -> u32 {
    let _outer = start_action!("t:alloc_outer", yields = yields);
    let _inner = start_action!("t:alloc_inner");
    let mut sum = 0u32;
    for i in 0..yields {
        yield_now().await;
        sum = sum.wrapping_add(i);
    }
    sum
}

/// Polls `future` to completion through `dyn Future`, as an executor does,
/// and returns the allocations of each poll.
fn allocations_per_poll(future: impl Future<Output = u32>) -> Vec<u64> {
    let mut future: Pin<&mut dyn Future<Output = u32>> = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut counts = Vec::new();
    loop {
        let (poll, allocations) = poll_counted(future.as_mut(), &mut cx);
        counts.push(allocations);
        if poll.is_ready() {
            return counts;
        }
    }
}

#[test]
fn resuming_an_inline_actions_future_allocates_nothing() {
    // A destination, so that the actions' messages are really written.
    let written = std::sync::Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let destination = add_destination(destination_fn(move |m: &eliot::Message| {
        if m.as_json().contains("\"t:alloc_") {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }));

    let counts = allocations_per_poll(with_an_action_open(YIELDS));
    eliot::remove_destination(&destination).unwrap();

    // The first poll starts both actions, the last one finishes them; every
    // poll between resumes the body from one yield to the next.
    assert_eq!(counts.len(), YIELDS as usize + 1);
    assert!(
        counts[0] > 0,
        "starting two actions allocates (the counter works): {counts:?}"
    );
    assert_eq!(written.load(Ordering::Relaxed), 4, "2 starts, 2 ends");
    let resumes = &counts[1..counts.len() - 1];
    let allocating = resumes.iter().filter(|&&n| n > 0).count();
    assert_eq!(
        allocating,
        0,
        "{allocating} of {} resuming polls allocated ({} allocations)",
        resumes.len(),
        resumes.iter().sum::<u64>()
    );
}

/// The counter is not blind to a wrapper that allocates on every poll (and
/// the bare loop inside it allocates nothing of its own).
#[test]
fn an_allocating_wrapper_is_counted_on_every_poll() {
    struct BoxEachPoll<F>(Pin<Box<F>>);

    impl<F: Future> Future for BoxEachPoll<F> {
        type Output = F::Output;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            std::hint::black_box(Box::new(0u64));
            self.0.as_mut().poll(cx)
        }
    }

    let counts = allocations_per_poll(BoxEachPoll(Box::pin(yielding(YIELDS))));
    assert_eq!(counts.len(), YIELDS as usize + 1);
    assert!(counts.iter().all(|&n| n == 1), "{counts:?}");
}
