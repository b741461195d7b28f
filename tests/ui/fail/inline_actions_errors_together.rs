use eliot::inline_actions;

// Every mistake is reported in one compile.
#[inline_actions(bogus)]
fn not_async() {}

fn main() {
    not_async();
}
