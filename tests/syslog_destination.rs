//! The syslog destination against small fake servers on loopback: the RFC
//! 5424 messages and their framing on each transport, oversized messages,
//! and servers that refuse, reset, disappear and stall.
//!
//! The destination is driven directly through the `Destination` trait (what
//! a `ThreadedWriter` calls), with real Eliot lines captured from a routed
//! context, so no test here sees another's messages.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use eliot::syslog::{SyslogDestination, SyslogReport};
use eliot::{Destination, Message, ThreadedWriter, destination_fn, log_message, start_task};

/// Real Eliot lines: whatever `f` logs, captured without the registry.
fn capture(f: impl FnOnce()) -> Vec<Message> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let route: Arc<dyn Destination> = Arc::new(destination_fn(move |m: &Message| {
        sink.lock().unwrap().push(m.clone())
    }));
    {
        let _route = eliot::__private::SavedContext::routed_to(route).enter();
        f();
    }
    std::mem::take(&mut *lines.lock().unwrap())
}

/// `n` one-message tasks `test:n` with field `n`.
fn numbered(range: std::ops::Range<u64>) -> Vec<Message> {
    capture(|| {
        for n in range {
            log_message!("test:n", n = n);
        }
    })
}

/// A received RFC 5424 message, split into its parts.
#[derive(Debug)]
struct Syslog {
    pri: u8,
    timestamp: String,
    app_name: String,
    proc_id: String,
    msg_id: String,
    structured_data: String,
    msg: String,
}

fn parse_syslog(text: &str) -> Syslog {
    let rest = text.strip_prefix('<').expect(text);
    let (pri, rest) = rest.split_once(">1 ").expect(text);
    let parts: Vec<&str> = rest.splitn(7, ' ').collect();
    assert_eq!(parts.len(), 7, "{text}");
    Syslog {
        pri: pri.parse().unwrap(),
        timestamp: parts[0].to_owned(),
        app_name: parts[2].to_owned(),
        proc_id: parts[3].to_owned(),
        msg_id: parts[4].to_owned(),
        structured_data: parts[5].to_owned(),
        msg: parts[6].to_owned(),
    }
}

fn json(syslog: &Syslog) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(&syslog.msg).unwrap_or_else(|e| panic!("{e}: {}", syslog.msg))
}

/// The `n` field of each received message, in order (drop notices as -1).
fn numbers(received: &[String]) -> Vec<i64> {
    received
        .iter()
        .map(|text| {
            let fields = json(&parse_syslog(text));
            match fields.get("n") {
                Some(n) => n.as_i64().unwrap(),
                None => {
                    assert_eq!(fields["message_type"], "eliot:messages_dropped", "{text}");
                    -1
                }
            }
        })
        .collect()
}

/// Reads octet-counted frames until the peer closes; None on a bad frame.
fn read_frame(reader: &mut impl BufRead) -> Option<String> {
    let mut len = Vec::new();
    reader.read_until(b' ', &mut len).ok()?;
    if len.is_empty() {
        return None;
    }
    let len: usize = std::str::from_utf8(&len[..len.len() - 1])
        .ok()?
        .parse()
        .unwrap_or_else(|_| panic!("not an octet count: {len:?}"));
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(String::from_utf8(body).expect("UTF-8"))
}

/// A TCP syslog server: every frame of every connection, in order of
/// arrival. `behaviour` may cut a connection short: it is told how many
/// frames the connection has delivered and returns false to drop it.
struct TcpServer {
    address: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
}

impl TcpServer {
    fn start(listener: TcpListener, keep: fn(usize, usize) -> bool) -> Self {
        let address = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (r, c) = (received.clone(), connections.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let connection = c.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                thread::spawn(move || {
                    let mut reader = BufReader::new(stream);
                    let mut frames = 0;
                    while keep(connection, frames) {
                        match read_frame(&mut reader) {
                            Some(frame) => r.lock().unwrap().push(frame),
                            None => return,
                        }
                        frames += 1;
                    }
                    // Dropped with unread data: the kernel answers with RST.
                });
            }
        });
        TcpServer {
            address,
            received,
            connections,
        }
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (bounded) until `n` frames arrived.
    fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= n || Instant::now() > deadline {
                return received;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

fn keep_all(_connection: usize, _frames: usize) -> bool {
    true
}

fn loopback() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// A port with nothing listening (connections are refused).
fn refused_port() -> SocketAddr {
    loopback().local_addr().unwrap()
}

#[test]
fn tcp_sends_octet_counted_rfc5424_messages_with_eliots_lines() {
    let server = TcpServer::start(loopback(), keep_all);
    let syslog = SyslogDestination::tcp(server.address.to_string())
        .app_name("shop front")
        .hostname("web-1")
        .build();
    let messages = capture(|| {
        let task = start_task!("shop:order", id = 7, note = "é \" \n");
        log_message!("shop:note", x = 1);
        task.finish_with_error(&std::io::Error::other("out of stock"));
    });
    syslog.write_batch(&messages).unwrap();
    syslog.flush().unwrap();
    let received = server.wait_for(messages.len());
    assert_eq!(received.len(), 3);
    for (text, message) in received.iter().zip(&messages) {
        let syslog = parse_syslog(text);
        assert_eq!(
            syslog.msg,
            message.as_json(),
            "MSG is the Eliot line, byte for byte"
        );
        assert_eq!(syslog.app_name, "shop_front");
        assert_eq!(syslog.proc_id, std::process::id().to_string());
        assert_eq!(syslog.msg_id, "eliot");
        assert_eq!(syslog.structured_data, "-");
        // The message's own time, UTC with microseconds.
        let seconds = json(&syslog)["timestamp"].as_f64().unwrap();
        assert_eq!(syslog.timestamp.len(), "2024-01-01T00:00:00.000000Z".len());
        assert!(syslog.timestamp.ends_with('Z'));
        let micros = (seconds * 1e6).round() as i64 % 1_000_000;
        assert!(
            syslog.timestamp.contains(&format!(".{micros:06}Z")),
            "{syslog:?}"
        );
    }
    // user (1) * 8 + info (6) = 14; the failed end is err (3) = 11.
    let pris: Vec<u8> = received.iter().map(|t| parse_syslog(t).pri).collect();
    assert_eq!(pris, [14, 14, 11]);
    let report = syslog.report();
    assert_eq!((report.sent, report.buffered, report.dropped), (3, 0, 0));
    assert_eq!(report.connects, 1);
    assert!(text_has_host(&received[0], "web-1"));
}

fn text_has_host(text: &str, host: &str) -> bool {
    text.split(' ').nth(2) == Some(host)
}

#[test]
fn udp_sends_one_datagram_per_message() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let syslog = SyslogDestination::udp(server.local_addr().unwrap().to_string()).build();
    let messages = numbered(0..20);
    syslog.write_batch(&messages).unwrap();
    let mut buffer = vec![0; 65536];
    let mut received = Vec::new();
    for _ in 0..20 {
        let n = server.recv(&mut buffer).unwrap();
        received.push(String::from_utf8(buffer[..n].to_vec()).unwrap());
    }
    // Loopback keeps order; each datagram holds exactly one message.
    assert_eq!(numbers(&received), (0..20).collect::<Vec<_>>());
    assert_eq!(syslog.report().sent, 20);
}

#[cfg(unix)]
#[test]
fn unix_datagram_socket_and_a_daemon_that_goes_away_and_comes_back() {
    use std::os::unix::net::UnixDatagram;

    let dir = std::env::temp_dir().join(format!("eliot-syslog-unix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.sock");
    let receive = |socket: &UnixDatagram, n: usize| -> Vec<String> {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buffer = vec![0; 65536];
        (0..n)
            .map(|_| {
                let len = socket.recv(&mut buffer).unwrap();
                String::from_utf8(buffer[..len].to_vec()).unwrap()
            })
            .collect()
    };

    let server = UnixDatagram::bind(&path).unwrap();
    let syslog = SyslogDestination::unix(&path)
        .backoff(Duration::from_millis(20), Duration::from_millis(20))
        .build();
    syslog.write_batch(&numbered(0..3)).unwrap();
    assert_eq!(numbers(&receive(&server, 3)), [0, 1, 2]);

    // The daemon goes away: messages are kept.
    drop(server);
    std::fs::remove_file(&path).unwrap();
    syslog.write_batch(&numbered(3..6)).unwrap();
    let report = syslog.report();
    assert_eq!(report.buffered, 3, "{report:?}");
    assert!(report.failures >= 1, "{report:?}");

    // It comes back (a new socket at the same path): after the backoff the
    // kept messages go first, then the new ones.
    let server = UnixDatagram::bind(&path).unwrap();
    thread::sleep(Duration::from_millis(30));
    syslog.write_batch(&numbered(6..8)).unwrap();
    assert_eq!(numbers(&receive(&server, 5)), [3, 4, 5, 6, 7]);
    assert_eq!(syslog.report().buffered, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refused_connections_keep_messages_until_the_server_starts() {
    let address = refused_port();
    let syslog = SyslogDestination::tcp(address.to_string())
        .backoff(Duration::from_millis(20), Duration::from_millis(40))
        .build();
    let started = Instant::now();
    for n in 0..5 {
        syslog.write_batch(&numbered(n..n + 1)).unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "a refused connection must not hold the caller: {:?}",
        started.elapsed()
    );
    let report = syslog.report();
    assert_eq!((report.sent, report.buffered, report.connects), (0, 5, 0));
    assert!(report.failures >= 1);

    let server = TcpServer::start(TcpListener::bind(address).unwrap(), keep_all);
    let report = syslog.deliver(Duration::from_secs(5));
    assert_eq!((report.sent, report.buffered), (5, 0), "{report:?}");
    assert_eq!(numbers(&server.wait_for(5)), [0, 1, 2, 3, 4]);
}

#[test]
fn a_full_buffer_drops_the_newest_and_says_so_where_the_gap_is() {
    let address = refused_port();
    let syslog = SyslogDestination::tcp(address.to_string())
        .buffer_capacity(10)
        .backoff(Duration::from_millis(10), Duration::from_millis(10))
        .build();
    let first = numbered(0..25);
    syslog.write_batch(&first).unwrap();
    let report = syslog.report();
    assert_eq!((report.buffered, report.dropped), (10, 15), "{report:?}");

    let server = TcpServer::start(TcpListener::bind(address).unwrap(), keep_all);
    thread::sleep(Duration::from_millis(20));
    syslog.write_batch(&numbered(25..26)).unwrap();
    let received = server.wait_for(12);
    let mut expected: Vec<i64> = (0..10).collect();
    expected.extend([-1, 25]);
    assert_eq!(numbers(&received), expected);

    let notice = json(&parse_syslog(&received[10]));
    assert_eq!(notice["dropped"], 15);
    assert_eq!(notice["capacity"], 10);
    assert_eq!(notice["task_level"], serde_json::json!([1]));
    let stamp = |m: &Message| m.to_map().unwrap()["timestamp"].as_f64().unwrap();
    assert_eq!(notice["first_timestamp"].as_f64(), Some(stamp(&first[10])));
    assert_eq!(notice["last_timestamp"].as_f64(), Some(stamp(&first[24])));
    assert!(
        notice["reason"]
            .as_str()
            .unwrap()
            .contains(&address.to_string())
    );
    // Eliot's own report of lost messages is a warning (user * 8 + 4).
    assert_eq!(parse_syslog(&received[10]).pri, 12);
    let report = syslog.report();
    assert_eq!((report.sent, report.buffered, report.dropped), (12, 0, 15));
}

#[test]
fn a_reset_connection_is_replaced_and_nothing_written_after_it_is_lost() {
    // The first connection takes 3 frames, then is closed with data unread
    // (a reset); later connections take everything.
    fn keep(connection: usize, frames: usize) -> bool {
        connection > 0 || frames < 3
    }
    let server = TcpServer::start(loopback(), keep);
    let syslog = SyslogDestination::tcp(server.address.to_string())
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build();
    for n in 0..5 {
        syslog.write_batch(&numbered(n..n + 1)).unwrap();
    }
    // The server has cut the first connection after 3 frames.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.received().len() < 3 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(50));
    for n in 5..10 {
        syslog.write_batch(&numbered(n..n + 1)).unwrap();
    }
    let report = syslog.deliver(Duration::from_secs(5));
    assert_eq!(report.buffered, 0, "{report:?}");
    assert!(report.connects >= 2, "{report:?}");
    let got: HashSet<i64> = numbers(&server.wait_for(8)).into_iter().collect();
    assert!(server.connections.load(Ordering::SeqCst) >= 2);
    // Frames 3 and 4 went into a connection the server dropped unread: TCP
    // cannot tell the sender (the limit the module docs state). Everything
    // written after the reset arrives.
    for n in (0..3).chain(5..10) {
        assert!(got.contains(&n), "message {n} lost: {got:?}");
    }
}

/// A server that accepts connections and never reads: writes time out, the
/// caller is held at most about one write timeout, and behind a
/// `ThreadedWriter` logging threads are not held at all.
#[test]
fn a_stalled_server_never_blocks_the_application() {
    let listener = loopback();
    let address = listener.local_addr().unwrap();
    let stalled = Arc::new(Mutex::new(Vec::<TcpStream>::new()));
    let keep = stalled.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream); // held open, never read
        }
    });
    let syslog = Arc::new(
        SyslogDestination::tcp(address.to_string())
            .write_timeout(Duration::from_millis(100))
            .buffer_capacity(1000)
            .backoff(Duration::from_millis(50), Duration::from_millis(200))
            .build(),
    );
    // Lines of about 1 KiB: enough to fill the socket buffers.
    let payload = "x".repeat(1000);
    let batch = capture(|| {
        for n in 0..100u64 {
            log_message!("test:n", n = n, payload = &payload);
        }
    });
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    for _ in 0..200 {
        let call = Instant::now();
        syslog.write_batch(&batch).unwrap();
        slowest = slowest.max(call.elapsed());
    }
    let report = syslog.report();
    eprintln!(
        "stalled server: 20000 messages in {:?}, slowest batch {slowest:?}, {report:?}",
        started.elapsed()
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    assert!(report.failures >= 1 && report.dropped > 0, "{report:?}");
    assert!(report.buffered <= 1000, "{report:?}");

    // Behind a ThreadedWriter, the logging thread only queues: with a write
    // timeout of a second, a caller that waited for the network even once
    // would take that long. (The other tests here log only into routed
    // contexts, so the writer, registered globally, sees this test's
    // messages alone.)
    let syslog = SyslogDestination::tcp(address.to_string())
        .write_timeout(Duration::from_secs(1))
        .buffer_capacity(1000)
        .build();
    let writer = ThreadedWriter::new(syslog);
    writer.start().unwrap();
    let mut slowest_log = Duration::ZERO;
    for n in 0..5_000u64 {
        let call = Instant::now();
        log_message!("test:n", n = n, payload = &payload);
        slowest_log = slowest_log.max(call.elapsed());
    }
    eprintln!("behind ThreadedWriter: slowest log call {slowest_log:?}");
    assert!(slowest_log < Duration::from_millis(500), "{slowest_log:?}");
    let stop = Instant::now();
    let written = writer.stop().unwrap();
    assert!(
        stop.elapsed() < Duration::from_secs(10),
        "{:?}",
        stop.elapsed()
    );
    assert_eq!(
        written.failed, 0,
        "the syslog destination never fails its caller"
    );
    drop(stalled);
}

#[test]
fn oversized_messages_become_valid_shortened_eliot_messages() {
    let server = TcpServer::start(loopback(), keep_all);
    let syslog = SyslogDestination::tcp(server.address.to_string())
        .max_message_size(1024)
        .build();
    let big = "é".repeat(3000);
    let long_type = "t".repeat(2000);
    let messages = capture(|| {
        let task = start_task!("test:big", blob = &big);
        log_message!("test:small");
        drop(task);
        eliot::log_message(&long_type, &[]);
    });
    syslog.write_batch(&messages).unwrap();
    let received = server.wait_for(4);
    assert_eq!(received.len(), 4);
    for text in &received {
        assert!(text.len() <= 1024, "{} octets", text.len());
    }
    // The start message: valid JSON, Eliot's fields intact.
    let start = json(&parse_syslog(&received[0]));
    let original = messages[0].to_map().unwrap();
    for key in [
        "action_status",
        "timestamp",
        "task_uuid",
        "action_type",
        "task_level",
    ] {
        assert_eq!(start[key], original[key], "{key}");
    }
    assert!(start.get("blob").is_none());
    let truncated = &start["eliot:truncated"];
    assert_eq!(truncated["size"], messages[0].as_json().len());
    let head = truncated["start"].as_str().unwrap();
    assert!(messages[0].as_json().starts_with(head) && head.len() > 500);
    // Small messages pass untouched.
    assert_eq!(parse_syslog(&received[1]).msg, messages[1].as_json());
    // A message whose own fields cannot fit: cut at the end, on a UTF-8
    // boundary (RFC 5424 section 6.1), still exactly the maximum at most.
    let cut = parse_syslog(&received[3]);
    assert!(cut.msg.starts_with("{\"eliot:truncated\":{"), "{}", cut.msg);
    assert!(serde_json::from_str::<serde_json::Value>(&cut.msg).is_err());
    assert!(received[3].len() >= 1020, "{}", received[3].len());
    let report: SyslogReport = syslog.report();
    assert_eq!(report.truncated, 2);
}
