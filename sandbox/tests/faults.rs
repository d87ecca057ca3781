//! The fault kinds over real HTTP on 127.0.0.1: what the client sees and whether the ledger
//! changed.

mod common;

use common::*;
use flitt_sandbox::ledger::Status;
use flitt_sandbox::{Fault, FaultRule, Sandbox};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn response_of(reply: &[u8]) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_slice(body_of(reply)).expect("a JSON body");
    obj(v["response"].clone())
}

#[tokio::test]
async fn missing_signature_applies_then_replies_unsigned_v1() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = addr(sandbox.url());
    // Control: the same kind of reply carries a signature without the fault.
    let (reply, _) = raw(&addr, "/api/3dsecure_step1", &pay_body("signed")).await;
    assert!(response_of(&reply).contains_key("signature"));

    sandbox.inject(FaultRule::on_order("ms", Fault::MissingSignature));
    let (reply, err) = raw(&addr, "/api/3dsecure_step1", &pay_body("ms")).await;
    assert!(err.is_none());
    assert!(reply.starts_with(b"HTTP/1.1 200"));
    let r = response_of(&reply);
    assert_eq!(r["order_status"], json!("approved"));
    assert!(!r.contains_key("signature"), "{r:?}");
    assert_eq!(sandbox.order("ms").unwrap().status, Status::Approved);
}

#[tokio::test]
async fn missing_signature_removes_the_envelope_signature_v2() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = addr(sandbox.url());
    let body = |id: &str| {
        v2(obj(json!({
            "order_id": id, "order_desc": "t", "amount": "100", "currency": "GEL",
        })))
    };
    let (reply, _) = raw(&addr, "/api/checkout/url", &body("signed2")).await;
    assert!(response_of(&reply).contains_key("signature"));

    sandbox.inject(FaultRule::on_order("ms2", Fault::MissingSignature));
    let (reply, _) = raw(&addr, "/api/checkout/url", &body("ms2")).await;
    let r = response_of(&reply);
    assert_eq!(r["version"], json!("2.0"));
    assert!(r["data"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(!r.contains_key("signature"), "{r:?}");
    assert!(sandbox.order("ms2").is_some(), "the order was created");
}

#[tokio::test]
async fn slow_drip_sends_the_whole_reply_slowly() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = addr(sandbox.url());
    raw(&addr, "/api/3dsecure_step1", &pay_body("drip")).await;
    let (fast, _) = raw(&addr, "/api/status/order_id", &status_body("drip")).await;

    sandbox.inject(FaultRule::on_order(
        "drip",
        Fault::SlowDrip(Duration::from_millis(1000)),
    ));
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = Instant::now();
    s.write_all(request("/api/status/order_id", &status_body("drip")).as_bytes())
        .await
        .unwrap();
    let (mut got, mut reads, mut first) = (Vec::new(), 0, None);
    let mut buf = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            first.get_or_insert(started.elapsed());
            reads += 1;
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the drip ends within 5 s");
    let total = started.elapsed();
    // The head comes at once, the body in many pieces over about a second.
    assert!(first.unwrap() < Duration::from_millis(500), "{first:?}");
    assert!(total >= Duration::from_millis(800), "{total:?}");
    assert!(reads >= 10, "{reads} reads");
    // And it is the same reply as without the fault (the time in it aside), signed.
    let key = flitt::signature::SecretKey::new(flitt_sandbox::SECRET_KEY);
    flitt::signature::verify_v1_json(&key, body_of(&got)).expect("a whole, signed body");
    assert_eq!(response_of(&got), response_of(&fast));
}

#[tokio::test]
async fn connection_reset_applies_then_sends_nothing() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = addr(sandbox.url());
    sandbox.inject(FaultRule::on_order("rst", Fault::ConnectionReset));
    let (reply, err) = raw(&addr, "/api/3dsecure_step1", &pay_body("rst")).await;
    assert!(
        reply.is_empty(),
        "not a byte: {:?}",
        String::from_utf8_lossy(&reply)
    );
    // A TCP reset, not a clean close.
    assert_eq!(
        err.map(|e| e.kind()),
        Some(std::io::ErrorKind::ConnectionReset)
    );
    assert_eq!(sandbox.order("rst").unwrap().status, Status::Approved);
    // The next request is served normally.
    let (reply, _) = raw(&addr, "/api/status/order_id", &status_body("rst")).await;
    assert_eq!(response_of(&reply)["order_status"], json!("approved"));
}

#[tokio::test]
async fn drop_connection_sends_the_head_then_closes() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = addr(sandbox.url());
    sandbox.inject(FaultRule::on_order("drop", Fault::DropConnection));
    let (reply, _) = raw(&addr, "/api/3dsecure_step1", &pay_body("drop")).await;
    assert!(reply.starts_with(b"HTTP/1.1 200"), "{reply:?}");
    assert!(serde_json::from_slice::<Value>(body_of(&reply)).is_err());
    assert_eq!(sandbox.order("drop").unwrap().status, Status::Approved);
}

#[tokio::test]
async fn error_before_ledger_changes_nothing() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = addr(sandbox.url());
    sandbox.inject(FaultRule::on_order("before", Fault::ErrorBeforeLedger));
    let (reply, _) = raw(&addr, "/api/3dsecure_step1", &pay_body("before")).await;
    assert!(reply.starts_with(b"HTTP/1.1 500"));
    assert!(sandbox.order("before").is_none());
    assert!(!Fault::ErrorBeforeLedger.after_ledger());
    assert!(Fault::ConnectionReset.after_ledger());
}
