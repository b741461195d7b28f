//! Both bridges at once, plus redirect_logs_for_tests: Eliot -> tracing
//! (TracingDestination) and tracing -> Eliot (EliotLayer) installed together
//! never loop and never repeat a message: every tracing event reaches Eliot
//! once, every Eliot message reaches tracing once (except those that came
//! from tracing), and the core's recursion backstop never has to step in.
//! One test in its own binary: it installs a global subscriber.

mod support;

use std::sync::{Arc, Mutex};

use eliot::{destination_fn, log_message, start_action, write_traceback};
use eliot_tracing::{EliotLayer, TracingDestination};
use serde_json::{Map, Value};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The targets of every tracing event the subscriber sees.
#[derive(Clone, Default)]
struct Targets(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for Targets {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        self.0
            .lock()
            .unwrap()
            .push(event.metadata().target().to_owned());
    }
}

fn count<T: PartialEq>(items: &[T], wanted: &T) -> usize {
    items.iter().filter(|i| *i == wanted).count()
}

#[test]
fn both_bridges_and_the_test_redirect_together_never_loop_or_repeat() {
    let targets = Targets::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(EliotLayer::new())
            .with(targets.clone())
            .with(tracing_subscriber::fmt::layer().with_test_writer()),
    )
    .unwrap();
    let eliot_lines = Arc::new(Mutex::new(Vec::<Map<String, Value>>::new()));
    let sink = eliot_lines.clone();
    eliot::add_destination(destination_fn(move |m: &eliot::Message| {
        sink.lock().unwrap().push(m.to_map().unwrap());
    }));
    eliot::add_destination(TracingDestination::new());
    let logs = eliot_tokio::redirect_logs_for_tests().expect("under a test harness");
    let failures_before = eliot::destination_failure_count();

    let runtime = crate::support::capture::runtime(2);
    runtime.block_on(async {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                tokio::spawn(async move {
                    let span = tracing::info_span!("loop_span", i);
                    let _entered = span.enter();
                    tracing::info!(target: "loop_tracing_event", i, "from tracing");
                    log_message!("loop:eliot_message", i = i);
                    let action = start_action!("loop:eliot_action", i = i);
                    write_traceback(&std::fmt::Error);
                    drop(action);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });

    assert_eq!(
        eliot::recursive_delivery_drop_count(),
        0,
        "the core's backstop never fired"
    );
    assert_eq!(eliot::destination_failure_count(), failures_before);

    // tracing -> Eliot: each tracing event is one Eliot message.
    let lines = eliot_lines.lock().unwrap().clone();
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| {
            l.get("message_type")
                .or(l.get("action_type"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(count(&kinds, &"loop_tracing_event".to_owned()), 8);
    assert_eq!(count(&kinds, &"loop:eliot_message".to_owned()), 8);
    assert_eq!(
        count(&kinds, &"loop:eliot_action".to_owned()),
        16,
        "start and end"
    );
    assert_eq!(count(&kinds, &"eliot:traceback".to_owned()), 8);
    assert_eq!(
        count(&kinds, &"tokio_tracing_loop:loop_span".to_owned()),
        16,
        "span start and end"
    );

    // Eliot -> tracing: each Eliot-born message is one tracing event; those
    // that came from tracing are not sent back.
    let targets = targets.0.lock().unwrap().clone();
    assert_eq!(
        count(&targets, &"loop_tracing_event".to_owned()),
        8,
        "the original only"
    );
    assert_eq!(count(&targets, &"loop:eliot_message".to_owned()), 8);
    assert_eq!(count(&targets, &"loop:eliot_action".to_owned()), 16);
    assert_eq!(count(&targets, &"eliot:traceback".to_owned()), 8);
    assert_eq!(
        count(&targets, &"tokio_tracing_loop:loop_span".to_owned()),
        0
    );

    // The test redirect saw each Eliot message exactly once too.
    let run = std::fs::read_to_string(logs.log_file().unwrap()).unwrap();
    let run_lines: Vec<&str> = run.lines().collect();
    for line in &lines {
        let json = serde_json::to_string(line).unwrap();
        let uuid = line["task_uuid"].as_str().unwrap();
        let level = serde_json::to_string(&line["task_level"]).unwrap();
        let matching = run_lines
            .iter()
            .filter(|l| l.contains(uuid) && l.contains(&format!("\"task_level\":{level}")))
            .count();
        assert_eq!(matching, 1, "once in the run file: {json}");
    }
}
