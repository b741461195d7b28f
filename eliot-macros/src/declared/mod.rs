//! The derives that declare types of Eliot messages and actions:
//! `#[derive(MessageType)]` (Eliot's `MessageType`), `#[derive(ActionType)]`
//! (Eliot's `ActionType`) and `#[derive(Fields)]` (a set of fields, such as
//! an action type's success fields). A struct's named fields are the
//! fields; the derive implements the library's trait, and a message or
//! action type registers its declaration (through `inventory`) so that it
//! can be listed and checked against logs.
//!
//! Like serde_derive: `input.rs` reads the struct and its `#[eliot(..)]`
//! attribute into a typed form, collecting every error; `expand.rs`
//! generates; `field_types.rs` reads what a field's type tells about its
//! JSON.

mod expand;
mod field_types;
mod input;

use proc_macro2::TokenStream;

/// The three derives, and what each one's `#[eliot(..)]` accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derive {
    MessageType,
    ActionType,
    Fields,
}

impl Derive {
    fn name(self) -> &'static str {
        match self {
            Derive::MessageType => "MessageType",
            Derive::ActionType => "ActionType",
            Derive::Fields => "Fields",
        }
    }
}

/// Expands `#[derive(<derive>)]` on `input`.
pub(crate) fn derive(derive: Derive, input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    match input::Declared::read(derive, &input) {
        Ok(declared) => expand::expand(&declared),
        Err(errors) => errors.to_compile_errors(),
    }
}
