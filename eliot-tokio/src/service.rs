//! `ThreadedWriter` as a start/stop service for tokio programs ("ThreadedWriter is a Twisted Service" on
//! Eliot's Twisted integration page).
//!
//! [`ThreadedWriterService::start`] registers the writer as a destination;
//! [`ThreadedWriterService::stop`] unregisters it and resolves once
//! everything queued before it was written, flushed, and the writer thread
//! joined. Awaiting it never blocks a runtime worker thread: the writer
//! thread wakes the task when the drain is done, so it works from a task on
//! a current-thread runtime too. A service dropped without `stop` inside a
//! runtime hands the drain to tokio's blocking pool instead of stalling the
//! worker that dropped it.
//!
//! ```
//! use eliot_core::{log_message, FileDestination};
//! use eliot_tokio::ThreadedWriterService;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let path = std::env::temp_dir().join("eliot-doc-service.log");
//! # let _ = std::fs::remove_file(&path);
//! let log_writer = ThreadedWriterService::new(FileDestination::create(&path)?);
//! log_writer.start()?;
//! log_message!("test", value = "hello", another = 1);
//! let report = log_writer.stop().await?; // written, flushed, thread joined
//! assert!(report.written >= 1);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;

use eliot_core::{IntoDestination, ThreadedWriter, WriterError, WriterReport};

/// A [`ThreadedWriter`] with tokio-friendly start and stop; see the
/// [module docs](self).
pub struct ThreadedWriterService {
    /// `None` only after `Drop` handed the writer to the blocking pool.
    writer: Option<ThreadedWriter>,
}

impl ThreadedWriterService {
    /// A service that writes to `destination` (usually a
    /// [`FileDestination`](eliot_core::FileDestination)) from a thread of its
    /// own, with the default lossless queue.
    pub fn new(destination: impl IntoDestination) -> Self {
        Self::from_writer(ThreadedWriter::new(destination))
    }

    /// A service around a writer configured by hand (queue capacity, lossy
    /// mode).
    ///
    /// ```
    /// use eliot_core::{FileDestination, ThreadedWriter};
    /// use eliot_tokio::ThreadedWriterService;
    ///
    /// let writer = ThreadedWriter::new(FileDestination::new(std::io::sink())).with_capacity(1024);
    /// let service = ThreadedWriterService::from_writer(writer);
    /// # drop(service);
    /// ```
    pub fn from_writer(writer: ThreadedWriter) -> Self {
        ThreadedWriterService {
            writer: Some(writer),
        }
    }

    /// The wrapped writer, e.g. for its running [`report`](ThreadedWriter::report).
    pub fn writer(&self) -> &ThreadedWriter {
        self.writer
            .as_ref()
            .expect("the writer is only taken by Drop")
    }

    /// Starts the writer thread and registers the writer as a destination
    /// (Python's `startService()`). Starting twice, or after a stop, is an
    /// error.
    pub fn start(&self) -> Result<(), WriterError> {
        self.writer().start()
    }

    /// Unregisters the writer, writes everything it accepted, flushes, joins
    /// its thread, and reports what it did (Python's `stopService()`, whose
    /// Deferred fires when the queue is written). Stop before start, or a
    /// second stop, is an error.
    ///
    /// The returned future does not borrow the service: start the stop now,
    /// await it later.
    pub fn stop(&self) -> impl Future<Output = Result<WriterReport, WriterError>> + Send + 'static {
        let shutdown = self.writer().shutdown();
        async move { Ok(shutdown?.await) }
    }

    /// Starts the service, runs `work`, then stops the service, whether
    /// `work` returned or the `shutdown` future (e.g. `tokio::signal::ctrl_c()`)
    /// resolved first. Returns `work`'s output, if it finished, and the
    /// writer's report.
    ///
    /// ```
    /// use eliot_core::{log_message, FileDestination};
    /// use eliot_tokio::ThreadedWriterService;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), eliot_core::WriterError> {
    /// let service = ThreadedWriterService::new(FileDestination::new(std::io::sink()));
    /// let (output, report) = service
    ///     .run_until(async { log_message!("app:work"); 42 }, std::future::pending::<()>())
    ///     .await?;
    /// assert_eq!(output, Some(42));
    /// assert!(report.written >= 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_until<W: Future, S: Future>(
        self,
        work: W,
        shutdown: S,
    ) -> Result<(Option<W::Output>, WriterReport), WriterError> {
        self.start()?;
        let output = tokio::select! {
            output = work => Some(output),
            _ = shutdown => None,
        };
        let report = self.stop().await?;
        Ok((output, report))
    }
}

impl Drop for ThreadedWriterService {
    /// A running writer dropped without `stop` still writes everything it
    /// accepted. Inside a tokio runtime the (possibly slow) drain runs on the
    /// blocking pool, not on the worker that dropped the service; elsewhere
    /// it runs here, as `ThreadedWriter`'s own drop does.
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        if !writer.is_running() {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                // A drain that has started runs to completion: a runtime
                // shutting down waits for its running blocking tasks. One
                // not started yet is cancelled then, which drops the closure
                // and with it the writer, whose own drop drains (on the
                // thread shutting the runtime down): nothing is lost.
                drop(runtime.spawn_blocking(move || drop(writer)));
            }
            Err(_) => drop(writer),
        }
    }
}

impl fmt::Debug for ThreadedWriterService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadedWriterService")
            .field("writer", &self.writer)
            .finish()
    }
}
