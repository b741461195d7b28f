//! Declared message types (Eliot's `MessageType`): a message type declared
//! once, with its fields, their types and a description, so that names and
//! types cannot drift between the places that log it, the tests can check
//! a log against the declarations, and the declarations can be listed for
//! documentation.
//!
//! Declare one with `#[derive(eliot::MessageType)]` on a struct whose
//! fields are the message's fields (each `serde::Serialize`), and log it
//! with its `log` method (runnable in the derive's documentation, and in
//! `examples/declared_types.rs`):
//!
//! ```text
//! use eliot::MessageType;
//!
//! /// A row read from the database.
//! #[derive(MessageType)]
//! #[eliot(message_type = "app:db:row", description = "A row read from the database")]
//! struct DbRow {
//!     id: u64,
//!     name: String,
//! }
//!
//! DbRow { id: 7, name: "ann".into() }.log(); // {"id":7,"name":"ann",..,"message_type":"app:db:row"}
//!
//! let declared = eliot::declared::declarations()
//!     .find(|d| d.message_type == "app:db:row")
//!     .unwrap();
//! assert_eq!(declared.fields[1].name, "name");
//! assert_eq!(declared.fields[1].rust_type, "String");
//! ```
//!
//! `eliot::testing::validate_declared` (and `MemoryLogger::validate`)
//! report a logged message of a declared type with missing, extra or
//! mistyped fields, as Python's `validate_logging` does.

mod check;

pub(crate) use check::check_message;

/// A declared message type, as the derive registers it.
#[derive(Debug)]
pub struct Declaration {
    /// The `message_type` its messages carry.
    pub message_type: &'static str,
    /// The Rust type that declares it.
    pub rust_type: &'static str,
    /// What it means, for documentation.
    pub description: &'static str,
    /// Its fields, in order.
    pub fields: &'static [DeclaredField],
}

/// One field of a [`Declaration`].
#[derive(Debug)]
pub struct DeclaredField {
    /// The field's key.
    pub name: &'static str,
    /// Its Rust type, as written in the declaration.
    pub rust_type: &'static str,
    /// The JSON values the type serializes to, as far as its name tells.
    pub kind: FieldKind,
}

/// The JSON values a declared field may hold, from its Rust type's name:
/// what the test helpers check a logged value against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// An integer (`u8` .. `u128`, `i8` .. `i128`, `usize`, `isize`).
    Integer,
    /// Any number (`f32`, `f64`).
    Number,
    /// A string (`String`, `&str`, `char`, `Cow<str>`).
    String,
    /// `true` or `false`.
    Boolean,
    /// An array (`Vec<T>`, slices, arrays, sets).
    Array,
    /// `null` or the kind of `T` (`Option<T>`): only `null` is checked.
    Optional,
    /// Anything (a type whose JSON form its name does not tell).
    Any,
}

impl FieldKind {
    /// Whether `value` can be a value of this kind.
    pub fn accepts(self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        match self {
            FieldKind::Integer => value.is_i64() || value.is_u64(),
            FieldKind::Number => value.is_number() || value.is_null(),
            FieldKind::String => value.is_string(),
            FieldKind::Boolean => value.is_boolean(),
            FieldKind::Array => value.is_array(),
            FieldKind::Optional | FieldKind::Any => {
                let _: &Value = value;
                true
            }
        }
    }

    /// The kind's name, for problems reported.
    pub fn describe(self) -> &'static str {
        match self {
            FieldKind::Integer => "an integer",
            FieldKind::Number => "a number",
            FieldKind::String => "a string",
            FieldKind::Boolean => "a boolean",
            FieldKind::Array => "an array",
            FieldKind::Optional => "an optional value",
            FieldKind::Any => "any value",
        }
    }
}

inventory::collect!(Declaration);

/// Every message type declared in the program (by any crate linked into
/// it), in no particular order.
pub fn declarations() -> impl Iterator<Item = &'static Declaration> {
    inventory::iter::<Declaration>.into_iter()
}

/// A message type declared with `#[derive(eliot::MessageType)]`.
pub trait MessageType {
    /// Its `message_type`.
    const MESSAGE_TYPE: &'static str;
    /// Logs it in the current action.
    fn log(&self);
}
