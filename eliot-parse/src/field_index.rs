//! Where a message's own fields are on its line: found while the line was
//! read, kept so that a tool showing the fields need not read it again.
//!
//! The one-pass reader of ordinary lines (`quick_header`) goes over every
//! key and value to check the line; it notes where each field that is not
//! one of Eliot's is. A tool that draws every message (eliot-tree) would
//! otherwise read each line twice, and the second reading cost as much as
//! the first.
//!
//! The index lives in the allocation of the line's text, after it, so that
//! a message stays 40 bytes with one allocation and its text a `str`: each
//! offset in two ASCII bytes of seven bits, then one last byte with the
//! number of fields, or [`NO_INDEX`]. Lines too long for 14-bit offsets, or
//! with too many fields, have no index. The parser packs the text of tasks
//! held open for long without it: a tool reads such lines again.

use std::ops::Range;

use smallvec::SmallVec;

/// The last byte of a stored text that has no index.
const NO_INDEX: u8 = 0x7f;

/// The most fields an index holds: its count is one ASCII byte below
/// [`NO_INDEX`].
const MAX_FIELDS: usize = NO_INDEX as usize - 1;

/// The end of the longest line indexed: offsets take 14 bits.
const MAX_OFFSET: usize = (1 << 14) - 1;

/// Four offsets a field: its key's start and end (inside the quotes), its
/// value's start and end.
const BYTES_PER_FIELD: usize = 8;

/// The fields of one line, as its reader finds them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FieldIndex {
    /// Each field's offsets, encoded (see [`FieldIndex::push`]).
    fields: SmallVec<[[u8; BYTES_PER_FIELD]; 8]>,
    /// A field's offsets did not fit, or there were too many fields.
    overflowed: bool,
}

impl FieldIndex {
    /// Notes one field: its key (inside the quotes, without escapes) and
    /// its value's JSON text, as ranges of the line's object.
    pub(crate) fn push(&mut self, key: Range<usize>, value: Range<usize>) {
        if value.end > MAX_OFFSET || self.fields.len() == MAX_FIELDS {
            self.overflowed = true;
            return;
        }
        // Both halves of each offset are below 0x80: ASCII, so that the
        // stored text stays a `str`.
        let half =
            |offset: usize, high: bool| (if high { offset >> 7 } else { offset & 0x7f }) as u8;
        self.fields.push([
            half(key.start, true),
            half(key.start, false),
            half(key.end, true),
            half(key.end, false),
            half(value.start, true),
            half(value.start, false),
            half(value.end, true),
            half(value.end, false),
        ]);
    }
}

/// The text to keep for a line: `text`, then its index if it has a usable
/// one. [`split`] takes it apart.
pub(crate) fn store(text: &str, index: Option<&FieldIndex>) -> Box<str> {
    let index = index.filter(|index| !index.overflowed && text.len() <= MAX_OFFSET);
    let encoded = index.map_or(&[][..], |index| index.fields.as_flattened());
    let mut stored = String::with_capacity(text.len() + encoded.len() + 1);
    stored.push_str(text);
    // Every encoded byte is ASCII (see `FieldIndex::push`), checked here
    // without `unsafe` in a few instructions.
    stored.push_str(std::str::from_utf8(encoded).unwrap_or_default());
    let last = index.map_or(NO_INDEX, |index| index.fields.len() as u8);
    stored.push(char::from(last));
    stored.into_boxed_str()
}

/// A text kept by [`store`]: the line, and the encoded index if it has one.
pub(crate) fn split(stored: &str) -> (&str, Option<&[u8]>) {
    let Some((&last, _)) = stored.as_bytes().split_last() else {
        return (stored, None);
    };
    if last == NO_INDEX {
        return (&stored[..stored.len() - 1], None);
    }
    let index_len = usize::from(last) * BYTES_PER_FIELD;
    let text_end = stored.len() - 1 - index_len;
    (
        &stored[..text_end],
        Some(&stored.as_bytes()[text_end..stored.len() - 1]),
    )
}

/// The fields of a message besides Eliot's own, as they were found when
/// its line was read: each key (as written; it has no escapes) with its
/// value's JSON text, in the order of the line, a repeated key as often as
/// it was written. See [`WrittenMessage::field_texts`].
///
/// [`WrittenMessage::field_texts`]: crate::WrittenMessage::field_texts
#[derive(Clone, Debug)]
pub struct FieldTexts<'a> {
    text: &'a str,
    index: std::slice::ChunksExact<'a, u8>,
}

impl<'a> FieldTexts<'a> {
    pub(crate) fn new(text: &'a str, index: &'a [u8]) -> Self {
        FieldTexts {
            text,
            index: index.chunks_exact(BYTES_PER_FIELD),
        }
    }
}

impl<'a> Iterator for FieldTexts<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let field = self.index.next()?;
        let offset = |at: usize| usize::from(field[at]) << 7 | usize::from(field[at + 1]);
        // The offsets were found at the quotes and separators of this very
        // text, which are ASCII: they fall on character boundaries.
        let key = self.text.get(offset(0)..offset(2))?;
        let value = self.text.get(offset(4)..offset(6))?;
        Some((key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.index.size_hint()
    }
}

impl ExactSizeIterator for FieldTexts<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields `index` gives for `text` once both are stored.
    fn stored_fields(text: &str, index: &FieldIndex) -> Option<Vec<(String, String)>> {
        let stored = store(text, Some(index));
        let (back, encoded) = split(&stored);
        assert_eq!(back, text);
        let fields = FieldTexts::new(back, encoded?)
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(fields)
    }

    fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn an_index_comes_back_after_its_text() {
        let text = r#"{"a":1,"é":"x","task_uuid":"t","nested":{"b":[2]}}"#;
        let mut index = FieldIndex::default();
        index.push(2..3, 5..6);
        index.push(8..10, 12..15);
        index.push(33..39, 41..50);
        assert_eq!(
            stored_fields(text, &index).unwrap(),
            owned(&[("a", "1"), ("é", r#""x""#), ("nested", r#"{"b":[2]}"#)])
        );
        // No field at all is an index too: the reader saw every one.
        assert_eq!(
            stored_fields(r#"{"task_uuid":"t"}"#, &FieldIndex::default()).unwrap(),
            owned(&[])
        );
    }

    #[test]
    fn a_message_read_in_one_pass_has_its_fields_and_others_read_them_again() {
        use crate::WrittenMessage;
        let header = r#""timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m""#;
        let plain =
            WrittenMessage::from_json(&format!(r#"{{"a":[1,{{"b":"c"}}],{header},"d":"e"}}"#))
                .unwrap();
        let fields: Vec<_> = plain.field_texts().unwrap().collect();
        assert_eq!(fields, [("a", r#"[1,{"b":"c"}]"#), ("d", r#""e""#)]);
        // A key with an escape, and a line too long for the index: read again.
        for line in [
            format!(r#"{{"tab\tkey":1,{header}}}"#),
            format!(r#"{{"long":"{}",{header}}}"#, "x".repeat(MAX_OFFSET)),
        ] {
            let message = WrittenMessage::from_json(&line).unwrap();
            assert!(message.field_texts().is_none(), "{line:.40}");
            assert_eq!(message.as_json(), line);
        }
    }

    #[test]
    fn lines_too_long_or_with_too_many_fields_have_no_index() {
        let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(MAX_OFFSET));
        let mut index = FieldIndex::default();
        index.push(2..3, 5..long.len() - 1);
        assert_eq!(stored_fields(&long, &index), None);

        let mut index = FieldIndex::default();
        for _ in 0..=MAX_FIELDS {
            index.push(2..3, 5..6);
        }
        assert_eq!(stored_fields(r#"{"a":1}"#, &index), None);

        let unindexed = store("{}", None);
        assert_eq!(split(&unindexed), ("{}", None));
    }
}
