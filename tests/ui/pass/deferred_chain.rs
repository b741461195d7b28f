// The whole DeferredContext API chains and runs: callbacks in the captured
// action, the action finished by the returned future.
use eliot::{current_action, start_action};
use eliot_tokio::{DeferredContext, DeferredContextExt};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let action = start_action!("ui:deferred").into_action();
    let finish = action
        .run(|| DeferredContext::new(async { Ok::<u8, std::io::Error>(1) }))
        .expect("an action is current")
        .add_callback(|n| Ok(n + 1))
        .add_errback(|_error| Ok::<u8, std::io::Error>(0))
        .add_callbacks(|n| Ok::<_, std::io::Error>(u32::from(n) * 10), Err)
        .add_both(|result| result.map(|n| (n, current_action().is_some())))
        .add_action_finish();
    assert_eq!(runtime.block_on(finish).unwrap(), (20, true));
    assert!(action.is_finished());

    let ran = runtime.block_on(async { Ok::<_, std::io::Error>(3) }.in_new_action("ui:child", &[]));
    assert_eq!(ran.unwrap(), 3);
}
