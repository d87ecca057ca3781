//! Signing and verification beside a raw SHA-1 + hex of the same bytes.
//!
//! `cargo bench -p flitt --bench signing`
//!
//! - `sign/generated_checkout`: the protocol 1.0 signature of a typical 8-parameter checkout
//!   request, straight from the typed request (generated visitor, no map, no sort, no join).
//! - `sign/raw_sha1_hex`: SHA-1 + lowercase hex of the exact pre-hash bytes of that request,
//!   computed once outside the loop: the floor any signer pays.
//! - `verify/recurring_response`: verifying the 35-field recurring response body as received.
//! - `verify/raw_sha1_hex`: SHA-1 + hex of that response's pre-hash bytes.

use criterion::{Criterion, criterion_group, criterion_main};
use flitt::api::CheckoutUrlRequest;
use flitt::request::ApiRequest;
use flitt::signature::{self, SecretKey};
use flitt::types::{Amount, Currency, OrderId};
use sha1::{Digest, Sha1};
use std::hint::black_box;

const HEX: &[u8; 16] = b"0123456789abcdef";

fn raw_sha1_hex(bytes: &[u8]) -> [u8; 40] {
    let digest = Sha1::digest(bytes);
    let mut out = [0u8; 40];
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

fn checkout() -> CheckoutUrlRequest {
    CheckoutUrlRequest::builder()
        .order_id(OrderId::new("order-2026-11-23-000042").unwrap())
        .order_desc("Two flat whites and a croissant")
        .amount(Amount::new(1020).unwrap())
        .currency(Currency::GEL)
        .response_url("https://shop.example/return")
        .server_callback_url("https://shop.example/flitt/callback")
        .lifetime(36000)
        .build()
}

fn bench(c: &mut Criterion) {
    let key = SecretKey::new("test");
    let request = checkout();
    let merchant = "1549901";
    // The exact pre-hash bytes: secret|v1|v2|… in key order.
    let mut joined = String::from("test");
    for (_, v) in request.wire_params(merchant) {
        joined.push('|');
        joined.push_str(&v);
    }
    assert_eq!(
        request.sign_v1(merchant, &key).as_str().as_bytes(),
        raw_sha1_hex(joined.as_bytes())
    );
    let mut group = c.benchmark_group("sign");
    group.bench_function("generated_checkout", |b| {
        b.iter(|| black_box(&request).sign_v1(black_box(merchant), &key))
    });
    group.bench_function("raw_sha1_hex", |b| {
        b.iter(|| raw_sha1_hex(black_box(joined.as_bytes())))
    });
    let values: Vec<String> = request
        .wire_params(merchant)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    group.bench_function("signer_only", |b| {
        b.iter(|| {
            let mut s = signature::Signer::new(&key);
            for v in black_box(&values) {
                s.push(v);
            }
            s.finish()
        })
    });
    group.bench_function("visit_only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            black_box(&request).visit_wire(merchant, &mut |_, v| n += v.len());
            n
        })
    });
    group.finish();

    let body = include_bytes!("../tests/fixtures/recurring_response.json");
    signature::verify_v1_json(&key, body).expect("the fixture verifies");
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    let fields = value["response"].as_object().unwrap();
    assert_eq!(
        fields.len(),
        37,
        "35 signed fields plus signature and its debug string"
    );
    let mut pre_hash = String::from("test");
    for (k, v) in fields {
        if k == "signature" || k == "response_signature_string" {
            continue;
        }
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !text.is_empty() {
            pre_hash.push('|');
            pre_hash.push_str(&text);
        }
    }
    let mut group = c.benchmark_group("verify");
    group.bench_function("recurring_response", |b| {
        b.iter(|| signature::verify_v1_json(&key, black_box(body)).is_ok())
    });
    group.bench_function("raw_sha1_hex", |b| {
        b.iter(|| raw_sha1_hex(black_box(pre_hash.as_bytes())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
