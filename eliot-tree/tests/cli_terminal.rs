//! To a terminal, each task is shown as soon as its last line is read,
//! whatever the number of cores: a log read from a pipe or a terminal that
//! stops writing does not keep a finished task off the screen.
//!
//! The terminal is a pseudo-terminal made by `script` (util-linux, in every
//! Debian); the input goes through it too, as a person's typing would.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn task_lines(task: &str) -> String {
    format!(
        "{}\n{}\n{}\n",
        format_args!(
            r#"{{"action_status":"started","timestamp":1.0,"task_uuid":"{task}","action_type":"app:job","task_level":[1]}}"#
        ),
        format_args!(
            r#"{{"timestamp":1.5,"task_uuid":"{task}","task_level":[2],"message_type":"app:note"}}"#
        ),
        format_args!(
            r#"{{"action_status":"succeeded","timestamp":2.0,"task_uuid":"{task}","action_type":"app:job","task_level":[3]}}"#
        ),
    )
}

#[test]
fn to_a_terminal_each_task_is_shown_as_soon_as_its_last_line_is_read() {
    let binary = env!("CARGO_BIN_EXE_eliot-tree");
    let mut script = Command::new("script")
        .args([
            "-qfec",
            &format!("{binary} --color never --jobs 2"),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs eliot-tree in a pseudo-terminal");
    let stdout = script.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line.trim_end_matches('\r').to_owned()).is_err() {
                break;
            }
        }
    });
    let mut input = script.stdin.take().unwrap();
    for task in ["task-a", "task-b", "task-c"] {
        input.write_all(task_lines(task).as_bytes()).unwrap();
        input.flush().unwrap();
        // The terminal echoes the input: the task's own line of the tree
        // is its UUID alone.
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("{task} was not shown while its input stayed open"));
            if line == task {
                break;
            }
        }
    }
    // End of input, as a person types it.
    input.write_all(b"\x04").unwrap();
    input.flush().unwrap();
    drop(input);
    let status = script.wait().unwrap();
    assert!(status.success(), "{status}");
}
