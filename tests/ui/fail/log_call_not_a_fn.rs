use eliot::log_call;

#[log_call]
const fn constant(a: u32) -> u32 {
    a
}

#[log_call]
enum Kind {
    A,
}

trait Api {
    #[log_call]
    fn call(&self, a: u32) -> u32;
}

fn main() {}
