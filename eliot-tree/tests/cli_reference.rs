//! The command draws the logs written by Python's Eliot exactly as Python's
//! eliot-tree drew them (tests/data/reference-logs/*.tree.txt), whatever
//! the order of the lines and however they are split over files.

mod support;

use support::{eliot_tree, reference_log, reference_logs, scratch_file, task_blocks};

#[test]
fn reference_logs_render_exactly_like_python_eliot_tree() {
    for name in reference_logs() {
        let log = format!("{name}.log");
        let expected = std::fs::read_to_string(reference_log(&format!("{name}.tree.txt"))).unwrap();
        let run = eliot_tree(
            &["--color", "never", reference_log(&log).to_str().unwrap()],
            None,
        );
        assert_eq!(run.status, Some(0), "{log}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{log}");
        assert_eq!(
            run.stdout, expected,
            "{log} renders differently from Python's eliot-tree"
        );
    }
}

#[test]
fn standard_input_is_read_when_no_file_is_given() {
    let log = std::fs::read_to_string(reference_log("b-twisted.log")).unwrap();
    let expected = std::fs::read_to_string(reference_log("b-twisted.tree.txt")).unwrap();
    let run = eliot_tree(&[], Some(&log));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, expected);
    let run = eliot_tree(&["-"], Some(&log));
    assert_eq!(run.stdout, expected);
}

#[test]
fn lines_in_reverse_order_give_the_same_trees() {
    for name in reference_logs() {
        let log = std::fs::read_to_string(reference_log(&format!("{name}.log"))).unwrap();
        let expected = std::fs::read_to_string(reference_log(&format!("{name}.tree.txt"))).unwrap();
        let reversed: String = log.lines().rev().map(|l| format!("{l}\n")).collect();
        let path = scratch_file(&format!("reversed-{name}.log"), &reversed);
        let run = eliot_tree(&[path.to_str().unwrap()], None);
        assert_eq!(run.status, Some(0), "{}", run.stderr);
        // Tasks complete in another order; each one is drawn the same.
        let mut got = task_blocks(&run.stdout);
        let mut want = task_blocks(&expected);
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn a_log_split_over_two_files_is_read_as_one() {
    let log = std::fs::read_to_string(reference_log("c-asyncio.log")).unwrap();
    let expected = std::fs::read_to_string(reference_log("c-asyncio.tree.txt")).unwrap();
    // Alternate lines into two files, as two processes sharing tasks would.
    let (mut even, mut odd) = (String::new(), String::new());
    for (i, line) in log.lines().enumerate() {
        let file = if i % 2 == 0 { &mut even } else { &mut odd };
        file.push_str(line);
        file.push('\n');
    }
    let first = scratch_file("split-even.log", &even);
    let second = scratch_file("split-odd.log", &odd);
    let run = eliot_tree(&[first.to_str().unwrap(), second.to_str().unwrap()], None);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let mut got = task_blocks(&run.stdout);
    let mut want = task_blocks(&expected);
    got.sort();
    want.sort();
    assert_eq!(got, want);
}
