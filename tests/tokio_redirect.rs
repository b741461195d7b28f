//! redirect_logs_for_tests: under libtest each test's Eliot messages (from
//! its thread, its runtime's workers and blocking threads, threads it
//! started) appear in that test's captured output, drawn by the console,
//! shown when it fails; a whole-run file keeps them all as JSON lines;
//! under nextest each test process prints its log; outside a harness
//! nothing happens; calling it again changes nothing.
//!
//! The tests in `fixture` run twice: as ordinary tests of this binary, and
//! again in subprocesses of this same binary started by the driver tests
//! below with `ELIOT_REDIRECT_FIXTURE` set, where `logs_then_fails` fails on
//! purpose so that the driver can read what libtest prints for a failing
//! test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Map, Value};

const FIXTURE: &str = "ELIOT_REDIRECT_FIXTURE";

fn fixture_mode() -> bool {
    std::env::var_os(FIXTURE).is_some()
}

mod fixture {
    use eliot::log_message;
    use eliot_tokio::redirect_logs_for_tests;

    /// Logs `<prefix>:on_test_thread`, `:on_worker` (from tasks on a
    /// multi-threaded runtime's workers), `:on_blocking` and `:on_thread`,
    /// then checks the whole-run file has them.
    fn log_everywhere(prefix: &'static str) {
        let logs = redirect_logs_for_tests().expect("this binary runs under a test harness");
        log_message!(&format!("{prefix}:on_test_thread"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        runtime.block_on(async {
            let workers: Vec<_> = (0..4)
                .map(|i| {
                    tokio::spawn(async move {
                        tokio::task::yield_now().await;
                        log_message!(&format!("{prefix}:on_worker"), i = i);
                    })
                })
                .collect();
            for worker in workers {
                worker.await.unwrap();
            }
            tokio::task::spawn_blocking(move || log_message!(&format!("{prefix}:on_blocking")))
                .await
                .unwrap();
        });
        std::thread::spawn(move || log_message!(&format!("{prefix}:on_thread")))
            .join()
            .unwrap();
        let file = logs.log_file().expect("the run's log file could be opened");
        let text = std::fs::read_to_string(file).unwrap();
        for suffix in ["on_test_thread", "on_worker", "on_blocking", "on_thread"] {
            assert!(
                text.contains(&format!("\"{prefix}:{suffix}\"")),
                "{prefix}:{suffix} is in {}",
                file.display()
            );
        }
    }

    #[test]
    fn logs_then_fails() {
        log_everywhere("fixture:fails");
        assert!(
            !super::fixture_mode(),
            "deliberate failure, so that the harness shows this test's Eliot log"
        );
    }

    #[test]
    fn logs_and_passes() {
        log_everywhere("fixture:passes");
    }

    /// Says what `redirect_logs_for_tests` decided, for the driver that runs
    /// this binary outside a harness.
    #[test]
    fn probe() {
        let logs = redirect_logs_for_tests();
        if super::fixture_mode() {
            eprintln!("REDIRECT={:?}", logs.map(|l| l.harness()));
        } else {
            assert!(logs.is_some());
        }
        log_message!("fixture:probe");
    }
}

/// A test whose log has actions: nested, one failed.
mod console_case {
    use eliot::{fields, log_message, start_action};
    use eliot_tokio::redirect_logs_for_tests;

    #[test]
    fn request_fails() {
        redirect_logs_for_tests().expect("this binary runs under a test harness");
        {
            let _request = start_action!("fixture:console:request", path = "/x");
            log_message!("fixture:console:step", n = 1);
            let _ = start_action!("fixture:console:parse", text = "80a").within(|action| {
                let port = "80a".parse::<u16>()?;
                action.add_success_fields(fields!(port = port));
                Ok::<_, std::num::ParseIntError>(port)
            });
        }
        assert!(
            !super::fixture_mode(),
            "deliberate failure, so that the harness shows this test's Eliot log"
        );
    }
}

/// `line` with its time, task id and durations replaced by `TIME`, `TASK`
/// and `DURATION`, after checking their form.
fn without_times(line: &str, task: &str) -> String {
    let (time, rest) = line.split_at(13);
    let digits = time.replace(|c: char| c.is_ascii_digit(), "0");
    assert_eq!(digits, "00:00:00.000Z", "{line}");
    let rest = rest
        .strip_prefix(&format!(" {task} "))
        .unwrap_or_else(|| panic!("the task's id: {line}"));
    let mut rest = rest.to_owned();
    if let Some(open) = rest.find(" (") {
        let close = open + rest[open..].find(')').unwrap();
        let duration = &rest[open + 2..close];
        assert!(
            ["µs", "ms", "s"]
                .iter()
                .any(|unit| duration.ends_with(unit)),
            "{line}"
        );
        rest.replace_range(open + 2..close, "DURATION");
    }
    format!("TIME TASK {rest}")
}

#[test]
fn a_failing_tests_log_is_drawn_by_the_console() {
    if fixture_mode() {
        return;
    }
    let log_dir = temp_dir("console");
    let exe = std::env::current_exe().unwrap();
    let output = run_fixture(&exe, &["console_case::"], &log_dir, &[]);
    let stdout = text(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    let section = failure_section(&stdout, "console_case::request_fails");
    let shown = console_lines(section);
    assert!(!shown.is_empty(), "{section}");
    let task = &shown[0][14..22];
    let drawn: Vec<String> = shown.iter().map(|l| without_times(l, task)).collect();
    assert_eq!(
        drawn,
        [
            "TIME TASK ▶ fixture:console:request/1 path=\"/x\"",
            "TIME TASK   • fixture:console:step/2 n=1",
            "TIME TASK   ▶ fixture:console:parse/3/1 text=\"80a\"",
            "TIME TASK   ✖ fixture:console:parse/3/2 (DURATION) exception=\"core::num::error::ParseIntError\" reason=\"invalid digit found in string\"",
            "TIME TASK ✔ fixture:console:request/4 (DURATION)",
        ],
        "{section}"
    );
    assert!(
        !section.contains('\x1b'),
        "no colour into a pipe: {section:?}"
    );

    // The run's file has the same messages as JSON lines.
    let run = std::fs::read_to_string(log_dir.join("tokio_redirect.log")).unwrap();
    let logged = eliot_lines(&run);
    assert_eq!(logged.len(), 5, "{run}");
    assert_eq!(logged.len(), run.lines().count());
    std::fs::remove_dir_all(&log_dir).unwrap();
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "eliot-redirect-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `exe` (this test binary, or a copy) in fixture mode.
fn run_fixture(exe: &Path, args: &[&str], log_dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(exe);
    command
        .args(args)
        .env(FIXTURE, "1")
        .env("ELIOT_TEST_LOG_DIR", log_dir)
        .env_remove("NEXTEST")
        .env_remove("NEXTEST_RUN_ID")
        .env_remove("RUST_BACKTRACE")
        .env_remove("CLICOLOR_FORCE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The Eliot lines (JSON objects) in some output: the run's log file.
fn eliot_lines(output: &str) -> Vec<Map<String, Value>> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<Map<String, Value>>(l.trim()).ok())
        .filter(|m| m.contains_key("task_uuid"))
        .collect()
}

/// The lines the console printed in some output: those that start with a
/// time and a task id.
fn console_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|line| {
            let bytes = line.as_bytes();
            line.len() > 23
                && bytes[2] == b':'
                && bytes[12] == b'Z'
                && bytes[13] == b' '
                && bytes[14..22].iter().all(u8::is_ascii_hexdigit)
                && bytes[22] == b' '
        })
        .collect()
}

/// The message types of console lines (`• app:type/1 ...`), sorted, once
/// each.
fn console_types(lines: &[&str]) -> Vec<String> {
    let mut types: Vec<String> = lines
        .iter()
        .filter_map(|line| line[23..].trim_start().strip_prefix("• "))
        .filter_map(|rest| rest.split_once('/'))
        .map(|(message_type, _)| message_type.to_owned())
        .collect();
    types.sort();
    types.dedup();
    types
}

fn types(lines: &[Map<String, Value>]) -> Vec<String> {
    let mut types: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            l.get("message_type")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    types.sort();
    types.dedup();
    types
}

fn everywhere(prefix: &str) -> Vec<String> {
    let mut types: Vec<String> = ["on_blocking", "on_test_thread", "on_thread", "on_worker"]
        .iter()
        .map(|s| format!("{prefix}:{s}"))
        .collect();
    types.sort();
    types
}

/// The part of libtest's output that it prints for one failed test.
fn failure_section<'a>(stdout: &'a str, test: &str) -> &'a str {
    let header = format!("---- {test} stdout ----");
    let start = stdout
        .find(&header)
        .unwrap_or_else(|| panic!("no section for {test} in:\n{stdout}"))
        + header.len();
    let rest = &stdout[start..];
    let end = ["\n---- ", "\nfailures:\n"]
        .iter()
        .filter_map(|marker| rest.find(marker))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn a_failing_test_shows_its_own_log_and_the_run_file_keeps_all() {
    if fixture_mode() {
        return; // only the fixture tests run in a subprocess
    }
    let log_dir = temp_dir("libtest");
    let exe = std::env::current_exe().unwrap();
    let output = run_fixture(&exe, &["fixture::", "--test-threads=2"], &log_dir, &[]);
    let stdout = text(&output.stdout);
    assert!(
        !output.status.success(),
        "logs_then_fails fails on purpose:\n{stdout}"
    );
    assert!(
        stdout.contains("test fixture::logs_and_passes ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test fixture::logs_then_fails ... FAILED"),
        "{stdout}"
    );

    let section = failure_section(&stdout, "fixture::logs_then_fails");
    assert!(section.contains("deliberate failure"), "{section}");
    let shown = console_lines(section);
    assert_eq!(
        console_types(&shown),
        everywhere("fixture:fails"),
        "its thread, runtime workers, blocking thread and spawned thread:\n{section}"
    );
    assert_eq!(
        shown.len(),
        7,
        "1 + 4 workers + 1 + 1, each once:\n{section}"
    );
    // A passing test's output is not shown, and nothing leaked elsewhere.
    let all = console_lines(&stdout);
    assert_eq!(
        all.len(),
        7,
        "only the failing test's lines are printed:\n{stdout}"
    );
    assert!(
        eliot_lines(&stdout).is_empty(),
        "the console's lines, not JSON:\n{stdout}"
    );

    // The whole run's file has everything, from both tests, whole lines.
    let file = log_dir.join("tokio_redirect.log");
    let run = std::fs::read_to_string(&file).unwrap();
    let logged = eliot_lines(&run);
    assert_eq!(
        logged.len(),
        run.lines().count(),
        "every line is an Eliot message"
    );
    let logged_types = types(&logged);
    for expected in everywhere("fixture:fails")
        .into_iter()
        .chain(everywhere("fixture:passes"))
        .chain(["fixture:probe".to_owned()])
    {
        assert!(
            logged_types.contains(&expected),
            "{expected} in {logged_types:?}"
        );
    }
    std::fs::remove_dir_all(&log_dir).unwrap();
}

#[test]
fn under_nextest_each_test_process_prints_its_log_and_shares_the_run_file() {
    if fixture_mode() {
        return;
    }
    let log_dir = temp_dir("nextest");
    let exe = std::env::current_exe().unwrap();
    // What nextest does: one process per test, `--exact NAME --nocapture`,
    // NEXTEST=1 and a run id.
    let env = [
        ("NEXTEST", "1"),
        ("NEXTEST_RUN_ID", "run-42"),
        ("NEXTEST_EXECUTION_MODE", "process-per-test"),
    ];
    let mut outputs = Vec::new();
    for test in ["fixture::logs_and_passes", "fixture::logs_then_fails"] {
        let output = run_fixture(&exe, &["--exact", test, "--nocapture"], &log_dir, &env);
        outputs.push((test, output));
    }
    let (_, passed) = &outputs[0];
    assert!(passed.status.success(), "{}", text(&passed.stderr));
    assert_eq!(
        console_types(&console_lines(&text(&passed.stdout))),
        everywhere("fixture:passes")
    );
    let (_, failed) = &outputs[1];
    assert!(!failed.status.success());
    assert_eq!(
        console_types(&console_lines(&text(&failed.stdout))),
        everywhere("fixture:fails")
    );

    let file = log_dir.join("tokio_redirect.nextest-run-42.log");
    let run = std::fs::read_to_string(&file).unwrap();
    let logged = types(&eliot_lines(&run));
    for expected in everywhere("fixture:fails")
        .into_iter()
        .chain(everywhere("fixture:passes"))
    {
        assert!(
            logged.contains(&expected),
            "both processes appended: {expected} in {logged:?}"
        );
    }
    std::fs::remove_dir_all(&log_dir).unwrap();
}

#[test]
fn outside_a_test_harness_it_does_nothing() {
    if fixture_mode() {
        return;
    }
    let log_dir = temp_dir("outside");
    // The same program, but not where cargo puts test harnesses: as a
    // `cargo run` binary or an example would be.
    let program = log_dir.join("plain-program");
    std::fs::copy(std::env::current_exe().unwrap(), &program).unwrap();
    let output = run_fixture(
        &program,
        &["--exact", "fixture::probe", "--nocapture"],
        &log_dir,
        &[],
    );
    let stderr = text(&output.stderr);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("REDIRECT=None"), "{stderr}");
    assert!(console_lines(&stdout).is_empty(), "{stdout}");
    assert!(eliot_lines(&stdout).is_empty(), "{stdout}");
    let files: Vec<_> = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["plain-program"], "no log file was made");
    std::fs::remove_dir_all(&log_dir).unwrap();
}

#[test]
fn calling_it_many_times_equals_calling_it_once() {
    let first = eliot_tokio::redirect_logs_for_tests().expect("under a harness");
    let again: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                eliot_tokio::redirect_logs_for_tests().unwrap() as *const _ as usize
            })
        })
        .collect();
    for handle in again {
        assert_eq!(handle.join().unwrap(), first as *const _ as usize);
    }
    let marker = format!("idempotent-{}", std::process::id());
    eliot::log_message!("test:redirect:once", marker = marker.as_str());
    let run = std::fs::read_to_string(first.log_file().unwrap()).unwrap();
    assert_eq!(run.matches(&marker).count(), 1, "one destination, one line");
}

/// The decision itself, on fake inputs (Eliot's FakeSys tests of
/// redirectLogsForTrial).
#[test]
fn the_harness_is_recognised_from_the_executable_arguments_and_environment() {
    use eliot_tokio::Harness;
    use std::ffi::OsString;

    let none = |_: &str| None;
    let nextest = |name: &str| match name {
        "NEXTEST" => Some(OsString::from("1")),
        "NEXTEST_RUN_ID" => Some(OsString::from("8f1b")),
        _ => None,
    };
    let deps = Path::new("/w/target/debug/deps/api-0123456789abcdef");
    let cross = Path::new("/w/target/x86_64-unknown-linux-gnu/release/deps/api-0123456789abcdef");
    let bin = Path::new("/w/target/debug/api");
    let example = Path::new("/w/target/debug/examples/demo");
    let archived = Path::new("/tmp/nextest-archive/target/debug/api");
    let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();

    assert_eq!(
        Harness::detect_from(deps, &[], none),
        Some(Harness::Libtest)
    );
    assert_eq!(
        Harness::detect_from(cross, &args(&["some_filter"]), none),
        Some(Harness::Libtest)
    );
    assert_eq!(Harness::detect_from(bin, &[], none), None);
    assert_eq!(Harness::detect_from(example, &[], none), None);
    assert_eq!(
        Harness::detect_from(deps, &args(&["--bench"]), none),
        None,
        "cargo bench"
    );
    assert_eq!(
        Harness::detect_from(deps, &args(&["--exact", "t", "--nocapture"]), nextest),
        Some(Harness::Nextest)
    );
    assert_eq!(
        Harness::detect_from(archived, &args(&["--exact", "t", "--nocapture"]), nextest),
        Some(Harness::Nextest)
    );
    // A program started by a test inherits nextest's variables, not its role.
    assert_eq!(Harness::detect_from(bin, &[], nextest), None);
    let half = |name: &str| (name == "NEXTEST").then(|| OsString::from("1"));
    assert_eq!(
        Harness::detect_from(archived, &args(&["--exact", "t"]), half),
        None
    );
}
