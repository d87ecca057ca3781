use flitt::flows::ThreeDsPending;
use flitt::types::Amount;

async fn capture_before_authentication(client: &flitt::Client, pending: ThreeDsPending) {
    let _ = pending.capture(client, Amount::new(100).unwrap()).await;
}

fn main() {}
