//! The report of the 200,000-line benchmark log (2,000 tasks) in headless
//! Chromium: its size, how soon the page is interactive, and how long
//! selecting a task takes to redraw, measured with the Performance API and
//! printed.
//!
//! The figures are printed, not held to the targets (interactive within
//! 2 s, a redraw within 200 ms): on a shared machine a timing is no
//! verdict. Only a page five times slower than the targets fails, which no
//! load explains. Run with `--nocapture` to see them.

mod browser;
#[path = "support/perf_log.rs"]
mod perf_log;

use std::path::Path;

use browser::{Browser, report};
use serde_json::{Value, json};

/// The 200,000-line log, written once and kept between runs.
fn perf_log() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-perf-log");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("perf.log");
    let lines = perf_log::TASKS * perf_log::LINES_PER_TASK;
    let whole = std::fs::read_to_string(&log).is_ok_and(|text| text.lines().count() == lines);
    if !whole {
        perf_log::generate(&log);
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), lines);
    }
    log
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_of_200000_lines_is_interactive_quickly_and_redraws_a_task_quickly() {
    let log = perf_log();
    let page = report("perf", &[&log], &[]);
    let (log_size, page_size) = (
        std::fs::metadata(&log).unwrap().len() as f64,
        std::fs::metadata(&page).unwrap().len() as f64,
    );
    let size_vs_log = page_size / log_size;
    assert!(
        size_vs_log <= 1.5,
        "the report is {size_vs_log:.2}x the log's size"
    );

    let browser = Browser::start(1400, 900).await;
    browser.open(&page).await;
    // The first frame drawn after the page's script has run: the page
    // answers from then on. Measured from the start of navigation.
    let loaded: Value = browser
        .js_async(
            r##"
            const done = arguments[arguments.length - 1];
            requestAnimationFrame(() => setTimeout(() => {
              const navigation = performance.getEntriesByType("navigation")[0];
              done({
                ready: performance.getEntriesByName("eliot:ready")[0].startTime,
                frame: performance.now(),
                dom_interactive: navigation.domInteractive,
                load_end: navigation.loadEventEnd,
              });
            }, 0));
            "##,
            vec![],
        )
        .await;
    let interactive = loaded["frame"].as_f64().unwrap();

    let entries = browser.list_entries().await;
    assert_eq!(entries.len(), perf_log::TASKS, "one entry per task");

    // Select tasks across the list: scroll to each, click it, and time the
    // click until the next frame is drawn.
    let mut redraws = Vec::new();
    for position in [1, 400, 800, 1200, 1600, 1999, 3, 1000] {
        let uuid = &entries[position];
        browser
            .js::<Value>(
                r##"
                const list = document.getElementById("task-list");
                list.scrollTop = arguments[0] * 30;
                list.dispatchEvent(new Event("scroll"));
                return null;
                "##,
                vec![json!(position)],
            )
            .await;
        let redraw = browser
            .time_to_next_frame(
                r##"[...document.querySelectorAll("#task-list [data-task-uuid]")]
                  .find((e) => e.getAttribute("data-task-uuid") === arguments[0])
                  .click();"##,
                vec![json!(uuid)],
            )
            .await;
        assert_eq!(&browser.shown_task().await, uuid);
        assert_eq!(
            browser.count("#rows .row").await,
            14,
            "the request and its 13 steps"
        );
        redraws.push(redraw);
    }
    let slowest = redraws.iter().copied().fold(0.0, f64::max);
    let typical = median(&mut redraws);

    // Filtering all 2,000 tasks, and searching their field values.
    let filter = browser
        .time_to_next_frame(
            r##"const select = document.getElementById("filter-status");
            select.value = "has-failure";
            select.dispatchEvent(new Event("change"));"##,
            vec![],
        )
        .await;
    let search = browser
        .time_to_next_frame(
            r##"const input = document.getElementById("filter-text");
            input.value = "users/1999/orders";
            input.dispatchEvent(new Event("input"));"##,
            vec![],
        )
        .await;
    let found = browser.count("#task-list [data-task-uuid]").await;
    assert_eq!(found, 1, "one task has that path, and a failed step");

    println!(
        "html report of {} lines: {:.1} MB, {size_vs_log:.2}x the log; in headless Chromium: \
         interactive at {interactive:.0} ms (script done at {:.0} ms, DOM interactive at {:.0} ms, \
         load event ended at {:.0} ms; target 2000 ms); selecting a task redraws in {typical:.1} ms \
         (median of {}), {slowest:.1} ms at most (target 200 ms); the status filter over every \
         task {filter:.1} ms; a search of every field value {search:.1} ms",
        perf_log::TASKS * perf_log::LINES_PER_TASK,
        page_size / 1e6,
        loaded["ready"].as_f64().unwrap(),
        loaded["dom_interactive"].as_f64().unwrap(),
        loaded["load_end"].as_f64().unwrap(),
        8,
    );
    println!(
        "html: time_to_interactive_ms={interactive:.0} redraw_ms={typical:.1} redraw_max_ms={slowest:.1}"
    );
    assert!(
        interactive < 10_000.0,
        "interactive only after {interactive:.0} ms"
    );
    assert!(slowest < 1_000.0, "a redraw took {slowest:.0} ms");
    browser.close().await;
}
