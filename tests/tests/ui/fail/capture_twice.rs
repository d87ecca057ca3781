use flitt::flows::{Payment, Preauthorized};
use flitt::types::Amount;

async fn capture_twice(client: &flitt::Client, hold: Payment<Preauthorized>) {
    let captured = hold.capture(client, Amount::new(100).unwrap()).await.unwrap();
    let _ = captured.capture(client, Amount::new(100).unwrap()).await;
}

fn main() {}
