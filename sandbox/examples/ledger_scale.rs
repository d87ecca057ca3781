//! Status lookups per second with a small and a large ledger, on 127.0.0.1 only, bounded in
//! count and time.
//!
//! ```text
//! cargo run --release -p flitt-sandbox --example ledger_scale -- ORDERS CONCURRENCY SECONDS
//! ```
//!
//! Starts an in-process sandbox (default bounds: past 100,000 orders the oldest finished are
//! evicted), creates ORDERS orders through the API (32 at a time), then looks up one of them
//! from CONCURRENCY workers for SECONDS, the same pre-signed request each time, and prints
//! `requests/s`. Before the expiry queue, every lookup walked every order under the ledger's
//! lock, so the rate fell as the ledger grew; now it should not.

use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// No lookup run goes past this many requests, whatever the duration.
const MAX_REQUESTS: u64 = 5_000_000;
/// No run creates more orders than this.
const MAX_ORDERS: u64 = 1_000_000;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or(0))
        .collect();
    let [orders, concurrency, seconds] = args[..] else {
        eprintln!("usage: ledger_scale ORDERS CONCURRENCY SECONDS");
        std::process::exit(2);
    };
    if let Err(e) = run(
        orders.clamp(1, MAX_ORDERS),
        concurrency.max(1),
        seconds.max(1),
    )
    .await
    {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn signed(mut fields: Map<String, Value>) -> String {
    fields.insert("merchant_id".into(), json!(flitt_sandbox::MERCHANT_ID));
    let key = flitt::signature::SecretKey::new(flitt_sandbox::SECRET_KEY);
    let signature = flitt::signature::sign_v1(&key, &fields).map(|s| s.as_str().to_owned());
    fields.insert("signature".into(), json!(signature.unwrap_or_default()));
    json!({ "request": fields }).to_string()
}

/// Runs `concurrency` workers posting `bodies(n)` to `url` until `deadline` or `limit`
/// requests; returns how many were answered.
async fn load(
    http: &reqwest::Client,
    url: String,
    bodies: Arc<dyn Fn(u64) -> String + Send + Sync>,
    concurrency: u64,
    deadline: Instant,
    limit: u64,
) -> Result<u64, Error> {
    let (claimed, done) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, url, bodies) = (http.clone(), url.clone(), bodies.clone());
        let (claimed, done) = (claimed.clone(), done.clone());
        workers.spawn(async move {
            loop {
                let n = claimed.fetch_add(1, Ordering::Relaxed);
                if n >= limit || Instant::now() >= deadline {
                    return Ok::<(), Error>(());
                }
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(bodies(n))
                    .send()
                    .await?;
                if !r.status().is_success() {
                    return Err(format!("HTTP {}", r.status()).into());
                }
                r.bytes().await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while let Some(w) = workers.join_next().await {
        w??;
    }
    Ok(done.load(Ordering::Relaxed))
}

async fn run(orders: u64, concurrency: u64, seconds: u64) -> Result<(), Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = flitt_sandbox::Sandbox::start().await?;
    let http = reqwest::Client::new();
    let fill_started = Instant::now();
    let created = load(
        &http,
        format!("{}/api/checkout/url", sandbox.url()),
        Arc::new(|n| {
            signed(
                json!({"order_id": format!("scale-{n}"), "order_desc": "scale", "amount": "100", "currency": "GEL"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )
        }),
        32,
        Instant::now() + Duration::from_secs(600),
        orders,
    )
    .await?;
    let in_ledger = sandbox.orders().len();
    eprintln!(
        "created {created} orders in {:.1} s; {in_ledger} in the ledger",
        fill_started.elapsed().as_secs_f64()
    );
    let lookup = signed(
        json!({"order_id": format!("scale-{}", orders - 1)})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let started = Instant::now();
    let served = load(
        &http,
        format!("{}/api/status/order_id", sandbox.url()),
        Arc::new(move |_| lookup.clone()),
        concurrency,
        Instant::now() + Duration::from_secs(seconds),
        MAX_REQUESTS,
    )
    .await?;
    let rps = served as f64 / started.elapsed().as_secs_f64();
    println!(
        "{in_ledger} orders in the ledger, concurrency {concurrency}: {rps:.0} status lookups/s"
    );
    Ok(())
}
