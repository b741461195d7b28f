//! A declared message type (Eliot's `MessageType`).

use super::Fields;

/// A message type declared with `#[derive(eliot::MessageType)]`: its
/// fields are the struct's.
pub trait MessageType: Fields {
    /// Its `message_type`.
    const MESSAGE_TYPE: &'static str;

    /// Logs it in the current action (or as a task of its own when no
    /// action is current).
    fn log(&self) {
        self.with_fields(|fields| crate::log_message(Self::MESSAGE_TYPE, fields));
    }
}
