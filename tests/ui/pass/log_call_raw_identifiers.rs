//! `#[log_call]` with arguments named by raw identifiers (`r#type`), in the
//! argument list and in `skip(..)` / `include(..)`: the fields are named
//! without `r#`.

#![deny(warnings)]

use eliot::log_call;

#[log_call(include(r#type, ?r#match, %r#fn))]
fn included(r#type: &str, r#match: Option<u8>, r#fn: u8, r#struct: u8) -> usize {
    r#type.len() + usize::from(r#match.unwrap_or(r#fn)) + usize::from(r#struct)
}

#[log_call(skip(r#type))]
fn skipped(r#type: &str, r#loop: u8) -> u8 {
    r#loop + r#type.len() as u8
}

#[log_call]
async fn all(r#type: String, r#in: u8) -> usize {
    tokio::task::yield_now().await;
    r#type.len() + usize::from(r#in)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(included("ab", Some(3), 9, 1), 6);
    assert_eq!(skipped("ab", 1), 3);
    assert_eq!(all("abc".to_owned(), 1).await, 4);
}
