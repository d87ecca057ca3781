//! `reports/<id>.toml`: Reports API reports.

use super::{doc, is_snake, wire_name};
use crate::error::{SpecError, err};
use crate::ir::{FilterFamily, Report, ReportField};
use crate::model;
use std::collections::BTreeSet;

/// Checks a report: its id matches the file name, fields have unique wire names and a known
/// filter family, and every mandatory filter names a field.
pub fn check(file: &str, stem: &str, f: model::ReportFile) -> Result<Report, SpecError> {
    if f.report.id.to_string() != stem {
        return Err(err(
            file,
            "report.id",
            format!("{} must match the file name `{stem}`", f.report.id),
        ));
    }
    if !is_snake(&f.report.name) {
        return Err(err(file, "report.name", "is not snake_case"));
    }
    doc(file, "report", &f.report.doc, &f.report.source)?;
    let mut names = BTreeSet::new();
    let mut fields = Vec::new();
    for (i, field) in f.field.into_iter().enumerate() {
        let key = format!("field[{i}]");
        wire_name(file, &format!("{key}.name"), &field.name)?;
        if !names.insert(field.name.clone()) {
            return Err(err(file, format!("{key}.name"), "duplicate field"));
        }
        let Some(family) = FilterFamily::parse(&field.ty) else {
            return Err(err(
                file,
                format!("{key}.type"),
                format!(
                    "`{}` must be a filter family: {}",
                    field.ty,
                    FilterFamily::spellings()
                ),
            ));
        };
        if field.doc.trim().is_empty() {
            return Err(err(file, format!("{key}.doc"), "must not be empty"));
        }
        fields.push(ReportField {
            name: field.name,
            family,
            wire: field.wire,
            doc: field.doc,
        });
    }
    for (i, set) in f.report.mandatory_filters.iter().enumerate() {
        for name in set {
            if !names.contains(name) {
                return Err(err(
                    file,
                    format!("report.mandatory_filters[{i}]"),
                    format!("`{name}` is not a field of this report"),
                ));
            }
        }
    }
    Ok(Report {
        id: f.report.id,
        name: f.report.name,
        doc: f.report.doc,
        mandatory_filters: f.report.mandatory_filters,
        fields,
    })
}

/// Checks the filter families' operators: every family of [`FilterFamily::ALL`] once, none
/// unknown, each with a source and at least one operator, no operator twice or blank.
pub fn check_filters(
    file: &str,
    f: model::ReportFiltersFile,
) -> Result<Vec<(FilterFamily, Vec<String>)>, SpecError> {
    let mut out = Vec::new();
    for (name, def) in f.family {
        let key = format!("family.{name}");
        let Some(family) = FilterFamily::parse(&name) else {
            return Err(err(
                file,
                key,
                format!(
                    "`{name}` is not a filter family: {}",
                    FilterFamily::spellings()
                ),
            ));
        };
        if def.source.trim().is_empty() {
            return Err(err(file, format!("{key}.source"), "must not be empty"));
        }
        if def.operators.is_empty() {
            return Err(err(file, format!("{key}.operators"), "must not be empty"));
        }
        let mut seen = BTreeSet::new();
        for op in &def.operators {
            if op.is_empty() || op.chars().any(char::is_whitespace) {
                return Err(err(
                    file,
                    format!("{key}.operators"),
                    format!("`{op}` must be a word without spaces"),
                ));
            }
            if !seen.insert(op.as_str()) {
                return Err(err(
                    file,
                    format!("{key}.operators"),
                    format!("`{op}` is listed twice"),
                ));
            }
        }
        out.push((family, def.operators));
    }
    for family in FilterFamily::ALL {
        if !out.iter().any(|(f, _)| f == family) {
            return Err(err(
                file,
                format!("family.{}", family.spelling()),
                "is missing: every filter family needs its operators",
            ));
        }
    }
    out.sort_by_key(|(f, _)| *f);
    Ok(out)
}
