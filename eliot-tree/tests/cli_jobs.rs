//! Drawing on several threads (`--jobs`) prints exactly what one thread
//! prints, in the same order.

mod support;

use support::{Run, eliot_tree, scratch_file};

/// Runs eliot-tree with `args` (and `stdin`) on one thread, then on each
/// number of threads in `jobs`, asserts that each of those runs ends with
/// the same status and prints and reports exactly what the one-thread run
/// does, in the same order, and returns the one-thread run.
fn one_thread_run_matched_by(jobs: &[&str], args: &[&str], stdin: Option<&str>) -> Run {
    let one = eliot_tree(&[&["--jobs", "1"], args].concat(), stdin);
    for jobs in jobs {
        let many = eliot_tree(&[&["--jobs", jobs], args].concat(), stdin);
        assert_eq!(many.status, one.status, "--jobs {jobs} {args:?}");
        assert!(
            many.stdout == one.stdout,
            "--jobs {jobs} {args:?} printed other tasks, or in another order"
        );
        assert!(
            many.stderr == one.stderr,
            "--jobs {jobs} {args:?} reported other lines, or in another order"
        );
    }
    one
}

/// A log of `tasks` interleaved tasks (each: a start, three messages, an
/// end), every seventh line followed by a malformed one, and every tenth
/// task without its end (so it comes out last, incomplete).
fn interleaved_log(tasks: usize) -> String {
    let mut lines: Vec<Vec<String>> = (0..tasks)
        .map(|t| {
            let uuid = format!("aaaaaaaa-0000-4000-8000-{t:012}");
            let mut task = vec![format!(
                r#"{{"n":{t},"action_status":"started","timestamp":{}.5,"task_uuid":"{uuid}","action_type":"job:run","task_level":[1]}}"#,
                1_795_683_150 + t
            )];
            for m in 2..5 {
                task.push(format!(
                    r#"{{"step":{m},"note":"step {m} of task {t}","timestamp":{}.6,"task_uuid":"{uuid}","task_level":[{m}],"message_type":"job:step"}}"#,
                    1_795_683_150 + t
                ));
            }
            if t % 10 != 9 {
                task.push(format!(
                    r#"{{"action_status":"succeeded","timestamp":{}.9,"task_uuid":"{uuid}","action_type":"job:run","task_level":[5]}}"#,
                    1_795_683_150 + t
                ));
            }
            task
        })
        .collect();
    // Three tasks at a time, their lines taken in turn.
    let mut log = String::new();
    let mut written = 0;
    for window in lines.chunks_mut(3) {
        let longest = window.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for task in window.iter() {
                if let Some(line) = task.get(i) {
                    log.push_str(line);
                    log.push('\n');
                    written += 1;
                    if written % 7 == 0 {
                        log.push_str("{\"not\": \"a message\"}\n");
                    }
                }
            }
        }
    }
    log
}

#[test]
fn every_number_of_threads_prints_what_one_thread_prints() {
    let log = scratch_file("jobs.log", &interleaved_log(3_000));
    let path = log.to_str().unwrap();
    for extra in [&[][..], &["--json"][..]] {
        let one = one_thread_run_matched_by(&["2", "3", "8"], &[extra, &[path]].concat(), None);
        assert_eq!(one.status, Some(1), "malformed lines are reported");
        assert!(one.stdout.len() > 100_000, "{}", one.stdout.len());
        assert!(one.stderr.lines().count() > 1_000);
    }
}

#[test]
fn a_closed_output_stops_every_thread() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let log = scratch_file("jobs-closed.log", &interleaved_log(3_000));
    let mut child = Command::new(env!("CARGO_BIN_EXE_eliot-tree"))
        .args(["--jobs", "3"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    drop(child.stdout.take()); // as `| head` does
    let status = child.wait().unwrap();
    assert!(
        matches!(status.code(), Some(0..=2)),
        "it ends by itself, without a signal: {status}"
    );
}

#[test]
fn an_input_that_fails_is_reported_in_its_place_by_every_number_of_threads() {
    let first = scratch_file("jobs-first.log", &interleaved_log(500));
    let second = scratch_file("jobs-second.log", &interleaved_log(400));
    // A directory opens, and fails when it is read: after the first file's
    // lines, before the second's.
    let directory = first.parent().unwrap().join("jobs-a-directory");
    std::fs::create_dir_all(&directory).unwrap();
    let inputs = [
        first.to_str().unwrap(),
        directory.to_str().unwrap(),
        second.to_str().unwrap(),
    ];
    let one = one_thread_run_matched_by(&["2", "3"], &inputs, None);
    assert_eq!(one.status, Some(2), "an input could not be read");
    let failure = one
        .stderr
        .lines()
        .position(|line| line.contains("jobs-a-directory"))
        .expect("the failure is reported");
    let before = &one.stderr.lines().collect::<Vec<_>>()[..failure];
    assert!(before.iter().any(|line| line.contains("jobs-first.log")));
    assert!(!before.iter().any(|line| line.contains("jobs-second.log")));
}

#[test]
fn a_pipe_read_on_every_number_of_threads_prints_what_one_thread_prints() {
    // Standard input is read on a thread of its own (a pipe may keep its
    // reader waiting); files are read by the placing thread.
    let log = interleaved_log(2_000);
    let one = one_thread_run_matched_by(&["2", "3"], &[], Some(&log));
    assert_eq!(one.status, Some(1), "malformed lines are reported");
    assert!(one.stdout.len() > 100_000, "{}", one.stdout.len());
}
