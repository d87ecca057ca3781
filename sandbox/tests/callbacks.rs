//! Server callbacks under concurrency: one delivery per order when the merchant answers 200,
//! and one try per due time of Flitt's retry schedule when it does not.

mod common;

use common::*;
use flitt_sandbox::{CALLBACK_RETRIES, Sandbox};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A merchant on 127.0.0.1 that counts the callbacks it gets per order id and answers
/// `status` to each.
struct Merchant {
    url: String,
    counts: Arc<Mutex<HashMap<String, u32>>>,
}

impl Merchant {
    async fn start(status: u16) -> Self {
        let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let seen = counts.clone();
        let app = axum::Router::new().route(
            "/cb",
            axum::routing::post(move |body: axum::body::Bytes| {
                let seen = seen.clone();
                async move {
                    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                    let id = v["order_id"].as_str().unwrap_or("?").to_owned();
                    *seen.lock().unwrap().entry(id).or_default() += 1;
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cb", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, counts }
    }

    fn counts(&self) -> HashMap<String, u32> {
        self.counts.lock().unwrap().clone()
    }

    fn total(&self) -> u32 {
        self.counts().values().sum()
    }
}

/// Waits until `done` holds, `limit` at most; returns whether it did.
async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payments_each_deliver_one_callback() {
    const N: usize = 200;
    let sandbox = Sandbox::start().await.unwrap();
    let merchant = Merchant::start(200).await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/3dsecure_step1", sandbox.url());
    let mut payments = tokio::task::JoinSet::new();
    for i in 0..N {
        let (http, url, body) = (
            http.clone(),
            url.clone(),
            pay_body_with(&format!("storm-{i}"), Some(&merchant.url)),
        );
        payments.spawn(async move {
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            let text = r.text().await.unwrap();
            assert!(text.contains("\"approved\""), "{text}");
        });
    }
    tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(r) = payments.join_next().await {
            r.unwrap();
        }
    })
    .await
    .expect("200 payments within 15 s");
    let all_delivered = wait_until(Duration::from_secs(10), || {
        let cbs = sandbox.callbacks();
        cbs.len() == N && cbs.iter().all(|c| c.delivered)
    })
    .await;
    assert!(
        all_delivered,
        "not all delivered within 10 s; the merchant got {} callbacks",
        merchant.total()
    );
    // Stragglers from concurrent deliveries would arrive now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let counts = merchant.counts();
    assert_eq!(counts.len(), N, "every order called back");
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    assert!(sandbox.callbacks().iter().all(|c| c.attempts == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_callback_is_tried_once_per_due_time_under_concurrent_deliveries() {
    let sandbox = Arc::new(Sandbox::start().await.unwrap());
    let merchant = Merchant::start(500).await;
    let (reply, _) = raw(
        &addr(sandbox.url()),
        "/api/3dsecure_step1",
        &pay_body_with("retry", Some(&merchant.url)),
    )
    .await;
    assert!(reply.starts_with(b"HTTP/1.1 200"));
    // Many deliveries at once, as every event spawns one.
    let storm = |sandbox: &Arc<Sandbox>| {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let s = sandbox.clone();
            set.spawn(async move { s.deliver_callbacks().await });
        }
        set
    };
    let attempts = || sandbox.callbacks()[0].attempts;
    storm(&sandbox).join_all().await;
    assert!(wait_until(Duration::from_secs(5), || attempts() >= 1).await);
    assert_eq!(attempts(), 1, "the first try, once");
    storm(&sandbox).join_all().await;
    assert_eq!(attempts(), 1, "nothing more is due yet");
    assert_eq!(merchant.total(), 1);
    let mut expected = 1;
    for delay in CALLBACK_RETRIES {
        // Just before the due time: nothing.
        sandbox.advance(Duration::from_secs(delay - 1)).await;
        storm(&sandbox).join_all().await;
        assert_eq!(attempts(), expected, "not due before {delay} s");
        // At the due time, with deliveries racing the one `advance` starts: one try.
        let racing = storm(&sandbox);
        sandbox.advance(Duration::from_secs(1)).await;
        racing.join_all().await;
        storm(&sandbox).join_all().await;
        expected += 1;
        assert_eq!(attempts(), expected, "one try after {delay} s");
        assert_eq!(merchant.total(), expected);
    }
    // The schedule is spent: no more tries, ever.
    sandbox.advance(Duration::from_secs(10 * 86_400)).await;
    storm(&sandbox).join_all().await;
    let cb = &sandbox.callbacks()[0];
    assert_eq!(cb.attempts, 1 + CALLBACK_RETRIES.len() as u32);
    assert!(!cb.delivered && !cb.in_flight);
    assert_eq!(cb.last_status, 500);
    assert_eq!(merchant.total(), cb.attempts);
}
