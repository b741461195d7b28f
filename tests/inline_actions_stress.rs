//! Stress: 1,000+ concurrent tasks, each a random tree of nested
//! `#[inline_actions]` calls with random yields, sleeps, spawns, concurrent
//! children (`join!`) and cancelled subtrees (`timeout`), on a multi-threaded
//! runtime and then on a current-thread one.
//!
//! Every node is an action whose `path` field names it (`t17/2/0a`); every
//! message carries the path of the action it must be logged in as
//! `expected`. The test parses the whole log back and checks that each
//! message and each action sits exactly where it should, that every task is
//! complete (every action ended, every slot used once), and that no message
//! was lost.
//!
//! `ELIOT_STRESS_SEED=<n>` replays a run; `ELIOT_STRESS_LOG=<file>` also
//! writes the tasks' lines to a file, for `scripts/interop/check_logs.py`.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::stress::{Rng, seed};

use crate::support::tasks::{Capture, Msg, kind, level, status};
use eliot::{current_action, inline_actions, log_message, start_action, start_task};

const TASKS: u64 = 1_000;
const MAX_DEPTH: u32 = 4;

/// Messages the nodes logged, counted right after each is logged.
static LOGGED: AtomicU64 = AtomicU64::new(0);

fn note(path: &str) {
    log_message!("stress:msg", expected = path);
    LOGGED.fetch_add(1, Ordering::Relaxed);
}

/// Checks, inside the body, that the node's own action is current.
fn assert_current(path: &str) {
    let action = current_action().expect("a node always runs inside its action");
    assert_eq!(action.action_type(), "stress:node", "at {path}");
}

type Node = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One node of a task's tree. Boxed by hand, because it recurses and is
/// spawned: the shape `#[async_trait]` also produces.
#[inline_actions]
fn node(mut rng: Rng, path: String, parent: String, depth: u32) -> Node {
    Box::pin(async move {
        let _action = start_action!("stress:node", path = path, parent = parent);
        note(&path);
        let operations = 1 + rng.below(6);
        for op in 0..operations {
            // Deeper nodes branch less, so trees stay a few dozen nodes.
            let may_branch = depth < MAX_DEPTH && rng.below(u64::from(depth)) == 0;
            match rng.below(if may_branch { 8 } else { 3 }) {
                0 => {}
                1 => tokio::task::yield_now().await,
                2 => tokio::time::sleep(Duration::from_micros(rng.below(800))).await,
                // A spawned task outlives a cancelled parent and would end
                // after it: inside a cancellable subtree, no spawns.
                5 if !path.contains('~') => {
                    // Called here, run as a task of its own on any worker.
                    let child = format!("{path}/{op}");
                    tokio::spawn(node(rng.fork(), child, path.clone(), depth + 1))
                        .await
                        .unwrap();
                }
                3..=5 => {
                    let child = format!("{path}/{op}");
                    node(rng.fork(), child, path.clone(), depth + 1).await;
                }
                6 => {
                    let a = node(rng.fork(), format!("{path}/{op}a"), path.clone(), depth + 1);
                    let b = node(rng.fork(), format!("{path}/{op}b"), path.clone(), depth + 1);
                    tokio::join!(a, b);
                }
                _ => {
                    // A subtree that may be cancelled anywhere: its actions
                    // then end as failed, "cancelled". `~` marks the paths.
                    let child = format!("{path}/{op}~");
                    let limit = Duration::from_micros(rng.below(1_500));
                    let _ = tokio::time::timeout(
                        limit,
                        node(rng.fork(), child, path.clone(), depth + 1),
                    )
                    .await;
                }
            }
            assert_current(&path);
            note(&path);
        }
    })
}

#[inline_actions]
async fn task(id: u64, seed: u64) -> String {
    let root = start_task!("stress:task", path = format!("t{id}"));
    let path = format!("t{id}");
    node(Rng(seed), format!("{path}/n"), path.clone(), 1).await;
    assert_eq!(current_action().unwrap().action_type(), "stress:task");
    root.task_uuid().to_owned()
}

/// Runs `TASKS` task trees at once; returns their task UUIDs.
fn run(runtime: &tokio::runtime::Runtime, seed: u64) -> Vec<String> {
    runtime.block_on(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|id| {
                let seed = Rng(seed ^ id.wrapping_mul(0x2545_f491_4f6c_dd1d)).next();
                tokio::spawn(task(id, seed))
            })
            .collect();
        let mut uuids = Vec::new();
        for handle in handles {
            uuids.push(handle.await.expect("no task panics"));
        }
        assert!(current_action().is_none(), "nothing leaked into block_on");
        uuids
    })
}

/// Checks every line of the given tasks; returns how many `stress:msg`
/// lines were seen.
fn check(messages: &[Msg], uuids: &[String]) -> u64 {
    let ours: BTreeSet<&str> = uuids.iter().map(String::as_str).collect();
    assert_eq!(ours.len(), uuids.len(), "every task has its own UUID");
    let mut by_task: HashMap<&str, Vec<&Msg>> = HashMap::new();
    for message in messages {
        let uuid = message["task_uuid"].as_str().unwrap();
        if ours.contains(uuid) {
            by_task.entry(uuid).or_default().push(message);
        }
    }
    assert_eq!(by_task.len(), uuids.len(), "every task logged");
    let mut notes = 0;
    for (uuid, lines) in &by_task {
        // Action starts by their own level, to find any line's parent.
        let starts: HashMap<Vec<u64>, &Msg> = lines
            .iter()
            .filter(|m| status(m) == Some("started"))
            .map(|m| {
                let l = level(m);
                (l[..l.len() - 1].to_vec(), *m)
            })
            .collect();
        let path_of = |own: &[u64]| -> String {
            let start = starts
                .get(own)
                .unwrap_or_else(|| panic!("task {uuid}: no action at {own:?}"));
            start["path"].as_str().unwrap().to_owned()
        };
        for message in lines {
            let l = level(message);
            let parent_level = &l[..l.len() - 1];
            match (kind(message), status(message)) {
                ("stress:msg", None) => {
                    notes += 1;
                    assert_eq!(
                        path_of(parent_level),
                        message["expected"].as_str().unwrap(),
                        "task {uuid}: message at {l:?} is in the wrong action"
                    );
                }
                ("stress:node", Some("started")) => {
                    let parent = &parent_level[..parent_level.len() - 1];
                    assert_eq!(
                        path_of(parent),
                        message["parent"].as_str().unwrap(),
                        "task {uuid}: action {} at {l:?} is under the wrong action",
                        message["path"]
                    );
                }
                ("stress:node", Some(end)) => {
                    let path = path_of(parent_level);
                    if end == "failed" {
                        assert!(
                            path.contains('~'),
                            "task {uuid}: {path} failed: {message:?}"
                        );
                        assert_eq!(message["exception"], "cancelled", "{message:?}");
                    } else {
                        assert_eq!(end, "succeeded");
                    }
                }
                ("stress:task", Some("started")) => assert_eq!(l, [1]),
                ("stress:task", Some(end)) => assert_eq!(end, "succeeded"),
                (other, _) => panic!("task {uuid}: unexpected line {other}: {message:?}"),
            }
        }
        let mut owned: Vec<Msg> = lines.iter().map(|m| (*m).clone()).collect();
        owned.sort_by_key(level);
        crate::support::tasks::Task { messages: owned }.assert_complete();
    }
    notes
}

#[test]
fn a_thousand_random_task_trees_log_every_message_in_its_place() {
    let seed = seed();
    eprintln!("stress seed: {seed} (replay with ELIOT_STRESS_SEED={seed})");
    let runtimes = [
        ("multi-thread", crate::support::tasks::runtime(4)),
        (
            "current-thread",
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        ),
    ];
    for (name, runtime) in &runtimes {
        let capture = Capture::start();
        LOGGED.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let uuids = run(runtime, seed);
        let elapsed = started.elapsed();
        let log = capture.finish();
        let notes = check(&log.messages, &uuids);
        assert_eq!(
            notes,
            LOGGED.load(Ordering::Relaxed),
            "{name}: messages were lost"
        );
        let ours: BTreeSet<String> = uuids.iter().cloned().collect();
        let lines = log.lines_of(&ours);
        let nodes = log
            .messages
            .iter()
            .filter(|m| kind(m) == "stress:node" && status(m) == Some("started"))
            .count();
        let cancelled = log
            .messages
            .iter()
            .filter(|m| kind(m) == "stress:node" && m.get("exception").is_some())
            .count();
        eprintln!(
            "{name}: {TASKS} tasks, {nodes} nodes ({cancelled} cancelled), {notes} messages, {} lines, in {elapsed:?}",
            lines.len()
        );
        assert!(
            nodes as u64 > TASKS,
            "{name}: trees have more than one node"
        );
        if let Ok(path) = std::env::var("ELIOT_STRESS_LOG") {
            let path = format!("{path}.{name}");
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            eprintln!("{name}: wrote {path}");
        }
    }
}
