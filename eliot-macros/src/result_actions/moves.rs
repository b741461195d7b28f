//! Whether a guard's binding may be moved by the statements after it.
//!
//! A moved guard ends where it is moved to (`drop(action)`, a struct, a
//! spawned task), so its action keeps today's behaviour and is not watched.
//! The binding counts as moved when a later statement names it anywhere but
//! as the receiver of a method call (`action.log(..)`), the base of a field
//! access, or behind `&` / `&mut`; and when a `move` closure or `move` async
//! block names it at all. Names inside macro invocations are not seen; the
//! guard's address, checked when it is dropped, catches a move there.

use syn::visit::{self, Visit};
use syn::{Expr, ExprPath, Ident, Stmt};

/// Whether `name` may be moved by `stmts`.
pub(super) fn is_moved(name: &Ident, stmts: &[Stmt]) -> bool {
    let mut finder = MoveFinder { name, moved: false };
    for stmt in stmts {
        finder.visit_stmt(stmt);
    }
    finder.moved
}

struct MoveFinder<'a> {
    name: &'a Ident,
    moved: bool,
}

impl MoveFinder<'_> {
    fn names_it(&self, path: &ExprPath) -> bool {
        path.qself.is_none() && path.path.is_ident(self.name)
    }

    /// Visits `expr`, which is used by reference: naming it there is fine.
    fn visit_borrowed(&mut self, expr: &Expr) {
        match expr {
            Expr::Path(path) if self.names_it(path) => {}
            expr => self.visit_expr(expr),
        }
    }
}

impl Visit<'_> for MoveFinder<'_> {
    fn visit_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Path(path) if self.names_it(path) => self.moved = true,
            Expr::MethodCall(call) => {
                self.visit_borrowed(&call.receiver);
                for argument in &call.args {
                    self.visit_expr(argument);
                }
            }
            Expr::Field(field) => self.visit_borrowed(&field.base),
            Expr::Reference(reference) => self.visit_borrowed(&reference.expr),
            Expr::Closure(closure) if closure.capture.is_some() => {
                self.moved |= mentions(self.name, expr);
            }
            Expr::Async(block) if block.capture.is_some() => {
                self.moved |= mentions(self.name, expr);
            }
            expr => visit::visit_expr(self, expr),
        }
    }
}

/// Whether `expr` names `name` anywhere (outside macro invocations).
fn mentions(name: &Ident, expr: &Expr) -> bool {
    struct Mentions<'a> {
        name: &'a Ident,
        found: bool,
    }
    impl Visit<'_> for Mentions<'_> {
        fn visit_expr_path(&mut self, path: &ExprPath) {
            self.found |= path.path.is_ident(self.name);
        }
    }
    let mut mentions = Mentions { name, found: false };
    mentions.visit_expr(expr);
    mentions.found
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn moved(tokens: proc_macro2::TokenStream) -> bool {
        let block: syn::Block = syn::parse2(quote!({ #tokens })).unwrap();
        is_moved(&syn::parse_quote!(action), &block.stmts)
    }

    #[test]
    fn borrows_are_not_moves() {
        assert!(!moved(quote! {
            action.log("app:x", fields!());
            let level = action.task_level;
            inspect(&action);
            let id = (&mut action).serialize_task_id();
            action.finish();
        }));
    }

    #[test]
    fn passing_storing_or_capturing_it_by_move_is() {
        assert!(moved(quote! { drop(action); }));
        assert!(moved(quote! { let other = action; }));
        assert!(moved(quote! { guards.push(action); }));
        assert!(moved(
            quote! { tokio::spawn(async move { action.log("x", fields!()); }); }
        ));
        assert!(moved(
            quote! { std::thread::spawn(move || action.finish()); }
        ));
        assert!(moved(quote! { Holder { action } }));
    }
}
