//! What failing a function's actions on `Err` costs per call: the same
//! `#[inline_actions]` function, opening one action and returning at once,
//! with the return scope (`Result` recognised) and without it (the same
//! `Result` behind an alias the macro does not recognise, no `result`
//! opt-in), on the `Ok` and the `Err` path, measured in one process.
//!
//! ```text
//! cargo bench --bench result_actions
//! ```
//!
//! Each call creates the future and polls it once to completion with a
//! no-op waker; the action's start and end go to a destination that counts
//! them. Variants interleave per round; the median of `ROUNDS` rounds is
//! reported. Figures, not assertions.

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/support/poll.rs"]
mod poll;

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use eliot::{add_destination, destination_fn, inline_actions, start_action};
use poll::{median, run_to_end};

const CALLS: u32 = 20_000;
const ROUNDS: usize = 101;

/// The same `Result`, unrecognised by the macro: no return scope.
type Unscoped = Result<u32, std::io::Error>;

#[inline_actions]
async fn scoped(fail: bool) -> Result<u32, std::io::Error> {
    let _action = start_action!("bench:scoped");
    if fail {
        return Err(std::io::Error::other("failed"));
    }
    Ok(1)
}

#[inline_actions]
async fn unscoped(fail: bool) -> Unscoped {
    let _action = start_action!("bench:unscoped");
    if fail {
        return Err(std::io::Error::other("failed"));
    }
    Ok(1)
}

/// ns per call of `CALLS` calls.
fn round<F: std::future::Future<Output = Result<u32, std::io::Error>>>(
    call: impl Fn(bool) -> F,
    fail: bool,
) -> f64 {
    let started = Instant::now();
    for _ in 0..CALLS {
        // The same adapter around both variants: the executor takes `u32`.
        let future = call(black_box(fail));
        let (output, _) = run_to_end(pin!(async move { future.await.unwrap_or(0) }));
        assert_eq!(output == 0, fail);
    }
    started.elapsed().as_nanos() as f64 / f64::from(CALLS)
}

fn main() {
    let lines = Arc::new(AtomicU64::new(0));
    let counter = lines.clone();
    let _destination = add_destination(destination_fn(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    for fail in [false, true] {
        round(scoped, fail);
        round(unscoped, fail);
    }
    let mut times: [Vec<f64>; 4] = Default::default();
    for _ in 0..ROUNDS {
        times[0].push(round(unscoped, false));
        times[1].push(round(scoped, false));
        times[2].push(round(unscoped, true));
        times[3].push(round(scoped, true));
    }
    let [unscoped_ok, scoped_ok, unscoped_err, scoped_err] = times.map(median);
    println!("workload: {CALLS} calls per round, one action each, median of {ROUNDS} rounds");
    println!("Ok,  without return scope: {unscoped_ok:8.1} ns/call");
    println!(
        "Ok,  with return scope:    {scoped_ok:8.1} ns/call  (+{:.1} ns)",
        scoped_ok - unscoped_ok
    );
    println!("Err, without return scope: {unscoped_err:8.1} ns/call  (action logged as succeeded)");
    println!(
        "Err, with return scope:    {scoped_err:8.1} ns/call  (+{:.1} ns; action failed with the error)",
        scoped_err - unscoped_err
    );
    println!("lines logged: {}", lines.load(Ordering::Relaxed));
    println!(
        "result_actions: ok_overhead_ratio={:.3} err_overhead_ratio={:.3}",
        scoped_ok / unscoped_ok,
        scoped_err / unscoped_err
    );
}
