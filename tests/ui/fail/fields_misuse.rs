// #[derive(Fields)] goes on a struct with named, Serialize fields, and
// takes no name: a set of fields declares no type of its own.
use eliot::Fields;

#[derive(Fields)]
enum Outcome {
    Rows(u64),
}

#[derive(Fields)]
#[eliot(action_type = "app:done", description = "Done")]
struct Named {
    rows: u64,
}

struct Handle;

#[derive(Fields)]
struct NotSerialize {
    rows: u64,
    handle: Handle,
}

fn main() {}
