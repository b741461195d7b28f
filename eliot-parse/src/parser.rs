//! The streaming parser: messages in, complete tasks out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::header::ValidHeader;
use super::message::WrittenMessage;
use super::problem::Problem;
use super::task::Task;

/// Builds tasks from messages given in any order, and hands each task back
/// the moment its last line arrives (Eliot's `eliot.parse.Parser`).
///
/// What it keeps: the tasks still open (in flight, or never to complete:
/// those stay until [`finish`](Parser::finish) returns them, so a log full
/// of unfinished tasks is held whole), and the UUID of each task it handed
/// back, so that a later line of a completed task is reported as a
/// [`Problem::Duplicate`] instead of opening a new task. Memory is
/// therefore the open tasks plus one UUID per completed task, not the
/// lines of the completed tasks.
///
/// ```
/// use eliot_parse::{Parser, Problem, WrittenMessage};
///
/// let lines = [
///     r#"{"action_status":"succeeded","timestamp":2.0,"task_uuid":"t1","action_type":"app:main","task_level":[2]}"#,
///     r#"{"action_status":"started","timestamp":1.0,"task_uuid":"t1","action_type":"app:main","task_level":[1]}"#,
/// ];
/// let mut parser = Parser::new();
/// let first = parser.add(WrittenMessage::from_json(lines[0]).unwrap()).unwrap();
/// assert!(first.is_none(), "the task is not complete without its start");
/// let done = parser.add(WrittenMessage::from_json(lines[1]).unwrap()).unwrap();
/// assert!(done.unwrap().is_complete());
///
/// // The task was handed back: a line of it read again is a duplicate.
/// let again = parser.add(WrittenMessage::from_json(lines[1]).unwrap());
/// assert!(matches!(again, Err(Problem::Duplicate { .. })));
/// assert!(parser.finish().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Parser {
    open: HashMap<Arc<str>, Task>,
    /// The UUIDs of the tasks handed back complete.
    completed: HashSet<Arc<str>>,
    next_seq: u64,
    only: Option<HashSet<Box<str>>>,
}

impl Parser {
    /// A parser with no task open.
    pub fn new() -> Self {
        Parser::default()
    }

    /// A parser that keeps only the tasks with these UUIDs and skips every
    /// other line unbuilt.
    pub fn only_tasks<I, S>(task_uuids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Box<str>>,
    {
        Parser {
            only: Some(task_uuids.into_iter().map(Into::into).collect()),
            ..Parser::default()
        }
    }

    /// Adds a message. Returns its task if this message completed it. A
    /// message that cannot be placed (a second line for the same place, a
    /// line of a task already handed back complete, or one whose place is
    /// taken by another kind of node or lies past its action's end) is
    /// refused and changes nothing.
    pub fn add(&mut self, message: WrittenMessage) -> Result<Option<Task>, Problem> {
        let task_uuid = message.shared_task_uuid().clone();
        self.add_with(&task_uuid, |_| message)
    }

    /// [`add`](Parser::add) for a line's parsed header; the message shares
    /// its task's UUID instead of allocating one of its own.
    pub(crate) fn add_header(
        &mut self,
        header: ValidHeader<'_>,
        text: &str,
    ) -> Result<Option<Task>, Problem> {
        // A borrowed UUID (the usual case, without escapes) copies nothing.
        let task_uuid = header.task_uuid.clone();
        self.add_with(&task_uuid, |shared| header.into_message(text, shared))
    }

    /// Adds the message `make` builds, given the UUID of its open task to
    /// share if there is one.
    fn add_with(
        &mut self,
        task_uuid: &str,
        make: impl FnOnce(Option<Arc<str>>) -> WrittenMessage,
    ) -> Result<Option<Task>, Problem> {
        if !self.wanted(task_uuid) {
            return Ok(None);
        }
        let Some(task) = self.open.get_mut(task_uuid) else {
            let message = make(None);
            if self.completed.contains(task_uuid) {
                // A complete task has every place filled: this line repeats
                // one of them (or contradicts the tree's end).
                return Err(Problem::Duplicate {
                    task_uuid: task_uuid.to_owned(),
                    level: message.task_level().clone(),
                });
            }
            return self.open_task(message);
        };
        task.add(make(Some(task.shared_task_uuid().clone())))?;
        if !task.is_complete() {
            return Ok(None);
        }
        let Some((task_uuid, mut task)) = self.open.remove_entry(task_uuid) else {
            return Ok(None); // Found above.
        };
        self.completed.insert(task_uuid);
        task.finish_building();
        Ok(Some(task))
    }

    /// Whether lines of the task `task_uuid` are read.
    pub(super) fn wanted(&self, task_uuid: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.contains(task_uuid))
    }

    fn open_task(&mut self, message: WrittenMessage) -> Result<Option<Task>, Problem> {
        let mut task = Task::start(message, self.next_seq)?;
        self.next_seq += 1;
        if task.is_complete() {
            self.completed.insert(task.shared_task_uuid().clone());
            task.finish_building();
            return Ok(Some(task));
        }
        self.open.insert(task.shared_task_uuid().clone(), task);
        Ok(None)
    }

    /// How many tasks are open: started but not complete.
    pub fn open_tasks(&self) -> usize {
        self.open.len()
    }

    /// Ends the parse: the tasks that never completed, in the order their
    /// first lines were read.
    pub fn finish(self) -> Vec<Task> {
        let mut tasks: Vec<Task> = self.open.into_values().collect();
        tasks.sort_by_key(|task| task.seq);
        for task in &mut tasks {
            task.finish_building();
        }
        tasks
    }
}
