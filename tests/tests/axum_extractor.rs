//! The axum callback extractor (`flitt::axum`, feature `axum`) in a real axum server on
//! 127.0.0.1: the sandbox's own callbacks and bodies signed with the SDK reach the handler
//! verified, in JSON, form and 2.0 shapes; tampered, unsigned, garbage and oversized bodies get
//! an empty `400` and never reach it.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use flitt::api::{OrderStatus, P2pCreditRequest, ThreeDsStep1Request};
use flitt::callback::test_util::{sign_callback_form, sign_callback_json};
use flitt::callback::{Callback, VerifiedCallback};
use flitt::flows::{self, StepOne};
use flitt::signature::{BodyProtocol, SecretKey, envelope_v2};
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const JSON: &str = "application/json; charset=UTF-8";
const FORM: &str = "application/x-www-form-urlencoded";

type Seen = Arc<Mutex<Vec<VerifiedCallback>>>;

/// The merchant's state: the key the extractor verifies with, and what the handler stored.
#[derive(Clone)]
struct Shop {
    key: SecretKey,
    seen: Seen,
}

impl FromRef<Shop> for SecretKey {
    fn from_ref(shop: &Shop) -> SecretKey {
        shop.key.clone()
    }
}

async fn record(State(shop): State<Shop>, callback: VerifiedCallback) -> StatusCode {
    shop.seen.lock().unwrap().push(callback);
    StatusCode::OK
}

/// A merchant's site: `/callback` verifies with the payment key (state: [`Shop`]), and
/// `/payout-callback` with the payout key (state: the [`SecretKey`] itself).
struct Merchant {
    url: String,
    payments: Seen,
    payouts: Seen,
}

impl Merchant {
    async fn start() -> Self {
        let (payments, payouts) = (Seen::default(), Seen::default());
        let shop = Shop {
            key: SecretKey::new(flitt_sandbox::SECRET_KEY),
            seen: payments.clone(),
        };
        let store = payouts.clone();
        let router = Router::new()
            .route("/callback", post(record))
            .with_state(shop)
            .merge(
                Router::new()
                    .route(
                        "/payout-callback",
                        post(move |callback: VerifiedCallback| async move {
                            store.lock().unwrap().push(callback);
                            StatusCode::OK
                        }),
                    )
                    .with_state(SecretKey::new(flitt_sandbox::CREDIT_KEY)),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url,
            payments,
            payouts,
        }
    }

    fn payments(&self) -> Vec<VerifiedCallback> {
        self.payments.lock().unwrap().clone()
    }

    fn payouts(&self) -> Vec<VerifiedCallback> {
        self.payouts.lock().unwrap().clone()
    }
}

/// Waits (up to 5 s) until `done` holds: callbacks arrive on the sandbox's own tasks.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} did not happen");
}

/// A reply as the sender sees it.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: Vec<u8>,
}

/// POSTs `body` to `url` with a `Content-Length`.
async fn send(url: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut request = head(
        url,
        content_type,
        &format!("Content-Length: {}", body.len()),
    );
    request.extend_from_slice(body);
    exchange(url, request).await
}

/// POSTs `body` to `url` in chunks of 8 KiB, declaring no length.
async fn send_chunked(url: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut request = head(url, content_type, "Transfer-Encoding: chunked");
    for chunk in body.chunks(8 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    exchange(url, request).await
}

fn head(url: &str, content_type: &str, length: &str) -> Vec<u8> {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{length}\r\n\
         Connection: close\r\n\r\n"
    )
    .into_bytes()
}

/// Writes the request while reading the reply: a server may answer (and close) before it has
/// read a body it refuses, so a failed write is not an error here, and whatever was read
/// before the connection ended is the reply.
async fn exchange(url: &str, request: Vec<u8>) -> Reply {
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    let stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        let _ = write.write_all(&request).await;
        write
    });
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = read.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    drop(writer.await);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no reply head in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..end]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Reply {
        status,
        body: raw[end + 4..].to_vec(),
    }
}

fn fields() -> Map<String, Value> {
    let fields = json!({
        "order_id": "shop-1",
        "merchant_id": 1549901,
        "order_status": "approved",
        "amount": "1250",
        "currency": "GEL",
        "masked_card": "444455XXXXXX6666",
        "additional_info": "{\"capture_status\": null, \"bank_name\": \"Test Bank\"}",
    });
    fields.as_object().unwrap().clone()
}

fn key() -> SecretKey {
    SecretKey::new(flitt_sandbox::SECRET_KEY)
}

fn envelope(fields: &Map<String, Value>) -> Value {
    let envelope = envelope_v2(&key(), &Value::Object(fields.clone())).unwrap();
    serde_json::to_value(envelope).unwrap()
}

fn direct(card: &str, minor: u64, callback_url: String) -> ThreeDsStep1Request {
    ThreeDsStep1Request::builder()
        .order_desc("extractor")
        .amount(Amount::new(minor).unwrap())
        .currency(Currency::GEL)
        .card_number(card)
        .expiry_date("1230")
        .cvv2("123")
        .server_callback_url(callback_url)
        .build()
}

#[tokio::test]
async fn the_sandboxs_callbacks_reach_the_handler_verified_with_the_right_key() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = flitt_tests::sandbox_client(&sandbox, Duration::from_secs(10));
    let merchant = Merchant::start().await;

    // A payment: its callback, signed with the payment key, reaches the handler.
    let request = direct(
        "4444555511116666",
        1234,
        format!("{}/callback", merchant.url),
    );
    let StepOne::Approved(paid) = flows::pay_direct(&client, &request).await.unwrap() else {
        panic!("the test card approves")
    };
    until("the payment's callback", || merchant.payments().len() == 1).await;
    let callback = &merchant.payments()[0];
    assert_eq!(callback.order_id(), Some(paid.order_id().as_str()));
    assert_eq!(callback.protocol(), BodyProtocol::V1);
    let order = callback.order().unwrap();
    assert_eq!(order.order_status, Some(OrderStatus::Approved));
    assert_eq!(order.amount, Some(1234));
    assert_eq!(order.masked_card.as_deref(), Some("444455XXXXXX6666"));
    let delivered = &sandbox.callbacks()[0];
    assert_eq!((delivered.last_status, delivered.delivered), (200, true));

    // A payout: its callback is signed with the payout key, which the other route holds.
    let payout = P2pCreditRequest::builder()
        .order_desc("withdrawal")
        .amount(Amount::new(5_000).unwrap())
        .currency(Currency::GEL)
        .receiver_card_number("4444555511116666")
        .server_callback_url(format!("{}/payout-callback", merchant.url))
        .build();
    let reply = client.send(&payout).await.unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
    until("the payout's callback", || merchant.payouts().len() == 1).await;
    assert_eq!(
        merchant.payouts()[0].order_id(),
        Some(payout.order_id.as_str())
    );

    // A payment's callback sent to the payout route does not verify there: an empty 400, the
    // handler does not run, and the sandbox counts it undelivered (it would retry).
    let request = direct(
        "4444555511116666",
        700,
        format!("{}/payout-callback", merchant.url),
    );
    flows::pay_direct(&client, &request).await.unwrap();
    let third = || sandbox.callbacks().get(2).cloned();
    until("the misrouted callback's try", || {
        third().is_some_and(|c| c.attempts == 1)
    })
    .await;
    let refused = third().unwrap();
    assert_eq!((refused.last_status, refused.delivered), (400, false));
    assert_eq!(merchant.payouts().len(), 1);
    assert_eq!(merchant.payments().len(), 1);
}

#[tokio::test]
async fn json_form_and_envelope_bodies_signed_with_the_sdk_are_accepted() {
    let merchant = Merchant::start().await;
    let url = format!("{}/callback", merchant.url);
    let fields = fields();
    let wrapped = json!({ "response": envelope(&fields) });
    let bodies = [
        (JSON, sign_callback_json(&key(), &fields).unwrap()),
        (FORM, sign_callback_form(&key(), &fields).unwrap()),
        (JSON, envelope(&fields).to_string().into_bytes()),
        (JSON, wrapped.to_string().into_bytes()),
    ];
    for (content_type, body) in &bodies {
        let reply = send(&url, content_type, body).await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let seen = merchant.payments();
    assert_eq!(seen.len(), bodies.len());
    for callback in &seen {
        assert_eq!(callback.order_id(), Some("shop-1"));
        assert_eq!(callback.get_str("currency").as_deref(), Some("GEL"));
        let order = callback.order().unwrap();
        assert_eq!(order.amount, Some(1250));
        assert_eq!(order.order_status, Some(OrderStatus::Approved));
    }
    let protocols: Vec<_> = seen.iter().map(VerifiedCallback::protocol).collect();
    assert_eq!(
        protocols,
        [
            BodyProtocol::V1,
            BodyProtocol::V1,
            BodyProtocol::V2,
            BodyProtocol::V2
        ]
    );
}

#[tokio::test]
async fn tampered_unsigned_garbage_and_oversized_bodies_get_an_empty_400_before_the_handler() {
    let merchant = Merchant::start().await;
    let url = format!("{}/callback", merchant.url);
    let fields = fields();
    let signed_json = String::from_utf8(sign_callback_json(&key(), &fields).unwrap()).unwrap();
    let signed_form = String::from_utf8(sign_callback_form(&key(), &fields).unwrap()).unwrap();

    let changed = |body: &str, from: &str, to: &str| {
        assert!(body.contains(from), "{from} not in {body}");
        body.replace(from, to).into_bytes()
    };
    let unsigned_form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().map(|(k, v)| match v {
            Value::String(s) => (k.clone(), s.clone()),
            other => (k.clone(), other.to_string()),
        }))
        .finish();
    let mut empty_signature = fields.clone();
    empty_signature.insert("signature".into(), json!(""));
    // A 2.0 envelope whose data says more than was signed.
    let mut more = fields.clone();
    more.insert("amount".into(), json!("125000"));
    let mut forged_envelope = envelope(&fields);
    forged_envelope["data"] = envelope(&more)["data"].clone();

    // Signed correctly, but over the limit: refused for its size alone.
    let mut big = fields.clone();
    big.insert("merchant_data".into(), json!("x".repeat(70 * 1024)));
    let big_json = sign_callback_json(&key(), &big).unwrap();
    let big_form = sign_callback_form(&key(), &big).unwrap();
    Callback::verify(&big_json, Some(JSON), &key()).expect("the big body is genuine");
    Callback::verify(&big_form, Some(FORM), &key()).expect("the big body is genuine");

    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "JSON, amount changed",
            JSON,
            changed(&signed_json, "\"amount\":\"1250\"", "\"amount\":\"125000\""),
        ),
        (
            "form, amount changed",
            FORM,
            changed(&signed_form, "amount=1250", "amount=125000"),
        ),
        (
            "JSON, status changed",
            JSON,
            changed(&signed_json, "approved", "declined"),
        ),
        ("JSON, unsigned", JSON, serde_json::to_vec(&fields).unwrap()),
        ("form, unsigned", FORM, unsigned_form.into_bytes()),
        (
            "JSON, empty signature",
            JSON,
            serde_json::to_vec(&empty_signature).unwrap(),
        ),
        (
            "JSON, signed with another key",
            JSON,
            sign_callback_json(&SecretKey::new("guessed"), &fields).unwrap(),
        ),
        (
            "form, signed with another key",
            FORM,
            sign_callback_form(&SecretKey::new("guessed"), &fields).unwrap(),
        ),
        (
            "2.0, data changed",
            JSON,
            forged_envelope.to_string().into_bytes(),
        ),
        (
            "JSON body sent as a form",
            FORM,
            signed_json.clone().into_bytes(),
        ),
        ("garbage text", FORM, b"not a callback at all".to_vec()),
        ("garbage JSON", JSON, b"{\"order_id\":".to_vec()),
        ("a JSON list", JSON, b"[1,2,3]".to_vec()),
        ("a JSON number response", JSON, b"{\"response\":5}".to_vec()),
        ("binary", JSON, vec![0xff, 0xfe, 0x00, 0x7b]),
        ("empty", JSON, Vec::new()),
        ("JSON over the limit", JSON, big_json.clone()),
        ("form over the limit", FORM, big_form),
    ];
    for (what, content_type, body) in &cases {
        let reply = send(&url, content_type, body).await;
        assert_eq!(reply.status, 400, "{what}");
        assert!(
            reply.body.is_empty(),
            "{what}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    // Over the limit with no declared length: stopped as it streams in.
    let reply = send_chunked(&url, JSON, &big_json).await;
    assert_eq!(reply.status, 400, "chunked over the limit");
    assert!(reply.body.is_empty());
    assert!(
        merchant.payments().is_empty(),
        "the handler ran for a refused body"
    );

    // The same server still takes a genuine callback, in chunks too.
    let reply = send_chunked(&url, JSON, signed_json.as_bytes()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(merchant.payments().len(), 1);
}
