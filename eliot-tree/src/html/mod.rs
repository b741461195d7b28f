//! A task timeline in the browser: `eliot-tree --html REPORT.html`.
//!
//! [`HtmlReport`] turns parsed tasks into one self-contained HTML file: the
//! data, the styles and the script are all inside it, so it opens from
//! `file://` with no server and no network, and can be attached to a bug
//! report.
//!
//! The page shows:
//!
//! - the list of tasks: the root action's type, the task's status
//!   (succeeded, failed, incomplete), its start time, duration and number
//!   of messages; filters by status, by action or message type and by text
//!   in field values; sorting by start time or by duration. Only the rows
//!   in view are drawn, so a list of many thousands of tasks scrolls
//!   smoothly.
//! - the waterfall of the selected task, as Jaeger draws a trace: a time
//!   axis from the task's first to its last message, one row per action
//!   indented by depth, with a bar from its start to its end marked by
//!   status in colour, icon and pattern; an action whose end is not in the
//!   log runs to the end of the axis and says so; messages are ticks on
//!   their action's row. Actions continued in another process
//!   (`continue_task`) sit in the same waterfall when both processes' logs
//!   are read together.
//! - the fields of the row under the pointer, or of the selected one: start
//!   fields, end fields (with the exception and reason of a failure) and
//!   the messages logged in the action with their fields.
//!
//! Every value from the log is shown as text, never interpreted as markup:
//! the data sits in a `<script type="application/json">` element with `<`,
//! `>` and `&` escaped, the page builds its elements with `textContent`, and
//! a Content Security Policy lets only the page's own script run.
//!
//! Elements carry stable attributes for automation: each task list entry
//! `data-task-uuid`; each waterfall row `data-action-type`, `data-status`
//! (`started` for an action that never ended, `succeeded`, `failed`) and
//! `data-task-level`; each message tick `data-message-type` and
//! `data-task-level`.
//!
//! ```
//! use eliot_parse::parse_log;
//! use eliot_tree::html::HtmlReport;
//!
//! let log = r#"{"action_status":"started","timestamp":1795683150.0,"task_uuid":"t1","action_type":"app:request","task_level":[1]}
//! {"action_status":"failed","exception":"builtins.ValueError","reason":"<b>bad</b>","timestamp":1795683150.25,"task_uuid":"t1","action_type":"app:request","task_level":[2]}
//! "#;
//! let mut report = HtmlReport::new().title("app.log");
//! for task in &parse_log(log).tasks {
//!     report.add_task(task);
//! }
//! let mut page = Vec::new();
//! report.write_to(&mut page).unwrap();
//! let page = String::from_utf8(page).unwrap();
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains(r#"\u003cb\u003ebad\u003c/b\u003e"#));
//! assert!(!page.contains("<b>bad"));
//! ```

mod encode;

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};

use eliot_parse::Task;

use encode::{Encoder, push_json_string};

use crate::fields::hidden_keys;

const TEMPLATE: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// An HTML report of tasks, built one task at a time.
pub struct HtmlReport {
    encoder: Encoder,
    title: String,
    notes: Vec<String>,
    malformed: u64,
}

impl Default for HtmlReport {
    fn default() -> Self {
        HtmlReport::new()
    }
}

impl HtmlReport {
    /// An empty report.
    pub fn new() -> Self {
        HtmlReport::hiding(&[])
    }

    /// An empty report whose fields panel leaves out these keys (Eliot's
    /// own keys are always left out of the fields: each row shows them).
    pub fn hiding(ignored_keys: &[String]) -> Self {
        HtmlReport {
            encoder: Encoder::new(hidden_keys(ignored_keys)),
            title: String::new(),
            notes: Vec::new(),
            malformed: 0,
        }
    }

    /// Names what the report shows (the log files, say), in the page's
    /// title and heading.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Adds a line to the report's description, such as the filter that
    /// chose its tasks.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Adds a task.
    pub fn add_task(&mut self, task: &Task) {
        self.encoder.add(task);
    }

    /// Counts a line of the log that could not be read, so that the report
    /// says that something is missing from it.
    pub fn add_malformed_line(&mut self) {
        self.malformed += 1;
    }

    /// How many tasks were added.
    pub fn task_count(&self) -> usize {
        self.encoder.task_count()
    }

    /// Writes the page.
    pub fn write_to(&self, mut out: impl Write) -> io::Result<()> {
        let mut header = String::from("\"format\":1,\"generator\":");
        push_json_string(
            &mut header,
            concat!("eliot-tree ", env!("CARGO_PKG_VERSION")),
        );
        header.push_str(",\"title\":");
        push_json_string(&mut header, &self.title);
        header.push_str(",\"notes\":");
        header.push_str(&serde_json::to_string(&self.notes).unwrap_or_else(|_| "[]".into()));
        header.push_str(&format!(",\"malformed\":{},", self.malformed));
        let mut data = String::new();
        self.encoder.finish_into(&mut data, &header);

        let nonce = nonce();
        let mut pieces = TEMPLATE.split("{{");
        out.write_all(pieces.next().unwrap_or_default().as_bytes())?;
        for piece in pieces {
            let (slot, text) = piece.split_once("}}").unwrap_or((piece, ""));
            let filled: &str = match slot {
                "nonce" => &nonce,
                "style" => STYLE,
                "script" => SCRIPT,
                "data" => &data,
                _ => "",
            };
            out.write_all(filled.as_bytes())?;
            out.write_all(text.as_bytes())?;
        }
        out.flush()
    }
}

/// A fresh value for the page's Content Security Policy: only the script
/// element that carries it may run, so that even markup that got into the
/// page could not run a script of its own.
fn nonce() -> String {
    let random = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    format!("{:016x}{:016x}", random(), random())
}

impl fmt::Debug for HtmlReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HtmlReport")
            .field("title", &self.title)
            .field("tasks", &self.task_count())
            .field("malformed", &self.malformed)
            .finish_non_exhaustive()
    }
}
