//! The "Actions and Deferreds" example of Eliot's Twisted integration page in Rust: a future whose
//! callback runs in the action that was current when it was wrapped, and
//! whose completion finishes that action.
//!
//! Python:
//!
//! ```python
//! def go():
//!     with start_action(action_type="your_type").context() as action:
//!         d = DeferredContext(Deferred())
//!         d.addCallback(gotResult, x=1)
//!         d.addActionFinish()
//!         return d.result
//! ```
//!
//! Here `go()` is called for several requests at once on a multi-threaded
//! runtime: one succeeds, one fails, one is cancelled by a timeout. Each
//! request is its own task in the log, complete. Writes
//! `deferred_context.log` in the working directory.
//!
//! ```text
//! cargo run --example deferred_context
//! ```

use std::fs::File;
use std::future::Future;
use std::time::Duration;

use eliot::{
    FileDestination, add_destination, fields, log_message, remove_destination, start_action,
    start_task,
};
use eliot_tokio::{DeferredContext, DeferredContextExt, NoCurrentAction};

#[derive(Debug)]
struct NotFound(u32);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no user {}", self.0)
    }
}

impl std::error::Error for NotFound {}

/// Some asynchronous API: a lookup that takes a while and may fail.
async fn some_deferred_api(user: u32) -> Result<String, NotFound> {
    tokio::time::sleep(Duration::from_millis(u64::from(user) * 10)).await;
    match user {
        0 => Err(NotFound(user)),
        _ => Ok(format!("user-{user}")),
    }
}

/// Runs in the "your_type" action, wherever the future is polled.
fn got_result(result: String, x: u32) -> Result<usize, NotFound> {
    log_message!("yourapp:got_result", result = result.as_str(), x = x);
    Ok(result.len() + x as usize)
}

fn go(user: u32) -> Result<impl Future<Output = Result<usize, NotFound>>, NoCurrentAction> {
    // `into_action`: the action outlives this function; the future finishes
    // it. (An `ActionGuard` kept here would finish it at the end of `go`,
    // before the callback ran: the bug Eliot's Twisted integration page describes.)
    let action = start_action!("your_type", user = user).into_action();
    let _current = action.enter();
    let d = DeferredContext::new(some_deferred_api(user))?;
    // got_result(result, x = 1) will be called in the context of the action:
    let d = d.add_callback(|result| got_result(result, 1));
    // After got_result finishes, finish the action; return the future:
    Ok(d.add_action_finish())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "deferred_context.log";
    let log = add_destination(FileDestination::from_file(File::create(path)?)?);

    let mut requests = Vec::new();
    for user in [3, 0, 1] {
        let _request = start_task!("yourapp:request", user = user);
        // Spawned: polled on any worker, inside no action at all.
        requests.push((user, tokio::spawn(go(user)?)));
    }
    for (user, request) in requests {
        match request.await? {
            Ok(size) => println!("user {user}: {size}"),
            Err(error) => println!("user {user}: {error}"),
        }
    }

    // Cancelled: a timeout drops the future before it completes, and the
    // action fails as cancelled.
    {
        let slow = {
            let _request = start_task!("yourapp:request", user = 9);
            go(9)?
        };
        let outcome = tokio::time::timeout(Duration::from_millis(20), slow).await;
        println!(
            "user 9: {}",
            if outcome.is_err() {
                "timed out"
            } else {
                "done"
            }
        );
    }

    // The extension trait: run a future as an action in one line.
    let name = some_deferred_api(2)
        .in_new_action("yourapp:lookup", fields!(user = 2))
        .await?;
    println!("user 2: {name}");

    remove_destination(&log).expect("registered above");
    eprintln!("(wrote {path})");
    Ok(())
}
