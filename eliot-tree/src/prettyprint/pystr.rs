//! Python's `str`, and how Python writes one: `repr`, `str`, and
//! `json.dumps`.
//!
//! A Python string is any sequence of code points, lone surrogates included
//! (JSON's `"\ud800"` gives one). Such a string is kept here as generalized
//! UTF-8: UTF-8 in which a surrogate code point is encoded like any other
//! three-byte code point. Its bytes sort in code point order, as Python
//! compares strings, and a string without surrogates is plain UTF-8.

use std::fmt::Write as _;

use super::printable::is_printable;

/// The code points of a generalized UTF-8 string, which must be well
/// formed (as everything this module's users build is).
pub(crate) fn code_points(text: &[u8]) -> impl Iterator<Item = u32> + Clone + '_ {
    let mut rest = text;
    std::iter::from_fn(move || {
        let (&first, tail) = rest.split_first()?;
        let (width, lead) = match first {
            0x00..=0x7f => (1, u32::from(first)),
            0xc0..=0xdf => (2, u32::from(first & 0x1f)),
            0xe0..=0xef => (3, u32::from(first & 0x0f)),
            _ => (4, u32::from(first & 0x07)),
        };
        let continuation = tail.get(..width - 1)?;
        rest = &tail[width - 1..];
        Some(
            continuation
                .iter()
                .fold(lead, |c, &byte| (c << 6) | u32::from(byte & 0x3f)),
        )
    })
}

/// The number of code points, Python's `len()`.
pub(crate) fn char_count(text: &[u8]) -> usize {
    // Every code point has exactly one byte that is not a continuation byte.
    text.iter().filter(|&&b| (b & 0xc0) != 0x80).count()
}

/// Appends `c` in generalized UTF-8.
pub(crate) fn push_code_point(out: &mut Vec<u8>, c: u32) {
    // Truncating casts below keep the low bits, as the encoding wants.
    match c {
        0..=0x7f => out.push(c as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8]),
        0x800..=0xffff => out.extend_from_slice(&[
            0xe0 | (c >> 12) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xf0 | (c >> 18) as u8,
            0x80 | ((c >> 12) & 0x3f) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ]),
    }
}

/// Appends the text as it is, the way Python's `str()` and `%s` put a string
/// into the output. Python then fails to write a lone surrogate to a UTF-8
/// stdout (its `eliot-prettyprint` stops with a `UnicodeEncodeError`); here
/// it is written as the escape `\udxxx` and the output goes on.
pub(crate) fn push_text(out: &mut String, text: &[u8]) {
    match std::str::from_utf8(text) {
        Ok(plain) => out.push_str(plain),
        Err(_) => {
            for c in code_points(text) {
                match char::from_u32(c) {
                    Some(c) => out.push(c),
                    None => {
                        let _ = write!(out, "\\u{c:04x}");
                    }
                }
            }
        }
    }
}

/// Appends Python's `repr()` of the string: quoted with `'` (or with `"`
/// when it holds a `'` and no `"`), with backslash escapes for the quote,
/// the backslash, `\t \n \r`, and every code point that is not printable.
pub(crate) fn repr_into(out: &mut String, text: &[u8]) {
    let quote = if text.contains(&b'\'') && !text.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    // Plain ASCII needing no escape is by far the most common: copy it.
    let simple = |b: &u8| (0x20..0x7f).contains(b) && *b != b'\\' && *b != quote as u8;
    if text.iter().all(simple) {
        // Checked just above: every byte is printable ASCII.
        out.push_str(std::str::from_utf8(text).unwrap_or_default());
        out.push(quote);
        return;
    }
    for c in code_points(text) {
        match c {
            0x5c => out.push_str("\\\\"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0d => out.push_str("\\r"),
            _ if c == quote as u32 => {
                out.push('\\');
                out.push(quote);
            }
            _ if is_printable(c) => out.extend(char::from_u32(c)),
            0..=0xff => {
                let _ = write!(out, "\\x{c:02x}");
            }
            0x100..=0xffff => {
                let _ = write!(out, "\\u{c:04x}");
            }
            _ => {
                let _ = write!(out, "\\U{c:08x}");
            }
        }
    }
    out.push(quote);
}

/// The length in code points of Python's `repr()` of the string, without
/// writing it.
pub(crate) fn repr_len(text: &[u8]) -> usize {
    let quote = if text.contains(&b'\'') && !text.contains(&b'"') {
        u32::from(b'"')
    } else {
        u32::from(b'\'')
    };
    2 + code_points(text)
        .map(|c| match c {
            0x5c | 0x09 | 0x0a | 0x0d => 2,
            _ if c == quote => 2,
            _ if is_printable(c) => 1,
            0..=0xff => 4,
            0x100..=0xffff => 6,
            _ => 10,
        })
        .sum::<usize>()
}

/// Appends Python's `json.dumps()` of the string (`ensure_ascii`, the
/// default): every code point outside printable ASCII is escaped, those
/// beyond the BMP as a surrogate pair.
pub(crate) fn json_into(out: &mut String, text: &[u8]) {
    out.push('"');
    for c in code_points(text) {
        match c {
            0x22 => out.push_str("\\\""),
            0x5c => out.push_str("\\\\"),
            0x0a => out.push_str("\\n"),
            0x0d => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            // The range makes the cast lossless.
            0x20..=0x7e => out.push(c as u8 as char),
            0x10000.. => {
                let offset = c - 0x10000;
                let _ = write!(
                    out,
                    "\\u{:04x}\\u{:04x}",
                    0xd800 + (offset >> 10),
                    0xdc00 + (offset & 0x3ff)
                );
            }
            _ => {
                let _ = write!(out, "\\u{c:04x}");
            }
        }
    }
    out.push('"');
}

/// Appends Python's `repr()` of a `bytes` value, as Python's
/// `eliot-prettyprint` shows a line it cannot read: `b'...'`, every byte
/// outside printable ASCII escaped.
pub(crate) fn bytes_repr_into(out: &mut String, bytes: &[u8]) {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out.push('b');
    out.push(quote as char);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b == quote => {
                out.push('\\');
                out.push(quote as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(quote as char);
}

/// Whether Python's `str.isspace()` (and the regular expression `\s`) holds
/// for `c`.
pub(crate) fn is_space(c: u32) -> bool {
    matches!(
        c,
        0x09..=0x0d
            | 0x1c..=0x20
            | 0x85
            | 0xa0
            | 0x1680
            | 0x2000..=0x200a
            | 0x2028
            | 0x2029
            | 0x202f
            | 0x205f
            | 0x3000
    )
}

/// Whether Python's `str.splitlines()` ends a line after `c` (`\r\n` is one
/// boundary, handled by the caller).
pub(crate) fn is_line_boundary(c: u32) -> bool {
    matches!(
        c,
        0x0a..=0x0d | 0x1c..=0x1e | 0x85 | 0x2028 | 0x2029
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generalized(code_points: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &c in code_points {
            push_code_point(&mut out, c);
        }
        out
    }

    fn repr(text: &[u8]) -> String {
        let mut out = String::new();
        repr_into(&mut out, text);
        assert_eq!(out.chars().count(), repr_len(text), "{out}");
        out
    }

    #[test]
    fn repr_chooses_quotes_like_python() {
        assert_eq!(repr(b"plain"), "'plain'");
        assert_eq!(repr(b"it's"), "\"it's\"");
        assert_eq!(repr(b"it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(repr(b""), "''");
    }

    #[test]
    fn repr_escapes_what_is_not_printable() {
        assert_eq!(
            repr("a\tb\n\r\\\u{1b}\u{7f}".as_bytes()),
            "'a\\tb\\n\\r\\\\\\x1b\\x7f'"
        );
        assert_eq!(repr("é\u{a0}\u{ad}".as_bytes()), "'é\\xa0\\xad'");
        assert_eq!(
            repr("\u{202e}😀\u{e0001}".as_bytes()),
            "'\\u202e😀\\U000e0001'"
        );
        assert_eq!(
            repr(&generalized(&[0x61, 0xd800, 0xdc00])),
            "'a\\ud800\\udc00'"
        );
    }

    #[test]
    fn code_points_round_trip() {
        let all = [
            0, 0x7f, 0x80, 0x7ff, 0x800, 0xd800, 0xdfff, 0xffff, 0x10000, 0x10ffff,
        ];
        let text = generalized(&all);
        assert_eq!(code_points(&text).collect::<Vec<_>>(), all);
        assert_eq!(char_count(&text), all.len());
    }

    #[test]
    fn json_escapes_everything_outside_printable_ascii() {
        let mut out = String::new();
        json_into(
            &mut out,
            &generalized(&[0x22, 0x08, 0x1b, 0x7f, 0xe9, 0x1f600, 0xdc00]),
        );
        assert_eq!(out, r#""\"\b\u001b\u007f\u00e9\ud83d\ude00\udc00""#);
    }

    #[test]
    fn bytes_repr_is_ascii() {
        let mut out = String::new();
        bytes_repr_into(&mut out, b"it's\xff\x00\"");
        assert_eq!(out, r#"b'it\'s\xff\x00"'"#);
    }

    #[test]
    fn lone_surrogates_are_written_as_escapes() {
        let mut out = String::new();
        push_text(&mut out, &generalized(&[0x6b, 0xdbff]));
        assert_eq!(out, "k\\udbff");
    }
}
