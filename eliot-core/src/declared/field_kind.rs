//! The fields of a declaration, and the JSON values each may hold.

/// One field of a [`Declaration`](super::Declaration).
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
        match self {
            FieldKind::Integer => value.is_i64() || value.is_u64(),
            FieldKind::Number => value.is_number() || value.is_null(),
            FieldKind::String => value.is_string(),
            FieldKind::Boolean => value.is_boolean(),
            FieldKind::Array => value.is_array(),
            FieldKind::Optional | FieldKind::Any => true,
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
