//! A rotation whose new file cannot be created moves nothing and loses no
//! line; a live file deleted by someone else is replaced at the next
//! rotation.
//!
//! The first test re-executes itself (environment variable
//! `ELIOT_ROTATION_CHILD`) under `ulimit -n 64`, so that it can use up every
//! file descriptor of its process cheaply.

mod support;

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::support::writer::{files_oldest_first, fresh_dir};
use eliot::RotatingFile;

const CHILD: &str = "ELIOT_ROTATION_CHILD";

/// A line of 20 bytes.
fn line(seq: usize) -> String {
    format!("line {seq:04} .........\n")
}

fn seqs_in(path: &Path) -> Vec<usize> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l[5..9].parse().unwrap())
        .collect()
}

/// In the child: rotations by size fail while no file descriptor is left,
/// then work again; every line must be on disk, in order.
fn child() {
    let dir = fresh_dir("rotation-open-failure");
    let path = dir.join("app.log");
    // 100 bytes: five lines per file. Three rotated files keep every line
    // this test writes, so that any line missing was lost.
    let mut file = RotatingFile::builder()
        .max_bytes(100)
        .keep(3)
        .open(&path)
        .unwrap();
    let mut seq = 0;
    for _ in 0..5 {
        file.write_all(line(seq).as_bytes()).unwrap();
        seq += 1;
    }

    // Use up every file descriptor: the rotations now due cannot create
    // the new live file.
    let mut hogs = Vec::new();
    let exhausted = loop {
        match File::open("/dev/null") {
            Ok(hog) => hogs.push(hog),
            Err(e) => break e,
        }
    };
    assert!(
        hogs.len() < 64,
        "the descriptor limit is not in force: {}",
        hogs.len()
    );
    for _ in 0..12 {
        // Three rotations are due in these lines (at 120, 220 and 320
        // bytes) and fail; the lines go on into the live file.
        file.write_all(line(seq).as_bytes()).unwrap();
        seq += 1;
    }
    drop(hogs);
    eprintln!("descriptors were exhausted ({exhausted}); they are free again");

    // Nothing moved: the live file has every line, no rotated file exists,
    // and no new file was left behind.
    assert_eq!(seqs_in(&path), (0..17).collect::<Vec<_>>());
    assert!(!file.rotated_path(1).exists());
    assert!(!dir.join("app.log.next").exists());

    // Rotations work again (the retry is due within five lines).
    for _ in 0..12 {
        file.write_all(line(seq).as_bytes()).unwrap();
        seq += 1;
    }
    let files = files_oldest_first(&path);
    assert!(files.len() >= 3, "rotated again: {files:?}");
    let kept: Vec<usize> = files.iter().flat_map(|f| seqs_in(f)).collect();
    assert_eq!(kept, (0..seq).collect::<Vec<_>>(), "files: {files:?}");
    assert!(!dir.join("app.log.next").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_rotation_that_cannot_create_its_new_file_loses_nothing() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_rotation_that_cannot_create_its_new_file_loses_nothing",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the child failed:\n{stderr}");
    // The child ran (and did not just pass by doing nothing), and the
    // rotations failed for want of a descriptor.
    assert!(stderr.contains("descriptors were exhausted"), "{stderr}");
    assert!(
        stderr.contains("eliot: cannot rotate the log file"),
        "{stderr}"
    );
}

#[test]
fn a_deleted_live_file_is_replaced_at_the_next_rotation() {
    let dir = fresh_dir("rotation-deleted-live");
    let path = dir.join("app.log");
    let mut file = RotatingFile::builder()
        .max_bytes(100)
        .keep(3)
        .open(&path)
        .unwrap();
    for seq in 0..3 {
        file.write_all(line(seq).as_bytes()).unwrap();
    }
    // Someone deletes the live file; what goes on into it is gone with it,
    // until the next rotation.
    std::fs::remove_file(&path).unwrap();
    for seq in 3..5 {
        file.write_all(line(seq).as_bytes()).unwrap();
    }
    // 120 > 100 bytes: rotates, and this line is in a new live file.
    file.write_all(line(5).as_bytes()).unwrap();
    assert_eq!(seqs_in(&path), vec![5]);
    assert!(!file.rotated_path(1).exists(), "nothing was there to keep");
    for seq in 6..11 {
        file.write_all(line(seq).as_bytes()).unwrap();
    }
    assert_eq!(seqs_in(&file.rotated_path(1)), vec![5, 6, 7, 8, 9]);
    assert_eq!(seqs_in(&path), vec![10]);
    let _ = std::fs::remove_dir_all(&dir);
}
