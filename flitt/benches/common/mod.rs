//! What both signing benchmarks measure: the request and the raw floor.

use flitt::api::CheckoutUrlRequest;
use flitt::request::ApiRequest;
use flitt::signature::SecretKey;
use flitt::types::{Amount, Currency, OrderId};
use sha1::{Digest, Sha1};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// SHA-1 + lowercase hex, byte by byte through a table: the floor any signer pays.
pub fn raw_sha1_hex(bytes: &[u8]) -> [u8; 40] {
    let digest = Sha1::digest(bytes);
    let mut out = [0u8; 40];
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// What is signed: the key, a typical 8-parameter checkout request, the merchant id, and the
/// exact bytes the signature hashes (`test|v1|v2|…` in key order).
pub struct Case {
    pub key: SecretKey,
    pub request: CheckoutUrlRequest,
    pub merchant: &'static str,
    pub pre_hash: String,
}

impl Case {
    /// The case, checked: the SDK's signature is the raw hash of the pre-hash bytes.
    pub fn checked() -> Self {
        let request = CheckoutUrlRequest::builder()
            .order_id(OrderId::new("order-2026-11-23-000042").unwrap())
            .order_desc("Two flat whites and a croissant")
            .amount(Amount::new(1020).unwrap())
            .currency(Currency::GEL)
            .response_url("https://shop.example/return")
            .server_callback_url("https://shop.example/flitt/callback")
            .lifetime(36000)
            .build();
        let merchant = "1549901";
        let mut pre_hash = String::from("test");
        for (_, v) in request.wire_params(merchant) {
            pre_hash.push('|');
            pre_hash.push_str(&v);
        }
        let key = SecretKey::new("test");
        assert_eq!(
            request.sign_v1(merchant, &key).as_str().as_bytes(),
            raw_sha1_hex(pre_hash.as_bytes())
        );
        Self {
            key,
            request,
            merchant,
            pre_hash,
        }
    }
}
