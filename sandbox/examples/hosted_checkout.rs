//! A hosted checkout, with the shop's server callback handled in axum.
//!
//! `cargo run -p flitt-sandbox --example hosted_checkout`
//!
//! 1. The shop creates an order (`/api/checkout/url`) naming its callback URL, and sends the
//!    customer to the checkout URL.
//! 2. The customer's browser opens the hosted page and submits its card form.
//! 3. The gateway posts the signed server callback. The shop's axum handler takes a
//!    [`VerifiedCallback`] (flitt's `axum` feature): it runs only for a body whose signature
//!    verified, and anything else gets an empty `400`.
//! 4. The handler stores each order's status by `order_id`, idempotently: a repeated delivery
//!    is a no-op, and a late `declined` (say, from an earlier attempt) never overwrites
//!    `approved`. Both are shown by delivering them by hand after the real callback.
//!
//! Everything runs on 127.0.0.1 against the embedded sandbox; the example exits non-zero if
//! anything turns out other than shown.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use flitt::api::{CheckoutUrlRequest, OrderStatus};
use flitt::callback::VerifiedCallback;
use flitt::callback::test_util::sign_callback_json;
use flitt::flows;
use flitt::signature::SecretKey;
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The shop: the key its callbacks are signed with, and what it knows of its orders.
#[derive(Clone)]
struct Shop {
    key: SecretKey,
    orders: Arc<Mutex<HashMap<String, OrderStatus>>>,
    /// What each callback did, in order of arrival.
    log: Arc<Mutex<Vec<Applied>>>,
}

/// The extractor takes the merchant key from the shop's state.
impl FromRef<Shop> for SecretKey {
    fn from_ref(shop: &Shop) -> SecretKey {
        shop.key.clone()
    }
}

/// What a callback did to the store.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Applied {
    /// The first news of the order.
    New,
    /// The order moved forward (say, `processing` to `approved`).
    Advanced,
    /// The same status again: a repeated delivery.
    Repeated,
    /// An older status than the one stored: ignored.
    Stale,
}

/// How far an order has come. A callback may move it forward, never back.
fn progress(status: &OrderStatus) -> u8 {
    match status {
        OrderStatus::Created => 1,
        OrderStatus::Processing => 2,
        OrderStatus::Declined | OrderStatus::Expired => 3,
        OrderStatus::Approved => 4,
        OrderStatus::Reversed => 5,
        // A status this SDK does not know never overrides a known one.
        _ => 0,
    }
}

impl Shop {
    fn new(key: SecretKey) -> Self {
        Self {
            key,
            orders: Arc::default(),
            log: Arc::default(),
        }
    }

    /// Records a status, monotonically.
    fn apply(&self, order_id: &str, status: OrderStatus) -> Applied {
        let mut orders = self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        let applied = match orders.get(order_id) {
            None => Applied::New,
            Some(known) if *known == status => Applied::Repeated,
            Some(known) if progress(known) >= progress(&status) => Applied::Stale,
            Some(_) => Applied::Advanced,
        };
        if matches!(applied, Applied::New | Applied::Advanced) {
            orders.insert(order_id.to_owned(), status);
        }
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(applied);
        applied
    }

    fn status(&self, order_id: &str) -> Option<OrderStatus> {
        let orders = self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        orders.get(order_id).cloned()
    }

    fn log(&self) -> Vec<Applied> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The shop's callback handler. It runs only for verified callbacks, and answers 200 for
/// every one it has stored or deliberately ignored, so the gateway stops retrying it.
async fn flitt_callback(State(shop): State<Shop>, callback: VerifiedCallback) -> StatusCode {
    let status = callback.order().ok().and_then(|order| order.order_status);
    let (Some(order_id), Some(status)) = (callback.order_id(), status) else {
        // Genuine but not an order update: nothing to store.
        return StatusCode::BAD_REQUEST;
    };
    let applied = shop.apply(order_id, status.clone());
    println!("   shop: callback for {order_id}: {status} → {applied:?}");
    StatusCode::OK
}

/// Starts the shop's server on 127.0.0.1 and returns its callback URL.
async fn start_shop(shop: Shop) -> Result<String, Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/flitt/callback", listener.local_addr()?);
    let app = Router::new()
        .route("/flitt/callback", post(flitt_callback))
        .with_state(shop);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::start().await?;
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()?;
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    let shop = Shop::new(key.clone());
    let callback_url = start_shop(shop.clone()).await?;
    println!(
        "sandbox at {}; the shop's callbacks go to {callback_url}",
        sandbox.url()
    );

    println!("\n1. the shop creates the order");
    let order = flows::create_checkout(
        &client,
        &CheckoutUrlRequest::builder()
            .order_desc("A pair of boots")
            .amount(Amount::new(12_900)?)
            .currency(Currency::GEL)
            .server_callback_url(callback_url.clone())
            .build(),
    )
    .await?;
    let order_id = order.order_id().as_str();
    println!("   order {order_id}: pay at {}", order.checkout_url());

    println!("\n2. the customer pays on the hosted page, and the gateway calls the shop back");
    let browser = reqwest::Client::new();
    let page = browser
        .get(order.checkout_url())
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let action = attribute(&page, "action").ok_or("the checkout page has no form")?;
    let pay_url = reqwest::Url::parse(order.checkout_url())?.join(&action)?;
    let card_form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("card_number", "4444555511116666"),
            ("expiry_date", "1230"),
            ("cvv2", "123"),
        ])
        .finish();
    let result = browser
        .post(pay_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(card_form)
        .send()
        .await?
        .text()
        .await?;
    ensure(
        result.contains("Payment approved"),
        "the hosted page should say the payment was approved",
    )?;
    println!("   the page says: Payment approved");

    for _ in 0..250 {
        if shop.status(order_id).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ensure(
        shop.status(order_id) == Some(OrderStatus::Approved),
        "the shop should have stored the order as approved",
    )?;
    println!("   the shop has stored the order as approved");

    println!("\n3. the same callback again, as a retry would bring it");
    let sent = sandbox
        .callbacks()
        .into_iter()
        .find(|c| c.url == callback_url)
        .ok_or("the sandbox sent no callback")?;
    ensure(
        deliver(&browser, &callback_url, sent.body.clone()).await? == 200,
        "a repeated delivery is acknowledged",
    )?;

    println!("\n4. a late, genuinely signed `declined` for the same order");
    let mut fields: Map<String, Value> = serde_json::from_slice(&sent.body)?;
    fields.remove("signature");
    fields.insert("order_status".into(), "declined".into());
    fields.insert("response_code".into(), 1000.into());
    let stale = sign_callback_json(&key, &fields)?;
    ensure(
        deliver(&browser, &callback_url, stale).await? == 200,
        "a stale callback is acknowledged",
    )?;

    println!("\n5. a forged callback (the status changed, the signature kept)");
    let forged = String::from_utf8(sent.body.clone())?.replace("\"approved\"", "\"reversed\"");
    let status = deliver(&browser, &callback_url, forged.into_bytes()).await?;
    println!("   the extractor answers {status}; the handler never runs");
    ensure(status == 400, "a forged callback is refused")?;

    let stored = shop.status(order_id);
    println!(
        "\nthe shop's record: {order_id} is {stored:?}; callbacks did {:?}",
        shop.log()
    );
    ensure(
        stored == Some(OrderStatus::Approved),
        "the order stays approved",
    )?;
    ensure(
        shop.log() == [Applied::New, Applied::Repeated, Applied::Stale],
        "one new, one repeated, one stale callback",
    )?;
    let gateway = order.lookup(&client).await?;
    ensure(
        gateway.state_name() == "approved",
        "the gateway agrees the order is approved",
    )?;
    println!("the gateway agrees: {}", gateway.state_name());
    Ok(())
}

/// Posts a callback body to the shop as the gateway does; returns the HTTP status.
async fn deliver(http: &reqwest::Client, url: &str, body: Vec<u8>) -> Result<u16, Error> {
    let reply = http
        .post(url)
        .header("content-type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await?;
    Ok(reply.status().as_u16())
}

/// The first value of an HTML attribute in a page (`action="…"`).
fn attribute(page: &str, name: &str) -> Option<String> {
    let marker = format!("{name}=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].replace("&amp;", "&"))
}

/// Fails the example with `what` unless `condition` holds.
fn ensure(condition: bool, what: &str) -> Result<(), Error> {
    if condition {
        Ok(())
    } else {
        Err(format!("unexpected: {what}").into())
    }
}
