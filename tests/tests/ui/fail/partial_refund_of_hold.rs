use flitt::flows::{Payment, Preauthorized};
use flitt::types::Amount;

async fn partial_refund_of_uncaptured_hold(client: &flitt::Client, hold: Payment<Preauthorized>) {
    let _ = hold.refund(client, Amount::new(100).unwrap(), "refund-1").await;
}

fn main() {}
