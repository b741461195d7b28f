//! Stacking with `#[tracing::instrument]`, in either order.
//!
//! Attribute macros expand from the top down, each seeing the item the one
//! above it left. `#[tracing::instrument]` on an `async fn` instruments the
//! body's future with its span: written above ours, it runs first, and we
//! wrap what it made, so the span lives as long as the body and encloses
//! every action of it. Written below ours, it would see the plain `fn`
//! returning a future that we make of an `async fn`, and instrument only the
//! call that creates the future: the span (and its action) would close
//! before the body ran.
//!
//! So when an `instrument` attribute sits below ours, we expand to nothing
//! but the item itself with our attribute moved just below that one: both
//! orders then expand the same way. The moved attribute names our macro by
//! a path that resolves in the user's crate: through the `eliot` facade as
//! the crate names it in its `Cargo.toml`, else through `eliot-macros`.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Attribute;
use syn::parse::{ParseStream, Parser};

use crate::errors::Errors;
use crate::item::attr_named;

/// The names `instrument` attributes go by: `#[tracing::instrument]`,
/// `#[instrument]` once imported.
const INSTRUMENT: &[&str] = &["instrument"];

/// When an `instrument` attribute sits below ours on `item`: the item with
/// `#[<path>::<macro_name>(<args>)]` moved just below the last such
/// attribute, or a compile error saying which order to write when no path
/// to our macro resolves in the user's crate. `None` otherwise: expand as
/// usual.
pub(crate) fn below_instrument(
    macro_name: &str,
    args: &TokenStream,
    item: &TokenStream,
) -> Option<TokenStream> {
    move_below_instrument(macro_name, args, item, macro_path)
}

/// [`below_instrument`], with the path to our macro found by `path_to`.
fn move_below_instrument(
    macro_name: &str,
    args: &TokenStream,
    item: &TokenStream,
    path_to: impl FnOnce(&str) -> Option<TokenStream>,
) -> Option<TokenStream> {
    let split = |input: ParseStream<'_>| {
        let attrs = input.call(Attribute::parse_outer)?;
        let rest: TokenStream = input.parse()?;
        Ok((attrs, rest))
    };
    let (mut attrs, rest) = split.parse2(item.clone()).ok()?;
    let position = attrs
        .iter()
        .rposition(|attr| attr_named(attr, INSTRUMENT))?;
    let Some(path) = path_to(macro_name) else {
        let mut errors = Errors::default();
        errors.spanned(
            &attrs[position],
            format_args!(
                "`#[{macro_name}]` must go below `#[tracing::instrument]`, so that the span \
                 encloses the whole body: write `#[tracing::instrument]` first, then \
                 `#[{macro_name}]`"
            ),
        );
        return Some(errors.with_unchanged(item.clone()));
    };
    let moved: Attribute = syn::parse_quote!(#[#path(#args)]);
    attrs.insert(position + 1, moved);
    Some(quote! { #(#attrs)* #rest })
}

/// A path to the attribute macro `macro_name` that resolves in the crate
/// being compiled, from its `Cargo.toml`.
fn macro_path(macro_name: &str) -> Option<TokenStream> {
    let name = format_ident!("{macro_name}");
    let through = |package: &str| match crate_name(package).ok()? {
        // The facade's own tests and examples name it by its name.
        FoundCrate::Itself => Some(format_ident!("{}", package.replace('-', "_"))),
        FoundCrate::Name(renamed) => Some(format_ident!("{renamed}")),
    };
    let krate = through("eliot").or_else(|| through("eliot-macros"))?;
    Some(quote!(::#krate::#name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eliot_path(name: &str) -> Option<TokenStream> {
        let name = format_ident!("{name}");
        Some(quote!(::eliot::#name))
    }

    fn moved(item: TokenStream, path_to: fn(&str) -> Option<TokenStream>) -> Option<String> {
        move_below_instrument("inline_actions", &quote!(debug), &item, path_to)
            .map(|tokens| tokens.to_string())
    }

    #[test]
    fn our_attribute_moves_just_below_the_last_instrument_attribute() {
        let item = quote! {
            #[doc = "docs"]
            #[tracing::instrument(skip(x))]
            #[allow(unused)]
            async fn f(x: u32) {}
        };
        let expected = quote! {
            #[doc = "docs"]
            #[tracing::instrument(skip(x))]
            #[::eliot::inline_actions(debug)]
            #[allow(unused)]
            async fn f(x: u32) {}
        };
        assert_eq!(moved(item, eliot_path), Some(expected.to_string()));
    }

    #[test]
    fn without_an_instrument_attribute_below_nothing_moves() {
        let item = quote! { #[allow(unused)] async fn f() {} };
        assert_eq!(moved(item, eliot_path), None);
    }

    #[test]
    fn without_a_path_to_our_macro_the_error_names_the_order_to_write() {
        let item = quote! { #[instrument] async fn f() {} };
        let output = moved(item, |_| None).expect("an error");
        assert!(output.contains("compile_error"), "{output}");
        assert!(
            output.contains("write `#[tracing::instrument]` first, then `#[inline_actions]`"),
            "{output}"
        );
        assert!(output.contains("async fn f"), "the item is kept: {output}");
    }
}
