//! JSON read in place: the entries of an object and the elements of an
//! array as spans of the text, each value's text left as it is, checked as
//! serde_json checks what it reads.
//!
//! Drawing a message needs its fields sorted by key and each value shown
//! once. Building a tree of values for that (serde_json's `Value`, or any
//! visitor) costs an allocation per string, array and object, and a second
//! walk to draw them; here the line is read once to find and check the
//! entries, and each value is drawn from its text.

use std::borrow::Cow;

/// The text is not JSON that serde_json would read the same way: the
/// fields are then treated as serde_json's failure was.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

/// How much of a value is checked, as serde_json checks it when it is read
/// into a value (`AsRead`) or only skipped over (`Syntax`, its
/// `IgnoredAny` and `RawValue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The grammar only: any depth, any number, any `\u` escape.
    Syntax,
    /// The grammar, and what serde_json refuses when it builds the value:
    /// nesting past its recursion limit, numbers beyond an `f64`, unpaired
    /// UTF-16 surrogate escapes.
    AsRead,
}

/// serde_json's recursion limit: it counts the object of the line too, and
/// refuses the container that would be the 128th level.
const MAX_VALUE_DEPTH: usize = 126;

/// A JSON reader over `text`, at byte `at`.
pub(crate) struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader { text, at: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    /// Skips JSON whitespace (space, tab, CR, LF; as serde_json does) and
    /// returns the byte after it.
    #[inline]
    fn skip_whitespace(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    fn expect(&mut self, byte: u8) -> Result<(), Invalid> {
        if self.skip_whitespace() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Reads an object's entries, calling `each` with every key (unescaped)
    /// and the reader, at the value, which `each` must read.
    pub(crate) fn object(
        &mut self,
        mut each: impl FnMut(Cow<'a, str>, &mut Self) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        self.expect(b'{')?;
        if self.skip_whitespace() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            if self.skip_whitespace() != Some(b'"') {
                return Err(Invalid);
            }
            let key = self.string(Check::AsRead)?;
            self.expect(b':')?;
            self.skip_whitespace();
            each(key.unescaped(), self)?;
            match self.skip_whitespace() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// The elements of an array, each as its JSON text, up to the array's
    /// end (or to where the text stops being JSON).
    pub(crate) fn elements(mut self) -> impl Iterator<Item = &'a str> {
        let mut open = self.expect(b'[').is_ok();
        if self.skip_whitespace() == Some(b']') {
            open = false;
        }
        std::iter::from_fn(move || {
            if !open {
                return None;
            }
            let element = self.value(Check::Syntax).ok();
            match self.skip_whitespace() {
                Some(b',') => self.at += 1,
                _ => open = false,
            }
            element
        })
    }

    /// Reads one value, checked as `check` says, and returns its text.
    pub(crate) fn value(&mut self, check: Check) -> Result<&'a str, Invalid> {
        let first = self.skip_whitespace();
        let start = self.at;
        // Most values are strings and numbers: read without the machinery
        // of containers.
        match first {
            Some(b'"') => {
                self.string(check)?;
                return Ok(&self.text[start..self.at]);
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number(check)?;
                return Ok(&self.text[start..self.at]);
            }
            _ => {}
        }
        // Containers open and close in a loop, not by recursion: serde_json
        // skips values of any depth, and so must this without running out
        // of stack.
        let mut open = OpenContainers::default();
        loop {
            // At a value.
            match self.skip_whitespace().ok_or(Invalid)? {
                b'"' => {
                    self.string(check)?;
                }
                b'-' | b'0'..=b'9' => self.number(check)?,
                b'n' => self.literal(b"null")?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                container @ (b'[' | b'{') => {
                    self.at += 1;
                    let is_object = container == b'{';
                    open.push(is_object);
                    if check == Check::AsRead && open.len() > MAX_VALUE_DEPTH {
                        return Err(Invalid);
                    }
                    let close = if is_object { b'}' } else { b']' };
                    if self.skip_whitespace() == Some(close) {
                        self.at += 1;
                        open.pop();
                    } else {
                        if is_object {
                            self.key(check)?;
                        }
                        continue;
                    }
                }
                _ => return Err(Invalid),
            }
            // After a value: close containers until one goes on.
            loop {
                let Some(is_object) = open.last() else {
                    return Ok(&self.text[start..self.at]);
                };
                match self.skip_whitespace() {
                    Some(b',') => {
                        self.at += 1;
                        if is_object {
                            self.key(check)?;
                        }
                        break;
                    }
                    Some(b'}') if is_object => {}
                    Some(b']') if !is_object => {}
                    _ => return Err(Invalid),
                }
                self.at += 1;
                open.pop();
            }
        }
    }

    /// Reads an object's key and its colon.
    fn key(&mut self, check: Check) -> Result<(), Invalid> {
        if self.skip_whitespace() != Some(b'"') {
            return Err(Invalid);
        }
        self.string(check)?;
        self.expect(b':')
    }

    fn literal(&mut self, literal: &[u8]) -> Result<(), Invalid> {
        if self.bytes()[self.at..].starts_with(literal) {
            self.at += literal.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Reads a number: `-`, then `0` or digits not starting with `0`, then
    /// an optional fraction and exponent, each with at least one digit.
    fn number(&mut self, check: Check) -> Result<(), Invalid> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let whole_start = self.at;
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return Err(Invalid); // serde_json refuses `01`.
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Invalid),
        }
        let whole_digits = self.at - whole_start;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(Invalid);
            }
            self.digits();
        }
        let mut exponent = 0usize;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            let negative = self.peek() == Some(b'-');
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            let exponent_start = self.at;
            self.digits();
            let digits = &self.bytes()[exponent_start..self.at];
            if digits.is_empty() {
                return Err(Invalid);
            }
            if !negative {
                exponent = digits.iter().fold(0usize, |n, d| {
                    n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
                });
            }
        }
        // Below 10^300, a number is well within an `f64`; serde_json
        // refuses those beyond it, so the rare larger ones are read.
        if check == Check::AsRead
            && whole_digits.saturating_add(exponent) >= 300
            && read_number(&self.text[start..self.at]).is_none()
        {
            return Err(Invalid);
        }
        Ok(())
    }

    /// Skips ASCII digits, eight at a time: every message has a timestamp
    /// of 17 or so.
    fn digits(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let bytes = self.bytes();
        while let Some(chunk) = bytes.get(self.at..self.at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            // Below the first byte that is not a digit, each byte less '0'
            // is 0 to 9 and neither borrows nor, plus 0x76, carries; that
            // byte itself gets its high bit set in one of the two.
            let less_zero = word.wrapping_sub(ONES * u64::from(b'0'));
            let not_digit = (less_zero | less_zero.wrapping_add(ONES * 0x76)) & (ONES * 0x80);
            if not_digit != 0 {
                self.at += (not_digit.trailing_zeros() / 8) as usize;
                return;
            }
            self.at += 8;
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    /// Reads a string, the reader at its opening quote, and returns it.
    #[inline]
    fn string(&mut self, check: Check) -> Result<JsonStr<'a>, Invalid> {
        self.at += 1;
        let start = self.at;
        let bytes = self.bytes();
        let mut escaped = false;
        loop {
            self.at = plain_run_end(bytes, self.at);
            match bytes.get(self.at) {
                Some(b'"') => {
                    let inner = &self.text[start..self.at];
                    self.at += 1;
                    return Ok(JsonStr { inner, escaped });
                }
                Some(b'\\') => {
                    escaped = true;
                    self.at += 1;
                    self.escape(check)?;
                }
                // A raw control character, or the end of the text.
                _ => return Err(Invalid),
            }
        }
    }

    /// Reads the escape after a backslash. Out of line: most strings have
    /// none, and their loop stays small.
    #[cold]
    #[inline(never)]
    fn escape(&mut self, check: Check) -> Result<(), Invalid> {
        let byte = self.peek().ok_or(Invalid)?;
        self.at += 1;
        match byte {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                let unit = self.hex4()?;
                if check == Check::Syntax {
                    return Ok(());
                }
                // As serde_json reads a string: a UTF-16 surrogate must be
                // a leading one followed by its trailing one.
                match unit {
                    0xdc00..=0xdfff => Err(Invalid),
                    0xd800..=0xdbff => {
                        if self.bytes().get(self.at..self.at + 2) != Some(b"\\u") {
                            return Err(Invalid);
                        }
                        self.at += 2;
                        match self.hex4()? {
                            0xdc00..=0xdfff => Ok(()),
                            _ => Err(Invalid),
                        }
                    }
                    _ => Ok(()),
                }
            }
            _ => Err(Invalid),
        }
    }

    fn hex4(&mut self) -> Result<u16, Invalid> {
        let digits = self.text.get(self.at..self.at + 4).ok_or(Invalid)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Invalid);
        }
        self.at += 4;
        u16::from_str_radix(digits, 16).map_err(|_| Invalid)
    }
}

/// The containers a value has open, each an object or an array: a stack of
/// bits, in a word for the usual depths, without allocating.
#[derive(Default)]
struct OpenContainers {
    len: usize,
    /// Bit `i` is set when the `i`th container open is an object.
    shallow: u128,
    /// The containers past the 128th.
    deep: Vec<bool>,
}

impl OpenContainers {
    fn push(&mut self, is_object: bool) {
        if self.len < 128 {
            self.shallow = (self.shallow & !(1 << self.len)) | (u128::from(is_object) << self.len);
        } else {
            self.deep.push(is_object);
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        if self.len > 128 {
            self.deep.pop();
        }
        self.len = self.len.saturating_sub(1);
    }

    /// The innermost: whether it is an object.
    fn last(&self) -> Option<bool> {
        match self.len {
            0 => None,
            1..=128 => Some(self.shallow >> (self.len - 1) & 1 == 1),
            _ => self.deep.last().copied(),
        }
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// A string's text between its quotes, and whether it has escapes.
struct JsonStr<'a> {
    inner: &'a str,
    escaped: bool,
}

impl<'a> JsonStr<'a> {
    fn unescaped(&self) -> Cow<'a, str> {
        if self.escaped {
            let mut out = String::with_capacity(self.inner.len());
            unescape_into(&mut out, self.inner);
            Cow::Owned(out)
        } else {
            Cow::Borrowed(self.inner)
        }
    }
}

/// Where the run of plain string bytes from `at` ends: at the first quote,
/// backslash or raw control character (or the end of `bytes`). Eight bytes
/// are tested at a time, as serde_json does: most strings have no escape.
#[inline]
fn plain_run_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // A byte's high bit is set in each term where that byte is a quote,
        // a backslash, or below 0x20 (the classic "has a zero byte" test).
        let quote = (word ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
        let backslash = (word ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
        let control = word.wrapping_sub(ONES * 0x20);
        let found = (quote | backslash | control) & !word & HIGHS;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// A JSON number as serde_json reads it into a value: `None` beyond an
/// `f64`.
pub(crate) fn read_number(number: &str) -> Option<Number> {
    // serde_json reads integers as a u64, or an i64 when negative; `-0`,
    // and those too large, as floats. Up to 18 digits, any fits.
    let digits = number.strip_prefix('-').unwrap_or(number);
    let plain_integer = digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit());
    if plain_integer && number != "-0" {
        return Some(Number::Integer);
    }
    let is_integer = digits.bytes().all(|b| b.is_ascii_digit());
    let exact = if number.starts_with('-') {
        number != "-0" && number.parse::<i64>().is_ok()
    } else {
        number.parse::<u64>().is_ok()
    };
    if is_integer && exact {
        return Some(Number::Integer);
    }
    // serde_json reads a float as the nearest double (with the
    // `float_roundtrip` that eliot-parse turns on), as std does, and refuses
    // one beyond an `f64`, which std reads as infinite.
    number
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Number::Float)
}

/// How a JSON number is shown.
pub(crate) enum Number {
    /// An integer serde_json reads exactly: shown as it is written (JSON
    /// integers have no leading zeros, no `+`).
    Integer,
    /// Anything else, as serde_json reads it.
    Float(f64),
}

/// Appends the string `inner` (a JSON string's text between its quotes,
/// checked) unescaped.
pub(crate) fn unescape_into(out: &mut String, inner: &str) {
    let bytes = inner.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let run_end = bytes[at..]
            .iter()
            .position(|&b| b == b'\\')
            .map_or(bytes.len(), |n| at + n);
        out.push_str(&inner[at..run_end]);
        at = run_end;
        let Some(&escape) = bytes.get(at + 1) else {
            break;
        };
        at += 2;
        let c = match escape {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex_at(inner, at);
                at += 4;
                if (0xd800..0xdc00).contains(&unit) && inner.get(at..at + 2) == Some("\\u") {
                    let low = hex_at(inner, at + 2);
                    at += 6;
                    let code = 0x10000 + ((unit - 0xd800) << 10) + (low.wrapping_sub(0xdc00));
                    char::from_u32(code).unwrap_or('\u{fffd}')
                } else {
                    char::from_u32(unit).unwrap_or('\u{fffd}')
                }
            }
            other => char::from(other), // `"`, `\`, `/`.
        };
        out.push(c);
    }
}

fn hex_at(text: &str, at: usize) -> u32 {
    text.get(at..at + 4)
        .and_then(|digits| u32::from_str_radix(digits, 16).ok())
        .unwrap_or(0xfffd)
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde_json::Value;

    use super::*;
    use eliot_parse::WrittenMessage;

    use crate::fields::{HiddenKeys, hidden_keys, message_fields, raw_fields, shown_fields};
    use crate::test_random::Xorshift;

    /// The fields as serde_json reads them: keys not in `hidden`, in the
    /// order logged, values into `Value` (`shown`) or skipped as raw text;
    /// `None` when serde_json refuses the line.
    fn by_serde(line: &str, hidden: &HiddenKeys, shown: bool) -> Option<Vec<(String, Value)>> {
        struct Fields<'h>(&'h HiddenKeys, bool);
        impl<'de> Visitor<'de> for Fields<'_> {
            type Value = Vec<(String, Value)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if self.0.contains(&key) {
                        map.next_value::<IgnoredAny>()?;
                    } else if self.1 {
                        entries.push((key, map.next_value::<Value>()?));
                    } else {
                        let raw = map.next_value::<&serde_json::value::RawValue>()?;
                        entries.push((key, Value::String(raw.get().to_owned())));
                    }
                }
                Ok(entries)
            }
        }
        let mut entries = serde_json::Deserializer::from_str(line)
            .deserialize_map(Fields(hidden, shown))
            .ok()?;
        // Sorted by key, the last of a repeated key kept.
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        Some(entries)
    }

    /// Checks the fields read in place against serde_json's, both ways.
    fn assert_read_as_serde_reads(line: &str, hidden: &HiddenKeys) {
        for shown in [true, false] {
            let ours = if shown {
                shown_fields(line, hidden)
            } else {
                raw_fields(line, hidden)
            };
            let theirs = by_serde(line, hidden, shown).unwrap_or_default();
            let ours: Vec<(String, Value)> = ours
                .iter()
                .map(|(key, text)| {
                    let value = if shown {
                        serde_json::from_str(text).unwrap()
                    } else {
                        Value::String((*text).to_owned())
                    };
                    (key.to_string(), value)
                })
                .collect();
            assert_eq!(ours, theirs, "shown: {shown}, line: {line:?}");
        }
    }

    fn hidden() -> HiddenKeys {
        ["task_uuid", "timestamp", "hidden"]
            .map(String::from)
            .into_iter()
            .collect()
    }

    /// A random JSON value of what is hard to read: escapes, surrogates,
    /// non-ASCII text, numbers of every size, nesting.
    fn random_value(random: &mut Xorshift, out: &mut String, depth: usize) {
        match random.below(if depth > 4 { 5 } else { 8 }) {
            0 => out.push_str(random.pick(&["null", "true", "false"])),
            1 | 2 => {
                let numbers = [
                    "0",
                    "-0",
                    "7",
                    "-12",
                    "18446744073709551615",
                    "18446744073709551616",
                    "-9223372036854775808",
                    "-9223372036854775809",
                    "1.5",
                    "-0.0",
                    "1e5",
                    "2E-3",
                    "1.7976931348623157e308",
                    "1e309",
                    "-1e400",
                    "1e-400",
                    "123456789012345678901234567890",
                    "0.1e1",
                    "5e+2",
                ];
                out.push_str(random.pick(&numbers));
            }
            3 | 4 => random_string(random, out),
            5 | 6 => {
                out.push('[');
                for i in 0..random.below(4) {
                    if i > 0 {
                        out.push_str(random.pick(&[",", " , ", ",\n"]));
                    }
                    random_value(random, out, depth + 1);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..random.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    random_string(random, out);
                    out.push_str(random.pick(&[":", " : "]));
                    random_value(random, out, depth + 1);
                }
                out.push('}');
            }
        }
    }

    fn random_string(random: &mut Xorshift, out: &mut String) {
        let pieces = [
            "a",
            "task_uuid",
            "hidden",
            "é",
            "😀",
            "\\n",
            "\\\"",
            "\\\\",
            "\\/",
            "\\t",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\ud800",
            "\\udc00x",
            "\\u202e",
            "\u{85}",
            "\u{7f}",
            "0123456789",
            " ",
        ];
        out.push('"');
        for _ in 0..random.below(5) {
            out.push_str(random.pick(&pieces));
        }
        out.push('"');
    }

    /// A random line: an object of random fields, hidden keys and repeated
    /// keys among them, sometimes damaged.
    fn random_line(random: &mut Xorshift) -> String {
        let mut line = String::from("{");
        for i in 0..random.below(7) {
            if i > 0 {
                line.push(',');
            }
            random_string(random, &mut line);
            line.push(':');
            random_value(random, &mut line, 0);
        }
        line.push('}');
        if random.below(3) == 0 {
            // A character removed, doubled or replaced by JSON's syntax.
            let chars: Vec<(usize, char)> = line.char_indices().collect();
            let (at, c) = random.pick(&chars);
            let replacement = match random.below(3) {
                0 => String::new(),
                1 => format!("{c}{c}"),
                _ => random
                    .pick(&["\"", ",", ":", "{", "]", "\\", "\u{1}", "-", "e"])
                    .to_string(),
            };
            line.replace_range(at..at + c.len_utf8(), &replacement);
        }
        line
    }

    #[test]
    fn random_lines_read_as_serde_json_reads_them() {
        let mut random = Xorshift::new(12);
        let hidden = hidden();
        let (mut read, mut refused_as_values, mut refused) = (0, 0, 0);
        for _ in 0..20_000 {
            let line = random_line(&mut random);
            assert_read_as_serde_reads(&line, &hidden);
            match (
                by_serde(&line, &hidden, true),
                by_serde(&line, &hidden, false),
            ) {
                (Some(_), _) => read += 1,
                (None, Some(_)) => refused_as_values += 1,
                (None, None) => refused += 1,
            }
        }
        // The lines cover all three cases.
        assert!(
            read > 5_000 && refused_as_values > 1_000 && refused > 3_000,
            "{read} read, {refused_as_values} refused as values, {refused} refused"
        );
    }

    #[test]
    fn fields_where_the_parser_found_them_are_the_fields_read_again() {
        let mut random = Xorshift::new(34);
        let hidden = hidden_keys(&["hidden".to_owned()]);
        let mut indexed = 0;
        for _ in 0..100_000 {
            let line = random_line(&mut random);
            let Some(fields) = line.strip_prefix('{') else {
                continue;
            };
            let message = format!(
                r#"{{"task_uuid":"t","task_level":[1],"timestamp":1,"message_type":"m",{fields}"#
            );
            let Ok(message) = WrittenMessage::from_json(&message) else {
                continue;
            };
            if message.field_texts().is_none() {
                continue;
            }
            indexed += 1;
            let text = message.as_json();
            assert_eq!(
                message_fields(&message, &hidden, Check::AsRead),
                shown_fields(text, &hidden),
                "{text:?}"
            );
            assert_eq!(
                message_fields(&message, &hidden, Check::Syntax),
                raw_fields(text, &hidden),
                "{text:?}"
            );
        }
        // Many lines (those whose keys have no escapes, and that are
        // whole) are read in one pass: the comparison is not vacuous.
        assert!(indexed > 4_000, "{indexed} lines indexed");
    }

    #[test]
    fn what_serde_json_refuses_to_read_into_values_is_refused_when_shown() {
        let hidden = hidden();
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        for depth in [0, 1, 125, 126, 127, 128, 5000] {
            for key in ["shown", "hidden"] {
                let line = format!(
                    r#"{{"{key}":{},"k":{{"deep":{}}}}}"#,
                    nested(depth),
                    nested(depth)
                );
                assert_read_as_serde_reads(&line, &hidden);
            }
        }
        for number in [
            "1e308",
            "1e309",
            "-1e309",
            &"9".repeat(400),
            "0e999999999999999999",
            "1e-99999",
        ] {
            for key in ["shown", "hidden"] {
                assert_read_as_serde_reads(&format!(r#"{{"{key}":[{number}]}}"#), &hidden);
            }
        }
        for string in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud83d\ude00""#,
        ] {
            for key in ["shown", "hidden"] {
                assert_read_as_serde_reads(&format!(r#"{{"{key}":{{"s":{string}}}}}"#), &hidden);
                assert_read_as_serde_reads(&format!(r#"{{{string}:1,"{key}":2}}"#), &hidden);
            }
        }
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        let mut random = Xorshift::new(7);
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "-0.0",
            "1",
            "-1",
            "99999999999999999",
            "999999999999999999",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775807",
            "-9223372036854775808",
            "-9223372036854775809",
            "1e400",
            "1.5",
            "2.5e-7",
            "0.30000000000000004",
        ]
        .map(String::from)
        .to_vec();
        for _ in 0..10_000 {
            let digits: String = (0..1 + random.below(25))
                .map(|_| char::from(b'0' + random.below(10) as u8))
                .collect();
            let digits = digits.trim_start_matches('0');
            let digits = if digits.is_empty() { "0" } else { digits };
            let sign = random.pick(&["", "-"]);
            let fraction = random.pick(&["", ".5", ".25", ".0001"]);
            let exponent = random.pick(&["", "e3", "E-12", "e+300"]);
            texts.push(format!("{sign}{digits}{fraction}{exponent}"));
        }
        for text in texts {
            let theirs: Value = match serde_json::from_str(&text) {
                Ok(value) => value,
                Err(_) => {
                    assert!(read_number(&text).is_none(), "{text}");
                    continue;
                }
            };
            match read_number(&text) {
                Some(Number::Integer) => assert_eq!(text, theirs.to_string()),
                Some(Number::Float(f)) => {
                    assert!(theirs.is_f64(), "{text}");
                    assert_eq!(
                        Some(f.to_bits()),
                        theirs.as_f64().map(f64::to_bits),
                        "{text}"
                    );
                }
                None => panic!("{text} was refused"),
            }
        }
    }

    #[test]
    fn strings_unescape_as_serde_json_reads_them() {
        let mut random = Xorshift::new(3);
        for _ in 0..5_000 {
            let mut string = String::new();
            random_string(&mut random, &mut string);
            let Ok(theirs) = serde_json::from_str::<String>(&string) else {
                continue;
            };
            let mut ours = String::new();
            unescape_into(&mut ours, &string[1..string.len() - 1]);
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn digits_end_at_the_first_other_byte_wherever_it_is() {
        for len in 0..20 {
            for at in 0..=len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b'7'; len];
                    if at < len {
                        bytes[at] = byte;
                    }
                    let Ok(text) = std::str::from_utf8(&bytes) else {
                        continue;
                    };
                    let mut reader = Reader::new(text);
                    reader.digits();
                    let end = bytes
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .unwrap_or(len);
                    assert_eq!(reader.at, end, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn array_elements_are_their_texts() {
        let elements: Vec<&str> = Reader::new(r#" [ 1 , "a,]" ,{"b":[2,3]}, [] ,null]"#)
            .elements()
            .collect();
        assert_eq!(elements, ["1", r#""a,]""#, r#"{"b":[2,3]}"#, "[]", "null"]);
        assert_eq!(Reader::new("[]").elements().count(), 0);
        assert_eq!(Reader::new("[ ]").elements().count(), 0);
    }
}
