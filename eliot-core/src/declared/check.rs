//! Checking a logged message against the declaration of its type.

use serde_json::{Map, Value};

use super::{Declaration, DeclaredField, DeclaredKind, declarations};

/// Eliot's own keys are not the declaration's business. (A test's logger
/// gets no global fields, so none is reported as extra there.)
const ELIOT_KEYS: &[&str] = &[
    "timestamp",
    "task_uuid",
    "task_level",
    "message_type",
    "action_type",
    "action_status",
];

/// The problems of `message` if its type is declared: fields missing,
/// extra or of the wrong kind. For an action, the start message is checked
/// against the start fields and the success message against the success
/// fields; a failure carries what the error gave, and is not checked.
pub(crate) fn check_message(message: &Map<String, Value>, problems: &mut Vec<String>) {
    let text = |key| message.get(key).and_then(Value::as_str);
    let (kind, name) = match (text("message_type"), text("action_type")) {
        (Some(name), _) => (DeclaredKind::Message, name),
        (None, Some(name)) => (DeclaredKind::Action, name),
        (None, None) => return,
    };
    let Some(declaration) = declarations().find(|d| d.kind == kind && d.name == name) else {
        return;
    };
    let (fields, which) = match text("action_status") {
        _ if kind == DeclaredKind::Message => (declaration.fields, Declared::Message),
        Some("started") => (declaration.fields, Declared::Start),
        Some("succeeded") => (declaration.success_fields, Declared::Success),
        _ => return,
    };
    check_against(declaration, fields, which, message, problems);
}

/// Which of a declaration's field sets a message is checked against.
#[derive(Clone, Copy)]
enum Declared {
    Message,
    Start,
    Success,
}

impl Declared {
    /// What problems about `declaration` begin with, and the words that
    /// name the declaring set.
    fn describe(self, declaration: &Declaration) -> (String, String) {
        let (name, rust_type) = (declaration.name, declaration.rust_type);
        match self {
            Declared::Message => (name.to_owned(), rust_type.to_owned()),
            Declared::Start => (format!("{name} (start)"), rust_type.to_owned()),
            Declared::Success => (
                format!("{name} (success)"),
                format!("the success fields of {rust_type}"),
            ),
        }
    }
}

fn check_against(
    declaration: &Declaration,
    fields: &[DeclaredField],
    which: Declared,
    message: &Map<String, Value>,
    problems: &mut Vec<String>,
) {
    let (kind, declarer) = which.describe(declaration);
    for field in fields {
        match message.get(field.name) {
            None => problems.push(format!(
                "{kind}: field `{}` is missing (declared by {declarer})",
                field.name
            )),
            Some(value) if !field.kind.accepts(value) => problems.push(format!(
                "{kind}: field `{}` is {value}, not {} (`{}` in {declarer})",
                field.name,
                field.kind.describe(),
                field.rust_type,
            )),
            Some(_) => {}
        }
    }
    for key in message.keys() {
        let declared = fields.iter().any(|f| f.name == key);
        if !declared && !ELIOT_KEYS.contains(&key.as_str()) {
            problems.push(format!(
                "{kind}: field `{key}` is not declared by {declarer}"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::FieldKind;
    use super::*;

    const ID: DeclaredField = DeclaredField {
        name: "id",
        rust_type: "u64",
        kind: FieldKind::Integer,
    };
    const NAME: DeclaredField = DeclaredField {
        name: "name",
        rust_type: "String",
        kind: FieldKind::String,
    };

    static ROW: Declaration = Declaration {
        kind: DeclaredKind::Message,
        name: "test:row",
        rust_type: "Row",
        description: "",
        fields: &[ID, NAME],
        success_fields: &[],
    };

    static LOOKUP: Declaration = Declaration {
        kind: DeclaredKind::Action,
        name: "test:lookup",
        rust_type: "Lookup",
        description: "",
        fields: &[ID],
        success_fields: &[NAME],
    };

    fn problems(declaration: &Declaration, which: Declared, message: Value) -> Vec<String> {
        let fields = match which {
            Declared::Success => declaration.success_fields,
            Declared::Message | Declared::Start => declaration.fields,
        };
        let mut problems = Vec::new();
        let message = message.as_object().unwrap();
        check_against(declaration, fields, which, message, &mut problems);
        problems
    }

    #[test]
    fn missing_extra_and_mistyped_fields_are_reported() {
        let found = problems(
            &ROW,
            Declared::Message,
            serde_json::json!({
                "id": "seven", "color": "red", "timestamp": 1.0, "task_uuid": "u",
                "task_level": [1], "message_type": "test:row"
            }),
        );
        assert_eq!(
            found,
            [
                "test:row: field `id` is \"seven\", not an integer (`u64` in Row)",
                "test:row: field `name` is missing (declared by Row)",
                "test:row: field `color` is not declared by Row",
            ]
        );
        let fine = serde_json::json!({"id": 7, "name": "ann", "message_type": "test:row"});
        assert!(problems(&ROW, Declared::Message, fine).is_empty());
    }

    #[test]
    fn an_action_is_checked_against_its_start_and_its_success_fields() {
        let start = serde_json::json!({
            "id": 7, "name": "ann", "action_status": "started", "action_type": "test:lookup"
        });
        assert_eq!(
            problems(&LOOKUP, Declared::Start, start),
            ["test:lookup (start): field `name` is not declared by Lookup"]
        );
        let success = serde_json::json!({
            "name": 7, "action_status": "succeeded", "action_type": "test:lookup"
        });
        assert_eq!(
            problems(&LOOKUP, Declared::Success, success),
            ["test:lookup (success): field `name` is 7, not a string \
                 (`String` in the success fields of Lookup)"]
        );
    }
}
