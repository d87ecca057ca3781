//! Checking: one checker per kind of spec file, each turning the loaded serde structs into the
//! typed model of [`crate::ir`], plus the rules they share. Every failure is a [`SpecError`]
//! naming the file, the key and the rule.

pub mod codes;
pub mod endpoints;
pub mod enums;
pub mod reports;
pub mod structs;

use crate::error::{SpecError, err};
use crate::ir::Spec;
use crate::types::{Format, WireType};

/// Whether `s` is `snake_case`.
pub fn is_snake(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.ends_with('_')
        && !s.contains("__")
}

/// Wire names are what the gateway uses; they must make valid Rust identifiers.
pub fn wire_name(file: &str, key: &str, s: &str) -> Result<(), SpecError> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(err(
            file,
            key,
            format!("`{s}` must be lowercase letters, digits and `_`, not starting with a digit"),
        ))
    }
}

/// The `name` of a file's head table is snake_case and matches the file name.
pub fn head_name(file: &str, key: &str, name: &str, stem: &str) -> Result<(), SpecError> {
    if !is_snake(name) {
        return Err(err(file, key, format!("`{name}` is not snake_case")));
    }
    if name != stem {
        return Err(err(
            file,
            key,
            format!("`{name}` must match the file name `{stem}`"),
        ));
    }
    Ok(())
}

/// `doc` is one non-empty line and `source` is not empty.
pub fn doc(file: &str, key: &str, doc: &str, source: &str) -> Result<(), SpecError> {
    if doc.trim().is_empty() {
        return Err(err(file, format!("{key}.doc"), "must not be empty"));
    }
    if doc.contains('\n') {
        return Err(err(file, format!("{key}.doc"), "must be one line"));
    }
    if source.trim().is_empty() {
        return Err(err(file, format!("{key}.source"), "must not be empty"));
    }
    Ok(())
}

/// Parses a wire type.
pub fn parse_type(file: &str, key: &str, ty: &str) -> Result<WireType, SpecError> {
    WireType::parse(ty).map_err(|rule| err(file, key, rule))
}

/// The enum or object a type names exists.
pub fn type_refs(file: &str, key: &str, ty: &WireType, spec: &Spec) -> Result<(), SpecError> {
    if let WireType::Enum(e) = ty {
        if !spec.enums.contains_key(e) {
            return Err(err(file, key, format!("unknown enum `{e}`")));
        }
    }
    if let Some(o) = ty.object_name() {
        if !spec.objects.contains_key(o) {
            return Err(err(file, key, format!("unknown object `{o}`")));
        }
    }
    Ok(())
}

/// Parses `format`, which applies to strings only.
pub fn format(
    file: &str,
    key: &str,
    format: Option<&str>,
    ty: &WireType,
) -> Result<Option<Format>, SpecError> {
    let Some(name) = format else {
        return Ok(None);
    };
    let f = Format::parse(name).map_err(|rule| err(file, format!("{key}.format"), rule))?;
    if !matches!(ty, WireType::Str(_)) {
        return Err(err(
            file,
            format!("{key}.format"),
            "`format` applies only to string types",
        ));
    }
    Ok(Some(f))
}

/// `min` and `max` apply to numbers only, and `min <= max`.
pub fn range(
    file: &str,
    key: &str,
    min: Option<u64>,
    max: Option<u64>,
    ty: &WireType,
) -> Result<(), SpecError> {
    if (min.is_some() || max.is_some()) && !matches!(ty, WireType::Int(_) | WireType::Amount) {
        return Err(err(
            file,
            format!("{key}.min"),
            "`min`/`max` apply only to integer and amount types",
        ));
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            return Err(err(file, format!("{key}.max"), "`max` is below `min`"));
        }
    }
    Ok(())
}
