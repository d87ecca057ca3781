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
