//! [`EliotLog`]: the `log::Log` that writes records as Eliot messages.

use std::sync::atomic::{AtomicU64, Ordering};

use ::log::{LevelFilter, Log, Metadata, Record};
use env_filter::Filter;

use super::level::python_name;
use crate::field::{DisplayValue, Field};

static SKIPPED_WHILE_WRITING: AtomicU64 = AtomicU64::new(0);

/// How many `log` records were not written because they were logged while a
/// destination was writing a message on the same thread (writing them would
/// recurse into that destination).
pub fn records_skipped_while_writing() -> u64 {
    SKIPPED_WHILE_WRITING.load(Ordering::Relaxed)
}

/// A `log::Log` that writes each record it lets through as an
/// `eliot:stdlib` message in the current action (see the [module
/// docs](super)). Install it with [`install`](EliotLog::install), or
/// compose it into a logger of your own through its `Log` impl.
#[derive(Debug)]
pub struct EliotLog {
    filter: Filter,
}

/// Builds an [`EliotLog`]'s filter: directives in the `RUST_LOG` syntax
/// ([`parse`](Self::parse)) or given one by one.
#[derive(Debug, Default)]
pub struct EliotLogBuilder {
    filter: env_filter::Builder,
}

impl EliotLogBuilder {
    /// Adds directives in the `RUST_LOG` syntax: `info`,
    /// `my_app=debug,hyper=warn`, `my_app::db=trace/regex`.
    pub fn parse(mut self, directives: &str) -> Self {
        self.filter.parse(directives);
        self
    }

    /// Lets records of `target` (a module path prefix) through from
    /// `level` up.
    pub fn target(mut self, target: &str, level: LevelFilter) -> Self {
        self.filter.filter_module(target, level);
        self
    }

    /// Lets records of every other target through from `level` up.
    pub fn level(mut self, level: LevelFilter) -> Self {
        self.filter.filter_level(level);
        self
    }

    /// The logger. Without any directive it lets errors through, as
    /// `env_logger` does.
    pub fn build(mut self) -> EliotLog {
        EliotLog {
            filter: self.filter.build(),
        }
    }
}

impl EliotLog {
    /// A builder for the logger's filter.
    pub fn builder() -> EliotLogBuilder {
        EliotLogBuilder::default()
    }

    /// The logger filtered by the `RUST_LOG` environment variable.
    pub fn from_env() -> EliotLog {
        EliotLog {
            filter: env_filter::Builder::from_env("RUST_LOG").build(),
        }
    }

    /// The most verbose level the filter lets through, for
    /// `log::set_max_level`.
    pub fn max_level(&self) -> LevelFilter {
        self.filter.filter()
    }

    /// Makes this the process's `log` logger, and sets `log`'s maximum
    /// level to [`max_level`](Self::max_level).
    pub fn install(self) -> Result<(), ::log::SetLoggerError> {
        let max_level = self.max_level();
        ::log::set_boxed_logger(Box::new(self))?;
        ::log::set_max_level(max_level);
        Ok(())
    }
}

impl Log for EliotLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.filter.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.filter.matches(record) {
            return;
        }
        if crate::registry::is_delivering() {
            SKIPPED_WHILE_WRITING.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let log_level = python_name(record.level());
        let logger = record.target();
        let message = DisplayValue(record.args());
        let mut fields = vec![
            Field::new("log_level", &log_level),
            Field::new("logger", &logger),
            Field::new("message", &message),
        ];
        let file = record.file();
        let line = record.line();
        if let Some(file) = &file {
            fields.push(Field::new("file", file));
        }
        if let Some(line) = &line {
            fields.push(Field::new("line", line));
        }
        crate::message::log_message("eliot:stdlib", &fields);
    }

    fn flush(&self) {}
}
