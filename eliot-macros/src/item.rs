//! The item an attribute is put on: a function, free or associated, with or
//! without a body, and where its asynchronous body is.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Block, Expr, Pat, Signature, Stmt, Token, Type, Visibility, braced};

/// A function item: `fn` at module level, in an `impl` block, or in a trait.
pub(crate) struct FnItem {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) defaultness: Option<Token![default]>,
    pub(crate) sig: Signature,
    /// `None` for a trait method declared without a default body.
    pub(crate) body: Option<Block>,
    pub(crate) semi: Option<Token![;]>,
}

impl Parse for FnItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let defaultness = input.parse()?;
        let sig: Signature = input.parse()?;
        let (body, semi) = if input.peek(Token![;]) {
            (None, Some(input.parse()?))
        } else {
            let content;
            let brace_token = braced!(content in input);
            // Inner attributes (`#![allow(..)]`) apply to the whole function:
            // they are kept as outer ones, since the body is rewritten.
            for mut attr in content.call(Attribute::parse_inner)? {
                attr.style = syn::AttrStyle::Outer;
                attrs.push(attr);
            }
            let stmts = content.call(Block::parse_within)?;
            (Some(Block { brace_token, stmts }), None)
        };
        Ok(FnItem {
            attrs,
            vis,
            defaultness,
            sig,
            body,
            semi,
        })
    }
}

impl ToTokens for FnItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.defaultness.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
        self.semi.to_tokens(tokens);
    }
}

/// The first tokens of an item that is not a function, to point an error at:
/// the item's keyword (`struct`, `impl`, ..) after its attributes and
/// visibility.
pub(crate) fn non_fn_keyword(tokens: TokenStream) -> TokenStream {
    let parsed = |input: ParseStream<'_>| {
        input.call(Attribute::parse_outer)?;
        input.parse::<Visibility>()?;
        let rest: TokenStream = input.parse()?;
        Ok(rest.into_iter().take(2).collect::<TokenStream>())
    };
    syn::parse::Parser::parse2(parsed, tokens.clone()).unwrap_or(tokens)
}

/// Where the code that runs asynchronously is, in a function that is not
/// itself `async fn`: the shapes other macros leave behind.
pub(crate) enum InnerAsync<'a> {
    /// `Box::pin(async move { .. })` as the body's last expression: a
    /// function desugared by `#[async_trait]`, or written that way to recurse.
    BoxPin(&'a mut Expr),
    /// `let body = async { .. };`: what `#[tokio::main]` and `#[tokio::test]`
    /// leave when they ran before this attribute.
    TokioBody(&'a mut Expr),
}

impl InnerAsync<'_> {
    /// The `async` block expression to wrap.
    pub(crate) fn expr(&mut self) -> &mut Expr {
        match self {
            InnerAsync::BoxPin(e) | InnerAsync::TokioBody(e) => e,
        }
    }
}

/// Finds the asynchronous part of a non-async function's body.
pub(crate) fn find_inner_async(body: &mut Block) -> Option<InnerAsync<'_>> {
    if is_box_pin_async(body.stmts.last()) {
        let Some(Stmt::Expr(Expr::Call(call), None)) = body.stmts.last_mut() else {
            return None;
        };
        return call.args.first_mut().map(InnerAsync::BoxPin);
    }
    body.stmts.iter_mut().find_map(|stmt| match stmt {
        Stmt::Local(local) => match (&local.pat, &mut local.init) {
            (Pat::Ident(pat), Some(init))
                if pat.ident == "body" && matches!(*init.expr, Expr::Async(_)) =>
            {
                Some(InnerAsync::TokioBody(&mut init.expr))
            }
            _ => None,
        },
        _ => None,
    })
}

/// `Box::pin(async ..)`, `::std::boxed::Box::pin(async ..)`, ...
fn is_box_pin_async(stmt: Option<&Stmt>) -> bool {
    let Some(Stmt::Expr(Expr::Call(call), None)) = stmt else {
        return false;
    };
    let Expr::Path(func) = &*call.func else {
        return false;
    };
    let segments: Vec<_> = func.path.segments.iter().map(|s| &s.ident).collect();
    segments.len() >= 2
        && segments[segments.len() - 1] == "pin"
        && segments[segments.len() - 2] == "Box"
        && call.args.len() == 1
        && matches!(call.args.first(), Some(Expr::Async(_)))
}

/// The `Output` of the future a function returns as
/// `Pin<Box<dyn Future<Output = T> + ..>>`.
pub(crate) fn boxed_future_output(ty: &Type) -> Option<&Type> {
    fn find(ty: &Type) -> Option<&Type> {
        match ty {
            Type::Path(path) => path.path.segments.iter().find_map(|segment| {
                let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
                    return None;
                };
                args.args.iter().find_map(|arg| match arg {
                    syn::GenericArgument::Type(inner) => find(inner),
                    _ => None,
                })
            }),
            Type::TraitObject(object) => object.bounds.iter().find_map(|bound| {
                let syn::TypeParamBound::Trait(bound) = bound else {
                    return None;
                };
                let last = bound.path.segments.last()?;
                if last.ident != "Future" {
                    return None;
                }
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    return None;
                };
                args.args.iter().find_map(|arg| match arg {
                    syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => {
                        Some(&assoc.ty)
                    }
                    _ => None,
                })
            }),
            Type::Paren(inner) => find(&inner.elem),
            Type::Group(inner) => find(&inner.elem),
            _ => None,
        }
    }
    find(ty)
}

/// An attribute whose last path segment is `name` (`tokio::main`, `main`).
pub(crate) fn attr_named(attr: &Attribute, names: &[&str]) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| names.iter().any(|name| last.ident == name))
}
