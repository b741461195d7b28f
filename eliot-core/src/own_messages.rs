//! The messages eliot-rs writes about itself: one builder per `eliot:*`
//! message type, so that each type has one set of fields wherever it is
//! logged from.
//!
//! | type | logged by | fields |
//! |---|---|---|
//! | `eliot:traceback` | [`write_traceback`], failed `#[log_call]`s | `reason`, `traceback`, `exception`, extracted fields |
//! | `eliot:destination_failure` | the registry, the `ThreadedWriter` | `reason`, `exception`, `message` |
//! | `eliot:messages_dropped` | a lossy `ThreadedWriter`, the syslog destination | `dropped`, `capacity`, `reason`, `first_timestamp`, `last_timestamp` |
//! | `eliot:context_misuse` | a context guard dropped out of order | `reason` |
//! | `eliot:startup_buffer_overflow` | the first destination added | `dropped`, `kept` |
//! | `eliot:http:bad_task_id` | `http::continue_or_start`, on a malformed header | `header`, `values`, `reason` |
//!
//! (A syslog message too long for its receiver is replaced by a shortened
//! copy with an `eliot:truncated` field: a field, not a message of its own;
//! see `output/syslog/format.rs`.)

use std::backtrace::Backtrace;

#[cfg(feature = "http")]
use crate::action::Action;
use crate::failure::{AsFailure, Failure};
use crate::field::Field;
use crate::message::{Message, detached_message, log_detached, log_message};
use crate::util::json::RawJson;

/// The message type that reports a destination's failure to write.
pub(crate) const DESTINATION_FAILURE: &str = "eliot:destination_failure";

/// Logs `error` as an `eliot:traceback` message in the current action (or as
/// a task of its own when there is none): `reason`, `traceback`, `exception`,
/// then any extracted fields. Eliot's `write_traceback`.
///
/// A backtrace is captured here and added to the traceback when
/// `RUST_BACKTRACE` or `RUST_LIB_BACKTRACE` enables it.
///
/// ```
/// use eliot_core::{start_action, write_traceback};
///
/// let _action = start_action!("app:load");
/// if let Err(e) = std::fs::read("/nonexistent/config") {
///     write_traceback(&e);
/// }
/// ```
pub fn write_traceback<E: AsFailure + ?Sized>(error: &E) {
    let failure = error.to_failure().with_backtrace(&Backtrace::capture());
    log_traceback(&failure);
}

/// Twisted's name for [`write_traceback`]: logs an error as
/// `eliot:traceback` in the current action (`eliot-tokio` adds adapters for
/// `Result`s and futures).
///
/// ```
/// use eliot_core::write_failure;
///
/// let result: Result<u8, _> = "300".parse::<u8>();
/// if let Err(error) = &result {
///     write_failure(error);
/// }
/// ```
pub fn write_failure<E: AsFailure + ?Sized>(error: &E) {
    write_traceback(error);
}

/// `eliot:traceback`: reason, traceback, exception, extracted fields; in the
/// current action.
pub(crate) fn log_traceback(failure: &Failure) {
    let reason = failure.reason();
    let traceback = failure.traceback();
    let exception = failure.exception();
    let extracted: Vec<(&str, RawJson<'_>)> = failure
        .extracted_fields()
        .iter()
        .map(|(key, value)| (key, RawJson(value)))
        .collect();
    let mut fields = vec![
        Field::new("reason", &reason),
        Field::new("traceback", &traceback),
        Field::new("exception", &exception),
    ];
    fields.extend(extracted.iter().map(|(key, value)| Field::new(key, value)));
    log_message("eliot:traceback", &fields);
}

/// Runs `f` with the fields of a [`DESTINATION_FAILURE`] message: the
/// failure's `reason` and `exception`, and the `message` that could not be
/// written (embedded as the JSON object it is), or `null`.
pub(crate) fn with_destination_failure_fields<R>(
    failure: &Failure,
    message: Option<&Message>,
    f: impl FnOnce(&[Field<'_>]) -> R,
) -> R {
    f(&[
        Field::new("reason", &failure.reason()),
        Field::new("exception", &failure.exception()),
        Field::new("message", &message),
    ])
}

/// What an `eliot:messages_dropped` notice says: how many messages a
/// destination dropped, the capacity that was full, why, and the
/// timestamps of the first and last messages dropped when the destination
/// saw them (`null` otherwise: a lossy `ThreadedWriter` counts its drops
/// without reading them).
pub(crate) struct MessagesDropped<'a> {
    pub(crate) dropped: u64,
    pub(crate) capacity: usize,
    pub(crate) reason: &'a str,
    pub(crate) first_timestamp: Option<f64>,
    pub(crate) last_timestamp: Option<f64>,
}

impl MessagesDropped<'_> {
    /// The notice, as a one-message task of its own, not yet delivered: the
    /// destination that dropped puts it in its own stream, where the gap is.
    pub(crate) fn message(&self) -> Message {
        detached_message(
            "eliot:messages_dropped",
            &[
                Field::new("dropped", &self.dropped),
                Field::new("capacity", &self.capacity),
                Field::new("reason", &self.reason),
                Field::new("first_timestamp", &self.first_timestamp),
                Field::new("last_timestamp", &self.last_timestamp),
            ],
        )
    }
}

/// `eliot:context_misuse`, as a task of its own: logging into whatever
/// context is current where the misuse is found would take a slot from an
/// unrelated action.
pub(crate) fn log_context_misuse(reason: &str) {
    log_detached("eliot:context_misuse", &[Field::new("reason", &reason)]);
}

/// `eliot:startup_buffer_overflow`, as a task of its own: `dropped`
/// messages logged before the first destination was added did not fit the
/// startup buffer, which `kept` the first ones.
pub(crate) fn log_startup_buffer_overflow(dropped: u64, kept: usize) {
    log_detached(
        "eliot:startup_buffer_overflow",
        &[Field::new("dropped", &dropped), Field::new("kept", &kept)],
    );
}

/// `eliot:http:bad_task_id`, in `action`, the task started instead of
/// continuing a request's malformed task id: the `header`, its `values` as
/// received, and the `reason` they name no task.
#[cfg(feature = "http")]
pub(crate) fn log_bad_task_id(action: &Action, header: &str, values: &[String], reason: &str) {
    action.log(
        "eliot:http:bad_task_id",
        &[
            Field::new("header", &header),
            Field::new("values", &values),
            Field::new("reason", &reason),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::MessagesDropped;

    #[test]
    fn every_messages_dropped_notice_has_the_same_fields() {
        let of = |first_timestamp, last_timestamp| {
            MessagesDropped {
                dropped: 3,
                capacity: 10,
                reason: "full",
                first_timestamp,
                last_timestamp,
            }
            .message()
            .to_map()
            .unwrap()
        };
        let unseen = of(None, None);
        let seen = of(Some(1.5), Some(2.5));
        let keys = |map: &serde_json::Map<String, serde_json::Value>| {
            map.keys().cloned().collect::<Vec<_>>()
        };
        assert_eq!(keys(&unseen), keys(&seen));
        assert_eq!(unseen["message_type"], "eliot:messages_dropped");
        assert_eq!(unseen["dropped"], 3);
        assert_eq!(unseen["capacity"], 10);
        assert_eq!(unseen["reason"], "full");
        assert!(unseen["first_timestamp"].is_null());
        assert_eq!(seen["last_timestamp"], 2.5);
    }
}
