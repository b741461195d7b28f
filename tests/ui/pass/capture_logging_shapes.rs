//! The shapes `#[capture_logging]` accepts: with or without the logger,
//! sync or async, returning a value or `Result` with `?`, and with
//! `crate = path`. (In a real test, `#[test]` or `#[tokio::test]` follows
//! it; here `main` calls the functions.)

use eliot::testing::MemoryLogger;
use eliot::{capture_logging, log_message, start_action};

#[capture_logging]
fn sync_with_logger(logger: MemoryLogger) {
    log_message!("ui:sync");
    assert_eq!(logger.messages().len(), 1);
}

#[capture_logging]
fn sync_without_logger() {
    let _action = start_action!("ui:action");
}

#[capture_logging]
fn returning(logger: MemoryLogger) -> Result<u16, std::num::ParseIntError> {
    let n: u16 = "7".parse()?;
    log_message!("ui:n", n = n);
    assert_eq!(logger.messages().len(), 1);
    Ok(n)
}

#[capture_logging]
async fn asynchronous(mut logger: MemoryLogger) -> usize {
    log_message!("ui:async");
    tokio::task::yield_now().await;
    log_message!("ui:async");
    logger = logger.clone();
    logger.messages().len()
}

#[capture_logging(crate = ::eliot_core)]
fn with_crate_path(_logger: eliot_core::testing::MemoryLogger) {
    eliot_core::log_message!("ui:core");
}

fn main() {
    sync_with_logger();
    sync_without_logger();
    assert_eq!(returning().unwrap(), 7);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(runtime.block_on(asynchronous()), 2);
    with_crate_path();
}
