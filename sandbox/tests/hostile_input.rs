//! Values that once overflowed arithmetic on network input.

mod common;

use common::*;
use flitt_sandbox::Sandbox;
use serde_json::{Value, json};

#[tokio::test]
async fn a_subscription_period_too_long_to_count_is_refused_not_a_panic() {
    let sandbox = Sandbox::start().await.unwrap();
    let body = v2(obj(json!({
        "order_id": "sub-huge",
        "order_desc": "t",
        "amount": "100",
        "currency": "GEL",
        "subscription": "Y",
        "recurring_data": {
            "every": "999999999999999999",
            "period": "month",
            "amount": "100",
            "start_time": "2026-02-01",
        },
    })));
    let (reply, _) = raw(&addr(sandbox.url()), "/api/checkout/url", &body).await;
    assert!(reply.starts_with(b"HTTP/1.1 200"), "{reply:?}");
    let v: Value = serde_json::from_slice(body_of(&reply)).unwrap();
    assert_eq!(v["response"]["error_code"], json!(1007), "{v}");
    assert!(
        sandbox.order("sub-huge").is_none(),
        "a refusal creates nothing"
    );
}
