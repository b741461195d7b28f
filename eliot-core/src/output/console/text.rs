//! Text from a log, made safe to print on a terminal.
//!
//! A log holds whatever the application put in its fields, including text
//! from the outside world. Printed as is, an escape sequence in a field could
//! recolour the terminal, move the cursor, rewrite earlier lines (`\r`,
//! cursor movement), set the window title or worse; a bidirectional override
//! could reorder what is shown. So every character that a terminal acts on,
//! rather than draws, is written as a visible escape: `\n`, `\r`, `\t`,
//! `\x1b` for the other C0 controls and DEL, `\u{85}` for C1 controls, line
//! and paragraph separators and the invisible direction marks.

use super::scan::all_printable;

/// Whether `c` is shown as an escape rather than as itself.
pub(super) fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f'
            | '\x7f'
            | '\u{80}'..='\u{9f}'
            // Arabic letter mark, LRM, RLM, embeddings and overrides,
            // isolates: they reorder or hide what is drawn.
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            // Line and paragraph separators: line breaks to some terminals.
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
    )
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes the visible escape of `c`.
fn push_escape(out: &mut Vec<u8>, c: char) {
    match c {
        '\n' => out.extend_from_slice(b"\\n"),
        '\r' => out.extend_from_slice(b"\\r"),
        '\t' => out.extend_from_slice(b"\\t"),
        c if c.is_ascii() => {
            let b = c as u8;
            out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        }
        c => {
            out.extend_from_slice(b"\\u{");
            let n = c as u32;
            let digits = (32 - n.leading_zeros()).div_ceil(4).max(1);
            for shift in (0..digits).rev() {
                out.push(HEX[((n >> (shift * 4)) & 15) as usize]);
            }
            out.push(b'}');
        }
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut utf8 = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
}

/// Writes `text` with the characters that drive a terminal escaped; the
/// rest, backslashes included, as they are.
#[inline]
pub(super) fn write_plain(out: &mut Vec<u8>, text: &str) {
    // Inline: most texts are short printable ASCII, copied as they are,
    // where a call would cost more than the copy.
    let bytes = text.as_bytes();
    if is_printable_ascii(bytes) {
        out.extend_from_slice(bytes);
    } else {
        write_escaping(out, text);
    }
}

/// [`write_plain`] for text that holds something to escape, or may.
#[inline(never)]
fn write_escaping(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8)
            && all_printable(u64::from_le_bytes(chunk.try_into().unwrap_or_default()))
        {
            at += 8;
            continue;
        }
        let b = bytes[at];
        if (0x20..0x7f).contains(&b) {
            at += 1;
            continue;
        }
        // A control character, or the first byte of a non-ASCII one: the
        // only bytes that can start something to escape.
        let c = text[at..].chars().next().unwrap_or('\u{fffd}');
        if needs_escape(c) {
            out.extend_from_slice(&bytes[copied..at]);
            push_escape(out, c);
            copied = at + c.len_utf8();
        }
        at += c.len_utf8();
    }
    out.extend_from_slice(&bytes[copied..]);
}

/// Whether `bytes` are all printable ASCII, the common case: tested eight
/// at a time.
#[inline]
pub(super) fn is_printable_ascii(bytes: &[u8]) -> bool {
    let word = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().unwrap_or_default());
    match bytes.len() {
        0..8 => bytes.iter().all(|b| (0x20..0x7f).contains(b)),
        n => {
            bytes
                .chunks_exact(8)
                .all(|chunk| all_printable(word(chunk)))
                && all_printable(word(&bytes[n - 8..]))
        }
    }
}

/// Writes the contents of a JSON string (what is between its quotes,
/// escapes and all) as text: decoded, then escaped for the terminal. When
/// `quoted`, quotes and backslashes are escaped too, as inside quotes.
/// `escaped` says whether `raw` holds a backslash.
#[inline]
pub(super) fn write_json_text(out: &mut Vec<u8>, raw: &str, escaped: bool, quoted: bool) {
    // Without a backslash, the contents are the text itself, and hold no
    // quote either.
    if escaped {
        write_decoded(out, raw, quoted);
    } else {
        write_plain(out, raw);
    }
}

/// [`write_json_text`] for contents that hold a JSON escape.
#[inline(never)]
fn write_decoded(out: &mut Vec<u8>, raw: &str, quoted: bool) {
    for c in JsonChars::new(raw) {
        if quoted && (c == '"' || c == '\\') {
            out.push(b'\\');
            out.push(c as u8);
        } else if needs_escape(c) {
            push_escape(out, c);
        } else {
            push_char(out, c);
        }
    }
}

/// Writes the contents of a JSON string as lines: each line break of the
/// text starts a new output line with `prefix`, a line's text follows its
/// prefix after a space, and a break that ends the text is left out (a
/// traceback ends with one). Everything else is escaped as
/// [`write_plain`] does.
pub(super) fn write_json_lines(out: &mut Vec<u8>, raw: &str, prefix: &[u8]) {
    let mut chars = JsonChars::new(raw).peekable();
    out.extend_from_slice(prefix);
    let mut line_start = true;
    while let Some(c) = chars.next() {
        if c == '\n' {
            if chars.peek().is_some() {
                out.push(b'\n');
                out.extend_from_slice(prefix);
                line_start = true;
            }
            continue;
        }
        if line_start {
            out.push(b' ');
            line_start = false;
        }
        if needs_escape(c) {
            push_escape(out, c);
        } else {
            push_char(out, c);
        }
    }
}

/// Whether the contents of a JSON string hold a line break.
pub(super) fn has_line_break(raw: &str) -> bool {
    raw.contains("\\n") && JsonChars::new(raw).any(|c| c == '\n')
}

/// The characters of a JSON string's contents, escapes decoded. A lone or
/// malformed `\u` escape is U+FFFD, as a lenient reader takes it.
pub(super) struct JsonChars<'a> {
    rest: std::str::Chars<'a>,
}

impl<'a> JsonChars<'a> {
    pub(super) fn new(raw: &'a str) -> Self {
        JsonChars { rest: raw.chars() }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            n = n * 16 + self.rest.next()?.to_digit(16)?;
        }
        Some(n)
    }

    fn unicode_escape(&mut self) -> char {
        let Some(first) = self.hex4() else {
            return '\u{fffd}';
        };
        if !(0xd800..0xdc00).contains(&first) {
            return char::from_u32(first).unwrap_or('\u{fffd}');
        }
        // A high surrogate: a low one must follow, as `\uDCxx`.
        let mut ahead = self.rest.clone();
        if ahead.next() == Some('\\') && ahead.next() == Some('u') {
            let mut low = JsonChars { rest: ahead };
            if let Some(second @ 0xdc00..0xe000) = low.hex4() {
                self.rest = low.rest;
                let c = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                return char::from_u32(c).unwrap_or('\u{fffd}');
            }
        }
        '\u{fffd}'
    }
}

impl Iterator for JsonChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let c = self.rest.next()?;
        if c != '\\' {
            return Some(c);
        }
        Some(match self.rest.next() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('b') => '\x08',
            Some('f') => '\x0c',
            Some('u') => self.unicode_escape(),
            Some(other) => other, // `\"`, `\\`, `\/`
            None => '\\',
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> String {
        let mut out = Vec::new();
        write_plain(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    fn json(raw: &str, quoted: bool) -> String {
        let mut out = Vec::new();
        write_json_text(&mut out, raw, raw.contains('\\'), quoted);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn controls_are_escaped_and_the_rest_is_kept() {
        assert_eq!(plain("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(plain("x\ry\n\tz\x7f\0"), "x\\ry\\n\\tz\\x7f\\x00");
        assert_eq!(plain("é ü 漢字 🎉"), "é ü 漢字 🎉");
        assert_eq!(plain("\u{85}\u{9b}2J"), "\\u{85}\\u{9b}2J");
        assert_eq!(plain("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(plain("back\\slash"), "back\\slash");
        assert_eq!(
            plain("a long run of plain text, then \x1b[0m and more"),
            "a long run of plain text, then \\x1b[0m and more"
        );
    }

    #[test]
    fn json_escapes_are_decoded_then_escaped_for_the_terminal() {
        assert_eq!(json(r"caf\u00e9", false), "café");
        assert_eq!(json(r"\u001b[2J\r", false), "\\x1b[2J\\r");
        assert_eq!(json(r#"say \"hi\" \\ \/"#, false), r#"say "hi" \ /"#);
        assert_eq!(json(r#"say \"hi\" \\"#, true), r#"say \"hi\" \\"#);
        assert_eq!(json(r"\ud83c\udf89", false), "🎉");
        assert_eq!(json(r"\ud83c!", false), "\u{fffd}!");
        assert_eq!(json(r"\u12", false), "\u{fffd}");
    }

    #[test]
    fn lines_get_their_prefix_and_the_final_break_is_dropped() {
        let mut out = Vec::new();
        write_json_lines(&mut out, r"one\n\ntwo\u001b\n", b"  |");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  | one\n  |\n  | two\\x1b"
        );
        assert!(has_line_break(r"a\nb"));
        assert!(!has_line_break(r"a\\nb"));
    }
}
