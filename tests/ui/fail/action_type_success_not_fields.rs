// The success fields of a declared action are a #[derive(Fields)] struct;
// anything else is reported once, at the type named in the attribute.
use eliot::ActionType;

struct Done {
    rows: u64,
}

#[derive(ActionType)]
#[eliot(action_type = "app:query", success = Done)]
struct Query {
    sql: String,
}

fn main() {}
