//! The `eliot-tree` command: see the crate docs, or `eliot-tree --help`.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser as _, ValueEnum};
use eliot_parse::{Chunk, Event, Location, LogReader, Malformed, Parser, ScannedChunk, Task};
use eliot_tree::filter::{TaskFilter, parse_time};
use eliot_tree::format::escape_into;
use eliot_tree::html::HtmlReport;
use eliot_tree::ordered::{self, Job};
use eliot_tree::render::{RenderOptions, Renderer};

/// Display Eliot logs as trees of tasks.
///
/// Reads Eliot JSON-lines logs (from eliot-rs or Python's Eliot), rebuilds
/// each task's tree, and prints each task as soon as its last line is read;
/// tasks that never completed come last. Malformed lines are reported on
/// stderr with their file and line number, and reading goes on.
///
/// Exit status: 0 when every line was read, 1 when malformed lines were
/// found (the rest is still shown), 2 when an input could not be read or
/// the arguments are wrong.
#[derive(clap::Parser, Debug)]
#[command(name = "eliot-tree", version, max_term_width = 100)]
struct Args {
    /// Log files to read, in this order, as one log (a task's lines may be
    /// spread over several files). None, or `-`, reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Show only the task with this UUID (repeat for several).
    #[arg(short = 'u', long = "task-uuid", value_name = "UUID")]
    task_uuid: Vec<String>,

    /// Hide this field (repeat for several). Eliot's own keys are always
    /// hidden, as they are shown in each node's name.
    #[arg(short = 'i', long = "ignore-task-key", value_name = "KEY")]
    ignore_task_key: Vec<String>,

    /// Show timestamps and durations as raw seconds.
    #[arg(long)]
    raw: bool,

    /// Colour the output: by default only when it goes to a terminal (and
    /// NO_COLOR is not set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    /// Draw the tree with ASCII characters.
    #[arg(long)]
    ascii: bool,

    /// Do not colour the tree's lines (only names, statuses and keys).
    #[arg(long)]
    no_color_tree: bool,

    /// Cut field values after LENGTH characters or at their first newline,
    /// whichever comes first; 0 shows them whole.
    #[arg(short = 'l', long, default_value_t = 100, value_name = "LENGTH")]
    field_limit: usize,

    /// Show times in the local time zone (TZ, else the system's) instead of
    /// UTC. Long form only: -l is --field-limit.
    #[arg(long)]
    local_timezone: bool,

    /// Show only tasks with a message matching this JMESPath query, e.g.
    /// "action_type == 'http:request'" (repeat: every query must be matched,
    /// each by some message). Whole tasks are shown, never parts of them.
    #[arg(long, value_name = "QUERY")]
    select: Vec<String>,

    /// Show only tasks still running at or after this time (ISO 8601, UTC
    /// unless a zone is given, or seconds since the epoch).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    start: Option<f64>,

    /// Show only tasks that began before this time (ISO 8601, UTC unless a
    /// zone is given, or seconds since the epoch).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    end: Option<f64>,

    /// Print each task's tree as one line of JSON instead of drawing it.
    #[arg(long)]
    json: bool,

    /// Write the tasks to REPORT as a web page instead of drawing them: a
    /// task list and a timeline of each task, in one file that any browser
    /// opens, with no network.
    #[arg(long, value_name = "REPORT", conflicts_with_all = ["json", "follow"])]
    html: Option<PathBuf>,

    /// Keep reading the files as they grow (like `tail -f`), printing each
    /// task when it completes; tasks still open when it stops are not
    /// shown. Stop with Ctrl-C. Standard input is read once, to its end,
    /// not followed.
    #[arg(short = 'f', long)]
    follow: bool,

    /// Print statistics to stderr at the end: lines, tasks, malformed
    /// lines, time taken and peak memory.
    #[arg(long)]
    stats: bool,

    /// Use this many threads: one reads the log, places its lines and draws
    /// tasks when it can, the others read lines and draw tasks. By default
    /// one per core; one when the output is a terminal, where each task is
    /// shown as soon as its last line is read. The output is the same, in
    /// the same order.
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<NonZeroUsize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// See eliot-tree's Cargo.toml: glibc's arenas made the drawing threads
/// wait on the reading thread's lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("eliot-tree: {message}");
            ExitCode::from(2)
        }
    }
}

/// Where tasks go, and what happened so far.
struct Session {
    output: Output,
    drawing: Drawing,
    tally: Tally,
    buffer: String,
}

/// The tasks chosen, and the count of what was read.
struct Tally {
    filter: TaskFilter,
    html: Option<HtmlReport>,
    color_errors: bool,
    tasks: u64,
    incomplete: u64,
    shown: u64,
    malformed: u64,
}

/// How a task is drawn: as a tree, or as one line of JSON.
struct Drawing {
    renderer: Renderer,
    json: bool,
}

impl Drawing {
    /// Appends `task`, drawn, to `out`; reports on stderr a task that
    /// cannot be drawn.
    fn draw(&self, task: &Task, out: &mut String) {
        if !self.json {
            self.renderer.render(task, out);
            return;
        }
        match serde_json::to_string(task) {
            Ok(json) => {
                out.push_str(&json);
                out.push('\n');
            }
            Err(e) => eprintln!(
                "eliot-tree: task {} cannot be written as JSON: {e}",
                task.task_uuid()
            ),
        }
    }
}

/// The size of the output's buffer, and of the writes of tasks drawn on one
/// thread.
const OUTPUT_BUFFER: usize = 1 << 16;

/// Standard output, and the order of what goes to it and to stderr.
struct Output {
    out: BufWriter<io::Stdout>,
    flush_each_task: bool,
    /// Set when stdout was closed by its reader (`eliot-tree log | head`).
    closed: bool,
}

/// What is printed, in the order it happened.
enum Printed {
    /// A task drawn, for stdout.
    Task(String),
    /// A report of a malformed line, for stderr.
    Malformed(String),
}

impl Output {
    /// Prints `printed`; false once stdout is closed.
    fn print(&mut self, printed: &Printed) -> bool {
        match printed {
            Printed::Task(drawn) => {
                let mut written = self.out.write_all(drawn.as_bytes());
                if written.is_ok() && self.flush_each_task {
                    written = self.out.flush();
                }
                if let Err(e) = written {
                    self.failed(&e);
                }
            }
            Printed::Malformed(report) => {
                // Keep stdout and stderr in the order things happened on a
                // terminal.
                if self.flush_each_task {
                    let _ = self.out.flush();
                }
                eprintln!("{report}");
            }
        }
        !self.closed
    }

    fn failed(&mut self, error: &io::Error) {
        if error.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("eliot-tree: cannot write the output: {error}");
        }
        self.closed = true;
    }

    fn finish(&mut self) {
        if let Err(e) = self.out.flush() {
            self.failed(&e);
        }
    }
}

impl Session {
    /// Prints the tasks drawn and not yet printed.
    fn print_drawn(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let drawn = Printed::Task(std::mem::take(&mut self.buffer));
        self.output.print(&drawn);
        let Printed::Task(mut buffer) = drawn else {
            unreachable!("made above");
        };
        buffer.clear();
        self.buffer = buffer;
    }

    /// Prints what was drawn and flushes the output.
    fn finish(&mut self) {
        self.print_drawn();
        self.output.finish();
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Task(task) => {
                if !self.output.closed && self.tally.counts_and_shows(&task) {
                    self.drawing.draw(&task, &mut self.buffer);
                    // Tasks are drawn one after the other into the buffer,
                    // printed when it holds as much as the BufWriter would:
                    // so large a write goes past the BufWriter's buffer,
                    // not copied into it.
                    if self.output.flush_each_task || self.buffer.len() >= OUTPUT_BUFFER {
                        self.print_drawn();
                    }
                }
            }
            Event::Malformed(bad) => {
                let report = self.tally.malformed(&bad);
                self.output.print(&report);
            }
        }
    }
}

impl Tally {
    /// Counts `task`; true if it is to be drawn (the HTML report takes it
    /// here).
    fn counts_and_shows(&mut self, task: &Task) -> bool {
        self.tasks += 1;
        self.incomplete += u64::from(!task.is_complete());
        if !self.filter.accepts(task) {
            return false;
        }
        self.shown += 1;
        if let Some(report) = &mut self.html {
            report.add_task(task);
            return false;
        }
        true
    }

    /// Counts `bad` and writes its report.
    fn malformed(&mut self, bad: &Malformed) -> Printed {
        self.malformed += 1;
        if let Some(report) = &mut self.html {
            report.add_malformed_line();
        }
        // The report names the task's UUID (a duplicate line, a conflict),
        // which comes from the log: neutralise it as the excerpt is.
        let mut report = String::new();
        escape_into(&mut report, &bad.to_string(), false);
        let mut line = String::new();
        let excerpt: String = bad.line.chars().take(200).collect();
        escape_into(&mut line, &excerpt, false);
        if excerpt.len() < bad.line.len() {
            line.push('…');
        }
        let (on, off) = if self.color_errors {
            ("\x1b[1;31m", "\x1b[0m")
        } else {
            ("", "")
        };
        Printed::Malformed(format!("{on}eliot-tree: {report}{off}\n    {line}"))
    }
}

fn run(args: &Args) -> Result<ExitCode, String> {
    let started = Instant::now();
    let mut filter = TaskFilter::new();
    for query in &args.select {
        filter = filter
            .select(query)
            .map_err(|e| format!("--select {query:?} is not a JMESPath query: {e}"))?;
    }
    if let Some(start) = args.start {
        filter = filter.start(start);
    }
    if let Some(end) = args.end {
        filter = filter.end(end);
    }
    let stdout = io::stdout();
    let to_terminal = stdout.is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let renderer = Renderer::new(RenderOptions {
        field_limit: args.field_limit,
        ignored_keys: args.ignore_task_key.clone(),
        human_readable: !args.raw,
        color,
        color_tree: !args.no_color_tree,
        ascii: args.ascii,
        local_timezone: args.local_timezone,
    });
    let mut session = Session {
        output: Output {
            out: BufWriter::with_capacity(OUTPUT_BUFFER, stdout),
            flush_each_task: args.follow || to_terminal,
            closed: false,
        },
        drawing: Drawing {
            renderer,
            json: args.json,
        },
        tally: Tally {
            filter,
            html: args.html.as_ref().map(|_| html_report(args)),
            color_errors: args.color != ColorChoice::Never && io::stderr().is_terminal(),
            tasks: 0,
            incomplete: 0,
            shown: 0,
            malformed: 0,
        },
        buffer: String::with_capacity(1 << 14),
    };
    let parser = if args.task_uuid.is_empty() {
        Parser::new()
    } else {
        Parser::only_tasks(args.task_uuid.iter().map(String::as_str))
    };
    let files: Vec<&PathBuf> = args.files.iter().collect();
    let reading_stdin = files.is_empty() || files.iter().any(|f| f.as_os_str() == "-");
    if args.follow && reading_stdin {
        eprintln!(
            "eliot-tree: --follow follows files, not standard input: reading everything once"
        );
    }
    let (lines, read_errors) = if args.follow && !reading_stdin {
        follow(&files, parser, &mut session)?
    } else {
        // The HTML report is built on this thread, and a drawing costs
        // little beside it.
        let threads = match args.jobs {
            Some(jobs) => jobs.get(),
            None => thread::available_parallelism().map_or(1, NonZeroUsize::get),
        };
        // Output shown task by task (to a terminal) is read and drawn on
        // this thread: other threads hand a task on only when the next one
        // comes, and a task would wait on the screen for input that may
        // never come.
        let threads = if session.tally.html.is_some() || session.output.flush_each_task {
            1
        } else {
            threads
        };
        read_all(&files, parser, &mut session, threads)?
    };
    session.finish();
    if let (Some(path), Some(report)) = (&args.html, &session.tally.html) {
        let written = File::create(path)
            .and_then(|file| report.write_to(BufWriter::with_capacity(1 << 16, file)));
        written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if args.stats {
        print_stats(&session, lines, started.elapsed());
    }
    Ok(if read_errors {
        ExitCode::from(2)
    } else if session.tally.malformed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// An empty report, titled with the files read and noting the filters.
fn html_report(args: &Args) -> HtmlReport {
    let title = if args.files.is_empty() {
        "<stdin>".to_owned()
    } else {
        let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
        names.join(" ")
    };
    let mut report = HtmlReport::hiding(&args.ignore_task_key).title(title);
    let mut chosen: Vec<String> = args
        .select
        .iter()
        .map(|q| format!("--select {q}"))
        .collect();
    chosen.extend(args.task_uuid.iter().map(|u| format!("--task-uuid {u}")));
    chosen.extend(args.start.map(|t| format!("--start {t}")));
    chosen.extend(args.end.map(|t| format!("--end {t}")));
    if !chosen.is_empty() {
        report = report.note(format!("Only the tasks chosen by {}", chosen.join(" ")));
    }
    report
}

/// Reads every input to its end; returns the lines read and whether an
/// input failed.
fn read_all(
    files: &[&PathBuf],
    parser: Parser,
    session: &mut Session,
    threads: usize,
) -> Result<(u64, bool), String> {
    let mut reader = LogReader::with_parser(parser);
    if files.is_empty() {
        reader.add_input("<stdin>", BufReader::with_capacity(1 << 16, io::stdin()));
    }
    for file in files {
        if file.as_os_str() == "-" {
            reader.add_input("<stdin>", BufReader::with_capacity(1 << 16, io::stdin()));
        } else {
            reader.open_file(file).map_err(|e| e.to_string())?;
        }
    }
    let failed = if threads > 1 {
        read_on_threads(&mut reader, session, threads)
    } else {
        let mut failed = false;
        for event in reader.by_ref() {
            match event {
                Ok(event) => session.event(event),
                Err(error) => {
                    eprintln!("eliot-tree: {error}");
                    failed = true;
                }
            }
            if session.output.closed {
                break;
            }
        }
        failed
    };
    Ok((reader.lines_read(), failed))
}

/// The lines of the tasks a drawing thread gets at a time.
const BATCH_LINES: usize = 500;

/// Reads every event of `reader` on this thread and draws its tasks on
/// `threads` in all (this one included); what is printed comes in the
/// order it would have come from one thread. Returns whether an input
/// failed.
fn read_on_threads(reader: &mut LogReader, session: &mut Session, threads: usize) -> bool {
    let Session {
        output,
        drawing,
        tally,
        ..
    } = session;
    let drawing = &*drawing;
    // Tasks go to the drawing threads in batches, so that a thread wakes up
    // once per batch, not once per task. Output to a terminal is flushed
    // task by task: there a task goes alone. Any other output is written
    // 64 KiB at a time anyway (a task completed shows once that much was
    // written after it); a batch holds back a few hundred kB of output.
    let batch_lines = if output.flush_each_task {
        0
    } else {
        BATCH_LINES
    };
    // The buffers printed, to draw into again: at most one per batch in
    // flight.
    let (give_back, spare) = crossbeam_channel::unbounded::<String>();
    let mut batch: Vec<Task> = Vec::new();
    let mut lines = 0;
    let mut failed = false;
    ordered::in_order(
        threads - 1,
        4 * threads,
        |tasks: Vec<Task>| {
            // A buffer printed before: its memory is reused, not faulted in
            // afresh, which lowers the peak memory of a run.
            let mut drawn = spare.try_recv().unwrap_or_default();
            for task in &tasks {
                drawing.draw(task, &mut drawn);
            }
            // The tasks go back to be freed on the thread that allocated
            // them (measured faster, and less memory, than freeing them
            // here).
            (Printed::Task(drawn), tasks)
        },
        |feeder| {
            // Hands on one event; false once the output is closed.
            let mut hand_on = |event: Event| {
                let done = match event {
                    Event::Task(task) => {
                        if tally.counts_and_shows(&task) {
                            lines += task.len();
                            batch.push(task);
                        }
                        None
                    }
                    Event::Malformed(bad) => Some(tally.malformed(&bad)),
                };
                let full = lines >= batch_lines || done.is_some();
                if full && !batch.is_empty() {
                    lines = 0;
                    if !feeder.feed(Job::Work(std::mem::take(&mut batch))) {
                        return false;
                    }
                }
                done.is_none_or(|report| feeder.feed(Job::Done((report, Vec::new()))))
            };
            // The lines are read in chunks here, scanned on every thread,
            // and placed here in the order they were read.
            let reader = RefCell::new(&mut *reader);
            let open = ordered::in_order(
                threads - 1,
                2 * threads,
                Chunk::scan,
                |scanning| {
                    loop {
                        let chunk = reader.borrow_mut().read_chunk();
                        match chunk {
                            None => return true,
                            Some(Ok(chunk)) => {
                                if !scanning.feed(Job::Work(chunk)) {
                                    return false;
                                }
                            }
                            Some(Err(error)) => {
                                eprintln!("eliot-tree: {error}");
                                failed = true;
                            }
                        }
                    }
                },
                |scanned: ScannedChunk| {
                    let mut open = true;
                    reader
                        .borrow_mut()
                        .place(scanned, |event| open = open && hand_on(event));
                    open
                },
            );
            if !open {
                return;
            }
            if !batch.is_empty() && !feeder.feed(Job::Work(std::mem::take(&mut batch))) {
                return;
            }
            // The tasks that never completed, drawn here one at a time: they
            // come all at once, each unpacked as it is handed back, and
            // several in flight to other threads held more memory than the
            // log's size when no task of a long log completes.
            for event in reader.into_inner().by_ref() {
                let printed = match event {
                    Ok(Event::Task(task)) => {
                        if !tally.counts_and_shows(&task) {
                            continue;
                        }
                        let mut drawn = spare.try_recv().unwrap_or_default();
                        drawing.draw(&task, &mut drawn);
                        (Printed::Task(drawn), vec![task])
                    }
                    // Every input has ended, so none of these is expected;
                    // reported all the same rather than lost.
                    Ok(Event::Malformed(bad)) => (tally.malformed(&bad), Vec::new()),
                    Err(error) => {
                        eprintln!("eliot-tree: {error}");
                        failed = true;
                        continue;
                    }
                };
                if !feeder.feed(Job::Done(printed)) {
                    return;
                }
            }
        },
        |(printed, tasks)| {
            drop(tasks);
            let open = output.print(&printed);
            if let Printed::Task(mut buffer) = printed {
                buffer.clear();
                let _ = give_back.send(buffer);
            }
            open
        },
    );
    failed
}

/// One file being followed.
struct Followed {
    path: PathBuf,
    name: Arc<str>,
    input: BufReader<File>,
    /// What was read of a line whose newline has not been written yet.
    partial: Vec<u8>,
    line: u64,
    offset: u64,
}

impl Followed {
    fn open(path: &PathBuf) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(Followed {
            path: path.clone(),
            name: path.display().to_string().into(),
            input: BufReader::with_capacity(1 << 16, file),
            partial: Vec::new(),
            line: 0,
            offset: 0,
        })
    }

    /// Reads the complete lines written since the last call; returns
    /// whether anything was read.
    fn read_new_lines(&mut self, parser: &mut Parser, session: &mut Session) -> io::Result<bool> {
        let mut progressed = false;
        loop {
            let read = self.input.read_until(b'\n', &mut self.partial)?;
            if read == 0 {
                return Ok(progressed);
            }
            progressed = true;
            self.offset += read as u64;
            let Some(line) = self.partial.strip_suffix(b"\n") else {
                // The writer is in the middle of this line: wait for the rest.
                continue;
            };
            self.line += 1;
            let location = Location {
                source: self.name.clone(),
                line: self.line,
            };
            parser.add_line(line, &location, |e| session.event(e));
            self.partial.clear();
        }
    }

    /// Starts over when the file was truncated, or replaced by a new file
    /// of the same name (log rotation).
    fn reopen_if_replaced(&mut self) {
        let Ok(now) = std::fs::metadata(&self.path) else {
            return; // Gone for now (mid-rotation): keep the old one.
        };
        let truncated = now.len() < self.offset;
        if !truncated && !replaced(&now, self.input.get_ref()) {
            return;
        }
        if let Ok(file) = File::open(&self.path) {
            eprintln!(
                "eliot-tree: {} was {}; reading it from the start",
                self.name,
                if truncated { "truncated" } else { "replaced" }
            );
            self.input = BufReader::with_capacity(1 << 16, file);
            self.partial.clear();
            self.line = 0;
            self.offset = 0;
        }
    }
}

#[cfg(unix)]
fn replaced(now: &std::fs::Metadata, open: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    open.metadata()
        .is_ok_and(|open| open.ino() != now.ino() || open.dev() != now.dev())
}

#[cfg(not(unix))]
fn replaced(_: &std::fs::Metadata, _: &File) -> bool {
    false
}

/// Reads the files as they grow, forever (until interrupted or stdout is
/// closed).
fn follow(
    files: &[&PathBuf],
    mut parser: Parser,
    session: &mut Session,
) -> Result<(u64, bool), String> {
    let mut inputs = files
        .iter()
        .map(|path| Followed::open(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut failed = false;
    while !session.output.closed {
        let mut progressed = false;
        for input in &mut inputs {
            match input.read_new_lines(&mut parser, session) {
                Ok(read) => progressed |= read,
                Err(e) => {
                    eprintln!("eliot-tree: cannot read {}: {e}", input.name);
                    failed = true;
                }
            }
        }
        if !progressed {
            session.finish();
            for input in &mut inputs {
                input.reopen_if_replaced();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // Only a closed output ends the loop: the tasks still open would have
    // nowhere to go.
    Ok((inputs.iter().map(|i| i.line).sum(), failed))
}

fn print_stats(session: &Session, lines: u64, elapsed: Duration) {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        lines as f64 / seconds
    } else {
        0.0
    };
    let peak = peak_rss_kb().map_or_else(
        || "unknown".to_owned(),
        |kb| format!("{:.1}", kb as f64 / 1024.0),
    );
    eprintln!(
        "eliot-tree: lines={lines} tasks={} incomplete={} shown={} malformed={} seconds={seconds:.3} \
         lines_per_second={rate:.0} peak_rss_mb={peak}",
        session.tally.tasks, session.tally.incomplete, session.tally.shown, session.tally.malformed
    );
}

/// The process's peak resident memory, from Linux's /proc.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
