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

#[cfg(test)]
mod one_pass_tests {
    use super::*;
    use crate::signature::Signer;
    use proptest::prelude::*;

    fn sig(values: &[&str]) -> String {
        let mut s = Signer::new(&SecretKey::new("test"));
        for v in values {
            s.push(v);
        }
        s.finish().as_str().to_owned()
    }

    fn verify(body: &str) -> Result<VerifiedCallback, CallbackError> {
        Callback::verify(
            body.as_bytes(),
            Some("application/json"),
            &SecretKey::new("test"),
        )
    }

    /// What the fields were before: the body read as a value, `"response"` unwrapped, the
    /// test-mode echo dropped.
    fn reference(body: &str) -> Map<String, Value> {
        let mut map = match serde_json::from_str::<Value>(body).unwrap() {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        if map.len() == 1 {
            if let Some(Value::Object(inner)) = map.get("response") {
                map = inner.clone();
            }
        }
        map.remove("response_signature_string");
        map
    }

    #[test]
    fn a_tampered_value_is_refused() {
        let good = format!(
            r#"{{"order_id":"o-1","amount":100,"currency":"GEL","signature":"{}"}}"#,
            sig(&["100", "GEL", "o-1"])
        );
        assert!(verify(&good).is_ok());
        for (from, to) in [("o-1", "o-2"), ("100", "101"), ("GEL", "USD")] {
            let bad = good.replacen(from, to, 1);
            assert!(
                matches!(
                    verify(&bad),
                    Err(CallbackError::Verify(VerifyError::Mismatch))
                ),
                "{bad}"
            );
        }
        // An added signed value, and the signature itself changed.
        let added = good.replacen('{', r#"{"fee":"1","#, 1);
        assert!(verify(&added).is_err());
        let resigned = good.replacen(&sig(&["100", "GEL", "o-1"]), &sig(&["100", "GEL"]), 1);
        assert!(verify(&resigned).is_err());
    }

    #[test]
    fn numbers_are_verified_by_their_exact_text() {
        for text in [
            "0.0",
            "10.10",
            "-0",
            "1E2",
            "18446744073709551616",
            "123456789012345678901234567890",
        ] {
            let body = format!(
                r#"{{"order_id":"o","fee":{text},"signature":"{}"}}"#,
                sig(&[text, "o"])
            );
            let cb = verify(&body).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(cb.order_id(), Some("o"));
            // The text serde_json makes of it is not what was signed.
            let reparsed: Value = serde_json::from_str(text).unwrap();
            let retext = reparsed.to_string();
            if retext.as_str() != text {
                let body = format!(
                    r#"{{"order_id":"o","fee":{text},"signature":"{}"}}"#,
                    sig(&[&retext, "o"])
                );
                assert!(verify(&body).is_err(), "{text}");
            }
            // Fields and get_str as before: the value as serde_json reads it.
            assert_eq!(cb.fields()["fee"], reparsed, "{text}");
            assert_eq!(cb.get_str("fee"), Some(reparsed.to_string()), "{text}");
        }
        let body = format!(
            r#"{{"order_id":"o","fee":"10.10","amount":0,"signature":"{}"}}"#,
            sig(&["0", "10.10", "o"])
        );
        let order = verify(&body).unwrap().order().unwrap();
        assert_eq!(order.amount, Some(0));
        assert!(order.fee.is_some());
    }

    #[test]
    fn a_key_given_twice_counts_once_with_its_last_value() {
        let body =
            |s: &str| format!(r#"{{"order_id":"a","b":"x","order_id":"c","signature":"{s}"}}"#);
        let cb = verify(&body(&sig(&["x", "c"]))).unwrap();
        assert_eq!(cb.order_id(), Some("c"));
        assert_eq!(cb.get_str("order_id").as_deref(), Some("c"));
        assert_eq!(cb.fields().len(), 3);
        assert_eq!(cb.order().unwrap().order_id.as_deref(), Some("c"));
        for wrong in [
            sig(&["x", "a"]),
            sig(&["a", "x", "c"]),
            sig(&["a", "c", "x"]),
        ] {
            assert!(verify(&body(&wrong)).is_err());
        }
        // The signature given twice: the last one counts.
        let two = format!(
            r#"{{"order_id":"o","signature":"{}","signature":"{}"}}"#,
            sig(&["p"]),
            sig(&["o"])
        );
        assert!(verify(&two).is_ok());
        let two = format!(
            r#"{{"order_id":"o","signature":"{}","signature":"{}"}}"#,
            sig(&["o"]),
            sig(&["p"])
        );
        assert!(verify(&two).is_err());
    }

    #[test]
    fn escaped_keys_and_values_are_decoded() {
        // `order\u005fid` is `order_id`; `o\u002d1` is `o-1`; `\"` and `\\` in a value.
        let body = format!(
            r#"{{"order\u005fid":"o\u002d1","merchant_data":"{{\"a\":\"b\\c\"}}","b\u00e9":"\u00e9t\u00e9","signature":"{}"}}"#,
            sig(&["été", r#"{"a":"b\c"}"#, "o-1"])
        );
        let cb = verify(&body).unwrap();
        assert_eq!(cb.order_id(), Some("o-1"));
        assert_eq!(cb.get_str("bé").as_deref(), Some("été"));
        assert_eq!(cb.fields()["merchant_data"], r#"{"a":"b\c"}"#);
        let order = cb.order().unwrap();
        assert_eq!(order.order_id.as_deref(), Some("o-1"));
        assert_eq!(order.merchant_data.as_deref(), Some(r#"{"a":"b\c"}"#));
        assert_eq!(order.extra["bé"], "été");
        assert_eq!(cb.fields(), &reference(&body));
        // Signed over the escaped text instead: refused.
        let wrong = body.replacen(
            &sig(&["été", r#"{"a":"b\c"}"#, "o-1"]),
            &sig(&[r"\u00e9t\u00e9", r#"{"a":"b\c"}"#, r"o\u002d1"]),
            1,
        );
        assert!(verify(&wrong).is_err());
    }

    #[test]
    fn a_body_wrapped_in_response_is_unwrapped() {
        let inner = format!(
            r#"{{"order_id":"o","amount":"5","response_signature_string":"**|5|o","signature":"{}"}}"#,
            sig(&["5", "o"])
        );
        let body = format!(r#"{{"response":{inner}}}"#);
        let cb = verify(&body).unwrap();
        assert_eq!(cb.order_id(), Some("o"));
        assert_eq!(cb.order().unwrap().amount, Some(5));
        assert!(!cb.fields().contains_key("response_signature_string"));
        assert!(cb.order().unwrap().extra.is_empty());
        assert_eq!(cb.fields(), &reference(&body));
        // Beside another field, `response` is a field like any other (nested: refused).
        let beside = format!(r#"{{"response":{inner},"x":"1"}}"#);
        assert!(verify(&beside).is_err());
        assert!(verify(r#"{"response":"x"}"#).is_err());
        assert!(verify(r#"{"response":[1]}"#).is_err());
    }

    #[test]
    fn the_unverified_fields_are_not_kept() {
        let body = format!(
            r#"{{"order_id":"o","response_signature_string":"**|o|4444555511116666","signature":"{}"}}"#,
            sig(&["o"])
        );
        let cb = verify(&body).unwrap();
        assert!(cb.get_str("response_signature_string").is_none());
        assert!(!format!("{cb:?}").contains("4444555511116666"));
        assert!(
            !cb.order()
                .unwrap()
                .extra
                .contains_key("response_signature_string")
        );
    }

    /// A JSON string literal of `s`, with some characters escaped the long way.
    fn literal(s: &str, escape_all: bool) -> String {
        if !escape_all {
            return Value::String(s.to_owned()).to_string();
        }
        let mut out = String::from('"');
        for u in s.encode_utf16() {
            out.push_str(&format!("\\u{u:04x}"));
        }
        out.push('"');
        out
    }

    fn value_text() -> impl Strategy<Value = String> {
        let names = prop::sample::select(vec![
            "approved",
            "declined",
            "GEL",
            "USD",
            "purchase",
            "VISA",
            "card",
            "7",
            "Y",
            "",
            "1549901",
            "10.10",
            "0",
            "-5",
            "abc",
            "2026-10-21 13:46:26",
            "{\"a\":1}",
        ]);
        prop_oneof![
            (names, any::<bool>()).prop_map(|(s, e)| literal(s, e)),
            ("[^|]{0,12}", any::<bool>()).prop_map(|(s, e)| literal(&s, e)),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            prop::sample::select(vec![
                "0.0",
                "10.10",
                "1E2",
                "-0",
                "18446744073709551616",
                "1.5e-7",
                "null",
                "123456789012345678901234567890",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn key_name() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "order_id",
                "merchant_id",
                "amount",
                "currency",
                "order_status",
                "fee",
                "card_bin",
                "eci",
                "tran_type",
                "card_type",
                "rectoken",
                "response_code",
                "additional_info",
                "payment_id",
                "order_time",
                "verification_status",
                "response_signature_string",
            ])
            .prop_map(str::to_owned),
            "[a-z_é]{1,8}",
        ]
    }

    proptest! {
        #[test]
        fn the_typed_decode_equals_the_value_path(
            fields in prop::collection::vec((key_name(), any::<bool>(), value_text()), 0..20),
            wrapped in any::<bool>(),
        ) {
            let mut text = String::from("{");
            for (k, escaped, v) in &fields {
                text.push_str(&literal(k, *escaped));
                text.push(':');
                text.push_str(v);
                text.push(',');
            }
            let key = SecretKey::new("test");
            let unsigned = format!("{}}}", text.trim_end_matches(','));
            let sig = signature::sign_v1_json(&key, &unsigned).unwrap();
            text.push_str(&format!(r#""signature":"{sig}"}}"#));
            let body = if wrapped { format!(r#"{{"response":{text}}}"#) } else { text };
            let cb = Callback::verify(body.as_bytes(), Some("application/json"), &key).unwrap();
            let old = reference(&body);
            prop_assert_eq!(cb.fields(), &old);
            let fresh = Callback::verify(body.as_bytes(), None, &key).unwrap();
            let as_value: Value = fresh.decode().unwrap();
            prop_assert_eq!(&as_value, &Value::Object(old.clone()));
            let typed = fresh.order();
            let reference = serde_json::from_value::<OrderResponse>(Value::Object(old.clone()));
            match (typed, reference) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
            }
            for k in old.keys() {
                let expected = match &old[k] {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                prop_assert_eq!(fresh.get_str(k), expected);
            }
            prop_assert_eq!(fresh.order_id(), old.get("order_id").and_then(Value::as_str));
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..300),
            json_like in r#"[\{\}\[\]":,0-9a-z .\\|-]{0,200}"#,
        ) {
            let key = SecretKey::new("test");
            for body in [&bytes[..], json_like.as_bytes()] {
                for ct in [None, Some("application/json")] {
                    if let Ok(cb) = Callback::verify(body, ct, &key) {
                        let _ = (cb.order(), cb.fields(), cb.order_id(), cb.get_str("a"), format!("{cb:?}"));
                    }
                }
            }
        }
    }
}
