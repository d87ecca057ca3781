use flitt::flows::ThreeDsPending;
use flitt::types::Amount;

async fn refund_before_authentication(client: &flitt::Client, pending: ThreeDsPending) {
    let _ = pending.refund(client, Amount::new(100).unwrap(), "refund-1").await;
}

fn main() {}
