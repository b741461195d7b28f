//! One Eliot message written as Python's `eliot.prettyprint` writes it:
//! `pretty_format` (a header, then one field per line) and `compact_format`
//! (one line).

use std::fmt::Write as _;

use super::pprint::pformat_into;
use super::pystr::{self, char_count, code_points, push_code_point};
use super::value::{Value, sorted};
use crate::clock::Clock;

/// Eliot's own fields, shown in the header or first.
const SKIPPED: [&str; 6] = [
    "timestamp",
    "task_uuid",
    "task_level",
    "message_type",
    "action_type",
    "action_status",
];

/// The fields shown first, in this order, when present.
const FIRST: [&str; 3] = ["action_type", "message_type", "action_status"];

/// The fields without which a line is not an Eliot message.
pub(crate) const REQUIRED: [&str; 3] = ["task_level", "task_uuid", "timestamp"];

/// Python's `eliot-prettyprint` would stop on this message with an
/// exception: its timestamp is not a date (not a number, or beyond the
/// years 1 to 9999) or its `task_level` cannot be iterated.
#[derive(Debug)]
pub(crate) struct Unrenderable;

/// Appends the message as `pretty_format` writes it, with the newline the
/// command adds. On error nothing is appended.
pub(crate) fn pretty_into(
    out: &mut String,
    message: &[(Box<[u8]>, Value)],
    clock: &Clock,
) -> Result<(), Unrenderable> {
    let dict = Value::Dict(Vec::new());
    let field = |name: &str| find(message, name).unwrap_or(&dict);
    let start = out.len();
    field("task_uuid").str_into(out);
    out.push_str(" -> ");
    let header = level_into(out, field("task_level"))
        .and_then(|()| {
            out.push('\n');
            timestamp_into(out, field("timestamp"), clock)
        })
        .inspect_err(|_| out.truncate(start));
    header?;
    out.push('\n');
    let mut value_text = String::new();
    for (key, value) in fields(message) {
        value_text.clear();
        pformat_into(&mut value_text, value);
        let value_text = value_text.replace("\\n", "\n ").replace("\\t", "\t");
        out.push_str("  ");
        pystr::push_text(out, key);
        out.push_str(": ");
        // Later lines are indented under the first: two spaces, as many as
        // the key has characters, then "| ".
        let mut lines = value_text.split('\n');
        out.push_str(lines.next().unwrap_or_default());
        for line in lines {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', 2 + char_count(key)));
            out.push_str("| ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push('\n');
    Ok(())
}

/// Appends the message as `compact_format` writes it, with the newline the
/// command adds. On error nothing is appended.
pub(crate) fn compact_into(
    out: &mut String,
    message: &[(Box<[u8]>, Value)],
    clock: &Clock,
) -> Result<(), Unrenderable> {
    let dict = Value::Dict(Vec::new());
    let field = |name: &str| find(message, name).unwrap_or(&dict);
    let start = out.len();
    field("task_uuid").str_into(out);
    let header = level_into(out, field("task_level"))
        .and_then(|()| {
            out.push(' ');
            timestamp_into(out, field("timestamp"), clock)
        })
        .inspect_err(|_| out.truncate(start));
    header?;
    out.push(' ');
    for (i, (key, value)) in fields(message).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        pystr::push_text(out, key);
        out.push('=');
        value.json_into(out);
    }
    out.push('\n');
    Ok(())
}

fn find<'a>(message: &'a [(Box<[u8]>, Value)], name: &str) -> Option<&'a Value> {
    message
        .iter()
        .find(|(key, _)| **key == *name.as_bytes())
        .map(|(_, value)| value)
}

/// The fields in the order they are shown: the first ones, then the others
/// sorted by key, Eliot's own left out.
fn fields(message: &[(Box<[u8]>, Value)]) -> impl Iterator<Item = (&[u8], &Value)> {
    let first = FIRST
        .iter()
        .filter_map(|name| Some((name.as_bytes(), find(message, name)?)));
    let rest = sorted(message)
        .into_iter()
        .filter(|(key, _)| !SKIPPED.iter().any(|s| **key == *s.as_bytes()))
        .map(|(key, value)| (&**key, value));
    first.chain(rest)
}

/// Appends `"/" + "/".join(map(str, task_level))`: the items of a list, the
/// characters of a string, the keys of a dict.
fn level_into(out: &mut String, level: &Value) -> Result<(), Unrenderable> {
    out.push('/');
    match level {
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('/');
                }
                item.str_into(out);
            }
        }
        Value::Str(text) => {
            let mut one = Vec::with_capacity(4);
            for (i, c) in code_points(text).enumerate() {
                if i > 0 {
                    out.push('/');
                }
                one.clear();
                push_code_point(&mut one, c);
                pystr::push_text(out, &one);
            }
        }
        Value::Dict(items) => {
            for (i, (key, _)) in items.iter().enumerate() {
                if i > 0 {
                    out.push('/');
                }
                pystr::push_text(out, key);
            }
        }
        _ => return Err(Unrenderable),
    }
    Ok(())
}

/// Appends `datetime.fromtimestamp(timestamp).isoformat(sep="T")`: with a
/// `Z` for UTC, with nothing after it for local time, microseconds only
/// when they are not zero. `int`, `float` and `bool` are timestamps.
fn timestamp_into(out: &mut String, timestamp: &Value, clock: &Clock) -> Result<(), Unrenderable> {
    let wall = match timestamp {
        Value::Float(f) => clock.wall_time_of_float(*f),
        Value::Int(digits) => digits
            .parse()
            .ok()
            .and_then(|seconds| clock.wall_time(seconds, 0)),
        Value::Bool(b) => clock.wall_time(i64::from(*b), 0),
        _ => None,
    };
    let wall = wall.ok_or(Unrenderable)?;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second
    );
    if wall.microsecond != 0 {
        let _ = write!(out, ".{:06}", wall.microsecond);
    }
    if !clock.is_local() {
        out.push('Z');
    }
    Ok(())
}
