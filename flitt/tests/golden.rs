//! The generator's output for a small sample spec, kept as golden files, compiled here with
//! `#![deny(warnings)]` against this crate, and exercised; plus a spec-driven upgrade: the
//! sample spec with one more parameter yields a builder setter and a schema property with no
//! hand-written change.
//!
//! After an intended change to the generator, refresh the goldens with
//! `FLITT_UPDATE_GOLDEN=1 cargo test -p flitt --test golden`.

#![deny(warnings)]

use std::path::{Path, PathBuf};

// Items a test does not touch are unused here, not in the SDK: allow only that.
#[allow(missing_docs, dead_code)]
mod sample {
    include!("../../codegen/tests/golden/sample.rs");
}

// Items a test does not touch are unused here, not in the SDK: allow only that.
#[allow(missing_docs, dead_code)]
mod upgraded {
    include!("../../codegen/tests/golden/sample_upgraded.rs");
}

use flitt::request::ApiRequest;
use flitt::types::{Amount, Currency, OrderId};

fn codegen_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests")
}

/// The one parameter the upgrade adds to the sample's `api/checkout.toml`.
const NEW_PARAM: &str = r#"
[[param]]
name = "merchant_data"
type = "string(2048)"
doc = "Free text returned in callbacks."
source = "sample upgrade"
"#;

fn check_golden(spec: &Path, golden: &str) {
    let code = flitt_codegen::generate(spec)
        .unwrap_or_else(|e| panic!("{e}"))
        .code;
    let path = codegen_dir().join("golden").join(golden);
    if std::env::var_os("FLITT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &code).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        code == expected,
        "{golden} is stale: run FLITT_UPDATE_GOLDEN=1 cargo test -p flitt --test golden and review the diff"
    );
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

#[test]
fn sample_output_matches_golden() {
    check_golden(&codegen_dir().join("sample_spec"), "sample.rs");
}

#[test]
fn upgraded_sample_output_matches_golden() {
    let dir = std::env::temp_dir().join(format!("flitt-golden-upgrade-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&codegen_dir().join("sample_spec"), &dir);
    let checkout = dir.join("api/checkout.toml");
    let text = std::fs::read_to_string(&checkout).unwrap() + NEW_PARAM;
    std::fs::write(&checkout, text).unwrap();
    check_golden(&dir, "sample_upgraded.rs");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn upgrade_adds_a_setter_a_schema_property_and_a_wire_value() {
    // The setter exists only in the upgraded generation: this line is the compile-time proof.
    let upgraded = upgraded::CheckoutRequest::builder()
        .order_desc("Coffee")
        .amount(Amount::new(100).unwrap())
        .currency(Currency::GEL)
        .merchant_data("cart=42")
        .build();
    assert_eq!(upgraded.merchant_data.as_deref(), Some("cart=42"));
    let wire = upgraded.wire_params("1549901");
    assert!(wire.contains(&("merchant_data", "cart=42".to_owned())));

    let schema_of = |s: schemars::Schema| serde_json::to_value(s).unwrap();
    let old = schema_of(schemars::schema_for!(sample::CheckoutRequest));
    let new = schema_of(schemars::schema_for!(upgraded::CheckoutRequest));
    assert!(old["properties"].get("merchant_data").is_none());
    let ty = &new["properties"]["merchant_data"]["type"];
    assert!(
        ty == "string" || ty.as_array().is_some_and(|t| t.contains(&"string".into())),
        "{ty}"
    );
    let old_params: Vec<_> = sample::CheckoutRequest::ENDPOINT
        .params
        .iter()
        .map(|p| p.name)
        .collect();
    let new_params: Vec<_> = upgraded::CheckoutRequest::ENDPOINT
        .params
        .iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(new_params.len(), old_params.len() + 1);
    assert_eq!(new_params.last(), Some(&"merchant_data"));
}

#[test]
fn wire_values_come_in_key_byte_order_with_fixed_and_client_values() {
    let request = sample::CheckoutRequest::builder()
        .order_id(OrderId::new("o-1").unwrap())
        .order_desc("Coffee")
        .amount(Amount::new(1020).unwrap())
        .currency(Currency::GEL)
        .preauth(true)
        .lifetime(3600)
        .build();
    let names: Vec<_> = request.wire_params("1549901");
    assert_eq!(
        names,
        [
            ("amount", "1020"),
            ("currency", "GEL"),
            ("lifetime", "3600"),
            ("merchant_id", "1549901"),
            ("order_desc", "Coffee"),
            ("order_id", "o-1"),
            ("preauth", "Y"),
            ("verification", "Y"),
        ]
        .map(|(k, v)| (k, v.to_owned()))
    );
}

#[test]
fn validate_names_the_field_and_the_rule() {
    let too_long = sample::CheckoutRequest::builder()
        .order_desc("x".repeat(1025))
        .amount(Amount::new(1).unwrap())
        .currency(Currency::USD)
        .build();
    let e = too_long.validate().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid parameter `order_desc`: longer than 1024 characters"
    );

    let bad_url = sample::CheckoutRequest::builder()
        .order_desc("ok")
        .amount(Amount::new(1).unwrap())
        .currency(Currency::USD)
        .server_callback_url("ftp://nope")
        .build();
    assert_eq!(bad_url.validate().unwrap_err().field, "server_callback_url");

    let separator = sample::CheckoutRequest::builder()
        .order_desc("a|b")
        .amount(Amount::new(1).unwrap())
        .currency(Currency::USD)
        .build();
    assert_eq!(
        separator.validate().unwrap_err().to_string(),
        "invalid parameter `order_desc`: must not contain `|`"
    );

    let out_of_range = sample::CheckoutRequest::builder()
        .order_desc("ok")
        .amount(Amount::new(1).unwrap())
        .currency(Currency::USD)
        .lifetime(69_120_001)
        .build();
    assert_eq!(
        out_of_range.validate().unwrap_err().to_string(),
        "invalid parameter `lifetime`: above the maximum 69120000"
    );

    let nested = sample::SubscribeRequest::builder()
        .order_desc("ok")
        .amount(Amount::new(1).unwrap())
        .currency(Currency::USD)
        .recurring_data(
            sample::Schedule::builder()
                .every(0)
                .period(sample::Period::Month)
                .build(),
        )
        .build();
    assert_eq!(
        nested.validate().unwrap_err().to_string(),
        "invalid parameter `recurring_data.every`: below the minimum 1"
    );
}

#[test]
fn validate_refuses_unknown_enum_values() {
    let with_period = |period| {
        sample::SubscribeRequest::builder()
            .order_desc("ok")
            .amount(Amount::new(1).unwrap())
            .currency(Currency::USD)
            .recurring_data(sample::Schedule::builder().every(1).period(period).build())
            .build()
    };
    assert_eq!(with_period(sample::Period::Month).validate(), Ok(()));
    let e = with_period(sample::Period::Unknown("fortnight".into()))
        .validate()
        .unwrap_err();
    assert_eq!(e.rule, flitt::validate::Rule::OneOf(sample::Period::KNOWN));
    assert_eq!(
        e.to_string(),
        format!(
            "invalid parameter `recurring_data.period`: must be one of: {}",
            sample::Period::KNOWN.join(", ")
        )
    );
}

#[test]
fn generated_order_ids_are_fresh() {
    let make = || {
        sample::CheckoutRequest::builder()
            .order_desc("ok")
            .amount(Amount::new(1).unwrap())
            .currency(Currency::USD)
            .build()
    };
    let (a, b) = (make(), make());
    assert_ne!(a.order_id, b.order_id);
    assert_eq!(a.order_id().map(|o| o.as_str().len()), Some(36));
}

#[test]
fn responses_decode_leniently_and_keep_unknown_fields() {
    let body = serde_json::json!({
        "order_id": "o-1",
        "order_status": "refunded_partially",
        "amount": "4600",
        "response_code": "",
        "rectoken": "tok_secret",
        "additional_info": "{\"client_fee\": 0.0}",
        "fees": [{"amount": 0.0}],
        "brand_new_field": 7
    });
    let r: sample::OrderResponse = serde_json::from_value(body).unwrap();
    assert_eq!(r.amount, Some(4600));
    assert_eq!(r.response_code, None);
    assert_eq!(
        r.order_status,
        Some(sample::OrderStatus::Unknown("refunded_partially".into()))
    );
    assert_eq!(
        r.additional_info.as_ref().unwrap().as_str(),
        "{\"client_fee\": 0.0}"
    );
    assert_eq!(
        r.fees.as_ref().unwrap()[0]
            .amount
            .as_ref()
            .unwrap()
            .as_str(),
        "0.0"
    );
    assert_eq!(r.extra["brand_new_field"], 7);
    assert!(!format!("{r:?}").contains("tok_secret"));

    let r: sample::OrderResponse =
        serde_json::from_value(serde_json::json!({"amount": 4600, "response_code": 1000})).unwrap();
    assert_eq!((r.amount, r.response_code), (Some(4600), Some(1000)));
    assert!(
        serde_json::from_value::<sample::OrderResponse>(serde_json::json!({"amount": "lots"}))
            .is_err()
    );
}

#[test]
fn requests_redact_sensitive_values_in_debug() {
    let r = sample::StatusRequest::builder()
        .order_id(OrderId::new("o-1").unwrap())
        .card_number("4444555511116666")
        .build();
    assert!(!format!("{r:?}").contains("4444555511116666"));
    assert!(
        r.wire_params("1")
            .contains(&("card_number", "4444555511116666".to_owned()))
    );
}

#[test]
fn response_codes_and_reports_come_from_the_spec() {
    let c = sample::ResponseCode::from_code(1014);
    assert_eq!((c.name(), c.is_decline()), ("invalid_signature", false));
    assert!(sample::ResponseCode::from_code(1000).is_decline());
    assert_eq!(
        sample::ResponseCode::from_code(4242),
        sample::ResponseCode::Unknown(4242)
    );
    assert_eq!(sample::REPORTS[0].id, 745);
    assert_eq!(sample::ENDPOINTS.len(), 3);
}
