use eliot::inline_actions;

#[inline_actions]
const fn constant() -> u32 {
    1
}

fn main() {
    let _ = constant();
}
