//! What the CLI's test crates share.

use std::io::BufRead;

/// The URL `flitt sandbox` prints on its first line of stdout, read from `stdout`.
pub fn sandbox_url(stdout: &mut impl BufRead) -> String {
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    first
        .trim()
        .strip_prefix("Flitt sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned()
}
