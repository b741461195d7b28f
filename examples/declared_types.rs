//! Declared message and action types: `app:db:row` and `app:db:query` are
//! declared once, by structs, so that every place that logs them writes
//! the same fields with the same types, the declarations can be listed for
//! documentation, and a test can check a log against them
//! (`eliot::testing::validate_declared`). The queries run through the
//! declaration: started with `start()` and finished with the declared
//! success fields, finished from a `Result` by `within`, and run as a
//! future on tokio by `within_async`.
//!
//! Writes `declared_types.log` in the working directory and prints the
//! declared types.
//!
//! ```text
//! cargo run --example declared_types
//! ```

use eliot::{
    ActionType, Fields, FileDestination, MessageType, add_destination, remove_destination,
    start_action,
};

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

/// A query sent to the database.
#[derive(ActionType)]
#[eliot(
    action_type = "app:db:query",
    success = QueryDone,
    description = "A query sent to the database"
)]
struct Query<'a> {
    table: &'a str,
    sql: &'a str,
}

/// What a query found: the success fields of `app:db:query`.
#[derive(Fields)]
struct QueryDone {
    rows: u64,
}

/// An error of the pretend database.
#[derive(Debug)]
struct Timeout;

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no answer in 5 s")
    }
}

impl std::error::Error for Timeout {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = add_destination(FileDestination::create("declared_types.log")?);
    {
        let _request = start_action!("app:request", path = "/users/7");
        let query = Query {
            table: "users",
            sql: "SELECT * FROM users WHERE id = 7",
        }
        .start();
        CacheMiss { key: "users/7" }.log();
        DbRow {
            id: 7,
            name: "ann".into(),
            tags: vec!["admin".into()],
        }
        .log();
        query.succeed(QueryDone { rows: 1 });

        // Finished from the closure's `Result`: this one fails.
        let slow = Query {
            table: "audit",
            sql: "SELECT count(*) FROM audit",
        }
        .within(|_| Err::<u64, _>(Timeout));
        assert!(slow.is_err());

        // A future that runs inside its action wherever tokio polls it.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()?;
        let query = Query {
            table: "roles",
            sql: "SELECT role FROM roles",
        };
        let roles = runtime.block_on(query.within_async(|query| async move {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            let roles = vec!["admin".to_owned(), "ops".to_owned()];
            query.add_success(QueryDone {
                rows: roles.len() as u64,
            });
            Ok::<_, Timeout>(roles)
        }))?;
        assert_eq!(roles.len(), 2);
    }
    remove_destination(&file)?;

    let mut declarations: Vec<_> = eliot::declared::declarations().collect();
    declarations.sort_by_key(|d| d.name);
    for declaration in declarations {
        println!(
            "{:?} {} ({}): {}",
            declaration.kind, declaration.name, declaration.rust_type, declaration.description
        );
        for field in declaration.fields {
            println!("    {}: {}", field.name, field.rust_type);
        }
        for field in declaration.success_fields {
            println!("    on success, {}: {}", field.name, field.rust_type);
        }
    }
    Ok(())
}
