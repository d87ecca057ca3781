//! The spec files as they are written: one serde struct per kind of TOML file.
//!
//! Every struct denies unknown keys, so a typo in the spec is a build error instead of a
//! silently ignored rule. Resolution and checking happen in [`crate::check`].

use serde::Deserialize;
use std::collections::BTreeMap;

/// `api/<name>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointFile {
    pub endpoint: EndpointHead,
    #[serde(default)]
    pub param: Vec<Param>,
}

/// The `[endpoint]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointHead {
    pub name: String,
    pub path: String,
    #[serde(default = "default_host")]
    pub host: String,
    pub protocol: String,
    pub signing_key: String,
    pub effect: String,
    pub response: String,
    pub response_shape: String,
    pub response_signed: bool,
    #[serde(default)]
    pub unsigned_fields: Vec<String>,
    #[serde(default)]
    pub split_total: Option<String>,
    #[serde(default)]
    pub include: Vec<String>,
    pub doc: String,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

fn default_host() -> String {
    "pay".to_owned()
}

/// `groups/<name>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFile {
    pub group: GroupHead,
    #[serde(default)]
    pub param: Vec<Param>,
}

/// The `[group]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupHead {
    pub name: String,
    pub doc: String,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

/// A `[[param]]` of an endpoint or a group.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub gateway_optional: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub generated: bool,
    #[serde(default)]
    pub supplied_by: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
    pub doc: String,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

/// `responses/<name>.toml` (`[response]`) and `objects/<name>.toml` (`[object]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructFile {
    #[serde(alias = "object")]
    pub response: StructHead,
    #[serde(default)]
    pub field: Vec<Field>,
}

/// The `[response]` or `[object]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructHead {
    pub name: String,
    pub doc: String,
    pub source: String,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

/// A `[[field]]` of a response or an object.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
    #[serde(default)]
    pub default: Option<String>,
    pub doc: String,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

/// `enums.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumsFile {
    #[serde(rename = "enum", default)]
    pub enums: BTreeMap<String, EnumDef>,
}

/// One `[enum.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDef {
    pub doc: String,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
    pub values: Vec<EnumValue>,
}

/// One value of an enum.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub wire: String,
    #[serde(default)]
    pub rust: Option<String>,
    pub doc: String,
}

/// `response_codes.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesFile {
    #[serde(default)]
    pub code: Vec<ResponseCode>,
}

/// One `[[code]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseCode {
    pub code: u32,
    pub name: String,
    pub message: String,
    pub kind: String,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

/// `report_filters.toml`: the operators of each filter family.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFiltersFile {
    pub family: BTreeMap<String, FilterFamilyDef>,
}

/// One `[family.<name>]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterFamilyDef {
    pub operators: Vec<String>,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

/// `reports/<id>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFile {
    pub report: ReportHead,
    #[serde(default)]
    pub field: Vec<ReportField>,
}

/// The `[report]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportHead {
    pub id: u32,
    pub name: String,
    pub doc: String,
    pub source: String,
    #[serde(default)]
    pub mandatory_filters: Vec<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}

/// One `[[field]]` of a report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportField {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub wire: String,
    pub doc: String,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub source: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // for people reading the spec; not emitted
    pub note: Option<String>,
}
