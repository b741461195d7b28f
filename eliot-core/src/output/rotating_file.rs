//! `RotatingFile`: a log file that moves aside when it grows too big or
//! gets too old, keeping the newest few (what Twisted's `logfile` gives
//! Python Eliot).
//!
//! The guide is on [`RotatingFile`].

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many rotated files are kept by default.
pub const DEFAULT_KEEP: usize = 5;

/// Options of a [`RotatingFile`]; from [`RotatingFile::builder`].
#[derive(Debug, Clone)]
pub struct RotatingFileBuilder {
    max_bytes: Option<u64>,
    every: Option<Duration>,
    keep: usize,
}

impl RotatingFileBuilder {
    /// Rotates before a write that would take the file past `bytes`.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes.max(1));
        self
    }

    /// Rotates at the first write of each new period of length `period`,
    /// periods being aligned on the Unix epoch (UTC). A zero period is
    /// taken as one millisecond.
    pub fn every(mut self, period: Duration) -> Self {
        self.every = Some(period.max(Duration::from_millis(1)));
        self
    }

    /// Keeps the newest `keep` rotated files (`<path>.1` … `<path>.<keep>`)
    /// besides the live one; 0 keeps none (a rotation then empties the
    /// live file). Default [`DEFAULT_KEEP`].
    pub fn keep(mut self, keep: usize) -> Self {
        self.keep = keep;
        self
    }

    /// Opens (appending) or creates the live file at `path`.
    pub fn open(self, path: impl AsRef<Path>) -> io::Result<RotatingFile> {
        let path = path.as_ref().to_path_buf();
        let file = open_append(&path)?;
        let metadata = file.metadata()?;
        let modified = metadata.modified().unwrap_or_else(|_| SystemTime::now());
        let period = self
            .every
            .map(|every| {
                period_of(
                    if metadata.len() > 0 {
                        modified
                    } else {
                        SystemTime::now()
                    },
                    every,
                )
            })
            .unwrap_or(0);
        Ok(RotatingFile {
            path,
            file,
            size: metadata.len(),
            period,
            options: self,
            retry_at_size: None,
        })
    }
}

/// `RotatingFile`: a log file that moves aside when it grows too big or
/// gets too old, keeping the newest few (what Twisted's `logfile` gives
/// Python Eliot).
///
/// It is a [`Write`]r meant to sit under a
/// [`FileDestination`](crate::FileDestination), which hands it whole lines:
/// each message, or each batch of a [`ThreadedWriter`](crate::ThreadedWriter),
/// in a single `write_all`, under its mutex. A `RotatingFile` writes every
/// buffer it is given entirely into one file and rotates only *between*
/// buffers, so a line is never split across two files and none is lost at
/// a rotation, whatever the number of threads logging.
///
/// # Names
///
/// The live file is the path given, say `app.log`. On rotation it is renamed
/// `app.log.1`, the previous `app.log.1` becomes `app.log.2`, and so on up
/// to `app.log.<keep>`; the oldest beyond that is deleted. The fresh
/// `app.log` is created before anything moves, as `app.log.next`, and takes
/// the live file's name last. So the newest lines are always in `app.log`,
/// and reading `app.log.<keep>` … `app.log.1`, `app.log` in that order gives
/// every kept line in the order it was written (the scheme of logrotate and
/// Twisted's `LogFile`).
///
/// # When
///
/// - **By size** ([`RotatingFileBuilder::max_bytes`]): before a write that
///   would take the live file past the limit. A write larger than the limit
///   goes whole into a fresh file, which then exceeds it: lines are never
///   split.
/// - **By time** ([`RotatingFileBuilder::every`]): periods are aligned on the
///   Unix epoch (UTC), so `every(Duration::from_secs(86_400))` rotates at the
///   first write after each UTC midnight, and `3600` s at each full hour. An
///   existing file is attributed to the period of its last modification.
///
/// An empty live file is never rotated. Both limits may be combined.
///
/// ```
/// use std::time::Duration;
/// use eliot_core::{FileDestination, RotatingFile, ThreadedWriter};
///
/// let dir = std::env::temp_dir().join("eliot-doc-rotating");
/// # let _ = std::fs::remove_dir_all(&dir);
/// std::fs::create_dir_all(&dir)?;
/// let file = RotatingFile::builder()
///     .max_bytes(10 * 1024 * 1024)
///     .every(Duration::from_secs(24 * 3600))
///     .keep(7)
///     .open(dir.join("app.log"))?;
/// let writer = ThreadedWriter::new(FileDestination::new(file));
/// writer.start()?;
/// eliot_core::log_message!("app:started");
/// writer.stop()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A rotation that fails (a rename refused, no file descriptor left for the
/// new file) loses nothing: the lines go on into the live file, the failure
/// is printed on stderr, and the rotation is tried again at the next limit.
/// One process writes a rotating file; several processes sharing one would
/// rotate each other's files.
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    size: u64,
    /// The period (of `options.every`) the live file belongs to.
    period: u64,
    options: RotatingFileBuilder,
    /// After a failed rotation by size: the size at which to try again.
    retry_at_size: Option<u64>,
}

impl RotatingFile {
    /// Options: no limit, keep [`DEFAULT_KEEP`] rotated files.
    pub fn builder() -> RotatingFileBuilder {
        RotatingFileBuilder {
            max_bytes: None,
            every: None,
            keep: DEFAULT_KEEP,
        }
    }

    /// The live file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of the `n`th newest rotated file: `<path>.<n>`.
    pub fn rotated_path(&self, n: usize) -> PathBuf {
        numbered(&self.path, n)
    }

    /// The live file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Rotates now (unless the live file is empty).
    ///
    /// The next live file is created first, as `<path>.next`: when that
    /// fails (no file descriptor or inode left), no file has moved and the
    /// lines go on into the live file. Only then are the rotated files
    /// shifted and the live file renamed `<path>.1`, and the new file takes
    /// its name. A live file deleted by someone else is simply replaced.
    pub fn rotate(&mut self) -> io::Result<()> {
        if self.size == 0 {
            return Ok(());
        }
        self.file.flush()?;
        let next_path = next_path(&self.path);
        let next = create_next(&next_path)?;
        if let Err(e) = self.shift_into_place(&next_path) {
            let _ = fs::remove_file(&next_path);
            return Err(e);
        }
        self.file = next;
        self.size = 0;
        self.retry_at_size = None;
        Ok(())
    }

    /// Moves the live file and the rotated ones one step older, and the
    /// file at `next` to the live file's name. On failure the live file is
    /// still at its name, so that `self.file` is written where it is read.
    fn shift_into_place(&self, next: &Path) -> io::Result<()> {
        let keep = self.options.keep;
        if keep == 0 {
            // One step: the old live file is unlinked as the new one takes
            // its name.
            return fs::rename(next, &self.path);
        }
        fs::remove_file(numbered(&self.path, keep)).or_else(not_found_is_ok)?;
        for n in (1..keep).rev() {
            fs::rename(numbered(&self.path, n), numbered(&self.path, n + 1))
                .or_else(not_found_is_ok)?;
        }
        let newest = numbered(&self.path, 1);
        let moved = match fs::rename(&self.path, &newest) {
            Ok(()) => true,
            // Deleted by someone else: nothing to keep.
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        fs::rename(next, &self.path).inspect_err(|_| {
            if moved {
                // Renames in this directory just worked; should this one
                // fail too, the lines go on into `<path>.1`.
                let _ = fs::rename(&newest, &self.path);
            }
        })
    }

    fn rotate_if_due(&mut self, incoming: usize) {
        if self.size == 0 {
            if let Some(every) = self.options.every {
                self.period = period_of(SystemTime::now(), every);
            }
            return;
        }
        let by_size = self.options.max_bytes.is_some_and(|max| {
            let threshold = self.retry_at_size.unwrap_or(max);
            self.size.saturating_add(incoming as u64) > threshold
        });
        let now_period = self
            .options
            .every
            .map(|every| period_of(SystemTime::now(), every));
        let by_time = now_period.is_some_and(|p| p != self.period);
        if !(by_size || by_time) {
            return;
        }
        if let Some(p) = now_period {
            // Also on failure: the next try is at the next period.
            self.period = p;
        }
        if let Err(e) = self.rotate() {
            eprintln!(
                "eliot: cannot rotate the log file {}: {e}; writing on into it",
                self.path.display()
            );
            if let Some(max) = self.options.max_bytes {
                self.retry_at_size = Some(self.size.saturating_add(max));
            }
        }
    }
}

impl Write for RotatingFile {
    /// Writes all of `buf` into one file (rotating first if due) and
    /// returns its length, or fails: never a short write, so a `write_all`
    /// of one line or batch lands in a single file.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.rotate_if_due(buf.len());
        match self.file.write_all(buf) {
            Ok(()) => {
                self.size += buf.len() as u64;
                Ok(buf.len())
            }
            Err(e) => {
                // What was written before the error is in the file too.
                self.size = self.file.metadata().map_or(self.size, |m| m.len());
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl fmt::Debug for RotatingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingFile")
            .field("path", &self.path)
            .field("size", &self.size)
            .field("max_bytes", &self.options.max_bytes)
            .field("every", &self.options.every)
            .field("keep", &self.options.keep)
            .finish()
    }
}

/// Opens `path` for appending, creating it; the error names the path.
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot open the log file {} for appending: {e}",
                    path.display()
                ),
            )
        })
}

/// Creates the next live file, empty. One left at `path` by a process that
/// stopped in the middle of a rotation was never written to: it is replaced.
fn create_next(path: &Path) -> io::Result<File> {
    fs::remove_file(path).or_else(not_found_is_ok)?;
    open_append(path)
}

/// Where the next live file is created: `<path>.next`.
fn next_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".next");
    PathBuf::from(name)
}

fn numbered(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn not_found_is_ok(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

fn period_of(time: SystemTime, every: Duration) -> u64 {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    (since.as_nanos() / every.as_nanos().max(1)) as u64
}
