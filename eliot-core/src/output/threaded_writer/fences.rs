//! The fence pair of the stop protocol (step 3 in the module doc) and of
//! the writer thread's sleep: the logging thread queues a line then reads a
//! flag, the writer thread sets the flag then looks at the queues, and a
//! fence on each side between the two makes sure that one of them sees the
//! other's write.
//!
//! The logging thread runs its side at every message, the writer thread
//! its side once per stop and once per sleep. A full fence on x86 waits for
//! every store before it, and the logging thread has just copied its line
//! into ring memory that is rarely in its cache, so it is the dearest step
//! of a hand-off. On Linux the pair is asymmetric instead: the writer
//! thread's side is the `membarrier` system call, which makes every running
//! thread of the process run a full fence (a thread that is not running
//! passed one when it was switched out), so the logging thread's side only
//! needs to keep the compiler from reordering its store and its load. This
//! is the pair of `asymmetric_thread_fence_heavy` and `_light` in C++'s
//! proposal P1202 and in folly, which use the same system call.

use std::sync::OnceLock;
use std::sync::atomic::{Ordering, compiler_fence, fence};

/// Which pair this process uses.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fences {
    /// The process is registered for `membarrier`'s private expedited
    /// barrier.
    asymmetric: bool,
}

impl Fences {
    /// The asymmetric pair where the system has it (registered once per
    /// process), two full fences elsewhere.
    pub(super) fn new() -> Self {
        static REGISTERED: OnceLock<bool> = OnceLock::new();
        Fences {
            asymmetric: *REGISTERED.get_or_init(register),
        }
    }

    /// The logging thread's side, between queueing its line and reading
    /// `closed` and `sleeping`.
    #[inline]
    pub(super) fn logging_side(self) {
        if self.asymmetric {
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// The writer thread's side, between seeing `closed` (or setting
    /// `sleeping`) and looking at the queues.
    pub(super) fn writer_side(self) {
        fence(Ordering::SeqCst);
        if self.asymmetric {
            heavy();
        }
    }
}

#[cfg(target_os = "linux")]
fn register() -> bool {
    use rustix::thread::{MembarrierCommand, membarrier, membarrier_query};
    let supported = membarrier_query();
    supported.contains_command(MembarrierCommand::PrivateExpedited)
        && supported.contains_command(MembarrierCommand::RegisterPrivateExpedited)
        && membarrier(MembarrierCommand::RegisterPrivateExpedited).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn register() -> bool {
    false
}

#[cfg(target_os = "linux")]
fn heavy() {
    use rustix::thread::{MembarrierCommand, membarrier};
    if membarrier(MembarrierCommand::PrivateExpedited).is_err() {
        // The kernel refuses it only to a process that is not registered,
        // and this one is (registration lasts as long as the process). Were
        // it refused all the same, a store a logging thread made before its
        // light fence is visible to every thread long before a millisecond
        // has passed: its store buffer drains in nanoseconds, and a thread
        // switched out drains it then.
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[cfg(not(target_os = "linux"))]
fn heavy() {
    unreachable!("only registered on Linux");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_uses_the_asymmetric_pair() {
        // The kernels this crate supports have had the private expedited
        // barrier since 4.14; without it every message pays a full fence.
        assert!(Fences::new().asymmetric);
        Fences::new().writer_side();
    }
}
