//! Each kind of bad spec gives a build error naming the file, the key and the rule.

use std::path::{Path, PathBuf};

/// A copy of the sample spec in a fresh temporary folder, removed on drop.
struct SpecCopy(PathBuf);

impl SpecCopy {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "flitt-codegen-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sample_spec"),
            &dir,
        );
        Self(dir)
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.0.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    fn append(&self, file: &str, extra: &str) {
        let path = self.0.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text + extra).unwrap();
    }

    fn error(&self) -> String {
        match flitt_codegen::generate(&self.0) {
            Ok(_) => panic!("the spec should be refused"),
            Err(e) => e.to_string(),
        }
    }
}

impl Drop for SpecCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn assert_error(spec: &SpecCopy, file: &str, key: &str, rule: &str) {
    let e = spec.error();
    assert!(e.starts_with(&format!("spec/{file}: `{key}`")), "{e}");
    assert!(e.contains(rule), "{e}");
}

#[test]
fn the_sample_spec_is_valid() {
    let s = SpecCopy::new("valid");
    assert!(flitt_codegen::generate(&s.0).is_ok());
}

#[test]
fn unknown_key_is_refused_with_its_line() {
    let s = SpecCopy::new("unknown-key");
    s.edit(
        "api/status.toml",
        "response_signed = true",
        "response_signed = true\nretries = 3",
    );
    assert_error(&s, "api/status.toml", "line 10", "unknown field `retries`");
}

#[test]
fn unknown_type() {
    let s = SpecCopy::new("unknown-type");
    s.edit(
        "api/status.toml",
        "type = \"string(19)\"",
        "type = \"strin(19)\"",
    );
    assert_error(
        &s,
        "api/status.toml",
        "param[2].type",
        "unknown type `strin(19)`",
    );
}

#[test]
fn zero_length_string() {
    let s = SpecCopy::new("zero");
    s.edit("api/status.toml", "string(19)", "string(0)");
    assert_error(
        &s,
        "api/status.toml",
        "param[2].type",
        "the bound must be at least 1",
    );
}

#[test]
fn unknown_enum() {
    let s = SpecCopy::new("unknown-enum");
    s.edit(
        "responses/order.toml",
        "enum(order_status)",
        "enum(order_state)",
    );
    assert_error(
        &s,
        "responses/order.toml",
        "field[1].type",
        "unknown enum `order_state`",
    );
}

#[test]
fn unknown_date_format() {
    let s = SpecCopy::new("date");
    s.edit("api/status.toml", "DD.MM.YYYY HH:MM:SS", "MM/DD/YYYY");
    assert_error(
        &s,
        "api/status.toml",
        "param[3].type",
        "unknown date format `MM/DD/YYYY`",
    );
}

#[test]
fn nested_type_needs_protocol_two() {
    let s = SpecCopy::new("nested");
    s.edit(
        "api/subscribe.toml",
        "protocol = \"2.0\"",
        "protocol = \"either\"",
    );
    s.edit(
        "api/subscribe.toml",
        "response_shape = \"envelope\"",
        "response_shape = \"flat\"",
    );
    assert_error(
        &s,
        "api/subscribe.toml",
        "param[0].type",
        "needs protocol \"2.0\"",
    );
}

#[test]
fn missing_doc() {
    let s = SpecCopy::new("doc");
    s.edit("api/status.toml", "doc = \"The order.\"", "doc = \"\"");
    assert_error(&s, "api/status.toml", "param[0].doc", "must not be empty");
}

#[test]
fn missing_source_key() {
    let s = SpecCopy::new("source");
    s.edit(
        "objects/schedule.toml",
        "doc = \"The period.\"\nsource = \"sample\"",
        "doc = \"The period.\"",
    );
    assert_error(
        &s,
        "objects/schedule.toml",
        "line 14",
        "missing field `source`",
    );
}

#[test]
fn name_must_match_file() {
    let s = SpecCopy::new("stem");
    s.edit(
        "api/status.toml",
        "name = \"status\"",
        "name = \"order_status\"",
    );
    assert_error(
        &s,
        "api/status.toml",
        "endpoint.name",
        "must match the file name `status`",
    );
}

#[test]
fn name_must_be_snake_case() {
    let s = SpecCopy::new("snake");
    s.edit("api/status.toml", "name = \"status\"", "name = \"Status\"");
    assert_error(&s, "api/status.toml", "endpoint.name", "is not snake_case");
}

#[test]
fn duplicate_param() {
    let s = SpecCopy::new("dup");
    s.append(
        "api/status.toml",
        "\n[[param]]\nname = \"card_number\"\ntype = \"string(19)\"\ndoc = \"Again.\"\nsource = \"sample\"\n",
    );
    // An endpoint's own param may replace a group's, but not repeat its own.
    assert_error(
        &s,
        "api/status.toml",
        "param[4].name",
        "duplicate param `card_number`",
    );
}

#[test]
fn value_with_required() {
    let s = SpecCopy::new("value");
    s.edit(
        "api/checkout.toml",
        "value = \"Y\"",
        "value = \"Y\"\nrequired = true",
    );
    assert_error(
        &s,
        "api/checkout.toml",
        "param[3].value",
        "do not also mark it `required`",
    );
}

#[test]
fn generated_only_on_order_id() {
    let s = SpecCopy::new("generated");
    s.edit(
        "api/checkout.toml",
        "default = \"N\"",
        "default = \"N\"\ngenerated = true",
    );
    assert_error(
        &s,
        "api/checkout.toml",
        "param[0].generated",
        "only an `order_id` can be generated",
    );
}

#[test]
fn unknown_response_and_group() {
    let s = SpecCopy::new("refs");
    s.edit(
        "api/status.toml",
        "response = \"order\"",
        "response = \"orders\"",
    );
    assert_error(
        &s,
        "api/status.toml",
        "endpoint.response",
        "unknown response `orders`",
    );
    let s = SpecCopy::new("group");
    s.edit(
        "api/checkout.toml",
        "[\"order_basics\"]",
        "[\"order_base\"]",
    );
    assert_error(
        &s,
        "api/checkout.toml",
        "endpoint.include[0]",
        "unknown group `order_base`",
    );
}

#[test]
fn bad_enum_values() {
    let s = SpecCopy::new("enum-dup");
    s.edit("enums.toml", "{ wire = \"month\"", "{ wire = \"day\"");
    assert_error(
        &s,
        "enums.toml",
        "enum.period.values[1].wire",
        "duplicate value `day`",
    );
    let s = SpecCopy::new("enum-name");
    s.edit("enums.toml", "{ wire = \"month\"", "{ wire = \"5\"");
    assert_error(&s, "enums.toml", "enum.period.values[1].rust", "set `rust`");
}

#[test]
fn duplicate_response_code() {
    let s = SpecCopy::new("codes");
    s.edit("response_codes.toml", "code = 1014", "code = 1000");
    assert_error(
        &s,
        "response_codes.toml",
        "code[1].code",
        "duplicate code 1000",
    );
}

#[test]
fn bad_enumerated_settings() {
    let s = SpecCopy::new("protocol");
    s.edit(
        "api/status.toml",
        "protocol = \"1.0\"",
        "protocol = \"3.0\"",
    );
    assert_error(
        &s,
        "api/status.toml",
        "endpoint.protocol",
        "`3.0` must be one of 1.0, 2.0, either",
    );
    let s = SpecCopy::new("effect");
    s.edit(
        "api/status.toml",
        "effect = \"read\"",
        "effect = \"idempotent\"",
    );
    assert_error(
        &s,
        "api/status.toml",
        "endpoint.effect",
        "must be one of read, write, money",
    );
}

#[test]
fn format_only_on_strings_and_range_only_on_numbers() {
    let s = SpecCopy::new("format");
    s.edit(
        "api/checkout.toml",
        "default = \"N\"",
        "default = \"N\"\nformat = \"url\"",
    );
    assert_error(
        &s,
        "api/checkout.toml",
        "param[0].format",
        "only to string types",
    );
    let s = SpecCopy::new("range");
    s.edit(
        "api/checkout.toml",
        "format = \"url\"",
        "format = \"url\"\nmax = 3",
    );
    assert_error(
        &s,
        "api/checkout.toml",
        "param[2].min",
        "only to integer and amount types",
    );
}

#[test]
fn gateway_optional_needs_required() {
    let s = SpecCopy::new("gateway-optional");
    s.edit(
        "api/checkout.toml",
        "type = \"integer(9)\"",
        "type = \"integer(9)\"\ngateway_optional = true",
    );
    assert_error(
        &s,
        "api/checkout.toml",
        "param[1].gateway_optional",
        "it needs `required = true`",
    );
}

#[test]
fn report_mandatory_filter_must_be_a_field() {
    let s = SpecCopy::new("report");
    s.edit("reports/745.toml", "[\"payment_id\"], ", "[\"payment\"], ");
    assert_error(
        &s,
        "reports/745.toml",
        "report.mandatory_filters[0]",
        "`payment` is not a field",
    );
}

#[test]
fn output_is_deterministic() {
    let s = SpecCopy::new("determinism");
    let a = flitt_codegen::generate(&s.0).unwrap().code;
    let b = flitt_codegen::generate(&s.0).unwrap().code;
    assert_eq!(a, b);
}

#[test]
fn unsigned_fields_only_on_signed_endpoints_and_known_fields() {
    let s = SpecCopy::new("unsigned-unknown-field");
    s.edit(
        "api/status.toml",
        "response_signed = true",
        "response_signed = true\nunsigned_fields = [\"order_id\", \"acs_url\"]",
    );
    assert_error(
        &s,
        "api/status.toml",
        "endpoint.unsigned_fields[1]",
        "`acs_url` is not a field of response `order`",
    );
    let s = SpecCopy::new("unsigned-on-unsigned");
    s.edit(
        "api/status.toml",
        "response_signed = true",
        "response_signed = false\nunsigned_fields = [\"order_id\"]",
    );
    assert_error(
        &s,
        "api/status.toml",
        "endpoint.unsigned_fields[0]",
        "only an endpoint with `response_signed = true`",
    );
}

#[test]
fn every_filter_family_has_its_operators_once() {
    let s = SpecCopy::new("filters-missing-family");
    s.edit(
        "report_filters.toml",
        "[family.bool]\noperators = [\"istrue\"]",
        "[family.boolean]\noperators = [\"istrue\"]",
    );
    assert_error(
        &s,
        "report_filters.toml",
        "family.boolean",
        "`boolean` is not a filter family",
    );
    let s = SpecCopy::new("filters-no-family");
    s.edit(
        "report_filters.toml",
        "[family.bool]\noperators = [\"istrue\"]\nsource = \"seed003 reports-api, operands depending on field type\"\n",
        "",
    );
    assert_error(&s, "report_filters.toml", "family.bool", "is missing");
    let s = SpecCopy::new("filters-repeated");
    s.edit(
        "report_filters.toml",
        "operators = [\"in_array\"]",
        "operators = [\"in_array\", \"in_array\"]",
    );
    assert_error(
        &s,
        "report_filters.toml",
        "family.array.operators",
        "`in_array` is listed twice",
    );
    let s = SpecCopy::new("filters-empty");
    s.edit(
        "report_filters.toml",
        "operators = [\"daterange\"]",
        "operators = []",
    );
    assert_error(
        &s,
        "report_filters.toml",
        "family.daterange.operators",
        "must not be empty",
    );
}

#[test]
fn split_total_names_a_required_amount_and_needs_receivers() {
    let s = SpecCopy::new("split-total-unknown");
    s.edit(
        "api/status.toml",
        "response_signed = true",
        "response_signed = true\nsplit_total = \"amount\"",
    );
    assert_error(
        &s,
        "api/status.toml",
        "endpoint.split_total",
        "`amount` must be a required parameter of type amount",
    );
}
