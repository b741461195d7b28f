//! Actions and tasks: units of work with a start, an end and children.
//!
//! An [`Action`] is a shared handle (`Send + Sync`, cheap to clone). It hands
//! out consecutive child slots under its own task level with one atomic
//! increment each, so any number of threads can log into one action without
//! two lines ever taking the same `(task_uuid, task_level)`.
//!
//! [`start_action`] and [`start_task`] return an [`ActionGuard`]: the action
//! is current while the guard lives, and finishes when it is dropped:
//! succeeded, or failed when the drop happens during a panic or because the
//! future that owned it was cancelled.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::context::{self, Context, ContextGuard};
use crate::failure::{AsFailure, Failure};
use crate::field::{Field, OwnedFields};
use crate::macro_support::return_scope::Watch;
use crate::message;
use crate::registry::Route;
use crate::task_id::{TaskId, TaskIdError};
use crate::util::json;

/// An Eliot action: a unit of work inside a task, with a start message, an
/// end message, and messages and child actions in between.
///
/// Get one from [`start_action`] (as an [`ActionGuard`], which derefs to
/// it), from [`current_action`](crate::current_action), or from
/// [`Action::child`]. Clones are handles to the same action.
#[derive(Clone)]
pub struct Action {
    inner: Arc<ActionInner>,
}

struct ActionInner {
    level: Box<[u32]>,
    action_type: Box<str>,
    /// What every line of the action repeats, encoded once: see
    /// [`json::action_prefixes`]. The task UUID is read from here too.
    prefixes: Box<str>,
    /// Where the prefix of the action's own lines starts in `prefixes`.
    status_prefix_at: usize,
    /// Where the task UUID ends in `prefixes`.
    task_uuid_end: usize,
    /// The next child slot. 64 bits so that it never wraps; slots past
    /// `u32::MAX` are written as `u32::MAX` (see [`Action::next_slot`]).
    next_slot: AtomicU64,
    finished: AtomicBool,
    success_fields: Mutex<OwnedFields>,
    route: Option<Route>,
    /// Set when the guard was bound by a top-level `let` of a function that
    /// returns a `Result` (see `macro_support/return_scope.rs`).
    watch: OnceLock<Watch>,
}

impl Action {
    /// Starts an action at `level` of task `task_uuid` and logs its start.
    /// `task_uuid` is fresh or was checked by [`TaskId::parse`]: it needs no
    /// JSON escape.
    fn begin(
        task_uuid: &str,
        level: Box<[u32]>,
        route: Option<Route>,
        action_type: &str,
        fields: &[Field<'_>],
    ) -> Action {
        let (prefixes, status_prefix_at) = json::action_prefixes(task_uuid, action_type, &level);
        let action = Action {
            inner: Arc::new(ActionInner {
                level,
                action_type: action_type.into(),
                prefixes,
                status_prefix_at,
                task_uuid_end: json::TASK_UUID_START + task_uuid.len(),
                next_slot: AtomicU64::new(1),
                finished: AtomicBool::new(false),
                success_fields: Mutex::new(OwnedFields::new()),
                watch: OnceLock::new(),
                route,
            }),
        };
        let slot = action.next_slot();
        message::write_action_start(&action, slot, fields);
        action
    }

    /// Starts a new task: an action at the root of a fresh UUID.
    fn begin_task(route: Option<Route>, action_type: &str, fields: &[Field<'_>]) -> Action {
        crate::task_uuid::new_task_uuid().with_str(|task_uuid| {
            Action::begin(task_uuid, Box::new([]), route, action_type, fields)
        })
    }

    /// Starts a child action of this one, without making it current. Its
    /// start is logged now; finish it with [`finish`](Action::finish) or
    /// [`finish_with_error`](Action::finish_with_error).
    ///
    /// ```
    /// use eliot_core::{fields, start_action};
    ///
    /// let parent = start_action!("app:batch");
    /// let child = parent.child("app:item", fields!(index = 0));
    /// assert_eq!(child.task_level(), &[2]);
    /// child.finish().unwrap();
    /// ```
    pub fn child(&self, action_type: &str, fields: &[Field<'_>]) -> Action {
        let slot = self.next_slot();
        let mut level = Vec::with_capacity(self.inner.level.len() + 1);
        level.extend_from_slice(&self.inner.level);
        level.push(slot);
        Action::begin(
            self.task_uuid(),
            level.into_boxed_slice(),
            self.inner.route.clone(),
            action_type,
            fields,
        )
    }

    /// Takes the next child slot. Past `u32::MAX` (four billion lines in
    /// one action) every further line takes `u32::MAX`, instead of wrapping
    /// to slots that earlier lines took.
    pub(crate) fn next_slot(&self) -> u32 {
        let slot = self.inner.next_slot.fetch_add(1, Ordering::Relaxed);
        u32::try_from(slot).unwrap_or(u32::MAX)
    }

    /// `,"task_uuid":"…","task_level":[L…,`: a message in this action,
    /// up to its slot.
    pub(crate) fn message_prefix(&self) -> &str {
        &self.inner.prefixes[..self.inner.status_prefix_at]
    }

    /// `,"task_uuid":"…","action_type":"…","task_level":[L…,`: the
    /// action's own start or end, up to its slot.
    pub(crate) fn status_prefix(&self) -> &str {
        &self.inner.prefixes[self.inner.status_prefix_at..]
    }

    /// The UUID of the task this action belongs to.
    pub fn task_uuid(&self) -> &str {
        &self.inner.prefixes[json::TASK_UUID_START..self.inner.task_uuid_end]
    }

    /// The action's own level in its task: `[]` for a task's root action,
    /// `[3]` for an action that took slot 3 of the root, and so on. Its start
    /// message is at this level plus `[1]`.
    pub fn task_level(&self) -> &[u32] {
        &self.inner.level
    }

    /// The action's type, e.g. `"app:frob"`.
    pub fn action_type(&self) -> &str {
        &self.inner.action_type
    }

    pub(crate) fn route(&self) -> Option<&Route> {
        self.inner.route.as_ref()
    }

    /// Whether the action's end was already logged.
    pub fn is_finished(&self) -> bool {
        self.inner.finished.load(Ordering::Acquire)
    }

    /// Adds fields to the action's success message (Eliot's
    /// `add_success_fields`). They are serialized now; a key added twice keeps
    /// its last value. Ignored once the action is finished, and dropped if it
    /// fails.
    ///
    /// ```
    /// use eliot_core::{fields, start_action};
    ///
    /// let action = start_action!("app:sum", a = 2, b = 4);
    /// action.add_success_fields(fields!(result = 6));
    /// ```
    pub fn add_success_fields(&self, fields: &[Field<'_>]) {
        // Serialized before the lock is taken: a value's `Serialize` impl may
        // add success fields or finish the action itself.
        let mut added = OwnedFields::new();
        added.extend(fields);
        self.inner
            .success_fields
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merge(added);
    }

    /// Finishes the action as succeeded, with its success fields.
    pub fn finish(&self) -> Result<(), AlreadyFinished> {
        self.finish_once(Ok(()))
    }

    /// Finishes the action as failed with `error`: its type as `exception`,
    /// its message as `reason`, plus the fields of any exception extractor.
    ///
    /// ```
    /// use eliot_core::start_action;
    ///
    /// let action = start_action!("app:parse").into_action();
    /// if let Err(e) = "x1".parse::<u32>() {
    ///     action.finish_with_error(&e).unwrap();
    /// }
    /// assert!(action.is_finished());
    /// ```
    pub fn finish_with_error<E: AsFailure + ?Sized>(
        &self,
        error: &E,
    ) -> Result<(), AlreadyFinished> {
        self.finish_once(Err(&error.to_failure()))
    }

    /// Finishes the action the way a scope ending now finishes it: failed
    /// with the panic in flight or the interruption declared around a
    /// cancelled future's drop, succeeded otherwise. Does nothing if it is
    /// already finished. What [`ActionGuard`]'s drop does, for bridges (such
    /// as a `tracing` span closing) that end an action without a guard.
    #[doc(hidden)]
    pub fn finish_as_dropped(&self) {
        // Finished elsewhere through a clone: nothing more to log.
        match crate::failure::interruption::current_failure() {
            Some(failure) => self.end(Err(&failure)),
            None => self.end(Ok(())),
        };
    }

    /// [`end`](Action::end), with the error the public API gives for a
    /// second finish.
    fn finish_once(&self, outcome: Result<(), &Failure>) -> Result<(), AlreadyFinished> {
        if self.end(outcome) {
            return Ok(());
        }
        Err(AlreadyFinished {
            action_type: self.action_type().to_owned(),
            task_id: TaskId::new(self.task_uuid(), self.task_level(), 1).to_string(),
        })
    }

    /// Logs the action's end, unless it was already finished. Returns
    /// whether this call finished it.
    fn end(&self, outcome: Result<(), &Failure>) -> bool {
        if self.inner.finished.swap(true, Ordering::AcqRel) {
            return false;
        }
        let success = std::mem::take(
            &mut *self
                .inner
                .success_fields
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let slot = self.next_slot();
        message::write_action_end(self, slot, outcome.map(|()| &success));
        true
    }

    /// Makes this action current until the guard is dropped, without
    /// finishing it then (Eliot's `action.context()`).
    pub fn enter(&self) -> ContextGuard {
        ContextGuard::enter(self.clone(), context::current_route().as_ref())
    }

    /// Runs `f` with this action current, and returns what it returns; the
    /// action is not finished (Eliot's `action.run`).
    ///
    /// ```
    /// use eliot_core::{current_action, start_action};
    ///
    /// let action = start_action!("app:job").into_action();
    /// let inside = action.run(|| current_action().unwrap().action_type().to_owned());
    /// assert_eq!(inside, "app:job");
    /// action.finish().unwrap();
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.enter();
        f()
    }

    /// Hands out this action's next child slot as a task id string,
    /// `"<task_uuid>@/<level>/<slot>"`, for another process (or thread) to
    /// [`continue_task`] in. Each call consumes a slot, as in Eliot.
    ///
    /// ```
    /// use eliot_core::{continue_task, start_action};
    ///
    /// let action = start_action!("app:request");
    /// let task_id = action.serialize_task_id();
    /// assert_eq!(task_id, format!("{}@/2", action.task_uuid()));
    /// // ... in the other process:
    /// let remote = continue_task(&task_id).unwrap();
    /// assert_eq!(remote.task_level(), &[2]);
    /// ```
    pub fn serialize_task_id(&self) -> String {
        let slot = self.next_slot();
        TaskId::new(self.task_uuid(), self.task_level(), slot).to_string()
    }
}

impl PartialEq for Action {
    /// Two handles are equal when they are the same action.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Action {}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("action_type", &self.action_type())
            .field("task_uuid", &self.task_uuid())
            .field("task_level", &self.task_level())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// An action was finished a second time; the second finish logged nothing.
///
/// ```
/// use eliot_core::start_action;
///
/// let action = start_action!("app:once").into_action();
/// action.finish().unwrap();
/// let error = action.finish().unwrap_err();
/// assert!(error.to_string().contains("already finished"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlreadyFinished {
    action_type: String,
    task_id: String,
}

impl fmt::Display for AlreadyFinished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "action {:?} (started at {}) was already finished; it is finished only once",
            self.action_type, self.task_id
        )
    }
}

impl std::error::Error for AlreadyFinished {}

/// A started action that is current while this guard lives and finishes when
/// it is dropped (Python's `with start_action(...) as action:`).
///
/// On drop the action succeeds, or fails if the drop is part of a panic
/// (`exception` `"panic"`, `reason` the panic message) or of an
/// `#[inline_actions]` future being cancelled (`exception` `"cancelled"`).
/// Finish it explicitly with [`finish`](ActionGuard::finish) or
/// [`finish_with_error`](ActionGuard::finish_with_error), or let
/// [`within`](ActionGuard::within) finish it from a closure's `Result`.
///
/// It derefs to [`Action`], so `guard.log(...)` and
/// `guard.add_success_fields(...)` work on it.
#[must_use = "the action finishes when this guard is dropped; bind it with `let _action = ...`"]
pub struct ActionGuard {
    action: Action,
    context: Option<ContextGuard>,
    finish_on_drop: bool,
}

impl ActionGuard {
    /// Makes `action` current (see [`ContextGuard::enter`] for `route`).
    fn enter(action: Action, route: Option<&Route>) -> Self {
        crate::failure::interruption::install_panic_hook();
        let context = Some(ContextGuard::enter(action.clone(), route));
        ActionGuard {
            action,
            context,
            finish_on_drop: true,
        }
    }

    /// The action this guard keeps current.
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// Leaves the action's context and finishes it as succeeded.
    pub fn finish(mut self) {
        self.leave();
        // A clone may already have finished it; then there is nothing to log.
        self.action.end(Ok(()));
    }

    /// Leaves the action's context and finishes it as failed with `error`.
    ///
    /// ```
    /// use eliot_core::start_action;
    ///
    /// let action = start_action!("app:connect", host = "db.internal");
    /// let error = std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in 5 s");
    /// action.finish_with_error(&error);
    /// ```
    pub fn finish_with_error<E: AsFailure + ?Sized>(mut self, error: &E) {
        // Described while the guard still owns the action's end: if the
        // description panics, the guard's drop finishes the action as
        // failed with that panic instead of leaving it open.
        let failure = error.to_failure();
        self.leave();
        self.action.end(Err(&failure));
    }

    /// Runs `f` in the action and finishes it from the result: succeeded on
    /// `Ok`, failed with the error on `Err`. The result is passed through.
    ///
    /// ```
    /// use eliot_core::{fields, start_action};
    ///
    /// let parsed: Result<u16, _> = start_action!("app:parse_port", input = "80")
    ///     .within(|action| {
    ///         let port = "80".parse::<u16>()?;
    ///         action.add_success_fields(fields!(port = port));
    ///         Ok::<_, std::num::ParseIntError>(port)
    ///     });
    /// assert_eq!(parsed.unwrap(), 80);
    /// ```
    pub fn within<T, E: AsFailure>(self, f: impl FnOnce(&Action) -> Result<T, E>) -> Result<T, E> {
        let result = f(&self.action);
        match &result {
            Ok(_) => self.finish(),
            Err(error) => self.finish_with_error(error),
        }
        result
    }

    /// Leaves the action's context and returns it unfinished, for code that
    /// finishes it later (for example when a future completes).
    pub fn into_action(mut self) -> Action {
        self.leave();
        self.finish_on_drop = false;
        self.action.clone()
    }

    /// Leaves the end of the action to a function's `ReturnScope` if this
    /// guard is dropped where it is now (see `macro_support/return_scope.rs`).
    pub(crate) fn watch(&self, watch: Watch) {
        // Watched once: a second scope cannot claim the same guard.
        let _ = self.action.inner.watch.set(watch);
    }

    fn leave(&mut self) {
        self.finish_on_drop = false;
        drop(self.context.take());
    }

    /// A guard that finishes `action` when dropped, exactly as a guard from
    /// [`start_action`] does (succeeded; failed while panicking or when its
    /// future is cancelled), but that does not make it current: for code
    /// that owns an action's end without running inside it, such as a
    /// future wrapper polled in its own context.
    #[doc(hidden)]
    pub fn adopt(action: Action) -> Self {
        crate::failure::interruption::install_panic_hook();
        ActionGuard {
            action,
            context: None,
            finish_on_drop: true,
        }
    }
}

impl Deref for ActionGuard {
    type Target = Action;
    fn deref(&self) -> &Action {
        &self.action
    }
}

impl Drop for ActionGuard {
    fn drop(&mut self) {
        drop(self.context.take());
        if self.finish_on_drop {
            let address = std::ptr::from_ref(self).addr();
            let deferred = (self.action.inner.watch.get())
                .is_some_and(|watch| watch.defer(&self.action, address));
            if !deferred {
                self.action.finish_as_dropped();
            }
        }
    }
}

impl fmt::Debug for ActionGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionGuard")
            .field("action", &self.action)
            .field("entered", &self.context.is_some())
            .finish()
    }
}

/// Starts an action as a child of the current action, or as a new task when
/// none is current, and makes it current (Eliot's `start_action`). The
/// [`start_action!`](crate::start_action!) macro is the usual way to call it.
///
/// ```
/// use eliot_core::{start_action, Field};
///
/// let action = eliot_core::start_action("app:frob", &[Field::new("x", &1)]);
/// assert_eq!(action.task_level(), &[] as &[u32]);
/// ```
pub fn start_action(action_type: &str, fields: &[Field<'_>]) -> ActionGuard {
    let context = context::current();
    match context.as_deref() {
        Some(Context {
            action: Some(parent),
            route,
            ..
        }) => ActionGuard::enter(parent.child(action_type, fields), route.as_ref()),
        other => {
            let route = other.and_then(|c| c.route.clone());
            // The new task carries the route itself.
            ActionGuard::enter(Action::begin_task(route, action_type, fields), None)
        }
    }
}

/// Starts a new task, whatever is current, and makes its root action current
/// (Eliot's `start_task`).
///
/// ```
/// use eliot_core::start_task;
///
/// let outer = start_task!("app:outer");
/// let inner = start_task!("app:unrelated");
/// assert_ne!(outer.task_uuid(), inner.task_uuid());
/// ```
pub fn start_task(action_type: &str, fields: &[Field<'_>]) -> ActionGuard {
    let route = context::current_route();
    ActionGuard::enter(Action::begin_task(route, action_type, fields), None)
}

/// Continues a task started elsewhere, from the id its
/// [`serialize_task_id`](Action::serialize_task_id) gave: starts an
/// `eliot:remote_task` action at that level and makes it current.
///
/// ```
/// use eliot_core::{continue_task, log_message};
///
/// let action = continue_task("8d0a0f2a-7c5e-4e57-9d8c-2f6a0c3b1e44@/2/3").unwrap();
/// log_message!("worker:got_job");
/// assert!(continue_task("garbage").is_err());
/// ```
pub fn continue_task(task_id: &str) -> Result<ActionGuard, TaskIdError> {
    continue_task_with(task_id, "eliot:remote_task", &[])
}

/// [`continue_task`] with an action type and start fields of your own.
///
/// ```
/// use eliot_core::{continue_task_with, fields};
///
/// let id = "8d0a0f2a-7c5e-4e57-9d8c-2f6a0c3b1e44@/4";
/// let job = continue_task_with(id, "worker:job", fields!(queue = "emails")).unwrap();
/// assert_eq!(job.action_type(), "worker:job");
/// ```
pub fn continue_task_with(
    task_id: &str,
    action_type: &str,
    fields: &[Field<'_>],
) -> Result<ActionGuard, TaskIdError> {
    Ok(continue_at(&TaskId::parse(task_id)?, action_type, fields))
}

/// [`continue_task_with`] for a task id already parsed (the `http` module's
/// header): starts the action at `id`'s level and makes it current.
pub(crate) fn continue_at(id: &TaskId, action_type: &str, fields: &[Field<'_>]) -> ActionGuard {
    let route = context::current_route();
    let action = Action::begin(
        id.task_uuid(),
        id.level().into(),
        route,
        action_type,
        fields,
    );
    ActionGuard::enter(action, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_past_u32_max_stay_at_u32_max_instead_of_wrapping() {
        let action = Action::begin_task(None, "t:many", &[]);
        action
            .inner
            .next_slot
            .store(u64::from(u32::MAX) - 1, Ordering::Relaxed);
        assert_eq!(action.next_slot(), u32::MAX - 1);
        assert_eq!(action.next_slot(), u32::MAX);
        assert_eq!(action.next_slot(), u32::MAX);
        assert!(action.finish().is_ok());
    }

    #[test]
    fn the_task_uuid_is_read_from_the_encoded_prefix() {
        let id = "8d0a0f2a-7c5e-4e57-9d8c-2f6a0c3b1e44";
        let action = Action::begin(id, Box::new([2, 3]), None, "t:remote", &[]);
        assert_eq!(action.task_uuid(), id);
        assert_eq!(
            action.message_prefix(),
            format!(r#","task_uuid":"{id}","task_level":[2,3,"#)
        );
        assert_eq!(
            action.status_prefix(),
            format!(r#","task_uuid":"{id}","action_type":"t:remote","task_level":[2,3,"#)
        );
        action.finish().unwrap();
    }
}
