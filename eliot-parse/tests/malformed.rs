//! Malformed input is reported with its file and line number, and reading
//! goes on: every good line around it still lands in its tree.

use eliot_parse::{Event, LogReader, Malformed, Problem, Task};

const START: &str = r#"{"action_status":"started","timestamp":1.0,"task_uuid":"t1","action_type":"app:job","task_level":[1]}"#;
const NOTE: &str =
    r#"{"timestamp":1.5,"task_uuid":"t1","task_level":[2],"message_type":"app:note"}"#;
const END: &str = r#"{"action_status":"succeeded","timestamp":2.0,"task_uuid":"t1","action_type":"app:job","task_level":[3]}"#;
const HELLO: &str =
    r#"{"timestamp":3.0,"task_uuid":"t2","task_level":[1],"message_type":"app:hello"}"#;

fn read(inputs: &[(&str, Vec<u8>)]) -> (Vec<Task>, Vec<Malformed>) {
    let mut reader = LogReader::new();
    for (name, bytes) in inputs {
        reader.add_input(*name, std::io::Cursor::new(bytes.clone()));
    }
    let (mut tasks, mut bad) = (Vec::new(), Vec::new());
    for event in reader {
        match event.unwrap() {
            Event::Task(task) => tasks.push(task),
            Event::Malformed(malformed) => bad.push(malformed),
        }
    }
    (tasks, bad)
}

fn where_and_what(bad: &[Malformed]) -> Vec<(String, u64, String)> {
    bad.iter()
        .map(|m| {
            (
                m.location.source.to_string(),
                m.location.line,
                m.problem.to_string(),
            )
        })
        .collect()
}

#[test]
fn each_kind_of_bad_line_is_reported_where_it_is_and_reading_goes_on() {
    let first = [
        START,
        "this is not json",
        r#"{"timestamp":1.0,"task_level":[1],"message_type":"m"}"#,
        r#"{"timestamp":1.0,"task_uuid":"x","task_level":[0],"message_type":"m"}"#,
        r#"{"timestamp":1.0,"task_uuid":"x","task_level":"1","message_type":"m"}"#,
        r#"{"timestamp":"noon","task_uuid":"x","task_level":[1],"message_type":"m"}"#,
        r#"{"timestamp":1.0,"task_uuid":"x","task_level":[1]}"#,
        r#"{"timestamp":1.0,"task_uuid":"x","task_level":[1],"action_type":"a"}"#,
        r#"{"action_status":"started","timestamp":1.0,"task_uuid":"x","action_type":"a","task_level":[2]}"#,
        "[1,2,3]",
        "",
        NOTE,
        NOTE,
    ]
    .join("\n")
        + "\n";
    let hello3 = HELLO.replace("t2", "t3");
    let mut second = format!("{END}{HELLO}\n{hello3}\r\n").into_bytes();
    second.extend_from_slice(b"{\"bad\":\"\xff\"}\n");
    second.extend_from_slice(format!("{HELLO} trailing\n{{\"timestamp\":1.0,\"task_u").as_bytes());
    let (tasks, bad) = read(&[("one.log", first.into_bytes()), ("two.log", second)]);

    let reports = where_and_what(&bad);
    let expect = |file: &str, line: u64, start: &str| {
        assert!(
            reports
                .iter()
                .any(|(f, l, p)| f == file && *l == line && p.starts_with(start)),
            "no report {file}:{line}: {start}...\nreports: {reports:#?}"
        );
    };
    expect(
        "one.log",
        2,
        "not a JSON object: expected ident at line 1 column 2",
    );
    expect("one.log", 3, "not an Eliot message: no task_uuid");
    expect(
        "one.log",
        4,
        "not an Eliot message: task_level must be a non-empty array of positive integers",
    );
    expect("one.log", 5, "not an Eliot message: task_level must be");
    expect(
        "one.log",
        6,
        "not an Eliot message: timestamp must be a number",
    );
    expect(
        "one.log",
        7,
        "not an Eliot message: no message_type or action_type",
    );
    expect("one.log", 8, "not an Eliot message: no action_status");
    expect(
        "one.log",
        9,
        "action message at task_level /2: an action's start message is at a level ending in 1",
    );
    expect(
        "one.log",
        10,
        "not a JSON object: invalid type: sequence, expected an Eliot message",
    );
    expect(
        "one.log",
        13,
        "task t1 already has a line at task_level /2; this one was left out",
    );
    expect("two.log", 1, "2 messages on one line (each was read)");
    expect("two.log", 3, "not UTF-8 text");
    expect(
        "two.log",
        4,
        "text after a complete message (which was read) is not a JSON object",
    );
    expect(
        "two.log",
        4,
        "task t2 already has a line at task_level /1; this one was left out",
    );
    expect("two.log", 5, "truncated: the last line has no newline");
    assert_eq!(reports.len(), 15, "{reports:#?}");
    assert!(matches!(
        bad.iter()
            .find(|m| m.location.line == 3 && &*m.location.source == "two.log")
            .unwrap()
            .problem,
        Problem::NotUtf8
    ));
    assert_eq!(
        bad[0].line, "this is not json",
        "the line itself is kept for the report"
    );

    // t1's lines were spread over both files, around the bad ones; t2 was
    // read from a glued line, and its line read again (with trailing text)
    // after it was complete is a duplicate, not a second task; t3's line
    // ended with CRLF.
    let summary: Vec<(&str, bool, usize)> = tasks
        .iter()
        .map(|t| (t.task_uuid(), t.is_complete(), t.len()))
        .collect();
    assert_eq!(summary, [("t1", true, 3), ("t2", true, 1), ("t3", true, 1)]);
}

#[test]
fn a_complete_last_line_without_newline_is_read() {
    let (tasks, bad) = read(&[("log", HELLO.as_bytes().to_vec())]);
    assert!(bad.is_empty());
    assert_eq!(tasks.len(), 1);
}

#[test]
fn a_line_whose_place_is_taken_by_another_kind_is_a_conflict() {
    let child_start = r#"{"action_status":"started","timestamp":1.0,"task_uuid":"t1","action_type":"app:child","task_level":[2,1]}"#;
    let log = [START, NOTE, child_start, END].join("\n");
    let (tasks, bad) = read(&[("log", log.into_bytes())]);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].location.line, 3);
    assert_eq!(
        bad[0].problem.to_string(),
        "task t1, task_level /2/1: a message holds the place of the action this line belongs to; this line was left out"
    );
    assert!(tasks[0].is_complete(), "the refused line changed nothing");
}

#[test]
fn a_missing_file_is_an_error_before_anything_is_read() {
    let error = LogReader::open(["/nonexistent/a.log"]).unwrap_err();
    assert_eq!(&*error.source, "/nonexistent/a.log");
    assert!(
        error
            .to_string()
            .starts_with("cannot read /nonexistent/a.log: ")
    );
}

fn job(level: &[u32], kind: &str) -> String {
    let level = format!("{level:?}").replace(' ', "");
    match kind {
        "start" => format!(
            r#"{{"action_status":"started","timestamp":1.0,"task_uuid":"t1","action_type":"app:job","task_level":{level}}}"#
        ),
        "end" => format!(
            r#"{{"action_status":"succeeded","timestamp":2.0,"task_uuid":"t1","action_type":"app:job","task_level":{level}}}"#
        ),
        _ => format!(
            r#"{{"timestamp":1.5,"task_uuid":"t1","task_level":{level},"message_type":"app:{kind}"}}"#
        ),
    }
}

/// Every order of `lines`, for a handful of lines.
fn permutations(lines: &[String]) -> Vec<Vec<String>> {
    if lines.len() <= 1 {
        return vec![lines.to_vec()];
    }
    let mut all = Vec::new();
    for (i, first) in lines.iter().enumerate() {
        let mut rest = lines.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first.clone());
            all.push(tail);
        }
    }
    all
}

#[test]
fn a_line_at_or_after_its_actions_end_is_refused_and_the_task_stays_incomplete() {
    // Each log misses a line (its action's end is placed before or at a
    // child), so no order of its lines may make the task complete: of the
    // lines that disagree, those read last are refused as conflicts.
    let logs = [
        // [3] is missing; [4] is claimed by a message and by the end.
        vec![
            job(&[1], "start"),
            job(&[2], "note"),
            job(&[4], "note"),
            job(&[4], "end"),
        ],
        // [2] is missing; the message at [5] is past the end at [3].
        vec![job(&[1], "start"), job(&[3], "end"), job(&[5], "note")],
        // [2] is missing; a child action past the end at [3].
        vec![
            job(&[1], "start"),
            job(&[3], "end"),
            job(&[4, 1], "start"),
            job(&[4, 2], "end"),
        ],
    ];
    for lines in &logs {
        for order in permutations(lines) {
            let (tasks, bad) = read(&[("log", order.join("\n").into_bytes())]);
            assert_eq!(tasks.len(), 1, "{order:#?}");
            assert!(
                !tasks[0].is_complete(),
                "complete with a line missing: {order:#?}"
            );
            assert!(!bad.is_empty(), "{order:#?}");
            assert_eq!(
                tasks[0].len() + bad.len(),
                lines.len(),
                "each line kept or refused"
            );
            for refused in &bad {
                let Problem::Conflict { reason, .. } = &refused.problem else {
                    panic!("not a conflict: {refused}");
                };
                assert!(
                    reason.contains("at or after") || reason.contains("at or before"),
                    "{reason}"
                );
            }
        }
    }

    // The same logs with the missing line are complete in every order.
    let complete = [
        vec![
            job(&[1], "start"),
            job(&[2], "note"),
            job(&[3], "note"),
            job(&[4], "end"),
        ],
        vec![
            job(&[1], "start"),
            job(&[2, 1], "start"),
            job(&[2, 2], "end"),
            job(&[3], "end"),
        ],
    ];
    for lines in &complete {
        for order in permutations(lines) {
            let (tasks, bad) = read(&[("log", order.join("\n").into_bytes())]);
            assert!(bad.is_empty(), "{bad:?}");
            assert_eq!(tasks.len(), 1);
            assert!(tasks[0].is_complete(), "{order:#?}");
        }
    }
}

#[test]
fn a_line_of_a_task_already_complete_is_a_duplicate_not_a_new_task() {
    let log = [START, NOTE, END, NOTE, END, START].join("\n");
    let (tasks, bad) = read(&[("log", log.into_bytes())]);
    assert_eq!(
        tasks.len(),
        1,
        "one task, not a second one from its repeated lines"
    );
    assert!(tasks[0].is_complete());
    assert_eq!(tasks[0].len(), 3);
    let reports = where_and_what(&bad);
    assert_eq!(
        reports,
        [
            (
                "log".to_owned(),
                4,
                "task t1 already has a line at task_level /2; this one was left out".to_owned()
            ),
            (
                "log".to_owned(),
                5,
                "task t1 already has a line at task_level /3; this one was left out".to_owned()
            ),
            (
                "log".to_owned(),
                6,
                "task t1 already has a line at task_level /1; this one was left out".to_owned()
            ),
        ]
    );
    // A one-message task too.
    let (tasks, bad) = read(&[("log", format!("{HELLO}\n{HELLO}\n").into_bytes())]);
    assert_eq!(tasks.len(), 1);
    assert!(
        matches!(bad[0].problem, Problem::Duplicate { .. }),
        "{bad:?}"
    );
}
