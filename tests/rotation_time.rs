//! Rotation by time: periods aligned on the Unix epoch; an existing file
//! from an earlier period is rotated at the first write.

mod writer_support;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eliot::RotatingFile;
use writer_support::{files_oldest_first, fresh_dir};

fn millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

#[test]
fn rotates_at_each_period_boundary() {
    let path = fresh_dir("rotation-time-periods").join("app.log");
    let period = 200u128;
    let mut file = RotatingFile::builder()
        .every(Duration::from_millis(period as u64))
        .keep(100)
        .open(&path)
        .unwrap();
    let mut seq = 0;
    let end = millis() + 5 * period;
    while millis() < end {
        file.write_all(format!("{seq} {}\n", millis()).as_bytes())
            .unwrap();
        seq += 1;
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
        let stamps: Vec<(u64, u128)> = text
            .lines()
            .map(|l| {
                let (s, t) = l.split_once(' ').unwrap();
                (s.parse().unwrap(), t.parse().unwrap())
            })
            .collect();
        for (s, _) in &stamps {
            assert_eq!(*s, expected);
            expected += 1;
        }
        // A file's lines were written within one period (the stamp is taken
        // just before the write, so a line may fall into the next period).
        let first = stamps.first().unwrap().1 / period;
        let last = stamps.last().unwrap().1 / period;
        assert!(
            last - first <= 1,
            "{}: periods {first}..{last}",
            file.display()
        );
        if let Some(previous) = previous_period {
            assert!(first >= previous, "files are in period order");
        }
        previous_period = Some(last);
    }
    assert_eq!(expected, seq);
}

#[test]
fn an_old_file_is_rotated_at_the_first_write() {
    let path = fresh_dir("rotation-time-old").join("app.log");
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
}
