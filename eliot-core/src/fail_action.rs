//! Failing an action from a `Result`, before `?` propagates the error.
//!
//! Outside `#[inline_actions]` and `#[log_call]` (whose functions fail the
//! actions of their top-level `let`s on `Err` by themselves), a guard
//! dropped as `?` returns an error finishes its action as succeeded: the
//! guard never sees the error. [`FailActionExt::fail_action`] shows it the
//! error on its way out.

use std::ops::Deref;

use crate::action::Action;
use crate::failure::AsFailure;

/// Fails an action with a `Result`'s error: see
/// [`fail_action`](FailActionExt::fail_action).
///
/// The type parameter `How` is inferred and never written: it lets one
/// method serve errors that describe themselves ([`AsFailure`]: every
/// `std::error::Error`) and boxes or handles that deref to one
/// (`Box<dyn Error + ..>`, `anyhow::Error`).
pub trait FailActionExt<How>: Sized {
    /// On `Err`, finishes `action` as failed with the error (`exception`
    /// its type, `reason` its message, and the fields of any exception
    /// extractor), as [`ActionGuard::finish_with_error`] would; on `Ok`,
    /// does nothing. Returns `self` unchanged, for `?`.
    ///
    /// The guard finishes nothing when it is later dropped: the action is
    /// already finished. An action already finished stays as it was.
    ///
    /// ```
    /// use eliot_core::{FailActionExt, start_action};
    ///
    /// fn port(text: &str) -> Result<u16, std::num::ParseIntError> {
    ///     let action = start_action!("app:parse_port", text = text);
    ///     // Without `fail_action`, `?` would leave `app:parse_port` "succeeded".
    ///     let port = text.parse::<u16>().fail_action(&action)?;
    ///     Ok(port)
    /// }
    /// assert!(port("eighty").is_err());
    /// ```
    ///
    /// [`ActionGuard::finish_with_error`]: crate::ActionGuard::finish_with_error
    fn fail_action(self, action: &Action) -> Self;
}

/// `How` for errors that are [`AsFailure`].
#[derive(Debug)]
pub enum Described {}

/// `How` for errors reached through [`Deref`].
#[derive(Debug)]
pub enum DescribedThroughDeref {}

impl<T, E: AsFailure> FailActionExt<Described> for Result<T, E> {
    fn fail_action(self, action: &Action) -> Self {
        if let Err(error) = &self {
            // Already finished: it keeps its first end.
            let _ = action.finish_with_error(error);
        }
        self
    }
}

impl<T, E> FailActionExt<DescribedThroughDeref> for Result<T, E>
where
    E: Deref,
    E::Target: AsFailure,
{
    fn fail_action(self, action: &Action) -> Self {
        if let Err(error) = &self {
            let _ = action.finish_with_error(&**error);
        }
        self
    }
}
