//! The JSON schema of every generated struct, built from its table (`flitt::__private::schema`),
//! is the one `#[derive(JsonSchema)]` gives: the build script also writes each struct's
//! schema-only twin, a plain derive with the same `serde` attributes (and `default` on the
//! optional fields whose schema comes from a function, which the derive cannot otherwise see
//! are optional) (`flitt_codegen::Generated::schema_reference`), and this test compares the two
//! under several generator settings, for deserializing and for serializing. Any difference
//! fails.

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

// The twins are only compared, never used otherwise.
#[allow(missing_docs, dead_code)]
mod reference {
    include!(concat!(env!("OUT_DIR"), "/schema_reference.rs"));
}

fn settings() -> Vec<(String, SchemaSettings)> {
    let inline = SchemaSettings::draft2020_12().with(|s| s.inline_subschemas = true);
    let drafts = [
        ("draft 2020-12", SchemaSettings::draft2020_12()),
        ("draft 2019-09", SchemaSettings::draft2019_09()),
        ("draft 07", SchemaSettings::draft07()),
        ("openapi 3", SchemaSettings::openapi3()),
        ("inline subschemas", inline),
    ];
    drafts
        .into_iter()
        .flat_map(|(name, s)| {
            [
                (format!("{name}, deserialize"), s.clone().for_deserialize()),
                (format!("{name}, serialize"), s.for_serialize()),
            ]
        })
        .collect()
}

/// A schema and the definitions it made, after the generator's transforms.
fn with_definitions(
    settings: &SchemaSettings,
    schema: fn(&mut SchemaGenerator) -> Schema,
) -> (Value, Value) {
    let mut generator = settings.clone().into_generator();
    let schema = schema(&mut generator).to_value();
    (schema, Value::Object(generator.take_definitions(true)))
}

#[test]
fn the_structs_have_the_schemas_the_derive_gives() {
    assert!(reference::TYPES.len() > 40, "{}", reference::TYPES.len());
    for (setting, s) in settings() {
        for (name, [sdk, twin, _, _]) in reference::TYPES {
            assert_eq!(
                with_definitions(&s, *sdk),
                with_definitions(&s, *twin),
                "{name}, {setting}"
            );
        }
    }
}

#[test]
fn the_structs_have_the_schemas_the_derive_gives_in_one_generator() {
    // One generator for all: references, shared definitions and the names they get.
    for (setting, s) in settings() {
        let mut sdk_generator = s.clone().into_generator();
        let mut twin_generator = s.into_generator();
        for (name, [_, _, sdk, twin]) in reference::TYPES {
            assert_eq!(
                sdk(&mut sdk_generator),
                twin(&mut twin_generator),
                "{name}, {setting}"
            );
        }
        assert_eq!(
            sdk_generator.take_definitions(true),
            twin_generator.take_definitions(true),
            "{setting}"
        );
    }
}

#[test]
fn a_root_schema_is_the_derives() {
    let root = schemars::schema_for!(flitt::api::CheckoutUrlRequest);
    let twin = schemars::schema_for!(reference::CheckoutUrlRequest);
    assert_eq!(root, twin);
    assert_eq!(root.get("title"), Some(&"CheckoutUrlRequest".into()));
}

/// A request's schema lists as required the parameters the caller must give, and no others,
/// for reading requests as for writing them: an optional Y/N or date parameter (`preauth`,
/// whose schema comes from a function) is not required either way.
#[test]
fn a_request_schema_requires_what_the_caller_must_give() {
    let endpoint = flitt::api::ENDPOINTS
        .iter()
        .find(|e| e.name == "checkout_url")
        .expect("checkout_url is in the spec");
    let mut expected: Vec<&str> = endpoint
        .params
        .iter()
        .filter(|p| p.required && !p.client_supplied && p.fixed.is_none())
        .map(|p| p.name)
        .collect();
    expected.sort_unstable();
    assert!(expected.contains(&"amount"), "{expected:?}");
    for settings in [
        SchemaSettings::default(),
        SchemaSettings::default().for_serialize(),
    ] {
        let schema = SchemaGenerator::new(settings)
            .into_root_schema_for::<flitt::api::CheckoutUrlRequest>()
            .to_value();
        assert!(schema["properties"].get("preauth").is_some(), "{schema}");
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .expect("a required list")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        required.sort_unstable();
        assert_eq!(required, expected);
    }
}
