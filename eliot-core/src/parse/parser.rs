//! The streaming parser: messages in, complete tasks out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::message::{ValidHeader, WrittenMessage};
use super::problem::Problem;
use super::task::Task;

/// Builds tasks from messages given in any order, and hands each task back
/// the moment its last line arrives (Eliot's `eliot.parse.Parser`).
///
/// Only tasks still open are kept, so memory follows the number of tasks in
/// flight, not the size of the log. Tasks never completed are returned by
/// [`finish`](Parser::finish).
///
/// ```
/// use eliot_core::parse::{Parser, WrittenMessage};
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
/// assert!(parser.finish().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Parser {
    open: HashMap<Arc<str>, Task>,
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
    /// message that cannot be placed (a second line for the same place, or
    /// one whose place is taken by another kind of node) is refused and
    /// changes nothing.
    pub fn add(&mut self, message: WrittenMessage) -> Result<Option<Task>, Problem> {
        if !self.wanted(message.task_uuid()) {
            return Ok(None);
        }
        match self.open.get_mut(message.task_uuid()) {
            Some(task) => {
                task.add(message)?;
                let completed = task.is_complete().then(|| task.shared_task_uuid().clone());
                Ok(self.take_if_complete(completed))
            }
            None => self.open_task(message),
        }
    }

    /// [`add`](Parser::add) for a line's parsed header; the message shares
    /// its task's UUID instead of allocating one of its own.
    pub(crate) fn add_header(
        &mut self,
        header: ValidHeader<'_>,
        text: &str,
    ) -> Result<Option<Task>, Problem> {
        if !self.wanted(&header.task_uuid) {
            return Ok(None);
        }
        match self.open.get_mut(&*header.task_uuid) {
            Some(task) => {
                let uuid = task.shared_task_uuid().clone();
                task.add(header.into_message(text, Some(uuid)))?;
                let completed = task.is_complete().then(|| task.shared_task_uuid().clone());
                Ok(self.take_if_complete(completed))
            }
            None => self.open_task(header.into_message(text, None)),
        }
    }

    fn wanted(&self, task_uuid: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.contains(task_uuid))
    }

    fn open_task(&mut self, message: WrittenMessage) -> Result<Option<Task>, Problem> {
        let task = Task::start(message, self.next_seq)?;
        self.next_seq += 1;
        if task.is_complete() {
            return Ok(Some(task));
        }
        self.open.insert(task.shared_task_uuid().clone(), task);
        Ok(None)
    }

    /// Removes and returns the task just completed, if any.
    fn take_if_complete(&mut self, completed: Option<Arc<str>>) -> Option<Task> {
        self.open.remove(&completed?)
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
        tasks
    }
}
