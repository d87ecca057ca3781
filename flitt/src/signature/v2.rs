//! Protocol 2.0: the signed `{"version":"2.0","data":…,"signature":…}` envelope.

use super::v1::{Key, check, json_object};
use super::{SecretKey, SignError, Signature, VerifyError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use serde_json::value::RawValue;
use sha1::{Digest as _, Sha1};
use std::collections::BTreeMap;
use std::fmt;

/// A protocol 2.0 envelope: wrap it as `{"request": envelope}` to send it.
#[derive(Clone, serde::Serialize)]
pub struct Envelope {
    /// Always `"2.0"`.
    pub version: &'static str,
    /// base64 of `{"order": {…}}`.
    pub data: String,
    /// `sha1(secret|data)`.
    pub signature: String,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `data` carries card numbers in direct payments: never shown.
        f.debug_struct("Envelope")
            .field("version", &self.version)
            .field("data", &"[redacted]")
            .field("signature", &self.signature)
            .finish()
    }
}

/// Builds a protocol 2.0 envelope around `order` (a JSON object of parameters, including
/// `merchant_id`).
///
/// # Errors
/// [`SignError::NotAnObject`] when `order` is not an object.
pub fn envelope_v2(key: &SecretKey, order: &Value) -> Result<Envelope, SignError> {
    if !order.is_object() {
        return Err(SignError::NotAnObject);
    }
    let data = B64.encode(serde_json::json!({ "order": order }).to_string());
    Ok(Envelope {
        version: "2.0",
        signature: sign_data(key, &data).as_str().to_owned(),
        data,
    })
}

/// Builds a protocol 2.0 envelope around an order given as JSON text (a JSON object of
/// parameters, including `merchant_id`), keeping every number's exact text in `data`
/// (`10.10`, `1E2`, a 30-digit integer), which [`envelope_v2`] cannot: its [`Value`] has
/// already rewritten them. `data` is base64 of compact `{"order":{…}}` with keys in byte
/// order at every level; strings keep their escapes as written.
///
/// ```
/// use flitt::signature::{SecretKey, envelope_v2_json, verify_v2};
/// let key = SecretKey::new("test");
/// let env = envelope_v2_json(&key, r#"{"merchant_id":1549901,"amount":123456789012345678901234567890}"#)?;
/// verify_v2(&key, &env.data, &env.signature)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`SignError::NotJsonObject`] when `order` is not a JSON object, or holds a number a JSON
/// reader cannot decode (beyond the range of `f64`, such as `1e999`).
pub fn envelope_v2_json(key: &SecretKey, order: &str) -> Result<Envelope, SignError> {
    let fields = json_object(order)?;
    let mut json = String::with_capacity(order.len() + 12);
    json.push_str("{\"order\":");
    write_compact_object(&fields, &mut json)?;
    json.push('}');
    // A reader decodes `data` into values, as verify_v2 does: refuse what it cannot hold (a
    // number beyond f64, such as 1e999), so that what is signed here also verifies there.
    serde_json::from_str::<Value>(&json).map_err(|e| SignError::NotJsonObject(e.to_string()))?;
    let data = B64.encode(json);
    Ok(Envelope {
        version: "2.0",
        signature: sign_data(key, &data).as_str().to_owned(),
        data,
    })
}

/// Writes an object compactly, keys in byte order, scalars by their exact text.
fn write_compact_object(
    fields: &BTreeMap<Key<'_>, &RawValue>,
    out: &mut String,
) -> Result<(), SignError> {
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let key =
            serde_json::to_string(&*k.0).map_err(|e| SignError::NotJsonObject(e.to_string()))?;
        out.push_str(&key);
        out.push(':');
        write_compact(v, out)?;
    }
    out.push('}');
    Ok(())
}

/// Writes a raw value compactly. Nesting is bounded by serde_json's recursion limit, which
/// the outer parse has already enforced.
fn write_compact(raw: &RawValue, out: &mut String) -> Result<(), SignError> {
    let text = raw.get();
    let bad = |e: serde_json::Error| SignError::NotJsonObject(e.to_string());
    match text.as_bytes().first() {
        Some(b'{') => write_compact_object(&serde_json::from_str(text).map_err(bad)?, out),
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(bad)?;
            out.push('[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out)?;
            }
            out.push(']');
            Ok(())
        }
        _ => {
            out.push_str(text);
            Ok(())
        }
    }
}

fn sign_data(key: &SecretKey, data: &str) -> Signature {
    let mut hasher = Sha1::new();
    hasher.update(key.bytes());
    hasher.update(b"|");
    hasher.update(data.as_bytes());
    Signature::from_digest(&hasher.finalize())
}

/// Verifies a 2.0 `data` string exactly as received, then decodes it.
///
/// # Errors
/// [`VerifyError::Mismatch`], or [`VerifyError::Malformed`] when `data` is not base64 JSON.
pub fn verify_v2(key: &SecretKey, data: &str, signature: &str) -> Result<Value, VerifyError> {
    if signature.is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    check(sign_data(key, data), signature)?;
    let bytes = B64
        .decode(data.trim())
        .map_err(|_| VerifyError::Malformed("2.0 data is not base64"))?;
    serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed("2.0 data is not JSON"))
}
