//! Recurring charges: save the card on the first payment, then charge it by token without the
//! customer.
//!
//! `cargo run -p flitt-sandbox --example recurring`
//!
//! 1. The first payment asks for a token (`required_rectoken`); the approved payment carries
//!    it as a `RecToken`, whose `Debug` never shows it. A real shop stores it (encrypted) with
//!    the customer's account, and reads it back with `RecToken::from_trusted_storage`.
//! 2. Each later charge (`/api/recurring`) is a new order paid by the token: no card data, no
//!    3-D Secure, no redirect. Two such charges are made here.
//!
//! Runs against the embedded sandbox; exits non-zero if a payment is not approved or the
//! gateway's ledger disagrees.

use flitt::api::ThreeDsStep1Request;
use flitt::flows::{self, Completed, RecToken, StepOne};
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;
use flitt_sandbox::ledger::Status;

type Error = Box<dyn std::error::Error + Send + Sync>;

const MONTHLY: u64 = 1_500;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::start().await?;
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()?;

    println!("1. the first month, paid by card, saving the card");
    let request = ThreeDsStep1Request::builder()
        .order_desc("Plan, month 1")
        .amount(Amount::new(MONTHLY)?)
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .cvv2("123")
        .required_rectoken(true)
        .build();
    let StepOne::Approved(first) = flows::pay_direct(&client, &request).await? else {
        return Err("the first payment should be approved".into());
    };
    let token = first
        .rectoken()
        .ok_or("an approved payment that asked for a token carries one")?;
    println!(
        "   paid {} on order {}; card saved as {token:?}",
        first.amount(),
        first.order_id()
    );
    // What a shop keeps in its database and reads back next month.
    let stored = token.expose().to_owned();

    let mut orders = vec![first.order_id().clone()];
    for month in 2..=3 {
        println!("\n{month}. month {month}, charged by token");
        let token = RecToken::from_trusted_storage(stored.clone());
        let charged = flows::charge(
            &client,
            &token,
            format!("Plan, month {month}"),
            Amount::new(MONTHLY)?,
            Currency::GEL,
        )
        .await?;
        let Completed::Approved(paid) = charged else {
            return Err(format!("month {month} should be approved, got {charged:?}").into());
        };
        println!("   charged {} on order {}", paid.amount(), paid.order_id());
        orders.push(paid.order_id().clone());
    }

    // Three orders, each approved for the monthly amount, none charged twice.
    for id in &orders {
        let order = sandbox
            .order(id.as_str())
            .ok_or("the ledger is missing an order")?;
        if order.status != Status::Approved || order.amount != MONTHLY {
            return Err(format!("order {id} is {:?} for {}", order.status, order.amount).into());
        }
    }
    let distinct: std::collections::BTreeSet<&str> = orders.iter().map(|id| id.as_str()).collect();
    if distinct.len() != 3 || sandbox.orders().len() != 3 {
        return Err("three payments should make three orders".into());
    }
    println!("\nthe ledger: three approved orders of {MONTHLY}");
    Ok(())
}
