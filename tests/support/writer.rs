//! Helpers of the writer and rotation tests: an in-memory `Write` to read
//! back, destinations that hold a writer up (shut until opened, or slow), a
//! fresh temp directory, the files a rotating log leaves behind, and a wait
//! with a deadline.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use eliot::{Destination, DestinationError, Message};

/// A `Write` into memory that the test can still read after the writer is
/// gone (the registry's per-thread snapshots may keep the writer's handle,
/// and so its destination, alive a while).
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Every line written so far, parsed as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Wraps a destination and blocks every write (and batch) until the test
/// calls [`Gated::open`]; share it with `Arc` to keep a handle to open.
pub struct Gated<D> {
    inner: D,
    open: Mutex<bool>,
    opened: Condvar,
}

impl<D> Gated<D> {
    /// Shut until [`Gated::open`].
    pub fn new(inner: D) -> Self {
        Gated {
            inner,
            open: Mutex::new(false),
            opened: Condvar::new(),
        }
    }

    /// Lets every blocked and later write through.
    pub fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }
}

impl<D: Destination> Destination for Gated<D> {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.wait();
        self.inner.write(message)
    }
    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        self.wait();
        self.inner.write_batch(messages)
    }
    fn flush(&self) -> Result<(), DestinationError> {
        self.inner.flush()
    }
}

/// Wraps a destination and sleeps before every write (and batch): the queue
/// fills while it works.
pub struct Slow<D> {
    inner: D,
    delay: Duration,
}

impl<D> Slow<D> {
    pub fn new(inner: D, delay: Duration) -> Self {
        Slow { inner, delay }
    }
}

impl<D: Destination> Destination for Slow<D> {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        std::thread::sleep(self.delay);
        self.inner.write(message)
    }
    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        std::thread::sleep(self.delay);
        self.inner.write_batch(messages)
    }
    fn flush(&self) -> Result<(), DestinationError> {
        self.inner.flush()
    }
}

/// An empty directory `eliot-<name>-<pid>` under the temp dir (whatever an
/// earlier run left there is removed).
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eliot-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files of a rotating log, oldest first: `<path>.N` ... `<path>.1`,
/// then `<path>` itself.
pub fn files_oldest_first(path: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (1..)
        .map(|n| PathBuf::from(format!("{}.{n}", path.display())))
        .take_while(|p| p.exists())
        .collect();
    files.reverse();
    files.push(path.to_path_buf());
    files
}

/// How long [`wait_for`] waits: far more than any wait of these tests takes
/// on a loaded machine, so that reaching it means the awaited thing never
/// happens.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Waits until `done` is true, yielding in between; panics (names `what`)
/// after [`DEADLINE`], so that a test fails instead of hanging.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "waited {DEADLINE:?} for {what}");
        std::thread::yield_now();
    }
}

/// A file removed when dropped (also when the test fails): for logs too big
/// to leave in the temp directory.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// `<temp dir>/eliot-<name>-<pid>.log`, removed first if an earlier run
    /// left it there.
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("eliot-{name}-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
