//! Reading one line of JSON exactly as Python's `json.loads(bytes)` does,
//! so that a line is shown as Python shows it, or refused when Python
//! refuses it:
//!
//! - the encoding is guessed as Python guesses it (UTF-8, with or without
//!   its BOM, or UTF-16 or UTF-32 when NUL bytes or a BOM say so), and
//!   surrogates encoded in the text are let through (`surrogatepass`);
//! - `NaN`, `Infinity` and `-Infinity` are numbers; integers have any size
//!   up to Python's limit of 4300 digits; a raw control character inside a
//!   string is an error; `\ud83d\ude00` joins into one code point, a lone
//!   `\ud800` stays one;
//! - a repeated key keeps its first place and takes its last value;
//! - only space, tab, CR and LF are whitespace.

use std::borrow::Cow;

use super::pystr::push_code_point;
use super::value::Value;

/// The deepest nesting of arrays and objects read. Python stops near the
/// same depth with a `RecursionError` (and its `eliot-prettyprint` with
/// it); a deeper line is shown here as not JSON.
const MAX_DEPTH: usize = 1000;

/// Python's limit on the digits of an integer read from text
/// (`sys.get_int_max_str_digits()`).
const MAX_INT_DIGITS: usize = 4300;

/// The line is not JSON, as far as Python is concerned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotJson;

/// Reads one line (its newline included or not) as Python's
/// `json.loads(line)` would.
pub(crate) fn parse_line(line: &[u8]) -> Result<Value, NotJson> {
    let text = decode(line).ok_or(NotJson)?;
    let mut reader = Reader {
        text: &text,
        at: 0,
        depth: 0,
    };
    reader.skip_whitespace();
    let value = reader.value()?;
    reader.skip_whitespace();
    if reader.at == text.len() {
        Ok(value)
    } else {
        Err(NotJson)
    }
}

/// The line as generalized UTF-8, decoded as Python's `json.loads` decodes
/// bytes (`json.detect_encoding`, then `surrogatepass`).
fn decode(line: &[u8]) -> Option<Cow<'_, [u8]>> {
    const UTF32_BE: &[u8] = b"\0\0\xfe\xff";
    const UTF32_LE: &[u8] = b"\xff\xfe\0\0";
    if let Some(rest) = line.strip_prefix(UTF32_BE) {
        return decode_utf32(rest, true).map(Cow::Owned);
    }
    if let Some(rest) = line.strip_prefix(UTF32_LE) {
        return decode_utf32(rest, false).map(Cow::Owned);
    }
    if let Some(rest) = line.strip_prefix(b"\xfe\xff") {
        return decode_utf16(rest, true).map(Cow::Owned);
    }
    if let Some(rest) = line.strip_prefix(b"\xff\xfe") {
        return decode_utf16(rest, false).map(Cow::Owned);
    }
    if let Some(rest) = line.strip_prefix(b"\xef\xbb\xbf") {
        return is_generalized_utf8(rest).then_some(Cow::Borrowed(rest));
    }
    match *line {
        [0, 0, _, _, ..] => decode_utf32(line, true).map(Cow::Owned),
        [0, _, _, _, ..] | [0, _] => decode_utf16(line, true).map(Cow::Owned),
        [_, 0, 0, 0, ..] => decode_utf32(line, false).map(Cow::Owned),
        [_, 0, _, _, ..] | [_, 0] => decode_utf16(line, false).map(Cow::Owned),
        _ => is_generalized_utf8(line).then_some(Cow::Borrowed(line)),
    }
}

/// Whether Python's UTF-8 decoder with `surrogatepass` accepts the bytes:
/// UTF-8, in which surrogates may also be encoded.
fn is_generalized_utf8(mut bytes: &[u8]) -> bool {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(_) => return true,
            Err(error) => {
                let rest = &bytes[error.valid_up_to()..];
                // An encoded surrogate: ED A0..BF 80..BF.
                match rest {
                    [0xed, 0xa0..=0xbf, 0x80..=0xbf, ..] => bytes = &rest[3..],
                    _ => return false,
                }
            }
        }
    }
}

fn decode_utf16(bytes: &[u8], big_endian: bool) -> Option<Vec<u8>> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut out = Vec::with_capacity(bytes.len());
    for unit in char::decode_utf16(units) {
        let c = match unit {
            Ok(c) => u32::from(c),
            // surrogatepass: a lone surrogate is kept.
            Err(lone) => u32::from(lone.unpaired_surrogate()),
        };
        push_code_point(&mut out, c);
    }
    Some(out)
}

fn decode_utf32(bytes: &[u8], big_endian: bool) -> Option<Vec<u8>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    for unit in bytes.chunks_exact(4) {
        let unit = [unit[0], unit[1], unit[2], unit[3]];
        let c = if big_endian {
            u32::from_be_bytes(unit)
        } else {
            u32::from_le_bytes(unit)
        };
        if c > 0x10ffff {
            return None;
        }
        push_code_point(&mut out, c);
    }
    Some(out)
}

/// A position in the decoded line.
struct Reader<'a> {
    text: &'a [u8],
    at: usize,
    depth: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> bool {
        let found = self.text[self.at..].starts_with(literal);
        if found {
            self.at += literal.len();
        }
        found
    }

    fn value(&mut self) -> Result<Value, NotJson> {
        match self.peek().ok_or(NotJson)? {
            b'"' => {
                self.at += 1;
                Ok(Value::Str(self.string()?))
            }
            b'{' => self.nested(Self::object),
            b'[' => self.nested(Self::array),
            b'n' if self.eat(b"null") => Ok(Value::Null),
            b't' if self.eat(b"true") => Ok(Value::Bool(true)),
            b'f' if self.eat(b"false") => Ok(Value::Bool(false)),
            b'N' if self.eat(b"NaN") => Ok(Value::Float(f64::NAN)),
            b'I' if self.eat(b"Infinity") => Ok(Value::Float(f64::INFINITY)),
            b'-' if self.eat(b"-Infinity") => Ok(Value::Float(f64::NEG_INFINITY)),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotJson),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Value, NotJson>) -> Result<Value, NotJson> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(NotJson);
        }
        self.at += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<Value, NotJson> {
        let mut items: Vec<(Box<[u8]>, Value)> = Vec::new();
        self.skip_whitespace();
        if self.eat(b"}") {
            return Ok(Value::Dict(items));
        }
        loop {
            if !self.eat(b"\"") {
                return Err(NotJson);
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b":") {
                return Err(NotJson);
            }
            self.skip_whitespace();
            let value = self.value()?;
            items.push((key, value));
            self.skip_whitespace();
            if self.eat(b"}") {
                return Ok(Value::Dict(without_repeated_keys(items)));
            }
            if !self.eat(b",") {
                return Err(NotJson);
            }
            self.skip_whitespace();
        }
    }

    fn array(&mut self) -> Result<Value, NotJson> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b"]") {
            return Ok(Value::List(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            if self.eat(b"]") {
                return Ok(Value::List(items));
            }
            if !self.eat(b",") {
                return Err(NotJson);
            }
            self.skip_whitespace();
        }
    }

    /// Reads a string whose opening quote was read.
    fn string(&mut self) -> Result<Box<[u8]>, NotJson> {
        let start = self.at;
        // Without escapes (the usual case) the string is a slice of the line.
        let end = self.text[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .map(|offset| start + offset)
            .ok_or(NotJson)?;
        if self.text[end] == b'"' {
            self.at = end + 1;
            return Ok(self.text[start..end].into());
        }
        let mut out = self.text[start..end].to_vec();
        self.at = end;
        loop {
            let b = self.peek().ok_or(NotJson)?;
            self.at += 1;
            match b {
                b'"' => return Ok(out.into()),
                b'\\' => self.escape(&mut out)?,
                0..0x20 => return Err(NotJson),
                _ => out.push(b),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), NotJson> {
        let b = self.peek().ok_or(NotJson)?;
        self.at += 1;
        let simple = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let mut c = self.hex4()?;
                // A high surrogate followed by an escaped low one is one
                // code point (Python's scanner looks only at escapes).
                if (0xd800..0xdc00).contains(&c) && self.text[self.at..].starts_with(b"\\u") {
                    let saved = self.at;
                    self.at += 2;
                    let low = self.hex4()?;
                    if (0xdc00..0xe000).contains(&low) {
                        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                    } else {
                        self.at = saved;
                    }
                }
                push_code_point(out, c);
                return Ok(());
            }
            _ => return Err(NotJson),
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, NotJson> {
        let digits = self.text.get(self.at..self.at + 4).ok_or(NotJson)?;
        let mut c = 0;
        for &digit in digits {
            c = c * 16 + char::from(digit).to_digit(16).ok_or(NotJson)?;
        }
        self.at += 4;
        Ok(c)
    }

    /// A number, by Python's pattern
    /// `(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?`.
    fn number(&mut self) -> Result<Value, NotJson> {
        let start = self.at;
        self.eat(b"-");
        let int_start = self.at;
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(NotJson),
        }
        let int_digits = self.at - int_start;
        let mut is_float = false;
        if self.peek() == Some(b'.') && self.text.get(self.at + 1).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
            self.skip_digits();
            is_float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let exponent = self.at;
            self.at += 1;
            if matches!(self.peek(), Some(b'-' | b'+')) {
                self.at += 1;
            }
            let digits = self.at;
            self.skip_digits();
            if self.at > digits {
                is_float = true;
            } else {
                self.at = exponent; // Not an exponent after all.
            }
        }
        // The number's bytes are ASCII, checked just above.
        let text = std::str::from_utf8(&self.text[start..self.at]).map_err(|_| NotJson)?;
        if is_float {
            return text.parse().map(Value::Float).map_err(|_| NotJson);
        }
        if int_digits > MAX_INT_DIGITS {
            return Err(NotJson); // Python's ValueError.
        }
        Ok(Value::Int(if text == "-0" {
            "0".into()
        } else {
            text.into()
        }))
    }

    fn skip_digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }
}

/// A dict built from the pairs as Python builds one: a repeated key keeps
/// the place of its first occurrence and the value of its last.
fn without_repeated_keys(mut items: Vec<(Box<[u8]>, Value)>) -> Vec<(Box<[u8]>, Value)> {
    let repeated = if items.len() <= 16 {
        items
            .iter()
            .enumerate()
            .any(|(i, (key, _))| items[..i].iter().any(|(k, _)| k == key))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        !items.iter().all(|(key, _)| seen.insert(key.clone()))
    };
    if !repeated {
        return items;
    }
    let mut first_place: std::collections::HashMap<Box<[u8]>, usize> =
        std::collections::HashMap::new();
    let mut kept: Vec<(Box<[u8]>, Value)> = Vec::with_capacity(items.len());
    for (key, value) in items.drain(..) {
        match first_place.get(&key) {
            Some(&place) => kept[place].1 = value,
            None => {
                first_place.insert(key.clone(), kept.len());
                kept.push((key, value));
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prettyprint::pystr::code_points;

    /// The code points of the decoded line.
    fn decoded(line: &[u8]) -> Option<Vec<u32>> {
        decode(line).map(|text| code_points(&text).collect())
    }

    fn int(digits: &str) -> Value {
        Value::Int(digits.into())
    }

    fn text(s: &str) -> Value {
        Value::Str(s.as_bytes().into())
    }

    #[test]
    fn numbers_are_read_as_python_reads_them() {
        assert_eq!(parse_line(b"-0"), Ok(int("0")));
        assert_eq!(
            parse_line(b"12345678901234567890123"),
            Ok(int("12345678901234567890123"))
        );
        assert_eq!(parse_line(b"1e400"), Ok(Value::Float(f64::INFINITY)));
        assert_eq!(parse_line(b"1.5E-3\n"), Ok(Value::Float(0.0015)));
        assert_eq!(
            parse_line(b" -Infinity "),
            Ok(Value::Float(f64::NEG_INFINITY))
        );
        assert!(matches!(parse_line(b"NaN"), Ok(Value::Float(f)) if f.is_nan()));
        for bad in ["01", "1.", ".5", "1e", "+1", "-", "nan", "1 2", "0x10"] {
            assert_eq!(parse_line(bad.as_bytes()), Err(NotJson), "{bad}");
        }
        let most = "9".repeat(4300);
        assert_eq!(parse_line(most.as_bytes()), Ok(int(&most)));
        assert_eq!(parse_line("9".repeat(4301).as_bytes()), Err(NotJson));
    }

    #[test]
    fn strings_follow_pythons_scanner() {
        assert_eq!(parse_line(br#""a\u00e9\/\n""#), Ok(text("aé/\n")));
        assert_eq!(parse_line(br#""\ud83d\ude00""#), Ok(text("😀")));
        let lone = parse_line(br#""\ud800x""#).unwrap();
        assert_eq!(lone, Value::Str(vec![0xed, 0xa0, 0x80, b'x'].into()));
        assert_eq!(parse_line(b"\"tab\there\""), Err(NotJson));
        assert_eq!(parse_line(b"\"\x7f\""), Ok(text("\u{7f}")));
        assert_eq!(parse_line(br#""\x""#), Err(NotJson));
        assert_eq!(parse_line(b"\"open"), Err(NotJson));
    }

    #[test]
    fn repeated_keys_keep_their_first_place_and_last_value() {
        let dict = parse_line(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(
            dict,
            Value::Dict(vec![
                ("a".as_bytes().into(), int("3")),
                ("b".as_bytes().into(), int("2"))
            ])
        );
        let many: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 20)).collect();
        let dict = parse_line(format!("{{{}}}", many.join(",")).as_bytes()).unwrap();
        let Value::Dict(items) = dict else { panic!() };
        assert_eq!(items.len(), 20);
        assert_eq!(items[0].1, int("20"));
    }

    #[test]
    fn encodings_are_guessed_as_python_guesses_them() {
        assert_eq!(decoded(b"\xef\xbb\xbf{}"), Some(vec![0x7b, 0x7d]));
        assert_eq!(decoded(b"{\0}\0"), Some(vec![0x7b, 0x7d]));
        assert_eq!(decoded(b"\0{\0}"), Some(vec![0x7b, 0x7d]));
        assert_eq!(decoded(b"{\0\0\0"), Some(vec![0x7b]));
        assert_eq!(decoded(b"\xed\xa0\x80"), Some(vec![0xd800]));
        assert_eq!(decoded(b"\xff"), None);
        assert_eq!(decoded(b"{\0}\0\n"), None);
        assert_eq!(
            parse_line(b"\xef\xbb\xbf[1]"),
            Ok(Value::List(vec![int("1")]))
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_line(deep(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(parse_line(deep(MAX_DEPTH + 1).as_bytes()), Err(NotJson));
    }

    #[test]
    fn only_json_whitespace_is_skipped() {
        assert!(parse_line(b" \t\r\n{}\r\n").is_ok());
        assert_eq!(parse_line(b"\x0c{}"), Err(NotJson));
        assert_eq!(parse_line(b"{},"), Err(NotJson));
        assert_eq!(parse_line(b""), Err(NotJson));
    }
}
