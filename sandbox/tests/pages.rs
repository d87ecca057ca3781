//! The HTML pages and the Reports API against hostile input: checkout tokens are random and
//! matched exactly, the ACS accepts only http(s) TermUrls, and report pages never wrap.

mod common;

use common::*;
use flitt_sandbox::Sandbox;
use serde_json::{Value, json};

async fn checkout(sandbox: &Sandbox, order_id: &str) -> String {
    let (reply, _) = raw(
        &addr(sandbox.url()),
        "/api/checkout/url",
        &v1(obj(json!({
            "order_id": order_id, "order_desc": "t", "amount": "100", "currency": "GEL",
        }))),
    )
    .await;
    let v: Value = serde_json::from_slice(body_of(&reply)).unwrap();
    v["response"]["checkout_url"].as_str().unwrap().to_owned()
}

async fn get(url: &str) -> u16 {
    reqwest::get(url).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn checkout_tokens_are_random_and_matched_exactly() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = checkout(&sandbox, "tok-1").await;
    let token = url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(token.len(), 32, "128 bits in hex: {token}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(get(&url).await, 200);
    let other = checkout(&sandbox, "tok-2").await;
    assert_ne!(url, other);
    let base = format!("{}/sandbox/checkout", sandbox.url());
    // Other spellings of the same number, and the old guessable scheme, open nothing.
    let payment_id = sandbox.order("tok-1").unwrap().payment_id;
    for wrong in [
        token.to_uppercase(),
        format!("0{token}"),
        format!("{token}0"),
        format!("{:x}", payment_id * 7919),
        format!("{:x}", payment_id * 7919 + 1),
    ] {
        assert_eq!(get(&format!("{base}/{wrong}")).await, 404, "{wrong}");
    }
    // Paying needs the exact token too.
    let pay = reqwest::Client::new()
        .post(format!("{base}/{}/pay", token.to_uppercase()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("card_number={APPROVE}&expiry_date=1230&cvv2=123"))
        .send()
        .await
        .unwrap();
    assert_eq!(pay.status().as_u16(), 404);
    assert_eq!(
        sandbox.order("tok-1").unwrap().status,
        flitt_sandbox::ledger::Status::Created
    );
}

async fn acs(sandbox: &Sandbox, term_url: &str) -> (u16, String) {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("PaReq", "pareq")
        .append_pair("MD", "md1")
        .append_pair("TermUrl", term_url)
        .finish();
    let r = reqwest::Client::new()
        .post(format!("{}/sandbox/acs", sandbox.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_acs_posts_back_only_to_http_urls() {
    let sandbox = Sandbox::start().await.unwrap();
    let (status, page) = acs(&sandbox, "https://shop.example/3ds?x=1").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("action=\"https://shop.example/3ds?x=1\""),
        "{page}"
    );
    for bad in [
        "javascript:alert(1)",
        " JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "//evil.example/",
        "not a url",
    ] {
        let (status, page) = acs(&sandbox, bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            page.contains("TermUrl must be an http or https URL"),
            "{bad}"
        );
        assert!(!page.contains("<form"), "{bad}");
    }
}

#[tokio::test]
async fn a_report_page_far_past_the_end_is_empty_not_the_first() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = addr(sandbox.url());
    for i in 0..3 {
        raw(&addr, "/api/3dsecure_step1", &pay_body(&format!("rep-{i}"))).await;
    }
    let key = flitt::signature::SecretKey::new(flitt_sandbox::REPORTS_KEY);
    let date = "2026-01-01 00:00:00";
    let token_body = json!({
        "application_id": flitt_sandbox::REPORTS_APP_ID,
        "date": date,
        "signature": flitt::signature::reports_token_signature(&key, flitt_sandbox::REPORTS_APP_ID, date),
    });
    let http = reqwest::Client::new();
    let token: Value = serde_json::from_str(
        &http
            .post(format!(
                "{}/authorizer/token/application/get",
                sandbox.url()
            ))
            .header("content-type", "application/json")
            .body(token_body.to_string())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let token = token["token"].as_str().expect("a token").to_owned();
    let sized_page = |page: u64, on_page: u64| {
        let (http, token) = (http.clone(), token.clone());
        let url = format!("{}/api/extend/company/report/", sandbox.url());
        async move {
            let body = json!({
                "merchant_id": flitt_sandbox::MERCHANT_ID.parse::<u64>().unwrap(),
                "report_id": 745,
                "on_page": on_page,
                "page": page,
                "filters": [{"s": "order_timestart", "m": "from", "v": "2025-01-01"}],
            });
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .header("authorization", format!("Token {token}"))
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap()
        }
    };
    let page = |page: u64| sized_page(page, 500);
    // The page sizes the SDK may send are the ones the sandbox takes (the spec's on_page).
    for (on_page, ok) in [
        (9, false),
        (10, true),
        (500, true),
        (501, false),
        (1, false),
    ] {
        let r = sized_page(1, on_page).await;
        assert_eq!(r.get("data").is_some(), ok, "on_page {on_page}: {r}");
    }
    let first = page(1).await;
    assert_eq!(first["rows_count"], json!(3), "{first}");
    assert_eq!(first["data"].as_array().unwrap().len(), 3);
    assert!(page(2).await["data"].as_array().unwrap().is_empty());
    // (2^56 + 1 - 1) * 500 does not fit in 64 bits: it once wrapped around to page 1.
    for far in [(1u64 << 56) + 1, u64::MAX] {
        let r = page(far).await;
        assert_eq!(r["rows_count"], json!(3), "{r}");
        assert!(r["data"].as_array().unwrap().is_empty(), "{far}: {r}");
    }
}

async fn checkout_page(sandbox: &Sandbox, fields: Value) -> String {
    let (reply, _) = raw(&addr(sandbox.url()), "/api/checkout/url", &v1(obj(fields))).await;
    let v: Value = serde_json::from_slice(body_of(&reply)).unwrap();
    let url = v["response"]["checkout_url"]
        .as_str()
        .expect("a checkout url");
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_checkout_page_shows_the_order_its_amount_the_test_cards_and_a_way_back() {
    let sandbox = Sandbox::start().await.unwrap();
    let page = checkout_page(
        &sandbox,
        json!({
            "order_id": "look-1", "order_desc": "Two flat whites <b>&</b>", "amount": "1020",
            "currency": "GEL", "response_url": "https://shop.example/back",
            "cancel_url": "https://shop.example/cancel?o=1",
        }),
    )
    .await;
    assert!(page.contains("<title>Flitt sandbox checkout</title>"));
    assert!(
        page.contains("Two flat whites &lt;b&gt;&amp;&lt;/b&gt;"),
        "{page}"
    );
    assert!(page.contains(">10.20 GEL<") && page.contains("Pay 10.20 GEL"));
    assert!(!page.contains("10.2 "));
    for id in ["card_number", "expiry_date", "cvv2"] {
        assert!(page.contains(&format!("<label for=\"{id}\">")), "{id}");
    }
    // Every test card, with what it does; the form posts without script.
    for card in flitt_sandbox::cards::TEST_CARDS {
        assert!(page.contains(&format!("data-card=\"{}\"", card.number)));
    }
    assert!(page.contains("VISA · declined, 3-D Secure"));
    assert!(page.contains("method=\"POST\" action=\"/sandbox/checkout/"));
    assert!(page.contains("<a id=\"cancel\" href=\"https://shop.example/cancel?o=1\">"));

    // A currency without minor units prints none; without cancel_url, back to response_url.
    let page = checkout_page(
        &sandbox,
        json!({
            "order_id": "look-2", "order_desc": "yen", "amount": "1020", "currency": "JPY",
            "response_url": "https://shop.example/back",
        }),
    )
    .await;
    assert!(page.contains(">1020 JPY<"), "{page}");
    assert!(page.contains("<a id=\"cancel\" href=\"https://shop.example/back\">"));
    // Neither: no link at all.
    let page = checkout_page(
        &sandbox,
        json!({"order_id": "look-3", "order_desc": "k", "amount": "1020", "currency": "KWD"}),
    )
    .await;
    assert!(page.contains(">1.020 KWD<"));
    assert!(!page.contains("id=\"cancel\""));
}

#[tokio::test]
async fn a_paid_order_s_checkout_page_offers_no_form() {
    let sandbox = Sandbox::start().await.unwrap();
    let (reply, _) = raw(
        &addr(sandbox.url()),
        "/api/checkout/url",
        &v1(obj(json!({
            "order_id": "paid-1", "order_desc": "t", "amount": "100", "currency": "GEL",
        }))),
    )
    .await;
    let v: Value = serde_json::from_slice(body_of(&reply)).unwrap();
    let url = v["response"]["checkout_url"].as_str().unwrap().to_owned();
    let pay = reqwest::Client::new()
        .post(format!("{url}/pay"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("card_number={APPROVE}&expiry_date=1230&cvv2=123"))
        .send()
        .await
        .unwrap();
    assert!(
        pay.text()
            .await
            .unwrap()
            .contains("The payment is approved")
    );
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("This order is approved"), "{page}");
    assert!(!page.contains("id=\"pay\""));
}

#[tokio::test]
async fn the_acs_page_names_the_masked_card_and_the_amount() {
    let sandbox = Sandbox::start().await.unwrap();
    let card = "4444555566661111";
    let (reply, _) = raw(
        &addr(sandbox.url()),
        "/api/3dsecure_step1",
        &v1(obj(json!({
            "order_id": "acs-1", "order_desc": "Hotel <deposit>", "amount": "1250",
            "currency": "GEL", "card_number": card, "expiry_date": "1230", "cvv2": "123",
        }))),
    )
    .await;
    let v: Value = serde_json::from_slice(body_of(&reply)).unwrap();
    let step = &v["response"];
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("PaReq", step["pareq"].as_str().unwrap())
        .append_pair("MD", step["md"].as_str().unwrap())
        .append_pair("TermUrl", "https://shop.example/3ds")
        .finish();
    let page = reqwest::Client::new()
        .post(step["acs_url"].as_str().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<code id=\"acs-card\">444455XXXXXX1111</code>"),
        "{page}"
    );
    assert!(!page.contains(card), "never the whole number");
    assert!(page.contains(">12.50 GEL<"));
    assert!(page.contains("Hotel &lt;deposit&gt;"));
    assert!(page.contains("id=\"approve\"") && page.contains("id=\"fail\""));
    // An MD the sandbox did not issue: the page says so, and still offers both answers.
    let (status, page) = acs(&sandbox, "https://shop.example/3ds").await;
    assert_eq!(status, 200);
    assert!(page.contains("No pending payment has this MD"));
}
