use flitt::flows::{Payment, Reversed};
use flitt::types::Amount;

async fn refund_a_reversed_payment(client: &flitt::Client, done: Payment<Reversed>) {
    let _ = done.refund(client, Amount::new(100).unwrap(), "refund-2").await;
}

fn main() {}
