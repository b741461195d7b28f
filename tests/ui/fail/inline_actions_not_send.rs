use std::rc::Rc;

use eliot::inline_actions;

// The future is Send exactly when the body is: this one holds an Rc across
// an await, so it cannot be spawned on a multi-threaded runtime.
#[inline_actions]
async fn holds_rc() -> usize {
    let rc = Rc::new(5);
    tokio::task::yield_now().await;
    *rc
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        tokio::spawn(holds_rc()).await.unwrap();
    });
}
