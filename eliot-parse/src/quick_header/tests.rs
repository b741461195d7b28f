//! The hand-written header scan against serde_json's, on random lines: the
//! ordinary lines a logger writes and hostile ones (bad JSON, odd numbers,
//! escapes, duplicates, deep nesting, glued and cut lines).

use serde_json::Value;

use super::single_object;
use crate::RESERVED_KEYS;
use crate::field_index::{self, FieldIndex, FieldTexts};
use crate::scan::{split_objects_with_serde, without_lone_surrogates};

/// A small xorshift generator: the same lines at every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Generates lines; `hostile` ones may break any rule.
struct Lines {
    random: Random,
    hostile: bool,
}

impl Lines {
    /// Whether to break a rule here: now and then, in hostile lines, so
    /// that lines with a single odd thing in them are common too.
    fn odd(&mut self) -> bool {
        self.hostile && self.random.chance(4)
    }

    fn whitespace(&mut self) -> &'static str {
        if !self.random.chance(20) {
            return "";
        }
        if self.odd() {
            return self.random.pick(&["\u{a0}", "\x0c", "\u{2028}"]);
        }
        self.random.pick(&[" ", "  ", "\t", "\r", "\n", " \t "])
    }

    fn string(&mut self) -> String {
        let pieces = [
            "abc",
            "processing the next batch",
            "caf\u{e9}",
            "☕",
            "\\n",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b\\f\\r\\t",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\udce9",
            "\\uDC00\\ud800",
            "{",
            "[",
            "]",
            ",",
            ":",
            "1e400",
            " ",
            "task_uuid",
            "\u{7f}",
        ];
        let odd = ["\\uZZ12", "\\u12", "\\x", "\\", "\x01", "\t", "\x1f"];
        let mut text = String::from("\"");
        for _ in 0..self.random.below(5) {
            text += if self.odd() {
                self.random.pick(&odd)
            } else {
                self.random.pick(&pieces)
            };
        }
        text + "\""
    }

    fn number(&mut self) -> String {
        let odd = self.odd();
        let r = &mut self.random;
        let (signs, ints, fractions, exponents): (&[&str], Vec<&str>, &[&str], &[&str]) = if odd {
            (
                &["", "", "-", "+", "--"],
                vec![
                    "0",
                    "7",
                    "42",
                    "01",
                    "",
                    "00",
                    "1796532572",
                    "18446744073709551615",
                    "18446744073709551616",
                    "9223372036854775808",
                    "99999999999999999999999",
                ],
                &["", "", ".5", ".", ".0001", ".2857142857142857", ".e", "..5"],
                &[
                    "", "", "e5", "E+3", "e-7", "e", "e400", "e308", "e309", "e-400", "e+", "E-",
                    "e0", "e299", "e-324", "E0400",
                ],
            )
        } else {
            (
                &["", "-"],
                vec!["0", "7", "42", "1796532572", "403869"],
                &["", ".5", ".2857142857142857", ".0001"],
                &["", "e5", "E+3", "e-7"],
            )
        };
        let mut number = r.pick(signs).to_owned();
        let big = "9".repeat(300);
        if odd && r.chance(10) {
            number += &big;
        } else {
            number += r.pick(&ints);
        }
        number += r.pick(fractions);
        number += r.pick(exponents);
        number
    }

    fn value(&mut self, depth: usize) -> String {
        let kinds = if depth > 4 { 4 } else { 6 };
        let kinds = kinds + usize::from(self.odd());
        match self.random.below(kinds) {
            0 => self.string(),
            1 => self.number(),
            2 => {
                if self.odd() {
                    let odd = ["tru", "nul", "True", "falsey", "nan", "Infinity"];
                    return self.random.pick(&odd).to_owned();
                }
                self.random.pick(&["true", "false", "null"]).to_owned()
            }
            3 if self.odd() => {
                // Nested around the limit of what is read here, and of
                // what serde_json reads back.
                let depth = 95 + self.random.below(40);
                let (open, close) = if self.random.chance(50) {
                    ("[", "]")
                } else {
                    ("{\"k\":[", "]}")
                };
                format!(
                    "{}{}{}",
                    open.repeat(depth),
                    self.value(5),
                    close.repeat(depth)
                )
            }
            3 => "[]".to_owned(),
            4 | 5 => {
                let object = self.random.chance(50);
                let (open, close) = if object { ("{", "}") } else { ("[", "]") };
                let mut text = open.to_owned() + self.whitespace();
                for n in 0..self.random.below(4) {
                    if n > 0 {
                        text += self.whitespace();
                        text += ",";
                        text += self.whitespace();
                    }
                    if object {
                        text += &self.string();
                        text += self.whitespace();
                        text += ":";
                        text += self.whitespace();
                    }
                    text += &self.value(depth + 1);
                }
                if self.odd() && self.random.chance(20) {
                    text += ",";
                }
                text += self.whitespace();
                text + close
            }
            _ => self
                .random
                .pick(&[
                    "",
                    "{",
                    "[1,]",
                    "{\"a\"}",
                    "{1:2}",
                    "'x'",
                    "\"a\"\"b\"",
                    "[1 2]",
                ])
                .to_owned(),
        }
    }

    fn key(&mut self, name: &str) -> String {
        if self.odd() && self.random.chance(20) {
            // The same name, escaped, or close to it.
            let variants = [
                name.replacen('_', "\\u005f", 1),
                name.replacen('t', "\\u0074", 1),
                format!("{name} "),
                format!("{name}\\n"),
                name.to_uppercase(),
            ];
            return format!("\"{}\"", variants[self.random.below(variants.len())]);
        }
        format!("\"{name}\"")
    }

    fn reserved_value(&mut self, name: &str) -> String {
        if self.odd() && self.random.chance(30) {
            return self.value(0);
        }
        let odd = self.odd();
        let r = &mut self.random;
        match name {
            "task_level" => {
                let mut slots = vec!["1", "2", "13", "4294967295", "3", "7"];
                if odd {
                    slots.extend(["0", "4294967296", "1.0", "-1", "1e2", "01", "99999999999"]);
                }
                let mut text = String::from("[");
                let count = r.below(5) + usize::from(!odd);
                for n in 0..count {
                    if n > 0 {
                        text += if r.chance(80) { "," } else { " , " };
                    }
                    text += r.pick(&slots);
                }
                text + "]"
            }
            "timestamp" => {
                if r.chance(30) {
                    let number = self.number();
                    if !odd {
                        return number.trim_start_matches('-').to_owned();
                    }
                    return number;
                }
                r.pick(&["1796532572.2537875", "1.0", "0", "1425356800.1", "17e8"])
                    .to_owned()
            }
            "action_status" => {
                let mut statuses = vec!["started", "succeeded", "failed"];
                if odd {
                    statuses.extend(["", "done", "start\\u0065d"]);
                }
                format!("\"{}\"", r.pick(&statuses))
            }
            _ => {
                let mut names = vec![
                    "88006415-3ae4-41fe-be76-bc131b25fc9d",
                    "perf:request",
                    "app:step",
                    "t",
                    "caf\u{e9} ☕",
                ];
                if odd {
                    names.extend(["", "a\\u0062c", "tab\there", "\\ud800", "x\\\"y"]);
                }
                format!("\"{}\"", r.pick(&names))
            }
        }
    }

    fn object(&mut self) -> String {
        const RESERVED: [&str; 6] = [
            "task_uuid",
            "task_level",
            "timestamp",
            "message_type",
            "action_type",
            "action_status",
        ];
        let mut entries = Vec::new();
        for name in RESERVED {
            let times = if !self.random.chance(85) {
                0
            } else if self.odd() && self.random.chance(20) {
                2
            } else {
                1
            };
            for _ in 0..times {
                let key = self.key(name);
                let value = self.reserved_value(name);
                entries.push((key, value));
            }
        }
        let others = [
            "done",
            "ratio",
            "tags",
            "note",
            "method",
            "path",
            "request_id",
            "x",
            "",
        ];
        for _ in 0..self.random.below(6) {
            let name = self.random.pick(&others);
            let key = self.key(name);
            let value = self.value(0);
            entries.push((key, value));
        }
        // Shuffled: any order of keys.
        for at in (1..entries.len()).rev() {
            entries.swap(at, self.random.below(at + 1));
        }
        let mut text = String::from("{") + self.whitespace();
        for (n, (key, value)) in entries.iter().enumerate() {
            if n > 0 {
                text += self.whitespace();
                text += ",";
                text += self.whitespace();
            }
            text += key;
            text += self.whitespace();
            if !(self.odd() && self.random.chance(2)) {
                text += ":";
            }
            text += self.whitespace();
            text += value;
        }
        if self.odd() && self.random.chance(5) {
            text += ",";
        }
        text += self.whitespace();
        text + "}"
    }

    fn line(&mut self) -> String {
        let mut line = self.whitespace().to_owned() + &self.object() + self.whitespace();
        if !self.hostile {
            return line;
        }
        match self.random.below(40) {
            0 => line += &self.object(),
            1 => line += self.random.pick(&["x", "}", "]", ",", "\"", "\u{a0}", "{"]),
            2 => line = format!("[{line}]"),
            3 => line = format!("x{line}"),
            _ => {}
        }
        let chars: Vec<char> = line.chars().collect();
        match self.random.below(16) {
            0 => line = chars[..self.random.below(chars.len())].iter().collect(),
            1 => {
                let at = self.random.below(chars.len());
                line = chars[..at].iter().chain(&chars[at + 1..]).collect();
            }
            2 => {
                let at = self.random.below(chars.len() + 1);
                let inserted = self.random.pick(&[
                    "\"", "\\", ",", ":", "{", "}", "[", "]", "1", "-", "e", ".", " ", "\x00", "é",
                ]);
                line = chars[..at].iter().collect::<String>()
                    + inserted
                    + &chars[at..].iter().collect::<String>();
            }
            _ => {}
        }
        line
    }
}

/// Checks the scan on `count` lines; returns how many it read itself (a
/// line with a lone surrogate counts once repaired: `split_objects` repairs
/// such a line and gives it to the scan again).
fn check(seed: u64, hostile: bool, count: usize) -> usize {
    let mut lines = Lines {
        random: Random(seed),
        hostile,
    };
    let mut read = 0;
    for _ in 0..count {
        let line = lines.line();
        let repaired = without_lone_surrogates(&line);
        if repaired.is_some() {
            assert!(
                single_object(&line).is_none(),
                "a lone surrogate read: {line:?}"
            );
        }
        let line = repaired.unwrap_or(line);
        let mut by_serde = Vec::new();
        let problem = split_objects_with_serde(&line, |object, header| {
            by_serde.push((object, header));
        });
        match single_object(&line) {
            Some((object, mut header)) => {
                read += 1;
                let fields = header
                    .fields
                    .take()
                    .expect("a line read here has its index");
                let found = (object, header);
                assert!(
                    problem.is_none() && by_serde.len() == 1 && by_serde[0] == found,
                    "{line:?}\nread here: {found:?}\nby serde_json: {by_serde:?} {problem:?}"
                );
                check_index(object, &fields);
            }
            None => assert!(hostile, "an ordinary line was left to serde_json: {line:?}"),
        }
    }
    read
}

/// The index of `object`'s fields gives what serde_json reads: every key
/// but Eliot's, in order (the last of a repeated key is the one serde_json
/// keeps), each value's text read into the same value.
fn check_index(object: &str, fields: &FieldIndex) {
    let stored = field_index::store(object, Some(fields));
    let (text, Some(encoded)) = field_index::split(&stored) else {
        assert!(object.len() > 16_000, "no index for {object:?}");
        return;
    };
    assert_eq!(text, object);
    let mut expected: serde_json::Map<String, Value> =
        serde_json::from_str(object).expect("a line read here is JSON");
    expected.retain(|key, _| !RESERVED_KEYS.contains(&key.as_str()));
    let mut indexed = serde_json::Map::new();
    for (key, value) in FieldTexts::new(object, encoded) {
        let value: Value =
            serde_json::from_str(value).unwrap_or_else(|e| panic!("{value:?} of {object:?}: {e}"));
        indexed.insert(key.to_owned(), value);
    }
    assert_eq!(indexed, expected, "{object:?}");
}

#[test]
fn ordinary_lines_are_read_here_as_serde_json_reads_them() {
    assert_eq!(check(0x2545_f491_4f6c_dd1d, false, 20_000), 20_000);
}

#[test]
fn hostile_lines_read_here_are_read_as_serde_json_reads_them_and_the_rest_left_to_it() {
    let count = 100_000;
    let read = check(0x9e37_79b9_7f4a_7c15, true, count);
    // Both ways are taken often: the comparison is not vacuous.
    assert!(
        read > count / 10 && read < count * 9 / 10,
        "{read} of {count}"
    );
}
