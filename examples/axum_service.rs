//! An axum service as people write them, logged with Eliot: tower-http's
//! `TraceLayer` makes a `request` span for each request, `EliotLayer` turns
//! spans into Eliot actions and events into Eliot messages, and the handlers
//! are `#[inline_actions]` functions that open Eliot actions of their own.
//! Each request is one Eliot task, with every item where it happened: the
//! `tracing` events and spans a handler (or a library it calls) emits sit in
//! the Eliot action they were emitted in.
//!
//! ```text
//! tower_http::trace::make_span:request        TraceLayer's span
//! ├── tower_http::trace::on_request           its event: started processing
//! ├── app:users:get                           the handler's Eliot action
//! │   ├── app:db:lookup                       an Eliot action it opens
//! │   │   └── axum_service::db:sql            a library's span ...
//! │   │       ├── axum_service::db            ... and its events
//! │   │       └── axum_service::db
//! │   └── axum_service                        the handler's tracing::info!
//! ├── tower_http::trace::on_response
//! └── tower_http::trace::make_span:request    succeeded
//! ```
//!
//! `POST /orders/<id>/charge` fails: the payment provider refuses the
//! charge, the `#[tracing::instrument(err)]` span of the call fails with the
//! error, and so does the handler's action; the client gets a 502.
//!
//! `EliotLayer` has a per-layer filter: the request spans, their events and
//! the application's spans and events are logged; the per-connection
//! `TRACE` events of axum and hyper are not (each would be a task of its
//! own). The service listens on an ephemeral port on loopback; a hyper
//! client sends a batch of concurrent requests, then the service shuts down
//! gracefully and the log is flushed to `axum_service.log` in the working
//! directory.
//!
//! ```text
//! cargo run --example axum_service
//! eliot-tree axum_service.log
//! ```

use std::error::Error;
use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use eliot::{FileDestination, ThreadedWriter, fields, inline_actions, start_action};
use eliot_tracing::EliotLayer;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use tracing::Instrument;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

type BoxError = Box<dyn Error + Send + Sync>;

const LOG: &str = "axum_service.log";

/// How long the whole run may take before the example gives up (it must
/// never hang a test run).
const PATIENCE: Duration = Duration::from_secs(20);

/// What the client asks, all at once: `(method, path, expected status)`.
const REQUESTS: &[(&str, &str, u16)] = &[
    ("GET", "/users/7", 200),
    ("GET", "/users/8", 200),
    ("GET", "/users/9", 200),
    ("GET", "/users/12", 200),
    ("GET", "/users/404", 404),
    ("POST", "/orders/3/charge", 200),
    ("POST", "/orders/4/charge", 502),
    ("GET", "/users/7", 200),
];

fn main() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async { tokio::time::timeout(PATIENCE, run()).await })?
}

async fn run() -> Result<(), BoxError> {
    let _ = std::fs::remove_file(LOG);
    let writer = ThreadedWriter::new(FileDestination::create(LOG)?);
    writer.start()?;

    // Spans and events of tower-http's TraceLayer (DEBUG) and of this
    // program; nothing below INFO from anyone else.
    let filter = Targets::new()
        .with_target("tower_http", LevelFilter::DEBUG)
        .with_target("axum_service", LevelFilter::DEBUG)
        .with_default(LevelFilter::INFO);
    tracing_subscriber::registry()
        .with(EliotLayer::new().with_filter(filter))
        .try_init()?;

    let app = Router::new()
        .route("/users/{id}", get(get_user))
        .route("/orders/{id}/charge", post(charge_order))
        .layer(TraceLayer::new_for_http());
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );

    let outcome = send_requests(&format!("http://{address}")).await;
    let _ = stop.send(());
    server.await??;
    // Every request's span is closed now: flush the log.
    writer.shutdown()?.await;
    outcome?;
    eprintln!("(wrote {LOG}: {} requests)", REQUESTS.len());
    Ok(())
}

/// Sends every request of [`REQUESTS`] at once and checks each status.
async fn send_requests(base: &str) -> Result<(), BoxError> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut requests = tokio::task::JoinSet::new();
    for &(method, path, expected) in REQUESTS {
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("{base}{path}"))
            .body(Empty::new())?;
        let client = client.clone();
        requests.spawn(async move {
            let response = client.request(request).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            if status != expected {
                return Err(
                    format!("{method} {path}: {status} (expected {expected}): {body:?}").into(),
                );
            }
            Ok::<_, BoxError>(())
        });
    }
    while let Some(done) = requests.join_next().await {
        done??;
    }
    Ok(())
}

// ------------------------------------------------------------- handlers

/// Why a request failed, and the status it answers.
#[derive(Debug)]
enum AppError {
    NoSuchUser(u32),
    PaymentRefused(String),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NoSuchUser(id) => write!(f, "no user with id {id}"),
            AppError::PaymentRefused(why) => write!(f, "the payment was refused: {why}"),
        }
    }
}

impl Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match self {
            AppError::NoSuchUser(_) => StatusCode::NOT_FOUND,
            AppError::PaymentRefused(_) => StatusCode::BAD_GATEWAY,
        };
        (status, self.to_string()).into_response()
    }
}

/// `GET /users/<id>`.
#[inline_actions]
async fn get_user(Path(id): Path<u32>) -> Result<String, AppError> {
    let action = start_action!("app:users:get", id = id);
    match db::lookup(id).await {
        Ok(name) => {
            tracing::info!(name = name.as_str(), "found the user");
            action.add_success_fields(fields!(name = name.as_str()));
            Ok(format!("hello, {name}\n"))
        }
        Err(error) => {
            action.finish_with_error(&error);
            Err(error)
        }
    }
}

/// `POST /orders/<id>/charge`: charges order 4 fails.
#[inline_actions]
async fn charge_order(Path(order): Path<u32>) -> Result<&'static str, AppError> {
    let action = start_action!("app:orders:charge", order = order);
    let amount = 12 * order;
    match payments::charge(order, amount).await {
        Ok(receipt) => {
            action.add_success_fields(fields!(receipt = receipt.as_str()));
            Ok("charged\n")
        }
        Err(error) => {
            action.finish_with_error(&error);
            Err(error)
        }
    }
}

/// The database, as a library that logs with `tracing` shows it.
mod db {
    use super::*;

    /// Looks a user up, in an Eliot action of its own.
    #[inline_actions]
    pub(crate) async fn lookup(id: u32) -> Result<String, AppError> {
        let _lookup = start_action!("app:db:lookup", id = id);
        let span = tracing::info_span!("sql", statement = "SELECT name FROM users WHERE id = $1");
        query(id)
            .instrument(span)
            .await
            .ok_or(AppError::NoSuchUser(id))
    }

    /// What a driver does: a span per query, events inside it.
    async fn query(id: u32) -> Option<String> {
        tracing::debug!(id, "query sent");
        tokio::time::sleep(Duration::from_millis(u64::from(id % 5) + 1)).await;
        let name = (id < 100).then(|| format!("user-{id}"));
        tracing::debug!(rows = u32::from(name.is_some()), "rows received");
        name
    }
}

/// A payment provider's client, instrumented with `tracing` the usual way.
mod payments {
    use super::*;

    /// `#[tracing::instrument]` above `#[inline_actions]`: the span's
    /// action encloses the Eliot action opened in the body, across its
    /// awaits; `err` fails the span's action with the error.
    #[tracing::instrument(err)]
    #[inline_actions]
    pub(crate) async fn charge(order: u32, amount: u32) -> Result<String, AppError> {
        let _call = start_action!("app:payments:call", provider = "acme");
        tokio::time::sleep(Duration::from_millis(3)).await;
        if order == 4 {
            return Err(AppError::PaymentRefused("card declined".into()));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok(format!("receipt-{order}-{amount}"))
    }
}
