//! A task carried across HTTP by `eliot::http`: a hyper client and server in
//! one process, on a multi-threaded runtime, many requests at once with
//! their polls interleaved; every line of every task is where it belongs.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::capture::runtime;
use crate::support::http_services::{http_client, serve};
use eliot::http::{TASK_ID_HEADER, continue_or_start, insert_current_task_id};
use eliot::tokio_integration::DeferredContextExt;
use eliot::{
    Message, add_destination, destination_fn, fields, log_message, remove_destination,
    start_action, start_task,
};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

/// The service: continues the caller's task, logs a step, runs an inner
/// action across awaits, logs another step.
async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let delay: u64 = path.rsplit('/').next().unwrap().parse().unwrap_or(0) % 7;
    let action =
        continue_or_start(request.headers(), "svc:request", fields!(path = &path)).into_action();
    let _ = async {
        log_message!("svc:step", n = 1);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let inner = start_action!("svc:inner").into_action();
        async {
            tokio::task::yield_now().await;
            log_message!("svc:inner:note");
            tokio::time::sleep(Duration::from_millis(7 - delay)).await;
            Ok::<_, std::io::Error>(())
        }
        .finishing_action(inner)
        .await?;
        log_message!("svc:step", n = 2);
        Ok::<_, std::io::Error>(())
    }
    .finishing_action(action)
    .await;
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

/// Everything logged while `f` runs (by any test of this file: callers
/// filter by task).
fn collect() -> (Arc<Mutex<Vec<Message>>>, Arc<dyn eliot::Destination>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let destination = add_destination(destination_fn(move |m: &Message| {
        sink.lock().unwrap().push(m.clone())
    }));
    (lines, destination)
}

/// (type, status or "", level) of each line, by task.
fn by_task(lines: &[Message]) -> HashMap<String, BTreeSet<(String, String, Vec<u64>)>> {
    let mut tasks: HashMap<String, BTreeSet<_>> = HashMap::new();
    for line in lines {
        let fields = line.to_map().unwrap();
        let kind = fields
            .get("action_type")
            .or(fields.get("message_type"))
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        let status = fields
            .get("action_status")
            .map_or("", |s| s.as_str().unwrap())
            .to_owned();
        let level = fields["task_level"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        let fresh = tasks
            .entry(fields["task_uuid"].as_str().unwrap().to_owned())
            .or_default()
            .insert((kind, status, level));
        assert!(fresh, "a (task_uuid, task_level) written twice: {line:?}");
    }
    tasks
}

#[test]
fn each_request_continues_its_callers_task_at_the_exact_level() {
    let (lines, destination) = collect();
    let runtime = runtime(4);
    let uuids: Vec<String> = runtime.block_on(async {
        let address = serve(handle).await;
        let client = http_client();
        let calls = (0..40).map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let task = start_task!("client:task", i = i).into_action();
                let uuid = task.task_uuid().to_owned();
                async {
                    let call = start_action!("client:call").into_action();
                    async {
                        let mut request = Request::get(format!("http://{address}/work/{i}"))
                            .body(Empty::new())
                            .unwrap();
                        assert!(insert_current_task_id(request.headers_mut()).is_some());
                        let response = client.request(request).await?;
                        assert!(response.status().is_success());
                        response.into_body().collect().await.unwrap();
                        Ok::<_, hyper_util::client::legacy::Error>(())
                    }
                    .finishing_action(call)
                    .await
                }
                .finishing_action(task)
                .await
                .unwrap();
                uuid
            })
        });
        let mut uuids = Vec::new();
        for call in calls.collect::<Vec<_>>() {
            uuids.push(call.await.unwrap());
        }
        uuids
    });
    drop(runtime);
    remove_destination(&destination).unwrap();

    let tasks = by_task(&lines.lock().unwrap());
    let line = |kind: &str, status: &str, level: &[u64]| {
        (kind.to_owned(), status.to_owned(), level.to_vec())
    };
    let expected: BTreeSet<_> = [
        line("client:task", "started", &[1]),
        line("client:call", "started", &[2, 1]),
        // The service's action takes the slot the header handed out.
        line("svc:request", "started", &[2, 2, 1]),
        line("svc:step", "", &[2, 2, 2]),
        line("svc:inner", "started", &[2, 2, 3, 1]),
        line("svc:inner:note", "", &[2, 2, 3, 2]),
        line("svc:inner", "succeeded", &[2, 2, 3, 3]),
        line("svc:step", "", &[2, 2, 4]),
        line("svc:request", "succeeded", &[2, 2, 5]),
        line("client:call", "succeeded", &[2, 3]),
        line("client:task", "succeeded", &[3]),
    ]
    .into_iter()
    .collect();
    assert_eq!(uuids.len(), 40);
    for uuid in &uuids {
        assert_eq!(tasks.get(uuid), Some(&expected), "task {uuid}");
    }
}

#[test]
fn a_malformed_header_starts_a_new_task_that_says_what_was_wrong() {
    let (lines, destination) = collect();
    let runtime = runtime(2);
    runtime.block_on(async {
        let address = serve(handle).await;
        let client = http_client();
        let bad: [&[&str]; 3] = [
            &["not-a-task-id"],
            &["a@/1", "b@/1"],
            &["0a4a8b70-b0a2-4b60-a4c1-1b7f3d0d2c55@/0"],
        ];
        for (n, values) in bad.into_iter().enumerate() {
            let mut request = Request::get(format!("http://{address}/bad/{n}"));
            for value in values {
                request = request.header(TASK_ID_HEADER, *value);
            }
            let response = client.request(request.body(Empty::new()).unwrap()).await;
            assert!(
                response.unwrap().status().is_success(),
                "the request is served"
            );
        }
    });
    drop(runtime);
    remove_destination(&destination).unwrap();

    let lines: Vec<_> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|m| serde_json::Value::Object(m.to_map().unwrap()))
        .collect();
    let reasons = ["expected", "more than once", "positive integers"];
    for (n, reason) in reasons.into_iter().enumerate() {
        let start = lines
            .iter()
            .find(|l| l["action_type"] == "svc:request" && l["path"] == format!("/bad/{n}"))
            .unwrap();
        assert_eq!(start["task_level"], serde_json::json!([1]), "a new task");
        let note = lines
            .iter()
            .find(|l| {
                l["task_uuid"] == start["task_uuid"]
                    && l["message_type"] == "eliot:http:bad_task_id"
            })
            .unwrap_or_else(|| panic!("no bad_task_id note for /bad/{n}"));
        assert_eq!(note["task_level"], serde_json::json!([2]));
        assert_eq!(note["header"], "x-eliot-task-id");
        assert!(
            note["reason"].as_str().unwrap().contains(reason),
            "{note:?}"
        );
        assert!(!note["values"].as_array().unwrap().is_empty());
    }
}
