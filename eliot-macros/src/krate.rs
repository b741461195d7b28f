//! Finding the library that generated code names.
//!
//! Generated code calls `<library>::__private::..`. Which path reaches the
//! library depends on the user's `Cargo.toml`: the `eliot` facade, perhaps
//! renamed (`logs = { package = "eliot", .. }`), or `eliot-core` with
//! `eliot-macros` beside it, perhaps renamed too. `proc-macro-crate` reads
//! that manifest (the one of the crate being compiled), so a bare
//! `#[inline_actions]` works in every shape, and `crate = path` remains for
//! what a manifest cannot say (a re-export from another crate of the user's).

use proc_macro_crate::{Error as ManifestError, FoundCrate, crate_name};
use proc_macro2::Span;
use quote::format_ident;
use syn::Path;

/// The crates that provide `__private`, in the order they are looked for:
/// the facade first, as the documentation recommends it.
const LIBRARIES: &[&str] = &["eliot", "eliot-core"];

/// The path to the library for `#[<macro_name>]`: `explicit` when the user
/// wrote `crate = path`, else the one the crate's manifest names. Without a
/// manifest to read (a build system other than Cargo), `::eliot`, the path
/// such builds have always needed. The error says what to add when the
/// manifest names neither crate.
pub(crate) fn library_path(macro_name: &str, explicit: Option<Path>) -> syn::Result<Path> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let mut manifest_read = false;
    for library in LIBRARIES {
        match crate_name(library) {
            Ok(found) => return Ok(path_to(library, found)),
            Err(ManifestError::CrateNotFound { .. }) => manifest_read = true,
            Err(_) => {}
        }
    }
    if !manifest_read {
        return Ok(syn::parse_quote!(::eliot));
    }
    Err(syn::Error::new(
        Span::call_site(),
        missing_library_message(macro_name),
    ))
}

/// What a crate that depends on neither library is told to do.
fn missing_library_message(macro_name: &str) -> String {
    format!(
        "`#[{macro_name}]` generates code that calls the eliot library, and this crate's \
         Cargo.toml depends on neither `eliot` nor `eliot-core`: add `eliot = \"0.1\"` to its \
         [dependencies] (or `eliot-core`), or say where the library is with \
         `#[{macro_name}(crate = path::to::eliot)]`"
    )
}

/// `::name` for a crate found in the manifest under `name` (renamed or
/// not), or by its own name when the macro expands inside the library's own
/// tests, examples and doc tests.
fn path_to(library: &str, found: FoundCrate) -> Path {
    let name = match found {
        FoundCrate::Itself => format_ident!("{}", library.replace('-', "_")),
        FoundCrate::Name(name) => format_ident!("{name}"),
    };
    syn::parse_quote!(::#name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn an_explicit_path_wins_over_the_manifest() {
        let explicit: Path = syn::parse_quote!(my_reexports::logging);
        let path = library_path("inline_actions", Some(explicit)).unwrap();
        assert_eq!(
            path.to_token_stream().to_string(),
            "my_reexports :: logging"
        );
    }

    #[test]
    fn the_manifest_s_name_for_the_library_is_used() {
        // eliot-macros' own manifest has the facade as a dev-dependency.
        let path = library_path("inline_actions", None).unwrap();
        assert_eq!(path.to_token_stream().to_string(), ":: eliot");
        let renamed = path_to("eliot", FoundCrate::Name("logs".into()));
        assert_eq!(renamed.to_token_stream().to_string(), ":: logs");
        let itself = path_to("eliot-core", FoundCrate::Itself);
        assert_eq!(itself.to_token_stream().to_string(), ":: eliot_core");
    }

    #[test]
    fn the_missing_library_error_says_what_to_add() {
        let message = missing_library_message("log_call");
        assert!(message.contains("add `eliot = \"0.1\"`"), "{message}");
        assert!(
            message.contains("`#[log_call(crate = path::to::eliot)]`"),
            "{message}"
        );
    }
}
