//! `objects/<name>.toml` and `responses/<name>.toml`: structs, with `include`s resolved.

use super::{doc, format, parse_type, range, type_refs, wire_name};
use crate::error::{SpecError, err};
use crate::ir::{Direction, Item, Spec, Struct, StructKind};
use crate::load::Files;
use crate::model;
use std::collections::BTreeSet;

/// Checks an object or a response. `siblings` are the files of the same folder (for
/// `include`, and for objects that refer to objects not checked yet).
pub fn check(
    file: &str,
    kind: StructKind,
    f: &model::StructFile,
    siblings: &Files<model::StructFile>,
    spec: &Spec,
    direction: Direction,
) -> Result<Struct, SpecError> {
    let kind_name = kind.spelling();
    doc(file, kind_name, &f.response.doc, &f.response.source)?;
    let mut fields = Vec::new();
    let mut names = BTreeSet::new();
    let mut visiting = vec![f.response.name.clone()];
    add_included(file, kind_name, f, siblings, &mut visiting, &mut fields)?;
    let mut out = Vec::new();
    for (key, field) in fields {
        doc(file, &key, &field.doc, &field.source)?;
        wire_name(file, &format!("{key}.name"), &field.name)?;
        if !names.insert(field.name.clone()) {
            return Err(err(
                file,
                format!("{key}.name"),
                format!("duplicate field `{}`", field.name),
            ));
        }
        let tkey = format!("{key}.type");
        let ty = parse_type(file, &tkey, &field.ty)?;
        // Every wire type may be received; only sent ones have rules of their own.
        if direction == Direction::Request {
            ty.check_request(&field.name)
                .map_err(|rule| err(file, &tkey, rule))?;
        }
        if let Some(o) = ty.object_name() {
            let known = spec.objects.contains_key(o)
                || (kind == StructKind::Object && siblings.contains_key(o));
            if !known {
                return Err(err(file, &tkey, format!("unknown object `{o}`")));
            }
        } else {
            type_refs(file, &tkey, &ty, spec)?;
        }
        let format = format(file, &key, field.format.as_deref(), &ty)?;
        if field.required && direction == Direction::Response {
            return Err(err(
                file,
                format!("{key}.required"),
                "responses decode leniently: every response field is optional",
            ));
        }
        range(file, &key, field.min, field.max, &ty)?;
        out.push(Item {
            name: field.name.clone(),
            ty,
            required: field.required,
            gateway_required: field.required,
            generated: false,
            client_supplied: false,
            value: None,
            sensitive: field.sensitive,
            format,
            min: field.min,
            max: field.max,
            default: field.default.clone(),
            doc: field.doc.clone(),
            source: field.source.clone(),
        });
    }
    Ok(Struct {
        name: f.response.name.clone(),
        kind,
        doc: f.response.doc.clone(),
        source: f.response.source.clone(),
        fields: out,
        direction,
    })
}

/// Checks a response, after every object: as [`check`], and no field may hold an object that
/// is sent in requests (its type has a builder and validation, not lenient decoding).
pub fn check_response(
    file: &str,
    f: &model::StructFile,
    siblings: &Files<model::StructFile>,
    spec: &Spec,
) -> Result<Struct, SpecError> {
    let s = check(
        file,
        StructKind::Response,
        f,
        siblings,
        spec,
        Direction::Response,
    )?;
    for (i, field) in s.fields.iter().enumerate() {
        if let Some(obj) = field.ty.object_name() {
            if spec.objects[obj].direction == Direction::Request {
                return Err(err(
                    file,
                    format!("field[{i}].type"),
                    format!(
                        "object `{obj}` is sent in requests and cannot also be a response field; give the response its own object"
                    ),
                ));
            }
        }
    }
    Ok(s)
}

/// The fields of `f`, included structs' first (depth first), each with its key path.
fn add_included(
    file: &str,
    kind: &str,
    f: &model::StructFile,
    siblings: &Files<model::StructFile>,
    visiting: &mut Vec<String>,
    out: &mut Vec<(String, model::Field)>,
) -> Result<(), SpecError> {
    for (i, inc) in f.response.include.iter().enumerate() {
        let key = format!("{kind}.include[{i}]");
        if visiting.contains(inc) {
            return Err(err(file, key, format!("`{inc}` is included in a cycle")));
        }
        let Some((_, inner)) = siblings.get(inc) else {
            return Err(err(file, key, format!("unknown {kind} `{inc}`")));
        };
        visiting.push(inc.clone());
        let start = out.len();
        add_included(file, kind, inner, siblings, visiting, out)?;
        visiting.pop();
        for (k, _) in &mut out[start..] {
            *k = format!("{key}→{inc}.{k}");
        }
    }
    for (j, field) in f.field.iter().enumerate() {
        out.push((format!("field[{j}]"), field.clone()));
    }
    Ok(())
}
