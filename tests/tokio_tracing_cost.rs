//! What the tracing bridges cost on their hot paths, printed as figures (no
//! timed assertions; compare the ratios, measured side by side in one run):
//!
//! - `EliotLayer`, per poll of a future under `tracing::Instrument`: every
//!   poll enters and exits the span, and the layer makes the span's action
//!   current for it. Beside the same future under the bare registry.
//! - `TracingDestination`, per Eliot message: the message becomes a
//!   `tracing` event. Beside a destination that does nothing with the
//!   message, on one thread and on four threads at once (the call-site
//!   registry is shared by every thread).
//!
//! ```text
//! cargo test --release --test tokio_tracing_cost -- --nocapture
//! ```
//!
//! One test in its own binary: it adds and removes destinations.

mod support;

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::support::poll::{median, run_to_end, yielding};
use eliot::{add_destination, destination_fn, log_message, remove_destination, start_task};
use eliot_tracing::{EliotLayer, TracingDestination};
use tracing::Instrument;
use tracing::Subscriber;
use tracing_subscriber::layer::{Context as LayerContext, Layer};
use tracing_subscriber::prelude::*;

const YIELDS: u32 = 2_000;
const MESSAGES: u64 = 2_000;
const ROUNDS: usize = 31;
const THREADS: u64 = 4;

/// Polls an instrumented `yielding` future to completion; ns per poll.
fn ns_per_poll() -> f64 {
    let future = yielding(YIELDS).instrument(tracing::info_span!("cost", yields = YIELDS));
    let started = Instant::now();
    let (output, polls) = run_to_end(pin!(future));
    black_box(output);
    started.elapsed().as_nanos() as f64 / polls as f64
}

/// Counts the events it sees, so the events are enabled and delivered.
#[derive(Clone, Default)]
struct CountEvents(Arc<AtomicU64>);

impl<S: Subscriber> Layer<S> for CountEvents {
    fn on_event(&self, _event: &tracing::Event<'_>, _ctx: LayerContext<'_, S>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Logs `MESSAGES` messages of one shape on each of `threads` threads, each
/// with `dispatch` as its subscriber; ns per message (wall time over all
/// messages of all threads).
fn ns_per_message(dispatch: &tracing::Dispatch, threads: u64) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let dispatch = dispatch.clone();
            scope.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    let task = start_task!("test:cost");
                    for i in 0..MESSAGES {
                        log_message!(
                            "test:cost:message",
                            thread = thread,
                            i = i,
                            name = "alice",
                            ratio = 0.5,
                            ok = true,
                        );
                    }
                    drop(task);
                });
            });
        }
    });
    started.elapsed().as_nanos() as f64 / (MESSAGES * threads) as f64
}

#[test]
fn per_poll_and_per_message_costs() {
    // EliotLayer, per poll.
    let bare = tracing::Dispatch::new(tracing_subscriber::registry());
    let layered = tracing::Dispatch::new(tracing_subscriber::registry().with(EliotLayer::new()));
    let ignore = add_destination(destination_fn(|m: &eliot::Message| {
        black_box(m);
    }));
    let (mut bare_polls, mut layer_polls) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare_polls.push(tracing::dispatcher::with_default(&bare, ns_per_poll));
        layer_polls.push(tracing::dispatcher::with_default(&layered, ns_per_poll));
    }
    let (bare_poll, layer_poll) = (median(bare_polls), median(layer_polls));
    println!(
        "instrumented poll: registry {bare_poll:.1} ns, registry + EliotLayer {layer_poll:.1} ns \
         (+{:.1} ns per poll)",
        layer_poll - bare_poll
    );

    // TracingDestination, per message: the do-nothing destination alone,
    // then with TracingDestination beside it.
    let events = CountEvents::default();
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(events.clone()));
    for threads in [1, THREADS] {
        let mut alone = Vec::new();
        let mut bridged = Vec::new();
        for _ in 0..ROUNDS {
            alone.push(ns_per_message(&subscriber, threads));
            let destination = add_destination(TracingDestination::new());
            let before = events.0.load(Ordering::Relaxed);
            bridged.push(ns_per_message(&subscriber, threads));
            remove_destination(&destination).unwrap();
            // Every message, plus each thread's task start and end.
            assert_eq!(
                events.0.load(Ordering::Relaxed) - before,
                (MESSAGES + 2) * threads,
                "every message reached tracing once"
            );
        }
        let (alone, bridged) = (median(alone), median(bridged));
        println!(
            "log_message! on {threads} thread(s): {alone:.0} ns/message, with TracingDestination \
             {bridged:.0} ns/message (+{:.0} ns)",
            bridged - alone
        );
    }
    remove_destination(&ignore).unwrap();
}
