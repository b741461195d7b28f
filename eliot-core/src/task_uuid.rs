//! Fresh task UUIDs (UUID4, lowercase, hyphenated), also on a thread whose
//! random generator is already gone (a thread-local's destructor that logs).

use std::cell::Cell;

/// A fresh task UUID: UUID4, lowercase, hyphenated.
pub(crate) fn new_task_uuid() -> TaskUuid {
    TaskUuid(random_uuid())
}

thread_local! {
    /// Whether this thread's random generator (the thread-local behind
    /// `Uuid::new_v4`) was used here and whether it is gone. It is gone once
    /// the thread's thread-locals are being destroyed, and calling it then
    /// panics, which aborts the process when it happens in the destructor
    /// of another thread-local that logs. (A `Cell` of a `Copy` type: never
    /// destroyed, readable to the end.)
    static GENERATOR: Cell<Generator> = const { Cell::new(Generator::Unused) };
    /// Registered just after the generator's own thread-local, hence
    /// destroyed just before it (thread-locals are destroyed in reverse
    /// order of registration): its drop marks the generator as gone.
    static GENERATOR_WATCH: GeneratorWatch = const { GeneratorWatch };
}

#[derive(Clone, Copy)]
enum Generator {
    Unused,
    Live,
    Gone,
}

struct GeneratorWatch;

impl Drop for GeneratorWatch {
    fn drop(&mut self) {
        GENERATOR.set(Generator::Gone);
    }
}

/// A random UUID4: `Uuid::new_v4` while its generator lives, else
/// [`late_uuid`].
fn random_uuid() -> uuid::Uuid {
    match GENERATOR.get() {
        Generator::Live => uuid::Uuid::new_v4(),
        Generator::Unused => {
            let uuid = uuid::Uuid::new_v4();
            // The generator's thread-local exists now: watch it from after it.
            if GENERATOR_WATCH.try_with(|_| ()).is_ok() {
                GENERATOR.set(Generator::Live);
            }
            uuid
        }
        Generator::Gone => late_uuid(),
    }
}

/// A random UUID4 for a thread whose generator is gone: 128 bits of keyed
/// SipHash from std's per-thread hashing keys (random from the OS, and
/// fresh for each `RandomState`), which are never destroyed.
fn late_uuid() -> uuid::Uuid {
    use std::hash::{BuildHasher, RandomState};
    let high = RandomState::new().hash_one(0u8);
    let low = RandomState::new().hash_one(1u8);
    let bits = (u128::from(high) << 64) | u128::from(low);
    uuid::Builder::from_random_bytes(bits.to_le_bytes()).into_uuid()
}

/// A fresh task UUID, not yet written out.
pub(crate) struct TaskUuid(uuid::Uuid);

impl TaskUuid {
    /// Runs `f` with the UUID as text (lowercase, hyphenated), written on
    /// the stack. `encode_lower` hands back the `str` it wrote: checking an
    /// array's bytes for UTF-8 instead cost a one-message task about 100
    /// instructions, 3 % of a `log_message!` (callgrind).
    pub(crate) fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        f(self.0.hyphenated().encode_lower(&mut text))
    }
}

#[cfg(test)]
mod tests {
    use super::late_uuid;

    #[test]
    fn late_uuids_are_random_uuid4s() {
        let uuids: std::collections::HashSet<uuid::Uuid> = (0..1000).map(|_| late_uuid()).collect();
        assert_eq!(uuids.len(), 1000);
        for uuid in uuids {
            assert_eq!(uuid.get_version(), Some(uuid::Version::Random));
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        }
    }
}
