//! `redirect_logs_for_tests()`: Eliot logs in the test harness's captured
//! output ("Trial Integration" on Eliot's Twisted integration page, for `cargo test` and
//! `cargo nextest`).
//!
//! Call it at the start of your tests, or from any code your tests run (a
//! library's set-up function, a `OnceLock` initialiser): under a test
//! harness it adds, once per process, a destination that
//!
//! - prints every message, drawn for a person as
//!   [`ConsoleDestination`] draws it (one
//!   line per message: time, task, indentation by depth, how actions ended
//!   and how long they took), with `print!` on the thread that logged it.
//!   The harness captures that output per test and shows it when the test
//!   fails. Colour follows the terminal and `NO_COLOR` / `CLICOLOR_FORCE`,
//!   as [`ColorChoice::use_color`](eliot_core::console::ColorChoice::use_color)
//!   says. libtest (`cargo test`) captures what a test's own
//!   thread prints and what every thread spawned from it prints (threads
//!   inherit the capture), so a test's messages appear in its output
//!   whether they were logged on its thread, on the worker threads of a
//!   runtime it built (`#[tokio::test]`, `Runtime::new`), or on threads
//!   those started. nextest runs each test in a process of its own and
//!   captures the whole process's output;
//! - appends every message, as its JSON line, to a log file for the whole
//!   run, the equivalent of trial's `_trial_temp/test.log`, under the target
//!   directory: see [`TestLogs::log_file`]. Tools such as `eliot-tree` read
//!   it.
//!
//! Outside a test harness it does nothing and returns `None`. Calling it
//! more than once is the same as calling it once.
//!
//! It cannot loop with eliot-tracing's `EliotLayer` (`tracing` into
//! Eliot): it writes with `print!` and to a file, never through `tracing`.
//!
//! # How the harness is recognised
//!
//! There is no API that says "this process is a libtest harness", so the
//! decision rests on facts that cargo and nextest guarantee:
//!
//! - **cargo** builds every test harness (unit tests of a library or binary,
//!   integration tests) into `<target>/<profile>/deps/`, and nothing else it
//!   runs lives there: `cargo run` and examples run copies in
//!   `<target>/<profile>/` and `<target>/<profile>/examples/`, and
//!   `cargo bench` (whose binaries live there too) passes `--bench`. So: the
//!   executable's directory is named `deps` and `--bench` is not an
//!   argument.
//! - **nextest** sets `NEXTEST=1` and `NEXTEST_RUN_ID` for the tests it runs,
//!   and runs each one with `--exact <name>`; an archived binary run by
//!   nextest somewhere else is recognised by these.
//!
//! Signals left out on purpose: libtest names each test's thread after the
//! test, but so can any program name its threads, and the function may be
//! called on a runtime worker; `cfg(test)` is only set for the crate under
//! test, not for a library calling this; cargo's `CARGO_*` variables are
//! also set for `cargo run`.
//!
//! # Where the log file goes
//!
//! `ELIOT_TEST_LOG_DIR` if set, else `<target>/<profile>/eliot-test-logs/`
//! (found from the executable's path), else `eliot-test-logs` in the
//! system's temporary directory. Under `cargo test` the file is
//! `<test binary>.log`, emptied when the binary starts: each run of a binary
//! replaces its previous log. Under nextest, where every test is its own
//! process, it is `<test binary>.nextest-<run id>.log`, appended to by all
//! of the run's processes.

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use eliot_core::console::{ColorChoice, ConsoleDestination};
use eliot_core::{Destination, DestinationError, FileDestination, Message, add_destination};

/// The test harness running this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harness {
    /// libtest, run by `cargo test` (or a test binary run by hand).
    Libtest,
    /// cargo-nextest.
    Nextest,
}

impl Harness {
    /// The harness running this process, if any; see the
    /// [module docs](self) for how it is recognised.
    pub fn detect() -> Option<Harness> {
        let exe = std::env::current_exe().ok()?;
        let args: Vec<OsString> = std::env::args_os().skip(1).collect();
        Self::detect_from(&exe, &args, |name| std::env::var_os(name))
    }

    /// The decision of [`detect`](Harness::detect), from explicit inputs:
    /// the executable's path, its arguments (without the program name),
    /// and the environment.
    ///
    /// ```
    /// use std::path::Path;
    /// use eliot_tokio::Harness;
    ///
    /// let no_env = |_: &str| None;
    /// let test = Path::new("/src/app/target/debug/deps/api-5f3a1c9e0b2d4e6f");
    /// assert_eq!(Harness::detect_from(test, &[], no_env), Some(Harness::Libtest));
    /// let app = Path::new("/src/app/target/debug/api");
    /// assert_eq!(Harness::detect_from(app, &[], no_env), None);
    /// ```
    pub fn detect_from(
        exe: &Path,
        args: &[OsString],
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Option<Harness> {
        let has_arg = |wanted: &str| args.iter().any(|a| a == wanted);
        if has_arg("--bench") {
            return None;
        }
        let nextest = env("NEXTEST").is_some_and(|v| v == "1") && env("NEXTEST_RUN_ID").is_some();
        if nextest && (in_deps_dir(exe) || has_arg("--exact")) {
            return Some(Harness::Nextest);
        }
        in_deps_dir(exe).then_some(Harness::Libtest)
    }
}

fn in_deps_dir(exe: &Path) -> bool {
    exe.parent()
        .and_then(Path::file_name)
        .is_some_and(|name| name == "deps")
}

/// What [`redirect_logs_for_tests`] set up.
pub struct TestLogs {
    harness: Harness,
    log_file: Option<PathBuf>,
    destination: Arc<dyn Destination>,
}

impl TestLogs {
    /// The harness that was recognised.
    pub fn harness(&self) -> Harness {
        self.harness
    }

    /// The whole run's log file; `None` when it could not be opened (the
    /// reason was printed on stderr, and messages still go to the test
    /// output).
    pub fn log_file(&self) -> Option<&Path> {
        self.log_file.as_deref()
    }

    /// The registered destination, e.g. to remove it with
    /// [`remove_destination`](eliot_core::remove_destination).
    pub fn destination(&self) -> &Arc<dyn Destination> {
        &self.destination
    }
}

impl fmt::Debug for TestLogs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestLogs")
            .field("harness", &self.harness)
            .field("log_file", &self.log_file)
            .finish_non_exhaustive()
    }
}

/// Under `cargo test` or `cargo nextest`, sends every Eliot message to the
/// captured output of the test that logged it and to a whole-run log file;
/// elsewhere does nothing. Idempotent. See the [module docs](self).
///
/// ```
/// // In a test (or in set-up code that tests call):
/// if let Some(logs) = eliot_tokio::redirect_logs_for_tests() {
///     eprintln!("whole-run log: {:?}", logs.log_file());
/// }
/// eliot_core::log_message!("app:checkout:discount", percent = 10);
/// // ... if the test fails, this message is in its output.
/// ```
pub fn redirect_logs_for_tests() -> Option<&'static TestLogs> {
    static LOGS: OnceLock<Option<TestLogs>> = OnceLock::new();
    LOGS.get_or_init(|| Harness::detect().map(install)).as_ref()
}

fn install(harness: Harness) -> TestLogs {
    let path = log_file_path(harness);
    let file = match open_log_file(&path, harness) {
        Ok(file) => Some(file),
        Err(error) => {
            eprintln!(
                "eliot: redirect_logs_for_tests: cannot open the run's log file {}: {error}; \
                 messages still go to each test's output",
                path.display()
            );
            None
        }
    };
    let log_file = file.as_ref().map(|_| path);
    let color = match ColorChoice::Auto.use_color(io::stdout().is_terminal()) {
        true => ColorChoice::Always,
        false => ColorChoice::Never,
    };
    let console = ConsoleDestination::builder()
        .color(color)
        .writer(CapturedOutput);
    let destination = add_destination(TestOutput { console, file });
    TestLogs {
        harness,
        log_file,
        destination,
    }
}

fn open_log_file(path: &Path, harness: Harness) -> std::io::Result<FileDestination<File>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Only a libtest binary, alone with its file, starts it anew.
    if harness == Harness::Libtest {
        File::create(path)?;
    }
    // Appending keeps each line whole when several processes write at once
    // (nextest).
    FileDestination::create(path)
}

fn log_file_path(harness: Harness) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = match std::env::var_os("ELIOT_TEST_LOG_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => match exe
            .parent()
            .filter(|_| in_deps_dir(&exe))
            .and_then(Path::parent)
        {
            Some(profile_dir) => profile_dir.join("eliot-test-logs"),
            None => std::env::temp_dir().join("eliot-test-logs"),
        },
    };
    let binary = binary_name(&exe);
    let name = match harness {
        Harness::Libtest => format!("{binary}.log"),
        Harness::Nextest => {
            let run = std::env::var("NEXTEST_RUN_ID").unwrap_or_default();
            let run: String = run
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            format!("{binary}.nextest-{run}.log")
        }
    };
    dir.join(name)
}

/// The test binary's name without the hash cargo appends
/// (`api-5f3a1c9e0b2d4e6f` is `api`).
fn binary_name(exe: &Path) -> String {
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tests".to_owned());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem,
    }
}

/// Prints each message into the output the harness captures for the
/// current test, drawn by the console, and appends it to the run's log
/// file as JSON.
struct TestOutput {
    console: ConsoleDestination,
    file: Option<FileDestination<File>>,
}

impl Destination for TestOutput {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        let printed = self.console.write(message);
        let filed = match &self.file {
            Some(file) => file.write(message),
            None => Ok(()),
        };
        printed.and(filed)
    }

    fn flush(&self) -> Result<(), DestinationError> {
        match &self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

/// The output the test harness captures: what `print!` writes to. (A
/// handle to stdout would bypass the capture.)
struct CapturedOutput;

impl Write for CapturedOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    /// One `print!` of the whole text: under the harness it is appended to
    /// the current test's capture buffer at once, and elsewhere written
    /// with stdout's lock held, so a message's lines stay together.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        print!("{}", String::from_utf8_lossy(buf));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
