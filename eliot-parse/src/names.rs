//! The names of message and action types and the task levels of lines,
//! shared: a log has a few dozen types and a few hundred levels on hundreds
//! of thousands of lines.

use std::sync::Arc;

use foldhash::HashSet;

use super::level::TaskLevel;

/// The most names, and the most levels, kept for sharing. A log with more
/// distinct types (a hostile one, or one that puts ids in its type names)
/// or levels (an action with thousands of children) gets a copy of each
/// further one per message instead of an ever-growing set.
const MAX_SHARED: usize = 4096;

/// The type names and levels met so far, each allocated once. (Looked up
/// twice per line, with foldhash: std's SipHash made reading a log 2 %
/// slower; foldhash is seeded at random too, so that a crafted log cannot
/// aim for collisions.)
#[derive(Debug, Default)]
pub(crate) struct Names {
    shared: HashSet<Arc<str>>,
    levels: HashSet<TaskLevel>,
}

impl Names {
    /// `name`, shared with every other message of that type.
    pub(crate) fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.shared.get(name) {
            return shared.clone();
        }
        let name: Arc<str> = name.into();
        if self.shared.len() < MAX_SHARED {
            self.shared.insert(name.clone());
        }
        name
    }

    /// The level of these slots, shared with every other line at it.
    pub(crate) fn level(&mut self, slots: &[u32]) -> TaskLevel {
        if let Some(shared) = self.levels.get(slots) {
            return shared.clone();
        }
        let level = TaskLevel::from(slots);
        if self.levels.len() < MAX_SHARED {
            self.levels.insert(level.clone());
        }
        level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_allocated_once_and_the_set_stops_growing() {
        let mut names = Names::default();
        let first = names.get("app:request");
        assert!(Arc::ptr_eq(&first, &names.get("app:request")));
        for i in 0..MAX_SHARED + 10 {
            names.get(&format!("type {i}"));
        }
        assert_eq!(names.shared.len(), MAX_SHARED);
        let late = format!("type {}", MAX_SHARED + 5);
        assert_eq!(&*names.get(&late), late);
        assert!(!Arc::ptr_eq(&names.get(&late), &names.get(&late)));
        let level = names.level(&[3, 2]);
        assert!(std::ptr::eq(
            level.as_slice(),
            names.level(&[3, 2]).as_slice()
        ));
        assert_eq!(names.level(&[3, 2, 1]).as_slice(), [3, 2, 1]);
    }
}
