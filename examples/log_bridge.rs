//! The `log` crate into Eliot: a dependency that logs through `log`
//! (globset) and the program's own `log::warn!` land in the log as
//! `eliot:stdlib` messages, inside the action that was current.
//!
//! `eliot::log::init()` installs the bridge filtered by `RUST_LOG`; this
//! example builds it with a default of its own (`info,globset=debug`) so
//! that globset's debug records show without setting anything.
//!
//! Writes `log_bridge.log` in the working directory.
//!
//! ```text
//! cargo run --example log_bridge --features log
//! RUST_LOG=warn cargo run --example log_bridge --features log
//! ```

use eliot::log::EliotLog;
use eliot::{FileDestination, add_destination, remove_destination, start_action, start_task};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let directives = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,globset=debug".into());
    EliotLog::builder().parse(&directives).build().install()?;
    let file = add_destination(FileDestination::create("log_bridge.log")?);
    {
        let _task = start_task!("app:index_sources");
        let globs = {
            let _build = start_action!("app:build_globs");
            let mut builder = globset::GlobSetBuilder::new();
            for pattern in ["**/*.rs", "**/Cargo.{toml,lock}", "src/*_[0-9].rs"] {
                builder.add(globset::Glob::new(pattern)?);
            }
            builder.build()? // globset logs "built glob set; .." at debug level
        };
        for path in ["src/lib.rs", "README.md", "Cargo.lock"] {
            if !globs.is_match(path) {
                log::warn!("{path} is not a source file");
            }
        }
    }
    remove_destination(&file)?;
    Ok(())
}
