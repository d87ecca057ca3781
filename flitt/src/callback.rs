//! Server callbacks (`server_callback_url`): verified before anything reads them.
//!
//! [`Callback::verify`] takes the raw body bytes and content type exactly as received and
//! returns a [`VerifiedCallback`], a type that only verification can produce. Flat JSON (what
//! Flitt sends), JSON wrapped in `"response"`, form-urlencoded, and 2.0 envelopes are accepted.
//!
//! Flitt may send several callbacks for one order (one per attempt with `delayed=Y`) and
//! retries until it gets HTTP 200: make your handler idempotent and never let a late
//! `declined` overwrite an `approved`.
//!
//! ```
//! use flitt::callback::Callback;
//! use flitt::signature::SecretKey;
//!
//! let key = SecretKey::new("test");
//! let body = br#"{"order_id":"test_subscription11","merchant_id":1549901,"action":"start","signature":"a7adf395dae783a4676abbafe7f2479b2f6cfbca"}"#;
//! let callback = Callback::verify(body, Some("application/json"), &key)?;
//! assert_eq!(callback.order_id(), Some("test_subscription11"));
//!
//! let tampered = br#"{"order_id":"test_subscription11","merchant_id":1549902,"action":"start","signature":"a7adf395dae783a4676abbafe7f2479b2f6cfbca"}"#;
//! assert!(Callback::verify(tampered, Some("application/json"), &key).is_err());
//! # Ok::<(), flitt::callback::CallbackError>(())
//! ```

use crate::api::OrderResponse;
use crate::signature::{self, BodyProtocol, SecretKey, SignedFields, Verified, VerifyError};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Entry point for verifying callbacks.
#[derive(Debug)]
pub struct Callback;

/// A callback whose signature verified. Only [`Callback::verify`] makes one. Its `Debug`
/// shows sensitive fields (card data, tokens) as `[redacted]`.
///
/// A JSON callback (flat or in `"response"`) is kept as received: its body and where each
/// verified field lies in it, so [`order`](Self::order) and [`decode`](Self::decode) read the
/// values straight from their text and [`fields`](Self::fields) builds its map only when asked.
#[derive(Clone)]
pub struct VerifiedCallback {
    /// A 1.0 JSON body's verified fields; `None` for a form or a 2.0 envelope.
    raw: Option<SignedFields>,
    /// The fields as a map: built on first use from `raw`, or the form's or 2.0 order's.
    map: OnceLock<Map<String, Value>>,
    protocol: BodyProtocol,
}

impl std::fmt::Debug for VerifiedCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCallback")
            .field("protocol", &self.protocol)
            .field("fields", &crate::redact::RedactedFields(self.fields()))
            .finish()
    }
}

/// Why a callback was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The signature is missing, wrong, or the body malformed.
    #[error("callback refused: {0}")]
    Verify(#[from] VerifyError),
    /// It verified but is not the expected shape. The reason is redacted: a decoder's message
    /// may quote the value it could not read.
    #[error("callback decodes badly: {0}")]
    Decode(String),
}

impl Callback {
    /// Verifies a callback body as received. A JSON body is parsed once: its values are
    /// verified exactly as written (`0.0` stays `0.0`) and kept, borrowed, for decoding.
    ///
    /// # Errors
    /// [`CallbackError::Verify`]; never a panic, whatever the bytes.
    pub fn verify(
        body: &[u8],
        content_type: Option<&str>,
        key: &SecretKey,
    ) -> Result<VerifiedCallback, CallbackError> {
        Ok(match signature::verify_kept(key, body, content_type)? {
            Verified::Fields(raw) => VerifiedCallback {
                raw: Some(raw),
                map: OnceLock::new(),
                protocol: BodyProtocol::V1,
            },
            Verified::Map(fields, protocol) => VerifiedCallback {
                raw: None,
                map: OnceLock::from(fields),
                protocol,
            },
        })
    }
}

impl VerifiedCallback {
    /// The verified fields, as a JSON map. For a JSON callback it is built on the first call
    /// (each value parsed from its text); [`get_str`](Self::get_str),
    /// [`order_id`](Self::order_id), [`decode`](Self::decode) and [`order`](Self::order) do
    /// not need it.
    pub fn fields(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| {
            self.raw
                .as_ref()
                .map(SignedFields::to_map)
                .unwrap_or_default()
        })
    }

    /// Whether it came as a 2.0 envelope.
    pub fn protocol(&self) -> BodyProtocol {
        self.protocol
    }

    /// A field as text (numbers by their text).
    pub fn get_str(&self, key: &str) -> Option<String> {
        if let Some(raw) = &self.raw {
            if let Some(s) = raw.get_str(key) {
                return Some(s.to_owned());
            }
            // A number (by serde_json's text of it, as before), or a string with escapes.
            let text = raw.get_raw(key)?;
            return match serde_json::from_str::<Value>(text).ok()? {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
        }
        match self.fields().get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The order id.
    pub fn order_id(&self) -> Option<&str> {
        if let Some(raw) = &self.raw {
            if let Some(s) = raw.get_str("order_id") {
                return Some(s);
            }
            // Not a string, or one with escapes: the map has it decoded.
            raw.get_raw("order_id")?;
        }
        self.fields().get("order_id").and_then(Value::as_str)
    }

    /// Decodes the verified fields into a type.
    ///
    /// # Errors
    /// When they do not have its shape.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, CallbackError> {
        let decoded = match &self.raw {
            Some(raw) => raw.decode(),
            None => serde_json::from_value(Value::Object(self.fields().clone())),
        };
        decoded.map_err(|e| CallbackError::Decode(crate::redact::text(&e.to_string())))
    }

    /// The order, decoded leniently.
    ///
    /// # Errors
    /// When a field has a value its type cannot take.
    pub fn order(&self) -> Result<OrderResponse, CallbackError> {
        self.decode()
    }
}

/// Signs callback bodies, so you can test your own handler against [`Callback::verify`].
#[cfg(any(test, feature = "test-util"))]
pub mod test_util {
    use crate::signature::{SecretKey, SignError, sign_v1};
    use serde_json::{Map, Value};

    /// A flat JSON callback body with its signature, as Flitt sends it.
    ///
    /// # Errors
    /// When the fields cannot be signed (nested values, `|`).
    pub fn sign_callback_json(
        key: &SecretKey,
        fields: &Map<String, Value>,
    ) -> Result<Vec<u8>, SignError> {
        let mut fields = fields.clone();
        let sig = sign_v1(key, &fields)?;
        fields.insert("signature".into(), Value::String(sig.as_str().to_owned()));
        Ok(Value::Object(fields).to_string().into_bytes())
    }

    /// The same as a form-urlencoded body.
    ///
    /// # Errors
    /// When the fields cannot be signed.
    pub fn sign_callback_form(
        key: &SecretKey,
        fields: &Map<String, Value>,
    ) -> Result<Vec<u8>, SignError> {
        let sig = sign_v1(key, fields)?;
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            ser.append_pair(k, &text);
        }
        ser.append_pair("signature", sig.as_str());
        Ok(ser.finish().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::{sign_callback_form, sign_callback_json};
    use super::*;
    use serde_json::json;

    #[test]
    fn test_util_bodies_verify() {
        let key = SecretKey::new("shop-secret");
        let fields = json!({"order_id": "o-1", "order_status": "approved", "amount": "100", "merchant_id": 1549901});
        let fields = fields.as_object().unwrap();
        let json_body = sign_callback_json(&key, fields).unwrap();
        let cb = Callback::verify(&json_body, Some("application/json"), &key).unwrap();
        assert_eq!(cb.order().unwrap().amount, Some(100));
        let form_body = sign_callback_form(&key, fields).unwrap();
        let cb =
            Callback::verify(&form_body, Some("application/x-www-form-urlencoded"), &key).unwrap();
        assert_eq!(cb.get_str("merchant_id").as_deref(), Some("1549901"));
        assert!(Callback::verify(&json_body, None, &SecretKey::new("other")).is_err());
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_and_decode_errors_never_show_card_data_or_tokens() {
        let key = SecretKey::new("test");
        let fields = json!({
            "order_id": "o-1",
            "order_status": "approved",
            "rectoken": "tok_secret_7f3a",
            "card_bin": 444455,
            "masked_card": "444455XXXXXX6666",
            "amount": "4444555511116666",
        });
        let body = test_util::sign_callback_json(&key, fields.as_object().unwrap()).unwrap();
        let cb = Callback::verify(&body, Some("application/json"), &key).unwrap();
        let shown = format!("{cb:?}");
        assert!(!shown.contains("tok_secret_7f3a"), "{shown}");
        assert!(!shown.contains("4444555511116666"), "{shown}");
        assert!(shown.contains("o-1"), "{shown}");
        // `amount` holding a card number cannot decode as an amount; the error must not quote it.
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Strict {
            amount: u64,
        }
        let e = cb.decode::<Strict>().unwrap_err().to_string();
        assert!(!e.contains("4444555511116666"), "{e}");
    }

    #[test]
    fn a_hostile_parameter_name_cannot_forge_log_lines() {
        let key = SecretKey::new("test");
        let body = br#"{"response":{"a\nINFO forged":"x|y","signature":"0000000000000000000000000000000000000000"}}"#;
        let e = Callback::verify(body, Some("application/json"), &key).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains(r#""a\nINFO forged""#), "{shown}");
        assert!(!shown.contains('\n'), "{shown}");
    }
}
