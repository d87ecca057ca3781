//! The client over real HTTP against a scripted server on 127.0.0.1: each error kind, the
//! retry policy, and that bad input never reaches the network.

mod support;

use flitt::api::{CaptureRequest, OrderStatus, RecurringRequest, StatusRequest};
use flitt::types::{Amount, Currency, OrderId, Sensitive};
use flitt::{Client, Error};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::{Action, ScriptServer};

const SECRET: &str = "test";

/// Signs a reply the way Flitt does (an independent few lines, not the SDK's signer).
fn signed(mut fields: Map<String, Value>) -> Value {
    let mut keys: Vec<_> = fields.keys().cloned().collect();
    keys.sort();
    let mut pre = SECRET.to_owned();
    for k in keys {
        let text = match &fields[&k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !text.is_empty() {
            pre.push('|');
            pre.push_str(&text);
        }
    }
    let sig: String = Sha1::digest(pre.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    fields.insert("signature".into(), Value::String(sig));
    json!({ "response": fields })
}

fn order(order_id: &str, status: &str) -> Map<String, Value> {
    json!({
        "order_id": order_id,
        "merchant_id": 1549901,
        "order_status": status,
        "amount": "1000",
        "actual_amount": if status == "approved" { "1000" } else { "" },
        "currency": "GEL",
        "response_status": "success",
        "response_code": if status == "declined" { json!(1000) } else { json!("") },
        "additional_info": "{\"capture_status\": null, \"client_fee\": 0.0}",
    })
    .as_object()
    .unwrap()
    .clone()
}

fn client(url: &str, timeout: Duration) -> Client {
    Client::builder("1549901", SECRET)
        .api_url(url)
        .timeout(timeout)
        .retry_policy(flitt::client::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
        .build()
        .unwrap()
}

fn status_request(id: &str) -> StatusRequest {
    StatusRequest::builder()
        .order_id(OrderId::new(id).unwrap())
        .build()
}

fn recurring(id: &str) -> RecurringRequest {
    RecurringRequest::builder()
        .order_id(OrderId::new(id).unwrap())
        .order_desc("Monthly plan")
        .amount(Amount::new(1000).unwrap())
        .currency(Currency::GEL)
        .rectoken(Sensitive::from("tok_0123456789abcdef0123456789abcdef0123"))
        .build()
}

#[tokio::test]
async fn a_signed_reply_decodes_and_the_request_is_signed() {
    let server = ScriptServer::start([Action::json(signed(order("o-1", "approved")))]).await;
    let reply = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-1"))
        .await
        .unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
    let sent = server.received();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/api/status/order_id");
    let request = sent[0].json()["request"].clone();
    assert_eq!(request["order_id"], "o-1");
    assert_eq!(request["merchant_id"], "1549901");
    // sha1("test|1549901|o-1")
    let expected: String = Sha1::digest(b"test|1549901|o-1")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(request["signature"], expected);
}

#[tokio::test]
async fn a_decline_is_an_outcome_not_an_error() {
    let server = ScriptServer::start([Action::json(signed(order("o-2", "declined")))]).await;
    let reply = client(&server.url, Duration::from_secs(5))
        .send(&recurring("o-2"))
        .await
        .unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Declined));
    assert_eq!(reply.response_code, Some(1000));
}

#[tokio::test]
async fn a_forged_signature_is_an_error() {
    let mut forged = signed(order("o-3", "approved"));
    forged["response"]["order_status"] = json!("approved");
    forged["response"]["amount"] = json!("999999");
    let server = ScriptServer::start([Action::json(forged)]).await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-3"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e}");
}

#[tokio::test]
async fn an_unsigned_payment_status_is_refused() {
    let server = ScriptServer::start([Action::json(
        json!({ "response": order("o-4", "approved") }),
    )])
    .await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-4"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e}");
}

/// The adversarial run's reply: a reverse "approved" with no signature at all.
fn unsigned_reverse() -> Value {
    json!({"response": {
        "order_id": "o1", "merchant_id": 1549901, "reverse_status": "approved",
        "reversal_amount": "100000", "response_status": "success"
    }})
}

/// A money call's reply that fails verification is never taken as its outcome: the client
/// looks the order up, and without a final answer it is an unknown outcome naming the cause.
fn assert_unsigned_is_unknown(e: &Error) {
    let Error::OutcomeUnknown(u) = e else {
        panic!("an unknown outcome expected: {e}")
    };
    assert!(u.cause.contains("must be signed"), "{e}");
}

fn not_found() -> Action {
    Action::json(json!({"response": {
        "error_code": 1018, "error_message": "Order not found", "response_status": "failure"
    }}))
}

#[tokio::test]
async fn an_unsigned_success_of_a_signed_endpoint_is_refused_in_every_encoding() {
    let reverse = flitt::api::ReverseRequest::builder()
        .order_id(OrderId::new("o1").unwrap())
        .amount(Amount::new(100_000).unwrap())
        .currency(Currency::GEL)
        .reverse_id("r-1")
        .build();
    let form = Action::Reply {
        status: 200,
        content_type: "application/x-www-form-urlencoded",
        body: b"order_id=o1&merchant_id=1549901&reverse_status=approved&reversal_amount=100000&response_status=success".to_vec(),
    };
    for reply in [Action::json(unsigned_reverse()), form] {
        // The unsigned "approved" refund, then the status lookup that cannot settle it.
        let server = ScriptServer::start([reply, not_found()]).await;
        let e = client(&server.url, Duration::from_secs(5))
            .send(&reverse)
            .await
            .unwrap_err();
        assert_unsigned_is_unknown(&e);
        assert_eq!(server.received().len(), 2, "sent once, then looked up");
    }
    // The same through the raw path (`flitt call`): a status lookup is refused outright, a
    // payout is looked up and stays unknown.
    for (name, params) in [
        ("status", vec![("order_id", "o1")]),
        (
            "p2p_credit",
            vec![
                ("order_id", "o1"),
                ("order_desc", "payout"),
                ("amount", "100"),
                ("currency", "GEL"),
                ("receiver_card_number", "4444555511116666"),
            ],
        ),
    ] {
        let endpoint = flitt::api::ENDPOINTS
            .iter()
            .find(|e| e.name == name)
            .unwrap();
        let server = ScriptServer::start([Action::json(unsigned_reverse()), not_found()]).await;
        let client = Client::builder("1549901", SECRET)
            .credit_key("testcredit")
            .api_url(&server.url)
            .retry_policy(flitt::client::RetryPolicy {
                max_attempts: 1,
                ..Default::default()
            })
            .build()
            .unwrap();
        let params: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let e = client.send_raw(endpoint, &params).await.unwrap_err();
        if name == "status" {
            assert!(matches!(e, Error::Signature(_)), "{name}: {e}");
        } else {
            assert_unsigned_is_unknown(&e);
        }
    }
}

#[tokio::test]
async fn a_three_ds_challenge_may_come_unsigned_but_only_as_a_challenge() {
    let step1 = || {
        flitt::api::ThreeDsStep1Request::builder()
            .order_id(OrderId::new("o-3ds").unwrap())
            .order_desc("3ds")
            .amount(Amount::new(100).unwrap())
            .currency(Currency::GEL)
            .card_number("4444555511116666")
            .expiry_date("1230")
            .cvv2("123")
            .build()
    };
    let challenge = json!({"response": {
        "response_status": "success", "acs_url": "https://acs.example/", "pareq": "pa", "md": "m"
    }});
    let server = ScriptServer::start([Action::json(challenge.clone())]).await;
    let reply = client(&server.url, Duration::from_secs(5))
        .send(&step1())
        .await
        .unwrap();
    assert_eq!(reply.acs_url.as_deref(), Some("https://acs.example/"));
    // The same challenge claiming an approved order is not a challenge any more.
    let mut claims = challenge;
    claims["response"]["order_status"] = json!("approved");
    let server = ScriptServer::start([Action::json(claims), not_found()]).await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&step1())
        .await
        .unwrap_err();
    assert_unsigned_is_unknown(&e);
}

#[tokio::test]
async fn a_raw_money_call_whose_reply_is_lost_names_the_generated_order_id() {
    // The reply to the payment is lost; the status lookup finds the order still processing.
    let server = ScriptServer::start([
        Action::Drop,
        Action::json(signed(order("PLACEHOLDER", "processing"))),
    ])
    .await;
    let endpoint = flitt::api::ENDPOINTS
        .iter()
        .find(|e| e.name == "three_ds_step1")
        .unwrap();
    let params: Vec<(String, String)> = [
        ("amount", "4200"),
        ("currency", "GEL"),
        ("order_desc", "x"),
        ("card_number", "4444555511116666"),
        ("cvv2", "123"),
        ("expiry_date", "1230"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let e = client(&server.url, Duration::from_secs(5))
        .send_raw(endpoint, &params)
        .await
        .unwrap_err();
    let Error::OutcomeUnknown(unknown) = &e else {
        panic!("{e}")
    };
    let sent = server.received();
    assert_eq!(sent.len(), 2, "the payment once, then one status lookup");
    let generated = sent[0].json()["request"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sent[1].json()["request"]["order_id"], generated.as_str());
    assert_eq!(unknown.order_id.as_ref().unwrap().as_str(), generated);
    assert!(e.to_string().contains(&generated), "{e}");
}

#[tokio::test]
async fn a_gateway_error_names_its_code() {
    let server = ScriptServer::start([Action::json(json!({"response": {
        "error_code": 1018, "error_message": "Order not found", "request_id": "abc", "response_status": "failure"
    }}))])
    .await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&status_request("nope"))
        .await
        .unwrap_err();
    let g = e.gateway().expect("a gateway error");
    assert_eq!(g.code, Some(1018));
    assert_eq!(g.request_id.as_deref(), Some("abc"));
    assert!(e.to_string().contains("1018 order_not_found"), "{e}");
}

#[tokio::test]
async fn an_html_error_page_is_an_http_status_error() {
    let page = Action::Reply {
        status: 502,
        content_type: "text/html",
        body: b"<html><body>502 Bad Gateway</body></html>".to_vec(),
    };
    // A read is retried on 5xx: three attempts, then the error.
    let server = ScriptServer::start([page.clone(), page.clone(), page]).await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-5"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::HttpStatus { status: 502, .. }), "{e}");
    assert!(e.to_string().contains("Bad Gateway"));
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn reads_are_retried_until_they_succeed() {
    let server = ScriptServer::start([
        Action::Reply {
            status: 503,
            content_type: "text/plain",
            body: b"busy".to_vec(),
        },
        Action::Drop,
        Action::json(signed(order("o-6", "approved"))),
    ])
    .await;
    let reply = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-6"))
        .await
        .unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn a_truncated_or_malformed_body_is_a_typed_error() {
    let server =
        ScriptServer::start([Action::Truncate(b"{\"response\": {\"order_".to_vec())]).await;
    let c = client(&server.url, Duration::from_secs(5));
    let e = c
        .send(
            &CaptureRequest::builder()
                .order_id(OrderId::new("o-7").unwrap())
                .amount(Amount::new(100).unwrap())
                .currency(Currency::GEL)
                .build(),
        )
        .await
        .unwrap_err();
    // A capture is never resent: its lost reply is settled by a status lookup, which the
    // exhausted script answers with 599, so the outcome stays unknown.
    assert!(matches!(e, Error::OutcomeUnknown(_)), "{e}");

    // A read is asked again while its reply cannot be read (it changes nothing), and the
    // last reply's decode error is the error.
    let malformed = || Action::Reply {
        status: 200,
        content_type: "application/json",
        body: b"{\"response\": [1, 2".to_vec(),
    };
    let server = ScriptServer::start([malformed(), malformed(), malformed()]).await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-8"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
    assert_eq!(server.received().len(), 3, "asked three times");
    // And a whole reply after a broken one is the answer.
    let server =
        ScriptServer::start([malformed(), Action::json(signed(order("o-9", "approved")))]).await;
    let reply = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-9"))
        .await
        .unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
}

/// A reply without end, chunked (`declared: None`) or announced as `declared` bytes, whose
/// server sends at most 256 MiB.
fn flood(declared: Option<u64>, sent: &Arc<AtomicUsize>) -> Action {
    Action::Flood {
        declared,
        budget: 256 << 20,
        sent: sent.clone(),
    }
}

fn assert_too_large(e: &Error, limit: usize) {
    let Error::Decode { reason, excerpt } = e else {
        panic!("{e}")
    };
    assert!(
        reason.contains(&format!("larger than the {limit} bytes")),
        "{reason}"
    );
    assert!(excerpt.len() < 4096, "the excerpt is cut short");
}

#[tokio::test]
async fn an_endless_or_enormous_reply_is_not_read_past_the_limit() {
    const LIMIT: usize = 1 << 20;
    let capped = |url: &str| {
        Client::builder("1549901", SECRET)
            .api_url(url)
            .timeout(Duration::from_secs(20))
            .max_reply_bytes(LIMIT)
            .retry_policy(flitt::client::RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(5),
            })
            .build()
            .unwrap()
    };
    // Streamed without end: reading stops past the limit, and a read is not asked again (it
    // would bring as much). The socket buffers between the two hold what the host's TCP
    // settings allow (up to 32 MiB here), far less than the 256 MiB the server would send.
    let sent = Arc::new(AtomicUsize::new(0));
    let server = ScriptServer::start([flood(None, &sent), flood(None, &sent)]).await;
    let e = capped(&server.url)
        .send(&status_request("o-20"))
        .await
        .unwrap_err();
    assert_too_large(&e, LIMIT);
    assert_eq!(server.received().len(), 1, "not asked again");
    let streamed = sent.load(Ordering::Relaxed);
    assert!(streamed < 96 << 20, "{streamed} bytes sent");

    // Announced as 5 GiB: refused on the announcement, before its body is read.
    let sent = Arc::new(AtomicUsize::new(0));
    let server =
        ScriptServer::start([flood(Some(5 << 30), &sent), flood(Some(5 << 30), &sent)]).await;
    let e = capped(&server.url)
        .send(&status_request("o-21"))
        .await
        .unwrap_err();
    assert_too_large(&e, LIMIT);
    let Error::Decode { excerpt, .. } = &e else {
        unreachable!()
    };
    assert_eq!(excerpt, "", "nothing of the body was read");
    assert!(sent.load(Ordering::Relaxed) < 96 << 20);

    // A money call is not resent: its unread reply is settled by a status lookup.
    let sent = Arc::new(AtomicUsize::new(0));
    let server = ScriptServer::start([
        flood(None, &sent),
        Action::json(signed(order("o-22", "approved"))),
    ])
    .await;
    let reply = capped(&server.url).send(&recurring("o-22")).await.unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
    let paths: Vec<_> = server.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/api/recurring", "/api/status/order_id"]);

    // Another status decides by itself: a 4xx refusal stays a refusal, read in part.
    let server = ScriptServer::start([Action::Reply {
        status: 403,
        content_type: "text/plain",
        body: vec![b'x'; 2 * LIMIT],
    }])
    .await;
    let e = capped(&server.url)
        .send(&recurring("o-24"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::HttpStatus { status: 403, .. }), "{e}");
    assert_eq!(server.received().len(), 1);

    // The limit is on the body: a reply of exactly the limit is read whole.
    let mut exact = signed(order("o-23", "approved")).to_string().into_bytes();
    let pad = LIMIT - exact.len();
    let at = exact.len() - 2;
    exact.splice(at..at, std::iter::repeat_n(b' ', pad));
    assert_eq!(exact.len(), LIMIT);
    let server = ScriptServer::start([Action::Reply {
        status: 200,
        content_type: "application/json",
        body: exact,
    }])
    .await;
    let reply = capped(&server.url)
        .send(&status_request("o-23"))
        .await
        .unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
}

#[tokio::test]
async fn a_money_call_that_times_out_is_settled_by_a_status_lookup_not_resent() {
    let server = ScriptServer::start([
        Action::Hang(Duration::from_secs(3)),
        Action::json(signed(order("o-9", "approved"))),
    ])
    .await;
    let reply = client(&server.url, Duration::from_millis(300))
        .send(&recurring("o-9"))
        .await
        .unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
    let paths: Vec<_> = server.received().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/api/recurring", "/api/status/order_id"],
        "sent once, then looked up"
    );
}

#[tokio::test]
async fn a_money_call_whose_order_is_not_final_is_outcome_unknown() {
    let server = ScriptServer::start([
        Action::Reply {
            status: 500,
            content_type: "text/html",
            body: b"<h1>oops</h1>".to_vec(),
        },
        Action::json(signed(order("o-10", "processing"))),
    ])
    .await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&recurring("o-10"))
        .await
        .unwrap_err();
    let Error::OutcomeUnknown(u) = &e else {
        panic!("{e}")
    };
    assert_eq!(u.order_id.as_ref().map(|o| o.as_str()), Some("o-10"));
    assert_eq!(
        u.status.as_ref().and_then(|s| s.order_status.clone()),
        Some(OrderStatus::Processing)
    );
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_refusal_that_says_the_outcome_is_unknown_is_settled_not_taken_as_a_refusal() {
    // 1089: the acquirer timed out. The money may have moved: the client looks the order up
    // instead of reporting a refusal the caller would answer by charging again.
    let acquirer_timeout = || {
        Action::json(json!({"response": {
            "response_status": "failure",
            "error_code": 1089,
            "error_message": "Acquiring bank request timeout",
            "request_id": "r-1",
        }}))
    };
    let server = ScriptServer::start([
        acquirer_timeout(),
        Action::json(signed(order("o-11", "approved"))),
    ])
    .await;
    let reply = client(&server.url, Duration::from_secs(5))
        .send(&recurring("o-11"))
        .await
        .unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
    let paths: Vec<_> = server.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/api/recurring", "/api/status/order_id"]);

    // A plain refusal (1013, a duplicate order) is final: no lookup.
    let server = ScriptServer::start([Action::json(json!({"response": {
        "response_status": "failure",
        "error_code": 1013,
        "error_message": "Duplicate order",
    }}))])
    .await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&recurring("o-12"))
        .await
        .unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1013), "{e}");
    assert_eq!(server.received().len(), 1);

    // On a read it is just the error.
    let server = ScriptServer::start([acquirer_timeout()]).await;
    let e = client(&server.url, Duration::from_secs(5))
        .send(&status_request("o-13"))
        .await
        .unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1089), "{e}");
}

#[tokio::test]
async fn a_timeout_on_a_read_reports_is_timeout() {
    let server = ScriptServer::start([
        Action::Hang(Duration::from_secs(2)),
        Action::Hang(Duration::from_secs(2)),
        Action::Hang(Duration::from_secs(2)),
    ])
    .await;
    let e = client(&server.url, Duration::from_millis(200))
        .send(&status_request("o-11"))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
}

#[tokio::test]
async fn bad_input_never_reaches_the_network() {
    let server = ScriptServer::start([]).await;
    let too_long = RecurringRequest::builder()
        .order_desc("x".repeat(1025))
        .amount(Amount::new(1).unwrap())
        .currency(Currency::GEL)
        .rectoken(Sensitive::from("t"))
        .build();
    let e = client(&server.url, Duration::from_secs(5))
        .send(&too_long)
        .await
        .unwrap_err();
    let Error::InvalidInput(i) = &e else {
        panic!("{e}")
    };
    assert_eq!(i.field, "order_desc");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_connection_refused_is_retried_then_reported_for_any_call() {
    // Nothing listens on this port once the listener is dropped.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2))
        .send(&recurring("o-12"))
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::Transport(t) if t.is_connect()), "{e}");
}
