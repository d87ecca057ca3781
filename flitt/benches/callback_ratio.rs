//! The callback target as ratios measured side by side: verifying a 37-field signed purchase
//! callback (flat JSON, as Flitt sends it) and decoding its order, against the floor, a plain
//! `serde_json::from_slice::<OrderResponse>` of the same bytes, in alternating rounds, so that
//! whatever else the machine does falls on all alike.
//!
//! `cargo bench -p flitt --bench callback_ratio`
//!
//! Each round times [`PER_ROUND`] runs of each of: the floor, verify + `.order()`, verify
//! alone, and `.order()` alone on an already verified callback; [`ROUNDS`] rounds. It prints
//! the median time of each and the median of the per-round ratios to the floor. Run it several
//! times and report the spread across runs.
//!
//! With `CALLBACK_BODY_OUT=path` it also writes the body to `path` (the secret key is `test`),
//! for `scripts/measure-callback.sh` to time the official Python SDK on the same bytes, in
//! rounds alternating with this bench's (`CALLBACK_SERVE=1`, below).

use flitt::api::OrderResponse;
use flitt::callback::Callback;
use flitt::signature::{SecretKey, sign_v1_json};
use std::hint::black_box;
use std::time::Instant;

mod ratio;

const ROUNDS: usize = 51;
const PER_ROUND: u32 = 2_000;

/// A purchase callback as Flitt sends it (its field order, its mix of strings and numbers),
/// test mode (with `response_signature_string`), signed with the key `test`.
fn callback_body(key: &SecretKey) -> String {
    let additional_info = r#"{\"capture_status\": null, \"capture_amount\": null, \"reservation_data\": \"{}\", \"transaction_id\": 1879541893, \"bank_response_code\": null, \"bank_response_description\": null, \"client_id\": null, \"card_type\": \"VISA\", \"card_product\": \"\", \"ipaddress_v4\": \"10.10.10.10\", \"payment_method\": \"card\", \"timeend\": \"21.10.2026 13:47:01\", \"settlement_fee\": 0.0, \"bank_name\": null}"#;
    let unsigned = concat!(
            r#"{"rrn":"429417347068","masked_card":"444455XXXXXX6666","sender_cell_phone":"+995555123456","#,
            r#""response_status":"success","sender_account":"","fee":"","rectoken_lifetime":"01.11.2028 00:00:00","#,
            r#""reversal_amount":"0","settlement_amount":"0","actual_amount":"10020","order_status":"approved","#,
            r#""response_description":"","verification_status":"","order_time":"21.10.2026 13:46:26","#,
            r#""actual_currency":"GEL","order_id":"order-2026-10-21-000042","parent_order_id":"","#,
            r#""merchant_data":"[{\"name\":\"cart\",\"value\":\"2 flat whites\"}]","tran_type":"purchase","eci":"7","#,
            r#""settlement_date":"","payment_system":"card","rectoken":"c5b1e3f1d2a4b6c8e0f2a4b6c8d0e2f4a6b8c0d2","#,
            r#""approval_code":"027440","merchant_id":1549901,"settlement_currency":"","payment_id":805243692,"#,
            r#""product_id":"","currency":"GEL","card_bin":444455,"response_code":"","card_type":"VISA","#,
            r#""amount":"10020","sender_email":"customer@example.com","signature":"SIGNATURE","#,
            r#""additional_info":"ADDITIONAL_INFO","#,
            r#""response_signature_string":"**********|10020|GEL|ADDITIONAL_INFO|027440|444455|VISA|GEL|..."}"#
    )
    .replace("ADDITIONAL_INFO", additional_info);
    let sig = sign_v1_json(key, &unsigned).expect("the callback signs");
    unsigned.replace("SIGNATURE", sig.as_str())
}

fn main() {
    let rounds = ratio::rounds(ROUNDS);
    let key = SecretKey::new("test");
    let body = callback_body(&key);
    let body = body.as_bytes();
    if let Some(path) = std::env::var_os("CALLBACK_BODY_OUT") {
        std::fs::write(path, body).expect("write the body");
    }
    let fields = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .expect("the body is JSON")
        .len();
    assert_eq!(fields, 37, "a 37-field callback");
    // Checked: it verifies, and both paths decode the same order.
    let verified = Callback::verify(body, Some("application/json"), &key).expect("it verifies");
    let floor: OrderResponse = serde_json::from_slice(body).expect("the floor decodes");
    let order = verified.order().expect("the order decodes");
    let mut floor_without_echo = floor.clone();
    floor_without_echo.extra.remove("response_signature_string");
    assert_eq!(order, floor_without_echo);
    let mut tampered = body.to_vec();
    tampered[10] ^= 1; // a digit of `rrn`
    assert!(Callback::verify(&tampered, Some("application/json"), &key).is_err());

    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(PER_ROUND)
    };
    let floor = || {
        black_box(serde_json::from_slice::<OrderResponse>(black_box(body)).is_ok());
    };
    let verify_order = || {
        let cb = Callback::verify(black_box(body), Some("application/json"), &key);
        black_box(cb.map(|cb| cb.order().is_ok()).is_ok());
    };
    let verify = || {
        black_box(Callback::verify(black_box(body), Some("application/json"), &key).is_ok());
    };
    let order = || {
        black_box(black_box(&verified).order().is_ok());
    };
    // `CALLBACK_SERVE=1`: for each line read on stdin, time PER_ROUND runs of verify + order
    // and print the nanoseconds per run, and nothing else, so that
    // scripts/measure-callback.sh can alternate them with the Python SDK's rounds.
    if std::env::var_os("CALLBACK_SERVE").is_some() {
        for _ in std::io::stdin().lines() {
            println!("{:.1}", time(&verify_order));
        }
        return;
    }
    let cases: [&dyn Fn(); 4] = [&floor, &verify_order, &verify, &order];
    // `CALLBACK_ONLY=0..3` runs one case alone, 200 000 times, for a profiler
    // (`perf stat -e instructions`), and prints nothing else.
    if let Some(only) = std::env::var("CALLBACK_ONLY")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .and_then(|c| cases.get(c))
    {
        for _ in 0..200_000 {
            only();
        }
        return;
    }
    for c in cases {
        time(c);
    }
    let mut times = vec![Vec::new(); 4];
    let mut ratios = vec![Vec::new(); 3];
    for round in 0..rounds {
        let mut t = [0.0; 4];
        // Rotate which goes first.
        for i in 0..4 {
            let c = (i + round) % 4;
            t[c] = time(cases[c]);
        }
        for c in 0..4 {
            times[c].push(t[c]);
        }
        for c in 1..4 {
            ratios[c - 1].push(t[c] / t[0]);
        }
    }
    let [floor_ns, verify_order_ns, verify_ns, order_ns] =
        [0, 1, 2, 3].map(|c| ratio::median(times[c].clone()));
    let [r_verify_order, r_verify, r_order] = [0, 1, 2].map(|c| ratio::median(ratios[c].clone()));
    println!(
        "callback: {} bytes, {fields} fields; floor serde_json::from_slice::<OrderResponse> {floor_ns:.0} ns \
         (median of {rounds} alternating rounds of {PER_ROUND})",
        body.len()
    );
    println!("verify+order / floor: {r_verify_order:.3} ({verify_order_ns:.0} ns)");
    println!("verify alone / floor: {r_verify:.3} ({verify_ns:.0} ns)");
    println!("order alone / floor: {r_order:.3} ({order_ns:.0} ns)");
}
