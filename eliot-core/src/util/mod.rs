//! Small helpers the engine and the outputs share: writing JSON, reading
//! panics.

pub(crate) mod json;
pub(crate) mod panic;
