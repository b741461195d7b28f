//! `#[capture_logging]`: a test that gets its own `MemoryLogger`, runs
//! inside it, and has its log validated when it returns.
//!
//! The test's body becomes an inner function taking the logger parameter,
//! so `return`, `?` and type inference behave exactly as the user wrote
//! them, and errors point at the user's code:
//!
//! ```text
//! #[test]
//! fn t() -> R {
//!     fn __eliot_capture_logging_body(logger: MemoryLogger) -> R { BODY }
//!     let __eliot_logger = ::eliot::testing::MemoryLogger::new();
//!     let __eliot_argument: MemoryLogger = __eliot_logger.clone();
//!     let __eliot_result = __eliot_logger.run(|| __eliot_capture_logging_body(__eliot_argument));
//!     // async fn: __eliot_logger.capturing(__eliot_capture_logging_body(..)).await
//!     ...validate, panic with the problems if any...
//!     __eliot_result
//! }
//! ```
//!
//! It stacks with `#[tokio::test]` in either order: above it, the test is
//! still an `async fn` and its future is wrapped; below it, tokio has made
//! the test a function that blocks on the body, which then runs inside the
//! logger on this thread.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Path, Token};

use crate::attr::CaptureLoggingArgs;
use crate::errors::Errors;
use crate::item::non_fn_keyword;

/// Expands `#[capture_logging(args)] item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = CaptureLoggingArgs::parse(args, &mut errors);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.spanned(
                non_fn_keyword(item.clone()),
                "`#[capture_logging]` goes on a test function (with `#[test]` or `#[tokio::test]`)",
            );
            return errors.with_unchanged(item);
        }
    };
    let parameter = check_signature(&function, &mut errors);
    if !errors.is_empty() {
        return errors.with_unchanged(item);
    }
    match crate::krate::library_path("capture_logging", args.krate) {
        Ok(krate) => generate(&krate, &function, parameter),
        Err(error) => {
            errors.push(error);
            errors.with_unchanged(item)
        }
    }
}

/// The test's parameter, `pattern: Type`, if it has one; reports what a
/// test function cannot have.
fn check_signature<'f>(function: &'f ItemFn, errors: &mut Errors) -> Option<&'f syn::PatType> {
    let signature = &function.sig;
    if !signature.generics.params.is_empty() {
        errors.spanned(
            &signature.generics,
            "a `#[capture_logging]` test cannot be generic",
        );
    }
    let mut parameters = signature.inputs.iter();
    let first = match parameters.next() {
        None => None,
        Some(FnArg::Typed(parameter)) => Some(parameter),
        Some(receiver @ FnArg::Receiver(_)) => {
            errors.spanned(
                receiver,
                "a `#[capture_logging]` test is a free function, without `self`",
            );
            None
        }
    };
    let rest: Punctuated<&FnArg, Token![,]> = parameters.collect();
    if !rest.is_empty() {
        errors.spanned(
            rest,
            "a `#[capture_logging]` test takes at most one parameter, the logger: `logger: MemoryLogger`",
        );
    }
    first
}

fn generate(krate: &Path, function: &ItemFn, parameter: Option<&syn::PatType>) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let output = &sig.output;
    let asyncness = &sig.asyncness;
    let body_fn = quote::format_ident!("__eliot_capture_logging_body");
    let logger = quote::format_ident!("__eliot_logger");
    let (inner_parameter, bind_argument, argument) = match parameter {
        Some(parameter) => {
            let ty = &parameter.ty;
            // The user's type annotates the binding, so that a wrong type
            // is reported on it.
            let bind = quote_spanned! {ty.span()=>
                let __eliot_argument: #ty = #krate::testing::MemoryLogger::clone(&#logger);
            };
            (quote!(#parameter), bind, quote!(__eliot_argument))
        }
        None => (quote!(), quote!(), quote!()),
    };
    let run = if asyncness.is_some() {
        quote! {
            #krate::testing::MemoryLogger::capturing(&#logger, #body_fn(#argument)).await
        }
    } else {
        quote! {
            #krate::testing::MemoryLogger::run(&#logger, || #body_fn(#argument))
        }
    };
    let mut outer = sig.clone();
    outer.inputs = Punctuated::new();
    quote! {
        #(#attrs)*
        #vis #outer {
            #[allow(clippy::needless_pass_by_value, clippy::unused_async)]
            #asyncness fn #body_fn(#inner_parameter) #output #block

            let #logger = #krate::testing::MemoryLogger::new();
            #bind_argument
            let __eliot_result = #run;
            if let ::core::result::Result::Err(error) = #krate::testing::MemoryLogger::validate(&#logger) {
                ::core::panic!("#[capture_logging]: {}", error);
            }
            __eliot_result
        }
    }
}
