//! Writing Eliot's JSON lines: compact, UTF-8 unescaped, keys in Eliot's order.
//!
//! Every message is built here into a reusable buffer, field by field, with no
//! intermediate `serde_json::Value`: that is what keeps a logging call to one
//! allocation (the finished line).

use std::cell::RefCell;

use crate::field::{Field, FieldValue};

/// Keys that always hold Eliot's own values.
pub(crate) const RESERVED_KEYS: [&str; 6] = [
    "timestamp",
    "task_uuid",
    "task_level",
    "action_status",
    "action_type",
    "message_type",
];

/// The prefix a user field gets when its name is one of [`RESERVED_KEYS`].
pub(crate) const RENAMED_PREFIX: &str = "user:";

/// The key of the object written in place of a value that failed to serialize.
pub(crate) const UNSERIALIZABLE_KEY: &str = "eliot:unserializable";

pub(crate) fn is_reserved(key: &str) -> bool {
    RESERVED_KEYS.contains(&key)
}

/// Writes `value`'s JSON, or, when its serialization fails, the placeholder
/// `{"eliot:unserializable":"<type>","error":"<error>"}`, so that one bad
/// field never costs the rest of the message.
pub(crate) fn write_value_or_placeholder(out: &mut Vec<u8>, value: &dyn FieldValue) {
    let mark = out.len();
    if let Err(error) = value.write_json(out) {
        out.truncate(mark);
        out.extend_from_slice(b"{");
        write_str(out, UNSERIALIZABLE_KEY);
        out.push(b':');
        write_str(out, value.type_name());
        out.extend_from_slice(b",\"error\":");
        write_str(out, &error.to_string());
        out.push(b'}');
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
fn write_u32(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

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

    /// The user's fields, in order. A key given twice keeps its last value (as
    /// a Python dict literal would); a reserved key is kept under
    /// `user:<key>` so that Eliot's own fields are never shadowed and the
    /// user's value is never lost.
    pub(crate) fn user_fields(&mut self, fields: &[Field<'_>]) {
        for (i, field) in fields.iter().enumerate() {
            let key = field.key();
            if fields[i + 1..].iter().any(|later| later.key() == key) {
                continue;
            }
            if is_reserved(key) {
                if !self.empty {
                    self.out.push(b',');
                }
                self.empty = false;
                let mut renamed = String::with_capacity(RENAMED_PREFIX.len() + key.len());
                renamed.push_str(RENAMED_PREFIX);
                renamed.push_str(key);
                write_str(self.out, &renamed);
                self.out.push(b':');
            } else {
                self.key(key);
            }
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

    pub(crate) fn f64(&mut self, key: &'static str, value: f64) {
        self.eliot_key(key);
        let _ = serde_json::to_writer(&mut *self.out, &value);
    }

    /// `"task_level":[prefix..., last]`
    pub(crate) fn task_level(&mut self, prefix: &[u32], last: u32) {
        self.eliot_key("task_level");
        self.out.push(b'[');
        for &n in prefix {
            write_u32(self.out, n);
            self.out.push(b',');
        }
        write_u32(self.out, last);
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
            w.task_level(&[3, 1], 2);
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
        assert_eq!(line(|w| w.task_level(&[], 1)), r#"{"task_level":[1]}"#);
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
