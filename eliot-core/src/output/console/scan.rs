//! Finding the fields of a message's JSON line without building them.
//!
//! The console shows every field, but only a few need their value read
//! (the timestamp, the task and level, the type and status); the others are
//! printed from their JSON text. So one pass over the line notes where each
//! top-level key and value lies, and nothing is allocated. A line that is
//! not a JSON object is reported as such and shown as it is.

use std::ops::Range;

/// Where one top-level field lies in its line: its key, between the quotes
/// (JSON escapes left in), and its value's JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FieldSpan {
    pub(super) key: Range<usize>,
    pub(super) value: Range<usize>,
    /// Whether the key holds a JSON escape (a backslash).
    pub(super) key_escaped: bool,
    /// Whether the value, if a string, holds a JSON escape.
    pub(super) value_escaped: bool,
}

/// Notes where the fields of the JSON object `line` lie, in their order,
/// into `fields`. False when `line` is not a JSON object.
///
/// Only what is needed to find the fields is checked: a line produced by a
/// JSON writer is always read right, and any other text is refused or read
/// as some fields, never with a panic or a slice out of bounds.
pub(super) fn scan(line: &str, fields: &mut Vec<FieldSpan>) -> bool {
    fields.clear();
    let b = line.as_bytes();
    let mut at = skip_space(b, 0);
    if b.get(at) != Some(&b'{') {
        return false;
    }
    at = skip_space(b, at + 1);
    if b.get(at) == Some(&b'}') {
        return skip_space(b, at + 1) == b.len();
    }
    loop {
        if b.get(at) != Some(&b'"') {
            return false;
        }
        let Some((key_end, key_escaped)) = string_end(b, at + 1) else {
            return false;
        };
        let key = at + 1..key_end;
        // Compact JSON has no space around `:` and `,`: the common case is
        // tested first.
        at = key_end + 1;
        if b.get(at) != Some(&b':') {
            at = skip_space(b, at);
            if b.get(at) != Some(&b':') {
                return false;
            }
        }
        at += 1;
        if b.get(at).is_some_and(u8::is_ascii_whitespace) {
            at = skip_space(b, at);
        }
        let Some((value_end, value_escaped)) = value_end(b, at) else {
            return false;
        };
        fields.push(FieldSpan {
            key,
            value: at..value_end,
            key_escaped,
            value_escaped,
        });
        at = value_end;
        match b.get(at) {
            Some(b',') if b.get(at + 1) == Some(&b'"') => at += 1,
            Some(b'}') if at + 1 == b.len() => return true,
            _ => match b.get(skip_space(b, at)) {
                Some(b',') => at = skip_space(b, skip_space(b, at) + 1),
                Some(b'}') => return skip_space(b, skip_space(b, at) + 1) == b.len(),
                _ => return false,
            },
        }
    }
}

fn skip_space(b: &[u8], mut at: usize) -> usize {
    while at < b.len() && matches!(b[at], b' ' | b'\t' | b'\n' | b'\r') {
        at += 1;
    }
    at
}

/// The index of the quote that closes the string whose contents start at
/// `at`, and whether the string holds an escape.
#[inline(always)]
fn string_end(b: &[u8], mut at: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        // Eight bytes at a time, straight to the first quote or backslash:
        // keys and values are mostly short, where a search set up for long
        // texts costs more than it saves.
        at = first_of(b, at, |word| marks(word, b'"') | marks(word, b'\\'))?;
        if b[at] == b'"' {
            return Some((at, escaped));
        }
        escaped = true;
        at += 2; // past the escaped character
    }
}

/// The index of the first byte from `at` on that `find` marks in its
/// eight-byte word (see [`marks`]), or of the first such byte in a
/// shorter tail; `None` if there is none.
#[inline(always)]
fn first_of(b: &[u8], mut at: usize, find: impl Fn(u64) -> u64) -> Option<usize> {
    while let Some(chunk) = b.get(at..at + 8) {
        let found = find(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    // Fewer than eight bytes left: padded with a byte no search marks.
    let tail = b.get(at..)?;
    let mut word = [0xff; 8];
    word[..tail.len()].copy_from_slice(tail);
    let found = find(u64::from_le_bytes(word));
    let index = found.trailing_zeros() as usize / 8;
    (found != 0 && index < tail.len()).then_some(at + index)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte of `word` that equals `byte`, and no other
/// bit (exact: no carry crosses from one byte to the next).
#[inline(always)]
fn marks(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    !(((x & LOWS) + LOWS) | x) & HIGHS
}

/// Whether the eight bytes of `word` are all printable ASCII (0x20 to
/// 0x7e): text that can be copied as it is.
pub(super) fn all_printable(word: u64) -> bool {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    let del_or_above = (word | word.wrapping_add(ONES)) & HIGHS;
    below_space | del_or_above == 0
}

/// The end of the JSON value that starts at `at`, and for a string whether
/// it holds an escape.
#[inline(always)]
fn value_end(b: &[u8], at: usize) -> Option<(usize, bool)> {
    match *b.get(at)? {
        b'"' => string_end(b, at + 1).map(|(end, escaped)| (end + 1, escaped)),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < b.len() {
                match b[i] {
                    b'"' => i = string_end(b, i + 1)?.0,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((i + 1, false));
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        // A number, `true`, `false` or `null`: up to what may follow a
        // value. Byte by byte: these are short, shorter than a search set
        // up for words pays back.
        _ => {
            let mut end = at;
            while end < b.len() && !ENDS_A_SCALAR[usize::from(b[end])] {
                end += 1;
            }
            (end > at).then_some((end, false))
        }
    }
}

/// The bytes that end a number, `true`, `false` or `null`: what may follow
/// a value (`,`, `}`, `]`) and whitespace.
static ENDS_A_SCALAR: [bool; 256] = {
    let mut ends = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        ends[i] = matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace();
        i += 1;
    }
    ends
};

/// The contents of a JSON string value (between its quotes), or `None` for
/// any other value.
pub(super) fn string_contents(value: &str) -> Option<&str> {
    value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> Option<Vec<(&str, &str)>> {
        let mut fields = Vec::new();
        scan(line, &mut fields).then(|| {
            fields
                .iter()
                .map(|f| (&line[f.key.clone()], &line[f.value.clone()]))
                .collect()
        })
    }

    #[test]
    fn every_kind_of_value_is_found_whole() {
        let line = r#"{"s":"a \"q\" {]","n":-1.5e3,"t":true,"z":null,"o":{"k":[1,{"x":"}"}]},"a":[],"e\"k":"v"}"#;
        assert_eq!(
            pairs(line).unwrap(),
            [
                ("s", r#""a \"q\" {]""#),
                ("n", "-1.5e3"),
                ("t", "true"),
                ("z", "null"),
                ("o", r#"{"k":[1,{"x":"}"}]}"#),
                ("a", "[]"),
                (r#"e\"k"#, r#""v""#),
            ]
        );
    }

    #[test]
    fn whitespace_between_tokens_is_allowed() {
        assert_eq!(
            pairs(" { \"a\" : 1 ,\t\"b\":[1, 2] } ").unwrap(),
            [("a", "1"), ("b", "[1, 2]")]
        );
        assert_eq!(
            pairs("{\"a\":12\t,\"b\":true\n}").unwrap(),
            [("a", "12"), ("b", "true")]
        );
        assert_eq!(pairs("{}").unwrap(), []);
    }

    #[test]
    fn what_is_not_an_object_is_refused() {
        for line in [
            "",
            "[1]",
            "\"x\"",
            "{\"a\":1",
            "{\"a\" 1}",
            "{\"a\":}",
            "{\"a\":1}x",
            "{\"a\":\"open}",
            "{\"a\":[1,2}",
            "{a:1}",
        ] {
            assert_eq!(pairs(line), None, "{line:?}");
        }
    }

    #[test]
    fn escapes_are_noticed_in_keys_and_string_values() {
        let line = r#"{"plain key":"a longer plain value","k\u00e9y":"v\"","n":1}"#;
        let mut fields = Vec::new();
        assert!(scan(line, &mut fields));
        let flags: Vec<_> = fields
            .iter()
            .map(|f| (f.key_escaped, f.value_escaped))
            .collect();
        assert_eq!(flags, [(false, false), (true, true), (false, false)]);
    }

    #[test]
    fn words_are_searched_for_a_byte_and_tested_for_printable_ascii() {
        let word = |text: &[u8; 8]| u64::from_le_bytes(*text);
        assert_eq!(marks(word(b"abcdefg\""), b'"'), 0x80 << 56);
        assert_eq!(marks(word(b"\"\"cdefgh"), b'"'), 0x8080);
        assert_eq!(marks(word(b"\\bcdefgh"), b'\\'), 0x80);
        assert_eq!(marks(word(b"abcdefgh"), b'"'), 0);
        // No false match next to a real one, nor for bytes one off.
        assert_eq!(
            marks(word(b"!#\"\x00\xff\"#!"), b'"'),
            0x80 << 16 | 0x80 << 40
        );
        let line = b"0123456789,abc";
        assert_eq!(first_of(line, 0, |w| marks(w, b',')), Some(10));
        assert_eq!(first_of(line, 11, |w| marks(w, b'c')), Some(13));
        assert_eq!(first_of(line, 11, |w| marks(w, b'z')), None);
        assert_eq!(first_of(line, 14, |w| marks(w, b'z')), None);
        assert_eq!(first_of(line, 15, |w| marks(w, b'z')), None);
        assert!(all_printable(word(b"a ~!09Z}")));
        for bad in [0x00, 0x1b, 0x1f, 0x7f, 0x80, 0xc2, 0xff] {
            for at in 0..8 {
                let mut text = *b"abcdefgh";
                text[at] = bad;
                assert!(!all_printable(word(&text)), "{bad:#x} at {at}");
            }
        }
    }

    #[test]
    fn string_contents_are_between_the_quotes() {
        assert_eq!(string_contents(r#""abc""#), Some("abc"));
        assert_eq!(string_contents("12"), None);
        assert_eq!(string_contents("\""), None);
    }
}
