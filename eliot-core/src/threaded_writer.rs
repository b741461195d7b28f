//! `ThreadedWriter`: a destination that hands messages to a thread of its
//! own, which writes them to a blocking destination (Eliot's
//! `eliot.logwriter.ThreadedWriter`).
//!
//! The guide is on [`ThreadedWriter`].

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::destination::{Destination, DestinationError};
use crate::failure::Failure;
use crate::field::Field;
use crate::message::Message;
use crate::registry::{IntoDestination, add_destination, remove_destination};

/// How many messages the queue holds by default.
///
/// At a few hundred bytes per line this bounds the queue to a few MiB; at
/// the writer's pace it is a few milliseconds of writing.
pub const DEFAULT_CAPACITY: usize = 16 * 1024;

/// The most messages the writer thread writes in one batch (one
/// `write_batch` call, for a file one `write_all`).
pub const MAX_BATCH: usize = 1024;

/// How long the writer thread waits before it looks again at a queue it
/// found empty; while the queue stays empty the wait doubles, up to
/// [`MAX_IDLE_POLL`].
///
/// Each wake-up of the writer thread can preempt a producer on a busy
/// machine (measured: with a 20 µs poll, 2 % of calls took 2 µs more and
/// 0.1 % took 50 µs more on 2 loaded cores; with 500 µs, p99 fell from 2.0
/// to 0.85 µs and p99.9 from 52 to 3.5 µs). At a million messages a second
/// a 500 µs poll still finds batches of hundreds of lines.
const MIN_IDLE_POLL: Duration = Duration::from_micros(500);

/// The longest the writer thread waits before looking at an empty queue
/// again, while it polls: about the most a message waits in the queue of an
/// otherwise idle writer.
pub const MAX_IDLE_POLL: Duration = Duration::from_millis(1);

/// After this long without a message, the writer thread stops polling and
/// sleeps until the next message wakes it (so an idle process has no
/// periodic wake-ups; that one message pays a few microseconds for it).
pub const SLEEP_AFTER_IDLE: Duration = Duration::from_millis(100);

/// How long dropping a running writer waits for a destination that makes
/// no progress at all before it gives up on the rest of the queue.
pub const DROP_PATIENCE: Duration = Duration::from_secs(5);

/// What to do when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Wait for room: lossless.
    Block,
    /// Drop the message, count it, and report the count in the log.
    Drop,
}

/// What a writer did: how many messages it wrote, dropped (lossy mode only)
/// and failed to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WriterReport {
    /// Lines written to the destination, including the writer's own
    /// `eliot:messages_dropped` notices and the `eliot:destination_failure`
    /// messages that reached it.
    pub written: u64,
    /// Messages dropped because the queue was full (lossy mode only).
    pub dropped: u64,
    /// Messages the destination failed to write (it returned an error or
    /// panicked). A failed batch counts all its messages.
    pub failed: u64,
    /// Of `written` and `failed`: messages that reached the writer after its
    /// thread's final drain (logged by a thread that took its snapshot of the
    /// destinations before the writer was unregistered), written by the
    /// thread that logged them. Only [`ThreadedWriter::report`] can see those
    /// that arrive after [`stop`](ThreadedWriter::stop) returned.
    pub late: u64,
}

/// A [`ThreadedWriter`] was used out of order.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriterError {
    /// `stop` or `shutdown` before `start`.
    NotStarted,
    /// `start` on a writer that is running.
    AlreadyStarted,
    /// `stop` or `shutdown` a second time, or `start` after a stop: a writer
    /// runs once.
    AlreadyStopped,
    /// The writer thread could not be spawned.
    Spawn(std::io::Error),
}

impl fmt::Display for WriterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriterError::NotStarted => f.write_str("the ThreadedWriter was never started"),
            WriterError::AlreadyStarted => f.write_str("the ThreadedWriter is already running"),
            WriterError::AlreadyStopped => {
                f.write_str("the ThreadedWriter was already stopped (a writer runs once)")
            }
            WriterError::Spawn(e) => write!(f, "cannot spawn the ThreadedWriter thread: {e}"),
        }
    }
}

impl std::error::Error for WriterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriterError::Spawn(e) => Some(e),
            _ => None,
        }
    }
}

/// `ThreadedWriter`: a destination that hands messages to a thread of its
/// own, which writes them to a blocking destination (Eliot's
/// `eliot.logwriter.ThreadedWriter`).
///
/// Logging from an async runtime must never wait for a disk. A
/// [`ThreadedWriter`] wraps any blocking [`Destination`] (usually a
/// [`FileDestination`](crate::FileDestination)); the logging thread only
/// puts the finished line on a bounded queue, and one writer thread takes
/// lines off it in batches and writes each batch with one call.
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
/// - **Lossless by default.** The queue is bounded ([`DEFAULT_CAPACITY`],
///   [`ThreadedWriter::with_capacity`]); when it is full, the logging thread
///   waits for room (backpressure). Memory is bounded by the queue. An
///   explicit lossy mode ([`ThreadedWriter::lossy`]) drops instead, counts
///   the drops, and writes an `eliot:messages_dropped` message with the count
///   into the log as soon as the queue has room again.
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
/// [`ThreadedWriter`] adds one non-blocking push onto a crossbeam array
/// queue. No lock is held while formatting, there is no I/O, and the writer
/// thread is not woken per message: while it is busy it finds the next
/// messages on its own; when the queue drains it flushes, then polls the
/// queue with waits growing from 500 µs to [`MAX_IDLE_POLL`] (a polling
/// thread is not registered with the queue, so producers never wake it, and
/// it takes what accumulated as one batch). Only after [`SLEEP_AFTER_IDLE`]
/// without a message does it sleep until the next one, which then pays a few
/// microseconds for the wake-up.
///
/// ## Why the line is built on the caller's thread
///
/// The alternative is to capture the fields as owned values on the caller's
/// thread and serialize them on the writer thread. Measured with `cargo
/// bench --bench writer` (its `placement` lines; 2 cores):
///
/// - a field borrows the caller's data and may be any `Serialize` type, so
///   capturing it means converting it to an owned form (`serde_json::Value`
///   is the general one). For the benchmark's three scalars that saves the
///   caller about 70 ns of a 330 ns call (capture 83 ns against 155 ns to
///   write them); add a small struct with a string and a list and capturing
///   costs the caller *more* than writing its JSON (about 300 ns against
///   250 ns);
/// - the writer thread would then pay about as much again per message (130
///   ns for the scalars, 320 ns with the struct). It is the one thread that
///   does not scale with the number of producers, and a lossless queue turns
///   its slowness into backpressure on every caller; today it spends about
///   430 instructions per message (callgrind), a tenth of the caller's;
/// - the timestamp and the task level belong to the moment of the call, and
///   the queue would hold larger, pointer-rich values instead of one compact
///   line.
///
/// So the caller builds the line (about a third of a microsecond for the
/// benchmark's message: a caller p50 about a quarter of `tracing` +
/// `tracing-appender`'s, 0.35 against 1.4 µs on a quick moment of the
/// 2-core benchmark machine) and the writer thread only copies bytes. The
/// building itself is lean: strings that need no escaping (keys, types,
/// UUIDs) are copied as they are, and each line is freed by the thread that
/// allocated it, once the writer thread is done with it (a logging thread
/// keeps handles to as many of its lines as the writer can hold, at most 8
/// MiB of them, for that), so freeing never takes another thread's
/// allocator lock and the memory is reused at once instead of being
/// returned to the system and faulted back in.
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
    stop: Sender<()>,
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

    /// Sets how many messages the queue holds (at least 1). Memory is
    /// bounded by it: at most `capacity` messages wait in the queue, plus
    /// the batch being written and the one before it (up to [`MAX_BATCH`]
    /// each). A logging thread keeps a handle to each line it queued, up to
    /// that many (and at most 8 MiB of them), so that it frees them itself
    /// once the writer thread is done with them (see the guide above); a
    /// thread that stops logging keeps the last of them alive until it logs
    /// again or exits.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Drops messages when the queue is full instead of making the logging
    /// thread wait. Each run of drops is counted and reported in the log as
    /// an `eliot:messages_dropped` message (fields `dropped`, `capacity`)
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
        let (sender, receiver) = crossbeam_channel::bounded(self.capacity);
        let (stop, stop_requested) = crossbeam_channel::bounded(1);
        let shared = Arc::new(Shared {
            inner: self.inner.clone(),
            receiver,
            closed: OwnLine(AtomicBool::new(false)),
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
                    let outcome =
                        catch_unwind(AssertUnwindSafe(|| writer_thread(&shared, &stop_requested)));
                    if let Err(payload) = outcome {
                        eprintln!(
                            "eliot: the ThreadedWriter thread panicked: {}",
                            crate::interruption::payload_message(&*payload)
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
            keep_sent: self.capacity + 2 * MAX_BATCH,
            writer: thread.thread().clone(),
            shared: shared.clone(),
        });
        *state = State::Running(Running {
            shared,
            registered,
            stop,
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
        // Someone may have removed it already; either way it is out now.
        let _ = remove_destination(&running.registered);
        // The writer thread, once it sees this, fences and drains the queue
        // for the last time; a producer that pushes a message and then sees
        // this writes the message itself (see `Handle::write`).
        running.shared.closed.store(true, Ordering::SeqCst);
        let _ = running.stop.try_send(());
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
            let pending = shared.receiver.len();
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

/// The end of a [`ThreadedWriter`]: a future of its [`WriterReport`],
/// resolved when the writer thread has written everything, flushed, and is
/// about to exit. Woken by the writer thread, it never blocks its poller.
///
/// Dropping it does not cancel the stop: the thread still drains and exits.
#[must_use = "the stop completes in the background; await or wait() for its report"]
pub struct Shutdown {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
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
    fn wait_patiently(mut self, patience: Duration) -> bool {
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

/// What the writer thread, the handle and the [`ThreadedWriter`] share.
struct Shared {
    inner: Arc<dyn Destination>,
    receiver: Receiver<Message>,
    /// Set by `shutdown` once the handle is unregistered. Every producer
    /// reads it twice per message: on a cache line of its own, so that the
    /// writer thread's writes to its neighbours (`failing`, the counters)
    /// never take that line away from the producers' caches.
    closed: OwnLine<AtomicBool>,
    /// Messages logged on the writer thread itself (by the destination, or a
    /// failure report): written with the next batch, never queued, so the
    /// writer never waits on its own queue.
    own: Mutex<Vec<Message>>,
    counters: Counters,
    /// In a run of failures: report only its first.
    failing: AtomicBool,
    /// The report once the writer thread is done, and the waker of the
    /// `Shutdown` future. Only ever held briefly: polling never waits.
    finish: Mutex<Finish>,
    finished: Condvar,
    /// Serializes the writes of late messages (see `write_late`).
    late_lock: Mutex<()>,
}

/// A value alone on its cache line: 128 bytes, because x86 fetches lines
/// in adjacent pairs.
#[repr(align(128))]
struct OwnLine<T>(T);

impl<T> Deref for OwnLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[derive(Default)]
struct Finish {
    report: Option<WriterReport>,
    waker: Option<Waker>,
}

#[derive(Default)]
struct Counters {
    written: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    late: AtomicU64,
}

impl Counters {
    fn report(&self) -> WriterReport {
        WriterReport {
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
        }
    }

    fn progress(&self) -> u64 {
        self.written.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
}

// Why a logging thread keeps a handle to the lines it queued.
//
// The thread that allocates a line should also free it: when the writer
// thread frees the lines of another thread, every free takes that thread's
// allocator lock (glibc's arena mutex), and the logging thread, allocating
// at the same moment, had to wake the writer thread out of that lock about
// 15,000 times a second (14 % of its time in `futex_wake`, a 13–17 µs p99
// on a slow moment of the 2-core benchmark machine). So a logging thread
// keeps a handle to what it queued and frees a line itself once the writer
// thread has let go of it; its allocator then reuses that memory at once,
// without a lock (p99 1.0 µs, and no wake-ups).
//
// How many: as many as the writer can hold, `capacity + 2 * MAX_BATCH`
// (its queue, the batch it writes and the one before; `Handle::keep_sent`).
// A thread that let go of a line the writer still holds would hand the free
// back to the writer thread, and that happens exactly under load, when the
// queue is long. Keeping them costs no memory while they are queued (the
// queue holds them anyway); a thread that stops logging keeps the last of
// them alive until it logs again or exits.

/// At most this many bytes of lines kept by a logging thread (see
/// `keep_sent`): room for a full default queue of lines of a few hundred
/// bytes, and a bound on what a thread that logged a few huge lines and
/// went quiet keeps alive.
const KEEP_SENT_BYTES: usize = 8 << 20;

/// The lines a logging thread queued, oldest first, and their total size.
struct Sent {
    lines: VecDeque<Message>,
    bytes: usize,
}

impl Sent {
    fn pop(&mut self) {
        if let Some(line) = self.lines.pop_front() {
            self.bytes -= line.as_json().len();
        }
    }
}

/// Keeps a handle to `message`, just queued, and frees (here) the oldest
/// lines the writer thread is done with; keeps at most `limit` lines.
fn keep_sent(message: &Message, limit: usize) {
    let _ = SENT.try_with(|sent| {
        let Ok(mut sent) = sent.try_borrow_mut() else {
            return;
        };
        // Lines leave the queue in order: the oldest is released first.
        while sent.lines.front().is_some_and(|m| !m.is_shared()) {
            sent.pop();
        }
        let size = message.as_json().len();
        while !sent.lines.is_empty()
            && (sent.lines.len() >= limit || sent.bytes + size > KEEP_SENT_BYTES)
        {
            sent.pop();
        }
        sent.bytes += size;
        sent.lines.push_back(message.clone());
    });
}

thread_local! {
    /// The lines this thread queued, until the writer thread is done with
    /// them (see [`keep_sent`]).
    static SENT: RefCell<Sent> = const {
        RefCell::new(Sent {
            lines: VecDeque::new(),
            bytes: 0,
        })
    };
    /// The `Shared` whose writer thread this is (its address), or 0.
    static WRITER_OF: Cell<usize> = const { Cell::new(0) };
}

impl Shared {
    fn is_writer_thread(&self) -> bool {
        let me = self as *const Shared as usize;
        WRITER_OF.try_with(Cell::get).is_ok_and(|w| w == me)
    }

    /// Tells `stop`, the `Shutdown` future and late writers that the
    /// writer thread is done.
    fn publish_report(&self) {
        let mut finish = self.lock_finish();
        finish.report = Some(self.counters.report());
        let waker = finish.waker.take();
        self.finished.notify_all();
        drop(finish);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn lock_finish(&self) -> MutexGuard<'_, Finish> {
        self.finish.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_own(&self) -> Vec<Message> {
        std::mem::take(&mut *self.own.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Writes a batch; counts and reports failures, never panics.
    fn write_batch(&self, batch: &[Message]) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        match catch_unwind(AssertUnwindSafe(|| self.inner.write_batch(batch))) {
            Ok(Ok(())) => {
                self.counters.written.fetch_add(n, Ordering::Relaxed);
                // Read first: a store on every batch would dirty the line
                // for nothing.
                if self.failing.load(Ordering::Relaxed) {
                    self.failing.store(false, Ordering::Relaxed);
                }
            }
            Ok(Err(error)) => self.failed(n, error, batch.first()),
            Err(payload) => self.failed(n, panic_error(&*payload), batch.first()),
        }
    }

    fn flush(&self) {
        match catch_unwind(AssertUnwindSafe(|| self.inner.flush())) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => self.failed(0, error, None),
            Err(payload) => self.failed(0, panic_error(&*payload), None),
        }
    }

    /// Counts `n` failed messages; reports the first failure of a run.
    fn failed(&self, n: u64, error: DestinationError, first: Option<&Message>) {
        self.counters.failed.fetch_add(n, Ordering::Relaxed);
        if self.failing.swap(true, Ordering::Relaxed) {
            return;
        }
        let failure = error.into_failure();
        eprintln!(
            "eliot: the destination of a ThreadedWriter failed to write {n} message(s): {failure} \
             (further failures are counted, not reported, until a write succeeds)"
        );
        use crate::registry::{DESTINATION_FAILURE, with_destination_failure_fields};
        with_destination_failure_fields(&failure, first, |fields| {
            // To every registered destination, this one included if this
            // thread's snapshot still holds its handle (which, called on this
            // thread, adds it to `own`).
            let report = crate::message::log_detached(DESTINATION_FAILURE, fields);
            // Whether the handle got it is not `closed`: a stop may unregister
            // the handle just before or just after the delivery. The report
            // itself tells, so that this destination writes it exactly once.
            let mut own = self.own.lock().unwrap_or_else(PoisonError::into_inner);
            if !own.iter().any(|queued| queued.same_line(&report)) {
                own.push(report);
            }
        });
    }

    /// In lossy mode: tells the log how many messages were dropped since
    /// the last notice; `reported` is the writer thread's count of those
    /// already told.
    fn note_drops(&self, reported: &mut u64, batch: &mut Vec<Message>) {
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        if dropped > *reported {
            let count = dropped - *reported;
            *reported = dropped;
            let capacity = self.receiver.capacity().unwrap_or_default();
            batch.push(crate::message::detached_message(
                "eliot:messages_dropped",
                &[
                    Field::new("dropped", &count),
                    Field::new("capacity", &capacity),
                    Field::new("reason", &"the queue of a lossy ThreadedWriter was full"),
                ],
            ));
        }
    }

    /// Writes what reached the writer after its final drain: waits for the
    /// drain to finish, then writes what is left in the queue and `message`,
    /// in order, on this thread.
    fn write_late(&self, message: Option<&Message>) {
        let mut finish = self.lock_finish();
        while finish.report.is_none() {
            finish = self
                .finished
                .wait(finish)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(finish);
        let late = self
            .late_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut batch: Vec<Message> = self.receiver.try_iter().collect();
        batch.extend(message.cloned());
        batch.extend(self.take_own());
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        self.write_batch(&batch);
        self.flush();
        self.counters.late.fetch_add(n, Ordering::Relaxed);
        drop(late);
    }
}

fn panic_error(payload: &(dyn std::any::Any + Send)) -> DestinationError {
    DestinationError::new(Failure::panic(crate::interruption::payload_message(
        payload,
    )))
}

/// The destination `start` registers: puts messages on the queue.
struct Handle {
    sender: Sender<Message>,
    overflow: Overflow,
    /// How many of its queued lines a logging thread keeps (see
    /// [`keep_sent`]): all that the writer can hold.
    keep_sent: usize,
    /// The writer thread, to wake it from its polling when the queue is
    /// full.
    writer: thread::Thread,
    shared: Arc<Shared>,
}

impl Destination for Handle {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        let shared = &*self.shared;
        if shared.is_writer_thread() {
            shared
                .own
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(message.clone());
            return Ok(());
        }
        if shared.closed.load(Ordering::Acquire) {
            shared.write_late(Some(message));
            return Ok(());
        }
        match self.sender.try_send(message.clone()) {
            Ok(()) => keep_sent(message, self.keep_sent),
            Err(TrySendError::Full(message)) => match self.overflow {
                Overflow::Drop => {
                    shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    self.writer.unpark();
                    return Ok(());
                }
                Overflow::Block => {
                    keep_sent(&message, self.keep_sent);
                    if !self.send_blocking(message) {
                        return Ok(());
                    }
                }
            },
            Err(TrySendError::Disconnected(_)) => {
                unreachable!("the receiver lives in `Shared`, which this handle holds")
            }
        }
        // Pairs with the fence the writer thread runs once it saw `closed`,
        // before its final drain. Both are SeqCst fences, so one of them
        // comes first in their single total order: if this one does, the
        // drain sees the message just pushed; if the writer's does, the load
        // below sees `closed` (which the writer saw before its fence) and
        // this thread writes the message itself once the drain is over.
        // Without this fence the push (a store, as far as this code may
        // assume anything of crossbeam) and the load below, to another
        // location, may be reordered, even on x86: the producer would miss
        // `closed` while the drain misses the message.
        fence(Ordering::SeqCst);
        if shared.closed.load(Ordering::Relaxed) {
            shared.write_late(None);
        }
        Ok(())
    }
}

impl Handle {
    /// Waits for room; true once queued, false if it was written late
    /// instead (the writer finished meanwhile).
    fn send_blocking(&self, mut message: Message) -> bool {
        self.writer.unpark();
        loop {
            match self.sender.send_timeout(message, Duration::from_millis(50)) {
                Ok(()) => return true,
                Err(crossbeam_channel::SendTimeoutError::Timeout(back)) => {
                    if self.shared.lock_finish().report.is_some() {
                        self.shared.write_late(Some(&back));
                        return false;
                    }
                    message = back;
                }
                Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => {
                    unreachable!("the receiver lives in `Shared`, which this handle holds")
                }
            }
        }
    }
}

/// How many times the final drain writes what was logged on the writer
/// thread while it wrote (see `writer_thread`): the report of a failure of
/// the last write needs one more round, a destination that logs while it
/// writes what it logged one per level.
const FINAL_OWN_ROUNDS: usize = 4;

/// The writer thread: batches, writes, flushes when the queue drains, and
/// on stop drains everything and publishes its report.
fn writer_thread(shared: &Arc<Shared>, stop_requested: &Receiver<()>) {
    let me = Arc::as_ptr(shared) as usize;
    let _ = WRITER_OF.try_with(|w| w.set(me));
    let receiver = &shared.receiver;
    let mut batch: Vec<Message> = Vec::with_capacity(MAX_BATCH);
    // The batch written before the current one, released only after it:
    // the newest lines stay allocated until more arrive, so the memory the
    // producers allocate from is never all free at once. Freeing everything
    // whenever the queue drained let the allocator hand it back to the
    // system and take page faults to get it again (one call in forty).
    // Usually the logging thread frees them in the end (see `keep_sent`).
    let mut previous: Vec<Message> = Vec::with_capacity(MAX_BATCH);
    let mut dirty = false;
    let mut idle = Idle::new();
    // Drops already told in an `eliot:messages_dropped` notice.
    let mut drops_reported = 0;
    loop {
        batch.extend(receiver.try_iter().take(MAX_BATCH));
        shared.note_drops(&mut drops_reported, &mut batch);
        if !batch.is_empty() {
            shared.write_batch(&batch);
            previous.clear();
            std::mem::swap(&mut batch, &mut previous);
            batch.extend(shared.take_own());
            shared.write_batch(&batch);
            batch.clear();
            dirty = true;
            idle = Idle::new();
            continue;
        }
        // The queue is empty.
        if dirty {
            shared.flush();
            dirty = false;
            continue;
        }
        if shared.closed.load(Ordering::Acquire) {
            break;
        }
        if idle.since.elapsed() < SLEEP_AFTER_IDLE {
            // Not registered with the queue: producers never pay for
            // waking this thread up; it comes back by itself.
            thread::park_timeout(idle.wait);
            idle.wait = (idle.wait * 2).min(MAX_IDLE_POLL);
        } else {
            // Idle for long: sleep until a message or a stop arrives. The
            // first message pays for the wake-up; while the writer is busy
            // again, the next ones do not.
            crossbeam_channel::select! {
                recv(receiver) -> message => batch.extend(message.ok()),
                recv(stop_requested) -> _ => {}
            }
            idle = Idle::new();
        }
    }
    // `closed` is set. Pairs with the fence in `Handle::write`, between a
    // producer's push and its load of `closed`: either the drain below sees
    // the message, or the producer sees `closed` and writes it itself once
    // the drain is over.
    fence(Ordering::SeqCst);
    // Final drain. Late messages wait for its report before they are
    // written, so they come after everything drained here. The queue runs
    // dry: a producer that pushes now sees `closed` before it logs again.
    loop {
        batch.extend(receiver.try_iter().take(MAX_BATCH));
        shared.note_drops(&mut drops_reported, &mut batch);
        if batch.is_empty() {
            break;
        }
        batch.extend(shared.take_own());
        shared.write_batch(&batch);
        batch.clear();
    }
    shared.flush();
    // What was logged on this thread meanwhile: by the destination (its
    // handle, reached through another destination that forwards to it,
    // keeps that in `own`) and the reports of failures, written in a few
    // rounds. Each round may log again, and a destination that logs on
    // every write would keep this going forever.
    for _ in 0..FINAL_OWN_ROUNDS {
        batch.extend(shared.take_own());
        if batch.is_empty() {
            break;
        }
        shared.write_batch(&batch);
        shared.flush();
        batch.clear();
    }
    let unwritten = shared.take_own().len();
    if unwritten > 0 {
        eprintln!(
            "eliot: a ThreadedWriter stopped without writing {unwritten} message(s) logged on its \
             thread while it wrote its last ones (its destination logs on every write)"
        );
    }
    drop(batch);
    drop(previous);
    shared.publish_report();
}

/// The writer thread's polling of an empty queue.
struct Idle {
    since: Instant,
    wait: Duration,
}

impl Idle {
    fn new() -> Self {
        Idle {
            since: Instant::now(),
            wait: MIN_IDLE_POLL,
        }
    }
}
