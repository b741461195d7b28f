//! `#[inline_actions(debug)]` rewrites the body's own awaits, wherever they
//! are written: in expressions, conditions, loops, `?` chains, and after
//! temporaries that must live until the await completes.

// The generated code is clean under strict lints in users' crates.
#![deny(warnings, unused_qualifications, unused_results, rust_2018_idioms)]

use eliot::inline_actions;

async fn add(a: &u32, b: u32) -> u32 {
    a + b
}

async fn fallible(ok: bool) -> Result<u32, String> {
    if ok { Ok(1) } else { Err("no".into()) }
}

#[inline_actions(debug)]
async fn many_awaits(flag: bool) -> Result<u32, String> {
    let mut total = add(&1, 2).await;
    // A temporary borrowed by the awaited future.
    total += add(&String::from("ab").len().try_into().unwrap(), 0).await;
    if add(&0, 1).await == 1 {
        total += 1;
    }
    for i in 0..3 {
        total += add(&i, 0).await;
    }
    total += fallible(flag).await?;
    // Nested async blocks and closures keep their own awaits.
    let nested = async { add(&1, 1).await };
    total += nested.await;
    let make = |x: u32| async move { add(&x, 0).await };
    total += make(1).await;
    Ok(total)
}

#[inline_actions(debug, crate = ::eliot)]
async fn with_both_arguments() {}

#[tokio::main]
async fn main() {
    assert_eq!(many_awaits(true).await, Ok(13));
    assert_eq!(many_awaits(false).await, Err("no".to_owned()));
    with_both_arguments().await;
}
