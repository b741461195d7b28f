//! The first example of Eliot's Twisted integration page: log a message through a ThreadedWriter, started
//! and stopped as a service (Python: `ThreadedWriter(FileDestination(file=open(
//! "example-eliot.log", "ab")), reactor)` with `startService()` and
//! `stopService()`).
//!
//! ```text
//! cargo run --example threaded_writer
//! ```

use eliot::{FileDestination, log_message};
use eliot_tokio::ThreadedWriterService;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("Logging to example-eliot.log...");
    let log_writer = ThreadedWriterService::new(FileDestination::create("example-eliot.log")?);

    // Starting the service registers it as a destination.
    log_writer.start()?;

    // Log a message:
    log_message!("test", value = "hello", another = 1);

    // Stopping it writes everything queued, flushes, and joins the writer
    // thread; awaiting it never blocks the runtime.
    let report = log_writer.stop().await?;
    println!(
        "wrote {} message(s), {} failed",
        report.written, report.failed
    );
    Ok(())
}
