//! The `log` crate into Eliot (feature `log`): every record becomes an
//! `eliot:stdlib` message inside the current action, shaped like the
//! messages of Python Eliot's `eliot.stdlib.EliotHandler`.
//!
//! Much of a Rust program, and of its dependencies, logs through `log`
//! (`log::info!`, `log::debug!`). [`init`] installs [`EliotLog`] as the
//! process's logger, filtered by `RUST_LOG` with the syntax `env_logger`
//! users know (`info`, `my_app=debug,hyper=warn`); a record then reads, in
//! the task of the action current where it was logged:
//!
//! ```text
//! {"log_level":"DEBUG","logger":"globset","message":"built glob set; ..","file":"..","line":539,
//!  "timestamp":..,"task_uuid":..,"task_level":[3],"message_type":"eliot:stdlib"}
//! ```
//!
//! - `log_level`: Python's level names where one exists (`ERROR`,
//!   `WARNING`, `INFO`, `DEBUG`), and `TRACE`;
//! - `logger`: the record's target (by default its module path);
//! - `message`: the formatted text;
//! - `file` and `line`, when the record has them.
//!
//! A record logged while a destination is writing (a destination built on
//! a library that logs through `log`) is not written: it would recurse into
//! the same destination. Such records are counted, see
//! [`records_skipped_while_writing`].
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use eliot_core::log::EliotLog;
//!
//! // eliot_core::log::init()? reads RUST_LOG; a builder says it in code:
//! let logger = EliotLog::builder().parse("info,noisy_dependency=warn").build();
//! log::set_max_level(logger.max_level());
//! log::set_boxed_logger(Box::new(logger))?;
//! log::info!("this is an eliot:stdlib message");
//! # Ok(()) }
//! ```

mod bridge;
mod level;

pub use bridge::{EliotLog, EliotLogBuilder, records_skipped_while_writing};

/// Installs [`EliotLog`] as the process's `log` logger, filtered by the
/// `RUST_LOG` environment variable as `env_logger` filters (errors only
/// when it is unset or empty). Fails when a logger was already installed.
///
/// ```
/// eliot_core::log::init().expect("no other logger yet");
/// log::error!("now an eliot:stdlib message");
/// ```
pub fn init() -> Result<(), ::log::SetLoggerError> {
    EliotLog::from_env().install()
}
