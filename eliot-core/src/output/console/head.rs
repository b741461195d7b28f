//! What the console reads from a message before drawing it: Eliot's own
//! fields (time, task, level, type, status) and the failure fields it shows
//! first.

use super::clock::Timestamp;
use super::scan::{FieldSpan, string_contents};

/// What a message is, as its head line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Message,
    Traceback,
    Started,
    Succeeded,
    Failed,
    /// An action message whose status is none of Eliot's three.
    OtherStatus,
    /// Neither `message_type` nor `action_type`.
    Unknown,
}

/// What a message's own fields say; `None` where a field is missing or is
/// not of its kind (it is then shown among the fields).
#[derive(Debug, Default)]
pub(super) struct Head<'a> {
    pub(super) timestamp: Option<(usize, Timestamp)>,
    pub(super) task_uuid: Option<(usize, &'a str)>,
    /// Its slots are in the `slots` given to [`Head::read`].
    pub(super) task_level: Option<usize>,
    pub(super) message_type: Option<usize>,
    pub(super) action_type: Option<usize>,
    pub(super) action_status: Option<usize>,
    pub(super) exception: Option<usize>,
    pub(super) reason: Option<usize>,
    pub(super) traceback: Option<usize>,
}

impl<'a> Head<'a> {
    pub(super) fn read(line: &'a str, fields: &[FieldSpan], slots: &mut Vec<u32>) -> Self {
        let mut head = Head::default();
        let bytes = line.as_bytes();
        for (i, field) in fields.iter().enumerate() {
            let Some(role) = Role::of(&bytes[field.key.clone()]) else {
                continue;
            };
            let value = &line[field.value.clone()];
            match role {
                Role::Timestamp => head.timestamp = Timestamp::parse(value).map(|t| (i, t)),
                Role::TaskUuid => head.task_uuid = string_contents(value).map(|uuid| (i, uuid)),
                Role::TaskLevel => head.task_level = parse_level(value, slots).then_some(i),
                Role::MessageType => head.message_type = Some(i),
                Role::ActionType => head.action_type = Some(i),
                Role::ActionStatus => head.action_status = Some(i),
                Role::Exception => head.exception = Some(i),
                Role::Reason => head.reason = Some(i),
                Role::Traceback => head.traceback = Some(i),
            }
        }
        head
    }

    pub(super) fn kind(&self, line: &str, fields: &[FieldSpan]) -> Kind {
        let string = |i: usize| string_contents(&line[fields[i].value.clone()]);
        if self.action_type.is_some() {
            match self.action_status.and_then(string) {
                Some("started") => Kind::Started,
                Some("succeeded") => Kind::Succeeded,
                Some("failed") => Kind::Failed,
                _ => Kind::OtherStatus,
            }
        } else if let Some(message_type) = self.message_type {
            match string(message_type) {
                Some("eliot:traceback") => Kind::Traceback,
                _ => Kind::Message,
            }
        } else {
            Kind::Unknown
        }
    }
}

/// The fields the console reads, rather than only prints.
#[derive(Debug, Clone, Copy)]
enum Role {
    Timestamp,
    TaskUuid,
    TaskLevel,
    MessageType,
    ActionType,
    ActionStatus,
    Exception,
    Reason,
    Traceback,
}

impl Role {
    /// The role of the field named `key` (as written, between its quotes).
    fn of(key: &[u8]) -> Option<Role> {
        // By length first: most keys are the user's, and are told apart
        // from all nine by one comparison.
        // Each name is compared in the arm that knows its length, as a
        // fixed-size array: a few word compares, no call.
        fn is<const N: usize>(key: &[u8], name: &[u8; N], role: Role) -> Option<Role> {
            (<&[u8; N]>::try_from(key).ok()? == name).then_some(role)
        }
        match key.len() {
            6 => is(key, b"reason", Role::Reason),
            9 => match key[..2] {
                [b't', b'i'] => is(key, b"timestamp", Role::Timestamp),
                [b't', b'a'] => is(key, b"task_uuid", Role::TaskUuid),
                [b't', _] => is(key, b"traceback", Role::Traceback),
                _ => is(key, b"exception", Role::Exception),
            },
            10 => is(key, b"task_level", Role::TaskLevel),
            11 => is(key, b"action_type", Role::ActionType),
            12 => is(key, b"message_type", Role::MessageType),
            13 => is(key, b"action_status", Role::ActionStatus),
            _ => None,
        }
    }
}

/// Reads `[1, 2, 3]` into `slots`; false unless it is a non-empty array
/// of integers.
fn parse_level(value: &str, slots: &mut Vec<u32>) -> bool {
    slots.clear();
    let Some(inner) = value
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    else {
        return false;
    };
    // Digit by digit: a level is short, and read for every message.
    let (mut slot, mut digits, mut ended) = (0u32, 0, false);
    for b in inner.bytes() {
        match b {
            b'0'..=b'9' if !ended => {
                let Some(next) = slot
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u32::from(b - b'0')))
                else {
                    return false;
                };
                slot = next;
                digits += 1;
            }
            b',' if digits > 0 => {
                slots.push(slot);
                (slot, digits, ended) = (0, 0, false);
            }
            b' ' | b'\t' | b'\n' | b'\r' => ended = digits > 0,
            _ => return false,
        }
    }
    if digits == 0 {
        return false;
    }
    slots.push(slot);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_arrays_of_integers() {
        let mut slots = Vec::new();
        assert!(parse_level("[3, 1]", &mut slots));
        assert_eq!(slots, [3, 1]);
        assert!(parse_level("[ 7 ,2,\t1 ]", &mut slots));
        assert_eq!(slots, [7, 2, 1]);
        for bad in [
            "[]",
            "3",
            "[1,x]",
            "\"[1]\"",
            "[-1]",
            "[1 2]",
            "[1,]",
            "[,1]",
            "[1.5]",
            "[99999999999]",
        ] {
            assert!(!parse_level(bad, &mut slots), "{bad}");
        }
    }
}
