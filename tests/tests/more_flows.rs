//! More flows over HTTP against the sandbox: form bodies, protocol 2.0 settlements and
//! subscriptions, the callback retry schedule on the virtual clock, and the legacy report.

use flitt::api::{
    CheckoutSubscriptionRequest, CheckoutUrlRequest, OrderStatus, Receiver, ReceiverRequisites,
    ReceiverType, RecurringData, SettlementRequest, SubscriptionPeriod, SubscriptionStatus,
    ThreeDsStep1Request,
};
use flitt::callback::Callback;
use flitt::client::BodyFormat;
use flitt::flows::{self, StepOne, Subscription};
use flitt::signature::{BodyProtocol, SecretKey};
use flitt::types::{Amount, Currency, Date, DateTime, OrderId};
use flitt::{Client, Error};
use flitt_sandbox::Sandbox;
use flitt_tests::{Recorder, post_form};
use std::time::Duration;

fn client(sandbox: &Sandbox, format: BodyFormat) -> Client {
    Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .body_format(format)
        .build()
        .unwrap()
}

fn amount(n: u64) -> Amount {
    Amount::new(n).unwrap()
}

/// A sandbox whose virtual time 0 is 2026-01-01 00:00:00 UTC, for tests that name dates.
async fn on_new_year_2026() -> Sandbox {
    let new_year = DateTime::new(Date::new(2026, 1, 1).unwrap(), 0, 0, 0).unwrap();
    Sandbox::builder()
        .start_time(new_year)
        .start()
        .await
        .unwrap()
}

fn hold_request(n: u64) -> ThreeDsStep1Request {
    ThreeDsStep1Request::builder()
        .order_desc("more")
        .amount(amount(n))
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .preauth(true)
        .build()
}

#[tokio::test]
async fn the_whole_hold_flow_with_form_bodies() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Form);
    let StepOne::Preauthorized(hold) = flows::pay_direct(&c, &hold_request(3_000)).await.unwrap()
    else {
        panic!("a hold")
    };
    let id = hold.order_id().clone();
    let captured = hold.capture(&c, amount(3_000)).await.unwrap();
    captured.refund(&c, amount(1_000), "form-1").await.unwrap();
    let any = flows::AnyPayment::lookup(&c, &id).await.unwrap();
    assert_eq!(any.state_name(), "captured");
    assert_eq!(sandbox.order(id.as_str()).unwrap().reversal_amount, 1_000);
}

#[tokio::test]
async fn a_settlement_goes_out_as_protocol_two() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Json);
    let StepOne::Preauthorized(hold) = flows::pay_direct(&c, &hold_request(10_000)).await.unwrap()
    else {
        panic!("a hold")
    };
    let original = hold.order_id().clone();
    let split = |amount_minor: u64| {
        SettlementRequest::builder()
            .operation_id(original.clone())
            .amount(amount(amount_minor))
            .currency(Currency::GEL)
            .order_desc("split")
            .receiver(vec![
                Receiver::builder()
                    .r#type(ReceiverType::Merchant)
                    .requisites(
                        ReceiverRequisites::builder()
                            .merchant_id(600_001)
                            .amount(amount(amount_minor))
                            .build(),
                    )
                    .build(),
            ])
            .build()
    };
    // Before capture: refused (1114).
    let e = c.send(&split(10_000)).await.unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1114));
    hold.capture(&c, amount(10_000)).await.unwrap();
    let request = split(10_000);
    let reply = c.send(&request).await.unwrap();
    assert_eq!(reply.order_id.as_deref(), Some(request.order_id.as_str()));
    assert_eq!(reply.order_status, Some(OrderStatus::Created));
    let settlement = sandbox.order(request.order_id.as_str()).unwrap();
    assert_eq!(settlement.parent_order_id, original.as_str());
    // A receiver list breaking a rule is refused before the network.
    let bad = SettlementRequest::builder()
        .operation_id(original.clone())
        .amount(amount(1))
        .currency(Currency::GEL)
        .order_desc("split")
        .receiver(vec![])
        .build();
    assert!(
        matches!(c.send(&bad).await.unwrap_err(), Error::InvalidInput(i) if i.field == "receiver")
    );
}

#[tokio::test]
async fn a_subscription_is_created_over_two_point_zero_and_stopped_and_started() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Json);
    let request = CheckoutSubscriptionRequest::builder()
        .order_desc("monthly plan")
        .amount(amount(2_500))
        .currency(Currency::GEL)
        .recurring_data(
            RecurringData::builder()
                .every(1)
                .period(SubscriptionPeriod::Month)
                .amount(amount(2_500))
                .start_time(Date::new(2026, 12, 1).unwrap())
                .quantity(12)
                .build(),
        )
        .build();
    let subscription = flows::subscribe(&c, &request).await.unwrap();
    assert!(
        subscription
            .checkout_url()
            .is_some_and(|u| u.starts_with(sandbox.url()))
    );
    let stopped = subscription.stop(&c).await.unwrap();
    assert_eq!(stopped.status, Some(SubscriptionStatus::Disabled));
    let started = subscription.start(&c).await.unwrap();
    assert_eq!(started.status, Some(SubscriptionStatus::Active));
    let unknown = Subscription::existing(OrderId::new("no-such-subscription").unwrap());
    assert_eq!(
        unknown
            .stop(&c)
            .await
            .unwrap_err()
            .gateway()
            .and_then(|g| g.code),
        Some(1018)
    );
}

async fn settle() {
    // Deliveries run on the sandbox's tasks: give them a moment on the real clock.
    tokio::time::sleep(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn callbacks_follow_flitts_retry_schedule_until_a_200() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Json);
    // A redirect is not followed and counts as a failure, like a 500.
    let mut script = ["500 Internal Server Error", "302 Found"].into_iter();
    let merchant =
        Recorder::start(move |_| (script.next().unwrap_or("200 OK"), String::new())).await;
    let mut request = hold_request(700);
    request.preauth = None;
    request.server_callback_url = Some(format!("{}/callback", merchant.url()));
    flows::pay_direct(&c, &request).await.unwrap();
    settle().await;
    let attempts = || sandbox.callbacks()[0].attempts;
    assert_eq!(attempts(), 1);
    sandbox.advance(Duration::from_secs(1)).await;
    assert_eq!(attempts(), 1, "not due before 2 s");
    sandbox.advance(Duration::from_secs(1)).await;
    assert_eq!(attempts(), 2, "retried after 2 s");
    sandbox.advance(Duration::from_secs(59)).await;
    assert_eq!(attempts(), 2, "the next try waits 60 s");
    sandbox.advance(Duration::from_secs(1)).await;
    assert_eq!(attempts(), 3);
    let cb = &sandbox.callbacks()[0];
    assert!(cb.delivered);
    sandbox.advance(Duration::from_secs(86_400)).await;
    assert_eq!(sandbox.callbacks()[0].attempts, 3, "nothing after delivery");
    // Every body the merchant got verifies, and is the same order.
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    let bodies = merchant.received();
    assert_eq!(bodies.len(), 3);
    for r in bodies {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/callback"));
        let verified = Callback::verify(&r.body, r.content_type.as_deref(), &key).unwrap();
        assert_eq!(verified.order_id(), Some(request.order_id.as_str()));
        assert_eq!(
            verified.order().unwrap().order_status,
            Some(OrderStatus::Approved)
        );
    }
}

#[tokio::test]
async fn the_legacy_report_checks_its_range_before_sending_and_lists_what_it_covers() {
    let sandbox = on_new_year_2026().await;
    let c = client(&sandbox, BodyFormat::Json);
    let create = |id: &str| {
        CheckoutUrlRequest::builder()
            .order_id(OrderId::new(id).unwrap())
            .order_desc("legacy report")
            .amount(amount(1))
            .currency(Currency::GEL)
            .build()
    };
    // One order on 1 January, one on 3 January (virtual clock).
    c.send(&create("first")).await.unwrap();
    sandbox.advance(Duration::from_secs(2 * 86_400)).await;
    c.send(&create("third")).await.unwrap();
    let at = |d: u8| DateTime::new(Date::new(2026, 1, d).unwrap(), 0, 0, 0).unwrap();
    let e = flitt::reports::legacy_orders(&c, at(2), at(1))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(i) if i.field == "date_from"));
    let ids = |orders: Vec<flitt::api::OrderResponse>| {
        orders
            .into_iter()
            .map(|o| (o.order_id.unwrap_or_default(), o.order_status))
            .collect::<Vec<_>>()
    };
    let created = Some(OrderStatus::Created);
    let first = flitt::reports::legacy_orders(&c, at(1), at(2))
        .await
        .unwrap();
    // Its lifetime (36 000 s by default) ran out on the way.
    let expired = Some(OrderStatus::Expired);
    assert_eq!(ids(first), [("first".to_owned(), expired)]);
    let third = flitt::reports::legacy_orders(&c, at(2), at(4))
        .await
        .unwrap();
    assert_eq!(ids(third), [("third".to_owned(), created)]);
    let both = flitt::reports::legacy_orders(&c, at(1), at(3))
        .await
        .unwrap();
    assert_eq!(both.len(), 2, "the ends are inclusive");
    assert!(
        flitt::reports::legacy_orders(&c, at(5), at(9))
            .await
            .unwrap()
            .is_empty()
    );
}

/// The UTC calendar date and time of day of a Unix time (days to civil date: H. Hinnant's
/// algorithm), as a `DateTime`.
fn utc(unix: i64) -> DateTime {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = Date::new(
        u16::try_from(year).unwrap(),
        u8::try_from(month).unwrap(),
        u8::try_from(day).unwrap(),
    )
    .unwrap();
    let [h, m, s] = [secs / 3600, secs / 60 % 60, secs % 60].map(|n| u8::try_from(n).unwrap());
    DateTime::new(date, h, m, s).unwrap()
}

fn wall_clock_now() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(secs).unwrap()
}

#[test]
fn utc_dates_of_unix_times() {
    assert_eq!(utc(0).to_string(), "1970-01-01 00:00:00");
    assert_eq!(utc(1_767_225_600).to_string(), "2026-01-01 00:00:00");
    assert_eq!(utc(1_835_481_599).to_string(), "2028-02-29 23:59:59");
}

#[tokio::test]
async fn orders_are_dated_now_and_the_legacy_report_over_today_lists_them() {
    let before = wall_clock_now();
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Json);
    let request = CheckoutUrlRequest::builder()
        .order_desc("dated today")
        .amount(amount(100))
        .currency(Currency::GEL)
        .build();
    c.send(&request).await.unwrap();
    let status = flitt::api::StatusRequest::builder()
        .order_id(request.order_id.clone())
        .build();
    let order = c.send(&status).await.unwrap();
    let after = wall_clock_now();
    // `order_time` is the wall-clock time in UTC, DD.MM.YYYY hh:mm:ss, to the second.
    let written = |t: DateTime| {
        let (d, (h, m, s)) = (t.date(), t.time());
        format!(
            "{:02}.{:02}.{:04} {h:02}:{m:02}:{s:02}",
            d.day(),
            d.month(),
            d.year()
        )
    };
    let order_time = order.order_time.unwrap();
    assert!(
        (before..=after).any(|t| written(utc(t)) == order_time),
        "order_time {order_time} is not between {} and {}",
        written(utc(before)),
        written(utc(after)),
    );
    // Today's range, as the official SDKs send it (from 00:00:00 to 23:59:59 UTC); the day
    // may have turned while the test ran, so from the first day to the last.
    let (first, last) = (utc(before).date(), utc(after).date());
    let from = DateTime::new(first, 0, 0, 0).unwrap();
    let to = DateTime::new(last, 23, 59, 59).unwrap();
    let listed = flitt::reports::legacy_orders(&c, from, to).await.unwrap();
    let ids: Vec<_> = listed
        .iter()
        .filter_map(|o| o.order_id.as_deref())
        .collect();
    assert_eq!(ids, [request.order_id.as_str()]);
    // The day before lists nothing.
    let yesterday = utc(before - 86_400).date();
    let none = flitt::reports::legacy_orders(
        &c,
        DateTime::new(yesterday, 0, 0, 0).unwrap(),
        DateTime::new(yesterday, 23, 59, 59).unwrap(),
    )
    .await
    .unwrap();
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn subscriptions_charge_on_their_schedule() {
    let sandbox = on_new_year_2026().await;
    let c = client(&sandbox, BodyFormat::Json);
    let merchant = Recorder::start(|_| ("200 OK", String::new())).await;
    let request = CheckoutSubscriptionRequest::builder()
        .order_desc("plan")
        .amount(amount(2_500))
        .currency(Currency::GEL)
        .server_callback_url(format!("{}/callback", merchant.url()))
        .recurring_data(
            RecurringData::builder()
                .every(1)
                .period(SubscriptionPeriod::Month)
                .amount(amount(2_000))
                .start_time(Date::new(2026, 1, 3).unwrap())
                .quantity(2)
                .build(),
        )
        .build();
    let subscription = flows::subscribe(&c, &request).await.unwrap();
    let page = post_form(
        &format!("{}/pay", subscription.checkout_url().unwrap()),
        "card_number=4444555511116666&expiry_date=1230&cvv2=123",
    )
    .await;
    assert!(page.contains("approved"), "{page}");
    let children = || {
        sandbox
            .orders()
            .into_iter()
            .filter(|o| o.parent_order_id == request.order_id.as_str())
            .collect::<Vec<_>>()
    };
    sandbox.advance(Duration::from_secs(86_400)).await;
    assert_eq!(children().len(), 0, "the first charge is on 2026-01-03");
    sandbox.advance(Duration::from_secs(86_400)).await;
    assert_eq!(children().len(), 1);
    assert!(
        children()
            .iter()
            .all(|o| o.amount == 2_000 && o.status == flitt_sandbox::ledger::Status::Approved)
    );
    sandbox.advance(Duration::from_secs(30 * 86_400)).await;
    assert_eq!(children().len(), 2);
    // Created over 2.0 (as every subscription is): its payment and its charges are called
    // back with 2.0 envelopes.
    settle().await;
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    let mut called_back: Vec<String> = merchant
        .received()
        .iter()
        .map(|r| {
            let verified = Callback::verify(&r.body, r.content_type.as_deref(), &key).unwrap();
            assert_eq!(verified.protocol(), BodyProtocol::V2);
            assert_eq!(
                verified.order().unwrap().order_status,
                Some(OrderStatus::Approved)
            );
            verified.order_id().unwrap().to_owned()
        })
        .collect();
    // Deliveries run on their own tasks: the payment's may land after a charge's.
    called_back.sort();
    let parent = request.order_id.as_str();
    assert_eq!(
        called_back,
        [
            parent.to_owned(),
            format!("{parent}_1"),
            format!("{parent}_2")
        ]
    );
    sandbox.advance(Duration::from_secs(90 * 86_400)).await;
    assert_eq!(children().len(), 2, "quantity 2: no more charges");
    // A stopped subscription charges nothing.
    let second = CheckoutSubscriptionRequest::builder()
        .order_desc("plan")
        .amount(amount(100))
        .currency(Currency::GEL)
        .recurring_data(
            RecurringData::builder()
                .every(1)
                .period(SubscriptionPeriod::Day)
                .amount(amount(100))
                .start_time(Date::new(2026, 1, 1).unwrap())
                .build(),
        )
        .build();
    let s2 = flows::subscribe(&c, &second).await.unwrap();
    post_form(
        &format!("{}/pay", s2.checkout_url().unwrap()),
        "card_number=4444555511116666&expiry_date=1230&cvv2=123",
    )
    .await;
    s2.stop(&c).await.unwrap();
    sandbox.advance(Duration::from_secs(10 * 86_400)).await;
    assert!(
        sandbox
            .orders()
            .iter()
            .all(|o| o.parent_order_id != second.order_id.as_str())
    );
}

#[tokio::test]
async fn fiscal_data_is_the_paid_orders_receipt() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Json);
    let fiscal = |id: &OrderId| {
        flitt::api::FiscalDataRequest::builder()
            .order_id(id.clone())
            .build()
    };
    // A hold has no receipt yet: it is not captured.
    let StepOne::Preauthorized(hold) = flows::pay_direct(&c, &hold_request(700)).await.unwrap()
    else {
        panic!("a hold expected")
    };
    let id = hold.order_id().clone();
    let e = c.send(&fiscal(&id)).await.unwrap_err();
    assert_eq!(e.gateway().and_then(|g| g.code), Some(1019), "{e}");
    // Captured, it has one, built from the order.
    hold.capture(&c, amount(700)).await.unwrap();
    let reply = c.send(&fiscal(&id)).await.unwrap();
    assert_eq!(reply.order_id.as_deref(), Some(id.as_str()));
    let receipts = reply.fiscalisation_data.expect("receipts");
    let (tax_id, receipt) = receipts.iter().next().expect("one receipt");
    assert!(!tax_id.is_empty());
    let payment_id = sandbox.order(id.as_str()).unwrap().payment_id;
    // The documented entry types: integer ids and codes, epoch-millisecond dates.
    assert_eq!(receipt.receipt_id, i64::try_from(payment_id).ok());
    assert_eq!(receipt.status_code, Some(0));
    assert_eq!(receipt.code, Some(0));
    assert_eq!(receipt.r#type, Some(0));
    assert_eq!(receipt.external, Some(false));
    let processed = receipt.processed_date.expect("processed_date");
    assert!(
        processed > 1_700_000_000_000,
        "epoch milliseconds: {processed}"
    );
}

#[tokio::test]
async fn a_transaction_list_names_each_items_order_and_a_refund_its_currency() {
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Json);
    let StepOne::Preauthorized(hold) = flows::pay_direct(&c, &hold_request(2_000)).await.unwrap()
    else {
        panic!("a hold")
    };
    let id = hold.order_id().clone();
    let captured = hold.capture(&c, amount(2_000)).await.unwrap();
    let reversal = flitt::api::ReverseRequest::builder()
        .order_id(id.clone())
        .amount(amount(500))
        .currency(Currency::GEL)
        .reverse_id("tl-1")
        .build();
    let reply = c.send(&reversal).await.unwrap();
    assert_eq!(reply.currency, Some(Currency::GEL));
    assert!(reply.transaction_id.is_some_and(|t| !t.is_empty()));
    drop(captured);
    let list = c
        .send(
            &flitt::api::TransactionListRequest::builder()
                .order_id(id.clone())
                .build(),
        )
        .await
        .unwrap();
    assert!(list.len() >= 2, "{list:?}");
    for item in &list {
        assert_eq!(item.order_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            item.merchant_id.map(|m| m.to_string()).as_deref(),
            Some(flitt_sandbox::MERCHANT_ID)
        );
        assert_eq!(item.currency, Some(Currency::GEL));
    }
}

#[tokio::test]
async fn a_card_verification_holds_nothing_or_releases_what_it_held_and_can_save_the_card() {
    use flitt::api::{CheckoutVerificationRequest, StatusRequest, VerificationStatus};
    let sandbox = Sandbox::start().await.unwrap();
    let c = client(&sandbox, BodyFormat::Json);
    for held in [0u64, 150] {
        let request = CheckoutVerificationRequest::builder()
            .order_desc("verify the card")
            .amount(held)
            .currency(Currency::GEL)
            .required_rectoken(true)
            .build();
        let reply = c.send(&request).await.unwrap();
        let url = reply
            .checkout_url
            .expect("a checkout URL, amount 0 included");
        let page = post_form(
            &format!("{url}/pay"),
            "card_number=4444555511116666&expiry_date=1230&cvv2=123",
        )
        .await;
        assert!(page.contains("approved"), "{page}");
        let order = c
            .send(
                &StatusRequest::builder()
                    .order_id(request.order_id.clone())
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(
            order.verification_status,
            Some(VerificationStatus::Verified)
        );
        assert!(order.rectoken.is_some_and(|t| !t.is_empty()), "card saved");
        if held == 0 {
            assert_eq!(order.order_status, Some(OrderStatus::Approved));
        } else {
            // Released at once: the hold is reversed in full.
            assert_eq!(order.order_status, Some(OrderStatus::Reversed));
            assert_eq!(order.reversal_amount, Some(held));
        }
    }
}
