//! TracingDestination past MAX_CALL_SITES distinct message shapes: memory
//! stays bounded and every message still arrives, through a generic call
//! site. In a file of its own: the call-site table is process-wide, and
//! filling it changes what other tests would see.

use std::sync::{Arc, Mutex};

use eliot::add_destination;
use eliot_tracing::TracingDestination;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// One event: its target and its fields as text.
type Seen = (String, Vec<(String, String)>);

/// Every event seen.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Seen>>>);

struct Record(Vec<(String, String)>);

impl Visit for Record {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().into(), value.into()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().into(), format!("{value:?}")));
    }
}

impl<S: Subscriber> Layer<S> for Collect {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut record = Record(Vec::new());
        event.record(&mut record);
        self.0
            .lock()
            .unwrap()
            .push((event.metadata().target().to_owned(), record.0));
    }
}

#[test]
fn many_shapes_stay_bounded_and_still_arrive() {
    std::mem::forget(add_destination(TracingDestination::new()));
    let collect = Collect::default();
    let shapes = eliot_tracing::destination::MAX_CALL_SITES + 10;
    tracing::subscriber::with_default(tracing_subscriber::registry().with(collect.clone()), || {
        for i in 0..shapes {
            let key = format!("field_{i}");
            eliot::log_message("test:shapes", &[eliot::Field::new(&key, &i)]);
        }
    });
    let seen = collect.0.lock().unwrap();
    let get = |fields: &[(String, String)], name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let direct = seen
        .iter()
        .filter(|(target, _)| target == "test:shapes")
        .count();
    let fallback: Vec<_> = seen
        .iter()
        .filter(|(target, fields)| {
            target == "eliot" && get(fields, "eliot_type").as_deref() == Some("test:shapes")
        })
        .collect();
    assert_eq!(direct, eliot_tracing::destination::MAX_CALL_SITES);
    assert_eq!(direct + fallback.len(), shapes, "every message arrives");
    let json = get(&fallback[0].1, "eliot_message").expect("the fallback carries the JSON line");
    assert!(json.contains("\"message_type\":\"test:shapes\""), "{json}");
    assert!(json.contains("\"field_1024\":1024"), "{json}");
}
