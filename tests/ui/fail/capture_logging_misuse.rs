use eliot::capture_logging;
use eliot::testing::MemoryLogger;

#[capture_logging(verbose)]
fn unknown_argument() {}

#[capture_logging]
fn two_parameters(_logger: MemoryLogger, _extra: u32) {}

#[capture_logging]
fn generic<T>(_logger: MemoryLogger) {}

#[capture_logging]
struct NotAFunction;

fn main() {}
