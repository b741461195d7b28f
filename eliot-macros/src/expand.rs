//! Generating the code of both attributes.
//!
//! Everything generated names the library through the crate path
//! (`::eliot` unless `crate = ..` says otherwise) and then only its hidden
//! `__private` module; generated locals are prefixed `__eliot_`, so that they
//! can never shadow or be shadowed by the user's names.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, Expr, FnArg, Pat, Path, ReturnType, Signature, Stmt, Type};

use crate::attr::{Format, InlineActionsArgs};
use crate::awaits;
use crate::item::{FnItem, InnerAsync, boxed_future_output, find_inner_async};
use crate::result_actions::{self, Run};
use crate::validate::{Kind, LogCallPlan, ResultPlan};

/// `#[inline_actions]` on a checked item.
pub(crate) fn inline_actions(
    args: &InlineActionsArgs,
    krate: &Path,
    mut item: FnItem,
    kind: Kind,
) -> TokenStream {
    let body = item.body.as_mut().expect("validated: the item has a body");
    match kind {
        Kind::AsyncFn | Kind::EntryPoint => {
            if args.debug {
                awaits::log_yields(krate, body);
            }
            let output = match &item.sig.output {
                ReturnType::Type(_, ty) => Some((**ty).clone()),
                ReturnType::Default => None,
            };
            let scoped = result_actions::applies(output.as_ref(), args.result);
            rewrite_async_fn(krate, &mut item, kind, TokenStream::new(), |body| {
                let AsyncBody {
                    rebinds,
                    fake_return,
                    stmts,
                } = body;
                if scoped {
                    let body = result_actions::scoped(
                        krate,
                        Run::Async,
                        fake_return,
                        stmts,
                        output.as_ref(),
                    );
                    return quote! {
                        async move {
                            #(#rebinds)*
                            #body
                        }
                    };
                }
                quote! {
                    async move {
                        #fake_return
                        #(#rebinds)*
                        #(#stmts)*
                    }
                }
            });
        }
        Kind::InnerAsync => {
            let mut inner = find_inner_async(body).expect("validated: the body has an async block");
            // The future's output: `Pin<Box<dyn Future<Output = T>>>`'s `T`
            // under `#[async_trait]`, the function's own return type under
            // `#[tokio::main]` / `#[tokio::test]`.
            let output = match (&inner, &item.sig.output) {
                (_, ReturnType::Default) => None,
                (InnerAsync::BoxPin(_), ReturnType::Type(_, ty)) => {
                    boxed_future_output(ty).cloned()
                }
                (InnerAsync::TokioBody(_), ReturnType::Type(_, ty)) => Some((**ty).clone()),
            };
            let expr = inner.expr();
            if args.debug
                && let Expr::Async(async_block) = expr
            {
                awaits::log_yields(krate, &mut async_block.block);
            }
            if result_actions::applies(output.as_ref(), args.result)
                && let Expr::Async(async_block) = expr
            {
                let block = &mut async_block.block;
                let user_block = match async_trait_ret(block) {
                    Some(index) => async_trait_user_block(&mut block.stmts[index])
                        .expect("async_trait_ret found it"),
                    None => block,
                };
                let stmts = std::mem::take(&mut user_block.stmts);
                let prelude = output.as_ref().map(fake_return).unwrap_or_default();
                let scoped =
                    result_actions::scoped(krate, Run::Async, prelude, stmts, output.as_ref());
                user_block.stmts = vec![Stmt::Expr(Expr::Verbatim(scoped), None)];
            }
            let in_context = with_context(krate, expr.to_token_stream());
            *expr = Expr::Verbatim(in_context);
        }
        Kind::Sync => unreachable!("validated: #[inline_actions] never sees a sync fn"),
    }
    allow_lints(&mut item, quote!(clippy::await_holding_invalid_type));
    item.into_token_stream()
}

/// `#[log_call]` on a checked item.
pub(crate) fn log_call(
    krate: &Path,
    action_type: Option<&syn::LitStr>,
    mut item: FnItem,
    plan: LogCallPlan,
) -> TokenStream {
    let action_type = match action_type {
        Some(literal) => literal.to_token_stream(),
        None => quote! {{
            fn __eliot_fn() {}
            #krate::__private::function_path(::core::any::type_name_of_val(&__eliot_fn))
        }},
    };
    let fields = plan.fields.iter().map(|(name, format)| {
        let key = name.to_string();
        let key = key.strip_prefix("r#").unwrap_or(&key);
        match format {
            Format::Serialize => quote_spanned! {name.span()=>
                #krate::__private::Field::new(#key, #krate::__private::argument(&#name))
            },
            Format::Debug => quote_spanned! {name.span()=>
                #krate::__private::Field::new(#key, &#krate::__private::DebugValue(&#name))
            },
            Format::Display => quote_spanned! {name.span()=>
                #krate::__private::Field::new(#key, &#krate::__private::DisplayValue(&#name))
            },
        }
    });
    let start = quote! {
        let __eliot_action = #krate::__private::start_action(
            __eliot_action_type,
            &[#(#fields),*],
        );
    };
    let finish = finish(krate, &plan.result, plan.output.as_ref());
    let scoped = matches!(plan.result, ResultPlan::Result { .. });
    let output = plan.output;
    let declare_action_type = quote! {
        let __eliot_action_type: &'static str = #action_type;
    };
    match plan.kind {
        Kind::Sync => {
            let body = take_body(&mut item);
            let fake_return = fake_return(&return_type(&item.sig.output));
            let run = if scoped {
                result_actions::scoped(krate, Run::Sync, fake_return, body, output.as_ref())
            } else {
                quote! {
                    (move || {
                        #fake_return
                        #(#body)*
                    })()
                }
            };
            item.body = Some(block(quote! {{
                #declare_action_type
                #start
                #[allow(clippy::redundant_closure_call)]
                let __eliot_result = #run;
                #finish
                __eliot_result
            }}));
        }
        Kind::AsyncFn | Kind::EntryPoint => {
            rewrite_async_fn(krate, &mut item, plan.kind, declare_action_type, |body| {
                let AsyncBody {
                    rebinds,
                    fake_return,
                    stmts,
                } = body;
                let run = if scoped {
                    result_actions::scoped(krate, Run::Async, fake_return, stmts, output.as_ref())
                } else {
                    quote! {
                        async move {
                            #fake_return
                            #(#stmts)*
                        }
                        .await
                    }
                };
                quote! {
                    async move {
                        #(#rebinds)*
                        #start
                        let __eliot_result = #run;
                        #finish
                        __eliot_result
                    }
                }
            });
        }
        Kind::InnerAsync => {
            let body = item.body.as_mut().expect("validated: the item has a body");
            let mut inner = find_inner_async(body).expect("validated: the body has an async block");
            let expr = inner.expr();
            let in_context = with_context(
                krate,
                quote! {
                    async move {
                        #start
                        let __eliot_result = #expr.await;
                        #finish
                        __eliot_result
                    }
                },
            );
            *expr = Expr::Verbatim(in_context);
            body.stmts
                .insert(0, syn::parse_quote!(#declare_action_type));
        }
    }
    allow_lints(&mut item, quote!(clippy::await_holding_invalid_type));
    item.into_token_stream()
}

/// Ends the `#[log_call]` action from `__eliot_result`.
fn finish(krate: &Path, result: &ResultPlan, output: Option<&Type>) -> TokenStream {
    match result {
        ResultPlan::Nothing => quote! {
            #krate::__private::finish(__eliot_action);
        },
        ResultPlan::Value(ty) => quote_spanned! {ty.span()=>
            #krate::__private::finish_with_result(__eliot_action, &__eliot_result);
        },
        ResultPlan::Result { ok, err } => {
            let on_ok = match ok {
                Some(ty) => quote_spanned! {ty.span()=>
                    #krate::__private::finish_with_result(__eliot_action, __eliot_value)
                },
                None => quote! { #krate::__private::finish(__eliot_action) },
            };
            let error_span = err.as_ref().map_or_else(Span::call_site, Spanned::span);
            let failure = quote_spanned! {error_span=>
                (&&&#krate::__private::ErrorRef(__eliot_error)).eliot_failure()
            };
            let value = if ok.is_some() {
                quote!(__eliot_value)
            } else {
                quote!(_)
            };
            // Spanned as the return scope's check is (result_actions), so
            // that a type that is not a `Result` is reported once.
            let span = output.map_or_else(Span::call_site, Spanned::span);
            quote_spanned! {span=>
                match #krate::__private::ReturnedResult::as_result(&__eliot_result) {
                    ::core::result::Result::Ok(#value) => #on_ok,
                    ::core::result::Result::Err(__eliot_error) => {
                        #[allow(unused_imports)]
                        use #krate::__private::{ViaAsFailure as _, ViaDeref as _};
                        #krate::__private::finish_with_failure(__eliot_action, #failure)
                    }
                }
            }
        }
    }
}

/// `WithContext::current(future)`: the future runs in the context that is
/// current where this expression is evaluated.
fn with_context(krate: &Path, future: TokenStream) -> TokenStream {
    quote! {
        #krate::__private::WithContext::current(#future)
    }
}

/// The pieces of an `async fn`'s body, to go in an `async move` block.
struct AsyncBody {
    /// `let x = x;` for every argument of a desugared `async fn`, so that
    /// each moves into the future as with `async fn`; none for an entry
    /// point, which stays `async fn`.
    rebinds: Vec<TokenStream>,
    /// Fixes the block's output type to the function's; see [`fake_return`].
    fake_return: TokenStream,
    /// The user's statements.
    stmts: Vec<Stmt>,
}

fn take_body(item: &mut FnItem) -> Vec<Stmt> {
    item.body
        .take()
        .expect("validated: the item has a body")
        .stmts
}

/// Rewrites an `async fn` (`Kind::AsyncFn` or `Kind::EntryPoint`) whose new
/// body is `prelude` then the `async move` block that `make` builds from the
/// old body, run in a `WithContext` that captures the context current when
/// the function is called:
///
/// - an `async fn` becomes `fn .. -> impl Future` returning that future, so
///   that the caller's context is captured at the call;
/// - an entry point (`#[tokio::main]` or `#[tokio::test]` below) stays
///   `async fn` and awaits it.
fn rewrite_async_fn(
    krate: &Path,
    item: &mut FnItem,
    kind: Kind,
    prelude: TokenStream,
    make: impl FnOnce(AsyncBody) -> TokenStream,
) {
    let stmts = take_body(item);
    let entry_point = kind == Kind::EntryPoint;
    let (rebinds, output) = if entry_point {
        (Vec::new(), return_type(&item.sig.output))
    } else {
        desugar_signature(&mut item.sig)
    };
    let future = with_context(
        krate,
        make(AsyncBody {
            rebinds,
            fake_return: fake_return(&output),
            stmts,
        }),
    );
    let await_it = entry_point.then(|| quote!(.await));
    item.body = Some(block(quote!({ #prelude #future #await_it })));
    if !entry_point {
        allow_lints(item, quote!(clippy::manual_async_fn));
    }
}

fn block(tokens: TokenStream) -> Block {
    syn::parse2(tokens).expect("generated blocks parse")
}

fn allow_lints(item: &mut FnItem, lints: TokenStream) {
    item.attrs.push(syn::parse_quote!(#[allow(#lints)]));
}

fn return_type(output: &ReturnType) -> Type {
    match output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => (**ty).clone(),
    }
}

/// Turns `async fn f(args) -> T` into `fn f(args) -> impl Future<Output = T>`.
///
/// Returns `T` and the statements that move every argument into the
/// `async move` block, as an `async fn` does: `let x = x;` for a plain name
/// (its `mut` moves inside), `let <pattern> = __eliot_argN;` for a pattern,
/// so that an argument the body never mentions still lives (and is dropped)
/// with the future, not when the function returns.
///
/// The returned future captures every lifetime and type parameter in scope
/// (the edition 2024 rule for `impl Trait` in return position), as the
/// future of an `async fn` does, and it is `Send` exactly when the body's
/// future is: auto traits leak through `impl Trait`.
fn desugar_signature(sig: &mut Signature) -> (Vec<TokenStream>, Type) {
    let output = return_type(&sig.output);
    sig.asyncness = None;
    // Spanned at the call site, which has this crate's edition: the
    // edition-2024 capture rule then applies whatever the user's edition is.
    sig.output = syn::parse2(quote! {
        -> impl ::core::future::Future<Output = #output>
    })
    .expect("generated return types parse");
    let mut rebinds = Vec::new();
    for (index, input) in sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(receiver) => {
                let self_token = &receiver.self_token;
                rebinds.push(quote! { let _ = &#self_token; });
            }
            FnArg::Typed(arg) => match &mut *arg.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    let mutability = pat.mutability.take();
                    let ident = &pat.ident;
                    rebinds.push(quote! {
                        #[allow(clippy::redundant_locals)]
                        let #mutability #ident = #ident;
                    });
                }
                pat => {
                    let name = format_ident!("__eliot_arg{}", index);
                    let pattern = std::mem::replace(pat, syn::parse_quote!(#name));
                    rebinds.push(quote! {
                        let #name = #name;
                        let #pattern = #name;
                    });
                }
            },
        }
    }
    (rebinds, output)
}

/// `if let Some(r) = None::<T> { return r; }` at the top of an `async`
/// block or closure fixes its output type to the function's, so that `?`
/// and `return` inside it infer as in the function, and a mismatched tail
/// is reported on the user's expression. Left out when `T` cannot be
/// written in an expression (`impl Trait`) or is `!`.
/// Where the user's own block is inside an `#[async_trait]` body, which
/// that macro writes as `let __ret: T = { .. };` in its `async move` block:
/// the statements whose top-level actions a `Result` ends.
fn async_trait_ret(block: &mut Block) -> Option<usize> {
    block
        .stmts
        .iter_mut()
        .position(|stmt| async_trait_user_block(stmt).is_some())
}

/// The block of `let __ret: T = { .. };`.
fn async_trait_user_block(stmt: &mut Stmt) -> Option<&mut Block> {
    let Stmt::Local(local) = stmt else {
        return None;
    };
    let named_ret = match &local.pat {
        Pat::Type(typed) => matches!(&*typed.pat, Pat::Ident(ident) if ident.ident == "__ret"),
        Pat::Ident(ident) => ident.ident == "__ret",
        _ => false,
    };
    match (named_ret, local.init.as_mut()) {
        (true, Some(init)) => match &mut *init.expr {
            Expr::Block(user) => Some(&mut user.block),
            _ => None,
        },
        _ => None,
    }
}

fn fake_return(output: &Type) -> TokenStream {
    if matches!(output, Type::Never(_)) || contains_impl_trait(output) {
        return TokenStream::new();
    }
    quote! {
        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
        if let ::core::option::Option::Some(__eliot_return) =
            ::core::option::Option::None::<#output>
        {
            return __eliot_return;
        }
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}
