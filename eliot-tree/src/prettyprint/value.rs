//! A JSON value as Python's `json.loads` gives it, and the ways Python
//! writes one: `repr()` (with dicts in their order, or sorted as `pprint`
//! shows them), `str()`, and `json.dumps()`.

use super::pystr;
use crate::format::python_float_into;

/// A value read from a JSON line, with the types Python gives it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// `null`: Python's `None`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number without fraction or exponent: a Python `int`, of any size
    /// (up to Python's 4300 digits), kept as the digits Python prints.
    Int(Box<str>),
    /// A number with a fraction or an exponent, or `NaN`, `Infinity`,
    /// `-Infinity`: a Python `float`.
    Float(f64),
    /// A string, in generalized UTF-8 (see [`pystr`]).
    Str(Box<[u8]>),
    /// An array: a Python `list`.
    List(Vec<Value>),
    /// An object: a Python `dict`, keys unique and in the order they first
    /// appeared (a repeated key keeps its first place and its last value).
    Dict(Vec<(Box<[u8]>, Value)>),
}

impl Value {
    /// Appends Python's `repr()`; with `sort_dicts`, dicts list their keys
    /// in order, as `pprint` shows them.
    pub(crate) fn repr_into(&self, out: &mut String, sort_dicts: bool) {
        match self {
            Value::Null => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(digits) => out.push_str(digits),
            Value::Float(f) => python_float_into(out, *f),
            Value::Str(text) => pystr::repr_into(out, text),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.repr_into(out, sort_dicts);
                }
                out.push(']');
            }
            Value::Dict(items) => {
                out.push('{');
                let mut write_item = |i: usize, (key, value): &(Box<[u8]>, Value)| {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    pystr::repr_into(out, key);
                    out.push_str(": ");
                    value.repr_into(out, sort_dicts);
                };
                if sort_dicts {
                    for (i, item) in sorted(items).into_iter().enumerate() {
                        write_item(i, item);
                    }
                } else {
                    for (i, item) in items.iter().enumerate() {
                        write_item(i, item);
                    }
                }
                out.push('}');
            }
        }
    }

    /// Appends Python's `str()`: a string as it is, anything else as its
    /// `repr()`.
    pub(crate) fn str_into(&self, out: &mut String) {
        match self {
            Value::Str(text) => pystr::push_text(out, text),
            _ => self.repr_into(out, false),
        }
    }

    /// Appends Python's `json.dumps(value, separators=(",", ":"))`.
    pub(crate) fn json_into(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Int(digits) => out.push_str(digits),
            Value::Float(f) if f.is_nan() => out.push_str("NaN"),
            Value::Float(f) if f.is_infinite() => {
                out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" });
            }
            Value::Float(f) => python_float_into(out, *f),
            Value::Str(text) => pystr::json_into(out, text),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.json_into(out);
                }
                out.push(']');
            }
            Value::Dict(items) => {
                out.push('{');
                for (i, (key, value)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pystr::json_into(out, key);
                    out.push(':');
                    value.json_into(out);
                }
                out.push('}');
            }
        }
    }
}

/// A dict's items in the order of their keys: Python's `sorted()` on
/// strings, which compares code points, as generalized UTF-8 bytes do.
pub(crate) fn sorted(items: &[(Box<[u8]>, Value)]) -> Vec<&(Box<[u8]>, Value)> {
    let mut sorted: Vec<_> = items.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Box<[u8]> {
        s.as_bytes().into()
    }

    fn sample() -> Value {
        Value::Dict(vec![
            (text("b"), Value::List(vec![Value::Null, Value::Bool(true)])),
            (text("a"), Value::Float(1e16)),
            (text("c"), Value::Str(text("it's"))),
        ])
    }

    #[test]
    fn repr_keeps_or_sorts_dicts() {
        let mut out = String::new();
        sample().repr_into(&mut out, false);
        assert_eq!(out, r#"{'b': [None, True], 'a': 1e+16, 'c': "it's"}"#);
        out.clear();
        sample().repr_into(&mut out, true);
        assert_eq!(out, r#"{'a': 1e+16, 'b': [None, True], 'c': "it's"}"#);
    }

    #[test]
    fn json_is_compact_and_in_order() {
        let mut out = String::new();
        sample().json_into(&mut out);
        assert_eq!(out, r#"{"b":[null,true],"a":1e+16,"c":"it's"}"#);
        out.clear();
        Value::List(vec![
            Value::Float(f64::NAN),
            Value::Float(f64::NEG_INFINITY),
        ])
        .json_into(&mut out);
        assert_eq!(out, "[NaN,-Infinity]");
    }

    #[test]
    fn str_of_a_string_is_the_string() {
        let mut out = String::new();
        Value::Str(text("a'b")).str_into(&mut out);
        assert_eq!(out, "a'b");
    }
}
