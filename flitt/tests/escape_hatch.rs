//! The escape hatch for what the spec does not have yet, over real HTTP against a scripted
//! server: `Client::send_with_extra` (an unknown parameter on a typed request, signed and sent
//! like the rest, never replacing a known one) and `Client::call_unlisted` (an endpoint the
//! spec does not know, signed as protocol 1.0, retried only when it is a read).

mod support;

use base64::Engine as _;
use flitt::api::{
    CheckoutUrlRequest, Receiver, ReceiverRequisites, ReceiverType, SettlementRequest,
};
use flitt::client::{BodyFormat, RetryPolicy};
use flitt::request::Effect;
use flitt::types::{Amount, Currency, OrderId};
use flitt::validate::Rule;
use flitt::{Client, Error};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use std::time::Duration;
use support::{Action, Recorded, ScriptServer};

const SECRET: &str = "test";

fn client(url: &str, format: BodyFormat) -> Client {
    Client::builder("1549901", SECRET)
        .api_url(url)
        .body_format(format)
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
        .build()
        .unwrap()
}

fn checkout() -> CheckoutUrlRequest {
    CheckoutUrlRequest::builder()
        .order_id(OrderId::new("extra-1").unwrap())
        .order_desc("Two coffees")
        .amount(Amount::new(1020).unwrap())
        .currency(Currency::GEL)
        .build()
}

fn checkout_reply() -> Action {
    Action::json(json!({"response": {
        "checkout_url": "https://pay.example/merchants/x/default/index.html?token=t",
        "payment_id": "1",
        "response_status": "success",
    }}))
}

/// The 1.0 signature of flat `fields` computed here, independently of the SDK's signer:
/// sha1 of the key and the non-empty values, in key order, joined by `|`.
fn expected_signature(fields: &Map<String, Value>) -> String {
    let mut keys: Vec<&String> = fields.keys().filter(|k| *k != "signature").collect();
    keys.sort();
    let mut pre = SECRET.to_owned();
    for k in keys {
        let text = fields[k].as_str().unwrap();
        if !text.is_empty() {
            pre.push('|');
            pre.push_str(text);
        }
    }
    Sha1::digest(pre.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The flat parameters of a recorded 1.0 request, JSON or form.
fn flat(r: &Recorded) -> Map<String, Value> {
    if r.content_type.starts_with("application/json") {
        r.json()["request"].as_object().unwrap().clone()
    } else {
        form_urlencoded::parse(&r.body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect()
    }
}

#[tokio::test]
async fn an_extra_parameter_goes_on_the_wire_covered_by_the_signature() {
    for format in [BodyFormat::Json, BodyFormat::Form] {
        let server = ScriptServer::start([checkout_reply()]).await;
        let c = client(&server.url, format);
        let reply = c
            .send_with_extra(&checkout(), &[("design_theme", "dark"), ("zz_flag", "Y")])
            .await
            .unwrap();
        assert!(reply.checkout_url.is_some());
        let sent = server.received();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].path, "/api/checkout/url");
        let fields = flat(&sent[0]);
        assert_eq!(fields["design_theme"], "dark", "{format:?}");
        assert_eq!(fields["zz_flag"], "Y");
        // The typed values are all still there, unchanged.
        assert_eq!(fields["amount"], "1020");
        assert_eq!(fields["order_id"], "extra-1");
        assert_eq!(fields["merchant_id"], "1549901");
        // One signature over everything, extras included, in key order.
        assert_eq!(
            fields["signature"].as_str().unwrap(),
            expected_signature(&fields),
            "{format:?}"
        );
        let mut without = fields.clone();
        without.remove("design_theme");
        assert_ne!(
            fields["signature"].as_str().unwrap(),
            expected_signature(&without)
        );
    }
}

#[tokio::test]
async fn no_extras_is_exactly_send() {
    let server = ScriptServer::start([checkout_reply(), checkout_reply()]).await;
    let c = client(&server.url, BodyFormat::Json);
    c.send(&checkout()).await.unwrap();
    c.send_with_extra(&checkout(), &[]).await.unwrap();
    let sent = server.received();
    assert_eq!(sent[0].body, sent[1].body);
}

#[tokio::test]
async fn an_extra_on_a_two_point_zero_request_is_inside_the_signed_envelope() {
    let server = ScriptServer::start([]).await;
    let c = client(&server.url, BodyFormat::Json);
    let request = SettlementRequest::builder()
        .operation_id(OrderId::new("paid-1").unwrap())
        .amount(Amount::new(500).unwrap())
        .currency(Currency::GEL)
        .order_desc("split")
        .receiver(vec![
            Receiver::builder()
                .r#type(ReceiverType::Merchant)
                .requisites(
                    ReceiverRequisites::builder()
                        .merchant_id(600_001)
                        .amount(Amount::new(500).unwrap())
                        .build(),
                )
                .build(),
        ])
        .build();
    // The script has no reply: the request is what is checked here.
    let _ = c.send_with_extra(&request, &[("reason", "moved")]).await;
    let sent = server.received();
    let envelope = &sent[0].json()["request"];
    assert_eq!(envelope["version"], "2.0");
    let data = envelope["data"].as_str().unwrap();
    let order: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(order["order"]["reason"], "moved");
    assert_eq!(order["order"]["operation_id"], "paid-1");
    let sig: String = Sha1::digest(format!("{SECRET}|{data}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(envelope["signature"], sig);
    // A nested parameter of the endpoint is known too.
    let e = c
        .send_with_extra(&request, &[("receiver", "[]")])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(i) if i.field == "receiver"),
        "{e}"
    );
}

/// Extra parameters, the one refused, and what the rule must be.
type Case = (
    &'static [(&'static str, &'static str)],
    &'static str,
    fn(&Rule) -> bool,
);

/// Asserts `e` refuses `field` by `rule`'s kind.
fn refused(e: &Error, field: &str, rule: fn(&Rule) -> bool) {
    let Error::InvalidInput(i) = e else {
        panic!("not InvalidInput: {e}");
    };
    assert_eq!(i.field, field, "{e}");
    assert!(rule(&i.rule), "{e}");
}

#[tokio::test]
async fn an_extra_never_replaces_a_known_parameter_and_nothing_is_sent() {
    let server = ScriptServer::start([]).await;
    let c = client(&server.url, BodyFormat::Json);
    let known =
        |r: &Rule| matches!(r, Rule::Other(t) if t.contains("known parameter of `checkout_url`"));
    let client_supplied = |r: &Rule| matches!(r, Rule::ClientSupplied);
    let cases: [Case; 13] = [
        (&[("AMOUNT", "1")], "AMOUNT", known),
        (&[("Signature", "0000")], "Signature", client_supplied),
        (
            &[("note", "a"), ("NOTE", "b")],
            "NOTE",
            |r| matches!(r, Rule::Other(t) if t.contains("twice")),
        ),
        (&[("amount", "1")], "amount", known),
        (&[("order_id", "other")], "order_id", known),
        (&[("currency", "USD")], "currency", known),
        (&[("rectoken", "t")], "rectoken", known),
        (&[("signature", "0000")], "signature", client_supplied),
        (&[("merchant_id", "1")], "merchant_id", client_supplied),
        (&[("version", "2.0")], "version", client_supplied),
        (&[("note", "a|b")], "note", |r| matches!(r, Rule::Separator)),
        (
            &[("note", "a"), ("note", "b")],
            "note",
            |r| matches!(r, Rule::Other(t) if t.contains("twice")),
        ),
        (&[("bad name", "x")], "bad name", |r| {
            matches!(r, Rule::Format(_))
        }),
    ];
    for (extra, field, rule) in cases {
        let e = c.send_with_extra(&checkout(), extra).await.unwrap_err();
        refused(&e, field, rule);
    }
    for name in ["", "a=b", "a&b", "ä", "response_signature_string"] {
        let e = c
            .send_with_extra(&checkout(), &[(name, "x")])
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{name:?}: {e}");
    }
    // The request's own rules still hold.
    let long = CheckoutUrlRequest::builder()
        .order_desc("x".repeat(2000))
        .amount(Amount::new(1).unwrap())
        .currency(Currency::GEL)
        .build();
    let e = c
        .send_with_extra(&long, &[("note", "x")])
        .await
        .unwrap_err();
    refused(&e, "order_desc", |r| matches!(r, Rule::MaxChars(_)));
    assert!(server.received().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn an_unlisted_endpoint_is_called_signed_as_one_point_zero() {
    for format in [BodyFormat::Json, BodyFormat::Form] {
        let server = ScriptServer::start([Action::json(json!({"response": {
            "order_id": "o-1", "answer": "42", "response_status": "success",
        }}))])
        .await;
        let c = client(&server.url, format);
        let reply = c
            .call_unlisted(
                "/api/new/lookup/",
                Effect::Read,
                &[("order_id", "o-1"), ("detail", "full"), ("empty", "")],
            )
            .await
            .unwrap();
        assert_eq!(reply["answer"], "42");
        let sent = server.received();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].path, "/api/new/lookup/");
        let fields = flat(&sent[0]);
        assert_eq!(fields["merchant_id"], "1549901");
        assert_eq!(fields["order_id"], "o-1");
        assert_eq!(fields["detail"], "full");
        assert!(!fields.contains_key("version"));
        assert_eq!(
            fields["signature"].as_str().unwrap(),
            expected_signature(&fields),
            "{format:?}"
        );
    }
}

#[tokio::test]
async fn an_unlisted_reply_with_a_signature_is_verified() {
    let server = ScriptServer::start([Action::json(json!({"response": {
        "order_id": "o-1", "response_status": "success", "signature": "0000000000000000000000000000000000000000",
    }}))])
    .await;
    let c = client(&server.url, BodyFormat::Json);
    let e = c
        .call_unlisted("/api/new/lookup", Effect::Read, &[("order_id", "o-1")])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e}");
    // A refusal is a gateway error.
    let server = ScriptServer::start([Action::json(json!({"response": {
        "error_code": 1002, "error_message": "Application error", "response_status": "failure",
    }}))])
    .await;
    let c = client(&server.url, BodyFormat::Json);
    let e = c
        .call_unlisted("/api/new/lookup", Effect::Read, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Gateway(g) if g.code == Some(1002)),
        "{e}"
    );
}

#[tokio::test]
async fn an_unlisted_money_call_is_never_resent_and_a_read_is_retried() {
    // Money: the connection is cut after the request went out. One try, then a status lookup
    // of its order; the outcome is unknown, with the order as found.
    let server = ScriptServer::start([
        Action::Drop,
        Action::json(json!({"response": {
            "order_id": "pay-1", "merchant_id": 1549901, "order_status": "processing",
            "response_status": "success",
        }})),
    ])
    .await;
    let c = client(&server.url, BodyFormat::Json);
    let e = c
        .call_unlisted(
            "/api/new/charge",
            Effect::Money,
            &[("order_id", "pay-1"), ("amount", "500")],
        )
        .await
        .unwrap_err();
    let Error::OutcomeUnknown(u) = &e else {
        panic!("not OutcomeUnknown: {e}");
    };
    assert_eq!(u.order_id.as_ref().map(OrderId::as_str), Some("pay-1"));
    let paths: Vec<String> = server.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/api/new/charge", "/api/status/order_id"]);

    // A write without an order id: one try, and an unknown outcome with nothing to look up.
    let server = ScriptServer::start([Action::Drop]).await;
    let c = client(&server.url, BodyFormat::Json);
    let e = c
        .call_unlisted("/api/new/setting", Effect::Write, &[("flag", "Y")])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::OutcomeUnknown(u) if u.order_id.is_none()),
        "{e}"
    );
    assert_eq!(server.received().len(), 1);

    // A read: retried after the cut.
    let server = ScriptServer::start([
        Action::Drop,
        Action::json(json!({"response": {"answer": "ok", "response_status": "success"}})),
    ])
    .await;
    let c = client(&server.url, BodyFormat::Json);
    let reply = c
        .call_unlisted("/api/new/lookup", Effect::Read, &[])
        .await
        .unwrap();
    assert_eq!(reply["answer"], "ok");
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn an_unlisted_call_with_a_bad_path_or_parameter_sends_nothing() {
    let server = ScriptServer::start([]).await;
    let c = client(&server.url, BodyFormat::Json);
    for path in [
        "",
        "/",
        "/api/",
        "api/new",
        "/new/thing",
        "/api//new",
        "/api/../sandbox/control/reset",
        "/api/./x",
        "/api/new?x=1",
        "/api/new#x",
        "/api/new thing",
        "https://evil.example/api/new",
        "//evil.example/api/new",
    ] {
        let e = c.call_unlisted(path, Effect::Read, &[]).await.unwrap_err();
        refused(&e, "path", |r| matches!(r, Rule::Format(_)));
    }
    // An endpoint the spec has goes through its typed request, with its checks.
    for path in [
        "/api/status/order_id",
        "/api/checkout/url/",
        "/api/reverse/order_id",
    ] {
        let e = c.call_unlisted(path, Effect::Read, &[]).await.unwrap_err();
        refused(
            &e,
            "path",
            |r| matches!(r, Rule::Other(t) if t.contains("is the spec's")),
        );
    }
    for (params, field) in [
        (&[("signature", "x")][..], "signature"),
        (&[("merchant_id", "2")], "merchant_id"),
        (&[("version", "2.0")], "version"),
        (&[("comment", "a|b")], "comment"),
        (&[("x", "1"), ("x", "2")], "x"),
    ] {
        let e = c
            .call_unlisted("/api/new/thing", Effect::Money, params)
            .await
            .unwrap_err();
        let Error::InvalidInput(i) = &e else {
            panic!("{e}");
        };
        assert_eq!(i.field, field);
    }
    assert!(server.received().is_empty(), "nothing was sent");
}
