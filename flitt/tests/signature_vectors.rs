//! The published vectors (FACTS.md §3.7) through every path: the raw-map signer, the
//! streaming signer, verification of bodies as received (JSON, wrapped, form), the generated
//! request signers, and callbacks.

use flitt::api::{P2pCreditRequest, RecurringRequest, SubscriptionAction, SubscriptionRequest};
use flitt::callback::Callback;
use flitt::request::ApiRequest;
use flitt::signature::{
    self, SecretKey, VerifyError, sign_v1, verify_body, verify_v1_form, verify_v1_json,
};
use flitt::types::{Amount, Currency, OrderId, Sensitive};
use serde_json::{Map, Value, json};

const RECURRING_REQUEST: &[u8] = include_bytes!("fixtures/recurring_request.json");
const RECURRING_RESPONSE: &[u8] = include_bytes!("fixtures/recurring_response.json");

fn test_key() -> SecretKey {
    SecretKey::new("test")
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn recurring_request_vector() {
    let body: Value = serde_json::from_slice(RECURRING_REQUEST).unwrap();
    let params = object(body["request"].clone());
    let sig = sign_v1(&test_key(), &params).unwrap();
    assert_eq!(sig.as_str(), "34cda2e7a60c5aee343515fde5deef5403f87f86");
    // A request body is `{"request": …}`: verify its inner object as a gateway would.
    verify_v1_json(&test_key(), body["request"].to_string().as_bytes()).unwrap();

    // The same request through the generated type signs identically.
    let typed = RecurringRequest::builder()
        .order_id(OrderId::new("test_recurring_payment123").unwrap())
        .order_desc("Debit by token transaction")
        .amount(Amount::new(4600).unwrap())
        .currency(Currency::GEL)
        .rectoken(Sensitive::from(
            "I0wh7fBmFIdcY6K3Px2QugVrVR65sPafeZkPmRanOiRnXG",
        ))
        .build();
    assert_eq!(
        typed.sign_v1("1549901", &test_key()).as_str(),
        "34cda2e7a60c5aee343515fde5deef5403f87f86"
    );
}

#[test]
fn recurring_response_vector_verifies_as_received() {
    verify_v1_json(&test_key(), RECURRING_RESPONSE).unwrap();
    let verified = verify_body(&test_key(), RECURRING_RESPONSE, Some("application/json")).unwrap();
    assert_eq!(verified.fields["order_status"], "approved");
    // Another key, or one changed value, fails.
    assert_eq!(
        verify_v1_json(&SecretKey::new("tesT"), RECURRING_RESPONSE),
        Err(VerifyError::Mismatch)
    );
    let tampered = String::from_utf8(RECURRING_RESPONSE.to_vec())
        .unwrap()
        .replace("\"actual_amount\": \"4600\"", "\"actual_amount\": \"4601\"");
    assert_eq!(
        verify_v1_json(&test_key(), tampered.as_bytes()),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn numbers_are_verified_by_their_text_as_received() {
    // `0.0` inside additional_info is part of a string; a top-level 0.0 must stay "0.0".
    let fields = json!({"a": "x", "b": 0.0});
    let expected = {
        let mut s = signature::Signer::new(&test_key());
        s.push("x");
        s.push("0.0");
        s.finish()
    };
    let body = format!(r#"{{"a":"x","b":0.0,"signature":"{expected}"}}"#);
    verify_v1_json(&test_key(), body.as_bytes()).unwrap();
    // Re-serializing through f64 and back would have given the same here, but not for 1e2.
    let body = format!(r#"{{"a":"x","b":1e2,"signature":"{}"}}"#, {
        let mut s = signature::Signer::new(&test_key());
        s.push("x");
        s.push("1e2");
        s.finish()
    });
    verify_v1_json(&test_key(), body.as_bytes()).unwrap();
    let _ = fields;
}

#[test]
fn recurring_response_as_a_form_carries_the_same_signature() {
    let body: Value = serde_json::from_slice(RECURRING_RESPONSE).unwrap();
    let mut ser = form_urlencoded_pairs(&object(body["response"].clone()));
    let form = ser.finish();
    verify_v1_form(&test_key(), form.as_bytes()).unwrap();
    let verified = verify_body(
        &test_key(),
        form.as_bytes(),
        Some("application/x-www-form-urlencoded"),
    )
    .unwrap();
    assert_eq!(verified.fields["order_id"], "test_recurring_payment123");
}

fn form_urlencoded_pairs(fields: &Map<String, Value>) -> FormBuilder {
    let mut b = FormBuilder(String::new());
    for (k, v) in fields {
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        b.push(k, &text);
    }
    b
}

/// A tiny form encoder, independent of the SDK's.
struct FormBuilder(String);

impl FormBuilder {
    fn push(&mut self, k: &str, v: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(&enc(k));
        self.0.push('=');
        self.0.push_str(&enc(v));
    }
    fn finish(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[test]
fn the_debug_string_matches_flitts_with_the_secret_masked() {
    let body: Value = serde_json::from_slice(RECURRING_RESPONSE).unwrap();
    let fields = object(body["response"].clone());
    let mut keys: Vec<&String> = fields
        .keys()
        .filter(|k| *k != "signature" && *k != "response_signature_string")
        .collect();
    keys.sort();
    let mut pre = String::from("test");
    for k in keys {
        let t = match &fields[k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !t.is_empty() {
            pre.push('|');
            pre.push_str(&t);
        }
    }
    assert_eq!(
        pre.replace("test", "**********"),
        fields["response_signature_string"].as_str().unwrap()
    );
}

#[test]
fn subscription_start_vector() {
    let params =
        object(json!({"order_id":"test_subscription11","merchant_id":1549901,"action":"start"}));
    assert_eq!(
        sign_v1(&test_key(), &params).unwrap().as_str(),
        "a7adf395dae783a4676abbafe7f2479b2f6cfbca"
    );
    let typed = SubscriptionRequest::builder()
        .order_id(OrderId::new("test_subscription11").unwrap())
        .action(SubscriptionAction::Start)
        .build();
    assert_eq!(
        typed.sign_v1("1549901", &test_key()).as_str(),
        "a7adf395dae783a4676abbafe7f2479b2f6cfbca"
    );
}

#[test]
fn p2p_credit_vector_with_the_credit_key() {
    let params = object(
        json!({"order_id":"test_1234312142","merchant_id":"1549901","order_desc":"Test order","amount":1000,"currency":"GEL","receiver_rectoken":"I0wh7fBmFIdcY6K3Px2QugVrVR65sPafeZkPmRanOiRnXG","server_callback_url":"https://myserver.com/callback"}),
    );
    let credit = SecretKey::new("testcredit");
    assert_eq!(
        sign_v1(&credit, &params).unwrap().as_str(),
        "51e59ffd263d071da8e1a1fc10b981f459dbe6f1"
    );
    assert_ne!(
        sign_v1(&test_key(), &params).unwrap().as_str(),
        "51e59ffd263d071da8e1a1fc10b981f459dbe6f1"
    );
    let typed = P2pCreditRequest::builder()
        .order_id(OrderId::new("test_1234312142").unwrap())
        .order_desc("Test order")
        .amount(Amount::new(1000).unwrap())
        .currency(Currency::GEL)
        .receiver_rectoken(Sensitive::from(
            "I0wh7fBmFIdcY6K3Px2QugVrVR65sPafeZkPmRanOiRnXG",
        ))
        .server_callback_url("https://myserver.com/callback")
        .build();
    assert_eq!(
        typed.sign_v1("1549901", &credit).as_str(),
        "51e59ffd263d071da8e1a1fc10b981f459dbe6f1"
    );
}

#[test]
fn callbacks_verify_in_every_shape() {
    let key = test_key();
    let flat = br#"{"order_id":"test_subscription11","merchant_id":1549901,"action":"start","signature":"a7adf395dae783a4676abbafe7f2479b2f6cfbca"}"#;
    assert_eq!(
        Callback::verify(flat, Some("application/json"), &key)
            .unwrap()
            .order_id(),
        Some("test_subscription11")
    );
    let wrapped = format!(r#"{{"response":{}}}"#, std::str::from_utf8(flat).unwrap());
    assert!(Callback::verify(wrapped.as_bytes(), None, &key).is_ok());
    let form = b"order_id=test_subscription11&merchant_id=1549901&action=start&signature=a7adf395dae783a4676abbafe7f2479b2f6cfbca";
    assert!(Callback::verify(form, Some("application/x-www-form-urlencoded"), &key).is_ok());
    let envelope = signature::envelope_v2(
        &key,
        &json!({"order_id": "o-2", "order_status": "approved"}),
    )
    .unwrap();
    let body = serde_json::to_vec(&json!({"response": envelope})).unwrap();
    let cb = Callback::verify(&body, Some("application/json"), &key).unwrap();
    assert_eq!(cb.order_id(), Some("o-2"));
    assert_eq!(
        cb.order().unwrap().order_status,
        Some(flitt::api::OrderStatus::Approved)
    );
    // Missing and wrong signatures are refused.
    assert!(Callback::verify(br#"{"order_id":"x"}"#, None, &key).is_err());
    assert!(Callback::verify(RECURRING_RESPONSE, None, &SecretKey::new("nope")).is_err());
}
