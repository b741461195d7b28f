//! Where messages go: the destinations eliot-core provides (files, rotating
//! files, stdout and stderr, syslog, a console for people) and the
//! [`ThreadedWriter`](crate::ThreadedWriter) that moves any destination's
//! writes off the logging threads.

pub mod console;
pub(crate) mod file;
pub(crate) mod rotating_file;
pub(crate) mod stdio;
pub mod syslog;
pub(crate) mod threaded_writer;
