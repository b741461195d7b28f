//! `crate = path` for code that reaches the library another way: through
//! `eliot_core` directly, or a re-export under another name.

mod reexport {
    pub use eliot::*;
}

#[eliot::inline_actions(crate = ::eliot_core)]
async fn through_core() -> Option<String> {
    let _action = eliot_core::start_action!("ui:core");
    tokio::task::yield_now().await;
    eliot_core::current_action().map(|a| a.action_type().to_owned())
}

#[eliot::inline_actions(crate = crate::reexport)]
async fn through_reexport() {}

#[eliot::log_call(crate = ::eliot_core)]
fn logged_through_core(x: u32) -> u32 {
    x
}

#[tokio::main]
async fn main() {
    assert_eq!(through_core().await.as_deref(), Some("ui:core"));
    through_reexport().await;
    assert_eq!(logged_through_core(3), 3);
}
