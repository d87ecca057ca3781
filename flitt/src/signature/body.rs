//! Verifying a reply or callback body of any shape.

use super::v1::{raw_object, verify_raw_fields};
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
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let is_form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        || first.is_some_and(|b| *b != b'{');
    if is_form {
        verify_v1_form(key, body)?;
        let fields = form_urlencoded::parse(body)
            .filter(|(k, _)| k != "response_signature_string")
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(VerifiedBody {
            fields,
            protocol: BodyProtocol::V1,
        });
    }
    let raw = raw_object(body)?;
    let is_v2 =
        raw.get("version").is_some_and(|v| v.get() == "\"2.0\"") && raw.contains_key("data");
    if is_v2 {
        let text = |k: &str| -> Result<String, VerifyError> {
            raw.get(k)
                .map(|v| serde_json::from_str::<String>(v.get()))
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
        return Ok(VerifiedBody {
            fields,
            protocol: BodyProtocol::V2,
        });
    }
    verify_raw_fields(key, &raw)?;
    let mut fields = Map::new();
    // The test-mode pre-hash echo carries every signed value (tokens, card data): dropped.
    for (k, v) in raw
        .into_iter()
        .filter(|(k, _)| k.0 != "response_signature_string")
    {
        let value: Value = serde_json::from_str(v.get())
            .map_err(|_| VerifyError::Malformed("a value is invalid"))?;
        fields.insert(k.0.into_owned(), value);
    }
    Ok(VerifiedBody {
        fields,
        protocol: BodyProtocol::V1,
    })
}
