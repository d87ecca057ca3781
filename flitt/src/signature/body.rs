//! Verifying a reply or callback body of any shape.

use super::fields::SignedFields;
use super::raw::RawFields;
use super::{SecretKey, VerifyError, verify_v1_form, verify_v2};
use serde_json::{Map, Value};

/// Which protocol a verified body used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyProtocol {
    /// Flat JSON, `{"response": …}`, or a form.
    V1,
    /// A 2.0 envelope.
    V2,
}

/// A body whose signature verified, with its fields. Its `Debug` shows sensitive fields as
/// `[redacted]`.
#[derive(Clone)]
pub struct VerifiedBody {
    /// The verified fields (for 2.0, the decoded `order`), without the test-mode
    /// `response_signature_string`, which repeats every signed value.
    pub fields: Map<String, Value>,
    /// The protocol.
    pub protocol: BodyProtocol,
}

impl std::fmt::Debug for VerifiedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedBody")
            .field("fields", &crate::redact::RedactedFields(&self.fields))
            .field("protocol", &self.protocol)
            .finish()
    }
}

/// A verified body as kept: a 1.0 JSON body as its raw fields, anything else as a map.
pub(crate) enum Verified {
    /// A 1.0 JSON body (flat or in `"response"`).
    Fields(SignedFields),
    /// A form (V1) or the decoded `order` of a 2.0 envelope (V2).
    Map(Map<String, Value>, BodyProtocol),
}

/// Verifies a reply or callback body of any shape: a 2.0 envelope (wrapped in `"response"` or
/// not), flat JSON, `{"response": …}`, or a form. `content_type` helps tell a form from JSON.
///
/// # Errors
/// [`VerifyError`]; never a panic, whatever the bytes.
pub fn verify_body(
    key: &SecretKey,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<VerifiedBody, VerifyError> {
    Ok(match verify(key, body, content_type)? {
        Verified::Fields(fields) => VerifiedBody {
            fields: fields.to_map(),
            protocol: BodyProtocol::V1,
        },
        Verified::Map(fields, protocol) => VerifiedBody { fields, protocol },
    })
}

/// [`verify_body`], a 1.0 JSON body parsed once and kept as received.
///
/// # Errors
/// As [`verify_body`].
pub(crate) fn verify(
    key: &SecretKey,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<Verified, VerifyError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let is_form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        || first.is_some_and(|b| *b != b'{');
    if is_form {
        verify_v1_form(key, body)?;
        let fields = form_urlencoded::parse(body)
            .filter(|(k, _)| k != "response_signature_string")
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Verified::Map(fields, BodyProtocol::V1));
    }
    let text = std::str::from_utf8(body).map_err(|_| VerifyError::Malformed("not UTF-8"))?;
    let raw = RawFields::parse(text)?;
    let is_v2 = raw.get("version") == Some("\"2.0\"") && raw.get("data").is_some();
    if is_v2 {
        let text = |k: &str| -> Result<String, VerifyError> {
            raw.get(k)
                .map(serde_json::from_str::<String>)
                .transpose()
                .map_err(|_| VerifyError::Malformed("a 2.0 field is not a string"))
                .map(Option::unwrap_or_default)
        };
        let decoded = verify_v2(key, &text("data")?, &text("signature")?)?;
        let fields = match decoded {
            Value::Object(mut outer) => match outer.remove("order") {
                Some(Value::Object(order)) => order,
                Some(_) => return Err(VerifyError::Malformed("2.0 `order` is not an object")),
                None => outer,
            },
            _ => return Err(VerifyError::Malformed("2.0 data is not an object")),
        };
        return Ok(Verified::Map(fields, BodyProtocol::V2));
    }
    SignedFields::verify(key, raw).map(Verified::Fields)
}
