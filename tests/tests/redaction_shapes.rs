//! Redaction against a hostile gateway: a test gateway on 127.0.0.1 answers with replies and
//! errors stuffed with every field the spec marks sensitive, the request's own card data, and
//! card numbers in every spelling, in every shape a reply can take (JSON, JSON cut short,
//! form, HTML, plain text, a gateway error message, a 2.0 envelope). Nothing sensitive may
//! appear in any error's `Display` or `Debug`, in a decoded reply's `Debug`, or in the TRACE
//! log of the whole exchange.

use flitt::api::{RecurringRequest, StatusRequest, ThreeDsStep1Request};
use flitt::types::{Amount, Currency, OrderId, Sensitive};
use flitt_tests::{RawAnswer, Recorder};
use serde_json::{Map, Value, json};
use std::time::Duration;

const CARD: &str = "4444555511116666";
const CVV: &str = "735";
const EXPIRY: &str = "0931";
const TOKEN: &str = "rtok9f8e7d6c5b4a";

/// Card numbers as a gateway or a proxy might print them.
const CARD_SPELLINGS: [&str; 3] = [CARD, "4444 5555 1111 6666", "4444-5555-1111-6666"];

/// A distinct secret value for every sensitive field of the spec.
fn secret_of(field: &str) -> String {
    format!("S3CR3T{}x", field.replace('_', ""))
}

/// Every sensitive field with its secret, plus the card data and an innocent field.
fn stuffed() -> Map<String, Value> {
    let mut map: Map<String, Value> = flitt::api::SENSITIVE_FIELDS
        .iter()
        .map(|f| ((*f).to_owned(), Value::String(secret_of(f))))
        .collect();
    map.insert("order_id".into(), json!("o-1"));
    map.insert("order_status".into(), json!("approved"));
    map.insert("response_status".into(), json!("success"));
    map.insert(
        "response_description".into(),
        json!(format!("card {} cvv {CVV} exp {EXPIRY}", CARD_SPELLINGS[1])),
    );
    // Fields the spec does not know, carrying secrets all the same.
    map.insert("card_pan".into(), json!(CARD_SPELLINGS[2]));
    map.insert("CVV2".into(), json!(CVV));
    map.insert("Rectoken".into(), json!(TOKEN));
    map
}

fn form(map: &Map<String, Value>) -> Vec<u8> {
    map.iter()
        .map(|(k, v)| {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            format!("{k}={}", text.replace(' ', "+"))
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Every shape of reply, as (name, status, content type, body).
fn shapes() -> Vec<(&'static str, &'static str, &'static str, Vec<u8>)> {
    let map = stuffed();
    let json_body = json!({ "response": map }).to_string().into_bytes();
    let mut shapes = vec![
        ("json, unsigned", "200 OK", "application/json", json_body.clone()),
        (
            "json, forged signature",
            "200 OK",
            "application/json",
            {
                let mut m = map.clone();
                m.insert("signature".into(), json!("0".repeat(40)));
                json!({ "response": m }).to_string().into_bytes()
            },
        ),
        ("form, unsigned", "200 OK", "application/x-www-form-urlencoded", form(&map)),
        (
            "html page, 200",
            "200 OK",
            "text/html",
            html_page().into_bytes(),
        ),
        (
            "html page, 502",
            "502 Bad Gateway",
            "text/html",
            html_page().into_bytes(),
        ),
        (
            "plain text, 500",
            "500 Internal Server Error",
            "text/plain",
            plain_text().into_bytes(),
        ),
        (
            "plain text, 200",
            "200 OK",
            "text/plain",
            plain_text().into_bytes(),
        ),
        (
            "gateway error message",
            "200 OK",
            "application/json",
            json!({"response": {
                "response_status": "failure",
                "error_code": 1007,
                "error_message": format!(
                    "Parameter card_number {CARD} is incorrect (cvv2: {CVV}, rectoken={TOKEN}, exp {EXPIRY})"
                ),
                "request_id": format!("req {}", CARD_SPELLINGS[2]),
            }})
            .to_string()
            .into_bytes(),
        ),
        (
            "2.0 envelope, forged",
            "200 OK",
            "application/json",
            json!({"response": {
                "version": "2.0",
                "data": base64_of(&json!({ "order": map }).to_string()),
                "signature": "0".repeat(40),
            }})
            .to_string()
            .into_bytes(),
        ),
    ];
    // JSON cut short at many points, mid-key and mid-value included.
    for cut in (20..json_body.len()).step_by(37) {
        shapes.push((
            "json cut short",
            "200 OK",
            "application/json",
            json_body[..cut].to_vec(),
        ));
    }
    shapes
}

fn html_page() -> String {
    format!(
        "<html><body><h1>Error</h1><p>card_number: {CARD}</p><p>cvv2={CVV}</p>\
         <p>Card {} declined, rectoken: {TOKEN}, expiry_date: {EXPIRY}</p></body></html>",
        CARD_SPELLINGS[1]
    )
}

fn plain_text() -> String {
    format!(
        "upstream failed for {} (CVV2 {CVV}, token {TOKEN}, expiry_date={EXPIRY}, pares: {})",
        CARD_SPELLINGS[2],
        secret_of("pares")
    )
}

fn base64_of(text: &str) -> String {
    // A few lines of standard base64, to keep this test free of the SDK's helpers.
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}

/// Whether `secret` appears in `text` as a whole token.
fn leaks(text: &str, secret: &str) -> bool {
    flitt_tests::find_token(text, secret).is_some()
}

/// Checks `text` for every secret. A bare CVV or expiry (`exp 0931`) cannot be told from any
/// other short number, so it is looked for only when the request sent it (`sent_card`): then
/// the client knows the value and masks it wherever the reply echoes it. Under a key
/// (`cvv2: 735`) it is masked in every reply.
fn assert_clean(what: &str, text: &str, sent_card: bool) {
    let mut secrets: Vec<String> = flitt::api::SENSITIVE_FIELDS
        .iter()
        .map(|f| secret_of(f))
        .collect();
    secrets.extend(CARD_SPELLINGS.map(str::to_owned));
    secrets.extend([TOKEN, "test", "testcredit"].map(str::to_owned));
    if sent_card {
        secrets.extend([CVV, EXPIRY].map(str::to_owned));
    }
    for secret in &secrets {
        assert!(!leaks(text, secret), "{what}: `{secret}` leaked in: {text}");
    }
    // The card number with its separators taken out.
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    assert!(
        !digits.contains(CARD),
        "{what}: the card number leaked in: {text}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn no_reply_shape_leaks_a_secret_into_errors_debug_or_logs() {
    let capture = flitt_tests::LogCapture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let shapes = shapes();
    let mut cases = 0;
    for (name, status, content_type, body) in shapes {
        let gateway = Recorder::start_raw(move |_| RawAnswer {
            status,
            content_type,
            body: body.clone(),
        })
        .await;
        let client = flitt::Client::builder("1549901", "test")
            .credit_key("testcredit")
            .api_url(gateway.url())
            .timeout(Duration::from_secs(5))
            .retry_policy(flitt::client::RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
            })
            .build()
            .unwrap();
        // (what was printed, whether the request sent the card data)
        let mut printed: Vec<(String, bool)> = Vec::new();
        let status_lookup = StatusRequest::builder()
            .order_id(OrderId::new("o-1").unwrap())
            .build();
        match client.send(&status_lookup).await {
            Ok(reply) => printed.push((format!("{reply:?}"), false)),
            Err(e) => printed.push((format!("{e}\n{e:?}\n{e:#?}"), false)),
        }
        let pay = ThreeDsStep1Request::builder()
            .order_desc("redaction")
            .amount(Amount::new(700).unwrap())
            .currency(Currency::GEL)
            .card_number(CARD)
            .expiry_date(EXPIRY)
            .cvv2(CVV)
            .build();
        match client.send(&pay).await {
            Ok(reply) => printed.push((format!("{reply:?}"), true)),
            Err(e) => printed.push((format!("{e}\n{e:?}\n{e:#?}"), true)),
        }
        let charge = RecurringRequest::builder()
            .order_desc("redaction")
            .amount(Amount::new(700).unwrap())
            .currency(Currency::GEL)
            .rectoken(Sensitive::from(TOKEN))
            .build();
        match client.send(&charge).await {
            Ok(reply) => printed.push((format!("{reply:?}"), false)),
            Err(e) => printed.push((format!("{e}\n{e:?}\n{e:#?}"), false)),
        }
        assert!(
            !gateway.received().is_empty(),
            "{name}: the gateway was asked"
        );
        for (text, sent_card) in &printed {
            assert_clean(name, text, *sent_card);
        }
        cases += 1;
    }
    assert!(cases > 20, "every shape ran: {cases}");
    let logs = capture.text();
    assert!(logs.contains("flitt.request"), "the log was captured");
    assert_clean("TRACE log", &logs, true);
}

#[test]
fn the_forged_envelope_fixture_is_standard_base64() {
    assert_eq!(base64_of("{\"a\":1}"), "eyJhIjoxfQ==");
    assert_eq!(base64_of("ab"), "YWI=");
}
