//! Task levels: slots are handed out atomically, so many threads logging
//! under one action never write the same (task_uuid, task_level) twice, and
//! the levels follow Eliot's rules.

use std::collections::HashSet;

use crate::support::capture::{capture, level, parse, parse_all};
use eliot::{continue_task, log_message, preserve_context, start_action};

#[test]
fn slots_follow_eliots_rules() {
    let ((), lines) = capture(|| {
        let action = start_action!("t:root"); // [1]
        log_message!("t:message"); // [2]
        let task_id = action.serialize_task_id(); // consumes [3]
        {
            let _child = start_action!("t:child"); // [4,1]
            log_message!("t:in_child"); // [4,2]
        } // [4,3]
        let remote = continue_task(&task_id).unwrap(); // [3,1]
        remote.finish(); // [3,2]
        drop(action); // [5]
    });
    let levels: Vec<Vec<u64>> = parse_all(&lines).iter().map(level).collect();
    assert_eq!(
        levels,
        [
            vec![1],
            vec![2],
            vec![4, 1],
            vec![4, 2],
            vec![4, 3],
            vec![3, 1],
            vec![3, 2],
            vec![5]
        ]
    );
}

#[test]
fn a_message_outside_any_action_is_a_task_of_its_own() {
    let ((), lines) = capture(|| {
        log_message!("t:alone");
        log_message!("t:alone");
    });
    let messages = parse_all(&lines);
    assert_eq!(level(&messages[0]), [1]);
    assert_eq!(level(&messages[1]), [1]);
    assert_ne!(messages[0]["task_uuid"], messages[1]["task_uuid"]);
}

#[test]
fn many_threads_logging_under_one_action_never_share_a_slot() {
    const THREADS: u32 = 8;
    const PER_THREAD: u32 = 20_000;
    let ((), lines) = capture(|| {
        let action = start_action!("t:shared");
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                std::thread::spawn(preserve_context(move || {
                    for i in 0..PER_THREAD {
                        match i % 100 {
                            0 => {
                                let _child = start_action!("t:child", t = t, i = i);
                                log_message!("t:in_child", t = t, i = i);
                            }
                            1 => {
                                let _ = eliot::current_action().unwrap().serialize_task_id();
                            }
                            _ => log_message!("t:msg", t = t, i = i),
                        }
                    }
                }))
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        drop(action);
    });

    let mut seen = HashSet::new();
    let mut top_slots = Vec::new();
    let uuid = parse(&lines[0])["task_uuid"].as_str().unwrap().to_owned();
    for line in &lines {
        let message = parse(line);
        assert_eq!(message["task_uuid"], uuid.as_str());
        let level = level(&message);
        assert!(
            seen.insert(level.clone()),
            "task_level {level:?} written twice"
        );
        if level.len() == 1 || level.last() == Some(&1) {
            top_slots.push(level[0]);
        }
    }
    // Every slot of the shared action was used exactly once: by its start, a
    // message, a child action, a serialized task id (the only slots with no
    // line), or its end.
    let children = (THREADS * PER_THREAD / 100) as usize;
    let serialized = children;
    let messages = (THREADS * PER_THREAD) as usize - children - serialized;
    assert_eq!(lines.len(), 2 + messages + 3 * children);
    top_slots.sort_unstable();
    let max = *top_slots.last().unwrap();
    assert_eq!(max as usize, 2 + messages + children + serialized);
    assert_eq!(top_slots.len(), 2 + messages + children);
}
