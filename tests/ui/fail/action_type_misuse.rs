// #[derive(ActionType)] goes on a struct with named fields, takes known
// arguments, and needs an action type; every mistake is reported in one
// compile.
use eliot::ActionType;

#[derive(ActionType)]
#[eliot(action_type = "app:state")]
enum State {
    On,
    Off,
}

#[derive(ActionType)]
#[eliot(action_type = "app:mixed")]
union Mixed {
    n: u32,
    f: f32,
}

#[derive(ActionType)]
#[eliot(action_type = "app:pair")]
struct Pair(u32, u32);

#[derive(ActionType)]
#[eliot(action_type = "app:query", colour = "red")]
struct BadArgument {
    sql: String,
}

#[derive(ActionType)]
#[eliot(message_type = "app:query")]
struct MessageTypeArgument {
    sql: String,
}

#[derive(ActionType)]
#[eliot(action_type = "app:query", success = "Done")]
struct SuccessNotAType {
    sql: String,
}

#[derive(ActionType)]
struct Unnamed {
    sql: String,
}

#[derive(ActionType)]
#[eliot(action_type = "app:query")]
struct FieldAttribute {
    #[eliot(rename = "query")]
    sql: String,
}

fn main() {}
