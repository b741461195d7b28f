//! What the console prints, by its exact bytes: a fixed log (fixed times
//! and UUIDs) in compact and pretty layout, with and without colour, in
//! ASCII; durations, and actions that never end; hostile text in fields;
//! messages that lack Eliot's fields or hold them wrong.

use crate::support::console::{LOG, draw, plain};
use eliot::console::ColorChoice;

#[test]
fn compact_prints_one_line_per_message_and_tracebacks_below() {
    let expected = concat!(
        "08:45:09.127Z 3f2a9c1e ▶ app:request/1 path=\"/users/7\"\n",
        "08:45:09.127Z b7d41c09 • app:startup/1 version=\"0.1.0\"\n",
        "08:45:09.128Z 3f2a9c1e   • app:request:received/2 size=512 ratio=0.25 secure=true\n",
        "08:45:09.129Z 3f2a9c1e   ▶ app:db:query/3/1 table=\"users\" limit=null\n",
        "08:45:09.129Z 3f2a9c1e     • app:db:row/3/2 row={\"id\":7,\"name\":\"Ada\",\"roles\":[\"admin\",\"ops\"]}\n",
        "08:45:09.130Z 3f2a9c1e   ✔ app:db:query/3/3 (1.25ms) rows=1\n",
        "08:45:09.130Z 3f2a9c1e   ▶ app:parse_port/4/1 text=\"80a\"\n",
        "08:45:09.130Z 3f2a9c1e   ✖ app:parse_port/4/2 (52µs) exception=\"core::num::error::ParseIntError\" reason=\"invalid digit found in string\"\n",
        "08:45:09.130Z 3f2a9c1e   ✖ eliot:traceback/5 exception=\"std::io::error::Error\" reason=\"No such file or directory (os error 2)\" errno=2\n",
        "                             │ std::io::error::Error: No such file or directory (os error 2)\n",
        "                             │\n",
        "                             │ Caused by:\n",
        "                             │     0: not found\n",
        "08:45:09.131Z 3f2a9c1e ✔ app:request/6 (4.10ms) status=200\n",
    );
    assert_eq!(draw(plain(), &LOG), expected);
}

#[test]
fn pretty_puts_each_field_on_its_own_line() {
    let expected = concat!(
        "08:45:09.127Z 3f2a9c1e ▶ app:request/1\n",
        "                           path: /users/7\n",
        "08:45:09.127Z b7d41c09 • app:startup/1\n",
        "                           version: 0.1.0\n",
        "08:45:09.128Z 3f2a9c1e   • app:request:received/2\n",
        "                             size: 512\n",
        "                             ratio: 0.25\n",
        "                             secure: true\n",
        "08:45:09.129Z 3f2a9c1e   ▶ app:db:query/3/1\n",
        "                             table: users\n",
        "                             limit: null\n",
        "08:45:09.129Z 3f2a9c1e     • app:db:row/3/2\n",
        "                               row: {\"id\":7,\"name\":\"Ada\",\"roles\":[\"admin\",\"ops\"]}\n",
        "08:45:09.130Z 3f2a9c1e   ✔ app:db:query/3/3 (1.25ms)\n",
        "                             rows: 1\n",
        "08:45:09.130Z 3f2a9c1e   ▶ app:parse_port/4/1\n",
        "                             text: 80a\n",
        "08:45:09.130Z 3f2a9c1e   ✖ app:parse_port/4/2 (52µs)\n",
        "                             exception: core::num::error::ParseIntError\n",
        "                             reason: invalid digit found in string\n",
        "08:45:09.130Z 3f2a9c1e   ✖ eliot:traceback/5\n",
        "                             exception: std::io::error::Error\n",
        "                             reason: No such file or directory (os error 2)\n",
        "                             errno: 2\n",
        "                             traceback:\n",
        "                               │ std::io::error::Error: No such file or directory (os error 2)\n",
        "                               │\n",
        "                               │ Caused by:\n",
        "                               │     0: not found\n",
        "08:45:09.131Z 3f2a9c1e ✔ app:request/6 (4.10ms)\n",
        "                           status: 200\n",
    );
    assert_eq!(draw(plain().pretty(), &LOG), expected);
}

#[test]
fn ascii_marks_replace_the_unicode_ones() {
    let expected = concat!(
        "08:45:09.129Z 3f2a9c1e   > app:db:query/3/1 table=\"users\" limit=null\n",
        "08:45:09.129Z 3f2a9c1e     * app:db:row/3/2 row={\"id\":7,\"name\":\"Ada\",\"roles\":[\"admin\",\"ops\"]}\n",
        "08:45:09.130Z 3f2a9c1e   + app:db:query/3/3 (1.25ms) rows=1\n",
        "08:45:09.130Z 3f2a9c1e   > app:parse_port/4/1 text=\"80a\"\n",
        "08:45:09.130Z 3f2a9c1e   x app:parse_port/4/2 (52us) exception=\"core::num::error::ParseIntError\" reason=\"invalid digit found in string\"\n",
        "08:45:09.130Z 3f2a9c1e   x eliot:traceback/5 exception=\"std::io::error::Error\" reason=\"No such file or directory (os error 2)\" errno=2\n",
        "                             | std::io::error::Error: No such file or directory (os error 2)\n",
        "                             |\n",
        "                             | Caused by:\n",
        "                             |     0: not found\n",
    );
    assert_eq!(draw(plain().ascii(true), &LOG[3..9]), expected);
    assert!(expected.is_ascii());
}

const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const BOLD_RED: &str = "\x1b[1;31m";
const GREEN: &str = "\x1b[32m";
const OFF: &str = "\x1b[0m";
/// The colours of the two tasks' short ids: each task keeps its own.
const TASK_A: &str = "\x1b[93m";
const TASK_B: &str = "\x1b[95m";

#[test]
fn colour_marks_status_failures_and_each_task() {
    let time = |t: &str| format!("{DIM}{t}{OFF}");
    let a = format!("{TASK_A}3f2a9c1e{OFF}");
    let b = format!("{TASK_B}b7d41c09{OFF}");
    let key = |k: &str| format!("{DIM}{k}={OFF}");
    let level = |l: &str| format!("{DIM}{l}{OFF}");
    let gutter = format!("                             {RED}│{OFF}");
    let expected = [
        format!(
            "{} {a} {BOLD}▶{OFF} {BOLD}app:request{OFF}{} {}\"/users/7\"\n",
            time("08:45:09.127Z"),
            level("/1"),
            key("path")
        ),
        format!(
            "{} {b} {DIM}•{OFF} app:startup{} {}\"0.1.0\"\n",
            time("08:45:09.127Z"),
            level("/1"),
            key("version")
        ),
        format!(
            "{} {a}   {DIM}•{OFF} app:request:received{} {}512 {}0.25 {}true\n",
            time("08:45:09.128Z"),
            level("/2"),
            key("size"),
            key("ratio"),
            key("secure")
        ),
        format!(
            "{} {a}   {BOLD}▶{OFF} {BOLD}app:db:query{OFF}{} {}\"users\" {}null\n",
            time("08:45:09.129Z"),
            level("/3/1"),
            key("table"),
            key("limit")
        ),
        format!(
            "{} {a}     {DIM}•{OFF} app:db:row{} {}{{\"id\":7,\"name\":\"Ada\",\"roles\":[\"admin\",\"ops\"]}}\n",
            time("08:45:09.129Z"),
            level("/3/2"),
            key("row")
        ),
        format!(
            "{} {a}   {GREEN}✔{OFF} {BOLD}app:db:query{OFF}{} (1.25ms) {}1\n",
            time("08:45:09.130Z"),
            level("/3/3"),
            key("rows")
        ),
        format!(
            "{} {a}   {BOLD}▶{OFF} {BOLD}app:parse_port{OFF}{} {}\"80a\"\n",
            time("08:45:09.130Z"),
            level("/4/1"),
            key("text")
        ),
        format!(
            "{} {a}   {BOLD_RED}✖{OFF} {BOLD_RED}app:parse_port{OFF}{} (52µs) {}{RED}\"core::num::error::ParseIntError\"{OFF} {}{RED}\"invalid digit found in string\"{OFF}\n",
            time("08:45:09.130Z"),
            level("/4/2"),
            key("exception"),
            key("reason")
        ),
        format!(
            "{} {a}   {BOLD_RED}✖{OFF} {BOLD_RED}eliot:traceback{OFF}{} {}{RED}\"std::io::error::Error\"{OFF} {}{RED}\"No such file or directory (os error 2)\"{OFF} {}2\n",
            time("08:45:09.130Z"),
            level("/5"),
            key("exception"),
            key("reason"),
            key("errno")
        ),
        format!("{gutter} std::io::error::Error: No such file or directory (os error 2)\n"),
        format!("{gutter}\n"),
        format!("{gutter} Caused by:\n"),
        format!("{gutter}     0: not found\n"),
        format!(
            "{} {a} {GREEN}✔{OFF} {BOLD}app:request{OFF}{} (4.10ms) {}200\n",
            time("08:45:09.131Z"),
            level("/6"),
            key("status")
        ),
    ]
    .concat();
    let drawn = draw(plain().color(ColorChoice::Always), &LOG);
    assert_eq!(drawn, expected);
}

#[test]
fn colour_in_pretty_layout() {
    let pad = "                             ";
    let expected = [
        format!(
            "{DIM}08:45:09.130Z{OFF} {TASK_A}3f2a9c1e{OFF}   {BOLD_RED}✖{OFF} {BOLD_RED}app:parse_port{OFF}{DIM}/4/2{OFF}\n"
        ),
        format!("{pad}{DIM}exception:{OFF} {RED}core::num::error::ParseIntError{OFF}\n"),
        format!("{pad}{DIM}reason:{OFF} {RED}invalid digit found in string{OFF}\n"),
        format!(
            "{DIM}08:45:09.130Z{OFF} {TASK_A}3f2a9c1e{OFF}   {BOLD_RED}✖{OFF} {BOLD_RED}eliot:traceback{OFF}{DIM}/5{OFF}\n"
        ),
        format!("{pad}{DIM}exception:{OFF} {RED}std::io::error::Error{OFF}\n"),
        format!("{pad}{DIM}reason:{OFF} {RED}No such file or directory (os error 2){OFF}\n"),
        format!("{pad}{DIM}errno:{OFF} 2\n"),
        format!("{pad}{DIM}traceback:{OFF}\n"),
        format!("{pad}  {RED}│{OFF} std::io::error::Error: No such file or directory (os error 2)\n"),
        format!("{pad}  {RED}│{OFF}\n"),
        format!("{pad}  {RED}│{OFF} Caused by:\n"),
        format!("{pad}  {RED}│{OFF}     0: not found\n"),
    ]
    .concat();
    let drawn = draw(plain().pretty().color(ColorChoice::Always), &LOG[7..9]);
    assert_eq!(drawn, expected);
}

/// Field values are data from outside: escape sequences, carriage returns,
/// line breaks, bells, C1 controls and direction overrides are printed as
/// visible escapes, in values, keys, types, task ids and tracebacks, in
/// both layouts, so that none reaches the terminal.
#[test]
fn hostile_text_is_escaped_and_never_drives_the_terminal() {
    let line = concat!(
        r#"{"title":"\u001b]0;pwned\u0007","red":"\u001b[31mred\u001b[0m","cr":"safe\rEVIL","nl":"one\ntwo","#,
        r#""c1":"\u009b2J","bidi":"abc\u202edcba","tab":"a\tb","del":"x\u007f","quote":"say \"hi\" \\o/","#,
        r#""k\u001b[1mey":1,"nested":{"x":"\u001b[2J","y":"ok"},"#,
        r#""timestamp":1795682709.127,"task_uuid":"\u001b[2Jab-cdef-12","task_level":[1],"message_type":"app:\u001b[5mblink"}"#
    );
    let compact = draw(plain(), &[line]);
    assert_eq!(
        compact,
        concat!(
            r#"08:45:09.127Z \x1b[2Jab-c • app:\x1b[5mblink/1 title="\x1b]0;pwned\x07" red="\x1b[31mred\x1b[0m" cr="safe\rEVIL" nl="one\ntwo" "#,
            r#"c1="\u{9b}2J" bidi="abc\u{202e}dcba" tab="a\tb" del="x\x7f" quote="say \"hi\" \\o/" "#,
            r#"k\x1b[1mey=1 nested={"x":"\u001b[2J","y":"ok"}"#,
            "\n"
        )
    );
    let pretty = draw(plain().pretty(), &[line]);
    assert_eq!(
        pretty,
        concat!(
            r#"08:45:09.127Z \x1b[2Jab-c • app:\x1b[5mblink/1"#,
            "\n                           title: \\x1b]0;pwned\\x07",
            "\n                           red: \\x1b[31mred\\x1b[0m",
            "\n                           cr: safe\\rEVIL",
            "\n                           nl:",
            "\n                             │ one",
            "\n                             │ two",
            "\n                           c1: \\u{9b}2J",
            "\n                           bidi: abc\\u{202e}dcba",
            "\n                           tab: a\\tb",
            "\n                           del: x\\x7f",
            "\n                           quote: say \"hi\" \\o/",
            "\n                           k\\x1b[1mey: 1",
            "\n                           nested: {\"x\":\"\\u001b[2J\",\"y\":\"ok\"}",
            "\n"
        )
    );
    for drawn in [&compact, &pretty] {
        assert!(
            !drawn.bytes().any(|b| b < 0x20 && b != b'\n'),
            "no control character but line ends: {drawn:?}"
        );
        assert!(!drawn.contains(['\u{9b}', '\u{202e}', '\x7f']));
    }

    // In a traceback's text too; with colour on, the only escapes are the
    // console's own.
    let traceback = concat!(
        r#"{"reason":"bad\u001b[2J","traceback":"line\r\u001b[1Aover\n\u009b6n\n","exception":"E","#,
        r#""timestamp":1795682709.127,"task_uuid":"3f2a9c1e-8a4b-4c1d-9e2f-0123456789ab","task_level":[1],"message_type":"eliot:traceback"}"#
    );
    assert_eq!(
        draw(plain(), &[traceback]),
        concat!(
            "08:45:09.127Z 3f2a9c1e ✖ eliot:traceback/1 exception=\"E\" reason=\"bad\\x1b[2J\"\n",
            "                           │ line\\r\\x1b[1Aover\n",
            "                           │ \\u{9b}6n\n"
        )
    );
    let lines = [traceback, line];
    let coloured = draw(plain().color(ColorChoice::Always), &lines);
    let console_styles = [
        "0", "1", "2", "31", "1;31", "32", "33", "34", "35", "36", "93", "94", "95", "96",
    ];
    for (at, _) in coloured.match_indices('\x1b') {
        let sequence = &coloured[at + 1..];
        let style = sequence
            .strip_prefix('[')
            .and_then(|rest| rest.split_once('m'))
            .map(|(style, _)| style);
        assert!(
            style.is_some_and(|style| console_styles.contains(&style)),
            "only the console's own styles reach the terminal: {:?}",
            &sequence[..sequence.len().min(12)]
        );
    }
    let mut uncoloured = coloured.clone();
    for style in console_styles {
        uncoloured = uncoloured.replace(&format!("\x1b[{style}m"), "");
    }
    assert_eq!(
        uncoloured,
        draw(plain(), &lines),
        "colour adds styles, nothing else"
    );
}

/// The console remembers the start of at most `max_open_actions` open
/// actions; past that the oldest is forgotten and its end shows no
/// duration, while the others keep theirs.
#[test]
fn actions_that_never_end_are_forgotten_past_the_limit() {
    let start = |task: &str, t: &str| {
        format!(
            r#"{{"action_status":"started","timestamp":{t},"task_uuid":"{task}","action_type":"app:job","task_level":[1]}}"#
        )
    };
    let end = |task: &str, t: &str| {
        format!(
            r#"{{"action_status":"succeeded","timestamp":{t},"task_uuid":"{task}","action_type":"app:job","task_level":[2]}}"#
        )
    };
    let lines = [
        start("aaaaaaaa-never-ends", "1795682709.0"),
        start("bbbbbbbb-0000", "1795682709.1"),
        start("cccccccc-0000", "1795682709.2"),
        end("cccccccc-0000", "1795682709.25"),
        end("aaaaaaaa-never-ends", "1795682710.0"),
        end("bbbbbbbb-0000", "1795682709.4"),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let ends = |drawn: String| -> Vec<String> {
        drawn
            .lines()
            .filter(|l| l.contains('✔'))
            .map(|l| l[14..].to_owned())
            .collect()
    };
    assert_eq!(
        ends(draw(plain().max_open_actions(2), &lines)),
        [
            "cccccccc ✔ app:job/2 (50.0ms)",
            "aaaaaaaa ✔ app:job/2",
            "bbbbbbbb ✔ app:job/2 (300ms)",
        ],
        "a forgotten start: no duration"
    );
    assert_eq!(
        ends(draw(plain(), &lines)),
        [
            "cccccccc ✔ app:job/2 (50.0ms)",
            "aaaaaaaa ✔ app:job/2 (1.00s)",
            "bbbbbbbb ✔ app:job/2 (300ms)",
        ],
        "under the default limit all are remembered"
    );
    assert_eq!(
        ends(draw(plain().max_open_actions(0), &lines)),
        [
            "cccccccc ✔ app:job/2",
            "aaaaaaaa ✔ app:job/2",
            "bbbbbbbb ✔ app:job/2",
        ]
    );
}

/// Lines written by other programs or by hand: what is missing is shown
/// as dashes, what is of the wrong kind is shown as a field, nothing is
/// dropped.
#[test]
fn messages_without_eliots_fields_are_shown_whole() {
    let lines = [
        r#"{"x":1}"#,
        r#"{}"#,
        r#"{"timestamp":"noon","task_uuid":7,"task_level":"top","message_type":"app:odd"}"#,
        r#"{"action_status":"paused","timestamp":1795682709.127,"task_uuid":"3f2a9c1e","action_type":"app:job","task_level":[2,1]}"#,
        r#"{"message_type":"app:also","timestamp":1795682709.127,"task_uuid":"3f2a9c1e","action_type":"app:job","action_status":"started","task_level":[1]}"#,
        r#"{"timestamp": 1.7956827091e9, "task_uuid": "short", "task_level": [1, 2], "message_type": "app:spaced", "n": -1.5e-3}"#,
        r#"{"timestamp":1795682709.127,"task_uuid":"3f2a9c1e","task_level":[1],"message_type":42}"#,
    ];
    assert_eq!(
        draw(plain(), &lines),
        concat!(
            "--:--:--.---Z -------- ? x=1\n",
            "--:--:--.---Z -------- ?\n",
            "--:--:--.---Z -------- • app:odd timestamp=\"noon\" task_uuid=7 task_level=\"top\"\n",
            "08:45:09.127Z 3f2a9c1e   ? app:job/2/1 action_status=\"paused\"\n",
            "08:45:09.127Z 3f2a9c1e ▶ app:job/1 message_type=\"app:also\"\n",
            "08:45:09.100Z short        • app:spaced/1/2 n=-1.5e-3\n",
            "08:45:09.127Z 3f2a9c1e • 42/1\n",
        )
    );
}
