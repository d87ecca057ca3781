//! Properties of signing and verification (proptest; failures are kept in
//! `proptest-regressions/`).

use flitt::signature::{
    SecretKey, SignError, Signer, VerifyError, envelope_v2, envelope_v2_json, sign_v1,
    sign_v1_json, verify_body, verify_v1_form, verify_v1_json, verify_v2,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Parameter names as Flitt uses them.
fn key() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,15}".prop_filter("not the signature fields", |k| {
        k != "signature" && k != "response_signature_string"
    })
}

/// Non-empty values without the separator: text (any Unicode) or numbers.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[^|]{1,24}".prop_map(Value::String),
        any::<u32>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
    ]
}

fn params() -> impl Strategy<Value = BTreeMap<String, Value>> {
    prop::collection::btree_map(key(), value(), 1..12)
}

fn object(m: &BTreeMap<String, Value>) -> Map<String, Value> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn body(m: &Map<String, Value>, signature: &str) -> Vec<u8> {
    let mut m = m.clone();
    m.insert("signature".into(), Value::String(signature.into()));
    serde_json::to_vec(&serde_json::json!({ "response": m })).unwrap()
}

fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{1,32}"
}

/// Failures go to `flitt/proptest-regressions/signature_props.txt` (committed) and are re-run
/// first. An integration test has no `src/` for proptest's default to mirror, so it is named.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/signature_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sign_then_verify(p in params(), s in secret()) {
        let key = SecretKey::new(s);
        let m = object(&p);
        let sig = sign_v1(&key, &m).unwrap();
        prop_assert_eq!(verify_v1_json(&key, &body(&m, sig.as_str())), Ok(()));
    }

    #[test]
    fn the_streaming_signer_agrees(p in params(), s in secret()) {
        let key = SecretKey::new(s);
        let mut signer = Signer::new(&key);
        for v in p.values() {
            match v {
                Value::String(t) => signer.push(t),
                other => signer.push(&other.to_string()),
            }
        }
        prop_assert_eq!(signer.finish(), sign_v1(&key, &object(&p)).unwrap());
    }

    #[test]
    fn key_order_does_not_matter(p in params(), s in secret()) {
        let key = SecretKey::new(s);
        // A serde_json map is ordered; build the JSON text in reverse key order by hand.
        let reversed: Vec<String> = p.iter().rev()
            .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v))
            .collect();
        let sig = sign_v1(&key, &object(&p)).unwrap();
        let text = format!("{{{},\"signature\":\"{}\"}}", reversed.join(","), sig);
        prop_assert_eq!(verify_v1_json(&key, text.as_bytes()), Ok(()));
    }

    /// Empty equals absent: the scheme is malleable in empty values (see the module docs).
    #[test]
    fn empty_values_equal_absent_ones(p in params(), extra in key(), s in secret()) {
        prop_assume!(!p.contains_key(&extra));
        let key = SecretKey::new(s);
        let mut with_empty = object(&p);
        with_empty.insert(extra.clone(), Value::String(String::new()));
        let mut with_null = object(&p);
        with_null.insert(extra, Value::Null);
        let plain = sign_v1(&key, &object(&p)).unwrap();
        prop_assert_eq!(sign_v1(&key, &with_empty).unwrap(), plain);
        prop_assert_eq!(sign_v1(&key, &with_null).unwrap(), plain);
    }

    #[test]
    fn changing_any_value_breaks_the_signature(p in params(), pick in any::<prop::sample::Index>(), new in "[^|]{1,24}", s in secret()) {
        let key = SecretKey::new(s);
        let m = object(&p);
        let sig = sign_v1(&key, &m).unwrap();
        let target = pick.get(&p.keys().cloned().collect::<Vec<_>>()).clone();
        let old_text = match &m[&target] { Value::String(t) => t.clone(), other => other.to_string() };
        prop_assume!(old_text != new);
        let mut changed = m.clone();
        changed.insert(target, Value::String(new));
        prop_assert_eq!(verify_v1_json(&key, &body(&changed, sig.as_str())), Err(VerifyError::Mismatch));
    }

    #[test]
    fn another_secret_fails(p in params(), a in secret(), b in secret()) {
        prop_assume!(a != b);
        let m = object(&p);
        let sig = sign_v1(&SecretKey::new(a), &m).unwrap();
        prop_assert_eq!(verify_v1_json(&SecretKey::new(b), &body(&m, sig.as_str())), Err(VerifyError::Mismatch));
    }

    #[test]
    fn form_and_json_carry_the_same_signature(p in params(), s in secret()) {
        let key = SecretKey::new(s);
        let m = object(&p);
        let sig = sign_v1(&key, &m).unwrap();
        let mut form = String::new();
        for (k, v) in &m {
            let text = match v { Value::String(t) => t.clone(), other => other.to_string() };
            form.push_str(&format!("{}={}&", enc(k), enc(&text)));
        }
        form.push_str(&format!("signature={sig}"));
        prop_assert_eq!(verify_v1_form(&key, form.as_bytes()), Ok(()));
    }

    #[test]
    fn two_point_zero_round_trip(p in params(), s in secret()) {
        let key = SecretKey::new(s);
        let order = Value::Object(object(&p));
        let env = envelope_v2(&key, &order).unwrap();
        let decoded = verify_v2(&key, &env.data, &env.signature).unwrap();
        prop_assert_eq!(&decoded["order"], &order);
        let wrapped = serde_json::to_vec(&serde_json::json!({"response": env})).unwrap();
        let verified = verify_body(&key, &wrapped, Some("application/json")).unwrap();
        prop_assert_eq!(Value::Object(verified.fields), order);
    }

    #[test]
    fn verification_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512), ct in prop::option::of("[a-z/+-]{0,40}")) {
        let key = SecretKey::new("test");
        let _ = verify_body(&key, &bytes, ct.as_deref());
        let _ = verify_v1_json(&key, &bytes);
        let _ = verify_v1_form(&key, &bytes);
        let _ = flitt::callback::Callback::verify(&bytes, ct.as_deref(), &key);
    }

    #[test]
    fn verification_never_panics_on_json_like_text(text in r#"[\{\}\[\]":,0-9a-z .\\|-]{0,200}"#) {
        let key = SecretKey::new("test");
        let _ = verify_body(&key, text.as_bytes(), Some("application/json"));
        let wrapped = format!("{{\"response\":{text}}}");
        let _ = verify_body(&key, wrapped.as_bytes(), None);
        let env = format!("{{\"version\":\"2.0\",\"data\":\"{text}\",\"signature\":\"{text}\"}}");
        let _ = verify_body(&key, env.as_bytes(), None);
    }
}

/// JSON number text in any form the grammar allows: sign, leading zero, fraction with trailing
/// zeros, exponent of either case and sign, integers far beyond 2^64, exponents beyond f64.
fn number_text() -> impl Strategy<Value = String> {
    r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?"
}

/// JSON string text without `|`, some characters written as `\uXXXX` escapes.
fn string_text() -> impl Strategy<Value = String> {
    ("[^|]{0,24}", any::<u64>()).prop_map(|(text, mask)| {
        let mut out = String::from("\"");
        for (i, c) in text.chars().enumerate() {
            if mask >> (i % 64) & 1 == 1 && (c as u32) < 0x1_0000 {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                let one = serde_json::to_string(&c.to_string()).unwrap();
                out.push_str(&one[1..one.len() - 1]);
            }
        }
        out.push('"');
        out
    })
}

/// A JSON object of strings, numbers and nulls, as text with uneven whitespace, and its
/// values' texts by key.
fn object_text() -> impl Strategy<Value = (String, BTreeMap<String, String>)> {
    let value = prop_oneof![4 => number_text(), 4 => string_text(), 1 => Just("null".to_owned())];
    (
        prop::collection::btree_map(key(), value, 1..12),
        prop::collection::vec(prop_oneof![Just(""), Just(" "), Just("\n  ")], 4),
    )
        .prop_map(|(fields, ws)| {
            let entries: Vec<String> = fields
                .iter()
                .rev()
                .map(|(k, v)| format!("{}\"{k}\"{}:{}{v}", ws[0], ws[1], ws[2]))
                .collect();
            (format!("{{{}{}}}", entries.join(","), ws[3]), fields)
        })
}

/// Whether a JSON reader (serde_json's `Value`) can decode the text: not when a number is
/// beyond f64.
fn decodable(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok()
}

proptest! {
    #![proptest_config(config())]

    /// Whatever the number text, signing the parameters' text and verifying them with that
    /// signature agree: both go by the values as written.
    #[test]
    fn signing_text_then_verifying_agrees((text, _) in object_text(), s in secret()) {
        let key = SecretKey::new(s);
        let signed = sign_v1_json(&key, &text);
        if !decodable(&text) {
            prop_assert!(matches!(signed, Err(SignError::OutOfRange(_))));
            return Ok(());
        }
        let sig = signed.unwrap();
        let body = format!("{{\"signature\":\"{sig}\",{}", &text[1..]);
        prop_assert_eq!(verify_v1_json(&key, body.as_bytes()), Ok(()));
        prop_assert!(verify_body(&key, body.as_bytes(), None).is_ok());
        let wrapped = format!("{{\"response\":{body}}}");
        prop_assert!(verify_body(&key, wrapped.as_bytes(), None).is_ok());
    }

    /// 2.0 `data` carries every value's text exactly as written, and verifies.
    #[test]
    fn two_point_zero_data_keeps_the_exact_text((text, fields) in object_text(), s in secret()) {
        use base64::Engine as _;
        let key = SecretKey::new(s);
        let env = envelope_v2_json(&key, &text);
        if !decodable(&text) {
            prop_assert!(env.is_err());
            return Ok(());
        }
        let env = env.unwrap();
        prop_assert!(verify_v2(&key, &env.data, &env.signature).is_ok());
        let envelope = serde_json::to_vec(&serde_json::json!({ "response": env })).unwrap();
        prop_assert!(verify_body(&key, &envelope, None).is_ok());
        let data = base64::engine::general_purpose::STANDARD.decode(&env.data).unwrap();
        let data: BTreeMap<String, BTreeMap<String, Box<serde_json::value::RawValue>>> =
            serde_json::from_slice(&data).unwrap();
        let carried: BTreeMap<String, String> = data["order"]
            .iter()
            .map(|(k, v)| (k.clone(), v.get().to_owned()))
            .collect();
        prop_assert_eq!(carried, fields);
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
