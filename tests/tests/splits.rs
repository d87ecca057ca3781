//! Split payments over HTTP against the sandbox: receivers at creation, at capture and by
//! settlement, and split refunds taken back receiver by receiver; each rule refused before the
//! network by the SDK and, sent raw, by the sandbox as the gateway does (1120, 1023).

use flitt::api::{
    CaptureSplitRequest, CheckoutSplitRequest, Receiver, ReceiverRequisites, ReceiverType,
    ReverseSplitRequest, SettlementRequest, ThreeDsStep1Request,
};
use flitt::flows::{self, StepOne};
use flitt::signature::{SecretKey, envelope_v2};
use flitt::types::{Amount, Currency, OrderId};
use flitt::{Client, Error};
use flitt_sandbox::Sandbox;
use serde_json::{Value, json};

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap()
}

fn amount(n: u64) -> Amount {
    Amount::new(n).unwrap()
}

fn receivers(parts: &[(u64, u64)]) -> Vec<Receiver> {
    parts
        .iter()
        .map(|&(merchant_id, part)| {
            Receiver::builder()
                .r#type(ReceiverType::Merchant)
                .requisites(
                    ReceiverRequisites::builder()
                        .merchant_id(merchant_id)
                        .amount(amount(part))
                        .build(),
                )
                .build()
        })
        .collect()
}

fn payment(n: u64, hold: bool) -> ThreeDsStep1Request {
    ThreeDsStep1Request::builder()
        .order_desc("split")
        .amount(amount(n))
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .preauth(hold)
        .build()
}

fn shares(sandbox: &Sandbox, order_id: &OrderId) -> Vec<(u64, u64, u64)> {
    sandbox
        .order(order_id.as_str())
        .unwrap()
        .splits
        .iter()
        .map(|s| (s.merchant_id, s.amount, s.refunded))
        .collect()
}

/// Posts a 2.0 request signed by the sandbox merchant, bypassing the SDK's checks.
/// Pays `n` directly (approved at once); the order's id.
async fn paid(c: &Client, n: u64) -> OrderId {
    let StepOne::Approved(paid) = flows::pay_direct(c, &payment(n, false)).await.unwrap() else {
        panic!("approved expected")
    };
    paid.order_id().clone()
}

async fn raw_v2(sandbox: &Sandbox, path: &str, mut order: Value) -> Value {
    order["merchant_id"] = json!(1549901);
    let envelope = envelope_v2(&SecretKey::new(flitt_sandbox::SECRET_KEY), &order).unwrap();
    let body = json!({ "request": envelope }).to_string();
    let reply = reqwest::Client::new()
        .post(format!("{}{path}", sandbox.url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let bytes = reply.bytes().await.unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["response"].clone()
}

#[tokio::test]
async fn a_split_at_creation_is_checked_before_sending_and_recorded() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let request = CheckoutSplitRequest::builder()
        .order_desc("marketplace order")
        .amount(amount(1_000))
        .currency(Currency::GEL)
        .receiver(receivers(&[(600_001, 500), (700_001, 500)]))
        .build();
    let reply = c.send(&request).await.unwrap();
    assert!(
        reply
            .checkout_url
            .is_some_and(|u| u.contains("/sandbox/checkout/"))
    );
    assert_eq!(
        shares(&sandbox, &request.order_id),
        [(600_001, 500, 0), (700_001, 500, 0)]
    );

    let wrong = CheckoutSplitRequest::builder()
        .order_desc("marketplace order")
        .amount(amount(1_000))
        .currency(Currency::GEL)
        .receiver(receivers(&[(600_001, 500), (700_001, 400)]))
        .build();
    let e = c.send(&wrong).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(i) if i.field == "receiver" && i.to_string().contains("900")),
        "{e}"
    );
    assert!(
        sandbox.order(wrong.order_id.as_str()).is_none(),
        "nothing was sent"
    );

    // Sent raw, the sandbox refuses it as the gateway does.
    let reply = raw_v2(
        &sandbox,
        "/api/checkout/url",
        json!({
            "order_id": "raw-split-1", "order_desc": "raw", "amount": 1000, "currency": "GEL",
            "receiver": [{"type": "merchant", "requisites": {"merchant_id": "600001", "amount": 100}}],
        }),
    )
    .await;
    assert_eq!(reply["error_code"], json!(1120), "{reply}");
    assert!(sandbox.order("raw-split-1").is_none());
}

#[tokio::test]
async fn a_settlement_then_split_refunds_come_back_from_each_receivers_share() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let original = paid(&c, 10_000).await;
    let settle = |total: u64, parts: &[(u64, u64)]| {
        SettlementRequest::builder()
            .operation_id(original.clone())
            .amount(amount(total))
            .currency(Currency::GEL)
            .order_desc("settle")
            .receiver(receivers(parts))
            .build()
    };
    // Less than was paid: 1120, and nothing recorded.
    let e = c
        .send(&settle(9_000, &[(600_001, 9_000)]))
        .await
        .unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1120), "{e}");
    assert!(shares(&sandbox, &original).is_empty());
    c.send(&settle(10_000, &[(600_001, 6_000), (700_001, 4_000)]))
        .await
        .unwrap();
    assert_eq!(
        shares(&sandbox, &original),
        [(600_001, 6_000, 0), (700_001, 4_000, 0)]
    );

    let refund = |total: u64, parts: &[(u64, u64)], id: &str| {
        ReverseSplitRequest::builder()
            .order_id(original.clone())
            .amount(amount(total))
            .currency(Currency::GEL)
            .reverse_id(id)
            .receiver(receivers(parts))
            .build()
    };
    let reply = c
        .send(&refund(
            1_500,
            &[(600_001, 1_000), (700_001, 500)],
            "split-r1",
        ))
        .await
        .unwrap();
    assert_eq!(reply.reversal_amount, Some(1_500));
    assert_eq!(
        shares(&sandbox, &original),
        [(600_001, 6_000, 1_000), (700_001, 4_000, 500)]
    );
    // The same reverse_id again is the same refund, not a second one.
    c.send(&refund(
        1_500,
        &[(600_001, 1_000), (700_001, 500)],
        "split-r1",
    ))
    .await
    .unwrap();
    assert_eq!(
        sandbox.order(original.as_str()).unwrap().reversal_amount,
        1_500
    );
    // More than a receiver has left: refused, nothing moves.
    let e = c
        .send(&refund(3_600, &[(700_001, 3_600)], "split-r2"))
        .await
        .unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1023), "{e}");
    assert_eq!(
        sandbox.order(original.as_str()).unwrap().reversal_amount,
        1_500
    );
    // Parts that do not add up to the amount never leave the SDK.
    let e = c
        .send(&refund(2_000, &[(600_001, 1_000)], "split-r3"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(i) if i.field == "receiver"),
        "{e}"
    );
}

#[tokio::test]
async fn a_split_capture_records_the_receivers() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let StepOne::Preauthorized(hold) = flows::pay_direct(&c, &payment(5_000, true)).await.unwrap()
    else {
        panic!("a hold expected")
    };
    let id = hold.order_id().clone();
    let reply = c
        .send(
            &CaptureSplitRequest::builder()
                .order_id(id.clone())
                .amount(amount(5_000))
                .currency(Currency::GEL)
                .receiver(receivers(&[(600_001, 3_000), (700_001, 2_000)]))
                .build(),
        )
        .await
        .unwrap();
    assert!(reply.capture_status.is_some(), "{reply:?}");
    assert_eq!(
        sandbox.order(id.as_str()).unwrap().capture_amount,
        Some(5_000)
    );
    assert_eq!(
        shares(&sandbox, &id),
        [(600_001, 3_000, 0), (700_001, 2_000, 0)]
    );
}

/// Split refunds racing each other over HTTP: a receiver's share is never refunded past what
/// it holds, and one `reverse_id` sent many times at once refunds once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_split_refunds_never_refund_a_share_twice() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let original = paid(&c, 10_000).await;
    c.send(
        &SettlementRequest::builder()
            .operation_id(original.clone())
            .amount(amount(10_000))
            .currency(Currency::GEL)
            .order_desc("settle")
            .receiver(receivers(&[(600_001, 6_000), (700_001, 4_000)]))
            .build(),
    )
    .await
    .unwrap();
    let refund = |id: String| {
        ReverseSplitRequest::builder()
            .order_id(original.clone())
            .amount(amount(1_000))
            .currency(Currency::GEL)
            .reverse_id(id)
            .receiver(receivers(&[(700_001, 1_000)]))
            .build()
    };
    // Eight distinct refunds of 1,000 against a share of 4,000: four fit.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (c, request) = (c.clone(), refund(format!("race-{i}")));
            tokio::spawn(async move { c.send(&request).await })
        })
        .collect();
    let (mut approved, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => approved += 1,
            Err(e) => {
                assert_eq!(e.gateway().and_then(|g| g.code), Some(1023), "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!((approved, refused), (4, 4));
    assert_eq!(
        shares(&sandbox, &original),
        [(600_001, 6_000, 0), (700_001, 4_000, 4_000)]
    );
    // One reverse_id eight times at once, on the other receiver: refunded once.
    let same = ReverseSplitRequest::builder()
        .order_id(original.clone())
        .amount(amount(1_000))
        .currency(Currency::GEL)
        .reverse_id("race-same")
        .receiver(receivers(&[(600_001, 1_000)]))
        .build();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (c, request) = (c.clone(), same.clone());
            tokio::spawn(async move { c.send(&request).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        shares(&sandbox, &original),
        [(600_001, 6_000, 1_000), (700_001, 4_000, 4_000)]
    );
    assert_eq!(
        sandbox.order(original.as_str()).unwrap().reversal_amount,
        5_000
    );
}
