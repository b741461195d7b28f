//! Declared message types: `app:db:row` is declared once, by a struct, so
//! that every place that logs it writes the same fields with the same
//! types, the declarations can be listed for documentation, and a test can
//! check a log against them (`eliot::testing::validate_declared`).
//!
//! Writes `declared_types.log` in the working directory and prints the
//! declared types.
//!
//! ```text
//! cargo run --example declared_types
//! ```

use eliot::{FileDestination, MessageType, add_destination, remove_destination, start_action};

/// A row read from the database.
#[derive(MessageType)]
#[eliot(
    message_type = "app:db:row",
    description = "A row read from the database"
)]
struct DbRow {
    id: u64,
    name: String,
    tags: Vec<String>,
}

/// A cache miss.
#[derive(MessageType)]
#[eliot(
    message_type = "app:cache:miss",
    description = "The key was not cached"
)]
struct CacheMiss<'a> {
    key: &'a str,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = add_destination(FileDestination::create("declared_types.log")?);
    {
        let _query = start_action!("app:db:query", table = "users");
        CacheMiss { key: "users/7" }.log();
        DbRow {
            id: 7,
            name: "ann".into(),
            tags: vec!["admin".into()],
        }
        .log();
    }
    remove_destination(&file)?;

    let mut declarations: Vec<_> = eliot::declared::declarations().collect();
    declarations.sort_by_key(|d| d.message_type);
    for declaration in declarations {
        println!(
            "{} ({}): {}",
            declaration.message_type, declaration.rust_type, declaration.description
        );
        for field in declaration.fields {
            println!("    {}: {}", field.name, field.rust_type);
        }
    }
    Ok(())
}
