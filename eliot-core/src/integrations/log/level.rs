//! `log` levels under the names Python's `logging` gives them.

use ::log::Level;

/// The `log_level` field of a record at `level`: Python's level name where
/// there is one (`WARNING`, not `WARN`), else `TRACE`.
pub(super) fn python_name(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARNING",
        Level::Info => "INFO",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_named_as_python_names_them() {
        let names: Vec<&str> = [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ]
        .into_iter()
        .map(python_name)
        .collect();
        assert_eq!(names, ["ERROR", "WARNING", "INFO", "DEBUG", "TRACE"]);
    }
}
