use eliot::inline_actions;

#[inline_actions]
fn not_async() -> u32 {
    1
}

fn main() {
    // The function is still there, unchanged: no second error here.
    let _: u32 = not_async();
}
