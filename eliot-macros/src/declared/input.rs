//! Reading a declaring struct: its named fields and its `#[eliot(..)]`
//! attribute, every error collected and reported together.

use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Data, DeriveInput, Fields, LitStr, Path, Type};

use super::Derive;
use crate::errors::Errors;

/// A struct that declares a message type, an action type or a set of
/// fields, read and checked.
pub(super) struct Declared<'a> {
    pub(super) derive: Derive,
    pub(super) input: &'a DeriveInput,
    pub(super) fields: Vec<&'a syn::Field>,
    /// The `message_type` or `action_type` (none for `Fields`).
    pub(super) name: Option<LitStr>,
    pub(super) description: Option<LitStr>,
    /// An action type's success fields.
    pub(super) success: Option<Type>,
    pub(super) krate: Path,
}

/// What `#[eliot(..)]` says.
#[derive(Default)]
struct Attributes {
    name: Option<LitStr>,
    description: Option<LitStr>,
    success: Option<Type>,
    krate: Option<Path>,
}

impl Derive {
    /// The argument that names the declared type.
    fn name_argument(self) -> Option<&'static str> {
        match self {
            Derive::MessageType => Some("message_type"),
            Derive::ActionType => Some("action_type"),
            Derive::Fields => None,
        }
    }

    /// What `#[eliot(..)]` accepts on this derive.
    fn accepted(self) -> &'static str {
        match self {
            Derive::MessageType => {
                "`#[eliot(..)]` accepts `message_type = \"app:kind\"`, \
                 `description = \"..\"` and `crate = path`"
            }
            Derive::ActionType => {
                "`#[eliot(..)]` accepts `action_type = \"app:kind\"`, `success = Type` \
                 (a `#[derive(Fields)]` struct), `description = \"..\"` and `crate = path`"
            }
            Derive::Fields => "`#[derive(Fields)]` accepts only `#[eliot(crate = path)]`",
        }
    }

    /// What the struct's fields are, for the errors about its shape.
    fn fields_are(self) -> &'static str {
        match self {
            Derive::MessageType => "the message's fields",
            Derive::ActionType => "the action's start fields",
            Derive::Fields => "the fields logged",
        }
    }
}

impl<'a> Declared<'a> {
    /// Reads `input` for `derive`, or every error found in it.
    pub(super) fn read(derive: Derive, input: &'a DeriveInput) -> Result<Self, Errors> {
        let mut errors = Errors::default();
        let attributes = attributes(derive, input, &mut errors);
        // A misspelt or misplaced argument already said what is wrong with
        // the attribute: a missing name would only repeat it.
        let attribute_reported = !errors.is_empty();
        let fields = fields(derive, input, &mut errors);
        let name = attributes.name;
        if let (None, Some(argument), false) = (&name, derive.name_argument(), attribute_reported) {
            errors.spanned(
                &input.ident,
                format_args!(
                    "`#[derive({})]` needs the type's name: add `#[eliot({argument} = \"app:kind\")]`",
                    derive.name()
                ),
            );
        }
        let macro_name = format!("derive({})", derive.name());
        let krate = crate::krate::library_path(&macro_name, attributes.krate)
            .map_err(|error| errors.push(error))
            .ok();
        match (fields, krate) {
            (Some(fields), Some(krate)) if errors.is_empty() => Ok(Declared {
                derive,
                input,
                fields,
                name,
                description: attributes.description,
                success: attributes.success,
                krate,
            }),
            _ => Err(errors),
        }
    }
}

fn attributes(derive: Derive, input: &DeriveInput, errors: &mut Errors) -> Attributes {
    let mut found = Attributes::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("eliot")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let argument = meta.path.to_token_stream().to_string();
            match argument.as_str() {
                "crate" => found.krate = Some(meta.value()?.parse()?),
                "description" if derive != Derive::Fields => {
                    found.description = Some(meta.value()?.parse()?);
                }
                "success" if derive == Derive::ActionType => {
                    let value = meta.value()?;
                    let success = value.parse().map_err(|error| {
                        syn::Error::new(
                            error.span(),
                            "`success` names the `#[derive(Fields)]` struct that holds the \
                             success fields: `success = QueryDone`",
                        )
                    })?;
                    found.success = Some(success);
                }
                name if Some(name) == derive.name_argument() => {
                    found.name = Some(meta.value()?.parse()?);
                }
                other => return Err(unknown_argument(derive, &meta, other)),
            }
            Ok(())
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    found
}

/// The error for an argument `derive` does not take, with a pointer to
/// the derive that takes it when it is another's.
fn unknown_argument(derive: Derive, meta: &ParseNestedMeta<'_>, argument: &str) -> syn::Error {
    let elsewhere = match argument {
        "message_type" => " (a message type is declared with `#[derive(MessageType)]`)",
        "action_type" | "success" => " (an action type is declared with `#[derive(ActionType)]`)",
        _ => "",
    };
    meta.error(format_args!(
        "unknown argument `{argument}`: {}{elsewhere}",
        derive.accepted()
    ))
}

/// The struct's named fields (none for a unit struct), or `None` after
/// reporting why it cannot declare anything.
fn fields<'a>(
    derive: Derive,
    input: &'a DeriveInput,
    errors: &mut Errors,
) -> Option<Vec<&'a syn::Field>> {
    let not_a_struct = |what: &str| {
        format!(
            "`#[derive({})]` goes on a struct whose fields are {}, not on {what}",
            derive.name(),
            derive.fields_are()
        )
    };
    let fields: Vec<&syn::Field> = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named.named.iter().collect(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(_) => {
                errors.spanned(
                    &data.fields,
                    format_args!(
                        "`#[derive({})]` needs named fields: they are the logged keys",
                        derive.name()
                    ),
                );
                return None;
            }
        },
        Data::Enum(data) => {
            errors.spanned(data.enum_token, not_a_struct("an enum"));
            return None;
        }
        Data::Union(data) => {
            errors.spanned(data.union_token, not_a_struct("a union"));
            return None;
        }
    };
    for field in &fields {
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("eliot")) {
            errors.spanned(
                attr,
                format_args!(
                    "`#[eliot(..)]` goes on the struct that derives `{}`, not on a field",
                    derive.name()
                ),
            );
        }
    }
    Some(fields)
}
