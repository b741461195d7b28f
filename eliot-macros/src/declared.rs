//! `#[derive(MessageType)]`: a struct declares a message type, its fields
//! and their types; the derive implements `eliot::declared::MessageType`,
//! an inherent `log(&self)`, and registers the declaration (through
//! `inventory`) so that it can be listed and checked against logs.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Path, Type};

use crate::errors::Errors;

/// What `#[eliot(..)]` says.
#[derive(Default)]
struct Attributes {
    message_type: Option<LitStr>,
    description: Option<LitStr>,
    krate: Option<Path>,
}

const EXPECTED: &str = "`#[eliot(..)]` accepts `message_type = \"app:kind\"`, \
                        `description = \"..\"` and `crate = path`";

fn attributes(input: &DeriveInput, errors: &mut Errors) -> Attributes {
    let mut found = Attributes::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("eliot")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("message_type") {
                found.message_type = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("description") {
                found.description = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("crate") {
                found.krate = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error(format_args!(
                    "unknown argument `{}`: {EXPECTED}",
                    meta.path.to_token_stream()
                )));
            }
            Ok(())
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    found
}

/// Expands `#[derive(MessageType)]`.
pub(crate) fn message_type(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let attributes = attributes(&input, &mut errors);
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(named.named.iter().collect::<Vec<_>>()),
            Fields::Unit => Some(Vec::new()),
            Fields::Unnamed(_) => {
                errors.spanned(
                    &data.fields,
                    "`#[derive(MessageType)]` needs named fields: they are the message's keys",
                );
                None
            }
        },
        Data::Enum(data) => {
            errors.spanned(
                data.enum_token,
                "`#[derive(MessageType)]` goes on a struct whose fields are the message's fields, not on an enum",
            );
            None
        }
        Data::Union(data) => {
            errors.spanned(
                data.union_token,
                "`#[derive(MessageType)]` goes on a struct whose fields are the message's fields, not on a union",
            );
            None
        }
    };
    let Some(message_type) = attributes.message_type.clone() else {
        if errors.is_empty() {
            errors.spanned(
                &input.ident,
                "`#[derive(MessageType)]` needs the type's name: add `#[eliot(message_type = \"app:kind\")]`",
            );
        }
        return errors.to_compile_errors();
    };
    let krate = match crate::krate::library_path("derive(MessageType)", attributes.krate.clone()) {
        Ok(krate) => krate,
        Err(error) => {
            errors.push(error);
            return errors.to_compile_errors();
        }
    };
    let (Some(fields), true) = (fields, errors.is_empty()) else {
        return errors.to_compile_errors();
    };
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let description = attributes
        .description
        .map_or_else(|| quote!(""), |d| d.to_token_stream());
    let logged = fields.iter().map(|field| {
        let ident = field.ident.as_ref().expect("named");
        let key = ident.to_string();
        let key = key.strip_prefix("r#").unwrap_or(&key).to_owned();
        quote_spanned! {field.ty.span()=>
            #krate::Field::new(#key, #krate::__private::declared_field(&self.#ident))
        }
    });
    let declared = fields.iter().map(|field| {
        let ident = field.ident.as_ref().expect("named");
        let key = ident.to_string();
        let key = key.strip_prefix("r#").unwrap_or(&key).to_owned();
        let rust_type = type_text(&field.ty);
        let kind = kind_of(&field.ty);
        quote! {
            #krate::__private::DeclaredField {
                name: #key,
                rust_type: #rust_type,
                kind: #krate::__private::FieldKind::#kind,
            }
        }
    });
    let rust_type = name.to_string();
    // Static text only: one registration whatever the type's generics.
    let registration = quote! {
        #krate::__private::inventory::submit! {
            #krate::__private::Declaration {
                message_type: #message_type,
                rust_type: #rust_type,
                description: #description,
                fields: &[#(#declared),*],
            }
        }
    };
    quote! {
        impl #impl_generics #krate::declared::MessageType for #name #type_generics #where_clause {
            const MESSAGE_TYPE: &'static str = #message_type;
            fn log(&self) {
                #krate::log_message(#message_type, &[#(#logged),*]);
            }
        }

        impl #impl_generics #name #type_generics #where_clause {
            /// Logs this declared message in the current action.
            #[allow(dead_code)]
            pub fn log(&self) {
                <Self as #krate::declared::MessageType>::log(self)
            }
        }

        #registration
    }
}

/// The JSON values a field's type serializes to, as far as its name tells.
fn kind_of(ty: &Type) -> proc_macro2::Ident {
    let kind = match ty {
        Type::Reference(reference) => return kind_of(&reference.elem),
        Type::Paren(inner) => return kind_of(&inner.elem),
        Type::Group(inner) => return kind_of(&inner.elem),
        Type::Array(_) | Type::Slice(_) => "Array",
        Type::Path(path) => match path.path.segments.last() {
            Some(last) => match last.ident.to_string().as_str() {
                "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64"
                | "i128" | "isize" => "Integer",
                "f32" | "f64" => "Number",
                "String" | "str" | "char" | "Cow" => "String",
                "bool" => "Boolean",
                "Vec" | "VecDeque" | "HashSet" | "BTreeSet" => "Array",
                "Option" => "Optional",
                _ => "Any",
            },
            None => "Any",
        },
        _ => "Any",
    };
    quote::format_ident!("{kind}")
}

/// A field's type as a person writes it, without lifetimes (`&str`,
/// `Cow<str>`, `Vec<String>`), for listings.
fn type_text(ty: &Type) -> String {
    let tokens = ty.to_token_stream().to_string();
    let mut text = String::new();
    let mut words = tokens.split(' ').peekable();
    while let Some(word) = words.next() {
        if word.starts_with('\'') {
            if words.peek() == Some(&",") {
                words.next();
            }
            continue;
        }
        text.push_str(word);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_listed_as_written_without_lifetimes() {
        let text = |ty: Type| type_text(&ty);
        assert_eq!(text(syn::parse_quote!(&'a str)), "&str");
        assert_eq!(text(syn::parse_quote!(Cow<'a, str>)), "Cow<str>");
        assert_eq!(text(syn::parse_quote!(Option<Vec<u8>>)), "Option<Vec<u8>>");
    }
}
