//! Rotation by time: periods aligned on the Unix epoch; an existing file
//! from an earlier period is rotated at the first write.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::writer::{files_oldest_first, fresh_dir};
use eliot::RotatingFile;

fn millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

#[test]
fn rotates_at_each_period_boundary() {
    let dir = fresh_dir("rotation-time-periods");
    let path = dir.join("app.log");
    let period = 200u128;
    let mut file = RotatingFile::builder()
        .every(Duration::from_millis(period as u64))
        .keep(100)
        .open(&path)
        .unwrap();
    // Each line holds the time just before its write; the time just after
    // it is kept here. The file decided the line's period in between.
    let mut after = Vec::new();
    let end = millis() + 5 * period;
    while millis() < end {
        let seq = after.len();
        file.write_all(format!("{seq} {}\n", millis()).as_bytes())
            .unwrap();
        after.push(millis());
        std::thread::sleep(Duration::from_millis(7));
    }
    let files = files_oldest_first(&path);
    // Five periods written through (fewer files only if the machine
    // stalled for a whole period).
    assert!(files.len() >= 3, "{} files", files.len());
    let mut expected = 0;
    let mut previous_period = None;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // The periods the file's lines could have been written in: each
        // line's lies between the period before its write and the one
        // after. All of a file's lines were written in one period, so the
        // latest "before" is at most the earliest "after".
        let (mut earliest, mut latest) = (0, u128::MAX);
        for line in text.lines() {
            let (seq, before) = line.split_once(' ').unwrap();
            let (seq, before): (usize, u128) = (seq.parse().unwrap(), before.parse().unwrap());
            assert_eq!(seq, expected);
            expected += 1;
            earliest = earliest.max(before / period);
            latest = latest.min(after[seq] / period);
        }
        assert!(
            earliest <= latest,
            "{}: no one period holds all its lines (written from period {earliest} on, \
             up to period {latest})",
            file.display()
        );
        // A file's period comes after the previous file's.
        if let Some(previous) = previous_period {
            assert!(
                latest > previous,
                "{}: periods out of order",
                file.display()
            );
        }
        previous_period = Some(earliest);
    }
    assert_eq!(expected, after.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_old_file_is_rotated_at_the_first_write() {
    let dir = fresh_dir("rotation-time-old");
    let path = dir.join("app.log");
    std::fs::write(&path, "yesterday\n").unwrap();
    let day_before = SystemTime::now() - Duration::from_secs(2 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(day_before)
        .unwrap();
    let mut file = RotatingFile::builder()
        .every(Duration::from_secs(86_400))
        .open(&path)
        .unwrap();
    file.write_all(b"today\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(file.rotated_path(1)).unwrap(),
        "yesterday\n"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "today\n");
    // Same period: no further rotation.
    file.write_all(b"later today\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "today\nlater today\n"
    );
    assert!(!Path::new(&format!("{}.2", path.display())).exists());
    let _ = std::fs::remove_dir_all(&dir);
}
