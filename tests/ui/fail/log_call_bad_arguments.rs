use eliot::log_call;

#[log_call(reslt)]
fn unknown(a: u32) -> u32 {
    a
}

#[log_call(action_type = app_frob)]
fn not_a_string(a: u32) -> u32 {
    a
}

#[log_call(skip)]
fn skip_without_list(a: u32) -> u32 {
    a
}

#[log_call(skip_result = true, skip_result)]
fn flag_mistakes(a: u32) -> u32 {
    a
}

fn main() {}
