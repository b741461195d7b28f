use eliot::log_call;

// An `Err` fails the action with the error's description, which needs
// `std::error::Error` or at least `Display`.
#[derive(Debug)]
struct Opaque;

#[log_call]
fn fails() -> Result<u32, Opaque> {
    Err(Opaque)
}

fn main() {}
