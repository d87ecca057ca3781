//! Loads the spec folder, checks every rule of `spec/README.md`, and resolves references into
//! the [`Spec`] model the emitters work from. Every failure is a [`SpecError`] naming the file,
//! the key and the rule.

use crate::model;
use crate::types::{Format, WireType};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// A spec that breaks a rule: which file, which key, which rule.
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

fn err(file: &str, key: impl Into<String>, rule: impl Into<String>) -> SpecError {
    SpecError {
        file: file.to_owned(),
        key: key.into(),
        rule: rule.into(),
    }
}

/// The checked, resolved spec.
#[derive(Debug, Default)]
pub struct Spec {
    /// Enums by spec name.
    pub enums: BTreeMap<String, Enum>,
    /// Response codes, by code.
    pub codes: Vec<Code>,
    /// Nested objects by spec name.
    pub objects: BTreeMap<String, Struct>,
    /// Responses by spec name.
    pub responses: BTreeMap<String, Struct>,
    /// Endpoints by spec name.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Reports by id.
    pub reports: BTreeMap<u32, Report>,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
}

/// A checked enum.
#[derive(Debug)]
pub struct Enum {
    pub name: String,
    pub doc: String,
    pub source: String,
    /// `(wire, rust variant, doc)`.
    pub values: Vec<(String, String, String)>,
}

/// A checked response code.
#[derive(Debug)]
pub struct Code {
    pub code: u32,
    pub name: String,
    pub message: String,
    pub decline: bool,
}

/// Whether a struct is sent (an object inside a request) or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

/// A checked object or response.
#[derive(Debug)]
pub struct Struct {
    pub name: String,
    pub doc: String,
    pub source: String,
    pub fields: Vec<Item>,
    pub direction: Direction,
}

/// A checked parameter or field.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub ty: WireType,
    pub required: bool,
    /// Whether the gateway itself rejects the request without it (`required` minus
    /// `gateway_optional`).
    pub gateway_required: bool,
    pub generated: bool,
    pub client_supplied: bool,
    pub value: Option<String>,
    pub sensitive: bool,
    pub format: Option<Format>,
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub default: Option<String>,
    pub doc: String,
    pub source: String,
}

impl Item {
    /// Whether the generated struct has a field for it.
    pub fn is_struct_field(&self) -> bool {
        !self.client_supplied && self.value.is_none()
    }
}

/// A checked endpoint.
#[derive(Debug)]
pub struct Endpoint {
    pub name: String,
    pub path: String,
    pub host: String,
    pub protocol: String,
    pub signing_key: String,
    pub effect: String,
    pub response: String,
    pub response_shape: String,
    pub response_signed: bool,
    /// The fields a success reply may carry without a signature (a 3-D Secure challenge).
    pub unsigned_fields: Vec<String>,
    pub doc: String,
    pub source: String,
    pub params: Vec<Item>,
}

/// A checked report.
#[derive(Debug)]
pub struct Report {
    pub id: u32,
    pub name: String,
    pub doc: String,
    pub mandatory_filters: Vec<Vec<String>>,
    /// `(name, filter family, documented wire type, doc)`.
    pub fields: Vec<(String, String, String, String)>,
}

const FILTER_FAMILIES: &[&str] = &[
    "float",
    "int",
    "date",
    "text",
    "bool",
    "select",
    "array",
    "daterange",
];

/// Reads and checks the spec folder.
pub fn load(dir: &Path) -> Result<Spec, SpecError> {
    let mut spec = Spec::default();
    let mut raw_objects = BTreeMap::new();
    let mut raw_responses = BTreeMap::new();
    let mut raw_groups = BTreeMap::new();
    let mut raw_endpoints = BTreeMap::new();

    let enums: model::EnumsFile = read_toml(dir, "enums.toml", &mut spec.inputs)?;
    for (name, def) in enums.enums {
        let e = check_enum("enums.toml", &name, def)?;
        spec.enums.insert(name, e);
    }
    let codes: model::CodesFile = read_toml(dir, "response_codes.toml", &mut spec.inputs)?;
    spec.codes = check_codes(codes)?;

    for (rel, stem) in list(dir, "objects")? {
        let f: model::StructFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check_head_name(&rel, "object.name", &f.response.name, &stem)?;
        raw_objects.insert(stem, (rel, f));
    }
    for (rel, stem) in list(dir, "responses")? {
        let f: model::StructFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check_head_name(&rel, "response.name", &f.response.name, &stem)?;
        raw_responses.insert(stem, (rel, f));
    }
    for (rel, stem) in list(dir, "groups")? {
        let f: model::GroupFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check_head_name(&rel, "group.name", &f.group.name, &stem)?;
        check_doc(&rel, "group", &f.group.doc, &f.group.source)?;
        raw_groups.insert(stem, (rel, f));
    }
    for (rel, stem) in list(dir, "api")? {
        let f: model::EndpointFile = read_toml(dir, &rel, &mut spec.inputs)?;
        check_head_name(&rel, "endpoint.name", &f.endpoint.name, &stem)?;
        raw_endpoints.insert(stem, (rel, f));
    }

    // Which objects are reached from requests, and which from responses.
    let mut request_objects = BTreeSet::new();
    for (_, f) in raw_endpoints.values() {
        let mut params: Vec<&model::Param> = f.param.iter().collect();
        for g in &f.endpoint.include {
            if let Some((_, gf)) = raw_groups.get(g) {
                params.extend(gf.param.iter());
            }
        }
        for p in params {
            if let Ok(ty) = WireType::parse(&p.ty) {
                collect_objects(&ty, &raw_objects, &mut request_objects);
            }
        }
    }

    for (stem, (rel, f)) in &raw_objects {
        let direction = if request_objects.contains(stem) {
            Direction::Request
        } else {
            Direction::Response
        };
        let s = check_struct(rel, "object", f, &raw_objects, &spec, direction)?;
        spec.objects.insert(stem.clone(), s);
    }
    // A response-direction object used from a request was caught above; now the reverse.
    for (stem, (rel, f)) in &raw_responses {
        let s = check_struct(
            rel,
            "response",
            f,
            &raw_responses,
            &spec,
            Direction::Response,
        )?;
        for (i, field) in s.fields.iter().enumerate() {
            if let Some(obj) = field.ty.object_name() {
                if spec.objects[obj].direction == Direction::Request {
                    return Err(err(
                        rel,
                        format!("field[{i}].type"),
                        format!(
                            "object `{obj}` is sent in requests and cannot also be a response field; give the response its own object"
                        ),
                    ));
                }
            }
        }
        spec.responses.insert(stem.clone(), s);
    }

    for (stem, (rel, f)) in &raw_endpoints {
        let e = check_endpoint(rel, f, &raw_groups, &spec)?;
        spec.endpoints.insert(stem.clone(), e);
    }

    for (rel, stem) in list(dir, "reports")? {
        let f: model::ReportFile = read_toml(dir, &rel, &mut spec.inputs)?;
        let r = check_report(&rel, &stem, f)?;
        if spec.reports.insert(r.id, r).is_some() {
            return Err(err(&rel, "report.id", "duplicate report id"));
        }
    }
    spec.inputs.sort();
    Ok(spec)
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

fn is_snake(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.ends_with('_')
        && !s.contains("__")
}

/// Wire names are what the gateway uses; they must make valid Rust identifiers.
fn check_wire_name(file: &str, key: &str, s: &str) -> Result<(), SpecError> {
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

fn check_head_name(file: &str, key: &str, name: &str, stem: &str) -> Result<(), SpecError> {
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

fn check_doc(file: &str, key: &str, doc: &str, source: &str) -> Result<(), SpecError> {
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

/// `snake_case` or free text (`p2p credit`) to `UpperCamelCase`.
pub fn camel(s: &str) -> String {
    s.split(['_', ' ', '-', '/', '.'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn is_rust_type_name(s: &str) -> bool {
    matches!(s.chars().next(), Some('A'..='Z')) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn check_enum(file: &str, name: &str, def: model::EnumDef) -> Result<Enum, SpecError> {
    let key = format!("enum.{name}");
    if !is_snake(name) {
        return Err(err(file, &key, format!("`{name}` is not snake_case")));
    }
    check_doc(file, &key, &def.doc, &def.source)?;
    if def.values.is_empty() {
        return Err(err(file, format!("{key}.values"), "must not be empty"));
    }
    let mut wires = BTreeSet::new();
    let mut rusts = BTreeSet::new();
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
        let rust = v.rust.clone().unwrap_or_else(|| camel(&v.wire));
        if !is_rust_type_name(&rust) || rust == "Unknown" {
            return Err(err(
                file,
                format!("{vkey}.rust"),
                format!(
                    "`{rust}` is not a usable variant name; set `rust` to an UpperCamelCase name"
                ),
            ));
        }
        if !rusts.insert(rust.clone()) {
            return Err(err(
                file,
                format!("{vkey}.rust"),
                format!("duplicate variant `{rust}`"),
            ));
        }
        values.push((v.wire, rust, v.doc));
    }
    Ok(Enum {
        name: name.to_owned(),
        doc: def.doc,
        source: def.source,
        values,
    })
}

fn check_codes(f: model::CodesFile) -> Result<Vec<Code>, SpecError> {
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
        let decline = match c.kind.as_str() {
            "decline" => true,
            "error" => false,
            other => {
                return Err(err(
                    file,
                    format!("{key}.kind"),
                    format!("`{other}` must be \"decline\" or \"error\""),
                ));
            }
        };
        if c.source.trim().is_empty() {
            return Err(err(file, format!("{key}.source"), "must not be empty"));
        }
        out.push(Code {
            code: c.code,
            name: c.name,
            message: c.message,
            decline,
        });
    }
    out.sort_by_key(|c| c.code);
    Ok(out)
}

fn collect_objects(
    ty: &WireType,
    raw: &BTreeMap<String, (String, model::StructFile)>,
    out: &mut BTreeSet<String>,
) {
    if let Some(name) = ty.object_name() {
        if out.insert(name.to_owned()) {
            if let Some((_, f)) = raw.get(name) {
                for field in &f.field {
                    if let Ok(t) = WireType::parse(&field.ty) {
                        collect_objects(&t, raw, out);
                    }
                }
            }
        }
    }
}

fn parse_type(file: &str, key: &str, ty: &str) -> Result<WireType, SpecError> {
    WireType::parse(ty).map_err(|rule| err(file, key, rule))
}

fn check_type_refs(file: &str, key: &str, ty: &WireType, spec: &Spec) -> Result<(), SpecError> {
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

fn check_struct(
    file: &str,
    kind: &str,
    f: &model::StructFile,
    siblings: &BTreeMap<String, (String, model::StructFile)>,
    spec: &Spec,
    direction: Direction,
) -> Result<Struct, SpecError> {
    check_doc(file, kind, &f.response.doc, &f.response.source)?;
    let mut fields = Vec::new();
    let mut names = BTreeSet::new();
    let mut visiting = vec![f.response.name.clone()];
    add_included(file, kind, f, siblings, &mut visiting, &mut fields)?;
    let mut out = Vec::new();
    for (key, field) in fields {
        check_doc(file, &key, &field.doc, &field.source)?;
        check_wire_name(file, &format!("{key}.name"), &field.name)?;
        if !names.insert(field.name.clone()) {
            return Err(err(
                file,
                format!("{key}.name"),
                format!("duplicate field `{}`", field.name),
            ));
        }
        let tkey = format!("{key}.type");
        let ty = parse_type(file, &tkey, &field.ty)?;
        if direction == Direction::Request {
            ty.check_request(&field.name)
                .map_err(|rule| err(file, &tkey, rule))?;
        } else {
            ty.check_response().map_err(|rule| err(file, &tkey, rule))?;
        }
        if let Some(o) = ty.object_name() {
            let known =
                spec.objects.contains_key(o) || (kind == "object" && siblings.contains_key(o));
            if !known {
                return Err(err(file, &tkey, format!("unknown object `{o}`")));
            }
        } else {
            check_type_refs(file, &tkey, &ty, spec)?;
        }
        let format = parse_format(file, &key, field.format.as_deref(), &ty)?;
        if field.required && direction == Direction::Response {
            return Err(err(
                file,
                format!("{key}.required"),
                "responses decode leniently: every response field is optional",
            ));
        }
        check_range(file, &key, field.min, field.max, &ty)?;
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
        doc: f.response.doc.clone(),
        source: f.response.source.clone(),
        fields: out,
        direction,
    })
}

fn add_included(
    file: &str,
    kind: &str,
    f: &model::StructFile,
    siblings: &BTreeMap<String, (String, model::StructFile)>,
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

fn parse_format(
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

fn check_range(
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

fn check_endpoint(
    file: &str,
    f: &model::EndpointFile,
    groups: &BTreeMap<String, (String, model::GroupFile)>,
    spec: &Spec,
) -> Result<Endpoint, SpecError> {
    let h = &f.endpoint;
    check_doc(file, "endpoint", &h.doc, &h.source)?;
    let one_of = |key: &str, v: &str, allowed: &[&str]| -> Result<(), SpecError> {
        if allowed.contains(&v) {
            Ok(())
        } else {
            Err(err(
                file,
                format!("endpoint.{key}"),
                format!("`{v}` must be one of {}", allowed.join(", ")),
            ))
        }
    };
    one_of("host", &h.host, &["pay", "portal"])?;
    one_of("protocol", &h.protocol, &["1.0", "2.0", "either"])?;
    one_of(
        "signing_key",
        &h.signing_key,
        &["merchant", "credit", "reports_app", "reports_token"],
    )?;
    one_of("effect", &h.effect, &["read", "write", "money"])?;
    one_of(
        "response_shape",
        &h.response_shape,
        &["flat", "array", "envelope"],
    )?;
    if !h.path.starts_with('/') || h.path.contains(char::is_whitespace) {
        return Err(err(
            file,
            "endpoint.path",
            "must start with `/` and contain no spaces",
        ));
    }
    if !spec.responses.contains_key(&h.response) {
        return Err(err(
            file,
            "endpoint.response",
            format!("unknown response `{}`", h.response),
        ));
    }
    if h.response_shape == "envelope" && h.protocol != "2.0" {
        return Err(err(
            file,
            "endpoint.response_shape",
            "an envelope response needs protocol \"2.0\"",
        ));
    }
    check_unsigned_fields(file, h, &spec.responses[&h.response])?;

    let mut params: Vec<(String, &model::Param)> = Vec::new();
    for (i, g) in h.include.iter().enumerate() {
        let Some((_, gf)) = groups.get(g) else {
            return Err(err(
                file,
                format!("endpoint.include[{i}]"),
                format!("unknown group `{g}`"),
            ));
        };
        for (j, p) in gf.param.iter().enumerate() {
            params.push((format!("include[{i}]→{g}.param[{j}]"), p));
        }
    }
    // An endpoint's own param of the same name replaces the group's; its own names are unique.
    let mut own = BTreeSet::new();
    for (j, p) in f.param.iter().enumerate() {
        if !own.insert(p.name.as_str()) {
            return Err(err(
                file,
                format!("param[{j}].name"),
                format!("duplicate param `{}`", p.name),
            ));
        }
        params.retain(|(_, q)| q.name != p.name);
        params.push((format!("param[{j}]"), p));
    }

    let mut out = Vec::new();
    for (key, p) in params {
        check_doc(file, &key, &p.doc, &p.source)?;
        check_wire_name(file, &format!("{key}.name"), &p.name)?;
        let tkey = format!("{key}.type");
        let ty = parse_type(file, &tkey, &p.ty)?;
        ty.check_request(&p.name)
            .map_err(|rule| err(file, &tkey, rule))?;
        check_type_refs(file, &tkey, &ty, spec)?;
        if ty.is_nested() && h.protocol != "2.0" {
            return Err(err(
                file,
                &tkey,
                format!(
                    "nested type `{}` needs protocol \"2.0\": protocol 1.0 signs flat values only",
                    p.ty
                ),
            ));
        }
        if p.gateway_optional && !p.required {
            return Err(err(
                file,
                format!("{key}.gateway_optional"),
                "`gateway_optional` marks a param this SDK requires; it needs `required = true`",
            ));
        }
        if p.value.is_some() && p.required {
            return Err(err(
                file,
                format!("{key}.value"),
                "a fixed `value` is always sent; do not also mark it `required`",
            ));
        }
        if p.generated && !matches!(ty, WireType::OrderId) {
            return Err(err(
                file,
                format!("{key}.generated"),
                "only an `order_id` can be generated",
            ));
        }
        let client_supplied = match p.supplied_by.as_deref() {
            None => false,
            Some("client") => true,
            Some(other) => {
                return Err(err(
                    file,
                    format!("{key}.supplied_by"),
                    format!("`{other}` must be \"client\""),
                ));
            }
        };
        if client_supplied && p.value.is_some() {
            return Err(err(
                file,
                format!("{key}.value"),
                "a client-supplied param cannot have a fixed value",
            ));
        }
        let format = parse_format(file, &key, p.format.as_deref(), &ty)?;
        check_range(file, &key, p.min, p.max, &ty)?;
        out.push(Item {
            name: p.name.clone(),
            ty,
            required: p.required,
            gateway_required: p.required && !p.gateway_optional,
            generated: p.generated,
            client_supplied,
            value: p.value.clone(),
            sensitive: p.sensitive,
            format,
            min: p.min,
            max: p.max,
            default: p.default.clone(),
            doc: p.doc.clone(),
            source: p.source.clone(),
        });
    }
    Ok(Endpoint {
        name: h.name.clone(),
        path: h.path.clone(),
        host: h.host.clone(),
        protocol: h.protocol.clone(),
        signing_key: h.signing_key.clone(),
        effect: h.effect.clone(),
        response: h.response.clone(),
        response_shape: h.response_shape.clone(),
        response_signed: h.response_signed,
        unsigned_fields: h.unsigned_fields.clone(),
        doc: h.doc.clone(),
        source: h.source.clone(),
        params: out,
    })
}

/// `unsigned_fields` narrows `response_signed`: only a signed endpoint can list them, and
/// each must be a field of its response.
fn check_unsigned_fields(
    file: &str,
    h: &model::EndpointHead,
    response: &Struct,
) -> Result<(), SpecError> {
    for (i, name) in h.unsigned_fields.iter().enumerate() {
        let key = format!("endpoint.unsigned_fields[{i}]");
        if !h.response_signed {
            return Err(err(
                file,
                key,
                "only an endpoint with `response_signed = true` can list unsigned fields",
            ));
        }
        if !response.fields.iter().any(|f| &f.name == name) {
            return Err(err(
                file,
                key,
                format!("`{name}` is not a field of response `{}`", h.response),
            ));
        }
    }
    Ok(())
}

fn check_report(file: &str, stem: &str, f: model::ReportFile) -> Result<Report, SpecError> {
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
    check_doc(file, "report", &f.report.doc, &f.report.source)?;
    let mut names = BTreeSet::new();
    let mut fields = Vec::new();
    for (i, field) in f.field.into_iter().enumerate() {
        let key = format!("field[{i}]");
        check_wire_name(file, &format!("{key}.name"), &field.name)?;
        if !names.insert(field.name.clone()) {
            return Err(err(file, format!("{key}.name"), "duplicate field"));
        }
        if !FILTER_FAMILIES.contains(&field.ty.as_str()) {
            return Err(err(
                file,
                format!("{key}.type"),
                format!(
                    "`{}` must be a filter family: {}",
                    field.ty,
                    FILTER_FAMILIES.join(", ")
                ),
            ));
        }
        if field.doc.trim().is_empty() {
            return Err(err(file, format!("{key}.doc"), "must not be empty"));
        }
        fields.push((field.name, field.ty, field.wire, field.doc));
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
