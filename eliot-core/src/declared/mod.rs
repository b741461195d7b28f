//! Declared message and action types (Eliot's `MessageType` and
//! `ActionType`): a type declared once, with its fields, their types and a
//! description, so that names and types cannot drift between the places
//! that log it, the tests can check a log against the declarations, and
//! the declarations can be listed for documentation.
//!
//! A struct declares one with a derive; its fields are the message's
//! fields, or the action's start fields (each `serde::Serialize`). An
//! action type names a second struct, `#[derive(Fields)]`, for its success
//! fields. Runnable in the derives' documentation (`eliot::MessageType`,
//! `eliot::ActionType`, `eliot::Fields`) and in
//! `examples/declared_types.rs`:
//!
//! ```text
//! use eliot::{ActionType, Fields, MessageType};
//!
//! #[derive(MessageType)]
//! #[eliot(message_type = "app:db:row", description = "A row read from the database")]
//! struct DbRow { id: u64, name: String }
//!
//! #[derive(ActionType)]
//! #[eliot(action_type = "app:db:query", success = QueryDone, description = "A query")]
//! struct Query { sql: String }
//!
//! #[derive(Fields)]
//! struct QueryDone { rows: u64 }
//!
//! let query = Query { sql: "SELECT 1".into() }.start(); // {"sql":"SELECT 1","action_status":"started",..}
//! DbRow { id: 7, name: "ann".into() }.log();            // {"id":7,"name":"ann",..,"message_type":"app:db:row"}
//! query.succeed(QueryDone { rows: 1 });                 // {"rows":1,"action_status":"succeeded",..}
//!
//! let declared = eliot::declared::declarations().find(|d| d.name == "app:db:query").unwrap();
//! assert_eq!(declared.success_fields[0].name, "rows");
//! ```
//!
//! `eliot::testing::validate_declared` (and `MemoryLogger::validate`)
//! report a logged message of a declared type with missing, extra or
//! mistyped fields, as Python's `validate_logging` does: the fields of a
//! message, the start fields of an action's start, the success fields of
//! its success.

mod action_type;
mod check;
mod field_kind;
mod fields;
mod message_type;

pub use action_type::{
    ActionType, Declared, DeclaredAction, Finish, FinishesAction, FromResult, Succeeds,
};
pub(crate) use check::check_message;
pub use field_kind::{DeclaredField, FieldKind};
pub use fields::Fields;
pub use message_type::MessageType;

/// A declared message or action type, as its derive registers it.
#[derive(Debug)]
pub struct Declaration {
    /// A message type or an action type.
    pub kind: DeclaredKind,
    /// Its `message_type` or `action_type`.
    pub name: &'static str,
    /// The Rust type that declares it.
    pub rust_type: &'static str,
    /// What it means, for documentation.
    pub description: &'static str,
    /// The fields of its messages, or the start fields of its actions, in
    /// order.
    pub fields: &'static [DeclaredField],
    /// The success fields of its actions, in order (none for a message
    /// type).
    pub success_fields: &'static [DeclaredField],
}

/// What a [`Declaration`] declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredKind {
    /// A message type (`#[derive(MessageType)]`).
    Message,
    /// An action type (`#[derive(ActionType)]`).
    Action,
}

inventory::collect!(Declaration);

/// Every message and action type declared in the program (by any crate
/// linked into it), in no particular order.
pub fn declarations() -> impl Iterator<Item = &'static Declaration> {
    inventory::iter::<Declaration>.into_iter()
}
