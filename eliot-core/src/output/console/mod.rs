//! The console: Eliot messages drawn for a person while developing.
//!
//! [`ConsoleDestination`] prints each message as a line (or, in pretty mode,
//! a few lines) that show at a glance which task and action it belongs to,
//! how actions nest, how they ended and how long they took:
//!
//! ```text
//! 08:45:09.127Z 3f2a9c1e ▶ app:request/1 path="/users/7"
//! 08:45:09.127Z 3f2a9c1e   • app:request:received/2 size=512
//! 08:45:09.127Z 3f2a9c1e   ▶ app:db:query/3/1 table="users"
//! 08:45:09.128Z 3f2a9c1e   ✔ app:db:query/3/2 (1.25ms) rows=1
//! 08:45:09.128Z 3f2a9c1e   ▶ app:parse_port/4/1
//! 08:45:09.128Z 3f2a9c1e   ✖ app:parse_port/4/2 (52µs) exception="core::num::error::ParseIntError" reason="invalid digit found in string"
//! 08:45:09.129Z 3f2a9c1e ✔ app:request/5 (2.10ms)
//! ```
//!
//! Each line starts with the UTC time and the first eight characters of its
//! task's UUID (in colour, the same colour for every line of a task), so
//! lines of tasks that run at once stay easy to tell apart. The line is
//! indented by how deep its action is; `▶` starts an action, `✔` and `✖` end
//! it (succeeded or failed, with the time since its start), `•` is a
//! message. The type follows, with its task level as `eliot-tree` writes it
//! (`/3/2`), then the fields as `key=value`, strings quoted. A failed action
//! and an `eliot:traceback` message show their `exception` and `reason`
//! first, in red, and the traceback's text on the lines below.
//!
//! [`ConsoleBuilder::pretty`] puts each field on a line of its own, under the
//! message, strings unquoted and text of several lines as a block.
//!
//! # Colour
//!
//! Colour is used only when writing to a terminal, unless the environment
//! says otherwise: `NO_COLOR` turns it off, `CLICOLOR_FORCE` turns it on even
//! into a pipe ([`ColorChoice::use_color_with_env`] has the rules).
//! [`ConsoleBuilder::color`] overrides both. [`ConsoleBuilder::ascii`]
//! replaces the marks with ASCII ones for terminals without the glyphs.
//!
//! # Safe to print
//!
//! Field values are the application's data, often from outside. Every
//! character that a terminal would act on instead of drawing (escape
//! sequences, `\r`, line breaks inside a value, other control characters,
//! bidirectional overrides) is printed as a visible escape such as `\x1b` or
//! `\u{202e}`: a log line cannot recolour the terminal, move the cursor or
//! hide a previous line.
//!
//! # Whole lines, from any thread
//!
//! Each message is drawn completely into a buffer and written with one
//! `write_all`, under the destination's lock; on stdout and stderr that one
//! call also holds the stream's own lock, the one `println!` takes. Lines of
//! threads logging at once never mix.
//!
//! # Durations and actions that never end
//!
//! The console remembers when each open action started, to print its
//! duration on its end line. Some actions never end (a guard leaked, a task
//! continued by a process that died), so it remembers at most
//! [`ConsoleBuilder::max_open_actions`] of them
//! ([`DEFAULT_MAX_OPEN_ACTIONS`] by default): when that many are open and
//! another starts, the one that started longest ago is forgotten, and if it
//! ends after all its end line has no duration. So does the end of an
//! action whose start the console did not see.
//!
//! # Reading the format
//!
//! The console draws each message from its JSON line, the form every
//! [`Destination`] receives, so it shows exactly what a log file would hold,
//! global fields included. A message that is not a JSON object (one made
//! with [`Message::from_json`] always is) is printed escaped after a `?`.

mod clock;
mod color;
mod head;
mod open_actions;
mod render;
mod scan;
mod text;

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

pub use color::ColorChoice;

use crate::destination::{Destination, DestinationError};
use crate::message::Message;
use crate::output::file::thread_token;
use open_actions::OpenActions;
use render::{Layout, Renderer, Scratch};

/// How many open actions' start times a console remembers by default; see
/// [`ConsoleBuilder::max_open_actions`].
///
/// ```
/// assert_eq!(eliot_core::console::DEFAULT_MAX_OPEN_ACTIONS, 10_000);
/// ```
pub const DEFAULT_MAX_OPEN_ACTIONS: usize = 10_000;

/// Prints messages for a person: compact lines (or pretty blocks) with the
/// time, the task, indentation by depth, how actions ended and how long they
/// took. See the [module docs](self) for what it prints.
///
/// For development: a log to keep, to parse or to ship is written as JSON
/// lines by a [`FileDestination`](crate::FileDestination); both can be
/// added at once.
///
/// ```
/// use eliot_core::console::ConsoleDestination;
/// use eliot_core::{add_destination, log_message, remove_destination, start_action};
///
/// let console = add_destination(ConsoleDestination::stderr());
/// {
///     let _request = start_action!("app:request", path = "/users/7");
///     log_message!("app:request:received", size = 512);
/// }
/// remove_destination(&console).unwrap();
/// ```
pub struct ConsoleDestination {
    renderer: Renderer,
    state: Mutex<State>,
    /// The thread that holds `state`, or 0: a writer that logs comes back
    /// here on that thread, and must not wait for the lock it holds.
    writing: AtomicUsize,
    target: &'static str,
}

struct State {
    writer: Box<dyn Write + Send>,
    out: Vec<u8>,
    scratch: Scratch,
    open: OpenActions<clock::Timestamp>,
}

impl ConsoleDestination {
    /// Compact lines on standard output, coloured on a terminal.
    pub fn stdout() -> Self {
        Self::builder().stdout()
    }

    /// Compact lines on standard error, coloured on a terminal.
    pub fn stderr() -> Self {
        Self::builder().stderr()
    }

    /// Chooses the layout, colours, marks and output.
    ///
    /// ```
    /// use eliot_core::console::{ColorChoice, ConsoleDestination};
    ///
    /// let console = ConsoleDestination::builder()
    ///     .pretty()
    ///     .color(ColorChoice::Never)
    ///     .stdout();
    /// # drop(console);
    /// ```
    pub fn builder() -> ConsoleBuilder {
        ConsoleBuilder::default()
    }

    /// Draws and writes messages with one `write_all` and one flush.
    fn write_messages<'m>(
        &self,
        messages: impl IntoIterator<Item = &'m Message>,
    ) -> io::Result<()> {
        let me = thread_token();
        if self.writing.load(Ordering::Relaxed) == me {
            return Err(io::Error::other(
                "the ConsoleDestination's writer logged a message while writing; \
                 that message cannot be written to the same ConsoleDestination",
            ));
        }
        // A panicking writer leaves at worst a partial line; the console
        // stays usable.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.writing.store(me, Ordering::Relaxed);
        let _release = Release(&self.writing);
        let State {
            writer,
            out,
            scratch,
            open,
        } = &mut *state;
        out.clear();
        for message in messages {
            self.renderer.render(message.as_json(), scratch, open, out);
        }
        let result = writer.write_all(out).and_then(|()| writer.flush());
        if out.capacity() > 1 << 20 {
            *out = Vec::new();
        }
        result
    }
}

/// Marks the console free again when dropped, before its lock is released.
struct Release<'a>(&'a AtomicUsize);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

impl Destination for ConsoleDestination {
    fn write(&self, message: &Message) -> Result<(), DestinationError> {
        self.write_messages(std::iter::once(message))?;
        Ok(())
    }

    fn write_batch(&self, messages: &[Message]) -> Result<(), DestinationError> {
        self.write_messages(messages)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), DestinationError> {
        if self.writing.load(Ordering::Relaxed) == thread_token() {
            return Ok(());
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.writer.flush()?;
        Ok(())
    }
}

impl fmt::Debug for ConsoleDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleDestination")
            .field("target", &self.target)
            .field("pretty", &(self.renderer.layout == Layout::Pretty))
            .field("color", &self.renderer.color)
            .finish_non_exhaustive()
    }
}

/// Configures a [`ConsoleDestination`]; made by
/// [`ConsoleDestination::builder`]. By default: compact, colour on a
/// terminal as the environment allows, Unicode marks.
#[derive(Debug, Clone)]
pub struct ConsoleBuilder {
    layout: Layout,
    color: ColorChoice,
    ascii: bool,
    max_open_actions: usize,
}

impl Default for ConsoleBuilder {
    fn default() -> Self {
        ConsoleBuilder {
            layout: Layout::Compact,
            color: ColorChoice::Auto,
            ascii: false,
            max_open_actions: DEFAULT_MAX_OPEN_ACTIONS,
        }
    }
}

impl ConsoleBuilder {
    /// One line per message, fields as `key=value` (the default).
    pub fn compact(mut self) -> Self {
        self.layout = Layout::Compact;
        self
    }

    /// The message's head line, then each field on a line of its own.
    pub fn pretty(mut self) -> Self {
        self.layout = Layout::Pretty;
        self
    }

    /// When to colour: [`ColorChoice::Auto`] (the default) decides from the
    /// output and the environment; `Always` and `Never` force it.
    pub fn color(mut self, choice: ColorChoice) -> Self {
        self.color = choice;
        self
    }

    /// Marks in ASCII (`>`, `+`, `x`, `*`, `|`, `us`) instead of `▶`, `✔`,
    /// `✖`, `•`, `│`, `µs`, for terminals and fonts without them.
    pub fn ascii(mut self, ascii: bool) -> Self {
        self.ascii = ascii;
        self
    }

    /// How many open actions' start times are remembered, to print
    /// durations ([`DEFAULT_MAX_OPEN_ACTIONS`] by default). Past it, the
    /// action that started longest ago is forgotten, and its end line, if
    /// it comes, shows no duration. 0 prints no durations.
    pub fn max_open_actions(mut self, max: usize) -> Self {
        self.max_open_actions = max;
        self
    }

    /// Writes to standard output; `Auto` colours when it is a terminal.
    pub fn stdout(self) -> ConsoleDestination {
        let color = self.color.use_color(io::stdout().is_terminal());
        self.build(Box::new(io::stdout()), color, "stdout")
    }

    /// Writes to standard error; `Auto` colours when it is a terminal.
    pub fn stderr(self) -> ConsoleDestination {
        let color = self.color.use_color(io::stderr().is_terminal());
        self.build(Box::new(io::stderr()), color, "stderr")
    }

    /// Writes to any writer, flushed after each message or batch. `Auto`
    /// takes it for something other than a terminal: no colour, unless
    /// `CLICOLOR_FORCE` asks for it.
    ///
    /// ```
    /// use std::io::{self, Write};
    /// use std::sync::{Arc, Mutex};
    /// use eliot_core::console::{ColorChoice, ConsoleDestination};
    /// use eliot_core::{Destination, Message};
    ///
    /// /// Keeps what is written.
    /// #[derive(Clone, Default)]
    /// struct Memory(Arc<Mutex<Vec<u8>>>);
    ///
    /// impl Write for Memory {
    ///     fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
    ///         self.0.lock().unwrap().extend_from_slice(bytes);
    ///         Ok(bytes.len())
    ///     }
    ///     fn flush(&mut self) -> io::Result<()> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let memory = Memory::default();
    /// let console = ConsoleDestination::builder()
    ///     .color(ColorChoice::Never)
    ///     .writer(memory.clone());
    /// let line = r#"{"size":512,"timestamp":1795682709.127,"task_uuid":"3f2a9c1e-5d6e-4f70-8a9b-0c1d2e3f4a5b","task_level":[2],"message_type":"app:received"}"#;
    /// console.write(&Message::from_json(line).unwrap()).unwrap();
    /// let drawn = String::from_utf8(memory.0.lock().unwrap().clone()).unwrap();
    /// assert_eq!(drawn, "08:45:09.127Z 3f2a9c1e   • app:received/2 size=512\n");
    /// ```
    pub fn writer(self, writer: impl Write + Send + 'static) -> ConsoleDestination {
        let color = self.color.use_color(false);
        self.build(Box::new(writer), color, "writer")
    }

    fn build(
        self,
        writer: Box<dyn Write + Send>,
        color: bool,
        target: &'static str,
    ) -> ConsoleDestination {
        ConsoleDestination {
            renderer: Renderer {
                layout: self.layout,
                color,
                symbols: if self.ascii {
                    &render::ASCII
                } else {
                    &render::UNICODE
                },
            },
            state: Mutex::new(State {
                writer,
                out: Vec::new(),
                scratch: Scratch::default(),
                open: OpenActions::new(self.max_open_actions),
            }),
            writing: AtomicUsize::new(0),
            target,
        }
    }
}
