//! Errors are failures: `?` and `return Err` in an `#[inline_actions]` or
//! `#[log_call]` function fail the actions its top-level `let`s opened, as
//! an exception leaving `with start_action(..)` does in Python; elsewhere
//! `fail_action` shows an action the error before `?` propagates it.
//!
//! Three requests run at once on a multi-threaded runtime: one finds its
//! user, one fails in the database (`std::io::Error`), one is refused
//! (`anyhow::Error`). A parse outside the macros fails its action with
//! `fail_action`.
//!
//! Writes `errors.log` in the working directory; `eliot-tree errors.log`
//! shows `app:handle ⇒ failed` with the error's type and message.
//!
//! ```text
//! cargo run --example errors
//! ```

use std::time::Duration;

use eliot::{
    FailActionExt, FileDestination, add_destination, inline_actions, log_call, log_message,
    remove_destination, start_action, start_task,
};

/// The database: user 0 does not exist.
async fn fetch_user(id: u64) -> std::io::Result<String> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    match id {
        0 => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no user with id 0",
        )),
        id => Ok(format!("user-{id}")),
    }
}

/// `?` fails `app:handle` with the database's error.
#[inline_actions]
async fn handle(id: u64) -> std::io::Result<String> {
    let _action = start_action!("app:handle", id = id);
    let user = fetch_user(id).await?;
    log_message!("app:handle:found", user = user.as_str());
    Ok(user)
}

/// `#[log_call]` fails its own action and the body's with an `anyhow`
/// error.
#[log_call]
async fn authorize(user: String) -> anyhow::Result<()> {
    let _check = start_action!("app:authorize:check");
    tokio::task::yield_now().await;
    anyhow::ensure!(user != "user-13", "{user} is not allowed here");
    Ok(())
}

#[inline_actions]
async fn request(id: u64) {
    let _task = start_task!("app:request", id = id);
    if let Ok(user) = handle(id).await {
        let _ = authorize(user).await;
    }
}

/// Outside the macros: `fail_action` before `?`.
fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
    let action = start_action!("app:parse_port", text = text);
    let port = text.parse::<u16>().fail_action(&action)?;
    Ok(port)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = add_destination(FileDestination::create("errors.log")?);
    let requests: Vec<_> = [7, 0, 13]
        .into_iter()
        .map(|id| tokio::spawn(request(id)))
        .collect();
    for request in requests {
        request.await?;
    }
    assert!(parse_port("80a").is_err());
    remove_destination(&file)?;
    Ok(())
}
