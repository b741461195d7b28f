//! `#[inline_actions(debug)]`: a `yielded` message at every `.await` of the
//! function's own body.
//!
//! Python's `inline_callbacks(debug=True)` logs `yielded` each time the
//! generator yields; the Rust counterpart of a yield is an `.await` written
//! in the body. Each `expr.await` becomes
//! `match expr { f => { __private::yielded(); f.await } }`: the message is
//! logged in the function's context once the awaited expression is
//! evaluated, then it is awaited as before.
//!
//! Only the function's own awaits are rewritten. An `.await` inside a nested
//! `async` block or `async` closure belongs to that block's future (its
//! `yielded` would be logged whenever someone else polls it), and one inside
//! a nested item belongs to another function; neither is touched. Macro
//! invocations (`tokio::select!`, `join!`) are opaque token streams and are
//! left alone as well. All of these still run in the function's context:
//! only the extra message is missing.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Item, Path};

/// Rewrites the awaits of `body` (a block or an `async` block's block).
pub(crate) fn log_yields(krate: &Path, body: &mut syn::Block) {
    DebugAwaits { krate }.visit_block_mut(body);
}

struct DebugAwaits<'a> {
    krate: &'a Path,
}

impl VisitMut for DebugAwaits<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Await(awaited) => {
                // Inner awaits first: `a.await.b().await`.
                self.visit_expr_mut(&mut awaited.base);
                let krate = self.krate;
                let attrs = &awaited.attrs;
                let base = &awaited.base;
                let await_token = &awaited.await_token;
                let dot = &awaited.dot_token;
                // `match` keeps the temporaries of `base` alive until the
                // await completes, as `base.await` does.
                let awaited = quote_spanned!(base.span()=> __eliot_awaited);
                let rewritten: TokenStream = quote! {
                    #(#attrs)*
                    match #base {
                        #awaited => {
                            #krate::__private::yielded();
                            #awaited #dot #await_token
                        }
                    }
                };
                *expr = Expr::Verbatim(rewritten);
            }
            // Not the function's own awaits; see the module docs.
            Expr::Async(_) | Expr::Closure(_) => {}
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}
