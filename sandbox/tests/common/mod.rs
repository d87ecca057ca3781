//! Raw HTTP helpers for the sandbox's integration tests: signed bodies built by hand and sent
//! over a plain TCP socket on 127.0.0.1, so the tests see exactly what goes over the wire.

#![allow(dead_code)]

use flitt::signature::{SecretKey, envelope_v2, sign_v1};
use serde_json::{Map, Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An approving test card without 3-D Secure.
pub const APPROVE: &str = "4444555511116666";

/// `host:port` of a sandbox URL.
pub fn addr(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// A 1.0 JSON request body: `fields` plus `merchant_id` and the signature.
pub fn v1(mut fields: Map<String, Value>) -> String {
    fields.insert("merchant_id".into(), json!(flitt_sandbox::MERCHANT_ID));
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    let signature = sign_v1(&key, &fields).expect("signable");
    fields.insert("signature".into(), json!(signature.as_str()));
    json!({ "request": fields }).to_string()
}

/// A 2.0 envelope around `fields` plus `merchant_id`.
pub fn v2(mut fields: Map<String, Value>) -> String {
    fields.insert("merchant_id".into(), json!(flitt_sandbox::MERCHANT_ID));
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    let e = envelope_v2(&key, &Value::Object(fields)).expect("an object");
    json!({"request": {"version": "2.0", "data": e.data, "signature": e.signature}}).to_string()
}

/// A direct card payment (`/api/3dsecure_step1`) that approves at once.
pub fn pay_body(order_id: &str) -> String {
    pay_body_with(order_id, None)
}

/// A direct card payment that approves at once, with a server callback URL if given.
pub fn pay_body_with(order_id: &str, server_callback_url: Option<&str>) -> String {
    let mut fields = obj(json!({
        "order_id": order_id,
        "order_desc": "test",
        "amount": "1000",
        "currency": "GEL",
        "card_number": APPROVE,
        "expiry_date": "1230",
        "cvv2": "123",
    }));
    if let Some(url) = server_callback_url {
        fields.insert("server_callback_url".into(), json!(url));
    }
    v1(fields)
}

/// A status lookup body.
pub fn status_body(order_id: &str) -> String {
    v1(obj(json!({ "order_id": order_id })))
}

/// The object inside a `json!` value.
pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The raw bytes of a request as sent on the wire (`Connection: close`).
pub fn request(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Sends one request on a new connection and reads until the server closes it (5 s at most).
/// Returns the bytes read, or the error that ended the read, with what was read before it.
pub async fn raw(addr: &str, path: &str, body: &str) -> (Vec<u8>, Option<std::io::Error>) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request(path, body).as_bytes())
        .await
        .expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) => return None,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return Some(e),
            }
        }
    };
    let err = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("the server closes the connection within 5 s");
    (got, err)
}

/// The body of a raw HTTP reply (after the blank line), when it has one.
pub fn body_of(reply: &[u8]) -> &[u8] {
    reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(&[], |i| &reply[i + 4..])
}
