//! When the console colours: the decision from the output and the
//! environment, tested with an injected environment (the process's own is
//! shared by the tests running in parallel, and is never changed here), and
//! end to end in child processes given their own environment.

mod support;

use std::ffi::OsString;
use std::process::Command;

use crate::support::console::{LOG, draw, plain};
use eliot::console::{ColorChoice, ConsoleDestination};
use eliot::{add_destination, log_message, remove_destination};

const CHILD: &str = "CONSOLE_COLOR_CHILD";

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let pairs: Vec<(String, OsString)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn auto_colours_a_terminal_unless_the_environment_says_otherwise() {
    /// The variables set, whether the output is a terminal, and whether
    /// the console colours.
    type Case = (&'static [(&'static str, &'static str)], bool, bool);
    let cases: &[Case] = &[
        (&[], true, true),
        (&[], false, false),
        (&[("TERM", "xterm-256color")], true, true),
        (&[("TERM", "dumb")], true, false),
        (&[("NO_COLOR", "1")], true, false),
        (&[("NO_COLOR", "0")], true, false),
        (&[("NO_COLOR", "")], true, true),
        (&[("CLICOLOR_FORCE", "1")], false, true),
        (&[("CLICOLOR_FORCE", "yes")], false, true),
        (&[("CLICOLOR_FORCE", "0")], false, false),
        (&[("CLICOLOR_FORCE", "")], false, false),
        (&[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")], true, true),
        (&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], false, false),
        (&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], true, false),
        (&[("CLICOLOR", "0")], true, false),
        (&[("CLICOLOR", "1")], true, true),
        (&[("CLICOLOR", "1")], false, false),
        (&[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")], false, true),
    ];
    for (vars, terminal, expected) in cases {
        assert_eq!(
            ColorChoice::Auto.use_color_with_env(*terminal, env(vars)),
            *expected,
            "{vars:?}, terminal: {terminal}"
        );
    }
}

#[test]
fn always_and_never_override_output_and_environment() {
    let all = env(&[("NO_COLOR", "1"), ("TERM", "dumb")]);
    assert!(ColorChoice::Always.use_color_with_env(false, &all));
    let forced = env(&[("CLICOLOR_FORCE", "1")]);
    assert!(!ColorChoice::Never.use_color_with_env(true, &forced));
    assert_eq!(ColorChoice::default(), ColorChoice::Auto);

    // And through the builder, into any writer.
    assert!(draw(plain().color(ColorChoice::Always), &LOG[..1]).contains('\x1b'));
    assert!(!draw(plain().color(ColorChoice::Never), &LOG[..1]).contains('\x1b'));
}

/// In a child process: a console on stdout and one on stderr, with
/// `ColorChoice::Auto`, each printing one message.
#[test]
fn child_prints_with_auto_colour() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let stdout = add_destination(ConsoleDestination::stdout());
    let stderr = add_destination(ConsoleDestination::stderr());
    log_message!("test:colour", shown = true);
    remove_destination(&stdout).unwrap();
    remove_destination(&stderr).unwrap();
}

/// What the child prints on (stdout, stderr), with these variables set and
/// the colour variables of this process removed.
fn child_output(vars: &[(&str, &str)]) -> (String, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child_prints_with_auto_colour", "--nocapture"])
        .env(CHILD, "1");
    for name in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "TERM"] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    let output = command.output().unwrap();
    assert!(output.status.success());
    let text = |bytes: Vec<u8>| -> String {
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .filter(|line| line.contains("test:colour"))
            .collect()
    };
    (text(output.stdout), text(output.stderr))
}

#[test]
fn the_environment_decides_for_stdout_and_stderr_of_a_child() {
    let coloured = |s: &str| !s.is_empty() && s.contains("\x1b[");
    let plain = |s: &str| !s.is_empty() && !s.contains('\x1b');

    // Pipes, not terminals: no colour.
    let (out, err) = child_output(&[]);
    assert!(plain(&out) && plain(&err), "{out:?} {err:?}");

    let (out, err) = child_output(&[("CLICOLOR_FORCE", "1")]);
    assert!(coloured(&out) && coloured(&err), "{out:?} {err:?}");
    assert!(out.contains("\x1b[2mshown=\x1b[0mtrue"), "{out:?}");

    let (out, err) = child_output(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(plain(&out) && plain(&err), "NO_COLOR wins: {out:?} {err:?}");

    let (out, err) = child_output(&[("CLICOLOR_FORCE", "0")]);
    assert!(plain(&out) && plain(&err), "{out:?} {err:?}");
}
