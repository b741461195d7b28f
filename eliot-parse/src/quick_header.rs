//! The header of an ordinary line, read in one pass by hand: one JSON
//! object, its reserved fields plain, every other value skipped while it is
//! checked to be valid JSON.
//!
//! Only the shapes it reads exactly are taken; anything else (a key or a
//! reserved value with escapes, a lone UTF-16 surrogate escape, a reserved
//! field twice, a reserved value of an unusual kind or form, a second
//! object, a value that
//! [`might_be_unreadable`](super::scan::might_be_unreadable), or JSON that
//! is not valid) is left to serde_json, which reports each problem with its
//! own words. So a header read here is the one serde_json's path reads, and
//! a line refused here costs one partial pass more. A line read here also
//! has the index of its other fields (see [`field_index`](super::field_index)):
//! every one of them is valid JSON that serde_json reads into a value.

use std::borrow::Cow;

use super::decimal::ratio_to_f64;
use super::field_index::FieldIndex;
use super::header::{Found, Header, Slots};
use super::scan::huge_number;

/// Deeper nesting is what `might_be_unreadable` marks suspect; such lines
/// go to serde_json.
const MAX_NESTING: u32 = 100;

/// The one JSON object on `line` (between JSON whitespace) with its header,
/// or `None` when the line is not of the shapes read here.
pub(crate) fn single_object(line: &str) -> Option<(&str, Header<'_>)> {
    let mut scan = Scan {
        line,
        bytes: line.as_bytes(),
        at: 0,
    };
    scan.skip_whitespace();
    let start = scan.at;
    scan.expect(b'{')?;
    let mut header = Header::default();
    let mut fields = FieldIndex::default();
    scan.skip_whitespace();
    if !scan.eat(b'}') {
        loop {
            scan.expect(b'"')?;
            let key_start = scan.at;
            let key = scan.plain_string()?;
            let key_end = key_start + key.len();
            scan.skip_whitespace();
            scan.expect(b':')?;
            scan.skip_whitespace();
            match key.as_bytes() {
                b"task_uuid" => set(&mut header.task_uuid, scan.string_value()?)?,
                b"task_level" => set(&mut header.task_level, scan.task_level()?)?,
                b"timestamp" => set(&mut header.timestamp, scan.timestamp()?)?,
                b"message_type" => set(&mut header.message_type, scan.string_value()?)?,
                b"action_type" => set(&mut header.action_type, scan.string_value()?)?,
                b"action_status" => set(&mut header.action_status, scan.string_value()?)?,
                _ => {
                    let value_start = scan.at;
                    scan.skip_value()?;
                    // Offsets in the object, which starts at `start`.
                    fields.push(
                        key_start - start..key_end - start,
                        value_start - start..scan.at - start,
                    );
                }
            }
            scan.skip_whitespace();
            match scan.next()? {
                b',' => scan.skip_whitespace(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    let end = scan.at;
    scan.skip_whitespace();
    header.fields = Some(fields);
    (scan.at == line.len()).then(|| (&line[start..end], header))
}

/// Fills a reserved field found once; `None` for one found again (serde's
/// path keeps the last, and is left to do so).
fn set<T>(slot: &mut Found<T>, value: T) -> Option<()> {
    match slot {
        Found::Missing => {
            *slot = Found::Valid(value);
            Some(())
        }
        _ => None,
    }
}

struct Scan<'a> {
    line: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// JSON's whitespace, which is not Unicode's.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The rest of a string whose opening quote was read, if it has no
    /// escape: it is then its own value, as it is on the line.
    // Inlined: a key is a few bytes, and the call cost as much as its scan.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.at;
        self.at += string_stop(&self.bytes[start..])?;
        let end = self.at;
        self.expect(b'"')?;
        // Quotes are ASCII: the string is whole characters.
        self.line.get(start..end)
    }

    /// A reserved string value, without escapes.
    fn string_value(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        self.plain_string().map(Cow::Borrowed)
    }

    /// A task level of plain positive integers that fit a `u32`, as written.
    fn task_level(&mut self) -> Option<Slots> {
        self.expect(b'[')?;
        let mut level = Slots::new();
        self.skip_whitespace();
        loop {
            let start = self.at;
            while let Some(b'0'..=b'9') = self.peek() {
                self.at += 1;
            }
            let digits = &self.bytes[start..self.at];
            if digits.is_empty() || digits[0] == b'0' || digits.len() > 10 {
                return None;
            }
            let slot = digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            level.push(u32::try_from(slot).ok()?);
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b']' => return Some(level),
                _ => return None,
            }
        }
    }

    /// A timestamp: a number without a sign (and within an `f64`: see
    /// [`skip_number`](Self::skip_number)), read as serde_json reads it,
    /// correctly rounded.
    fn timestamp(&mut self) -> Option<f64> {
        let start = self.at;
        if let Some(timestamp) = self.plain_decimal() {
            return Some(timestamp);
        }
        self.at = start;
        if self.peek() == Some(b'-') {
            return None;
        }
        self.skip_number()?;
        self.line.get(start..self.at)?.parse().ok()
    }

    /// A number as loggers write timestamps, read as it is skipped: digits,
    /// an optional fraction, no sign or exponent, at most 19 digits in all.
    /// `None` for any other number, which the caller reads again.
    fn plain_decimal(&mut self) -> Option<f64> {
        const MAX_DIGITS: usize = 19; // 10^19 - 1 fits a u64.
        let mut value = 0;
        let whole = self.accumulate_digits(&mut value);
        // JSON's only number with a leading zero is that zero.
        if whole == 0 || (whole > 1 && self.bytes[self.at - whole] == b'0') {
            return None;
        }
        let mut fraction = 0;
        if self.eat(b'.') {
            fraction = self.accumulate_digits(&mut value);
            if fraction == 0 {
                return None;
            }
        }
        if whole + fraction > MAX_DIGITS || matches!(self.peek(), Some(b'e' | b'E')) {
            return None;
        }
        Some(ratio_to_f64(value, fraction as u32))
    }

    /// Reads ASCII digits into `value` (wrapping past a `u64`); returns how
    /// many.
    fn accumulate_digits(&mut self, value: &mut u64) -> usize {
        let start = self.at;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            *value = value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            self.at += 1;
        }
        self.at - start
    }

    /// Skips a JSON number (checked against JSON's grammar); `None` for one
    /// that is not, or that might be beyond an `f64`.
    fn skip_number(&mut self) -> Option<()> {
        let start = self.at;
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.skip_digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            self.digits()?;
        }
        let exponent = matches!(self.peek(), Some(b'e' | b'E'));
        if exponent {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.digits()?;
        }
        // Without an exponent only 300 digits and more can be huge.
        let may_be_huge = exponent || self.at - start >= 300;
        (!(may_be_huge && huge_number(&self.bytes[start..self.at]))).then_some(())
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    /// One digit or more.
    fn digits(&mut self) -> Option<()> {
        let start = self.at;
        self.skip_digits();
        (self.at > start).then_some(())
    }

    /// Skips the rest of a string whose opening quote was read, checking
    /// its escapes as serde_json does for a value it skips; `None` for a
    /// lone surrogate too, which serde_json refuses when it reads the value
    /// (a line with one is repaired first: see `without_lone_surrogates`).
    fn skip_string(&mut self) -> Option<()> {
        loop {
            self.at += string_stop(&self.bytes[self.at..])?;
            match self.next()? {
                b'"' => return Some(()),
                b'\\' => match self.next()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        let unit = self.utf16_unit()?;
                        if (0xdc00..0xe000).contains(&unit) {
                            return None; // A lone low surrogate.
                        }
                        if (0xd800..0xdc00).contains(&unit) {
                            // Its low half must follow, else it is lone.
                            let paired = self.bytes.get(self.at..self.at + 2) == Some(b"\\u") && {
                                self.at += 2;
                                (0xdc00..0xe000).contains(&self.utf16_unit()?)
                            };
                            if !paired {
                                return None;
                            }
                        }
                    }
                    _ => return None,
                },
                _ => return None, // A control character.
            }
        }
    }

    /// The four hex digits of a `\u` escape, as a UTF-16 code unit.
    fn utf16_unit(&mut self) -> Option<u16> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let mut unit = 0;
        for &digit in digits {
            unit = unit << 4 | char::from(digit).to_digit(16)? as u16;
        }
        self.at += 4;
        Some(unit)
    }

    /// In an object, after its `{` or a `,`: a key and its colon.
    fn skip_key(&mut self) -> Option<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.skip_whitespace();
        self.expect(b':')?;
        self.skip_whitespace();
        Some(())
    }

    /// Skips one JSON value (checked to be valid), starting at its first
    /// byte; `None` if it is not valid, or might be unreadable.
    fn skip_value(&mut self) -> Option<()> {
        // One bit per open container, the innermost lowest: set for an
        // object.
        let mut objects: u128 = 0;
        let mut depth = 0;
        loop {
            // At the start of a value.
            match self.next()? {
                b'"' => self.skip_string()?,
                b'-' | b'0'..=b'9' => {
                    self.at -= 1;
                    self.skip_number()?;
                }
                b't' => self.literal(b"rue")?,
                b'f' => self.literal(b"alse")?,
                b'n' => self.literal(b"ull")?,
                open @ (b'{' | b'[') => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return None;
                    }
                    let object = open == b'{';
                    objects = objects << 1 | u128::from(object);
                    self.skip_whitespace();
                    let close = if object { b'}' } else { b']' };
                    if !self.eat(close) {
                        if object {
                            self.skip_key()?;
                        }
                        continue;
                    }
                    depth -= 1;
                    objects >>= 1;
                }
                _ => return None,
            }
            // After a value: close containers until one goes on.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.skip_whitespace();
                let object = objects & 1 == 1;
                match self.next()? {
                    b',' => {
                        self.skip_whitespace();
                        if object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                depth -= 1;
                objects >>= 1;
            }
        }
    }

    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let found = self.bytes[self.at..].starts_with(rest);
        self.at += rest.len();
        found.then_some(())
    }
}

/// Where the string that `bytes` starts inside stops being plain: the
/// offset of its first quote, backslash or control character, if any.
///
/// Eight bytes at a time, as serde_json skips strings: most strings are
/// longer than that, and a byte at a time was most of the scan's cost.
fn string_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    const HIGH_BITS: u64 = ONES << 7;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        // The high bit of each byte below 0x20, or zero once xored with a
        // quote or a backslash (Mycroft's test for a zero byte). A byte
        // found can set the bits of the bytes above it, never below: the
        // lowest bit set is the first byte that stops the string.
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let stops = (word.wrapping_sub(ONES * 0x20) & !word)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash);
        let stops = stops & HIGH_BITS;
        if stops != 0 {
            return Some(offset + (stops.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    let found = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(offset + found)
}

#[cfg(test)]
mod tests;
