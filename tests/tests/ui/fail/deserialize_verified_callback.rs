use flitt::callback::VerifiedCallback;

fn main() {
    let _forged: VerifiedCallback = serde_json::from_str("{\"order_status\":\"approved\"}").unwrap();
}
