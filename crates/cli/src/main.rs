//! The gocua command.
fn main() {}
