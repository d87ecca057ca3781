//! A split settlement (`/api/settlement`): a paid order's money divided between merchants, as
//! a marketplace pays its sellers.
//!
//! `cargo run -p flitt-sandbox --example split_settlement`
//!
//! A settlement is a new order of type `settlement` that names the paid order
//! (`operation_id`) and its receivers, each a merchant with its share. It exists only in
//! protocol 2.0: the client sends it as a signed 2.0 envelope and verifies the envelope of
//! the reply, without being asked. The spec supports receivers of type `merchant` with a
//! `merchant_id`, an `amount` and optionally a `settlement_description` and a
//! `fee_partner_amount`.
//!
//! 1. The customer pays 100.00 GEL with a hold (`preauth`).
//! 2. A settlement of a hold is refused (1114) until the hold is captured.
//! 3. Captured, the order is split: 85.00 to the seller, 15.00 to the platform.
//!
//! Runs against the embedded sandbox; exits non-zero if the gateway answers otherwise.

use flitt::api::{
    OrderStatus, Receiver, ReceiverRequisites, ReceiverType, SettlementRequest, ThreeDsStep1Request,
};
use flitt::flows::{self, StepOne};
use flitt::types::{Amount, Currency, OrderId};
use flitt_sandbox::Sandbox;

type Error = Box<dyn std::error::Error + Send + Sync>;

const TOTAL: u64 = 10_000;
/// The receiving merchants and their shares (test merchants from Flitt's split examples).
const SHARES: [(u64, u64, &str); 2] = [
    (600_001, 8_500, "Seller's share"),
    (700_001, 1_500, "Platform fee"),
];

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::start().await?;
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()?;

    println!("1. the customer pays, with a hold");
    let payment = ThreeDsStep1Request::builder()
        .order_desc("Handmade chair, from a marketplace seller")
        .amount(Amount::new(TOTAL)?)
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .cvv2("123")
        .preauth(true)
        .build();
    let StepOne::Preauthorized(hold) = flows::pay_direct(&client, &payment).await? else {
        return Err("the payment should be held".into());
    };
    let paid = hold.order_id().clone();
    println!("   order {paid} holds {TOTAL}");

    println!("\n2. splitting the hold before capture");
    match client.send(&settlement(&paid)?).await {
        Err(e) if e.gateway().and_then(|g| g.code) == Some(1114) => {
            println!("   refused: {e}");
        }
        other => return Err(format!("expected 1114, got {other:?}").into()),
    }

    println!("\n3. capture, then split");
    hold.capture(&client, Amount::new(TOTAL)?).await?;
    let split = settlement(&paid)?;
    let reply = client.send(&split).await?;
    if reply.order_id.as_deref() != Some(split.order_id.as_str())
        || reply.order_status != Some(OrderStatus::Created)
    {
        return Err(format!("unexpected settlement reply: {reply:?}").into());
    }
    println!(
        "   settlement {} of order {paid} is {}",
        split.order_id,
        OrderStatus::Created
    );
    for (merchant, share, what) in SHARES {
        println!("   {share:>6} to merchant {merchant} ({what})");
    }

    let ledger = sandbox
        .order(split.order_id.as_str())
        .ok_or("the ledger has no settlement order")?;
    if ledger.parent_order_id != paid.as_str()
        || ledger.tran_type != "settlement"
        || ledger.amount != TOTAL
    {
        return Err("the ledger disagrees about the settlement".into());
    }
    println!("\nthe ledger: a settlement of {TOTAL} under order {paid}");
    Ok(())
}

/// A settlement of the whole of order `paid` between [`SHARES`].
fn settlement(paid: &OrderId) -> Result<SettlementRequest, Error> {
    let mut receivers = Vec::new();
    for (merchant_id, share, description) in SHARES {
        receivers.push(
            Receiver::builder()
                .r#type(ReceiverType::Merchant)
                .requisites(
                    ReceiverRequisites::builder()
                        .merchant_id(merchant_id)
                        .amount(Amount::new(share)?)
                        .settlement_description(description)
                        .build(),
                )
                .build(),
        );
    }
    let total: u64 = SHARES.iter().map(|(_, share, _)| share).sum();
    if total != TOTAL {
        return Err("the shares must add up to the order's amount".into());
    }
    Ok(SettlementRequest::builder()
        .operation_id(paid.clone())
        .amount(Amount::new(TOTAL)?)
        .currency(Currency::GEL)
        .order_desc("Marketplace split")
        .receiver(receivers)
        .build())
}
