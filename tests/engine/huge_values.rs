//! Huge values: a list or map of more than `MAX_COLLECTION_LEN` items, at
//! any depth of a field's value, is written with its first items and its
//! length (`{"array_start":[..],"original_shape":[n]}`, as Python Eliot
//! writes a huge NumPy array; `{"map_start":{..},"original_size":n}`),
//! whether its length is known in advance or not; everything else in the
//! message is written as usual, and the real Python tools read the log.

use std::collections::BTreeMap;

use crate::support::python;
use eliot::testing::MemoryLogger;
use eliot::{MAX_COLLECTION_LEN, log_message};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// A sequence whose length serde is not told in advance (a filtered
/// iterator's size hint is not exact).
struct Unsized(usize);

impl Serialize for Unsized {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((0..self.0 * 2).filter(|n| n % 2 == 0))
    }
}

/// Bytes serialized as bytes (serde_json writes a list of numbers).
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

#[derive(Serialize)]
struct Report {
    name: &'static str,
    samples: Vec<u32>,
    streamed: Unsized,
    small: Vec<u8>,
}

fn logged(log: impl FnOnce()) -> (serde_json::Map<String, Value>, usize) {
    let logger = MemoryLogger::new();
    logger.run(log);
    let line_len = logger.lines()[0].as_json().len();
    (logger.messages().remove(0), line_len)
}

/// Checks `value` is the marker of a list of `len` items that started
/// with `first`.
fn assert_cut_list(value: &Value, len: usize, first: &[Value]) {
    let kept = value["array_start"]
        .as_array()
        .unwrap_or_else(|| panic!("{value:.200}"));
    assert_eq!(kept.len(), MAX_COLLECTION_LEN);
    assert_eq!(&kept[..first.len()], first);
    assert_eq!(value["original_shape"], json!([len]));
    assert_eq!(value.as_object().unwrap().len(), 2);
}

#[test]
fn a_huge_list_is_cut_to_its_first_items_and_its_length() {
    let huge: Vec<u64> = (0..25_000).collect();
    let (message, line_len) =
        logged(|| log_message!("test:huge", before = 1, items = huge, after = "x"));
    assert_cut_list(&message["items"], 25_000, &[json!(0), json!(1)]);
    assert_eq!(message["items"]["array_start"][9_999], 9_999);
    assert_eq!(message["before"], 1);
    assert_eq!(message["after"], "x");
    assert!(line_len < 60_000, "{line_len} bytes");
}

#[test]
fn lists_and_maps_up_to_the_limit_are_written_whole() {
    let at_limit: Vec<u32> = (0..MAX_COLLECTION_LEN as u32).collect();
    let map: BTreeMap<u32, u32> = (0..MAX_COLLECTION_LEN as u32).map(|n| (n, n)).collect();
    let (message, _) = logged(|| log_message!("test:limit", items = at_limit, map = map));
    assert_eq!(
        message["items"].as_array().unwrap().len(),
        MAX_COLLECTION_LEN
    );
    assert_eq!(
        message["map"].as_object().unwrap().len(),
        MAX_COLLECTION_LEN
    );
}

/// A list of `n` one-digit numbers is the shortest JSON a list of `n` items
/// can have (`2n + 1` bytes): at 10,001 items it is the shortest value that
/// holds a collection to cut, and it is cut; at 10,000 it is written whole.
#[test]
fn the_shortest_list_over_the_limit_is_cut_and_one_at_the_limit_is_not() {
    let at_limit = vec![0_u8; MAX_COLLECTION_LEN];
    let over = vec![0_u8; MAX_COLLECTION_LEN + 1];
    let nested_over = vec![vec![0_u8; MAX_COLLECTION_LEN + 1]];
    let (message, _) = logged(|| {
        log_message!(
            "test:boundary",
            at_limit = at_limit,
            over = over,
            nested_over = nested_over
        )
    });
    assert_eq!(message["at_limit"], json!(vec![0; MAX_COLLECTION_LEN]));
    assert_cut_list(&message["over"], MAX_COLLECTION_LEN + 1, &[json!(0)]);
    assert_cut_list(
        &message["nested_over"][0],
        MAX_COLLECTION_LEN + 1,
        &[json!(0)],
    );
}

/// Long values that are no huge collection are written whole: a string of
/// 100,000 characters, and a list at the limit whose items are long strings.
#[test]
fn long_values_without_a_huge_collection_are_written_whole() {
    let text = "x".repeat(100_000);
    let words = vec!["word"; MAX_COLLECTION_LEN];
    let (message, line_len) = logged(|| log_message!("test:long", text = text, words = words));
    assert_eq!(message["text"].as_str().unwrap().len(), 100_000);
    assert_eq!(message["words"], json!(vec!["word"; MAX_COLLECTION_LEN]));
    assert!(line_len > 160_000, "{line_len} bytes");
}

#[test]
fn a_huge_map_is_cut_to_its_first_entries_and_its_size() {
    let map: BTreeMap<String, u32> = (0..12_000).map(|n| (format!("k{n:05}"), n)).collect();
    let (message, _) = logged(|| log_message!("test:map", map = map));
    let kept = message["map"]["map_start"].as_object().unwrap();
    assert_eq!(kept.len(), MAX_COLLECTION_LEN);
    assert_eq!(kept["k00000"], 0);
    assert!(!kept.contains_key("k10000"));
    assert_eq!(message["map"]["original_size"], 12_000);
}

#[test]
fn nested_collections_are_cut_each_on_its_own() {
    let rows: Vec<Vec<u32>> = vec![(0..20_000).collect(), vec![1, 2], (0..10_001).collect()];
    let report = Report {
        name: "r",
        samples: (0..30_000).collect(),
        streamed: Unsized(15_000),
        small: vec![1, 2, 3],
    };
    let (message, _) = logged(|| log_message!("test:nested", rows = rows, report = report));
    let rows = message["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_cut_list(&rows[0], 20_000, &[json!(0)]);
    assert_eq!(rows[1], json!([1, 2]));
    assert_cut_list(&rows[2], 10_001, &[json!(0)]);
    let report = &message["report"];
    assert_eq!(report["name"], "r");
    assert_cut_list(&report["samples"], 30_000, &[json!(0), json!(1)]);
    assert_cut_list(&report["streamed"], 15_000, &[json!(0), json!(2), json!(4)]);
    assert_eq!(report["small"], json!([1, 2, 3]));
}

#[test]
fn a_list_of_unknown_length_is_cut_too_where_it_started() {
    let (message, _) = logged(|| {
        log_message!(
            "test:unsized",
            first = Unsized(3),
            huge = Unsized(10_500),
            last = [Unsized(20_000)]
        )
    });
    assert_eq!(message["first"], json!([0, 2, 4]));
    assert_cut_list(&message["huge"], 10_500, &[json!(0), json!(2)]);
    assert_cut_list(&message["last"][0], 20_000, &[json!(0)]);
}

#[test]
fn huge_bytes_and_success_fields_are_cut() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        let action = eliot::start_action!("test:upload", body = Bytes(vec![7; 50_000]));
        action.add_success_fields(eliot::fields!(ids = (0..11_000).collect::<Vec<u32>>()));
    });
    let messages = logger.messages();
    assert_cut_list(&messages[0]["body"], 50_000, &[json!(7)]);
    assert_cut_list(&messages[1]["ids"], 11_000, &[json!(0)]);
    logger.validate().unwrap();
}

#[test]
fn python_eliot_and_eliot_tree_read_a_log_with_cut_values() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        let _action = eliot::start_action!("test:huge:task", rows = vec![vec![0_u8; 12_000]; 2]);
        let map: BTreeMap<u32, bool> = (0..10_200).map(|n| (n, true)).collect();
        log_message!("test:huge:map", map = map, tail = Unsized(10_001));
    });
    let dir = python::fresh_run_dir("engine_huge_values");
    let path = dir.join("huge.log");
    let lines: String = logger
        .lines()
        .iter()
        .map(|line| format!("{}\n", line.as_json()))
        .collect();
    std::fs::write(&path, lines).unwrap();
    let report = python::check_logs(&[&path]);
    assert!(report.contains("huge.log"), "{report}");
}
