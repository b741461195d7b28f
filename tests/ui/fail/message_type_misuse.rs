// #[derive(MessageType)] goes on a struct with named fields, takes known
// arguments, and needs a message type.
use eliot::MessageType;

#[derive(MessageType)]
#[eliot(message_type = "app:state")]
enum State {
    On,
    Off,
}

#[derive(MessageType)]
#[eliot(message_type = "app:row", colour = "red")]
struct BadAttribute {
    id: u64,
}

#[derive(MessageType)]
struct Unnamed {
    id: u64,
}

fn main() {}
