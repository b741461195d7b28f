//! Stress: hundreds of concurrent tasks, each a random tree that mixes
//! Eliot actions with `tracing` spans and events at random: `#[inline_actions]`
//! functions, `#[tracing::instrument]` functions stacked with them in either
//! order, futures instrumented with `Instrument` (holding Eliot actions
//! across awaits inside the span, or not), synchronous `info_span!` scopes
//! with actions and events inside, `tracing` events and Eliot messages;
//! with random yields, sleeps, spawns (`tokio::spawn`, `eliot_tokio::spawn`),
//! concurrent children (`join!`) and cancelled subtrees (`timeout`), on a
//! multi-threaded runtime and then on a current-thread one.
//!
//! Every action (an Eliot action or a span's) has a `path` field naming it
//! and a `parent` field naming the action it must start in; every message
//! (an Eliot message or a `tracing` event) names the action it must be
//! logged in as `expected`. The test parses the log back and checks each
//! one's place, that every task is complete, that only cancelled subtrees
//! failed, that no message was lost and that no guard was reported misused.
//!
//! `ELIOT_STRESS_SEED=<n>` replays a run.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::stress::{Rng, seed};

use crate::support::tracing_layer::{Line, captured, kind, level, status};
use eliot::{context_misuse_count, inline_actions, log_message, start_action, start_task};
use tracing::Instrument;

const TASKS: u64 = 300;
const MAX_DEPTH: u32 = 4;

/// Messages and events the nodes logged, counted right after each.
static LOGGED: AtomicU64 = AtomicU64::new(0);

/// A message in the action named `path`: an Eliot message or a `tracing`
/// event, at random.
fn note(rng: &mut Rng, path: &str) {
    if rng.below(2) == 0 {
        log_message!("stress:msg", expected = path);
    } else {
        tracing::info!(target: "stress", expected = path, "note");
    }
    LOGGED.fetch_add(1, Ordering::Relaxed);
}

type Node = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One node of a tree: an action named `path`, started in `parent`, of a
/// shape picked at random.
#[inline_actions]
fn node(mut rng: Rng, path: String, parent: String, depth: u32) -> Node {
    Box::pin(async move {
        match rng.below(5) {
            0 => {
                let _action = start_action!("stress:node", path = path, parent = parent);
                body(rng, path, depth).await;
            }
            1 => instrumented_above(rng, path, parent, depth).await,
            2 => instrumented_below(rng, path, parent, depth).await,
            3 => {
                // A plain future instrumented with a span.
                let span = tracing::info_span!(
                    target: "stress",
                    "span",
                    path = path.as_str(),
                    parent = parent.as_str()
                );
                body(rng, path, depth).instrument(span).await;
            }
            _ => {
                // A plain future instrumented with a span, holding an Eliot
                // action across its awaits inside the span.
                let span = tracing::info_span!(
                    target: "stress",
                    "holder",
                    path = format!("{path}h"),
                    parent = parent.as_str()
                );
                async {
                    let _action =
                        start_action!("stress:node", path = path, parent = format!("{path}h"));
                    body(rng, path.clone(), depth).await;
                }
                .instrument(span)
                .await;
            }
        }
    })
}

#[tracing::instrument(target = "stress", name = "fn", skip_all, fields(path = path.as_str(), parent = parent.as_str()))]
#[inline_actions]
async fn instrumented_above(rng: Rng, path: String, parent: String, depth: u32) {
    body(rng, path, depth).await;
}

#[inline_actions]
#[tracing::instrument(target = "stress", name = "fn", skip_all, fields(path = path.as_str(), parent = parent.as_str()))]
async fn instrumented_below(rng: Rng, path: String, parent: String, depth: u32) {
    body(rng, path, depth).await;
}

/// What runs inside the action named `path`.
async fn body(mut rng: Rng, path: String, depth: u32) {
    note(&mut rng, &path);
    let operations = 1 + rng.below(6);
    for op in 0..operations {
        // Deeper nodes branch less, so trees stay a few dozen nodes.
        let may_branch = depth < MAX_DEPTH && rng.below(u64::from(depth)) == 0;
        match rng.below(if may_branch { 10 } else { 4 }) {
            0 => {}
            1 => tokio::task::yield_now().await,
            2 => tokio::time::sleep(Duration::from_micros(rng.below(800))).await,
            3 => scope(&mut rng, &path, op),
            // A spawned task outlives a cancelled parent and would end
            // after it: inside a cancellable subtree, no spawns.
            4 if !path.contains('~') => {
                let child = format!("{path}/{op}");
                tokio::spawn(node(rng.fork(), child, path.clone(), depth + 1))
                    .await
                    .unwrap();
            }
            5 if !path.contains('~') => {
                let child = format!("{path}/{op}");
                let future = node(rng.fork(), child, path.clone(), depth + 1);
                eliot_tokio::spawn(future).await.unwrap();
            }
            4..=6 => {
                let child = format!("{path}/{op}");
                node(rng.fork(), child, path.clone(), depth + 1).await;
            }
            7 => {
                let a = node(rng.fork(), format!("{path}/{op}a"), path.clone(), depth + 1);
                let b = node(rng.fork(), format!("{path}/{op}b"), path.clone(), depth + 1);
                tokio::join!(a, b);
            }
            _ => {
                // A subtree that may be cancelled anywhere: its actions and
                // spans then end as failed, "cancelled". `~` marks the paths.
                let child = format!("{path}/{op}~");
                let limit = Duration::from_micros(rng.below(1_500));
                let _ =
                    tokio::time::timeout(limit, node(rng.fork(), child, path.clone(), depth + 1))
                        .await;
            }
        }
        note(&mut rng, &path);
    }
}

/// A synchronous span scope with an event, an Eliot action and messages
/// inside.
fn scope(rng: &mut Rng, path: &str, op: u64) {
    let scope_path = format!("{path}/s{op}");
    let span = tracing::info_span!(
        target: "stress",
        "scope",
        path = scope_path.as_str(),
        parent = path
    );
    span.in_scope(|| {
        note(rng, &scope_path);
        let action_path = format!("{scope_path}a");
        let _action = start_action!(
            "stress:sync",
            path = action_path.as_str(),
            parent = scope_path.as_str()
        );
        note(rng, &action_path);
    });
}

#[inline_actions]
async fn task(id: u64, seed: u64) -> String {
    let path = format!("t{id}");
    let root = start_task!("stress:task", path = path.as_str());
    node(Rng(seed), format!("{path}/n"), path.clone(), 1).await;
    root.task_uuid().to_owned()
}

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
        assert!(
            eliot::current_action().is_none(),
            "nothing leaked into block_on"
        );
        uuids
    })
}

/// Checks every line of the given tasks; returns how many messages were
/// seen and how many actions failed as cancelled.
fn check(lines: &[Line], uuids: &[String]) -> (u64, u64) {
    let ours: BTreeSet<&str> = uuids.iter().map(String::as_str).collect();
    assert_eq!(ours.len(), uuids.len(), "every task has its own UUID");
    let mut by_task: HashMap<&str, Vec<&Line>> = HashMap::new();
    for line in lines {
        let uuid = line["task_uuid"].as_str().unwrap();
        if ours.contains(uuid) {
            by_task.entry(uuid).or_default().push(line);
        }
    }
    assert_eq!(by_task.len(), uuids.len(), "every task logged");
    let (mut notes, mut cancelled) = (0, 0);
    for (uuid, lines) in &by_task {
        let mut owned: Vec<Line> = lines.iter().map(|l| (*l).clone()).collect();
        owned.sort_by_key(level);
        crate::support::tracing_layer::assert_complete(&owned);
        let starts: HashMap<Vec<u64>, &Line> = lines
            .iter()
            .filter(|l| status(l) == Some("started"))
            .map(|l| {
                let own = level(l);
                (own[..own.len() - 1].to_vec(), *l)
            })
            .collect();
        let path_of = |own: &[u64]| -> &str {
            let start = starts
                .get(own)
                .unwrap_or_else(|| panic!("task {uuid}: no action at {own:?}"));
            start["path"].as_str().unwrap()
        };
        let explain = || crate::support::tracing_layer::render(&owned);
        for line in lines {
            let l = level(line);
            let containing = &l[..l.len() - 1];
            match status(line) {
                None => {
                    notes += 1;
                    assert_eq!(
                        path_of(containing),
                        line["expected"].as_str().unwrap(),
                        "task {uuid}: `{}` at {l:?} is in the wrong action\n{}",
                        kind(line),
                        explain()
                    );
                }
                Some("started") if l.len() == 1 => {
                    assert_eq!(kind(line), "stress:task");
                }
                Some("started") => {
                    let parent = &containing[..containing.len() - 1];
                    assert_eq!(
                        path_of(parent),
                        line["parent"].as_str().unwrap(),
                        "task {uuid}: `{}` {} at {l:?} is under the wrong action\n{}",
                        kind(line),
                        line["path"],
                        explain()
                    );
                }
                Some("succeeded") => {}
                Some(failed) => {
                    assert_eq!(failed, "failed");
                    let path = path_of(containing);
                    assert!(path.contains('~'), "task {uuid}: {path} failed: {line:?}");
                    assert_eq!(line["exception"], "cancelled", "{line:?}");
                    cancelled += 1;
                }
            }
        }
    }
    (notes, cancelled)
}

#[test]
fn random_trees_of_spans_and_actions_log_every_item_in_its_place() {
    let seed = seed();
    eprintln!("stress seed: {seed} (replay with ELIOT_STRESS_SEED={seed})");
    captured();
    let misused = context_misuse_count();
    let runtimes = [
        ("multi-thread", crate::support::tracing_layer::runtime(4)),
        (
            "current-thread",
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        ),
    ];
    for (name, runtime) in &runtimes {
        LOGGED.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let uuids = run(runtime, seed);
        let elapsed = started.elapsed();
        let lines = std::mem::take(&mut *captured().lock().unwrap());
        let (notes, cancelled) = check(&lines, &uuids);
        assert_eq!(
            notes,
            LOGGED.load(Ordering::Relaxed),
            "{name}: messages were lost"
        );
        let spans = lines
            .iter()
            .filter(|l| kind(l).starts_with("stress:") && kind(l) != "stress:node")
            .filter(|l| status(l) == Some("started"))
            .count();
        eprintln!(
            "{name}: {TASKS} tasks, {} lines, {spans} span or sync actions, {notes} messages, {cancelled} cancelled, in {elapsed:?}",
            lines.len()
        );
        assert!(cancelled > 0, "{name}: some subtrees were cancelled");
    }
    assert_eq!(context_misuse_count(), misused, "no guard was misused");
}
