//! Polling futures by hand, for the measurements of per-poll costs (the
//! inline_actions benchmark, the tracing bridges' cost test) and the
//! allocation-per-poll test: a one-suspension future, the plain loop that
//! awaits it, a poll loop as an executor runs it, and a median.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Returns `Pending` once, then `Ready`: one suspension point, no
/// allocation.
pub struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// One suspension point (see [`YieldNow`]).
pub fn yield_now() -> YieldNow {
    YieldNow(false)
}

/// `n` suspensions and a sum, without Eliot or tracing: the bare body the
/// measured variants are compared with.
pub async fn yielding(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        yield_now().await;
        acc = black_box(acc.wrapping_add(i));
    }
    acc
}

/// Polls `future` to completion; returns its output and how many polls it
/// took. The future is polled through `dyn Future`, as a real executor's
/// task harness does, so that no variant gets its poll inlined into this loop
/// and every variant pays the same one indirect call per poll.
#[inline(never)]
pub fn run_to_end(future: Pin<&mut dyn Future<Output = u32>>) -> (u32, u64) {
    let mut future = future;
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0u64;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
    }
}

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
