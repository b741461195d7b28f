//! The public type: a writer that starts, stops and reports.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};

use super::fences::Fences;
use super::producer::Handle;
use super::rings::Rings;
use super::shared::{Counters, Finish, OwnLine, Shared};
use super::shutdown::Shutdown;
use super::writer_thread::writer_thread;
use super::{
    BYTES_PER_MESSAGE, DEFAULT_CAPACITY, DROP_PATIENCE, MAX_BATCH, Overflow, RING_BYTES,
    WriterError, WriterReport,
};
use crate::destination::Destination;
use crate::registry::{IntoDestination, add_destination, remove_destination};

/// `ThreadedWriter`: a destination that hands messages to a thread of its
/// own, which writes them to a blocking destination (Eliot's
/// `eliot.logwriter.ThreadedWriter`).
///
/// Logging from an async runtime must never wait for a disk. A
/// [`ThreadedWriter`] wraps any blocking [`Destination`] (usually a
/// [`FileDestination`](crate::FileDestination)); the logging thread only
/// copies the finished line into a bounded queue of its own, and one writer
/// thread takes the lines of every queue in batches and writes each batch
/// with one call.
///
/// ```
/// use eliot_core::{log_message, FileDestination, ThreadedWriter};
///
/// let path = std::env::temp_dir().join("eliot-doc-threaded-writer.log");
/// # let _ = std::fs::remove_file(&path);
/// let writer = ThreadedWriter::new(FileDestination::create(&path)?);
/// writer.start()?; // registers it as a destination
///
/// log_message!("app:hello", who = "world");
///
/// // Unregisters, writes everything queued, flushes, joins the thread.
/// let report = writer.stop()?;
/// assert_eq!(report.failed, 0);
/// assert!(std::fs::read_to_string(&path)?.contains("app:hello"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Promises
///
/// - **Lossless by default.** The queue of each logging thread is bounded
///   ([`DEFAULT_CAPACITY`], [`ThreadedWriter::with_capacity`]); when it is
///   full, the logging thread waits for room (backpressure). Memory is
///   bounded by the queues. An explicit lossy mode
///   ([`ThreadedWriter::lossy`]) drops instead, counts the drops, and writes
///   an `eliot:messages_dropped` message with the count into the log as soon
///   as the queue has room again.
/// - **Each thread's lines stay in order.** The lines of different threads
///   are written in runs, a run of each thread's lines at a time.
/// - **Everything accepted before [`stop`](ThreadedWriter::stop) is
///   written** when it returns (or when the future of
///   [`shutdown`](ThreadedWriter::shutdown) resolves).
/// - **A message racing with stop is written, never silently lost.** The
///   registry lets a thread that took its snapshot of the destinations before
///   the writer was unregistered deliver one more message afterwards. Such a
///   message is written by the thread that logged it, after the writer
///   thread's final drain, in order, and counted in
///   [`WriterReport::late`].
/// - **Errors are visible, never fatal.** A write that fails (full disk,
///   closed pipe) or a destination that panics is reported once per run of
///   failures, on stderr and as an `eliot:destination_failure` message (which
///   reaches every destination, and this one as soon as it works again),
///   counted in [`WriterReport::failed`], and writing goes on.
/// - **Dropping without stopping** stops it: nothing queued is lost and the
///   drop does not hang on a destination that makes no progress (it gives up
///   after [`DROP_PATIENCE`] without progress, and says so on stderr).
///
/// # The caller's cost
///
/// A logging call builds its JSON line on the calling thread into a reused
/// per-thread buffer (one allocation: the finished `Arc<str>` line), then
/// [`ThreadedWriter`] copies the line into a byte ring of the calling
/// thread's own (wait-free: no lock, no compare-and-swap, no allocation;
/// the line's allocation is freed at once by the thread that made it). No
/// lock is held while formatting, there is no I/O, and the writer thread is
/// not woken per message: while it is busy it finds the next lines on its
/// own (after a small batch it lets lines gather for 200 µs); when the
/// rings drain it flushes, then polls them with waits growing from 500 µs
/// to [`MAX_IDLE_POLL`](crate::MAX_IDLE_POLL), and takes what accumulated as one batch. Only
/// after [`SLEEP_AFTER_IDLE`](crate::SLEEP_AFTER_IDLE) without a message does it sleep until the
/// next one, which then pays a few microseconds for the wake-up.
///
/// ## Why the line is built on the caller's thread
///
/// The alternative is to capture the fields as owned values on the caller's
/// thread and serialize them on the writer thread (`cargo bench --bench
/// writer` compares both in its `placement` lines; the figures are in the
/// README's Benchmarks section):
///
/// - a field borrows the caller's data and may be any `Serialize` type, so
///   capturing it means converting it to an owned form (`serde_json::Value`
///   is the general one). For a few scalars that saves the caller little;
///   with a small struct holding a string and a list, capturing costs the
///   caller *more* than writing its JSON;
/// - the writer thread would then pay about as much again per message. It
///   is the one thread that does not scale with the number of producers,
///   and a lossless queue turns its slowness into backpressure on every
///   caller; copying finished lines keeps its share small;
/// - the timestamp and the task level belong to the moment of the call, and
///   the queue would hold larger, pointer-rich values instead of one compact
///   line.
///
/// So the caller builds the line and the writer thread only copies bytes.
/// The building itself is lean: strings that need no escaping (keys, types,
/// UUIDs) are copied as they are, and each line is freed at once by the
/// thread that allocated it (the ring holds a copy), so freeing never takes
/// another thread's allocator lock and the memory is reused at once.
///
/// # Stopping from async code
///
/// [`shutdown`](ThreadedWriter::shutdown) unregisters the writer and asks its
/// thread to drain, without waiting; it returns a [`Shutdown`], which is a
/// `std::future::Future` (runtime-agnostic: the writer thread wakes it when
/// the drain is complete, so awaiting it never blocks a runtime worker, also
/// on a current-thread runtime) and also has a blocking
/// [`wait`](Shutdown::wait).
///
/// For a service wrapper (such as eliot-tokio's): `shutdown` itself never
/// blocks (two short locks, the unregistration, a signal); a poll of
/// [`Shutdown`] takes one short lock that is never held across a write, so
/// it returns at once even while the destination is stuck; the future is
/// `Send + 'static` and resolves once, with the thread's report; dropping it
/// does not cancel anything. [`ThreadedWriter`] is `Send + Sync` and all its
/// methods take `&self`.
///
/// ```
/// use eliot_core::{FileDestination, ThreadedWriter};
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Wake, Waker};
/// #     struct Unpark(std::thread::Thread);
/// #     impl Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
/// #     let mut f = std::pin::pin!(f);
/// #     loop {
/// #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(&waker)) { return v; }
/// #         std::thread::park();
/// #     }
/// # }
/// let writer = ThreadedWriter::new(FileDestination::new(std::io::sink()));
/// writer.start()?;
/// let shutdown = writer.shutdown()?;
/// let report = block_on(async { shutdown.await }); // e.g. in a tokio task
/// assert_eq!(report.failed, 0);
/// # Ok::<(), eliot_core::WriterError>(())
/// ```
pub struct ThreadedWriter {
    inner: Arc<dyn Destination>,
    capacity: usize,
    overflow: Overflow,
    state: Mutex<State>,
}

enum State {
    Idle,
    Running(Running),
    Stopped(Arc<Shared>),
}

struct Running {
    shared: Arc<Shared>,
    registered: Arc<dyn Destination>,
    thread: JoinHandle<()>,
}

impl ThreadedWriter {
    /// Wraps a blocking destination: a destination value, an `Arc` of one,
    /// or an `Arc<dyn Destination>`. Lossless, with a queue of
    /// [`DEFAULT_CAPACITY`] messages.
    pub fn new(destination: impl IntoDestination) -> Self {
        ThreadedWriter {
            inner: destination.into_destination(),
            capacity: DEFAULT_CAPACITY,
            overflow: Overflow::Block,
            state: Mutex::new(State::Idle),
        }
    }

    /// Sets how many messages each logging thread's queue holds (at least
    /// 1), counted at 512 bytes each: the queue is a ring of up to
    /// `capacity * 512` bytes, at least 4 KiB and at most 8 MiB, so it holds
    /// `capacity` messages of 512 bytes, more smaller ones, or fewer larger
    /// ones. Memory is bounded by it: per thread that logged to the writer,
    /// its ring (freed when the thread exits) and, just after it outgrew
    /// its ring, the one it left until that is written; plus the batch being
    /// written, plus a queue of [`MAX_BATCH`] lines too large for a ring.
    ///
    /// A thread's first ring is 256 KiB (or the capacity, if smaller). A
    /// thread that fills it goes on in a ring four times larger, up to the
    /// capacity, so a thread holds as much as its bursts of logging needed.
    /// Each ring is written through once when it is made, so that no later
    /// call waits for the system to map a page: the thread's first call, and
    /// a call that outgrew its ring, pay for all its pages at once.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Drops messages when the queue is full instead of making the logging
    /// thread wait. Each run of drops is counted and reported in the log as
    /// an `eliot:messages_dropped` message (fields `dropped`, `capacity`,
    /// `reason`; `first_timestamp` and `last_timestamp` are `null`: the
    /// writer counts drops without reading the messages)
    /// once the queue has room again.
    pub fn lossy(mut self) -> Self {
        self.overflow = Overflow::Drop;
        self
    }

    /// Spawns the writer thread (named `eliot-writer`) and registers the
    /// writer as a destination. A writer starts once.
    pub fn start(&self) -> Result<(), WriterError> {
        let mut state = self.lock();
        match &*state {
            State::Idle => {}
            State::Running(_) => return Err(WriterError::AlreadyStarted),
            State::Stopped(_) => return Err(WriterError::AlreadyStopped),
        }
        let (sender, receiver) = crossbeam_channel::bounded(MAX_BATCH);
        let ring_bytes = self
            .capacity
            .saturating_mul(BYTES_PER_MESSAGE)
            .clamp(*RING_BYTES.start(), *RING_BYTES.end());
        let shared = Arc::new(Shared {
            inner: self.inner.clone(),
            rings: Rings::new(ring_bytes),
            capacity: self.capacity,
            sleeping: AtomicBool::new(false),
            receiver,
            closed: OwnLine(AtomicBool::new(false)),
            fences: Fences::new(),
            own: Mutex::new(Vec::new()),
            counters: Counters::default(),
            failing: AtomicBool::new(false),
            finish: Mutex::new(Finish::default()),
            finished: Condvar::new(),
            late_lock: Mutex::new(()),
        });
        let thread = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("eliot-writer".into())
                .spawn(move || {
                    // Destination calls are caught where they happen; this
                    // is the last net, so that a stop never waits forever.
                    let outcome = catch_unwind(AssertUnwindSafe(|| writer_thread(&shared)));
                    if let Err(payload) = outcome {
                        eprintln!(
                            "eliot: the ThreadedWriter thread panicked: {}",
                            crate::util::panic::payload_message(&*payload)
                        );
                        shared.publish_report();
                    }
                })
                .map_err(WriterError::Spawn)?
        };
        // Registered only once the thread runs: the first destination added
        // receives the startup buffer right away, which may fill the queue.
        let registered = add_destination(Handle {
            sender,
            overflow: self.overflow,
            writer: thread.thread().clone(),
            shared: shared.clone(),
        });
        *state = State::Running(Running {
            shared,
            registered,
            thread,
        });
        Ok(())
    }

    /// Unregisters the writer, writes everything it accepted, flushes the
    /// destination, joins the thread and reports what it did. Blocks until
    /// then; from async code use [`shutdown`](Self::shutdown).
    ///
    /// ```
    /// use eliot_core::{FileDestination, ThreadedWriter, WriterError};
    ///
    /// let writer = ThreadedWriter::new(FileDestination::new(std::io::sink()));
    /// assert!(matches!(writer.stop(), Err(WriterError::NotStarted)));
    /// writer.start()?;
    /// writer.stop()?;
    /// assert!(matches!(writer.stop(), Err(WriterError::AlreadyStopped)));
    /// # Ok::<(), WriterError>(())
    /// ```
    pub fn stop(&self) -> Result<WriterReport, WriterError> {
        Ok(self.shutdown()?.wait())
    }

    /// Unregisters the writer and asks its thread to write everything it
    /// accepted and flush, without waiting for it: await the returned
    /// [`Shutdown`], or [`wait`](Shutdown::wait) for it.
    pub fn shutdown(&self) -> Result<Shutdown, WriterError> {
        let running = {
            let mut state = self.lock();
            let shared = match &*state {
                State::Idle => return Err(WriterError::NotStarted),
                State::Stopped(_) => return Err(WriterError::AlreadyStopped),
                State::Running(running) => running.shared.clone(),
            };
            match std::mem::replace(&mut *state, State::Stopped(shared)) {
                State::Running(running) => running,
                State::Idle | State::Stopped(_) => unreachable!("checked above"),
            }
        };
        // Step 1 of the stop protocol (module doc). Someone may have removed
        // the handle already; either way it is out now.
        let _ = remove_destination(&running.registered);
        running.shared.closed.store(true, Ordering::SeqCst);
        running.thread.thread().unpark();
        Ok(Shutdown {
            shared: running.shared,
            thread: Some(running.thread),
        })
    }

    /// What the writer did so far (everything, once stopped, including late
    /// messages written after the stop).
    pub fn report(&self) -> WriterReport {
        match &*self.lock() {
            State::Idle => WriterReport::default(),
            State::Running(running) => running.shared.counters.report(),
            State::Stopped(shared) => shared.counters.report(),
        }
    }

    /// The handle [`start`](Self::start) registered with
    /// [`add_destination`](crate::add_destination), while it runs and after;
    /// `None` before the start.
    pub fn registered_destination(&self) -> Option<Arc<dyn Destination>> {
        match &*self.lock() {
            State::Running(running) => Some(running.registered.clone()),
            State::Idle | State::Stopped(_) => None,
        }
    }

    /// Whether the writer was started and not yet stopped.
    pub fn is_running(&self) -> bool {
        matches!(&*self.lock(), State::Running(_))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for ThreadedWriter {
    /// Stops a running writer: nothing queued is lost. Gives up (and says so
    /// on stderr) only when the destination makes no progress for
    /// [`DROP_PATIENCE`].
    fn drop(&mut self) {
        let Ok(shutdown) = self.shutdown() else {
            return;
        };
        let shared = shutdown.shared.clone();
        if !shutdown.wait_patiently(DROP_PATIENCE) {
            let pending = shared.receiver.len() as u64 + shared.rings.queued_lines();
            eprintln!(
                "eliot: a ThreadedWriter was dropped without stop and its destination made no \
                 progress for {DROP_PATIENCE:?}; {pending} queued message(s) were abandoned"
            );
        }
    }
}

impl fmt::Debug for ThreadedWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.lock() {
            State::Idle => "idle",
            State::Running(_) => "running",
            State::Stopped(_) => "stopped",
        };
        f.debug_struct("ThreadedWriter")
            .field("state", &state)
            .field("capacity", &self.capacity)
            .field("lossy", &(self.overflow == Overflow::Drop))
            .finish_non_exhaustive()
    }
}
