//! A message's fields, read for drawing: each key with its value's JSON
//! text, borrowed from the line, sorted, with hidden keys skipped.
//!
//! Drawing a large log reads every message's fields once. Building a tree
//! of values for that would allocate a node per string, array and object;
//! here the line is read once in place ([`crate::json_text`]), and each
//! value is drawn from its text.

use std::borrow::Cow;

use eliot_parse::WrittenMessage;

use crate::json_text::{Check, Reader};

/// The keys not shown as fields, looked up for every field of every message
/// drawn.
#[derive(Clone, Debug, Default)]
pub(crate) struct HiddenKeys {
    /// With foldhash, faster than std's SipHash on such short keys and
    /// seeded at random as it is.
    keys: foldhash::HashSet<String>,
    /// Bit `n % 64` is set when a hidden key has `n` bytes: most shown keys
    /// are told apart by their length alone, without hashing.
    lengths: u64,
    /// The same, for the hidden keys that are not Eliot's own: none, unless
    /// some are ignored.
    other_lengths: u64,
}

impl HiddenKeys {
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.lengths & length_bit(key) != 0 && self.keys.contains(key)
    }

    /// [`contains`](Self::contains) for a key known not to be one of
    /// Eliot's: most often no key is hidden besides those.
    fn contains_other(&self, key: &str) -> bool {
        self.other_lengths & length_bit(key) != 0 && self.keys.contains(key)
    }
}

fn length_bit(key: &str) -> u64 {
    1 << (key.len() % 64)
}

impl FromIterator<String> for HiddenKeys {
    fn from_iter<I: IntoIterator<Item = String>>(keys: I) -> Self {
        let keys: foldhash::HashSet<String> = keys.into_iter().collect();
        let lengths = |keys: &mut dyn Iterator<Item = &String>| {
            keys.fold(0, |lengths, key| lengths | length_bit(key))
        };
        HiddenKeys {
            lengths: lengths(&mut keys.iter()),
            other_lengths: lengths(
                &mut keys
                    .iter()
                    .filter(|key| !eliot_parse::RESERVED_KEYS.contains(&key.as_str())),
            ),
            keys,
        }
    }
}

/// Eliot's own keys, which each node's name shows, and `ignored` ones.
pub(crate) fn hidden_keys(ignored: &[String]) -> HiddenKeys {
    eliot_parse::RESERVED_KEYS
        .iter()
        .map(|k| (*k).to_owned())
        .chain(ignored.iter().cloned())
        .collect()
}

/// Entries of an object sorted by key (the key unescaped), each value as
/// its JSON text.
pub(crate) type Fields<'a> = Vec<(Cow<'a, str>, &'a str)>;

/// The fields of `message` that are not in `hidden` (which holds Eliot's
/// own keys, as [`hidden_keys`] makes it), sorted by key (a key given twice
/// keeps its last value), each value's JSON text read as `check` says. From
/// where the parser found them when it read the line, if it kept that; else
/// by reading the line again.
pub(crate) fn message_fields<'a>(
    message: &'a WrittenMessage,
    hidden: &HiddenKeys,
    check: Check,
) -> Fields<'a> {
    debug_assert!(
        eliot_parse::RESERVED_KEYS
            .iter()
            .all(|key| hidden.contains(key))
    );
    let Some(indexed) = message.field_texts() else {
        return entries(message.as_json(), Some(hidden), check);
    };
    // The parser's one-pass reader found these values readable by
    // serde_json, so they pass either check; Eliot's keys are not among them.
    let mut fields: Fields<'a> = Vec::with_capacity(indexed.len());
    for (key, value) in indexed {
        if !hidden.contains_other(key) {
            insert_sorted(&mut fields, Cow::Borrowed(key), value);
        }
    }
    fields
}

/// Inserts an entry into entries sorted by key; an entry of the same key
/// takes the new value, as the last of a repeated key wins. Messages have a
/// few fields: a linear search from the end, where keys written in order go.
fn insert_sorted<'a>(fields: &mut Fields<'a>, key: Cow<'a, str>, value: &'a str) {
    let mut at = fields.len();
    while at > 0 && fields[at - 1].0 > key {
        at -= 1;
    }
    match fields.get_mut(at.wrapping_sub(1)) {
        Some(before) if before.0 == key => before.1 = value,
        _ => fields.insert(at, (key, value)),
    }
}

/// The fields of the message `line` that are not in `hidden`, sorted by key
/// (a key given twice keeps its last value, as JSON readers do): the tests'
/// reference for [`message_fields`]. None when serde_json could not read
/// them into values (nesting past its limit, a number beyond an `f64`), as
/// the drawing has always shown such fields.
#[cfg(test)]
pub(crate) fn shown_fields<'a>(line: &'a str, hidden: &HiddenKeys) -> Fields<'a> {
    entries(line, Some(hidden), Check::AsRead)
}

/// The fields of the message `line` that are not in `hidden`, sorted by key
/// (the last of a repeated key kept), each value as it was logged, whatever
/// its depth or size.
#[cfg(test)]
pub(crate) fn raw_fields<'a>(line: &'a str, hidden: &HiddenKeys) -> Fields<'a> {
    entries(line, Some(hidden), Check::Syntax)
}

/// The entries of `object`, the JSON text of a value already read with its
/// message's fields, sorted by key.
pub(crate) fn object_entries(object: &str) -> Fields<'_> {
    entries(object, None, Check::Syntax)
}

/// The elements of `array`, the JSON text of a value already read with its
/// message's fields, each as its JSON text.
pub(crate) fn array_elements(array: &str) -> impl Iterator<Item = &str> {
    Reader::new(array).elements()
}

fn entries<'a>(object: &'a str, hidden: Option<&HiddenKeys>, check: Check) -> Fields<'a> {
    let mut entries = Vec::with_capacity(8);
    let read = Reader::new(object).object(|key, reader| {
        if hidden.is_some_and(|hidden| hidden.contains(&key)) {
            reader.value(Check::Syntax)?;
        } else {
            entries.push((key, reader.value(check)?));
        }
        Ok(())
    });
    if read.is_err() {
        return Vec::new();
    }
    sort_entries(&mut entries);
    entries
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_sorted_hidden_keys_skipped_and_the_last_duplicate_kept() {
        let hidden: HiddenKeys = ["task_uuid".to_owned()].into_iter().collect();
        let line = r#"{"b":1,"task_uuid":"x","a":{"z":null,"y":[true,-2,0.5]},"b":"last","s":"tab\there"}"#;
        let fields = shown_fields(line, &hidden);
        assert_eq!(
            fields,
            [
                ("a".into(), r#"{"z":null,"y":[true,-2,0.5]}"#),
                ("b".into(), r#""last""#),
                ("s".into(), r#""tab\there""#)
            ]
        );
        let nested = object_entries(fields[0].1);
        assert_eq!(
            nested,
            [("y".into(), "[true,-2,0.5]"), ("z".into(), "null")]
        );
        let elements: Vec<&str> = array_elements(nested[0].1).collect();
        assert_eq!(elements, ["true", "-2", "0.5"]);
    }

    #[test]
    fn keys_are_borrowed_from_the_line_unless_they_have_escapes() {
        let fields = shown_fields(r#"{"plain":1,"tab\tkey":2}"#, &HiddenKeys::default());
        assert!(matches!(&fields[0].0, Cow::Borrowed("plain")));
        assert!(matches!(&fields[1].0, Cow::Owned(key) if key == "tab\tkey"));
    }

    #[test]
    fn hidden_keys_are_found_whatever_their_length() {
        let hidden: HiddenKeys = ["", "k", "task_level", &"x".repeat(64), &"y".repeat(65)]
            .map(String::from)
            .into_iter()
            .collect();
        for key in ["", "k", "task_level", &"x".repeat(64), &"y".repeat(65)] {
            assert!(hidden.contains(key), "{key}");
        }
        // Same lengths as hidden ones (65 and 1 share a bit), other keys.
        for key in ["j", "x", "task_lever", &"x".repeat(65)] {
            assert!(!hidden.contains(key), "{key}");
        }
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
        assert_eq!(fields[0], ("a".into(), "3"));
        assert_eq!(fields[1], ("k0000".into(), r#""last""#));
        assert!(fields[1..].iter().all(|(_, v)| *v == r#""last""#));
        assert!(fields.is_sorted_by(|a, b| a.0 < b.0));
    }
}
