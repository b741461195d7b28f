//! `eliot-tree --html`, looked at in headless Chromium the way a person
//! looks at it: reports of the reference logs written by Python's Eliot and
//! of the workspace's examples' logs, checked against what the logs say
//! (computed here from their lines, without eliot-core's parser).
//!
//! Needs Debian's `chromium` and `chromium-driver`; the tests fail, saying
//! so, when they are missing.

mod browser;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use browser::model::{self, LogTask, level_text};
use browser::{Browser, Row, examples, report, report_from, scratch_dir};
use fantoccini::Locator;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use serde_json::{Value, json};
use support::reference_log;

const WIDTH: u32 = 1400;
const HEIGHT: u32 = 900;
/// The narrowest bar, in CSS pixels.
const MIN_BAR: f64 = 4.0;

fn reference_logs() -> Vec<PathBuf> {
    support::reference_logs()
        .iter()
        .map(|name| reference_log(&format!("{name}.log")))
        .collect()
}

/// The rows and ticks of the selected task are its actions and messages:
/// same count, order, nesting, types, levels and statuses; bars and ticks
/// sit where their times say.
fn assert_waterfall_matches(rows: &[Row], task: &LogTask, log: &Path) {
    let context = format!("{}: task {}", log.display(), task.uuid);
    let start = task.start();
    let span = (task.end() - start).max(1e-6);
    if task.is_lone_message() {
        assert_eq!(rows.len(), 1, "{context}: one row for a lone message");
        assert_eq!(rows[0].action_type, None, "{context}");
        let ticks: Vec<&str> = rows[0]
            .ticks
            .iter()
            .map(|t| t.message_type.as_str())
            .collect();
        assert_eq!(
            ticks,
            [task.lines[0].message_type.as_deref().unwrap()],
            "{context}"
        );
        return;
    }
    let expected = task.actions();
    let shown: Vec<(Option<&str>, Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.action_type.as_deref(),
                r.status.as_deref(),
                r.task_level.as_deref(),
            )
        })
        .collect();
    let levels: Vec<String> = expected.iter().map(|a| level_text(&a.level)).collect();
    let wanted: Vec<(Option<&str>, Option<&str>, Option<&str>)> = expected
        .iter()
        .zip(&levels)
        .map(|(a, level)| {
            (
                Some(a.action_type.as_deref().unwrap_or("")),
                Some(a.status.as_str()),
                Some(level.as_str()),
            )
        })
        .collect();
    assert_eq!(shown, wanted, "{context}: rows (type, status, level)");
    let indent = rows[0].name_left;
    for (row, action) in rows.iter().zip(&expected) {
        assert_eq!(row.depth, action.level.len(), "{context}: depth");
        // Indented by depth, the same step at every depth.
        let step = if action.level.is_empty() {
            0.0
        } else {
            (row.name_left - indent) / action.level.len() as f64
        };
        assert!(
            action.level.is_empty() || (step - 16.0).abs() < 0.5,
            "{context}: {} is indented by {} px at depth {}",
            row.label,
            row.name_left - indent,
            action.level.len()
        );
        let ticks: Vec<(&str, String)> = row
            .ticks
            .iter()
            .map(|t| (t.message_type.as_str(), t.task_level.clone()))
            .collect();
        let messages: Vec<(&str, String)> = action
            .messages
            .iter()
            .map(|(kind, level, _)| (kind.as_str(), level_text(level)))
            .collect();
        assert_eq!(ticks, messages, "{context}: ticks of {}", row.label);
        // Geometry: the track maps the task's span onto its width. The
        // page keeps times to a tenth of a microsecond; a bar is at least
        // 4 px wide, and ends on the axis.
        let px = |seconds: f64| seconds / span * row.track_width;
        let tolerance = 1.0 + px(2e-7);
        let (from, to) = action.bar;
        let (left, width) = (row.bar_left.unwrap(), row.bar_width.unwrap());
        let want_width = px(to - from).max(MIN_BAR);
        let want_left = px(from).min(row.track_width - MIN_BAR);
        assert!(
            (width - want_width).abs() <= tolerance,
            "{context}: the bar of {} is {width:.1} px wide, its duration says {want_width:.1} px",
            row.label
        );
        assert!(
            (left - row.track_left - want_left).abs() <= tolerance,
            "{context}: the bar of {} starts at {:.1} px, its start time says {want_left:.1} px",
            row.label,
            left - row.track_left,
        );
        for (tick, (_, _, time)) in row.ticks.iter().zip(&action.messages) {
            assert!(
                (tick.center - row.track_left - px(*time)).abs() <= 0.5 + tolerance,
                "{context}: tick {} at {:.1} px, its time says {:.1} px",
                tick.message_type,
                tick.center - row.track_left,
                px(*time)
            );
        }
    }
}

/// Opens the report of each log and checks the list and every task's waterfall.
async fn check_logs(browser: &Browser, logs: &[PathBuf]) {
    for log in logs {
        let tasks = model::tasks(&[log]);
        let name = log.file_stem().unwrap().to_string_lossy();
        let page = report(&format!("log-{name}"), &[log], &[]);
        browser.open(&page).await;
        let entries = browser.list_entries().await;
        assert_eq!(
            entries.len(),
            tasks.len(),
            "{}: one list entry per task",
            log.display()
        );
        let listed: BTreeSet<&String> = entries.iter().collect();
        assert!(
            listed.iter().copied().eq(tasks.keys()),
            "{}: the entries are the log's tasks",
            log.display()
        );
        // Oldest first, by default.
        let starts: Vec<f64> = entries.iter().map(|uuid| tasks[uuid].start()).collect();
        assert!(
            starts.is_sorted(),
            "{}: entries in order of start",
            log.display()
        );
        for uuid in &entries {
            browser.select_task(uuid).await;
            let rows = browser.rows().await;
            assert_waterfall_matches(&rows, &tasks[uuid], log);
        }
        assert_eq!(browser.alert_open().await, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_logs_list_every_task_and_draw_its_actions_and_messages() {
    let browser = Browser::start(WIDTH, HEIGHT).await;
    check_logs(&browser, &reference_logs()).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_logs_list_every_task_and_draw_its_actions_and_messages() {
    let logs: Vec<PathBuf> = examples::logs().iter().map(|(_, l)| l.clone()).collect();
    assert!(logs.len() >= 5, "the examples wrote {logs:?}");
    let browser = Browser::start(WIDTH, HEIGHT).await;
    check_logs(&browser, &logs).await;
    browser.close().await;
}

/// A log with tasks of each status: the reference logs, and a task whose
/// last lines are missing.
fn mixed_logs() -> Vec<PathBuf> {
    let dir = scratch_dir("mixed");
    let unfinished = dir.join("unfinished.log");
    std::fs::write(&unfinished, UNFINISHED).unwrap();
    let mut logs = reference_logs();
    logs.push(unfinished);
    logs.push(examples::log("quickstart").to_owned());
    logs
}

/// A task whose `app:hang` action never ended, with a placeholder action
/// (lines logged inside an action whose start and end are not in the
/// log, as when a task is continued in a process whose log is missing).
const UNFINISHED: &str = r#"{"action_status":"started","timestamp":1795683150.0,"task_uuid":"0c4f7a52-unfinished","action_type":"app:job","task_level":[1],"job":"nightly"}
{"action_status":"started","timestamp":1795683150.1,"task_uuid":"0c4f7a52-unfinished","action_type":"app:step","task_level":[2,1]}
{"timestamp":1795683150.2,"task_uuid":"0c4f7a52-unfinished","task_level":[2,2],"message_type":"app:step:tick","n":1}
{"action_status":"succeeded","timestamp":1795683150.3,"task_uuid":"0c4f7a52-unfinished","action_type":"app:step","task_level":[2,3]}
{"action_status":"started","timestamp":1795683150.35,"task_uuid":"0c4f7a52-unfinished","action_type":"app:hang","task_level":[3,1]}
{"timestamp":1795683150.6,"task_uuid":"0c4f7a52-unfinished","task_level":[3,2],"message_type":"app:hang:wait"}
{"timestamp":1795683150.8,"task_uuid":"0c4f7a52-unfinished","task_level":[4,3,2],"message_type":"app:remote:note","where":"another process"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_sorts_choose_the_tasks_the_log_says() {
    let logs = mixed_logs();
    let paths: Vec<&Path> = logs.iter().map(PathBuf::as_path).collect();
    let tasks = model::tasks(&paths);
    let page = report("mixed", &paths, &[]);
    let browser = Browser::start(WIDTH, HEIGHT).await;
    browser.open(&page).await;
    let all = browser.list_entries().await;
    assert_eq!(all.len(), tasks.len());

    let uuids = |keep: &dyn Fn(&LogTask) -> bool| -> BTreeSet<String> {
        tasks
            .values()
            .filter(|t| keep(t))
            .map(|t| t.uuid.clone())
            .collect()
    };
    for status in ["failed", "succeeded", "incomplete"] {
        browser.choose("filter-status", status).await;
        let shown: BTreeSet<String> = browser.list_entries().await.into_iter().collect();
        let wanted = uuids(&|t| t.status() == status);
        assert!(!wanted.is_empty(), "the logs have {status} tasks");
        assert_eq!(shown, wanted, "the {status} filter");
    }
    browser.choose("filter-status", "has-failure").await;
    let shown: BTreeSet<String> = browser.list_entries().await.into_iter().collect();
    let wanted = uuids(&|t| t.actions().iter().any(|a| a.status == "failed"));
    assert!(wanted.len() > uuids(&|t| t.status() == "failed").len());
    assert_eq!(shown, wanted, "the filter of tasks with a failed action");
    browser.choose("filter-status", "").await;

    // By type: an action type and a message type, chosen by their names.
    for kind in ["ref:db:query", "quickstart:db:row", "eliot:traceback"] {
        let select = browser
            .client
            .find(Locator::Id("filter-type"))
            .await
            .unwrap();
        select.select_by_label(kind).await.unwrap();
        let shown: BTreeSet<String> = browser.list_entries().await.into_iter().collect();
        let wanted = uuids(&|t| {
            t.lines.iter().any(|l| {
                l.action_type.as_deref() == Some(kind) || l.message_type.as_deref() == Some(kind)
            })
        });
        assert!(!wanted.is_empty(), "{kind} is in the logs");
        assert_eq!(shown, wanted, "the type filter on {kind}");
    }
    browser.choose("filter-type", "").await;

    // Free text over field values, whatever the case.
    browser.search("USERS/7").await;
    let shown: BTreeSet<String> = browser.list_entries().await.into_iter().collect();
    let wanted: BTreeSet<String> = paths
        .iter()
        .flat_map(|log| {
            std::fs::read_to_string(log)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|line| {
            let json: Value = serde_json::from_str(&line).unwrap();
            let object = json.as_object().unwrap();
            let hit = object
                .iter()
                .filter(|(key, _)| !eliot_core::parse::RESERVED_KEYS.contains(&key.as_str()))
                .any(|(_, value)| value.to_string().to_lowercase().contains("users/7"));
            hit.then(|| object["task_uuid"].as_str().unwrap().to_owned())
        })
        .collect();
    assert!(!wanted.is_empty());
    assert_eq!(shown, wanted, "the search for USERS/7");
    browser.search("").await;

    // Sorted by duration, longest first, then by start.
    browser.choose("sort", "-duration").await;
    let order = browser.list_entries().await;
    let durations: Vec<f64> = order
        .iter()
        .map(|uuid| tasks[uuid].end() - tasks[uuid].start())
        .collect();
    // The page rounds times to the microsecond.
    assert!(
        durations.windows(2).all(|w| w[0] >= w[1] - 1e-6),
        "longest first: {durations:?}"
    );
    browser.choose("sort", "-start").await;
    let order = browser.list_entries().await;
    let starts: Vec<f64> = order.iter().map(|uuid| tasks[uuid].start()).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(browser.alert_open().await, None);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_that_never_ended_runs_to_the_end_of_the_axis_and_says_so() {
    let dir = scratch_dir("unfinished");
    let log = dir.join("unfinished.log");
    std::fs::write(&log, UNFINISHED).unwrap();
    let tasks = model::tasks(&[&log]);
    let page = report("unfinished", &[&log], &[]);
    let browser = Browser::start(WIDTH, HEIGHT).await;
    browser.open(&page).await;
    browser.select_task("0c4f7a52-unfinished").await;
    let rows = browser.rows().await;
    assert_waterfall_matches(&rows, &tasks["0c4f7a52-unfinished"], &log);
    let statuses: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.action_type.as_deref().unwrap(),
                r.status.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("app:job", "started"),
            ("app:step", "succeeded"),
            ("app:hang", "started"),
            ("", "started"),
            ("", "started")
        ]
    );
    for row in rows
        .iter()
        .filter(|r| r.status.as_deref() == Some("started"))
    {
        let bar_end = row.bar_left.unwrap() + row.bar_width.unwrap();
        assert!(
            (bar_end - (row.track_left + row.track_width)).abs() <= 1.0,
            "{} runs to the end of the axis",
            row.label
        );
        assert!(
            row.label.contains("not finished"),
            "{} says so: {}",
            row.label,
            row.label
        );
    }
    let notes: Vec<String> = browser
        .js(
            "return [...document.querySelectorAll('#rows .row[data-status=started] .open-note')].map((n) => n.textContent);",
            vec![],
        )
        .await;
    assert_eq!(notes, ["no end in log ⇥"; 4], "each open bar is labelled");
    assert_eq!(
        browser
            .count("#rows .row[data-status=succeeded] .open-note")
            .await,
        0
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_continued_in_another_process_sit_in_the_same_waterfall() {
    let log = examples::log("two_services");
    let tasks = model::tasks(&[log]);
    // A request that went through both services, as the example's docs draw it.
    let task = tasks
        .values()
        .find(|t| {
            t.has_action("front:request")
                && t.has_action("back:request")
                && t.status() == "succeeded"
        })
        .expect("a request served by both processes");
    let page = report("two-services", &[log], &[]);
    let browser = Browser::start(WIDTH, HEIGHT).await;
    browser.open(&page).await;
    browser.select_task(&task.uuid).await;
    let rows = browser.rows().await;
    assert_waterfall_matches(&rows, task, log);
    let position = |kind: &str| {
        rows.iter()
            .position(|r| r.action_type.as_deref() == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} row: {rows:?}"))
    };
    let (front, call, back) = (
        position("front:request"),
        position("front:call_back"),
        position("back:request"),
    );
    assert!(front < call && call < back);
    assert!(
        rows[back].depth > rows[call].depth,
        "the back's work nests under the call"
    );
    // The back's process has its own writer, its own file: its lines were
    // merged into the same log, and are the same task.
    assert!(rows[back].label.contains("back:request"));
    let continued: usize = browser
        .js(
            "return [...document.querySelectorAll('#rows .row')].filter((r) => r.textContent.includes('continued')).length;",
            vec![],
        )
        .await;
    let remote = rows
        .iter()
        .filter(|r| r.action_type.as_deref() == Some("eliot:remote_task"))
        .count();
    assert_eq!(continued, remote, "each continued part is marked");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fields_panel_shows_what_the_row_under_the_pointer_or_selected_logged() {
    let log = examples::log("quickstart");
    let tasks = model::tasks(&[log]);
    let task = model::with_action(&tasks, "quickstart:request");
    let page = report("quickstart-fields", &[log], &[]);
    let browser = Browser::start(WIDTH, HEIGHT).await;
    browser.open(&page).await;
    browser.select_task(&task.uuid).await;
    let panel = || async {
        browser
            .js::<Value>(
                r##"
                const panel = document.getElementById("fields");
                const table = (heading) => {
                  const h = [...panel.querySelectorAll("h3")].find((h) => h.textContent.startsWith(heading));
                  const next = h && h.nextElementSibling;
                  if (!next || next.tagName !== "TABLE") return {};
                  return Object.fromEntries([...next.rows].map((r) => [r.cells[0] ? r.querySelector("th").textContent : "", r.querySelector("td").textContent]));
                };
                return {
                  title: panel.querySelector("h2").textContent,
                  start: table("Start fields"),
                  end: table("End fields"),
                  failure: [...panel.querySelectorAll("tr.failure th")].map((th) => th.textContent),
                  messages: [...panel.querySelectorAll(".msg .msg-head .name")].map((n) => n.textContent),
                };
                "##,
                vec![],
            )
            .await
    };
    let row = |kind: &str| {
        let kind = kind.to_owned();
        let browser = &browser;
        async move {
            browser
                .client
                .find(Locator::Css(&format!(
                    "#rows .row[data-action-type='{kind}']"
                )))
                .await
                .unwrap()
        }
    };
    // The first row is selected with the task.
    let shown = panel().await;
    assert_eq!(shown["title"], "✓quickstart:request");
    assert_eq!(shown["start"], json!({"method": "GET", "path": "/users/7"}));
    assert_eq!(shown["end"], json!({"status": "200"}));
    assert_eq!(
        shown["messages"],
        json!(["quickstart:request:received", "eliot:traceback"])
    );

    // Hovering a failed action shows its exception and reason.
    let failed = browser
        .client
        .find(Locator::Css("#rows .row[data-status='failed']"))
        .await
        .unwrap();
    hover(&browser, failed.clone()).await;
    let shown = panel().await;
    assert_eq!(shown["title"], "✗quickstart:parse_config");
    assert_eq!(shown["start"], json!({"text": "80a"}));
    assert_eq!(shown["failure"], json!(["exception", "reason"]));
    assert_eq!(shown["end"]["exception"], "core::num::error::ParseIntError");

    // Leaving the rows shows the selected row again; clicking selects.
    let list = browser.client.find(Locator::Id("task-list")).await.unwrap();
    hover(&browser, list).await;
    assert_eq!(panel().await["title"], "✓quickstart:request");
    row("quickstart:db:query").await.click().await.unwrap();
    let shown = panel().await;
    assert_eq!(shown["title"], "✓quickstart:db:query");
    assert_eq!(shown["messages"], json!(["quickstart:db:row"]));
    browser.close().await;
}

async fn hover(browser: &Browser, element: fantoccini::elements::Element) {
    let actions = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveToElement {
        element,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    browser.client.perform_actions(actions).await.unwrap();
}

/// Markup in every place a log puts text: the page shows it as those
/// characters, runs none of it, and adds no element for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_from_the_log_is_shown_as_text_and_never_runs() {
    const PAYLOADS: [&str; 6] = [
        r#"</script><img src=x onerror="window.__injected=1;alert(1)">"#,
        r#"<script>window.__injected=2;alert(2)</script>"#,
        r#"<svg onload="window.__injected=3;alert(3)"><b id="eliot-injected">bold</b></svg>"#,
        r#"'"><iframe srcdoc="<script>parent.__injected=4</script>"></iframe><!--"#,
        "line\u{2028}separator\u{2029}<!-- <script> &amp; &lt;",
        r#"{{script}}{{data}}<style>*{display:none}</style>"#,
    ];
    let dir = scratch_dir("hostile");
    // The file's name is the report's title.
    let log = dir.join(r#"<img src=x onerror="alert(9)">.log"#);
    let mut lines = String::new();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let uuid = format!("hostile-{i}");
        let line = |fields: Value| {
            let mut line = serde_json::to_string(&fields).unwrap();
            line.push('\n');
            line
        };
        lines += &line(json!({
            "action_status": "started", "timestamp": 1795683150.0 + i as f64,
            "task_uuid": uuid, "action_type": payload, "task_level": [1],
            *payload: payload, "nested": {"deep": [payload]},
        }));
        lines += &line(json!({
            "timestamp": 1795683150.5 + i as f64, "task_uuid": uuid, "task_level": [2],
            "message_type": payload, "value": payload,
        }));
        lines += &line(json!({
            "action_status": "failed", "timestamp": 1795683151.0 + i as f64,
            "task_uuid": uuid, "action_type": payload, "task_level": [3],
            "exception": payload, "reason": payload,
        }));
    }
    std::fs::write(&log, lines).unwrap();
    let page = report("hostile", &[&log], &["--select", "action_type != 'none'"]);

    // The data cannot end its element: the page has only its own two scripts.
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("</script").count(), 2);
    assert_eq!(html.matches("<script").count(), 2);
    assert!(!html.contains("<img") && !html.contains("<svg") && !html.contains("<iframe"));

    let browser = Browser::start(WIDTH, HEIGHT).await;
    browser.open(&page).await;
    let title: String = browser
        .js(
            "return document.getElementById('report-title').textContent;",
            vec![],
        )
        .await;
    assert_eq!(title, log.display().to_string());
    let entries = browser.list_entries().await;
    assert_eq!(entries.len(), PAYLOADS.len());
    for (i, payload) in PAYLOADS.iter().enumerate() {
        browser.select_task(&format!("hostile-{i}")).await;
        let entry_text: String = browser
            .js(
                "return document.querySelector(`[data-task-uuid='${arguments[0]}'] .task-type`).textContent;",
                vec![json!(format!("hostile-{i}"))],
            )
            .await;
        assert_eq!(entry_text, *payload, "the list shows the type as text");
        let rows = browser.rows().await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].action_type.as_deref(), Some(*payload));
        assert_eq!(rows[0].status.as_deref(), Some("failed"));
        assert_eq!(rows[0].ticks.len(), 1);
        assert_eq!(rows[0].ticks[0].message_type, *payload);
        // Click the tick: the panel shows the message, keys and values as text.
        browser
            .client
            .find(Locator::Css("#rows .tick"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let panel: Value = browser
            .js(
                r##"
                const panel = document.getElementById("fields");
                return {
                  title: panel.querySelector("h2 .name").textContent,
                  keys: [...panel.querySelectorAll("th")].map((th) => th.textContent),
                  values: [...panel.querySelectorAll("td")].map((td) => td.textContent),
                  message: panel.querySelector(".msg.highlight .name").textContent,
                };
                "##,
                vec![],
            )
            .await;
        assert_eq!(panel["title"], *payload);
        assert_eq!(panel["message"], *payload);
        assert!(panel["keys"].as_array().unwrap().contains(&json!(payload)));
        let values = panel["values"].as_array().unwrap();
        // The start field named by the payload, the exception, the reason
        // and the message's field.
        assert_eq!(
            values.iter().filter(|v| **v == json!(payload)).count(),
            4,
            "{payload:?} shown as text in {values:?}"
        );
        let nested = serde_json::to_string_pretty(&json!({"deep": [payload]})).unwrap();
        assert!(
            values.contains(&json!(nested)),
            "nested values are shown as JSON text: {values:?}"
        );
    }
    let damage: Value = browser
        .js(
            r##"return {
                injected: window.__injected === undefined ? null : window.__injected,
                marker: document.getElementById("eliot-injected") !== null,
                elements: document.querySelectorAll("img, svg, iframe, b, style:not(head style)").length,
                scripts: document.scripts.length,
                hidden: getComputedStyle(document.body).display,
            };"##,
            vec![],
        )
        .await;
    assert_eq!(
        damage,
        json!({"injected": null, "marker": false, "elements": 0, "scripts": 2, "hidden": "flex"})
    );
    assert_eq!(browser.alert_open().await, None, "no dialog opened");
    browser.close().await;
}

/// The README's picture: the quick start's request task, taken by the
/// same browser. `ELIOT_TREE_SCREENSHOT=<path>` also writes it there
/// (`docs/timeline.png` is made that way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshot_of_the_quickstart_waterfall() {
    let log = examples::log("quickstart");
    let tasks = model::tasks(&[log]);
    let task = model::with_action(&tasks, "quickstart:request");
    // Titled with the file's name, as when one runs `eliot-tree --html
    // quickstart.html quickstart.log` beside the log.
    let dir = log.parent().unwrap();
    let page = report_from(dir, "quickstart", &[Path::new("quickstart.log")], &[]);
    let browser = Browser::start(1280, 720).await;
    browser.open(&page).await;
    browser.select_task(&task.uuid).await;
    browser.search("").await;
    // Show a failure's fields, as one does when reading a report.
    browser
        .client
        .find(Locator::Css("#rows .row[data-status='failed']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let png = scratch_dir("screenshot").join("timeline.png");
    browser.screenshot(&png).await;
    let bytes = std::fs::read(&png).unwrap();
    let (width, height) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1280, 720));
    if let Some(target) = std::env::var_os("ELIOT_TREE_SCREENSHOT") {
        std::fs::copy(&png, target).unwrap();
    }
    eprintln!("screenshot: {}", png.display());
    browser.close().await;
}
