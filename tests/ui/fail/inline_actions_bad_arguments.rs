use eliot::inline_actions;

#[inline_actions(debgu)]
async fn misspelled() {}

#[inline_actions(debug = true)]
async fn flag_with_value() {}

#[inline_actions(debug, debug)]
async fn twice() {}

#[inline_actions(crate = "eliot")]
async fn string_path() {}

#[inline_actions(debug crate = ::eliot)]
async fn missing_comma() {}

fn main() {}
