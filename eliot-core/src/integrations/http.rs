//! Carrying a task across HTTP requests, for the `http` crate's types (what
//! hyper, axum and reqwest are built on). Enabled by the `http` feature.
//!
//! The caller puts its task id in the `x-eliot-task-id` header (Eliot's own
//! convention, the header Python Eliot's documentation uses); the service
//! continues the task from it, so the work on both sides lands in one tree:
//!
//! ```
//! use eliot_core::{fields, start_task};
//! use eliot_core::http::{continue_or_start, insert_task_id, TASK_ID_HEADER};
//!
//! // The caller, inside an action:
//! let call = start_task!("front:call_back", url = "http://back/users/7");
//! let mut request = http::Request::get("http://back/users/7").body(())?;
//! insert_task_id(request.headers_mut(), &call);
//! assert!(request.headers().contains_key(TASK_ID_HEADER));
//!
//! // The service, on receiving it (another process, usually):
//! let handling = continue_or_start(request.headers(), "back:request", fields!(path = "/users/7"));
//! assert_eq!(handling.task_uuid(), call.task_uuid());
//! assert_eq!(handling.task_level(), &[2]); // the caller's next child slot
//! # Ok::<(), http::Error>(())
//! ```
//!
//! In async code the returned [`ActionGuard`] must not be held across an
//! `.await`: turn it into an [`Action`] with
//! [`into_action`](ActionGuard::into_action) and run the handler in it with
//! [`FutureContextExt::in_action`](crate::FutureContextExt::in_action), then
//! finish it (`examples/two_services.rs` does this).

use std::fmt;

use http::header::{GetAll, HeaderMap, HeaderName, HeaderValue};

use crate::action::{Action, ActionGuard, continue_at, start_task};
use crate::field::Field;
use crate::own_messages::log_bad_task_id;
use crate::task_id::{TaskId, TaskIdError};

/// The header that carries a serialized task id: `x-eliot-task-id`.
pub const TASK_ID_HEADER: HeaderName = HeaderName::from_static("x-eliot-task-id");

/// The header name and value that carry `action`'s task into a request, for
/// request builders: `builder.header(name, value)` (http, reqwest).
///
/// It hands out the action's next child slot, like
/// [`Action::serialize_task_id`]: call it once per request.
///
/// ```
/// use eliot_core::http::task_id_header;
///
/// let action = eliot_core::start_task!("front:call");
/// let (name, value) = task_id_header(&action);
/// let request = http::Request::post("http://back/").header(name, value).body(())?;
/// assert_eq!(
///     request.headers()["x-eliot-task-id"],
///     format!("{}@/2", action.task_uuid()).as_str()
/// );
/// # Ok::<(), http::Error>(())
/// ```
pub fn task_id_header(action: &Action) -> (HeaderName, HeaderValue) {
    (TASK_ID_HEADER, header_value(&action.serialize_task_id()))
}

/// Puts `action`'s task id into `headers`, replacing any there; returns the
/// id. Hands out the action's next child slot: call it once per request.
pub fn insert_task_id(headers: &mut HeaderMap, action: &Action) -> String {
    let task_id = action.serialize_task_id();
    headers.insert(TASK_ID_HEADER, header_value(&task_id));
    task_id
}

/// A serialized task id as a header value.
fn header_value(task_id: &str) -> HeaderValue {
    // Task UUIDs are validated ASCII (letters, digits, '-') and levels are
    // digits and '/', so a task id is always a valid header value.
    HeaderValue::from_str(task_id).expect("a task id is visible ASCII")
}

/// Puts the current action's task id into `headers`; returns it, or `None`
/// (and leaves `headers` alone) when no action is current.
///
/// ```
/// use eliot_core::http::insert_current_task_id;
///
/// let mut headers = http::HeaderMap::new();
/// assert_eq!(insert_current_task_id(&mut headers), None);
/// let _request = eliot_core::start_task!("front:request");
/// assert!(insert_current_task_id(&mut headers).is_some());
/// ```
pub fn insert_current_task_id(headers: &mut HeaderMap) -> Option<String> {
    crate::context::current_action().map(|action| insert_task_id(headers, &action))
}

/// The task id a request carries: `Ok(None)` without the header, an error
/// when it is present but not one task id.
///
/// ```
/// use eliot_core::http::task_id_from;
///
/// let mut headers = http::HeaderMap::new();
/// assert_eq!(task_id_from(&headers)?, None);
/// headers.insert("x-eliot-task-id", "0a4a8b70-b0a2-4b60-a4c1-1b7f3d0d2c55@/3".parse()?);
/// assert_eq!(task_id_from(&headers)?.unwrap().level(), &[3]);
/// headers.insert("x-eliot-task-id", "not-a-task-id".parse()?);
/// assert!(task_id_from(&headers).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn task_id_from(headers: &HeaderMap) -> Result<Option<TaskId>, TaskIdHeaderError> {
    let values: GetAll<'_, HeaderValue> = headers.get_all(TASK_ID_HEADER);
    let mut values = values.iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(TaskIdHeaderError::Repeated);
    }
    let text = value.to_str().map_err(|_| {
        TaskIdHeaderError::NotAscii(String::from_utf8_lossy(value.as_bytes()).into())
    })?;
    TaskId::parse(text.trim())
        .map(Some)
        .map_err(TaskIdHeaderError::Invalid)
}

/// Continues the task a request carries: an action of type `action_type`
/// with `fields`, at the level the caller handed out, made current.
/// `Ok(None)` when the request carries no task id.
///
/// ```
/// use eliot_core::fields;
/// use eliot_core::http::continue_from;
///
/// let mut headers = http::HeaderMap::new();
/// assert!(continue_from(&headers, "back:request", fields!())?.is_none());
/// headers.insert("x-eliot-task-id", "0a4a8b70-b0a2-4b60-a4c1-1b7f3d0d2c55@/2/4".parse()?);
/// let action = continue_from(&headers, "back:request", fields!(path = "/"))?.unwrap();
/// assert_eq!(action.task_level(), &[2, 4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn continue_from(
    headers: &HeaderMap,
    action_type: &str,
    fields: &[Field<'_>],
) -> Result<Option<ActionGuard>, TaskIdHeaderError> {
    let Some(task_id) = task_id_from(headers)? else {
        return Ok(None);
    };
    Ok(Some(continue_at(&task_id, action_type, fields)))
}

/// What a service does with every request: continues the caller's task when
/// the request carries one, and starts a new task otherwise.
///
/// A malformed header never fails the request: a new task is started, and an
/// `eliot:http:bad_task_id` message in it records the header's value and
/// what is wrong with it, so the broken link is visible in the log.
///
/// ```
/// use eliot_core::fields;
/// use eliot_core::http::continue_or_start;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-eliot-task-id", "garbage".parse()?);
/// let action = continue_or_start(&headers, "back:request", fields!());
/// assert_eq!(action.task_level(), &[] as &[u32]); // a new task
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn continue_or_start(
    headers: &HeaderMap,
    action_type: &str,
    fields: &[Field<'_>],
) -> ActionGuard {
    match continue_from(headers, action_type, fields) {
        Ok(Some(guard)) => guard,
        Ok(None) => start_task(action_type, fields),
        Err(error) => {
            let guard = start_task(action_type, fields);
            let reason = error.to_string();
            let values: Vec<String> = headers
                .get_all(TASK_ID_HEADER)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            log_bad_task_id(&guard, TASK_ID_HEADER.as_str(), &values, &reason);
            guard
        }
    }
}

/// A request's `x-eliot-task-id` header is not one valid task id.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskIdHeaderError {
    /// The header appears more than once: which task to continue is
    /// ambiguous.
    Repeated,
    /// The header's value is not visible ASCII (shown lossily).
    NotAscii(String),
    /// The header's value is not a task id.
    Invalid(TaskIdError),
}

impl fmt::Display for TaskIdHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskIdHeaderError::Repeated => {
                write!(f, "the {TASK_ID_HEADER} header appears more than once")
            }
            TaskIdHeaderError::NotAscii(value) => {
                write!(
                    f,
                    "the {TASK_ID_HEADER} header {value:?} is not visible ASCII"
                )
            }
            TaskIdHeaderError::Invalid(error) => write!(f, "the {TASK_ID_HEADER} header: {error}"),
        }
    }
}

impl std::error::Error for TaskIdHeaderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TaskIdHeaderError::Invalid(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_non_ascii_headers_are_refused_with_the_reason() {
        let mut headers = HeaderMap::new();
        headers.append(TASK_ID_HEADER, HeaderValue::from_static("a@/1"));
        headers.append(TASK_ID_HEADER, HeaderValue::from_static("b@/1"));
        let error = task_id_from(&headers).unwrap_err();
        assert_eq!(error, TaskIdHeaderError::Repeated);
        assert!(error.to_string().contains("more than once"), "{error}");

        let mut headers = HeaderMap::new();
        headers.insert(
            TASK_ID_HEADER,
            HeaderValue::from_bytes(b"\xe9t\xe9@/1").unwrap(),
        );
        let error = task_id_from(&headers).unwrap_err();
        assert!(matches!(error, TaskIdHeaderError::NotAscii(_)), "{error}");
    }

    #[test]
    fn surrounding_whitespace_is_tolerated() {
        let mut headers = HeaderMap::new();
        headers.insert(TASK_ID_HEADER, HeaderValue::from_static(" abc-1@/2/3 "));
        let id = task_id_from(&headers).unwrap().unwrap();
        assert_eq!((id.task_uuid(), id.level()), ("abc-1", &[2, 3][..]));
    }
}
