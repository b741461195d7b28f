//! Cross-language over HTTP: a Python client using the real `eliot` calls a
//! Rust service with its task id in `x-eliot-task-id`, and a Rust client
//! calls a Python service (`http.server`) the same way; the merged logs of
//! both languages form complete trees for `eliot.parse` and `eliot-tree`,
//! with each service's action exactly in the slot its caller handed out.
//!
//! The Python side is scripts/interop/http_client.py and http_service.py,
//! run with the interop virtualenv (target/interop-venv, created on first
//! use from scripts/interop/requirements.txt). One test in this file, so
//! the Rust log holds this test's lines alone.

mod support;

use crate::support::capture::{poll_until, runtime};
use crate::support::http_services::{http_client, serve};
use crate::support::python::{check_logs, fresh_run_dir, venv_python, workspace};
use eliot::tokio_integration::DeferredContextExt;

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use eliot::http::{continue_or_start, insert_current_task_id};
use eliot::{
    FileDestination, add_destination, fields, log_message, remove_destination, start_action,
    start_task,
};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::Value;

/// Waits for a child, bounded: a hung Python process fails the test
/// instead of hanging it.
fn wait_bounded(child: &mut Child, what: &str) {
    let mut status = None;
    if !poll_until(Duration::from_secs(30), || {
        status = child.try_wait().unwrap();
        status.is_some()
    }) {
        let _ = child.kill();
        panic!("{what} did not finish in 30 s");
    }
    let status = status.unwrap();
    assert!(status.success(), "{what} failed: {status}");
}

/// The Rust service: `GET /users/<name>`, continuing the caller's task.
async fn rust_service(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let action =
        continue_or_start(request.headers(), "rust:request", fields!(path = &path)).into_action();
    let name = path.rsplit('/').next().unwrap_or_default().to_owned();
    let found = async {
        let query = start_action!("rust:db:query", name = &name).into_action();
        async {
            tokio::time::sleep(Duration::from_millis(3)).await;
            if name == "mallory" {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such user",
                ));
            }
            log_message!("rust:db:row", name = &name);
            Ok(())
        }
        .finishing_action(query)
        .await
    }
    .finishing_action(action)
    .await;
    let status = if found.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let mut response = Response::new(Full::new(Bytes::from(format!("{name}: {status}"))));
    *response.status_mut() = status;
    Ok(response)
}

fn read_log(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn level(line: &Value) -> Vec<u64> {
    line["task_level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect()
}

/// Every `service` start line sits in a `caller` action's task, in the slot
/// right after the caller's start (`caller level + [2]`), one per caller.
fn assert_continued(caller: &[Value], service: &[Value], caller_type: &str, service_type: &str) {
    let calls: Vec<_> = caller
        .iter()
        .filter(|l| l["action_type"] == caller_type && l["action_status"] == "started")
        .collect();
    let continued: Vec<_> = service
        .iter()
        .filter(|l| l["action_type"] == service_type && l["action_status"] == "started")
        .collect();
    assert!(!calls.is_empty());
    assert_eq!(
        calls.len(),
        continued.len(),
        "one {service_type} per {caller_type}"
    );
    for call in calls {
        let mut expected = level(call);
        *expected.last_mut().unwrap() = 2;
        expected.push(1);
        let found = continued
            .iter()
            .any(|s| s["task_uuid"] == call["task_uuid"] && level(s) == expected);
        assert!(
            found,
            "no {service_type} at {expected:?} in task {}",
            call["task_uuid"]
        );
    }
}

/// Merges `logs` into `merged` and checks it with the Python tools.
fn check_merged(logs: &[&Path], merged: &Path) -> String {
    let mut text = String::new();
    for log in logs {
        text.push_str(&std::fs::read_to_string(log).unwrap());
    }
    std::fs::write(merged, &text).unwrap();
    check_logs(&[merged])
}

#[test]
fn python_and_rust_services_continue_each_others_tasks_over_http() {
    let python = venv_python();
    let dir = fresh_run_dir("services-python");
    let rust_log = dir.join("rust.log");
    let file = add_destination(FileDestination::create(&rust_log).unwrap());
    let runtime = runtime(2);

    // 1. A Python client calls the Rust service.
    let address = runtime.block_on(serve(rust_service));
    let client_log = dir.join("python-client.log");
    let mut client = Command::new(&python)
        .arg(workspace().join("scripts/interop/http_client.py"))
        .arg(address.to_string())
        .arg(&client_log)
        .args(["alice", "bob", "mallory"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_bounded(&mut client, "http_client.py");
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut client.stdout.take().unwrap(), &mut printed).unwrap();
    assert!(
        printed.contains("alice 200") && printed.contains("mallory 404"),
        "{printed}"
    );

    // 2. Rust clients call a Python service, concurrently.
    let service_log = dir.join("python-service.log");
    let mut service = Command::new(&python)
        .arg(workspace().join("scripts/interop/http_service.py"))
        .arg(&service_log)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(service.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let python_address = first.trim().strip_prefix("listening ").unwrap().to_owned();
    let statuses = runtime.block_on(async {
        let http = http_client();
        let calls = ["alice", "carol", "mallory"].map(|name| {
            let http = http.clone();
            let url = format!("http://{python_address}/users/{name}");
            tokio::spawn(async move {
                let task = start_task!("rust:client", name = name).into_action();
                async {
                    let call = start_action!("rust:call", url = &url).into_action();
                    async {
                        let mut request = Request::get(&url).body(Empty::new()).unwrap();
                        insert_current_task_id(request.headers_mut());
                        let response = http.request(request).await?;
                        let status = response.status();
                        response.into_body().collect().await.unwrap();
                        Ok::<_, hyper_util::client::legacy::Error>(status)
                    }
                    .finishing_action(call)
                    .await
                }
                .finishing_action(task)
                .await
                .unwrap()
            })
        });
        let mut statuses = Vec::new();
        for call in calls {
            statuses.push(call.await.unwrap().as_u16());
        }
        statuses
    });
    assert_eq!(statuses, [200, 200, 404]);
    drop(service.stdin.take());
    wait_bounded(&mut service, "http_service.py");
    drop(runtime);
    remove_destination(&file).unwrap();

    // The trees: Python's calls continue in Rust and Rust's in Python, each
    // exactly in the slot its caller handed out.
    let rust = read_log(&rust_log);
    let python_client = read_log(&client_log);
    let python_service = read_log(&service_log);
    assert_continued(&python_client, &rust, "py:call", "rust:request");
    assert_continued(&rust, &python_service, "rust:call", "py:request");
    // The failure on the far side is recorded there, with its reason.
    let failed = python_service
        .iter()
        .find(|l| l["action_type"] == "py:request" && l["action_status"] == "failed")
        .expect("mallory fails in Python");
    assert_eq!(failed["exception"], "builtins.LookupError");
    let failed = rust
        .iter()
        .find(|l| l["action_type"] == "rust:request" && l["action_status"] == "failed")
        .expect("mallory fails in Rust");
    assert_eq!(failed["reason"], "no such user");

    // One Python client task + three Rust client tasks, complete across both
    // languages' logs, for eliot.parse and eliot-tree.
    let report = check_merged(
        &[&rust_log, &client_log, &service_log],
        &dir.join("merged.log"),
    );
    eprintln!("{report}");
    assert!(report.contains("4 tasks, 4 complete"), "{report}");
}
