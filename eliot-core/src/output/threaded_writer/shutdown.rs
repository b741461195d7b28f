//! The end of a writer: the future of its final report.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::WriterReport;
use super::shared::Shared;

/// The end of a [`ThreadedWriter`](crate::ThreadedWriter): a future of its [`WriterReport`],
/// resolved when the writer thread has written everything, flushed, and is
/// about to exit. Woken by the writer thread, it never blocks its poller.
///
/// Dropping it does not cancel the stop: the thread still drains and exits.
#[must_use = "the stop completes in the background; await or wait() for its report"]
pub struct Shutdown {
    pub(super) shared: Arc<Shared>,
    pub(super) thread: Option<JoinHandle<()>>,
}

impl Shutdown {
    /// Blocks until the writer thread is done, joins it, and returns the
    /// report.
    pub fn wait(mut self) -> WriterReport {
        let report = {
            let mut finish = self.shared.lock_finish();
            loop {
                if let Some(report) = finish.report {
                    break report;
                }
                finish = self
                    .shared
                    .finished
                    .wait(finish)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        if let Some(thread) = self.thread.take() {
            // The thread only returns after publishing the report; it never
            // panics (destination calls are caught).
            let _ = thread.join();
        }
        report
    }

    /// Waits while the writer makes progress; false if it made none for
    /// `patience`.
    pub(super) fn wait_patiently(mut self, patience: Duration) -> bool {
        let mut finish = self.shared.lock_finish();
        let mut progress = self.shared.counters.progress();
        let mut since = Instant::now();
        while finish.report.is_none() {
            let (next, _) = self
                .shared
                .finished
                .wait_timeout(finish, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner);
            finish = next;
            let now_progress = self.shared.counters.progress();
            if now_progress != progress {
                progress = now_progress;
                since = Instant::now();
            } else if since.elapsed() >= patience {
                return false;
            }
        }
        drop(finish);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        true
    }
}

impl Future for Shutdown {
    type Output = WriterReport;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WriterReport> {
        let mut finish = self.shared.lock_finish();
        match finish.report {
            Some(report) => {
                drop(finish);
                // The thread published the report as its last act; join it
                // only if it has already exited, never wait here.
                if self.thread.as_ref().is_some_and(JoinHandle::is_finished)
                    && let Some(thread) = self.thread.take()
                {
                    let _ = thread.join();
                }
                Poll::Ready(report)
            }
            None => {
                if !finish
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    finish.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("done", &self.shared.lock_finish().report.is_some())
            .finish_non_exhaustive()
    }
}
