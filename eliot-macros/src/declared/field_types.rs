//! What a field's Rust type tells about the JSON it is logged as: the kind
//! the test helpers check logged values against, and the type's text for
//! listings.

use quote::ToTokens;
use syn::Type;

/// The JSON values a field's type serializes to, as far as its name tells.
pub(super) fn kind_of(ty: &Type) -> proc_macro2::Ident {
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
pub(super) fn type_text(ty: &Type) -> String {
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
