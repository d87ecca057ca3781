//! Protocol 1.0: signing parameters and verifying JSON and form bodies over their values as
//! received.

use super::{SecretKey, SignError, Signature, Signer, VerifyError};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The text a top-level JSON value is signed by, or `None` when it contributes nothing.
fn value_text<'a>(key: &str, v: &'a Value) -> Result<Option<std::borrow::Cow<'a, str>>, SignError> {
    Ok(match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(_) => return Err(SignError::Boolean(key.to_owned())),
        Value::Array(_) | Value::Object(_) => return Err(SignError::Nested(key.to_owned())),
    })
}

fn excluded(key: &str) -> bool {
    key == "signature" || key == "response_signature_string"
}

/// Signs a raw JSON object of request parameters (protocol 1.0).
///
/// Booleans are refused: the server's text for them is not documented (it appears to be
/// Python's `True`/`False`), and every Flitt flag is sent as `"Y"`/`"N"`.
///
/// Numbers are signed by serde_json's text of the parsed [`Value`], which is not always the
/// text they were written in (`10.10` parses to `10.1`, `1E2` to `100.0`, integers above
/// 2^64 to floats). To sign parameters exactly as they will be sent, sign their JSON text with
/// [`sign_v1_json`].
///
/// # Errors
/// [`SignError`] naming the parameter for a nested value, a boolean, or a value with `|`.
pub fn sign_v1(key: &SecretKey, params: &Map<String, Value>) -> Result<Signature, SignError> {
    let sorted: BTreeMap<&str, &Value> = params.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut signer = Signer::new(key);
    for (k, v) in sorted {
        if excluded(k) {
            continue;
        }
        if let Some(text) = value_text(k, v)? {
            if text.contains('|') {
                return Err(SignError::Separator(k.to_owned()));
            }
            signer.push(&text);
        }
    }
    Ok(signer.finish())
}

/// Signs a JSON object of request parameters given as text (protocol 1.0), every value as it
/// is written: numbers by their exact JSON text (`10.10`, `1E2`, `-0` and a 30-digit integer
/// stay as written), strings decoded. These are the texts [`verify_v1_json`] verifies over,
/// so a body made of these parameters plus this signature verifies. Otherwise as
/// [`sign_v1`]: `null` and `""` contribute nothing; booleans, nested values and `|` are
/// refused, and so is a number beyond the range of `f64` (`1e999`), which verification
/// refuses too. A key given twice counts once, with its last value, as in verification.
///
/// ```
/// use flitt::signature::{SecretKey, sign_v1_json, verify_v1_json};
/// let key = SecretKey::new("test");
/// let sig = sign_v1_json(&key, r#"{"amount":10.10,"order_id":"o-1"}"#)?;
/// let body = format!(r#"{{"amount":10.10,"order_id":"o-1","signature":"{sig}"}}"#);
/// verify_v1_json(&key, body.as_bytes())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`SignError::NotJsonObject`] when `params` is not a JSON object; otherwise as [`sign_v1`].
pub fn sign_v1_json(key: &SecretKey, params: &str) -> Result<Signature, SignError> {
    let fields = json_object(params)?;
    let mut signer = Signer::new(key);
    for (k, raw) in &fields {
        if excluded(&k.0) {
            continue;
        }
        let value = match Scalar::of(raw) {
            Scalar::Absent => continue,
            Scalar::Text(text) => text,
            Scalar::Bool(_) => return Err(SignError::Boolean(k.0.to_string())),
            Scalar::Nested => return Err(SignError::Nested(k.0.to_string())),
            Scalar::Invalid => {
                return Err(SignError::NotJsonObject(format!(
                    "parameter `{}` is not a valid string",
                    k.0
                )));
            }
            Scalar::OutOfRange => return Err(SignError::OutOfRange(k.0.to_string())),
        };
        if value.contains('|') {
            return Err(SignError::Separator(k.0.to_string()));
        }
        signer.push(&value);
    }
    Ok(signer.finish())
}

/// A JSON object given as text, its values raw, its keys in byte order.
pub(super) fn json_object(text: &str) -> Result<BTreeMap<Key<'_>, &RawValue>, SignError> {
    serde_json::from_str(text).map_err(|e| SignError::NotJsonObject(e.to_string()))
}

/// What a raw top-level JSON value is signed by.
pub(super) enum Scalar<'a> {
    /// `null` or `""`: nothing.
    Absent,
    /// A string (decoded) or a number (its exact text).
    Text(std::borrow::Cow<'a, str>),
    /// A boolean.
    Bool(bool),
    /// An object or a list.
    Nested,
    /// A string serde_json scanned but cannot decode (a lone surrogate escape).
    Invalid,
    /// A number beyond the range of `f64` (`1e999`): valid JSON text, but no JSON reader here
    /// (nor serde_json's [`Value`]) can decode it.
    OutOfRange,
}

impl<'a> Scalar<'a> {
    /// Classifies a raw value that serde_json has already checked is valid JSON.
    fn of(raw: &'a RawValue) -> Self {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => match raw_string(text) {
                Ok(s) if s.is_empty() => Self::Absent,
                Ok(s) => Self::Text(s),
                Err(_) => Self::Invalid,
            },
            Some(b'{' | b'[') => Self::Nested,
            Some(b'n') | None => Self::Absent,
            Some(b't') => Self::Bool(true),
            Some(b'f') => Self::Bool(false),
            // A number: JSON number text is always Rust float text, and an f64 overflows to
            // infinity exactly where serde_json reports "number out of range".
            Some(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => {
                Self::Text(std::borrow::Cow::Borrowed(text))
            }
            Some(_) => Self::OutOfRange,
        }
    }
}

pub(super) fn check(expected: Signature, received: &str) -> Result<(), VerifyError> {
    let received = Signature::parse(received).map_err(|_| VerifyError::Mismatch)?;
    if expected == received {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// Verifies a flat JSON object, or one wrapped in `{"response": …}`, over its values as
/// received: numbers by their exact JSON text (`0.0` stays `0.0`), strings decoded (so
/// `additional_info` is signed as the JSON string it came as). Nothing is re-serialized.
///
/// # Errors
/// [`VerifyError`]; never a panic, whatever the bytes. An absent or empty `signature` is
/// [`VerifyError::MissingSignature`]; a signed value containing `|` is
/// [`VerifyError::Separator`] (see the module docs).
pub fn verify_v1_json(key: &SecretKey, body: &[u8]) -> Result<(), VerifyError> {
    let text = std::str::from_utf8(body).map_err(|_| VerifyError::Malformed("not UTF-8"))?;
    let fields = raw_object(text)?;
    verify_raw_fields(key, &fields, |_, _| {})
}

/// A JSON object key, borrowed from the body unless it has escapes.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key<'a>(pub(crate) std::borrow::Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl std::borrow::Borrow<str> for Key<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The top-level fields of a JSON object, raw (borrowed), in the order written.
struct Entries<'a>(Vec<(Key<'a>, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries<'de>, A::Error> {
                // A callback carries about 40 fields: one allocation for all of them.
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(48).min(256));
                while let Some(entry) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(V)
    }
}

/// One JSON object's fields in key byte order, a key given twice counted once with its last
/// value (as a map would take them).
fn sorted_object(text: &str) -> Result<Vec<(Key<'_>, &RawValue)>, serde_json::Error> {
    let Entries(mut entries) = serde_json::from_str(text)?;
    // Stable: among equal keys the order written stays, so the last one is the last kept.
    if !entries.is_sorted_by(|a, b| a.0 < b.0) {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // `dedup_by` keeps the earlier of two equal neighbours: give it the later value.
        entries.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
    }
    Ok(entries)
}

/// The top-level fields of a body as raw JSON (borrowed), unwrapping `{"response": {…}}`,
/// parsed once. Keys come out in byte order, the order they are signed in, each once (a key
/// given twice counts with its last value).
pub(crate) fn raw_object(text: &str) -> Result<Vec<(Key<'_>, &RawValue)>, VerifyError> {
    let outer = sorted_object(text).map_err(|_| VerifyError::Malformed("not a JSON object"))?;
    if let [(k, inner)] = outer.as_slice() {
        if k.0 == "response" {
            return sorted_object(inner.get())
                .map_err(|_| VerifyError::Malformed("`response` is not a JSON object"));
        }
    }
    Ok(outer)
}

/// The raw value of `key` among fields in key order.
pub(crate) fn lookup<'a>(fields: &[(Key<'_>, &'a RawValue)], key: &str) -> Option<&'a RawValue> {
    fields
        .binary_search_by(|(k, _)| k.0.as_ref().cmp(key))
        .ok()
        .map(|i| fields[i].1)
}

/// The text a raw JSON string is signed by: its contents, decoded only when escaped.
pub(crate) fn raw_string(raw: &str) -> Result<std::borrow::Cow<'_, str>, VerifyError> {
    let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
    if inner.contains('\\') {
        serde_json::from_str::<String>(raw)
            .map(std::borrow::Cow::Owned)
            .map_err(|_| VerifyError::Malformed("a string value is invalid"))
    } else {
        Ok(std::borrow::Cow::Borrowed(inner))
    }
}

/// Verifies fields in key order (each key once) over their values as received. `decoded` is
/// given each string value that had escapes, decoded (by its index), so that a caller keeping
/// the fields need not decode it again.
pub(crate) fn verify_raw_fields(
    key: &SecretKey,
    fields: &[(Key<'_>, &RawValue)],
    mut decoded: impl FnMut(usize, String),
) -> Result<(), VerifyError> {
    let received = lookup(fields, "signature").ok_or(VerifyError::MissingSignature)?;
    if !received.get().starts_with('"') {
        return Err(VerifyError::Malformed("the signature is not a string"));
    }
    let received = raw_string(received.get())?;
    if received.is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    let mut signer = Signer::new(key);
    for (i, (k, raw)) in fields.iter().enumerate() {
        if excluded(&k.0) {
            continue;
        }
        match Scalar::of(raw) {
            Scalar::Absent => {}
            // A string decoded, a number by its exact text.
            Scalar::Text(value) => {
                if value.contains('|') {
                    return Err(VerifyError::Separator(k.0.to_string()));
                }
                signer.push(&value);
                if let std::borrow::Cow::Owned(value) = value {
                    decoded(i, value);
                }
            }
            // Python's str() of a boolean, as the server appears to sign them.
            Scalar::Bool(true) => signer.push("True"),
            Scalar::Bool(false) => signer.push("False"),
            Scalar::Nested => return Err(VerifyError::UnsupportedValue(k.0.to_string())),
            Scalar::Invalid => return Err(VerifyError::Malformed("a string value is invalid")),
            Scalar::OutOfRange => return Err(VerifyError::Malformed("a number is out of range")),
        }
    }
    check(signer.finish(), &received)
}

/// Verifies an `application/x-www-form-urlencoded` body.
///
/// # Errors
/// [`VerifyError`]; never a panic. As for [`verify_v1_json`], an empty `signature` is
/// [`VerifyError::MissingSignature`] and a signed value containing `|` is
/// [`VerifyError::Separator`].
pub fn verify_v1_form(key: &SecretKey, body: &[u8]) -> Result<(), VerifyError> {
    let fields: BTreeMap<String, String> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if fields.is_empty() {
        return Err(VerifyError::Malformed("an empty form"));
    }
    let received = fields
        .get("signature")
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::MissingSignature)?;
    let mut signer = Signer::new(key);
    for (k, v) in &fields {
        if excluded(k) {
            continue;
        }
        if v.contains('|') {
            return Err(VerifyError::Separator(k.clone()));
        }
        signer.push(v);
    }
    check(signer.finish(), received)
}
