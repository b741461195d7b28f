//! ThreadedWriterService: start registers, an awaited stop writes everything
//! and never blocks a runtime worker, also on a current-thread runtime.
//!
//! Each test writes its own messages through its own service; destinations
//! are process-wide, so tests count only their own message types.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::support::capture::{poll_until, runtime};
use crate::support::writer::Gated;
use eliot::{FileDestination, WriterError, log_message};
use eliot_tokio::ThreadedWriterService;

fn temp_log(name: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("eliot-service-{}-{name}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn count(path: &std::path::Path, message_type: &str) -> usize {
    let needle = format!("\"message_type\":\"{message_type}\"");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

/// Runs `stop` while a ticker task sleeps and counts in a loop, and returns
/// its output with the number of ticks that happened while it was pending.
/// On a current-thread runtime, a stop that blocked the thread would leave
/// the ticker no chance to run: zero ticks.
async fn ticks_while<F: Future>(ticks: Arc<AtomicU64>, stop: F) -> (F::Output, u64) {
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let before = ticks.load(Ordering::Relaxed);
    let output = stop.await;
    let during = ticks.load(Ordering::Relaxed) - before;
    ticker.abort();
    (output, during)
}

/// On a current-thread runtime the task awaiting the stop is the only thing
/// that runs. The writer is held at a gate that a plain thread opens only
/// once the ticker has ticked 5 times (or after 10 s): an awaited stop lets
/// the ticker run while the writer waits; a stop that blocked the thread
/// would see no tick at all.
#[tokio::test(flavor = "current_thread")]
async fn stop_from_a_task_on_a_current_thread_runtime_does_not_block_it() {
    const TICKS: u64 = 5;
    let path = temp_log("current-thread");
    let gate = Arc::new(Gated::new(FileDestination::create(&path).unwrap()));
    let service = ThreadedWriterService::new(gate.clone());
    service.start().unwrap();
    for i in 0..10_000 {
        log_message!("t:service_current_thread", i = i);
    }
    let ticks = Arc::new(AtomicU64::new(0));
    let opener = {
        let (gate, ticks) = (gate.clone(), ticks.clone());
        std::thread::spawn(move || {
            poll_until(Duration::from_secs(10), || {
                ticks.load(Ordering::Relaxed) >= TICKS
            });
            gate.open();
        })
    };
    let (report, during) = ticks_while(ticks, async {
        tokio::time::timeout(Duration::from_secs(30), tokio::spawn(service.stop()))
            .await
            .expect("stop completes")
            .unwrap()
            .unwrap()
    })
    .await;
    opener.join().unwrap();
    assert!(
        during >= TICKS,
        "the runtime was blocked while the stop was pending: {during} ticks"
    );
    assert_eq!(report.failed, 0);
    assert!(report.written >= 10_000);
    assert_eq!(count(&path, "t:service_current_thread"), 10_000);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misuse_is_a_typed_error() {
    let service = ThreadedWriterService::new(FileDestination::new(std::io::sink()));
    assert!(matches!(service.stop().await, Err(WriterError::NotStarted)));
    service.start().unwrap();
    assert!(matches!(service.start(), Err(WriterError::AlreadyStarted)));
    service.stop().await.unwrap();
    assert!(matches!(
        service.stop().await,
        Err(WriterError::AlreadyStopped)
    ));
    assert!(matches!(service.start(), Err(WriterError::AlreadyStopped)));
}

/// The service is dropped while its destination cannot write at all. Had the
/// drop drained the queue on the worker that dropped it, it would have waited
/// there for the gate (which opens only after the drop returned) until it gave
/// up and abandoned the queue; every line being written proves it did not.
#[test]
fn dropped_inside_a_runtime_without_stop_drains_off_the_worker() {
    let path = temp_log("drop");
    let runtime = runtime(2);
    runtime.block_on(async {
        let gate = Arc::new(Gated::new(FileDestination::create(&path).unwrap()));
        let service = ThreadedWriterService::new(gate.clone());
        service.start().unwrap();
        for i in 0..5_000 {
            log_message!("t:service_dropped", i = i);
        }
        drop(service);
        gate.open();
    });
    // The runtime waits for its blocking tasks when it shuts down.
    drop(runtime);
    assert_eq!(count(&path, "t:service_dropped"), 5_000);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_until_stops_after_the_work_or_the_shutdown_signal() {
    let path = temp_log("run-until");
    let service = ThreadedWriterService::new(FileDestination::create(&path).unwrap());
    let (output, report) = service
        .run_until(
            async {
                log_message!("t:service_work");
                tokio::time::sleep(Duration::from_secs(60)).await;
                "finished"
            },
            tokio::time::sleep(Duration::from_millis(20)),
        )
        .await
        .unwrap();
    assert_eq!(output, None, "the shutdown signal came first");
    assert_eq!(report.failed, 0);
    assert_eq!(count(&path, "t:service_work"), 1);
    let _ = std::fs::remove_file(&path);
}
