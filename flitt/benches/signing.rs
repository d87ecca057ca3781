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
use flitt::request::ApiRequest;
use flitt::signature;
use std::hint::black_box;

mod common;
use common::{Case, raw_sha1_hex};

fn bench(c: &mut Criterion) {
    let Case {
        key,
        request,
        merchant,
        pre_hash: joined,
    } = Case::checked();
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
