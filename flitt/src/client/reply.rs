//! Replies: an HTTP 200 body checked as Flitt answers (JSON, a form, a 2.0 envelope), its
//! signature verified, a refusal turned into [`Error::Gateway`], and the typed decode.

use crate::error::{Error, GatewayError};
use crate::redact::Secrets;
use crate::request::{ApiRequest, Endpoint, Host, ResponseShape};
use crate::signature::{self, SecretKey};
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

/// Decodes a checked reply into its typed response; an error names the reason, redacted
/// (serde's messages quote the offending value).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    value: &Value,
    secrets: &Secrets<'_>,
) -> Result<T, Error> {
    T::deserialize(value).map_err(|e| Error::decode(e, value.to_string().as_bytes(), secrets))
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
) -> Result<Value, Error> {
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
    // order: the reply's map is made from them, and its signature verified over the same
    // raw values, without reading the body again.
    let mut raw = if is_form {
        None
    } else {
        std::str::from_utf8(body)
            .ok()
            .and_then(|text| signature::RawFields::parse(text).ok())
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
    } else if let Some(map) = raw.as_ref().and_then(raw_map) {
        Value::Object(map)
    } else {
        // Not an object (a list), or a value the one pass cannot carry into a map: the
        // whole body read as a value, which also names the reason it is malformed.
        raw = None;
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
                Ok(Value::Array(items))
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
                                None => Ok(Value::Object(o)),
                            },
                            _ => Err(bad("the 2.0 `order` is not an object")),
                        }
                    }
                    Value::Object(o) => Ok(Value::Object(o)),
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
            } else if endpoint.response_signed
                && !map
                    .keys()
                    .all(|k| endpoint.unsigned_fields.contains(&k.as_str()))
            {
                return Err(Error::Signature(format!(
                    "a success reply of `{}` must be signed, and this one carries no signature",
                    endpoint.name
                )));
            }
            if endpoint.response_shape == ResponseShape::Array {
                return Err(bad("expected a list, found an object"));
            }
            let mut map = map;
            // Test mode echoes the whole pre-hash string (card data, tokens) for debugging
            // signatures: once verified, it is only a leak waiting to be logged.
            map.remove("response_signature_string");
            Ok(Value::Object(map))
        }
        _ => Err(bad("the reply is not an object")),
    }
}

/// The map of raw fields in key order, each value read from its text; `None` when one cannot
/// be (a number beyond `f64`), which the whole-body read then reports.
fn raw_map(fields: &signature::RawFields<&str>) -> Option<Map<String, Value>> {
    fields
        .iter()
        .map(|(k, v)| Some((k.to_owned(), serde_json::from_str(v).ok()?)))
        .collect()
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
    let value = check_reply(&R::ENDPOINT, key, &reply, &secrets)?;
    decode(&value, &secrets)
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
}
