//! The `eliot-tree` command: see the crate docs, or `eliot-tree --help`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser as _, ValueEnum};
use eliot_core::parse::{Event, Location, LogReader, Malformed, Parser, Task};
use eliot_tree::filter::{TaskFilter, parse_time};
use eliot_tree::format::escape_into;
use eliot_tree::html::HtmlReport;
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

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
    out: BufWriter<io::StdoutLock<'static>>,
    renderer: Renderer,
    filter: TaskFilter,
    json: bool,
    html: Option<HtmlReport>,
    flush_each_task: bool,
    color_errors: bool,
    buffer: String,
    tasks: u64,
    incomplete: u64,
    shown: u64,
    malformed: u64,
    /// Set when stdout was closed by its reader (`eliot-tree log | head`).
    closed: bool,
}

impl Session {
    fn event(&mut self, event: Event) {
        match event {
            Event::Task(task) => self.task(&task),
            Event::Malformed(bad) => self.malformed(&bad),
        }
    }

    fn task(&mut self, task: &Task) {
        self.tasks += 1;
        self.incomplete += u64::from(!task.is_complete());
        if self.closed || !self.filter.accepts(task) {
            return;
        }
        self.shown += 1;
        if let Some(report) = &mut self.html {
            report.add_task(task);
            return;
        }
        self.buffer.clear();
        if self.json {
            match serde_json::to_string(task) {
                Ok(json) => self.buffer.push_str(&json),
                Err(e) => {
                    eprintln!(
                        "eliot-tree: task {} cannot be written as JSON: {e}",
                        task.task_uuid()
                    );
                    return;
                }
            }
            self.buffer.push('\n');
        } else {
            self.renderer.render(task, &mut self.buffer);
        }
        let mut written = self.out.write_all(self.buffer.as_bytes());
        if written.is_ok() && self.flush_each_task {
            written = self.out.flush();
        }
        if let Err(e) = written {
            self.output_failed(&e);
        }
    }

    fn malformed(&mut self, bad: &Malformed) {
        self.malformed += 1;
        if let Some(report) = &mut self.html {
            report.add_malformed_line();
        }
        // Keep stdout and stderr in the order things happened on a terminal.
        if self.flush_each_task {
            let _ = self.out.flush();
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
        eprintln!("{on}eliot-tree: {report}{off}\n    {line}");
    }

    fn output_failed(&mut self, error: &io::Error) {
        if error.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("eliot-tree: cannot write the output: {error}");
        }
        self.closed = true;
    }

    fn finish(&mut self) {
        if let Err(e) = self.out.flush() {
            self.output_failed(&e);
        }
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
    });
    let mut session = Session {
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        renderer,
        filter,
        json: args.json,
        html: args.html.as_ref().map(|_| html_report(args)),
        flush_each_task: args.follow || to_terminal,
        color_errors: args.color != ColorChoice::Never && io::stderr().is_terminal(),
        buffer: String::with_capacity(1 << 14),
        tasks: 0,
        incomplete: 0,
        shown: 0,
        malformed: 0,
        closed: false,
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
        read_all(&files, parser, &mut session)?
    };
    session.finish();
    if let (Some(path), Some(report)) = (&args.html, &session.html) {
        let written = File::create(path)
            .and_then(|file| report.write_to(BufWriter::with_capacity(1 << 16, file)));
        written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if args.stats {
        print_stats(&session, lines, started.elapsed());
    }
    Ok(if read_errors {
        ExitCode::from(2)
    } else if session.malformed > 0 {
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
    let mut failed = false;
    for event in reader.by_ref() {
        match event {
            Ok(event) => session.event(event),
            Err(error) => {
                eprintln!("eliot-tree: {error}");
                failed = true;
            }
        }
        if session.closed {
            break;
        }
    }
    Ok((reader.lines_read(), failed))
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
    while !session.closed {
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
        session.tasks, session.incomplete, session.shown, session.malformed
    );
}

/// The process's peak resident memory, from Linux's /proc.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
