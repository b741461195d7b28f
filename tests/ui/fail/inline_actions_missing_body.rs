use eliot::inline_actions;

trait Store {
    #[inline_actions]
    async fn get(&self) -> u32;
}

fn main() {}
