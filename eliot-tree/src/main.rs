//! The `eliot-tree` command: see the crate docs, or `eliot-tree --help`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser as _, ValueEnum};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use eliot_parse::{
    Chunk, ChunkReader, Event, Location, LogReader, Malformed, Parser, ReadError, ScannedChunk,
    Task,
};
use eliot_tree::filter::{TaskFilter, parse_time};
use eliot_tree::format::escape_into;
use eliot_tree::html::HtmlReport;
use eliot_tree::ordered::{self, InOrder, Pool, Ticket};
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

    /// Use this many threads: one places the lines read in their tasks, and
    /// every one reads lines and draws tasks. By default one per core. The
    /// output is the same, in the same order.
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
    /// A report (of a malformed line, of an input that failed), for
    /// stderr.
    Report(String),
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
            Printed::Report(report) => {
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
        Printed::Report(format!("{on}eliot-tree: {report}{off}\n    {line}"))
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
        let threads = if session.tally.html.is_some() {
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

/// What is printed of an input that failed.
fn failure_report(error: &ReadError) -> Printed {
    Printed::Report(format!("eliot-tree: {error}"))
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
        // A pipe or a terminal may keep a reader waiting for its next line:
        // read there on a thread of its own. Files are read here, as the
        // chunks are wanted (another thread would cost more on a machine
        // whose every core is busy scanning and drawing).
        let may_wait = files.is_empty()
            || files.iter().any(|file| {
                file.as_os_str() == "-" || !std::fs::metadata(file).is_ok_and(|m| m.is_file())
            });
        let chunks = match may_wait.then(|| read_elsewhere(&mut reader)).flatten() {
            Some(chunks) => Chunks::Elsewhere(chunks),
            None => Chunks::Here(reader.chunk_reader()),
        };
        read_on_threads(&mut reader, chunks, session, threads)
    } else {
        let mut failed = false;
        for event in reader.by_ref() {
            match event {
                Ok(event) => session.event(event),
                Err(error) => {
                    session.output.print(&failure_report(&error));
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

/// Where the chunks of lines of the inputs come from.
enum Chunks {
    /// Read here, as they are wanted.
    Here(ChunkReader),
    /// Read on a thread of their own.
    Elsewhere(Receiver<Result<Chunk, ReadError>>),
}

/// What [`Chunks::try_next`] found.
enum Next {
    Chunk(Result<Chunk, ReadError>),
    /// None is read yet.
    NotYet,
    /// Every input has ended.
    Ended,
}

impl Chunks {
    fn try_next(&mut self) -> Next {
        match self {
            Chunks::Here(inputs) => inputs.next().map_or(Next::Ended, Next::Chunk),
            Chunks::Elsewhere(chunks) => match chunks.try_recv() {
                Ok(chunk) => Next::Chunk(chunk),
                Err(TryRecvError::Empty) => Next::NotYet,
                Err(TryRecvError::Disconnected) => Next::Ended,
            },
        }
    }

    /// What to wait on for the next chunk, if chunks come from elsewhere.
    fn to_wait_on(&self) -> Option<&Receiver<Result<Chunk, ReadError>>> {
        match self {
            Chunks::Here(_) => None,
            Chunks::Elsewhere(chunks) => Some(chunks),
        }
    }
}

/// The chunks of lines of `reader`'s inputs, read on a thread of their own,
/// so that waiting for an input holds up nothing else; `None` (the inputs
/// left to `reader`) if that thread cannot start.
fn read_elsewhere(reader: &mut LogReader) -> Option<Receiver<Result<Chunk, ReadError>>> {
    let (hand_over, handed) = crossbeam_channel::bounded::<ChunkReader>(1);
    let (read, chunks) = crossbeam_channel::bounded(READ_AHEAD);
    // Not joined: when the output closes early, the thread may be waiting
    // for input that never comes, and ends with the process.
    thread::Builder::new()
        .name("eliot-tree input".into())
        .spawn(move || {
            let Ok(inputs) = handed.recv() else {
                return;
            };
            for chunk in inputs {
                if read.send(chunk).is_err() {
                    return; // Nothing more is wanted.
                }
            }
        })
        .ok()?;
    // The thread holds the other end until it has received this.
    hand_over.send(reader.chunk_reader()).ok()?;
    Some(chunks)
}

/// The chunks read on a thread of their own ahead of their scanning.
const READ_AHEAD: usize = 4;

/// The chunks (each about 64 KiB) being scanned or waiting to be placed,
/// for each thread. The placing thread sets the pace: the other threads
/// scan ahead of it while no drawing waits, and with too few chunks ahead
/// they sit idle between the drawings that come in bursts, while the
/// placing thread scans what they could have (see the README for the
/// figures).
const CHUNKS_PER_THREAD: usize = 6;

/// The lines of the tasks a drawing thread gets at a time.
const BATCH_LINES: usize = 500;

/// The lines of the tasks given to be drawn and not yet printed, at most
/// (give or take a chunk's), for each thread: what bounds the memory in
/// flight, even when every task comes at the end (none of a long log's
/// tasks completed).
const DRAWING_LINES_PER_THREAD: usize = 4 * BATCH_LINES;

/// What the threads of [`read_on_threads`] are given to do.
enum Work<'o> {
    /// Read the lines of a chunk.
    Scan(Ticket, Chunk),
    /// Draw tasks.
    Draw(Ticket, Vec<Task>),
    /// Print these, in order, to the output (which one thread holds at a
    /// time); they drew this many lines.
    Print(&'o mut Output, Vec<Printed>, usize),
}

/// What they hand back.
enum Worked<'o> {
    Scanned(Ticket, ScannedChunk),
    /// The tasks drawn, and the tasks, to be freed on the thread that
    /// allocated them (measured faster, and less memory, than freeing them
    /// on another).
    Drawn(Ticket, Printed, Vec<Task>),
    /// The output, and what was printed to it.
    Printed(&'o mut Output, Vec<Printed>, usize),
}

/// Reads `reader`'s log on `threads` in all, this one included: the
/// `chunks` of its inputs are scanned on every thread and placed on this
/// one, in the order they were read; the tasks they complete are drawn on
/// every thread and printed in the order they completed, by one thread at
/// a time: what is printed is what one thread would print, and each task
/// as soon as it is drawn. Returns whether an input failed.
fn read_on_threads<'s>(
    reader: &mut LogReader,
    mut chunks: Chunks,
    session: &'s mut Session,
    threads: usize,
) -> bool {
    let Session {
        output,
        drawing,
        tally,
        ..
    } = session;
    let drawing = &*drawing;
    // The buffers printed, to draw into again: at most one per batch in
    // flight.
    let (give_back, spare) = crossbeam_channel::unbounded::<String>();
    let work = |work: Work<'s>| -> Worked<'s> {
        match work {
            Work::Scan(ticket, chunk) => Worked::Scanned(ticket, chunk.scan()),
            Work::Draw(ticket, tasks) => {
                // A buffer printed before: its memory is reused, not faulted
                // in afresh, which lowers the peak memory of a run.
                let mut drawn = spare.try_recv().unwrap_or_default();
                // The tasks were built on the placing thread: their
                // messages come into this core's cache all at once, rather
                // than a miss at a time as the drawing reaches each.
                for task in &tasks {
                    task.warm_cache();
                }
                for task in &tasks {
                    drawing.draw(task, &mut drawn);
                }
                Worked::Drawn(ticket, Printed::Task(drawn), tasks)
            }
            Work::Print(output, printed, lines) => {
                for each in &printed {
                    if !output.print(each) {
                        break;
                    }
                }
                Worked::Printed(output, printed, lines)
            }
        }
    };
    // Tasks go to be drawn in batches, so that a thread wakes up once per
    // batch, not once per task. Output to a terminal is flushed task by
    // task: there a task goes alone. Any other output is written 64 KiB at
    // a time anyway (a task completed shows once that much was written
    // after it); a batch holds back a few hundred kB of output.
    let batch_limit = if output.flush_each_task {
        0
    } else {
        BATCH_LINES
    };
    let mut placing = Placing {
        output: Some(output),
        printing: Vec::new(),
        printing_lines: 0,
        tally,
        give_back,
        scanned: InOrder::new(),
        drawn: InOrder::new(),
        drawing_lines: 0,
        batch: Vec::new(),
        batch_lines: 0,
        batch_limit,
        chunks_ahead: CHUNKS_PER_THREAD * threads,
        drawing_limit: DRAWING_LINES_PER_THREAD * threads,
        failed: false,
    };
    ordered::with_pool(threads - 1, work, |pool| {
        placing.run(reader, &mut chunks, pool)
    });
    placing.failed
}

/// The thread of [`read_on_threads`] that places the lines and prints the
/// tasks.
struct Placing<'s> {
    /// The output, when no other thread is printing to it.
    output: Option<&'s mut Output>,
    /// What is drawn, in order, to be printed next.
    printing: Vec<Printed>,
    /// The lines of the tasks in `printing`.
    printing_lines: usize,
    tally: &'s mut Tally,
    give_back: Sender<String>,
    /// The chunks given to be scanned (or an input's failure, reported in
    /// its place), to be placed in the order they were read.
    scanned: InOrder<Result<ScannedChunk, ReadError>>,
    /// The tasks given to be drawn (or a malformed line's report), to be
    /// printed in the order they completed.
    drawn: InOrder<(Printed, Vec<Task>)>,
    /// The lines of the tasks given to be drawn and not printed yet.
    drawing_lines: usize,
    /// Tasks to be drawn, not given yet.
    batch: Vec<Task>,
    batch_lines: usize,
    batch_limit: usize,
    /// The most chunks in `scanned`.
    chunks_ahead: usize,
    /// The most lines in `drawing_lines`.
    drawing_limit: usize,
    failed: bool,
}

impl<'s> Placing<'s> {
    /// Places every chunk and prints every task: returns when the inputs
    /// have ended and everything is printed, or the output was closed.
    fn run(
        &mut self,
        reader: &mut LogReader,
        chunks: &mut Chunks,
        pool: &Pool<'_, Work<'s>, Worked<'s>>,
    ) {
        let mut reading = true;
        let mut ended = false;
        let nothing = crossbeam_channel::never();
        loop {
            while let Some(worked) = pool.try_result() {
                self.take(worked);
            }
            // Printing makes room for placing, placing makes room for
            // more chunks, placing and the end of the input give reports
            // that are printed at once: after these steps nothing is left
            // to do with the results taken.
            if !self.print_ready(pool) {
                return; // The output was closed.
            }
            self.place_ready(reader, pool);
            while reading && self.scanned.len() < self.chunks_ahead {
                match chunks.try_next() {
                    Next::Chunk(chunk) => self.scan(chunk, pool),
                    Next::NotYet => break,
                    Next::Ended => reading = false,
                }
            }
            if !reading && self.scanned.is_empty() && !ended {
                ended = self.place_unfinished(reader, pool);
            }
            if !self.print_ready(pool) {
                return;
            }
            if ended && self.drawn.is_empty() && self.printing.is_empty() && self.output.is_some() {
                return;
            }
            // Nothing to do without waiting: a job given, done here, or,
            // when every line read is placed, the tasks completed drawn
            // before more input comes (it may be a while).
            if let Some(worked) = pool.work_here() {
                self.take(worked);
                continue;
            }
            if self.scanned.is_empty() && !self.batch.is_empty() {
                self.give_batch(pool);
                continue;
            }
            // Every job given is being done on another thread; what waits
            // here waits for one of them (a chunk for its scan, the room
            // for placing for a drawing given, the end for the last
            // drawings), or for the input.
            let input = match chunks.to_wait_on() {
                Some(chunks) if reading && self.scanned.len() < self.chunks_ahead => chunks,
                _ => &nothing,
            };
            crossbeam_channel::select! {
                recv(pool.results()) -> worked => {
                    if let Ok(worked) = worked {
                        self.take(worked);
                    }
                }
                recv(input) -> chunk => match chunk {
                    Ok(chunk) => self.scan(chunk, pool),
                    Err(_) => reading = false,
                },
            }
        }
    }

    fn scan(&mut self, chunk: Result<Chunk, ReadError>, pool: &Pool<'_, Work<'s>, Worked<'s>>) {
        match chunk {
            Ok(chunk) => pool.offer(Work::Scan(self.scanned.ticket(), chunk)),
            Err(error) => self.scanned.push(Err(error)),
        }
    }

    fn take(&mut self, worked: Worked<'s>) {
        match worked {
            Worked::Printed(output, printed, lines) => {
                self.drawing_lines -= lines;
                for each in printed {
                    if let Printed::Task(mut buffer) = each {
                        buffer.clear();
                        let _ = self.give_back.send(buffer);
                    }
                }
                self.output = Some(output);
            }
            Worked::Scanned(ticket, chunk) => self.scanned.put(ticket, Ok(chunk)),
            Worked::Drawn(ticket, printed, tasks) => self.drawn.put(ticket, (printed, tasks)),
        }
    }

    /// Places the chunks scanned whose turn it is, while the drawing has
    /// room for the tasks they complete.
    fn place_ready(&mut self, reader: &mut LogReader, pool: &Pool<'_, Work<'s>, Worked<'s>>) {
        while self.drawing_lines < self.drawing_limit
            && let Some(chunk) = self.scanned.pop()
        {
            match chunk {
                Ok(chunk) => reader.place(chunk, |event| self.hand_on(event, pool)),
                Err(error) => self.report_failure(&error, pool),
            }
        }
    }

    /// Reports an input that failed, in its place among the tasks and
    /// the reports before it.
    fn report_failure(&mut self, error: &ReadError, pool: &Pool<'_, Work<'s>, Worked<'s>>) {
        self.failed = true;
        self.report(failure_report(error), pool);
    }

    /// Prints `report` after the tasks before it.
    fn report(&mut self, report: Printed, pool: &Pool<'_, Work<'s>, Worked<'s>>) {
        self.give_batch(pool);
        self.drawn.push((report, Vec::new()));
    }

    /// Once every line is placed: the tasks that never completed, while
    /// the drawing has room. Returns whether every one was given.
    fn place_unfinished(
        &mut self,
        reader: &mut LogReader,
        pool: &Pool<'_, Work<'s>, Worked<'s>>,
    ) -> bool {
        while self.drawing_lines < self.drawing_limit {
            match reader.next() {
                Some(Ok(event)) => self.hand_on(event, pool),
                // Every input has ended, so no failure is expected;
                // reported all the same rather than lost.
                Some(Err(error)) => self.report_failure(&error, pool),
                None => {
                    self.give_batch(pool);
                    return true;
                }
            }
        }
        false
    }

    /// Takes an event of the reader: a task to draw (in a batch), or a
    /// report to print in its place.
    fn hand_on(&mut self, event: Event, pool: &Pool<'_, Work<'s>, Worked<'s>>) {
        match event {
            Event::Task(task) => {
                if self.tally.counts_and_shows(&task) {
                    self.batch_lines += task.len();
                    self.batch.push(task);
                    if self.batch_lines >= self.batch_limit {
                        self.give_batch(pool);
                    }
                }
            }
            Event::Malformed(bad) => {
                let report = self.tally.malformed(&bad);
                self.report(report, pool);
            }
        }
    }

    fn give_batch(&mut self, pool: &Pool<'_, Work<'s>, Worked<'s>>) {
        if !self.batch.is_empty() {
            self.drawing_lines += std::mem::take(&mut self.batch_lines);
            let tasks = std::mem::take(&mut self.batch);
            pool.give(Work::Draw(self.drawn.ticket(), tasks));
        }
    }

    /// Prints what is drawn, in order: gives it to be printed when no
    /// other thread is printing. False once the output is closed.
    fn print_ready(&mut self, pool: &Pool<'_, Work<'s>, Worked<'s>>) -> bool {
        while let Some((printed, tasks)) = self.drawn.pop() {
            self.printing_lines += tasks.iter().map(Task::len).sum::<usize>();
            drop(tasks);
            self.printing.push(printed);
        }
        let Some(output) = self.output.take() else {
            return true; // Being printed: the output comes back.
        };
        if output.closed {
            return false;
        }
        if self.printing.is_empty() {
            self.output = Some(output);
        } else {
            let printing = std::mem::take(&mut self.printing);
            let lines = std::mem::take(&mut self.printing_lines);
            pool.give(Work::Print(output, printing, lines));
        }
        true
    }
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
