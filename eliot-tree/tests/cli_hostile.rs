//! Hostile and odd input: what a log can hold that must neither drive the
//! terminal, nor crash the command, nor be lost without a word.

mod support;

use support::{assert_harmless, assert_reported, eliot_tree};

#[test]
fn reports_of_malformed_lines_neutralise_what_comes_from_the_log() {
    // A line written twice: the report names the task's UUID, which holds
    // an escape sequence that would retitle the window and clear the screen.
    let line = r#"{"timestamp":1.0,"task_uuid":"t\u001b]0;pwned\u0007\u001b[2J\u202e","task_level":[2],"message_type":"m"}"#;
    let log = format!("{line}\n{line}\n");
    let run = eliot_tree(&["--color", "never"], Some(&log));
    assert_reported(&run, "task t␛]0;pwned␇␛[2J\\u{202e} already has a line");
    assert_harmless(&run.stderr);
    assert_harmless(&run.stdout);
}

#[test]
fn bidirectional_overrides_in_keys_and_values_are_neutralised() {
    // U+202E would show "amount: 0001" for a value of 1000 ... and so on.
    let log = "{\"\\u202eamount\":\"1000\\u202e\",\"note\":\"\\u2066x\\u2069\",\"timestamp\":1.0,\
               \"task_uuid\":\"t\",\"task_level\":[1],\"message_type\":\"m\\u202d\"}\n";
    let run = eliot_tree(&["--color", "never"], Some(log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_harmless(&run.stdout);
    assert!(
        run.stdout.contains("\\u{202e}amount: 1000\\u{202e}\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("note: \\u{2066}x\\u{2069}\n"));
    assert!(run.stdout.contains("└── m\\u{202d}/1 "));
}

#[test]
fn timestamps_beyond_any_date_are_shown_as_numbers() {
    // Python's eliot-tree stops with a traceback on these; a date computed
    // from a saturated number of seconds would be wrong.
    let log = r#"{"timestamp":1e300,"task_uuid":"t1","task_level":[1],"message_type":"far"}
{"timestamp":-1e300,"task_uuid":"t2","task_level":[1],"message_type":"past"}
{"timestamp":-1.5,"task_uuid":"t3","task_level":[1],"message_type":"early"}
"#;
    let run = eliot_tree(&["--color", "never"], Some(log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("└── far/1 1e+300\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains("└── past/1 -1e+300\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("└── early/1 1969-12-31 23:59:58Z\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_task_level_thousands_deep_is_reported_not_a_crash() {
    // It used to overflow the stack: the process aborted, no status.
    let level = vec!["2"; 100_000].join(",");
    let log = format!(
        "{{\"timestamp\":1.0,\"task_uuid\":\"t\",\"task_level\":[{level}],\"message_type\":\"m\"}}\n\
         {{\"timestamp\":1.0,\"task_uuid\":\"u\",\"task_level\":[1],\"message_type\":\"ok\"}}\n"
    );
    let run = eliot_tree(&["--color", "never"], Some(&log));
    assert_reported(
        &run,
        "line 1: not an Eliot message: task_level must be an array of at most 512",
    );
    assert!(run.stdout.starts_with("u\n└── ok/1 "), "{}", run.stdout);
}

#[test]
fn a_tree_as_deep_as_the_parser_reads_is_drawn_and_written_as_json() {
    // 512 levels, the deepest task_level read: drawing and serializing
    // recurse once per level, and must not run out of stack.
    let line = |status: &str, level: &[u32]| {
        format!(
            "{{\"action_status\":\"{status}\",\"timestamp\":1.0,\"task_uuid\":\"t\",\"action_type\":\"a\",\"task_level\":{level:?}}}\n"
        )
    };
    let mut log = String::new();
    for depth in 1..=512 {
        let mut level = vec![2; depth - 1];
        level.push(1);
        log += &line("started", &level);
    }
    for depth in (1..=512).rev() {
        let mut level = vec![2; depth - 1];
        level.push(if depth == 512 { 2 } else { 3 });
        log += &line("succeeded", &level);
    }
    let run = eliot_tree(&["--color", "never"], Some(&log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.matches("⇒ started").count(), 512);
    assert_eq!(run.stdout.matches("⇒ succeeded").count(), 512);
    let deepest = format!("── a/{}1 ⇒ started", "2/".repeat(511));
    assert!(run.stdout.contains(&deepest), "{}", run.stdout);
    let run = eliot_tree(&["--json"], Some(&log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1);
    assert_eq!(run.stdout.matches("\"node\":\"action\"").count(), 512);
}

#[test]
fn fields_with_lone_surrogates_are_shown_selected_and_written_as_json() {
    // Python's Eliot writes `\udce9` for an undecodable byte of a file name;
    // every field of such a message used to vanish from the tree.
    let log = r#"{"path":"/tmp/caf\udce9","n":7,"timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m"}
"#;
    let run = eliot_tree(&["--color", "never"], Some(log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("├── n: 7\n"), "{}", run.stdout);
    assert!(run.stdout.contains("└── path: /tmp/caf\u{fffd}\n"));
    let run = eliot_tree(&["--select", "n == `7`"], Some(log));
    assert!(run.stdout.starts_with("t\n"), "{}", run.stdout);
    let run = eliot_tree(&["--json"], Some(log));
    let task: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(task["root"]["message"]["path"], "/tmp/caf\u{fffd}");
}

#[test]
fn json_output_of_hostile_fields_is_valid_json() {
    let log = "{\"\\u001b[2Jk\\u202e\":\"v\\u0000\\u009b\\u007f\",\"a\":\"x\",\"a\":[1,{\"b\":null}],\
               \"timestamp\":1.0,\"task_uuid\":\"t\\u0007\",\"task_level\":[1],\"message_type\":\"m\"}\n";
    let run = eliot_tree(&["--json"], Some(log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let task: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(task["task_uuid"], "t\u{7}");
    let message = &task["root"]["message"];
    assert_eq!(message["\u{1b}[2Jk\u{202e}"], "v\u{0}\u{9b}\u{7f}");
    assert_eq!(message["a"], serde_json::json!([1, {"b": null}]));
}

#[test]
fn fields_that_cannot_be_read_are_reported() {
    // The line is placed in its tree, but serde_json cannot read its
    // fields (Python's eliot-tree shows them): they used to vanish without
    // a word.
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    for (value, error) in [
        (deep.as_str(), "recursion limit exceeded"),
        ("1e400", "number out of range"),
    ] {
        let log = format!(
            "{{\"a\":\"x\",\"v\":{value},\"timestamp\":1.0,\"task_uuid\":\"t\",\"task_level\":[1],\"message_type\":\"m\"}}\n"
        );
        let run = eliot_tree(&["--color", "never"], Some(&log));
        assert_reported(
            &run,
            &format!(
                "line 1: the message was placed in its task, but its fields cannot be read: {error}"
            ),
        );
        assert!(run.stdout.starts_with("t\n└── m/1 "), "{}", run.stdout);
        // A line of a task not shown is not placed: nothing to report.
        let run = eliot_tree(&["--task-uuid", "u"], Some(&log));
        assert_eq!(run.status, Some(0), "{}", run.stderr);
    }
}
