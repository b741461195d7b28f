//! Two services in two processes, one Eliot task per client request.
//!
//! The front service answers `GET /greet/<name>`; for each request it asks
//! the back service (another process: this program re-executed with the
//! argument `back`) for the user over HTTP on loopback, passing its task id
//! in the `x-eliot-task-id` header. The back service continues the task, so
//! each request is one tree spanning both processes:
//!
//! ```text
//! front:request (front process)
//! ├── front:call_back
//! │   └── back:request (back process)
//! │       └── back:db:query
//! └── front:greeting
//! ```
//!
//! Each process logs through a `ThreadedWriter` to a file of its own; at the
//! end the front merges both, in timestamp order, into `two_services.log` in
//! the working directory. Both services listen on ephemeral ports; the
//! program sends four requests (one for an unknown user, which fails in both
//! processes), shuts both services down and exits.
//!
//! ```text
//! cargo run --example two_services
//! eliot-tree two_services.log
//! ```

use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use eliot::http::{continue_or_start, insert_current_task_id};
use eliot::tokio_integration::DeferredContextExt;
use eliot::{FileDestination, ThreadedWriter, fields, log_message, start_action};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::watch;

type BoxError = Box<dyn Error + Send + Sync>;
type HttpClient = Client<HttpConnector, Empty<Bytes>>;

const LOG: &str = "two_services.log";
const FRONT_PART: &str = "two_services.front.jsonl";
const BACK_PART: &str = "two_services.back.jsonl";

/// How long anything may take before the example gives up (it must never
/// hang a test run).
const PATIENCE: Duration = Duration::from_secs(20);

fn main() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match std::env::args().nth(1).as_deref() {
        Some("back") => runtime.block_on(back_main()),
        _ => runtime.block_on(async { tokio::time::timeout(PATIENCE, front_main()).await })?,
    }
}

// ---------------------------------------------------------------- helpers

/// Why a request failed.
#[derive(Debug)]
enum ServiceError {
    /// No such user.
    NotFound(String),
    /// The back service answered with an error status.
    Upstream(StatusCode),
    /// HTTP failed (connecting, reading the body).
    Http(String),
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::NotFound(name) => write!(f, "no user named {name:?}"),
            ServiceError::Upstream(status) => write!(f, "the back service answered {status}"),
            ServiceError::Http(why) => write!(f, "HTTP failed: {why}"),
        }
    }
}

impl Error for ServiceError {}

impl ServiceError {
    fn http(error: impl fmt::Display) -> Self {
        ServiceError::Http(error.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Upstream(_) | ServiceError::Http(_) => StatusCode::BAD_GATEWAY,
        }
    }
}

fn respond(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

/// Serves `handler` on `listener` until `stop` turns true.
async fn serve<F, Fut>(listener: TcpListener, mut stop: watch::Receiver<bool>, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let handler = handler.clone();
                tokio::spawn(async move {
                    let service = service_fn(handler);
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = stop.changed() => return,
        }
    }
}

/// A process's log: a file behind a ThreadedWriter, so logging never waits
/// for the disk.
fn start_log(path: &Path) -> Result<ThreadedWriter, BoxError> {
    let _ = std::fs::remove_file(path);
    let writer = ThreadedWriter::new(FileDestination::create(path)?);
    writer.start()?;
    Ok(writer)
}

// ------------------------------------------------------------ the back

/// The back service: prints its address on stdout, serves until its stdin
/// closes (the front closes it, or dies), then flushes its log and exits.
async fn back_main() -> Result<(), BoxError> {
    let log_path = std::env::args()
        .nth(2)
        .map_or(BACK_PART.into(), PathBuf::from);
    let writer = start_log(&log_path)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("listening {}", listener.local_addr()?);

    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        let _ = stop.send(true);
    });
    serve(listener, stopped, |request| async move {
        Ok::<_, Infallible>(back_request(request).await)
    })
    .await;
    writer.shutdown()?.await;
    Ok(())
}

async fn back_request(request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    // The caller's task, continued here; or a new task for a bare request.
    let action = continue_or_start(
        request.headers(),
        "back:request",
        fields!(method = request.method().as_str(), path = &path),
    )
    .into_action();
    let name = path.strip_prefix("/users/").unwrap_or_default().to_owned();
    let handled = async {
        let user = lookup(&name).await?;
        action.add_success_fields(fields!(status = 200));
        Ok::<_, ServiceError>(user)
    }
    .finishing_action(action.clone())
    .await;
    match handled {
        Ok(user) => respond(StatusCode::OK, user),
        Err(error) => respond(error.status(), error.to_string()),
    }
}

/// A slow "database" of users and roles.
async fn lookup(name: &str) -> Result<String, ServiceError> {
    let query = start_action!("back:db:query", table = "users", name = name).into_action();
    async {
        tokio::time::sleep(Duration::from_millis(5 + name.len() as u64)).await;
        let role = match name {
            "alice" => "admin",
            "bob" => "ops",
            "carol" => "dev",
            _ => return Err(ServiceError::NotFound(name.to_owned())),
        };
        log_message!("back:db:row", name = name, role = role);
        Ok(format!("{name} ({role})"))
    }
    .finishing_action(query)
    .await
}

// ----------------------------------------------------------- the front

async fn front_main() -> Result<(), BoxError> {
    let front_log = start_log(Path::new(FRONT_PART))?;

    // The back service: this program again, in another process.
    let mut back = tokio::process::Command::new(std::env::current_exe()?)
        .args(["back", BACK_PART])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut first_line = String::new();
    BufReader::new(back.stdout.take().ok_or("no stdout")?)
        .read_line(&mut first_line)
        .await?;
    let back_address: SocketAddr = first_line
        .trim()
        .strip_prefix("listening ")
        .ok_or_else(|| format!("the back service said {first_line:?}"))?
        .parse()?;

    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let front_address = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let front = {
        let client = client.clone();
        tokio::spawn(serve(listener, stopped, move |request| {
            let client = client.clone();
            async move { Ok::<_, Infallible>(front_request(request, client, back_address).await) }
        }))
    };

    // The clients: three requests at once, then one for an unknown user.
    let get = |name: &'static str| {
        let client = client.clone();
        async move {
            let uri = format!("http://{front_address}/greet/{name}");
            let response = client.get(uri.parse()?).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            println!(
                "GET /greet/{name} -> {status} {}",
                String::from_utf8_lossy(&body)
            );
            Ok::<_, BoxError>(status)
        }
    };
    let (a, b, c) = tokio::join!(get("alice"), get("bob"), get("carol"));
    for status in [a?, b?, c?] {
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(get("mallory").await?, StatusCode::NOT_FOUND);

    // Shut down: the front server, then the back (its stdin closes), then
    // the logs; then merge them.
    drop(client);
    let _ = stop.send(true);
    front.await?;
    drop(back.stdin.take());
    let exit = back.wait().await?;
    if !exit.success() {
        return Err(format!("the back service failed: {exit}").into());
    }
    front_log.shutdown()?.await;
    merge_logs(
        &[Path::new(FRONT_PART), Path::new(BACK_PART)],
        Path::new(LOG),
    )?;
    eprintln!("wrote {LOG}: render it with `eliot-tree {LOG}`");
    Ok(())
}

async fn front_request(
    request: Request<Incoming>,
    client: HttpClient,
    back: SocketAddr,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let action = continue_or_start(
        request.headers(),
        "front:request",
        fields!(method = request.method().as_str(), path = &path),
    )
    .into_action();
    let name = path.strip_prefix("/greet/").unwrap_or_default().to_owned();
    let handled = async {
        let user = call_back(&client, back, &name).await?;
        let greeting = format!("Hello, {user}");
        log_message!("front:greeting", text = &greeting);
        action.add_success_fields(fields!(status = 200));
        Ok::<_, ServiceError>(greeting)
    }
    .finishing_action(action.clone())
    .await;
    match handled {
        Ok(greeting) => respond(StatusCode::OK, greeting),
        Err(error) => respond(error.status(), error.to_string()),
    }
}

/// `GET /users/<name>` on the back service, in an action whose task id goes
/// along in the request.
async fn call_back(
    client: &HttpClient,
    back: SocketAddr,
    name: &str,
) -> Result<String, ServiceError> {
    let url = format!("http://{back}/users/{name}");
    let call = start_action!("front:call_back", url = &url).into_action();
    async {
        let mut request = Request::get(&url)
            .body(Empty::<Bytes>::new())
            .map_err(ServiceError::http)?;
        // Current here: the call action, whose next child slot the back's
        // `back:request` takes.
        insert_current_task_id(request.headers_mut());
        let response = client.request(request).await.map_err(ServiceError::http)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(ServiceError::http)?
            .to_bytes();
        call.add_success_fields(fields!(status = status.as_u16()));
        match status {
            StatusCode::OK => Ok(String::from_utf8_lossy(&body).into_owned()),
            StatusCode::NOT_FOUND => Err(ServiceError::NotFound(name.to_owned())),
            other => Err(ServiceError::Upstream(other)),
        }
    }
    .finishing_action(call.clone())
    .await
}

/// Merges JSON-lines logs into one, in timestamp order (stable), and
/// removes the parts.
fn merge_logs(parts: &[&Path], merged: &Path) -> Result<(), BoxError> {
    let mut lines: Vec<(f64, String)> = Vec::new();
    for part in parts {
        for line in std::fs::read_to_string(part)?.lines() {
            let fields: serde_json::Value = serde_json::from_str(line)?;
            let timestamp = fields["timestamp"].as_f64().unwrap_or(0.0);
            lines.push((timestamp, line.to_owned()));
        }
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut text = String::new();
    for (_, line) in lines {
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(merged, text)?;
    for part in parts {
        std::fs::remove_file(part)?;
    }
    Ok(())
}
