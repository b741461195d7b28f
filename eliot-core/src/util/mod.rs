//! Small helpers the engine and the outputs share: writing JSON (and
//! cutting huge collections in field values), reading panics.

pub(crate) mod cut;
pub(crate) mod json;
pub(crate) mod panic;
