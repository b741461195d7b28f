//! A message's fields, read for drawing: borrowed from the line where
//! possible, with hidden keys skipped unread.
//!
//! Drawing a large log parses every message's fields once. Building
//! `serde_json::Value` maps for that would allocate a map node, a key and a
//! string per field; here keys and strings without escapes borrow from the
//! line, entries are a sorted `Vec`, and hidden keys (Eliot's own) are
//! skipped without being built.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The keys not shown as fields: looked up for every field of every message
/// drawn, with foldhash, faster than std's SipHash on such short keys and
/// seeded at random as it is.
pub(crate) type HiddenKeys = foldhash::HashSet<String>;

/// Eliot's own keys, which each node's name shows, and `ignored` ones.
pub(crate) fn hidden_keys(ignored: &[String]) -> HiddenKeys {
    eliot_parse::RESERVED_KEYS
        .iter()
        .map(|k| (*k).to_owned())
        .chain(ignored.iter().cloned())
        .collect()
}

/// A JSON value, its strings borrowed from the line where possible.
#[derive(Debug, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Val<'a>>),
    /// Entries sorted by key, as they are shown.
    Obj(Vec<(Cow<'a, str>, Val<'a>)>),
}

/// The fields of the message `line` that are not in `hidden`, sorted by key
/// (a key given twice keeps its last value, as JSON readers do).
pub(crate) fn shown_fields<'a>(line: &'a str, hidden: &HiddenKeys) -> Vec<(Cow<'a, str>, Val<'a>)> {
    fields_of(line, hidden)
}

/// The fields of the message `line` that are not in `hidden`, sorted by key
/// (the last of a repeated key kept), each value as its JSON text in the
/// line.
pub(crate) fn raw_fields<'a>(
    line: &'a str,
    hidden: &HiddenKeys,
) -> Vec<(Cow<'a, str>, &'a RawValue)> {
    fields_of(line, hidden)
}

fn fields_of<'a, V: Deserialize<'a>>(line: &'a str, hidden: &HiddenKeys) -> Fields<'a, V> {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    // The line was read as a JSON object when it was parsed.
    ObjectSeed {
        hidden: Some(hidden),
        values: PhantomData,
    }
    .deserialize(&mut deserializer)
    .unwrap_or_default()
}

/// Entries of an object, sorted by key.
type Fields<'a, V> = Vec<(Cow<'a, str>, V)>;

/// Sorts entries by key; of equal keys, the last one logged wins.
fn sort_entries<T>(entries: &mut Vec<(Cow<'_, str>, T)>) {
    if entries.is_sorted_by(|a, b| a.0 < b.0) {
        return;
    }
    // Reversed, the stable sort puts the last of equal keys first, and
    // `dedup_by` keeps the first of each run, in one pass (removing each
    // duplicate in place took time quadratic in the number of keys).
    entries.reverse();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|later, first| later.0 == first.0);
}

/// Reads an object's entries, values as `V`.
struct ObjectSeed<'h, V> {
    hidden: Option<&'h HiddenKeys>,
    values: PhantomData<V>,
}

impl<'de, V: Deserialize<'de>> DeserializeSeed<'de> for ObjectSeed<'_, V> {
    type Value = Fields<'de, V>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, V: Deserialize<'de>> Visitor<'de> for ObjectSeed<'_, V> {
    type Value = Fields<'de, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.hidden.is_some_and(|hidden| hidden.contains(&*key)) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            entries.push((key, map.next_value::<V>()?));
        }
        sort_entries(&mut entries);
        Ok(entries)
    }
}

/// A key, borrowed from the line when it has no escapes (serde's
/// `borrow` of a `Cow<str>`; eliot-tokio reads keys the same way).
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValVisitor;
        impl<'de> Visitor<'de> for ValVisitor {
            type Value = Val<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Val<'de>, E> {
                Ok(Val::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Val<'de>, E> {
                Ok(Val::Bool(b))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Val<'de>, E> {
                Ok(Val::U64(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Val<'de>, E> {
                Ok(Val::I64(n))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Val<'de>, E> {
                Ok(Val::F64(n))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Val<'de>, E> {
                Ok(Val::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Val<'de>, E> {
                Ok(Val::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(item) = seq.next_element::<Val<'de>>()? {
                    items.push(item);
                }
                Ok(Val::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val<'de>, A::Error> {
                ObjectSeed {
                    hidden: None,
                    values: PhantomData,
                }
                .visit_map(map)
                .map(Val::Obj)
            }
        }
        deserializer.deserialize_any(ValVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_sorted_hidden_keys_skipped_and_the_last_duplicate_kept() {
        let hidden: HiddenKeys = ["task_uuid".to_owned()].into_iter().collect();
        let line = r#"{"b":1,"task_uuid":"x","a":{"z":null,"y":[true,-2,0.5]},"b":"last","s":"tab\there"}"#;
        let fields = shown_fields(line, &hidden);
        let keys: Vec<&str> = fields.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, ["a", "b", "s"]);
        assert_eq!(fields[1].1, Val::Str("last".into()));
        assert!(matches!(&fields[2].1, Val::Str(Cow::Owned(s)) if s == "tab\there"));
        let Val::Obj(nested) = &fields[0].1 else {
            panic!()
        };
        assert_eq!(nested[0].0, "y");
        assert_eq!(
            nested[0].1,
            Val::Arr(vec![Val::Bool(true), Val::I64(-2), Val::F64(0.5)])
        );
        assert_eq!(nested[1], ("z".into(), Val::Null));
    }

    #[test]
    fn keys_are_borrowed_from_the_line_unless_they_have_escapes() {
        let fields = shown_fields(r#"{"plain":1,"tab\tkey":2}"#, &HiddenKeys::default());
        assert!(matches!(&fields[0].0, Cow::Borrowed("plain")));
        assert!(matches!(&fields[1].0, Cow::Owned(key) if key == "tab\tkey"));
    }

    #[test]
    fn of_many_repeated_keys_each_keeps_its_last_value() {
        let mut line = String::from("{");
        for i in 0..1000 {
            line += &format!(r#""k{:04}":{i},"k{:04}":"last","#, 999 - i, 999 - i);
        }
        line += r#""a":1,"a":2,"a":3}"#;
        let fields = shown_fields(&line, &HiddenKeys::default());
        assert_eq!(fields.len(), 1001);
        assert_eq!(fields[0], ("a".into(), Val::U64(3)));
        assert_eq!(fields[1], ("k0000".into(), Val::Str("last".into())));
        assert!(
            fields[1..]
                .iter()
                .all(|(_, v)| *v == Val::Str("last".into()))
        );
        assert!(fields.is_sorted_by(|a, b| a.0 < b.0));
    }
}
