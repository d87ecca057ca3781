//! A verified 1.0 JSON body kept as received: the body's bytes and, for each field in key
//! order, where its key and raw value lie. Typed responses decode straight from those raw
//! values through a small [`serde::Deserializer`], with no [`Value`] tree in between.

use super::v1::{Key, Seen, verify_raw_fields};
use super::{SecretKey, VerifyError};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::ops::Range;

/// A key: where it lies in the body, or its decoded text when it had escapes.
#[derive(Clone, Debug)]
enum FieldKey {
    Span(Range<usize>),
    Decoded(Box<str>),
}

/// A field's value as a string, when verification saw it as one.
#[derive(Clone, Debug)]
enum Str {
    /// Not known to be a string (a number, `null`, a boolean, or the signature).
    Unknown,
    /// A string without escapes: the raw text between its quotes.
    Plain,
    /// A string with escapes, decoded.
    Decoded(Box<str>),
}

/// One verified field.
#[derive(Clone, Debug)]
struct Field {
    key: FieldKey,
    /// The raw JSON text of the value in the body.
    value: Range<usize>,
    /// A string value's text as verification saw it.
    string: Str,
}

/// The fields of a 1.0 JSON body whose signature verified (flat, or unwrapped from
/// `{"response": …}`), in key order, each key once, without the test-mode
/// `response_signature_string`. Only [`SignedFields::verify`] makes one, so holding one means
/// the values verified.
#[derive(Clone)]
pub(crate) struct SignedFields {
    body: Box<str>,
    fields: Vec<Field>,
}

/// Where `part`, a slice of `whole`, lies in it.
fn span(whole: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    start..start.saturating_add(part.len())
}

impl SignedFields {
    /// Verifies a 1.0 JSON body given as text (already found not to be a 2.0 envelope), parsed
    /// once: the fields are verified over their values as received and kept.
    ///
    /// # Errors
    /// As [`super::verify_v1_json`].
    pub(crate) fn verify(
        key: &SecretKey,
        text: &str,
        raw: &[(Key<'_>, &RawValue)],
    ) -> Result<Self, VerifyError> {
        let mut fields: Vec<Field> = raw
            .iter()
            .map(|(k, v)| Field {
                key: match &k.0 {
                    std::borrow::Cow::Borrowed(s) => FieldKey::Span(span(text, s)),
                    std::borrow::Cow::Owned(s) => FieldKey::Decoded(s.as_str().into()),
                },
                value: span(text, v.get()),
                string: Str::Unknown,
            })
            .collect();
        verify_raw_fields(key, raw, |i, seen| {
            if let Some(f) = fields.get_mut(i) {
                f.string = match seen {
                    Seen::Plain => Str::Plain,
                    Seen::Decoded(s) => Str::Decoded(s.into_boxed_str()),
                };
            }
        })?;
        let mut signed = Self {
            body: text.into(),
            fields,
        };
        // The test-mode pre-hash echo carries every signed value (tokens, card data): dropped.
        if let Some(i) = signed.position("response_signature_string") {
            signed.fields.remove(i);
        }
        Ok(signed)
    }

    fn text(&self, range: &Range<usize>) -> &str {
        // Every range was taken from this very text, so it is always found.
        self.body.get(range.clone()).unwrap_or("null")
    }

    fn key<'a>(&'a self, f: &'a Field) -> &'a str {
        match &f.key {
            FieldKey::Span(r) => self.text(r),
            FieldKey::Decoded(s) => s,
        }
    }

    fn raw<'a>(&'a self, f: &'a Field) -> &'a str {
        self.text(&f.value)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.fields.binary_search_by(|f| self.key(f).cmp(key)).ok()
    }

    /// The raw JSON text of a field's value.
    pub(crate) fn get_raw(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.raw(&self.fields[i]))
    }

    /// A string field's text (decoded), borrowed; `None` for other values or an escaped one
    /// this does not hold decoded.
    fn str_of<'a>(&'a self, f: &'a Field) -> Option<&'a str> {
        let raw = self.raw(f);
        let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
        match &f.string {
            Str::Plain => Some(inner),
            Str::Decoded(s) => Some(s),
            Str::Unknown => (!inner.contains('\\')).then_some(inner),
        }
    }

    /// A string field's text, borrowed, when it can be (see [`Self::str_of`]).
    pub(crate) fn get_str(&self, key: &str) -> Option<&str> {
        self.position(key)
            .and_then(|i| self.str_of(&self.fields[i]))
    }

    /// The fields as a JSON map (each value parsed from its text).
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .map(|f| {
                // Verification let through only values serde_json reads.
                let value = serde_json::from_str(self.raw(f)).unwrap_or(Value::Null);
                (self.key(f).to_owned(), value)
            })
            .collect()
    }

    /// Decodes the fields into `T` straight from their raw text. The same as
    /// `serde_json::from_value` of [`Self::to_map`] as an object, without building it.
    ///
    /// # Errors
    /// When the fields do not have `T`'s shape (serde's message, which may quote a value).
    pub(crate) fn decode<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        T::deserialize(FieldsDeserializer(self))
    }
}

impl std::fmt::Debug for SignedFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::redact::RedactedFields(&self.to_map()).fmt(f)
    }
}

/// Deserializes the fields as a JSON object.
struct FieldsDeserializer<'de>(&'de SignedFields);

impl<'de> Deserializer<'de> for FieldsDeserializer<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(FieldsAccess {
            of: self.0,
            rest: self.0.fields.iter(),
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
    of: &'de SignedFields,
    rest: std::slice::Iter<'de, Field>,
    value: Option<&'de Field>,
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
