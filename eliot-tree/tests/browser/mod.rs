//! Headless Chromium for the report's tests, driven over WebDriver.
//!
//! Each test starts its own `chromedriver` (Debian's `chromium-driver`) on a
//! free loopback port, in a process group of its own, and a fresh Chromium
//! profile; dropping the [`Browser`] ends that group, Chromium included,
//! even when the test fails. Tests take turns: timings and screenshots are
//! not disturbed by another browser, and the machine is not overloaded.

#![allow(dead_code, unreachable_pub)]

pub mod examples;
pub mod model;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL: &str = "the HTML report's browser tests need Debian's chromium and chromium-driver: \
                       apt-get install -y chromium chromium-driver";

static TURN: Mutex<()> = Mutex::new(());

/// A headless Chromium with a page open.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
}

/// The chromedriver process, its Chromium and its profile, ended on drop.
struct Driver {
    process: Child,
    profile: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// Starts Chromium, with a window of `width` x `height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(Path::new(binary).exists(), "{binary} is missing: {INSTALL}");
        }
        // A failed test must not stop the others: a poisoned turn is still a turn.
        let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let process = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}; {INSTALL}"));
        // From here on, dropping `driver` ends chromedriver and Chromium.
        let driver = Driver {
            process,
            profile: scratch_dir(&format!("chromium-profile-{port}")),
            _turn: turn,
        };
        wait_for_port(port);
        let capabilities = json!({
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", driver.profile.display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("Chromium did not start through chromedriver: {e}"));
        // The window is larger than the page's viewport by its frame:
        // make the viewport the size asked for.
        let (outer_width, outer_height) = client.get_window_size().await.unwrap();
        let inner = client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        let inner = |i: usize| inner[i].as_u64().expect("a size");
        client
            .set_window_size(
                (outer_width + u64::from(width) - inner(0)) as u32,
                (outer_height + u64::from(height) - inner(1)) as u32,
            )
            .await
            .unwrap();
        Browser {
            client,
            _driver: driver,
        }
    }

    /// Opens a report and waits until its script has drawn it.
    pub async fn open(&self, report: &Path) {
        let url = format!("file://{}", report.canonicalize().unwrap().display());
        self.client.goto(&url).await.unwrap();
        self.wait_until("document.documentElement.dataset.ready === 'true'")
            .await;
    }

    /// Waits until the JavaScript expression `condition` is true.
    pub async fn wait_until(&self, condition: &str) {
        let started = Instant::now();
        loop {
            let done: bool = self.js(&format!("return !!({condition});"), vec![]).await;
            if done {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited 30 s for {condition}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a script in the page and reads what it returns.
    pub async fn js<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>) -> T {
        decode(self.client.execute(script, args).await, script)
    }

    /// Runs an asynchronous script: it ends by calling `arguments[arguments.length - 1]`.
    pub async fn js_async<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>) -> T {
        decode(self.client.execute_async(script, args).await, script)
    }

    /// Runs `action` (a script, given `args`) and measures with the
    /// Performance API how long it takes until the next frame is drawn, in
    /// milliseconds.
    pub async fn time_to_next_frame(&self, action: &str, args: Vec<Value>) -> f64 {
        let script = format!(
            "const done = arguments[arguments.length - 1];
            const started = performance.now();
            {{ {action} }}
            requestAnimationFrame(() => setTimeout(() => done(performance.now() - started), 0));"
        );
        self.js_async(&script, args).await
    }

    /// How many elements match a CSS selector.
    pub async fn count(&self, selector: &str) -> usize {
        self.js(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(selector)],
        )
        .await
    }

    /// The UUID of the task the waterfall shows.
    pub async fn shown_task(&self) -> String {
        self.js(
            "return document.querySelector('#task-head .uuid').textContent;",
            vec![],
        )
        .await
    }

    /// Chooses an option of a `<select>`, as a person does.
    pub async fn choose(&self, select_id: &str, value: &str) {
        let select = self
            .client
            .find(Locator::Id(select_id))
            .await
            .unwrap_or_else(|e| panic!("#{select_id}: {e}"));
        select.select_by_value(value).await.unwrap();
    }

    /// Types `text` into the search box, replacing what was there.
    pub async fn search(&self, text: &str) {
        let input = self.client.find(Locator::Id("filter-text")).await.unwrap();
        input.clear().await.unwrap();
        // Clearing does not fire `input`; typing does.
        self.js::<Value>(
            "const i = document.getElementById('filter-text'); i.dispatchEvent(new Event('input')); return null;",
            vec![],
        )
        .await;
        if !text.is_empty() {
            input.send_keys(text).await.unwrap();
        }
    }

    /// Selects the task `uuid` as a person would: searching for it and
    /// clicking its entry in the list.
    pub async fn select_task(&self, uuid: &str) {
        self.search(uuid).await;
        let entry = self
            .client
            .find(Locator::XPath(&format!(
                "//*[@data-task-uuid={}]",
                xpath_literal(uuid)
            )))
            .await
            .unwrap_or_else(|e| panic!("no list entry for task {uuid}: {e}"));
        entry.click().await.unwrap();
        assert_eq!(
            self.shown_task().await,
            uuid,
            "the waterfall shows the task clicked"
        );
    }

    /// The UUIDs of the task list's entries, in the list's order, read by
    /// scrolling through it (only the entries in view are in the page).
    pub async fn list_entries(&self) -> Vec<String> {
        self.js(
            r##"
            const list = document.getElementById("task-list");
            const byTop = new Map();
            for (let top = 0; ; top += Math.max(list.clientHeight / 2, 1)) {
              list.scrollTop = top;
              list.dispatchEvent(new Event("scroll"));
              for (const entry of list.querySelectorAll("[data-task-uuid]")) {
                byTop.set(parseFloat(entry.style.top), entry.getAttribute("data-task-uuid"));
              }
              if (top >= list.scrollHeight) break;
            }
            list.scrollTop = 0;
            list.dispatchEvent(new Event("scroll"));
            return [...byTop].sort((a, b) => a[0] - b[0]).map((pair) => pair[1]);
            "##,
            vec![],
        )
        .await
    }

    /// The rows of the waterfall as drawn.
    pub async fn rows(&self) -> Vec<Row> {
        self.js(
            r##"
            return [...document.querySelectorAll("#rows .row")].map((row) => {
              const track = row.querySelector(".row-track").getBoundingClientRect();
              const bar = row.querySelector(".bar");
              const box = bar ? bar.getBoundingClientRect() : null;
              return {
                action_type: row.getAttribute("data-action-type"),
                status: row.getAttribute("data-status"),
                task_level: row.getAttribute("data-task-level"),
                depth: Number(row.getAttribute("aria-level")) - 1,
                name_left: row.querySelector(".name").getBoundingClientRect().left,
                label: row.querySelector(".row-label").textContent,
                track_left: track.left,
                track_width: track.width,
                bar_left: box ? box.left : null,
                bar_width: box ? box.width : null,
                ticks: [...row.querySelectorAll("[data-message-type]")].map((tick) => {
                  const r = tick.getBoundingClientRect();
                  return {
                    message_type: tick.getAttribute("data-message-type"),
                    task_level: tick.getAttribute("data-task-level"),
                    center: r.left + r.width / 2,
                  };
                }),
              };
            });
            "##,
            vec![],
        )
        .await
    }

    /// Whether a dialog (`alert`, `confirm`, `prompt`) is open.
    pub async fn alert_open(&self) -> Option<String> {
        self.client.get_alert_text().await.ok()
    }

    /// A PNG of the window.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        std::fs::write(path, png).unwrap();
    }

    /// Ends the session; Chromium exits.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads a process group of its own, Chromium in it:
        // end the group, then reap chromedriver.
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn decode<T: DeserializeOwned>(
    result: Result<Value, fantoccini::error::CmdError>,
    script: &str,
) -> T {
    let value = result.unwrap_or_else(|e| panic!("the script failed: {e}\n{script}"));
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("the script returned {value}: {e}"))
}

/// A waterfall row as the page draws it.
#[derive(Debug, serde::Deserialize)]
pub struct Row {
    pub action_type: Option<String>,
    pub status: Option<String>,
    pub task_level: Option<String>,
    pub depth: usize,
    pub name_left: f64,
    pub label: String,
    pub track_left: f64,
    pub track_width: f64,
    pub bar_left: Option<f64>,
    pub bar_width: Option<f64>,
    pub ticks: Vec<Tick>,
}

/// A message tick as the page draws it.
#[derive(Debug, serde::Deserialize)]
pub struct Tick {
    pub message_type: String,
    pub task_level: String,
    pub center: f64,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen on port {port} within 20 s; {INSTALL}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An empty directory under this test binary's `target/tmp` directory.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(env!("CARGO_CRATE_NAME"))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the report of `logs` (with more `args`) and returns its path.
pub fn report(name: &str, logs: &[&Path], args: &[&str]) -> PathBuf {
    report_from(Path::new("."), name, logs, args)
}

/// [`report`], with eliot-tree run in `dir` (where relative `logs` are).
pub fn report_from(dir: &Path, name: &str, logs: &[&Path], args: &[&str]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(env!("CARGO_CRATE_NAME"))
        .join(format!("{name}.html"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_eliot-tree"))
        .current_dir(dir)
        .arg("--html")
        .arg(&path)
        .args(args)
        .args(logs)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "eliot-tree --html failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    path
}

/// `text` as an XPath string literal.
fn xpath_literal(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|p| format!("\"{p}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}
