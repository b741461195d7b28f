//! Installing Debian packages, when this process may.

use std::process::Command;

/// How packages can be installed on this machine, if at all.
pub(crate) enum Installer {
    /// `apt-get`, run directly (we are root) or through `sudo` without a
    /// password prompt.
    AptGet { sudo: bool },
    /// No way to install without a person: the reason, for the message.
    Unavailable(&'static str),
}

impl Installer {
    /// Finds out how this process could install Debian packages.
    pub(crate) fn detect() -> Installer {
        if !succeeds(Command::new("apt-get").arg("--version")) {
            return Installer::Unavailable("apt-get is not available (not a Debian-like system)");
        }
        if is_root() {
            Installer::AptGet { sudo: false }
        } else if succeeds(Command::new("sudo").args(["-n", "true"])) {
            Installer::AptGet { sudo: true }
        } else {
            Installer::Unavailable("installing needs root, and sudo asks for a password")
        }
    }

    /// Installs `packages`, printing what it runs.
    pub(crate) fn install(&self, packages: &[&str]) -> Result<(), String> {
        let Installer::AptGet { sudo } = self else {
            return Err("no installer".to_owned());
        };
        let apt_get = |args: &[&str]| {
            let mut command = if *sudo {
                let mut command = Command::new("sudo");
                command.arg("apt-get");
                command
            } else {
                Command::new("apt-get")
            };
            command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            command
        };
        let mut update = apt_get(&["update", "-qq"]);
        let mut install = apt_get(&["install", "-y", "-qq", "--no-install-recommends"]);
        install.args(packages);
        for command in [&mut update, &mut install] {
            eprintln!("xtask: running {command:?}");
            let status = command
                .status()
                .map_err(|error| format!("could not run {command:?}: {error}"))?;
            if !status.success() {
                return Err(format!("{command:?} failed ({status})"));
            }
        }
        Ok(())
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
