//! A verified 1.0 JSON body kept as received: the body's bytes and, for each field in key
//! order, where its key and raw value lie. Typed responses decode straight from those raw
//! values through a small [`serde::Deserializer`], with no [`Value`] tree in between.

use super::raw::{RawField, RawFields};
use super::{SecretKey, VerifyError};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The fields of a 1.0 JSON body whose signature verified (flat, or unwrapped from
/// `{"response": …}`), in key order, each key once, without the test-mode
/// `response_signature_string`, over an owned copy of the body. Only
/// [`SignedFields::verify`] makes one, so holding one means the values verified.
#[derive(Clone)]
pub(crate) struct SignedFields(RawFields<Box<str>>);

impl SignedFields {
    /// Verifies a 1.0 JSON body's fields (already found not to be a 2.0 envelope) over their
    /// values as received, and keeps them.
    ///
    /// # Errors
    /// As [`super::verify_v1_json`].
    pub(crate) fn verify(key: &SecretKey, mut raw: RawFields<&str>) -> Result<Self, VerifyError> {
        raw.verify(key)?;
        // The test-mode pre-hash echo carries every signed value (tokens, card data): dropped.
        raw.remove("response_signature_string");
        Ok(Self(raw.into_owned()))
    }

    /// The raw JSON text of a field's value.
    pub(crate) fn get_raw(&self, key: &str) -> Option<&str> {
        self.0.get(key)
    }

    /// A string field's text, borrowed, when it can be (see [`RawFields::str_of`]).
    pub(crate) fn get_str(&self, key: &str) -> Option<&str> {
        let i = self.0.position(key)?;
        self.0.str_of(&self.0.fields()[i])
    }

    /// The fields as a JSON map (each value parsed from its text).
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        // Verification let through only values serde_json reads.
        self.0.to_map()
    }

    /// Decodes the fields into `T` straight from their raw text. The same as
    /// `serde_json::from_value` of [`Self::to_map`] as an object, without building it.
    ///
    /// # Errors
    /// When the fields do not have `T`'s shape (serde's message, which may quote a value).
    pub(crate) fn decode<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        decode_fields(&self.0)
    }
}

impl std::fmt::Debug for SignedFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::redact::RedactedFields(&self.to_map()).fmt(f)
    }
}

/// Decodes fields into `T` straight from their raw text: the same as `serde_json::from_value`
/// of their map, without building it.
///
/// # Errors
/// When the fields do not have `T`'s shape (serde's message, which may quote a value).
pub(crate) fn decode_fields<'a, T: serde::Deserialize<'a>>(
    fields: &'a RawFields<Box<str>>,
) -> Result<T, serde_json::Error> {
    T::deserialize(FieldsDeserializer(fields))
}

/// Deserializes the fields as a JSON object.
struct FieldsDeserializer<'de>(&'de RawFields<Box<str>>);

impl<'de> Deserializer<'de> for FieldsDeserializer<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(FieldsAccess {
            of: self.0,
            rest: self.0.fields().iter(),
            value: None,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct FieldsAccess<'de> {
    of: &'de RawFields<Box<str>>,
    rest: std::slice::Iter<'de, RawField>,
    value: Option<&'de RawField>,
}

/// serde_json's message without the position it appends: the position is within one value's
/// text, not the body, so it would mislead.
fn without_position(e: serde_json::Error) -> serde_json::Error {
    if e.line() == 0 {
        return e;
    }
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    de::Error::custom(text.strip_suffix(&suffix).unwrap_or(&text))
}

impl<'de> MapAccess<'de> for FieldsAccess<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(f) = self.rest.next() else {
            return Ok(None);
        };
        self.value = Some(f);
        seed.deserialize(BorrowedStrDeserializer::new(self.of.key(f)))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let f = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value asked before its key"))?;
        match self.of.str_of(f) {
            Some(s) => seed.deserialize(StrValue(s)),
            // Numbers, null, booleans (and strings with escapes not held decoded): serde_json
            // reads the exact text, as it would have in the body.
            None => seed
                .deserialize(&mut serde_json::Deserializer::from_str(self.of.raw(f)))
                .map_err(without_position),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.rest.len())
    }
}

/// A JSON string value, borrowed from the body: deserializes as serde_json does a string.
struct StrValue<'de>(&'de str);

impl<'de> Deserializer<'de> for StrValue<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(BorrowedStrDeserializer::new(self.0))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_bytes(self.0.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}
