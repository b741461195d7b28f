//! Declared message types: logged through the declaration, listed, and
//! checked against a captured log (missing, extra and mistyped fields),
//! by `validate_declared` and by `MemoryLogger::validate`.

use eliot::MessageType;
use eliot::testing::{MemoryLogger, validate_declared};

#[derive(MessageType)]
#[eliot(message_type = "test:db:row", description = "A row")]
struct DbRow {
    id: u64,
    name: String,
    score: Option<f64>,
}

#[derive(MessageType)]
#[eliot(message_type = "test:tick")]
struct Tick;

#[test]
fn a_declared_message_is_logged_with_its_fields_and_passes_validation() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        DbRow {
            id: 7,
            name: "ann".into(),
            score: None,
        }
        .log();
        Tick.log();
    });
    let messages = logger.messages();
    assert_eq!(messages[0]["message_type"], "test:db:row");
    assert_eq!(messages[0]["id"], 7);
    assert_eq!(messages[0]["name"], "ann");
    assert_eq!(messages[1]["message_type"], "test:tick");
    validate_declared(&logger).unwrap();
    logger.validate().unwrap();
}

#[test]
fn drifted_messages_are_reported_missing_extra_and_mistyped() {
    let logger = MemoryLogger::new();
    logger.run(|| {
        eliot::log_message!("test:db:row", id = "7", score = 1.5, colour = "red");
    });
    let problems = validate_declared(&logger).unwrap_err();
    assert_eq!(
        problems.problems(),
        [
            "test:db:row: field `id` is \"7\", not an integer (`u64` in DbRow)",
            "test:db:row: field `name` is missing (declared by DbRow)",
            "test:db:row: field `colour` is not declared by DbRow",
        ]
    );
    let all = logger.validate().unwrap_err();
    assert_eq!(all.problems(), problems.problems());
}

#[test]
fn declarations_are_listed_with_their_fields_and_description() {
    let row = eliot::declared::declarations()
        .find(|d| d.name == "test:db:row")
        .expect("registered");
    assert_eq!(row.rust_type, "DbRow");
    assert_eq!(row.description, "A row");
    let fields: Vec<(&str, &str)> = row.fields.iter().map(|f| (f.name, f.rust_type)).collect();
    assert_eq!(
        fields,
        [("id", "u64"), ("name", "String"), ("score", "Option<f64>")]
    );
    assert!(eliot::declared::declarations().any(|d| d.name == "test:tick"));
}
