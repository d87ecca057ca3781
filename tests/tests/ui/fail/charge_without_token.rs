use flitt::flows;
use flitt::types::{Amount, Currency};

async fn charge_with_a_plain_string(client: &flitt::Client) {
    let _ = flows::charge(client, "I0wh7fBmFIdcY6K3Px2QugVrVR65sPafeZkPmRanOiRnXG", "Plan", Amount::new(100).unwrap(), Currency::GEL).await;
}

fn main() {}
