//! Checking an item and its arguments before anything is generated, and
//! deciding what to generate. Every problem is recorded with the span of the
//! offending tokens and a sentence that says what to do.

use syn::{FnArg, Ident, Pat, ReturnType, Type};

use crate::attr::{Format, LogCallArgs};
use crate::errors::Errors;
use crate::item::{FnItem, InnerAsync, attr_named, boxed_future_output, find_inner_async};

/// Where the function's asynchronous code is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An `async fn`: rewritten into a plain `fn` returning `impl Future`,
    /// so that the caller's context is captured when it is called.
    AsyncFn,
    /// An `async fn` that another attribute below ours turns into an entry
    /// point (`#[tokio::main]`, `#[tokio::test]`): it stays `async fn`, and
    /// its body runs in a context captured at its first poll (it has no
    /// caller whose context could differ).
    EntryPoint,
    /// A plain `fn` whose body ends in `Box::pin(async move { .. })` (as
    /// `#[async_trait]` writes), or holds tokio's `let body = async { .. };`.
    InnerAsync,
    /// A plain, synchronous `fn` (`#[log_call]` only).
    Sync,
}

/// Attributes below ours that need the function to stay `async fn`.
const ENTRY_POINT_ATTRIBUTES: &[&str] = &["main", "test"];

fn async_kind(item: &FnItem) -> Kind {
    if item
        .attrs
        .iter()
        .any(|attr| attr_named(attr, ENTRY_POINT_ATTRIBUTES))
    {
        Kind::EntryPoint
    } else {
        Kind::AsyncFn
    }
}

/// The checks both attributes make: not together with the other one, not
/// on a `const fn` (`const_error` says why), and with a body. `None` when
/// the item cannot be expanded.
fn check_fn(item: &FnItem, macro_name: &str, const_error: &str, errors: &mut Errors) -> Option<()> {
    let other = if macro_name == "log_call" {
        "inline_actions"
    } else {
        "log_call"
    };
    for attr in item.attrs.iter().filter(|a| attr_named(a, &[other])) {
        errors.spanned(
            attr,
            "`#[log_call]` on an `async fn` already keeps the function's context as \
             `#[inline_actions]` does; remove `#[inline_actions]`",
        );
    }
    if let Some(constness) = &item.sig.constness {
        errors.spanned(constness, const_error);
        return None;
    }
    if item.body.is_none() {
        errors.spanned(
            item.semi,
            format_args!(
                "`#[{macro_name}]` needs the function's body; put it on the implementations of \
                 this method, or give the method a default body"
            ),
        );
        return None;
    }
    Some(())
}

/// Checks an item for `#[inline_actions]`.
pub(crate) fn inline_actions(item: &mut FnItem, errors: &mut Errors) -> Option<Kind> {
    check_fn(
        item,
        "inline_actions",
        "`#[inline_actions]` goes on an `async fn`, and a `const fn` cannot be async; \
         remove `const` and add `async`",
        errors,
    )?;
    let body = item.body.as_mut()?;
    if item.sig.asyncness.is_some() {
        return Some(async_kind(item));
    }
    if find_inner_async(body).is_some() {
        return Some(Kind::InnerAsync);
    }
    errors.spanned(
        item.sig.fn_token,
        "`#[inline_actions]` goes on an `async fn` (or on a function whose body ends in \
         `Box::pin(async move { .. })`, as `#[async_trait]` writes it); make the function \
         `async`, or remove the attribute",
    );
    None
}

/// What `#[log_call]` records about the function's return value.
pub(crate) enum ResultPlan {
    /// Nothing: the function returns `()`, or `skip_result` was given.
    Nothing,
    /// The value, as the `result` success field.
    Value(Box<Type>),
    /// A `Result`: `Ok` logged as `result` (unless `()` or skipped), `Err`
    /// finishes the action as failed. `err` is the error type when written,
    /// for errors to point at.
    Result {
        ok: Option<Box<Type>>,
        err: Option<Box<Type>>,
    },
}

/// A checked `#[log_call]`.
pub(crate) struct LogCallPlan {
    pub(crate) kind: Kind,
    /// The start fields: argument bindings and how each is written.
    pub(crate) fields: Vec<(Ident, Format)>,
    pub(crate) result: ResultPlan,
    /// The function's value, for errors about it to point at.
    pub(crate) output: Option<Type>,
}

/// Checks an item for `#[log_call]`.
pub(crate) fn log_call(
    item: &mut FnItem,
    args: &LogCallArgs,
    errors: &mut Errors,
) -> Option<LogCallPlan> {
    let fields = fields(item, args, errors);
    check_fn(
        item,
        "log_call",
        "`#[log_call]` cannot go on a `const fn`: logging cannot happen at compile time; \
         remove `const`",
        errors,
    )?;
    let body = item.body.as_mut()?;
    let inner = find_inner_async(body).map(|inner| matches!(inner, InnerAsync::BoxPin(_)));
    let (kind, output) = if item.sig.asyncness.is_some() {
        (async_kind(item), return_type(&item.sig.output))
    } else if inner == Some(false) {
        // `#[tokio::main]` or `#[tokio::test]` above ran first: the action
        // wraps the `async` body (whose output is the function's), not the
        // runtime that blocks on it.
        (Kind::InnerAsync, return_type(&item.sig.output))
    } else if inner == Some(true) {
        let output = match &item.sig.output {
            ReturnType::Type(_, ty) => boxed_future_output(ty),
            ReturnType::Default => None,
        };
        let Some(output) = output else {
            errors.spanned(
                &item.sig.output,
                "`#[log_call]` cannot find the `Output` of the future this function returns; \
                 write the return type as `Pin<Box<dyn Future<Output = T> + ..>>`",
            );
            return None;
        };
        (Kind::InnerAsync, Some(output.clone()))
    } else {
        (Kind::Sync, return_type(&item.sig.output))
    };
    let result = result_plan(output.clone(), args.skip_result, args.result);
    Some(LogCallPlan {
        kind,
        fields: fields?,
        result,
        output,
    })
}

fn return_type(output: &ReturnType) -> Option<Type> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    }
}

fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(inner) => is_unit(&inner.elem),
        Type::Group(inner) => is_unit(&inner.elem),
        _ => false,
    }
}

/// A `Result` is recognised by the last segment of its path (`Result`,
/// `io::Result`, `anyhow::Result`), the only thing a macro can see.
///
/// With `result` (`opted_in`), any return type is treated as a `Result`
/// (an alias is one the macro cannot see); one that is not fails to
/// compile with `ReturnedResult`'s message.
fn result_plan(output: Option<Type>, skip_result: bool, opted_in: bool) -> ResultPlan {
    if opted_in
        && !output
            .as_ref()
            .is_some_and(crate::result_actions::is_result)
    {
        return ResultPlan::Result {
            ok: output.filter(|_| !skip_result).map(Box::new),
            err: None,
        };
    }
    let Some(ty) = output else {
        return ResultPlan::Nothing;
    };
    if let Type::Path(path) = &ty
        && let Some(last) = path.path.segments.last().filter(|s| s.ident == "Result")
    {
        let types: Vec<Type> = match &last.arguments {
            syn::PathArguments::AngleBracketed(args) => args
                .args
                .iter()
                .filter_map(|arg| match arg {
                    syn::GenericArgument::Type(ty) => Some(ty.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let ok = types
            .first()
            .filter(|ok| !skip_result && !is_unit(ok))
            .cloned()
            .map(Box::new);
        let err = types.get(1).cloned().map(Box::new);
        return ResultPlan::Result { ok, err };
    }
    if skip_result || is_unit(&ty) || matches!(ty, Type::Never(_)) {
        ResultPlan::Nothing
    } else {
        ResultPlan::Value(Box::new(ty))
    }
}

/// The names an argument pattern binds: `x`, `(a, b)`, `Point { x, y }`.
fn bindings(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(p) => {
            out.push(p.ident.clone());
            if let Some((_, sub)) = &p.subpat {
                bindings(sub, out);
            }
        }
        Pat::Tuple(p) => p.elems.iter().for_each(|e| bindings(e, out)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|e| bindings(e, out)),
        Pat::Struct(p) => p.fields.iter().for_each(|f| bindings(&f.pat, out)),
        Pat::Slice(p) => p.elems.iter().for_each(|e| bindings(e, out)),
        Pat::Reference(p) => bindings(&p.pat, out),
        Pat::Paren(p) => bindings(&p.pat, out),
        Pat::Type(p) => bindings(&p.pat, out),
        _ => {}
    }
}

/// The start fields, from the arguments and `skip(..)` / `include(..)`.
fn fields(item: &FnItem, args: &LogCallArgs, errors: &mut Errors) -> Option<Vec<(Ident, Format)>> {
    let mut names = Vec::new();
    for input in &item.sig.inputs {
        if let FnArg::Typed(arg) = input {
            bindings(&arg.pat, &mut names);
        }
    }
    let fn_name = &item.sig.ident;
    let known = |name: &Ident, errors: &mut Errors| -> bool {
        if name == "self" {
            errors.spanned(
                name,
                "`self` is never logged by `#[log_call]`; remove it from the list",
            );
            false
        } else if names.contains(name) {
            true
        } else {
            let list = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let arguments = if list.is_empty() {
                format!("`{fn_name}` has no arguments to log")
            } else {
                format!("the arguments of `{fn_name}` are {list}")
            };
            errors.spanned(
                name,
                format_args!("`{name}` is not an argument of `{fn_name}`; {arguments}"),
            );
            false
        }
    };
    let mut problems = false;
    let fields = match (&args.skip, &args.include) {
        (Some(_), Some((include, _))) => {
            errors.spanned(
                include,
                "`skip(..)` and `include(..)` cannot be used together: `include(..)` alone \
                 lists the arguments to log",
            );
            return None;
        }
        (Some((_, skipped)), None) => {
            for name in skipped {
                problems |= !known(name, errors);
            }
            names
                .iter()
                .filter(|n| !skipped.contains(n))
                .map(|n| (n.clone(), Format::Serialize))
                .collect()
        }
        (None, Some((_, included))) => {
            for entry in included {
                problems |= !known(&entry.name, errors);
            }
            // The name as written in the list (a raw `r#type` too), so that
            // a missing `Serialize` points there.
            included
                .iter()
                .map(|entry| (entry.name.clone(), entry.format))
                .collect()
        }
        (None, None) => names
            .iter()
            .map(|n| (n.clone(), Format::Serialize))
            .collect(),
    };
    if problems {
        return None;
    }
    Some(fields)
}
