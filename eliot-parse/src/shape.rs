//! A line's shape: its type, its status and its level, shared by every line
//! that has the same. A log repeats a few hundred shapes over hundreds of
//! thousands of lines, and a message keeps one pointer to its shape instead
//! of a name, a status and a level of its own.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::level::TaskLevel;
use super::message::ActionStatus;

/// What a line's header says besides its task and its time.
#[derive(Debug, PartialEq)]
pub(crate) struct Shape {
    /// The `action_type`, or the `message_type` of a plain message.
    pub(crate) type_name: Box<str>,
    /// The `action_status` of an action's message; `None` for a plain one.
    pub(crate) status: Option<ActionStatus>,
    pub(crate) level: TaskLevel,
}

/// The most shapes kept for sharing. A log with more (a hostile one, one
/// that puts ids in its type names, or an action with thousands of
/// children) gets a shape of its own for each line past them, instead of
/// an ever-growing set.
const MAX_SHARED: usize = 4096;

/// The shapes met so far, each allocated once. Found by a hash of their
/// parts, which are borrowed from the line: foldhash, faster than std's
/// SipHash on such short keys and seeded at random as it is, so that a
/// crafted log cannot aim for collisions.
#[derive(Default)]
pub(crate) struct Shapes {
    hasher: RandomState,
    by_hash: HashMap<u64, Vec<Arc<Shape>>, RandomState>,
    shared: usize,
}

impl Shapes {
    /// The shape of these parts, shared with every other line that has it.
    pub(crate) fn get(
        &mut self,
        type_name: &str,
        status: Option<ActionStatus>,
        level: &[u32],
    ) -> Arc<Shape> {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one((type_name, status, level));
        let same = |shape: &&Arc<Shape>| {
            *shape.type_name == *type_name
                && shape.status == status
                && shape.level.as_slice() == level
        };
        if let Some(shared) = self.by_hash.get(&hash).and_then(|b| b.iter().find(same)) {
            return shared.clone();
        }
        let shape = Arc::new(Shape {
            type_name: type_name.into(),
            status,
            level: TaskLevel::from(level),
        });
        if self.shared < MAX_SHARED {
            self.by_hash.entry(hash).or_default().push(shape.clone());
            self.shared += 1;
        }
        shape
    }
}

impl std::fmt::Debug for Shapes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shapes")
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_is_allocated_once_and_the_set_stops_growing() {
        let mut shapes = Shapes::default();
        let started = Some(ActionStatus::Started);
        let first = shapes.get("app:request", started, &[3, 1]);
        assert!(Arc::ptr_eq(
            &first,
            &shapes.get("app:request", started, &[3, 1])
        ));
        // Each part tells shapes apart.
        for (name, status, level) in [
            ("app:request", None, &[3, 1][..]),
            ("app:other", started, &[3, 1]),
            ("app:request", started, &[3, 2, 1]),
        ] {
            let other = shapes.get(name, status, level);
            assert!(!Arc::ptr_eq(&first, &other));
            assert_eq!((&*other.type_name, other.status), (name, status));
            assert_eq!(other.level.as_slice(), level);
        }
        for i in 0..MAX_SHARED + 10 {
            shapes.get(&format!("type {i}"), None, &[2]);
        }
        assert_eq!(shapes.shared, MAX_SHARED);
        let late = format!("type {}", MAX_SHARED + 5);
        let (a, b) = (shapes.get(&late, None, &[2]), shapes.get(&late, None, &[2]));
        assert_eq!(a, b);
        assert!(!Arc::ptr_eq(&a, &b), "past the limit, not shared");
        assert!(Arc::ptr_eq(
            &first,
            &shapes.get("app:request", started, &[3, 1])
        ));
    }
}
