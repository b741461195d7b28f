//! The JSON lines eliot-core writes are Eliot 1.18's: the same keys in the same
//! order with the same values as lines the real Python Eliot wrote.

use crate::support::capture::{capture, keys, parse, parse_all};
use eliot::{
    Failure, Field, continue_task, fields, log_message, start_action, start_task, write_traceback,
};
use serde::Serialize;
use serde_json::Value;

const REFERENCE_SYNC: &str = include_str!("../data/reference-logs/a-sync.log");

/// Rewrites a line so that only what must match is left: timestamps become 0,
/// task UUIDs become their order of first appearance, tracebacks (Python's
/// text vs Rust's) become "". Keys keep their written order.
fn normalize(line: &str, uuids: &mut Vec<String>) -> String {
    let message = parse(line);
    let mut out = String::from("{");
    for (i, key) in keys(line).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let value = match key.as_str() {
            "timestamp" => Value::from(0),
            "traceback" => Value::from(""),
            "task_uuid" => {
                let uuid = message[key].as_str().unwrap().to_owned();
                let index = uuids.iter().position(|u| *u == uuid).unwrap_or_else(|| {
                    uuids.push(uuid);
                    uuids.len() - 1
                });
                Value::from(format!("task-{index}"))
            }
            _ => message[key].clone(),
        };
        out.push_str(&serde_json::to_string(key).unwrap());
        out.push(':');
        out.push_str(&serde_json::to_string(&value).unwrap());
    }
    out.push('}');
    out
}

#[derive(Serialize)]
struct Config {
    debug: bool,
    retries: u32,
    ratio: f64,
    nothing: Option<()>,
}

#[derive(Serialize)]
struct Row {
    id: u32,
    name: &'static str,
}

/// The scenario that produced `a-sync.log`, written with eliot-rs.
fn sync_scenario() {
    let config = Config {
        debug: false,
        retries: 3,
        ratio: 0.5,
        nothing: None,
    };
    log_message!(
        "ref:startup",
        version = "1.0",
        features = ["tree", "json"],
        config = config,
        text = "héllo ✓ 日本"
    );

    {
        let request = start_action!("ref:request", method = "GET", path = "/users/7");
        log_message!("ref:request:received", size = 512);
        {
            let transaction = start_action!("ref:db:transaction", isolation = "serializable");
            log_message!("ref:db:begin");
            {
                let query = start_action!("ref:db:query", table = "users");
                log_message!("ref:db:row", row = Row { id: 7, name: "Ada" });
                query.add_success_fields(fields!(rows = 1, elapsed_ms = 1.25));
            }
            log_message!("ref:db:commit");
            transaction.add_success_fields(fields!(committed = true));
        }
        {
            let multiply = start_action!("__main__.multiply", x = 6, y = 7);
            multiply.add_success_fields(fields!(result = 42));
        }
        start_action!("ref:checksum", data = [1, 2, 3]).finish();
        request.add_success_fields(fields!(status = 200, product = 42));
    }

    {
        let parse = start_action!("ref:parse_config", filename = "settings.ini");
        log_message!("ref:parse_config:line", number = 3);
        parse.finish_with_error(&Failure::new("builtins.ValueError", "bad value on line 3"));
    }

    {
        let recover = start_action!("ref:recover");
        let division = Failure::new("builtins.ZeroDivisionError", "division by zero");
        start_action!("__main__.divide", a = 1, b = 0).finish_with_error(&division);
        write_traceback(&division);
        log_message!("ref:recovered", fallback = 0);
        recover.finish();
    }

    write_traceback(&Failure::new("builtins.KeyError", "'missing'"));

    {
        let explicit = start_action!("ref:explicit_finish", attempt = 1);
        log_message!("ref:giving_up");
        explicit.finish_with_error(&Failure::new(
            "builtins.RuntimeError",
            "gave up after 1 attempt",
        ));
    }
}

#[test]
fn sync_scenario_matches_python_eliot_line_for_line() {
    let ((), ours) = capture(sync_scenario);
    let reference: Vec<&str> = REFERENCE_SYNC.lines().collect();
    assert_eq!(ours.len(), reference.len(), "line count");

    let (mut our_uuids, mut their_uuids) = (Vec::new(), Vec::new());
    for (number, (ours, theirs)) in ours.iter().zip(&reference).enumerate() {
        assert_eq!(
            normalize(ours, &mut our_uuids),
            normalize(theirs, &mut their_uuids),
            "line {}:\nours:   {ours}\ntheirs: {theirs}",
            number + 1
        );
    }
    // UTF-8 is written as is, as Python Eliot does.
    assert!(ours[0].contains(r#""text":"héllo ✓ 日本""#), "{}", ours[0]);
}

#[test]
fn lines_are_compact_single_line_json_objects() {
    let ((), lines) = capture(|| {
        log_message!("t:text", text = "line one\nline two\t\"quoted\" \u{1}");
    });
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert!(
        !line.contains('\n') && !line.contains(": ") && !line.contains(", "),
        "{line}"
    );
    assert!(
        line.starts_with(r#"{"text":"line one\nline two\t\"quoted\" \u0001","timestamp":"#),
        "{line}"
    );
}

#[test]
fn message_and_action_keys_are_in_eliots_order() {
    let ((), lines) = capture(|| {
        log_message!("t:standalone", b = 1, a = 2);
        let action = start_action!("t:action", z = 1, y = 2);
        action.add_success_fields(fields!(result = 3));
        log_message!("t:inside", value = 1);
        action.finish();
        start_action!("t:failing", input = 1)
            .finish_with_error(&std::io::Error::from_raw_os_error(2));
    });
    let order: Vec<Vec<String>> = lines.iter().map(|l| keys(l)).collect();
    let message = ["timestamp", "task_uuid", "task_level", "message_type"];
    let action = [
        "action_status",
        "timestamp",
        "task_uuid",
        "action_type",
        "task_level",
    ];
    let with = |first: &[&str], rest: &[&str]| -> Vec<String> {
        first.iter().chain(rest).map(|s| s.to_string()).collect()
    };
    assert_eq!(order[0], with(&["b", "a"], &message));
    assert_eq!(order[1], with(&["z", "y"], &action));
    assert_eq!(order[2], with(&["value"], &message));
    assert_eq!(order[3], with(&["result"], &action));
    assert_eq!(order[4], with(&["input"], &action));
    assert_eq!(order[5], with(&["errno", "exception", "reason"], &action));
    let failed = parse(&lines[5]);
    assert_eq!(failed["action_status"], "failed");
    assert_eq!(failed["exception"], "std::io::error::Error");
    assert_eq!(failed["errno"], 2);
}

#[test]
fn task_uuids_are_lowercase_hyphenated_uuid4() {
    let ((), lines) = capture(|| {
        for _ in 0..20 {
            log_message!("t:uuid");
        }
    });
    let mut seen = std::collections::HashSet::new();
    assert_eq!(lines.len(), 20);
    for message in parse_all(&lines) {
        let uuid = message["task_uuid"].as_str().unwrap().to_owned();
        let groups: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{uuid}"
        );
        assert!(
            uuid.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "{uuid}"
        );
        assert_eq!(&groups[2][..1], "4", "version 4: {uuid}");
        assert!("89ab".contains(&groups[3][..1]), "RFC 4122 variant: {uuid}");
        assert!(seen.insert(uuid), "a fresh UUID per task");
    }
}

/// Every kind of value a field holds, and hostile text wherever a line
/// holds text (keys, values, message and action types): each value is
/// written as serde_json writes it, and the line reads back whole.
#[test]
fn every_kind_of_field_is_written_as_serde_json_writes_it() {
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Nested {
        id: u32,
        tags: Vec<&'static str>,
        inner: Option<Box<Nested>>,
    }
    #[derive(Serialize)]
    enum Kind {
        Unit,
        Tuple(i8, bool),
        Struct { x: f32 },
    }
    let hostile = "q\"b\\s/\n\r\t\u{0}\u{8}\u{c}\u{1f}\u{7f} caf\u{e9} \u{1f600} \u{2028}";
    let map: BTreeMap<&str, i64> = [("a", -1), (hostile, i64::MIN)].into();
    let nested = Nested {
        id: 1,
        tags: vec![hostile, ""],
        inner: Some(Box::new(Nested {
            id: 2,
            tags: vec![],
            inner: None,
        })),
    };
    let (u, i, f, tiny, big) = (u64::MAX, i64::MIN, 1.5, 5e-324, u128::MAX);
    let (unit_variant, tuple_variant) = (Kind::Unit, Kind::Tuple(-1, true));
    let struct_variant = Kind::Struct { x: 0.25 };
    let fields = [
        Field::new("u", &u),
        Field::new("i", &i),
        Field::new("f", &f),
        Field::new("tiny", &tiny),
        Field::new("big", &big),
        Field::new("b", &false),
        Field::new("none", &None::<u8>),
        Field::new("unit", &()),
        Field::new("s", &hostile),
        Field::new("c", &'\u{e9}'),
        Field::new("bytes", &[0_u8, 255]),
        Field::new("map", &map),
        Field::new("nested", &nested),
        Field::new("unit_variant", &unit_variant),
        Field::new("tuple_variant", &tuple_variant),
        Field::new("struct_variant", &struct_variant),
        Field::new(hostile, &"under a hostile key"),
    ];
    let ((), lines) = capture(|| {
        let _action = start_action!(hostile, s = hostile);
        eliot::log_message(hostile, &fields);
    });
    let (start, message) = (&lines[0], &lines[1]);
    assert!(
        start.starts_with(&format!("{{\"s\":{},", to_json(&hostile))),
        "{start}"
    );
    assert_eq!(parse(start)["action_type"], hostile);
    let mut expected = String::from("{");
    for (n, field) in fields.iter().enumerate() {
        if n > 0 {
            expected.push(',');
        }
        expected.push_str(&to_json(&field.key()));
        expected.push(':');
        let mut value = Vec::new();
        field.value().write_json(&mut value).unwrap();
        let value = String::from_utf8(value).unwrap();
        expected.push_str(&value);
    }
    assert!(message.starts_with(&expected), "{message}\n{expected}");
    for (key, value) in [
        ("u", to_json(&u)),
        ("i", to_json(&i)),
        ("f", to_json(&f)),
        ("tiny", to_json(&tiny)),
        ("big", to_json(&big)),
        ("b", to_json(&false)),
        ("none", to_json(&None::<u8>)),
        ("unit", to_json(&())),
        ("s", to_json(&hostile)),
        ("c", to_json(&'\u{e9}')),
        ("bytes", to_json(&[0_u8, 255])),
        ("unit_variant", to_json(&unit_variant)),
        ("tuple_variant", to_json(&tuple_variant)),
        ("map", to_json(&map)),
        ("nested", to_json(&nested)),
        ("struct_variant", to_json(&struct_variant)),
    ] {
        assert!(
            message.contains(&format!("\"{key}\":{value}")),
            "{key}: {message}"
        );
    }
    let read = parse(message);
    assert_eq!(read["message_type"], hostile);
    assert_eq!(read[hostile], "under a hostile key");
    assert_eq!(read["s"], hostile);
    assert_eq!(read["nested"]["tags"][0], hostile);
    assert_eq!(
        message
            .strip_suffix('}')
            .unwrap()
            .rsplit_once(',')
            .unwrap()
            .1,
        format!("\"message_type\":{}", to_json(&hostile))
    );
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn non_finite_floats_are_null_and_floats_round_trip() {
    let ((), lines) = capture(|| {
        log_message!(
            "t:floats",
            nan = f64::NAN,
            inf = f64::INFINITY,
            neg = f64::NEG_INFINITY,
            third = 1.0 / 3.0,
            small = 1e-7,
            whole = 2.0
        );
    });
    let line = &lines[0];
    assert!(
        line.starts_with(r#"{"nan":null,"inf":null,"neg":null,"third":0.3333333333333333,"#),
        "{line}"
    );
    let message = parse(line);
    assert_eq!(message["small"].as_f64(), Some(1e-7));
    assert_eq!(message["whole"].as_f64(), Some(2.0));
}

#[test]
fn reserved_keys_are_eliots_own_and_the_users_value_is_kept() {
    let ((), lines) = capture(|| {
        log_message!(
            "t:reserved",
            timestamp = "user's",
            task_level = 9,
            message_type = "spoofed",
            ok = 1
        );
    });
    let message = parse(&lines[0]);
    assert_eq!(message["message_type"], "t:reserved");
    assert!(message["timestamp"].is_f64());
    assert_eq!(message["task_level"], serde_json::json!([1]));
    assert_eq!(message["user:timestamp"], "user's");
    assert_eq!(message["user:task_level"], 9);
    assert_eq!(message["user:message_type"], "spoofed");
    assert_eq!(message["ok"], 1);
    // Each key appears once.
    let written = keys(&lines[0]);
    let unique: std::collections::HashSet<_> = written.iter().collect();
    assert_eq!(unique.len(), written.len(), "{}", lines[0]);
}

#[test]
fn a_key_given_twice_keeps_its_last_value() {
    let ((), lines) = capture(|| log_message!("t:dup", a = 1, b = 2, a = 3));
    assert_eq!(keys(&lines[0])[..2], ["b", "a"]);
    assert_eq!(parse(&lines[0])["a"], 3);
}

#[test]
fn a_field_that_fails_to_serialize_does_not_lose_the_message() {
    use std::collections::HashMap;
    // JSON object keys must be strings: serde_json refuses this map.
    let mut by_pair = HashMap::new();
    by_pair.insert((1, 2), "x");
    let ((), lines) = capture(|| {
        log_message!(
            "t:unserializable",
            before = 1,
            bad = by_pair,
            after = "kept"
        )
    });
    let message = parse(&lines[0]);
    assert_eq!(message["before"], 1);
    assert_eq!(message["after"], "kept");
    assert_eq!(message["message_type"], "t:unserializable");
    let placeholder = message["bad"].as_object().unwrap();
    assert!(
        placeholder["eliot:unserializable"]
            .as_str()
            .unwrap()
            .contains("HashMap")
    );
    assert_eq!(placeholder["error"], "key must be a string");
}

#[test]
fn debug_display_and_shorthand_fields() {
    let ((), lines) = capture(|| {
        let count = 3;
        let addr: std::net::Ipv4Addr = "10.0.0.1".parse().unwrap();
        log_message!("t:sigils", count, addr = %addr, option = ?Some("x"), "spaced key" = true);
    });
    let message = parse(&lines[0]);
    assert_eq!(message["count"], 3);
    assert_eq!(message["addr"], "10.0.0.1");
    assert_eq!(message["option"], "Some(\"x\")");
    assert_eq!(message["spaced key"], true);
}

#[test]
fn timestamps_are_taken_when_messages_are_created() {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let ((before, after_start, after), lines) = capture(|| {
        let before = now();
        let action = start_action!("t:slow");
        let after_start = now();
        std::thread::sleep(Duration::from_millis(30));
        action.finish();
        (before, after_start, now())
    });
    let start = parse(&lines[0])["timestamp"].as_f64().unwrap();
    let end = parse(&lines[1])["timestamp"].as_f64().unwrap();
    assert!(
        before <= start && start <= after_start,
        "{before} <= {start} <= {after_start}"
    );
    assert!(
        end - start >= 0.029 && end <= after,
        "start {start}, end {end}, after {after}"
    );
}

#[test]
fn continue_task_accepts_python_task_ids_and_keeps_the_level() {
    // A task id as Python Eliot's serialize_task_id() writes it.
    let python_id = "c0e82aa6-adee-4fd2-8667-76d23c9cc7e5@/3/2";
    let ((), lines) = capture(|| {
        let remote = continue_task(python_id).unwrap();
        log_message!("t:remote_work");
        remote.finish();
    });
    let levels: Vec<_> = parse_all(&lines)
        .iter()
        .map(crate::support::capture::level)
        .collect();
    assert_eq!(levels, [vec![3, 2, 1], vec![3, 2, 2], vec![3, 2, 3]]);
    let start = parse(&lines[0]);
    assert_eq!(start["action_type"], "eliot:remote_task");
    assert_eq!(start["task_uuid"], "c0e82aa6-adee-4fd2-8667-76d23c9cc7e5");
}

#[test]
fn start_task_ignores_the_current_action() {
    let ((), lines) = capture(|| {
        let _outer = start_action!("t:outer");
        let _task = start_task!("t:task");
    });
    let messages = parse_all(&lines);
    assert_ne!(messages[0]["task_uuid"], messages[1]["task_uuid"]);
    assert_eq!(crate::support::capture::level(&messages[1]), [1]);
}
