//! Protocol 2.0 on every endpoint that takes it (`BodyFormat::V2`, per client or per request):
//! the whole money flow against the sandbox, every reply a verified 2.0 envelope, and the wire
//! seen by a recording gateway.

use base64::Engine as _;
use flitt::Client;
use flitt::api::{
    CheckoutUrlRequest, OrderStatus, P2pCreditRequest, RecurringRequest, StatusRequest,
    SubscriptionAction, SubscriptionRequest, ThreeDsStep1Request, TransactionListRequest,
};
use flitt::client::BodyFormat;
use flitt::flows::{self, StepOne};
use flitt::types::{Amount, Currency, OrderId, Sensitive};
use flitt_sandbox::Sandbox;
use flitt_tests::{RawAnswer, Recorder};
use serde_json::Value;

fn client(url: &str) -> Client {
    Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .credit_key(flitt_sandbox::CREDIT_KEY)
        .api_url(url)
        .body_format(BodyFormat::V2)
        .build()
        .unwrap()
}

fn amount(n: u64) -> Amount {
    Amount::new(n).unwrap()
}

#[tokio::test]
async fn a_whole_flow_in_protocol_two() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(sandbox.url());
    let hold = ThreeDsStep1Request::builder()
        .order_desc("two point zero")
        .amount(amount(2_000))
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .preauth(true)
        .required_rectoken(true)
        .build();
    let StepOne::Preauthorized(held) = flows::pay_direct(&c, &hold).await.unwrap() else {
        panic!("a hold expected")
    };
    let token = held.rectoken().expect("a token").expose().to_owned();
    let id = held.order_id().clone();
    let captured = held.capture(&c, amount(2_000)).await.unwrap();
    captured.refund(&c, amount(500), "two-r1").await.unwrap();
    let status = c
        .send(&StatusRequest::builder().order_id(id.clone()).build())
        .await
        .unwrap();
    assert_eq!(status.order_status, Some(OrderStatus::Approved));
    assert_eq!(status.reversal_amount, Some(500));

    let charge = RecurringRequest::builder()
        .order_desc("by token, 2.0")
        .amount(amount(300))
        .currency(Currency::GEL)
        .rectoken(Sensitive::from(token))
        .build();
    assert_eq!(
        c.send(&charge).await.unwrap().order_status,
        Some(OrderStatus::Approved)
    );
    let payout = P2pCreditRequest::builder()
        .order_desc("payout, 2.0")
        .amount(amount(700))
        .currency(Currency::GEL)
        .receiver_card_number("4444555511116666")
        .build();
    assert_eq!(
        c.send(&payout).await.unwrap().order_status,
        Some(OrderStatus::Approved)
    );
    // A 3-D Secure challenge comes back in an envelope too, and completes.
    let three_ds = ThreeDsStep1Request::builder()
        .order_desc("3-D Secure, 2.0")
        .amount(amount(900))
        .currency(Currency::GEL)
        .card_number("4444555566661111")
        .expiry_date("1230")
        .build();
    let StepOne::ThreeDs(pending) = flows::pay_direct(&c, &three_ds).await.unwrap() else {
        panic!("a challenge expected")
    };
    assert!(!pending.md().is_empty());
    // transaction_list takes 1.0 only: a 2.0 client sends it as 1.0 JSON.
    let list = c
        .send(&TransactionListRequest::builder().order_id(id).build())
        .await
        .unwrap();
    assert!(list.len() >= 3, "{list:?}");
}

#[tokio::test]
async fn the_wire_is_an_envelope_per_client_or_per_request() {
    // A plain refusal: final, so nothing is retried or looked up and each call is one request.
    let gateway = Recorder::start_raw(|_| RawAnswer {
        status: "400 Bad Request",
        content_type: "text/plain",
        body: b"recorded".to_vec(),
    })
    .await;
    let one = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(gateway.url())
        .retry_policy(flitt::client::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        })
        .build()
        .unwrap();
    let status = StatusRequest::builder()
        .order_id(OrderId::new("o-2").unwrap())
        .build();
    let _ = one.send(&status).await;
    let _ = one.with_body_format(BodyFormat::V2).send(&status).await;
    let stop = SubscriptionRequest::builder()
        .order_id(OrderId::new("o-3").unwrap())
        .action(SubscriptionAction::Stop)
        .build();
    let _ = one.with_body_format(BodyFormat::V2).send(&stop).await;
    let checkout = CheckoutUrlRequest::builder()
        .order_desc("x")
        .amount(amount(1))
        .currency(Currency::GEL)
        .build();
    let _ = one.with_body_format(BodyFormat::Form).send(&checkout).await;
    let bodies: Vec<Value> = gateway
        .received()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect();
    assert_eq!(bodies.len(), 4);
    // The client's own format: 1.0 JSON.
    assert_eq!(bodies[0]["request"]["order_id"], "o-2");
    assert!(bodies[0]["request"]["signature"].is_string());
    // Per request: 2.0 envelopes whose data is the order, merchant_id a number.
    for (body, order_id) in [(&bodies[1], "o-2"), (&bodies[2], "o-3")] {
        let envelope = &body["request"];
        assert_eq!(envelope["version"], "2.0");
        let data = envelope["data"].as_str().unwrap();
        let order: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(order["order"]["order_id"], order_id);
        assert_eq!(order["order"]["merchant_id"], 1549901);
    }
    // And a form, for the last.
    assert_eq!(bodies[3], Value::Null, "a form is not JSON");
    let form = String::from_utf8(gateway.received()[3].body.clone()).unwrap();
    assert!(
        form.contains("order_desc=x") && form.contains("signature="),
        "{form}"
    );
}

/// An order created by a 2.0 request is called back with a flat 2.0 envelope (the shape
/// `flitt_sandbox::Callback::body` documents), checked here by the official SDKs' rule apart
/// from flitt's own code: `signature` the SHA-1 of `secret|data`, with the payout key for a
/// payout. An order created in 1.0 is called back with its fields, as before.
#[tokio::test]
async fn an_order_created_in_two_is_called_back_in_two() {
    use flitt::callback::Callback;
    use flitt::signature::{BodyProtocol, SecretKey};
    use sha1::Digest as _;
    let sandbox = Sandbox::start().await.unwrap();
    let merchant = Recorder::start(|_| ("200 OK", String::new())).await;
    let callback_url = format!("{}/callback", merchant.url());
    let pay = |id: &str| {
        ThreeDsStep1Request::builder()
            .order_id(OrderId::new(id).unwrap())
            .order_desc("called back")
            .amount(amount(1_500))
            .currency(Currency::GEL)
            .card_number("4444555511116666")
            .expiry_date("1230")
            .server_callback_url(callback_url.as_str())
            .build()
    };
    let two = client(sandbox.url());
    flows::pay_direct(&two, &pay("in-two")).await.unwrap();
    let payout = P2pCreditRequest::builder()
        .order_id(OrderId::new("payout-in-two").unwrap())
        .order_desc("payout called back")
        .amount(amount(700))
        .currency(Currency::GEL)
        .receiver_card_number("4444555511116666")
        .server_callback_url(callback_url.as_str())
        .build();
    two.send(&payout).await.unwrap();
    let one = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap();
    flows::pay_direct(&one, &pay("in-one")).await.unwrap();
    let delivered = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while merchant.received().len() < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(delivered.is_ok(), "{:?}", sandbox.callbacks());
    let mut seen = Vec::new();
    for r in merchant.received() {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let id = match body.get("data") {
            Some(data) => {
                let order: Value = serde_json::from_slice(
                    &base64::engine::general_purpose::STANDARD
                        .decode(data.as_str().unwrap())
                        .unwrap(),
                )
                .unwrap();
                order["order"]["order_id"].as_str().unwrap().to_owned()
            }
            None => body["order_id"].as_str().unwrap().to_owned(),
        };
        let secret = if id == "payout-in-two" {
            flitt_sandbox::CREDIT_KEY
        } else {
            flitt_sandbox::SECRET_KEY
        };
        let verified =
            Callback::verify(&r.body, r.content_type.as_deref(), &SecretKey::new(secret)).unwrap();
        assert_eq!(verified.order_id(), Some(id.as_str()));
        assert_eq!(
            verified.order().unwrap().order_status,
            Some(OrderStatus::Approved)
        );
        if id == "in-one" {
            assert_eq!(verified.protocol(), BodyProtocol::V1);
            assert_eq!(body["order_status"], "approved", "{body}");
        } else {
            assert_eq!(verified.protocol(), BodyProtocol::V2);
            let keys: Vec<&str> = body
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, ["data", "signature", "version"], "{body}");
            assert_eq!(body["version"], "2.0");
            let data = body["data"].as_str().unwrap();
            let expected = sha1::Sha1::digest(format!("{secret}|{data}"));
            let expected: String = expected.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(body["signature"], expected.as_str());
        }
        seen.push(id);
    }
    seen.sort();
    assert_eq!(seen, ["in-one", "in-two", "payout-in-two"]);
    let statuses: Vec<Option<String>> = sandbox
        .callbacks()
        .iter()
        .map(flitt_sandbox::Callback::order_status)
        .collect();
    assert_eq!(statuses, vec![Some("approved".to_owned()); 3]);
}

/// A 2.0 reply whose signature is forged or missing (the sandbox's faults, applied to the
/// envelope) is refused as a signature error, never taken as the order; the same lookup
/// untouched then reads.
#[tokio::test]
async fn a_forged_or_unsigned_envelope_is_refused() {
    use flitt_sandbox::{Fault, FaultRule};
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(sandbox.url());
    let id = OrderId::new("two-forged").unwrap();
    let order = CheckoutUrlRequest::builder()
        .order_id(id.clone())
        .order_desc("forged replies")
        .amount(amount(300))
        .currency(Currency::GEL)
        .build();
    c.send(&order).await.unwrap();
    let status = StatusRequest::builder().order_id(id.clone()).build();
    for fault in [Fault::BadSignature, Fault::MissingSignature] {
        sandbox.inject(FaultRule::on_order(id.as_str(), fault.clone()));
        let e = c.send(&status).await.unwrap_err();
        assert!(matches!(e, flitt::Error::Signature(_)), "{fault:?}: {e}");
    }
    assert_eq!(
        c.send(&status).await.unwrap().order_status,
        Some(OrderStatus::Created)
    );
}
