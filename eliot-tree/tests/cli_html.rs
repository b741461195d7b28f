//! `eliot-tree --html REPORT`: the report holds the tasks the other options
//! choose, as the text tree would show them, and says what it left out.
//! (What the page shows is tested in a browser: html_browser.rs.)

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use support::{eliot_tree, reference_log, scratch_file};

/// The data embedded in a report.
fn report_data(path: &Path) -> Value {
    let page = std::fs::read_to_string(path).unwrap();
    let start = page
        .find(r#"<script type="application/json" id="eliot-data">"#)
        .expect("the data element");
    let data = &page[start..];
    let data = &data[data.find('>').unwrap() + 1..data.find("</script>").unwrap()];
    serde_json::from_str(data).expect("the data is JSON")
}

fn report_uuids(path: &Path) -> BTreeSet<String> {
    report_data(path)["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task[0].as_str().unwrap().to_owned())
        .collect()
}

/// The tasks `eliot-tree --json` prints with the same options.
fn json_uuids(args: &[&str]) -> BTreeSet<String> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = eliot_tree(&all, None);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    run.stdout
        .lines()
        .map(|line| {
            let task: Value = serde_json::from_str(line).unwrap();
            task["task_uuid"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn the_report_holds_the_tasks_the_filters_choose() {
    let logs: Vec<String> = ["a-sync.log", "b-twisted.log", "c-asyncio.log"]
        .iter()
        .map(|name| reference_log(name).display().to_string())
        .collect();
    let some_task = json_uuids(&[&logs[0]]).into_iter().nth(1).unwrap();
    let filters: [&[&str]; 5] = [
        &[],
        &["--select", "action_status == 'failed'"],
        &["--task-uuid", &some_task],
        &["--start", "2026-11-26T08:52:31Z"],
        &["--end", "2026-11-26T08:52:31Z"],
    ];
    let mut sizes = Vec::new();
    for filter in filters {
        let report = scratch_file("report.html", "");
        let mut args = vec!["--html", report.to_str().unwrap()];
        args.extend_from_slice(filter);
        args.extend(logs.iter().map(String::as_str));
        let run = eliot_tree(&args, None);
        assert_eq!(run.status, Some(0), "{filter:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "the report goes to its file");
        let mut json_args = filter.to_vec();
        json_args.extend(logs.iter().map(String::as_str));
        let wanted = json_uuids(&json_args);
        assert_eq!(report_uuids(&report), wanted, "{filter:?}");
        sizes.push(wanted.len());
        let notes = report_data(&report)["notes"].to_string();
        if let Some(option) = filter.first() {
            assert!(
                notes.contains(option),
                "the report says it was filtered: {notes}"
            );
        }
    }
    let all = sizes[0];
    assert!(
        sizes[1..].iter().all(|&n| 0 < n && n < all),
        "each filter keeps some tasks, not all: {sizes:?}"
    );
}

#[test]
fn a_report_counts_the_lines_it_could_not_read() {
    let mut log = std::fs::read_to_string(reference_log("a-sync.log")).unwrap();
    log.push_str("not json\n{\"task_uuid\": 3}\n");
    let input = scratch_file("malformed.log", &log);
    let report = scratch_file("malformed.html", "");
    let run = eliot_tree(
        &["--html", report.to_str().unwrap(), input.to_str().unwrap()],
        None,
    );
    assert_eq!(run.status, Some(1), "malformed lines are reported");
    assert!(
        run.stderr.contains("malformed.log, line 29"),
        "{}",
        run.stderr
    );
    let data = report_data(&report);
    assert_eq!(data["malformed"], 2);
    assert_eq!(data["tasks"].as_array().unwrap().len(), 6);
}

#[test]
fn html_goes_with_neither_json_nor_follow_and_a_bad_path_is_an_error() {
    let log = reference_log("a-sync.log");
    let log = log.to_str().unwrap();
    for other in ["--json", "--follow"] {
        let run = eliot_tree(&["--html", "r.html", other, log], None);
        assert_eq!(run.status, Some(2), "{other}");
        assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    }
    let run = eliot_tree(&["--html", "/nonexistent/dir/r.html", log], None);
    assert_eq!(run.status, Some(2));
    assert!(
        run.stderr
            .contains("eliot-tree: cannot write /nonexistent/dir/r.html"),
        "{}",
        run.stderr
    );
}
