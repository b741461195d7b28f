//! User code that eliot-core runs while logging (a field's `Serialize`,
//! `Debug` or `Display`, an error's `Display`, an exception extractor) and
//! that logs, changes what is being logged, or panics: it must neither
//! deadlock nor take the application down, and the message keeps its other
//! fields.
//!
//! The tests of this file run in parallel and destinations are process-wide:
//! each test captures its own lines (a routed context) or filters by its own
//! message types. Deadlocks are waited for with a bound, never forever.

mod support;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::support::capture::{Lines, capture, kind, level, parse_all, wait_until};
use eliot::{
    AsFailure, Failure, Field, add_destination, add_global_fields, current_action, fields,
    log_message, register_exception_extractor, remove_destination, start_action,
};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// Runs `f` on a thread of its own and waits for it at most 30 s: a deadlock
/// fails the test instead of hanging it.
fn within_30s<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let thread = std::thread::spawn(f);
    wait_until(Duration::from_secs(30), what, || thread.is_finished());
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn of_type<'a>(lines: &'a [Map<String, Value>], wanted: &str) -> Vec<&'a Map<String, Value>> {
    lines.iter().filter(|m| kind(m) == wanted).collect()
}

/// A value whose serialization logs a message.
struct LogsWhenSerialized(&'static str);

impl Serialize for LogsWhenSerialized {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        log_message!(self.0);
        s.serialize_str("serialized")
    }
}

/// The nested call found this thread's registry snapshot missing and read
/// the registry's, while `add_global_fields` held the registry's lock to
/// serialize the value: a deadlock.
#[test]
fn a_global_field_whose_value_logs_while_serialized_does_not_deadlock() {
    let lines = Arc::new(Lines::default());
    let handle = add_destination(lines.clone());
    within_30s("add_global_fields with a value that logs", || {
        // A fresh thread: no cached snapshot of the registry yet.
        add_global_fields(fields!(
            t_reentrant_global = LogsWhenSerialized("t:logged_by_global_value")
        ));
        log_message!("t:after_reentrant_global");
    });
    remove_destination(&handle).unwrap();
    let seen = parse_all(&lines.take());
    assert_eq!(of_type(&seen, "t:logged_by_global_value").len(), 1);
    let after = of_type(&seen, "t:after_reentrant_global");
    assert_eq!(after.len(), 1, "{seen:#?}");
    assert_eq!(after[0]["t_reentrant_global"], "serialized");
}

/// A success field whose value adds another success field to the same
/// action: `add_success_fields` held the action's lock while serializing.
#[test]
fn a_success_field_whose_value_adds_a_success_field_does_not_deadlock() {
    struct AddsAnother;
    impl Serialize for AddsAnother {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            current_action()
                .unwrap()
                .add_success_fields(fields!(inner = 2));
            s.serialize_u8(1)
        }
    }
    let ((), lines) = within_30s("add_success_fields with a value that adds one", || {
        capture(|| {
            let action = start_action!("t:success_reentrant");
            action.add_success_fields(fields!(outer = AddsAnother));
        })
    });
    let seen = parse_all(&lines);
    let end = seen.last().unwrap();
    assert_eq!(end["action_status"], "succeeded", "{seen:#?}");
    assert_eq!(end["outer"], 1);
    assert_eq!(end["inner"], 2);
}

/// An error of the type [`an_exception_extractor_that_registers_another_does_not_deadlock`]
/// extracts fields from.
#[derive(Debug)]
struct Registers;

impl fmt::Display for Registers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("registers an extractor")
    }
}

impl std::error::Error for Registers {}

/// An extractor that registers another one (lazily, say) when it first
/// runs: extractors ran under the registry's read lock, and registering
/// takes its write lock.
#[test]
fn an_exception_extractor_that_registers_another_does_not_deadlock() {
    register_exception_extractor(|_: &Registers, fields| {
        register_exception_extractor(|_: &std::fmt::Error, _| {});
        fields.add("registered", &true);
    });
    let failure = within_30s("an extractor that registers another", || {
        Failure::from_error(&Registers)
    });
    assert_eq!(failure.reason(), "registers an extractor");
}

/// A value whose serialization panics.
struct PanicsWhenSerialized;

impl Serialize for PanicsWhenSerialized {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("t: serialize exploded");
    }
}

/// A value whose `Display` and `Debug` panic.
struct PanicsWhenFormatted;

impl fmt::Display for PanicsWhenFormatted {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("t: display exploded");
    }
}

impl fmt::Debug for PanicsWhenFormatted {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("t: debug exploded");
    }
}

/// A value whose `Display` and `Debug` return an error (which `fmt`'s
/// contract forbids unless the writer failed: serde_json panics on it).
struct FailsWhenFormatted;

impl fmt::Display for FailsWhenFormatted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("partial")?;
        Err(fmt::Error)
    }
}

impl fmt::Debug for FailsWhenFormatted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a value whose `fmt` returned an error has no JSON.
const FMT_ERROR: &str = "its fmt implementation returned an error";

/// The placeholder a bad field is written as: which type, and why.
fn assert_placeholder(value: &Value, type_part: &str, error_part: &str) {
    let type_name = value["eliot:unserializable"].as_str().unwrap_or_default();
    let error = value["error"].as_str().unwrap_or_default();
    assert!(type_name.contains(type_part), "{value}");
    assert!(error.contains(error_part), "{value}");
}

/// The docs promise that a field whose serialization fails does not lose
/// the message; a panic is a failure too, and logging must not take the
/// application down with it.
#[test]
fn a_field_that_panics_or_fails_while_formatted_keeps_the_message_and_the_rest() {
    let ((), lines) = capture(|| {
        log_message!("t:bad_serialize", bad = PanicsWhenSerialized, good = 1);
        log_message!("t:bad_display", bad = %PanicsWhenFormatted, good = 2);
        log_message!("t:bad_debug", bad = ?PanicsWhenFormatted, good = 3);
        log_message!("t:failing_display", bad = %FailsWhenFormatted, good = 4);
        log_message!("t:failing_debug", bad = ?FailsWhenFormatted, good = 5);
        let action = start_action!("t:bad_start", bad = PanicsWhenSerialized, good = 6);
        action.add_success_fields(fields!(
            bad_success = PanicsWhenSerialized,
            good_success = 7
        ));
    });
    let seen = parse_all(&lines);
    let expected = [
        (
            "t:bad_serialize",
            "PanicsWhenSerialized",
            "panicked: t: serialize exploded",
            1,
        ),
        (
            "t:bad_display",
            "PanicsWhenFormatted",
            "panicked: t: display exploded",
            2,
        ),
        (
            "t:bad_debug",
            "PanicsWhenFormatted",
            "panicked: t: debug exploded",
            3,
        ),
        ("t:failing_display", "FailsWhenFormatted", FMT_ERROR, 4),
        ("t:failing_debug", "FailsWhenFormatted", FMT_ERROR, 5),
        (
            "t:bad_start",
            "PanicsWhenSerialized",
            "panicked: t: serialize exploded",
            6,
        ),
    ];
    for (kind, type_part, error_part, good) in expected {
        let found = of_type(&seen, kind);
        assert!(!found.is_empty(), "{kind} was lost: {seen:#?}");
        assert_placeholder(&found[0]["bad"], type_part, error_part);
        assert_eq!(found[0]["good"], good, "{kind}");
    }
    let end = seen.last().unwrap();
    assert_eq!(end["action_status"], "succeeded", "{seen:#?}");
    assert_placeholder(
        &end["bad_success"],
        "PanicsWhenSerialized",
        "t: serialize exploded",
    );
    assert_eq!(end["good_success"], 7);
}

/// A global field whose value panics when serialized: the call returns,
/// and later messages carry the placeholder.
#[test]
fn a_global_field_that_panics_while_serialized_is_a_placeholder() {
    let lines = Arc::new(Lines::default());
    let handle = add_destination(lines.clone());
    add_global_fields(&[Field::new("t_panicking_global", &PanicsWhenSerialized)]);
    log_message!("t:after_panicking_global");
    remove_destination(&handle).unwrap();
    let seen = parse_all(&lines.take());
    let after = of_type(&seen, "t:after_panicking_global");
    assert_eq!(after.len(), 1, "{seen:#?}");
    assert_placeholder(
        &after[0]["t_panicking_global"],
        "PanicsWhenSerialized",
        "t: serialize exploded",
    );
}

/// An error whose `Display` panics (or returns an error), directly or in
/// its `source()` chain, or whose `source()` panics.
#[derive(Debug)]
enum BadError {
    PanicsInDisplay,
    FailsInDisplay,
    CausedByBad(Box<BadError>),
    PanicsInSource,
}

impl fmt::Display for BadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadError::PanicsInDisplay => panic!("t: error display exploded"),
            BadError::FailsInDisplay => Err(fmt::Error),
            BadError::CausedByBad(_) => f.write_str("outer error"),
            BadError::PanicsInSource => f.write_str("its source panics"),
        }
    }
}

impl std::error::Error for BadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BadError::CausedByBad(inner) => Some(&**inner),
            BadError::PanicsInSource => panic!("t: source exploded"),
            _ => None,
        }
    }
}

/// Finishing an action with an error that cannot be formatted still
/// finishes it, as failed, and the caller goes on.
#[test]
fn an_error_that_cannot_be_formatted_still_fails_its_action() {
    let ((), lines) = capture(|| {
        start_action!("t:err_panics").finish_with_error(&BadError::PanicsInDisplay);
        start_action!("t:err_fails").finish_with_error(&BadError::FailsInDisplay);
        let action = start_action!("t:err_cause_panics").into_action();
        let error = BadError::CausedByBad(Box::new(BadError::PanicsInDisplay));
        action.finish_with_error(&error).unwrap();
        eliot::write_traceback(&error);
    });
    let seen = parse_all(&lines);
    for kind in ["t:err_panics", "t:err_fails", "t:err_cause_panics"] {
        let lines = of_type(&seen, kind);
        assert_eq!(lines.len(), 2, "{kind}: {seen:#?}");
        assert_eq!(lines[1]["action_status"], "failed");
        assert!(
            lines[1]["exception"]
                .as_str()
                .unwrap()
                .ends_with("BadError"),
            "{kind}: {seen:#?}"
        );
    }
    let panics = &of_type(&seen, "t:err_panics")[1];
    assert!(
        panics["reason"]
            .as_str()
            .unwrap()
            .contains("t: error display exploded"),
        "{panics:?}"
    );
    let fails = &of_type(&seen, "t:err_fails")[1];
    assert!(
        fails["reason"]
            .as_str()
            .unwrap()
            .contains("Display implementation returned an error"),
        "{fails:?}"
    );
    let traceback = &of_type(&seen, "eliot:traceback")[0];
    assert_eq!(traceback["reason"], "outer error");
    assert!(
        traceback["traceback"]
            .as_str()
            .unwrap()
            .contains("t: error display exploded"),
        "{traceback:?}"
    );
}

/// An error whose `source()` panics: the action still fails with the
/// error, and the traceback notes the cause it could not read.
#[test]
fn an_error_whose_source_panics_still_fails_its_action() {
    let ((), lines) = capture(|| {
        start_action!("t:source_panics").finish_with_error(&BadError::PanicsInSource);
        eliot::write_traceback(&BadError::PanicsInSource);
    });
    let seen = parse_all(&lines);
    let action = of_type(&seen, "t:source_panics");
    assert_eq!(action.len(), 2, "{seen:#?}");
    assert_eq!(action[1]["action_status"], "failed");
    assert_eq!(action[1]["reason"], "its source panics");
    let traceback = &of_type(&seen, "eliot:traceback")[0];
    assert!(
        traceback["traceback"]
            .as_str()
            .unwrap()
            .contains("<unknown cause: source() panicked: t: source exploded>"),
        "{traceback:?}"
    );
}

/// A failure of the application's own making whose description panics: the
/// guard still finishes its action (failed, with the panic) as the panic
/// goes by, instead of leaving it open.
#[test]
fn a_failure_that_panics_while_described_leaves_no_action_open() {
    struct Undescribable;
    impl AsFailure for Undescribable {
        fn to_failure(&self) -> Failure {
            panic!("t: to_failure exploded");
        }
    }
    let (panicked, lines) = capture(|| {
        std::panic::catch_unwind(|| {
            start_action!("t:undescribable").finish_with_error(&Undescribable);
        })
        .is_err()
    });
    assert!(panicked);
    let seen = parse_all(&lines);
    let lines = of_type(&seen, "t:undescribable");
    assert_eq!(lines.len(), 2, "{seen:#?}");
    assert_eq!(lines[1]["action_status"], "failed");
    assert_eq!(lines[1]["exception"], "panic");
    assert_eq!(lines[1]["reason"], "t: to_failure exploded");
}

/// An error whose exception extractor panics.
#[derive(Debug)]
struct ExtractorPanics;

impl fmt::Display for ExtractorPanics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("its extractor panics")
    }
}

impl std::error::Error for ExtractorPanics {}

/// An exception extractor is the application's code too: when it panics,
/// the action still fails with the error, keeping what the extractor added
/// before it panicked.
#[test]
fn an_exception_extractor_that_panics_still_fails_its_action() {
    register_exception_extractor(|_: &ExtractorPanics, fields| {
        fields.add("t_before_panic", &1);
        panic!("t: extractor exploded");
    });
    let ((), lines) = capture(|| {
        start_action!("t:extractor_panics").finish_with_error(&ExtractorPanics);
    });
    let seen = parse_all(&lines);
    let lines = of_type(&seen, "t:extractor_panics");
    assert_eq!(lines.len(), 2, "{seen:#?}");
    assert_eq!(lines[1]["action_status"], "failed");
    assert_eq!(lines[1]["reason"], "its extractor panics");
    assert_eq!(lines[1]["t_before_panic"], 1);
    let dynamic: &(dyn std::error::Error + 'static) = &ExtractorPanics;
    assert!(
        Failure::from_dyn_error(dynamic)
            .exception()
            .ends_with("ExtractorPanics")
    );
}

/// A writer that logs while it writes, as one that reports through
/// `tracing` (bridged to Eliot) does: its `FileDestination` holds its lock
/// around the write, and the nested message came back to it.
#[test]
fn a_file_destination_whose_writer_logs_does_not_deadlock() {
    #[derive(Clone, Default)]
    struct LoggingWriter(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for LoggingWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if String::from_utf8_lossy(bytes).contains("t:write_through_logging_writer") {
                log_message!("t:logged_by_writer");
            }
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let writer = LoggingWriter::default();
    let others = Arc::new(Lines::default());
    let failures_before = eliot::destination_failure_count();
    let file = eliot::FileDestination::new(writer.clone());
    within_30s("a FileDestination whose writer logs", move || {
        let file = add_destination(file);
        let others_handle = add_destination(others.clone());
        log_message!("t:write_through_logging_writer");
        remove_destination(&file).unwrap();
        remove_destination(&others_handle).unwrap();
        let seen = parse_all(&others.take());
        assert_eq!(of_type(&seen, "t:write_through_logging_writer").len(), 1);
        // The nested message reached the other destinations...
        assert_eq!(of_type(&seen, "t:logged_by_writer").len(), 1, "{seen:#?}");
        // ... and its failure to reach the file was reported, not silent.
        let reports = of_type(&seen, "eliot:destination_failure");
        assert!(
            reports
                .iter()
                .any(|r| r["message"]["message_type"] == "t:logged_by_writer"),
            "{seen:#?}"
        );
    });
    assert!(eliot::destination_failure_count() > failures_before);
    let written = String::from_utf8(writer.0.lock().unwrap().clone()).unwrap();
    assert!(
        written.contains("t:write_through_logging_writer"),
        "{written}"
    );
}

/// An error that is its own `source()`, for its first 100,000 calls (a
/// bound kept so that the test ends, and with little memory, even when the
/// chain is followed blindly).
#[derive(Debug, Default)]
struct OwnCause(std::sync::atomic::AtomicUsize);

impl fmt::Display for OwnCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("caused by itself")
    }
}

impl std::error::Error for OwnCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let calls = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (calls < 100_000).then_some(self as _)
    }
}

/// A chain of causes that loops never ends: the failure records a bounded
/// number of causes and says it left the rest out.
#[test]
fn a_source_chain_that_loops_is_cut() {
    let error = OwnCause::default();
    let traceback = Failure::from_error(&error).traceback();
    let causes = traceback
        .lines()
        .filter(|l| l.contains(": caused by itself"))
        .count();
    assert!(causes <= 1000, "{causes} causes recorded");
    assert!(traceback.contains("does it loop?"), "{traceback}");
}

/// A message in the current action takes its slot before its fields are
/// serialized, and its fields' `Serialize` impls may log, and start and end
/// actions, while it is written: each line has its own place in the task.
#[test]
fn a_field_that_logs_and_starts_an_action_while_serialized_keeps_every_place() {
    struct StartsAnAction;
    impl Serialize for StartsAnAction {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let inner = start_action!("t:started_by_value");
            log_message!("t:logged_in_started_by_value");
            drop(inner);
            s.serialize_u8(1)
        }
    }
    let lines = Arc::new(Lines::default());
    let handle = add_destination(lines.clone());
    let task_uuid = within_30s("a field that starts an action while serialized", || {
        let outer = start_action!("t:holds_the_fields");
        log_message!(
            "t:fields_that_log",
            logs = LogsWhenSerialized("t:logged_by_value"),
            starts = StartsAnAction
        );
        log_message!("t:after_the_fields");
        let task_uuid = outer.task_uuid().to_owned();
        drop(outer);
        task_uuid
    });
    remove_destination(&handle).unwrap();
    let seen: Vec<_> = parse_all(&lines.take())
        .into_iter()
        .filter(|m| m["task_uuid"] == task_uuid.as_str())
        .collect();
    let place = |kind_wanted: &str| {
        let found = of_type(&seen, kind_wanted);
        assert_eq!(found.len(), 1, "{kind_wanted}: {seen:#?}");
        level(found[0])
    };
    assert_eq!(place("t:fields_that_log"), [2]);
    assert_eq!(place("t:logged_by_value"), [3]);
    assert_eq!(place("t:logged_in_started_by_value"), [4, 2]);
    assert_eq!(place("t:after_the_fields"), [5]);
    let fields = of_type(&seen, "t:fields_that_log")[0];
    assert_eq!(fields["logs"], "serialized");
    assert_eq!(fields["starts"], 1);
    assert_eq!(seen.len(), 8, "{seen:#?}");
}
