//! Drawing a task as a tree, the way Python's eliot-tree draws it.
//!
//! ```text
//! c0b989ff-a730-4919-b5f4-b7d65e8a4fa0
//! └── ref:parse_config/1 ⇒ started 2026-11-26 08:52:30Z ⧖ 0.000s
//!     ├── filename: settings.ini
//!     ├── ref:parse_config:line/2 2026-11-26 08:52:30Z
//!     │   └── number: 3
//!     └── ref:parse_config/3 ⇒ failed 2026-11-26 08:52:30Z
//!         ├── exception: builtins.ValueError
//!         └── reason: bad value on line 3
//! ```
//!
//! The task's UUID, then its root: an action shows its type and level, the
//! arrow, `started`, its start time and its duration; under it come its
//! start fields (sorted), its children (in level order) and its end message
//! with the end fields. A message shows its type, level and time, and its
//! fields. Nested objects and arrays become subtrees. Long values are cut at
//! the field limit or their first newline.

use std::borrow::Cow;
use std::fmt::Write;

use eliot_parse::{ActionStatus, Node, Task, WrittenAction, WrittenMessage};

use crate::fields::{
    Fields, HiddenKeys, array_elements, hidden_keys, message_fields, object_entries,
};
use crate::format::{
    cut, decimal_into, duration_into, escape_into, escape_lines_into, is_printable_ascii,
    level_into, python_float_into, timestamp_into,
};
use crate::json_text::{Check, Number, read_number, unescape_into};

/// How to draw trees.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Cut values after this many characters (and at their first newline);
    /// 0 shows values whole.
    pub field_limit: usize,
    /// Keys to hide, besides Eliot's own ([`RESERVED_KEYS`](eliot_parse::RESERVED_KEYS)), which are
    /// never shown as fields: the node's name shows them.
    pub ignored_keys: Vec<String>,
    /// Show timestamps as UTC dates and durations as `0.013s`; when false,
    /// both are shown as raw seconds.
    pub human_readable: bool,
    /// Colour the output with terminal escape sequences.
    pub color: bool,
    /// Colour the tree's lines too (by depth; red under a failed action).
    pub color_tree: bool,
    /// Draw with ASCII characters instead of box-drawing ones.
    pub ascii: bool,
    /// Show human-readable times in the local time zone (`TZ`, else the
    /// system's) without the `Z`, as Python's `--local-timezone` does.
    pub local_timezone: bool,
}

impl Default for RenderOptions {
    /// Python eliot-tree's defaults, without colour: a field limit of 100,
    /// human-readable times, Unicode lines.
    fn default() -> Self {
        RenderOptions {
            field_limit: 100,
            ignored_keys: Vec::new(),
            human_readable: true,
            color: false,
            color_tree: true,
            ascii: false,
            local_timezone: false,
        }
    }
}

struct Glyphs {
    fork: &'static str,
    last: &'static str,
    vertical: &'static str,
    space: &'static str,
    newline: &'static str,
    arrow: &'static str,
    hourglass: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    fork: "├── ",
    last: "└── ",
    vertical: "│   ",
    space: "    ",
    newline: "⏎",
    arrow: "⇒",
    hourglass: "⧖",
};

const ASCII: Glyphs = Glyphs {
    fork: "|-- ",
    last: "+-- ",
    vertical: "|   ",
    space: "    ",
    newline: "\n",
    arrow: "=>",
    hourglass: "|Y|",
};

/// Terminal colours (SGR parameters) of the parts of a tree; they read on
/// dark and light backgrounds alike.
mod sgr {
    pub(super) const ROOT: &str = "1";
    pub(super) const TYPE: &str = "35";
    pub(super) const SUCCESS: &str = "32";
    pub(super) const FAILURE: &str = "31";
    pub(super) const KEY: &str = "34";
    pub(super) const TIMESTAMP: &str = "2";
    pub(super) const DURATION: &str = "2;34";
    pub(super) const TREE: [&str; 3] = ["2", "2;34", "2;35"];
    pub(super) const TREE_FAILED: &str = "31";
}

/// Draws tasks as trees.
///
/// ```
/// use eliot_parse::parse_log;
/// use eliot_tree::render::{Renderer, RenderOptions};
///
/// let log = r#"{"x":1,"timestamp":1795683150.9,"task_uuid":"t1","task_level":[1],"message_type":"app:hello"}"#;
/// let task = &parse_log(log).tasks[0];
/// let mut out = String::new();
/// Renderer::new(RenderOptions::default()).render(task, &mut out);
/// assert_eq!(out, "t1\n└── app:hello/1 2026-11-26 08:52:30Z\n    └── x: 1\n\n");
/// ```
pub struct Renderer {
    options: RenderOptions,
    /// The local time zone, with `local_timezone`.
    local: Option<crate::clock::Clock>,
    glyphs: &'static Glyphs,
    hidden: HiddenKeys,
}

/// One line of the tree, before it is drawn.
enum Item<'a> {
    Node(&'a Node),
    /// An action's end message, drawn as a message of its own.
    End(&'a WrittenMessage),
    /// A field's key and its value's JSON text.
    Field(Key<'a>, &'a str),
}

enum Key<'a> {
    Name(&'a str),
    Index(usize),
}

impl Renderer {
    /// A renderer with these options.
    pub fn new(options: RenderOptions) -> Self {
        let hidden = hidden_keys(&options.ignored_keys);
        Renderer {
            glyphs: if options.ascii { &ASCII } else { &UNICODE },
            local: options.local_timezone.then(crate::clock::Clock::local),
            options,
            hidden,
        }
    }

    /// Appends `task`'s tree to `out`, followed by a blank line.
    pub fn render(&self, task: &Task, out: &mut String) {
        self.paint(out, sgr::ROOT, |out| {
            escape_into(out, task.task_uuid(), false)
        });
        out.push('\n');
        let mut prefix = String::new();
        self.draw_children(
            out,
            &mut prefix,
            0,
            false,
            [Item::Node(task.root())].into_iter(),
        );
        out.push('\n');
    }

    /// Draws `items`, the children of a node at `depth`, and their
    /// subtrees. Under a failed action the lines are red.
    fn draw_children<'a>(
        &self,
        out: &mut String,
        prefix: &mut String,
        depth: usize,
        failed: bool,
        mut items: impl Iterator<Item = Item<'a>>,
    ) {
        let tree_color = if failed {
            sgr::TREE_FAILED
        } else {
            sgr::TREE[depth % sgr::TREE.len()]
        };
        let base = prefix.len();
        // While the items are drawn, `prefix` ends with the glyph of the
        // next item's line: the start of most lines is pushed in one piece.
        self.paint_tree(prefix, tree_color, self.glyphs.fork);
        // One item ahead tells the last one: plainer than `Peekable`'s
        // `Option<Option<_>>`, which cost a few instructions a line more.
        let mut next = items.next();
        while let Some(item) = next {
            next = items.next();
            let last = next.is_none();
            if last {
                prefix.truncate(base);
                self.paint_tree(prefix, tree_color, self.glyphs.last);
            }
            out.push_str(prefix);
            if self.is_one_line(&item) {
                // Most lines: no prefix to extend for what follows.
                self.draw_label(out, "", &item);
                out.push('\n');
                continue;
            }
            // The prefix of the lines under this item, and of the
            // continuation lines of a multi-line value.
            prefix.truncate(base);
            if last {
                prefix.push_str(self.glyphs.space);
            } else {
                self.paint_tree(prefix, tree_color, self.glyphs.vertical);
            }
            self.draw_label(out, prefix, &item);
            out.push('\n');
            self.draw_subtree(out, prefix, depth + 1, &item);
            prefix.truncate(base);
            if !last {
                self.paint_tree(prefix, tree_color, self.glyphs.fork);
            }
        }
        prefix.truncate(base);
    }

    /// Whether `item` is drawn on one line, with nothing under it: a field
    /// that is not an object or array, and not a string shown whole (which
    /// may go on over several lines: with a field limit, a string is cut at
    /// its first newline).
    fn is_one_line(&self, item: &Item<'_>) -> bool {
        match item {
            Item::Field(_, value) => match value.as_bytes().first() {
                Some(b'{' | b'[') => false,
                Some(b'"') => self.options.field_limit > 0,
                _ => true,
            },
            Item::Node(_) | Item::End(_) => false,
        }
    }

    fn draw_subtree(&self, out: &mut String, prefix: &mut String, depth: usize, item: &Item<'_>) {
        match item {
            Item::Node(Node::Action(action)) => {
                let fields = self.fields(action.start_message());
                let items = field_items(&fields)
                    .chain(action.children().iter().map(Item::Node))
                    .chain(action.end_message().map(Item::End));
                let failed = action.status() == Some(ActionStatus::Failed);
                self.draw_children(out, prefix, depth, failed, items);
            }
            Item::Node(Node::Message(message)) => self.draw_fields(out, prefix, depth, message),
            Item::End(message) => self.draw_fields(out, prefix, depth, message),
            Item::Field(_, value) if value.starts_with('{') => {
                let entries = object_entries(value);
                self.draw_children(out, prefix, depth, false, field_items(&entries));
            }
            Item::Field(_, value) if value.starts_with('[') => {
                let items = array_elements(value)
                    .enumerate()
                    .map(|(i, v)| Item::Field(Key::Index(i), v));
                self.draw_children(out, prefix, depth, false, items);
            }
            Item::Field(..) => {}
        }
    }

    fn draw_fields(
        &self,
        out: &mut String,
        prefix: &mut String,
        depth: usize,
        message: &WrittenMessage,
    ) {
        let fields = self.fields(Some(message));
        self.draw_children(out, prefix, depth, false, field_items(&fields));
    }

    /// The shown fields of a message, sorted by key.
    fn fields<'a>(&self, message: Option<&'a WrittenMessage>) -> Fields<'a> {
        message.map_or_else(Vec::new, |m| message_fields(m, &self.hidden, Check::AsRead))
    }

    fn draw_label(&self, out: &mut String, continuation: &str, item: &Item<'_>) {
        match item {
            Item::Node(Node::Action(action)) => self.action_label(out, action),
            Item::Node(Node::Message(message)) => self.message_label(out, message, None),
            Item::End(message) => self.message_label(out, message, None),
            Item::Field(key, value) => {
                // Not through `paint`: its closure, not inlined, was a call
                // for every key drawn.
                let color = self.options.color;
                if color {
                    push_sgr(out, sgr::KEY);
                }
                match key {
                    Key::Name(name) => escape_into(out, name, false),
                    Key::Index(index) => decimal_into(out, *index as u64),
                }
                if color {
                    out.push_str(SGR_RESET);
                }
                out.push_str(": ");
                self.value_into(out, continuation, value);
            }
        }
    }

    /// Writes a scalar the way Python's eliot-tree shows it: strings as they
    /// are, `True`/`False`, `None`, integers, floats in Python's `repr` form;
    /// cut at the field limit, control characters neutralised, and the lines
    /// of a multi-line value continued under the tree's prefix.
    fn value_into(&self, out: &mut String, continuation: &str, value: &str) {
        let limit = self.options.field_limit;
        let start = out.len();
        match value.as_bytes().first() {
            Some(b'"') => {
                let inner = &value[1..value.len() - 1];
                if shown_as_is(inner, limit) {
                    out.push_str(inner);
                    return;
                }
                let unescaped;
                let text = if inner.contains('\\') {
                    let mut owned = String::with_capacity(inner.len());
                    unescape_into(&mut owned, inner);
                    unescaped = owned;
                    &unescaped
                } else {
                    inner
                };
                let (shown, was_cut) = cut(text, limit);
                escape_lines_into(out, shown, |out| {
                    out.push_str(self.glyphs.newline);
                    out.push('\n');
                    out.push_str(continuation);
                });
                if was_cut {
                    out.push('…');
                }
                return;
            }
            Some(b'n') => out.push_str("None"),
            Some(b't') => out.push_str("True"),
            Some(b'f') => out.push_str("False"),
            Some(b'{' | b'[') | None => return, // Shown as children.
            Some(_) => match read_number(value) {
                Some(Number::Integer) => out.push_str(value),
                Some(Number::Float(f)) => python_float_into(out, f),
                None => {} // Refused when the fields were read.
            },
        }
        // Numbers and constants are ASCII: one byte per character.
        if limit > 0 && out.len() - start > limit {
            out.truncate(start + limit);
            out.push('…');
        }
    }

    fn action_label(&self, out: &mut String, action: &WrittenAction) {
        if let Some(start) = action.start_message() {
            return self.message_label(out, start, Some(action));
        }
        match action.end_message().and_then(WrittenMessage::action_type) {
            Some(action_type) => {
                self.paint(out, sgr::TYPE, |out| escape_into(out, action_type, false));
                let _ = write!(
                    out,
                    "{} {} <start not in log>",
                    action.task_level(),
                    self.glyphs.arrow
                );
            }
            None => {
                self.paint(out, sgr::TYPE, |out| out.push_str("<action not in log>"));
                level_into(out, action.task_level().as_slice());
            }
        }
    }

    /// `type/level ⇒ status time ⧖ duration` for an action's start (with the
    /// action), `type/level ⇒ status time` for its end, `type/level time`
    /// for a message.
    fn message_label(
        &self,
        out: &mut String,
        message: &WrittenMessage,
        action: Option<&WrittenAction>,
    ) {
        let name = message
            .action_type()
            .or(message.message_type())
            .unwrap_or("<unnamed>");
        self.paint(out, sgr::TYPE, |out| escape_into(out, name, false));
        level_into(out, message.task_level().as_slice());
        if let Some(status) = message.action_status() {
            out.push(' ');
            out.push_str(self.glyphs.arrow);
            out.push(' ');
            // The colour says how the action ended.
            match action.and_then(WrittenAction::status).unwrap_or(status) {
                ActionStatus::Succeeded => {
                    self.paint(out, sgr::SUCCESS, |out| out.push_str(status.as_str()))
                }
                ActionStatus::Failed => {
                    self.paint(out, sgr::FAILURE, |out| out.push_str(status.as_str()))
                }
                ActionStatus::Started => out.push_str(status.as_str()),
            }
        }
        out.push(' ');
        self.paint(out, sgr::TIMESTAMP, |out| {
            if self.options.human_readable {
                match &self.local {
                    Some(clock) => clock.date_into(out, message.timestamp()),
                    None => timestamp_into(out, message.timestamp()),
                }
            } else {
                python_float_into(out, message.timestamp());
            }
        });
        if let Some(duration) = action.and_then(WrittenAction::duration) {
            out.push(' ');
            out.push_str(self.glyphs.hourglass);
            out.push(' ');
            self.paint(out, sgr::DURATION, |out| {
                if self.options.human_readable {
                    duration_into(out, duration);
                } else {
                    python_float_into(out, duration);
                }
            });
        }
    }

    fn paint(&self, out: &mut String, sgr: &str, write: impl FnOnce(&mut String)) {
        if self.options.color {
            push_sgr(out, sgr);
            write(out);
            out.push_str(SGR_RESET);
        } else {
            write(out);
        }
    }

    // Inlined: it is a push of a few bytes, for nearly every line.
    #[inline(always)]
    fn paint_tree(&self, out: &mut String, sgr: &str, glyph: &str) {
        if self.options.color && self.options.color_tree {
            self.paint(out, sgr, |out| out.push_str(glyph));
        } else {
            out.push_str(glyph);
        }
    }
}

/// Turns on the terminal colour `sgr` (SGR parameters).
fn push_sgr(out: &mut String, sgr: &str) {
    out.push_str("\x1b[");
    out.push_str(sgr);
    out.push('m');
}

/// Turns colours off.
const SGR_RESET: &str = "\x1b[0m";

/// Whether a string value, its JSON text between the quotes `inner`, is
/// shown as it is written: within `limit`, no escape (so no newline), no
/// control character. Most are: they are written in one pass.
fn shown_as_is(inner: &str, limit: usize) -> bool {
    (limit == 0 || inner.len() <= limit) && is_printable_ascii(inner.as_bytes(), true)
}

fn field_items<'a>(fields: &'a [(Cow<'a, str>, &'a str)]) -> impl Iterator<Item = Item<'a>> {
    fields
        .iter()
        .map(|(key, value)| Item::Field(Key::Name(key), value))
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
