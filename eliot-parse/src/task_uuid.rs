//! A task's UUID as the messages of an open task share it.

use std::borrow::Borrow;
use std::sync::Arc;

/// One allocation per task, pointed to by each of its messages: a thin
/// pointer, where an `Arc<str>` is two words. On a log held whole (its
/// tasks never complete) that is 8 bytes less a message, and as much again
/// in each list of children.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct TaskUuid(Arc<String>);

/// As the `str`, so that a task or message shows its UUID as before.
impl std::fmt::Debug for TaskUuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl TaskUuid {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for TaskUuid {
    fn from(uuid: &str) -> Self {
        TaskUuid(Arc::new(uuid.to_owned()))
    }
}

/// Found in maps by its text: it hashes and compares as the `str`.
impl Borrow<str> for TaskUuid {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use crate::{Node, WrittenMessage};

    #[test]
    fn a_message_and_a_child_of_an_action_are_five_words() {
        assert_eq!(std::mem::size_of::<WrittenMessage>(), 40);
        assert_eq!(std::mem::size_of::<Node>(), 40);
    }
}
