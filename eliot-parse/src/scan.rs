//! The line scanner: the JSON objects on one line, each with the reserved
//! fields of its header, and the repairs and checks a line needs before its
//! fields can be read (Python's lone surrogates, values serde_json refuses).

use serde_json::{Map, Value};

use super::header::Header;
use super::problem::Problem;
use super::quick_header::single_object;

/// Calls `each` with the text and header of every JSON object on `line`,
/// its lone surrogates repaired (see [`without_lone_surrogates`]), and
/// returns the problem that stopped the scan, if any. A line normally holds
/// one object; a writer that crashed mid-line can leave two glued together,
/// and every complete one is still worth reading.
pub(crate) fn split_objects(line: &str, mut each: impl FnMut(&str, Header<'_>)) -> Option<Problem> {
    // The one-pass scan refuses lone surrogates: a line it reads needs no
    // repair, and is read once.
    if let Some((object, header)) = single_object(line) {
        each(object, header);
        return None;
    }
    let repaired = without_lone_surrogates(line);
    let line = repaired.as_deref().unwrap_or(line);
    if repaired.is_some()
        && let Some((object, header)) = single_object(line)
    {
        each(object, header);
        return None;
    }
    split_objects_with_serde(line, each)
}

/// [`split_objects`] by serde_json alone: the reference for the lines the
/// hand-written [`single_object`] reads, and the reader of every other.
pub(super) fn split_objects_with_serde<'a>(
    line: &'a str,
    mut each: impl FnMut(&'a str, Header<'a>),
) -> Option<Problem> {
    let mut stream = serde_json::Deserializer::from_str(line).into_iter::<Header<'a>>();
    let mut start = 0;
    loop {
        match stream.next() {
            None => return None,
            Some(Ok(header)) => {
                let end = stream.byte_offset();
                each(line[start..end].trim(), header);
                start = end;
            }
            Some(Err(error)) => {
                return Some(Problem::InvalidJson {
                    error: error.to_string(),
                    after_message: start > 0,
                });
            }
        }
    }
}

/// `text` with every lone UTF-16 surrogate escape (`\udce9` not paired
/// with its other half) replaced by `\ufffd`, or `None` when it has none.
/// Each escape is replaced by one as long: offsets in the text stay put.
///
/// Python writes one for each undecodable byte of a string it decoded with
/// `surrogateescape` (file names, environment variables), and reads it back;
/// serde_json, like Rust's strings, refuses it, so without this every field
/// of such a message would be unreadable.
pub(crate) fn without_lone_surrogates(text: &str) -> Option<String> {
    if !text.contains("\\u") {
        return None;
    }
    let bytes = text.as_bytes();
    let in_range = |at: usize, range: std::ops::Range<u16>| {
        bytes
            .get(at..at + 4)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u16::from_str_radix(digits, 16).ok())
            .is_some_and(|unit| range.contains(&unit))
    };
    let mut out = None;
    let (mut copied, mut at) = (0, 0);
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        if bytes.get(at + 1) != Some(&b'u') {
            at += 2; // Another escape, `\\` included.
            continue;
        }
        let paired = in_range(at + 2, 0xd800..0xdc00)
            && bytes.get(at + 6..at + 8) == Some(b"\\u")
            && in_range(at + 8, 0xdc00..0xe000);
        if paired {
            at += 12;
        } else if in_range(at + 2, 0xd800..0xe000) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..at]);
            out.push_str("\\ufffd");
            at += 6;
            copied = at;
        } else {
            at += 6;
        }
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// Why the fields of the JSON object `text` cannot be read back, if they
/// cannot: the header scan skips the fields other than Eliot's without
/// building them, so it lets through what [`WrittenMessage::to_map`] and
/// every reader of the fields refuse: arrays and objects nested over 126
/// levels deep in a field (serde_json's limit), numbers beyond an `f64`
/// (`1e400`, which Python reads as `inf`). Called for the lines whose header
/// found a suspect field.
pub(crate) fn unreadable_fields(text: &str) -> Option<String> {
    serde_json::from_str::<Map<String, Value>>(text)
        .err()
        .map(|error| error.to_string())
}

/// A cheap test of one field's JSON value that is true for every value
/// serde_json cannot read (and for a few more, which
/// [`unreadable_fields`] then parses in full).
pub(crate) fn might_be_unreadable(value: &str) -> bool {
    const MAX_NESTING: usize = 100;
    let bytes = value.as_bytes();
    match bytes.first() {
        Some(b'[' | b'{') => {}
        Some(b'-' | b'0'..=b'9') => return huge_number(bytes),
        _ => return false, // Strings were checked by the scan; constants.
    }
    let (mut depth, mut at) = (0usize, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                // Skip the string: to its closing quote, past escapes.
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let end = bytes[at..]
                    .iter()
                    .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .map_or(bytes.len(), |n| at + n);
                if huge_number(&bytes[at..end]) {
                    return true;
                }
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    false
}

/// Whether the JSON number `number` may be beyond an `f64`: it has 300
/// digits or more, or its exponent with its digits reaches 300. (A tiny
/// number reads as 0.)
pub(super) fn huge_number(number: &[u8]) -> bool {
    let (mantissa, exponent) = match number.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(at) => (&number[..at], &number[at + 1..]),
        None => (number, &b""[..]),
    };
    let digits = mantissa.iter().filter(|b| b.is_ascii_digit()).count();
    if exponent.first() == Some(&b'-') {
        return digits >= 300;
    }
    let exponent = exponent.strip_prefix(b"+").unwrap_or(exponent);
    exponent.len() > 3
        || digits
            + exponent
                .iter()
                .fold(0, |n, d| n * 10 + usize::from(d.wrapping_sub(b'0')))
            >= 300
}

#[cfg(test)]
mod tests {
    use crate::{Problem, WrittenMessage, parse_log};

    #[test]
    fn lone_surrogate_escapes_are_read_as_replacement_characters() {
        // Python writes `\udce9` for the undecodable byte of a file name.
        let line = r#"{"path":"/tmp/caf\udce9","pair":"\ud83d\ude00","lone":"\uDC00\ud800x","escaped":"\\udce9","n":1,"timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m"}"#;
        let message = WrittenMessage::from_json(line).unwrap();
        let fields = message.fields();
        assert_eq!(fields["path"], "/tmp/caf\u{fffd}");
        assert_eq!(fields["pair"], "\u{1f600}");
        assert_eq!(fields["lone"], "\u{fffd}\u{fffd}x");
        assert_eq!(fields["escaped"], "\\udce9");
        assert_eq!(fields["n"], 1);
        let parsed = parse_log(line);
        assert!(parsed.malformed.is_empty());
        let read = parsed.tasks[0].root().as_message().unwrap();
        assert_eq!(read.fields()["path"], "/tmp/caf\u{fffd}");
        // Lines without one are kept as they were.
        let plain = r#"{"s":"caf\u00e9 \ud83d\ude00","timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m"}"#;
        assert_eq!(WrittenMessage::from_json(plain).unwrap().as_json(), plain);
    }

    #[test]
    fn fields_that_cannot_be_read_are_reported_and_the_line_placed() {
        let with = |value: &str| {
            format!(
                r#"{{"deep":{value},"timestamp":1.0,"task_uuid":"t","task_level":[1],"message_type":"m"}}"#
            )
        };
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        for readable in [
            nested(126),
            "1e308".to_owned(),
            "-1.5E-400".to_owned(),
            format!("{}e+8", "9".repeat(290)),
            format!("\"{}e400\"", "[".repeat(200)),
        ] {
            let parsed = parse_log(&with(&readable));
            assert!(parsed.malformed.is_empty(), "{readable}");
            let message = parsed.tasks[0].root().as_message().unwrap();
            assert!(message.fields().contains_key("deep"), "{readable}");
        }
        for (unreadable, error) in [
            (nested(127), "recursion limit exceeded"),
            ("1e400".to_owned(), "number out of range"),
            ("-1E+309".to_owned(), "number out of range"),
            (format!("{}e+9", "9".repeat(300)), "number out of range"),
            (format!("{}.0", "9".repeat(310)), "number out of range"),
        ] {
            let parsed = parse_log(&with(&unreadable));
            assert_eq!(parsed.malformed.len(), 1, "{unreadable}");
            let Problem::UnreadableFields { error: found } = &parsed.malformed[0].problem else {
                panic!("{:?}", parsed.malformed[0]);
            };
            assert!(found.starts_with(error), "{found}");
            assert!(parsed.tasks[0].is_complete(), "the line is placed");
            let message = parsed.tasks[0].root().as_message().unwrap();
            assert!(message.fields().is_empty());
        }
    }
}
