//! The Reports API client against the sandbox over HTTP: tokens (cached, refreshed), every
//! operator family, pagination as a stream, typed rows, and each error.

use flitt::api::reports::{all_transactions as all, success_transactions as success};
use flitt::api::{CheckoutUrlRequest, ThreeDsStep1Request};
use flitt::reports::{ReportRow, ReportsClient};
use flitt::types::{Amount, Currency, Date, DateTime};
use flitt::{Client, Error};
use flitt_sandbox::Sandbox;
use std::time::Duration;

async fn setup(paid: u64, unpaid: u64) -> (Sandbox, ReportsClient) {
    // Dates asserted below: the sandbox's clock starts on a fixed day, not the wall clock's.
    let start = DateTime::new(today(), 0, 0, 0).unwrap();
    let sandbox = Sandbox::builder().start_time(start).start().await.unwrap();
    let client = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap();
    for i in 0..paid {
        let r = ThreeDsStep1Request::builder()
            .order_desc(format!("paid {i}"))
            .amount(Amount::new(1000 + i).unwrap())
            .currency(Currency::GEL)
            .card_number("4444555511116666")
            .expiry_date("1230")
            .build();
        client.send(&r).await.unwrap();
    }
    for i in 0..unpaid {
        let r = CheckoutUrlRequest::builder()
            .order_desc(format!("open {i}"))
            .amount(Amount::new(50).unwrap())
            .currency(Currency::USD)
            .build();
        client.send(&r).await.unwrap();
    }
    let reports = ReportsClient::builder(
        flitt_sandbox::REPORTS_APP_ID,
        flitt_sandbox::REPORTS_KEY,
        flitt_sandbox::MERCHANT_ID,
    )
    .url(sandbox.url())
    .build()
    .unwrap();
    (sandbox, reports)
}

fn today() -> Date {
    Date::new(2026, 1, 1).unwrap() // the sandbox's virtual clock starts on this day (setup)
}

#[tokio::test]
async fn typed_rows_and_a_cached_token() {
    let (sandbox, reports) = setup(3, 2).await;
    let filters = [all::order_timestart().dateis(today())];
    let page = reports.page::<all::Report>(&filters, 1, 100).await.unwrap();
    assert_eq!(page.rows_count, 5);
    let approved: Vec<_> = page
        .rows
        .iter()
        .filter(|r| r.order_status.as_deref() == Some("approved"))
        .collect();
    assert_eq!(approved.len(), 3);
    let mut amounts: Vec<String> = approved
        .iter()
        .filter_map(|r| r.amount.as_ref().map(|a| a.to_string()))
        .collect();
    amounts.sort();
    assert_eq!(amounts, ["10.00", "10.01", "10.02"]);
    assert_eq!(
        approved[0]
            .amount
            .as_ref()
            .and_then(|a| a.to_minor(2))
            .map(|m| m / 100),
        Some(10)
    );
    assert_eq!(approved[0].order_timestart.map(|t| t.date()), Some(today()));
    assert_eq!(approved[0].masked_card.as_deref(), Some("444455XXXXXX6666"));
    // A second request reuses the token.
    reports.page::<all::Report>(&filters, 1, 100).await.unwrap();
    assert_eq!(sandbox.report_tokens_issued(), 1);
}

#[tokio::test]
async fn an_expired_token_is_replaced() {
    let (sandbox, reports) = setup(1, 0).await;
    let filters = [all::order_timestart().dateis(today())];
    reports.page::<all::Report>(&filters, 1, 10).await.unwrap();
    sandbox.advance(Duration::from_secs(3_601)).await;
    let page = reports.page::<all::Report>(&filters, 1, 10).await.unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(sandbox.report_tokens_issued(), 2);
}

#[tokio::test]
async fn every_operator_family_filters() {
    let (_sandbox, reports) = setup(4, 3).await;
    let count = |filters: Vec<flitt::reports::Filter<all::Report>>| {
        let reports = reports.clone();
        async move {
            let mut all_filters = vec![all::order_timestart().from(today())];
            all_filters.extend(filters);
            reports
                .page::<all::Report>(&all_filters, 1, 100)
                .await
                .unwrap()
                .rows_count
        }
    };
    // text
    assert_eq!(count(vec![all::order_status().eq("approved")]).await, 4);
    assert_eq!(count(vec![all::order_status().ne("approved")]).await, 3);
    assert_eq!(count(vec![all::order_desc().like("open")]).await, 3);
    assert_eq!(count(vec![all::order_desc().not_like("open")]).await, 4);
    assert_eq!(count(vec![all::order_desc().start("paid")]).await, 4);
    assert_eq!(count(vec![all::currency().any(&["USD", "EUR"])]).await, 3);
    assert_eq!(count(vec![all::masked_card().empty()]).await, 3);
    // float
    assert_eq!(
        count(vec![all::amount().gt("10.01".parse().unwrap())]).await,
        2
    );
    assert_eq!(
        count(vec![all::amount().lt("1.00".parse().unwrap())]).await,
        3
    );
    assert_eq!(
        count(vec![all::amount().eq("10.00".parse().unwrap())]).await,
        1
    );
    assert_eq!(count(vec![all::actual_amount().not_null()]).await, 4);
    assert_eq!(count(vec![all::actual_amount().is_null()]).await, 3);
    // int
    let page = reports
        .page::<all::Report>(&[all::order_timestart().dateis(today())], 1, 100)
        .await
        .unwrap();
    let mut ids: Vec<i64> = page.rows.iter().filter_map(|r| r.payment_id).collect();
    ids.sort();
    assert_eq!(count(vec![all::payment_id().any(&ids[..2])]).await, 2);
    assert_eq!(count(vec![all::payment_id().gt(ids[0])]).await, 6);
    assert_eq!(count(vec![all::payment_id().lt(ids[6])]).await, 6);
    assert_eq!(count(vec![all::payment_id().eq(ids[3])]).await, 1);
    // date
    assert_eq!(count(vec![all::order_timestart().to(today())]).await, 7);
    assert_eq!(
        count(vec![all::order_timestart().notdate(today())]).await,
        0
    );
    assert_eq!(
        count(vec![all::order_timestart().from_days_ago(2)]).await,
        7
    );
}

#[tokio::test]
async fn pages_stream_across_several_requests() {
    let (_sandbox, reports) = setup(23, 0).await;
    let mut stream =
        reports.rows::<success::Report>(vec![success::tran_timestart().from(today())], 10);
    let mut rows = Vec::new();
    while let Some(row) = stream.next_row().await {
        rows.push(row.unwrap());
    }
    assert_eq!(rows.len(), 23);
    assert!(
        rows.iter()
            .all(|r| r.tran_type.as_deref() == Some("purchase"))
    );
    let mut ids: Vec<_> = rows.iter().map(|r| r.tran_id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 23, "no row twice");
}

#[test]
fn rows_decode_by_the_fields_list_in_any_order() {
    let fields: Vec<String> = ["order_status", "brand_new", "payment_id"]
        .map(String::from)
        .to_vec();
    let row =
        all::Row::from_values(&fields, vec!["approved".into(), 7.into(), "42".into()]).unwrap();
    assert_eq!(row.payment_id, Some(42));
    assert_eq!(row.order_status.as_deref(), Some("approved"));
    assert_eq!(row.amount, None);
    assert_eq!(row.extra["brand_new"], 7);
    let bad =
        all::Row::from_values(&["payment_id".to_owned()], vec!["forty-two".into()]).unwrap_err();
    assert!(bad.contains("payment_id"), "{bad}");
}

#[tokio::test]
async fn errors_are_typed_and_mandatory_filters_are_checked_before_sending() {
    let (sandbox, reports) = setup(1, 0).await;
    let e = reports
        .page::<all::Report>(&[all::order_status().eq("approved")], 1, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(i) if i.field == "filters"),
        "{e}"
    );
    assert_eq!(sandbox.report_tokens_issued(), 0, "nothing was sent");
    let e = reports
        .page::<all::Report>(&[all::payment_id().eq(1)], 1, 5)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(i) if i.field == "on_page"),
        "{e}"
    );

    let wrong_key = ReportsClient::builder(
        flitt_sandbox::REPORTS_APP_ID,
        "nope",
        flitt_sandbox::MERCHANT_ID,
    )
    .url(sandbox.url())
    .build()
    .unwrap();
    let e = wrong_key
        .page::<all::Report>(&[all::payment_id().eq(1)], 1, 10)
        .await
        .unwrap_err();
    assert_eq!(
        e.gateway().map(|g| g.message.as_str()),
        Some("Incorrect signature")
    );

    let other_merchant = ReportsClient::builder(
        flitt_sandbox::REPORTS_APP_ID,
        flitt_sandbox::REPORTS_KEY,
        "1",
    )
    .url(sandbox.url())
    .build()
    .unwrap();
    let e = other_merchant
        .page::<all::Report>(&[all::payment_id().eq(1)], 1, 10)
        .await
        .unwrap_err();
    assert_eq!(
        e.gateway().map(|g| g.message.as_str()),
        Some("Merchant not found")
    );

    let unknown = flitt::request::ReportInfo {
        id: 969,
        name: "reimbursement",
        doc: "",
        fields: &[],
        mandatory_filters: &[],
    };
    let e = reports.page_raw(&unknown, &[], 1, 10).await.unwrap_err();
    assert_eq!(
        e.gateway().map(|g| g.message.as_str()),
        Some("you have no access to this report")
    );
}

#[tokio::test]
async fn a_page_larger_than_the_reply_bound_is_an_error() {
    let (sandbox, _) = setup(0, 30).await;
    let capped = |bytes| {
        ReportsClient::builder(
            flitt_sandbox::REPORTS_APP_ID,
            flitt_sandbox::REPORTS_KEY,
            flitt_sandbox::MERCHANT_ID,
        )
        .url(sandbox.url())
        .max_reply_bytes(bytes)
        .build()
        .unwrap()
    };
    let filters = [all::order_timestart().dateis(today())];
    // The whole page fits in the default bound.
    let page = capped(flitt::client::DEFAULT_MAX_REPLY_BYTES)
        .page::<all::Report>(&filters, 1, 100)
        .await
        .unwrap();
    assert_eq!(page.rows_count, 30);
    // A bound the token fits in and the page does not.
    let e = capped(2048)
        .page::<all::Report>(&filters, 1, 100)
        .await
        .unwrap_err();
    let Error::Decode { reason, .. } = &e else {
        panic!("{e}")
    };
    assert!(reason.contains("larger than the 2048 bytes"), "{reason}");
}
