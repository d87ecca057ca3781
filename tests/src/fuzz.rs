//! A mutation fuzzer for everything that reads gateway or client bytes: signature
//! verification and callbacks ([`flitt::callback::Callback::verify`] and `.order()`), the
//! client's reply path (envelope, signature, gateway error, typed decode) for a flat, a
//! 3-D Secure, an array and a 2.0 endpoint, and the sandbox's request parser.
//!
//! Inputs start from valid signed bodies of every shape and are mutated (bit flips, bytes
//! inserted, deleted or replaced by JSON and form punctuation, cuts, splices from other seeds,
//! numbers swapped for awkward ones, slices repeated, deep nesting). Two properties are
//! checked on every input:
//!
//! - **no panic** (a panic fails the run), whatever the bytes;
//! - **no accepted forgery**: when verification accepts a mutated body, the fields it hands
//!   over carry exactly the signed values of the seed it came from (the same text for every
//!   non-empty value); a reply the client accepts for a signed endpoint either verifies so, or
//!   carries only the endpoint's unsigned fields.
//!
//! `cargo test` runs a short, seeded run (`tests/tests/fuzz.rs`); the long run is
//! `cargo run --release -p flitt-tests --example fuzz -- 1000000 [SEED]`.

use flitt::api::{
    OrderResponse, SettlementRequest, StatusRequest, ThreeDsStep1Request, TransactionListRequest,
};
use flitt::callback::Callback;
use flitt::client::decode_reply_for_fuzzing;
use flitt::request::ApiRequest;
use flitt::signature::{self, SecretKey};
use serde_json::{Map, Value, json};

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Inputs generated (each goes to every target).
    pub inputs: u64,
    /// Calls into the code under test (inputs × targets).
    pub calls: u64,
    /// Mutated bodies whose signature verification accepted them.
    pub verified: u64,
    /// Replies the client's reply path accepted.
    pub replies_accepted: u64,
    /// Requests the sandbox's parser admitted.
    pub requests_admitted: u64,
    /// Accepted forgeries (must be 0).
    pub forgeries: u64,
}

/// One seed: a body, its content type, and the signed fields it carries.
struct Seed {
    body: Vec<u8>,
    content_type: Option<&'static str>,
    /// The fields as signed, `None` for a body that carries no valid signature.
    signed: Option<Map<String, Value>>,
}

const KEY: &str = "test";

fn order_fields() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "order_id": "fuzz-1", "merchant_id": 1549901, "order_status": "approved",
        "response_status": "success", "amount": 1000, "actual_amount": "1000",
        "currency": "GEL", "masked_card": "444455XXXXXX6666", "rectoken": "tok_abc",
        "payment_id": 800000001, "response_code": "", "reversal_amount": "0",
        "settlement_amount": 0.0, "fee": "0.5", "eci": "7",
        "additional_info": "{\"capture_status\": null, \"client_fee\": 0.0}",
        "response_signature_string": "test|1000|..."
    }) else {
        unreachable!()
    };
    map
}

fn seeds() -> Vec<Seed> {
    let key = SecretKey::new(KEY);
    let mut fields = order_fields();
    let sig = signature::sign_v1(&key, &fields).expect("the seed signs");
    fields.insert("signature".into(), Value::String(sig.as_str().to_owned()));
    let flat = Value::Object(fields.clone()).to_string().into_bytes();
    let wrapped = json!({ "response": fields }).to_string().into_bytes();
    let form: String = fields
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            format!("{k}={}", utf8_percent(&text))
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut order = order_fields();
    order.remove("response_signature_string");
    let envelope = signature::envelope_v2(&key, &Value::Object(order.clone())).expect("2.0 seed");
    let v2 = json!({ "response": {
        "version": "2.0", "data": envelope.data, "signature": envelope.signature
    }})
    .to_string()
    .into_bytes();
    let mut signed = fields.clone();
    signed.remove("signature");
    vec![
        Seed {
            body: flat,
            content_type: Some("application/json"),
            signed: Some(signed.clone()),
        },
        Seed {
            body: wrapped,
            content_type: Some("application/json; charset=utf-8"),
            signed: Some(signed.clone()),
        },
        Seed {
            body: form.into_bytes(),
            content_type: Some("application/x-www-form-urlencoded"),
            signed: Some(signed),
        },
        Seed {
            body: v2,
            content_type: Some("application/json"),
            signed: Some(order),
        },
        Seed {
            body: br#"{"response":{"response_status":"success","acs_url":"https://acs/","pareq":"pa","md":"m"}}"#.to_vec(),
            content_type: Some("application/json"),
            signed: None,
        },
        Seed {
            body: br#"{"response":{"response_status":"failure","error_code":1014,"error_message":"Invalid signature","request_id":"r1"}}"#.to_vec(),
            content_type: Some("application/json"),
            signed: None,
        },
        Seed {
            body: br#"{"response":[{"id":1,"payment_id":"8","amount":10.5,"tran_type":"purchase","order_id":"o"}]}"#.to_vec(),
            content_type: Some("application/json"),
            signed: None,
        },
    ]
}

/// Signed API requests, for the sandbox's parser: a status lookup as JSON and as a form, a
/// checkout as a 2.0 envelope.
fn request_seeds() -> Vec<(Vec<u8>, &'static str)> {
    let key = SecretKey::new(KEY);
    let mut params: Map<String, Value> = Map::new();
    params.insert("order_id".into(), json!("fuzz-r1"));
    params.insert("merchant_id".into(), json!(flitt_sandbox::MERCHANT_ID));
    let sig = signature::sign_v1(&key, &params).expect("signs");
    params.insert("signature".into(), json!(sig.as_str()));
    let json_body = json!({ "request": params }).to_string().into_bytes();
    let form = format!(
        "order_id=fuzz-r1&merchant_id={}&signature={}",
        flitt_sandbox::MERCHANT_ID,
        sig.as_str()
    )
    .into_bytes();
    let envelope = signature::envelope_v2(
        &key,
        &json!({
            "order_id": "fuzz-r2", "merchant_id": flitt_sandbox::MERCHANT_ID,
            "order_desc": "fuzz", "amount": 100, "currency": "GEL"
        }),
    )
    .expect("signs");
    let v2 = json!({"request": {"version": "2.0", "data": envelope.data, "signature": envelope.signature}})
        .to_string()
        .into_bytes();
    vec![
        (json_body, "application/json"),
        (form, "application/x-www-form-urlencoded"),
        (v2, "application/json"),
    ]
}

fn utf8_percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Bytes that matter to JSON, forms and Flitt's signing.
const INTERESTING: &[u8] = b"{}[]\":,\\=&|%+-.0123456789eE \t\n\x00\xff\xc3";

/// Number texts that are easy to get wrong.
const NUMBERS: &[&str] = &[
    "1e400",
    "-0",
    "00",
    "1.0",
    "10.10",
    "1E2",
    "18446744073709551616",
    "-1",
    "123456789012345678901234567890",
    "0.1e-400",
    "NaN",
    "\"\"",
    "null",
    "true",
    "[]",
    "{}",
];

fn mutate(rng: &mut fastrand::Rng, body: &mut Vec<u8>, donors: &[&[u8]]) {
    for _ in 0..rng.usize(1..=4) {
        let len = body.len();
        match rng.u8(0..11) {
            0 if len > 0 => {
                let i = rng.usize(..len);
                body[i] ^= 1 << rng.u8(0..8);
            }
            1 if len > 0 => {
                let i = rng.usize(..len);
                body[i] = INTERESTING[rng.usize(..INTERESTING.len())];
            }
            2 => {
                let i = rng.usize(..=len);
                body.insert(i, INTERESTING[rng.usize(..INTERESTING.len())]);
            }
            3 if len > 0 => {
                body.remove(rng.usize(..len));
            }
            4 => body.truncate(rng.usize(..=len)),
            5 if len > 1 => {
                // Repeat a slice somewhere else (a duplicated key, a doubled value).
                let a = rng.usize(..len);
                let b = rng.usize(a..=len.min(a + 64));
                let slice = body[a..b].to_vec();
                let at = rng.usize(..=body.len());
                body.splice(at..at, slice);
            }
            6 if !donors.is_empty() => {
                let donor = donors[rng.usize(..donors.len())];
                if !donor.is_empty() {
                    let a = rng.usize(..donor.len());
                    let b = rng.usize(a..=donor.len().min(a + 48));
                    let at = rng.usize(..=body.len());
                    let end = (at + rng.usize(..8)).min(body.len());
                    body.splice(at..end, donor[a..b].iter().copied());
                }
            }
            7 => {
                // Swap a run of digits for an awkward number.
                if let Some(start) = (0..len).find(|&i| body[i].is_ascii_digit() && rng.bool()) {
                    let end = (start..len)
                        .find(|&i| !body[i].is_ascii_digit())
                        .unwrap_or(len);
                    let n = NUMBERS[rng.usize(..NUMBERS.len())].as_bytes();
                    body.splice(start..end, n.iter().copied());
                }
            }
            8 if rng.u8(..50) == 0 => {
                // Deep nesting.
                let depth = rng.usize(100..3_000);
                let at = rng.usize(..=len);
                body.splice(at..at, std::iter::repeat_n(b'[', depth));
            }
            9 if rng.u16(..2_000) == 0 => {
                // A large body: many copies of itself.
                let copy = body.clone();
                for _ in 0..rng.usize(10..200) {
                    body.extend_from_slice(&copy);
                }
            }
            _ => {
                let i = rng.usize(..=len);
                let count = rng.usize(1..8);
                body.splice(i..i, (0..count).map(|_| rng.u8(..)));
            }
        }
    }
}

/// The signed text of a value as a verifier must see it: empty and absent are the same.
fn signed_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Whether `fields` carry exactly the signed values of `signed`: the same non-empty texts in
/// the same key order. Flitt's 1.0 signature covers values in key order, not the key names,
/// so a field renamed into the same sort position verifies all the same: a limit of the
/// protocol, which this oracle allows and nothing else.
fn same_signed_values(fields: &Map<String, Value>, signed: &Map<String, Value>) -> bool {
    let texts = |m: &Map<String, Value>| -> Vec<String> {
        let mut pairs: Vec<(&String, String)> = m
            .iter()
            .filter(|(k, _)| k.as_str() != "signature" && k.as_str() != "response_signature_string")
            .filter_map(|(k, v)| signed_text(v).map(|t| (k, t)))
            .collect();
        pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        pairs.into_iter().map(|(_, t)| t).collect()
    };
    texts(fields) == texts(signed)
}

/// Runs `n` inputs from `seed`. Panics on a panic in the code under test (the caller sees it)
/// and counts accepted forgeries.
pub fn run(n: u64, seed: u64) -> Counts {
    let key = SecretKey::new(KEY);
    let seeds = seeds();
    let requests = request_seeds();
    let donors: Vec<&[u8]> = seeds
        .iter()
        .map(|s| s.body.as_slice())
        .chain(requests.iter().map(|(b, _)| b.as_slice()))
        .collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counts = Counts::default();
    for i in 0..n {
        counts.inputs += 1;
        // Every 16th input is an unmutated seed, so the accepting paths stay exercised.
        let pristine = i % 16 == 0;
        if rng.u8(..4) == 0 {
            let (body, content_type) = &requests[rng.usize(..requests.len())];
            let mut body = body.clone();
            if !pristine {
                mutate(&mut rng, &mut body, &donors);
            }
            let admitted = flitt_sandbox::fuzz::parse_request(Some(content_type), &body);
            counts.calls += 1;
            if admitted.is_ok() {
                counts.requests_admitted += 1;
            } else if pristine {
                panic!("a valid request seed was refused: {admitted:?}");
            }
            continue;
        }
        let s = &seeds[rng.usize(..seeds.len())];
        let mut body = s.body.clone();
        if !pristine {
            mutate(&mut rng, &mut body, &donors);
        }
        let content_type = if rng.u8(..8) == 0 {
            None
        } else {
            s.content_type
        };

        // Verification and callbacks.
        counts.calls += 1;
        if let Ok(verified) = Callback::verify(&body, content_type, &key) {
            counts.verified += 1;
            let fields = verified.fields();
            if !s
                .signed
                .as_ref()
                .is_some_and(|signed| same_signed_values(fields, signed))
            {
                counts.forgeries += 1;
                eprintln!("accepted forgery: {}", String::from_utf8_lossy(&body));
            }
            let _ = verified.order();
            let _ = verified.decode::<OrderResponse>();
        }

        // The client's reply path, for endpoints of each response shape.
        counts.calls += 4;
        let accepted = [
            reply::<StatusRequest>(&key, content_type, &body),
            reply::<ThreeDsStep1Request>(&key, content_type, &body),
            reply::<TransactionListRequest>(&key, content_type, &body),
            reply::<SettlementRequest>(&key, content_type, &body),
        ];
        for (accepted, endpoint) in accepted.into_iter().zip([
            StatusRequest::ENDPOINT,
            ThreeDsStep1Request::ENDPOINT,
            TransactionListRequest::ENDPOINT,
            SettlementRequest::ENDPOINT,
        ]) {
            if !accepted {
                continue;
            }
            counts.replies_accepted += 1;
            if endpoint.response_signed && !reply_is_honest(&endpoint, &key, content_type, &body, s)
            {
                counts.forgeries += 1;
                eprintln!(
                    "{} accepted a forged reply: {}",
                    endpoint.name,
                    String::from_utf8_lossy(&body)
                );
            }
        }
    }
    counts
}

fn reply<R: ApiRequest>(key: &SecretKey, content_type: Option<&str>, body: &[u8]) -> bool {
    match decode_reply_for_fuzzing::<R>(key, content_type, body) {
        Ok(_) => true,
        Err(e) => {
            // Error text is built and redacted on every failure: it must not panic either.
            let _ = (e.to_string(), format!("{e:?}"));
            false
        }
    }
}

/// An accepted reply of a signed endpoint either verifies with the seed's signed values, or
/// carries nothing but the endpoint's unsigned fields.
fn reply_is_honest(
    endpoint: &flitt::request::Endpoint,
    key: &SecretKey,
    content_type: Option<&str>,
    body: &[u8],
    seed: &Seed,
) -> bool {
    if let Ok(verified) = signature::verify_body(key, body, content_type) {
        return seed
            .signed
            .as_ref()
            .is_some_and(|signed| same_signed_values(&verified.fields, signed));
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        // A form that does not verify: every key must be an unsigned field.
        return form_urlencoded_keys(body)
            .iter()
            .all(|k| endpoint.unsigned_fields.contains(&k.as_str()));
    };
    let inner = value.get("response").unwrap_or(&value);
    inner.as_object().is_some_and(|m| {
        m.keys()
            .all(|k| endpoint.unsigned_fields.contains(&k.as_str()))
    })
}

fn form_urlencoded_keys(body: &[u8]) -> Vec<String> {
    form_urlencoded::parse(body)
        .map(|(k, _)| k.into_owned())
        .collect()
}
