//! Work spread over threads, results handed on in the order it was given.
//!
//! `eliot-tree` reads a log on one thread (a task's lines must be placed in
//! the order they were read) and spends most of its time drawing the tasks
//! it completes, each on its own: [`in_order`] draws them on every core and
//! still prints them in the order they completed, as soon as each is ready.

use std::collections::VecDeque;
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};

/// What the feeding thread hands on: work for a worker thread, or a result
/// it already has (which takes its place in the order all the same).
#[derive(Debug)]
pub enum Job<I, O> {
    /// To be turned into a result, by a worker thread or by the feeding
    /// thread while it waits.
    Work(I),
    /// A result as it is.
    Done(O),
}

/// The feeding end of [`in_order`]: see [`Feeder::feed`].
pub struct Feeder<'a, I, O> {
    jobs: Option<Sender<(u64, I)>>,
    /// The feeding thread takes work from the queue itself when it would
    /// otherwise wait.
    queued: Receiver<(u64, I)>,
    results: Receiver<(u64, O)>,
    work: &'a (dyn Fn(I) -> O + Sync),
    sink: &'a mut dyn FnMut(O) -> bool,
    /// Results by sequence number from `next_out`, `None` until ready.
    waiting: VecDeque<Option<O>>,
    next_in: u64,
    next_out: u64,
    window: u64,
    stopped: bool,
}

impl<I, O> Feeder<'_, I, O> {
    /// Hands on `job`, and the results ready to the sink. Works on the
    /// queue itself (or waits) while `window` jobs are in flight. False
    /// once the sink has stopped: feed no more.
    pub fn feed(&mut self, job: Job<I, O>) -> bool {
        if self.stopped {
            return false;
        }
        let seq = self.next_in;
        self.next_in += 1;
        self.waiting.push_back(None);
        match job {
            Job::Done(out) => self.place(seq, out),
            Job::Work(input) => {
                let jobs = self.jobs.as_ref().expect("open until the end");
                if let Err(back) = jobs.send((seq, input)) {
                    // No worker thread is left (they only end with the
                    // queue): do it here.
                    let (seq, input) = back.into_inner();
                    let out = (self.work)(input);
                    self.place(seq, out);
                }
            }
        }
        self.hand_on_ready();
        while self.next_in - self.next_out >= self.window && !self.stopped {
            self.wait_for_one();
        }
        !self.stopped
    }

    /// Takes one result: works on a queued job, or waits for a worker's.
    fn wait_for_one(&mut self) {
        if let Ok((seq, input)) = self.queued.try_recv() {
            let out = (self.work)(input);
            self.place(seq, out);
        } else if let Ok((seq, out)) = self.results.recv() {
            self.place(seq, out);
        }
        self.hand_on_ready();
    }

    fn place(&mut self, seq: u64, out: O) {
        let at = (seq - self.next_out) as usize;
        self.waiting[at] = Some(out);
    }

    /// Hands the results whose turn it is to the sink.
    fn hand_on_ready(&mut self) {
        while let Ok((seq, out)) = self.results.try_recv() {
            self.place(seq, out);
        }
        while self.waiting.front().is_some_and(Option::is_some) {
            let Some(Some(out)) = self.waiting.pop_front() else {
                unreachable!("looked at above");
            };
            self.next_out += 1;
            if !self.stopped && !(self.sink)(out) {
                self.stopped = true;
            }
        }
    }

    /// Closes the queue and hands on every result still to come.
    fn finish(&mut self) {
        self.jobs = None;
        while self.next_out < self.next_in {
            self.wait_for_one();
        }
    }
}

impl<I, O> std::fmt::Debug for Feeder<'_, I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feeder")
            .field("fed", &self.next_in)
            .field("handed_on", &self.next_out)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

/// Runs `feed` on this thread and `work` on `workers` other threads (and on
/// this one while it would wait); `sink`, on this thread, gets every result
/// in the order the jobs were fed, as soon as it and those before it are
/// ready. At most `window` jobs are in flight at a time, which bounds the
/// memory held however slow one job is. When `sink` returns false it gets
/// nothing more and [`Feeder::feed`] returns false. Returns what `feed`
/// returned, once every result was handed on.
///
/// ```
/// use eliot_tree::ordered::{Job, in_order};
///
/// let mut seen = Vec::new();
/// in_order(
///     3,
///     8,
///     |n: u64| n * n,
///     |feeder| {
///         for n in 0..100 {
///             let job = if n % 10 == 0 { Job::Done(0) } else { Job::Work(n) };
///             assert!(feeder.feed(job));
///         }
///     },
///     |square| {
///         seen.push(square);
///         true
///     },
/// );
/// let expected: Vec<u64> = (0..100).map(|n| if n % 10 == 0 { 0 } else { n * n }).collect();
/// assert_eq!(seen, expected);
/// ```
pub fn in_order<I, O, R>(
    workers: usize,
    window: usize,
    work: impl Fn(I) -> O + Sync,
    feed: impl FnOnce(&mut Feeder<'_, I, O>) -> R,
    mut sink: impl FnMut(O) -> bool,
) -> R
where
    I: Send,
    O: Send,
{
    let window = window.max(1);
    let (jobs, queued) = bounded::<(u64, I)>(window);
    let (results, finished) = bounded::<(u64, O)>(window);
    thread::scope(|scope| {
        for _ in 0..workers {
            let (queued, results, work) = (queued.clone(), results.clone(), &work);
            scope.spawn(move || {
                for (seq, input) in queued {
                    if results.send((seq, work(input))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(results);
        let mut feeder = Feeder {
            jobs: Some(jobs),
            queued,
            results: finished,
            work: &work,
            sink: &mut sink,
            waiting: VecDeque::with_capacity(window),
            next_in: 0,
            next_out: 0,
            window: window as u64,
            stopped: false,
        };
        let fed = feed(&mut feeder);
        feeder.finish();
        fed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_slow_job_holds_back_those_after_it_not_before() {
        let mut seen = Vec::new();
        in_order(
            2,
            4,
            |n: u32| {
                if n == 3 {
                    thread::sleep(Duration::from_millis(50));
                }
                n
            },
            |feeder| {
                for n in 0..20 {
                    assert!(feeder.feed(Job::Work(n)));
                }
            },
            |n| {
                seen.push(n);
                true
            },
        );
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn without_workers_the_feeding_thread_does_the_work() {
        let mut seen = Vec::new();
        in_order(
            0,
            3,
            |n: u32| n + 1,
            |feeder| {
                for n in 0..10 {
                    assert!(feeder.feed(Job::Work(n)));
                }
            },
            |n| {
                seen.push(n);
                true
            },
        );
        assert_eq!(seen, (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn a_sink_that_stops_stops_the_feeder() {
        let mut got = 0;
        let fed = in_order(
            2,
            4,
            |n: u32| n,
            |feeder| {
                let mut fed = 0;
                while fed < 1_000_000 && feeder.feed(Job::Work(fed)) {
                    fed += 1;
                }
                fed
            },
            |_| {
                got += 1;
                got < 10
            },
        );
        assert_eq!(got, 10);
        assert!(fed < 100, "the feeder went on: {fed}");
    }
}
