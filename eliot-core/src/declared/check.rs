//! Checking a logged message against the declaration of its type.

use serde_json::{Map, Value};

use super::{Declaration, declarations};

/// Eliot's own keys and the keys global fields may add are not the
/// declaration's business.
const ELIOT_KEYS: &[&str] = &["timestamp", "task_uuid", "task_level", "message_type"];

/// The problems of `message` if its type is declared: fields missing,
/// extra or of the wrong kind. (A test's logger gets no global fields, so
/// none is reported as extra there.)
pub(crate) fn check_message(message: &Map<String, Value>, problems: &mut Vec<String>) {
    let Some(kind) = message.get("message_type").and_then(Value::as_str) else {
        return;
    };
    let Some(declaration) = declarations().find(|d| d.message_type == kind) else {
        return;
    };
    check_against(declaration, message, problems);
}

fn check_against(
    declaration: &Declaration,
    message: &Map<String, Value>,
    problems: &mut Vec<String>,
) {
    let kind = declaration.message_type;
    for field in declaration.fields {
        match message.get(field.name) {
            None => problems.push(format!(
                "{kind}: field `{}` is missing (declared by {})",
                field.name, declaration.rust_type
            )),
            Some(value) if !field.kind.accepts(value) => problems.push(format!(
                "{kind}: field `{}` is {value}, not {} (`{}` in {})",
                field.name,
                field.kind.describe(),
                field.rust_type,
                declaration.rust_type
            )),
            Some(_) => {}
        }
    }
    for key in message.keys() {
        let declared = declaration.fields.iter().any(|f| f.name == key);
        if !declared && !ELIOT_KEYS.contains(&key.as_str()) {
            problems.push(format!(
                "{kind}: field `{key}` is not declared by {}",
                declaration.rust_type
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DeclaredField, FieldKind};
    use super::*;

    static DECLARED: Declaration = Declaration {
        message_type: "test:row",
        rust_type: "Row",
        description: "",
        fields: &[
            DeclaredField {
                name: "id",
                rust_type: "u64",
                kind: FieldKind::Integer,
            },
            DeclaredField {
                name: "name",
                rust_type: "String",
                kind: FieldKind::String,
            },
        ],
    };

    fn problems(message: Value) -> Vec<String> {
        let mut problems = Vec::new();
        check_against(&DECLARED, message.as_object().unwrap(), &mut problems);
        problems
    }

    #[test]
    fn missing_extra_and_mistyped_fields_are_reported() {
        let found = problems(serde_json::json!({
            "id": "seven", "color": "red", "timestamp": 1.0, "task_uuid": "u",
            "task_level": [1], "message_type": "test:row"
        }));
        assert_eq!(
            found,
            [
                "test:row: field `id` is \"seven\", not an integer (`u64` in Row)",
                "test:row: field `name` is missing (declared by Row)",
                "test:row: field `color` is not declared by Row",
            ]
        );
        assert!(
            problems(serde_json::json!({"id": 7, "name": "ann", "message_type": "test:row"}))
                .is_empty()
        );
    }
}
