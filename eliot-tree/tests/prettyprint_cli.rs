//! `eliot-prettyprint` as a command: live on a pipe, and on hostile lines
//! the same as Python where Python copes, going on where Python stops.

// The workspace's tests make the same virtualenv: one copy of the set-up.
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/support/python.rs"]
mod python;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn ours(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eliot-prettyprint"))
        .args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    output.stdout
}

#[test]
fn each_message_is_printed_before_the_next_is_written() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eliot-prettyprint"))
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for i in 1..=3 {
        writeln!(
            stdin,
            r#"{{"n":{i},"timestamp":0,"task_uuid":"t","task_level":[{i}],"message_type":"m"}}"#
        )
        .unwrap();
        stdin.flush().unwrap();
        // stdin stays open: the line must come out now, not at the end.
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(
            line,
            format!("t/{i} 1970-01-01T00:00:00Z message_type=\"m\" n={i}\n")
        );
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// Lines Python's eliot-prettyprint shows without failing.
const HOSTILE: &[&str] = &[
    "",
    "not json",
    "{",
    "[1, 2]x",
    "{\"a\":1}",
    "{\"timestamp\":1,\"task_uuid\":\"u\"}",
    "\u{feff}{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1]}",
    "{\"timestamp\":1.5,\"task_uuid\":\"u\",\"task_level\":[1],\"c\":\"\\u0000\\u001b[31m\\u007f\\u0085\\u202e\"}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"s\":\"\\ud800 lone \\udfff\"}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"s\":\"\\ud83d\\ude00 😀 \u{10ffff}\"}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"n\":123456789012345678901234567890}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"f\":[1e16,1e-5,0.1,-0.0,1e400,NaN,-Infinity]}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"d\":{\"b\":1,\"a\":[{\"z\":\"it's\"},\"say \\\"hi\\\"\"]}}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"a\":1,\"a\":2}",
    "{\"timestamp\":true,\"task_uuid\":5,\"task_level\":\"abc\"}",
    "{\"timestamp\":0.9999999,\"task_uuid\":[1,{\"x\":null}],\"task_level\":{\"k\":1}}",
    "{\"timestamp\":-1.5,\"task_uuid\":\"u\",\"task_level\":[]}",
    "{\"timestamp\":253402300799,\"task_uuid\":\"u\",\"task_level\":[1]}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"t\":\"a\\tb\\\\nc\\nd\"}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"deep\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"tab\":\"x\"}\t\r",
    "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"bad\":\"raw\ttab\"}",
];

#[test]
fn hostile_lines_print_as_python_prints_them() {
    let python = python::venv_bin().join("eliot-prettyprint");
    let mut log: Vec<u8> = HOSTILE.join("\n").into_bytes();
    log.extend_from_slice(
        b"\n\xff\xfe not utf-8\n{\"a\":\"\xed\xa0\x80\"}\n{\0}\0\nlast, no newline",
    );
    for args in [&[][..], &["-c"][..]] {
        let mut child = Command::new(&python)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&log).unwrap();
        let want = child.wait_with_output().unwrap();
        assert!(want.status.success());
        assert_eq!(
            String::from_utf8_lossy(&ours(args, &log)),
            String::from_utf8_lossy(&want.stdout),
            "{args:?}"
        );
    }
}

#[test]
fn lines_that_stop_python_are_shown_and_reading_goes_on() {
    let log = concat!(
        "[1,2]\n",
        "{\"timestamp\":\"noon\",\"task_uuid\":\"u\",\"task_level\":[1]}\n",
        "{\"timestamp\":1e300,\"task_uuid\":\"u\",\"task_level\":[1]}\n",
        "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":7}\n",
        "{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":[1],\"\\ud800\":1}\n",
    );
    let out = String::from_utf8(ours(&["-c"], log.as_bytes())).unwrap();
    assert_eq!(
        out,
        concat!(
            "Not an Eliot message: b'[1,2]'\n\n",
            "Not an Eliot message: b'{\"timestamp\":\"noon\",\"task_uuid\":\"u\",\"task_level\":[1]}'\n\n",
            "Not an Eliot message: b'{\"timestamp\":1e300,\"task_uuid\":\"u\",\"task_level\":[1]}'\n\n",
            "Not an Eliot message: b'{\"timestamp\":1,\"task_uuid\":\"u\",\"task_level\":7}'\n\n",
            "u/1 1970-01-01T00:00:01Z \\ud800=1\n",
        )
    );
}
