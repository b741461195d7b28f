//! What one line of a log holds, read without the parser: its objects,
//! each with its header checked, and the problems of the line as a whole.
//!
//! Placing a message in its task needs the parser and the lines before it;
//! reading the line does not. [`scan_line`] is that reading, shared by the
//! parser's own [`add_line`](super::Parser::add_line) and by chunks of
//! lines scanned on other threads ([`Chunk::scan`](super::Chunk::scan)).

use std::borrow::Cow;

use super::header::ValidHeader;
use super::problem::Problem;
use super::scan::split_objects;

/// One thing found on a line, in the order it is to be reported.
pub(crate) enum LineItem<'a> {
    /// One of the line's JSON objects: its header, valid or not.
    Object {
        header: Result<ValidHeader<'a>, Problem>,
        /// The object's text (its lone surrogates repaired).
        text: &'a str,
        /// Whether one of its other fields may be one serde_json cannot
        /// read (see `unreadable_fields`).
        suspect: bool,
        /// What a report about the object shows: the line as it was
        /// written when the object is all of it, else the object alone (a
        /// copy of the whole line in each report would take memory
        /// quadratic in the line's length).
        report_text: &'a str,
    },
    /// A problem of the whole line, reported with `text`.
    Problem {
        problem: Problem,
        text: Cow<'a, str>,
    },
}

/// Reads one line (without its newline) and calls `each` with what it
/// holds. `unterminated` tells a line cut short at the end of its input,
/// whose invalid JSON is reported as truncated. A blank line holds nothing.
pub(crate) fn scan_line(line: &[u8], unterminated: bool, mut each: impl FnMut(LineItem<'_>)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(original) = std::str::from_utf8(line) else {
        let text = String::from_utf8_lossy(line);
        each(LineItem::Problem {
            problem: Problem::NotUtf8,
            text,
        });
        return;
    };
    // Lone surrogates are repaired by `split_objects`, each into an escape
    // as long: the objects it finds measure as the line's.
    let whole = original.trim().len();
    if whole == 0 {
        return; // A blank line holds nothing to lose.
    }
    let mut count = 0;
    let trailing = split_objects(original, |text, header| {
        count += 1;
        let suspect = header.suspect;
        each(LineItem::Object {
            header: header.validate(),
            text,
            suspect,
            report_text: if text.len() == whole { original } else { text },
        });
    });
    if count > 1 {
        each(LineItem::Problem {
            problem: Problem::SeveralMessages { count },
            text: Cow::Borrowed(original),
        });
    }
    if let Some(problem) = trailing {
        let problem = match problem {
            Problem::InvalidJson { error, .. } if unterminated => Problem::Truncated { error },
            other => other,
        };
        each(LineItem::Problem {
            problem,
            text: Cow::Borrowed(original),
        });
    }
}
