// The wrapper is consumed by `add_action_finish`: it cannot be used again,
// neither to add a callback nor to finish a second time.
use eliot_tokio::DeferredContext;

fn main() {
    let action = eliot::start_action!("ui:deferred").into_action();
    let deferred = DeferredContext::with_action(&action, async { Ok::<u8, std::io::Error>(1) });
    let finish = deferred.add_action_finish();
    let again = deferred.add_callback(|n| Ok(n + 1));
    drop((finish, again));
}
