//! Loading: reads the spec folder into the serde structs of [`crate::model`], then hands each
//! kind of file to its checker in [`crate::check`] and collects the typed [`Spec`].
//!
//! Order matters: enums and codes first, then objects (which may refer to enums and to each
//! other), responses (which may refer to objects), endpoints (which refer to all of them) and
//! reports.

use crate::check;
use crate::error::{SpecError, err};
use crate::ir::{Direction, Spec, StructKind};
use crate::model;
use crate::types::WireType;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The files of one folder, by stem: `(relative path, parsed file)`.
pub type Files<T> = BTreeMap<String, (String, T)>;

/// Reads and checks the spec folder.
pub fn load(dir: &Path) -> Result<Spec, SpecError> {
    let mut spec = Spec::default();
    let mut objects: Files<model::StructFile> = BTreeMap::new();
    let mut responses: Files<model::StructFile> = BTreeMap::new();
    let mut groups: Files<model::GroupFile> = BTreeMap::new();
    let mut endpoints: Files<model::EndpointFile> = BTreeMap::new();

    let enums: model::EnumsFile = read_toml(dir, "enums.toml", &mut spec.inputs)?;
    for (name, def) in enums.enums {
        let e = check::enums::check("enums.toml", &name, def)?;
        spec.enums.insert(name, e);
    }
    let codes: model::CodesFile = read_toml(dir, "response_codes.toml", &mut spec.inputs)?;
    spec.codes = check::codes::check(codes)?;

    for (rel, stem) in list(dir, "objects")? {
        let f: model::StructFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check::head_name(&rel, "object.name", &f.response.name, &stem)?;
        objects.insert(stem, (rel, f));
    }
    for (rel, stem) in list(dir, "responses")? {
        let f: model::StructFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check::head_name(&rel, "response.name", &f.response.name, &stem)?;
        responses.insert(stem, (rel, f));
    }
    for (rel, stem) in list(dir, "groups")? {
        let f: model::GroupFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check::head_name(&rel, "group.name", &f.group.name, &stem)?;
        check::doc(&rel, "group", &f.group.doc, &f.group.source)?;
        groups.insert(stem, (rel, f));
    }
    for (rel, stem) in list(dir, "api")? {
        let f: model::EndpointFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check::head_name(&rel, "endpoint.name", &f.endpoint.name, &stem)?;
        endpoints.insert(stem, (rel, f));
    }

    let request_objects = request_objects(&endpoints, &groups, &objects);
    for (stem, (rel, f)) in &objects {
        let direction = if request_objects.contains(stem) {
            Direction::Request
        } else {
            Direction::Response
        };
        let s = check::structs::check(rel, StructKind::Object, f, &objects, &spec, direction)?;
        spec.objects.insert(stem.clone(), s);
    }
    for (stem, (rel, f)) in &responses {
        let s = check::structs::check_response(rel, f, &responses, &spec)?;
        spec.responses.insert(stem.clone(), s);
    }
    for (stem, (rel, f)) in &endpoints {
        let e = check::endpoints::check(rel, f, &groups, &spec)?;
        spec.endpoints.insert(stem.clone(), e);
    }
    let filters: model::ReportFiltersFile =
        read_toml(dir, "report_filters.toml", &mut spec.inputs)?;
    spec.filter_operators = check::reports::check_filters("report_filters.toml", filters)?;
    for (rel, stem) in list(dir, "reports")? {
        let f: model::ReportFile = read_toml(dir, &rel, &mut spec.inputs)?;
        let r = check::reports::check(&rel, &stem, f)?;
        if spec.reports.insert(r.id, r).is_some() {
            return Err(err(&rel, "report.id", "duplicate report id"));
        }
    }
    spec.inputs.sort();
    Ok(spec)
}

/// The objects reached from requests (through endpoint and group params, and then through
/// their fields). Types that do not parse are skipped here and reported by the checkers.
fn request_objects(
    endpoints: &Files<model::EndpointFile>,
    groups: &Files<model::GroupFile>,
    objects: &Files<model::StructFile>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, f) in endpoints.values() {
        let mut params: Vec<&model::Param> = f.param.iter().collect();
        for g in &f.endpoint.include {
            if let Some((_, gf)) = groups.get(g) {
                params.extend(gf.param.iter());
            }
        }
        for p in params {
            if let Ok(ty) = WireType::parse(&p.ty) {
                collect_objects(&ty, objects, &mut out);
            }
        }
    }
    out
}

fn collect_objects(ty: &WireType, objects: &Files<model::StructFile>, out: &mut BTreeSet<String>) {
    if let Some(name) = ty.object_name() {
        if out.insert(name.to_owned()) {
            if let Some((_, f)) = objects.get(name) {
                for field in &f.field {
                    if let Ok(t) = WireType::parse(&field.ty) {
                        collect_objects(&t, objects, out);
                    }
                }
            }
        }
    }
}

fn read_toml<T: serde::de::DeserializeOwned>(
    dir: &Path,
    rel: &str,
    inputs: &mut Vec<PathBuf>,
) -> Result<T, SpecError> {
    let path = dir.join(rel);
    inputs.push(path.clone());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| err(rel, "(file)", format!("cannot be read: {e}")))?;
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().to_owned();
        let key = match e.span() {
            Some(span) => {
                let line = text[..span.start].matches('\n').count() + 1;
                format!("line {line}")
            }
            None => "(file)".to_owned(),
        };
        err(rel, key, msg)
    })
}

/// Lists `sub/*.toml`, sorted, as `(relative path, stem)`. A missing folder is empty.
fn list(dir: &Path, sub: &str) -> Result<Vec<(String, String)>, SpecError> {
    let folder = dir.join(sub);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(sub, "(folder)", format!("cannot be listed: {e}")))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".toml") {
            out.push((format!("{sub}/{name}"), stem.to_owned()));
        }
    }
    out.sort();
    Ok(out)
}
