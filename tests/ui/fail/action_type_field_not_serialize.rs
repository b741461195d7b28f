// A start field of a declared action must be serde::Serialize; the error
// points at its type.
use eliot::ActionType;

struct Connection;

#[derive(ActionType)]
#[eliot(action_type = "app:connect")]
struct Connect {
    host: String,
    connection: Connection,
}

fn main() {}
