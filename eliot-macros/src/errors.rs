//! Errors collected across parsing and validation, reported together.
//!
//! A macro that stops at its first error makes the user fix one mistake per
//! compile. Like serde_derive's `Ctxt`, every stage pushes what it finds
//! here, and the entry point reports all of them at once, next to the
//! user's item emitted unchanged.

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Spanned errors found so far.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error pointing at `tokens`.
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error at `span`.
    pub(crate) fn at(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an error produced elsewhere (a syn parse error).
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per error.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }

    /// The user's item as it was, with the errors: one mistake is reported
    /// once, without a cascade of errors about an item that went missing.
    pub(crate) fn with_unchanged(&self, item: TokenStream) -> TokenStream {
        let errors = self.to_compile_errors();
        quote::quote!(#item #errors)
    }
}
