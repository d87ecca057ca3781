//! Replies: an HTTP 200 body checked as Flitt answers (JSON, a form, a 2.0 envelope), its
//! signature verified, a refusal turned into [`Error::Gateway`], and the typed decode.

use crate::error::{Error, GatewayError};
use crate::redact::Secrets;
use crate::request::{ApiRequest, Endpoint, Host, ResponseShape};
use crate::signature::{self, RawFields, SecretKey};
use serde_json::{Map, Value};

/// Where a raw reply came from, for error messages.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
}

pub(super) fn http_error(reply: &Reply, secrets: &Secrets<'_>) -> Error {
    Error::HttpStatus {
        status: reply.status,
        excerpt: secrets.excerpt(&reply.body),
    }
}

/// A checked reply: a 1.0 JSON object's fields as received (verified when signed), or any
/// other reply as JSON. Either way without the test-mode `response_signature_string`.
pub(crate) enum Checked {
    /// A JSON object, flat or in `"response"`: decoded straight from its raw values.
    Fields(RawFields<Box<str>>),
    /// A form, a 2.0 `order`, a list.
    Value(Value),
}

impl Checked {
    /// Decodes the reply into its typed response; an error names the reason, redacted
    /// (serde's messages quote the offending value).
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        &self,
        secrets: &Secrets<'_>,
    ) -> Result<T, Error> {
        match self {
            Self::Fields(fields) => signature::decode_fields(fields).map_err(|e| {
                let shown = Value::Object(fields.to_map()).to_string();
                Error::decode(e, shown.as_bytes(), secrets)
            }),
            Self::Value(value) => T::deserialize(value)
                .map_err(|e| Error::decode(e, value.to_string().as_bytes(), secrets)),
        }
    }

    /// The reply as JSON.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Self::Fields(fields) => Value::Object(fields.to_map()),
            Self::Value(value) => value,
        }
    }
}

/// Whether `key` is one of the fields of a reply that decide how it is checked: a refusal's, a
/// 2.0 envelope's and the signature. Only these are read into values; the others stay as
/// received. (A `match`, so most keys are turned away by their length alone.)
fn deciding(key: &str) -> bool {
    matches!(
        key,
        "data"
            | "err_code"
            | "error"
            | "error_code"
            | "error_message"
            | "request_id"
            | "response_status"
            | "signature"
            | "version"
    )
}

/// Parses a 200 reply, maps a refusal to [`Error::Gateway`], unwraps and verifies it.
///
/// A success reply of an endpoint the spec marks signed must carry a valid signature (a 2.0
/// envelope's, or a 1.0 `signature`); without one it is [`Error::Signature`], unless it
/// carries only the endpoint's `unsigned_fields` (a 3-D Secure challenge).
pub(super) fn check_reply(
    endpoint: &Endpoint,
    key: &SecretKey,
    reply: &Reply,
    secrets: &Secrets<'_>,
) -> Result<Checked, Error> {
    let body = reply.body.as_slice();
    let bad = |reason: &str| Error::decode(reason, body, secrets);
    let content_type = reply.content_type.as_deref().unwrap_or("");
    if content_type.starts_with("text/html") {
        return Err(bad("the reply is an HTML page"));
    }
    let looks_like_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    let is_form = content_type.starts_with("application/x-www-form-urlencoded")
        || (!looks_like_json && !content_type.contains("json"));
    // A JSON object (flat or in `"response"`) is parsed once, into its raw fields in key
    // order: its signature is verified over them and the typed response decoded from them,
    // without reading the body again. Only the fields that decide the checks are read into
    // values.
    let mut raw = if is_form {
        None
    } else {
        std::str::from_utf8(body)
            .ok()
            .and_then(|text| RawFields::parse(text).ok())
            .filter(RawFields::every_value_reads)
    };
    let inner = if is_form {
        let map: Map<String, Value> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        // Every key of a form reply is a wire name; anything else (an HTML page, plain text)
        // is not a reply at all.
        let wire_name =
            |k: &String| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if map.is_empty() || !map.keys().all(wire_name) {
            return Err(bad("the reply is neither JSON nor a form"));
        }
        Value::Object(map)
    } else if let Some(fields) = &raw {
        Value::Object(
            fields
                .fields()
                .iter()
                .filter(|f| deciding(fields.key(f)))
                .map(|f| {
                    // A string is its text, read by the scan already; anything else is read
                    // by serde_json.
                    let v = fields.str_of(f).map_or_else(
                        || serde_json::from_str(fields.raw(f)).unwrap_or(Value::Null),
                        |s| Value::String(s.to_owned()),
                    );
                    (fields.key(f).to_owned(), v)
                })
                .collect(),
        )
    } else {
        // Not an object (a list), or a value that does not read: the whole body read as a
        // value, which also names the reason it is malformed.
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Error::decode(format!("malformed JSON: {e}"), body, secrets))?;
        match value {
            Value::Object(mut map) if map.len() == 1 && map.contains_key("response") => {
                map.remove("response").unwrap_or(Value::Null)
            }
            other => other,
        }
    };
    match inner {
        Value::Array(items) => {
            if endpoint.response_shape == ResponseShape::Array {
                Ok(Checked::Value(Value::Array(items)))
            } else {
                Err(bad("expected an object, found a list"))
            }
        }
        Value::Object(map) => {
            // The Reports API refuses with an error message alone.
            if let Some(e) = gateway_error(&map, secrets, endpoint.host == Host::Portal) {
                return Err(Error::Gateway(Box::new(e)));
            }
            if map.get("version").and_then(Value::as_str) == Some("2.0") && map.contains_key("data")
            {
                let data = map.get("data").and_then(Value::as_str).unwrap_or_default();
                let sig = map
                    .get("signature")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let decoded = signature::verify_v2(key, data, sig)
                    .map_err(|e| Error::Signature(e.to_string()))?;
                return match decoded {
                    Value::Object(mut outer) if outer.contains_key("order") => {
                        let order = outer.remove("order").unwrap_or(Value::Null);
                        match order {
                            Value::Object(o) => match gateway_error(&o, secrets, false) {
                                Some(e) => Err(Error::Gateway(Box::new(e))),
                                None => Ok(Checked::Value(Value::Object(o))),
                            },
                            _ => Err(bad("the 2.0 `order` is not an object")),
                        }
                    }
                    Value::Object(o) => Ok(Checked::Value(Value::Object(o))),
                    _ => Err(bad("the 2.0 data is not an object")),
                };
            }
            if map.contains_key("signature") {
                let verified = match &mut raw {
                    Some(fields) => fields.verify(key),
                    None if is_form => signature::verify_v1_form(key, body),
                    None => signature::verify_v1_json(key, body),
                };
                verified.map_err(|e| Error::Signature(e.to_string()))?;
            } else if endpoint.response_signed && {
                let unsigned = |k: &str| endpoint.unsigned_fields.contains(&k);
                match &raw {
                    Some(fields) => !fields.iter().all(|(k, _)| unsigned(k)),
                    None => !map.keys().all(|k| unsigned(k)),
                }
            } {
                return Err(Error::Signature(format!(
                    "a success reply of `{}` must be signed, and this one carries no signature",
                    endpoint.name
                )));
            }
            if endpoint.response_shape == ResponseShape::Array {
                return Err(bad("expected a list, found an object"));
            }
            // Test mode echoes the whole pre-hash string (card data, tokens) for debugging
            // signatures: once verified, it is only a leak waiting to be logged.
            Ok(match raw {
                Some(mut fields) => {
                    fields.remove("response_signature_string");
                    Checked::Fields(fields.into_owned())
                }
                None => {
                    let mut map = map;
                    map.remove("response_signature_string");
                    Checked::Value(Value::Object(map))
                }
            })
        }
        _ => Err(bad("the reply is not an object")),
    }
}

/// The gateway's refusal in a reply, if it is one: the one reader of `error_code` /
/// `err_code`, `error_message` / `error` and `request_id`, for the payment API and the Reports
/// API alike. A reply is a refusal when it says `response_status: failure` or carries an error
/// code; with `message_alone`, an error message alone is one too (the Reports API's way). The
/// message is redacted: gateways quote card numbers and parameters back.
pub(crate) fn gateway_error(
    map: &Map<String, Value>,
    secrets: &Secrets<'_>,
    message_alone: bool,
) -> Option<GatewayError> {
    let failure = map.get("response_status").and_then(Value::as_str) == Some("failure");
    let code = map.get("error_code").or_else(|| map.get("err_code"));
    let message = map.get("error_message").or_else(|| map.get("error"));
    if !failure && code.is_none() && !(message_alone && message.is_some()) {
        return None;
    }
    let raw_code = match code {
        Some(Value::String(s)) => secrets.text(s),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let message = message.and_then(Value::as_str).unwrap_or("no message");
    Some(GatewayError {
        code: raw_code.trim().parse().ok(),
        raw_code,
        message: secrets.text(message),
        request_id: map
            .get("request_id")
            .and_then(Value::as_str)
            .map(|r| secrets.text(r)),
    })
}

/// Runs the client's reply path (envelope, signature, gateway error, typed decode) on a raw
/// HTTP 200 body, as [`Client::send`] does for `R`, with the key `key`. For fuzzing; not a
/// stable API.
///
/// # Errors
/// As [`Client::send`] for a 200 reply.
#[doc(hidden)]
pub fn decode_reply_for_fuzzing<R: ApiRequest>(
    key: &SecretKey,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<R::Response, Error> {
    let reply = Reply {
        status: 200,
        content_type: content_type.map(str::to_owned),
        body: body.to_vec(),
    };
    let secrets = Secrets::default();
    check_reply(&R::ENDPOINT, key, &reply, &secrets)?.decode(&secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_errors_accept_string_and_number_codes() {
        let m = |v: Value| v.as_object().cloned().unwrap();
        let none = Secrets::default();
        let e = gateway_error(&m(serde_json::json!({"error_code": "1008", "error_message": "x", "response_status": "failure"})), &none, false).unwrap();
        assert_eq!(e.code, Some(1008));
        let e = gateway_error(
            &m(serde_json::json!({"error_code": 1014, "error_message": "Invalid signature"})),
            &none,
            false,
        )
        .unwrap();
        assert_eq!(
            e.response_code().map(|c| c.name()),
            Some("invalid_signature")
        );
        assert!(
            gateway_error(
                &m(serde_json::json!({"order_status": "declined", "response_status": "success"})),
                &none,
                false
            )
            .is_none()
        );
    }

    fn sig(values: &[&str]) -> String {
        let mut s = crate::signature::Signer::new(&SecretKey::new("test"));
        for v in values {
            s.push(v);
        }
        s.finish().as_str().to_owned()
    }

    fn status(body: &str) -> Result<crate::api::OrderResponse, Error> {
        decode_reply_for_fuzzing::<crate::api::StatusRequest>(
            &SecretKey::new("test"),
            Some("application/json"),
            body.as_bytes(),
        )
    }

    #[test]
    fn a_json_reply_is_verified_over_its_values_as_received() {
        // `0.0` is signed as written; the key given twice counts once, with its last value.
        let values = ["100", "0.0", "o\"1", "success"];
        let body = format!(
            r#"{{"response":{{"order_id":"x","amount":"100","fee":0.0,"order_id":"o\"1","response_status":"success","response_signature_string":"**|100|0.0","signature":"{}"}}}}"#,
            sig(&values)
        );
        let order = status(&body).unwrap();
        assert_eq!(order.order_id.as_deref(), Some("o\"1"));
        assert_eq!(order.amount, Some(100));
        assert!(!order.extra.contains_key("response_signature_string"));
        // Signed over serde_json's text of the number instead: refused.
        let reparsed = body.replacen(&sig(&values), &sig(&["100", "0", "o\"1", "success"]), 1);
        assert!(matches!(status(&reparsed), Err(Error::Signature(_))));
        let tampered = body.replacen(r#""amount":"100""#, r#""amount":"101""#, 1);
        assert!(matches!(status(&tampered), Err(Error::Signature(_))));
        // A refusal is still the gateway's error, signed or not.
        let refusal = r#"{"response":{"response_status":"failure","error_code":1014,"error_message":"Invalid signature"}}"#;
        assert!(matches!(status(refusal), Err(Error::Gateway(_))));
        // Malformed JSON still names its reason.
        assert!(matches!(
            status(r#"{"response":{"a":1e999,"signature":"x"}}"#),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn a_refusal_is_read_from_the_raw_values_as_written() {
        // Plain strings, escaped ones and a number, each as serde_json reads it.
        for (code, message, expected) in [
            (r#""1014""#, r#""Invalid signature""#, "Invalid signature"),
            ("1014", r#""bad \"card\" \u00e9\n""#, "bad \"card\" é "),
        ] {
            let body = format!(
                r#"{{"response":{{"response_status":"failure","error_code":{code},"error_message":{message},"request_id":"r-1"}}}}"#
            );
            let Err(Error::Gateway(e)) = status(&body) else {
                panic!("{body}: not a refusal");
            };
            assert_eq!(
                (e.code, e.raw_code.as_str()),
                (Some(1014), "1014"),
                "{body}"
            );
            assert_eq!(e.message.replace('\n', " "), expected, "{body}");
            assert_eq!(e.request_id.as_deref(), Some("r-1"), "{body}");
        }
    }

    /// The typed reply as read before the one-pass check: the body into a map, unwrapped,
    /// without the echo, then decoded from the map.
    fn status_by_map(body: &str) -> Result<crate::api::OrderResponse, String> {
        let value: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let mut map = match value {
            Value::Object(mut m) if m.len() == 1 && m.contains_key("response") => {
                match m.remove("response") {
                    Some(Value::Object(inner)) => inner,
                    _ => return Err("not an object".into()),
                }
            }
            Value::Object(m) => m,
            _ => return Err("not an object".into()),
        };
        map.remove("response_signature_string");
        serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())
    }

    fn raw_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "\"[a-z0-9 é]{0,8}\"",
            "[0-9]{1,6}",
            "-?[0-9]{1,3}\\.[0-9]{1,3}",
            Just("\"a\\\"b\\\\c\\u00e9\\n\"".to_owned()),
            Just("\"\\ud800\"".to_owned()),
            Just("1e999".to_owned()),
            Just("null".to_owned()),
            Just("\"\"".to_owned()),
            Just("\"approved\"".to_owned()),
            Just("\"GEL\"".to_owned()),
            Just("{\"a\":[1,2]}".to_owned()),
            Just("true".to_owned()),
        ]
    }

    proptest::proptest! {
        /// A signed reply decodes from its raw values exactly as from its map: the same
        /// response, or an error both ways (a value that does not read, a wrong shape).
        #[test]
        fn a_reply_decodes_from_its_raw_values_as_from_its_map(
            // Each key once: a key given twice is read last-wins by both (see the test above),
            // but a map of the whole body also refuses an overridden value that does not read.
            fields in proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "order_id", "amount", "actual_amount", "currency", "order_status",
                    "response_status", "rectoken", "merchant_data", "fee", "card_bin", "eci",
                    "reversal_amount", "response_signature_string", "something_new",
                ]),
                raw_value(),
                0..10,
            ),
            wrapped in proptest::bool::ANY,
        ) {
            let object = fields
                .iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect::<Vec<_>>()
                .join(",");
            let unsigned = format!("{{{object}}}");
            let body = match signature::sign_v1_json(&SecretKey::new("test"), &unsigned) {
                Ok(sig) if object.is_empty() => format!(r#"{{"signature":"{sig}"}}"#),
                Ok(sig) => format!(r#"{{{object},"signature":"{sig}"}}"#),
                // Booleans, nested values and numbers beyond f64 do not sign: sent unsigned.
                Err(_) => unsigned,
            };
            let body = if wrapped { format!(r#"{{"response":{body}}}"#) } else { body };
            match (status(&body), status_by_map(&body)) {
                (Ok(one_pass), Ok(by_map)) => proptest::prop_assert_eq!(one_pass, by_map),
                (Err(_), Err(_)) => {}
                // A reply without a signature is refused before decoding.
                (Err(Error::Signature(_)), Ok(_)) if !body.contains("\"signature\"") => {}
                (one_pass, by_map) => proptest::prop_assert!(
                    false,
                    "{body}: one pass {one_pass:?}, by map {by_map:?}"
                ),
            }
        }
    }
}
