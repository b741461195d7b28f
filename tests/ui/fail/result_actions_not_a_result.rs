// `result` says the function returns a `Result`; on one that does not, the
// error points at the return type (at the attribute when there is none),
// once per function, and says what to do.
use eliot::{inline_actions, log_call};

#[inline_actions(result)]
async fn counts() -> u32 {
    3
}

#[log_call(result)]
fn nothing() {}

#[log_call(result)]
fn two() -> u32 {
    2
}

fn main() {}
