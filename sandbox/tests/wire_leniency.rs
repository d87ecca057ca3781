//! What the official SDKs put on the wire, and the sandbox takes as the gateway must (research
//! notes issue 11, sections 5 and 7), over real HTTP on 127.0.0.1: each leniency, and next to
//! it the refusals it must not weaken (a bad signature, an unknown merchant, `|` in a value).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{APPROVE, addr, obj};
use flitt::signature::{SecretKey, sign_v1};
use flitt_sandbox::{MERCHANT_ID, SECRET_KEY, Sandbox};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The Node.js SDK's JSON `Content-Type` header value (the whole header line as the value).
const NODE_JSON: &str = "Content-type: application/json; charset=utf-8";
/// The Node.js SDK's form `Content-Type` header value.
const NODE_FORM: &str = "Content-type: application/x-www-form-urlencoded";

/// A request body, whole (`Content-Length`) or in chunks (`Transfer-Encoding: chunked`).
enum Body<'a> {
    Whole(&'a [u8]),
    Chunked(&'a [&'a [u8]]),
}

/// Sends one POST on a new connection (`Connection: close`) with `content_type` (none when
/// `None`) and reads the whole reply (5 s at most): the status code and the body.
async fn post(
    sandbox: &Sandbox,
    path: &str,
    content_type: Option<&str>,
    body: Body<'_>,
) -> (u16, Vec<u8>) {
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    let mut bytes = Vec::new();
    match body {
        Body::Whole(b) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", b.len()));
            bytes.extend_from_slice(head.as_bytes());
            bytes.extend_from_slice(b);
        }
        Body::Chunked(chunks) => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            bytes.extend_from_slice(head.as_bytes());
            for c in chunks {
                bytes.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
                bytes.extend_from_slice(c);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
        }
    }
    let mut s = TcpStream::connect(addr(sandbox.url())).await.unwrap();
    s.write_all(&bytes).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut reply))
        .await
        .expect("the sandbox answers and closes within 5 s")
        .expect("read");
    let text = String::from_utf8_lossy(&reply);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let at = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a reply head")
        + 4;
    (status, reply[at..].to_vec())
}

/// A JSON reply's `response`; a 2.0 envelope's decoded order with `"version": "2.0"` added.
fn response(body: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(body)));
    let r = v["response"].clone();
    if r["version"] == "2.0" {
        let data = B64.decode(r["data"].as_str().unwrap()).unwrap();
        let mut order: Value = serde_json::from_slice::<Value>(&data).unwrap()["order"].clone();
        order["version"] = json!("2.0");
        return order;
    }
    r
}

/// A form reply's fields.
fn form_reply(body: &[u8]) -> Map<String, Value> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// `fields` with `merchant_id` and their 1.0 signature (by `key`).
fn signed(mut fields: Map<String, Value>, key: &str) -> Map<String, Value> {
    fields
        .entry("merchant_id")
        .or_insert_with(|| json!(MERCHANT_ID));
    let signature = sign_v1(&SecretKey::new(key), &fields).unwrap();
    fields.insert("signature".into(), json!(signature.as_str()));
    fields
}

/// A 1.0 JSON body.
fn v1_json(fields: Map<String, Value>) -> Vec<u8> {
    json!({ "request": signed(fields, SECRET_KEY) })
        .to_string()
        .into_bytes()
}

/// A 2.0 envelope around `order_json` (the exact text of `{"order": …}` to encode) with
/// `version` as given, signed over the `data` as sent.
fn v2_raw(order_json: &str, version: Value) -> Vec<u8> {
    let data = B64.encode(order_json);
    let signature: String = Sha1::digest(format!("{SECRET_KEY}|{data}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({"request": {"version": version, "data": data, "signature": signature}})
        .to_string()
        .into_bytes()
}

/// A direct payment's fields, approved at once.
fn payment(order_id: &str) -> Map<String, Value> {
    obj(json!({
        "order_id": order_id,
        "order_desc": "leniency",
        "amount": "1000",
        "currency": "GEL",
        "card_number": APPROVE,
        "expiry_date": "1230",
        "cvv2": "123",
    }))
}

/// Form text of `pairs` in the order given, with spaces written as `%20` (as Node's
/// `querystring` writes them); `form_urlencoded` writes `+`.
fn form_percent_20(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            format!("{k}={}", enc.replace('+', "%20"))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn pairs(fields: &Map<String, Value>) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            let t = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), t)
        })
        .collect()
}

#[tokio::test]
async fn the_node_sdks_header_line_as_the_content_type_value_is_read_as_json_or_form() {
    let sandbox = Sandbox::start().await.unwrap();
    let body = v1_json(payment("node-json"));
    let (status, reply) = post(
        &sandbox,
        "/api/3dsecure_step1/",
        Some(NODE_JSON),
        Body::Whole(&body),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(response(&reply)["order_status"], "approved");

    let fields = signed(payment("node-form"), SECRET_KEY);
    let owned = pairs(&fields);
    let borrowed: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let form = form_percent_20(&borrowed);
    let (_, reply) = post(
        &sandbox,
        "/api/3dsecure_step1/",
        Some(NODE_FORM),
        Body::Whole(form.as_bytes()),
    )
    .await;
    let reply = form_reply(&reply);
    assert_eq!(reply["order_status"], "approved", "{reply:?}");
    assert!(reply.contains_key("signature"), "a form reply, signed");
}

#[tokio::test]
async fn a_json_body_under_a_form_content_type_is_read_as_json() {
    // The Node.js SDK after Settlement(): 2.0 JSON under its form header; and 1.0 JSON too.
    let sandbox = Sandbox::start().await.unwrap();
    let body = v1_json(payment("json-under-form"));
    for ct in [NODE_FORM, "application/x-www-form-urlencoded"] {
        let (_, reply) = post(
            &sandbox,
            "/api/status/order_id/",
            Some(ct),
            Body::Whole(&v1_json(obj(json!({"order_id": "json-under-form"})))),
        )
        .await;
        assert_eq!(response(&reply)["error_code"], 1018, "not yet paid: {ct}");
    }
    post(
        &sandbox,
        "/api/3dsecure_step1",
        Some(NODE_FORM),
        Body::Whole(&body),
    )
    .await;
    let order = json!({"order": {"order_id": "json-under-form", "merchant_id": 1549901}});
    let (_, reply) = post(
        &sandbox,
        "/api/status/order_id/",
        Some(NODE_FORM),
        Body::Whole(&v2_raw(&order.to_string(), json!("2.0"))),
    )
    .await;
    let r = response(&reply);
    assert_eq!(
        (&r["version"], &r["order_status"]),
        (&json!("2.0"), &json!("approved"))
    );
    // Whitespace before the JSON does not hide it.
    let mut spaced = b"\r\n  ".to_vec();
    spaced.extend_from_slice(&v1_json(obj(json!({"order_id": "json-under-form"}))));
    let (_, reply) = post(
        &sandbox,
        "/api/status/order_id",
        Some("text/plain"),
        Body::Whole(&spaced),
    )
    .await;
    assert_eq!(response(&reply)["order_status"], "approved");
}

#[tokio::test]
async fn a_content_type_that_names_neither_is_decided_by_the_body_and_refused_when_not_json() {
    let sandbox = Sandbox::start().await.unwrap();
    let fields = signed(obj(json!({"order_id": "x"})), SECRET_KEY);
    let form: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs(&fields))
        .finish();
    for ct in [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
    ] {
        let (status, reply) = post(
            &sandbox,
            "/api/status/order_id",
            Some(ct),
            Body::Whole(form.as_bytes()),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(response(&reply)["error_code"], 1021, "{ct}");
    }
    // No header at all: a form, as before.
    let (_, reply) = post(
        &sandbox,
        "/api/status/order_id",
        None,
        Body::Whole(form.as_bytes()),
    )
    .await;
    assert_eq!(form_reply(&reply)["error_code"], "1018", "read as a form");
    // A header that says JSON over a body that is not: 1005, not a guess.
    let (_, reply) = post(
        &sandbox,
        "/api/status/order_id",
        Some(NODE_JSON),
        Body::Whole(form.as_bytes()),
    )
    .await;
    assert_eq!(response(&reply)["error_code"], 1005);
}

#[tokio::test]
async fn plus_and_percent_20_both_decode_as_a_space_in_any_field_order() {
    let sandbox = Sandbox::start().await.unwrap();
    for (id, plus) in [("plus", true), ("percent-20", false)] {
        let mut fields = payment(id);
        fields.insert("order_desc".into(), json!("a b  c"));
        let fields = signed(fields, SECRET_KEY);
        let mut owned = pairs(&fields);
        // Unsorted: reverse byte order, signature first.
        owned.sort_by(|a, b| b.0.cmp(&a.0));
        let borrowed: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let form = if plus {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&borrowed)
                .finish()
        } else {
            form_percent_20(&borrowed)
        };
        assert_eq!(form.contains("a+b++c"), plus, "{form}");
        assert_eq!(form.contains("a%20b%20%20c"), !plus, "{form}");
        let (_, reply) = post(
            &sandbox,
            "/api/3dsecure_step1/",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            Body::Whole(form.as_bytes()),
        )
        .await;
        assert_eq!(form_reply(&reply)["order_status"], "approved", "{id}");
        assert_eq!(sandbox.order(id).unwrap().order_desc, "a b  c");
    }
}

#[tokio::test]
async fn a_chunked_body_is_read_whole() {
    let sandbox = Sandbox::start().await.unwrap();
    let body = v1_json(payment("chunked"));
    let (a, rest) = body.split_at(7);
    let (b, c) = rest.split_at(rest.len() / 2);
    let (status, reply) = post(
        &sandbox,
        "/api/3dsecure_step1/",
        Some(NODE_JSON),
        Body::Chunked(&[a, b, c]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(response(&reply)["order_status"], "approved");
    // A chunked form body too.
    let fields = signed(obj(json!({"order_id": "chunked"})), SECRET_KEY);
    let form: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs(&fields))
        .finish();
    let (x, y) = form.as_bytes().split_at(5);
    let (_, reply) = post(
        &sandbox,
        "/api/status/order_id/",
        Some(NODE_FORM),
        Body::Chunked(&[x, y]),
    )
    .await;
    assert_eq!(form_reply(&reply)["order_status"], "approved");
}

#[tokio::test]
async fn every_path_answers_with_and_without_a_trailing_slash() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut checked = 0;
    for endpoint in flitt::api::ENDPOINTS {
        if endpoint.host != flitt::request::Host::Pay {
            continue;
        }
        for path in [endpoint.path.to_owned(), format!("{}/", endpoint.path)] {
            // Found (no "no endpoint" error): refused for the missing merchant, not the path.
            let (status, reply) = post(
                &sandbox,
                &path,
                Some("application/json"),
                Body::Whole(br#"{"request":{"order_id":"x"}}"#),
            )
            .await;
            let r = response(&reply);
            assert_eq!(status, 200, "{path}");
            assert_eq!(r["error_code"], 1011, "{path}: {r}");
            assert_eq!(r["error_message"], "Parameter `merchant_id` is missing");
            checked += 1;
        }
    }
    assert!(
        checked >= 30,
        "every pay-host endpoint, both ways: {checked}"
    );
    // The Reports API's token path (the Python SDK sends it without a slash) and the
    // sandbox's own pages answer both ways too.
    for path in [
        "/authorizer/token/application/get",
        "/authorizer/token/application/get/",
    ] {
        let (status, reply) = post(
            &sandbox,
            path,
            Some("application/json"),
            Body::Whole(br#"{"application_id":"1019","date":"d","signature":"0"}"#),
        )
        .await;
        let v: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!((status, &v["error_code"]), (200, &json!(403)), "{path}");
    }
    for path in ["/sandbox/control/reset", "/sandbox/control/reset/"] {
        let (status, _) = post(&sandbox, path, Some("application/json"), Body::Whole(b"{}")).await;
        assert_eq!(status, 200, "{path}");
    }
    // A path that exists under neither form is still not found.
    let (_, reply) = post(
        &sandbox,
        "/api/nowhere/",
        Some("application/json"),
        Body::Whole(br#"{"request":{"merchant_id":1549901}}"#),
    )
    .await;
    assert_eq!(response(&reply)["error_code"], 1002);
}

#[tokio::test]
async fn version_2_0_as_a_string_or_a_number_with_numbers_or_numeric_strings_inside() {
    let sandbox = Sandbox::start().await.unwrap();
    let cases = [
        (json!("2.0"), json!(1549901), json!(1000)),
        (json!(2.0), json!(1549901), json!("1000")),
        (json!("2.0"), json!("1549901"), json!("1000")),
        (json!(2.0), json!("1549901"), json!(1000)),
        // 2.0 as JavaScript's JSON.stringify writes the number.
        (json!(2), json!(1549901), json!(1000)),
    ];
    for (i, (version, merchant_id, amount)) in cases.into_iter().enumerate() {
        let id = format!("v2-{i}");
        let mut order = payment(&id);
        order.insert("merchant_id".into(), merchant_id.clone());
        order.insert("amount".into(), amount.clone());
        let text = json!({ "order": order }).to_string();
        let (_, reply) = post(
            &sandbox,
            "/api/3dsecure_step1/",
            Some("application/json"),
            Body::Whole(&v2_raw(&text, version.clone())),
        )
        .await;
        let r = response(&reply);
        assert_eq!(
            (&r["version"], &r["order_status"], &r["amount"]),
            (&json!("2.0"), &json!("approved"), &json!("1000")),
            "version {version}, merchant_id {merchant_id}, amount {amount}: {r}"
        );
    }
    // Any other version is 1.0: its fields are the envelope's, unsigned the 1.0 way.
    let text = json!({ "order": payment("v2-other") }).to_string();
    let (_, reply) = post(
        &sandbox,
        "/api/3dsecure_step1/",
        Some("application/json"),
        Body::Whole(&v2_raw(&text, json!(2.1))),
    )
    .await;
    assert_eq!(response(&reply)["error_code"], 1011);
}

#[tokio::test]
async fn decoded_2_0_data_may_end_in_a_newline() {
    // Go's json.Encoder (gofondy) ends the encoded order with "\n".
    let sandbox = Sandbox::start().await.unwrap();
    let mut order = payment("newline");
    order.insert("merchant_id".into(), json!(1549901));
    let text = format!("{}\n", json!({ "order": order }));
    let (_, reply) = post(
        &sandbox,
        "/api/3dsecure_step1",
        Some("application/json"),
        Body::Whole(&v2_raw(&text, json!("2.0"))),
    )
    .await;
    assert_eq!(response(&reply)["order_status"], "approved");
}

#[tokio::test]
async fn what_was_refused_for_a_reason_still_is_under_every_leniency() {
    let sandbox = Sandbox::start().await.unwrap();
    let paths = ["/api/status/order_id", "/api/status/order_id/"];
    // A bad signature, under the Node header values, as a form under a JSON-ish header, and
    // chunked.
    let mut forged = signed(obj(json!({"order_id": "o"})), SECRET_KEY);
    forged.insert("signature".into(), json!("0".repeat(40)));
    let json_forged = json!({ "request": forged }).to_string();
    let form_forged: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs(&forged))
        .finish();
    for path in paths {
        for (ct, body) in [
            (NODE_JSON, json_forged.as_bytes()),
            (NODE_FORM, json_forged.as_bytes()),
            (NODE_FORM, form_forged.as_bytes()),
        ] {
            let (_, reply) = post(&sandbox, path, Some(ct), Body::Whole(body)).await;
            let code = if body.starts_with(b"{") {
                response(&reply)["error_code"].clone()
            } else {
                form_reply(&reply)["error_code"].clone()
            };
            assert_eq!(code.to_string().trim_matches('"'), "1014", "{path} {ct}");
        }
        let (_, reply) = post(
            &sandbox,
            path,
            Some(NODE_JSON),
            Body::Chunked(&[&json_forged.as_bytes()[..9], &json_forged.as_bytes()[9..]]),
        )
        .await;
        assert_eq!(response(&reply)["error_code"], 1014);
    }
    // A 2.0 envelope with a numeric version whose data was changed after signing.
    let good = v2_raw(
        &json!({"order": {"order_id": "o", "merchant_id": 1549901}}).to_string(),
        json!(2.0),
    );
    let mut v: Value = serde_json::from_slice(&good).unwrap();
    v["request"]["data"] =
        json!(B64.encode(json!({"order": {"order_id": "p", "merchant_id": 1549901}}).to_string()));
    let (_, reply) = post(
        &sandbox,
        "/api/status/order_id/",
        Some(NODE_FORM),
        Body::Whole(v.to_string().as_bytes()),
    )
    .await;
    assert_eq!(response(&reply)["error_code"], 1014);
    // An unknown merchant, as a number or a numeric string inside a 2.0 order, or in a form.
    for merchant_id in [json!(1549902), json!("1549902")] {
        let text = json!({"order": {"order_id": "o", "merchant_id": merchant_id}}).to_string();
        let (_, reply) = post(
            &sandbox,
            "/api/status/order_id/",
            Some(NODE_JSON),
            Body::Whole(&v2_raw(&text, json!(2.0))),
        )
        .await;
        assert_eq!(response(&reply)["error_code"], 1016, "{merchant_id}");
    }
    // A merchant_id or amount that is not a whole number, inside a 2.0 order.
    for (key, value) in [
        ("merchant_id", json!("1549901a")),
        ("amount", json!(10.5)),
        ("amount", json!("10.5")),
    ] {
        let mut order = payment("not-a-number");
        order.insert("merchant_id".into(), json!(1549901));
        order.insert(key.into(), value.clone());
        let text = json!({ "order": order }).to_string();
        let (_, reply) = post(
            &sandbox,
            "/api/3dsecure_step1/",
            Some("application/json"),
            Body::Whole(&v2_raw(&text, json!("2.0"))),
        )
        .await;
        assert_eq!(response(&reply)["error_code"], 1007, "{key} {value}");
    }
    assert!(sandbox.order("not-a-number").is_none());
    // `|` in a value: a form with %20 and + around it, and chunked JSON.
    let mut piped = payment("piped");
    piped.insert("order_desc".into(), json!("a | b"));
    piped.insert("merchant_id".into(), json!(MERCHANT_ID));
    // Signed by hand: flitt refuses to sign a `|`. The pre-hash is the values by key order.
    let pre: Vec<String> = std::iter::once(SECRET_KEY.to_owned())
        .chain(
            piped
                .values()
                .map(|v| v.as_str().unwrap_or_default().to_owned()),
        )
        .collect();
    let signature: String = Sha1::digest(pre.join("|").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    piped.insert("signature".into(), json!(signature));
    let owned = pairs(&piped);
    let borrowed: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let form = form_percent_20(&borrowed);
    let (_, reply) = post(
        &sandbox,
        "/api/3dsecure_step1/",
        Some(NODE_FORM),
        Body::Whole(form.as_bytes()),
    )
    .await;
    assert_eq!(form_reply(&reply)["error_code"], "1034");
    let body = json!({ "request": piped }).to_string();
    let (_, reply) = post(
        &sandbox,
        "/api/3dsecure_step1/",
        Some(NODE_JSON),
        Body::Chunked(&[&body.as_bytes()[..20], &body.as_bytes()[20..]]),
    )
    .await;
    assert_eq!(response(&reply)["error_code"], 1034);
    assert!(sandbox.order("piped").is_none());
}

#[tokio::test]
async fn a_version_of_any_other_json_type_is_read_as_1_0_not_a_panic() {
    // Only "2.0" and 2.0 ask for an envelope; anything else leaves the fields as 1.0 fields,
    // so an envelope under another version lacks `merchant_id` (1011).
    let sandbox = Sandbox::start().await.unwrap();
    for version in [
        json!(null),
        json!(true),
        json!([2.0]),
        json!({"v": 2.0}),
        json!(" 2.0"),
        json!("2"),
        json!(2.5),
        json!(1e308),
        json!(18_446_744_073_709_551_615_u64),
    ] {
        let body = json!({"request": {"version": version, "data": "e30=", "signature": "00"}});
        let (status, reply) = post(
            &sandbox,
            "/api/status/order_id/",
            Some("application/json"),
            Body::Whole(body.to_string().as_bytes()),
        )
        .await;
        assert_eq!(status, 200, "{version}");
        let r = response(&reply);
        assert_eq!(
            (&r["error_code"], &r["error_message"]),
            (&json!(1011), &json!("Parameter `merchant_id` is missing")),
            "{version}"
        );
    }
}
