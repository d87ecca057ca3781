//! `enums.toml`: open enums of wire values.

use super::{doc, is_snake};
use crate::error::{SpecError, err};
use crate::ir::{Enum, EnumValue};
use crate::model;
use crate::naming::camel;
use std::collections::BTreeSet;

fn is_rust_type_name(s: &str) -> bool {
    matches!(s.chars().next(), Some('A'..='Z')) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Checks `[enum.NAME]`: a snake_case name, documentation, and values with unique wire names
/// and unique, usable variant names (`Unknown` is taken by the generated catch-all).
pub fn check(file: &str, name: &str, def: model::EnumDef) -> Result<Enum, SpecError> {
    let key = format!("enum.{name}");
    if !is_snake(name) {
        return Err(err(file, &key, format!("`{name}` is not snake_case")));
    }
    doc(file, &key, &def.doc, &def.source)?;
    if def.values.is_empty() {
        return Err(err(file, format!("{key}.values"), "must not be empty"));
    }
    let mut wires = BTreeSet::new();
    let mut variants = BTreeSet::new();
    let mut values = Vec::new();
    for (i, v) in def.values.into_iter().enumerate() {
        let vkey = format!("{key}.values[{i}]");
        if v.doc.trim().is_empty() {
            return Err(err(file, format!("{vkey}.doc"), "must not be empty"));
        }
        if !wires.insert(v.wire.clone()) {
            return Err(err(
                file,
                format!("{vkey}.wire"),
                format!("duplicate value `{}`", v.wire),
            ));
        }
        let variant = v.rust.clone().unwrap_or_else(|| camel(&v.wire));
        if !is_rust_type_name(&variant) || variant == "Unknown" {
            return Err(err(
                file,
                format!("{vkey}.rust"),
                format!(
                    "`{variant}` is not a usable variant name; set `rust` to an UpperCamelCase name"
                ),
            ));
        }
        if !variants.insert(variant.clone()) {
            return Err(err(
                file,
                format!("{vkey}.rust"),
                format!("duplicate variant `{variant}`"),
            ));
        }
        values.push(EnumValue {
            wire: v.wire,
            variant,
            doc: v.doc,
        });
    }
    Ok(Enum {
        name: name.to_owned(),
        doc: def.doc,
        source: def.source,
        values,
    })
}
