//! The sandbox's hosted checkout page in a real browser (headless Debian Chromium driven by
//! chromedriver over WebDriver), as a customer uses it: open the checkout URL, fill the card
//! form, submit, land on the merchant's `response_url` with a signed result, while the server
//! callback arrives signed too.
//!
//! `.ci/run` installs `chromium` and `chromium-driver` and sets `FLITT_BROWSER_TEST=required`,
//! so in CI the test runs or fails. Elsewhere, without `/usr/bin/chromedriver` (or
//! `FLITT_CHROMEDRIVER`), it says it skipped and passes.

use flitt::Client;
use flitt::api::{CheckoutUrlRequest, OrderStatus};
use flitt::callback::Callback;
use flitt::flows;
use flitt::signature::SecretKey;
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;
use flitt_tests::{Received, Recorder};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APPROVE_3DS: &str = "4444555566661111";
const DECLINE: &str = "4444111155556666";

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_pays_on_the_hosted_page_in_a_real_browser() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let browser = driver.session().await;
    let sandbox = Sandbox::start().await.unwrap();
    let client = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap();
    let merchant = Recorder::start(|r: &Received| match r.path.as_str() {
        "/thanks" => ("200 OK", "<h1 id=\"thanks\">Thank you</h1>".to_owned()),
        _ => ("200 OK", String::new()),
    })
    .await;

    // An approved 3-D Secure card: the page authenticates it and returns the customer.
    let order = flows::create_checkout(&client, &checkout(&merchant, 1250))
        .await
        .unwrap();
    browser.open(order.checkout_url()).await;
    assert_eq!(browser.title().await, "Flitt sandbox checkout");
    assert!(browser.text("h1").await.contains("12.5"));
    browser.pay(APPROVE_3DS).await;
    let landed = browser.wait_for_url(merchant.url()).await;
    assert_eq!(landed, format!("{}/thanks", merchant.url()));
    assert_eq!(browser.text("#thanks").await, "Thank you");

    // What the browser posted to response_url verifies and says approved.
    let approved = (order.order_id().to_string(), Some(OrderStatus::Approved));
    assert_eq!(signed_order(&posted_to(&merchant, "/thanks", 0)), approved);
    // So does the server callback, and the gateway agrees.
    let callback = wait_for_post(&merchant, "/callback", 0).await;
    assert_eq!(signed_order(&callback), approved);
    let paid = order.lookup(&client).await.unwrap();
    assert_eq!(paid.state_name(), "approved");
    assert_eq!(
        sandbox.order(order.order_id().as_str()).unwrap().amount,
        1250
    );

    // A declined card: the customer still returns, with a signed decline.
    let order = flows::create_checkout(&client, &checkout(&merchant, 700))
        .await
        .unwrap();
    browser.open(order.checkout_url()).await;
    browser.pay(DECLINE).await;
    browser.wait_for_url(merchant.url()).await;
    assert_eq!(
        signed_order(&posted_to(&merchant, "/thanks", 1)),
        (order.order_id().to_string(), Some(OrderStatus::Declined))
    );
    assert_eq!(
        order.lookup(&client).await.unwrap().state_name(),
        "declined"
    );
    browser.close().await;
}

fn checkout(merchant: &Recorder, minor: u64) -> CheckoutUrlRequest {
    CheckoutUrlRequest::builder()
        .order_desc("browser")
        .amount(Amount::new(minor).unwrap())
        .currency(Currency::GEL)
        .response_url(format!("{}/thanks", merchant.url()))
        .server_callback_url(format!("{}/callback", merchant.url()))
        .build()
}

/// The order id and status of a body the sandbox signed; panics unless it verifies.
fn signed_order(r: &Received) -> (String, Option<OrderStatus>) {
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    let verified = Callback::verify(&r.body, r.content_type.as_deref(), &key).unwrap();
    let order = verified.order().unwrap();
    (order.order_id.unwrap_or_default(), order.order_status)
}

/// The `n`th POST to `path` (counting from 0).
fn posted_to(merchant: &Recorder, path: &str, n: usize) -> Received {
    let posts: Vec<_> = merchant
        .received()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .collect();
    posts
        .get(n)
        .cloned()
        .unwrap_or_else(|| panic!("POST {path} #{n} not received; got {}", posts.len()))
}

async fn wait_for_post(merchant: &Recorder, path: &str, n: usize) -> Received {
    for _ in 0..100 {
        let count = merchant
            .received()
            .iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .count();
        if count > n {
            return posted_to(merchant, path, n);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    posted_to(merchant, path, n)
}

/// A chromedriver process on a free port, killed on drop.
struct ChromeDriver {
    process: Child,
    url: String,
    http: reqwest::Client,
    profile: std::path::PathBuf,
}

impl ChromeDriver {
    /// Starts chromedriver, or explains the skip (`None`); panics when CI requires it.
    async fn start() -> Option<Self> {
        let required = std::env::var("FLITT_BROWSER_TEST").as_deref() == Ok("required");
        let path = std::env::var("FLITT_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        if !std::path::Path::new(&path).exists() {
            assert!(
                !required,
                "FLITT_BROWSER_TEST=required but {path} is missing"
            );
            eprintln!("skipped: no chromedriver at {path} (apt-get install chromium-driver)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        // flitt's reqwest has no bundled crypto provider; plain HTTP still wants one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let profile = std::env::temp_dir().join(format!("flitt-chromium-{}", std::process::id()));
        // Its own process group, so that dropping the driver ends Chromium too, even when
        // the test fails before the browser session is closed.
        let process = Command::new(&path)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Self {
            process,
            url: format!("http://127.0.0.1:{port}"),
            http,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = driver
                .call(reqwest::Method::GET, "/status", None)
                .await
                .ok()
                .and_then(|v| v["ready"].as_bool());
            if ready == Some(true) {
                return Some(driver);
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start in 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One WebDriver command; its `value`.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .timeout(Duration::from_secs(30));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        let mut reply: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {}", reply["value"]));
        }
        Ok(reply["value"].take())
    }

    /// A new headless Chromium with a fresh profile and no background traffic.
    async fn session(&self) -> Browser<'_> {
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        args.push(format!("--user-data-dir={}", self.profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
        }}});
        let value = self
            .call(reqwest::Method::POST, "/session", Some(caps))
            .await
            .unwrap();
        let id = value["sessionId"].as_str().unwrap().to_owned();
        Browser {
            driver: self,
            session: format!("/session/{id}"),
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium processes it started.
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One browser session.
struct Browser<'a> {
    driver: &'a ChromeDriver,
    session: String,
}

impl Browser<'_> {
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let path = format!("{}{path}", self.session);
        self.driver.call(method, &path, body).await.unwrap()
    }

    async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn title(&self) -> String {
        let v = self.command(reqwest::Method::GET, "/title", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        // The W3C element reference key.
        v["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        let path = format!("/element/{id}/text");
        let v = self.command(reqwest::Method::GET, &path, None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        let path = format!("/element/{id}/value");
        self.command(reqwest::Method::POST, &path, Some(json!({"text": text})))
            .await;
    }

    /// Fills the card form as a customer would and presses Pay.
    async fn pay(&self, card: &str) {
        self.type_into("#card_number", card).await;
        self.type_into("#expiry_date", "1230").await;
        self.type_into("#cvv2", "123").await;
        let id = self.element("#submit").await;
        let path = format!("/element/{id}/click");
        self.command(reqwest::Method::POST, &path, Some(json!({})))
            .await;
    }

    /// Waits (at most 20 s) until the page's URL starts with `prefix`; the URL.
    async fn wait_for_url(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.command(reqwest::Method::GET, "/url", None).await;
            let url = v.as_str().unwrap_or_default().to_owned();
            if url.starts_with(prefix) {
                return url;
            }
            assert!(Instant::now() < deadline, "still at {url}, not {prefix}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn close(self) {
        self.command(reqwest::Method::DELETE, "", None).await;
    }
}
