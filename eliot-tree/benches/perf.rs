//! How fast `eliot-tree` renders a large log, beside Python's eliot-tree.
//!
//! ```text
//! cargo bench -p eliot-tree --bench perf
//! ```
//!
//! 1. Writes, with eliot-core, a log of 200,000 lines: 2,000 tasks of 100
//!    lines each (nested actions, messages with nested fields, some failed
//!    actions), 100 of them in flight at any time, so that their lines
//!    interleave as a busy server's do (tests/support/perf_log.rs, which the
//!    HTML report's browser timing test opens too). The line count is
//!    checked.
//! 2. Renders it with the release `eliot-tree` binary on one core
//!    (`--jobs 1`), five times, and prints lines per second by wall clock
//!    (process start included) and by CPU time, each the median of its own
//!    five measures, and the peak resident memory the binary reports
//!    (`--stats`), after checking that it read every line and drew every
//!    task. Between those runs, five on every core (the default): the
//!    ratio of the medians of their wall-clock times is `cores_speedup`.
//!    Then writes the HTML report of the whole file (`--html`) five times,
//!    and prints
//!    `html: size_vs_log=<x> time_vs_tree=<y>`: the report's size over the
//!    log's, and its median CPU time over the text tree's.
//! 3. The parse limit: this process reads the whole file line by line and
//!    checks each line as JSON with serde_json, building nothing
//!    (`IgnoredAny`), five times; its CPU time (median) is what any reader
//!    of the log must spend. Then the memory of the worst case: the log
//!    without each task's last line, so that no task completes and every
//!    line is held to the end; eliot-tree's peak RSS over that file's size.
//! 4. Renders the first 40,000 lines with Python's eliot-tree (the interop
//!    venv's, or `ELIOT_TREE_PYTHON`), once (Python takes about 17 s of CPU
//!    for those, so the whole file would take minutes;
//!    `ELIOT_TREE_PERF_PYTHON_LINES` changes the slice), its peak memory
//!    sampled from /proc, and the same slice with the Rust binary ten
//!    times (five before Python's run, five after). Both programs'
//!    output for the slice is compared task by task, and the benchmark
//!    stops if they differ.
//! 5. Ends with `eliot-tree: speedup_vs_python=<x> vs_parse_limit=<y>
//!    cores_speedup=<z> peak_rss_mb=<n> never_complete_rss_vs_file=<m>`: the
//!    Rust binary's CPU time on the slice over Python's on the same slice
//!    (CPU time, because other work on a shared machine skews wall clocks;
//!    the wall-clock ratio, and the ratio of Rust's rate on the whole file,
//!    are printed beside it); its CPU time on the whole file over the parse
//!    limit's; our peak memory on the whole file; and the worst case's.
//!
//! The renderers are not watched while they run (but for Python's peak
//! memory, sampled every 5 ms): a look at a process in /proc takes a core
//! from it now and then, which slowed the run on both cores. CPU time is
//! read from /proc when the renderer has exited and is not yet reaped:
//! `utime + stime` of `/proc/<pid>/stat` in clock ticks, converted with the
//! tick rate the kernel gives this process (`AT_CLKTCK` in
//! `/proc/self/auxv`), or, for a renderer that ran one thread (those
//! figures then agree with its main thread's), the nanoseconds of
//! `/proc/<pid>/schedstat`.
//!
//! These are figures to read, not a timed test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../tests/support/perf_log.rs"]
mod perf_log;

use perf_log::{IN_FLIGHT, LINES_PER_TASK, TASKS, generate};

/// The runs of each measure, whose median is shown. Five, not three: on a
/// 2-vCPU virtual machine single pairs of runs on one core and on both gave
/// speed-ups from 1.23 to 1.48.
const RUNS: usize = 5;

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
    // On one core (`--jobs 1`) and on every core, alternating, so that
    // both see the same machine. The drawing of the whole file is not
    // compared: it is not kept.
    let (mut one_core, mut every_core) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        one_core.push(render_ours(
            ours,
            &log,
            &dir.join("ours.txt"),
            false,
            ONE_CORE,
        ));
        every_core.push(render_ours(ours, &log, &dir.join("ours.txt"), false, &[]));
    }
    for run in one_core.iter().chain(&every_core) {
        assert_eq!(run.lines, lines as u64, "eliot-tree read every line");
        assert_eq!(run.tasks, TASKS as u64, "eliot-tree rebuilt every task");
        assert_eq!(run.incomplete, 0, "every task is complete");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let run_walls =
        |runs: &[Rendered]| -> Vec<f64> { runs.iter().map(|r| r.measured.wall).collect() };
    let round_speedups: Vec<f64> = run_walls(&one_core)
        .iter()
        .zip(run_walls(&every_core))
        .map(|(one, every)| one / every)
        .collect();
    let whole = Measured::median(one_core.into_iter().map(|run| run.measured).collect());
    let all_cores = Measured::median(every_core.into_iter().map(|run| run.measured).collect());
    let cores_speedup = whole.wall / all_cores.wall;
    println!(
        "eliot-tree (Rust) on all {cores} cores (the default): {:.3} s wall, {:.3} s CPU \
         (medians of {RUNS} runs), peak RSS {:.1} MB; wall-clock speed-up over one core \
         (--jobs 1): {cores_speedup:.2} (per pair of runs: {})",
        all_cores.wall,
        all_cores.cpu,
        all_cores.peak_rss_mb,
        round_speedups
            .iter()
            .map(|x| format!("{x:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let ours_wall_rate = lines as f64 / whole.wall;
    let ours_cpu_rate = lines as f64 / whole.cpu;
    let peak_mb = whole.peak_rss_mb;
    println!(
        "eliot-tree (Rust, --jobs 1): {lines} lines in {:.3} s wall, {:.3} s CPU ({}; medians of {RUNS} runs) = \
         {ours_wall_rate:.0} lines/s wall, {ours_cpu_rate:.0} lines/s CPU; {TASKS} tasks drawn; \
         peak RSS {peak_mb:.1} MB ({:.0}% of the {size_mb:.1} MB file)",
        whole.wall,
        whole.cpu,
        whole.cpu_source,
        peak_mb / size_mb * 100.0
    );
    html_report(ours, &log, &dir, text.len(), &whole);

    // The parse limit: serde_json reading every line, nothing built.
    let limits: Vec<f64> = (0..RUNS).map(|_| parse_limit(&log, lines)).collect();
    let limit_cpu = median(&limits);
    let vs_parse_limit = whole.cpu / limit_cpu;
    println!(
        "parse limit: serde_json reading every line of the file into IgnoredAny (nothing built), \
         in this process: {limit_cpu:.3} s CPU (median of {RUNS}: {}) = {:.0} lines/s; \
         eliot-tree's CPU time over it: {vs_parse_limit:.2}",
        limits
            .iter()
            .map(|s| format!("{s:.3}"))
            .collect::<Vec<_>>()
            .join(", "),
        lines as f64 / limit_cpu
    );
    let never_complete = never_complete_memory(ours, &text, &dir);

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
        println!(
            "eliot-tree: speedup_vs_python=n/a vs_parse_limit={vs_parse_limit:.2} \
             cores_speedup={cores_speedup:.2} peak_rss_mb={peak_mb:.1} never_complete_rss_vs_file={never_complete:.2}"
        );
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
    let ours_on_slice =
        || render_ours(ours, &slice, &dir.join("ours-slice.txt"), true, ONE_CORE).measured;
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
    println!(
        "eliot-tree: speedup_vs_python={speedup_cpu:.0} vs_parse_limit={vs_parse_limit:.2} \
         cores_speedup={cores_speedup:.2} peak_rss_mb={peak_mb:.1} never_complete_rss_vs_file={never_complete:.2}"
    );
}

fn median(values: &[f64]) -> f64 {
    let mut values = values.to_vec();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The CPU time this thread has used so far, in seconds (Linux's
/// `/proc/thread-self/schedstat`, in nanoseconds).
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat");
    let nanos: f64 = stat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("the CPU time in schedstat");
    nanos / 1e9
}

/// The limit of any reader of the log: the file read line by line (as
/// eliot-tree reads it, through a 64 KiB buffer) and each line checked
/// as JSON by serde_json, every value skipped (`IgnoredAny`): nothing
/// built, nothing kept. Returns the CPU seconds it took.
fn parse_limit(log: &Path, lines: usize) -> f64 {
    use std::io::BufRead;
    let started = thread_cpu_seconds();
    let file = std::fs::File::open(log).expect("the generated log");
    let mut input = std::io::BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::with_capacity(1024);
    let mut read = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).expect("the log reads") == 0 {
            break;
        }
        let _: serde::de::IgnoredAny =
            serde_json::from_slice(&line).expect("every generated line is JSON");
        read += 1;
    }
    assert_eq!(read, lines, "the limit read every line");
    thread_cpu_seconds() - started
}

/// The peak memory of eliot-tree on the log without the last line of each
/// task (the root action's end), so that no task ever completes and every
/// line stays in memory until the end: printed beside the size of that
/// file, and returned as their ratio.
fn never_complete_memory(binary: &str, text: &str, dir: &Path) -> f64 {
    let cut = dir.join("never-complete.log");
    let mut kept = String::with_capacity(text.len());
    let mut dropped = 0;
    for line in text.lines() {
        if line.contains("\"action_type\":\"perf:request\"")
            && !line.contains("\"action_status\":\"started\"")
        {
            dropped += 1;
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    assert_eq!(dropped, TASKS, "one root end per task");
    std::fs::write(&cut, &kept).expect("the cut log");
    let runs: Vec<Rendered> = (0..RUNS)
        .map(|_| render_ours(binary, &cut, &dir.join("never-complete.txt"), false, &[]))
        .collect();
    for run in &runs {
        assert_eq!(run.tasks, TASKS as u64, "every task is drawn");
        assert_eq!(run.incomplete, TASKS as u64, "no task completes");
    }
    let measured = Measured::median(runs.into_iter().map(|run| run.measured).collect());
    let size_mb = kept.len() as f64 / 1e6;
    let ratio = measured.peak_rss_mb / size_mb;
    println!(
        "eliot-tree on the log without each task's last line (no task completes, {size_mb:.1} MB): \
         peak RSS {:.1} MB ({:.0}% of the file), {:.3} s CPU",
        measured.peak_rss_mb,
        ratio * 100.0,
        measured.cpu
    );
    ratio
}

/// Writes the HTML report of the whole file (`eliot-tree --html`), five
/// times, and prints its size and CPU time beside the log's and the text
/// tree's: `html: size_vs_log=<x> time_vs_tree=<y>`.
fn html_report(binary: &str, log: &Path, dir: &Path, log_bytes: usize, tree: &Measured) {
    let report = dir.join("report.html");
    let runs: Vec<Measured> = (0..RUNS)
        .map(|_| {
            let mut command = Command::new(binary);
            command.args(["--stats", "--html"]).arg(&report).arg(log);
            let measured = measure(command, &dir.join("html.txt"), false, Watch::Exit);
            assert!(
                measured.stderr.contains(&format!("shown={TASKS} ")),
                "the report holds every task: {}",
                measured.stderr
            );
            measured
        })
        .collect();
    let html = Measured::median(runs);
    let size = std::fs::metadata(&report).expect("the report").len() as f64;
    let size_vs_log = size / log_bytes as f64;
    let time_vs_tree = html.cpu / tree.cpu;
    println!(
        "eliot-tree --html: {:.3} s wall, {:.3} s CPU ({}; medians of {RUNS} runs); the report is \
         {:.1} MB, {size_vs_log:.2}x the log; {time_vs_tree:.2}x the CPU time of drawing the tree \
         ({:.2}x its wall time)",
        html.wall,
        html.cpu,
        html.cpu_source,
        size / 1e6,
        html.wall / tree.wall
    );
    println!("html: size_vs_log={size_vs_log:.2} time_vs_tree={time_vs_tree:.2}");
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

/// How a run is watched while it runs.
#[derive(Clone, Copy, PartialEq)]
enum Watch {
    /// Not at all: the run is waited for, and its figures read once it has
    /// exited. Looking at a process in /proc every few milliseconds takes a
    /// core from it now and then: on 2 cores, eliot-tree's run on both was
    /// 12 ms slower when watched (158 against 146 ms, medians of 14).
    Exit,
    /// Its peak memory sampled from /proc every 5 ms, for a renderer that
    /// does not report its own (Python's).
    Memory,
}

/// Runs `command` with stdout to `out` (to nowhere unless `keep`), and
/// measures it once it has exited and before it is reaped (a zombie),
/// when its CPU times are final: the wall-clock time from its start to its
/// exit, and its CPU time, from `/proc/<pid>/stat` (`utime + stime` of all
/// its threads, in clock ticks), or, when those agree with its main
/// thread's time to within their rounding (it ran one thread), from that
/// thread's `/proc/<pid>/schedstat`, in nanoseconds.
fn measure(mut command: Command, out: &Path, keep: bool, watch: Watch) -> Measured {
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
    if watch == Watch::Memory {
        while !exited(&proc_dir) {
            let status = std::fs::read_to_string(format!("{proc_dir}/status")).unwrap_or_default();
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok());
            peak_kb = peak_kb.max(hwm.unwrap_or(0));
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    // Waits for the exit and leaves the child unreaped, so that /proc
    // still holds its times.
    let pid = rustix::process::Pid::from_child(&child);
    loop {
        let exited = rustix::process::waitid(
            rustix::process::WaitId::Pid(pid),
            rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOWAIT,
        );
        match exited {
            Err(rustix::io::Errno::INTR) => continue,
            other => {
                other.expect("waiting for the renderer's exit");
                break;
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let stat = std::fs::read_to_string(format!("{proc_dir}/stat")).expect("/proc/<pid>/stat");
    // The fields after the command name: state, ppid, ..., utime (12th), stime (13th).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks_per_second = clock_ticks_per_second();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    let all_threads = ticks / ticks_per_second;
    let main_thread = std::fs::read_to_string(format!("{proc_dir}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|nanos| nanos / 1e9);
    // Each of utime and stime is rounded down to a tick.
    let (cpu, cpu_source) = match main_thread {
        Some(main) if all_threads <= main + 2.0 / ticks_per_second => {
            (main, "CPU time from /proc/<pid>/schedstat")
        }
        _ => (
            all_threads,
            "CPU time from /proc/<pid>/stat, in clock ticks",
        ),
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

/// Whether the process of `proc_dir` has exited (is a zombie, or gone).
fn exited(proc_dir: &str) -> bool {
    std::fs::read_to_string(format!("{proc_dir}/stat")).map_or(true, |stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z")
    })
}

struct Rendered {
    measured: Measured,
    lines: u64,
    tasks: u64,
    incomplete: u64,
}

/// The arguments that keep eliot-tree on one core.
const ONE_CORE: &[&str] = &["--jobs", "1"];

fn render_ours(binary: &str, log: &Path, out: &Path, keep: bool, extra: &[&str]) -> Rendered {
    let mut command = Command::new(binary);
    command
        .args(["--stats", "--color", "never"])
        .args(extra)
        .arg(log);
    let mut measured = measure(command, out, keep, Watch::Exit);
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
    measure(command, out, true, Watch::Memory)
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
