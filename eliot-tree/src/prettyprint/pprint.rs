//! Python's `pprint.pformat(value, width=40)` (CPython 3.11), for the
//! values JSON gives: a value whose `repr` fits the room left on its line is
//! written whole; otherwise a dict or list is written one item per line, and
//! a string is cut into pieces at line ends and after runs of spaces, each
//! piece its own `repr` (a top-level string inside parentheses). Dicts are
//! shown with their keys sorted.

use super::pystr::{self, code_points, is_line_boundary, is_space};
use super::value::{Value, sorted};

/// The width `eliot-prettyprint` asks of `pprint`.
const WIDTH: isize = 40;

/// Appends `pprint.pformat(value, width=40)`.
pub(crate) fn pformat_into(out: &mut String, value: &Value) {
    format(out, value, 0, 0, 0);
}

/// `PrettyPrinter._format`: `indent` is the column the value starts at,
/// `allowance` the room to keep after it (for the closing brackets and
/// commas that follow), `level` its depth.
fn format(out: &mut String, value: &Value, indent: isize, allowance: isize, level: usize) {
    let mut rep = String::new();
    value.repr_into(&mut rep, true);
    if width(&rep) <= WIDTH - indent - allowance {
        out.push_str(&rep);
        return;
    }
    match value {
        Value::Dict(items) => {
            out.push('{');
            let indent = indent + 1;
            let items = sorted(items);
            let last = items.len().saturating_sub(1);
            for (i, (key, item)) in items.into_iter().enumerate() {
                let start = out.len();
                pystr::repr_into(out, key);
                let key_width = width(&out[start..]);
                out.push_str(": ");
                let room = if i == last { allowance + 1 } else { 1 };
                format(out, item, indent + key_width + 2, room, level + 1);
                if i != last {
                    new_line(out, indent);
                }
            }
            out.push('}');
        }
        Value::List(items) => {
            out.push('[');
            let indent = indent + 1;
            let last = items.len().saturating_sub(1);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    new_line(out, indent);
                }
                let room = if i == last { allowance + 1 } else { 1 };
                format(out, item, indent, room, level + 1);
            }
            out.push(']');
        }
        Value::Str(text) if !text.is_empty() => string(out, text, indent, allowance, level + 1),
        _ => out.push_str(&rep),
    }
}

/// `,` and a new line indented to `indent`.
fn new_line(out: &mut String, indent: isize) {
    out.push_str(",\n");
    push_spaces(out, indent);
}

fn push_spaces(out: &mut String, count: isize) {
    out.extend(std::iter::repeat_n(' ', count.max(0).unsigned_abs()));
}

/// The length of a `repr` in code points, as Python's `len()`.
fn width(rep: &str) -> isize {
    isize::try_from(rep.chars().count()).unwrap_or(isize::MAX)
}

/// The length of the `repr` of a string.
fn repr_width(text: &[u8]) -> isize {
    isize::try_from(pystr::repr_len(text)).unwrap_or(isize::MAX)
}

/// `PrettyPrinter._pprint_str`: a string too long for its line.
fn string(out: &mut String, text: &[u8], mut indent: isize, mut allowance: isize, level: usize) {
    if level == 1 {
        indent += 1;
        allowance += 1;
    }
    let max_width = WIDTH - indent;
    let mut max_width1 = max_width;
    let mut chunks: Vec<&[u8]> = Vec::new();
    let lines = split_lines(text);
    let last_line = lines.len() - 1;
    for (i, line) in lines.iter().enumerate() {
        if i == last_line {
            max_width1 -= allowance;
        }
        if repr_width(line) <= max_width1 {
            chunks.push(line);
            continue;
        }
        // Words with the spaces after them, joined while their repr fits.
        let parts = words(line);
        let last_part = parts.len() - 1;
        let mut max_width2 = max_width;
        let mut current: &[u8] = &[];
        let mut current_start = 0;
        for (j, part) in parts.iter().enumerate() {
            let part_start = part.as_ptr() as usize - line.as_ptr() as usize;
            let candidate = &line[current_start..part_start + part.len()];
            if j == last_part && i == last_line {
                max_width2 -= allowance;
            }
            if repr_width(candidate) > max_width2 {
                if !current.is_empty() {
                    chunks.push(current);
                }
                current = part;
                current_start = part_start;
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            chunks.push(current);
        }
    }
    if chunks.len() == 1 {
        pystr::repr_into(out, chunks[0]);
        return;
    }
    if level == 1 {
        out.push('(');
    }
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            push_spaces(out, indent);
        }
        pystr::repr_into(out, chunk);
    }
    if level == 1 {
        out.push(')');
    }
}

/// Python's `str.splitlines(True)`: the lines with their endings, `\r\n`
/// being one ending.
fn split_lines(text: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut at = 0;
    let mut chars = code_points(text).peekable();
    while let Some(c) = chars.next() {
        at += encoded_len(c);
        if is_line_boundary(c) {
            if c == 0x0d && chars.peek() == Some(&0x0a) {
                chars.next();
                at += 1;
            }
            lines.push(&text[start..at]);
            start = at;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// The parts `re.findall(r'\S*\s*', line)` finds (its final empty match
/// left out): each run of non-spaces with the spaces that follow it.
fn words(line: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut at = 0;
    let mut in_spaces = false;
    for c in code_points(line) {
        let space = is_space(c);
        if in_spaces && !space {
            parts.push(&line[start..at]);
            start = at;
            in_spaces = false;
        }
        in_spaces |= space;
        at += encoded_len(c);
    }
    if start < line.len() {
        parts.push(&line[start..]);
    }
    parts
}

/// The bytes of one code point in generalized UTF-8.
fn encoded_len(c: u32) -> usize {
    match c {
        0..=0x7f => 1,
        0x80..=0x7ff => 2,
        0x800..=0xffff => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pformat(value: &Value) -> String {
        let mut out = String::new();
        pformat_into(&mut out, value);
        out
    }

    fn text(s: &str) -> Value {
        Value::Str(s.as_bytes().into())
    }

    #[test]
    fn short_values_stay_on_one_line() {
        assert_eq!(pformat(&text("short")), "'short'");
        assert_eq!(
            pformat(&Value::List(vec![Value::Null; 3])),
            "[None, None, None]"
        );
    }

    #[test]
    fn long_lists_take_a_line_per_item() {
        let items = vec![text("aaaaaaaaaaaaaaa"), text("bbbbbbbbbbbbbbb"), text("c")];
        assert_eq!(
            pformat(&Value::List(items)),
            "['aaaaaaaaaaaaaaa',\n 'bbbbbbbbbbbbbbb',\n 'c']"
        );
    }

    #[test]
    fn long_dicts_are_sorted_with_a_line_per_key() {
        let dict = Value::Dict(vec![
            ("zeta".as_bytes().into(), text("aaaaaaaaaaaaaaaaaaaa")),
            ("alpha".as_bytes().into(), Value::Int("1".into())),
        ]);
        assert_eq!(
            pformat(&dict),
            "{'alpha': 1,\n 'zeta': 'aaaaaaaaaaaaaaaaaaaa'}"
        );
    }

    #[test]
    fn long_strings_are_cut_after_spaces() {
        let long = "the quick brown fox jumps over the lazy dog again and again";
        assert_eq!(
            pformat(&text(long)),
            "('the quick brown fox jumps over the '\n 'lazy dog again and again')"
        );
    }

    #[test]
    fn lines_and_words_split_like_python() {
        assert_eq!(split_lines(b"a\r\nb\rc\n"), [&b"a\r\n"[..], b"b\r", b"c\n"]);
        assert_eq!(split_lines(b"x"), [&b"x"[..]]);
        assert_eq!(words(b"ab  cd e "), [&b"ab  "[..], b"cd ", b"e "]);
        assert_eq!(words(b"  ab"), [&b"  "[..], b"ab"]);
    }
}
