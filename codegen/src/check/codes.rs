//! `response_codes.toml`: the gateway's response codes.

use super::is_snake;
use crate::error::{SpecError, err};
use crate::ir::{Code, CodeKind};
use crate::model;
use std::collections::BTreeSet;

/// Checks every `[[code]]`: unique numbers and snake_case names, a known kind, a source.
/// Returns them sorted by number.
pub fn check(f: model::CodesFile) -> Result<Vec<Code>, SpecError> {
    let file = "response_codes.toml";
    let mut seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, c) in f.code.into_iter().enumerate() {
        let key = format!("code[{i}]");
        if !seen.insert(c.code) {
            return Err(err(
                file,
                format!("{key}.code"),
                format!("duplicate code {}", c.code),
            ));
        }
        if !is_snake(&c.name) {
            return Err(err(
                file,
                format!("{key}.name"),
                format!("`{}` is not snake_case", c.name),
            ));
        }
        if !names.insert(c.name.clone()) {
            return Err(err(
                file,
                format!("{key}.name"),
                format!("duplicate name `{}`", c.name),
            ));
        }
        let Some(kind) = CodeKind::parse(&c.kind) else {
            return Err(err(
                file,
                format!("{key}.kind"),
                format!("`{}` must be one of {}", c.kind, CodeKind::spellings()),
            ));
        };
        if c.source.trim().is_empty() {
            return Err(err(file, format!("{key}.source"), "must not be empty"));
        }
        out.push(Code {
            code: c.code,
            name: c.name,
            message: c.message,
            kind,
        });
    }
    out.sort_by_key(|c| c.code);
    Ok(out)
}
