//! The hyper plumbing of the HTTP services tests: a server on a free local
//! port and a client.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use http_body_util::{Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Serves `handler` over HTTP/1 on 127.0.0.1, a connection per task, for the
/// rest of the runtime's life; returns the address it listens on.
pub async fn serve<H, F>(handler: H) -> SocketAddr
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let connection = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(handler.clone()));
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
    });
    address
}

/// A client for bodiless requests.
pub fn http_client() -> Client<HttpConnector, Empty<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}
