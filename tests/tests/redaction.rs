//! Secrets, card data, tokens, PaReq/PaRes/MD and the 2.0 `data` payload never appear in logs,
//! `Debug`, `Display` or errors: a full flow runs under a subscriber capturing TRACE, and every
//! sensitive value is searched for in what it captured and in the values' own text.

use flitt::api::{SettlementRequest, ThreeDsStep1Request};
use flitt::flows::{self, StepOne};
use flitt::types::{Amount, Currency};
use flitt_sandbox::{Fault, FaultRule, Sandbox};
use std::time::Duration;

const CARD: &str = "4444555566661111";
const CVV: &str = "735";
const EXPIRY: &str = "0931";

#[tokio::test(flavor = "current_thread")]
async fn nothing_sensitive_is_logged_or_printed() {
    let capture = flitt_tests::LogCapture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = Sandbox::start().await.unwrap();
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .credit_key(flitt_sandbox::CREDIT_KEY)
        .api_url(sandbox.url())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let mut printed = vec![format!("{client:?}")];

    let request = ThreeDsStep1Request::builder()
        .order_desc("redaction")
        .amount(Amount::new(700).unwrap())
        .currency(Currency::GEL)
        .card_number(CARD)
        .expiry_date(EXPIRY)
        .cvv2(CVV)
        .required_rectoken(true)
        .build();
    printed.push(format!("{request:?}"));
    let StepOne::ThreeDs(pending) = flows::pay_direct(&client, &request).await.unwrap() else {
        panic!("3-D Secure expected")
    };
    printed.push(format!("{pending:?}"));
    let (pareq, md) = (pending.pareq().to_owned(), pending.md().to_owned());
    let pares = format!("pares-for-{md}");
    let outcome = pending
        .complete(&client, [("PaRes", pares.as_str()), ("MD", md.as_str())])
        .await
        .unwrap();
    printed.push(format!("{outcome:?}"));
    let flitt::flows::Completed::Approved(paid) = outcome else {
        panic!()
    };
    let token = paid.rectoken().unwrap().expose().to_owned();
    printed.push(format!("{:?}", paid.last_reply()));

    // A 2.0 request: its base64 data carries the order.
    let settlement = SettlementRequest::builder()
        .operation_id(paid.order_id().clone())
        .amount(Amount::new(700).unwrap())
        .currency(Currency::GEL)
        .order_desc("split")
        .receiver(vec![])
        .build();
    let env = flitt::signature::envelope_v2(
        &flitt::signature::SecretKey::new("test"),
        &serde_json::to_value(&settlement).unwrap(),
    )
    .unwrap();
    printed.push(format!("{env:?}"));
    let _ = client.send(&settlement).await; // refused (no receivers): the error is printed
    // Errors: an unknown outcome and a signature failure, with their Display and Debug.
    sandbox.inject(FaultRule::on_path(
        "/api/3dsecure_step1",
        Fault::ErrorAfterLedger,
    ));
    if let Err(e) = flows::pay_direct(&client, &request).await {
        printed.push(format!("{e} {e:?}"));
    }
    sandbox.inject(FaultRule::on_path(
        "/api/status/order_id",
        Fault::BadSignature,
    ));
    if let Err(e) = flitt::flows::AnyPayment::lookup(&client, paid.order_id()).await {
        printed.push(format!("{e} {e:?}"));
    }

    let logs = capture.text();
    assert!(logs.contains("flitt.request"), "the capture works: {logs}");
    assert!(logs.contains("three_ds_step1") && logs.contains("TRACE") || logs.contains("DEBUG"));
    let everything = format!("{logs}\n{}", printed.join("\n"));
    for (what, secret) in [
        ("card number", CARD),
        ("CVV", CVV),
        ("expiry", EXPIRY),
        ("rectoken", token.as_str()),
        ("PaReq", pareq.as_str()),
        ("PaRes", pares.as_str()),
        ("MD", md.as_str()),
        ("2.0 data", env.data.as_str()),
        ("credit key", flitt_sandbox::CREDIT_KEY),
    ] {
        if let Some(at) = flitt_tests::find_token(&everything, secret) {
            let from = everything[..at]
                .char_indices()
                .rev()
                .nth(300)
                .map_or(0, |(i, _)| i);
            panic!(
                "the {what} leaked: …{}…",
                &everything[from..(at + secret.len()).min(everything.len())]
            );
        }
    }
}

#[test]
fn find_token_skips_secrets_inside_longer_runs() {
    use flitt_tests::find_token;
    assert_eq!(find_token("12:11:59.917356Z port 47351", "735"), None);
    assert_eq!(find_token("cvv2=735&x", "735"), Some(5));
    assert_eq!(find_token("\"735\"", "735"), Some(1));
    assert_eq!(find_token("735", "735"), Some(0));
}
