//! Compile-time tests of the attribute macros (trybuild): every accepted
//! shape compiles and runs (`tests/ui/pass/*.rs`), every rejected one fails
//! with the error in its `.stderr` file (`tests/ui/fail/*.rs`), pointing at
//! the offending tokens and saying what to do.
//!
//! Add a case by dropping a file into either directory. To (re)generate the
//! expected output of a failing case: `TRYBUILD=overwrite cargo test --test ui`,
//! then read the new `.stderr` before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
