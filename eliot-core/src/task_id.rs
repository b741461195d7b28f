//! Task ids that cross process boundaries: `"<task_uuid>@/2/3"`.
//!
//! [`Action::serialize_task_id`](crate::Action::serialize_task_id) hands out
//! the action's next child slot as a string; [`continue_task`](crate::continue_task)
//! in another process starts an `eliot:remote_task` action in that slot, so
//! both processes' logs join into one tree. The form is Python Eliot's own,
//! so Rust and Python services continue each other's tasks.

use std::fmt;

/// A parsed task id: the task's UUID and the level the remote action takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskId {
    task_uuid: String,
    level: Vec<u32>,
}

impl TaskId {
    /// Parses Eliot's serialized form, `"<task_uuid>@/<n>/<n>..."`.
    ///
    /// ```
    /// use eliot_core::TaskId;
    ///
    /// let id = TaskId::parse("0a4a8b70-b0a2-4b60-a4c1-1b7f3d0d2c55@/3/1").unwrap();
    /// assert_eq!(id.task_uuid(), "0a4a8b70-b0a2-4b60-a4c1-1b7f3d0d2c55");
    /// assert_eq!(id.level(), &[3, 1]);
    /// assert!(TaskId::parse("no-level-here").is_err());
    /// ```
    pub fn parse(task_id: &str) -> Result<Self, TaskIdError> {
        let err = |problem: &'static str| TaskIdError {
            task_id: task_id.to_owned(),
            problem,
        };
        let (task_uuid, level) = task_id
            .split_once('@')
            .ok_or_else(|| err("it has no '@' between the task UUID and the level"))?;
        if task_uuid.is_empty() {
            return Err(err("the task UUID before '@' is empty"));
        }
        if !task_uuid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(err(
                "the task UUID may hold only ASCII letters, digits and '-'",
            ));
        }
        let level = level
            .strip_prefix('/')
            .ok_or_else(|| err("the level after '@' must start with '/'"))?;
        let level = level
            .split('/')
            .map(|part| match part.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(err("the level must be positive integers separated by '/'")),
            })
            .collect::<Result<Vec<u32>, _>>()?;
        Ok(TaskId {
            task_uuid: task_uuid.to_owned(),
            level,
        })
    }

    pub(crate) fn new(task_uuid: &str, parent_level: &[u32], slot: u32) -> Self {
        let mut level = parent_level.to_vec();
        level.push(slot);
        TaskId {
            task_uuid: task_uuid.to_owned(),
            level,
        }
    }

    /// The UUID of the task being continued.
    pub fn task_uuid(&self) -> &str {
        &self.task_uuid
    }

    /// The level the continuing action takes in that task.
    pub fn level(&self) -> &[u32] {
        &self.level
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.task_uuid)?;
        f.write_str("@")?;
        for n in &self.level {
            write!(f, "/{n}")?;
        }
        Ok(())
    }
}

/// A string that is not a serialized task id.
///
/// ```
/// let error = eliot_core::TaskId::parse("abc@/0").unwrap_err();
/// assert!(error.to_string().contains("positive integers"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskIdError {
    task_id: String,
    problem: &'static str,
}

impl fmt::Display for TaskIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an Eliot task id (expected \"<task_uuid>@/1/2\"): {}",
            self.task_id, self.problem
        )
    }
}

impl std::error::Error for TaskIdError {}

#[cfg(test)]
mod tests {
    use super::TaskId;

    #[test]
    fn round_trips_eliots_form() {
        for id in ["0a4a8b70-b0a2-4b60-a4c1-1b7f3d0d2c55@/1", "x-1@/3/2/7"] {
            assert_eq!(TaskId::parse(id).unwrap().to_string(), id);
        }
    }

    #[test]
    fn refuses_malformed_ids_with_the_reason() {
        let cases = [
            ("", "no '@'"),
            ("uuid", "no '@'"),
            ("@/1", "empty"),
            ("a b@/1", "only ASCII"),
            ("uuid@1/2", "start with '/'"),
            ("uuid@/", "positive integers"),
            ("uuid@/1//2", "positive integers"),
            ("uuid@/0", "positive integers"),
            ("uuid@/-1", "positive integers"),
            ("uuid@/1/x", "positive integers"),
            ("uuid@/99999999999", "positive integers"),
            ("a@b@/1", "start with '/'"),
        ];
        for (id, problem) in cases {
            let error = TaskId::parse(id).expect_err(id).to_string();
            assert!(error.contains(problem), "{id:?}: {error}");
        }
    }
}
