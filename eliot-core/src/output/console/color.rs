//! When to colour, and with which colours.

use std::ffi::OsString;

/// Whether a [`ConsoleDestination`](super::ConsoleDestination) colours its
/// output.
///
/// ```
/// use eliot_core::console::ColorChoice;
///
/// let env = |name: &str| (name == "NO_COLOR").then(|| "1".into());
/// assert!(!ColorChoice::Auto.use_color_with_env(true, env));
/// assert!(ColorChoice::Always.use_color_with_env(false, env));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, as the environment allows (see
    /// [`use_color_with_env`](ColorChoice::use_color_with_env)). The default.
    #[default]
    Auto,
    /// Always colour, whatever the output and the environment say.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to a terminal (`is_terminal`) or
    /// elsewhere, under this process's environment.
    pub fn use_color(self, is_terminal: bool) -> bool {
        self.use_color_with_env(is_terminal, |name| std::env::var_os(name))
    }

    /// The decision of [`use_color`](ColorChoice::use_color), with the
    /// environment given as a function from a variable's name to its value.
    /// For [`Auto`](ColorChoice::Auto), in this order:
    ///
    /// 1. `NO_COLOR` set to anything but the empty string: no colour
    ///    (<https://no-color.org>);
    /// 2. `CLICOLOR_FORCE` set to anything but the empty string or `0`:
    ///    colour, even when not writing to a terminal
    ///    (<https://bixense.com/clicolors/>);
    /// 3. `CLICOLOR=0`: no colour;
    /// 4. otherwise colour on a terminal, unless `TERM` is `dumb`.
    ///
    /// ```
    /// use eliot_core::console::ColorChoice;
    /// use std::ffi::OsString;
    ///
    /// let env = |pairs: &'static [(&'static str, &'static str)]| {
    ///     move |name: &str| {
    ///         pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
    ///     }
    /// };
    /// assert!(ColorChoice::Auto.use_color_with_env(true, env(&[])));
    /// assert!(!ColorChoice::Auto.use_color_with_env(false, env(&[])));
    /// assert!(ColorChoice::Auto.use_color_with_env(false, env(&[("CLICOLOR_FORCE", "1")])));
    /// assert!(!ColorChoice::Auto.use_color_with_env(true, env(&[("TERM", "dumb")])));
    /// ```
    pub fn use_color_with_env(
        self,
        is_terminal: bool,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let set = |name| env(name).filter(|value| !value.is_empty());
                if set("NO_COLOR").is_some() {
                    false
                } else if set("CLICOLOR_FORCE").is_some_and(|value| value != "0") {
                    true
                } else if env("CLICOLOR").is_some_and(|value| value == "0") {
                    false
                } else {
                    is_terminal && env("TERM").is_none_or(|term| term != "dumb")
                }
            }
        }
    }
}

/// SGR sequences: what the console writes around styled text.
pub(super) const RESET: &str = "\x1b[0m";
pub(super) const DIM: &str = "\x1b[2m";
pub(super) const BOLD: &str = "\x1b[1m";
pub(super) const RED: &str = "\x1b[31m";
pub(super) const BOLD_RED: &str = "\x1b[1;31m";
pub(super) const GREEN: &str = "\x1b[32m";

/// The colours a task's short id is drawn in: neither red nor green, which
/// say how actions ended.
const TASK_COLORS: [&str; 8] = [
    "\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[33m", "\x1b[96m", "\x1b[95m", "\x1b[94m", "\x1b[93m",
];

/// The colour of a task's short id `short_id`: the same for every line of
/// the task, in every run (FNV-1a, not a per-process random hash).
pub(super) fn task_color(short_id: &[u8]) -> &'static str {
    let hash = short_id.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    TASK_COLORS[(hash % TASK_COLORS.len() as u64) as usize]
}
