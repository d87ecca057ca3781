//! The control API (`/sandbox/control`) and the dashboard over HTTP: every endpoint, bad input
//! refused with a clear 4xx and nothing changed, hostile text escaped, GET views that change
//! nothing, and the Rust API agreeing with the HTTP one.

mod common;

use common::*;
use flitt::types::{Date, DateTime};
use flitt_sandbox::Sandbox;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A plain HTTP client on the sandbox that does not follow redirects.
struct Http {
    http: reqwest::Client,
    base: String,
}

impl Http {
    fn new(sandbox: &Sandbox) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: sandbox.url().to_owned(),
        }
    }

    async fn send(&self, r: reqwest::RequestBuilder) -> (u16, String, Option<String>) {
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        (status, r.text().await.unwrap(), location)
    }

    /// A control call: status and JSON answer (a non-JSON answer fails the test).
    async fn json(&self, method: reqwest::Method, path: &str, body: &str) -> (u16, Value) {
        let (status, text, _) = self
            .send(
                self.http
                    .request(method, format!("{}{path}", self.base))
                    .body(body.to_owned()),
            )
            .await;
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        (status, v)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.json(reqwest::Method::GET, path, "").await
    }

    async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        self.json(reqwest::Method::POST, path, body).await
    }

    /// A page: status and HTML.
    async fn page(&self, path: &str) -> (u16, String) {
        let (status, text, _) = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await;
        (status, text)
    }

    /// A dashboard button: status, `Location`, body.
    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let (status, text, location) = self
            .send(
                self.http
                    .post(format!("{}{path}", self.base))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body),
            )
            .await;
        (status, location, text)
    }

    /// A signed 1.0 Flitt API call; the reply's `response` object.
    async fn flitt(&self, path: &str, fields: Value) -> Value {
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        let (_, text, _) = self
            .send(
                self.http
                    .post(format!("{}{path}", self.base))
                    .header("content-type", "application/json")
                    .body(v1(fields)),
            )
            .await;
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        v["response"].clone()
    }
}

/// A merchant's callback endpoint answering what the test says, counting hits.
struct Merchant {
    url: String,
    answer: Arc<Mutex<(u16, String)>>,
    hits: Arc<AtomicUsize>,
}

impl Merchant {
    async fn start(status: u16, body: &str) -> Self {
        let answer = Arc::new(Mutex::new((status, body.to_owned())));
        let hits = Arc::new(AtomicUsize::new(0));
        let (a, h) = (answer.clone(), hits.clone());
        let app = axum::Router::new().route(
            "/cb",
            axum::routing::post(move || {
                let (a, h) = (a.clone(), h.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = a.lock().unwrap().clone();
                    (axum::http::StatusCode::from_u16(status).unwrap(), body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cb", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, answer, hits }
    }

    fn answer(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_owned());
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Waits (20 s at most) until `done` holds.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the sandbox has recorded `n` tries of the first callback about `order_id` (a
/// merchant's count can run ahead of the sandbox's record).
async fn wait_for_tries(sandbox: &Sandbox, order_id: &str, n: usize) {
    wait_until(&format!("{n} tries recorded for {order_id}"), || {
        sandbox
            .callbacks_for(order_id)
            .first()
            .is_some_and(|c| c.tries.len() == n && !c.in_flight)
    })
    .await;
}

/// Everything a control request could change, as text: the ledger (every order with its
/// history), the callbacks with their tries, the faults and the clock.
fn everything(sandbox: &Sandbox) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{}",
        sandbox.orders(),
        sandbox.callbacks(),
        sandbox.faults(),
        sandbox.now()
    )
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A direct card payment; `preauth` holds it.
async fn pay(http: &Http, order_id: &str, amount: u64, preauth: bool, callback: Option<&str>) {
    let mut fields = obj(json!({
        "order_id": order_id, "order_desc": "control test", "amount": amount.to_string(),
        "currency": "GEL", "card_number": APPROVE, "expiry_date": "1230", "cvv2": "123",
    }));
    if preauth {
        fields.insert("preauth".into(), json!("Y"));
    }
    if let Some(url) = callback {
        fields.insert("server_callback_url".into(), json!(url));
    }
    let r = http
        .flitt("/api/3dsecure_step1", Value::Object(fields))
        .await;
    assert_eq!(r["response_status"], "success", "{r}");
}

async fn checkout(http: &Http, fields: Value) -> Value {
    let r = http.flitt("/api/checkout/url", fields).await;
    assert_eq!(r["response_status"], "success", "{r}");
    r
}

fn refused(status: u16, v: &Value, words: &str) {
    assert!((400..500).contains(&status), "{status} {v}");
    let message = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error: {v}"));
    assert!(message.contains(words), "{message:?} lacks {words:?}");
}

/// A sandbox whose virtual time 0 is 2026-01-01 00:00:00 UTC, for asserting on dates.
async fn on_new_year_2026() -> Sandbox {
    let new_year = DateTime::new(Date::new(2026, 1, 1).unwrap(), 0, 0, 0).unwrap();
    Sandbox::builder()
        .start_time(new_year)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_clock_advances_and_bad_input_changes_nothing() {
    let sandbox = on_new_year_2026().await;
    let http = Http::new(&sandbox);
    assert_eq!(
        http.get("/sandbox/control/clock").await,
        (200, json!({"now": 0, "time": "01.01.2026 00:00:00"}))
    );
    checkout(
        &http,
        json!({"order_id": "exp", "order_desc": "t", "amount": "100", "currency": "GEL", "lifetime": "600"}),
    )
    .await;
    let (status, v) = http
        .post("/sandbox/control/clock/advance", r#"{"seconds": 3600}"#)
        .await;
    assert_eq!(
        (status, v),
        (200, json!({"now": 3600, "time": "01.01.2026 01:00:00"}))
    );
    // Advancing expired the order, at its own expiry time.
    let (_, order) = http.get("/sandbox/control/orders/exp").await;
    assert_eq!(order["status"], "expired");
    let last = order["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["event"], &last["at"], &last["time"]),
        (
            &json!("expired"),
            &json!(600),
            &json!("01.01.2026 00:10:00")
        )
    );

    let before = everything(&sandbox);
    for (body, words) in [
        (r#"{"seconds": 1"#, "malformed JSON"),
        ("seconds=5", "malformed JSON"),
        (r#"{"secs": 5}"#, "unknown field"),
        (r#"{"seconds": -1}"#, "invalid request"),
        (r#"{"seconds": "60"}"#, "invalid request"),
        (r#"{}"#, "missing field"),
        (r#"{"seconds": 999999999999}"#, "at most"),
    ] {
        let (status, v) = http.post("/sandbox/control/clock/advance", body).await;
        assert_eq!(status, 400, "{body}: {v}");
        refused(status, &v, words);
    }
    assert_eq!(
        everything(&sandbox),
        before,
        "refused requests change nothing"
    );
    assert_eq!(sandbox.now(), 3600);
}

#[tokio::test]
async fn faults_are_injected_listed_fired_and_cleared() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = Http::new(&sandbox);
    let (status, v) = http
        .post(
            "/sandbox/control/faults",
            r#"{"kind": "error_before_ledger", "path": "/api/status/order_id", "times": 2}"#,
        )
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(
        v["rule"],
        json!({"kind": "error_before_ledger", "millis": null, "path": "/api/status/order_id", "order_id": null, "times_left": 2})
    );
    let (status, _) = http
        .post(
            "/sandbox/control/faults",
            r#"{"kind": "hold", "millis": 10, "order_id": "f-1"}"#,
        )
        .await;
    assert_eq!(status, 201);
    let (_, listed) = http.get("/sandbox/control/faults").await;
    assert_eq!(listed["rules"].as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed["rules"][1]["millis"], 10);
    assert_eq!(listed["random"], Value::Null);
    // The Rust API sees the same rules.
    let rules = sandbox.faults();
    assert_eq!(rules.len(), 2);
    assert_eq!(
        rules[1].fault,
        flitt_sandbox::Fault::Hold(Duration::from_millis(10))
    );

    // The first fires on the next status lookup, and counts down.
    let r = reqwest::Client::new()
        .post(format!("{}/api/status/order_id", sandbox.url()))
        .header("content-type", "application/json")
        .body(status_body("any"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let (_, listed) = http.get("/sandbox/control/faults").await;
    assert_eq!(listed["rules"][0]["times_left"], 1);

    let before = everything(&sandbox);
    for (body, words) in [
        (r#"{"kind": "meteor"}"#, "unknown fault kind `meteor`"),
        (r#"{"kind": "hold"}"#, "needs a duration"),
        (r#"{"kind": "hold", "millis": 9999999}"#, "at most"),
        (r#"{"kind": "html_body", "millis": 5}"#, "takes no duration"),
        (r#"{"kind": "html_body", "times": 0}"#, "times must be"),
        (
            r#"{"kind": "html_body", "path": "api/x"}"#,
            "path must start with /",
        ),
        (r#"{"kind": "html_body", "colour": "red"}"#, "unknown field"),
        (r#"{"path": "/api/x"}"#, "missing field `kind`"),
        (r#"{"kind": "html_body""#, "malformed JSON"),
    ] {
        let (status, v) = http.post("/sandbox/control/faults", body).await;
        assert_eq!(status, 400, "{body}: {v}");
        refused(status, &v, words);
    }
    for (body, words) in [
        (r#"{"rate": 2, "seed": 1, "kinds": ["html_body"]}"#, "rate"),
        (r#"{"rate": 0.5, "seed": 1, "kinds": []}"#, "at least one"),
        (
            r#"{"rate": 0.5, "seed": 1, "kinds": ["meteor"]}"#,
            "unknown fault kind",
        ),
        (
            r#"{"rate": 0.5, "seed": 1, "kinds": ["hold:soon"]}"#,
            "milliseconds",
        ),
    ] {
        let (status, v) = http.post("/sandbox/control/faults/random", body).await;
        refused(status, &v, words);
    }
    assert_eq!(
        everything(&sandbox),
        before,
        "refused requests change nothing"
    );
    assert_eq!(
        http.get("/sandbox/control/faults").await.1["random"],
        Value::Null
    );

    let (status, v) = http
        .post(
            "/sandbox/control/faults/random",
            r#"{"rate": 0.25, "seed": 7, "kinds": ["html_body", "hold:5"]}"#,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["random"],
        json!({"rate": 0.25, "seed": 7, "kinds": ["html_body", "hold:5"]})
    );
    let (status, v) = http
        .json(reqwest::Method::DELETE, "/sandbox/control/faults", "")
        .await;
    assert_eq!((status, v), (200, json!({"cleared": 3})));
    assert_eq!(
        http.get("/sandbox/control/faults").await.1,
        json!({"rules": [], "random": null})
    );
    assert!(sandbox.faults().is_empty());
}

#[tokio::test]
async fn orders_are_listed_newest_first_and_one_order_shows_its_history() {
    let sandbox = on_new_year_2026().await;
    let http = Http::new(&sandbox);
    pay(&http, "h-1", 1000, true, None).await;
    let step = || http.post("/sandbox/control/clock/advance", r#"{"seconds": 60}"#);
    step().await;
    let capture = json!({"order_id": "h-1", "amount": "800", "currency": "GEL"});
    assert_eq!(
        http.flitt("/api/capture/order_id", capture).await["capture_status"],
        "captured"
    );
    step().await;
    for (amount, id) in [("300", "r1"), ("500", "r2")] {
        let refund =
            json!({"order_id": "h-1", "amount": amount, "currency": "GEL", "reverse_id": id});
        let r = http.flitt("/api/reverse/order_id", refund).await;
        assert_eq!(r["reverse_status"], "approved", "{r}");
        step().await;
    }
    let (status, o) = http.get("/sandbox/control/orders/h-1").await;
    assert_eq!(status, 200, "{o}");
    let history: Vec<Value> = o["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            json!([
                e["at"],
                e["event"],
                e["status"],
                e["amount"],
                e["reverse_id"]
            ])
        })
        .collect();
    assert_eq!(
        history,
        vec![
            json!([0, "created", "created", 1000, null]),
            json!([0, "held", "approved", 1000, null]),
            json!([60, "captured", "approved", 800, null]),
            json!([120, "refunded", "approved", 300, "r1"]),
            json!([180, "reversed", "reversed", 500, "r2"]),
        ]
    );
    assert_eq!(
        o["refunds"],
        json!([{"reverse_id": "r1", "amount": 300}, {"reverse_id": "r2", "amount": 500}])
    );
    assert_eq!(
        json!([
            o["status"],
            o["captured"],
            o["refunded"],
            o["amount_text"],
            o["captured_text"],
            o["refunded_text"]
        ]),
        json!(["reversed", 800, 800, "10.00", "8.00", "8.00"])
    );
    assert_eq!(o["masked_card"], "444455XXXXXX6666");
    assert_eq!(o["history"][3]["time"], "01.01.2026 00:02:00");
    // The Rust API reads the same history.
    let rust = sandbox.history("h-1").unwrap();
    assert_eq!(rust.len(), 5);
    assert_eq!(rust[3].reverse_id.as_deref(), Some("r1"));
    assert_eq!(rust[4].kind.as_str(), "reversed");

    // Listing: newest first, bounded by limit; an id with a slash is one path segment.
    pay(&http, "a/b", 2500, false, None).await;
    let (_, list) = http.get("/sandbox/control/orders?limit=1").await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["orders"].as_array().unwrap().len(), 1);
    assert_eq!(list["orders"][0]["order_id"], "a/b");
    assert_eq!(list["orders"][0]["amount_text"], "25.00");
    let (_, list) = http.get("/sandbox/control/orders").await;
    let ids: Vec<&str> = list["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a/b", "h-1"]);
    assert_eq!(
        http.get("/sandbox/control/orders/a%2Fb").await.1["amount"],
        2500
    );
    assert_eq!(
        sandbox.newest_orders(1)[0].order_id,
        "a/b",
        "the Rust API lists the same"
    );

    let before = everything(&sandbox);
    for path in [
        "/sandbox/control/orders?limit=0",
        "/sandbox/control/orders?limit=abc",
        "/sandbox/control/orders?limit=100000",
        "/sandbox/control/orders/h-1?merchant_id=abc",
        "/sandbox/control/callbacks?limit=-1",
    ] {
        let (status, v) = http.get(path).await;
        assert_eq!(status, 400, "{path}: {v}");
        assert!(v["error"].is_string(), "{path}: {v}");
    }
    for path in [
        "/sandbox/control/orders/nope",
        "/sandbox/control/orders/h-1?merchant_id=1",
    ] {
        let (status, v) = http.get(path).await;
        assert_eq!(status, 404, "{path}: {v}");
        refused(status, &v, "order not found");
    }
    let (status, v) = http.get("/sandbox/control/no-such-thing").await;
    refused(status, &v, "no control endpoint");
    assert_eq!(everything(&sandbox), before);
}

#[tokio::test]
async fn callbacks_show_each_try_and_resend_adds_one() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = Http::new(&sandbox);
    let merchant = Merchant::start(500, "oops: card 4444555511116666 refused\r\n<b>bold</b>").await;
    pay(&http, "cb-1", 1020, false, Some(&merchant.url)).await;
    wait_for_tries(&sandbox, "cb-1", 1).await;
    let (status, list) = http.get("/sandbox/control/callbacks?order_id=cb-1").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    let cb = &list["callbacks"][0];
    let id = cb["id"].as_u64().unwrap();
    assert_eq!(
        json!([
            cb["order_id"],
            cb["order_status"],
            cb["delivered"],
            cb["attempts"],
            cb["next_try_at"]
        ]),
        json!(["cb-1", "approved", false, 1, 2])
    );
    let first = &cb["tries"][0];
    assert_eq!(
        (first["status"].as_u64(), first["resend"].as_bool()),
        (Some(500), Some(false))
    );
    let answer = first["answer"].as_str().unwrap();
    assert!(answer.starts_with("oops: card "), "{answer}");
    assert!(!answer.contains("4444555511116666"), "redacted: {answer}");
    assert!(!answer.contains('\r'), "{answer}");
    assert!(
        cb.get("body").is_none(),
        "the signed body (card data, token) is not shown"
    );

    // The merchant is fixed; a resend delivers it at once, outside the schedule.
    merchant.answer(200, "OK");
    let (status, cb) = http
        .post(&format!("/sandbox/control/callbacks/{id}/resend"), "")
        .await;
    assert_eq!(status, 200, "{cb}");
    assert_eq!(cb["tries"].as_array().unwrap().len(), 2);
    assert_eq!(cb["tries"][1]["status"], 200);
    assert_eq!(cb["tries"][1]["answer"], "OK");
    assert_eq!(cb["tries"][1]["resend"], true);
    assert_eq!(
        (&cb["delivered"], &cb["next_try_at"], &cb["resends"]),
        (&json!(true), &Value::Null, &json!(1))
    );
    assert_eq!(merchant.hits(), 2);
    // Delivered: the schedule tries no more.
    http.post("/sandbox/control/clock/advance", r#"{"seconds": 90000}"#)
        .await;
    assert_eq!(merchant.hits(), 2);
    // The order's page lists it too.
    let (_, o) = http.get("/sandbox/control/orders/cb-1").await;
    assert_eq!(o["callbacks"][0]["tries"].as_array().unwrap().len(), 2);

    let before = everything(&sandbox);
    let (status, v) = http
        .post("/sandbox/control/callbacks/999999/resend", "")
        .await;
    assert_eq!(status, 404);
    refused(status, &v, "callback not found");
    let (status, v) = http.post("/sandbox/control/callbacks/abc/resend", "").await;
    refused(status, &v, "number");
    assert_eq!(everything(&sandbox), before);
    assert_eq!(merchant.hits(), 2);

    // The Rust API: the same resend, the same record.
    let c = sandbox.resend_callback(id as usize).await.unwrap();
    assert_eq!((c.tries.len(), c.resends), (3, 2));
    assert_eq!(sandbox.callbacks_for("cb-1")[0].tries.len(), 3);
    assert!(matches!(
        sandbox.resend_callback(999_999).await,
        Err(flitt_sandbox::ControlError::CallbackNotFound(999_999))
    ));
}

#[tokio::test]
async fn reset_empties_the_ledger_callbacks_and_faults_and_rewinds_the_clock() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = Http::new(&sandbox);
    let start = http.get("/sandbox/control/clock").await.1;
    let merchant = Merchant::start(200, "OK").await;
    pay(&http, "r-1", 100, false, Some(&merchant.url)).await;
    wait_until("the callback", || merchant.hits() == 1).await;
    let first_payment = sandbox.order("r-1").unwrap().payment_id;
    http.post("/sandbox/control/faults", r#"{"kind": "html_body"}"#)
        .await;
    http.post("/sandbox/control/clock/advance", r#"{"seconds": 500}"#)
        .await;
    let (status, v) = http.post("/sandbox/control/reset", "").await;
    assert_eq!((status, v), (200, json!({"reset": true, "now": 0})));
    assert_eq!(
        http.get("/sandbox/control/orders").await.1,
        json!({"total": 0, "orders": []})
    );
    assert_eq!(
        http.get("/sandbox/control/callbacks").await.1,
        json!({"total": 0, "callbacks": []})
    );
    assert_eq!(
        http.get("/sandbox/control/faults").await.1,
        json!({"rules": [], "random": null})
    );
    // Back to the start: the moment it started, not the wall-clock time of the reset.
    assert_eq!(http.get("/sandbox/control/clock").await.1, start);
    assert_eq!(start["now"], 0);
    // The same order id can be used again, and payment ids keep counting up.
    pay(&http, "r-1", 100, false, None).await;
    assert!(sandbox.order("r-1").unwrap().payment_id > first_payment);
    // The Rust API resets the same way.
    sandbox.reset();
    assert!(sandbox.orders().is_empty());
}

/// `DD.MM.YYYY hh:mm:ss` (UTC) of a Unix time.
fn written(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    format!(
        "{:02}.{:02}.{:04} {:02}:{:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The wall clock now, in Unix seconds.
fn wall_clock_now() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(unix).unwrap()
}

#[tokio::test]
async fn the_clock_starts_at_the_wall_clock_time_and_counts_virtual_seconds_from_there() {
    let before = wall_clock_now();
    let sandbox = Sandbox::start().await.unwrap();
    let after = wall_clock_now();
    let start = sandbox.clock().start();
    assert!(
        (before..=after).contains(&start),
        "{before} {start} {after}"
    );
    let http = Http::new(&sandbox);
    // The control API writes the start as the wall clock read it then.
    assert_eq!(
        http.get("/sandbox/control/clock").await,
        (200, json!({"now": 0, "time": written(start)}))
    );
    let (status, v) = http
        .post("/sandbox/control/clock/advance", r#"{"seconds": 90061}"#)
        .await;
    assert_eq!(
        (status, v),
        (200, json!({"now": 90_061, "time": written(start + 90_061)}))
    );
    assert_eq!(sandbox.clock().order_time(0), written(start));
    // Nothing in the dashboard still names the old fixed epoch.
    let (_, page) = http.page("/").await;
    assert!(page.contains(&written(start + 90_061)), "{page}");
    assert!(page.contains("goes back to its start"));
}

#[tokio::test]
async fn the_dashboard_escapes_hostile_text_everywhere() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = Http::new(&sandbox);
    let merchant = Merchant::start(500, "<script>alert('answer')</script>").await;
    let hostile_id = "<script>alert('id')</script>";
    let fields = json!({
        "order_id": hostile_id, "order_desc": "<script>alert('desc')</script>", "amount": "1020",
        "currency": "GEL", "card_number": APPROVE, "expiry_date": "1230", "cvv2": "123",
        "server_callback_url": merchant.url,
    });
    let r = http.flitt("/api/3dsecure_step1", fields).await;
    assert_eq!(r["order_status"], "approved", "{r}");
    wait_for_tries(&sandbox, hostile_id, 1).await;
    http.post(
        "/sandbox/control/faults",
        &json!({"kind": "html_body", "order_id": "<script>alert('fault')</script>"}).to_string(),
    )
    .await;
    let (status, home) = http.page("/").await;
    assert_eq!(status, 200);
    let order_page = format!(
        "/sandbox/dashboard/orders/{}",
        form_urlencoded::byte_serialize(hostile_id.as_bytes()).collect::<String>()
    );
    let (status, order) = http.page(&order_page).await;
    assert_eq!(status, 200, "{order}");
    for (page, name) in [(&home, "home"), (&order, "order")] {
        // The dashboard has no script of its own: any <script is an injection.
        assert!(!page.contains("<script"), "{name}: {page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;desc&#39;)&lt;/script&gt;"),
            "{name}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;"),
            "{name}"
        );
    }
    assert!(home.contains("&lt;script&gt;alert(&#39;fault&#39;)&lt;/script&gt;"));
    assert!(order.contains("&lt;script&gt;alert(&#39;answer&#39;)&lt;/script&gt;"));
    assert!(order.contains("10.20 GEL"));
    // The link from the list to the order is one path segment, escaped.
    assert!(home.contains("href=\"/sandbox/dashboard/orders/%3Cscript%3Ealert%28%27id%27%29%3C%2Fscript%3E?merchant_id=1549901\""));
}

#[tokio::test]
async fn get_views_change_nothing() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = Http::new(&sandbox);
    let merchant = Merchant::start(503, "busy").await;
    pay(&http, "g-1", 700, true, Some(&merchant.url)).await;
    wait_for_tries(&sandbox, "g-1", 1).await;
    let r = checkout(
        &http,
        json!({"order_id": "g-2", "order_desc": "t", "amount": "100", "currency": "GEL", "lifetime": "60"}),
    )
    .await;
    let checkout_url = r["checkout_url"].as_str().unwrap().to_owned();
    let checkout_path = checkout_url.trim_start_matches(sandbox.url()).to_owned();
    // Armed faults must not fire on a view.
    http.post(
        "/sandbox/control/faults",
        r#"{"kind": "html_body", "times": 3}"#,
    )
    .await;
    let before = everything(&sandbox);
    for path in [
        "/",
        "/?limit=1",
        "/sandbox/dashboard/orders/g-1",
        "/sandbox/dashboard/orders/nope",
        "/sandbox/dashboard/orders/g-1?merchant_id=x",
        "/sandbox/control",
        "/sandbox/control/clock",
        "/sandbox/control/faults",
        "/sandbox/control/orders",
        "/sandbox/control/orders/g-1",
        "/sandbox/control/callbacks",
        "/sandbox/control/callbacks?order_id=g-1",
        checkout_path.as_str(),
        "/sandbox/dashboard/advance",
        "/sandbox/control/reset",
        "/sandbox/control/clock/advance",
    ] {
        let (status, _) = http.page(path).await;
        assert!(status < 500, "{path}: {status}");
    }
    assert_eq!(everything(&sandbox), before, "GET changed something");
    assert_eq!(merchant.hits(), 1);
}

#[tokio::test]
async fn the_dashboard_buttons_post_and_redirect_back() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = Http::new(&sandbox);
    let merchant = Merchant::start(500, "no").await;
    pay(&http, "d-1", 100, false, Some(&merchant.url)).await;
    wait_for_tries(&sandbox, "d-1", 1).await;

    let (status, location, _) = http
        .form("/sandbox/dashboard/advance", &[("seconds", "3600")])
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    assert_eq!(sandbox.now(), 3600);

    let (status, location, _) = http
        .form(
            "/sandbox/dashboard/faults",
            &[
                ("kind", "html_body"),
                ("path", "/api/status/order_id"),
                ("order_id", ""),
                ("times", "2"),
                ("millis", ""),
            ],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    let (status, location, _) = http
        .form(
            "/sandbox/dashboard/faults",
            &[
                ("kind", "hold"),
                ("millis", "5"),
                ("order_id", "d-1"),
                ("merchant_id", "1549901"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (
            303,
            Some("/sandbox/dashboard/orders/d-1?merchant_id=1549901")
        )
    );
    assert_eq!(sandbox.faults().len(), 2);

    let before = everything(&sandbox);
    for (path, fields, words) in [
        (
            "/sandbox/dashboard/advance",
            vec![("seconds", "soon")],
            "seconds must be a whole number",
        ),
        ("/sandbox/dashboard/advance", vec![], "seconds is required"),
        (
            "/sandbox/dashboard/faults",
            vec![("kind", "meteor")],
            "unknown fault kind",
        ),
        (
            "/sandbox/dashboard/faults",
            vec![("kind", "html_body"), ("times", "-2")],
            "times must be",
        ),
        (
            "/sandbox/dashboard/callbacks/424242/resend",
            vec![],
            "callback not found",
        ),
    ] {
        let (status, location, page) = http.form(path, &fields).await;
        assert!((400..500).contains(&status), "{path} {fields:?}: {status}");
        assert_eq!(location, None);
        assert!(page.contains(words), "{path}: {page}");
    }
    assert_eq!(
        everything(&sandbox),
        before,
        "refused buttons change nothing"
    );

    let id = sandbox.callbacks_for("d-1")[0].id;
    let (status, location, _) = http
        .form(&format!("/sandbox/dashboard/callbacks/{id}/resend"), &[])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (
            303,
            Some("/sandbox/dashboard/orders/d-1?merchant_id=1549901")
        )
    );
    let tries = &sandbox.callbacks_for("d-1")[0].tries;
    assert!(
        tries.len() >= 2 && tries.last().unwrap().resend,
        "{tries:?}"
    );

    let (status, location, _) = http.form("/sandbox/dashboard/faults/clear", &[]).await;
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    assert!(sandbox.faults().is_empty());
    let (status, location, _) = http.form("/sandbox/dashboard/reset", &[]).await;
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    assert!(sandbox.orders().is_empty() && sandbox.callbacks().is_empty());
    assert_eq!(sandbox.now(), 0);
    let (_, home) = http.page("/").await;
    assert!(home.contains("No orders yet."));
}

/// A change sent by a browser from another site's page (a form or a `fetch` to 127.0.0.1 that
/// any page a developer visits could make) is refused and changes nothing; the dashboard's
/// own page, and clients that are not browsers, are served.
#[tokio::test]
async fn another_sites_page_cannot_change_the_sandbox() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = Http::new(&sandbox);
    let own = sandbox.url().trim_end_matches('/').to_owned();
    let advance = |headers: &[(&str, &str)]| {
        let mut r = http
            .http
            .post(format!("{own}/sandbox/control/clock/advance"))
            .body(r#"{"seconds": 60}"#);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r
    };
    // The dashboard's button for the same change.
    let press = |headers: &[(&str, &str)]| {
        let mut r = http
            .http
            .post(format!("{own}/sandbox/dashboard/advance"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("seconds=60");
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r
    };
    for hostile in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site"), ("origin", own.as_str())],
    ] {
        let (status, text, _) = http.send(advance(&hostile)).await;
        assert_eq!(status, 403, "{hostile:?}: {text}");
        assert_eq!(sandbox.now(), 0, "{hostile:?} changed the clock");
        // The dashboard's buttons too.
        assert_eq!(http.send(press(&hostile)).await.0, 403, "{hostile:?}");
        assert_eq!(sandbox.now(), 0, "{hostile:?} changed the clock");
    }
    // An `Origin` that is not text at all.
    let r = http
        .http
        .post(format!("{own}/sandbox/control/clock/advance"))
        .header(
            "origin",
            reqwest::header::HeaderValue::from_bytes(b"http://\xffevil.example").unwrap(),
        )
        .body(r#"{"seconds": 60}"#);
    assert_eq!(http.send(r).await.0, 403);
    assert_eq!(sandbox.now(), 0, "a non-text Origin changed the clock");
    // Reads pass: a link from elsewhere opens the dashboard.
    let r = http
        .http
        .get(format!("{own}/"))
        .header("origin", "http://evil.example")
        .header("sec-fetch-site", "cross-site");
    assert_eq!(http.send(r).await.0, 200);
    // The dashboard's own page (same origin), then a client with neither header.
    let (status, text, _) = http
        .send(advance(&[
            ("origin", own.as_str()),
            ("sec-fetch-site", "same-origin"),
        ]))
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(sandbox.now(), 60);
    let (status, _, _) = http.send(advance(&[])).await;
    assert_eq!(status, 200);
    assert_eq!(sandbox.now(), 120);
    // DNS rebinding: a hostile name whose DNS answers 127.0.0.1 makes its page same-origin
    // with the sandbox (its `Origin` is the `Host` it sends), so a browser's change under a
    // `Host` that is neither an address, localhost nor the public URL's name is refused.
    let port = own.rsplit_once(':').unwrap().1;
    for name in [
        "evil.example",
        "localhost.evil.example",
        "127.0.0.1.evil.example",
        "app.localhost",
    ] {
        let host = format!("{name}:{port}");
        let origin = format!("http://{host}");
        for headers in [
            vec![("host", host.as_str()), ("origin", origin.as_str())],
            vec![
                ("host", host.as_str()),
                ("origin", origin.as_str()),
                ("sec-fetch-site", "same-origin"),
            ],
            // A browser that sends no `Origin`.
            vec![("host", host.as_str()), ("sec-fetch-site", "same-origin")],
        ] {
            let (status, text, _) = http.send(advance(&headers)).await;
            assert_eq!(status, 403, "{headers:?}: {text}");
            assert!(text.contains("--public-url"), "{text}");
            assert_eq!(sandbox.now(), 120, "{headers:?} changed the clock");
            // The dashboard's buttons too.
            assert_eq!(http.send(press(&headers)).await.0, 403, "{headers:?}");
            assert_eq!(sandbox.now(), 120, "{headers:?} changed the clock");
        }
    }
    // The same kind of name without a browser's headers (a test service reaching the sandbox
    // by its compose name), and the sandbox's own page opened at localhost, are served.
    let compose = format!("sandbox:{port}");
    let (status, text, _) = http.send(advance(&[("host", compose.as_str())])).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(sandbox.now(), 180);
    let local = format!("localhost:{port}");
    let local_origin = format!("http://{local}");
    let (status, text, _) = http
        .send(advance(&[
            ("host", local.as_str()),
            ("origin", local_origin.as_str()),
            ("sec-fetch-site", "same-origin"),
        ]))
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(sandbox.now(), 240);
    // A browser without `Origin` at the sandbox's address.
    let (status, text, _) = http
        .send(advance(&[("sec-fetch-site", "same-origin")]))
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(sandbox.now(), 300);
    // Behind a proxy that gives the sandbox another name (`public_url`), its pages' origin is
    // that name, whatever `Host` reaches the sandbox.
    for (public_url, origin) in [
        (
            "https://sandbox.example:8443/",
            "https://sandbox.example:8443",
        ),
        // A browser leaves a scheme's default port out of `Origin`.
        ("https://sandbox.example:443", "https://sandbox.example"),
    ] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let proxied = Sandbox::builder()
            .port(port)
            .public_url(public_url)
            .start()
            .await
            .unwrap();
        let r = http
            .http
            .post(format!(
                "http://127.0.0.1:{port}/sandbox/control/clock/advance"
            ))
            .header("origin", origin)
            .body(r#"{"seconds": 60}"#);
        assert_eq!(http.send(r).await.0, 200, "{public_url}");
        assert_eq!(proxied.now(), 60, "{public_url}");
    }
    // The payment API is not the operator's: a shop's page posts its checkout form to it.
    let (status, _, _) = http
        .send(
            http.http
                .post(format!("{own}/api/status/order_id"))
                .header("origin", "http://shop.example")
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await;
    assert_eq!(status, 200);
}
