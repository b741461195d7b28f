//! A per-thread flag that keeps the two tracing bridges from feeding each
//! other.
//!
//! With both [`TracingDestination`](crate::TracingDestination) (Eliot into
//! `tracing`) and [`EliotLayer`](crate::EliotLayer) (`tracing` into Eliot)
//! installed, every message could bounce between the two forever. Each
//! bridge marks the thread while it writes into the other system, and
//! neither bridges anything that arrives while the mark is set: what a
//! bridge writes is never bridged back. Events that `TracingDestination`
//! emits also carry a marker in their metadata, so the layer recognises them
//! even when they reach it some other way (for example after a hop through
//! another thread).

use std::cell::Cell;

thread_local! {
    /// Set while either bridge writes into the other system.
    static BRIDGING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a bridge is writing on this thread now. A thread being torn down
/// counts as writing: nothing is bridged then.
pub(crate) fn is_bridging() -> bool {
    BRIDGING.try_with(Cell::get).unwrap_or(true)
}

/// Runs `f` with this thread marked as bridging.
pub(crate) fn bridging<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = BRIDGING.try_with(|flag| flag.set(self.0));
        }
    }
    let previous = BRIDGING.try_with(|f| f.replace(true)).unwrap_or(true);
    let _reset = Reset(previous);
    f()
}
