//! The current action: guards nest, threads are carried by preserve_context,
//! futures by WithContext. Misused guards (out of order, on another thread,
//! across an await) are core_context_misuse.rs's.

// The futures here hold guards across awaits legitimately: they carry their own
// context (WithContext), and each test body is block_on'd on one thread.
#![allow(clippy::await_holding_invalid_type)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::support::capture::{capture, kind, level, parse_all};
use eliot::{
    FutureContextExt, WithContext, current_action, log_message, preserve_context, start_action,
    start_task,
};
use serde_json::{Map, Value};

// Compile-time guarantees: actions cross threads freely, and guards may be
// held across awaits inside futures that are spawned (#[inline_actions]).
const _: () = {
    const fn send<T: Send>() {}
    const fn sync<T: Sync>() {}
    send::<eliot::Action>();
    sync::<eliot::Action>();
    send::<eliot::ActionGuard>();
    send::<eliot::ContextGuard>();
    send::<WithContext<std::future::Ready<()>>>();
};

fn by_kind(lines: &[String]) -> HashMap<String, Vec<Map<String, Value>>> {
    let mut map: HashMap<String, Vec<Map<String, Value>>> = HashMap::new();
    for message in parse_all(lines) {
        map.entry(kind(&message).to_owned())
            .or_default()
            .push(message);
    }
    map
}

#[test]
fn guards_nest_and_restore_the_previous_action() {
    let ((), lines) = capture(|| {
        assert!(current_action().is_none());
        let outer = start_action!("t:outer");
        {
            let inner = start_action!("t:inner");
            assert_eq!(current_action().as_ref(), Some(inner.action()));
            log_message!("t:in_inner");
        }
        assert_eq!(current_action().as_ref(), Some(outer.action()));
        log_message!("t:in_outer");
        drop(outer);
        assert!(current_action().is_none());
    });
    let levels: Vec<Vec<u64>> = parse_all(&lines).iter().map(level).collect();
    assert_eq!(
        levels,
        [
            vec![1],
            vec![2, 1],
            vec![2, 2],
            vec![2, 3],
            vec![3],
            vec![4]
        ]
    );
}

#[test]
fn run_and_enter_make_an_action_current_without_finishing_it() {
    let ((), lines) = capture(|| {
        let action = start_action!("t:job").into_action();
        assert!(current_action().is_none(), "into_action leaves the context");
        action.run(|| log_message!("t:via_run"));
        {
            let _entered = action.enter();
            log_message!("t:via_enter");
        }
        assert!(!action.is_finished());
        action.finish().unwrap();
        assert!(action.finish().is_err(), "finishing twice is an error");
    });
    let levels: Vec<Vec<u64>> = parse_all(&lines).iter().map(level).collect();
    assert_eq!(levels, [vec![1], vec![2], vec![3], vec![4]]);
}

#[test]
fn preserve_context_carries_the_action_into_threads() {
    let ((), lines) = capture(|| {
        let action = start_action!("t:parent");
        let handles: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(preserve_context(move || {
                    let _child = start_action!("t:thread_child", i = i);
                    log_message!("t:thread_message", i = i);
                }))
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        drop(action);
    });
    let kinds = by_kind(&lines);
    let parent_uuid = &kinds["t:parent"][0]["task_uuid"];
    assert_eq!(kinds["t:thread_message"].len(), 4);
    for message in &kinds["t:thread_message"] {
        assert_eq!(&message["task_uuid"], parent_uuid);
        let level = level(message);
        assert_eq!(level.len(), 2, "inside a child of the parent: {level:?}");
        assert_eq!(level[1], 2);
    }
}

#[test]
fn a_thread_without_preserve_context_starts_new_tasks() {
    let _action = start_task!("t:not_inherited");
    let seen = std::thread::spawn(current_action).join().unwrap();
    assert!(seen.is_none());
}

/// Several tasks per worker, interleaving at every yield: each one's messages
/// land in its own action, whichever thread polls it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_context_futures_keep_their_action_across_awaits_and_threads() {
    let lines = Arc::new(crate::support::capture::Lines::default());
    let _route = eliot::__private::SavedContext::routed_to(lines.clone()).enter();
    let mut handles = Vec::new();
    for task in 0..64u32 {
        let _root = start_task!("t:request", task = task);
        let future = async move {
            for step in 0..20u32 {
                let _step = start_action!("t:step", task = task, step = step);
                for _ in 0..(task + step) % 3 {
                    tokio::task::yield_now().await;
                }
                log_message!("t:work", task = task, step = step);
                if step % 7 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        };
        handles.push(tokio::spawn(future.in_current_context()));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    drop(_route);
    let messages = parse_all(&lines.take());
    let mut step_levels: HashMap<(u64, u64), (Value, Vec<u64>)> = HashMap::new();
    let mut root_uuid: HashMap<u64, Value> = HashMap::new();
    for m in &messages {
        if kind(m) == "t:request" && m.get("task").is_some() {
            root_uuid.insert(m["task"].as_u64().unwrap(), m["task_uuid"].clone());
        }
        if kind(m) == "t:step" && m["action_status"] == "started" {
            let key = (m["task"].as_u64().unwrap(), m["step"].as_u64().unwrap());
            let mut level = level(m);
            level.pop();
            step_levels.insert(key, (m["task_uuid"].clone(), level));
        }
    }
    let mut checked = 0;
    for m in messages.iter().filter(|m| kind(m) == "t:work") {
        let key = (m["task"].as_u64().unwrap(), m["step"].as_u64().unwrap());
        let (uuid, action_level) = &step_levels[&key];
        assert_eq!(&m["task_uuid"], uuid, "{m:?}");
        assert_eq!(
            uuid, &root_uuid[&key.0],
            "steps are children of their request"
        );
        let level = level(m);
        assert_eq!(&level[..level.len() - 1], &action_level[..], "{m:?}");
        checked += 1;
    }
    assert_eq!(checked, 64 * 20);
    assert!(current_action().is_none());
}
