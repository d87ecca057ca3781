//! Throughput of status lookups, bounded in count and time, on 127.0.0.1 only.
//!
//! ```text
//! throughput client URL CONCURRENCY SECONDS   # the SDK's Client::send(StatusRequest) against URL
//! throughput post URL CONCURRENCY SECONDS [BODY]  # bare reqwest POSTs of BODY (or nothing) to URL
//! throughput servers CONCURRENCY SECONDS      # the sandbox vs a hello-world axum handler, same load generator
//! throughput status-body URL                   # creates an order at URL, prints a signed status request body
//! throughput hello SECONDS                     # serves the hello-world handler alone for SECONDS, prints its URL
//! ```
//!
//! `client`, `post` and `servers` print `requests/s`. `status-body` and `hello` are for
//! `post` and an outside load generator (`wrk`): the body to post to
//! `URL/api/status/order_id`, and the hello-world server to compare with, on the same runtime
//! as `flitt sandbox` (multi-threaded, a worker per core). Used by
//! `scripts/measure-throughput.sh`.

use flitt::api::{CheckoutUrlRequest, StatusRequest};
use flitt::request::ApiRequest;
use flitt::types::{Amount, Currency};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// No run goes past this many requests, whatever the duration.
const MAX_REQUESTS: u64 = 2_000_000;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("client") if args.len() == 4 => client(&args[1], parse(&args[2]), parse(&args[3])).await,
        Some("post") if matches!(args.len(), 4 | 5) => {
            let body = args.get(4).cloned().unwrap_or_default();
            post(&args[1], parse(&args[2]), parse(&args[3]), body).await
        }
        Some("servers") if args.len() == 3 => servers(parse(&args[1]), parse(&args[2])).await,
        Some("status-body") if args.len() == 2 => status_body(&args[1]).await,
        Some("hello") if args.len() == 2 => hello(parse(&args[1])).await,
        _ => Err("usage: throughput client URL CONCURRENCY SECONDS | throughput post URL CONCURRENCY SECONDS [BODY] | throughput servers CONCURRENCY SECONDS | throughput status-body URL | throughput hello SECONDS".into()),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn parse(s: &str) -> u64 {
    s.parse().unwrap_or_else(|_| {
        eprintln!("error: {s} is not a number");
        std::process::exit(2)
    })
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs `concurrency` workers calling `op` until `seconds` pass; returns requests per second.
async fn load<F, Fut>(concurrency: u64, seconds: u64, op: F) -> Result<f64, Error>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), Error>> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (op, done) = (op.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline && done.load(Ordering::Relaxed) < MAX_REQUESTS {
                op().await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), Error>(())
        }));
    }
    for w in workers {
        w.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

async fn client(url: &str, concurrency: u64, seconds: u64) -> Result<(), Error> {
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(url)
        .build()?;
    let order = CheckoutUrlRequest::builder()
        .order_desc("throughput")
        .amount(Amount::new(100)?)
        .currency(Currency::GEL)
        .build();
    client.send(&order).await?;
    let status = Arc::new(
        StatusRequest::builder()
            .order_id(order.order_id.clone())
            .build(),
    );
    let rps = load(concurrency, seconds, move || {
        let (client, status) = (client.clone(), status.clone());
        async move {
            client.send(&*status).await?;
            Ok(())
        }
    })
    .await?;
    println!("rust client, concurrency {concurrency}: {rps:.0} requests/s");
    Ok(())
}

/// A hello-world axum app: the baseline a server's throughput is compared with.
fn hello_app() -> axum::Router {
    axum::Router::new().route("/hello", axum::routing::post(|| async { "hello" }))
}

/// The JSON body of a signed protocol 1.0 status request for `order_id`, as the SDK sends it.
fn signed_status_body(order_id: &flitt::types::OrderId) -> String {
    let status = StatusRequest::builder().order_id(order_id.clone()).build();
    let key = flitt::signature::SecretKey::new(flitt_sandbox::SECRET_KEY);
    let mut fields: serde_json::Map<String, serde_json::Value> = status
        .wire_params(flitt_sandbox::MERCHANT_ID)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    fields.insert(
        "signature".into(),
        status
            .sign_v1(flitt_sandbox::MERCHANT_ID, &key)
            .as_str()
            .into(),
    );
    serde_json::json!({ "request": fields }).to_string()
}

/// Creates an order at `url` and prints a signed status request body for it, checked once
/// against `url` first.
async fn status_body(url: &str) -> Result<(), Error> {
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(url)
        .build()?;
    let order = CheckoutUrlRequest::builder()
        .order_desc("throughput")
        .amount(Amount::new(100)?)
        .currency(Currency::GEL)
        .build();
    client.send(&order).await?;
    let body = signed_status_body(&order.order_id);
    let reply = bare_client()?
        .post(format!("{url}/api/status/order_id"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await?
        .text()
        .await?;
    if !reply.contains("\"response_status\":\"success\"") {
        return Err(format!("the status request was refused: {reply}").into());
    }
    println!("{body}");
    Ok(())
}

/// A plain reqwest client whose every request ends within 10 s, so a stalled server cannot
/// hold a load loop past its time.
fn bare_client() -> Result<reqwest::Client, Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// One POST of [`poster`]'s, under way.
type Posted = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>;

/// A load generator's operation: POST `body` to `url` with a bare reqwest client, read the
/// whole reply, refuse a status other than 2xx.
fn poster(
    http: &reqwest::Client,
    url: String,
    body: String,
) -> impl Fn() -> Posted + Clone + Send + Sync + 'static {
    let http = http.clone();
    move || {
        let (http, url, body) = (http.clone(), url.clone(), body.clone());
        Box::pin(async move {
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            if !r.status().is_success() {
                return Err(format!("HTTP {}", r.status()).into());
            }
            r.bytes().await?;
            Ok(())
        })
    }
}

/// Bare reqwest POSTs of `body` to `url`. Against the hello-world server (run by `hello` in
/// another process), what any client built on reqwest reaches against the lightest server: the
/// ceiling of the client's rows. Against the sandbox with a signed status body (from
/// `status-body`), the client's rows without the SDK's own work.
async fn post(url: &str, concurrency: u64, seconds: u64, body: String) -> Result<(), Error> {
    let http = bare_client()?;
    let rps = load(concurrency, seconds, poster(&http, url.to_owned(), body)).await?;
    println!("bare reqwest post, concurrency {concurrency}: {rps:.0} requests/s");
    Ok(())
}

/// Serves the hello-world app on 127.0.0.1 for `seconds`, after printing its URL.
async fn hello(seconds: u64) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("http://{}/hello", listener.local_addr()?);
    let served = axum::serve(listener, hello_app());
    let _ = tokio::time::timeout(Duration::from_secs(seconds), served).await;
    Ok(())
}

async fn servers(concurrency: u64, seconds: u64) -> Result<(), Error> {
    // A hello-world axum handler on its own port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hello_url = format!("http://{}/hello", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, hello_app()).await;
    });
    let sandbox = flitt_sandbox::Sandbox::start().await?;
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()?;
    let order = CheckoutUrlRequest::builder()
        .order_desc("throughput")
        .amount(Amount::new(100)?)
        .currency(Currency::GEL)
        .build();
    client.send(&order).await?;
    // One signed status request body, sent as is by the same load generator as for hello.
    let body = signed_status_body(&order.order_id);
    let http = bare_client()?;
    let hello = load(
        concurrency,
        seconds,
        poster(&http, hello_url, String::new()),
    )
    .await?;
    let sandbox_rps = load(
        concurrency,
        seconds,
        poster(
            &http,
            format!("{}/api/status/order_id", sandbox.url()),
            body,
        ),
    )
    .await?;
    println!("hello-world axum, concurrency {concurrency}: {hello:.0} requests/s");
    println!(
        "sandbox status lookups, concurrency {concurrency}: {sandbox_rps:.0} requests/s ({:.2} of hello-world)",
        sandbox_rps / hello
    );
    Ok(())
}
