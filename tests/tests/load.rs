//! Load with faults: 1,000 orders at concurrency 32 through the typed client against the
//! sandbox on 127.0.0.1, with seeded random faults on every API path (errors before and after
//! the ledger, dropped and reset connections, cut, HTML, forged and unsigned replies, held
//! replies past the client's timeout).
//!
//! Each order is held, then either voided or captured and refunded in two parts. A money call
//! whose outcome is unknown is repeated with the same parameters (the same `reverse_id`), as a
//! careful merchant would, until it has an answer. At the end the ledger and the client's view
//! agree order by order: no money lost, doubled or invented, each `reverse_id` applied once,
//! and every callback delivered exactly once (the merchant's server always answers 200).
//!
//! `FLITT_LOAD_ORDERS` changes the number of orders; the figures are printed
//! (`cargo test -p flitt-tests --test load -- --nocapture`).

use flitt::api::{CaptureRequest, OrderStatus, ReverseRequest, StatusRequest, ThreeDsStep1Request};
use flitt::types::{Amount, Currency, OrderId};
use flitt::{Client, Error};
use flitt_sandbox::ledger::Status;
use flitt_sandbox::{Fault, Sandbox};
use flitt_tests::{RawAnswer, Recorder};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APPROVE: &str = "4444555511116666";
const CONCURRENCY: usize = 32;
/// A money call is repeated at most this often while its outcome stays unknown.
const MAX_TRIES: u32 = 12;

/// What the client believes about one order.
#[derive(Debug, Default, Clone)]
struct View {
    paid: bool,
    hold: u64,
    captured: u64,
    refunded: u64,
    voided: bool,
    reverse_ids: BTreeSet<String>,
}

#[derive(Default)]
struct Figures {
    requests: AtomicU64,
    unknown: AtomicU64,
    repeats: AtomicU64,
}

fn amount(n: u64) -> Amount {
    Amount::new(n).unwrap()
}

/// Sends a money call until its outcome is known: `Ok`, or a refusal. An unknown outcome is
/// repeated with the same request, which Flitt applies once.
async fn settle<R: flitt::request::ApiRequest>(
    client: &Client,
    request: &R,
    figures: &Figures,
) -> Result<R::Response, Error> {
    for attempt in 1..=MAX_TRIES {
        figures.requests.fetch_add(1, Ordering::Relaxed);
        match client.send(request).await {
            Err(Error::OutcomeUnknown(u)) => {
                figures.unknown.fetch_add(1, Ordering::Relaxed);
                assert!(u.order_id.is_some(), "an unknown outcome names its order");
                if attempt > 1 {
                    figures.repeats.fetch_add(1, Ordering::Relaxed);
                }
            }
            other => return other,
        }
    }
    panic!("still unknown after {MAX_TRIES} tries")
}

async fn one_order(client: &Client, i: u64, callback_url: &str, figures: &Figures) -> View {
    let id = OrderId::new(format!("load-{i}")).unwrap();
    let hold = 1_000 + i;
    let pay = ThreeDsStep1Request::builder()
        .order_id(id.clone())
        .order_desc("load")
        .amount(amount(hold))
        .currency(Currency::GEL)
        .card_number(APPROVE)
        .expiry_date("1230")
        .cvv2("123")
        .preauth(true)
        .server_callback_url(callback_url)
        .build();
    let mut view = View::default();
    let paid = match settle(client, &pay, figures).await {
        Ok(reply) => reply.order_status == Some(OrderStatus::Approved),
        // A repeat after an applied attempt: the order exists (1013); look it up.
        Err(e) if e.gateway().and_then(|g| g.code) == Some(1013) => {
            let lookup = StatusRequest::builder().order_id(id.clone()).build();
            figures.requests.fetch_add(1, Ordering::Relaxed);
            client.send(&lookup).await.expect("a lookup").order_status
                == Some(OrderStatus::Approved)
        }
        Err(e) => panic!("order {i}: {e}"),
    };
    if !paid {
        return view;
    }
    view.paid = true;
    view.hold = hold;
    let reverse = |amount_: u64, reverse_id: String| {
        ReverseRequest::builder()
            .order_id(id.clone())
            .amount(amount(amount_))
            .currency(Currency::GEL)
            .reverse_id(reverse_id)
            .build()
    };
    if i % 3 == 0 {
        let void_id = format!("void-{i}");
        settle(client, &reverse(hold, void_id.clone()), figures)
            .await
            .unwrap_or_else(|e| panic!("void {i}: {e}"));
        view.voided = true;
        view.refunded = hold;
        view.reverse_ids.insert(void_id);
        return view;
    }
    let capture = CaptureRequest::builder()
        .order_id(id.clone())
        .amount(amount(hold))
        .currency(Currency::GEL)
        .build();
    settle(client, &capture, figures)
        .await
        .unwrap_or_else(|e| panic!("capture {i}: {e}"));
    view.captured = hold;
    for part in 1..=2 {
        let reverse_id = format!("r-{i}-{part}");
        settle(client, &reverse(100, reverse_id.clone()), figures)
            .await
            .unwrap_or_else(|e| panic!("refund {i}/{part}: {e}"));
        view.refunded += 100;
        view.reverse_ids.insert(reverse_id);
    }
    view
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_under_random_faults_keep_the_books_exact() {
    let orders: u64 = std::env::var("FLITT_LOAD_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let started = Instant::now();
    let sandbox = Sandbox::start().await.unwrap();
    let merchant = Recorder::start_raw(|_| RawAnswer {
        status: "200 OK",
        content_type: "text/plain",
        body: b"OK".to_vec(),
    })
    .await;
    let callback_url = format!("{}/callback", merchant.url());
    sandbox.random_faults(
        0.05,
        42,
        vec![
            Fault::ErrorBeforeLedger,
            Fault::ErrorAfterLedger,
            Fault::DropConnection,
            Fault::ConnectionReset,
            Fault::TruncatedBody,
            Fault::HtmlBody,
            Fault::BadSignature,
            Fault::MissingSignature,
            Fault::Hold(Duration::from_millis(1_500)),
        ],
    );
    let client = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .timeout(Duration::from_millis(1_000))
        .retry_policy(flitt::client::RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
        })
        .build()
        .unwrap();

    let next = Arc::new(AtomicUsize::new(0));
    let views = Arc::new(Mutex::new(BTreeMap::new()));
    let figures = Arc::new(Figures::default());
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, next, views, figures, url) = (
                client.clone(),
                next.clone(),
                views.clone(),
                figures.clone(),
                callback_url.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as u64;
                    if i >= orders {
                        return;
                    }
                    let view = one_order(&client, i, &url, &figures).await;
                    views.lock().unwrap().insert(format!("load-{i}"), view);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("a worker panicked");
    }
    sandbox.clear_faults();

    // The books, order by order.
    let views = views.lock().unwrap().clone();
    assert_eq!(views.len() as u64, orders);
    let (mut ledger_held, mut client_held, mut ledger_back, mut client_back) = (0, 0, 0, 0);
    for (id, view) in &views {
        let order = sandbox.order(id);
        if !view.paid {
            assert!(
                order.as_ref().is_none_or(|o| o.status != Status::Approved),
                "{id}: the ledger charged an order the client saw fail: {order:?}"
            );
            continue;
        }
        let order = order.unwrap_or_else(|| panic!("{id}: paid but not in the ledger"));
        assert_eq!(order.amount, view.hold, "{id}");
        assert_eq!(
            order.capture_amount.unwrap_or(0),
            view.captured,
            "{id}: {order:?}"
        );
        assert_eq!(order.reversal_amount, view.refunded, "{id}: {order:?}");
        let applied: BTreeSet<String> = order.reverse_ids.keys().cloned().collect();
        assert_eq!(applied, view.reverse_ids, "{id}: each reverse_id once");
        if view.voided {
            assert_eq!(order.status, Status::Reversed, "{id}");
        }
        ledger_held += order.amount;
        client_held += view.hold;
        ledger_back += order.reversal_amount;
        client_back += view.refunded;
    }
    assert_eq!((ledger_held, ledger_back), (client_held, client_back));
    // Nothing invented: the ledger has no order the client did not make.
    assert!(
        sandbox
            .orders()
            .iter()
            .all(|o| views.contains_key(&o.order_id)),
        "an order nobody asked for"
    );

    // Callbacks: every one the sandbox queued is delivered exactly once.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        sandbox.deliver_callbacks().await;
        let log = sandbox.callbacks();
        let delivered = log.iter().filter(|c| c.delivered).count();
        if delivered == log.len() && merchant.received().len() == log.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "callbacks: {delivered} of {} delivered, {} received",
            log.len(),
            merchant.received().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = sandbox.callbacks();
    assert!(
        log.iter().all(|c| c.attempts == 1),
        "one try each: the merchant answers 200"
    );
    let mut sent: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    for c in &log {
        *sent.entry(c.body.clone()).or_default() += 1;
    }
    let mut received: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    for r in merchant.received() {
        *received.entry(r.body).or_default() += 1;
    }
    assert_eq!(sent, received, "each callback arrived once, as queued");

    let paid = views.values().filter(|v| v.paid).count();
    println!(
        "orders {orders} (paid {paid}) | money requests {} | unknown outcomes {} (repeated {}) | callbacks {} | violations 0 | {:.1} s",
        figures.requests.load(Ordering::Relaxed),
        figures.unknown.load(Ordering::Relaxed),
        figures.repeats.load(Ordering::Relaxed),
        log.len(),
        started.elapsed().as_secs_f64()
    );
}
