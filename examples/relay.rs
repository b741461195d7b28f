//! A relay: the lines a child process logs on its stdout are written to
//! this process's log with `eliot::relay`, Python's `Logger.write`.
//!
//! The parent starts a task and runs itself as a child, passing the task's
//! id; the child continues the task (`continue_task`) and logs to stdout;
//! the parent relays each line it reads into `relay.log`, with its global
//! fields, so the file holds one tree made by two processes.
//!
//! ```text
//! cargo run --example relay
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use eliot::{
    FileDestination, Message, StdioDestination, add_destination, add_global_fields, continue_task,
    fields, log_message, relay, remove_destination, start_task,
};

fn child(task_id: &str) -> Result<(), Box<dyn std::error::Error>> {
    let stdout = add_destination(StdioDestination::stdout());
    {
        let _remote = continue_task(task_id)?;
        for step in 1..=3 {
            log_message!("child:step", step = step);
        }
    }
    remove_destination(&stdout)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().collect();
    if let [_, role, task_id] = &arguments[..]
        && role == "child"
    {
        return child(task_id);
    }
    add_global_fields(fields!(relayed_by = "relay-example"));
    let file = add_destination(FileDestination::create("relay.log")?);
    {
        let task = start_task!("parent:run_child");
        let task_id = task.serialize_task_id();
        let mut running = Command::new(std::env::current_exe()?)
            .args(["child", &task_id])
            .stdout(Stdio::piped())
            .spawn()?;
        let lines = BufReader::new(running.stdout.take().expect("piped"));
        let mut relayed = 0;
        for line in lines.lines() {
            // A line that is not an Eliot message is reported, not written.
            match Message::from_json(&line?) {
                Ok(message) => {
                    relay(&message);
                    relayed += 1;
                }
                Err(error) => log_message!("parent:bad_line", error = error.to_string()),
            }
        }
        let status = running.wait()?;
        task.log(
            "parent:child_exited",
            fields!(success = status.success(), relayed = relayed),
        );
    }
    remove_destination(&file)?;
    Ok(())
}
