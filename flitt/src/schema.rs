//! The JSON schemas of the generated structs, built from a table.
//!
//! Generated code implements `JsonSchema` for each struct with one call to [`object`], passing
//! the struct's documentation and one [`Field`] per property, instead of deriving it: the
//! derive expands every struct into a long body of its own, which made it a noticeable part of
//! this crate's build. The output is the derive's, to the byte (`tests/schemas.rs` compares
//! the two for every generated struct under several generator settings).

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

/// One property of a generated struct.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The wire name.
    pub name: &'static str,
    /// Whether it is listed in `required` (whether it must be present, for serializing and
    /// deserializing alike).
    pub required: bool,
    /// The `title` of its schema (empty: none).
    pub title: &'static str,
    /// The `description` of its schema (empty: none).
    pub description: &'static str,
    /// Its schema, most often [`sub`] of the field's type.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// The schema of a value of type `T` where it is used as a property: a reference to its
/// definition, or the schema itself for types that are inlined.
pub fn sub<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The schema of a generated struct: an object with `fields` as properties, then its `title`
/// and `description` (each only when not empty).
///
/// A response's `extra` (the flattened [`Extra`](crate::types::Extra)) has no [`Field`]:
/// flattening its schema, `{"type": "object"}`, into an object schema adds nothing.
pub fn object(
    generator: &mut SchemaGenerator,
    title: &str,
    description: &str,
    fields: &[Field],
) -> Schema {
    let mut schema = json_schema!({ "type": "object" });
    for field in fields {
        let mut property = (field.schema)(generator);
        insert_if_not_empty(&mut property, "title", field.title);
        insert_if_not_empty(&mut property, "description", field.description);
        let object = schema.ensure_object();
        if let Value::Object(properties) = object
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()))
        {
            properties.insert(field.name.to_owned(), property.into());
        }
        if field.required {
            if let Value::Array(names) = object
                .entry("required")
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                names.push(field.name.into());
            }
        }
    }
    insert_if_not_empty(&mut schema, "title", title);
    insert_if_not_empty(&mut schema, "description", description);
    schema
}

fn insert_if_not_empty(schema: &mut Schema, key: &str, value: &str) {
    if !value.is_empty() {
        schema.insert(key.to_owned(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_extra_would_add_nothing() {
        // `object` leaves `extra` out on the strength of this schema.
        let mut generator = SchemaGenerator::default();
        assert_eq!(
            crate::types::Extra::json_schema(&mut generator),
            json_schema!({ "type": "object" })
        );
    }
}
