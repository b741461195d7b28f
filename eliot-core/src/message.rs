//! Messages: the JSON lines Eliot writes, and the functions that write them.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

use crate::action::Action;
use crate::context::Context;
use crate::failure::Failure;
use crate::field::{Field, OwnedFields};
use crate::registry::{self, Route};
use crate::util::json::{self, LineWriter};

/// One logged message: a complete Eliot JSON object, without the trailing
/// newline. Cheap to clone (the line is shared).
///
/// ```
/// use eliot_core::Message;
///
/// let message = Message::from_json(r#"{"x":1,"message_type":"app:note"}"#).unwrap();
/// assert_eq!(message.to_map().unwrap()["x"], 1);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// A `String`, not a `str`, so that a thread can write its next message
    /// into the memory of one that no destination kept
    /// ([`json::recycle`]); shared lines are never written to.
    line: Arc<String>,
}

impl Message {
    /// Whether `other` is this very message (a clone of it), not merely an
    /// equal line.
    pub(crate) fn same_line(&self, other: &Message) -> bool {
        Arc::ptr_eq(&self.line, &other.line)
    }

    /// A message from a line that was a message's (the JSON is not checked
    /// again).
    pub(crate) fn from_line(line: &str) -> Message {
        Message {
            line: Arc::new(line.to_owned()),
        }
    }

    /// The message as one compact JSON object, no newline.
    pub fn as_json(&self) -> &str {
        &self.line
    }

    /// Hands the line back to this thread for its next message, unless a
    /// destination kept a clone: for messages built here and delivered.
    pub(crate) fn recycle(self) {
        json::recycle(self.line);
    }

    /// The message's fields, parsed.
    pub fn to_map(&self) -> Result<serde_json::Map<String, serde_json::Value>, serde_json::Error> {
        serde_json::from_str(self.as_json())
    }

    /// A message from a JSON object, e.g. to replay a log line into a
    /// destination. Anything but a JSON object is refused. An object spread
    /// over several lines (pretty-printed) is joined into one line, so that
    /// it is written as one line of the log.
    ///
    /// ```
    /// use eliot_core::Message;
    ///
    /// let message = Message::from_json("{\n  \"x\": 1,\n  \"message_type\": \"app:note\"\n}\n").unwrap();
    /// assert_eq!(message.as_json(), r#"{  "x": 1,  "message_type": "app:note"}"#);
    /// assert!(Message::from_json("[1, 2]").is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        let _: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)?;
        let json = json.trim();
        // In a valid JSON text a line break can only be whitespace between
        // tokens (one inside a string is escaped), so removing them keeps
        // the value, its key order and its numbers exactly as written.
        let line = if json.contains(['\n', '\r']) {
            json.replace(['\n', '\r'], "")
        } else {
            json.to_owned()
        };
        Ok(Message {
            line: Arc::new(line),
        })
    }
}

impl Serialize for Message {
    /// The line itself, as raw JSON: embedded as a field (as the `message`
    /// of `eliot:destination_failure` is), it is the object it is, not a
    /// string holding it, and it is copied without being re-encoded.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        json::RawJson(self.as_json()).serialize(serializer)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Message").field(&self.as_json()).finish()
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json())
    }
}

/// Float seconds since the Unix epoch, like Python's `time.time()`.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `message` with the global fields whose keys it does not have appended,
/// as a message built now would have them: for messages that were not
/// built here (relayed) or were built before some global fields were added
/// (held in the startup buffer). The message itself when nothing is added.
pub(crate) fn with_global_fields(message: &Message, globals: &OwnedFields) -> Message {
    if globals.is_empty() {
        return message.clone();
    }
    let Ok(present) = serde_json::from_str::<
        std::collections::HashMap<String, serde::de::IgnoredAny>,
    >(message.as_json()) else {
        return message.clone();
    };
    let missing: Vec<(&str, &str)> = globals
        .iter()
        .filter(|(key, _)| !present.contains_key(*key))
        .collect();
    let Some(open) = message.as_json().trim_end().strip_suffix('}') else {
        return message.clone();
    };
    if missing.is_empty() {
        return message.clone();
    }
    let mut line = Vec::with_capacity(message.line.len() + 64);
    line.extend_from_slice(open.as_bytes());
    for (key, value) in missing {
        if line.trim_ascii_end().last() != Some(&b'{') {
            line.push(b',');
        }
        json::write_str(&mut line, key);
        line.push(b':');
        line.extend_from_slice(value.as_bytes());
    }
    line.push(b'}');
    Message {
        line: Arc::new(json::utf8(line)),
    }
}

/// Where a message sits in its task.
pub(crate) enum Position<'a> {
    /// The next slot of an action: its message prefix (see
    /// [`json::action_prefixes`]) and the slot.
    InAction(&'a str, u32),
    /// The only line of a fresh task with this UUID.
    NewTask(&'a str),
}

/// Builds a line and hands it to the route or the registered destinations,
/// then hands it back. `build` writes the line's own fields; the global
/// fields whose keys are not `present` (compared as written, see
/// [`json::user_key`]) follow (none on a route, which is a test's own log).
fn emit(
    route: Option<&Route>,
    present: impl Fn(&str) -> bool,
    build: impl FnOnce(&mut LineWriter<'_>),
) -> Message {
    registry::with_snapshot(|snapshot| {
        let globals = match route {
            Some(_) => None,
            None => Some(&snapshot.global_fields).filter(|g| !g.is_empty()),
        };
        let line = json::build_line(|buf| {
            let mut writer = LineWriter::new(buf);
            build(&mut writer);
            for (key, value) in globals.into_iter().flat_map(OwnedFields::iter) {
                if !present(key) {
                    writer.raw(key, value);
                }
            }
            writer.finish();
        });
        let message = Message { line };
        match route {
            Some(route) => registry::deliver(std::slice::from_ref(route), &message),
            None => registry::dispatch(snapshot, &message),
        }
        message
    })
}

/// Whether `key` (a global field's, as written) is among `fields`' keys as
/// they are written.
fn in_fields<'a>(fields: &'a [Field<'a>]) -> impl Fn(&str) -> bool + 'a {
    move |key| fields.iter().any(|f| json::user_key(f.key()) == key)
}

/// A message's own fields and Eliot's, in Eliot's order:
/// `{fields..., timestamp, task_uuid, task_level, message_type}`.
fn write_message_body(
    w: &mut LineWriter<'_>,
    at: &Position<'_>,
    message_type: &str,
    fields: &[Field<'_>],
    timestamp: f64,
) {
    w.user_fields(fields);
    w.f64("timestamp", timestamp);
    match *at {
        Position::InAction(prefix, slot) => w.prefixed_level(prefix, slot),
        Position::NewTask(task_uuid) => {
            w.plain_str("task_uuid", task_uuid);
            w.root_task_level();
        }
    }
    w.str("message_type", message_type);
}

/// Logs a message at `at`, with the global fields, and hands it back.
pub(crate) fn write_message(
    route: Option<&Route>,
    at: Position<'_>,
    message_type: &str,
    fields: &[Field<'_>],
) -> Message {
    let timestamp = now();
    emit(route, in_fields(fields), |w| {
        write_message_body(w, &at, message_type, fields, timestamp);
    })
}

/// `{fields..., action_status, timestamp, task_uuid, action_type, task_level}`
pub(crate) fn write_action_start(action: &Action, slot: u32, fields: &[Field<'_>]) {
    let timestamp = now();
    emit(action.route(), in_fields(fields), |w| {
        w.user_fields(fields);
        write_action_status(w, "started", timestamp, action, slot);
    })
    .recycle();
}

/// The five fields every action line ends with; the last three come
/// precomputed with the action.
fn write_action_status(
    w: &mut LineWriter<'_>,
    status: &'static str,
    timestamp: f64,
    action: &Action,
    slot: u32,
) {
    w.str("action_status", status);
    w.f64("timestamp", timestamp);
    w.prefixed_level(action.status_prefix(), slot);
}

/// The end of an action: success fields, or the failure's extracted fields,
/// `exception` and `reason`; then the five fields every action line has.
pub(crate) fn write_action_end(
    action: &Action,
    slot: u32,
    outcome: Result<&OwnedFields, &Failure>,
) {
    let timestamp = now();
    let present = |key: &str| match outcome {
        Ok(success) => success.contains_key(key),
        Err(failure) => {
            key == "exception" || key == "reason" || failure.extracted_fields().contains_key(key)
        }
    };
    emit(action.route(), present, |w| match outcome {
        Ok(success) => {
            for (key, value) in success.iter() {
                w.raw(key, value);
            }
            write_action_status(w, "succeeded", timestamp, action, slot);
        }
        Err(failure) => {
            for (key, value) in failure.extracted_fields().iter() {
                w.raw(key, value);
            }
            w.str("exception", failure.exception());
            w.str("reason", failure.reason());
            write_action_status(w, "failed", timestamp, action, slot);
        }
    })
    .recycle();
}

/// Logs a message in the current action, or as a one-message task of its
/// own when no action is current. Eliot's `log_message`; the
/// [`log_message!`](crate::log_message!) macro is the usual way to call it.
///
/// ```
/// use eliot_core::{log_message, Field};
///
/// log_message("app:started", &[Field::new("port", &8080)]);
/// ```
pub fn log_message(message_type: &str, fields: &[Field<'_>]) {
    // What the message needs of the context is read while the context is
    // borrowed, and copied: the action's prefix, its next slot, the route.
    // Sharing the context for the length of the call would cost two atomic
    // writes, more than the copy; and the fields' `Serialize` impls and the
    // destinations, which may change the context, run after the borrow.
    let mut prefix = PREFIX.try_with(Cell::take).unwrap_or_default();
    let place = crate::context::with_current(|context| match context {
        Some(Context {
            action: Some(action),
            ..
        }) => {
            prefix.clear();
            prefix.push_str(action.message_prefix());
            Place::InAction(action.next_slot(), action.route().cloned())
        }
        other => Place::NewTask(other.and_then(|c| c.route.clone())),
    })
    .unwrap_or(Place::NewTask(None));
    match place {
        Place::InAction(slot, route) => write_message(
            route.as_ref(),
            Position::InAction(&prefix, slot),
            message_type,
            fields,
        ),
        Place::NewTask(route) => log_in_new_task(route.as_ref(), message_type, fields),
    }
    .recycle();
    let _ = PREFIX.try_with(|kept| kept.set(prefix));
}

/// Where [`log_message`] logs, as the current context says.
enum Place {
    /// The current action's next slot, and the action's route.
    InAction(u32, Option<Route>),
    /// A task of its own, on the context's route.
    NewTask(Option<Route>),
}

thread_local! {
    /// The message prefix of the current action, copied by [`log_message`]:
    /// its memory serves the thread's next message.
    static PREFIX: Cell<String> = const { Cell::new(String::new()) };
}

/// Logs a message as a task of its own, whatever action is current, where
/// the current context writes: what a bridge logs for an event of another
/// tracing system that has no parent.
pub fn log_as_task(message_type: &str, fields: &[Field<'_>]) {
    log_in_new_task(
        crate::context::current_route().as_ref(),
        message_type,
        fields,
    )
    .recycle();
}

/// Logs a message as a task of its own, whatever the current context, and
/// hands back the message it delivered: a writer thread tells by identity
/// ([`Message::same_line`]) whether its own handle was among the
/// destinations.
pub(crate) fn log_detached(message_type: &str, fields: &[Field<'_>]) -> Message {
    log_in_new_task(None, message_type, fields)
}

fn log_in_new_task(route: Option<&Route>, message_type: &str, fields: &[Field<'_>]) -> Message {
    crate::task_uuid::new_task_uuid().with_str(|task_uuid| {
        write_message(route, Position::NewTask(task_uuid), message_type, fields)
    })
}

/// A one-message task, built but not delivered (no global fields): what a
/// writer thread writes straight into its own destination, such as the count
/// of messages a lossy `ThreadedWriter` dropped.
pub(crate) fn detached_message(message_type: &str, fields: &[Field<'_>]) -> Message {
    let task_uuid = crate::task_uuid::new_task_uuid();
    let timestamp = now();
    let line = json::build_line(|buf| {
        let mut w = LineWriter::new(buf);
        task_uuid.with_str(|task_uuid| {
            write_message_body(
                &mut w,
                &Position::NewTask(task_uuid),
                message_type,
                fields,
                timestamp,
            );
        });
        w.finish();
    });
    Message { line }
}

impl Action {
    /// Logs a message in this action (Eliot's `Action.log`), wherever this
    /// action is current or not.
    ///
    /// ```
    /// use eliot_core::{fields, start_action};
    ///
    /// let action = start_action!("app:upload");
    /// action.log("app:upload:progress", fields!(percent = 50));
    /// ```
    pub fn log(&self, message_type: &str, fields: &[Field<'_>]) {
        let slot = self.next_slot();
        write_message(
            self.route(),
            Position::InAction(self.message_prefix(), slot),
            message_type,
            fields,
        )
        .recycle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::destination_fn;
    use std::sync::Mutex;

    /// What a destination saw of each message as it was written: where its
    /// text was and the text.
    type Seen = Arc<Mutex<Vec<(usize, String)>>>;

    /// A route that records what it sees, and keeps a clone of the
    /// messages `keep` picks.
    fn recording(keep: fn(&Message) -> bool) -> (Route, Seen, Arc<Mutex<Vec<Message>>>) {
        let seen = Seen::default();
        let kept = Arc::new(Mutex::new(Vec::new()));
        let route: Route = Arc::new(destination_fn({
            let (seen, kept) = (seen.clone(), kept.clone());
            move |m: &Message| {
                let at = m.as_json().as_ptr().addr();
                seen.lock().unwrap().push((at, m.as_json().to_owned()));
                if keep(m) {
                    kept.lock().unwrap().push(m.clone());
                }
            }
        }));
        (route, seen, kept)
    }

    fn log_to(route: &Route, message_type: &str, fields: &[Field<'_>]) {
        write_message(Some(route), Position::NewTask("u-1"), message_type, fields).recycle();
    }

    #[test]
    fn a_line_no_destination_kept_is_written_over_by_the_next() {
        let (route, seen, _) = recording(|_| false);
        log_to(&route, "t:first", &[Field::new("n", &1)]);
        log_to(&route, "t:second", &[Field::new("n", &2)]);
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].0, seen[1].0, "{seen:?}");
        assert!(seen[1].1.ends_with(r#""message_type":"t:second"}"#));
    }

    /// A message a destination keeps is never written over: its thread
    /// writes its next ones elsewhere, and every kept one still holds the
    /// text it was delivered with, whatever lengths came after (longer
    /// than the reused line, and too long to be reused).
    #[test]
    fn a_kept_message_stays_as_it_was_delivered() {
        let (route, seen, kept) = recording(|m| m.as_json().contains("\"keep\":true"));
        let huge = "x".repeat(100 * 1024);
        let texts = ["", "short", &"y".repeat(300), &huge, "z"];
        for (i, text) in texts.iter().cycle().take(40).enumerate() {
            log_to(
                &route,
                "t:kept",
                &[Field::new("keep", &(i % 3 == 0)), Field::new("text", text)],
            );
        }
        let seen = seen.lock().unwrap();
        let kept = kept.lock().unwrap();
        let expected: Vec<&str> = seen
            .iter()
            .map(|(_, text)| text.as_str())
            .filter(|text| text.contains("\"keep\":true"))
            .collect();
        let kept_texts: Vec<&str> = kept.iter().map(Message::as_json).collect();
        assert_eq!(kept_texts, expected);
        for message in kept.iter() {
            assert!(message.as_json().ends_with('}'));
            assert_eq!(message.to_map().unwrap()["message_type"], "t:kept");
        }
    }

    /// A destination that logs while it writes: the message it writes is
    /// not touched by the one it logs, which gets a line of its own.
    #[test]
    fn a_message_logged_while_one_is_written_gets_its_own_line() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let route: Route = Arc::new(destination_fn({
            let seen = seen.clone();
            move |m: &Message| {
                let before = m.as_json().to_owned();
                if before.contains("t:outer") {
                    let route: Route = Arc::new(destination_fn({
                        let seen = seen.clone();
                        move |inner: &Message| {
                            seen.lock().unwrap().push(inner.as_json().to_owned());
                        }
                    }));
                    log_to(&route, "t:inner", &[Field::new("n", &2)]);
                }
                assert_eq!(m.as_json(), before);
                seen.lock().unwrap().push(before);
            }
        }));
        for _ in 0..3 {
            log_to(&route, "t:outer", &[Field::new("n", &1)]);
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 6, "{seen:?}");
        for pair in seen.chunks(2) {
            assert!(
                pair[0].ends_with(r#""message_type":"t:inner"}"#),
                "{pair:?}"
            );
            assert!(
                pair[1].ends_with(r#""message_type":"t:outer"}"#),
                "{pair:?}"
            );
        }
    }

    #[test]
    fn a_message_embedded_as_a_field_is_its_json_object() {
        let message = Message::from_json(r#"{"n":1,"s":"a\"b","message_type":"t"}"#).unwrap();
        #[derive(serde::Serialize)]
        struct Report<'a> {
            message: &'a Message,
            none: Option<&'a Message>,
        }
        let report = Report {
            message: &message,
            none: None,
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"message":{"n":1,"s":"a\"b","message_type":"t"},"none":null}"#
        );
    }

    #[test]
    fn a_message_from_json_over_several_lines_is_one_line() {
        let pretty = "{\n  \"a\": \"x\\ny\",\r\n  \"b\": [1,\n 2.50]\n}\n";
        let message = Message::from_json(pretty).unwrap();
        assert!(!message.as_json().contains(['\n', '\r']), "{message}");
        assert_eq!(message.as_json(), r#"{  "a": "x\ny",  "b": [1, 2.50]}"#);
        assert_eq!(
            message.to_map().unwrap(),
            serde_json::from_str::<serde_json::Map<_, _>>(pretty).unwrap()
        );
        assert!(Message::from_json("{\"a\": 1} {").is_err());
    }
}
