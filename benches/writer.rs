//! The writer benchmark: eliot-rs's `ThreadedWriter` beside `tracing` +
//! `tracing-subscriber` JSON + `tracing-appender::non_blocking` (lossless)
//! and `slog` + `slog-json` + `slog-async` (blocking on overflow, so also
//! lossless), on the same workloads, to real files, in one run.
//!
//! ```text
//! cargo bench --bench writer
//! ```
//!
//! Workloads: 1,000,000 messages with three fields (an int, a short string,
//! a float), from 1 and from 2 producer threads, flat and inside a 3-deep
//! nest of actions / spans / child loggers. Each system and workload runs in
//! a child process (this binary re-executed with `--child`), so that its
//! peak RSS (`VmHWM`) is its own. Each workload runs three times per
//! system, alternating, and each figure is the median of the three (the
//! machine may be shared): messages/s (from the
//! first call until the last line is written and the writer is stopped),
//! the caller's time per logging call at p50/p99/p99.9/max (a log-linear
//! histogram, 3 % resolution, including two `Instant::now()` calls that
//! every system pays alike), bytes per line, peak RSS, and lost lines,
//! counted afterwards in the file.
//!
//! Then the limit: one thread serializing the same lines straight into a
//! `BufWriter<File>`, no channel; the CPU time per message of eliot's
//! producer and writer thread and of the limit's thread, round by round;
//! and the costs behind where eliot-rs serializes (caller or writer
//! thread). It ends with one line:
//!
//! ```text
//! writer: throughput_vs_tracing=<x> p50_vs_tracing=<x> p99_vs_tracing=<x>
//!         vs_limit=<x> vs_limit_cpu=<x> p999_ns=<n> p999_floor_ns=<n>
//!         two_producers_vs_one=<x> max_rss_mib=<x> lost=<n>
//! ```
//!
//! (eliot / tracing, 1 producer, flat; `vs_limit` is eliot's throughput
//! over the limit's, 1 producer, flat, the median of its rounds, each
//! measured beside the limit; `vs_limit_cpu` the same comparison in CPU
//! time per message, the limit thread's (its writes included) over eliot's
//! producer thread's, which other processes on a busy machine hardly move;
//! `p999_ns` is eliot's caller p99.9 there, `p999_floor_ns` the p99.9 of a
//! bare loop as long as eliot's median call, timed alike (what the machine
//! adds to any call that long);
//! `two_producers_vs_one` eliot's throughput flat with 2 producers over 1;
//! `max_rss_mib` eliot's peak RSS over the flat workloads; `lost` sums
//! eliot's lost lines over all workloads). Both competitors get a `BufWriter<File>` (their workers
//! flush it when their queue drains); eliot-rs gets a plain `File`, written
//! with one `write_all` per batch.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const MESSAGES: u64 = 1_000_000;
const QUEUE: usize = 16 * 1024;
/// Each system runs each workload this many times, alternating; each
/// figure shown is the median over the rounds.
const ROUNDS: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum System {
    Eliot,
    Tracing,
    Slog,
}

impl System {
    const ALL: [System; 3] = [System::Eliot, System::Tracing, System::Slog];

    fn name(self) -> &'static str {
        match self {
            System::Eliot => "eliot",
            System::Tracing => "tracing",
            System::Slog => "slog",
        }
    }

    fn from_name(name: &str) -> System {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .expect("a system name")
    }

    /// What marks one of the benchmark's messages in this system's lines.
    fn marker(self) -> &'static str {
        match self {
            System::Eliot => "\"message_type\":\"bench:msg\"",
            System::Tracing => "\"message\":\"bench:msg\"",
            System::Slog => "\"msg\":\"bench:msg\"",
        }
    }
}

/// Caller-side latencies: log-linear buckets, 32 per power of two.
#[derive(Clone)]
struct Histogram {
    counts: Vec<u64>,
    max: u64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            counts: vec![0; 64 + 58 * 32],
            max: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < 64 {
            v as usize
        } else {
            let p = 63 - v.leading_zeros() as usize;
            let mantissa = (v >> (p - 5)) as usize; // 32..64
            64 + (p - 6) * 32 + (mantissa - 32)
        }
    }

    fn lower_bound(i: usize) -> u64 {
        if i < 64 {
            i as u64
        } else {
            let p = (i - 64) / 32 + 6;
            let mantissa = ((i - 64) % 32 + 32) as u64;
            mantissa << (p - 5)
        }
    }

    fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.max = self.max.max(ns);
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.max = self.max.max(other.max);
    }

    fn percentile(&self, q: f64) -> u64 {
        let total: u64 = self.counts.iter().sum();
        let wanted = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= wanted {
                return Self::lower_bound(i);
            }
        }
        self.max
    }
}

/// Times one logging call.
#[inline(always)]
fn timed(histogram: &mut Histogram, call: impl FnOnce()) {
    let start = Instant::now();
    call();
    histogram.record(start.elapsed().as_nanos() as u64);
}

/// The CPU time this thread has run, in ns (the scheduler's own count, in
/// `/proc/thread-self/schedstat`): unlike the wall time, it hardly changes
/// when other processes share the machine, so per-message costs compare
/// across runs of a busy machine. 0 where there is no such file.
fn thread_cpu_ns() -> u64 {
    schedstat_cpu_ns(Path::new("/proc/thread-self/schedstat")).unwrap_or(0)
}

/// The first figure of a `schedstat` file: the task's time on a CPU, in ns.
fn schedstat_cpu_ns(path: &Path) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// The CPU time, in ns, of this process's threads named `name` (as in
/// `/proc/self/task/*/comm`); 0 where there is no such file.
fn named_threads_cpu_ns(name: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim() == name)
        })
        .filter_map(|task| schedstat_cpu_ns(&task.path().join("schedstat")))
        .sum()
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `producers` threads, each logging its share with `log(&nest, i)`
/// after `nest = setup()` (which opens the nest and returns its guards, or
/// for slog the nest's logger). Returns the calls' times and the CPU time
/// the producers ran, in ns.
fn produce<G>(
    producers: usize,
    setup: impl Fn() -> G + Sync,
    log: impl Fn(&G, u64) + Sync,
) -> (Histogram, u64) {
    let per = MESSAGES / producers as u64;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..producers)
            .map(|_| {
                let (setup, log) = (&setup, &log);
                s.spawn(move || {
                    let mut histogram = Histogram::new();
                    let cpu = thread_cpu_ns();
                    let guards = setup();
                    for i in 0..per {
                        timed(&mut histogram, || log(&guards, i));
                    }
                    drop(guards);
                    (histogram, thread_cpu_ns() - cpu)
                })
            })
            .collect();
        let mut all = Histogram::new();
        let mut cpu = 0;
        for h in handles {
            let (histogram, ns) = h.join().unwrap();
            all.merge(&histogram);
            cpu += ns;
        }
        (all, cpu)
    })
}

/// One system, one workload, in this (child) process. Prints
/// `elapsed_ns p50 p99 p999 max peak_rss_kib producers_cpu_ns writer_cpu_ns`
/// (the last, eliot's writer thread's CPU time until the stop, 0 for the
/// others).
fn child(system: System, producers: usize, nested: bool, path: &Path) {
    let start;
    let (histogram, producers_cpu);
    let mut writer_cpu = 0;
    match system {
        System::Eliot => {
            let writer = eliot::ThreadedWriter::new(eliot::FileDestination::create(path).unwrap())
                .with_capacity(QUEUE);
            writer.start().unwrap();
            start = Instant::now();
            (histogram, producers_cpu) = produce(
                producers,
                || {
                    nested.then(|| {
                        (
                            eliot::start_action!("bench:outer", depth = 1),
                            eliot::start_action!("bench:middle", depth = 2),
                            eliot::start_action!("bench:inner", depth = 3),
                        )
                    })
                },
                |_, i| {
                    let f = i as f64 * 0.25;
                    eliot::log_message!("bench:msg", i = i, s = "short", f = f);
                },
            );
            writer_cpu = named_threads_cpu_ns("eliot-writer");
            let report = writer.stop().unwrap();
            assert_eq!(report.failed, 0);
        }
        System::Tracing => {
            let file = BufWriter::new(File::create(path).unwrap());
            let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .lossy(false)
                .finish(file);
            let subscriber = tracing_subscriber::fmt()
                .json()
                .with_writer(writer)
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            start = Instant::now();
            (histogram, producers_cpu) = produce(
                producers,
                || {
                    nested.then(|| {
                        (
                            tracing::info_span!("bench:outer", depth = 1).entered(),
                            tracing::info_span!("bench:middle", depth = 2).entered(),
                            tracing::info_span!("bench:inner", depth = 3).entered(),
                        )
                    })
                },
                |_, i| {
                    let f = i as f64 * 0.25;
                    tracing::info!(i = i, s = "short", f = f, "bench:msg");
                },
            );
            drop(guard); // flushes, waiting at most about a second
        }
        System::Slog => {
            use slog::Drain;
            let file = BufWriter::new(File::create(path).unwrap());
            let json = slog_json::Json::new(file).add_default_keys().build().fuse();
            let (drain, guard) = slog_async::Async::new(json)
                .chan_size(QUEUE)
                .overflow_strategy(slog_async::OverflowStrategy::Block)
                .build_with_guard();
            let root = slog::Logger::root(drain.fuse(), slog::o!());
            start = Instant::now();
            (histogram, producers_cpu) = produce(
                producers,
                || {
                    if nested {
                        let outer = root.new(slog::o!("outer" => "bench:outer", "depth1" => 1));
                        let middle = outer.new(slog::o!("middle" => "bench:middle", "depth2" => 2));
                        middle.new(slog::o!("inner" => "bench:inner", "depth3" => 3))
                    } else {
                        root.clone()
                    }
                },
                // slog has no current context: the nest's logger is passed.
                |logger, i| {
                    let f = i as f64 * 0.25;
                    slog::info!(logger, "bench:msg"; "i" => i, "s" => "short", "f" => f);
                },
            );
            drop(root);
            drop(guard); // joins the worker, which flushes the file
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{} {} {} {} {} {} {} {}",
        elapsed.as_nanos(),
        histogram.percentile(0.5),
        histogram.percentile(0.99),
        histogram.percentile(0.999),
        histogram.max,
        peak_rss_kib(),
        producers_cpu,
        writer_cpu
    );
}

/// The median of `xs` (not empty).
fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[derive(Clone)]
struct Figures {
    msgs_per_s: f64,
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
    bytes_per_line: f64,
    rss_mib: f64,
    lost: u64,
    /// The producers' CPU time per message, in ns.
    cpu_ns: f64,
    /// The writer thread's CPU time per message, in ns (eliot only).
    writer_cpu_ns: f64,
}

impl Figures {
    /// Each figure's median over the rounds (the machine may be shared; a
    /// median shrugs off one round that another process disturbed).
    fn median(rounds: &[Figures]) -> Figures {
        fn mid<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        }
        let of = |get: fn(&Figures) -> f64| mid(rounds.iter().map(get).collect());
        let of_u = |get: fn(&Figures) -> u64| mid(rounds.iter().map(get).collect());
        Figures {
            msgs_per_s: of(|f| f.msgs_per_s),
            p50: of_u(|f| f.p50),
            p99: of_u(|f| f.p99),
            p999: of_u(|f| f.p999),
            max: of_u(|f| f.max),
            bytes_per_line: of(|f| f.bytes_per_line),
            rss_mib: of(|f| f.rss_mib),
            lost: rounds.iter().map(|f| f.lost).sum(),
            cpu_ns: of(|f| f.cpu_ns),
            writer_cpu_ns: of(|f| f.writer_cpu_ns),
        }
    }
}

fn run_child(system: System, producers: usize, nested: bool, dir: &Path) -> Figures {
    let path = dir.join(format!(
        "{}-{producers}p-{}.log",
        system.name(),
        if nested { "nested" } else { "flat" }
    ));
    let _ = std::fs::remove_file(&path);
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--child",
            system.name(),
            &producers.to_string(),
            if nested { "nested" } else { "flat" },
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} child failed: {}",
        system.name(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let n: Vec<u64> = stdout
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    // Count what reached the file: whole lines carrying the marker.
    let text = std::fs::read(&path).unwrap();
    let marker = system.marker().as_bytes();
    let mut lines = 0u64;
    let mut marked = 0u64;
    let mut marked_bytes = 0u64;
    for line in text.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        lines += 1;
        let whole = line.first() == Some(&b'{') && line.last() == Some(&b'}');
        if whole && line.windows(marker.len()).any(|w| w == marker) {
            marked += 1;
            marked_bytes += line.len() as u64 + 1;
        }
    }
    let _ = lines;
    let _ = std::fs::remove_file(&path);
    let expected = MESSAGES / producers as u64 * producers as u64;
    Figures {
        msgs_per_s: expected as f64 / Duration::from_nanos(n[0]).as_secs_f64(),
        p50: n[1],
        p99: n[2],
        p999: n[3],
        max: n[4],
        bytes_per_line: marked_bytes as f64 / marked.max(1) as f64,
        rss_mib: n[5] as f64 / 1024.0,
        lost: expected.saturating_sub(marked),
        cpu_ns: n[6] as f64 / expected as f64,
        writer_cpu_ns: n[7] as f64 / expected as f64,
    }
}

/// The limit: one thread building the same lines as eliot-rs (same fields,
/// a timestamp, a fresh task UUID) straight into a `BufWriter<File>`. Each
/// line is timed as the systems' logging calls are (two `Instant::now()`
/// calls and a histogram record), so that the limit pays the benchmark's
/// own costs alike. Returns lines per second and the thread's CPU time per
/// line in ns (its writes' system time included).
fn limit(dir: &Path) -> (f64, f64) {
    let path = dir.join("limit.log");
    let mut out = BufWriter::new(File::create(&path).unwrap());
    let mut line = Vec::with_capacity(256);
    let mut histogram = Histogram::new();
    let cpu = thread_cpu_ns();
    let start = Instant::now();
    for i in 0..MESSAGES {
        let call = Instant::now();
        line.clear();
        let f = i as f64 * 0.25;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let mut uuid = [0u8; uuid::fmt::Hyphenated::LENGTH];
        uuid::Uuid::new_v4().hyphenated().encode_lower(&mut uuid);
        line.extend_from_slice(b"{\"i\":");
        serde_json::to_writer(&mut line, &i).unwrap();
        line.extend_from_slice(b",\"s\":");
        serde_json::to_writer(&mut line, "short").unwrap();
        line.extend_from_slice(b",\"f\":");
        serde_json::to_writer(&mut line, &f).unwrap();
        line.extend_from_slice(b",\"timestamp\":");
        serde_json::to_writer(&mut line, &timestamp).unwrap();
        line.extend_from_slice(b",\"task_uuid\":\"");
        line.extend_from_slice(&uuid);
        line.extend_from_slice(b"\",\"task_level\":[1],\"message_type\":\"bench:msg\"}\n");
        out.write_all(&line).unwrap();
        histogram.record(call.elapsed().as_nanos() as u64);
    }
    out.flush().unwrap();
    std::hint::black_box(&histogram);
    let rate = MESSAGES as f64 / start.elapsed().as_secs_f64();
    drop(out);
    let cpu_per_line = (thread_cpu_ns() - cpu) as f64 / MESSAGES as f64;
    let _ = std::fs::remove_file(&path);
    (rate, cpu_per_line)
}

/// The machine's own p99.9 for a call as long as eliot's median one: a loop
/// of dependent multiplications, timed as the logging calls are (two
/// `Instant::now()` and a histogram record), made as long as `p50_ns` at its
/// median, then run as many times as a workload logs. What it shows at
/// p99.9 is what the machine adds to any call of that length (interrupts,
/// a virtual machine's exits), the floor under eliot's caller p99.9.
/// Returns the loop's p50 and p99.9.
fn p999_floor(p50_ns: u64) -> (u64, u64) {
    let timed_loop = |iterations: u64, calls: u64| {
        let mut histogram = Histogram::new();
        let mut x = 1u64;
        for _ in 0..calls {
            let call = Instant::now();
            for i in 0..iterations {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
            }
            histogram.record(call.elapsed().as_nanos() as u64);
        }
        (histogram.percentile(0.5), histogram.percentile(0.999))
    };
    // The fewest iterations whose median call lasts p50_ns, found by
    // bisection on short runs.
    let (mut low, mut high) = (0u64, 1u64);
    while timed_loop(high, 20_000).0 < p50_ns && high < 1 << 20 {
        high *= 2;
    }
    while high - low > 1 {
        let middle = (low + high) / 2;
        if timed_loop(middle, 20_000).0 < p50_ns {
            low = middle;
        } else {
            high = middle;
        }
    }
    timed_loop(high, MESSAGES)
}

/// Where to serialize: what the caller pays to build the line (what
/// eliot-rs does) beside what it would pay to capture the fields as owned
/// values for the writer thread to serialize, for the benchmark's three
/// scalars and for a small struct; what the writer would then pay; the
/// whole `log_message!` path; and the hand-off onto the queue.
fn placement() {
    const N: u64 = 500_000;
    #[derive(serde::Serialize)]
    struct User {
        name: String,
        roles: Vec<&'static str>,
        id: u64,
    }
    let user = User {
        name: "alice".into(),
        roles: vec!["admin", "ops"],
        id: 7,
    };
    let per = |d: Duration| d.as_nanos() as f64 / N as f64;
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };

    // Serialize on the caller: the line into a reused buffer, then the
    // shared `Arc<str>` the queue carries.
    let build = |with_user: bool| {
        let mut line = Vec::with_capacity(256);
        let start = Instant::now();
        for i in 0..N {
            line.clear();
            let f = i as f64 * 0.25;
            line.extend_from_slice(b"{\"i\":");
            serde_json::to_writer(&mut line, &i).unwrap();
            line.extend_from_slice(b",\"s\":");
            serde_json::to_writer(&mut line, "short").unwrap();
            line.extend_from_slice(b",\"f\":");
            serde_json::to_writer(&mut line, &f).unwrap();
            if with_user {
                line.extend_from_slice(b",\"user\":");
                serde_json::to_writer(&mut line, &user).unwrap();
            }
            line.extend_from_slice(b",\"timestamp\":");
            serde_json::to_writer(&mut line, &now()).unwrap();
            let shared: std::sync::Arc<str> = std::str::from_utf8(&line).unwrap().into();
            std::hint::black_box(shared);
        }
        per(start.elapsed())
    };
    // Serialize on the writer: the caller captures owned values (the fields
    // borrow its data; `serde_json::Value` is the general owned form of any
    // `Serialize`), boxed for the queue; the writer serializes them later.
    struct Event {
        timestamp: f64,
        fields: Vec<(&'static str, serde_json::Value)>,
    }
    let capture = |with_user: bool| {
        let mut events = Vec::with_capacity(1024);
        let mut later = Duration::ZERO;
        let mut line = Vec::with_capacity(256);
        let start = Instant::now();
        for i in 0..N {
            let f = i as f64 * 0.25;
            let mut fields = vec![
                ("i", serde_json::to_value(i).unwrap()),
                ("s", serde_json::to_value("short").unwrap()),
                ("f", serde_json::to_value(f).unwrap()),
            ];
            if with_user {
                fields.push(("user", serde_json::to_value(&user).unwrap()));
            }
            events.push(Box::new(Event {
                timestamp: now(),
                fields,
            }));
            if events.len() == 1024 {
                let t = Instant::now();
                for e in events.drain(..) {
                    line.clear();
                    for (k, v) in &e.fields {
                        serde_json::to_writer(&mut line, k).unwrap();
                        serde_json::to_writer(&mut line, v).unwrap();
                    }
                    serde_json::to_writer(&mut line, &e.timestamp).unwrap();
                    std::hint::black_box(&line);
                }
                later += t.elapsed();
            }
        }
        (per(start.elapsed() - later), per(later))
    };
    let (build_scalars, build_struct) = (build(false), build(true));
    let ((capture_scalars, later_scalars), (capture_struct, later_struct)) =
        (capture(false), capture(true));

    let sink = eliot::add_destination(eliot::destination_fn(|m| {
        std::hint::black_box(m);
    }));
    let start = Instant::now();
    for i in 0..N {
        let f = i as f64 * 0.25;
        eliot::log_message!("bench:msg", i = i, s = "short", f = f);
    }
    let whole = per(start.elapsed());
    eliot::remove_destination(&sink).unwrap();

    // The hand-off alone: a line onto a crossbeam array queue drained by
    // another thread.
    let (tx, rx) = crossbeam_channel::bounded::<eliot::Message>(QUEUE);
    let consumer = std::thread::spawn(move || rx.iter().count());
    let message =
        eliot::Message::from_json(r#"{"i":1,"s":"short","f":0.25,"message_type":"bench:msg"}"#)
            .unwrap();
    let start = Instant::now();
    for _ in 0..N {
        tx.send(message.clone()).unwrap();
    }
    let handoff = per(start.elapsed());
    drop(tx);
    consumer.join().unwrap();

    println!(
        "placement, 3 scalars: caller serializes = {build_scalars:.0} ns/msg; caller captures owned \
         values = {capture_scalars:.0} ns/msg, then the writer serializes = {later_scalars:.0} ns/msg"
    );
    println!(
        "placement, + a struct field: caller serializes = {build_struct:.0} ns/msg; caller captures \
         owned values = {capture_struct:.0} ns/msg, then the writer serializes = {later_struct:.0} ns/msg"
    );
    println!(
        "placement: whole log_message! path to a no-op destination = {whole:.0} ns/msg; \
         crossbeam hand-off to another thread = {handoff:.0} ns/msg"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let system = System::from_name(&args[2]);
        let producers: usize = args[3].parse().unwrap();
        let nested = args[4] == "nested";
        child(system, producers, nested, Path::new(&args[5]));
        return;
    }
    if args.get(1).map(String::as_str) == Some("--limit") {
        // The limit alone, to profile it beside a child's run.
        let dir = std::env::temp_dir();
        let (rate, cpu_ns) = limit(&dir);
        println!("{rate:.0} lines/s, {cpu_ns:.1} ns of CPU per line");
        return;
    }
    if args.get(1).map(String::as_str) == Some("--placement") {
        placement();
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-writer");
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "writer benchmark: {MESSAGES} messages (int, short string, float) per run, to files in {}",
        dir.display()
    );
    println!("  caller ns per call: p50/p99/p99.9/max; rss: peak of the run's own process");

    let mut anchor: Option<(Figures, Figures)> = None;
    // eliot, flat, 1 and 2 producers: for the summary.
    let mut eliot_flat: Vec<Figures> = Vec::new();
    let mut limits = Vec::new();
    // eliot's throughput over the limit's, round by round.
    let mut limit_ratios = Vec::new();
    // The limit's CPU time per line over eliot's producer's per message,
    // round by round: the same comparison, hardly moved by other processes.
    let mut cpu_ratios = Vec::new();
    let mut cpu_per_message = Vec::new();
    let mut eliot_lost = 0;
    for nested in [false, true] {
        for producers in [1, 2] {
            let workload = format!(
                "{}, {producers} producer(s)",
                if nested { "nested 3 deep" } else { "flat" }
            );
            // Rounds alternate the systems; each figure shown is the median
            // of a system's rounds, and the lost lines of every round count.
            let mut rounds: [Vec<Figures>; 3] = [Vec::new(), Vec::new(), Vec::new()];
            for _ in 0..ROUNDS {
                for (i, system) in System::ALL.into_iter().enumerate() {
                    rounds[i].push(run_child(system, producers, nested, &dir));
                }
                // The limit is measured in the rounds of the workload it is
                // compared with, so that both see the same machine.
                if !nested && producers == 1 {
                    let (rate, cpu_ns) = limit(&dir);
                    limits.push(rate);
                    let eliot = &rounds[0][rounds[0].len() - 1];
                    limit_ratios.push(eliot.msgs_per_s / rate);
                    cpu_ratios.push(cpu_ns / eliot.cpu_ns);
                    cpu_per_message.push((eliot.cpu_ns, eliot.writer_cpu_ns, cpu_ns));
                }
            }
            let lost: Vec<u64> = rounds
                .iter()
                .map(|r| r.iter().map(|f| f.lost).sum())
                .collect();
            let rounds_of_eliot = rounds[0].clone();
            let best = rounds.map(|r| Figures::median(&r));
            for (i, system) in System::ALL.into_iter().enumerate() {
                let f = &best[i];
                println!(
                    "{workload:<28} {:<8} {:>5.2} M msgs/s  caller ns {:>5}/{:>5}/{:>6}/{:>9}  {:>4.0} B/line  rss {:>5.1} MiB  lost {}",
                    system.name(),
                    f.msgs_per_s / 1e6,
                    f.p50,
                    f.p99,
                    f.p999,
                    f.max,
                    f.bytes_per_line,
                    f.rss_mib,
                    lost[i]
                );
            }
            eliot_lost += lost[0];
            let [eliot_figures, tracing_figures, _] = best;
            let (e, t) = (eliot_figures, tracing_figures);
            println!(
                "{workload:<28} eliot/tracing: throughput x{:.2}, p50 x{:.2}, p99 x{:.2}",
                e.msgs_per_s / t.msgs_per_s,
                e.p50 as f64 / t.p50 as f64,
                e.p99 as f64 / t.p99 as f64
            );
            if !nested {
                eliot_flat.push(Figures::median(&rounds_of_eliot));
            }
            if !nested && producers == 1 {
                anchor = Some((e, t));
            }
        }
    }
    let (e, t) = anchor.unwrap();
    let limit = median(&limits);
    let vs_limit = median(&limit_ratios);
    let (low, high) = limit_ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
    println!(
        "limit: one thread serializing the same lines into a BufWriter<File>: {:.2} M lines/s \
         (median of {ROUNDS}, measured in the rounds of the flat 1-producer workload); eliot 1 \
         producer flat = {:.0} % of it (per round {:.0}..{:.0} %)",
        limit / 1e6,
        100.0 * vs_limit,
        100.0 * low,
        100.0 * high
    );
    let vs_limit_cpu = median(&cpu_ratios);
    println!(
        "CPU time per message (ns, eliot's producer / eliot's writer thread / the limit, per \
         round): {}; the limit's over eliot's producer's = {vs_limit_cpu:.2} (median; while the \
         writer thread needs less than the producer, the producer sets eliot's pace)",
        cpu_per_message
            .iter()
            .map(|(e, w, l)| format!("{e:.0}/{w:.0}/{l:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let status = Command::new(std::env::current_exe().unwrap())
        .arg("--placement")
        .status()
        .unwrap();
    assert!(status.success());
    let (floor_p50, floor_p999) = p999_floor(e.p50);
    println!(
        "the machine's floor: a loop of {floor_p50} ns a call at its median (eliot's caller: {} \
         ns), timed alike, {MESSAGES} calls: p99.9 {floor_p999} ns (eliot's caller: {} ns)",
        e.p50, e.p999
    );
    let two_vs_one = eliot_flat[1].msgs_per_s / eliot_flat[0].msgs_per_s;
    println!(
        "writer: throughput_vs_tracing={:.2} p50_vs_tracing={:.2} p99_vs_tracing={:.2} \
         vs_limit={vs_limit:.2} vs_limit_cpu={vs_limit_cpu:.2} p999_ns={} p999_floor_ns={floor_p999} \
         two_producers_vs_one={two_vs_one:.2} max_rss_mib={:.1} lost={}",
        e.msgs_per_s / t.msgs_per_s,
        e.p50 as f64 / t.p50 as f64,
        e.p99 as f64 / t.p99 as f64,
        e.p999,
        eliot_flat.iter().map(|f| f.rss_mib).fold(0.0, f64::max),
        eliot_lost
    );
}
