// Python raises AlreadyFinished when a callback is added after
// addActionFinish; here `add_action_finish` returns a plain future, which
// has no callbacks to add.
use eliot_tokio::DeferredContext;

fn main() {
    let action = eliot::start_action!("ui:deferred").into_action();
    let finish = DeferredContext::with_action(&action, async { Ok::<u8, std::io::Error>(1) })
        .add_action_finish();
    let _ = finish.add_callback(|n| Ok(n + 1));
}
