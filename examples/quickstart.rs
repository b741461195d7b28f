//! The quick start: nested actions, messages with fields of several types, a
//! failed action, a traceback, and a task continued in another thread.
//!
//! Shows each message on the console as it is logged (`ConsoleDestination`),
//! writes them all as JSON lines to `quickstart.log` in the working
//! directory, then draws that file as a tree the way
//! `eliot-tree quickstart.log` does.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::collections::BTreeMap;
use std::fs::File;

use eliot::{
    ConsoleDestination, FileDestination, add_destination, continue_task, fields, log_message,
    remove_destination, start_action, start_task, write_traceback,
};
use serde::Serialize;

#[derive(Serialize)]
struct User {
    id: u64,
    name: &'static str,
    roles: Vec<&'static str>,
}

fn load_config(text: &str) -> Result<u16, std::num::ParseIntError> {
    start_action!("quickstart:parse_config", text = text).within(|action| {
        let port = text.trim().parse::<u16>()?;
        action.add_success_fields(fields!(port = port));
        Ok(port)
    })
}

fn main() -> std::io::Result<()> {
    let path = "quickstart.log";
    let log = add_destination(FileDestination::from_file(File::create(path)?)?);
    println!("The log, as it is written (ConsoleDestination::stdout()):\n");
    let console = add_destination(ConsoleDestination::stdout());

    log_message!(
        "quickstart:startup",
        version = env!("CARGO_PKG_VERSION"),
        pid = std::process::id()
    );

    {
        let request = start_task!("quickstart:request", method = "GET", path = "/users/7");
        log_message!(
            "quickstart:request:received",
            size = 512,
            ratio = 0.25,
            secure = true
        );
        {
            let query = start_action!(
                "quickstart:db:query",
                table = "users",
                limit = Option::<u32>::None
            );
            let user = User {
                id: 7,
                name: "Ada",
                roles: vec!["admin", "ops"],
            };
            log_message!("quickstart:db:row", row = user);
            query.add_success_fields(fields!(rows = 1, elapsed_ms = 1.25));
        }

        // A failed action: the error's type and message end it.
        let _ = load_config("80a");
        let _ = load_config("8080");

        // A traceback: an error logged with its cause chain.
        if let Err(error) = std::fs::read_to_string("/nonexistent/quickstart.toml") {
            write_traceback(&error);
        }

        // A task continued elsewhere: here a thread, in general another process.
        let task_id = request.serialize_task_id();
        std::thread::spawn(move || {
            let remote = continue_task(&task_id).expect("a task id we made ourselves");
            let mut totals = BTreeMap::new();
            totals.insert("a", 1);
            totals.insert("b", 2);
            log_message!("quickstart:worker:summary", totals = totals, nan = f64::NAN);
            remote.finish();
        })
        .join()
        .expect("the worker thread does not panic");

        request.add_success_fields(fields!(status = 200));
    }

    remove_destination(&console).expect("registered above");
    remove_destination(&log).expect("registered above");
    let text = std::fs::read_to_string(path)?;
    println!(
        "\n{path} holds the same {} messages as JSON lines; drawn as a tree \
         (cargo run -p eliot-tree -- {path}):\n",
        text.lines().count()
    );
    print!("{}", as_tree(&text));
    Ok(())
}

/// The log's tasks drawn as eliot-tree draws them.
fn as_tree(log: &str) -> String {
    let parsed = eliot::parse::parse_log(log);
    assert!(parsed.malformed.is_empty(), "{:?}", parsed.malformed);
    let renderer = eliot_tree::render::Renderer::new(eliot_tree::render::RenderOptions::default());
    let mut out = String::new();
    for task in &parsed.tasks {
        renderer.render(task, &mut out);
    }
    out
}
