//! Writing Eliot's JSON lines: compact, UTF-8 unescaped, keys in Eliot's order.
//!
//! Every message is built here field by field, with no intermediate
//! `serde_json::Value`, into a `String` that the thread reuses for its next
//! message when no destination kept this one: a logging call to synchronous
//! destinations allocates nothing.
//!
//! The line is a `String` from the start, so that it never has to be checked
//! as UTF-8 whole: Eliot's own parts are written as `&str`, and only what a
//! field's [`FieldValue`] writes (bytes, through its public `write_json`) is
//! checked, where it is written.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::field::{Field, FieldValue};
use crate::util::panic::payload_message;

/// Keys that always hold Eliot's own values: the format's, as the parser
/// reads them back.
pub(crate) use eliot_parse::RESERVED_KEYS;

/// [`RESERVED_KEYS`] as a user's fields are renamed: `user:<key>`, in the
/// same order (checked by a test).
const RENAMED_KEYS: [&str; 6] = [
    "user:timestamp",
    "user:task_uuid",
    "user:task_level",
    "user:action_status",
    "user:action_type",
    "user:message_type",
];

/// The key of the object written in place of a value that failed to serialize.
pub(crate) const UNSERIALIZABLE_KEY: &str = "eliot:unserializable";

/// The key a user's field is written under: its own, or `user:<key>` when it
/// is one of Eliot's reserved keys, so that Eliot's own fields are never
/// shadowed and the user's value is never lost. Every user key (message and
/// start fields, success fields, extracted and global fields) goes through
/// here, so that two keys clash exactly when their written keys do.
pub(crate) fn user_key(key: &str) -> &str {
    match RESERVED_KEYS.iter().position(|reserved| *reserved == key) {
        Some(i) => RENAMED_KEYS[i],
        None => key,
    }
}

/// Whether two user keys are written as the same key.
pub(crate) fn same_user_key(a: &str, b: &str) -> bool {
    // Only a reserved key and its `user:` form differ yet clash; the prefix
    // test keeps the common case (distinct ordinary keys) to one comparison.
    a == b || ((a.starts_with("user:") || b.starts_with("user:")) && user_key(a) == user_key(b))
}

/// Writes `value`'s JSON, or, when its serialization fails, the placeholder
/// `{"eliot:unserializable":"<type>","error":"<error>"}`, so that one bad
/// field never costs the rest of the message.
///
/// A `Serialize`, `Debug` or `Display` impl that panics fails the same way
/// (`"error":"panicked: <message>"`): logging never takes the application
/// down, and the message keeps its other fields.
pub(crate) fn write_value_or_placeholder(out: &mut Vec<u8>, value: &dyn FieldValue) {
    let mark = out.len();
    let error = match catch_unwind(AssertUnwindSafe(|| value.write_json(out))) {
        Ok(Ok(())) => return,
        Ok(Err(error)) => error.to_string(),
        Err(payload) => format!("panicked: {}", payload_message(&*payload)),
    };
    out.truncate(mark);
    out.extend_from_slice(b"{");
    write_str(out, UNSERIALIZABLE_KEY);
    out.push(b':');
    write_str(out, value.type_name());
    out.extend_from_slice(b",\"error\":");
    write_str(out, &error);
    out.push(b'}');
}

/// JSON text that is already valid (a finished line, a serialized field),
/// serialized as the value it is: serde_json copies it as it is.
pub(crate) struct RawJson<'a>(pub(crate) &'a str);

impl serde::Serialize for RawJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Borrowed: checked, not copied.
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Appends `s` as a JSON string.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    escape_str(s, |piece| out.extend_from_slice(piece.as_bytes()));
}

/// Appends `s` as a JSON string, to a line.
fn push_json_str(out: &mut String, s: &str) {
    escape_str(s, |piece| out.push_str(piece));
}

/// Hands `put` the pieces of `s` written as a JSON string, quotes
/// included: the very bytes serde_json writes (its escapes, lowercase hex),
/// but as `&str`, so that a line can be a `String` without being checked.
#[inline]
fn escape_str(s: &str, mut put: impl FnMut(&str)) {
    put("\"");
    // Keys, types, UUIDs: almost every string needs no escape, and is
    // copied whole.
    if !needs_escape(s.as_bytes()) {
        put(s);
        put("\"");
        return;
    }
    let mut start = 0;
    for (at, &byte) in s.as_bytes().iter().enumerate() {
        if !ESCAPED[byte as usize] {
            continue;
        }
        // An escaped byte is ASCII, so `at` is between two characters.
        put(&s[start..at]);
        start = at + 1;
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => CONTROL[usize::from(byte)],
        };
        put(short);
    }
    put(&s[start..]);
    put("\"");
}

/// How serde_json writes a control character that has no short escape.
const CONTROL: [&str; 0x20] = [
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
    "\\u0008", "\\u0009", "\\u000a", "\\u000b", "\\u000c", "\\u000d", "\\u000e", "\\u000f",
    "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
    "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
];

/// Whether JSON needs an escape in `bytes`: a control character, `"` or
/// `\` (what serde_json escapes; UTF-8 and DEL are written as they are).
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| ESCAPED[b as usize])
}

/// The bytes [`needs_escape`] looks for.
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `n` in decimal.
fn write_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// What an action's lines share, written once when the action starts: its
/// task UUID and level, as JSON key-value pairs up to the slot, for a
/// message (`,"task_uuid":"…","task_level":[L…,`) and, followed by the
/// action's type, for its own start and end (`,"task_uuid":"…",
/// "action_type":"…","task_level":[L…,`). Returns both in one string and
/// where the second starts.
///
/// `task_uuid` is copied without escaping: a task UUID is either generated
/// here or checked by [`TaskId::parse`](crate::TaskId::parse) to hold only
/// ASCII letters, digits and `-`.
pub(crate) fn action_prefixes(
    task_uuid: &str,
    action_type: &str,
    level: &[u32],
) -> (Box<str>, usize) {
    debug_assert!(!needs_escape(task_uuid.as_bytes()));
    let mut out =
        Vec::with_capacity(2 * (task_uuid.len() + 4 * level.len()) + action_type.len() + 80);
    let task_uuid_pair = |out: &mut Vec<u8>| {
        out.extend_from_slice(b",\"task_uuid\":\"");
        out.extend_from_slice(task_uuid.as_bytes());
        out.push(b'"');
    };
    let task_level_start = |out: &mut Vec<u8>| {
        out.extend_from_slice(b",\"task_level\":[");
        for &n in level {
            write_u32(out, n);
            out.push(b',');
        }
    };
    task_uuid_pair(&mut out);
    task_level_start(&mut out);
    let split = out.len();
    task_uuid_pair(&mut out);
    out.extend_from_slice(b",\"action_type\":");
    write_str(&mut out, action_type);
    task_level_start(&mut out);
    (utf8(out).into_boxed_str(), split)
}

/// What this module writes as a string: it writes UTF-8 only (JSON
/// punctuation, serde_json's output, escaped strings).
pub(crate) fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Where the task UUID sits in the prefixes [`action_prefixes`] writes.
pub(crate) const TASK_UUID_START: usize = ",\"task_uuid\":\"".len();

/// Builds one JSON object into a line.
pub(crate) struct LineWriter<'b> {
    out: &'b mut String,
    empty: bool,
}

impl<'b> LineWriter<'b> {
    pub(crate) fn new(out: &'b mut String) -> Self {
        out.push('{');
        LineWriter { out, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_json_str(self.out, key);
        self.out.push(':');
    }

    /// One of Eliot's own keys (`timestamp`, `task_uuid`, ...), which need
    /// no escape: copied without the check.
    fn eliot_key(&mut self, key: &'static str) {
        debug_assert!(!needs_escape(key.as_bytes()));
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.reserve(key.len() + 3);
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// The user's fields, in order, each under its [`user_key`]. A key given
    /// twice keeps its last value (as a Python dict literal would).
    ///
    /// Values write bytes ([`FieldValue::write_json`]), so the line is
    /// taken as bytes while they are written and checked as UTF-8 after:
    /// written first in a line, they are all that check reads.
    pub(crate) fn user_fields(&mut self, fields: &[Field<'_>]) {
        if fields.is_empty() {
            return;
        }
        let mut out = std::mem::take(self.out).into_bytes();
        for (i, field) in fields.iter().enumerate() {
            let key = field.key();
            if fields[i + 1..]
                .iter()
                .any(|later| same_user_key(later.key(), key))
            {
                continue;
            }
            if !self.empty {
                out.push(b',');
            }
            self.empty = false;
            write_str(&mut out, user_key(key));
            out.push(b':');
            write_value_or_placeholder(&mut out, field.value());
        }
        *self.out = utf8(out);
    }

    /// A field whose value is already JSON.
    pub(crate) fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.out.push_str(json);
    }

    pub(crate) fn str(&mut self, key: &'static str, value: &str) {
        self.eliot_key(key);
        push_json_str(self.out, value);
    }

    /// A string that needs no escape (a task UUID), copied as it is.
    pub(crate) fn plain_str(&mut self, key: &'static str, value: &str) {
        debug_assert!(!needs_escape(value.as_bytes()));
        self.eliot_key(key);
        self.out.reserve(value.len() + 2);
        self.out.push('"');
        self.out.push_str(value);
        self.out.push('"');
    }

    /// A float as serde_json writes it: its shortest digits, `null` when
    /// it is not finite.
    pub(crate) fn f64(&mut self, key: &'static str, value: f64) {
        self.eliot_key(key);
        if value.is_finite() {
            self.out.push_str(zmij::Buffer::new().format_finite(value));
        } else {
            self.out.push_str("null");
        }
    }

    /// `"task_level":[1]`: the only line of a task of its own.
    pub(crate) fn root_task_level(&mut self) {
        self.eliot_key("task_level");
        self.out.push_str("[1]");
    }

    /// One of an action's prefixes (see [`action_prefixes`]) and `slot`,
    /// closing the level: the whole position of a line in its task. Follows
    /// at least one field.
    pub(crate) fn prefixed_level(&mut self, prefix: &str, slot: u32) {
        debug_assert!(!self.empty && prefix.starts_with(','));
        self.out.push_str(prefix);
        self.out.push_str(itoa::Buffer::new().format(slot));
        self.out.push(']');
    }

    pub(crate) fn finish(self) {
        self.out.push('}');
    }
}

thread_local! {
    /// The line of this thread's last message, when no destination kept
    /// it: the next message is written into it.
    static SPARE: Cell<Option<Arc<String>>> = const { Cell::new(None) };
}

/// Lines longer than this are not kept for reuse: one huge message must not
/// keep its memory for the thread's life.
const SPARE_MAX: usize = 64 * 1024;

/// Runs `build` with an empty line and returns what it wrote, shared.
///
/// The line is the thread's spare one ([`recycle`]) when it has one. It is
/// taken out of the thread-local while `build` runs, so a `Serialize` impl
/// that itself logs simply gets a fresh line.
pub(crate) fn build_line(build: impl FnOnce(&mut String)) -> Arc<String> {
    let mut line = SPARE
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(|| Arc::new(String::with_capacity(256)));
    match Arc::get_mut(&mut line) {
        Some(text) => {
            text.clear();
            build(text);
        }
        // Only unshared lines are kept as spares; this is for the compiler.
        None => {
            let mut text = String::with_capacity(256);
            build(&mut text);
            line = Arc::new(text);
        }
    }
    line
}

/// Keeps `line` as this thread's spare, to be written over by its next
/// message, if nothing else holds it (no destination kept the message).
pub(crate) fn recycle(line: Arc<String>) {
    // Counted, not taken with `get_mut` (an atomic write, which the next
    // `build_line` pays anyway): a line with no other handle and no weak
    // one cannot get one, since only this thread could clone it.
    if Arc::strong_count(&line) == 1 && Arc::weak_count(&line) == 0 && line.capacity() <= SPARE_MAX
    {
        let _ = SPARE.try_with(|spare| spare.set(Some(line)));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renamed_keys_are_the_reserved_keys_with_the_user_prefix() {
        for (reserved, renamed) in super::RESERVED_KEYS.iter().zip(super::RENAMED_KEYS) {
            assert_eq!(renamed, format!("user:{reserved}"));
        }
    }

    use super::*;

    fn line(build: impl FnOnce(&mut LineWriter<'_>)) -> String {
        let line = build_line(|buf| {
            let mut writer = LineWriter::new(buf);
            build(&mut writer);
            writer.finish();
        });
        line.to_string()
    }

    #[test]
    fn writes_compact_objects() {
        let text = line(|w| {
            w.user_fields(&[Field::new("a", &1), Field::new("b", &"x\"y")]);
            w.f64("t", 0.5);
            w.prefixed_level(r#","task_level":[3,1,"#, 2);
        });
        assert_eq!(text, r#"{"a":1,"b":"x\"y","t":0.5,"task_level":[3,1,2]}"#);
    }

    #[test]
    fn strings_and_levels_are_written_as_serde_json_writes_them() {
        let mut samples: Vec<String> = vec![
            String::new(),
            "plain".into(),
            "exactly8".into(),
            "0123456789abcdef-with-more".into(),
            "caf\u{e9} \u{1f600} \u{7f}".into(),
        ];
        for special in ['"', '\\', '\n', '\t', '\u{0}', '\u{1f}', ' ', '~'] {
            for at in 0..18 {
                let mut s: String = "x".repeat(at);
                s.push(special);
                s.push_str("tail");
                samples.push(s);
            }
        }
        for c in (0..0x80_u8).map(char::from).chain(['\u{2028}', '\u{fffd}']) {
            samples.push(format!("a{c}b"));
        }
        for s in &samples {
            let mut ours = Vec::new();
            write_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_vec(s).unwrap(), "{s:?}");
            let mut line = String::new();
            push_json_str(&mut line, s);
            assert_eq!(line, serde_json::to_string(s).unwrap(), "{s:?}");
        }
        for n in [0, 1, 9, 10, 99, 100, 65_535, u32::MAX] {
            let mut ours = Vec::new();
            write_u32(&mut ours, n);
            assert_eq!(ours, n.to_string().into_bytes());
        }
    }

    #[test]
    fn floats_are_written_as_serde_json_writes_them() {
        let floats = [
            0.0,
            -0.0,
            1.5,
            0.1,
            1e-7,
            1e21,
            1.7e308,
            5e-324,
            1_700_000_000.123_456,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in floats {
            let text = line(|w| w.f64("timestamp", x));
            let theirs = serde_json::to_string(&x).unwrap();
            assert_eq!(text, format!(r#"{{"timestamp":{theirs}}}"#), "{x:?}");
        }
    }

    /// `FieldValue` is public and writes bytes: a hand-written one that
    /// writes something other than UTF-8 costs its own value, not the line.
    #[test]
    fn a_value_that_writes_bytes_that_are_not_utf8_leaves_a_utf8_line() {
        struct NotUtf8;
        impl FieldValue for NotUtf8 {
            fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
                out.extend_from_slice(b"\"a\xff\xc3\"");
                Ok(())
            }
            fn type_name(&self) -> &'static str {
                "NotUtf8"
            }
        }
        let text = line(|w| {
            w.user_fields(&[Field::new("bad", &NotUtf8), Field::new("good", &"\u{e9}")]);
            w.str("message_type", "t:\u{1f600}");
        });
        assert_eq!(
            text,
            "{\"bad\":\"a\u{fffd}\u{fffd}\",\"good\":\"\u{e9}\",\"message_type\":\"t:\u{1f600}\"}"
        );
    }

    #[test]
    fn an_empty_field_list_and_a_root_level() {
        assert_eq!(line(|w| w.root_task_level()), r#"{"task_level":[1]}"#);
        assert_eq!(line(|w| w.user_fields(&[])), "{}");
    }

    #[test]
    fn reserved_keys_are_renamed_and_duplicates_keep_the_last() {
        let text = line(|w| {
            w.user_fields(&[
                Field::new("task_uuid", &1),
                Field::new("k", &1),
                Field::new("k", &2),
            ]);
        });
        assert_eq!(text, r#"{"user:task_uuid":1,"k":2}"#);
        // A reserved key and its renamed form are one key: the last wins.
        let text = line(|w| {
            w.user_fields(&[
                Field::new("timestamp", &1),
                Field::new("user:timestamp", &2),
                Field::new("user:task_level", &3),
                Field::new("task_level", &4),
            ]);
        });
        assert_eq!(text, r#"{"user:timestamp":2,"user:task_level":4}"#);
    }

    #[test]
    fn user_keys_rename_exactly_the_reserved_ones() {
        for key in RESERVED_KEYS {
            assert_eq!(user_key(key), format!("user:{key}"));
            assert!(same_user_key(key, &format!("user:{key}")));
        }
        for key in [
            "x",
            "user:x",
            "Timestamp",
            "timestamp ",
            "exception",
            "reason",
        ] {
            assert_eq!(user_key(key), key);
        }
        assert!(!same_user_key("user:x", "x"));
    }

    #[test]
    fn action_prefixes_hold_what_messages_and_action_lines_share() {
        let (text, split) = action_prefixes("u-1", "app:\"quoted\"", &[3, 10]);
        assert_eq!(&text[..split], r#","task_uuid":"u-1","task_level":[3,10,"#);
        assert_eq!(
            &text[split..],
            r#","task_uuid":"u-1","action_type":"app:\"quoted\"","task_level":[3,10,"#
        );
        assert_eq!(&text[TASK_UUID_START..TASK_UUID_START + 3], "u-1");
        let (root, root_split) = action_prefixes("u", "t", &[]);
        assert_eq!(&root[..root_split], r#","task_uuid":"u","task_level":["#);
        let line = line(|w| {
            w.f64("timestamp", 1.0);
            w.prefixed_level(&root[..root_split], 7);
        });
        assert_eq!(
            line,
            r#"{"timestamp":1.0,"task_uuid":"u","task_level":[7]}"#
        );
    }

    #[test]
    fn a_failing_value_becomes_a_placeholder_and_the_rest_stays() {
        struct Refuses;
        impl serde::Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("refused"))
            }
        }
        let text = line(|w| {
            w.user_fields(&[Field::new("bad", &Refuses), Field::new("good", &true)]);
        });
        assert!(
            text.starts_with(r#"{"bad":{"eliot:unserializable":""#),
            "{text}"
        );
        assert!(
            text.ends_with(r#"Refuses","error":"refused"},"good":true}"#),
            "{text}"
        );
    }

    #[test]
    fn a_serialize_impl_that_logs_gets_its_own_buffer() {
        struct Nested;
        impl serde::Serialize for Nested {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let inner = build_line(|buf| buf.push_str("inner"));
                s.serialize_str(&inner)
            }
        }
        let text = line(|w| w.user_fields(&[Field::new("n", &Nested)]));
        assert_eq!(text, r#"{"n":"inner"}"#);
    }
}
