//! `eliot-tree`: Eliot logs as trees of tasks, fast.
//!
//! The `eliot-tree` command reads Eliot logs (written by eliot-rs or by
//! Python's Eliot), rebuilds each task's tree with eliot-core's streaming
//! parser, and draws it the way Python's `eliot-tree` does:
//!
//! ```text
//! $ eliot-tree app.log
//! c0e82aa6-adee-4fd2-8667-76d23c9cc7e5
//! └── ref:request/1 ⇒ started 2026-11-26 08:52:30Z ⧖ 0.000s
//!     ├── method: GET
//!     ├── path: /users/7
//!     ├── ref:request:received/2 2026-11-26 08:52:30Z
//!     │   └── size: 512
//!     └── ref:request/3 ⇒ succeeded 2026-11-26 08:52:30Z
//!         └── status: 200
//! ```
//!
//! Tasks are printed as soon as their last line is read, and `--follow`
//! shows a growing log live. Memory holds the tasks still open (in flight,
//! or never to complete: those are kept until the input ends) and one UUID
//! per task already printed, not the lines of the printed tasks. Malformed
//! lines are reported on stderr with their file and line number, reading
//! goes on, and the exit status says whether any were found. Run
//! `eliot-tree --help` for the options.
//!
//! This library holds the pieces the command is made of: [`render`] draws
//! a task, [`filter`] chooses tasks, [`format`](mod@format) writes values the way
//! Python's eliot-tree does, [`html`] writes the browser report of
//! `eliot-tree --html`, and [`ordered`] spreads the reading and the drawing
//! over every core and hands the results back in order.
//!
//! The package has a second command, `eliot-prettyprint`, a port of Python
//! Eliot's: it shows each message as soon as it is read, without waiting
//! for its task (see [`prettyprint`]).

#![deny(missing_docs)]

mod clock;
mod fields;
pub mod filter;
pub mod format;
pub mod html;
mod json_text;
pub mod ordered;
pub mod prettyprint;
pub mod render;
#[cfg(test)]
mod test_random;
