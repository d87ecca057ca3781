//! The redirect checkout end to end over HTTP: the SDK renders the signed form
//! (`flitt::checkout_form`), a "browser" (this test: the form's inputs read back out of the
//! HTML, posted form-urlencoded, no redirect followed) posts it to the sandbox, and the sandbox
//! answers `302 Found` to its hosted checkout page, or an HTML error page with a 2XXX code and
//! no redirect when the form was tampered with, reused or incomplete.

use flitt::Client;
use flitt::api::{CheckoutUrlRequest, CheckoutVerificationRequest};
use flitt::checkout_form::CheckoutForm;
use flitt::signature::SecretKey;
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;
use serde_json::{Map, Value};

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap()
}

fn request(desc: &str, minor: u64) -> CheckoutUrlRequest {
    CheckoutUrlRequest::builder()
        .order_desc(desc)
        .amount(Amount::new(minor).unwrap())
        .currency(Currency::GEL)
        .build()
}

/// Undoes HTML escaping of an attribute value (the five entities the SDK writes).
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the double-quoted attribute `name` in one tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// What a browser reads from the form: its method, action and the fields it would post, in
/// document order.
fn read_form(html: &str) -> (String, String, String, Vec<(String, String)>) {
    let form_tag = &html[html.find("<form").unwrap()..];
    let form_tag = &form_tag[..form_tag.find('>').unwrap()];
    let mut fields = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<input") {
        let tag = &rest[at..at + rest[at..].find('>').unwrap()];
        if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value")) {
            fields.push((name, value));
        }
        rest = &rest[at + tag.len()..];
    }
    (
        attribute(form_tag, "method").unwrap(),
        attribute(form_tag, "action").unwrap(),
        attribute(form_tag, "accept-charset").unwrap(),
        fields,
    )
}

/// What the sandbox answered a post: status, `Location`, body.
struct Answer {
    status: u16,
    location: Option<String>,
    content_type: String,
    body: String,
}

/// Posts `fields` form-urlencoded to `url` as a browser submits a form, following nothing.
async fn submit(url: &str, fields: &[(String, String)]) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    post(url, "application/x-www-form-urlencoded", body).await
}

async fn post(url: &str, content_type: &str, body: String) -> Answer {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (location, content_type) = (header("location"), header("content-type"));
    Answer {
        status: r.status().as_u16(),
        location,
        content_type: content_type.unwrap_or_default(),
        body: r.text().await.unwrap(),
    }
}

async fn get(url: &str) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

/// Asserts an error page with `code` and no redirect.
fn error_page(answer: &Answer, code: u32) {
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.location, None);
    assert!(
        answer.content_type.starts_with("text/html"),
        "{}",
        answer.content_type
    );
    assert!(
        answer
            .body
            .contains(&format!("<strong id=\"error-code\">{code}</strong>")),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn the_rendered_form_posted_by_a_browser_lands_on_the_hosted_page() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = request("Two coffees", 1_020);
    let html = CheckoutForm::new(&client(&sandbox), &r).unwrap().to_html();
    let (method, action, charset, fields) = read_form(&html);
    assert_eq!(method, "POST");
    assert_eq!(action, format!("{}/api/checkout/redirect/", sandbox.url()));
    assert_eq!(charset, "UTF-8");
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "amount",
            "currency",
            "merchant_id",
            "order_desc",
            "order_id",
            "signature"
        ]
    );
    let answer = submit(&action, &fields).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let location = answer.location.unwrap();
    assert!(
        location.starts_with(&format!("{}/sandbox/checkout/", sandbox.url())),
        "{location}"
    );
    // The order is the request's, and the page it leads to shows it.
    let order = sandbox.order(r.order_id.as_str()).unwrap();
    assert_eq!(
        (
            order.amount,
            order.currency.as_str(),
            order.order_desc.as_str()
        ),
        (1_020, "GEL", "Two coffees")
    );
    let page = get(&location).await;
    assert!(page.contains("Two coffees"), "{page}");
    assert!(page.contains("10.20 GEL"), "{page}");
    // The same form at the path without the trailing slash, and a card verification (whose
    // amount may be 0: kept in the form, unlike PHP's forms that drop it after signing it).
    let verification = CheckoutVerificationRequest::builder()
        .order_desc("Card check")
        .amount(0)
        .currency(Currency::GEL)
        .build();
    let html = CheckoutForm::new(&client(&sandbox), &verification)
        .unwrap()
        .to_html();
    let (_, action, _, fields) = read_form(&html);
    assert!(fields.contains(&("amount".to_owned(), "0".to_owned())));
    let answer = submit(action.trim_end_matches('/'), &fields).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let order = sandbox.order(verification.order_id.as_str()).unwrap();
    assert_eq!((order.amount, order.tran_type), (0, "verification"));
}

#[tokio::test]
async fn a_tampered_reused_or_incomplete_form_gets_an_error_page_and_no_order() {
    let sandbox = Sandbox::start().await.unwrap();
    let r = request("Tampered", 5_000);
    let html = CheckoutForm::new(&client(&sandbox), &r).unwrap().to_html();
    let (_, action, _, fields) = read_form(&html);

    // The amount changed in the browser: the signature no longer matches (2007).
    let cheaper: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            let v = if k == "amount" {
                "1".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    let answer = submit(&action, &cheaper).await;
    error_page(&answer, 2007);
    assert!(answer.body.contains("Invalid signature"), "{}", answer.body);
    assert!(sandbox.order(r.order_id.as_str()).is_none());
    assert!(sandbox.orders().is_empty());

    // Correctly signed but incomplete (no currency): 2008, incorrect parameters.
    let mut incomplete: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| k != "currency" && k != "signature")
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    let signature = flitt::signature::sign_v1(&key, &incomplete).unwrap();
    incomplete.insert("signature".into(), signature.as_str().into());
    let incomplete: Vec<(String, String)> = incomplete
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap().to_owned()))
        .collect();
    let answer = submit(&action, &incomplete).await;
    error_page(&answer, 2008);
    assert!(answer.body.contains("currency"), "{}", answer.body);
    assert!(sandbox.orders().is_empty());

    // Not a form: 2008.
    let answer = post(&action, "application/json", "{\"request\": {}}".into()).await;
    error_page(&answer, 2008);

    // The real form makes the order once; posted again, it is a duplicate (2004).
    assert_eq!(submit(&action, &fields).await.status, 302);
    let again = submit(&action, &fields).await;
    error_page(&again, 2004);
    assert_eq!(sandbox.orders().len(), 1);
}

#[tokio::test]
async fn a_hostile_description_is_escaped_in_the_form_and_arrives_as_typed() {
    let sandbox = Sandbox::start().await.unwrap();
    let hostile = "\"><script>alert('pwned')</script>";
    let r = request(hostile, 700);
    let html = CheckoutForm::new(&client(&sandbox), &r)
        .unwrap()
        .auto_submit(true)
        .to_html();
    // The one script is the SDK's own auto-submit; the description cannot open a tag or
    // leave its attribute.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("alert('pwned')"), "{html}");
    assert!(
        html.contains("value=\"&quot;&gt;&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;\""),
        "{html}"
    );
    let (_, action, _, fields) = read_form(&html);
    assert!(fields.contains(&("order_desc".to_owned(), hostile.to_owned())));
    let answer = submit(&action, &fields).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    assert_eq!(
        sandbox.order(r.order_id.as_str()).unwrap().order_desc,
        hostile
    );
    let page = get(&answer.location.unwrap()).await;
    assert!(!page.contains("alert('pwned')"), "{page}");
}
