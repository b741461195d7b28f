// `result` is a flag, given once.
use eliot::{inline_actions, log_call};

#[inline_actions(result = true)]
async fn valued() -> Result<(), std::io::Error> {
    Ok(())
}

#[log_call(result, result)]
fn twice() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {}
