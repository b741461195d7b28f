//! Capture what one test logs, parsed, without seeing other tests'
//! messages; read the fields of a line; build a multi-threaded runtime; wait
//! with a deadline. `tasks` and `all_messages` build on its capture
//! destination and field readers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eliot::__private::SavedContext;
use eliot::{Destination, DestinationError, Message};
use serde_json::{Map, Value};

/// A destination that keeps every line it receives.
#[derive(Default)]
pub struct Lines(Mutex<Vec<String>>);

impl Destination for Lines {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.0.lock().unwrap().push(message.as_json().to_owned());
        Ok(())
    }
}

impl Lines {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Runs `f` in a context whose tasks write only to a fresh destination, and
/// returns the lines they wrote.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let lines = Arc::new(Lines::default());
    let result = {
        let _route = SavedContext::routed_to(lines.clone()).enter();
        f()
    };
    (result, lines.take())
}

pub fn parse(line: &str) -> Map<String, Value> {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON object: {e}: {line}"))
}

pub fn parse_all(lines: &[String]) -> Vec<Map<String, Value>> {
    lines.iter().map(|l| parse(l)).collect()
}

/// The top-level keys of a JSON object line, in the order they are written.
pub fn keys(line: &str) -> Vec<String> {
    struct KeyOrder(Vec<String>);
    impl<'de> serde::Deserialize<'de> for KeyOrder {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = KeyOrder;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<KeyOrder, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(key) = map.next_key::<String>()? {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(key);
                    }
                    Ok(KeyOrder(keys))
                }
            }
            d.deserialize_map(Visitor)
        }
    }
    serde_json::from_str::<KeyOrder>(line).unwrap().0
}

/// `task_level`, as numbers.
pub fn level(message: &Map<String, Value>) -> Vec<u64> {
    message["task_level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect()
}

/// `message_type`, or `action_type` for action messages.
pub fn kind(message: &Map<String, Value>) -> &str {
    message
        .get("message_type")
        .or_else(|| message.get("action_type"))
        .and_then(Value::as_str)
        .unwrap()
}

/// A multi-threaded tokio runtime with `workers` worker threads, time and IO
/// enabled: where the tests prove which action a message belongs to, tasks
/// really move between threads.
pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// Checks `ready` every 10 ms until it holds; panics naming `what` if it
/// still does not after `limit`, so a test fails instead of hanging.
pub fn wait_until(limit: Duration, what: &str, ready: impl FnMut() -> bool) {
    assert!(
        poll_until(limit, ready),
        "timed out after {limit:?} waiting for {what}"
    );
}

/// Checks `ready` every 10 ms until it holds (true) or `limit` has passed
/// (false), for callers that clean up before they fail.
pub fn poll_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
