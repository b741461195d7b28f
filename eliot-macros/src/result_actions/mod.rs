//! `?` and `return Err` fail the actions a function opened: the code
//! `#[inline_actions]` and `#[log_call]` add to a function that returns a
//! `Result`.
//!
//! The body runs as before, in a closure or an `async` block of its own, so
//! that `return` and `?` leave it with the function's value. Before that,
//! a `ReturnScope` is created; after each top-level `let` that binds an
//! action's guard (see [`watched`]), the guard is watched by it. A watched
//! guard dropped where it was bound leaves its action's end to the scope,
//! which ends it once the value is known: failed with the error on `Err`,
//! succeeded on `Ok`. Everything else (guards of inner blocks, guards moved
//! or finished explicitly, panics, cancellation) behaves as without it.
//!
//! ```text
//! let __eliot_scope = ReturnScope::new();
//! let __eliot_result = {
//!     let __eliot_scope = &__eliot_scope;
//!     async move {                      // sync: (move || { .. })()
//!         let action = start_action!(..);
//!         WatchBinding(&action).watch_in(__eliot_scope);
//!         ..
//!     }
//! }.await;
//! match ReturnedResult::as_result(&__eliot_result) {
//!     Ok(_) => __eliot_scope.succeed(),
//!     Err(error) => __eliot_scope.fail_with(|| <error as a Failure>),
//! }
//! __eliot_result
//! ```

mod moves;
mod watched;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Path, Stmt, Type};

/// Whether the function's value ends its actions: its return type is
/// recognised as a `Result` (the last segment of its path is `Result`:
/// `Result`, `io::Result`, `anyhow::Result`), or the user opted in with
/// `result` for a type the macro cannot recognise (an alias).
pub(crate) fn applies(output: Option<&Type>, opted_in: bool) -> bool {
    opted_in || output.is_some_and(is_result)
}

/// A return type whose last path segment is `Result`.
pub(crate) fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        Type::Paren(inner) => is_result(&inner.elem),
        Type::Group(inner) => is_result(&inner.elem),
        _ => false,
    }
}

/// How the body runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    /// In an `async move` block, awaited (the block goes in async code).
    Async,
    /// In a `move` closure, called.
    Sync,
}

/// A block expression that runs `stmts` (preceded by `prelude`, which fixes
/// the block's output type) and evaluates to the function's value, having
/// ended the watched actions with it. `output` is the function's return
/// type, for errors to point at.
pub(crate) fn scoped(
    krate: &Path,
    run: Run,
    prelude: TokenStream,
    mut stmts: Vec<Stmt>,
    output: Option<&Type>,
) -> TokenStream {
    watched::watch_guards(krate, &mut stmts);
    let body = match run {
        Run::Async => quote! {
            async move {
                #prelude
                #(#stmts)*
            }
            .await
        },
        Run::Sync => quote! {
            (move || {
                #prelude
                #(#stmts)*
            })()
        },
    };
    // Spanned at the return type: a type that is not a `Result` is
    // reported there, once.
    let span = output.map_or_else(Span::call_site, Spanned::span);
    let krate = respanned(krate, span);
    let settle = quote_spanned! {span=>
        match #krate::__private::ReturnedResult::as_result(&__eliot_result) {
            ::core::result::Result::Ok(_) => __eliot_scope.succeed(),
            ::core::result::Result::Err(__eliot_error) => __eliot_scope.fail_with(|| {
                #[allow(unused_imports)]
                use #krate::__private::{
                    ScopeViaAsFailure as _, ScopeViaDeref as _, ScopeViaDisplay as _,
                    ScopeViaTypeName as _,
                };
                (&&&&#krate::__private::ScopeError(__eliot_error)).scope_failure()
            }),
        }
    };
    quote! {{
        let __eliot_scope = #krate::__private::ReturnScope::new();
        #[allow(clippy::redundant_closure_call)]
        let __eliot_result = {
            let __eliot_scope = &__eliot_scope;
            #body
        };
        #settle
        __eliot_result
    }}
}

/// `krate` with every token at `span`: a path left at the call site makes
/// the expression that holds it span the whole attribute, and rustc then
/// reports a missing trait there a second time.
fn respanned(krate: &Path, span: Span) -> TokenStream {
    krate
        .to_token_stream()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}
