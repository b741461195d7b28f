//! Attribute macros for eliot-rs: `#[inline_actions]` and `#[log_call]`.
//!
//! Use them through the `eliot` crate (`use eliot::{inline_actions,
//! log_call};`), or depend on `eliot-core` and `eliot-macros` directly; they
//! expand to code that calls the library's hidden support module, which
//! they find from the crate's `Cargo.toml`: `eliot` if it is a dependency
//! (renamed or not), else `eliot-core` (renamed or not). When the library
//! is reachable only some other way (re-exported by a crate of your own),
//! say where with `crate = path`: `#[inline_actions(crate = my_lib::eliot)]`.
//! A crate that depends on neither gets an error that says what to add.
//!
//! # Why `#[inline_actions]`
//!
//! Eliot keeps the current action per thread. In async Rust the thread is
//! not the task: between two polls of a future the same worker thread runs
//! other tasks, and a task may resume on another thread. An action opened in
//! a plain `async fn` and held across an `.await` would be "current" for
//! whatever the thread runs next, and gone when the function resumes
//! elsewhere. Eliot's page on Twisted describes the same bug with
//! `inlineCallbacks`, and fixes it with `eliot.twisted.inline_callbacks`;
//! `#[inline_actions]` is its Rust counterpart:
//!
//! ```
//! use eliot::{inline_actions, start_action};
//!
//! # async fn some_async_api() -> u32 { 7 }
//! #[inline_actions]
//! async fn go() {
//!     let action = start_action!("yourapp:subsystem:frob");
//!     let x = some_async_api().await;
//!     // Still inside `yourapp:subsystem:frob`, on whichever thread resumed us.
//!     action.log("some-report", eliot::fields!(x = x));
//! }
//! # futures_block_on(go());
//! # fn futures_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! ```

//!
//! # Editions
//!
//! The future an `#[inline_actions]` function returns captures every
//! lifetime in scope, as `async fn` does, in crates of any edition: the
//! generated `impl Future` follows the edition 2024 capture rule whatever the
//! user's edition is.
//!
//! ```edition2021
//! use eliot::inline_actions;
//!
//! struct Cache(Vec<String>);
//!
//! impl Cache {
//!     #[inline_actions]
//!     async fn find(&self, key: &str) -> Option<&String> {
//!         self.0.iter().find(|entry| entry.as_str() == key)
//!     }
//! }
//! ```

#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attr;
mod awaits;
mod capture_logging;
mod declared;
mod errors;
mod expand;
mod item;
mod krate;
mod result_actions;
mod stacking;
mod validate;

/// Keeps an `async fn`'s action context across every `.await`, and
/// contains it within the function.
///
/// The Rust counterpart of Eliot's `inline_callbacks`. The function's future
/// captures the caller's current action **when the function is called** (so
/// `tokio::spawn(f())` keeps the caller's action), and then:
///
/// - while the future is polled, its own context is current: messages and
///   actions of the body, and of every future it awaits, are children of the
///   actions the body opened;
/// - when it suspends, its context is saved and the poller's is back, so
///   nothing leaks to other tasks on the same worker thread; this also holds
///   for awaits the macro cannot see, inside `tokio::select!`, `join!` or
///   nested `async` blocks;
/// - when it is dropped before completing (a timeout, a `select!` loser, an
///   aborted task), every action the body opened finishes as failed with
///   `exception` `"cancelled"`; when a poll panics, they finish as failed
///   with the panic's message, and the poller's context is restored.
///
/// The cost per poll is two one-word swaps with a thread-local: no
/// allocation (tests/alloc_per_poll.rs checks it with a counting allocator),
/// no lock (`cargo bench --bench inline_actions` measures the cost beside
/// `tracing::Instrument`).
///
/// A task the body spawns is not cancelled with the function: it keeps
/// running, in the function's action, and its actions may end after the
/// function's own. Await (or abort and await) what you spawn before
/// returning when the log must show complete trees.
///
/// ```
/// use eliot::{inline_actions, log_message, start_action};
///
/// #[inline_actions]
/// async fn fetch(id: u64) -> Result<String, std::io::Error> {
///     let _action = start_action!("app:fetch", id = id);
///     tokio::task::yield_now().await; // other tasks run here ...
///     log_message!("app:fetch:got"); // ... and this is still in `app:fetch`
///     Ok(format!("item {id}"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let item = tokio::spawn(fetch(7)).await.unwrap().unwrap();
/// # assert_eq!(item, "item 7");
/// # }
/// ```
///
/// # `?` and `return Err` fail the function's actions
///
/// In a function that returns a `Result`, an action opened by a `let` at
/// the top level of the body, and still open when the function returns,
/// ends with the function's value: failed with the error on `Err`
/// (`exception`, `reason` and extractor fields, as
/// `ActionGuard::finish_with_error` writes them), succeeded on `Ok`. Exactly
/// these actions qualify:
///
/// - bound to a plain name (`let action = ..`, `let mut action: ActionGuard
///   = ..`; not `let _ = ..`, which ends the action at once, nor a pattern);
/// - by `start_action!(..)`, `start_task!(..)`, or a call to a function
///   named `start_action`, `start_task`, `continue_task` or
///   `continue_task_with`, possibly followed by `?`, `.unwrap()` or
///   `.expect(..)`;
/// - whose guard is never moved afterwards (passed by value, stored,
///   captured by a `move` closure or `async move` block), and is dropped
///   where it was bound.
///
/// Actions of inner blocks, actions finished explicitly (`finish`,
/// `finish_with_error`, `into_action`), and guards moved elsewhere keep
/// their behaviour (a dropped guard succeeds); so do cancellation and
/// panics. The error is described as `#[log_call]` describes it, and an
/// error type that is not even `Display` is recorded by its type name.
///
/// ```
/// use eliot::{inline_actions, start_action};
///
/// # async fn fetch_row(id: u64) -> Result<String, std::io::Error> {
/// #     Err(std::io::Error::other("no such row"))
/// # }
/// #[inline_actions]
/// async fn handle(id: u64) -> Result<String, std::io::Error> {
///     let _action = start_action!("app:handle", id = id);
///     let row = fetch_row(id).await?; // an error here fails `app:handle`
///     Ok(row)
/// }
/// # let _ = handle;
/// ```
///
/// A `Result` is recognised by the last segment of the return type's path
/// (`Result`, `io::Result`, `anyhow::Result`). For a type alias, opt in
/// with `result`: `#[inline_actions(result)]`. Outside these macros,
/// `eliot::FailActionExt::fail_action` fails an action from a `Result`
/// before `?` propagates it.
///
/// # What the function becomes
///
/// `async fn f(args) -> T` becomes `fn f(args) -> impl Future<Output = T>`,
/// whose body captures the current context and returns the original body,
/// as an `async move` block, wrapped in `eliot::WithContext`. Every argument
/// moves into the future as with `async fn`. The future captures every
/// lifetime and type parameter in scope, and is `Send` exactly when the body
/// is (auto traits leak through `impl Trait`), so it can be spawned whenever
/// the plain `async fn` could.
///
/// Accepted: free functions and methods (`&self`, `&mut self`, `self`,
/// `self: Box<Self>`, `self: Pin<&mut Self>`), generics and where clauses,
/// lifetimes (named and elided), `impl Trait` arguments and return types,
/// `Result` with `?` and early `return`, `async fn` in traits (on a default
/// body) and in trait impls, recursion through `Box::pin`, and:
///
/// - functions already desugared by `#[async_trait]` (put `#[async_trait]`
///   on the `impl` or trait and `#[inline_actions]` on the method): a body
///   ending in `Box::pin(async move { .. })` has its `async` block wrapped,
///   and a `Result` (the future's `Output`) ends its actions as above;
/// - `#[tokio::main]` and `#[tokio::test]` in either order, a `Result`
///   ending the actions in both; put `#[inline_actions]` first to keep the
///   function `async fn` for them;
/// - `#[tracing::instrument]` in either order: the span's action (with
///   `eliot-tracing`'s `EliotLayer`) encloses the body's actions and messages,
///   which survive every `.await`. Written above `#[tracing::instrument]`,
///   the attribute moves itself below it, so both orders expand the same
///   way.
///
/// Hand-written helpers that return `impl Future` without being `async fn`
/// can use `eliot::FutureContextExt::in_current_context` instead.
///
/// # Arguments
///
/// - `debug`: also log a `yielded` message (no fields) in the function's
///   context at every `.await` written in its body, just before it is
///   awaited, as Python's `inline_callbacks(debug=True)` does at every
///   `yield`. Awaits inside nested `async` blocks, closures, nested items
///   and macro invocations (`select!`, `join!`) belong to other futures and
///   are not rewritten; they still run in the function's context.
/// - `result`: the function returns a `Result` through a type alias the
///   macro cannot recognise; `Err` fails its top-level actions (see above).
/// - `crate = path`: where the library is, when the crate's `Cargo.toml`
///   does not say it (for example a re-export: `crate = my_lib::eliot`);
///   `eliot`, `eliot-core` and renamed dependencies on them are found
///   without it.
///
/// # Guards across awaits
///
/// Holding an `ActionGuard` across an `.await` is exactly what this
/// attribute makes correct, so it allows Clippy's
/// `await_holding_invalid_type` inside the function, for projects that
/// configure that lint to flag eliot's guards elsewhere.
#[proc_macro_attribute]
pub fn inline_actions(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let args = proc_macro2::TokenStream::from(args);
    if let Some(moved) = stacking::below_instrument("inline_actions", &args, &item) {
        return moved.into();
    }
    let mut errors = errors::Errors::default();
    let args = attr::InlineActionsArgs::parse(args, &mut errors);
    let Some(mut parsed) = parse_fn("inline_actions", item.clone(), &mut errors) else {
        return errors.with_unchanged(item).into();
    };
    let kind = validate::inline_actions(&mut parsed, &mut errors);
    match kind {
        Some(kind) if errors.is_empty() => {
            match krate::library_path("inline_actions", args.krate.clone()) {
                Ok(krate) => expand::inline_actions(&args, &krate, parsed, kind).into(),
                Err(error) => {
                    errors.push(error);
                    errors.with_unchanged(item).into()
                }
            }
        }
        _ => errors.with_unchanged(item).into(),
    }
}

/// Logs every call of a function as an action: Eliot's `log_call`, made
/// right for `async fn`.
///
/// The action's type is the function's path (`my_app::billing::charge`;
/// for a method, with its type, as `std::any::type_name` writes it:
/// `my_app::Ledger::charge`, `my_app::Cache<_>::get`,
/// `<my_app::Disk as my_app::Store>::get`); its start fields
/// are the function's arguments, which must implement `serde::Serialize`
/// (`self` is never logged). It succeeds with the return value as its
/// `result` field; when the function returns `Err`, it fails with the error
/// (`exception` its type, `reason` its message); a panic fails it with the
/// panic's message.
///
/// ```
/// use eliot::{log_call, start_action};
///
/// #[log_call]
/// fn multiply(x: i32, y: i32) -> i32 {
///     x * y
/// }
/// // {"x":3,"y":4,"action_status":"started",..,"action_type":"rust_out::multiply",..}
/// // {"result":12,"action_status":"succeeded",..}
/// assert_eq!(multiply(3, 4), 12);
/// ```
///
/// On an `async fn` the action starts when the future is first polled and
/// finishes when it completes (Eliot's Python `log_call` finishes it when the
/// coroutine is created, Eliot issue 393), and the function keeps its
/// context across awaits as with [`macro@inline_actions`], which it includes.
/// A future dropped before completing fails the action as `"cancelled"`.
/// With `#[tokio::main]` or `#[tokio::test]`, in either order, the action
/// wraps the function's `async` body, not the runtime that runs it: tasks
/// the runtime polls on the same thread meanwhile run outside it.
///
/// ```
/// use eliot::log_call;
///
/// #[derive(Debug)]
/// struct Config { retries: u32 }
///
/// #[log_call(include(url, ?config), skip_result)]
/// async fn fetch(url: &str, config: &Config, token: &str) -> Result<Vec<u8>, std::io::Error> {
///     tokio::task::yield_now().await;
///     Ok(b"body".to_vec())
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # fetch("https://example.invalid", &Config { retries: 3 }, "secret").await.unwrap();
/// # }
/// ```
///
/// # Arguments
///
/// - `skip(a, b)`: leave these arguments out of the start fields;
/// - `include(a, ?b, %c)`: log only these arguments: `a` with
///   `serde::Serialize`, `b` with its `Debug` form and `c` with its
///   `Display` form (as strings); not together with `skip`;
/// - `skip_result`: no `result` field (the result's type then need not be
///   `Serialize`). A result of type `()` is never logged;
/// - `action_type = "app:frob"`: an action type of your own;
/// - `result`: the return type is a `Result` behind an alias the macro
///   cannot recognise (`Ok` logged as `result` unless `skip_result`);
/// - `crate = path`: where the library is, when the crate's `Cargo.toml`
///   does not say it (see [`macro@inline_actions`]).
///
/// A return type is treated as a `Result` when the last segment of its path
/// is `Result` (`Result`, `io::Result`, `anyhow::Result`): `Ok(v)` logs `v`
/// as `result`, `Err(e)` fails the action. The error is described with
/// `eliot::AsFailure` (every `std::error::Error`), through `Deref` (`Box<dyn
/// Error>`, `anyhow::Error`), or with its `Display` form, in that order.
/// Actions the body opens with a top-level `let` fail with it too, as in
/// [`macro@inline_actions`] (see "`?` and `return Err` fail the function's
/// actions" there).
///
/// With `#[tracing::instrument]`, in either order, the call's action
/// encloses the span's, which encloses the body (the attribute moves itself
/// below `#[tracing::instrument]` when written above it).
///
/// On a synchronous function the body runs in a closure, so that `return`
/// and `?` are seen. A function that returns a future without being `async
/// fn` is synchronous to this attribute: its action would end when the future
/// is created, so make it `async fn`.
#[proc_macro_attribute]
pub fn log_call(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let args = proc_macro2::TokenStream::from(args);
    if let Some(moved) = stacking::below_instrument("log_call", &args, &item) {
        return moved.into();
    }
    let mut errors = errors::Errors::default();
    let args = attr::LogCallArgs::parse(args, &mut errors);
    let Some(mut parsed) = parse_fn("log_call", item.clone(), &mut errors) else {
        return errors.with_unchanged(item).into();
    };
    let plan = validate::log_call(&mut parsed, &args, &mut errors);
    match plan {
        Some(plan) if errors.is_empty() => {
            match krate::library_path("log_call", args.krate.clone()) {
                Ok(krate) => {
                    expand::log_call(&krate, args.action_type.as_ref(), parsed, plan).into()
                }
                Err(error) => {
                    errors.push(error);
                    errors.with_unchanged(item).into()
                }
            }
        }
        _ => errors.with_unchanged(item).into(),
    }
}

/// Parses the item as a function, or records why it is not one.
fn parse_fn(
    macro_name: &str,
    item: proc_macro2::TokenStream,
    errors: &mut errors::Errors,
) -> Option<item::FnItem> {
    match syn::parse2::<item::FnItem>(item.clone()) {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            let keyword = item::non_fn_keyword(item);
            let is_fn = keyword
                .clone()
                .into_iter()
                .any(|tree| tree.to_string() == "fn");
            if is_fn {
                errors.push(error);
            } else {
                errors.spanned(
                    keyword,
                    format_args!("`#[{macro_name}]` goes on a function, not on this item"),
                );
            }
            None
        }
    }
}

/// Runs a test with its own `MemoryLogger` and validates its log when it
/// returns: Eliot's `capture_logging`, for `#[test]` and `#[tokio::test]`
/// functions.
///
/// ```text
/// #[capture_logging]
/// #[test]
/// fn logs_a_greeting(logger: MemoryLogger) { ... }
///
/// #[capture_logging]                           // above or below
/// #[tokio::test(flavor = "multi_thread")]      // #[tokio::test]
/// async fn fetches(logger: MemoryLogger) { ... }
/// ```
///
/// The test may take the logger as its one parameter (then put
/// `#[capture_logging]` above `#[test]`, which checks that tests take no
/// parameter). Everything the test logs in new tasks goes to that logger
/// only, also from threads and futures that carry its context
/// (`preserve_context`, `#[inline_actions]`, `eliot-tokio`'s spawn helpers),
/// and never to the registered destinations; tests running in parallel do
/// not see each other's messages. When the test returns, the log is
/// validated (`MemoryLogger::validate`): a field that failed to serialize,
/// an action that never finished, or a traceback not flushed with
/// `MemoryLogger::flush_tracebacks` fails the test.
///
/// ```
/// use eliot::testing::{MemoryLogger, assert_has_message, json};
/// use eliot::{capture_logging, log_message, start_action};
///
/// #[capture_logging] // with #[test] below it, in a test file
/// fn logs_a_greeting(logger: MemoryLogger) {
///     log_message!("app:hello", who = "world");
///     assert_has_message(&logger, "app:hello", json!({"who": "world"}));
/// }
/// logs_a_greeting();
///
/// #[capture_logging]
/// fn leaves_an_action_open() {
///     std::mem::forget(start_action!("app:open").into_action());
/// }
/// let failed = std::panic::catch_unwind(leaves_an_action_open).unwrap_err();
/// assert!(failed.downcast_ref::<String>().unwrap().contains("unfinished action: app:open"));
/// ```
///
/// An `async fn` keeps its logger across every `.await`:
///
/// ```
/// # use eliot::testing::MemoryLogger;
/// # use eliot::{capture_logging, log_message};
/// #[capture_logging] // with #[tokio::test] above or below it, in a test file
/// async fn fetches(logger: MemoryLogger) {
///     tokio::task::yield_now().await;
///     log_message!("app:fetched");
///     assert_eq!(logger.messages().len(), 1);
/// }
/// # tokio::runtime::Runtime::new().unwrap().block_on(fetches());
/// ```
///
/// The generated code names the library the crate's `Cargo.toml` depends
/// on (`eliot` or `eliot-core`, renamed or not); `crate = path` says where
/// it is otherwise.
#[proc_macro_attribute]
pub fn capture_logging(args: TokenStream, item: TokenStream) -> TokenStream {
    capture_logging::expand(args.into(), item.into()).into()
}

/// Declares a message type (Eliot's `MessageType`): the struct's fields are
/// the message's fields, logged with `serde::Serialize`, and
/// `#[eliot(message_type = "..", description = "..")]` names and describes
/// it. The struct gets a `log(&self)` method (and implements
/// `eliot::declared::MessageType`), and the declaration is registered, so
/// that `eliot::declared::declarations()` lists it and
/// `eliot::testing::validate_declared` (and `MemoryLogger::validate`)
/// report logged messages of its type with missing, extra or mistyped
/// fields.
///
/// ```
/// use eliot::MessageType;
/// use eliot::testing::{MemoryLogger, validate_declared};
///
/// #[derive(MessageType)]
/// #[eliot(message_type = "app:db:row", description = "A row read from the database")]
/// struct DbRow {
///     id: u64,
///     name: String,
/// }
///
/// let logger = MemoryLogger::new();
/// logger.run(|| {
///     DbRow { id: 7, name: "ann".into() }.log();
///     eliot::log_message!("app:db:row", id = "7"); // drifted: a string, and no name
/// });
/// let error = validate_declared(&logger).unwrap_err();
/// assert_eq!(error.problems().len(), 2);
///
/// let declared = eliot::declared::declarations()
///     .find(|d| d.name == "app:db:row")
///     .unwrap();
/// assert_eq!(declared.description, "A row read from the database");
/// assert_eq!(declared.fields[0].rust_type, "u64");
/// ```
///
/// `crate = path` in `#[eliot(..)]` says where the library is, as for the
/// attribute macros.
#[proc_macro_derive(MessageType, attributes(eliot))]
pub fn message_type(input: TokenStream) -> TokenStream {
    declared::derive(declared::Derive::MessageType, input.into()).into()
}

/// Declares an action type (Eliot's `ActionType`): the struct's fields are
/// the action's start fields, logged with `serde::Serialize`;
/// `#[eliot(action_type = "..", success = Type, description = "..")]`
/// names it, names the `#[derive(Fields)]` struct that holds its success
/// fields (none when `success` is left out), and describes it. The struct
/// implements `eliot::ActionType` (imported together with the derive by
/// `use eliot::ActionType;`), which starts the action through the
/// declaration:
///
/// - `start()` returns a guard, `eliot::declared::DeclaredAction`, that
///   keeps the action current and finishes it when dropped, like
///   `start_action!`'s; `succeed(success)` finishes it with the success
///   fields, `add_success(success)` adds them for later;
/// - `run(|action| ..)` runs a closure in the action, and `within(|action|
///   ..)` finishes the action from the closure's `Result`;
/// - `run_async(|action| async move { .. })` and `within_async` do the same
///   for a future, which runs inside the action wherever it is polled.
///
/// The declaration is registered, so that `eliot::declared::declarations()`
/// lists it and `eliot::testing::validate_declared` (and
/// `MemoryLogger::validate`) report starts with missing, extra or mistyped
/// start fields, and successes with missing, extra or mistyped success
/// fields.
///
/// ```
/// use eliot::testing::{MemoryLogger, validate_declared};
/// use eliot::{ActionType, Fields};
///
/// /// A query sent to the database.
/// #[derive(ActionType)]
/// #[eliot(action_type = "app:db:query", success = QueryDone, description = "A database query")]
/// struct Query<'a> {
///     sql: &'a str,
/// }
///
/// /// What a query found.
/// #[derive(Fields)]
/// struct QueryDone {
///     rows: u64,
/// }
///
/// let logger = MemoryLogger::new();
/// logger.run(|| {
///     let query = Query { sql: "SELECT * FROM users" }.start();
///     query.succeed(QueryDone { rows: 3 });
///
///     // Or finished from a closure's `Result`:
///     let parsed = Query { sql: "SELECT 'x'" }.within(|query| {
///         let rows: u64 = "x".parse()?;
///         query.add_success(QueryDone { rows });
///         Ok::<_, std::num::ParseIntError>(rows)
///     });
///     assert!(parsed.is_err());
/// });
/// let messages = logger.messages();
/// assert_eq!(messages[0]["sql"], "SELECT * FROM users");
/// assert_eq!(messages[1]["rows"], 3);
/// assert_eq!(messages[3]["action_status"], "failed");
/// validate_declared(&logger).unwrap();
///
/// let declared = eliot::declared::declarations()
///     .find(|d| d.name == "app:db:query")
///     .unwrap();
/// assert_eq!(declared.fields[0].rust_type, "&str");
/// assert_eq!(declared.success_fields[0].name, "rows");
/// ```
///
/// Async, with the action current inside the future wherever it is polled:
///
/// ```
/// use eliot::{ActionType, Fields, current_action};
///
/// #[derive(ActionType)]
/// #[eliot(action_type = "app:fetch", success = Fetched)]
/// struct Fetch {
///     url: String,
/// }
///
/// #[derive(Fields)]
/// struct Fetched {
///     bytes: usize,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let body = Fetch { url: "https://example.com".into() }
///     .within_async(|fetch| async move {
///         let body = tokio::task::yield_now().await; // the network, say
///         assert_eq!(current_action().unwrap().action_type(), "app:fetch");
///         let body = format!("{body:?}");
///         fetch.add_success(Fetched { bytes: body.len() });
///         Ok::<_, std::io::Error>(body)
///     })
///     .await;
/// assert!(body.is_ok());
/// # }
/// ```
///
/// In an `#[inline_actions]` or `#[log_call]` function that returns a
/// `Result`, a guard from `start()` bound by a top-level `let` fails with
/// the function's `Err`, as one from `start_action!` does. `crate = path`
/// in `#[eliot(..)]` says where the library is, as for the attribute
/// macros. The success type is named as it is written, so it cannot use
/// the struct's generic parameters.
#[proc_macro_derive(ActionType, attributes(eliot))]
pub fn action_type(input: TokenStream) -> TokenStream {
    declared::derive(declared::Derive::ActionType, input.into()).into()
}

/// Declares a set of fields (implements `eliot::Fields`): the struct's
/// named fields, logged with `serde::Serialize`. Most often the success
/// fields of a declared action type (`#[eliot(success = Type)]` on
/// `#[derive(ActionType)]`), which one set may serve for several action
/// types.
///
/// ```
/// use eliot::testing::MemoryLogger;
/// use eliot::{ActionType, Fields};
///
/// #[derive(Fields)]
/// struct Written {
///     bytes: u64,
/// }
///
/// #[derive(ActionType)]
/// #[eliot(action_type = "app:save", success = Written)]
/// struct Save {
///     path: String,
/// }
///
/// #[derive(ActionType)]
/// #[eliot(action_type = "app:upload", success = Written)]
/// struct Upload {
///     url: String,
/// }
///
/// let logger = MemoryLogger::new();
/// logger.run(|| {
///     Save { path: "a.txt".into() }.start().succeed(Written { bytes: 12 });
///     Upload { url: "s3://b".into() }.run(|upload| upload.add_success(Written { bytes: 7 }));
/// });
/// assert_eq!(logger.messages()[1]["bytes"], 12);
/// assert_eq!(logger.messages()[3]["bytes"], 7);
/// ```
#[proc_macro_derive(Fields, attributes(eliot))]
pub fn fields(input: TokenStream) -> TokenStream {
    declared::derive(declared::Derive::Fields, input.into()).into()
}
