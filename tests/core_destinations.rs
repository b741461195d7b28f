//! The destination registry: adding and removing, global fields, failing and
//! panicking destinations, FileDestination.
//!
//! Destinations are process-wide and the tests of this file run in parallel,
//! so each test only looks at the messages it logged itself.

mod support;

use std::sync::Arc;

use crate::support::capture::{Lines, keys, parse, wait_until};
use eliot::{
    Destination, DestinationError, FileDestination, Message, NotRegistered, add_destination,
    add_destinations, add_global_fields, destination_failure_count, log_message,
    remove_destination,
};
use serde_json::Value;

/// Tests that add failing destinations take this lock, so that each sees
/// only its own failures reported.
static FAILING_DESTINATIONS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn mine(lines: &[String], message_type: &str) -> Vec<serde_json::Map<String, Value>> {
    lines
        .iter()
        .map(|l| parse(l))
        .filter(|m| m.get("message_type").and_then(Value::as_str) == Some(message_type))
        .collect()
}

#[test]
fn remove_is_an_error_when_not_registered() {
    let lines = Arc::new(Lines::default());
    let handle = add_destination(lines.clone());
    log_message!("t:registered");
    assert_eq!(remove_destination(&handle), Ok(()));
    assert_eq!(remove_destination(&handle), Err(NotRegistered));
    log_message!("t:after_remove");
    let seen = lines.take();
    assert_eq!(mine(&seen, "t:registered").len(), 1);
    assert!(mine(&seen, "t:after_remove").is_empty());

    let never_added = Arc::new(Lines::default());
    let error = remove_destination(&never_added).unwrap_err();
    assert!(error.to_string().contains("not registered"), "{error}");
}

#[test]
fn global_fields_never_override_a_messages_own_fields() {
    let lines = Arc::new(Lines::default());
    let handle = add_destination(lines.clone());
    add_global_fields(eliot::fields!(t_global_region = "eu", t_global_host = "a1"));
    log_message!("t:global_plain", x = 1);
    log_message!("t:global_own", t_global_region = "us");
    remove_destination(&handle).unwrap();
    let seen = lines.take();

    let plain = &seen[seen
        .iter()
        .position(|l| l.contains("t:global_plain"))
        .unwrap()];
    let order = keys(plain);
    // Python appends global fields after the message's own keys.
    assert_eq!(
        &order[order.len() - 2..],
        ["t_global_region", "t_global_host"]
    );
    assert_eq!(parse(plain)["t_global_region"], "eu");

    let own = &seen[seen
        .iter()
        .position(|l| l.contains("t:global_own"))
        .unwrap()];
    assert_eq!(parse(own)["t_global_region"], "us");
    assert_eq!(
        keys(own).iter().filter(|k| *k == "t_global_region").count(),
        1
    );
    assert_eq!(parse(own)["t_global_host"], "a1");
}

struct Failing;
impl Destination for Failing {
    fn write(&self, _: &Message) -> Result<(), DestinationError> {
        Err(std::io::Error::other("the disk said no").into())
    }
}

struct Panicking;
impl Destination for Panicking {
    fn write(&self, _: &Message) -> Result<(), DestinationError> {
        panic!("destination exploded");
    }
}

#[test]
fn failing_and_panicking_destinations_are_reported_without_stopping_others() {
    let _serial = FAILING_DESTINATIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let lines = Arc::new(Lines::default());
    let good = add_destination(lines.clone());
    let failing = Arc::new(Failing);
    let panicking = Arc::new(Panicking);
    add_destinations([failing.clone()]);
    add_destinations([panicking.clone()]);
    let failures_before = destination_failure_count();

    log_message!("t:survives_failures", n = 1);

    remove_destination(&failing).unwrap();
    remove_destination(&panicking).unwrap();
    remove_destination(&good).unwrap();
    assert!(destination_failure_count() >= failures_before + 2);

    let seen = lines.take();
    assert_eq!(
        mine(&seen, "t:survives_failures").len(),
        1,
        "the good destination got the message"
    );
    let reports: Vec<_> = mine(&seen, "eliot:destination_failure")
        .into_iter()
        .filter(|m| m["message"]["message_type"] == "t:survives_failures")
        .collect();
    // One report per failing destination; the reports failing in turn are
    // not reported again.
    assert_eq!(reports.len(), 2, "{reports:#?}");
    let mut exceptions: Vec<&str> = reports
        .iter()
        .map(|m| m["exception"].as_str().unwrap())
        .collect();
    exceptions.sort_unstable();
    assert_eq!(exceptions, ["panic", "std::io::error::Error"]);
    let reasons: Vec<&str> = reports
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"the disk said no"));
    assert!(reasons.contains(&"destination exploded"));
    assert_eq!(
        reports[0]["message"]["n"], 1,
        "the failed message is kept whole"
    );
}

#[test]
fn file_destination_refuses_a_file_it_cannot_write() {
    let read_only = std::fs::File::open(env!("CARGO_MANIFEST_PATH")).unwrap();
    let error = FileDestination::from_file(read_only).unwrap_err();
    assert!(
        error.to_string().contains("not open for writing"),
        "{error}"
    );

    let error = FileDestination::create("/nonexistent-dir/x.log").unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent-dir/x.log"),
        "{error}"
    );
}

#[test]
fn file_destination_on_a_full_disk_is_reported_with_errno() {
    let _serial = FAILING_DESTINATIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let lines = Arc::new(Lines::default());
    let good = add_destination(lines.clone());
    let full = add_destination(FileDestination::create("/dev/full").unwrap());
    log_message!("t:disk_full");
    remove_destination(&full).unwrap();
    remove_destination(&good).unwrap();
    let report = mine(&lines.take(), "eliot:destination_failure")
        .into_iter()
        .find(|m| m["message"]["message_type"] == "t:disk_full")
        .expect("the failure is reported");
    assert_eq!(report["exception"], "std::io::error::Error");
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("No space left on device"),
        "{report:?}"
    );
}

#[test]
fn file_destination_writes_whole_lines_from_many_threads() {
    let path = std::env::temp_dir().join(format!("eliot-core-lines-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let file = add_destination(FileDestination::create(&path).unwrap());
    let long = "x".repeat(3000);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let long = long.clone();
            std::thread::spawn(move || {
                for i in 0..2000 {
                    log_message!("t:many_threads", t = t, i = i, pad = long);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    remove_destination(&file).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut per_thread = vec![Vec::new(); 8];
    for line in text.lines() {
        let message = parse(line); // panics on a torn line
        if message["message_type"] == "t:many_threads" {
            per_thread[message["t"].as_u64().unwrap() as usize]
                .push(message["i"].as_u64().unwrap());
        }
    }
    for (t, seen) in per_thread.iter().enumerate() {
        assert_eq!(
            *seen,
            (0..2000).collect::<Vec<u64>>(),
            "thread {t}: all lines, in order"
        );
    }
}

/// A destination that logs from inside its own write would recurse forever;
/// the nesting is cut off, counted and reported instead of overflowing the
/// stack.
#[test]
fn a_destination_that_logs_while_writing_does_not_recurse_forever() {
    struct Echo;
    impl Destination for Echo {
        fn write(&self, message: &Message) -> Result<(), DestinationError> {
            if message.as_json().contains("t:echo") {
                log_message!("t:echo", depth = "again");
            }
            Ok(())
        }
    }
    let before = eliot::recursive_delivery_drop_count();
    let echo = add_destination(Echo);
    log_message!("t:echo", depth = "first");
    remove_destination(&echo).unwrap();
    assert!(eliot::recursive_delivery_drop_count() > before);
}

/// A destination that changes the registry and logs from inside its write:
/// the nested logging call finds its thread's snapshot stale and reads the
/// registry's, and it must not hold the registry's lock while it delivers
/// (the next nested call would wait for it forever).
#[test]
fn a_destination_that_logs_after_changing_the_registry_does_not_deadlock() {
    struct ChangesThenLogs;
    impl Destination for ChangesThenLogs {
        fn write(&self, message: &Message) -> Result<(), DestinationError> {
            // By type, not by text: tests running beside this one register
            // failing destinations whose reports quote these messages.
            let message_type = parse(message.as_json())
                .get("message_type")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match message_type.as_deref() {
                Some("t:changes_registry") => {
                    // A registry change while the snapshot is in use up the
                    // stack.
                    add_global_fields(&[]);
                    log_message!("t:nested_once");
                }
                Some("t:nested_once") => log_message!("t:nested_twice"),
                _ => {}
            }
            Ok(())
        }
    }
    let lines = Arc::new(Lines::default());
    let watched = lines.clone();
    let thread = std::thread::spawn(move || {
        let changes = add_destination(ChangesThenLogs);
        let lines = add_destination(watched);
        log_message!("t:changes_registry");
        remove_destination(&changes).unwrap();
        remove_destination(&lines).unwrap();
    });
    wait_until(
        std::time::Duration::from_secs(30),
        "logging from a destination to return (a deadlock?)",
        || thread.is_finished(),
    );
    thread.join().unwrap();
    let seen = lines.take();
    assert_eq!(mine(&seen, "t:nested_twice").len(), 1, "{seen:#?}");
}
