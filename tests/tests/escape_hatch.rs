//! The escape hatch against the sandbox over HTTP: a parameter the spec does not have, added
//! with `Client::send_with_extra`, is signed with the rest. The sandbox verifies a request's
//! signature over every parameter it carries, known or not, so it admits the request, and
//! refuses the same body with the extra parameter's value changed (1014).

use flitt::api::CheckoutUrlRequest;
use flitt::request::Effect;
use flitt::types::{Amount, Currency};
use flitt::{Client, Error};
use flitt_sandbox::Sandbox;
use flitt_tests::{RawAnswer, Recorder};
use serde_json::{Value, json};

fn client(url: &str) -> Client {
    Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(url)
        .build()
        .unwrap()
}

fn request(desc: &str) -> CheckoutUrlRequest {
    CheckoutUrlRequest::builder()
        .order_desc(desc)
        .amount(Amount::new(1_500).unwrap())
        .currency(Currency::GEL)
        .build()
}

/// Posts a JSON body to the sandbox; the `response` object.
async fn post(url: &str, body: Vec<u8>) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let reply = reqwest::Client::new()
        .post(format!("{url}/api/checkout/url"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&reply).unwrap();
    v["response"].clone()
}

#[tokio::test]
async fn the_sandbox_admits_an_extra_parameter_because_the_signature_covers_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(sandbox.url());
    let r = request("with an extra");
    let reply = c
        .send_with_extra(&r, &[("design_theme", "dark")])
        .await
        .unwrap();
    assert!(
        reply
            .checkout_url
            .as_deref()
            .is_some_and(|u| u.starts_with(sandbox.url()))
    );
    let order = sandbox.order(r.order_id.as_str()).unwrap();
    assert_eq!(
        (order.amount, order.order_desc.as_str()),
        (1_500, "with an extra")
    );

    // The same request, caught on its way: the sandbox takes it as sent, and refuses it with
    // the extra value changed, as it refuses any other tampered value.
    let shop = Recorder::start_raw(|_| RawAnswer {
        status: "200 OK",
        content_type: "application/json",
        body: json!({"response": {"checkout_url": "http://127.0.0.1:9/x", "payment_id": "1", "response_status": "success"}})
            .to_string()
            .into_bytes(),
    })
    .await;
    let r = request("caught");
    client(shop.url())
        .send_with_extra(&r, &[("design_theme", "dark")])
        .await
        .unwrap();
    let body = shop.received()[0].body.clone();
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains("\"design_theme\":\"dark\""), "{text}");
    let tampered = text.replace("\"design_theme\":\"dark\"", "\"design_theme\":\"light\"");
    let refused = post(sandbox.url(), tampered.into_bytes()).await;
    assert_eq!(refused["error_code"], 1014, "{refused}");
    assert!(sandbox.order(r.order_id.as_str()).is_none());
    let admitted = post(sandbox.url(), body).await;
    assert_eq!(admitted["response_status"], "success", "{admitted}");
    assert_eq!(sandbox.order(r.order_id.as_str()).unwrap().amount, 1_500);
}

#[tokio::test]
async fn an_unlisted_call_reaches_the_gateway_signed() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(sandbox.url());
    // The sandbox knows only the spec's endpoints: it answers Flitt's 1002 for another, after
    // finding no endpoint to check the signature for.
    let e = c
        .call_unlisted("/api/new/lookup", Effect::Read, &[("order_id", "o-1")])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Gateway(g) if g.code == Some(1002)),
        "{e}"
    );
}
