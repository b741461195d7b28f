//! The `eliot-prettyprint` command: see `eliot-prettyprint --help`, or the
//! docs of `eliot_tree::prettyprint`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser as _;
use eliot_tree::prettyprint::{Layout, PrettyPrinter};

/// Convert Eliot messages into a more readable format.
///
/// Reads JSON lines (Eliot messages) from the files given, or from standard
/// input, and writes each message as soon as it is read, as Python Eliot's
/// eliot-prettyprint does: `tail -f app.log | eliot-prettyprint` shows a log
/// as it grows. A line that is not an Eliot message is shown as such and
/// reading goes on.
///
/// Exit status: 0, or 2 when an input could not be read or the arguments
/// are wrong.
#[derive(clap::Parser, Debug)]
#[command(
    name = "eliot-prettyprint",
    version,
    max_term_width = 100,
    override_usage = "cat messages | eliot-prettyprint [OPTIONS]\n       eliot-prettyprint [OPTIONS] [FILE]..."
)]
struct Args {
    /// Log files to read, in this order. None, or `-`, reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Compact format, one message per line.
    #[arg(short, long)]
    compact: bool,

    /// Use the local time zone (TZ, else the system's) instead of UTC.
    #[arg(short, long)]
    local_timezone: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let printer = PrettyPrinter::new(if args.compact {
        Layout::Compact
    } else {
        Layout::Pretty
    })
    .local_timezone(args.local_timezone);
    let mut output = Output {
        out: BufWriter::with_capacity(1 << 16, io::stdout().lock()),
        printer,
        text: String::with_capacity(1 << 12),
        closed: false,
    };
    let stdin = [PathBuf::from("-")];
    let files = if args.files.is_empty() {
        &stdin[..]
    } else {
        &args.files[..]
    };
    let mut failed = false;
    for path in files {
        if let Err(message) = output.read(path) {
            eprintln!("eliot-prettyprint: {message}");
            failed = true;
        }
        if output.closed {
            break;
        }
    }
    if let Err(error) = output.out.flush() {
        output.write_failed(&error);
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Where the messages go.
struct Output {
    out: BufWriter<io::StdoutLock<'static>>,
    printer: PrettyPrinter,
    text: String,
    /// Set when stdout was closed by its reader (`eliot-prettyprint | head`).
    closed: bool,
}

impl Output {
    /// Shows every line of one input.
    fn read(&mut self, path: &Path) -> Result<(), String> {
        if path.as_os_str() == "-" {
            return self.read_lines(BufReader::with_capacity(1 << 16, io::stdin()), "<stdin>");
        }
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        self.read_lines(BufReader::with_capacity(1 << 16, file), &name)
    }

    fn read_lines(&mut self, mut input: BufReader<impl Read>, name: &str) -> Result<(), String> {
        let mut line = Vec::with_capacity(1 << 12);
        loop {
            line.clear();
            let read = input
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("cannot read {name}: {e}"))?;
            if read == 0 {
                return Ok(());
            }
            self.text.clear();
            self.printer.format_line(&line, &mut self.text);
            let mut written = self.out.write_all(self.text.as_bytes());
            // Each message is out before the command waits for more input:
            // a log being written is shown live, and a file read at full
            // speed is not written one system call per message.
            if written.is_ok() && input.buffer().is_empty() {
                written = self.out.flush();
            }
            if let Err(error) = written {
                self.write_failed(&error);
                return Ok(());
            }
        }
    }

    fn write_failed(&mut self, error: &io::Error) {
        if !self.closed && error.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("eliot-prettyprint: cannot write the output: {error}");
        }
        self.closed = true;
    }
}
