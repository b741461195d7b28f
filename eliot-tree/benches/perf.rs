//! How fast `eliot-tree` renders a large log, beside Python's eliot-tree.
//!
//! ```text
//! cargo bench -p eliot-tree --bench perf
//! ```
//!
//! 1. Writes, with eliot-core, a log of 200,000 lines: 2,000 tasks of 100
//!    lines each (nested actions, messages with nested fields, some failed
//!    actions), 100 of them in flight at any time, so that their lines
//!    interleave as a busy server's do. The line count is checked.
//! 2. Renders it with the release `eliot-tree` binary, three times, and
//!    prints lines per second by wall clock (process start included) and by
//!    CPU time, each the median of its own three measures, and the peak
//!    resident memory the binary reports (`--stats`), after checking that
//!    it read every line and drew every task.
//! 3. Renders the first 40,000 lines with Python's eliot-tree (the interop
//!    venv's, or `ELIOT_TREE_PYTHON`), once (Python takes about 17 s of CPU
//!    for those, so the whole file would take minutes;
//!    `ELIOT_TREE_PERF_PYTHON_LINES` changes the slice), its peak memory
//!    sampled from /proc, and the same slice with the Rust binary six
//!    times (three before Python's run, three after). Both programs'
//!    output for the slice is compared task by task, and the benchmark
//!    stops if they differ.
//! 4. Ends with `eliot-tree: speedup_vs_python=<x> peak_rss_mb=<n>`: the
//!    Rust binary's CPU time on the slice over Python's on the same slice
//!    (CPU time, because other work on a shared machine skews wall clocks;
//!    the wall-clock ratio, and the ratio of Rust's rate on the whole file,
//!    are printed beside it), and our peak memory on the whole file.
//!
//! CPU time is read from /proc when the renderer has exited and is not yet
//! reaped: the nanoseconds of `/proc/<pid>/schedstat` for a renderer that
//! ran one thread (both do), else `utime + stime` of `/proc/<pid>/stat` in
//! clock ticks, converted with the tick rate the kernel gives this process
//! (`AT_CLKTCK` in `/proc/self/auxv`).
//!
//! These are figures to read, not a timed test.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use eliot_core::{
    Action, FileDestination, add_destination, fields, remove_destination, start_task,
};

const TASKS: usize = 2_000;
const LINES_PER_TASK: usize = 100;
const IN_FLIGHT: usize = 100;
const STEPS: usize = 13;
const RUNS: usize = 3;

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eliot-tree-perf");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let log = dir.join("perf.log");

    let started = Instant::now();
    generate(&log);
    let text = std::fs::read_to_string(&log).expect("the generated log");
    let lines = text.lines().count();
    assert_eq!(
        lines,
        TASKS * LINES_PER_TASK,
        "every generated line is in the file"
    );
    let size_mb = text.len() as f64 / 1e6;
    println!(
        "log: {lines} lines, {TASKS} tasks ({IN_FLIGHT} in flight at a time), {size_mb:.1} MB, \
         written by eliot-core in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    // Our renderer, on the whole file.
    let ours = env!("CARGO_BIN_EXE_eliot-tree");
    let runs: Vec<Rendered> = (0..RUNS)
        // The drawing of the whole file is not compared: it is not kept.
        .map(|_| render_ours(ours, &log, &dir.join("ours.txt"), false))
        .collect();
    for run in &runs {
        assert_eq!(run.lines, lines as u64, "eliot-tree read every line");
        assert_eq!(run.tasks, TASKS as u64, "eliot-tree rebuilt every task");
        assert_eq!(run.incomplete, 0, "every task is complete");
    }
    let whole = Measured::median(runs.into_iter().map(|run| run.measured).collect());
    let ours_wall_rate = lines as f64 / whole.wall;
    let ours_cpu_rate = lines as f64 / whole.cpu;
    let peak_mb = whole.peak_rss_mb;
    println!(
        "eliot-tree (Rust): {lines} lines in {:.3} s wall, {:.3} s CPU ({}; medians of {RUNS} runs) = \
         {ours_wall_rate:.0} lines/s wall, {ours_cpu_rate:.0} lines/s CPU; {TASKS} tasks drawn; \
         peak RSS {peak_mb:.1} MB ({:.0}% of the {size_mb:.1} MB file)",
        whole.wall,
        whole.cpu,
        whole.cpu_source,
        peak_mb / size_mb * 100.0
    );

    // Python's eliot-tree, on a slice.
    let python = std::env::var_os("ELIOT_TREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/interop-venv/bin/eliot-tree"
            ))
        });
    let slice_lines: usize = std::env::var("ELIOT_TREE_PERF_PYTHON_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40_000)
        .min(lines);
    if !python.exists() {
        println!(
            "python eliot-tree: not found at {} (make the interop venv from \
             scripts/interop/requirements.txt, or set ELIOT_TREE_PYTHON); no speed-up measured",
            python.display()
        );
        println!("eliot-tree: speedup_vs_python=n/a peak_rss_mb={peak_mb:.1}");
        return;
    }
    let slice = dir.join("slice.log");
    let slice_text: String = text
        .lines()
        .take(slice_lines)
        .flat_map(|l| [l, "\n"])
        .collect();
    std::fs::write(&slice, &slice_text).expect("the slice");
    // The Rust runs on the slice come before and after Python's, so that
    // a change in the machine's load during Python's long run weighs on
    // both sides of the ratio.
    let ours_on_slice = || render_ours(ours, &slice, &dir.join("ours-slice.txt"), true).measured;
    let mut slice_runs: Vec<Measured> = (0..RUNS).map(|_| ours_on_slice()).collect();
    let python_run = render_python(&python, &slice, &dir.join("python.txt"));
    slice_runs.extend((0..RUNS).map(|_| ours_on_slice()));
    let python_wall_rate = slice_lines as f64 / python_run.wall;
    let python_cpu_rate = slice_lines as f64 / python_run.cpu;
    println!(
        "eliot-tree (Python, {}): the first {slice_lines} lines in {:.2} s wall, {:.2} s CPU ({}; one \
         run) = {python_wall_rate:.0} lines/s wall, {python_cpu_rate:.0} lines/s CPU; peak RSS \
         {:.1} MB (timed on a slice: the whole file would take about {:.0} s of CPU)",
        python_version(&python),
        python_run.wall,
        python_run.cpu,
        python_run.cpu_source,
        python_run.peak_rss_mb,
        lines as f64 / python_cpu_rate
    );
    let same = compare_outputs(&dir.join("ours-slice.txt"), &dir.join("python.txt"));
    let same_slice = Measured::median(slice_runs);
    println!(
        "eliot-tree (Rust), the same slice: {:.3} s wall, {:.3} s CPU ({}; medians of {} runs, \
         half before Python's, half after) \
         = {:.0} lines/s wall, {:.0} lines/s CPU; output {same}",
        same_slice.wall,
        same_slice.cpu,
        same_slice.cpu_source,
        2 * RUNS,
        slice_lines as f64 / same_slice.wall,
        slice_lines as f64 / same_slice.cpu,
    );
    let speedup_cpu = python_run.cpu / same_slice.cpu;
    let speedup_wall = python_run.wall / same_slice.wall;
    println!(
        "speed-up on the same {slice_lines}-line slice: {speedup_cpu:.0}x CPU time, \
         {speedup_wall:.0}x wall clock (the machine is shared: CPU time is the steadier figure \
         and is the one reported below); Rust's lines/s on the whole file over Python's on the \
         slice: {:.0}x CPU, {:.0}x wall",
        ours_cpu_rate / python_cpu_rate,
        ours_wall_rate / python_wall_rate,
    );
    println!("eliot-tree: speedup_vs_python={speedup_cpu:.0} peak_rss_mb={peak_mb:.1}");
}

/// The version of eliot-tree installed beside `binary` (the venv's Python
/// asked for it), or `unknown version`.
fn python_version(binary: &Path) -> String {
    let asked = Command::new(binary.with_file_name("python"))
        .args([
            "-c",
            "from importlib.metadata import version; print(version('eliot-tree'))",
        ])
        .output();
    match asked {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        _ => "unknown version".to_owned(),
    }
}

/// Writes the benchmark's log with eliot-core: `TASKS` tasks, `IN_FLIGHT` at
/// a time, each step of a randomly chosen open task logged in turn.
fn generate(path: &Path) {
    let _ = std::fs::remove_file(path);
    let file = add_destination(FileDestination::create(path).expect("the log file"));
    let mut random = XorShift(0x2545_f491_4f6c_dd1d);
    let mut open: Vec<TaskState> = Vec::with_capacity(IN_FLIGHT);
    let mut started = 0;
    while started < TASKS || !open.is_empty() {
        while open.len() < IN_FLIGHT && started < TASKS {
            open.push(TaskState::new(started));
            started += 1;
        }
        let index = random.below(open.len());
        if open[index].step(&mut random) {
            open.swap_remove(index);
        }
    }
    remove_destination(&file).expect("registered above");
}

/// One task of the benchmark, logged one line per call of `step`.
struct TaskState {
    id: usize,
    root: Option<Action>,
    step: Option<Action>,
    /// Lines logged so far.
    done: usize,
}

impl TaskState {
    fn new(id: usize) -> Self {
        TaskState {
            id,
            root: None,
            step: None,
            done: 0,
        }
    }

    /// Logs the task's next line; true when the task is finished. The
    /// plan: start, a received message, 13 steps of 7 lines (start, 5
    /// messages, end; one in ten fails), the first five each followed by a
    /// checkpoint message, a last checkpoint, then the end: 100 lines.
    fn step(&mut self, random: &mut XorShift) -> bool {
        let n = self.done;
        self.done += 1;
        let Some(root) = &self.root else {
            let root = start_task!(
                "perf:request",
                method = "GET",
                path = format!("/api/v1/users/{}/orders", self.id),
                client = format!("10.0.{}.{}", self.id / 256 % 256, self.id % 256),
                request_id = self.id as u64 * 7919
            );
            self.root = Some(root.into_action());
            return false;
        };
        if n == 1 {
            let headers = BTreeMap::from([
                ("accept", "application/json"),
                ("user-agent", "perf-client/1.0 (eliot-rs benchmark)"),
            ]);
            root.log(
                "perf:request:received",
                fields!(size = 512 + self.id % 1000, headers),
            );
            return false;
        }
        if n == LINES_PER_TASK - 1 {
            root.add_success_fields(fields!(status = 200, bytes = 18_000 + self.id));
            root.finish().expect("finished once");
            return true;
        }
        // Lines 2 to 97: 13 steps of 7 lines, the first five followed by a
        // checkpoint (5 * 8 + 8 * 7 = 96); line 98: a last checkpoint.
        let (step, within) = step_position(n - 2);
        match within {
            Position::Start => {
                let kind = ["db", "cache", "render", "auth"][step % 4];
                self.step =
                    Some(root.child("perf:step", fields!(step = step, kind = kind, attempt = 1)));
            }
            Position::Message(i) => {
                let action = self.step.as_ref().expect("a step's lines follow its start");
                let ratio = (i + 1) as f64 / 7.0;
                let tags = ["alpha", "beta", "gamma"];
                action.log(
                    "perf:step:progress",
                    fields!(
                        done = i,
                        ratio = ratio,
                        tags = tags,
                        note = "processing the next batch of rows"
                    ),
                );
            }
            Position::End => {
                let action = self.step.take().expect("a step's lines follow its start");
                if (self.id + step).is_multiple_of(10) {
                    let error = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "upstream did not answer in 250 ms",
                    );
                    action.finish_with_error(&error).expect("finished once");
                } else {
                    action.add_success_fields(fields!(
                        rows = random.below(500),
                        cached = step % 2 == 0
                    ));
                    action.finish().expect("finished once");
                }
            }
            Position::Checkpoint => {
                root.log(
                    "perf:request:checkpoint",
                    fields!(after_step = step, elapsed_ms = 1.5 * step as f64),
                );
            }
        }
        false
    }
}

enum Position {
    Start,
    Message(usize),
    End,
    Checkpoint,
}

/// Where line `n` (counted from the first step line) falls in the plan of
/// `TaskState::step`.
fn step_position(mut n: usize) -> (usize, Position) {
    for step in 0..STEPS {
        let len = if step < 5 { 8 } else { 7 };
        if n < len {
            return (
                step,
                match n {
                    0 => Position::Start,
                    1..=5 => Position::Message(n - 1),
                    6 => Position::End,
                    _ => Position::Checkpoint,
                },
            );
        }
        n -= len;
    }
    (STEPS, Position::Checkpoint)
}

/// A small deterministic generator, so every run writes the same log.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// What one run of a renderer cost.
struct Measured {
    /// Wall-clock seconds from spawn to exit, process start included.
    wall: f64,
    /// User + system CPU seconds of the process.
    cpu: f64,
    /// Where `cpu` was read from.
    cpu_source: &'static str,
    /// Peak resident memory in MB (the high-water mark, sampled from /proc).
    peak_rss_mb: f64,
    stderr: String,
}

impl Measured {
    /// The median of each measure of `runs`, taken on its own.
    fn median(runs: Vec<Measured>) -> Measured {
        let median = |measure: fn(&Measured) -> f64| {
            let mut values: Vec<f64> = runs.iter().map(measure).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        Measured {
            wall: median(|m| m.wall),
            cpu: median(|m| m.cpu),
            cpu_source: if runs.iter().all(|m| m.cpu_source == runs[0].cpu_source) {
                runs[0].cpu_source
            } else {
                "CPU time read from /proc/<pid>/schedstat and /proc/<pid>/stat"
            },
            peak_rss_mb: median(|m| m.peak_rss_mb),
            stderr: String::new(),
        }
    }
}

/// Clock ticks per second, as the kernel told this process (`AT_CLKTCK`,
/// entry 17 of the auxiliary vector, read without `sysconf`).
fn clock_ticks_per_second() -> f64 {
    const AT_CLKTCK: u64 = 17;
    let auxv = std::fs::read("/proc/self/auxv").expect("/proc/self/auxv");
    auxv.chunks_exact(16)
        .map(|pair| {
            let word = |bytes: &[u8]| u64::from_ne_bytes(bytes.try_into().expect("8 bytes"));
            (word(&pair[..8]), word(&pair[8..]))
        })
        .find(|&(key, _)| key == AT_CLKTCK)
        .map(|(_, ticks)| ticks as f64)
        .expect("AT_CLKTCK in /proc/self/auxv")
}

/// Runs `command` with stdout to `out` (to nowhere unless `keep`), and
/// measures it: the child is watched through /proc until it has exited but
/// is not reaped yet (a zombie), when its CPU times are final.
fn measure(mut command: Command, out: &Path, keep: bool) -> Measured {
    let output = if keep {
        std::fs::File::create(out)
    } else {
        std::fs::File::create("/dev/null")
    };
    let output = output.expect("an output file");
    let stderr_path = out.with_extension("stderr");
    let stderr = std::fs::File::create(&stderr_path).expect("a stderr file");
    let started = Instant::now();
    let mut child = command
        .stdout(output)
        .stderr(stderr)
        .spawn()
        .expect("the renderer runs");
    let proc_dir = format!("/proc/{}", child.id());
    let mut peak_kb = 0u64;
    // Whether every look at the process found one thread: then the main
    // thread's schedstat is the whole process's CPU time.
    let mut one_thread = true;
    let (wall, cpu, cpu_source) = loop {
        if let Ok(status) = std::fs::read_to_string(format!("{proc_dir}/status")) {
            let field = |key: &str| -> Option<u64> {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
            };
            if let Some(kb) = field("VmHWM:") {
                peak_kb = peak_kb.max(kb);
            }
            one_thread &= field("Threads:") == Some(1);
        } else {
            one_thread = false;
        }
        let stat = std::fs::read_to_string(format!("{proc_dir}/stat")).expect("/proc/<pid>/stat");
        // The fields after the command name: state, ppid, ..., utime (12th), stime (13th).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        if fields[0] == "Z" {
            let wall = started.elapsed().as_secs_f64();
            let nanos = std::fs::read_to_string(format!("{proc_dir}/schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok());
            match nanos {
                Some(nanos) if one_thread => {
                    break (wall, nanos / 1e9, "CPU time from /proc/<pid>/schedstat");
                }
                _ => {
                    let ticks: f64 =
                        fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
                    break (
                        wall,
                        ticks / clock_ticks_per_second(),
                        "CPU time from /proc/<pid>/stat, in clock ticks",
                    );
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let status = child.wait().expect("reaping the renderer");
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(status.success(), "the renderer failed ({status}): {stderr}");
    Measured {
        wall,
        cpu,
        cpu_source,
        peak_rss_mb: peak_kb as f64 / 1024.0,
        stderr,
    }
}

struct Rendered {
    measured: Measured,
    lines: u64,
    tasks: u64,
    incomplete: u64,
}

fn render_ours(binary: &str, log: &Path, out: &Path, keep: bool) -> Rendered {
    let mut command = Command::new(binary);
    command.args(["--stats", "--color", "never"]).arg(log);
    let mut measured = measure(command, out, keep);
    let stderr = measured.stderr.clone();
    let stat = |key: &str| -> f64 {
        stderr
            .split_whitespace()
            .find_map(|word| word.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("--stats reports {key}: {stderr}"))
    };
    // The binary's own reading of its high-water mark is exact.
    measured.peak_rss_mb = stat("peak_rss_mb");
    Rendered {
        lines: stat("lines") as u64,
        tasks: stat("tasks") as u64,
        incomplete: stat("incomplete") as u64,
        measured,
    }
}

fn render_python(binary: &Path, log: &Path, out: &Path) -> Measured {
    let mut command = Command::new(binary);
    command.args(["--color", "never"]).arg(log);
    measure(command, out, true)
}

/// Compares the two renderings task by task (tasks that never completed
/// come in an arbitrary order from Python).
fn compare_outputs(ours: &Path, python: &Path) -> String {
    let blocks = |path: &Path| -> Vec<String> {
        let text = std::fs::read_to_string(path).expect("a rendering");
        let mut blocks: Vec<String> = text
            .split("\n\n")
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
            .collect();
        blocks.sort();
        blocks
    };
    let (ours, python) = (blocks(ours), blocks(python));
    if ours == python {
        return format!("identical to Python's ({} tasks)", ours.len());
    }
    let first = ours
        .iter()
        .zip(&python)
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("\n--- ours:\n{a}\n--- python:\n{b}"))
        .unwrap_or_default();
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "the renderings differ ({} vs {} tasks){first}",
        ours.len(),
        python.len()
    );
    panic!("eliot-tree's output differs from Python's on the same slice");
}
