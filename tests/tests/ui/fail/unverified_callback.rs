use flitt::flows::AnyPayment;

fn trust_the_body(body: &[u8]) {
    // A callback body that was not verified is not a `VerifiedCallback`.
    let unverified: serde_json::Value = serde_json::from_slice(body).unwrap();
    let _ = AnyPayment::from_callback(&unverified);
}

fn main() {}
