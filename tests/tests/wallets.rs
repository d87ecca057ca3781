//! Apple Pay and Google Pay direct payments over HTTP against the sandbox: the encrypted
//! container, the decrypted token (cryptogram) and the merchant-initiated repeat (scheme id),
//! each its own request type, and the refusals.

use flitt::api::{
    OrderStatus, Wallet, WalletContainerRequest, WalletDecryptedRequest, WalletRecurringRequest,
};
use flitt::flows::{self, StepOne};
use flitt::types::{Amount, Currency};
use flitt::{Client, Error};
use flitt_sandbox::Sandbox;
use flitt_sandbox::cards::{
    WALLET_CONTAINER_APPROVED, WALLET_CONTAINER_DECLINED, WALLET_CONTAINER_THREE_DS,
};

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap()
}

fn container(c: &str) -> WalletContainerRequest {
    WalletContainerRequest::builder()
        .order_desc("wallet")
        .amount(Amount::new(1_250).unwrap())
        .currency(Currency::GEL)
        .container(c)
        .build()
}

#[tokio::test]
async fn a_container_pays_declines_or_asks_for_three_ds_as_its_test_marker_says() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let StepOne::Approved(paid) = flows::pay_direct(&c, &container(WALLET_CONTAINER_APPROVED))
        .await
        .unwrap()
    else {
        panic!("approved expected")
    };
    assert_eq!(paid.amount(), 1_250);
    let order = sandbox.order(paid.order_id().as_str()).unwrap();
    assert_eq!(order.status.order_status(), OrderStatus::Approved);

    let StepOne::Declined(declined) = flows::pay_direct(&c, &container(WALLET_CONTAINER_DECLINED))
        .await
        .unwrap()
    else {
        panic!("declined expected")
    };
    assert!(declined.code.is_some());

    let StepOne::ThreeDs(pending) = flows::pay_direct(&c, &container(WALLET_CONTAINER_THREE_DS))
        .await
        .unwrap()
    else {
        panic!("a 3-D Secure challenge expected (Google Pay in Georgia)")
    };
    assert!(!pending.pareq().is_empty() && !pending.md().is_empty());
}

#[tokio::test]
async fn a_container_that_is_not_a_wallet_token_is_refused_by_the_gateway() {
    let sandbox = Sandbox::start().await.unwrap();
    // Valid base64 (the SDK's check), but of `[1]`, not a token object.
    let e = flows::pay_direct(&client(&sandbox), &container("WzFd"))
        .await
        .unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1007), "{e}");
    // Not base64 at all: refused before the network.
    let e = client(&sandbox)
        .send(&container("not base64!"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(i) if i.field == "container"),
        "{e}"
    );
}

#[tokio::test]
async fn a_decrypted_token_and_its_merchant_initiated_repeat_pay() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let first = WalletDecryptedRequest::builder()
        .order_desc("wallet, customer-initiated")
        .amount(Amount::new(900).unwrap())
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .cavv("AEH2lSgIQ9/OAALA1DWsGgADFA==")
        .eci("05")
        .wallet(Wallet::Googlepay)
        .build();
    assert!(matches!(
        flows::pay_direct(&c, &first).await.unwrap(),
        StepOne::Approved(_)
    ));
    let repeat = WalletRecurringRequest::builder()
        .order_desc("wallet, merchant-initiated")
        .amount(Amount::new(900).unwrap())
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .schemeid("885056510569385")
        .wallet(Wallet::Googlepay)
        .build();
    assert!(matches!(
        flows::pay_direct(&c, &repeat).await.unwrap(),
        StepOne::Approved(_)
    ));
    // A card that would ask for 3-D Secure pays at once: the cryptogram is the authentication.
    let authenticated = WalletDecryptedRequest::builder()
        .order_desc("wallet, 3-D Secure card")
        .amount(Amount::new(900).unwrap())
        .currency(Currency::GEL)
        .card_number("4444555566661111")
        .expiry_date("1230")
        .cavv("AEH2lSgIQ9/OAALA1DWsGgADFA==")
        .wallet(Wallet::Applepay)
        .build();
    assert!(matches!(
        flows::pay_direct(&c, &authenticated).await.unwrap(),
        StepOne::Approved(_)
    ));
    assert_eq!(sandbox.orders().len(), 3);
}

#[test]
fn raw_parameters_mixing_a_container_and_a_card_are_refused_before_sending() {
    let params = [
        ("order_desc", "mixed"),
        ("amount", "100"),
        ("currency", "GEL"),
        ("container", WALLET_CONTAINER_APPROVED),
        ("card_number", "4444555511116666"),
        ("expiry_date", "1230"),
    ];
    let given = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let endpoint = flitt::request::find_endpoint("3dsecure_step1", given).unwrap();
    let e = endpoint.validate_raw(params).unwrap_err();
    let named = e.field.as_ref();
    assert!(
        named == "container" || named == "card_number" || named == "expiry_date",
        "{e}"
    );
}

/// The container's length rule (`string(20480)`): a real token padded to exactly 20,480
/// base64 characters pays, one of 20,484 is refused before the network, naming the
/// parameter and the rule.
#[tokio::test]
async fn a_container_at_its_length_limit_pays_and_one_past_it_never_leaves() {
    use base64::Engine as _;
    use flitt::validate::Rule;
    let b64 = base64::engine::general_purpose::STANDARD;
    let token = b64.decode(WALLET_CONTAINER_APPROVED).unwrap();
    // JSON allows whitespace after the value: 15,360 bytes are 20,480 base64 characters.
    let padded = |bytes: usize| {
        let mut t = token.clone();
        t.resize(bytes, b' ');
        b64.encode(t)
    };
    let at_limit = padded(15_360);
    assert_eq!(at_limit.len(), 20_480);
    let past_limit = padded(15_363);
    assert_eq!(past_limit.len(), 20_484);
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let StepOne::Approved(paid) = flows::pay_direct(&c, &container(&at_limit)).await.unwrap()
    else {
        panic!("approved expected")
    };
    assert_eq!(paid.amount(), 1_250);
    let e = flows::pay_direct(&c, &container(&past_limit))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(i) if i.field == "container" && i.rule == Rule::MaxChars(20_480)),
        "{e}"
    );
    assert_eq!(
        sandbox.orders().len(),
        1,
        "the refused one never reached the sandbox"
    );
}
