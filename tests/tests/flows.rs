//! Every flow end to end over HTTP against the sandbox on 127.0.0.1, with the ledger checked
//! afterwards: nothing lost, nothing doubled.

use flitt::api::{
    CaptureRequest, CheckoutUrlRequest, OrderStatus, RecurringRequest, StatusRequest,
    ThreeDsStep1Request,
};
use flitt::flows::{self, AnyPayment, Completed, Payment, Preauthorized, Refund, StepOne};
use flitt::types::{Amount, Currency, OrderId, Sensitive};
use flitt::{Client, Error};
use flitt_sandbox::{Fault, FaultRule, Sandbox, ledger::Status};
use flitt_tests::post_form;
use std::time::Duration;

const APPROVE: &str = "4444555511116666";
const DECLINE: &str = "4444111155556666";
const APPROVE_3DS: &str = "4444555566661111";
const DECLINE_3DS: &str = "4444111166665555";

fn client(sandbox: &Sandbox) -> Client {
    client_with_timeout(sandbox, Duration::from_secs(10))
}

fn client_with_timeout(sandbox: &Sandbox, timeout: Duration) -> Client {
    flitt_tests::sandbox_client(sandbox, timeout)
}

fn direct(card: &str, amount: u64, preauth: bool) -> ThreeDsStep1Request {
    ThreeDsStep1Request::builder()
        .order_desc("e2e")
        .amount(Amount::new(amount).unwrap())
        .currency(Currency::GEL)
        .card_number(card)
        .expiry_date("1230")
        .cvv2("123")
        .preauth(preauth)
        .build()
}

async fn hold(c: &Client, amount: u64) -> Payment<Preauthorized> {
    match flows::pay_direct(c, &direct(APPROVE, amount, true))
        .await
        .unwrap()
    {
        StepOne::Preauthorized(p) => p,
        other => panic!("expected a hold, got {other:?}"),
    }
}

fn amount(n: u64) -> Amount {
    Amount::new(n).unwrap()
}

#[tokio::test]
async fn hold_capture_refund_in_parts_until_reversed() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let h = hold(&c, 10_000).await;
    let id = h.order_id().clone();
    let captured = h.capture(&c, amount(8_000)).await.unwrap();
    let Refund::Partial(p) = captured.refund(&c, amount(3_000), "r-1").await.unwrap() else {
        panic!("partial expected")
    };
    assert_eq!(p.refundable(), 5_000);
    // More than remains is refused before the network.
    let too_much = p.refund(&c, amount(5_001), "r-2").await.unwrap_err();
    assert!(matches!(too_much.error, Error::InvalidInput(_)));
    let p = too_much.payment.expect("a refusal hands the payment back");
    let Refund::Full(done) = p.refund(&c, amount(5_000), "r-2").await.unwrap() else {
        panic!("full expected")
    };
    assert_eq!(done.refunded(), 8_000);
    let order = sandbox.order(id.as_str()).unwrap();
    assert_eq!(
        (order.capture_amount, order.reversal_amount, order.status),
        (Some(8_000), 8_000, Status::Reversed)
    );
    let any = AnyPayment::lookup(&c, &id).await.unwrap();
    assert_eq!(any.state_name(), "reversed");
}

#[tokio::test]
async fn a_void_releases_the_whole_hold() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let h = hold(&c, 2_500).await;
    let id = h.order_id().clone();
    h.void(&c, "void-1").await.unwrap();
    let order = sandbox.order(id.as_str()).unwrap();
    assert_eq!(
        (order.status, order.reversal_amount, order.capture_amount),
        (Status::Reversed, 2_500, None)
    );
}

#[tokio::test]
async fn declines_are_outcomes() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    match flows::pay_direct(&c, &direct(DECLINE, 100, false))
        .await
        .unwrap()
    {
        StepOne::Declined(d) => assert_eq!(d.code, Some(1000)),
        other => panic!("{other:?}"),
    }
}

async fn acs_round_trip(
    pending: &flitt::flows::ThreeDsPending,
    fail: bool,
) -> Vec<(String, String)> {
    let body = format!(
        "PaReq={}&MD={}&TermUrl=https%3A%2F%2Fshop.example%2F3ds",
        pending.pareq(),
        pending.md()
    );
    let page = post_form(pending.acs_url(), &body).await;
    // The page has two forms: authenticate, then fail.
    let form = if fail {
        page.split("<form").nth(2)
    } else {
        page.split("<form").nth(1)
    }
    .unwrap()
    .to_owned();
    let value = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = form.find(&marker).unwrap() + marker.len();
        form[start..start + form[start..].find('"').unwrap()].to_owned()
    };
    // ACSs differ in case: post back lowercase names to prove either works.
    vec![("pares".into(), value("PaRes")), ("md".into(), value("MD"))]
}

#[tokio::test]
async fn three_ds_through_the_acs_page() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let StepOne::ThreeDs(pending) = flows::pay_direct(&c, &direct(APPROVE_3DS, 700, false))
        .await
        .unwrap()
    else {
        panic!("3DS expected")
    };
    assert!(
        pending
            .acs_form("https://shop.example/3ds")
            .contains("name=\"PaReq\"")
    );
    let posted = acs_round_trip(&pending, false).await;
    let outcome = pending
        .complete(&c, posted.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .await
        .unwrap();
    assert!(matches!(outcome, Completed::Approved(_)), "{outcome:?}");

    let StepOne::ThreeDs(pending) = flows::pay_direct(&c, &direct(DECLINE_3DS, 700, false))
        .await
        .unwrap()
    else {
        panic!("3DS expected")
    };
    let posted = acs_round_trip(&pending, false).await;
    let outcome = pending
        .complete(&c, posted.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .await
        .unwrap();
    assert!(matches!(outcome, Completed::Declined(_)), "{outcome:?}");
}

#[tokio::test]
async fn failed_authentication_hands_the_pending_payment_back() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let StepOne::ThreeDs(pending) = flows::pay_direct(&c, &direct(APPROVE_3DS, 700, false))
        .await
        .unwrap()
    else {
        panic!("3DS expected")
    };
    let posted = acs_round_trip(&pending, true).await;
    let failed = pending
        .complete(&c, posted.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .await
        .unwrap_err();
    assert_eq!(failed.error.gateway().and_then(|g| g.code), Some(1024));
    let pending = failed.payment.expect("still pending");
    let missing = pending.complete(&c, [("MD", "x")]).await.unwrap_err();
    assert!(matches!(missing.error, Error::InvalidInput(_)));
    let pending = missing.payment.expect("handed back");
    // MD is required, as documented, and must be this payment's: nothing is sent otherwise.
    let pares = format!("pares-for-{}", pending.md());
    let no_md = pending
        .complete(&c, [("PaRes", pares.as_str())])
        .await
        .unwrap_err();
    let Error::InvalidInput(e) = &no_md.error else {
        panic!("{}", no_md.error)
    };
    assert_eq!(e.field, "md");
    let pending = no_md.payment.expect("handed back");
    let other_md = pending
        .complete(
            &c,
            [("PaRes", pares.as_str()), ("MD", "another-payments-md")],
        )
        .await
        .unwrap_err();
    let Error::InvalidInput(e) = &other_md.error else {
        panic!("{}", other_md.error)
    };
    assert_eq!(e.field, "md");
    let pending = other_md.payment.expect("handed back");
    let id = pending.order_id().clone();
    assert_eq!(
        sandbox.order(id.as_str()).unwrap().status,
        Status::Processing,
        "nothing was sent"
    );
}

#[tokio::test]
async fn recurring_charges_by_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let mut first = direct(APPROVE, 1_500, false);
    first.required_rectoken = Some(true);
    let StepOne::Approved(paid) = flows::pay_direct(&c, &first).await.unwrap() else {
        panic!()
    };
    let token = paid.rectoken().expect("token asked for").clone();
    assert!(!format!("{token:?}").contains(token.expose()));
    let Completed::Approved(again) =
        flows::charge(&c, &token, "month 2", amount(1_500), Currency::GEL)
            .await
            .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        sandbox.order(again.order_id().as_str()).unwrap().status,
        Status::Approved
    );
    let bad = flitt::flows::RecToken::from_trusted_storage("not-a-token");
    let e = flows::charge(&c, &bad, "x", amount(1), Currency::GEL)
        .await
        .unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1035));
}

#[tokio::test]
async fn hosted_checkout_becomes_a_payment_only_by_callback_or_lookup() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let order = flows::create_checkout(
        &c,
        &CheckoutUrlRequest::builder()
            .order_desc("hosted")
            .amount(amount(990))
            .currency(Currency::GEL)
            .preauth(true)
            .build(),
    )
    .await
    .unwrap();
    assert_eq!(order.lookup(&c).await.unwrap().state_name(), "pending");
    let page = post_form(
        &format!("{}/pay", order.checkout_url()),
        &format!("card_number={APPROVE}&expiry_date=1230&cvv2=123"),
    )
    .await;
    assert!(page.contains("approved"), "{page}");
    let any = order.lookup(&c).await.unwrap();
    let hold = any
        .try_into_preauthorized()
        .expect("a hold after paying with preauth");
    hold.capture(&c, amount(990)).await.unwrap();
}

#[tokio::test]
async fn duplicate_order_ids_are_refused_with_1013() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let r = CheckoutUrlRequest::builder()
        .order_desc("a")
        .amount(amount(1))
        .currency(Currency::GEL)
        .build();
    c.send(&r).await.unwrap();
    let e = c.send(&r).await.unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1013));
}

#[tokio::test]
async fn payouts_are_signed_with_the_credit_key() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let mut first = direct(APPROVE, 100, false);
    first.required_rectoken = Some(true);
    let StepOne::Approved(paid) = flows::pay_direct(&c, &first).await.unwrap() else {
        panic!()
    };
    let token = paid.rectoken().unwrap().expose().to_owned();
    let payout = flitt::api::P2pCreditRequest::builder()
        .order_desc("withdrawal")
        .amount(amount(5_000))
        .currency(Currency::GEL)
        .receiver_rectoken(Sensitive::from(token))
        .build();
    let reply = c.send(&payout).await.unwrap();
    assert_eq!(reply.order_status, Some(OrderStatus::Approved));
    // Without the credit key the client refuses before sending.
    let no_credit = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap();
    assert!(matches!(
        no_credit.send(&payout).await.unwrap_err(),
        Error::Config(_)
    ));
}

#[tokio::test]
async fn a_capture_whose_reply_is_lost_is_never_resent_and_is_settled_by_lookup() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let h = hold(&c, 4_000).await;
    let id = h.order_id().clone();
    sandbox.inject(FaultRule::on_path(
        "/api/capture/order_id",
        Fault::ErrorAfterLedger,
    ));
    let failed = h.capture(&c, amount(4_000)).await.unwrap_err();
    let Error::OutcomeUnknown(u) = &failed.error else {
        panic!("{}", failed.error)
    };
    assert!(
        failed.payment.is_none(),
        "the state is unknown: no stale payment"
    );
    let status = u.status.as_ref().expect("looked up");
    assert_eq!(status.order_status, Some(OrderStatus::Approved));
    // Resume: the lookup shows the capture happened, once.
    let captured = AnyPayment::lookup(&c, &id)
        .await
        .unwrap()
        .try_into_captured()
        .expect("captured");
    assert_eq!(captured.refundable(), 4_000);
    assert_eq!(
        sandbox
            .order(id.as_str())
            .unwrap()
            .transactions
            .iter()
            .filter(|t| t.tran_type == "capture")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_payment_whose_reply_times_out_is_resolved_by_status() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client_with_timeout(&sandbox, Duration::from_millis(400));
    let request = direct(APPROVE, 321, false);
    sandbox.inject(FaultRule::on_path(
        "/api/3dsecure_step1",
        Fault::Hold(Duration::from_secs(2)),
    ));
    let outcome = flows::pay_direct(&c, &request).await.unwrap();
    assert!(matches!(outcome, StepOne::Approved(_)), "{outcome:?}");
    assert_eq!(sandbox.orders().len(), 1, "one order, not two");
}

#[tokio::test]
async fn a_payment_refused_before_the_ledger_is_unknown_and_safe_to_retry() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let request = direct(APPROVE, 500, false);
    sandbox.inject(FaultRule::on_path(
        "/api/3dsecure_step1",
        Fault::ErrorBeforeLedger,
    ));
    let e = flows::pay_direct(&c, &request).await.unwrap_err();
    let Error::OutcomeUnknown(u) = &e else {
        panic!("{e}")
    };
    assert!(u.status.is_none(), "the lookup found no such order");
    assert!(sandbox.orders().is_empty());
    // The same request (same order id) can now go again, and is applied once.
    assert!(matches!(
        flows::pay_direct(&c, &request).await.unwrap(),
        StepOne::Approved(_)
    ));
    assert_eq!(sandbox.orders().len(), 1);
}

#[tokio::test]
async fn every_fault_kind_is_a_typed_error_or_a_retried_read() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client_with_timeout(&sandbox, Duration::from_millis(500));
    let h = hold(&c, 1_000).await;
    let id = h.order_id().clone();
    let status = || StatusRequest::builder().order_id(id.clone()).build();

    sandbox.inject(FaultRule::on_order(id.as_str(), Fault::BadSignature));
    assert!(matches!(
        c.send(&status()).await.unwrap_err(),
        Error::Signature(_)
    ));

    // An HTML page where the reply should be: a read asks again, and reports the decode error
    // when every attempt (three) gets one.
    for _ in 0..3 {
        sandbox.inject(FaultRule::on_order(id.as_str(), Fault::HtmlBody));
    }
    assert!(matches!(
        c.send(&status()).await.unwrap_err(),
        Error::Decode { .. }
    ));
    sandbox.inject(FaultRule::on_order(id.as_str(), Fault::HtmlBody));
    assert_eq!(
        c.send(&status()).await.unwrap().order_status,
        Some(OrderStatus::Approved)
    );

    // Reads survive a dropped connection, a truncated body, a 5xx and a hang by retrying.
    for fault in [
        Fault::DropConnection,
        Fault::TruncatedBody,
        Fault::ErrorBeforeLedger,
        Fault::ErrorAfterLedger,
        Fault::Hold(Duration::from_secs(2)),
    ] {
        sandbox.inject(FaultRule::on_order(id.as_str(), fault.clone()));
        let r = c
            .send(&status())
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(r.order_status, Some(OrderStatus::Approved));
    }

    // A money call with a truncated reply: applied once, reported as unknown with the status.
    sandbox.inject(FaultRule::on_order(id.as_str(), Fault::TruncatedBody));
    let capture = CaptureRequest::builder()
        .order_id(id.clone())
        .amount(amount(1_000))
        .currency(Currency::GEL)
        .build();
    assert!(matches!(
        c.send(&capture).await.unwrap_err(),
        Error::OutcomeUnknown(_)
    ));
    assert_eq!(
        sandbox.order(id.as_str()).unwrap().capture_amount,
        Some(1_000)
    );
    // Repeating the same capture is safe: Flitt answers the same amount as before.
    c.send(&capture).await.unwrap();
    let different = CaptureRequest::builder()
        .order_id(id.clone())
        .amount(amount(900))
        .currency(Currency::GEL)
        .build();
    assert_eq!(
        c.send(&different)
            .await
            .unwrap_err()
            .gateway()
            .and_then(|g| g.code),
        Some(1109)
    );
}

#[tokio::test]
async fn random_faults_never_double_money() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client_with_timeout(&sandbox, Duration::from_millis(300));
    sandbox.random_faults(
        0.3,
        7,
        vec![
            Fault::ErrorBeforeLedger,
            Fault::ErrorAfterLedger,
            Fault::DropConnection,
            Fault::TruncatedBody,
            Fault::Hold(Duration::from_millis(600)),
        ],
    );
    let mut outcomes = 0;
    for i in 0..20u64 {
        let r = RecurringRequest::builder()
            .order_id(OrderId::new(format!("random-{i}")).unwrap())
            .order_desc("x")
            .amount(amount(100 + i))
            .currency(Currency::GEL)
            .rectoken(Sensitive::from("unknown-token"))
            .build();
        // Unknown token: every applied attempt is a 1035 refusal; what matters is that no
        // attempt creates a second order.
        let _ = c.send(&r).await;
        outcomes += 1;
    }
    assert_eq!(outcomes, 20);
    let mut ids: Vec<_> = sandbox.orders().into_iter().map(|o| o.order_id).collect();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before);
    sandbox.clear_faults();
}

#[tokio::test]
async fn unpaid_orders_expire_on_the_virtual_clock() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox);
    let r = CheckoutUrlRequest::builder()
        .order_desc("a")
        .amount(amount(1))
        .currency(Currency::GEL)
        .lifetime(600)
        .build();
    c.send(&r).await.unwrap();
    sandbox.advance(Duration::from_secs(601)).await;
    let any = AnyPayment::lookup(&c, &r.order_id).await.unwrap();
    assert_eq!(any.state_name(), "declined");
    assert_eq!(
        sandbox.order(r.order_id.as_str()).unwrap().status,
        Status::Expired
    );
}
