//! Work spread over threads, results handed on in the order it was given.
//!
//! `eliot-tree` reads a log's lines on every core, places them in their
//! tasks on one thread (in the order they were read) and draws the tasks
//! completed on every core, printed in the order they completed. One
//! [`Pool`] of threads does both kinds of work; an [`InOrder`] for each
//! kind hands its results back in the order their jobs were given, however
//! the threads finish them.
//!
//! The thread that gives the jobs never waits while there is something it
//! can do: it takes the results that are ready, does a queued job itself,
//! and waits only when every job given is being done elsewhere (see
//! [`Pool::work_here`]). Work is kept where its data is: the jobs the
//! giving thread would rather do itself (reading the lines it is about to
//! place, in `eliot-tree`) are [offered](Pool::offer), and other threads
//! take them only when they have nothing [given](Pool::give) to do.

use std::collections::VecDeque;
use std::thread;

use crossbeam_channel::{Receiver, Sender, select, unbounded};

/// Threads that run one function on the jobs they are given: see
/// [`with_pool`].
pub struct Pool<'a, I, O> {
    given: Queue<I>,
    offered: Queue<I>,
    results: Receiver<O>,
    work: &'a (dyn Fn(I) -> O + Sync),
}

/// A queue of jobs, taken from by the pool's threads and by the thread
/// that gives them.
struct Queue<I> {
    jobs: Sender<I>,
    queued: Receiver<I>,
}

impl<I> Queue<I> {
    fn new() -> Self {
        let (jobs, queued) = unbounded();
        Queue { jobs, queued }
    }

    fn push(&self, job: I) {
        // The queue holds its receiving end, so it is never closed while
        // it lives.
        let _ = self.jobs.send(job);
    }

    fn take(&self) -> Option<I> {
        self.queued.try_recv().ok()
    }
}

impl<I, O> Pool<'_, I, O> {
    /// Queues `job` for the pool's threads: the first one free does it.
    pub fn give(&self, job: I) {
        self.given.push(job);
    }

    /// Queues `job` for this thread, which does it in
    /// [`work_here`](Self::work_here) before anything given; a pool's
    /// thread does it only when nothing given is waiting.
    pub fn offer(&self, job: I) {
        self.offered.push(job);
    }

    /// A result ready, if any.
    pub fn try_result(&self) -> Option<O> {
        self.results.try_recv().ok()
    }

    /// The results as they come, to wait on (with `crossbeam_channel`'s
    /// `select!`, say) beside something else.
    pub fn results(&self) -> &Receiver<O> {
        &self.results
    }

    /// Does a queued job on this thread, an offered one first, and returns
    /// its result; `None` if no job is queued (every job is done or being
    /// done).
    pub fn work_here(&self) -> Option<O> {
        let job = self.offered.take().or_else(|| self.given.take())?;
        Some((self.work)(job))
    }
}

impl<I, O> std::fmt::Debug for Pool<'_, I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("given", &self.given.queued.len())
            .field("offered", &self.offered.queued.len())
            .field("results", &self.results.len())
            .finish_non_exhaustive()
    }
}

/// Runs `body` with a [`Pool`] of `workers` threads that run `work` on the
/// jobs `body` gives, and returns what `body` returned. The jobs still
/// queued when `body` returns are dropped; the pool's threads end with it.
/// Should a thread fail to start, the pool has fewer; with none, every job
/// is done by [`Pool::work_here`].
///
/// ```
/// use eliot_tree::ordered::{InOrder, with_pool};
///
/// let mut seen = Vec::new();
/// with_pool(
///     2,
///     |(ticket, n): (_, u64)| (ticket, n * n),
///     |pool| {
///         let mut squares = InOrder::new();
///         for n in 0..100 {
///             pool.give((squares.ticket(), n));
///         }
///         while !squares.is_empty() {
///             let (ticket, square) = match pool.work_here() {
///                 Some(done) => done,
///                 None => pool.results().recv().unwrap(),
///             };
///             squares.put(ticket, square);
///             seen.extend(std::iter::from_fn(|| squares.pop()));
///         }
///     },
/// );
/// assert_eq!(seen, (0..100).map(|n| n * n).collect::<Vec<u64>>());
/// ```
pub fn with_pool<I, O, R>(
    workers: usize,
    work: impl Fn(I) -> O + Sync,
    body: impl FnOnce(&Pool<'_, I, O>) -> R,
) -> R
where
    I: Send,
    O: Send,
{
    let (given, offered) = (Queue::new(), Queue::new());
    let (done, results) = unbounded::<O>();
    thread::scope(|scope| {
        for n in 0..workers {
            let (given, offered) = (given.queued.clone(), offered.queued.clone());
            let (done, work) = (done.clone(), &work);
            let started = thread::Builder::new()
                .name(format!("eliot-tree {}", n + 1))
                .spawn_scoped(scope, move || {
                    while let Some(job) = next_job(&given, &offered) {
                        if done.send(work(job)).is_err() {
                            return;
                        }
                    }
                });
            if started.is_err() {
                break;
            }
        }
        drop(done);
        let pool = Pool {
            given,
            offered,
            results,
            work: &work,
        };
        let returned = body(&pool);
        // What is still queued is not wanted: the threads take nothing
        // more, and end once the queues close (when `pool` is dropped).
        while pool.given.take().or_else(|| pool.offered.take()).is_some() {}
        returned
    })
}

/// A pool thread's next job: a given one, else an offered one, else the
/// first to come; `None` once the queues are closed.
fn next_job<I>(given: &Receiver<I>, offered: &Receiver<I>) -> Option<I> {
    if let Ok(job) = given.try_recv() {
        return Some(job);
    }
    if let Ok(job) = offered.try_recv() {
        return Some(job);
    }
    // Both queues close together, when the pool is dropped.
    select! {
        recv(given) -> job => job.ok(),
        recv(offered) -> job => job.ok(),
    }
}

/// Where a result goes among those of its kind: see [`InOrder::ticket`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u64);

/// Results handed back in the order their tickets were given, each as soon
/// as it and those before it are in.
#[derive(Debug)]
pub struct InOrder<T> {
    /// The results from the oldest ticket not yet handed back on, `None`
    /// until put.
    waiting: VecDeque<Option<T>>,
    /// The ticket of `waiting`'s first place.
    first: u64,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            waiting: VecDeque::new(),
            first: 0,
        }
    }
}

impl<T> InOrder<T> {
    /// Nothing waited for yet.
    pub fn new() -> Self {
        InOrder::default()
    }

    /// Takes the next place in the order, for a result to come.
    pub fn ticket(&mut self) -> Ticket {
        self.waiting.push_back(None);
        Ticket(self.first + self.waiting.len() as u64 - 1)
    }

    /// Takes the next place in the order with a result already in.
    pub fn push(&mut self, result: T) {
        self.waiting.push_back(Some(result));
    }

    /// Puts the result of `ticket` in its place.
    ///
    /// # Panics
    ///
    /// If `ticket` is not one of this order's, or its result is in already.
    pub fn put(&mut self, ticket: Ticket, result: T) {
        let place = ticket
            .0
            .checked_sub(self.first)
            .and_then(|at| self.waiting.get_mut(at as usize))
            .filter(|place| place.is_none())
            .expect("a ticket of this order, put once");
        *place = Some(result);
    }

    /// The next result in order, if it is in.
    pub fn pop(&mut self) -> Option<T> {
        let result = self.waiting.front_mut()?.take()?;
        self.waiting.pop_front();
        self.first += 1;
        Some(result)
    }

    /// How many results are waited for or waiting to be popped.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether every result was popped.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_back_in_the_order_of_their_tickets() {
        let mut order = InOrder::new();
        let (a, b) = (order.ticket(), order.ticket());
        order.push("c");
        let d = order.ticket();
        order.put(b, "b");
        assert_eq!(order.pop(), None, "a is not in");
        order.put(a, "a");
        assert_eq!(order.pop(), Some("a"));
        assert_eq!(order.pop(), Some("b"));
        assert_eq!(order.pop(), Some("c"));
        assert_eq!(order.pop(), None, "d is not in");
        assert_eq!(order.len(), 1);
        order.put(d, "d");
        assert_eq!(order.pop(), Some("d"));
        assert!(order.is_empty());
    }

    #[test]
    #[should_panic(expected = "a ticket of this order, put once")]
    fn a_ticket_is_put_once() {
        let mut order = InOrder::new();
        let a = order.ticket();
        order.put(a, 1);
        order.put(a, 2);
    }

    /// Jobs given to a pool of `workers`, their results taken in order.
    fn squares(workers: usize, slow: u64) -> Vec<u64> {
        let mut seen = Vec::new();
        with_pool(
            workers,
            |(ticket, n): (Ticket, u64)| {
                if n == slow {
                    thread::sleep(Duration::from_millis(50));
                }
                (ticket, n * n)
            },
            |pool| {
                let mut order = InOrder::new();
                for n in 0..50 {
                    pool.give((order.ticket(), n));
                }
                while !order.is_empty() {
                    let (ticket, square) = match pool.work_here() {
                        Some(done) => done,
                        None => pool.results().recv().unwrap(),
                    };
                    order.put(ticket, square);
                    seen.extend(std::iter::from_fn(|| order.pop()));
                }
            },
        );
        seen
    }

    #[test]
    fn results_come_in_the_order_given_when_a_job_is_slow() {
        assert_eq!(squares(2, 3), (0..50).map(|n| n * n).collect::<Vec<_>>());
    }

    #[test]
    fn without_workers_the_giving_thread_does_the_work() {
        assert_eq!(squares(0, 99), (0..50).map(|n| n * n).collect::<Vec<_>>());
    }

    #[test]
    fn the_giving_thread_does_offered_jobs_before_given_ones() {
        let order = with_pool(
            0,
            |n: u32| n,
            |pool| {
                pool.give(1);
                pool.offer(2);
                pool.give(3);
                pool.offer(4);
                std::iter::from_fn(|| pool.work_here()).collect::<Vec<_>>()
            },
        );
        assert_eq!(order, [2, 4, 1, 3]);
    }

    #[test]
    fn a_pool_thread_does_given_jobs_before_offered_ones() {
        let (given, offered) = (Queue::new(), Queue::new());
        offered.push(2);
        given.push(1);
        offered.push(4);
        given.push(3);
        let order: Vec<u32> = std::iter::from_fn(|| next_job(&given.queued, &offered.queued))
            .take(4)
            .collect();
        assert_eq!(order, [1, 3, 2, 4]);
    }

    #[test]
    fn jobs_left_when_the_body_returns_are_not_done() {
        let done = AtomicUsize::new(0);
        with_pool(
            1,
            |n: u32| {
                thread::sleep(Duration::from_millis(5));
                done.fetch_add(1, Ordering::Relaxed);
                n
            },
            |pool| {
                for n in 0..1000 {
                    pool.give(n);
                }
                pool.results().recv().unwrap();
            },
        );
        assert!(done.load(Ordering::Relaxed) < 10, "the pool went on");
    }
}
