//! The start times of the actions still open, so that an action's end line
//! can say how long it took; bounded, because some actions never end.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Start timestamps of open actions, keyed by task and action, at most
/// `max` of them.
///
/// An action that never ends (its guard was leaked, its process died while
/// another process continued the task, the console was added after it
/// started) would otherwise be remembered forever. When `max` actions are
/// open and another starts, the one that started longest ago is forgotten;
/// if its end comes after all, that line shows no duration.
#[derive(Debug)]
pub(super) struct OpenActions<T> {
    starts: HashMap<Arc<str>, Start<T>>,
    /// Keys in the order their actions started. An action that ended
    /// leaves its entry here, recognised as stale by its `seq`; stale
    /// entries are swept out when they outnumber the open actions.
    order: VecDeque<(u64, Arc<str>)>,
    next_seq: u64,
    max: usize,
}

#[derive(Debug, Clone, Copy)]
struct Start<T> {
    timestamp: T,
    seq: u64,
}

impl<T: Copy> OpenActions<T> {
    pub(super) fn new(max: usize) -> Self {
        OpenActions {
            starts: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            max,
        }
    }

    /// Remembers that the action `key` started at `timestamp`.
    pub(super) fn started(&mut self, key: &str, timestamp: T) {
        if self.max == 0 {
            return;
        }
        if !self.starts.contains_key(key) {
            while self.starts.len() >= self.max {
                self.forget_oldest();
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key: Arc<str> = Arc::from(key);
        self.starts.insert(key.clone(), Start { timestamp, seq });
        self.order.push_back((seq, key));
        if self.order.len() > 2 * self.max.max(64) {
            let starts = &self.starts;
            self.order.retain(|(seq, key)| is_live(starts, key, *seq));
        }
    }

    /// The start timestamp of the action `key`, which has ended; `None`
    /// when its start was not seen or was forgotten.
    pub(super) fn ended(&mut self, key: &str) -> Option<T> {
        self.starts.remove(key).map(|start| start.timestamp)
    }

    fn forget_oldest(&mut self) {
        while let Some((seq, key)) = self.order.pop_front() {
            if is_live(&self.starts, &key, seq) {
                self.starts.remove(&key);
                return;
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.starts.len()
    }
}

fn is_live<T>(starts: &HashMap<Arc<str>, Start<T>>, key: &str, seq: u64) -> bool {
    starts.get(key).is_some_and(|start| start.seq == seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_action_gives_its_start_once() {
        let mut open = OpenActions::new(4);
        open.started("t/1", 10.0);
        assert_eq!(open.ended("t/1"), Some(10.0));
        assert_eq!(open.ended("t/1"), None);
        assert_eq!(open.ended("never/started"), None);
    }

    #[test]
    fn past_the_limit_the_oldest_start_is_forgotten() {
        let mut open = OpenActions::new(2);
        open.started("a", 1.0);
        open.started("b", 2.0);
        open.started("c", 3.0);
        assert_eq!(open.len(), 2);
        assert_eq!(open.ended("a"), None, "forgotten");
        assert_eq!(open.ended("b"), Some(2.0));
        assert_eq!(open.ended("c"), Some(3.0));
    }

    #[test]
    fn actions_that_end_do_not_count_against_the_limit() {
        let mut open = OpenActions::new(2);
        open.started("never-ends", 0.5);
        for i in 0..10_000 {
            let key = format!("k{i}");
            open.started(&key, f64::from(i));
            assert_eq!(open.ended(&key), Some(f64::from(i)));
        }
        assert_eq!(open.ended("never-ends"), Some(0.5));
        assert!(open.order.len() <= 2 * 64 + 1, "stale entries are swept");
    }

    #[test]
    fn memory_stays_bounded_when_actions_never_end() {
        let mut open = OpenActions::new(100);
        for i in 0..100_000 {
            open.started(&format!("k{i}"), 0.0);
        }
        assert_eq!(open.len(), 100);
        assert!(open.order.len() <= 200 + 1);
        assert!(open.ended("k99999").is_some());
        assert!(open.ended("k99899").is_none());
    }

    #[test]
    fn a_start_seen_again_restarts_without_evicting_others() {
        let mut open = OpenActions::new(2);
        open.started("a", 1.0);
        open.started("b", 2.0);
        open.started("a", 3.0);
        assert_eq!(open.ended("b"), Some(2.0));
        assert_eq!(open.ended("a"), Some(3.0));
    }

    #[test]
    fn a_limit_of_zero_remembers_nothing() {
        let mut open = OpenActions::new(0);
        open.started("a", 1.0);
        assert_eq!(open.ended("a"), None);
    }
}
