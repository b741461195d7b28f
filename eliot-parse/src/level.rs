//! Task levels: where a message sits in its task's tree.

use std::fmt;
use std::sync::Arc;

/// The position of a message or an action in its task: `[3, 2]` is the
/// second child of the action that took the third slot of the task's root.
///
/// A message's level is its own slot; an action's level is its start
/// message's level without the final `1` (the root action of a task has the
/// empty level). Levels order like Eliot's: element by element, so children
/// sort in the order they were logged.
///
/// ```
/// use eliot_parse::TaskLevel;
///
/// let level = TaskLevel::new(vec![3, 2]);
/// assert_eq!(level.to_string(), "/3/2");
/// assert_eq!(level.parent().unwrap().as_slice(), &[3]);
/// assert_eq!(level.last(), Some(2));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TaskLevel(Arc<[u32]>);

impl TaskLevel {
    /// A level made of these slots.
    pub fn new(level: impl Into<Box<[u32]>>) -> Self {
        TaskLevel(Arc::from(level.into()))
    }

    /// The slots, outermost first.
    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }

    /// The level of the enclosing action, or `None` for the empty level.
    pub fn parent(&self) -> Option<TaskLevel> {
        let (_, parent) = self.0.split_last()?;
        Some(TaskLevel(parent.into()))
    }

    /// The final slot, or `None` for the empty level.
    pub fn last(&self) -> Option<u32> {
        self.0.last().copied()
    }

    /// How many slots deep the level is.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the empty level, a task's root action.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for TaskLevel {
    /// Eliot's form, `/3/2`; the empty level is `/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for slot in self.0.iter() {
            write!(f, "/{slot}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TaskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<&[u32]> for TaskLevel {
    fn from(level: &[u32]) -> Self {
        TaskLevel(level.into())
    }
}

impl From<Vec<u32>> for TaskLevel {
    fn from(level: Vec<u32>) -> Self {
        TaskLevel(level.into())
    }
}
