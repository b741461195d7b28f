//! `--follow`: tasks are shown as a growing file completes them, a line
//! written in two pieces is read once whole, and a truncated file is read
//! again from its start.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::scratch_file;

fn line(task: &str, level: u32, kind: &str) -> String {
    match kind {
        "start" => format!(
            r#"{{"action_status":"started","timestamp":1.0,"task_uuid":"{task}","action_type":"app:job","task_level":[{level}]}}"#
        ),
        "end" => format!(
            r#"{{"action_status":"succeeded","timestamp":2.0,"task_uuid":"{task}","action_type":"app:job","task_level":[{level}]}}"#
        ),
        _ => format!(
            r#"{{"timestamp":1.5,"task_uuid":"{task}","task_level":[{level}],"message_type":"app:{kind}"}}"#
        ),
    }
}

/// The child's stdout, line by line, read on a thread.
struct Follower {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Follower {
    fn start(path: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eliot-tree"))
            .args(["--follow", "--color", "never", path.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if send.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Follower { child, lines }
    }

    /// The next output line, waiting up to 10 s for it.
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("eliot-tree --follow printed the line in time")
    }

    /// Asserts that eliot-tree, having read `path` to its end, prints
    /// nothing more for a while. (Without the wait, silence could only
    /// mean that it had not read the new text yet.)
    fn quiet_after_reading(&self, path: &Path) {
        self.wait_until_read(path);
        if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(600)) {
            panic!("unexpected output: {line}");
        }
    }

    /// Waits until eliot-tree's read position in `path` (from
    /// /proc/<pid>/fdinfo) is the file's length.
    fn wait_until_read(&self, path: &Path) {
        let target = std::fs::canonicalize(path).unwrap();
        let length = std::fs::metadata(path).unwrap().len();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let position = read_position(self.child.id(), &target);
            if position == Some(length) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "eliot-tree did not read {} to its end in time: at {position:?} of {length}",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The file position of the process `pid` in the file `target`, if it
/// has that file open.
fn read_position(pid: u32, target: &Path) -> Option<u64> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    for fd in fds.flatten() {
        if std::fs::read_link(fd.path()).ok().as_deref() != Some(target) {
            continue;
        }
        let info =
            std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_str()?))
                .ok()?;
        return info
            .lines()
            .find_map(|line| line.strip_prefix("pos:"))
            .and_then(|pos| pos.trim().parse().ok());
    }
    None
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn append(path: &std::path::Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn follow_prints_tasks_as_the_file_completes_them() {
    let path = scratch_file("follow.log", &format!("{}\n", line("task-a", 1, "start")));
    let follower = Follower::start(&path);
    follower.quiet_after_reading(&path);

    append(
        &path,
        &format!(
            "{}\n{}\n",
            line("task-a", 2, "note"),
            line("task-a", 3, "end")
        ),
    );
    assert_eq!(follower.next_line(), "task-a");
    assert!(follower.next_line().starts_with("└── app:job/1 ⇒ started"));

    // A line written in two pieces, with a pause in the middle.
    let whole = line("task-b", 1, "hello");
    let (first, second) = whole.split_at(30);
    append(&path, first);
    let mut seen = Vec::new();
    loop {
        let next = follower.next_line();
        if next == "task-b" {
            panic!("task-b was printed from half a line");
        }
        seen.push(next);
        if seen.last().is_some_and(String::is_empty) {
            break; // The end of task-a's block.
        }
    }
    follower.quiet_after_reading(&path);
    append(&path, &format!("{second}\n"));
    assert_eq!(follower.next_line(), "task-b");
    assert!(follower.next_line().starts_with("└── app:hello/1 "));
    assert_eq!(follower.next_line(), "");

    // Truncated (as by `> file`): read again from the start.
    std::fs::write(&path, format!("{}\n", line("task-c", 1, "again"))).unwrap();
    assert_eq!(follower.next_line(), "task-c");
}
