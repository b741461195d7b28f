//! Rotation by size: lines are never split, none is lost, the newest N
//! files are kept under predictable names.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::writer::{files_oldest_first, fresh_dir};
use eliot::{Destination, FileDestination, Message, RotatingFile};

fn message(seq: usize) -> Message {
    Message::from_json(&format!(
        r#"{{"seq":{seq},"pad":"{}","message_type":"test:rotation"}}"#,
        "p".repeat(seq % 50)
    ))
    .unwrap()
}

/// The kept files, oldest first, and their lines.
fn read_all(path: &Path) -> Vec<(PathBuf, Vec<serde_json::Value>)> {
    files_oldest_first(path)
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(text.is_empty() || text.ends_with('\n'));
            let lines = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            (f, lines)
        })
        .collect()
}

#[test]
fn rotates_by_size_without_splitting_or_losing_lines() {
    let dir = fresh_dir("rotation-size-basic");
    let path = dir.join("app.log");
    let max = 4096;
    let file = RotatingFile::builder()
        .max_bytes(max)
        .keep(1000)
        .open(&path)
        .unwrap();
    let destination = FileDestination::new(file);
    for seq in 0..2000 {
        destination.write(&message(seq)).unwrap();
    }
    let files = read_all(&path);
    assert!(files.len() > 20, "{} files", files.len());
    let mut seq = 0;
    for (file, lines) in &files {
        assert!(
            std::fs::metadata(file).unwrap().len() <= max,
            "{}",
            file.display()
        );
        for line in lines {
            assert_eq!(line["seq"], seq);
            seq += 1;
        }
    }
    assert_eq!(seq, 2000);
    assert_eq!(
        files[files.len() - 2].0,
        PathBuf::from(format!("{}.1", path.display())),
        "the newest rotated file is <path>.1"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keeps_only_the_newest_files() {
    let dir = fresh_dir("rotation-size-keep");
    let path = dir.join("app.log");
    let file = RotatingFile::builder()
        .max_bytes(1000)
        .keep(3)
        .open(&path)
        .unwrap();
    let destination = FileDestination::new(file);
    for seq in 0..500 {
        destination.write(&message(seq)).unwrap();
    }
    let files = read_all(&path);
    assert_eq!(files.len(), 4, "three rotated files and the live one");
    assert!(!Path::new(&format!("{}.4", path.display())).exists());
    // What is kept is the newest lines, contiguous and in order.
    let kept: Vec<u64> = files
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|l| l["seq"].as_u64().unwrap()))
        .collect();
    assert_eq!(*kept.last().unwrap(), 499);
    assert!(kept.windows(2).all(|w| w[1] == w[0] + 1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_batch_larger_than_the_limit_goes_whole_into_a_fresh_file() {
    let dir = fresh_dir("rotation-size-big");
    let path = dir.join("app.log");
    let file = RotatingFile::builder()
        .max_bytes(500)
        .keep(10)
        .open(&path)
        .unwrap();
    let destination = FileDestination::new(file);
    destination.write(&message(0)).unwrap();
    let batch: Vec<Message> = (1..=40).map(message).collect();
    destination.write_batch(&batch).unwrap();
    destination.write(&message(41)).unwrap();
    let files = read_all(&path);
    let counts: Vec<usize> = files.iter().map(|(_, lines)| lines.len()).collect();
    assert_eq!(counts, vec![1, 40, 1]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reopening_appends_and_counts_what_is_there() {
    let dir = fresh_dir("rotation-size-reopen");
    let path = dir.join("app.log");
    {
        let mut file = RotatingFile::builder().max_bytes(100).open(&path).unwrap();
        file.write_all(b"{\"first\":1}\n").unwrap();
    }
    let mut file = RotatingFile::builder().max_bytes(100).open(&path).unwrap();
    assert_eq!(file.size(), 12);
    file.write_all(&[b'x'; 80]).unwrap();
    file.write_all(b"\n").unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 93);
    file.write_all(&[b'y'; 20]).unwrap(); // 113 > 100: rotates first
    assert_eq!(std::fs::read(file.rotated_path(1)).unwrap().len(), 93);
    assert_eq!(std::fs::read(file.path()).unwrap(), vec![b'y'; 20]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_rotation_loses_nothing() {
    let dir = fresh_dir("rotation-size-fail");
    let path = dir.join("app.log");
    let mut file = RotatingFile::builder()
        .max_bytes(10)
        .keep(2)
        .open(&path)
        .unwrap();
    file.write_all(b"0123456789\n").unwrap();
    // <path>.2, the oldest kept name, cannot be deleted: a non-empty
    // directory is in the way, so the rotation fails at its first step.
    let blocker = dir.join("app.log.2");
    std::fs::create_dir_all(blocker.join("blocker")).unwrap();
    file.write_all(b"abcdefghij\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "0123456789\nabcdefghij\n",
        "kept writing into the live file"
    );
    assert!(!file.rotated_path(1).exists(), "nothing moved");
    assert!(
        !dir.join("app.log.next").exists(),
        "the new live file, created first, is removed again"
    );
    // Unblocked, the rotation is tried again at the next limit (one more
    // `max_bytes` written), and the lines written meanwhile move with it.
    std::fs::remove_dir_all(&blocker).unwrap();
    file.write_all(b"klmnopqrst\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(file.rotated_path(1)).unwrap(),
        "0123456789\nabcdefghij\n",
        "the rotation was tried again and moved the old lines"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "klmnopqrst\n");
    let _ = std::fs::remove_dir_all(&dir);
}
