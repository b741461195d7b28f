//! Which actions end with the function's value: those whose guard is bound
//! by a `let` at the top level of the body,
//!
//! - to a plain name (`let action = ..`, `let mut action: ActionGuard = ..`),
//! - from a call that starts an action: the macros `start_action!` and
//!   `start_task!`, or the functions `start_action`, `start_task`,
//!   `continue_task` and `continue_task_with` (by the last segment of
//!   their path), or a `.start()` method call (a declared action type's,
//!   `Query { .. }.start()`), possibly followed by `?`, `.unwrap()` or
//!   `.expect(..)`,
//! - and never moved afterwards (see [`super::moves`]).
//!
//! A watch statement is inserted after each such `let`. It watches the
//! binding only if it is an `ActionGuard` or a declared action's guard (a
//! `start_action` of another library, or any other `start()`, is left
//! alone), by method resolution on its type.

use syn::{Expr, Ident, Pat, Path, Stmt};

use super::moves;

/// The calls that start an action and return its guard.
const STARTERS: &[&str] = &[
    "start_action",
    "start_task",
    "continue_task",
    "continue_task_with",
];

/// Inserts a watch statement after each qualifying `let` of `stmts`.
pub(super) fn watch_guards(krate: &Path, stmts: &mut Vec<Stmt>) {
    let mut index = 0;
    while index < stmts.len() {
        if let Some(name) = guard_binding(&stmts[index])
            && !moves::is_moved(&name, &stmts[index + 1..])
        {
            let watch: Stmt = syn::parse_quote! {
                {
                    #[allow(unused_imports)]
                    use #krate::__private::NotAGuard as _;
                    #krate::__private::WatchBinding(&#name).watch_in(__eliot_scope);
                }
            };
            stmts.insert(index + 1, watch);
            index += 1;
        }
        index += 1;
    }
}

/// The name a statement binds an action's guard to, if it is a qualifying
/// `let`.
fn guard_binding(stmt: &Stmt) -> Option<Ident> {
    let Stmt::Local(local) = stmt else {
        return None;
    };
    let init = local.init.as_ref()?;
    if init.diverge.is_some() || !starts_an_action(&init.expr) {
        return None;
    }
    let pat = match &local.pat {
        Pat::Type(typed) => &*typed.pat,
        pat => pat,
    };
    match pat {
        Pat::Ident(binding) if binding.by_ref.is_none() && binding.subpat.is_none() => {
            Some(binding.ident.clone())
        }
        _ => None,
    }
}

fn starts_an_action(expr: &Expr) -> bool {
    match expr {
        Expr::Macro(call) => is_starter(&call.mac.path),
        Expr::Call(call) => matches!(&*call.func, Expr::Path(path) if is_starter(&path.path)),
        Expr::Try(tried) => starts_an_action(&tried.expr),
        Expr::Paren(inner) => starts_an_action(&inner.expr),
        Expr::MethodCall(call) if call.method == "unwrap" || call.method == "expect" => {
            starts_an_action(&call.receiver)
        }
        Expr::MethodCall(call) => call.method == "start" && call.args.is_empty(),
        _ => false,
    }
}

fn is_starter(path: &Path) -> bool {
    path.segments
        .last()
        .is_some_and(|segment| STARTERS.iter().any(|name| segment.ident == name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    /// The names the inserted watch statements watch.
    fn watched_names(stmts: Vec<Stmt>) -> Vec<String> {
        let mut stmts = stmts;
        let krate: Path = syn::parse_quote!(::eliot);
        watch_guards(&krate, &mut stmts);
        stmts
            .iter()
            .filter_map(|stmt| {
                let tokens: TokenStream = quote!(#stmt);
                let text = tokens.to_string();
                let (_, rest) = text.split_once("WatchBinding (& ")?;
                Some(rest.split([' ', ')']).next()?.to_owned())
            })
            .collect()
    }

    fn body(tokens: TokenStream) -> Vec<Stmt> {
        syn::parse2::<syn::Block>(quote!({ #tokens }))
            .unwrap()
            .stmts
    }

    #[test]
    fn top_level_lets_of_action_starters_are_watched() {
        let stmts = body(quote! {
            let a = start_action!("app:a");
            let mut b: ActionGuard = eliot::start_task("app:b", &[]);
            let c = continue_task(id)?;
            let d = eliot::continue_task_with(id, route).unwrap();
            let e = (start_action!("app:e"));
            let f = Query { sql }.start();
            b.log("app:b:note", fields!());
            Ok(())
        });
        assert_eq!(watched_names(stmts), ["a", "b", "c", "d", "e", "f"]);
    }

    #[test]
    fn other_lets_patterns_and_inner_blocks_are_not() {
        let stmts = body(quote! {
            let _ = start_action!("app:dropped_at_once");
            let (x, y) = (start_action!("app:x"), 1);
            let z = make_guard();
            let Some(w) = start_action!("app:w") else { return Ok(()) };
            {
                let inner = start_action!("app:inner");
            }
            Ok(())
        });
        assert!(watched_names(stmts).is_empty());
    }

    #[test]
    fn moved_guards_are_not_watched() {
        let stmts = body(quote! {
            let kept = start_action!("app:kept");
            let dropped = start_action!("app:dropped");
            drop(dropped);
            kept.log("app:note", fields!());
            Ok(())
        });
        assert_eq!(watched_names(stmts), ["kept"]);
    }
}
