//! Payouts to a card (`/api/p2pcredit`), signed with the merchant's payout ("credit") key.
//!
//! `cargo run -p flitt-sandbox --example card_payout`
//!
//! Flitt signs payouts, and their replies, with a second key. The client takes it with
//! `ClientBuilder::credit_key` and uses it for payout requests only; a client without it
//! refuses a payout before sending anything.
//!
//! 1. A payout to a card number (`receiver_card_number`).
//! 2. A payout to a card saved earlier as a token (`receiver_rectoken`): the customer paid
//!    once with `required_rectoken`, and the winnings go back to the same card.
//! 3. The same payout from a client without the credit key: refused, nothing sent.
//!
//! Runs against the embedded sandbox; exits non-zero if a payout is not approved, a refusal
//! does not happen, or the gateway's ledger disagrees.

use flitt::api::{OrderStatus, P2pCreditRequest, ThreeDsStep1Request, TranType};
use flitt::flows::{self, StepOne};
use flitt::types::{Amount, Currency, Sensitive};
use flitt_sandbox::Sandbox;
use flitt_sandbox::ledger::Status;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::start().await?;
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .credit_key(flitt_sandbox::CREDIT_KEY)
        .api_url(sandbox.url())
        .build()?;

    println!("1. a payout to a card number");
    let to_card = P2pCreditRequest::builder()
        .order_desc("Refund of a deposit")
        .amount(Amount::new(25_000)?)
        .currency(Currency::GEL)
        .receiver_card_number("4444555511116666")
        .build();
    let reply = client.send(&to_card).await?;
    check(&reply, 25_000)?;
    println!(
        "   order {} paid out 250.00 GEL to the card",
        to_card.order_id
    );

    println!("\n2. a payout to a card saved as a token");
    let first = ThreeDsStep1Request::builder()
        .order_desc("Account top-up")
        .amount(Amount::new(1_000)?)
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .cvv2("123")
        .required_rectoken(true)
        .build();
    let StepOne::Approved(paid) = flows::pay_direct(&client, &first).await? else {
        return Err("the top-up should be approved".into());
    };
    let token = paid.rectoken().ok_or("the top-up asked for a token")?;
    let to_token = P2pCreditRequest::builder()
        .order_desc("Winnings")
        .amount(Amount::new(7_500)?)
        .currency(Currency::GEL)
        .receiver_rectoken(Sensitive::from(token.expose()))
        .build();
    let reply = client.send(&to_token).await?;
    check(&reply, 7_500)?;
    println!(
        "   order {} paid out 75.00 GEL to the card saved by order {}",
        to_token.order_id,
        paid.order_id()
    );

    println!("\n3. the same payout from a client without the credit key");
    let no_credit_key =
        flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
            .api_url(sandbox.url())
            .build()?;
    let again = P2pCreditRequest::builder()
        .order_desc("Winnings")
        .amount(Amount::new(7_500)?)
        .currency(Currency::GEL)
        .receiver_rectoken(Sensitive::from(token.expose()))
        .build();
    match no_credit_key.send(&again).await {
        Err(flitt::Error::Config(reason)) => println!("   refused before sending: {reason}"),
        other => return Err(format!("expected a configuration error, got {other:?}").into()),
    }
    if sandbox.order(again.order_id.as_str()).is_some() {
        return Err("the refused payout reached the gateway".into());
    }

    // The gateway's ledger: two payouts, approved, for their amounts.
    for (request, minor) in [(&to_card, 25_000), (&to_token, 7_500)] {
        let order = sandbox
            .order(request.order_id.as_str())
            .ok_or("the ledger is missing a payout")?;
        if (order.status, order.tran_type, order.amount) != (Status::Approved, "p2p credit", minor)
        {
            return Err(format!("the ledger disagrees on {}", request.order_id).into());
        }
    }
    println!("\nthe ledger: two approved p2p credits");
    Ok(())
}

/// A payout reply must be an approved p2p credit of `minor`.
fn check(reply: &flitt::api::P2pCreditResponse, minor: u64) -> Result<(), Error> {
    let approved = reply.order_status == Some(OrderStatus::Approved)
        && reply.tran_type == Some(TranType::P2pCredit)
        && reply.amount == Some(minor);
    if approved {
        Ok(())
    } else {
        Err(format!(
            "the payout is {:?} ({:?}, {:?})",
            reply.order_status, reply.response_code, reply.response_description
        )
        .into())
    }
}
