//! Eliot messages for a person, one by one: the `eliot-prettyprint` command,
//! a port of Python Eliot's (1.18), whose output it reproduces byte for byte.
//!
//! Each line of the log is shown on its own, as soon as it is read, without
//! waiting for its task to complete (`eliot-tree` draws whole tasks): in the
//! pretty layout as a header (task UUID, task level, time) and one field per
//! line, values as Python's `pprint` writes them; in the compact layout as
//! one line, values as JSON.
//!
//! ```
//! use eliot_tree::prettyprint::{Layout, PrettyPrinter};
//!
//! let line = br#"{"x":1,"timestamp":1795683150.5,"task_uuid":"c0e8","task_level":[2],"message_type":"app:note"}"#;
//! let mut out = String::new();
//! PrettyPrinter::new(Layout::Pretty).format_line(line, &mut out);
//! assert_eq!(
//!     out,
//!     "c0e8 -> /2\n2026-11-26T08:52:30.500000Z\n  message_type: 'app:note'\n  x: 1\n\n"
//! );
//! out.clear();
//! PrettyPrinter::new(Layout::Compact).format_line(line, &mut out);
//! assert_eq!(out, "c0e8/2 2026-11-26T08:52:30.500000Z message_type=\"app:note\" x=1\n");
//! ```
//!
//! A line that is not JSON is shown as `Not JSON: b'...'`, and one that is
//! JSON but lacks `timestamp`, `task_uuid` or `task_level` as
//! `Not an Eliot message: b'...'`, as Python shows them. Where Python's
//! command stops with an exception, this one goes on:
//!
//! - a line that is JSON but not an object, or whose timestamp is not a date
//!   in the years 1 to 9999 (a string, NaN, too large), or whose
//!   `task_level` is a number, `true`, `false` or `null`, is shown as
//!   `Not an Eliot message: b'...'`;
//! - arrays and objects nested deeper than 1000 are shown as `Not JSON`
//!   (Python fails near that depth, and `pprint` much earlier);
//! - a lone surrogate in a key, a string `task_uuid` or a `task_level` item,
//!   which Python cannot write as UTF-8, is written as the escape `\udxxx`.

mod json;
mod message;
mod pprint;
mod printable;
mod pystr;
mod value;

use crate::clock::Clock;
use value::Value;

/// How messages are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A header line with the task UUID and level, one with the time, then
    /// each field on its own line (`pretty_format`), and a blank line.
    Pretty,
    /// One line per message, values as JSON (`compact_format`, `-c`).
    Compact,
}

/// Formats log lines as Python's `eliot-prettyprint` does.
#[derive(Clone, Debug)]
pub struct PrettyPrinter {
    layout: Layout,
    clock: Clock,
}

impl PrettyPrinter {
    /// A printer with times in UTC.
    pub fn new(layout: Layout) -> Self {
        PrettyPrinter {
            layout,
            clock: Clock::utc(),
        }
    }

    /// Shows times in the local time zone (`TZ`, else the system's), without
    /// a zone suffix, as `eliot-prettyprint --local-timezone` does; or in
    /// UTC, with a `Z`, when `local` is false.
    pub fn local_timezone(mut self, local: bool) -> Self {
        self.clock = Clock::new(local);
        self
    }

    /// Appends what the command prints for one line of the log (its newline
    /// included or not): the message, or a note saying why it is not one.
    pub fn format_line(&self, line: &[u8], out: &mut String) {
        // The newline is part of what Python decodes (it can make the
        // length odd for UTF-16), not of what it shows.
        let parsed = json::parse_line(line);
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let Ok(value) = parsed else {
            return note(out, "Not JSON: ", line);
        };
        let Value::Dict(message) = value else {
            return note(out, "Not an Eliot message: ", line);
        };
        let is_eliot = message::REQUIRED
            .iter()
            .all(|name| message.iter().any(|(key, _)| **key == *name.as_bytes()));
        if !is_eliot {
            return note(out, "Not an Eliot message: ", line);
        }
        let shown = match self.layout {
            Layout::Pretty => message::pretty_into(out, &message, &self.clock),
            Layout::Compact => message::compact_into(out, &message, &self.clock),
        };
        if shown.is_err() {
            note(out, "Not an Eliot message: ", line);
        }
    }
}

/// Appends Python's note on a line it does not show: `b'...'` is the
/// line's bytes as Python writes them, a blank line after.
fn note(out: &mut String, what: &str, line: &[u8]) {
    out.push_str(what);
    pystr::bytes_repr_into(out, line);
    out.push_str("\n\n");
}
