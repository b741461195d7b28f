//! Tasks, actions and the rule that says when they are complete.
//!
//! A task is a tree: its root is an action (or, for a message logged outside
//! any action, that one message), and each action holds its start message,
//! its children (messages and actions, ordered by level) and its end
//! message. Lines may arrive in any order: an action that a line needs but
//! whose own lines were not seen yet is created as a *placeholder* (no start,
//! no end) and filled in when they arrive.
//!
//! Completeness follows Eliot's rule: an action is complete when it has its
//! start and its end, `(last slot of the end's level) - 2` children, and all
//! its child actions are complete. The count says that no line is missing
//! because every child sits strictly between the start's slot and the end's:
//! a line at or after its action's end is refused (a [`Problem::Conflict`]),
//! and so is an end when a child already sits at or after its slot. Each
//! action keeps a count of its complete child actions, so adding a line
//! re-checks only the actions on that line's path, never the whole tree.

use std::collections::BTreeMap;

use super::level::TaskLevel;
use super::message::{ActionStatus, WrittenMessage};
use super::packing::{Blocks, Dictionary, Text};
use super::problem::Problem;
use super::task_uuid::TaskUuid;

/// A task read from a log: the tree of one `task_uuid`.
///
/// ```
/// use eliot_parse::parse_log;
///
/// let log = r#"{"action_status":"started","timestamp":1.0,"task_uuid":"t1","action_type":"app:main","task_level":[1]}
/// {"n":1,"timestamp":1.5,"task_uuid":"t1","task_level":[2],"message_type":"app:note"}
/// {"action_status":"succeeded","timestamp":2.0,"task_uuid":"t1","action_type":"app:main","task_level":[3]}
/// "#;
/// let parsed = parse_log(log);
/// let task = &parsed.tasks[0];
/// assert!(task.is_complete());
/// let root = task.root().as_action().unwrap();
/// assert_eq!(root.action_type(), Some("app:main"));
/// assert_eq!(root.children()[0].as_message().unwrap().message_type(), Some("app:note"));
/// assert_eq!(root.duration(), Some(1.0));
/// ```
#[derive(Clone, Debug)]
pub struct Task {
    task_uuid: TaskUuid,
    root: Node,
    lines: usize,
    start_time: f64,
    end_time: f64,
    /// The order in which the parser first saw the task.
    pub(crate) seq: u64,
    /// The bytes of the messages' texts that are not packed.
    plain_bytes: usize,
    /// The packed texts; none in a task handed back.
    blocks: Blocks,
}

/// A node of a task's tree: an action or a message.
#[derive(Clone, Debug)]
pub enum Node {
    /// An action, possibly a placeholder. (Boxed: most nodes are messages,
    /// and an open task's memory is mostly its nodes.)
    Action(Box<WrittenAction>),
    /// A message logged in an action (or the whole of a one-message task).
    Message(WrittenMessage),
}

/// An action read from a log: its start and end messages, and what
/// happened in between.
#[derive(Clone, Debug)]
pub struct WrittenAction {
    task_level: TaskLevel,
    start: Option<WrittenMessage>,
    end: Option<WrittenMessage>,
    /// Sorted by slot; the last holds the highest slot of all children
    /// (`late` ones included), which the check of an end's slot relies on.
    children: Vec<Node>,
    /// Children that arrived after one with a higher slot, by slot, merged
    /// into `children` when the task is handed back: inserting each in place
    /// in `children` took time quadratic in the number of children for
    /// lines read out of order.
    late: BTreeMap<u32, Node>,
    child_actions: u32,
    complete_child_actions: u32,
}

impl Task {
    /// A task whose first line is `message`.
    pub(crate) fn start(message: WrittenMessage, seq: u64) -> Result<Task, Problem> {
        let task_uuid = message.shared_task_uuid().clone();
        let timestamp = message.timestamp();
        let plain_bytes = message.as_json().len();
        let level = message.task_level();
        let root = if level.as_slice() == [1] && message.message_type().is_some() {
            // A message logged outside any action is a task of its own.
            Node::Message(message)
        } else {
            let mut root = WrittenAction::placeholder(TaskLevel::default());
            root.insert(message)?;
            Node::Action(Box::new(root))
        };
        Ok(Task {
            task_uuid,
            root,
            lines: 1,
            start_time: timestamp,
            end_time: timestamp,
            seq,
            plain_bytes,
            blocks: Blocks::default(),
        })
    }

    /// Adds a later line of the task.
    pub(crate) fn add(&mut self, message: WrittenMessage) -> Result<(), Problem> {
        let timestamp = message.timestamp();
        let bytes = message.as_json().len();
        match &mut self.root {
            Node::Action(root) => root.insert(message)?,
            Node::Message(_) => {
                return Err(Problem::Conflict {
                    task_uuid: self.task_uuid.as_str().to_owned(),
                    level: message.task_level().clone(),
                    reason: "the task is a single message logged outside any action",
                });
            }
        }
        self.lines += 1;
        self.plain_bytes += bytes;
        self.start_time = self.start_time.min(timestamp);
        self.end_time = self.end_time.max(timestamp);
        Ok(())
    }

    /// Puts every action's children in slot order: see
    /// [`WrittenAction::finish_building`].
    pub(crate) fn finish_building(&mut self) {
        if let Node::Action(root) = &mut self.root {
            root.finish_building();
        }
    }

    /// The bytes of the messages' texts that are not packed.
    pub(crate) fn plain_bytes(&self) -> usize {
        self.plain_bytes
    }

    /// Whether the task has enough plain text to pack: a block of at least
    /// `min_block` bytes, and at least `BYTES_PER_LINE_WALKED` per line of
    /// the task, as packing walks the whole tree: a task that keeps growing
    /// costs a walk per so many bytes packed, never a walk per line.
    pub(crate) fn worth_packing(&self, min_block: usize) -> bool {
        const BYTES_PER_LINE_WALKED: usize = 8;
        self.plain_bytes >= min_block.max(BYTES_PER_LINE_WALKED * self.lines)
    }

    /// Packs the texts of the messages not packed yet into one block;
    /// returns how many bytes of plain text were packed.
    pub(crate) fn pack(&mut self, dictionary: &mut Dictionary) -> usize {
        let mut texts = Vec::with_capacity(self.lines);
        self.root.texts_mut(&mut texts);
        let packed = self.blocks.pack(texts, dictionary);
        self.plain_bytes -= packed;
        // A task is packed when it has been held a while; its lists of
        // children, grown by doubling, then hold up to twice the nodes
        // they need, and the nodes outweigh the packed text.
        self.root.shrink_to_fit();
        packed
    }

    /// Makes every message's text plain again (a task is handed back
    /// unpacked).
    pub(crate) fn unpack(&mut self) {
        if self.blocks.is_empty() {
            return;
        }
        let mut texts = Vec::with_capacity(self.lines);
        self.root.texts_mut(&mut texts);
        self.plain_bytes += self.blocks.unpack(texts);
    }

    /// The task's UUID.
    pub fn task_uuid(&self) -> &str {
        self.task_uuid.as_str()
    }

    pub(crate) fn shared_task_uuid(&self) -> &TaskUuid {
        &self.task_uuid
    }

    /// The root of the tree: the task's root action, or its only message.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Whether every line of the task has been read, by Eliot's rule.
    pub fn is_complete(&self) -> bool {
        match &self.root {
            Node::Action(action) => action.is_complete(),
            Node::Message(_) => true,
        }
    }

    /// How many messages the task holds.
    pub fn len(&self) -> usize {
        self.lines
    }

    /// Whether the task holds no message (never true for a parsed task).
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// The earliest timestamp of the task's messages.
    pub fn start_time(&self) -> f64 {
        self.start_time
    }

    /// The latest timestamp of the task's messages.
    pub fn end_time(&self) -> f64 {
        self.end_time
    }

    /// The action at `level` (an action's own level: `[]` for the root,
    /// `[3]` for the action whose start is at `[3, 1]`).
    pub fn action(&self, level: &[u32]) -> Option<&WrittenAction> {
        let mut action = self.root.as_action()?;
        for &slot in level {
            action = action.child_at(slot)?.as_action()?;
        }
        Some(action)
    }

    /// Every message of the task in tree order: an action's start, its
    /// children, then its end.
    pub fn messages(&self) -> impl Iterator<Item = &WrittenMessage> {
        let mut out = Vec::with_capacity(self.lines);
        self.root.each_message(&mut |message| out.push(message));
        out.into_iter()
    }

    /// Reads through the memory that holds the task's messages once, so
    /// that a walk of the task that comes next finds them in this core's
    /// cache. It changes nothing: it serves a thread about to walk a task
    /// that another thread built, whose messages would otherwise come from
    /// the other core one miss at a time, as the walk reaches each. Here
    /// the reads do not wait on one another, and the processor has many of
    /// them in flight at once.
    ///
    /// ```
    /// use eliot_parse::parse_log;
    ///
    /// let log = "{\"timestamp\":1.0,\"task_uuid\":\"t1\",\"task_level\":[1],\"message_type\":\"app:hello\"}\n";
    /// let mut parsed = parse_log(log);
    /// let task = std::thread::spawn(move || parsed.tasks.remove(0)).join().unwrap();
    /// task.warm_cache(); // Then draw it, search it...
    /// assert_eq!(task.messages().count(), 1);
    /// ```
    pub fn warm_cache(&self) {
        let mut read = 0;
        self.root
            .each_message(&mut |message| read ^= message.touch());
        std::hint::black_box(read);
    }

    /// Every action of the task in tree order, placeholders included.
    pub fn actions(&self) -> impl Iterator<Item = &WrittenAction> {
        let mut out = Vec::new();
        self.root.collect_actions(&mut out);
        out.into_iter()
    }
}

impl Node {
    /// The node's level: a message's own, or an action's (its start's level
    /// without the final `1`).
    pub fn task_level(&self) -> &TaskLevel {
        match self {
            Node::Action(action) => action.task_level(),
            Node::Message(message) => message.task_level(),
        }
    }

    /// The action, if this node is one.
    pub fn as_action(&self) -> Option<&WrittenAction> {
        match self {
            Node::Action(action) => Some(action),
            Node::Message(_) => None,
        }
    }

    /// The message, if this node is one.
    pub fn as_message(&self) -> Option<&WrittenMessage> {
        match self {
            Node::Message(message) => Some(message),
            Node::Action(_) => None,
        }
    }

    fn slot(&self) -> u32 {
        self.task_level().last().unwrap_or(0)
    }

    /// Calls `each` with every message of the subtree in tree order: an
    /// action's start, its children, then its end.
    fn each_message<'a>(&'a self, each: &mut impl FnMut(&'a WrittenMessage)) {
        match self {
            Node::Message(message) => each(message),
            Node::Action(action) => {
                action.start.iter().for_each(&mut *each);
                for child in &action.children {
                    child.each_message(each);
                }
                action.end.iter().for_each(each);
            }
        }
    }

    /// The text of every message in the subtree, late children included.
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Text>) {
        match self {
            Node::Message(message) => out.push(message.text_mut()),
            Node::Action(action) => {
                let action = &mut **action;
                out.extend(action.start.as_mut().map(WrittenMessage::text_mut));
                out.extend(action.end.as_mut().map(WrittenMessage::text_mut));
                for child in action.children.iter_mut().chain(action.late.values_mut()) {
                    child.texts_mut(out);
                }
            }
        }
    }

    /// Frees the spare capacity of every list of children in the subtree.
    fn shrink_to_fit(&mut self) {
        if let Node::Action(action) = self {
            action.children.shrink_to_fit();
            for child in &mut action.children {
                child.shrink_to_fit();
            }
        }
    }

    fn collect_actions<'a>(&'a self, out: &mut Vec<&'a WrittenAction>) {
        if let Node::Action(action) = self {
            out.push(action);
            for child in &action.children {
                child.collect_actions(out);
            }
        }
    }
}

impl WrittenAction {
    fn placeholder(task_level: TaskLevel) -> Self {
        WrittenAction {
            task_level,
            start: None,
            end: None,
            children: Vec::new(),
            late: BTreeMap::new(),
            child_actions: 0,
            complete_child_actions: 0,
        }
    }

    /// The action's level: its start message's level without the final `1`.
    pub fn task_level(&self) -> &TaskLevel {
        &self.task_level
    }

    /// The action's type, from its start message (or its end message when
    /// the start is missing); `None` for a placeholder.
    pub fn action_type(&self) -> Option<&str> {
        self.start
            .as_ref()
            .or(self.end.as_ref())
            .and_then(WrittenMessage::action_type)
    }

    /// `Succeeded` or `Failed` once the end was read, `Started` before;
    /// `None` for a placeholder.
    pub fn status(&self) -> Option<ActionStatus> {
        self.end
            .as_ref()
            .or(self.start.as_ref())
            .and_then(WrittenMessage::action_status)
    }

    /// The start message, if it was read.
    pub fn start_message(&self) -> Option<&WrittenMessage> {
        self.start.as_ref()
    }

    /// The end message, if it was read.
    pub fn end_message(&self) -> Option<&WrittenMessage> {
        self.end.as_ref()
    }

    /// The messages and actions logged in the action, ordered by level;
    /// the start and end messages are not among them.
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// The child at `slot` of this action (slot 1 is the start message,
    /// never a child).
    pub fn child_at(&self, slot: u32) -> Option<&Node> {
        match self.children.binary_search_by_key(&slot, Node::slot) {
            Ok(index) => Some(&self.children[index]),
            Err(_) => self.late.get(&slot),
        }
    }

    /// Where the child at `slot` is, if there is one.
    fn find(&self, slot: u32) -> Option<Place> {
        match self.children.binary_search_by_key(&slot, Node::slot) {
            Ok(index) => Some(Place::Sorted(index)),
            Err(_) => self.late.contains_key(&slot).then_some(Place::Late(slot)),
        }
    }

    fn child_mut(&mut self, place: Place) -> Option<&mut Node> {
        match place {
            Place::Sorted(index) => self.children.get_mut(index),
            Place::Late(slot) => self.late.get_mut(&slot),
        }
    }

    /// Adds a child at a slot that no child holds.
    fn push_child(&mut self, child: Node) -> Place {
        if self
            .children
            .last()
            .is_none_or(|last| last.slot() < child.slot())
        {
            self.children.push(child);
            Place::Sorted(self.children.len() - 1)
        } else {
            let slot = child.slot();
            self.late.insert(slot, child);
            Place::Late(slot)
        }
    }

    /// Takes back the child just added by `push_child`.
    fn pop_child(&mut self, place: Place) {
        match place {
            Place::Sorted(_) => {
                self.children.pop();
            }
            Place::Late(slot) => {
                self.late.remove(&slot);
            }
        }
    }

    /// Merges the late children into the sorted ones.
    fn merge_late(&mut self) {
        if self.late.is_empty() {
            return;
        }
        let early = std::mem::take(&mut self.children);
        let mut late = std::mem::take(&mut self.late).into_values().peekable();
        self.children.reserve(early.len() + late.len());
        for child in early {
            while let Some(before) = late.next_if(|l| l.slot() < child.slot()) {
                self.children.push(before);
            }
            self.children.push(child);
        }
        self.children.extend(late);
    }

    /// Puts every child in slot order, in the whole subtree: done when the
    /// task is handed back, so that [`children`](Self::children) is sorted.
    pub(crate) fn finish_building(&mut self) {
        self.merge_late();
        for child in &mut self.children {
            if let Node::Action(action) = child {
                action.finish_building();
            }
        }
    }

    /// When the action started, if its start was read.
    pub fn start_time(&self) -> Option<f64> {
        self.start.as_ref().map(WrittenMessage::timestamp)
    }

    /// When the action ended, if its end was read.
    pub fn end_time(&self) -> Option<f64> {
        self.end.as_ref().map(WrittenMessage::timestamp)
    }

    /// Seconds from start to end, when both were read.
    pub fn duration(&self) -> Option<f64> {
        Some(self.end_time()? - self.start_time()?)
    }

    /// Whether the action and everything in it has been read, by Eliot's
    /// rule.
    pub fn is_complete(&self) -> bool {
        // Every child sits strictly between slot 1 (the start) and the end's
        // slot, each in its own slot (`insert` refuses any other line), so
        // the count of children says whether one is missing.
        match (&self.start, self.end_slot()) {
            (Some(_), Some(end_slot)) => {
                self.children.len() + self.late.len() + 2 == end_slot as usize
                    && self.complete_child_actions == self.child_actions
            }
            _ => false,
        }
    }

    /// The last slot of the end message's level, once the end was read.
    fn end_slot(&self) -> Option<u32> {
        self.end
            .as_ref()
            .map(|end| end.task_level().last().unwrap_or(0))
    }

    /// Refuses a line for a child at `slot` when the action already ended
    /// at or before it.
    fn check_before_end(&self, slot: u32, message: &WrittenMessage) -> Result<(), Problem> {
        match self.end_slot() {
            Some(end_slot) if slot >= end_slot => Err(conflict(
                message,
                "the action's end message is at or before this slot",
            )),
            _ => Ok(()),
        }
    }

    /// Whether neither the start nor the end of this action was read: it is
    /// known only because lines inside it were.
    pub fn is_placeholder(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }

    /// Places `message` in the subtree of this action. The line belongs to
    /// the action at its level without the last slot (for a plain message,
    /// that is its parent); the slots past this action's own depth lead
    /// there.
    fn insert(&mut self, message: WrittenMessage) -> Result<(), Problem> {
        let level = message.task_level().as_slice();
        let depth = self.task_level.len();
        if depth + 1 < level.len() {
            let slot = level[depth];
            self.insert_below(slot, message)?;
        } else {
            self.insert_here(message)?;
        }
        Ok(())
    }

    /// Places `message` in the child action at `slot`, creating it as a
    /// placeholder if it is not known yet.
    fn insert_below(&mut self, slot: u32, message: WrittenMessage) -> Result<(), Problem> {
        if slot == 1 {
            return Err(conflict(
                &message,
                "slot 1 of an action is its start message, not a child action",
            ));
        }
        self.check_before_end(slot, &message)?;
        let (place, created) = match self.find(slot) {
            Some(place) => (place, false),
            None => {
                let mut level = self.task_level.as_slice().to_vec();
                level.push(slot);
                let place = self.push_child(Node::Action(Box::new(WrittenAction::placeholder(
                    level.into(),
                ))));
                self.child_actions += 1;
                (place, true)
            }
        };
        let Some(Node::Action(child)) = self.child_mut(place) else {
            return Err(conflict(
                &message,
                "a message holds the place of the action this line belongs to",
            ));
        };
        // A complete action has no free place left, so a line it accepts
        // can only complete it, never undo that.
        let was_complete = child.is_complete();
        if let Err(problem) = child.insert(message) {
            if created {
                self.pop_child(place);
                self.child_actions -= 1;
            }
            return Err(problem);
        }
        debug_assert!(!was_complete, "a complete action accepted a line");
        if child.is_complete() {
            self.complete_child_actions += 1;
        }
        Ok(())
    }

    /// Places `message` in this action: its start, its end, or a child
    /// message.
    fn insert_here(&mut self, message: WrittenMessage) -> Result<(), Problem> {
        match message.action_status() {
            Some(ActionStatus::Started) => place(&mut self.start, message),
            Some(_) => {
                if self.end.is_none() {
                    let end_slot = message.task_level().last().unwrap_or(0);
                    if self
                        .children
                        .last()
                        .is_some_and(|last| last.slot() >= end_slot)
                    {
                        return Err(conflict(
                            &message,
                            "a child of the action is at or after this end's slot",
                        ));
                    }
                }
                place(&mut self.end, message)
            }
            None => {
                let slot = message.task_level().last().unwrap_or(0);
                if slot == 1 {
                    return Err(conflict(
                        &message,
                        "slot 1 of an action is its start message, not a plain message",
                    ));
                }
                self.check_before_end(slot, &message)?;
                match self.child_at(slot) {
                    Some(Node::Action(_)) => {
                        Err(conflict(&message, "an action holds this message's place"))
                    }
                    Some(Node::Message(_)) => Err(duplicate(&message)),
                    None => {
                        self.push_child(Node::Message(message));
                        Ok(())
                    }
                }
            }
        }
    }
}

/// Where a child of an action is: at an index of its sorted children, or
/// at a slot among those that came late.
#[derive(Clone, Copy)]
enum Place {
    Sorted(usize),
    Late(u32),
}

fn place(slot: &mut Option<WrittenMessage>, message: WrittenMessage) -> Result<(), Problem> {
    if slot.is_some() {
        return Err(duplicate(&message));
    }
    *slot = Some(message);
    Ok(())
}

fn duplicate(message: &WrittenMessage) -> Problem {
    Problem::Duplicate {
        task_uuid: message.task_uuid().to_owned(),
        level: message.task_level().clone(),
    }
}

fn conflict(message: &WrittenMessage, reason: &'static str) -> Problem {
    Problem::Conflict {
        task_uuid: message.task_uuid().to_owned(),
        level: message.task_level().clone(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Problem, parse_log};

    fn message(slots: &str) -> String {
        format!(r#"{{"timestamp":1.0,"task_uuid":"t","task_level":[{slots}],"message_type":"m"}}"#)
    }

    fn action(slots: &str, status: &str) -> String {
        format!(
            r#"{{"action_status":"{status}","timestamp":1.0,"task_uuid":"t","task_level":[{slots}],"action_type":"a"}}"#
        )
    }

    #[test]
    fn children_read_in_any_order_are_handed_back_in_slot_order() {
        // 3,000 children of the root, read backwards, then a child action's
        // lines and repeats among the ones that came late: the late ones
        // are kept apart and merged, and must still be found.
        let n = 3000;
        let mut lines = vec![action("1", "started")];
        for slot in (3..=n + 1).rev() {
            lines.push(message(&slot.to_string()));
        }
        lines.push(message("100")); // A repeat of a late child.
        lines.push(message("2,2")); // Into a placeholder for slot 2, late.
        lines.push(message("2")); // Where that action is.
        lines.push(action("2,3", "succeeded"));
        lines.push(action("2,1", "started"));
        lines.push(action(&(n + 2).to_string(), "succeeded"));
        let parsed = parse_log(&lines.join("\n"));
        let problems: Vec<&Problem> = parsed.malformed.iter().map(|m| &m.problem).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(problems[0], Problem::Duplicate { .. }));
        assert!(matches!(problems[1], Problem::Conflict { .. }));
        let task = &parsed.tasks[0];
        assert!(task.is_complete());
        let root = task.root().as_action().unwrap();
        let slots: Vec<u32> = root
            .children()
            .iter()
            .map(|c| c.task_level().last().unwrap())
            .collect();
        assert_eq!(slots, (2..=n + 1).collect::<Vec<_>>());
        assert!(root.children()[0].as_action().unwrap().is_complete());
        assert_eq!(root.child_at(100).unwrap().task_level().as_slice(), [100]);
        assert_eq!(task.messages().count(), n as usize + 4);
    }
}
