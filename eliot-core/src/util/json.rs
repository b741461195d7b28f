//! Writing Eliot's JSON lines: compact, UTF-8 unescaped, keys in Eliot's order.
//!
//! Every message is built here into a reusable buffer, field by field, with no
//! intermediate `serde_json::Value`: that is what keeps a logging call to one
//! allocation (the finished line).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

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
    // Keys, types, UUIDs: almost every string needs no escape. Copying those
    // directly is several times cheaper than serde_json's byte-by-byte
    // escaper (which is the most expensive step of building a line) and
    // writes the very same bytes.
    if !needs_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

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

/// Builds one JSON object into a buffer.
pub(crate) struct LineWriter<'b> {
    out: &'b mut Vec<u8>,
    empty: bool,
}

impl<'b> LineWriter<'b> {
    pub(crate) fn new(out: &'b mut Vec<u8>) -> Self {
        out.push(b'{');
        LineWriter { out, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        write_str(self.out, key);
        self.out.push(b':');
    }

    /// One of Eliot's own keys (`timestamp`, `task_uuid`, ...), which need
    /// no escape: copied without the check.
    fn eliot_key(&mut self, key: &'static str) {
        debug_assert!(!needs_escape(key.as_bytes()));
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.reserve(key.len() + 3);
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// The user's fields, in order, each under its [`user_key`]. A key given
    /// twice keeps its last value (as a Python dict literal would).
    pub(crate) fn user_fields(&mut self, fields: &[Field<'_>]) {
        for (i, field) in fields.iter().enumerate() {
            let key = field.key();
            if fields[i + 1..]
                .iter()
                .any(|later| same_user_key(later.key(), key))
            {
                continue;
            }
            self.key(user_key(key));
            write_value_or_placeholder(self.out, field.value());
        }
    }

    /// A field whose value is already JSON.
    pub(crate) fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.out.extend_from_slice(json.as_bytes());
    }

    pub(crate) fn str(&mut self, key: &'static str, value: &str) {
        self.eliot_key(key);
        write_str(self.out, value);
    }

    /// A string that needs no escape (a task UUID), copied as it is.
    pub(crate) fn plain_str(&mut self, key: &'static str, value: &str) {
        debug_assert!(!needs_escape(value.as_bytes()));
        self.eliot_key(key);
        self.out.reserve(value.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
    }

    pub(crate) fn f64(&mut self, key: &'static str, value: f64) {
        self.eliot_key(key);
        let _ = serde_json::to_writer(&mut *self.out, &value);
    }

    /// `"task_level":[1]`: the only line of a task of its own.
    pub(crate) fn root_task_level(&mut self) {
        self.eliot_key("task_level");
        self.out.extend_from_slice(b"[1]");
    }

    /// One of an action's prefixes (see [`action_prefixes`]) and `slot`,
    /// closing the level: the whole position of a line in its task. Follows
    /// at least one field.
    pub(crate) fn prefixed_level(&mut self, prefix: &str, slot: u32) {
        debug_assert!(!self.empty && prefix.starts_with(','));
        self.out.extend_from_slice(prefix.as_bytes());
        write_u32(self.out, slot);
        self.out.push(b']');
    }

    pub(crate) fn finish(self) {
        self.out.push(b'}');
    }
}

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `build` with an empty buffer and returns what it wrote as a string.
///
/// The buffer is reused across calls on a thread. It is taken out of the
/// thread-local while `build` runs, so a `Serialize` impl that itself logs
/// simply gets a fresh buffer instead of a `RefCell` panic.
pub(crate) fn build_line(build: impl FnOnce(&mut Vec<u8>)) -> std::sync::Arc<str> {
    let mut buf = BUFFER
        .try_with(|b| std::mem::take(&mut *b.borrow_mut()))
        .unwrap_or_default();
    buf.clear();
    build(&mut buf);
    // Everything written is UTF-8: JSON punctuation, serde_json output and
    // escaped strings.
    let line: std::sync::Arc<str> = match std::str::from_utf8(&buf) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(&buf).into(),
    };
    if buf.capacity() <= 64 * 1024 {
        let _ = BUFFER.try_with(|b| *b.borrow_mut() = buf);
    }
    line
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
        build_line(|buf| {
            let mut writer = LineWriter::new(buf);
            build(&mut writer);
            writer.finish();
        })
        .to_string()
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
        for s in &samples {
            let mut ours = Vec::new();
            write_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
        for n in [0, 1, 9, 10, 99, 100, 65_535, u32::MAX] {
            let mut ours = Vec::new();
            write_u32(&mut ours, n);
            assert_eq!(ours, n.to_string().into_bytes());
        }
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
                let inner = build_line(|buf| buf.extend_from_slice(b"inner"));
                s.serialize_str(&inner)
            }
        }
        let text = line(|w| w.user_fields(&[Field::new("n", &Nested)]));
        assert_eq!(text, r#"{"n":"inner"}"#);
    }
}
