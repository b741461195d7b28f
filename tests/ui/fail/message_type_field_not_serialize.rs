// A field of a declared message must be serde::Serialize; the error points
// at its type.
use eliot::MessageType;

struct Connection;

#[derive(MessageType)]
#[eliot(message_type = "app:connected")]
struct Connected {
    id: u64,
    connection: Connection,
}

fn main() {}
