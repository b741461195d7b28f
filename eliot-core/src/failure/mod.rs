//! Failures: what a failed action or an `eliot:traceback` message records
//! about an error.
//!
//! Eliot writes three things about a failure: `exception`, the error's type;
//! `reason`, its message; and, for `eliot:traceback`, `traceback`. In Rust the
//! type is the error's type path (`std::io::error::Error`), the reason is its
//! `Display`, and the traceback is the chain of `source()`s followed by a
//! backtrace when one was captured. Exception extractors add fields of their
//! own, as Eliot's `register_exception_extractor` does (`errno` for
//! [`std::io::Error`] is registered by default).

pub(crate) mod interruption;

use std::backtrace::{Backtrace, BacktraceStatus};
use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock, RwLock};

use crate::field::{Field, FieldValue, OwnedFields};
use crate::util::panic::payload_message;

/// The `exception` of an action that failed because of a panic.
///
/// ```
/// assert_eq!(eliot_core::Failure::panic("boom").exception(), eliot_core::PANIC_EXCEPTION);
/// ```
pub const PANIC_EXCEPTION: &str = "panic";
/// The `exception` of an action whose future was dropped before completing.
///
/// ```
/// assert_eq!(eliot_core::Failure::cancelled().exception(), eliot_core::CANCELLED_EXCEPTION);
/// ```
pub const CANCELLED_EXCEPTION: &str = "cancelled";

/// Everything Eliot records about one error.
///
/// Usually made for you: any `std::error::Error` (and `dyn Error` trait
/// objects) can be passed where a failure is expected, through
/// [`AsFailure`]. Build one by hand for failures that are not errors.
///
/// ```
/// use eliot_core::Failure;
///
/// let err = "x".parse::<u8>().unwrap_err();
/// let failure = Failure::from_error(&err);
/// assert_eq!(failure.exception(), "core::num::error::ParseIntError");
/// assert_eq!(failure.reason(), "invalid digit found in string");
/// ```
#[derive(Clone, Debug)]
pub struct Failure {
    exception: Cow<'static, str>,
    reason: String,
    causes: Vec<String>,
    backtrace: Option<String>,
    fields: OwnedFields,
}

impl Failure {
    /// A failure with the given exception name and reason, no cause.
    pub fn new(exception: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Failure {
            exception: exception.into(),
            reason: reason.into(),
            causes: Vec::new(),
            backtrace: None,
            fields: OwnedFields::default(),
        }
    }

    /// The failure of a concrete error type: its type path, message,
    /// `source()` chain and extracted fields.
    pub fn from_error<E: Error + 'static>(error: &E) -> Self {
        Self::describe(Some(std::any::type_name::<E>()), error)
    }

    /// The failure of an error known only as a trait object. Its type is
    /// named when it is one that has an exception extractor (such as
    /// [`std::io::Error`]) and as `dyn core::error::Error` otherwise.
    pub fn from_dyn_error(error: &(dyn Error + 'static)) -> Self {
        Self::describe(None, error)
    }

    /// Describes `error`, named `type_name` or, when that is unknown, after
    /// the first extractor that recognises it.
    ///
    /// The error's `Display`, `source()` and the extractors are the
    /// application's code: one that panics (or a `Display` that returns an
    /// error) is noted in the text instead of failing the description, so
    /// that the action it ends is still finished.
    fn describe(type_name: Option<&'static str>, error: &(dyn Error + 'static)) -> Self {
        let mut causes = Vec::new();
        let mut source = source_of(error, &mut causes);
        while let Some(cause) = source {
            // Only causes are in the list yet: a note ends the chain.
            if causes.len() == MAX_CAUSES {
                causes.push(format!(
                    "<further causes left out: the chain of source()s is longer than \
                     {MAX_CAUSES}; does it loop?>"
                ));
                break;
            }
            causes.push(display(cause));
            source = source_of(cause, &mut causes);
        }
        let mut fields = OwnedFields::default();
        let mut recognised_as = None;
        // Run outside the lock: an extractor may register another one.
        let list = match extractors().read() {
            Ok(list) => list.clone(),
            Err(_) => Vec::new(),
        };
        for extractor in &list {
            let extract = || (extractor.extract)(error, &mut ExceptionFields(&mut fields));
            // An extractor is only called for its own type, so one that
            // panics recognised the error; its fields so far are kept.
            if catch_unwind(AssertUnwindSafe(extract)).unwrap_or(true) {
                recognised_as.get_or_insert(extractor.type_name);
            }
        }
        let type_name = type_name
            .or(recognised_as)
            .unwrap_or("dyn core::error::Error");
        Failure {
            exception: Cow::Borrowed(type_name),
            reason: display(error),
            causes,
            backtrace: None,
            fields,
        }
    }

    /// The failure recorded when a panic ends an action.
    pub fn panic(message: impl Into<String>) -> Self {
        Failure::new(PANIC_EXCEPTION, message)
    }

    /// The failure recorded when a future is dropped before it completed.
    pub fn cancelled() -> Self {
        Failure::new(
            CANCELLED_EXCEPTION,
            "cancelled: the future was dropped before it completed",
        )
    }

    /// Attaches a backtrace, written after the cause chain in `traceback`.
    /// Only a backtrace that was actually captured is kept.
    pub fn with_backtrace(mut self, backtrace: &Backtrace) -> Self {
        if backtrace.status() == BacktraceStatus::Captured {
            self.backtrace = Some(backtrace.to_string());
        }
        self
    }

    /// The error's type, Eliot's `exception` field.
    pub fn exception(&self) -> &str {
        &self.exception
    }

    /// The error's message, Eliot's `reason` field.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The `traceback` field of an `eliot:traceback` message: the error,
    /// each of its causes, then the backtrace if one was captured.
    pub fn traceback(&self) -> String {
        let mut text = format!("{}: {}\n", self.exception, self.reason);
        for (i, cause) in self.causes.iter().enumerate() {
            if i == 0 {
                text.push_str("\nCaused by:\n");
            }
            text.push_str(&format!("    {i}: {cause}\n"));
        }
        if let Some(backtrace) = &self.backtrace {
            text.push_str("\nStack backtrace:\n");
            text.push_str(backtrace);
            if !backtrace.ends_with('\n') {
                text.push('\n');
            }
        }
        text
    }

    /// The fields the exception extractors added, in order, as JSON.
    pub(crate) fn extracted_fields(&self) -> &OwnedFields {
        &self.fields
    }
}

/// How many causes a failure records: a chain of `source()`s that loops
/// back on itself would otherwise never end.
const MAX_CAUSES: usize = 256;

/// `error`'s `Display`, or a note saying why it has none.
fn display(error: &dyn Error) -> String {
    let mut text = String::new();
    match catch_unwind(AssertUnwindSafe(|| {
        fmt::write(&mut text, format_args!("{error}"))
    })) {
        Ok(Ok(())) => text,
        Ok(Err(fmt::Error)) => {
            "<unformattable error: its Display implementation returned an error>".to_owned()
        }
        Err(payload) => format!(
            "<unformattable error: its Display implementation panicked: {}>",
            payload_message(&*payload)
        ),
    }
}

/// `error.source()`; when it panics, `None`, and a note among `causes`.
fn source_of<'e>(
    error: &'e (dyn Error + 'static),
    causes: &mut Vec<String>,
) -> Option<&'e (dyn Error + 'static)> {
    catch_unwind(AssertUnwindSafe(|| error.source())).unwrap_or_else(|payload| {
        causes.push(format!(
            "<unknown cause: source() panicked: {}>",
            payload_message(&*payload)
        ));
        None
    })
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception, self.reason)
    }
}

/// Anything that can be recorded as a [`Failure`]: every `std::error::Error`,
/// `dyn Error` trait objects, and `Failure` itself.
///
/// A `Box<dyn Error>` is passed as `&*boxed` (the coherence rules forbid an
/// impl for the box itself next to the one for every error type):
///
/// ```
/// use eliot_core::start_action;
///
/// let error: Box<dyn std::error::Error> = "bad input".into();
/// start_action!("app:check").finish_with_error(&*error);
/// ```
pub trait AsFailure {
    /// Describes `self` as a failure.
    fn to_failure(&self) -> Failure;
}

impl<E: Error + 'static> AsFailure for E {
    fn to_failure(&self) -> Failure {
        Failure::from_error(self)
    }
}

impl AsFailure for dyn Error + 'static {
    fn to_failure(&self) -> Failure {
        Failure::from_dyn_error(self)
    }
}

impl AsFailure for dyn Error + Send + Sync + 'static {
    fn to_failure(&self) -> Failure {
        Failure::from_dyn_error(self)
    }
}

impl AsFailure for Failure {
    fn to_failure(&self) -> Failure {
        self.clone()
    }
}

/// The fields an exception extractor adds to a failure; see
/// [`register_exception_extractor`].
///
/// ```
/// use eliot_core::{register_exception_extractor, Failure};
///
/// register_exception_extractor(|e: &std::num::TryFromIntError, fields| {
///     fields.add("kind", &"overflow");
///     fields.add("reason", &"ignored: Eliot's own field");
/// });
/// let error = u8::try_from(300u32).unwrap_err();
/// assert_eq!(Failure::from_error(&error).reason(), "out of range integral type conversion attempted");
/// ```
pub struct ExceptionFields<'a>(&'a mut OwnedFields);

impl ExceptionFields<'_> {
    /// Adds a field; `exception` and `reason` are Eliot's own and are ignored.
    pub fn add(&mut self, key: &str, value: &dyn FieldValue) {
        if key != "exception" && key != "reason" {
            self.0.extend(&[Field::new(key, value)]);
        }
    }
}

impl fmt::Debug for ExceptionFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExceptionFields").finish_non_exhaustive()
    }
}

/// Adds an extractor's fields when the error is of its type, and says
/// whether it was.
type ExtractFn = dyn Fn(&(dyn Error + 'static), &mut ExceptionFields<'_>) -> bool + Send + Sync;

struct Extractor {
    type_name: &'static str,
    extract: Box<ExtractFn>,
}

fn extractors() -> &'static RwLock<Vec<Arc<Extractor>>> {
    static EXTRACTORS: OnceLock<RwLock<Vec<Arc<Extractor>>>> = OnceLock::new();
    EXTRACTORS.get_or_init(|| {
        let mut list = Vec::new();
        list.push(extractor_for::<std::io::Error>(|e, fields| {
            fields.add("errno", &e.raw_os_error());
        }));
        // Common std errors, registered so that their names survive `dyn Error`.
        list.push(extractor_for::<std::fmt::Error>(|_, _| {}));
        list.push(extractor_for::<std::num::ParseIntError>(|_, _| {}));
        list.push(extractor_for::<std::num::ParseFloatError>(|_, _| {}));
        list.push(extractor_for::<std::str::Utf8Error>(|_, _| {}));
        list.push(extractor_for::<std::string::FromUtf8Error>(|_, _| {}));
        list.push(extractor_for::<serde_json::Error>(|_, _| {}));
        RwLock::new(list)
    })
}

fn extractor_for<E: Error + 'static>(
    extract: impl Fn(&E, &mut ExceptionFields<'_>) + Send + Sync + 'static,
) -> Arc<Extractor> {
    Arc::new(Extractor {
        type_name: std::any::type_name::<E>(),
        extract: Box::new(move |error, fields| match error.downcast_ref::<E>() {
            Some(error) => {
                extract(error, fields);
                true
            }
            None => false,
        }),
    })
}

/// Registers a function that adds fields to the failure of every error of
/// type `E`, in failed actions and `eliot:traceback` messages alike (Eliot's
/// `register_exception_extractor`). Extractors registered for the same type
/// all run, in registration order.
///
/// ```
/// use eliot_core::register_exception_extractor;
///
/// #[derive(Debug)]
/// struct HttpError { status: u16 }
/// impl std::fmt::Display for HttpError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "HTTP {}", self.status)
///     }
/// }
/// impl std::error::Error for HttpError {}
///
/// register_exception_extractor(|e: &HttpError, fields| fields.add("status", &e.status));
/// let failure = eliot_core::Failure::from_error(&HttpError { status: 503 });
/// assert_eq!(failure.reason(), "HTTP 503");
/// ```
pub fn register_exception_extractor<E: Error + 'static>(
    extract: impl Fn(&E, &mut ExceptionFields<'_>) + Send + Sync + 'static,
) {
    let mut list = extractors()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    list.push(extractor_for(extract));
}
