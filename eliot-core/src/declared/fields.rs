//! A declared set of fields: what a declared message carries, what a
//! declared action starts with, and what it succeeds with.

use crate::field::Field;

use super::DeclaredField;

/// A struct whose fields are logged as fields of a message or an action,
/// declared with `#[derive(eliot::Fields)]`: most often the success fields
/// of a declared action type (`#[eliot(success = QueryDone)]` on an
/// `#[derive(ActionType)]`). `#[derive(MessageType)]` and
/// `#[derive(ActionType)]` implement it too, for their own fields.
///
/// `()` is the empty set: the success fields of an action type that
/// declares none.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a declared set of fields",
    label = "declared fields are a struct that derives `Fields`",
    note = "add `#[derive(eliot::Fields)]` to `{Self}`"
)]
pub trait Fields {
    /// The fields, their Rust types and the JSON values they may hold.
    const DECLARED: &'static [DeclaredField];

    /// Calls `f` with the values as fields, in declaration order.
    fn with_fields<R>(&self, f: impl FnOnce(&[Field<'_>]) -> R) -> R;
}

impl Fields for () {
    const DECLARED: &'static [DeclaredField] = &[];

    fn with_fields<R>(&self, f: impl FnOnce(&[Field<'_>]) -> R) -> R {
        f(&[])
    }
}
