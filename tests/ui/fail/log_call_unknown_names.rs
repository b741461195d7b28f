use eliot::log_call;

struct Service;

impl Service {
    #[log_call(skip(passwd))]
    fn login(&self, user: &str, password: &str) -> bool {
        user != password
    }

    #[log_call(include(self, user))]
    fn logout(&self, user: &str) {
        let _ = user;
    }
}

#[log_call(skip(a), include(b))]
fn both_lists(a: u32, b: u32) -> u32 {
    a + b
}

#[log_call(skip(x))]
fn no_arguments() {}

fn main() {}
