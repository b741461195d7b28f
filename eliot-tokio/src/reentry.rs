//! Per-thread flags that keep the two tracing bridges from feeding each
//! other.
//!
//! With both [`TracingDestination`](crate::TracingDestination) (Eliot into
//! `tracing`) and [`EliotLayer`](crate::EliotLayer) (`tracing` into Eliot)
//! installed, every message could bounce between the two forever. Each
//! bridge marks the thread while it writes into the other system, and each
//! ignores what arrives while the other's mark is set. Events that
//! `TracingDestination` emits also carry a marker in their metadata, so the
//! layer recognises them even when they reach it some other way (for example
//! after a hop through another thread).

use std::cell::Cell;

thread_local! {
    /// Set while `TracingDestination` hands an Eliot message to `tracing`.
    static IN_TRACING_DESTINATION: Cell<bool> = const { Cell::new(false) };
    /// Set while `EliotLayer` writes a span or event into Eliot.
    static IN_ELIOT_LAYER: Cell<bool> = const { Cell::new(false) };
}

/// Which bridge is writing.
#[derive(Clone, Copy)]
pub(crate) enum Bridge {
    TracingDestination,
    EliotLayer,
}

impl Bridge {
    fn flag(self) -> &'static std::thread::LocalKey<Cell<bool>> {
        match self {
            Bridge::TracingDestination => &IN_TRACING_DESTINATION,
            Bridge::EliotLayer => &IN_ELIOT_LAYER,
        }
    }

    /// Whether this bridge is writing on this thread now. A thread being
    /// torn down counts as writing: nothing is bridged then.
    pub(crate) fn is_active(self) -> bool {
        self.flag().try_with(Cell::get).unwrap_or(true)
    }

    /// Runs `f` with this bridge marked as writing on this thread.
    pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
        struct Reset(&'static std::thread::LocalKey<Cell<bool>>, bool);
        impl Drop for Reset {
            fn drop(&mut self) {
                let _ = self.0.try_with(|flag| flag.set(self.1));
            }
        }
        let flag = self.flag();
        let previous = flag.try_with(|f| f.replace(true)).unwrap_or(true);
        let _reset = Reset(flag, previous);
        f()
    }
}
