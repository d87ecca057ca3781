//! The sandbox's pages in a real browser (headless Debian Chromium driven by chromedriver over
//! WebDriver): the hosted checkout page as a customer uses it (the order and its amount, the
//! test cards that fill the form, a way back to the shop; pay, land on the merchant's
//! `response_url` with a signed result while the server callback arrives signed too), the ACS
//! page of a direct 3-D Secure payment, the dashboard (a paid order, its callback, a resend),
//! and the redirect checkout's form (`flitt::checkout_form`) submitting itself and landing on
//! the hosted page. Each page is also saved as a screenshot under `target/screenshots/`, for a
//! person to look at; the tests assert on the pages' content, not on pixels.
//!
//! `.ci/run` installs `chromium` and `chromium-driver` and sets `FLITT_BROWSER_TEST=required`,
//! so in CI the test runs or fails. Elsewhere, without `/usr/bin/chromedriver` (or
//! `FLITT_CHROMEDRIVER`), it says it skipped and passes.

use flitt::Client;
use flitt::api::{CheckoutUrlRequest, OrderStatus, ThreeDsStep1Request};
use flitt::callback::Callback;
use flitt::checkout_form::CheckoutForm;
use flitt::flows;
use flitt::signature::SecretKey;
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;
use flitt_tests::{Received, Recorder};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
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
    // The page shows the order, the amount in the currency's units, the test cards, and a
    // way back to the shop (response_url: no cancel_url was given).
    assert_eq!(browser.text("#order-desc").await, "browser");
    assert_eq!(browser.text("#amount").await, "12.50 GEL");
    assert_eq!(browser.text("#submit").await, "Pay 12.50 GEL");
    assert_eq!(browser.text("label[for=card_number]").await, "Card number");
    let cards = browser.text("#test-cards").await;
    assert!(cards.contains("4444 5555 6666 1111"), "{cards}");
    assert!(cards.contains("VISA · approved, 3-D Secure"), "{cards}");
    assert!(cards.contains("VISA · declined"), "{cards}");
    assert_eq!(
        browser.attribute("#cancel", "href").await,
        format!("{}/thanks", merchant.url())
    );
    let shot = browser.screenshot("checkout").await;
    eprintln!("checkout page: {}", shot.display());
    // Clicking a test card fills the form; Pay sends it.
    browser
        .click(&format!("button[data-card=\"{APPROVE_3DS}\"]"))
        .await;
    assert_eq!(browser.property("#card_number", "value").await, APPROVE_3DS);
    assert_eq!(browser.property("#expiry_date", "value").await, "1230");
    browser.click("#submit").await;
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

#[tokio::test(flavor = "multi_thread")]
async fn the_acs_page_names_the_card_and_amount_and_approves_in_a_real_browser() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let browser = driver.session().await;
    let sandbox = Sandbox::start().await.unwrap();
    let client = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap();
    // The merchant's page that sends the customer to the ACS, set once step 1 is known.
    let start_page = Arc::new(Mutex::new(String::new()));
    let page = start_page.clone();
    let merchant = Recorder::start(move |r: &Received| match r.path.as_str() {
        "/3ds-start" => ("200 OK", page.lock().unwrap().clone()),
        "/3ds-return" => ("200 OK", "<h1 id=\"back\">Back at the shop</h1>".to_owned()),
        _ => ("200 OK", String::new()),
    })
    .await;
    let request = ThreeDsStep1Request::builder()
        .order_desc("Hotel deposit")
        .amount(Amount::new(999).unwrap())
        .currency(Currency::GEL)
        .card_number(APPROVE_3DS)
        .expiry_date("1230")
        .cvv2("123")
        .build();
    let flows::StepOne::ThreeDs(pending) = flows::pay_direct(&client, &request).await.unwrap()
    else {
        panic!("a 3-D Secure card asks for 3-D Secure");
    };
    *start_page.lock().unwrap() = pending.acs_form(&format!("{}/3ds-return", merchant.url()));
    browser.open(&format!("{}/3ds-start", merchant.url())).await;
    browser.wait_for_url(sandbox.url()).await;
    assert_eq!(browser.title().await, "Sandbox ACS");
    assert_eq!(browser.text("#acs-card").await, "444455XXXXXX1111");
    assert_eq!(browser.text("#acs-amount").await, "9.99 GEL");
    assert!(browser.text("#fail").await.contains("Fail"));
    let shot = browser.screenshot("acs").await;
    eprintln!("ACS page: {}", shot.display());
    browser.click("#approve").await;
    browser
        .wait_for_url(&format!("{}/3ds-return", merchant.url()))
        .await;
    // What the ACS posted back completes the payment.
    let posted = posted_to(&merchant, "/3ds-return", 0);
    let fields: Vec<(String, String)> = form_urlencoded::parse(&posted.body).into_owned().collect();
    let completed = pending
        .complete(
            &client,
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .await
        .unwrap();
    assert!(matches!(completed, flows::Completed::Approved(_)));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_a_paid_order_and_resends_its_callback_in_a_real_browser() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let browser = driver.session().await;
    let sandbox = Sandbox::start().await.unwrap();
    let client = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap();
    let shop =
        Recorder::start(|_: &Received| ("200 OK", "<h1 id=\"thanks\">Thank you</h1>".to_owned()))
            .await;
    // The callbacks go to a server the browser never visits: a Recorder serves one connection
    // at a time, and an idle connection Chromium opens ahead to a site it has seen would hold
    // up the callbacks behind it.
    let backend = Recorder::start(|_: &Received| ("200 OK", "OK".to_owned())).await;

    // A customer pays on the checkout page, typing the card (the form needs no script).
    let request = CheckoutUrlRequest::builder()
        .order_desc("dashboard")
        .amount(Amount::new(4200).unwrap())
        .currency(Currency::GEL)
        .response_url(format!("{}/thanks", shop.url()))
        .server_callback_url(format!("{}/callback", backend.url()))
        .build();
    let order = flows::create_checkout(&client, &request).await.unwrap();
    let order_id = order.order_id().to_string();
    browser.open(order.checkout_url()).await;
    browser.pay(APPROVE_3DS).await;
    browser.wait_for_url(shop.url()).await;
    wait_for_post(&backend, "/callback", 0).await;
    // The sandbox records the try once the merchant's answer is read.
    let deadline = Instant::now() + Duration::from_secs(20);
    while sandbox
        .callbacks_for(&order_id)
        .first()
        .is_none_or(|c| c.tries.len() != 1 || c.in_flight)
    {
        assert!(
            Instant::now() < deadline,
            "the callback's try was not recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The dashboard lists it, paid, with its amount.
    browser.open(&format!("{}/", sandbox.url())).await;
    assert_eq!(browser.title().await, "Flitt sandbox dashboard");
    let row = format!("tr[data-order-id=\"{order_id}\"]");
    let listed = browser.text(&row).await;
    assert!(listed.contains("approved"), "{listed}");
    assert!(listed.contains("42.00"), "{listed}");
    let shot = browser.screenshot("dashboard").await;
    eprintln!("dashboard: {}", shot.display());

    // Its page: the history and one delivered try; Resend adds a second.
    browser.click(&format!("{row} a")).await;
    assert_eq!(browser.text("#order-id").await, order_id);
    let history = browser.text("#history").await;
    assert!(
        history.contains("3ds_pending") && history.contains("approved"),
        "{history}"
    );
    assert_eq!(browser.count("tr.try").await, 1);
    let id = sandbox.callbacks_for(&order_id)[0].id;
    browser.click(&format!("#resend-{id}")).await;
    let back = browser
        .wait_for_url(&format!("{}/sandbox/dashboard/orders/", sandbox.url()))
        .await;
    assert!(back.contains(&order_id), "{back}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while browser.count("tr.try").await != 2 {
        assert!(Instant::now() < deadline, "no second try on the page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tries = browser.text(&format!("#callback-{id}")).await;
    assert!(tries.contains("resend") && tries.contains("200"), "{tries}");
    let shot = browser.screenshot("dashboard-order").await;
    eprintln!("order page: {}", shot.display());
    // The merchant got the callback twice: once on payment, once on the resend.
    wait_for_post(&backend, "/callback", 1).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_redirect_form_auto_submits_in_a_real_browser_and_lands_on_the_checkout_page() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let browser = driver.session().await;
    let sandbox = Sandbox::start().await.unwrap();
    let client = Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()
        .unwrap();
    // The shop's page is the SDK's form and nothing else: no button is clicked, the form's
    // own script posts it to the gateway, which redirects to the hosted page.
    let request = CheckoutUrlRequest::builder()
        .order_desc("Redirect \"checkout\" <form>")
        .amount(Amount::new(1599).unwrap())
        .currency(Currency::GEL)
        .build();
    let page = CheckoutForm::new(&client, &request)
        .unwrap()
        .auto_submit(true)
        .to_page("Shop");
    let shop = Recorder::start(move |r: &Received| match r.path.as_str() {
        "/pay" => ("200 OK", page.clone()),
        _ => ("404 Not Found", String::new()),
    })
    .await;
    browser.open(&format!("{}/pay", shop.url())).await;
    let landed = browser
        .wait_for_url(&format!("{}/sandbox/checkout/", sandbox.url()))
        .await;
    assert_eq!(browser.title().await, "Flitt sandbox checkout");
    assert_eq!(
        browser.text("#order-desc").await,
        "Redirect \"checkout\" <form>"
    );
    assert_eq!(browser.text("#amount").await, "15.99 GEL");
    let shot = browser.screenshot("redirect-checkout").await;
    eprintln!(
        "checkout page after the redirect form ({landed}): {}",
        shot.display()
    );
    let order = sandbox.order(request.order_id.as_str()).unwrap();
    assert_eq!((order.amount, order.currency.as_str()), (1599, "GEL"));
    // The browser posted the form once: one order, and the shop served one page.
    assert_eq!(sandbox.orders().len(), 1);
    assert_eq!(
        shop.received().iter().filter(|r| r.path == "/pay").count(),
        1
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
        // One profile per driver: the tests in this file run at once, and two Chromiums on
        // one profile share a browser (one test then sees the other's pages).
        let profile =
            std::env::temp_dir().join(format!("flitt-chromium-{}-{port}", std::process::id()));
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
            // Room for a whole payment page in the screenshots.
            "--window-size=1280,1100",
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

    /// An attribute of the first element matching `css`, as the page has it.
    async fn attribute(&self, css: &str, name: &str) -> String {
        let id = self.element(css).await;
        let path = format!("/element/{id}/attribute/{name}");
        let v = self.command(reqwest::Method::GET, &path, None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// A property of the first element matching `css` (an input's current `value`).
    async fn property(&self, css: &str, name: &str) -> String {
        let id = self.element(css).await;
        let path = format!("/element/{id}/property/{name}");
        let v = self.command(reqwest::Method::GET, &path, None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        let path = format!("/element/{id}/click");
        self.command(reqwest::Method::POST, &path, Some(json!({})))
            .await;
    }

    /// How many elements match `css`.
    async fn count(&self, css: &str) -> usize {
        let v = self
            .command(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array().map_or(0, Vec::len)
    }

    /// Saves a screenshot of the page as `target/screenshots/NAME.png` and returns its path;
    /// panics unless it is a PNG with something in it.
    async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let v = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let png = base64_decode(v.as_str().unwrap_or_default());
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{name}: not a PNG ({} bytes)",
            png.len()
        );
        // A blank page still makes a small PNG; a rendered page is tens of kilobytes.
        assert!(png.len() > 2_000, "{name}: {} bytes", png.len());
        let dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
            .join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).unwrap();
        path
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

/// Standard base64 (WebDriver's screenshot encoding), padding and whitespace ignored; panics
/// on any other byte.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let value = ALPHABET
            .iter()
            .position(|a| *a == b)
            .unwrap_or_else(|| panic!("not base64: {b:#x}"));
        acc = (acc << 6) | u32::try_from(value).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

#[test]
fn base64_decodes_the_standard_alphabet() {
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
    assert_eq!(base64_decode("aGVsbG8gd29ybGQ="), b"hello world");
    assert_eq!(base64_decode(""), b"");
}
