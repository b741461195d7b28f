//! Reading panics: what a caught panic said.

use std::any::Any;

/// The text of a panic payload (`&str` or `String`), or a note that it had none.
#[doc(hidden)]
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked with a non-string payload".to_owned()
    }
}
