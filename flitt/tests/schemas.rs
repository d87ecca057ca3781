//! The JSON schema of every generated struct, built from its table (`flitt::__private::schema`),
//! is the one `#[derive(JsonSchema)]` gives: the build script also writes each struct's
//! schema-only twin, a plain derive with the same `serde` attributes
//! (`flitt_codegen::Generated::schema_reference`), and this test compares the two under several
//! generator settings, for deserializing and for serializing. Any difference fails.

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
