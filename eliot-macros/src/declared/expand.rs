//! What the derives generate: the `Fields` impl every one of them writes,
//! the `MessageType` or `ActionType` impl, and the registration of the
//! declaration.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

use super::input::Declared;
use super::{Derive, field_types};

/// The code for a read and checked declaration.
pub(super) fn expand(declared: &Declared<'_>) -> TokenStream {
    let fields = fields_impl(declared);
    let declaration = match declared.derive {
        Derive::MessageType => message_type(declared),
        Derive::ActionType => action_type(declared),
        Derive::Fields => TokenStream::new(),
    };
    quote!(#fields #declaration)
}

/// `impl Fields`: the declared list, and the values as fields.
fn fields_impl(declared: &Declared<'_>) -> TokenStream {
    let krate = &declared.krate;
    let name = &declared.input.ident;
    let (impl_generics, type_generics, where_clause) = declared.input.generics.split_for_impl();
    let list = declared_list(declared);
    let values = declared.fields.iter().map(|field| {
        let ident = field.ident.as_ref().expect("named");
        let key = key_of(ident);
        // Spanned at the field's type: a type that is not `Serialize` is
        // reported there.
        quote_spanned! {field.ty.span()=>
            #krate::Field::new(#key, #krate::__private::declared_field(&self.#ident))
        }
    });
    quote! {
        impl #impl_generics #krate::declared::Fields for #name #type_generics #where_clause {
            const DECLARED: &'static [#krate::__private::DeclaredField] = #list;

            fn with_fields<__EliotR>(
                &self,
                __eliot_with: impl ::core::ops::FnOnce(&[#krate::Field<'_>]) -> __EliotR,
            ) -> __EliotR {
                __eliot_with(&[#(#values),*])
            }
        }
    }
}

/// `&[DeclaredField { .. }, ..]` for the struct's own fields: static text,
/// the same whatever the struct's generics.
fn declared_list(declared: &Declared<'_>) -> TokenStream {
    let krate = &declared.krate;
    let entries = declared.fields.iter().map(|field| {
        let key = key_of(field.ident.as_ref().expect("named"));
        let rust_type = field_types::type_text(&field.ty);
        let kind = field_types::kind_of(&field.ty);
        quote! {
            #krate::__private::DeclaredField {
                name: #key,
                rust_type: #rust_type,
                kind: #krate::__private::FieldKind::#kind,
            }
        }
    });
    quote!(&[#(#entries),*])
}

/// A field's key: its name, without `r#`.
fn key_of(ident: &syn::Ident) -> String {
    let key = ident.to_string();
    key.strip_prefix("r#").unwrap_or(&key).to_owned()
}

/// `impl MessageType`, an inherent `log` (callable without importing the
/// trait), and the registration.
fn message_type(declared: &Declared<'_>) -> TokenStream {
    let krate = &declared.krate;
    let name = &declared.input.ident;
    let message_type = &declared.name;
    let (impl_generics, type_generics, where_clause) = declared.input.generics.split_for_impl();
    let registration = registration(declared, quote!(Message), quote!(&[]));
    quote! {
        impl #impl_generics #krate::declared::MessageType for #name #type_generics #where_clause {
            const MESSAGE_TYPE: &'static str = #message_type;
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

/// `impl ActionType` and the registration.
fn action_type(declared: &Declared<'_>) -> TokenStream {
    let krate = &declared.krate;
    let name = &declared.input.ident;
    let action_type = &declared.name;
    let (impl_generics, type_generics, where_clause) = declared.input.generics.split_for_impl();
    let success = declared
        .success
        .as_ref()
        .map_or_else(|| quote!(()), ToTokens::to_token_stream);
    // Spanned at the success type: one that is not a set of fields is
    // reported there.
    let success_fields = quote_spanned! {success.span()=>
        <#success as #krate::declared::Fields>::DECLARED
    };
    let registration = registration(declared, quote!(Action), success_fields);
    quote! {
        impl #impl_generics #krate::declared::ActionType for #name #type_generics #where_clause {
            const ACTION_TYPE: &'static str = #action_type;
            type Success = #success;
        }

        #registration
    }
}

/// Registers the declaration, to be listed by `declarations()` and checked
/// by the test helpers.
fn registration(
    declared: &Declared<'_>,
    kind: TokenStream,
    success_fields: TokenStream,
) -> TokenStream {
    let krate = &declared.krate;
    let name = &declared.name;
    let rust_type = declared.input.ident.to_string();
    let description = declared
        .description
        .as_ref()
        .map_or_else(|| quote!(""), ToTokens::to_token_stream);
    let fields = declared_list(declared);
    quote! {
        #krate::__private::inventory::submit! {
            #krate::__private::Declaration {
                kind: #krate::__private::DeclaredKind::#kind,
                name: #name,
                rust_type: #rust_type,
                description: #description,
                fields: #fields,
                success_fields: #success_fields,
            }
        }
    }
}
