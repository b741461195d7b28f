//! The streaming parser: messages in, complete tasks out.

use foldhash::{HashMap, HashSet};

use super::header::ValidHeader;
use super::message::WrittenMessage;
use super::packing::Dictionary;
use super::problem::Problem;
use super::shape::Shapes;
use super::task::Task;
use super::task_uuid::TaskUuid;

/// Builds tasks from messages given in any order, and hands each task back
/// the moment its last line arrives (Eliot's `eliot.parse.Parser`).
///
/// What it keeps: the tasks still open (in flight, or never to complete:
/// those stay until [`finish`](Parser::finish) returns them, so a log full
/// of unfinished tasks is held whole), and the UUID of each task it handed
/// back, so that a later line of a completed task is reported as a
/// [`Problem::Duplicate`] instead of opening a new task. Memory is
/// therefore the open tasks plus one UUID per completed task, not the
/// lines of the completed tasks. Each time the open tasks' plain lines pass
/// a few megabytes, the lines of every open task with a kilobyte or more of
/// them are packed (LZ4 with a shared dictionary, several times smaller on
/// real logs), and unpacked when their task is handed back.
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
    /// By task UUID, looked up for every line: with foldhash, seeded at
    /// random as std's SipHash is, and faster on UUIDs.
    open: HashMap<TaskUuid, Task>,
    /// The UUIDs of the tasks handed back complete.
    completed: HashSet<TaskUuid>,
    next_seq: u64,
    only: Option<HashSet<Box<str>>>,
    shapes: Shapes,
    dictionary: Dictionary,
    /// The bytes of the open tasks' texts that are not packed.
    plain_bytes: usize,
    /// When `plain_bytes` passes this, the open tasks are packed.
    sweep_at: usize,
}

/// How many bytes of the open tasks' texts are kept plain before the parser
/// starts packing: tasks in flight on a busy server fit, and complete
/// without ever being packed.
const PLAIN_BUDGET: usize = 4 << 20;

/// The least plain text of a task packed into a block: the plain text held
/// is at most this much per open task; a smaller block packs less well
/// (LZ4 finds a task's UUID and what the dictionary lacks within a block).
const MIN_BLOCK: usize = 1 << 10;

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
        self.add_with(task_uuid.as_str(), |_, _| message)
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
        self.add_with(&task_uuid, |shared, shapes| {
            header.into_message(text, shared, shapes)
        })
    }

    /// Adds the message `make` builds, given the UUID of its open task to
    /// share if there is one, and the parser's shapes.
    fn add_with(
        &mut self,
        task_uuid: &str,
        make: impl FnOnce(Option<TaskUuid>, &mut Shapes) -> WrittenMessage,
    ) -> Result<Option<Task>, Problem> {
        if !self.wanted(task_uuid) {
            return Ok(None);
        }
        let Some(task) = self.open.get_mut(task_uuid) else {
            let message = make(None, &mut self.shapes);
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
        let before = task.plain_bytes();
        task.add(make(
            Some(task.shared_task_uuid().clone()),
            &mut self.shapes,
        ))?;
        self.plain_bytes += task.plain_bytes() - before;
        if !task.is_complete() {
            self.sweep_if_due();
            return Ok(None);
        }
        let Some((task_uuid, mut task)) = self.open.remove_entry(task_uuid) else {
            return Ok(None); // Found above.
        };
        self.plain_bytes -= task.plain_bytes();
        self.completed.insert(task_uuid);
        task.finish_building();
        task.unpack();
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
        self.plain_bytes += task.plain_bytes();
        self.open.insert(task.shared_task_uuid().clone(), task);
        self.sweep_if_due();
        Ok(None)
    }

    /// Packs every open task that has enough plain text
    /// ([`Task::worth_packing`]) once the open tasks' plain text passes the
    /// budget. Tasks that stopped receiving lines are packed too, which
    /// packing a task as it grows would miss. The next sweep comes when the
    /// plain text has doubled from what this one left (or reaches the
    /// budget): tasks too small to pack cost a number of sweeps logarithmic
    /// in their number, not one per line.
    fn sweep_if_due(&mut self) {
        if self.plain_bytes <= self.sweep_at.max(PLAIN_BUDGET) {
            return;
        }
        for task in self.open.values_mut() {
            if task.worth_packing(MIN_BLOCK) {
                self.plain_bytes -= task.pack(&mut self.dictionary);
            }
        }
        self.sweep_at = 2 * self.plain_bytes;
    }

    /// How many tasks are open: started but not complete.
    pub fn open_tasks(&self) -> usize {
        self.open.len()
    }

    /// Ends the parse: the tasks that never completed, in the order their
    /// first lines were read.
    pub fn finish(self) -> Vec<Task> {
        let mut tasks = self.finish_packed();
        for task in &mut tasks {
            task.unpack();
        }
        tasks
    }

    /// [`finish`](Parser::finish) without unpacking the tasks: each is to be
    /// unpacked ([`Task::unpack`]) when it is handed back, so that they are
    /// not all unpacked at once.
    pub(crate) fn finish_packed(self) -> Vec<Task> {
        let mut tasks: Vec<Task> = self.open.into_values().collect();
        tasks.sort_by_key(|task| task.seq);
        for task in &mut tasks {
            task.finish_building();
        }
        tasks
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{PLAIN_BUDGET, Parser};
    use crate::{Event, Location, ParsedLog};

    #[test]
    fn tasks_packed_while_open_come_back_with_every_line_as_it_was() {
        // 600 tasks of 100 lines each, interleaved: twice the budget and more,
        // so that the tasks are packed as they grow. Half of them complete
        // at the very end (unpacked when handed back), half never do
        // (unpacked one by one at the end of the input).
        let tasks = 600;
        let mut written: HashMap<String, Vec<String>> = HashMap::new();
        let mut log = String::new();
        for slot in 1..=100 {
            for task in 0..tasks {
                let uuid = format!("{task:08}-0766-473f-81f4-004b40ac0276");
                let line = if slot == 1 {
                    format!(
                        r#"{{"path":"/api/v1/users/{task}","action_status":"started","timestamp":1.{slot},"task_uuid":"{uuid}","action_type":"app:request","task_level":[1]}}"#
                    )
                } else {
                    format!(
                        r#"{{"n":{slot},"text":"caf\u00e9 ☕ line {slot} of task {task}","timestamp":1.{slot},"task_uuid":"{uuid}","task_level":[{slot}],"message_type":"app:step"}}"#
                    )
                };
                log += &line;
                log.push('\n');
                written.entry(uuid).or_default().push(line);
            }
        }
        assert!(log.len() > 2 * PLAIN_BUDGET);
        for task in (0..tasks).step_by(2) {
            let uuid = format!("{task:08}-0766-473f-81f4-004b40ac0276");
            let line = format!(
                r#"{{"action_status":"succeeded","timestamp":2.0,"task_uuid":"{uuid}","action_type":"app:request","task_level":[101]}}"#
            );
            log += &line;
            log.push('\n');
            written.get_mut(&uuid).unwrap().push(line);
        }
        let mut parser = Parser::new();
        let mut parsed = ParsedLog::default();
        let at = Location {
            source: "log".into(),
            line: 1,
        };
        for line in log.lines() {
            parser.add_line(line.as_bytes(), &at, |event| match event {
                Event::Task(task) => parsed.tasks.push(task),
                Event::Malformed(bad) => parsed.malformed.push(bad),
            });
        }
        assert!(
            parser.plain_bytes < log.len() / 3,
            "the open tasks were packed"
        );
        parsed.tasks.extend(parser.finish());
        assert!(parsed.malformed.is_empty(), "{:?}", parsed.malformed[0]);
        assert_eq!(parsed.tasks.len(), tasks);
        let complete = parsed.tasks.iter().filter(|t| t.is_complete()).count();
        assert_eq!(complete, tasks / 2);
        for task in &parsed.tasks {
            let read: Vec<&str> = task.messages().map(|m| m.as_json()).collect();
            assert_eq!(read, written[task.task_uuid()], "{}", task.task_uuid());
        }
    }
}
