// Python raises AlreadyFinished on a second addActionFinish; here the first
// one consumed the wrapper.
use eliot_tokio::DeferredContext;

fn main() {
    let action = eliot::start_action!("ui:deferred").into_action();
    let finish = DeferredContext::with_action(&action, async { Ok::<u8, std::io::Error>(1) })
        .add_action_finish()
        .add_action_finish();
    drop(finish);
}
