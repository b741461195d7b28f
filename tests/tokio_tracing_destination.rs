//! TracingDestination: each Eliot message becomes a tracing event with the
//! Eliot type as target, ERROR for tracebacks and failed actions, INFO
//! otherwise, every field intact.

use std::sync::{Arc, Mutex};

use eliot::{add_destination, fields, log_message, start_action, start_task, write_traceback};
use eliot_tracing::TracingDestination;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, PartialEq)]
enum Recorded {
    Str(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Debug(String),
}

#[derive(Debug, Clone)]
struct Seen {
    target: String,
    level: Level,
    name: &'static str,
    module: Option<String>,
    parent_span: Option<String>,
    fields: Vec<(String, Recorded)>,
}

impl Seen {
    fn get(&self, name: &str) -> Option<&Recorded> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn names(&self) -> Vec<&str> {
        self.fields.iter().map(|(k, _)| k.as_str()).collect()
    }
}

struct Record(Vec<(String, Recorded)>);

impl Visit for Record {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .push((field.name().into(), Recorded::Str(value.into())));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.push((field.name().into(), Recorded::I64(value)));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.push((field.name().into(), Recorded::U64(value)));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.push((field.name().into(), Recorded::F64(value)));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.push((field.name().into(), Recorded::Bool(value)));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().into(), Recorded::Debug(format!("{value:?}"))));
    }
}

/// A layer that keeps every event it sees.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Seen>>>);

impl<S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>> Layer<S> for Collect {
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut record = Record(Vec::new());
        event.record(&mut record);
        let metadata = event.metadata();
        self.0.lock().unwrap().push(Seen {
            target: metadata.target().to_owned(),
            level: *metadata.level(),
            name: metadata.name(),
            module: metadata.module_path().map(str::to_owned),
            parent_span: ctx.event_span(event).map(|s| s.name().to_owned()),
            fields: record.0,
        });
    }
}

impl Collect {
    fn with_target(&self, target: &str) -> Vec<Seen> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.target == target)
            .cloned()
            .collect()
    }
}

/// Installs the destination once for this binary; each test collects the
/// events of its own thread through a thread-local default subscriber.
fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::mem::forget(add_destination(TracingDestination::new()));
    });
}

#[test]
fn a_message_becomes_an_info_event_with_its_type_as_target_and_its_fields() {
    install();
    let collect = Collect::default();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(collect.clone()), || {
        log_message!(
            "test:dest:note",
            count = 3,
            negative = -4,
            ratio = 0.5,
            ok = true,
            name = "alice",
            tags = vec!["a", "b"],
            nothing = Option::<u8>::None,
            nested = serde_json::json!({"k": [1, 2]}),
        );
    });
    let seen = collect.with_target("test:dest:note");
    assert_eq!(seen.len(), 1, "{seen:?}");
    let event = &seen[0];
    assert_eq!(event.level, Level::INFO);
    assert_eq!(event.name, eliot_tracing::destination::ELIOT_EVENT_NAME);
    assert_eq!(
        event.module.as_deref(),
        Some(eliot_tracing::destination::ELIOT_EVENT_MODULE)
    );
    assert_eq!(
        event.names(),
        [
            "message",
            "count",
            "negative",
            "ratio",
            "ok",
            "name",
            "tags",
            "nothing",
            "nested",
            "timestamp",
            "task_uuid",
            "task_level",
            "message_type"
        ]
    );
    assert_eq!(
        event.get("message"),
        Some(&Recorded::Str("test:dest:note".into()))
    );
    assert_eq!(event.get("count"), Some(&Recorded::I64(3)));
    assert_eq!(event.get("negative"), Some(&Recorded::I64(-4)));
    assert_eq!(event.get("ratio"), Some(&Recorded::F64(0.5)));
    assert_eq!(event.get("ok"), Some(&Recorded::Bool(true)));
    assert_eq!(event.get("name"), Some(&Recorded::Str("alice".into())));
    assert_eq!(
        event.get("tags"),
        Some(&Recorded::Debug(r#"["a","b"]"#.into()))
    );
    assert_eq!(event.get("nothing"), Some(&Recorded::Debug("null".into())));
    assert_eq!(
        event.get("nested"),
        Some(&Recorded::Debug(r#"{"k":[1,2]}"#.into()))
    );
    assert_eq!(
        event.get("task_level"),
        Some(&Recorded::Debug("[1]".into()))
    );
    assert_eq!(
        event.get("message_type"),
        Some(&Recorded::Str("test:dest:note".into()))
    );
    assert!(matches!(event.get("timestamp"), Some(Recorded::F64(_))));
    assert!(matches!(event.get("task_uuid"), Some(Recorded::Str(s)) if s.len() == 36));
}

#[test]
fn tracebacks_and_failed_actions_are_errors_other_actions_info() {
    install();
    let collect = Collect::default();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(collect.clone()), || {
        let task = start_task!("test:dest:task");
        let error = "x".parse::<u8>().unwrap_err();
        write_traceback(&error);
        start_action!("test:dest:failing", attempt = 1).finish_with_error(&error);
        task.add_success_fields(fields!(done = true));
    });
    let task = collect.with_target("test:dest:task");
    assert_eq!(task.len(), 2, "{task:#?}");
    assert_eq!(task[0].level, Level::INFO);
    assert_eq!(
        task[0].get("action_status"),
        Some(&Recorded::Str("started".into()))
    );
    assert_eq!(
        task[0].get("message"),
        Some(&Recorded::Str("test:dest:task started".into()))
    );
    assert_eq!(task[1].level, Level::INFO);
    assert_eq!(task[1].get("done"), Some(&Recorded::Bool(true)));
    assert_eq!(
        task[1].get("message"),
        Some(&Recorded::Str("test:dest:task succeeded".into()))
    );

    let traceback: Vec<_> = collect
        .with_target("eliot:traceback")
        .into_iter()
        .filter(|s| s.get("task_uuid") == task[0].get("task_uuid"))
        .collect();
    assert_eq!(traceback.len(), 1);
    assert_eq!(traceback[0].level, Level::ERROR);
    assert_eq!(
        traceback[0].get("exception"),
        Some(&Recorded::Str("core::num::error::ParseIntError".into()))
    );

    let failing = collect.with_target("test:dest:failing");
    assert_eq!(failing.len(), 2);
    assert_eq!(failing[0].level, Level::INFO);
    assert_eq!(failing[0].get("attempt"), Some(&Recorded::I64(1)));
    assert_eq!(failing[1].level, Level::ERROR);
    assert_eq!(
        failing[1].get("action_status"),
        Some(&Recorded::Str("failed".into()))
    );
    assert_eq!(
        failing[1].get("reason"),
        Some(&Recorded::Str("invalid digit found in string".into()))
    );
}

#[test]
fn a_message_field_of_its_own_is_kept_and_events_sit_in_the_current_span() {
    install();
    let collect = Collect::default();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(collect.clone()), || {
        let span = tracing::info_span!("outer");
        let _entered = span.enter();
        log_message!("test:dest:own_message", message = "hello there");
    });
    let seen = collect.with_target("test:dest:own_message");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].get("message"),
        Some(&Recorded::Str("hello there".into()))
    );
    assert_eq!(
        seen[0].names().iter().filter(|n| **n == "message").count(),
        1
    );
    assert_eq!(seen[0].parent_span.as_deref(), Some("outer"));
}

#[test]
fn subscriber_filters_apply_to_eliot_types_and_levels() {
    install();
    let collect = Collect::default();
    let filtered = collect
        .clone()
        .with_filter(tracing_subscriber::filter::filter_fn(|m| {
            m.target().starts_with("test:filter:keep") || *m.level() == Level::ERROR
        }));
    tracing::subscriber::with_default(tracing_subscriber::registry().with(filtered), || {
        log_message!("test:filter:keep", n = 1);
        log_message!("test:filter:drop", n = 2);
        start_action!("test:filter:drop_action").finish_with_error(&std::fmt::Error);
    });
    assert_eq!(collect.with_target("test:filter:keep").len(), 1);
    assert_eq!(collect.with_target("test:filter:drop").len(), 0);
    let action = collect.with_target("test:filter:drop_action");
    assert_eq!(
        action.len(),
        1,
        "only the failed end is an ERROR: {action:?}"
    );
    assert_eq!(
        action[0].get("action_status"),
        Some(&Recorded::Str("failed".into()))
    );
}

/// Field names and string values with JSON escapes in the line arrive
/// unescaped; a type with escapes is the target as written by the caller;
/// a nested object is its JSON text as written in the line.
#[test]
fn escaped_names_and_values_arrive_unescaped() {
    install();
    let collect = Collect::default();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(collect.clone()), || {
        for _ in 0..2 {
            log_message!(
                "test:dest:\"escaped\"",
                "quoted \"key\"" = "line\nbreak\t\u{e9}",
                plain = "no escapes",
                point = serde_json::json!({"z": 1, "a": "b\"c"}),
            );
        }
    });
    let seen = collect.with_target("test:dest:\"escaped\"");
    assert_eq!(seen.len(), 2, "the same shape, twice: {seen:?}");
    for event in &seen {
        assert_eq!(
            event.get("quoted \"key\""),
            Some(&Recorded::Str("line\nbreak\t\u{e9}".into()))
        );
        assert_eq!(
            event.get("plain"),
            Some(&Recorded::Str("no escapes".into()))
        );
        assert_eq!(
            event.get("message"),
            Some(&Recorded::Str("test:dest:\"escaped\"".into()))
        );
    }
    let point = match seen[0].get("point") {
        Some(Recorded::Debug(text)) => text.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&point).unwrap(),
        serde_json::json!({"z": 1, "a": "b\"c"})
    );
}
