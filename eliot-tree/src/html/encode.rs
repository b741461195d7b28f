//! The report's data: every task of the log in a compact JSON form that the
//! page's script reads.
//!
//! A log repeats itself: the same keys, types and often the same values on
//! every line, and long absolute timestamps. Here each distinct value
//! (keys and types included) is written once, in a table, and referred to
//! by its index; times are microseconds from the start of their task, to
//! a tenth (a timestamp near today's holds about a quarter of a microsecond
//! of precision). The form, read by `page.js`:
//!
//! ```text
//! {"values": [VALUE...], "tasks": [TASK...]}
//! TASK    = [uuid, start (seconds since the epoch), complete (0|1), lines, NODE]
//! NODE    = [0, slot, type, status, start_us|null, end_us|null, FIELDS, FIELDS, [NODE...]]  an action
//!         | [1, slot, type, time_us, FIELDS]                                               a message
//! FIELDS  = [key, value, key, value...]   indexes into "values", sorted by key
//! ```
//!
//! `slot` is the last number of the node's `task_level` (0 for a root
//! action), `type` indexes the action or message type (-1 when the log
//! does not say it), `status` is 0 for an action that did not end in the
//! log, 1 succeeded, 2 failed. An action's two FIELDS are those of its
//! start and of its end message.
//!
//! Values are written as they were logged (their JSON text), so numbers
//! keep every digit. The text is made safe to sit inside a `<script>`
//! element: see [`push_script_safe`].

use std::collections::HashMap;
use std::fmt::Write;

use eliot_parse::{ActionStatus, Node, Task, WrittenAction, WrittenMessage};

use crate::fields::{HiddenKeys, message_fields};
use crate::json_text::Check;

/// Builds the data of a report, one task at a time.
pub(crate) struct Encoder {
    hidden: HiddenKeys,
    /// The distinct values, as JSON texts separated by commas.
    values: String,
    value_count: u32,
    /// The index of each value, by its JSON text.
    by_text: HashMap<Box<str>, u32>,
    /// The index of each key and type, by the name itself.
    by_name: HashMap<Box<str>, u32>,
    /// The encoded tasks, separated by commas.
    tasks: String,
    task_count: usize,
    /// The task being encoded, before it is made script-safe.
    scratch: String,
}

impl Encoder {
    pub(crate) fn new(hidden: HiddenKeys) -> Self {
        Encoder {
            hidden,
            values: String::new(),
            value_count: 0,
            by_text: HashMap::new(),
            by_name: HashMap::new(),
            tasks: String::new(),
            task_count: 0,
            scratch: String::new(),
        }
    }

    pub(crate) fn task_count(&self) -> usize {
        self.task_count
    }

    pub(crate) fn add(&mut self, task: &Task) {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let start = task.start_time();
        out.push('[');
        push_json_string(&mut out, task.task_uuid());
        let _ = write!(
            out,
            ",{},{},{},",
            json_number(start),
            u8::from(task.is_complete()),
            task.len()
        );
        self.node(&mut out, task.root(), start);
        out.push(']');
        if self.task_count > 0 {
            self.tasks.push(',');
        }
        push_script_safe(&mut self.tasks, &out);
        self.task_count += 1;
        self.scratch = out;
    }

    /// The data as one JSON object, safe inside a `<script>` element.
    pub(crate) fn finish_into(&self, out: &mut String, header: &str) {
        out.push('{');
        push_script_safe(out, header);
        out.push_str("\"values\":[");
        out.push_str(&self.values);
        out.push_str("],\"tasks\":[");
        out.push_str(&self.tasks);
        out.push_str("]}");
    }

    fn node(&mut self, out: &mut String, node: &Node, task_start: f64) {
        match node {
            Node::Action(action) => self.action(out, action, task_start),
            Node::Message(message) => {
                let slot = message.task_level().last().unwrap_or(0);
                let kind = self.name(message.message_type());
                let _ = write!(out, "[1,{slot},{kind},");
                push_micros(out, message.timestamp(), task_start);
                out.push(',');
                self.fields(out, Some(message));
                out.push(']');
            }
        }
    }

    fn action(&mut self, out: &mut String, action: &WrittenAction, task_start: f64) {
        let slot = action.task_level().last().unwrap_or(0);
        let kind = self.name(action.action_type());
        // Only an end message says how the action went: an action whose
        // end is not in the log never ended, as far as anyone can tell.
        let status = match action.end_message().and_then(WrittenMessage::action_status) {
            Some(ActionStatus::Succeeded) => 1,
            Some(ActionStatus::Failed) => 2,
            Some(ActionStatus::Started) | None => 0,
        };
        let _ = write!(out, "[0,{slot},{kind},{status},");
        for time in [action.start_time(), action.end_time()] {
            match time {
                Some(time) => push_micros(out, time, task_start),
                None => out.push_str("null"),
            }
            out.push(',');
        }
        self.fields(out, action.start_message());
        out.push(',');
        self.fields(out, action.end_message());
        out.push_str(",[");
        for (i, child) in action.children().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.node(out, child, task_start);
        }
        out.push_str("]]");
    }

    fn fields(&mut self, out: &mut String, message: Option<&WrittenMessage>) {
        out.push('[');
        if let Some(message) = message {
            for (i, (key, value)) in message_fields(message, &self.hidden, Check::Syntax)
                .iter()
                .enumerate()
            {
                let key = self.name(Some(key));
                let value = self.value(value);
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{key},{value}");
            }
        }
        out.push(']');
    }

    /// The index of a key or type, -1 for none.
    fn name(&mut self, name: Option<&str>) -> i64 {
        let Some(name) = name else { return -1 };
        if let Some(&index) = self.by_name.get(name) {
            return index.into();
        }
        let mut json = String::with_capacity(name.len() + 2);
        push_json_string(&mut json, name);
        let index = self.value(&json);
        self.by_name.insert(name.into(), index);
        index.into()
    }

    /// The index of a value, given as JSON text.
    fn value(&mut self, json: &str) -> u32 {
        if let Some(&index) = self.by_text.get(json) {
            return index;
        }
        let index = self.value_count;
        if index > 0 {
            self.values.push(',');
        }
        push_script_safe(&mut self.values, json);
        self.value_count += 1;
        self.by_text.insert(json.into(), index);
        index
    }
}

/// Writes the microseconds from `start` to `time`, to a tenth: `1250` or
/// `1250.4`.
fn push_micros(out: &mut String, time: f64, start: f64) {
    let tenths = ((time - start) * 1e7).round() as i64;
    let _ = write!(out, "{}", tenths / 10);
    if tenths % 10 != 0 {
        let _ = write!(out, ".{}", (tenths % 10).abs());
    }
}

/// A finite number as JSON (timestamps are read from JSON, so they are
/// finite; `null` otherwise).
fn json_number(n: f64) -> String {
    if n.is_finite() {
        format!("{n}")
    } else {
        "null".to_owned()
    }
}

pub(crate) fn push_json_string(out: &mut String, text: &str) {
    // Writing to a String cannot fail, nor can serializing a str.
    let json = serde_json::to_string(text).unwrap_or_default();
    out.push_str(&json);
}

/// Appends JSON text so that it can sit inside a `<script>` element: `<`,
/// `>` and `&` become `\u003c`, `\u003e` and `\u0026`, so no `</script>`
/// or `<!--` can end or change the element, and U+2028 and U+2029 become
/// escapes too. In JSON these characters can only occur inside strings,
/// where the escapes mean the same characters.
pub(crate) fn push_script_safe(out: &mut String, json: &str) {
    let mut rest = json;
    while let Some(at) = rest.find(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        let _ = write!(out, "\\u{:04x}", u32::from(c));
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use eliot_parse::parse_log;

    #[test]
    fn markup_and_line_separators_are_escaped_and_mean_the_same() {
        let mut out = String::new();
        let text = "</script><!-- & \u{2028}\u{2029} ok";
        push_script_safe(&mut out, &serde_json::to_string(text).unwrap());
        assert!(
            !out.contains(['<', '>', '&', '\u{2028}', '\u{2029}']),
            "{out}"
        );
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text);
    }

    #[test]
    fn times_are_microseconds_from_the_task_start_to_a_tenth() {
        let micros = |time: f64| {
            let mut out = String::new();
            push_micros(&mut out, time, 100.25);
            out
        };
        assert_eq!(micros(100.25), "0");
        assert_eq!(micros(100.75), "500000");
        assert_eq!(micros(100.2500123), "12.3");
        assert_eq!(micros(102.0000004), "1750000.4");
    }

    #[test]
    fn values_keys_and_types_are_written_once() {
        let log = r#"{"action_status":"started","timestamp":10.0,"task_uuid":"t","action_type":"app:go","task_level":[1],"note":"same"}
{"note":"same","n":1.50,"timestamp":10.25,"task_uuid":"t","task_level":[2],"message_type":"app:go"}
{"action_status":"succeeded","timestamp":10.5,"task_uuid":"t","action_type":"app:go","task_level":[3]}
"#;
        let task = &parse_log(log).tasks[0];
        let mut encoder = Encoder::new(
            eliot_parse::RESERVED_KEYS
                .iter()
                .map(|k| (*k).to_owned())
                .collect(),
        );
        encoder.add(task);
        let mut out = String::new();
        encoder.finish_into(&mut out, "");
        let data: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            data["values"],
            serde_json::json!(["app:go", "note", "same", "n", 1.50])
        );
        assert!(out.contains("1.50"), "values are kept as logged: {out}");
        assert_eq!(
            data["tasks"],
            serde_json::json!([[
                "t",
                10,
                1,
                3,
                [
                    0,
                    0,
                    0,
                    1,
                    0,
                    500_000,
                    [1, 2],
                    [],
                    [[1, 2, 0, 250_000, [3, 4, 1, 2]]]
                ]
            ]])
        );
    }
}
