//! Bridges between Eliot and other crates, each behind its feature: tasks
//! carried in `http` headers (`eliot_core::http`), records of the `log`
//! crate as Eliot messages (`eliot_core::log`).

#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "log")]
pub mod log;
