//! A small tokio TCP echo service whose connections and requests are Eliot
//! actions, driven by concurrent clients. Its log renders as one tree per
//! connection: `eliot-tree echo_service.log`.
//!
//! Writes `echo_service.log` in the working directory.
//!
//! ```text
//! cargo run --example echo_service
//! ```

use std::net::SocketAddr;

use eliot::{FileDestination, fields, inline_actions, log_message, start_action, start_task};
use eliot_tokio::ThreadedWriterService;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const CLIENTS: usize = 8;
const LINES_PER_CLIENT: usize = 5;

/// One connection: a task of its own, one child action per line echoed.
#[inline_actions]
async fn serve_connection(stream: TcpStream, peer: SocketAddr) -> std::io::Result<()> {
    let connection = start_task!("echo:connection", peer = %peer);
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    let mut served = 0u32;
    while let Some(line) = lines.next_line().await? {
        let request = start_action!("echo:request", bytes = line.len());
        if line.trim().is_empty() {
            log_message!("echo:empty_line");
        }
        writer.write_all(line.to_uppercase().as_bytes()).await?;
        writer.write_all(b"\n").await?;
        request.add_success_fields(fields!(echoed = line.len() + 1));
        served += 1;
    }
    log_message!("echo:client_closed");
    connection.add_success_fields(fields!(requests = served));
    Ok(())
}

/// Accepts until told to stop; each connection is served on its own task.
async fn serve(listener: TcpListener, mut stop: watch::Receiver<bool>) -> std::io::Result<()> {
    let mut connections = Vec::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = accepted?;
                connections.push(tokio::spawn(serve_connection(stream, peer)));
            }
            _ = stop.changed() => break,
        }
    }
    for connection in connections {
        if let Err(error) = connection.await? {
            eliot::write_traceback(&error);
        }
    }
    Ok(())
}

/// A client that logs nothing: the service's log is about the service.
async fn client(address: SocketAddr, id: usize) -> std::io::Result<()> {
    let stream = TcpStream::connect(address).await?;
    let (reader, mut writer) = stream.into_split();
    let mut replies = BufReader::new(reader).lines();
    for n in 0..LINES_PER_CLIENT {
        let line = if n == 2 {
            String::new()
        } else {
            format!("client {id} says hello #{n}")
        };
        writer.write_all(format!("{line}\n").as_bytes()).await?;
        let reply = replies.next_line().await?.unwrap_or_default();
        assert_eq!(reply, line.to_uppercase());
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let writer = ThreadedWriterService::new(FileDestination::create("echo_service.log")?);
    writer.start()?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(serve(listener, stopped));

    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| tokio::spawn(client(address, id)))
        .collect();
    for client in clients {
        client.await??;
    }
    stop.send(true)?;
    server.await??;

    let report = writer.stop().await?;
    println!(
        "served {CLIENTS} connections on {address}; wrote echo_service.log ({} lines)",
        report.written
    );
    Ok(())
}
