use eliot::inline_actions;

#[inline_actions]
struct Service;

#[inline_actions]
impl Service {}

#[inline_actions]
mod module {}

fn main() {
    let _ = Service;
}
