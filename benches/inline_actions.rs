//! What `#[inline_actions]` costs per poll and in future size, beside a bare
//! future and `tracing::Instrument`, measured in one process on the same
//! workload.
//!
//! ```text
//! cargo bench --bench inline_actions
//! ```
//!
//! The workload is one future that yields `YIELDS` times (each yield returns
//! `Pending` once), polled to completion by a minimal executor with a no-op
//! waker, through `dyn Future` as a real executor does, so that nothing but
//! the future and its wrapper is measured:
//!
//! - `bare`: a plain `async fn` (`poll::yielding`);
//! - `inline_actions`: the same body under `#[inline_actions]`, with an
//!   action open in it for the whole run (its start and end are written to a
//!   destination that counts them, so the action is real);
//! - `tracing`: the bare future under `tracing::Instrument` with a span, with
//!   `tracing_subscriber::registry()` as the subscriber: spans are enabled and
//!   tracked, nothing is printed (what every tracing user pays, before any
//!   layer). The same with no subscriber at all (the span is disabled) is
//!   printed for reference.
//!
//! Each variant runs `RUNS` futures per round, rounds interleave the
//! variants, and the median of `ROUNDS` rounds is reported. The per-poll
//! overhead of a wrapper is its median minus the bare median. Figures, not
//! assertions: compare the ratios, which are measured side by side.

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/support/poll.rs"]
mod poll;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use eliot::{add_destination, destination_fn, inline_actions, start_action};
use poll::{median, run_to_end, yield_now, yielding};
use tracing::Instrument;

const YIELDS: u32 = 10_000;
const RUNS: u32 = 10;
const ROUNDS: usize = 201;

#[inline_actions]
async fn with_inline_actions(n: u32) -> u32 {
    let _action = start_action!("bench:inline_actions", yields = n);
    let mut acc = 0u32;
    for i in 0..n {
        yield_now().await;
        acc = black_box(acc.wrapping_add(i));
    }
    acc
}

/// The body of `with_inline_actions` without the macro: only its size is
/// measured (it is never polled), to isolate what the macro adds.
#[allow(clippy::await_holding_invalid_type)]
async fn same_body_without_macro(n: u32) -> u32 {
    let _action = start_action!("bench:inline_actions", yields = n);
    let mut acc = 0u32;
    for i in 0..n {
        yield_now().await;
        acc = black_box(acc.wrapping_add(i));
    }
    acc
}

/// The bare body under `#[tracing::instrument]`: only its size is measured.
#[tracing::instrument]
async fn with_tracing_instrument(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        yield_now().await;
        acc = black_box(acc.wrapping_add(i));
    }
    acc
}

fn instrumented(n: u32) -> impl Future<Output = u32> {
    yielding(n).instrument(tracing::info_span!("bench", yields = n))
}

/// Runs `RUNS` futures made by `make`; returns ns per poll.
fn round<F: Future<Output = u32>>(make: impl Fn(u32) -> F, expected: u32) -> f64 {
    let started = Instant::now();
    let mut polls = 0u64;
    for _ in 0..RUNS {
        let future = pin!(make(black_box(YIELDS)));
        let (output, n) = run_to_end(future);
        assert_eq!(output, expected, "every variant computes the same thing");
        polls += n;
    }
    let elapsed = started.elapsed();
    assert_eq!(polls, u64::from(RUNS) * (u64::from(YIELDS) + 1));
    elapsed.as_nanos() as f64 / polls as f64
}

fn main() {
    // Count the lines the actions write, so the run proves they were logged.
    let lines = Arc::new(AtomicU64::new(0));
    let counter = lines.clone();
    let _destination = add_destination(destination_fn(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    let expected = (0..YIELDS).fold(0u32, |acc, i| acc.wrapping_add(i));

    let registry = tracing::Dispatch::new(tracing_subscriber::registry());
    let no_subscriber = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());

    // Warm up every variant once.
    round(yielding, expected);
    round(with_inline_actions, expected);
    tracing::dispatcher::with_default(&registry, || round(instrumented, expected));
    lines.store(0, Ordering::Relaxed);

    let (mut t_bare, mut t_inline, mut t_tracing, mut t_disabled) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        t_bare.push(round(yielding, expected));
        t_inline.push(round(with_inline_actions, expected));
        t_tracing.push(tracing::dispatcher::with_default(&registry, || {
            round(instrumented, expected)
        }));
        t_disabled.push(tracing::dispatcher::with_default(&no_subscriber, || {
            round(instrumented, expected)
        }));
    }
    let logged = lines.load(Ordering::Relaxed);
    let expected_lines = 2 * u64::from(RUNS) * ROUNDS as u64;

    let bare_ns = median(t_bare);
    let inline_ns = median(t_inline);
    let tracing_ns = median(t_tracing);
    let disabled_ns = median(t_disabled);
    let inline_overhead = inline_ns - bare_ns;
    let tracing_overhead = tracing_ns - bare_ns;

    let size_bare = std::mem::size_of_val(&yielding(YIELDS));
    let size_plain_with_action = std::mem::size_of_val(&same_body_without_macro(YIELDS));
    let size_inline = std::mem::size_of_val(&with_inline_actions(YIELDS));
    let size_instrumented = std::mem::size_of_val(&instrumented(YIELDS));
    let size_attribute = std::mem::size_of_val(&with_tracing_instrument(YIELDS));
    let size_overhead = size_inline as i64 - size_plain_with_action as i64;

    println!(
        "workload: {YIELDS} yields per future, {RUNS} futures per round, median of {ROUNDS} rounds, noop waker"
    );
    println!("bare future:                           {bare_ns:7.2} ns/poll");
    println!(
        "#[inline_actions], action open:        {inline_ns:7.2} ns/poll  (+{inline_overhead:.2} ns; {logged} action lines logged, {expected_lines} expected)"
    );
    println!(
        "tracing::Instrument, registry:         {tracing_ns:7.2} ns/poll  (+{tracing_overhead:.2} ns)"
    );
    println!(
        "tracing::Instrument, no subscriber:    {disabled_ns:7.2} ns/poll  (+{:.2} ns; span disabled, for reference)",
        disabled_ns - bare_ns
    );
    println!(
        "future sizes: bare {size_bare} B; same body with an action open {size_plain_with_action} B; \
         under #[inline_actions] {size_inline} B (+{size_overhead} B)"
    );
    println!(
        "future sizes: bare under tracing::Instrument {size_instrumented} B (+{} B); under #[tracing::instrument] {size_attribute} B (+{} B)",
        size_instrumented as i64 - size_bare as i64,
        size_attribute as i64 - size_bare as i64
    );
    println!(
        "inline_actions: per_poll_overhead_vs_tracing={:.2} size_overhead_bytes={size_overhead}",
        inline_overhead / tracing_overhead
    );
}
