//! End-to-end through rsyslog (being written).

fn main() {}
