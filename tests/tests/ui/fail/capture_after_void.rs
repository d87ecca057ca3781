use flitt::flows::{Payment, Preauthorized};
use flitt::types::Amount;

async fn capture_after_void(client: &flitt::Client, hold: Payment<Preauthorized>) {
    let voided = hold.void(client, "void-1").await.unwrap();
    let _ = voided.capture(client, Amount::new(100).unwrap()).await;
}

fn main() {}
