//! Stopping from async code: `shutdown()` returns a future that the writer
//! thread wakes when the drain is complete, so awaiting it never blocks the
//! runtime, even a current-thread one, even with a slow destination.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::support::writer::{Gated, Slow};
use eliot::{FileDestination, Shutdown, ThreadedWriter, log_message};

const _: () = {
    const fn send_static<T: Send + Sync + 'static>() {}
    send_static::<Shutdown>();
    send_static::<ThreadedWriter>();
};

async fn stop_while_ticking(writer: ThreadedWriter) -> (eliot::WriterReport, u64) {
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let report = writer.shutdown().unwrap().await;
    ticker.abort();
    (report, ticks.load(Ordering::Relaxed))
}

fn slow_writer_with_messages(tag: &str) -> ThreadedWriter {
    let slow = Slow::new(
        FileDestination::new(std::io::sink()),
        Duration::from_millis(100),
    );
    let writer = ThreadedWriter::new(slow);
    writer.start().unwrap();
    // The first batch takes the first message; the rest wait for it.
    log_message!("test:async_stop", tag = tag, n = 0);
    std::thread::sleep(Duration::from_millis(20));
    for n in 1..10 {
        log_message!("test:async_stop", tag = tag, n = n);
    }
    writer
}

#[test]
fn awaiting_shutdown_does_not_block_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let writer = slow_writer_with_messages("current");
    let (report, ticks) = runtime.block_on(stop_while_ticking(writer));
    assert!(report.written >= 10);
    // ~200 ms of draining: the runtime's only thread kept ticking meanwhile.
    assert!(ticks >= 5, "the runtime was blocked: {ticks} ticks");
}

#[test]
fn awaiting_shutdown_on_a_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let writer = slow_writer_with_messages("multi");
    let (report, ticks) =
        runtime.block_on(async { tokio::spawn(stop_while_ticking(writer)).await.unwrap() });
    assert!(report.written >= 10);
    assert!(ticks >= 5, "{ticks} ticks");
}

#[test]
fn a_finished_shutdown_resolves_at_once_and_wait_blocks() {
    let writer = ThreadedWriter::new(FileDestination::new(std::io::sink()));
    writer.start().unwrap();
    let shutdown = writer.shutdown().unwrap();
    let report = shutdown.wait();
    assert_eq!(report.failed, 0);
    assert!(writer.shutdown().is_err());
}

#[test]
fn polling_the_shutdown_never_waits_for_a_blocked_destination() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let gate = Arc::new(Gated::new(FileDestination::new(std::io::sink())));
    let writer = ThreadedWriter::new(gate.clone());
    writer.start().unwrap();
    log_message!("test:async_stop:blocked");
    let mut shutdown = std::pin::pin!(writer.shutdown().unwrap());
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..20 {
        let started = std::time::Instant::now();
        assert!(shutdown.as_mut().poll(&mut cx).is_pending());
        // A poll that waited would wait until the gate opens.
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "a poll waited"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    gate.open();
    let report = loop {
        if let Poll::Ready(report) = shutdown.as_mut().poll(&mut cx) {
            break report;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(report.written >= 1);
}
