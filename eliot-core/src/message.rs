//! Messages: the JSON lines Eliot writes, and the functions that write them.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::action::Action;
use crate::failure::Failure;
use crate::field::{Field, OwnedFields};
use crate::json::{self, LineWriter};
use crate::registry::{self, Route};

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
    line: Arc<str>,
}

impl Message {
    /// The message as one compact JSON object, no newline.
    pub fn as_json(&self) -> &str {
        &self.line
    }

    /// Whether another handle to this line exists: a `ThreadedWriter` asks
    /// whether its thread is done with a line, to free it on the thread
    /// that allocated it.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.line) > 1
    }

    /// The message's fields, parsed.
    pub fn to_map(&self) -> Result<serde_json::Map<String, serde_json::Value>, serde_json::Error> {
        serde_json::from_str(&self.line)
    }

    /// A message from a JSON object, e.g. to replay a log line into a
    /// destination. Anything but a JSON object is refused.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        let _: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)?;
        Ok(Message {
            line: json.trim().into(),
        })
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Message").field(&&*self.line).finish()
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

/// Float seconds since the Unix epoch, like Python's `time.time()`.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Where a line sits in its task.
pub(crate) struct Position<'a> {
    pub(crate) task_uuid: &'a str,
    /// The level of the action handing out the slot (empty for a task root).
    pub(crate) parent_level: &'a [u32],
    pub(crate) slot: u32,
}

/// Builds a line and hands it to the route or the registered destinations.
/// `build` writes the line's own fields; the global fields whose keys are not
/// `present` follow.
fn emit(
    route: Option<&Route>,
    present: impl Fn(&str) -> bool,
    build: impl FnOnce(&mut LineWriter<'_>),
) {
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
            None => registry::dispatch(snapshot, message),
        }
    });
}

fn in_fields<'a>(fields: &'a [Field<'a>]) -> impl Fn(&str) -> bool + 'a {
    move |key| fields.iter().any(|f| f.key() == key)
}

fn write_position(w: &mut LineWriter<'_>, at: &Position<'_>) {
    w.str("task_uuid", at.task_uuid);
    w.task_level(at.parent_level, at.slot);
}

/// `{fields..., timestamp, task_uuid, task_level, message_type}`
pub(crate) fn write_message(
    route: Option<&Route>,
    at: Position<'_>,
    message_type: &str,
    fields: &[Field<'_>],
) {
    let timestamp = now();
    emit(route, in_fields(fields), |w| {
        w.user_fields(fields);
        w.f64("timestamp", timestamp);
        write_position(w, &at);
        w.str("message_type", message_type);
    });
}

/// `{fields..., action_status, timestamp, task_uuid, action_type, task_level}`
pub(crate) fn write_action_start(
    route: Option<&Route>,
    at: Position<'_>,
    action_type: &str,
    fields: &[Field<'_>],
) {
    let timestamp = now();
    emit(route, in_fields(fields), |w| {
        w.user_fields(fields);
        write_action_status(w, "started", timestamp, &at, action_type);
    });
}

fn write_action_status(
    w: &mut LineWriter<'_>,
    status: &str,
    timestamp: f64,
    at: &Position<'_>,
    action_type: &str,
) {
    w.str("action_status", status);
    w.f64("timestamp", timestamp);
    w.str("task_uuid", at.task_uuid);
    w.str("action_type", action_type);
    w.task_level(at.parent_level, at.slot);
}

/// The end of an action: success fields, or the failure's extracted fields,
/// `exception` and `reason`; then the five fields every action line has.
pub(crate) fn write_action_end(
    route: Option<&Route>,
    at: Position<'_>,
    action_type: &str,
    outcome: Result<&OwnedFields, &Failure>,
) {
    let timestamp = now();
    let present = |key: &str| match outcome {
        Ok(success) => success.contains_key(key),
        Err(failure) => {
            key == "exception" || key == "reason" || failure.extracted_fields().contains_key(key)
        }
    };
    emit(route, present, |w| match outcome {
        Ok(success) => {
            for (key, value) in success.iter() {
                w.raw(key, value);
            }
            write_action_status(w, "succeeded", timestamp, &at, action_type);
        }
        Err(failure) => {
            for (key, value) in failure.extracted_fields().iter() {
                w.raw(key, value);
            }
            w.str("exception", failure.exception());
            w.str("reason", failure.reason());
            write_action_status(w, "failed", timestamp, &at, action_type);
        }
    });
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
    let context = crate::context::current();
    match context.action {
        Some(action) => action.log(message_type, fields),
        None => log_in_new_task(context.route.as_ref(), message_type, fields),
    }
}

/// Logs a message as a task of its own, whatever the current context.
pub(crate) fn log_detached(message_type: &str, fields: &[Field<'_>]) {
    log_in_new_task(None, message_type, fields);
}

fn log_in_new_task(route: Option<&Route>, message_type: &str, fields: &[Field<'_>]) {
    let task_uuid = crate::action::new_task_uuid();
    write_message(
        route,
        Position {
            task_uuid: &task_uuid,
            parent_level: &[],
            slot: 1,
        },
        message_type,
        fields,
    );
}

/// A one-message task, built but not delivered (no global fields): what a
/// writer thread writes straight into its own destination, such as the count
/// of messages a lossy `ThreadedWriter` dropped.
pub(crate) fn detached_message(message_type: &str, fields: &[Field<'_>]) -> Message {
    let task_uuid = crate::action::new_task_uuid();
    let timestamp = now();
    let line = json::build_line(|buf| {
        let mut w = LineWriter::new(buf);
        w.user_fields(fields);
        w.f64("timestamp", timestamp);
        w.str("task_uuid", &task_uuid);
        w.task_level(&[], 1);
        w.str("message_type", message_type);
        w.finish();
    });
    Message { line }
}

/// `eliot:traceback`: reason, traceback, exception, extracted fields; in the
/// current action.
pub(crate) fn log_traceback(failure: &Failure) {
    let reason = failure.reason();
    let traceback = failure.traceback();
    let exception = failure.exception();
    let extracted: Vec<(&str, Box<serde_json::value::RawValue>)> = failure
        .extracted_fields()
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k,
                serde_json::value::RawValue::from_string(v.to_owned()).ok()?,
            ))
        })
        .collect();
    let mut fields = vec![
        Field::new("reason", &reason),
        Field::new("traceback", &traceback),
        Field::new("exception", &exception),
    ];
    fields.extend(extracted.iter().map(|(k, v)| Field::new(k, v)));
    log_message("eliot:traceback", &fields);
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
            Position {
                task_uuid: self.task_uuid(),
                parent_level: self.task_level(),
                slot,
            },
            message_type,
            fields,
        );
    }
}
