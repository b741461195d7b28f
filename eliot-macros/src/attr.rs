//! Parsing the arguments of `#[inline_actions(..)]`, `#[log_call(..)]` and
//! `#[capture_logging(..)]`.
//!
//! The argument list is split at its top-level commas and each argument is
//! parsed on its own, so that one malformed argument is reported without
//! hiding the errors of the others.

use proc_macro2::{TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Path, Token};

use crate::errors::Errors;

/// The arguments of `#[inline_actions]`.
#[derive(Default)]
pub(crate) struct InlineActionsArgs {
    /// `crate = path`: where the `eliot` facade (or `eliot_core`) is.
    pub(crate) krate: Option<Path>,
    /// `debug`: log `yielded` at every `.await` of the body.
    pub(crate) debug: bool,
    /// `result`: the return type is a `Result` the macro cannot recognise
    /// (an alias); `Err` fails the body's top-level actions.
    pub(crate) result: bool,
}

/// How a `#[log_call]` argument is written as a start field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// With `serde::Serialize` (the default).
    Serialize,
    /// `?name`: its `Debug` form, as a string.
    Debug,
    /// `%name`: its `Display` form, as a string.
    Display,
}

/// One entry of `include(..)`.
pub(crate) struct Included {
    pub(crate) name: Ident,
    pub(crate) format: Format,
}

/// The arguments of `#[capture_logging]`.
#[derive(Default)]
pub(crate) struct CaptureLoggingArgs {
    pub(crate) krate: Option<Path>,
}

/// The arguments of `#[log_call]`.
#[derive(Default)]
pub(crate) struct LogCallArgs {
    pub(crate) krate: Option<Path>,
    /// `skip(a, b)`: arguments left out of the start fields.
    pub(crate) skip: Option<(Ident, Vec<Ident>)>,
    /// `include(a, ?b, %c)`: the only arguments logged, and how.
    pub(crate) include: Option<(Ident, Vec<Included>)>,
    /// `skip_result`: no `result` success field.
    pub(crate) skip_result: bool,
    /// `action_type = ".."`: instead of the function's path.
    pub(crate) action_type: Option<LitStr>,
    /// `result`: the return type is a `Result` the macro cannot recognise.
    pub(crate) result: bool,
}

/// Splits `a, b(c, d), e = f` into its top-level arguments.
fn split_arguments(tokens: TokenStream) -> Vec<TokenStream> {
    let mut arguments = Vec::new();
    let mut current = Vec::new();
    for tree in tokens {
        match &tree {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                arguments.push(std::mem::take(&mut current).into_iter().collect());
            }
            _ => current.push(tree),
        }
    }
    if !current.is_empty() {
        arguments.push(current.into_iter().collect());
    }
    arguments
}

/// Parses `crate = path` once its `crate` keyword was seen.
fn parse_crate_path(input: ParseStream<'_>) -> syn::Result<Path> {
    input.parse::<Token![crate]>()?;
    input.parse::<Token![=]>()?;
    input.parse::<Path>().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a path to the eliot crate, e.g. `crate = ::eliot_core`",
        )
    })
}

/// Reports a second occurrence of a flag or list.
fn duplicate(errors: &mut Errors, name: &Ident) {
    errors.spanned(name, format_args!("`{name}` is given twice; give it once"));
}

/// What an argument starts with: `crate`, or its name.
enum Head {
    Crate,
    Name(Ident),
}

fn head(input: ParseStream<'_>) -> syn::Result<Head> {
    if input.peek(Token![crate]) {
        Ok(Head::Crate)
    } else {
        // `fork` so that the argument's own parser sees the name again.
        input.fork().call(Ident::parse_any).map(Head::Name)
    }
}

/// Parses a flag argument: its name alone, nothing after it.
fn parse_flag(input: ParseStream<'_>) -> syn::Result<Ident> {
    let name = input.call(Ident::parse_any)?;
    if input.peek(Token![=]) || input.peek(syn::token::Paren) {
        return Err(input.error(format_args!("`{name}` takes no value; write it alone")));
    }
    ensure_consumed(input)?;
    Ok(name)
}

fn ensure_consumed(input: ParseStream<'_>) -> syn::Result<()> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(input.error("unexpected tokens; separate arguments with commas"))
    }
}

/// Parses every argument: `crate = path` here, the others with `named`.
/// Each argument is parsed on its own and every problem is recorded in
/// `errors`, so one mistake does not hide the next.
fn parse_arguments(
    tokens: TokenStream,
    errors: &mut Errors,
    krate: &mut Option<Path>,
    mut named: impl FnMut(Ident, ParseStream<'_>, &mut Errors) -> syn::Result<()>,
) {
    for argument in split_arguments(tokens) {
        let parsed = (|input: ParseStream<'_>| match head(input)? {
            Head::Crate => {
                let span = input.span();
                let path = parse_crate_path(input)?;
                ensure_consumed(input)?;
                if krate.replace(path).is_some() {
                    errors.at(span, "`crate` is given twice; give it once");
                }
                Ok(())
            }
            Head::Name(name) => named(name, input, errors),
        })
        .parse2(argument);
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
}

/// The error for an argument the macro does not know.
fn unknown(name: &Ident, expected: &str) -> syn::Error {
    syn::Error::new_spanned(name, format_args!("unknown argument `{name}`: {expected}"))
}

impl InlineActionsArgs {
    const EXPECTED: &'static str =
        "`#[inline_actions]` accepts `debug`, `result` and `crate = path`";

    /// Parses the arguments, recording every problem in `errors`.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut args = InlineActionsArgs::default();
        parse_arguments(tokens, errors, &mut args.krate, |name, input, errors| {
            let flag = if name == "debug" {
                &mut args.debug
            } else if name == "result" {
                &mut args.result
            } else {
                return Err(unknown(&name, Self::EXPECTED));
            };
            let name = parse_flag(input)?;
            if std::mem::replace(flag, true) {
                duplicate(errors, &name);
            }
            Ok(())
        });
        args
    }
}

impl CaptureLoggingArgs {
    const EXPECTED: &'static str = "`#[capture_logging]` accepts only `crate = path` (where the eliot \
                                    crate is, e.g. `crate = ::eliot_core`)";

    /// Parses the arguments, recording every problem in `errors`.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut args = CaptureLoggingArgs::default();
        parse_arguments(tokens, errors, &mut args.krate, |name, _, _| {
            Err(unknown(&name, Self::EXPECTED))
        });
        args
    }
}

impl LogCallArgs {
    const EXPECTED: &'static str = "`#[log_call]` accepts `skip(arg, ..)`, `include(arg, ?arg, %arg, ..)`, `skip_result`, `result`, `action_type = \"..\"` and `crate = path`";

    /// Parses the arguments, recording every problem in `errors`.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut args = LogCallArgs::default();
        parse_arguments(tokens, errors, &mut args.krate, |name, input, errors| {
            if name == "skip_result" || name == "result" {
                let flag = if name == "result" {
                    &mut args.result
                } else {
                    &mut args.skip_result
                };
                let name = parse_flag(input)?;
                if std::mem::replace(flag, true) {
                    duplicate(errors, &name);
                }
            } else if name == "skip" {
                let (name, list) = parse_list(input, Ident::parse_any)?;
                if args.skip.is_some() {
                    duplicate(errors, &name);
                } else {
                    args.skip = Some((name, list));
                }
            } else if name == "include" {
                let (name, list) = parse_list(input, parse_included)?;
                if args.include.is_some() {
                    duplicate(errors, &name);
                } else {
                    args.include = Some((name, list));
                }
            } else if name == "action_type" {
                let name = input.call(Ident::parse_any)?;
                input.parse::<Token![=]>()?;
                let value: LitStr = input.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a string literal, e.g. `action_type = \"app:frob\"`",
                    )
                })?;
                ensure_consumed(input)?;
                if args.action_type.replace(value).is_some() {
                    duplicate(errors, &name);
                }
            } else {
                return Err(unknown(&name, Self::EXPECTED));
            }
            Ok(())
        });
        args
    }
}

/// Parses `name(item, item, ..)`.
fn parse_list<T>(
    input: ParseStream<'_>,
    item: fn(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<(Ident, Vec<T>)> {
    let name = input.call(Ident::parse_any)?;
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &name,
            format_args!("`{name}` takes a list of argument names: `{name}(a, b)`"),
        ));
    }
    let content;
    syn::parenthesized!(content in input);
    let items = content.parse_terminated(item, Token![,])?;
    ensure_consumed(input)?;
    Ok((name, items.into_iter().collect()))
}

/// Parses `name`, `?name` or `%name`.
fn parse_included(input: ParseStream<'_>) -> syn::Result<Included> {
    let format = if input.parse::<Option<Token![?]>>()?.is_some() {
        Format::Debug
    } else if input.parse::<Option<Token![%]>>()?.is_some() {
        Format::Display
    } else {
        Format::Serialize
    };
    let name = input.call(Ident::parse_any)?;
    Ok(Included { name, format })
}
