use eliot::inline_actions;

// Type errors in the body point at the user's code, not at the macro.
#[inline_actions]
async fn wrong_tail() -> u32 {
    "not a number"
}

#[inline_actions]
async fn wrong_return(flag: bool) -> u32 {
    if flag {
        return "early";
    }
    1
}

#[derive(Debug)]
struct MyError;

#[inline_actions]
async fn wrong_error() -> Result<u32, MyError> {
    let value: u32 = "1".parse()?;
    Ok(value)
}

#[inline_actions(debug)]
async fn not_a_future() {
    5u32.await;
}

fn main() {}
