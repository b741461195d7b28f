//! The command's options, malformed input and exit status.

mod support;

use support::{assert_harmless, eliot_tree, reference_log, scratch_file, task_blocks};

/// A task with a nested action, a failure and a long multi-line field.
const LOG: &str = r#"{"method":"GET","action_status":"started","timestamp":1795683150.5,"task_uuid":"aaaaaaaa-0000-4000-8000-000000000001","action_type":"http:request","task_level":[1]}
{"status":500,"timestamp":1795683151.0,"task_uuid":"aaaaaaaa-0000-4000-8000-000000000001","task_level":[2],"message_type":"http:response"}
{"exception":"builtins.ValueError","reason":"boom","action_status":"failed","timestamp":1795683151.25,"task_uuid":"aaaaaaaa-0000-4000-8000-000000000001","action_type":"http:request","task_level":[3]}
{"method":"POST","action_status":"started","timestamp":1795690000.0,"task_uuid":"bbbbbbbb-0000-4000-8000-000000000002","action_type":"http:request","task_level":[1]}
{"status":200,"body":"line one\nline two","timestamp":1795690000.5,"task_uuid":"bbbbbbbb-0000-4000-8000-000000000002","task_level":[2],"message_type":"http:response"}
{"action_status":"succeeded","timestamp":1795690001.0,"task_uuid":"bbbbbbbb-0000-4000-8000-000000000002","action_type":"http:request","task_level":[3]}
"#;

const FIRST: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const SECOND: &str = "bbbbbbbb-0000-4000-8000-000000000002";

fn roots(output: &str) -> Vec<String> {
    task_blocks(output)
        .iter()
        .map(|block| block.lines().next().unwrap().to_owned())
        .collect()
}

#[test]
fn select_shows_whole_tasks_matching_a_jmespath_query() {
    // The query matches one line of the first task; the whole task is shown
    // (Python's eliot-tree would show only that line: eliottree issue 63).
    let run = eliot_tree(&["--select", "status == `500`"], Some(LOG));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(roots(&run.stdout), [FIRST]);
    assert!(run.stdout.contains("http:request/1 ⇒ started"));
    assert!(run.stdout.contains("http:request/3 ⇒ failed"));
    assert!(run.stdout.contains("method: GET"));

    // Several queries: each must be matched by some message of the task.
    let run = eliot_tree(
        &[
            "--select",
            "method == 'POST'",
            "--select",
            "status == `200`",
        ],
        Some(LOG),
    );
    assert_eq!(roots(&run.stdout), [SECOND]);
    let run = eliot_tree(
        &[
            "--select",
            "method == 'POST'",
            "--select",
            "status == `500`",
        ],
        Some(LOG),
    );
    assert_eq!(run.stdout, "");

    let run = eliot_tree(&["--select", "status =="], Some(LOG));
    assert_eq!(run.status, Some(2));
    assert!(
        run.stderr.contains("not a JMESPath query"),
        "{}",
        run.stderr
    );
}

#[test]
fn task_uuid_shows_one_task() {
    let run = eliot_tree(&["--task-uuid", SECOND], Some(LOG));
    assert_eq!(roots(&run.stdout), [SECOND]);
    let run = eliot_tree(&["-u", FIRST, "-u", SECOND], Some(LOG));
    assert_eq!(roots(&run.stdout), [FIRST, SECOND]);
}

#[test]
fn start_and_end_select_tasks_by_time() {
    // The first task runs 08:52:30.5 - 08:52:31.25, the second 10:46:40 - 10:46:41.
    let run = eliot_tree(&["--start", "2026-11-26T08:52:31"], Some(LOG));
    assert_eq!(
        roots(&run.stdout),
        [FIRST, SECOND],
        "a task still running at --start is shown"
    );
    let run = eliot_tree(&["--start", "2026-11-26 09:00Z"], Some(LOG));
    assert_eq!(roots(&run.stdout), [SECOND]);
    let run = eliot_tree(&["--end", "2026-11-26T11:46:40+01:00"], Some(LOG));
    assert_eq!(
        roots(&run.stdout),
        [FIRST],
        "--end excludes tasks that began at it"
    );
    let run = eliot_tree(
        &["--start", "1795683151.25", "--end", "1795683151.3"],
        Some(LOG),
    );
    assert_eq!(roots(&run.stdout), [FIRST]);
    let run = eliot_tree(&["--start", "tomorrow"], Some(LOG));
    assert_eq!(run.status, Some(2));
    assert!(run.stderr.contains("is not a time"), "{}", run.stderr);
}

#[test]
fn ignore_task_key_hides_fields() {
    let run = eliot_tree(&["-i", "method", "--ignore-task-key", "status"], Some(LOG));
    assert!(!run.stdout.contains("method:"));
    assert!(!run.stdout.contains("status:"));
    assert!(run.stdout.contains("reason: boom"));
    assert!(
        !run.stdout.contains("action_type:"),
        "Eliot's keys stay hidden"
    );
}

#[test]
fn field_limit_cuts_values_and_zero_shows_them_whole() {
    let run = eliot_tree(&["-u", SECOND], Some(LOG));
    assert!(
        run.stdout.contains("    │   ├── body: line one…\n"),
        "{}",
        run.stdout
    );
    let run = eliot_tree(&["-u", SECOND, "--field-limit", "4"], Some(LOG));
    assert!(run.stdout.contains("── body: line…\n"), "{}", run.stdout);
    assert!(run.stdout.contains("── method: POST\n"));
    // Whole values: the second line continues under the tree's lines.
    let run = eliot_tree(&["-u", SECOND, "-l", "0"], Some(LOG));
    assert!(
        run.stdout
            .contains("    │   ├── body: line one⏎\n    │   │   line two\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_prints_one_tree_per_line() {
    let run = eliot_tree(&["--json"], Some(LOG));
    assert_eq!(run.status, Some(0));
    let tasks: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(tasks.len(), 2);
    let first = &tasks[0];
    assert_eq!(first["task_uuid"], FIRST);
    assert_eq!(first["complete"], true);
    let root = &first["root"];
    assert_eq!(root["node"], "action");
    assert_eq!(root["action_type"], "http:request");
    assert_eq!(root["status"], "failed");
    assert_eq!(root["duration"], 0.75);
    assert_eq!(root["start"]["method"], "GET");
    assert_eq!(root["end"]["reason"], "boom");
    assert_eq!(root["children"][0]["node"], "message");
    assert_eq!(root["children"][0]["message"]["status"], 500);
    assert_eq!(root["children"][0]["task_level"], serde_json::json!([2]));
}

#[test]
fn raw_shows_seconds() {
    let run = eliot_tree(&["--raw", "-u", FIRST], Some(LOG));
    assert!(
        run.stdout
            .contains("http:request/1 ⇒ started 1795683150.5 ⧖ 0.75\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn ascii_draws_without_box_characters() {
    let run = eliot_tree(&["--ascii", "-u", FIRST], Some(LOG));
    let expected = format!(
        "{FIRST}\n+-- http:request/1 => started 2026-11-26 08:52:30Z |Y| 0.750s\n    |-- method: GET\n    \
         |-- http:response/2 2026-11-26 08:52:31Z\n    |   +-- status: 500\n    \
         +-- http:request/3 => failed 2026-11-26 08:52:31Z\n        |-- exception: builtins.ValueError\n        \
         +-- reason: boom\n\n"
    );
    assert_eq!(run.stdout, expected);
}

#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    // Not a terminal: no escape sequences.
    let run = eliot_tree(&[], Some(LOG));
    assert!(!run.stdout.contains('\x1b'));
    let run = eliot_tree(&["--color", "always"], Some(LOG));
    assert!(
        run.stdout.contains("\x1b[35mhttp:request\x1b[0m/1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\x1b[31mstarted\x1b[0m"),
        "the failed action's status is red"
    );
    assert!(run.stdout.contains("\x1b[32msucceeded\x1b[0m"));
    // Under a failed action the tree's lines are red too.
    assert!(
        run.stdout
            .contains("    \x1b[31m└── \x1b[0m\x1b[35mhttp:request\x1b[0m/3"),
        "{}",
        run.stdout
    );
    let run = eliot_tree(&["--color", "always", "--no-color-tree"], Some(LOG));
    assert!(
        run.stdout.contains("    └── \x1b[35mhttp:request\x1b[0m/3"),
        "{}",
        run.stdout
    );
}

#[test]
fn terminal_escape_sequences_in_fields_are_neutralised() {
    // eliottree issue 44: a field could drive the terminal.
    let log = "{\"evil\":\"\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\",\"\\u001b[31mkey\":1,\"timestamp\":1.0,\
               \"task_uuid\":\"t\\u001b[1m\",\"task_level\":[1],\"message_type\":\"x\\u001b[5m\"}\n";
    let run = eliot_tree(&["--color", "never"], Some(log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_harmless(&run.stdout);
    assert!(
        run.stdout.contains("evil: ␛]0;pwned␇␛[2J\\u{9b}31m"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("␛[31mkey: 1"));
    assert!(run.stdout.starts_with("t␛[1m\n└── x␛[5m/1 "));
}

#[test]
fn malformed_lines_are_reported_with_line_numbers_and_reading_goes_on() {
    let good = std::fs::read_to_string(reference_log("b-twisted.log")).unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    // Line 3: not JSON; line 5: two messages glued; line 8: no task_level;
    // the last line: cut short, with no newline.
    lines.insert(2, "this is not json".to_owned());
    let glued = format!("{}{}", lines[4], lines[5]);
    lines[4] = glued;
    lines.remove(5);
    lines.insert(
        7,
        r#"{"timestamp":1.0,"task_uuid":"x","message_type":"m"}"#.to_owned(),
    );
    let mut log = lines.join("\n");
    log.push_str("\n{\"timestamp\":1.0,\"task_uu");
    let path = scratch_file("malformed.log", &log);
    let run = eliot_tree(&["--color", "never", path.to_str().unwrap()], None);
    assert_eq!(run.status, Some(1), "malformed lines give exit status 1");
    let name = path.display().to_string();
    let reports: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("eliot-tree:"))
        .collect();
    assert_eq!(reports.len(), 4, "{}", run.stderr);
    assert!(reports[0].starts_with(&format!("eliot-tree: {name}, line 3: not a JSON object")));
    assert!(reports[1].starts_with(&format!(
        "eliot-tree: {name}, line 5: 2 messages on one line"
    )));
    assert!(reports[2].starts_with(&format!(
        "eliot-tree: {name}, line 8: not an Eliot message: no task_level"
    )));
    assert!(
        reports[3].contains(", line 19: truncated"),
        "{}",
        reports[3]
    );
    // Every task is still drawn whole: the glued lines were both read.
    let expected = std::fs::read_to_string(reference_log("b-twisted.tree.txt")).unwrap();
    assert_eq!(run.stdout, expected);
}

#[test]
fn incomplete_tasks_come_last_with_placeholders_for_missing_actions() {
    // A task continued from another process: its root action is elsewhere.
    let log = r#"{"action_status":"started","timestamp":1.0,"task_uuid":"remote","action_type":"eliot:remote_task","task_level":[3,1]}
{"action_status":"succeeded","timestamp":2.0,"task_uuid":"remote","action_type":"eliot:remote_task","task_level":[3,2]}
{"timestamp":3.0,"task_uuid":"other","task_level":[1],"message_type":"app:hello"}
"#;
    let run = eliot_tree(&[], Some(log));
    assert_eq!(run.status, Some(0));
    assert_eq!(
        run.stdout,
        "other\n└── app:hello/1 1970-01-01 00:00:03Z\n\n\
         remote\n└── <action not in log>/\n    └── eliot:remote_task/3/1 ⇒ started 1970-01-01 00:00:01Z ⧖ 1.000s\n        \
         └── eliot:remote_task/3/2 ⇒ succeeded 1970-01-01 00:00:02Z\n\n"
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let run = eliot_tree(&["/nonexistent/eliot.log"], None);
    assert_eq!(run.status, Some(2));
    assert!(
        run.stderr.contains("cannot read /nonexistent/eliot.log"),
        "{}",
        run.stderr
    );
}

#[test]
fn stats_report_lines_tasks_and_memory() {
    let run = eliot_tree(&["--stats"], Some(LOG));
    let stats = run.stderr.lines().last().unwrap();
    assert!(
        stats.starts_with("eliot-tree: lines=6 tasks=2 incomplete=0 shown=2 malformed=0 "),
        "{stats}"
    );
    assert!(stats.contains("peak_rss_mb="));
}

#[test]
fn follow_on_standard_input_says_it_reads_it_once() {
    let run = eliot_tree(&["--follow", "--color", "never"], Some(LOG));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(roots(&run.stdout), [FIRST, SECOND]);
    assert_eq!(
        run.stderr,
        "eliot-tree: --follow follows files, not standard input: reading everything once\n"
    );
}
