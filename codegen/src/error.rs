//! The one error of the generator: a spec that breaks a rule.

use std::fmt;

/// A spec that breaks a rule: which file, which key, which rule.
///
/// Displayed as ``spec/<file>: `<key>`: <rule>``, the form the build log shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec file, relative to the spec folder.
    pub file: String,
    /// The key, as a path (`param[2].type`), or `(file)` for the file as a whole.
    pub key: String,
    /// The rule it breaks.
    pub rule: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec/{}: `{}`: {}", self.file, self.key, self.rule)
    }
}

impl std::error::Error for SpecError {}

/// A [`SpecError`] for `key` of `file`.
pub fn err(file: &str, key: impl Into<String>, rule: impl Into<String>) -> SpecError {
    SpecError {
        file: file.to_owned(),
        key: key.into(),
        rule: rule.into(),
    }
}
