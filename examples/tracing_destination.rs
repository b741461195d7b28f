//! The `TwistedDestination` example of Eliot's Twisted integration page, in Rust: Eliot messages go to
//! `tracing`, the program's main logging system, as events (target the
//! Eliot type; tracebacks and failed actions at ERROR, the rest at INFO).
//! With `EliotLayer` installed too, a library that logs with `tracing`
//! shows up in the Eliot tree, and nothing loops.
//!
//! Python:
//!
//! ```python
//! from eliot import add_destinations
//! from eliot.twisted import TwistedDestination
//! add_destinations(TwistedDestination())
//! ```
//!
//! Prints the `tracing` output on stderr and writes the Eliot log to
//! `tracing_destination.log` in the working directory.
//!
//! ```text
//! cargo run --example tracing_destination
//! ```

use std::fs::File;

use eliot::{
    FileDestination, add_destination, add_destinations, log_message, remove_destination,
    start_action, start_task, write_traceback,
};
use eliot_tracing::{EliotLayer, TracingDestination};
use tracing_subscriber::prelude::*;

/// A library that knows only `tracing`.
mod library {
    #[tracing::instrument]
    pub(crate) fn fetch(key: &str) -> Option<u32> {
        tracing::info!(cache = "miss", "fetching");
        key.strip_prefix("user-").and_then(|id| id.parse().ok())
    }
}

fn main() -> std::io::Result<()> {
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(EliotLayer::new())
        .init();

    let path = "tracing_destination.log";
    let file = add_destination(FileDestination::from_file(File::create(path)?)?);
    // The Python line of that page:
    add_destinations([TracingDestination::new()]);

    {
        let request = start_task!("yourapp:request", path = "/users/7");
        log_message!("yourapp:request:received", size = 512);
        let user = library::fetch("user-7");
        request.add_success_fields(eliot::fields!(user = user));
        {
            let _check = start_action!("yourapp:check_quota", user = user);
            if let Err(error) = "lots".parse::<u32>() {
                // An ERROR event in tracing.
                write_traceback(&error);
            }
        }
        // A failed action: ERROR as well.
        start_action!("yourapp:notify").finish_with_error(&std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "mail server down",
        ));
    }

    remove_destination(&file).expect("registered above");
    eprintln!("(wrote {path})");
    Ok(())
}
