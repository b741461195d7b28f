//! MemoryLogger without the attribute: what it captures, from which threads
//! and futures, and what `validate` reports.

use std::sync::{Arc, Barrier};

use eliot::testing::{LoggedAction, MemoryLogger};
use eliot::{
    FutureContextExt, continue_task, fields, log_message, preserve_context, start_action,
    start_task, write_traceback,
};

#[test]
fn loggers_in_parallel_threads_capture_only_their_own_thread() {
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let logger = MemoryLogger::new();
                barrier.wait();
                logger.run(|| {
                    for i in 0..200 {
                        let _a = start_action!("t:mem:parallel", thread = n, i = i);
                        log_message!("t:mem:inside", thread = n);
                    }
                });
                logger
            })
        })
        .collect();
    for (n, handle) in handles.into_iter().enumerate() {
        let logger = handle.join().unwrap();
        let messages = logger.messages();
        assert_eq!(messages.len(), 600);
        // Starts and inner messages name their thread; ends do not.
        let threads: Vec<&serde_json::Value> =
            messages.iter().filter_map(|m| m.get("thread")).collect();
        assert_eq!(threads.len(), 400);
        assert!(
            threads.iter().all(|t| **t == n),
            "thread {n} saw another's messages"
        );
        logger.validate().unwrap();
    }
}

#[test]
fn nothing_is_captured_outside_the_scope() {
    let logger = MemoryLogger::new();
    log_message!("t:mem:outside_before");
    logger.run(|| log_message!("t:mem:inside_scope"));
    log_message!("t:mem:outside_after");
    let types: Vec<_> = logger
        .messages()
        .iter()
        .map(|m| m["message_type"].clone())
        .collect();
    assert_eq!(types, ["t:mem:inside_scope"]);
}

#[test]
fn actions_carry_the_logger_into_threads_and_futures() {
    let logger = MemoryLogger::new();
    let job = logger.run(|| start_action!("t:mem:job").into_action());
    // Outside the scope, the action still writes to the logger.
    job.log("t:mem:direct", fields!());
    std::thread::spawn(job.run(|| preserve_context(|| log_message!("t:mem:thread"))))
        .join()
        .unwrap();
    let future = async { log_message!("t:mem:future") }.in_action(&job);
    let runtime = crate::support::capture::runtime(2);
    runtime.block_on(async { tokio::spawn(future).await.unwrap() });
    job.finish().unwrap();
    let job = &LoggedAction::of_type(&logger, "t:mem:job")[0];
    assert_eq!(
        job.type_tree(),
        serde_json::json!({"t:mem:job": ["t:mem:direct", "t:mem:thread", "t:mem:future"]})
    );
    logger.validate().unwrap();
}

#[test]
fn futures_wrapped_with_capturing_are_captured_wherever_they_are_polled() {
    let logger = MemoryLogger::new();
    let runtime = crate::support::capture::runtime(2);
    runtime.block_on(async {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                tokio::spawn(logger.capturing(async move {
                    log_message!("t:mem:spawned", i = i);
                    tokio::task::yield_now().await;
                    log_message!("t:mem:spawned", i = i);
                }))
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(logger.messages().len(), 20);
    assert_eq!(
        logger.tasks().len(),
        20,
        "messages outside actions are tasks of their own"
    );
}

#[test]
fn validate_lists_every_problem() {
    struct Broken;
    impl serde::Serialize for Broken {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no way"))
        }
    }
    let logger = MemoryLogger::new();
    logger.run(|| {
        let open = start_task!("t:mem:open").into_action();
        open.child("t:mem:open_child", fields!()).finish().unwrap();
        std::mem::forget(open);
        log_message!("t:mem:nested", deep = vec![serde_json::json!(1)], ok = 1);
        let _bad = start_action!("t:mem:bad", payload = Broken);
        write_traceback(&std::io::Error::other("disk on fire"));
    });
    let error = logger.validate().unwrap_err();
    let problems = error.problems();
    assert_eq!(problems.len(), 3, "{error}");
    assert!(
        problems[0].starts_with("unserializable field in t:mem:bad: payload (a "),
        "{error}"
    );
    assert!(problems[0].ends_with("): no way"), "{error}");
    assert!(
        problems[1].starts_with("unflushed traceback: std::io::error::Error: disk on fire"),
        "{error}"
    );
    assert!(
        problems[2].starts_with("unfinished action: t:mem:open started at "),
        "{error}"
    );
    assert!(problems[2].ends_with("/1 never finished"), "{error}");
    assert_eq!(logger.flush_tracebacks::<std::io::Error>().len(), 1);
    assert_eq!(logger.validate().unwrap_err().problems().len(), 2);
    logger.reset();
    logger.validate().unwrap();
}

#[test]
fn a_task_continued_from_elsewhere_validates() {
    // Its root action is in another process's log: a placeholder, not an
    // unfinished action.
    let logger = MemoryLogger::new();
    logger.run(|| {
        let remote = continue_task("0a4a8b70-b0a2-4b60-a4c1-1b7f3d0d2c55@/3").unwrap();
        log_message!("t:mem:remote_work");
        drop(remote);
    });
    logger.validate().unwrap();
    let tasks = logger.tasks();
    assert!(!tasks[0].is_complete());
    let root = tasks[0].root().as_action().unwrap();
    assert!(root.is_placeholder());
    assert_eq!(
        root.children()[0].as_action().unwrap().action_type(),
        Some("eliot:remote_task")
    );
}

#[test]
fn validate_reports_lines_that_have_no_place_of_their_own() {
    // The same task id continued twice (as by two processes given one id):
    // both actions claim the same places.
    let logger = MemoryLogger::new();
    logger.run(|| {
        for _ in 0..2 {
            continue_task("5d1c2f6e-6a8e-4b43-9d51-0f7c0c6a3b21@/2")
                .unwrap()
                .finish();
        }
    });
    assert_eq!(logger.messages().len(), 4);
    let error = logger.validate().unwrap_err();
    assert_eq!(
        error.problems(),
        [
            "unplaced line: the captured log, line 3: task 5d1c2f6e-6a8e-4b43-9d51-0f7c0c6a3b21 \
             already has a line at task_level /2/1; this one was left out",
            "unplaced line: the captured log, line 4: task 5d1c2f6e-6a8e-4b43-9d51-0f7c0c6a3b21 \
             already has a line at task_level /2/2; this one was left out",
        ],
        "{error}"
    );
}

#[test]
fn tracebacks_are_flushed_by_type_or_name() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        write_traceback(&"x".parse::<u8>().unwrap_err());
        write_traceback(&std::io::Error::other("gone"));
        let boxed: Box<dyn std::error::Error> = "custom".into();
        write_traceback(&*boxed);
    });
    assert_eq!(logger.traceback_messages().len(), 3);
    assert!(logger.flush_tracebacks::<std::fmt::Error>().is_empty());
    assert_eq!(
        logger.flush_tracebacks::<std::io::Error>()[0]["reason"],
        "gone"
    );
    assert_eq!(
        logger.flush_tracebacks_named("dyn core::error::Error")[0]["reason"],
        "custom"
    );
    assert_eq!(logger.traceback_messages().len(), 1);
    assert_eq!(
        logger.flush_tracebacks::<std::num::ParseIntError>().len(),
        1
    );
    logger.validate().unwrap();
}
