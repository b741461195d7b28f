use eliot::{inline_actions, log_call};

#[inline_actions]
#[log_call]
async fn both() {}

#[log_call]
#[inline_actions]
async fn both_other_order() {}

fn main() {}
