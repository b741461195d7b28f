use eliot::capture_logging;

#[capture_logging]
fn wrong_type(logger: std::time::Duration) {
    let _ = logger;
}

fn main() {}
