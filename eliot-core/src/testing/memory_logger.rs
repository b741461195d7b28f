//! `MemoryLogger`: the messages of one test, kept in memory.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

use crate::context::{ContextGuard, SavedContext};
use crate::destination::{Destination, DestinationError};
use crate::future::WithContext;
use crate::message::Message;
use crate::parse::{ParsedLog, Task, WrittenMessage};

use super::validate::{self, ValidationError};

/// Keeps in memory the messages logged in its scope, and only those: the
/// logger a test checks its logging with (Eliot's `MemoryLogger`).
///
/// A test *enters* the logger ([`run`](MemoryLogger::run),
/// [`enter`](MemoryLogger::enter), or [`capturing`](MemoryLogger::capturing)
/// for futures). Every task started there, by an action or a message, is
/// written to this logger alone, not to the registered destinations, and
/// its actions carry the logger with them: into threads through
/// [`preserve_context`](crate::preserve_context), into futures through
/// [`WithContext`], `#[inline_actions]` and `eliot-tokio`'s spawn helpers.
/// Tests running in parallel threads of one `cargo test` process each see
/// their own messages only.
///
/// `#[capture_logging]` (in `eliot-macros`) creates one per test, runs the
/// test in it, and validates it at the end.
///
/// ```
/// use eliot_core::testing::{MemoryLogger, assert_has_action};
/// use eliot_core::{fields, log_message, start_action};
/// use serde_json::json;
///
/// let logger = MemoryLogger::new();
/// logger.run(|| {
///     let action = start_action!("app:sum", a = 2, b = 4);
///     log_message!("app:sum:step");
///     action.add_success_fields(fields!(result = 6));
/// });
/// let sum = assert_has_action(&logger, "app:sum", true, json!({"a": 2}), json!({"result": 6}));
/// assert_eq!(sum.children()[0].as_message().unwrap().message_type(), "app:sum:step");
/// logger.validate().unwrap();
/// ```
#[derive(Clone, Default)]
pub struct MemoryLogger {
    store: Arc<Store>,
}

#[derive(Default)]
struct Store {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    messages: Vec<Message>,
    /// Positions in `messages` of the tracebacks a test said it expected.
    flushed: HashSet<usize>,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held leaves the list whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Destination for Store {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.lock().messages.push(message.clone());
        Ok(())
    }
}

impl MemoryLogger {
    /// An empty logger.
    pub fn new() -> Self {
        MemoryLogger::default()
    }

    /// A context in which new tasks write to this logger only.
    fn context(&self) -> SavedContext {
        SavedContext::routed_to(self.store.clone())
    }

    /// Captures, until the guard is dropped, what this thread logs in new
    /// tasks (and in the actions they start, wherever those go).
    pub fn enter(&self) -> ContextGuard {
        self.context().enter()
    }

    /// Runs `f`, capturing what it logs.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _capture = self.enter();
        f()
    }

    /// Wraps `future` so that what it logs is captured, on whatever thread
    /// it is polled.
    ///
    /// ```
    /// use eliot_core::testing::MemoryLogger;
    /// use eliot_core::log_message;
    ///
    /// let logger = MemoryLogger::new();
    /// let future = logger.capturing(async { log_message!("app:async") });
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// block_on(future);
    /// assert_eq!(logger.messages()[0]["message_type"], "app:async");
    /// ```
    pub fn capturing<F: Future>(&self, future: F) -> WithContext<F> {
        WithContext::new(self.context(), future)
    }

    /// The messages captured so far, in the order they were written.
    pub fn lines(&self) -> Vec<Message> {
        self.store.lock().messages.clone()
    }

    /// The messages captured so far, parsed (Eliot's `logger.messages`).
    pub fn messages(&self) -> Vec<Map<String, Value>> {
        self.lines().iter().map(parse).collect()
    }

    /// The captured messages as tasks: the complete ones in the order they
    /// completed, then the incomplete ones.
    pub fn tasks(&self) -> Vec<Task> {
        parsed(&self.lines()).tasks
    }

    /// The `eliot:traceback` messages not flushed yet.
    pub fn traceback_messages(&self) -> Vec<Map<String, Value>> {
        let state = self.store.lock();
        tracebacks(&state)
            .filter(|(index, _)| !state.flushed.contains(index))
            .map(|(_, message)| parse(message))
            .collect()
    }

    /// Marks the logged tracebacks of errors of type `E` as expected, so
    /// that [`validate`](MemoryLogger::validate) does not fail on them, and
    /// returns them (Eliot's `flush_tracebacks`). The type is matched by
    /// name, as [`write_traceback`](crate::write_traceback) records it.
    ///
    /// ```
    /// use eliot_core::testing::MemoryLogger;
    /// use eliot_core::write_traceback;
    ///
    /// let logger = MemoryLogger::new();
    /// logger.run(|| write_traceback(&"x".parse::<u8>().unwrap_err()));
    /// assert!(logger.validate().is_err(), "an unexpected traceback fails the test");
    /// let flushed = logger.flush_tracebacks::<std::num::ParseIntError>();
    /// assert_eq!(flushed[0]["reason"], "invalid digit found in string");
    /// logger.validate().unwrap();
    /// ```
    pub fn flush_tracebacks<E: ?Sized>(&self) -> Vec<Map<String, Value>> {
        self.flush_tracebacks_named(std::any::type_name::<E>())
    }

    /// [`flush_tracebacks`](MemoryLogger::flush_tracebacks) for the
    /// tracebacks whose `exception` is `exception` (for errors logged as
    /// trait objects, or written by another process).
    pub fn flush_tracebacks_named(&self, exception: &str) -> Vec<Map<String, Value>> {
        let mut state = self.store.lock();
        let found: Vec<(usize, Map<String, Value>)> = tracebacks(&state)
            .filter(|(index, _)| !state.flushed.contains(index))
            .map(|(index, message)| (index, parse(message)))
            .filter(|(_, message)| {
                message.get("exception").and_then(Value::as_str) == Some(exception)
            })
            .collect();
        state.flushed.extend(found.iter().map(|(index, _)| *index));
        found.into_iter().map(|(_, message)| message).collect()
    }

    /// Checks the captured log: no field failed to serialize, every action
    /// that started finished, no traceback is left unflushed, and every
    /// line has a place of its own in its task's tree (none is a second
    /// line for one place, as when two actions were continued from the same
    /// task id). Returns every problem found.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let (lines, flushed) = {
            let state = self.store.lock();
            (state.messages.clone(), state.flushed.clone())
        };
        validate::validate(&lines, &flushed)
    }

    /// Forgets every captured message.
    pub fn reset(&self) {
        let mut state = self.store.lock();
        state.messages.clear();
        state.flushed.clear();
    }
}

impl fmt::Debug for MemoryLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryLogger")
            .field("messages", &self.store.lock().messages.len())
            .finish()
    }
}

/// The `eliot:traceback` messages, with their positions.
fn tracebacks(state: &State) -> impl Iterator<Item = (usize, &Message)> {
    state
        .messages
        .iter()
        .enumerate()
        .filter(|(_, message)| is_traceback(message))
}

/// Whether `message` is an `eliot:traceback` (read from its header only).
pub(super) fn is_traceback(message: &Message) -> bool {
    WrittenMessage::from_json(message.as_json()).is_ok_and(|m| m.is_traceback())
}

pub(super) fn parse(message: &Message) -> Map<String, Value> {
    // A Message is always a JSON object.
    message.to_map().unwrap_or_default()
}

/// Messages parsed into tasks, as the lines of a log: the lines that could
/// not be placed (a line logged twice, two lines claiming one place) are
/// reported with their position, counting from 1.
pub(super) fn parsed(lines: &[Message]) -> ParsedLog {
    let mut text = String::with_capacity(lines.iter().map(|m| m.as_json().len() + 1).sum());
    for line in lines {
        // A JSON line holds no raw newline: line N of the text is message N.
        text.push_str(line.as_json());
        text.push('\n');
    }
    ParsedLog::read("the captured log", text)
}

/// Where the assertions and `of_type` look for messages: a
/// [`MemoryLogger`], or messages from elsewhere.
pub trait MessageSource {
    /// The messages, in the order they were logged.
    fn logged_messages(&self) -> Vec<Message>;
}

impl MessageSource for MemoryLogger {
    fn logged_messages(&self) -> Vec<Message> {
        self.lines()
    }
}

impl MessageSource for [Message] {
    fn logged_messages(&self) -> Vec<Message> {
        self.to_vec()
    }
}

impl MessageSource for Vec<Message> {
    fn logged_messages(&self) -> Vec<Message> {
        self.clone()
    }
}
