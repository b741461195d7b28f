//! Drawing one message: its line (compact) or lines (pretty).

use super::clock::{Timestamp, write_duration};
use super::color::{self, BOLD, BOLD_RED, DIM, GREEN, RED, RESET};
use super::head::{Head, Kind};
use super::open_actions::OpenActions;
use super::scan::{FieldSpan, scan, string_contents};
use super::text::{
    has_line_break, is_printable_ascii, write_json_lines, write_json_text, write_plain,
};

/// How a message is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// One line: the head, then the fields as `key=value`.
    Compact,
    /// The head, then one line per field.
    Pretty,
}

/// The marks drawn for each kind of line.
#[derive(Debug)]
pub(super) struct Symbols {
    started: &'static str,
    succeeded: &'static str,
    failed: &'static str,
    message: &'static str,
    unknown: &'static str,
    gutter: &'static str,
    micro: &'static str,
}

pub(super) const UNICODE: Symbols = Symbols {
    started: "▶",
    succeeded: "✔",
    failed: "✖",
    message: "•",
    unknown: "?",
    gutter: "│",
    micro: "µs",
};

pub(super) const ASCII: Symbols = Symbols {
    started: ">",
    succeeded: "+",
    failed: "x",
    message: "*",
    unknown: "?",
    gutter: "|",
    micro: "us",
};

/// The width of the time and the short task id, with the space after
/// each: where the lines below a message's head start.
const HEAD_PAD: &[u8] = b"                       ";
/// How many characters of the task UUID identify a task on the console.
const SHORT_ID: usize = 8;
/// The deepest indentation drawn: deeper actions (rare, and unreadable as
/// indentation anyway) stay at this depth, their level still says where
/// they are.
const MAX_INDENT: usize = 32;

/// Space reused from one message to the next.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    fields: Vec<FieldSpan>,
    slots: Vec<u32>,
    key: String,
}

#[derive(Debug)]
pub(super) struct Renderer {
    pub(super) layout: Layout,
    pub(super) color: bool,
    pub(super) symbols: &'static Symbols,
}

impl Renderer {
    /// Appends `line`, a message, drawn, to `out`; remembers or looks up
    /// its action's start in `open`.
    pub(super) fn render(
        &self,
        line: &str,
        scratch: &mut Scratch,
        open: &mut OpenActions<Timestamp>,
        out: &mut Vec<u8>,
    ) {
        let Scratch { fields, slots, key } = scratch;
        if !scan(line, fields) {
            return self.unreadable(line, out);
        }
        let head = Head::read(line, fields, slots);
        let kind = head.kind(line, fields);
        let slots: &[u32] = match head.task_level {
            Some(_) => slots,
            None => &[],
        };
        let duration = track(&head, kind, slots, key, open);
        let depth = match kind {
            Kind::Started | Kind::Succeeded | Kind::Failed | Kind::OtherStatus => {
                slots.len().saturating_sub(1)
            }
            // A message outside any action is a task of its own.
            _ if slots == [1] => 0,
            _ => slots.len(),
        };
        let traceback = head.traceback.filter(|&i| {
            kind == Kind::Traceback && string_contents(&line[fields[i].value.clone()]).is_some()
        });
        let draw = Draw {
            renderer: self,
            line,
            fields,
            head: &head,
            kind,
            depth,
            traceback,
            set_apart: set_apart(&head, kind, traceback),
        };
        draw.head_line(slots, duration, out);
        draw.fields(out);
        out.push(b'\n');
    }

    /// A line that is not a JSON object: shown as it is, escaped.
    fn unreadable(&self, line: &str, out: &mut Vec<u8>) {
        self.paint(out, DIM, |out| {
            out.extend_from_slice(b"--:--:--.---Z --------")
        });
        out.push(b' ');
        self.paint(out, BOLD_RED, |out| {
            out.extend_from_slice(self.symbols.unknown.as_bytes());
        });
        out.push(b' ');
        write_plain(out, line);
        out.push(b'\n');
    }

    /// Writes what `write` writes in `style`, when colouring.
    #[inline(always)]
    fn paint(&self, out: &mut Vec<u8>, style: &str, write: impl FnOnce(&mut Vec<u8>)) {
        if self.color && !style.is_empty() {
            out.extend_from_slice(style.as_bytes());
            write(out);
            out.extend_from_slice(RESET.as_bytes());
        } else {
            write(out);
        }
    }
}

/// The fields that [`Draw::fields`] does not show in the line's order.
fn set_apart(head: &Head<'_>, kind: Kind, traceback: Option<usize>) -> SetApart {
    let failure = matches!(kind, Kind::Failed | Kind::Traceback);
    let status_in_mark = matches!(kind, Kind::Started | Kind::Succeeded | Kind::Failed);
    let indices = [
        head.timestamp.map(|(i, _)| i),
        head.task_uuid.map(|(i, _)| i),
        head.task_level,
        head.action_type.or(head.message_type),
        head.action_status.filter(|_| status_in_mark),
        head.exception.filter(|_| failure),
        head.reason.filter(|_| failure),
        traceback,
    ]
    .map(|i| i.unwrap_or(usize::MAX));
    let low = indices
        .iter()
        .filter(|&&i| i < 64)
        .fold(0, |mask, &i| mask | 1 << i);
    SetApart { low, indices }
}

/// Field indices, tested by one bit for the first 64 fields (every
/// message but the largest).
struct SetApart {
    low: u64,
    indices: [usize; 8],
}

impl SetApart {
    fn contains(&self, i: usize) -> bool {
        if i < 64 {
            self.low & 1 << i != 0
        } else {
            self.indices.contains(&i)
        }
    }
}

/// Remembers an action's start, or finds how long an ended action took.
fn track(
    head: &Head<'_>,
    kind: Kind,
    slots: &[u32],
    key: &mut String,
    open: &mut OpenActions<Timestamp>,
) -> Option<f64> {
    let (Some((_, task_uuid)), Some((_, timestamp)), Some((_, parent))) =
        (head.task_uuid, head.timestamp, slots.split_last())
    else {
        return None;
    };
    if !matches!(kind, Kind::Started | Kind::Succeeded | Kind::Failed) {
        return None;
    }
    // The action's key: its task and the level its messages share.
    key.clear();
    key.push_str(task_uuid);
    for slot in parent {
        key.push('/');
        key.push_str(itoa::Buffer::new().format(*slot));
    }
    if kind == Kind::Started {
        open.started(key, timestamp);
        None
    } else {
        open.ended(key).map(|start| timestamp.seconds_since(start))
    }
}

/// One message being drawn.
struct Draw<'r, 'a> {
    renderer: &'r Renderer,
    line: &'a str,
    fields: &'r [FieldSpan],
    head: &'r Head<'a>,
    kind: Kind,
    depth: usize,
    /// The traceback text of an `eliot:traceback`, shown as a block.
    traceback: Option<usize>,
    /// The fields not shown in the line's order: those of the head line,
    /// those shown first, the traceback block.
    set_apart: SetApart,
}

impl Draw<'_, '_> {
    fn value(&self, i: usize) -> &str {
        &self.line[self.fields[i].value.clone()]
    }

    fn head_line(&self, slots: &[u32], duration: Option<f64>, out: &mut Vec<u8>) {
        let r = self.renderer;
        let head = self.head;
        r.paint(out, DIM, |out| match head.timestamp {
            Some((_, timestamp)) => timestamp.write_time_of_day(out),
            None => out.extend_from_slice(b"--:--:--.---Z"),
        });
        out.push(b' ');
        match head.task_uuid {
            Some((_, uuid)) => {
                let start = out.len();
                write_short_id(out, uuid);
                if r.color {
                    let color = color::task_color(&out[start..]);
                    out.splice(start..start, color.bytes());
                    out.extend_from_slice(RESET.as_bytes());
                }
            }
            None => out.extend_from_slice(b"--------"),
        }
        out.push(b' ');
        self.indent(out);
        let s = r.symbols;
        let (mark, mark_style, type_style) = match self.kind {
            Kind::Message => (s.message, DIM, ""),
            Kind::Traceback => (s.failed, BOLD_RED, BOLD_RED),
            Kind::Started => (s.started, BOLD, BOLD),
            Kind::Succeeded => (s.succeeded, GREEN, BOLD),
            Kind::Failed => (s.failed, BOLD_RED, BOLD_RED),
            Kind::OtherStatus | Kind::Unknown => (s.unknown, BOLD_RED, BOLD),
        };
        r.paint(out, mark_style, |out| {
            out.extend_from_slice(mark.as_bytes())
        });
        if let Some(i) = head.action_type.or(head.message_type) {
            out.push(b' ');
            let (value, escaped) = (self.value(i), self.fields[i].value_escaped);
            r.paint(out, type_style, |out| write_text_value(out, value, escaped));
        }
        if head.task_level.is_some() {
            r.paint(out, DIM, |out| {
                for slot in slots {
                    out.push(b'/');
                    out.extend_from_slice(itoa::Buffer::new().format(*slot).as_bytes());
                }
            });
        }
        if let Some(seconds) = duration {
            out.extend_from_slice(b" (");
            write_duration(out, seconds, s.micro);
            out.push(b')');
        }
    }

    fn fields(&self, out: &mut Vec<u8>) {
        if matches!(self.kind, Kind::Failed | Kind::Traceback) {
            for i in [self.head.exception, self.head.reason]
                .into_iter()
                .flatten()
            {
                self.field(i, RED, out);
            }
        }
        for i in 0..self.fields.len() {
            if !self.set_apart.contains(i) {
                self.field(i, "", out);
            }
        }
        if let Some(i) = self.traceback {
            self.traceback(i, out);
        }
    }

    /// Writes field `i`, its value in `style`.
    fn field(&self, i: usize, style: &str, out: &mut Vec<u8>) {
        let r = self.renderer;
        let span = &self.fields[i];
        let key = &self.line[span.key.clone()];
        let value = self.value(i);
        match r.layout {
            // The common case: `key=value` is the field's own text, the
            // quotes around the key and the colon aside. One test of the
            // line from key to value, then copies.
            Layout::Compact
                if !r.color
                    && !span.key_escaped
                    && !span.value_escaped
                    && is_printable_ascii(
                        &self.line.as_bytes()[span.key.start..span.value.end],
                    ) =>
            {
                out.reserve(key.len() + value.len() + 2);
                out.push(b' ');
                out.extend_from_slice(key.as_bytes());
                out.push(b'=');
                out.extend_from_slice(value.as_bytes());
            }
            Layout::Compact => {
                out.push(b' ');
                r.paint(out, DIM, |out| {
                    write_json_text(out, key, span.key_escaped, false);
                    out.push(b'=');
                });
                r.paint(out, style, |out| match string_contents(value) {
                    // Without escapes, the value is its own quoted form.
                    Some(_) if !span.value_escaped => write_plain(out, value),
                    Some(text) => {
                        out.push(b'"');
                        write_json_text(out, text, true, true);
                        out.push(b'"');
                    }
                    None => write_plain(out, value),
                });
            }
            Layout::Pretty => {
                self.field_prefix(out);
                r.paint(out, DIM, |out| {
                    write_json_text(out, key, span.key_escaped, false);
                    out.push(b':');
                });
                match string_contents(value) {
                    Some(text) if has_line_break(text) => self.block(text, DIM, out),
                    _ => {
                        out.push(b' ');
                        r.paint(out, style, |out| {
                            write_text_value(out, value, span.value_escaped);
                        });
                    }
                }
            }
        }
    }

    /// The traceback text: in pretty mode as a field, in compact mode as
    /// lines below the head line.
    fn traceback(&self, i: usize, out: &mut Vec<u8>) {
        let Some(text) = string_contents(self.value(i)) else {
            return;
        };
        if self.renderer.layout == Layout::Pretty {
            self.field_prefix(out);
            self.renderer
                .paint(out, DIM, |out| out.extend_from_slice(b"traceback:"));
        }
        self.block(text, RED, out);
    }

    /// Lines of text below the current one, behind a gutter in `style`.
    fn block(&self, text: &str, style: &str, out: &mut Vec<u8>) {
        let mut prefix = Vec::with_capacity(HEAD_PAD.len() + 2 * self.depth + 24);
        self.line_indent(&mut prefix);
        if self.renderer.layout == Layout::Pretty {
            prefix.extend_from_slice(b"  ");
        }
        let gutter = self.renderer.symbols.gutter;
        self.renderer.paint(&mut prefix, style, |p| {
            p.extend_from_slice(gutter.as_bytes())
        });
        out.push(b'\n');
        write_json_lines(out, text, &prefix);
    }

    /// Starts a line below the head, where its fields go.
    fn field_prefix(&self, out: &mut Vec<u8>) {
        out.push(b'\n');
        self.line_indent(out);
    }

    /// The indentation of the lines below the head: under its type, and
    /// one step in.
    fn line_indent(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(HEAD_PAD);
        self.indent(out);
        out.extend_from_slice(b"    ");
    }

    fn indent(&self, out: &mut Vec<u8>) {
        for _ in 0..self.depth.min(MAX_INDENT) {
            out.extend_from_slice(b"  ");
        }
    }
}

/// A JSON value as text: a string's contents, anything else as written.
fn write_text_value(out: &mut Vec<u8>, value: &str, escaped: bool) {
    match string_contents(value) {
        Some(text) => write_json_text(out, text, escaped, false),
        None => write_plain(out, value),
    }
}

/// The first characters of a task's UUID, which tell tasks apart at a
/// glance; shorter ids are padded.
fn write_short_id(out: &mut Vec<u8>, uuid: &str) {
    match uuid.as_bytes().get(..SHORT_ID) {
        Some(prefix)
            if prefix
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-') =>
        {
            out.extend_from_slice(prefix);
        }
        _ => {
            let chars: String = super::text::JsonChars::new(uuid).take(SHORT_ID).collect();
            write_plain(out, &chars);
            let width = chars.chars().count();
            out.resize(out.len() + SHORT_ID.saturating_sub(width), b' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(line: &str) -> String {
        let renderer = Renderer {
            layout: Layout::Compact,
            color: false,
            symbols: &UNICODE,
        };
        let mut out = Vec::new();
        let mut open = OpenActions::new(4);
        renderer.render(line, &mut Scratch::default(), &mut open, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_line_that_is_not_an_object_is_shown_escaped() {
        assert_eq!(
            drawn("[1, \"\x1b[2J\"]"),
            "--:--:--.---Z -------- ? [1, \"\\x1b[2J\"]\n"
        );
        assert_eq!(drawn("{\"cut\":"), "--:--:--.---Z -------- ? {\"cut\":\n");
    }

    #[test]
    fn raw_characters_that_drive_a_terminal_are_escaped_in_keys_and_values() {
        // As serde_json writes them: non-ASCII characters unescaped. Control
        // characters are not valid JSON raw, but a line may hold them.
        let line = "{\"bidi\":\"abc\u{202e}dcba\",\"k\u{1b}[1m\":1,\"ctl\":\"a\u{1b}[2Jb\",\
                    \"nested\":{\"x\":\"\u{202e}\"},\"n\":12,\"plain\":\"ok\",\
                    \"timestamp\":0,\"task_uuid\":\"t\",\"task_level\":[1],\"message_type\":\"m\"}";
        assert_eq!(
            drawn(line),
            "00:00:00.000Z t        • m/1 bidi=\"abc\\u{202e}dcba\" k\\x1b[1m=1 \
             ctl=\"a\\x1b[2Jb\" nested={\"x\":\"\\u{202e}\"} n=12 plain=\"ok\"\n"
        );
    }

    #[test]
    fn indentation_stops_at_a_depth_the_level_still_shows_all() {
        let level: Vec<String> = (1..=100).map(|n| n.to_string()).collect();
        let line = format!(
            r#"{{"timestamp":0,"task_uuid":"t","task_level":[{}],"message_type":"deep"}}"#,
            level.join(",")
        );
        let text = drawn(&line);
        let indent = " ".repeat(2 * MAX_INDENT);
        assert!(
            text.starts_with(&format!("00:00:00.000Z t        {indent}• deep/1/2/3/")),
            "{text}"
        );
        assert!(text.ends_with("/99/100\n"));
    }
}
