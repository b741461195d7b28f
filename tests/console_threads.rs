//! Many threads logging to one console at once: every message reaches the
//! output whole, its lines together, never mixed with another message's or
//! with what the program prints itself.
//!
//! The second test runs this binary again as a child process (with
//! `CONSOLE_THREADS_CHILD` set), whose threads log to the real stdout while
//! others `println!`, and reads what it printed through a pipe.

mod support;

use std::collections::HashMap;
use std::io::{self, Write};
use std::process::Command;

use crate::support::console::Shared;
use eliot::console::{ColorChoice, ConsoleDestination};
use eliot::{add_destination, log_message, remove_destination, start_action, write_traceback};

const THREADS: usize = 16;
const MESSAGES: usize = 200;
const CHILD: &str = "CONSOLE_THREADS_CHILD";

/// A writer that takes at most a few bytes per call and lets other threads
/// run in between: a message written in pieces without a lock would be
/// split by the others' pieces.
struct Choppy(Shared);

impl Write for Choppy {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(7);
        self.0.write(&buf[..n])?;
        std::thread::yield_now();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The filler field of message `seq` of `worker`: its length varies, its
/// text says whose it is.
fn pad(worker: usize, seq: usize) -> String {
    format!("w{worker}.").repeat(1 + (seq * 7 + worker) % 40)
}

#[derive(Debug)]
struct Traceback;

impl std::fmt::Display for Traceback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("first line\nsecond line\nthird line")
    }
}

impl std::error::Error for Traceback {}

/// Logs, from `THREADS` threads at once, `MESSAGES` messages each inside a
/// worker action, and a traceback (a message of several lines) every 25.
fn log_from_many_threads() {
    let threads: Vec<_> = (0..THREADS)
        .map(|worker| {
            std::thread::spawn(move || {
                let _action = start_action!("test:worker", worker = worker);
                for seq in 0..MESSAGES {
                    log_message!(
                        "test:worker:step",
                        worker = worker,
                        seq = seq,
                        pad = pad(worker, seq).as_str()
                    );
                    if seq % 25 == 0 {
                        write_traceback(&Traceback);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// The `key=value` fields of a compact head line.
fn fields(line: &str) -> HashMap<&str, &str> {
    line.split(' ')
        .filter_map(|field| field.split_once('='))
        .collect()
}

/// Checks that `text` holds exactly the messages of
/// [`log_from_many_threads`], each whole, and returns its other lines.
fn check_whole_messages(text: &str) -> Vec<&str> {
    let mut others = Vec::new();
    let mut steps: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut task_of_worker: HashMap<usize, &str> = HashMap::new();
    let mut tracebacks = 0;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let head = line.get(..23).filter(|head| {
            head.as_bytes()[13] == b' '
                && head.ends_with(' ')
                && head[14..22].bytes().all(|b| b.is_ascii_hexdigit())
        });
        let Some(head) = head else {
            others.push(line);
            continue;
        };
        let task = &head[14..22];
        let body = line[23..].trim_start();
        if body.starts_with("• test:worker:step/") {
            let fields = fields(body);
            let worker: usize = fields["worker"].parse().unwrap();
            let seq: usize = fields["seq"].parse().unwrap();
            assert_eq!(
                fields["pad"],
                format!("\"{}\"", pad(worker, seq)),
                "a whole line: {line}"
            );
            assert_eq!(fields.len(), 3, "nothing else on the line: {line}");
            assert_eq!(task_of_worker[&worker], task, "its task's id: {line}");
            steps.entry(worker).or_default().push(seq);
        } else if body.starts_with("✖ eliot:traceback/") {
            // The traceback's text follows right after its head line.
            let gutter = "                             │ ";
            for expected in [
                "console_threads::Traceback: first line",
                "second line",
                "third line",
            ] {
                assert_eq!(
                    lines.next(),
                    Some(format!("{gutter}{expected}").as_str()),
                    "the lines of one message stay together"
                );
            }
            // A backtrace, when RUST_BACKTRACE asks for one.
            while lines
                .peek()
                .is_some_and(|next| next.starts_with(gutter.trim_end()))
            {
                lines.next();
            }
            tracebacks += 1;
        } else if body.starts_with("▶ test:worker/1") || body.starts_with("✔ test:worker/") {
            let worker = fields(body).get("worker").map(|w| w.parse().unwrap());
            if let Some(worker) = worker {
                task_of_worker.insert(worker, task);
            }
        } else {
            others.push(line);
        }
    }
    assert_eq!(steps.len(), THREADS);
    for (worker, seqs) in steps {
        assert_eq!(
            seqs,
            (0..MESSAGES).collect::<Vec<_>>(),
            "worker {worker}: every message once, in order"
        );
    }
    assert_eq!(tracebacks, THREADS * MESSAGES.div_ceil(25));
    others
}

#[test]
fn lines_stay_whole_when_many_threads_log_at_once() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let out = Shared::default();
    let console = ConsoleDestination::builder()
        .color(ColorChoice::Never)
        .writer(Choppy(out.clone()));
    let console = add_destination(console);
    log_from_many_threads();
    remove_destination(&console).unwrap();
    let text = out.text();
    let others = check_whole_messages(&text);
    assert!(others.is_empty(), "unexpected lines: {others:?}");
}

/// In the child: the console on stdout, and threads that print their own
/// lines with `println!` meanwhile.
#[test]
fn child_logs_to_stdout_beside_println() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let console = add_destination(
        ConsoleDestination::builder()
            .color(ColorChoice::Never)
            .stdout(),
    );
    let printers: Vec<_> = (0..4)
        .map(|printer| {
            std::thread::spawn(move || {
                for i in 0..500 {
                    println!("printed by {printer}: {i} {}", "=".repeat(i % 60));
                }
            })
        })
        .collect();
    log_from_many_threads();
    for printer in printers {
        printer.join().unwrap();
    }
    remove_destination(&console).unwrap();
}

#[test]
fn lines_on_stdout_stay_whole_beside_println() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_logs_to_stdout_beside_println",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let others = check_whole_messages(&stdout);
    let mut printed = 0;
    for line in others {
        if let Some(rest) = line.strip_prefix("printed by ") {
            let (_, rest) = rest.split_once(": ").unwrap();
            let (i, bar) = rest.split_once(' ').unwrap();
            let i: usize = i.parse().unwrap();
            assert_eq!(bar, "=".repeat(i % 60), "a whole printed line: {line}");
            printed += 1;
        } else {
            // libtest's own lines, around the test.
            assert!(
                line.is_empty() || line.starts_with("running ") || line.starts_with("test "),
                "unexpected line: {line:?}"
            );
        }
    }
    assert_eq!(printed, 4 * 500);
}
