//! What one `log_message!` costs, beside the same event through `tracing`.
//!
//! Both pipelines format the same event (three fields: an int, a short
//! string, a float) as one JSON line on the calling thread and write it to
//! `io::sink()`: eliot-rs through `FileDestination`, `tracing` through
//! `tracing-subscriber`'s JSON formatter. Each runs inside one action / span,
//! and as a bare event. Rounds alternate between the two so that both see the
//! same machine; the medians of the rounds are compared.
//!
//! Beside them, the limit: `serde_json` writing the same JSON object (the
//! same three fields, then Eliot's `timestamp`, `task_uuid`, `task_level`
//! and `message_type`, in the same order, with a fresh timestamp per event)
//! into a reused buffer, and the line to the sink: what any JSON logger
//! must at least do on the calling thread. The summary line's `vs_limit` is
//! eliot's time over it (inside one action).
//!
//! Then the development console: the same event, inside the action / span,
//! drawn for a person and written to a sink that counts lines, by
//! `ConsoleDestination` (compact) and by `tracing-subscriber`'s `fmt`
//! compact formatter, both without colour. Eliot's figure is the whole
//! call: building the JSON line, then reading it back and drawing it.
//!
//! ```text
//! cargo bench --bench core
//! cargo bench --bench core -- console --events 20000   # one part, shorter
//! ```

use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use eliot::console::{ColorChoice, ConsoleDestination};
use eliot::{
    Destination, DestinationError, FieldValue, FileDestination, Message, add_destination,
    log_message, remove_destination, start_action,
};

const ROUNDS: usize = 9;

/// Events per round: 200,000, or `--events N` (smaller, to run the bench
/// under a profiler such as callgrind).
static EVENTS_PER_ROUND: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

fn events() -> u64 {
    *EVENTS_PER_ROUND.get().unwrap_or(&200_000)
}

/// Counts lines and bytes on their way to the sink, so the figures can show
/// that every event was formatted and written.
struct Counted<D> {
    inner: D,
    lines: AtomicU64,
    bytes: AtomicU64,
}

impl<D: Destination> Destination for Counted<D> {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.lines.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(message.as_json().len() as u64 + 1, Ordering::Relaxed);
        self.inner.write(message)
    }
}

#[derive(Clone, Default)]
struct CountingSink(Arc<(AtomicU64, AtomicU64)>);

impl CountingSink {
    /// Lines and bytes written so far.
    fn totals(&self) -> (u64, u64) {
        (
            self.0.0.load(Ordering::Relaxed),
            self.0.1.load(Ordering::Relaxed),
        )
    }
}

impl io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.0.fetch_add(
            buf.iter().filter(|&&b| b == b'\n').count() as u64,
            Ordering::Relaxed,
        );
        self.0.1.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn eliot_round(in_action: bool) -> f64 {
    let _action = in_action.then(|| start_action!("bench:request", id = 1));
    let start = Instant::now();
    for i in 0..events() {
        log_message!(
            "bench:event",
            i = black_box(i),
            name = black_box("short"),
            value = black_box(1.5)
        );
    }
    start.elapsed().as_nanos() as f64 / events() as f64
}

fn tracing_round(in_span: bool) -> f64 {
    let span = tracing::info_span!("bench:request", id = 1);
    let _entered = in_span.then(|| span.enter());
    let start = Instant::now();
    for i in 0..events() {
        tracing::info!(
            i = black_box(i),
            name = black_box("short"),
            value = black_box(1.5),
            "bench:event"
        );
    }
    start.elapsed().as_nanos() as f64 / events() as f64
}

/// The same line as `log_message!` inside the action writes, serialized
/// by `serde_json` from a struct whose fields are in Eliot's order.
#[derive(serde::Serialize)]
struct LimitLine<'a> {
    i: u64,
    name: &'a str,
    value: f64,
    timestamp: f64,
    task_uuid: &'a str,
    task_level: [u64; 1],
    message_type: &'a str,
}

/// The limit: the line built by `serde_json` into a reused buffer and
/// written to `io::sink()`, `events()` times, with a fresh timestamp each (as
/// eliot takes one per message); counts the lines and bytes in `written`.
fn limit_round(written: &mut (u64, u64)) -> f64 {
    let mut sink = io::sink();
    let task_uuid = "33eb52ae-a906-4532-b550-dbf7c91a0806";
    let mut line = Vec::with_capacity(256);
    let start = Instant::now();
    for i in 0..events() {
        line.clear();
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let event = LimitLine {
            i: black_box(i),
            name: black_box("short"),
            value: black_box(1.5),
            timestamp,
            task_uuid,
            task_level: [i + 2],
            message_type: "bench:event",
        };
        serde_json::to_writer(&mut line, &event).expect("a plain struct serializes");
        line.push(b'\n');
        io::Write::write_all(&mut sink, &line).expect("the sink takes everything");
        written.0 += 1;
        written.1 += line.len() as u64;
    }
    start.elapsed().as_nanos() as f64 / events() as f64
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// `cargo bench --bench core [-- [json|console|values] [--events N]]`: both parts
/// by default, or the one named.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--events") {
        let events = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .expect("--events takes a number of events per round");
        EVENTS_PER_ROUND.set(events).expect("set once");
    }
    let only = |part: &str| {
        !args
            .iter()
            .any(|a| a == "json" || a == "console" || a == "values")
            || args.iter().any(|a| a == part)
    };
    if only("json") {
        json_lines();
    }
    if only("console") {
        console();
    }
    if only("values") {
        field_values();
    }
}

fn json_lines() {
    let eliot_dest = Arc::new(Counted {
        inner: FileDestination::new(io::sink()),
        lines: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    });
    let registered = add_destination(eliot_dest.clone());

    let tracing_sink = CountingSink::default();
    let writer = tracing_sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(move || writer.clone())
        .finish();

    println!(
        "core: {} events x {ROUNDS} rounds per case, 3 fields, JSON to io::sink(), one thread",
        events()
    );
    println!(
        "{:<34} {:>10} {:>10} {:>8}",
        "case", "eliot ns", "tracing ns", "ratio"
    );
    let mut summary = Vec::new();
    // Lines and bytes the limit wrote.
    let mut limit_written = (0, 0);
    let mut limits = Vec::new();
    // Eliot's time over the limit's, round by round: the spread of the ratio.
    let mut round_ratios = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        for (label, nested) in [
            ("bare event / message", false),
            ("inside one action / span", true),
        ] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            // Warm-up round for each, not counted.
            eliot_round(nested);
            tracing_round(nested);
            for _ in 0..ROUNDS {
                ours.push(eliot_round(nested));
                theirs.push(tracing_round(nested));
                if nested {
                    limits.push(limit_round(&mut limit_written));
                    round_ratios.push(ours[ours.len() - 1] / limits[limits.len() - 1]);
                }
            }
            let (ours, theirs) = (median(ours), median(theirs));
            println!(
                "{label:<34} {ours:>10.0} {theirs:>10.0} {:>8.2}",
                ours / theirs
            );
            summary.push((ours, theirs));
        }
    });

    let eliot_lines = eliot_dest.lines.load(Ordering::Relaxed);
    let tracing_lines = tracing_sink.0.0.load(Ordering::Relaxed);
    let expected_events = 2 * (ROUNDS as u64 + 1) * events();
    // Eliot also writes each action's start and end.
    let expected_eliot = expected_events + 2 * (ROUNDS as u64 + 1);
    println!(
        "lines written: eliot {eliot_lines} (expected {expected_eliot}), tracing {tracing_lines} (expected {expected_events})"
    );
    println!(
        "bytes per line: eliot {:.0}, tracing {:.0}",
        eliot_dest.bytes.load(Ordering::Relaxed) as f64 / eliot_lines as f64,
        tracing_sink.0.1.load(Ordering::Relaxed) as f64 / tracing_lines as f64
    );
    let lost = expected_eliot.abs_diff(eliot_lines) + expected_events.abs_diff(tracing_lines);
    let (limit_lines, limit_bytes) = limit_written;
    let limit = median(limits.clone());
    let range = |xs: &[f64]| {
        xs.iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)))
    };
    let (low, high) = range(&limits);
    let (low_ratio, high_ratio) = range(&round_ratios);
    println!(
        "limit: serde_json writing the same object into a reused buffer, inside one action: \
         {limit:.0} ns (rounds {low:.0}..{high:.0}), {:.0} bytes per line, {limit_lines} lines; \
         eliot over it per round {low_ratio:.2}..{high_ratio:.2}",
        limit_bytes as f64 / limit_lines.max(1) as f64
    );
    let (ours, theirs) = summary[1];
    println!(
        "core: log_message_ns={ours:.0} tracing_json_ns={theirs:.0} ratio_vs_tracing={:.2} \
         serde_json_limit_ns={limit:.0} vs_limit={:.2} lost={lost}",
        ours / theirs,
        ours / limit
    );
    remove_destination(&registered).expect("added above");
}

/// `ConsoleDestination` beside `tracing_subscriber::fmt().compact()`.
fn console() {
    let eliot_sink = CountingSink::default();
    let console = ConsoleDestination::builder()
        .color(ColorChoice::Never)
        .writer(eliot_sink.clone());
    let registered = add_destination(console);

    let tracing_sink = CountingSink::default();
    let writer = tracing_sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .compact()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();

    println!();
    println!(
        "console: {} events x {ROUNDS} rounds, 3 fields, inside one action / span, \
         compact text to a counting sink, no colour, one thread",
        events()
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    tracing::subscriber::with_default(subscriber, || {
        eliot_round(true);
        tracing_round(true);
        for _ in 0..ROUNDS {
            ours.push(eliot_round(true));
            theirs.push(tracing_round(true));
        }
    });
    remove_destination(&registered).expect("added above");
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "{:<34} {:>10} {:>10} {:>8}",
        "case", "eliot ns", "tracing ns", "ratio"
    );
    println!(
        "{:<34} {ours:>10.0} {theirs:>10.0} {:>8.2}",
        "console / fmt compact",
        ours / theirs
    );

    let expected_events = (ROUNDS as u64 + 1) * events();
    let expected_eliot = expected_events + 2 * (ROUNDS as u64 + 1);
    let (eliot_lines, eliot_bytes) = eliot_sink.totals();
    let (tracing_lines, tracing_bytes) = tracing_sink.totals();
    println!(
        "lines written: eliot {eliot_lines} (expected {expected_eliot}), tracing {tracing_lines} (expected {expected_events})"
    );
    println!(
        "bytes per line: eliot {:.0}, tracing {:.0}",
        eliot_bytes as f64 / eliot_lines as f64,
        tracing_bytes as f64 / tracing_lines as f64
    );
    let lost = expected_eliot.abs_diff(eliot_lines) + expected_events.abs_diff(tracing_lines);
    println!(
        "console: console_ns={ours:.0} tracing_fmt_ns={theirs:.0} ratio_vs_tracing_fmt={:.2} lost={lost}",
        ours / theirs
    );
}

/// What cutting huge collections (`MAX_COLLECTION_LEN`) costs a flat
/// message: its three values (an int, a short string, a float) written by
/// `FieldValue::write_json`, which checks each value's JSON length to know
/// whether it could hold a collection to cut, beside `serde_json::to_writer`
/// writing the same values, into one reused buffer. Rounds alternate; the bytes
/// written by both are compared.
fn field_values() {
    fn round(write: fn(&mut Vec<u8>, u64), bytes: &mut u64) -> f64 {
        let mut buf = Vec::with_capacity(64);
        let start = Instant::now();
        for i in 0..events() {
            buf.clear();
            write(&mut buf, black_box(i));
            *bytes += buf.len() as u64;
        }
        start.elapsed().as_nanos() as f64 / events() as f64
    }
    fn ours(buf: &mut Vec<u8>, i: u64) {
        i.write_json(buf).expect("an int");
        black_box("short").write_json(buf).expect("a string");
        black_box(1.5_f64).write_json(buf).expect("a float");
    }
    fn plain(buf: &mut Vec<u8>, i: u64) {
        serde_json::to_writer(&mut *buf, &i).expect("an int");
        serde_json::to_writer(&mut *buf, black_box("short")).expect("a string");
        serde_json::to_writer(&mut *buf, &black_box(1.5_f64)).expect("a float");
    }

    println!();
    println!(
        "field values: {} x 3 values (int, short string, float) x {ROUNDS} rounds into a reused buffer, one thread",
        events()
    );
    let (mut ours_ns, mut plain_ns) = (Vec::new(), Vec::new());
    let (mut ours_bytes, mut plain_bytes) = (0, 0);
    round(ours, &mut 0);
    round(plain, &mut 0);
    for _ in 0..ROUNDS {
        ours_ns.push(round(ours, &mut ours_bytes));
        plain_ns.push(round(plain, &mut plain_bytes));
    }
    let (ours_ns, plain_ns) = (median(ours_ns), median(plain_ns));
    println!(
        "{:<34} {:>10} {:>10} {:>8}",
        "case", "eliot ns", "serde ns", "ratio"
    );
    println!(
        "{:<34} {ours_ns:>10.1} {plain_ns:>10.1} {:>8.2}",
        "write_json / serde_json::to_writer",
        ours_ns / plain_ns
    );
    println!("bytes written: eliot {ours_bytes}, serde_json {plain_bytes}");
    println!(
        "field values: write_json_ns={ours_ns:.1} serde_json_ns={plain_ns:.1} ratio_vs_serde_json={:.2} same_bytes={}",
        ours_ns / plain_ns,
        ours_bytes == plain_bytes
    );
}
