//! The sandbox's own signing, written apart from `flitt::signature` on purpose: tests that run
//! the SDK against the sandbox then check the SDK's signatures against a second implementation
//! instead of against itself.

use crate::ledger::{Field, OrderFields};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::borrow::Cow;

const MASK: &str = "**********";

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The text a top-level value is signed by: strings as they are, numbers by their JSON text;
/// `None` for values that contribute nothing (absent, null, empty) or cannot be signed.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        _ => None,
    }
}

/// The pre-hash string: `secret|v1|v2|…` over non-empty values ordered by key.
pub fn pre_hash(secret: &str, fields: &Map<String, Value>) -> String {
    pre_hash_without(secret, fields, None)
}

/// [`pre_hash`] leaving out the field `skip` too.
fn pre_hash_without(secret: &str, fields: &Map<String, Value>, skip: Option<&str>) -> String {
    // A `Map` iterates in key order already (serde_json without `preserve_order`); sorting
    // keeps this right whatever its features.
    let mut entries: Vec<(&String, &Value)> = fields
        .iter()
        .filter(|(k, _)| {
            *k != "signature" && *k != "response_signature_string" && Some(k.as_str()) != skip
        })
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let values = entries.into_iter().filter_map(|(_, v)| match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        other => text(other).map(Cow::Owned),
    });
    joined(secret, values)
}

/// `secret|v1|v2|…` over `values` in key order, empty ones left out.
fn joined<'a>(secret: &str, values: impl Iterator<Item = Cow<'a, str>>) -> String {
    let mut out = String::with_capacity(secret.len() + 512);
    out.push_str(secret);
    for value in values {
        push_value(&mut out, &value);
    }
    out
}

/// Appends `|value` to a pre-hash string, unless `value` is empty.
fn push_value(pre: &mut String, value: &str) {
    if !value.is_empty() {
        pre.push('|');
        pre.push_str(value);
    }
}

/// The protocol 1.0 signature of `fields`.
#[cfg(test)]
pub fn v1(secret: &str, fields: &Map<String, Value>) -> String {
    v1_without(secret, fields, None)
}

/// The protocol 1.0 signature of `fields` without the field `skip` (`version` for
/// `transaction_list`, whose documented vector signs without it).
pub fn v1_without(secret: &str, fields: &Map<String, Value>, skip: Option<&str>) -> String {
    hex(&Sha1::digest(
        pre_hash_without(secret, fields, skip).as_bytes(),
    ))
}

/// The protocol 2.0 signature of a `data` string.
pub fn v2(secret: &str, data: &str) -> String {
    hex(&Sha1::digest(format!("{secret}|{data}").as_bytes()))
}

/// An order's fields as a 2.0 envelope, signed with [`v2`] (the shape is
/// [`Callback::body`](crate::Callback::body)'s): the sandbox answers a 2.0 request with one
/// (inside `"response"`) and calls back an order created in 2.0 with one (flat).
pub fn v2_envelope(secret: &str, order: &Map<String, Value>) -> Map<String, Value> {
    use base64::Engine as _;
    /// `{"order": {…}}`, written from the borrowed fields (no copy of them).
    #[derive(serde::Serialize)]
    struct Data<'a> {
        order: &'a Map<String, Value>,
    }
    // A map of JSON values always serializes.
    let json = serde_json::to_vec(&Data { order }).unwrap_or_default();
    let data = base64::engine::general_purpose::STANDARD.encode(json);
    let signature = v2(secret, &data);
    let mut envelope = Map::new();
    envelope.insert("version".into(), "2.0".into());
    envelope.insert("data".into(), Value::String(data));
    envelope.insert("signature".into(), Value::String(signature));
    envelope
}

/// The order inside a 2.0 envelope (see [`v2_envelope`]; the signature is not checked):
/// `None` unless `version` is `"2.0"` and `data` is the base64 of `{"order": {…}}`.
pub fn open_v2(envelope: &Map<String, Value>) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    if envelope.get("version").and_then(Value::as_str) != Some("2.0") {
        return None;
    }
    let data = envelope.get("data").and_then(Value::as_str)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    match serde_json::from_slice::<Value>(&decoded)
        .ok()?
        .get_mut("order")?
        .take()
    {
        Value::Object(order) => Some(order),
        _ => None,
    }
}

/// Signs a reply in place: `signature`, and in test mode `response_signature_string` with
/// every occurrence of the secret masked, as Flitt does.
pub fn sign_reply(secret: &str, fields: &mut Map<String, Value>) {
    let Sealed { signature, masked } = seal(secret, pre_hash(secret, fields));
    fields.insert("response_signature_string".into(), Value::String(masked));
    fields.insert("signature".into(), Value::String(signature));
}

/// What signing a reply adds to it.
pub struct Sealed {
    /// `signature`.
    pub signature: String,
    /// `response_signature_string`: the pre-hash string with the secret masked.
    pub masked: String,
}

/// The signature of the pre-hash string `pre`, and `pre` masked.
fn seal(secret: &str, pre: String) -> Sealed {
    let signature = hex(&Sha1::digest(pre.as_bytes()));
    Sealed {
        signature,
        masked: masked(pre, secret),
    }
}

/// `pre.replace(secret, MASK)` for a non-empty `secret` (`pre` as it is for an empty one),
/// found with `memchr`'s vectorised search: the standard library's searcher was the largest
/// part of signing a status reply (callgrind).
fn masked(pre: String, secret: &str) -> String {
    if secret.is_empty() {
        return pre;
    }
    let finder = memchr::memmem::Finder::new(secret);
    let found = || finder.find_iter(pre.as_bytes());
    let count = found().count();
    if count == 0 {
        return pre;
    }
    // Counted first, so the text is built in one allocation (a test key such as `test` is
    // also inside `is_test` in every order's `additional_info`).
    let mut out = String::with_capacity(pre.len() + count * MASK.len());
    let mut done = 0;
    // Non-overlapping, left to right, as `str::replace`; a match of whole UTF-8 text starts
    // and ends on character boundaries.
    for at in found() {
        out.push_str(&pre[done..at]);
        out.push_str(MASK);
        done = at + secret.len();
    }
    out.push_str(&pre[done..]);
    out
}

/// What [`sign_reply`] adds to an order's reply fields, without making them a map.
pub fn sign_order(secret: &str, fields: &OrderFields) -> Sealed {
    // Numbers by itoa into one buffer, not a `String` each.
    let mut digits = itoa::Buffer::new();
    let mut pre = joined(secret, std::iter::empty());
    for (_, value) in fields.iter() {
        push_value(
            &mut pre,
            match value {
                Field::Text(s) => s,
                Field::Number(n) => digits.format(*n),
            },
        );
    }
    seal(secret, pre)
}

/// Whether `given` is the signature `expected` (lowercase hex), in any letter case. Every
/// byte is looked at whatever the first difference, so the time taken does not tell a caller
/// how many leading digits were right.
pub fn matches(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    if expected.len() != given.len() {
        return false;
    }
    let diff = expected
        .iter()
        .zip(given)
        .fold(0u8, |acc, (e, g)| acc | (e ^ g.to_ascii_lowercase()));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_signature_matches_in_any_case_and_only_itself() {
        let good = "a7adf395dae783a4676abbafe7f2479b2f6cfbca";
        assert!(matches(good, good));
        assert!(matches(good, &good.to_ascii_uppercase()));
        assert!(!matches(good, "a7adf395dae783a4676abbafe7f2479b2f6cfbcb"));
        assert!(!matches(good, "b7adf395dae783a4676abbafe7f2479b2f6cfbca"));
        assert!(!matches(good, &good[..39]));
        assert!(!matches(good, ""));
        assert!(!matches(good, &format!("{good}0")));
    }

    #[test]
    fn published_vectors() {
        let start =
            json!({"order_id":"test_subscription11","merchant_id":1549901,"action":"start"});
        assert_eq!(
            v1("test", start.as_object().unwrap()),
            "a7adf395dae783a4676abbafe7f2479b2f6cfbca"
        );
        let p2p = json!({"order_id":"test_1234312142","merchant_id":"1549901","order_desc":"Test order","amount":1000,"currency":"GEL","receiver_rectoken":"I0wh7fBmFIdcY6K3Px2QugVrVR65sPafeZkPmRanOiRnXG","server_callback_url":"https://myserver.com/callback"});
        assert_eq!(
            v1("testcredit", p2p.as_object().unwrap()),
            "51e59ffd263d071da8e1a1fc10b981f459dbe6f1"
        );
    }

    #[test]
    fn masking_is_str_replace() {
        let texts = [
            "",
            "a",
            "aaa",
            "aaaa",
            "xaay",
            "test|test",
            "é|tést|té",
            "testtesttest",
        ];
        for secret in ["", "a", "aa", "test", "té", "tést", "|", "zz"] {
            for text in texts {
                // No key, nothing masked (`str::replace` would put a mask between characters).
                let expected = if secret.is_empty() {
                    text.to_owned()
                } else {
                    text.replace(secret, MASK)
                };
                assert_eq!(
                    masked(text.to_owned(), secret),
                    expected,
                    "{secret:?} in {text:?}"
                );
            }
        }
    }

    #[test]
    fn masks_the_secret_everywhere() {
        let mut m = json!({"order_id": "test_1", "email": "test@test.com"})
            .as_object()
            .unwrap()
            .clone();
        sign_reply("test", &mut m);
        assert_eq!(
            m["response_signature_string"],
            "**********|**********@**********.com|**********_1"
        );
    }
}
