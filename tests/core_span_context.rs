//! The engine under `EliotLayer`: a span's context, entered and exited as a
//! bridge does at every poll of an instrumented future, resumes the actions
//! left open inside the span when it is entered again under the context it
//! was exited to; with nothing current there, it cannot, and the guard is
//! reported as misused, as without spans.

use eliot::__private::SpanContext;
use eliot::{context_misuse_count, current_action, start_action, start_task};

/// The misuse count is process-wide: the tests that read it run one at a
/// time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn current_type() -> Option<String> {
    current_action().map(|a| a.action_type().to_owned())
}

#[test]
fn an_action_left_open_inside_a_span_is_current_again_at_the_next_entry() {
    let _serial = serial();
    let task = start_task!("test:task");
    let span = SpanContext::new(task.child("test:span", &[]));

    let entry = span.clone().enter();
    assert_eq!(current_type().as_deref(), Some("test:span"));
    let inner = start_action!("test:inner");
    entry.exit(); // a suspension: the span is exited, `inner` still open
    assert_eq!(current_type().as_deref(), Some("test:task"));

    let entry = span.clone().enter();
    assert_eq!(current_type().as_deref(), Some("test:inner"), "resumed");
    let misused = context_misuse_count();
    drop(inner);
    assert_eq!(current_type().as_deref(), Some("test:span"));
    assert_eq!(
        context_misuse_count(),
        misused,
        "dropped where it was opened"
    );
    entry.exit();

    // Nothing is left open: the next entry is the span's own context.
    let entry = span.clone().enter();
    assert_eq!(current_type().as_deref(), Some("test:span"));
    entry.exit();
    assert_eq!(current_type().as_deref(), Some("test:task"));
}

#[test]
fn the_chain_is_resumed_under_its_context_or_one_entered_on_top_only() {
    let _serial = serial();
    let first = start_task!("test:first");
    let span = SpanContext::new(first.child("test:span", &[]));
    let entry = span.clone().enter();
    let inner = start_action!("test:inner");
    entry.exit(); // recorded in test:first's context

    // Another thread, with the same action current but in a context of its
    // own: the record is not there.
    let elsewhere = span.clone();
    let seen = std::thread::spawn(eliot::preserve_context(move || {
        let entry = elsewhere.enter();
        let seen = current_type();
        entry.exit();
        seen
    }))
    .join()
    .unwrap();
    assert_eq!(seen.as_deref(), Some("test:span"));

    // Under an action entered on top of test:first's context, it is.
    let on_top = start_action!("test:on_top");
    let entry = span.clone().enter();
    assert_eq!(current_type().as_deref(), Some("test:inner"));
    drop(inner);
    entry.exit();
    drop(on_top);
    assert_eq!(current_type().as_deref(), Some("test:first"));
}

#[test]
fn with_nothing_current_the_chain_cannot_be_kept_and_the_guard_is_misused() {
    let _serial = serial();
    let span = SpanContext::new(start_task!("test:root").into_action());
    let entry = span.clone().enter();
    let inner = start_action!("test:inner");
    entry.exit(); // nothing was current: nowhere to keep `inner`
    assert!(current_action().is_none());

    let entry = span.clone().enter();
    assert_eq!(current_type().as_deref(), Some("test:root"));
    let misused = context_misuse_count();
    drop(inner);
    assert_eq!(context_misuse_count(), misused + 1);
    assert_eq!(current_type().as_deref(), Some("test:root"), "untouched");
    entry.exit();
    assert!(current_action().is_none());
}

#[test]
fn a_span_entered_inside_itself_resumes_nothing_into_itself() {
    let _serial = serial();
    let task = start_task!("test:task");
    let span = SpanContext::new(task.child("test:span", &[]));
    let outer = span.clone().enter();
    let inner_entry = span.clone().enter();
    let inner = start_action!("test:inner");
    // Exited to the span's own context: keeping the chain there would make
    // the span's context hold itself.
    inner_entry.exit();
    assert_eq!(current_type().as_deref(), Some("test:span"));
    let again = span.clone().enter();
    assert_eq!(current_type().as_deref(), Some("test:span"));
    again.exit();
    outer.exit();
    drop(inner); // misused: reported, nothing else touched
    assert_eq!(current_type().as_deref(), Some("test:task"));
}

#[test]
fn a_chain_whose_actions_all_ended_resumes_the_span_itself() {
    let _serial = serial();
    let task = start_task!("test:task");
    let span = SpanContext::new(task.child("test:span", &[]));
    let entry = span.clone().enter();
    let inner = start_action!("test:inner");
    entry.exit();
    drop(inner); // ended outside the span: misused, and its context popped
    let entry = span.clone().enter();
    assert_eq!(current_type().as_deref(), Some("test:span"));
    entry.exit();
    assert_eq!(current_type().as_deref(), Some("test:task"));
}
