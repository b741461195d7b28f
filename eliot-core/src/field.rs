//! Fields: the `key = value` pairs a message or action carries.
//!
//! A field's value is anything that implements [`serde::Serialize`]. Values are
//! serialized straight into the message's JSON line when the message is
//! created, so a field borrows its value only for the duration of the call.
//! A list or map of more than [`MAX_COLLECTION_LEN`](crate::MAX_COLLECTION_LEN)
//! items is cut to its first items and its length (see [`FieldValue`]).

use std::cell::Cell;
use std::fmt;

use serde::Serialize;

/// A value that can be written as one JSON value.
///
/// Implemented for every [`Serialize`] type; you never implement it yourself.
/// It exists so that a slice of fields can hold values of different types
/// without boxing them.
///
/// A list or map of more than [`MAX_COLLECTION_LEN`](crate::MAX_COLLECTION_LEN)
/// items, at any depth of the value, is written with its first
/// `MAX_COLLECTION_LEN` items and its length, in the form Python Eliot writes
/// a huge NumPy array: `{"array_start":[..],"original_shape":[n]}` for a list,
/// `{"map_start":{..},"original_size":n}` for a map. Strings are never cut.
///
/// ```
/// use eliot_core::{FieldValue, MAX_COLLECTION_LEN};
///
/// let mut out = Vec::new();
/// vec![1, 2].write_json(&mut out).unwrap();
/// assert_eq!(out, b"[1,2]");
///
/// out.clear();
/// vec![0_u8; MAX_COLLECTION_LEN + 1].write_json(&mut out).unwrap();
/// assert!(out.starts_with(b"{\"array_start\":[0,0,"));
/// assert!(out.ends_with(b"],\"original_shape\":[10001]}"));
/// ```
pub trait FieldValue {
    /// Appends the value's JSON to `out`. On error, `out` may hold a partial
    /// value; the caller truncates it.
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error>;

    /// The Rust type of the value, named in the placeholder written when
    /// serialization fails.
    fn type_name(&self) -> &'static str;
}

impl<T: Serialize + ?Sized> FieldValue for T {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        crate::util::cut::write_field(self, out)
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}

/// One `key = value` pair, borrowed for the length of a logging call.
///
/// Usually built by the [`fields!`](crate::fields) macro or by the field lists
/// of [`log_message!`](macro@crate::log_message) and [`start_action!`](macro@crate::start_action).
///
/// ```
/// use eliot_core::Field;
///
/// let user = "alice";
/// let fields = [Field::new("user", &user), Field::new("attempt", &3)];
/// assert_eq!(fields[0].key(), "user");
/// ```
#[derive(Clone, Copy)]
pub struct Field<'a> {
    key: &'a str,
    value: &'a dyn FieldValue,
}

impl<'a> Field<'a> {
    /// A field named `key` holding `value`.
    pub fn new(key: &'a str, value: &'a dyn FieldValue) -> Self {
        Field { key, value }
    }

    /// The field's name.
    pub fn key(&self) -> &'a str {
        self.key
    }

    /// The field's value.
    pub fn value(&self) -> &'a dyn FieldValue {
        self.value
    }
}

impl fmt::Debug for Field<'_> {
    /// The value as it would be logged: its JSON, or the placeholder of a
    /// value that cannot be serialized (or panics trying).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut json = Vec::new();
        crate::util::json::write_value_or_placeholder(&mut json, self.value);
        f.debug_struct("Field")
            .field("key", &self.key)
            .field("value", &crate::util::json::utf8(json))
            .finish()
    }
}

/// Fields serialized ahead of time, owned: success fields waiting for an
/// action's end, extracted fields of a failure, and global fields.
#[derive(Clone, Debug, Default)]
pub(crate) struct OwnedFields {
    /// `(key, JSON value)` pairs, in insertion order, keys unique. Keys are
    /// kept as they are written ([`user_key`](crate::util::json::user_key)), so a
    /// reserved key is already `user:<key>` here.
    entries: Vec<(Box<str>, Box<str>)>,
}

impl OwnedFields {
    pub(crate) const fn new() -> Self {
        OwnedFields {
            entries: Vec::new(),
        }
    }

    /// Serializes `fields` and adds them; a key already present is replaced in
    /// place, keeping its position (later values win, as with Python's
    /// `dict.update`).
    pub(crate) fn extend(&mut self, fields: &[Field<'_>]) {
        for field in fields {
            let mut json = Vec::new();
            crate::util::json::write_value_or_placeholder(&mut json, field.value);
            let json = crate::util::json::utf8(json).into_boxed_str();
            self.insert(crate::util::json::user_key(field.key), json);
        }
    }

    /// Adds fields serialized earlier, as [`extend`](Self::extend) adds
    /// them: for shared fields (global, success), whose values are
    /// serialized before their lock is taken, since a value's `Serialize`
    /// impl may log or add fields itself.
    pub(crate) fn merge(&mut self, other: OwnedFields) {
        for (key, json) in other.entries {
            self.insert(key, json);
        }
    }

    /// Sets `key` (as written) to `json`, in place if it is present; a key
    /// already boxed is kept, not copied.
    fn insert(&mut self, key: impl AsRef<str> + Into<Box<str>>, json: Box<str>) {
        match self.entries.iter_mut().find(|(k, _)| **k == *key.as_ref()) {
            Some(entry) => entry.1 = json,
            None => self.entries.push((key.into(), json)),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (&**k, &**v))
    }

    /// Whether `key`, as written, is one of these fields' keys.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| &**k == key)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Writes a value with its [`Debug`](fmt::Debug) form as a JSON string; what
/// `key = ?value` means in the field macros.
///
/// ```
/// use eliot_core::DebugValue;
///
/// let v = DebugValue(Some(3));
/// assert_eq!(serde_json::to_string(&v).unwrap(), r#""Some(3)""#);
/// ```
#[derive(Clone, Copy)]
pub struct DebugValue<T>(pub T);

impl<T: fmt::Debug> Serialize for DebugValue<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        collect_checked(serializer, &format_args!("{:?}", self.0))
    }
}

impl<T: fmt::Debug> fmt::Debug for DebugValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Writes a value with its [`Display`](fmt::Display) form as a JSON string;
/// what `key = %value` means in the field macros.
///
/// ```
/// use eliot_core::DisplayValue;
///
/// let addr: std::net::Ipv4Addr = "10.0.0.1".parse().unwrap();
/// assert_eq!(serde_json::to_string(&DisplayValue(addr)).unwrap(), r#""10.0.0.1""#);
/// ```
#[derive(Clone, Copy)]
pub struct DisplayValue<T>(pub T);

impl<T: fmt::Display> Serialize for DisplayValue<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        collect_checked(serializer, &self.0)
    }
}

/// `serializer.collect_str(value)`, except that a `fmt` impl returning an
/// error of its own (which `fmt`'s contract forbids: only the writer may fail,
/// and serde_json panics when it did not) fails the serialization with an
/// error that says so, and the field becomes a placeholder.
fn collect_checked<S: serde::Serializer>(
    serializer: S,
    value: &dyn fmt::Display,
) -> Result<S::Ok, S::Error> {
    let checked = Checked {
        value,
        failed: Cell::new(false),
    };
    let written = serializer.collect_str(&checked);
    if checked.failed.get() {
        return Err(serde::ser::Error::custom(
            "its fmt implementation returned an error",
        ));
    }
    written
}

/// Shows `value`, and when its `fmt` returns an error the writer did not
/// cause, records it in `failed` and ends the text there.
struct Checked<'a> {
    value: &'a dyn fmt::Display,
    failed: Cell<bool>,
}

impl fmt::Display for Checked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Writer<'a, 'f> {
            out: &'a mut fmt::Formatter<'f>,
            failed: bool,
        }
        impl fmt::Write for Writer<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let written = self.out.write_str(s);
                self.failed |= written.is_err();
                written
            }
        }
        let mut writer = Writer {
            out: f,
            failed: false,
        };
        match fmt::write(&mut writer, format_args!("{}", self.value)) {
            Err(fmt::Error) if !writer.failed => {
                self.failed.set(true);
                Ok(())
            }
            written => written,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for DisplayValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes `room` bytes, then fails.
    struct Full {
        room: usize,
    }

    impl std::io::Write for Full {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::other("t: disk full"));
            }
            let n = bytes.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A field is shown as it is logged: a value that cannot be serialized,
    /// or panics trying, shows its placeholder instead of failing `Debug`.
    #[test]
    fn a_field_is_debugged_as_it_is_logged() {
        struct Panics;
        impl Serialize for Panics {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                panic!("t: serialize exploded");
            }
        }
        let fine = format!("{:?}", Field::new("n", &1));
        assert_eq!(fine, r#"Field { key: "n", value: "1" }"#);
        let shown = std::panic::catch_unwind(|| format!("{:?}", Field::new("bad", &Panics)));
        let shown = shown.expect("Debug of a field whose value panics");
        assert!(shown.contains("eliot:unserializable"), "{shown}");
        assert!(shown.contains("panicked: t: serialize exploded"), "{shown}");
    }

    /// Only a `fmt` impl's own error is blamed on the value: the writer's
    /// failure while a value is shown stays the writer's error.
    #[test]
    fn a_writer_failing_under_a_shown_value_keeps_its_own_error() {
        for value in [
            serde_json::to_writer(Full { room: 1 }, &DisplayValue("shown")),
            serde_json::to_writer(Full { room: 1 }, &DebugValue("shown")),
        ] {
            let error = value.unwrap_err();
            assert!(error.is_io(), "{error}");
            assert!(error.to_string().contains("t: disk full"), "{error}");
        }
    }
}
