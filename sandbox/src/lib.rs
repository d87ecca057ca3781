//! # flitt-sandbox
//!
//! An offline Flitt gateway on 127.0.0.1 that speaks the same wire protocol: JSON and form
//! bodies, protocol 1.0 and 2.0, request signatures checked (1014), parameters checked against
//! the same spec as the SDK (1011 missing, 1009 empty, 1007 incorrect), replies signed as Flitt
//! signs them (with `response_signature_string`, the secret masked), payouts signed with the
//! credit key.
//!
//! Behind it is a ledger with Flitt's order statuses: holds, exactly one capture (1109 for a
//! different amount), partial refunds up to the captured amount (`reverse_id` idempotent, 1084
//! for a partial refund of a hold), saved-card tokens, payouts, settlements, subscriptions and
//! order expiry; the published test cards (approve or decline, with or without 3-D Secure); an
//! ACS page that posts `PaRes` and `MD` back to the `TermUrl`; server callbacks on Flitt's retry
//! schedule on a virtual clock, in the protocol the order was created in (1.0 fields, or a 2.0
//! envelope); the Reports API (tokens by sha512 signature, reports 500, 528
//! and 745 over the ledger with the documented filter operators and pagination); and scripted
//! or random faults.
//!
//! # Bounds
//!
//! The sandbox is meant to run for a long time under load without growing or stalling. Each
//! bound has a default and a setting on [`SandboxBuilder`] (and on `flitt sandbox`):
//!
//! | bound | default | what happens at it |
//! |---|---|---|
//! | orders in the ledger ([`SandboxBuilder::max_orders`]) | 100,000 | the oldest *finished* orders (declined, expired, reversed, approved and not an active subscription) are evicted, then, only if too few are finished, the oldest of any state; an evicted order answers 1018 |
//! | server callbacks remembered (the same setting) | 100,000 | the oldest delivered or abandoned callbacks are forgotten, then, only if too few, the oldest still waiting |
//! | open connections ([`SandboxBuilder::max_connections`]) | 1,024 | new connections wait in the listen backlog until one closes |
//! | request head ([`SandboxBuilder::header_read_timeout`]) | 10 s | the connection is closed without a reply; the same bound closes a kept-alive connection idle between requests |
//! | request body time ([`SandboxBuilder::body_read_timeout`]) | 30 s | refused with error 1005 and the connection closed |
//! | request body size ([`SandboxBuilder::max_body_bytes`]) | 1 MiB | refused with error 1005 and the connection closed |
//!
//! Expiry and checkout-page lookups cost O(log n) per request whatever the ledger's size.
//!
//! What the control API and the dashboard keep and show is bounded too:
//!
//! | bound | value |
//! |---|---|
//! | history entries per order ([`ledger::MAX_HISTORY`]) | 64: past it the oldest after the creation go, counted |
//! | tries remembered per callback ([`MAX_TRIES_KEPT`]) | 16, the latest |
//! | a merchant's answer kept per try ([`MAX_ANSWER_CHARS`]) | 256 characters, redacted; at most 1 KiB is read |
//! | orders or callbacks per listing (`limit`) | 100 by default, 1,000 at most |
//! | scripted fault rules ([`faults::MAX_RULES`]) | 1,024; spent ones are forgotten first |
//! | one clock step over HTTP | ten years |
//!
//! # Control, dashboard, access log
//!
//! The sandbox is driven the same way from Rust and over HTTP, by one implementation: the
//! clock ([`Sandbox::advance`], `POST /sandbox/control/clock/advance`), faults
//! ([`Sandbox::inject`], `POST /sandbox/control/faults`), the ledger with each order's history
//! ([`Sandbox::order`], [`Sandbox::history`], `GET /sandbox/control/orders/{order_id}`), the
//! callbacks with each delivery try ([`Sandbox::callbacks_for`],
//! `GET /sandbox/control/callbacks`), resending one ([`Sandbox::resend_callback`]) and reset
//! ([`Sandbox::reset`]). The JSON control API is listed at `GET /sandbox/control` and in the
//! README; refusals are `{"error": "…"}` with a 4xx status, and change nothing. `GET /` is a
//! dashboard over the same functions, with buttons (HTML forms) for the clock, faults, resends
//! and reset. Each request is logged as one `tracing` event at INFO (target
//! `flitt_sandbox::access`): method, path, `order_id`, HTTP status and Flitt result, never a
//! body, card or key.
//!
//! ```no_run
//! # async fn run() {
//! let sandbox = flitt_sandbox::Sandbox::start().await.expect("bind 127.0.0.1");
//! let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
//!     .credit_key(flitt_sandbox::CREDIT_KEY)
//!     .api_url(sandbox.url())
//!     .build()
//!     .unwrap();
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod access;
pub mod cards;
mod clock;
mod control;
mod dashboard;
mod endpoints;
pub mod faults;
mod html;
mod http;
mod iban;
pub mod ledger;
pub mod money;
mod pages;
mod redirect;
mod reports;
mod serve;
mod sign;

/// Entry points for fuzzing the request parser; not a stable API.
#[doc(hidden)]
pub mod fuzz {
    /// Runs on a raw API request exactly the code the sandbox runs on one before its ledger:
    /// parsing (JSON, form, 2.0 envelopes; the format from `content_type` and the first byte,
    /// as the handler decides), then, at every API path the spec defines, the endpoint lookup,
    /// the merchant, the signature and the parameter checks. `Ok` when some path admits the
    /// request (it would reach the ledger); else the Flitt error code, from the parser or from
    /// the first path. Never panics, whatever the bytes.
    ///
    /// # Errors
    /// The Flitt error code (1005, 1007, 1010, 1011, 1014, …) of the refusal.
    pub fn parse_request(content_type: Option<&str>, body: &[u8]) -> Result<(), u32> {
        let paths = flitt::api::ENDPOINTS.iter().map(|e| e.path);
        crate::http::parse_and_admit(paths, content_type.unwrap_or(""), body)
    }

    /// [`parse_request`] at one path (`/api/status/order_id`), as the handler runs it for a
    /// request to that path.
    ///
    /// # Errors
    /// The Flitt error code of the refusal (1002 for a path no endpoint has).
    pub fn parse_request_at(
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), u32> {
        crate::http::parse_and_admit([path], content_type.unwrap_or(""), body)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn status_body() -> String {
            let fields = serde_json::json!({"order_id": "o", "merchant_id": crate::MERCHANT_ID});
            let serde_json::Value::Object(mut map) = fields else {
                unreachable!()
            };
            let signature = crate::sign::v1(crate::SECRET_KEY, &map);
            map.insert("signature".into(), signature.into());
            serde_json::json!({ "request": map }).to_string()
        }

        #[test]
        fn admits_a_signed_request_and_names_refusals() {
            let body = status_body();
            let json = Some("application/json");
            assert_eq!(parse_request(json, body.as_bytes()), Ok(()));
            assert_eq!(
                parse_request_at("/api/status/order_id", json, body.as_bytes()),
                Ok(())
            );
            assert_eq!(
                parse_request_at("/api/nope", json, body.as_bytes()),
                Err(1002)
            );
            let forged = body.replace("\"o\"", "\"p\"");
            assert_eq!(
                parse_request_at("/api/status/order_id", json, forged.as_bytes()),
                Err(1014)
            );
            assert_eq!(parse_request(json, b"{"), Err(1005));
            assert_eq!(parse_request(None, b"  "), Err(1010));
            assert_eq!(parse_request(Some("text/xml"), b"<a/>"), Err(1021));
        }

        #[test]
        fn never_panics_on_mangled_requests() {
            // A bounded stand-in for the fuzz target: valid bodies, bit-flipped, cut, spliced.
            let v2 = {
                let data = base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    r#"{"order":{"merchant_id":1549901,"order_id":"x","recurring_data":{"every":99999999999999999}}}"#,
                );
                format!(r#"{{"request":{{"version":"2.0","data":"{data}","signature":"00"}}}}"#)
            };
            let seeds = [
                status_body(),
                v2,
                "order_id=a&merchant_id=1549901&signature=x&amount=%FF%FE".to_owned(),
                r#"{"request":{"merchant_id":18446744073709551616,"amount":-1e400}}"#.to_owned(),
            ];
            let types = [
                None,
                Some("application/json"),
                Some("application/x-www-form-urlencoded"),
            ];
            const ALPHABET: &[u8] = b"{}[]\":,|%=0";
            let mut rng = fastrand::Rng::with_seed(7);
            for i in 0..20_000 {
                let mut body = seeds[i % seeds.len()].clone().into_bytes();
                for _ in 0..rng.usize(0..4) {
                    if body.is_empty() {
                        break;
                    }
                    let at = rng.usize(..body.len());
                    match rng.u8(0..4) {
                        0 => body[at] ^= 1 << rng.u8(0..8),
                        1 => body.truncate(at),
                        2 => body.insert(at, rng.u8(..)),
                        _ => body[at] = ALPHABET[rng.usize(..ALPHABET.len())],
                    }
                }
                let _ = parse_request(types[i % types.len()], &body);
            }
        }
    }
}

pub use clock::Clock;
pub use control::ControlError;
pub use faults::{Fault, FaultRule};

use ledger::Ledger;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The test merchant.
pub const MERCHANT_ID: &str = "1549901";
/// The test merchant's payment key.
pub const SECRET_KEY: &str = "test";
/// The test merchant's payout key.
pub const CREDIT_KEY: &str = "testcredit";
/// The Reports API test application.
pub const REPORTS_APP_ID: &str = "1019";
/// The Reports API test application's key.
pub const REPORTS_KEY: &str = "test";

/// Flitt's callback retry delays, in seconds, after each failed delivery.
pub const CALLBACK_RETRIES: [u64; 6] = [2, 60, 300, 600, 3600, 86_400];

/// The most tries a callback remembers (see [`Callback::tries`]).
pub const MAX_TRIES_KEPT: usize = 16;

/// The most characters of a merchant's answer a [`Try`] keeps.
pub const MAX_ANSWER_CHARS: usize = 256;

/// One try to deliver a callback: when, and what the merchant answered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Try {
    /// Virtual time of the try, seconds.
    pub at: u64,
    /// The merchant's HTTP status (0: no reply: refused, cut, timed out).
    pub status: u16,
    /// The start of the merchant's answer (or, without a reply, the transport error), at
    /// most [`MAX_ANSWER_CHARS`] characters, with card numbers, keys and tokens redacted
    /// (`flitt::redact::text`) and control characters as spaces.
    pub answer: String,
    /// Whether it was asked for by a resend ([`Sandbox::resend_callback`]), outside the
    /// retry schedule.
    pub resend: bool,
}

/// A server callback an order owes, before it is signed and queued.
pub(crate) struct Owed {
    /// Where it goes.
    pub(crate) url: String,
    /// The order's fields.
    pub(crate) fields: Map<String, Value>,
    /// The order was created in protocol 2.0: the callback goes as a 2.0 envelope.
    pub(crate) v2: bool,
}

impl Owed {
    /// What `o` owes, its fields written at `order_time`; `None` when it has no callback URL.
    pub(crate) fn of(o: &ledger::Order, order_time: &str) -> Option<Self> {
        Some(Self {
            url: o.server_callback_url.clone()?,
            fields: ledger::order_fields(o, order_time),
            v2: o.created_in_v2,
        })
    }
}

/// A server callback the sandbox owes a merchant.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Callback {
    /// Its number, in queueing order, for [`Sandbox::resend_callback`].
    pub id: usize,
    /// The merchant it is for.
    pub merchant_id: u64,
    /// The order it is about.
    pub order_id: String,
    /// Where it goes.
    pub url: String,
    /// The signed JSON body: the order's fields (protocol 1.0); for an order created by a 2.0
    /// request, a 2.0 envelope `{"version": "2.0", "data": …, "signature": …}`, `data` the
    /// base64 of `{"order": {…}}` and `signature` the SHA-1 of `secret|data`. That is the shape
    /// the official SDKs check a 2.0 callback in (Node `lib/util.js` `validateResponse`:
    /// `version` `"2.0"`, then the signature over `data`; PHP `lib/Result/Result.php`
    /// `getData`: `data` decoded to its `order`).
    pub body: Vec<u8>,
    /// Tries made on Flitt's retry schedule so far (resends are counted in `resends`).
    pub attempts: u32,
    /// Tries made by resends.
    pub resends: u32,
    /// The latest tries, oldest first: at most [`MAX_TRIES_KEPT`].
    pub tries: Vec<Try>,
    /// Virtual time of the next try.
    pub due_at: u64,
    /// HTTP status of the last try (0: none yet, or no reply).
    pub last_status: u16,
    /// Whether it was delivered (HTTP 200).
    pub delivered: bool,
    /// Whether a try is under way right now. A try is claimed under the lock before it is
    /// sent, so however many deliveries run at once, each due time gets exactly one try.
    pub in_flight: bool,
}

/// The callbacks queued so far (up to a bound), and a queue of those waiting for their next
/// try.
#[derive(Debug)]
pub(crate) struct Callbacks {
    /// By queueing order.
    all: std::collections::BTreeMap<usize, Callback>,
    next: usize,
    /// `(due_at, key in all)` of each callback waiting for a try; a claimed (in flight),
    /// delivered or abandoned callback is not in it. Finding the due ones costs O(due).
    waiting: std::collections::BTreeSet<(u64, usize)>,
    /// The most callbacks kept (the sandbox's `max_orders`).
    max: usize,
}

impl Callbacks {
    fn new(max: usize) -> Self {
        Self {
            all: std::collections::BTreeMap::new(),
            next: 0,
            waiting: std::collections::BTreeSet::new(),
            max: max.max(1),
        }
    }

    /// Queues a callback, due at `now`, and keeps the log within its bound: past it, the
    /// oldest finished callbacks (delivered, or their retries spent) are dropped, then, if too
    /// few are finished, the oldest still waiting (their remaining tries are not made). Like
    /// the ledger, down to the bound less a sixteenth at a time.
    fn push(&mut self, mut cb: Callback, now: u64) {
        let key = self.next;
        self.next += 1;
        cb.id = key;
        self.all.insert(key, cb);
        self.waiting.insert((now, key));
        if self.all.len() <= self.max {
            return;
        }
        let excess = self.all.len() - (self.max - self.max / 16);
        let mut doomed: Vec<usize> = self
            .all
            .iter()
            .filter(|(_, c)| !c.in_flight && (c.delivered || !self.is_waiting(c)))
            .map(|(k, _)| *k)
            .take(excess)
            .collect();
        if doomed.len() < excess {
            let chosen: std::collections::HashSet<usize> = doomed.iter().copied().collect();
            let more: Vec<usize> = self
                .all
                .iter()
                .filter(|(k, c)| !c.in_flight && **k != key && !chosen.contains(k))
                .map(|(k, _)| *k)
                .take(excess - doomed.len())
                .collect();
            doomed.extend(more);
        }
        for k in doomed {
            if let Some(c) = self.all.remove(&k) {
                self.waiting.remove(&(c.due_at, k));
            }
        }
    }

    /// Whether a callback still has tries to come.
    fn is_waiting(&self, c: &Callback) -> bool {
        !c.delivered && (c.attempts as usize) <= CALLBACK_RETRIES.len()
    }

    /// Forgets every callback. Numbers keep counting up, so a try still under way finds
    /// nothing to record into.
    fn clear(&mut self) {
        self.all.clear();
        self.waiting.clear();
    }
}

impl Callback {
    /// The virtual time of the next try on the retry schedule, if one is to come (not
    /// delivered, tries left).
    pub fn next_try_at(&self) -> Option<u64> {
        (!self.delivered && (self.attempts as usize) <= CALLBACK_RETRIES.len())
            .then_some(self.due_at)
    }

    /// The `order_status` the callback reports.
    pub fn order_status(&self) -> Option<String> {
        let Value::Object(body) = serde_json::from_slice(&self.body).ok()? else {
            return None;
        };
        let order = sign::open_v2(&body).unwrap_or(body);
        order.get("order_status")?.as_str().map(str::to_owned)
    }

    /// Records a try, keeping the latest [`MAX_TRIES_KEPT`].
    fn record(&mut self, attempt: Try) {
        if self.tries.len() >= MAX_TRIES_KEPT {
            self.tries.remove(0);
        }
        self.tries.push(attempt);
    }
}

/// What a callback try got back: the HTTP status (0 without a reply) and the start of the
/// answer, redacted (see [`Try::answer`]).
async fn send_callback(http: &reqwest::Client, url: &str, body: Vec<u8>) -> (u16, String) {
    let sent = http
        .post(url)
        .header("content-type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(mut r) => {
            let status = r.status().as_u16();
            // A few times what is kept, so redaction sees whole card numbers; no more, however
            // much the merchant sends.
            const READ: usize = 4 * MAX_ANSWER_CHARS;
            let mut bytes = Vec::new();
            let mut cut = false;
            while let Ok(Some(chunk)) = r.chunk().await {
                bytes.extend_from_slice(&chunk);
                if bytes.len() >= READ {
                    cut = true;
                    break;
                }
            }
            (status, answer_excerpt(&bytes, cut))
        }
        Err(e) => (0, answer_excerpt(e.to_string().as_bytes(), false)),
    }
}

/// The start of an answer as a [`Try`] keeps it. When the read stopped early, trailing
/// digits are dropped first: a card number cut in two must not show its first half.
fn answer_excerpt(bytes: &[u8], cut: bool) -> String {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if cut {
        let kept = text
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '-')
            .len();
        text.truncate(kept);
    }
    let clean: String = flitt::redact::text(&text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cut || clean.chars().count() > MAX_ANSWER_CHARS {
        clean.chars().take(MAX_ANSWER_CHARS).collect::<String>() + "…"
    } else {
        clean
    }
}

#[cfg(test)]
mod callback_tests {
    use super::*;

    fn cb(delivered: bool) -> Callback {
        Callback {
            id: 0,
            merchant_id: 0,
            order_id: String::new(),
            url: String::new(),
            body: Vec::new(),
            attempts: u32::from(delivered),
            resends: 0,
            tries: Vec::new(),
            due_at: 0,
            last_status: 0,
            delivered,
            in_flight: false,
        }
    }

    /// The status is read from either shape of body, and from anything else nothing, never a
    /// panic.
    #[test]
    fn a_callbacks_status_is_read_from_either_shape() {
        use base64::Engine as _;
        let with = |body: &str| Callback {
            body: body.as_bytes().to_vec(),
            ..cb(false)
        };
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let mut order = Map::new();
        order.insert("order_status".into(), "approved".into());
        let envelope = Value::Object(sign::v2_envelope("key", &order)).to_string();
        let approved = Some("approved".to_owned());
        assert_eq!(with(&envelope).order_status(), approved);
        assert_eq!(
            with(r#"{"order_status":"approved"}"#).order_status(),
            approved
        );
        let odd = [
            String::new(),
            "[]".to_owned(),
            "not json".to_owned(),
            r#"{"version":"2.0","data":7}"#.to_owned(),
            r#"{"version":"2.0","data":"%%% not base64"}"#.to_owned(),
            format!(r#"{{"version":"2.0","data":"{}"}}"#, b64("not json")),
            format!(
                r#"{{"version":"2.0","data":"{}"}}"#,
                b64(r#"{"order":"approved"}"#)
            ),
            format!(
                r#"{{"version":"2.0","data":"{}"}}"#,
                b64(r#"{"order_status":"approved"}"#)
            ),
            r#"{"order_status":7}"#.to_owned(),
        ];
        for body in odd {
            assert_eq!(with(&body).order_status(), None, "{body}");
        }
        // Without `version` 2.0, `data` is a field like any other.
        let unversioned = format!(
            r#"{{"data":"{}","order_status":"declined"}}"#,
            b64(r#"{"order":{"order_status":"approved"}}"#)
        );
        assert_eq!(
            with(&unversioned).order_status(),
            Some("declined".to_owned())
        );
    }

    #[test]
    fn the_log_stays_within_its_bound_forgetting_finished_callbacks_first() {
        let mut cbs = Callbacks::new(16);
        // Four waiting callbacks first (the oldest), then delivered ones.
        for _ in 0..4 {
            cbs.push(cb(false), 0);
        }
        for _ in 0..100 {
            cbs.push(cb(true), 0);
            assert!(cbs.all.len() <= 16);
        }
        assert!(
            (0..4).all(|k| cbs.all.contains_key(&k)),
            "the waiting ones stay"
        );
        assert_eq!(cbs.waiting.len(), cbs.all.len());
        assert!(cbs.all.contains_key(&103), "the newest stays");
        // With nothing finished, the oldest waiting go, and the queue forgets them too.
        let mut cbs = Callbacks::new(4);
        for _ in 0..10 {
            cbs.push(cb(false), 0);
        }
        assert!(cbs.all.len() <= 4);
        assert_eq!(cbs.waiting.len(), cbs.all.len());
        assert!(cbs.all.contains_key(&9));
    }

    #[test]
    fn answers_are_cut_short_and_redacted() {
        let long = format!("ok {}", "x".repeat(2000));
        let shown = answer_excerpt(long.as_bytes(), false);
        assert_eq!(shown.chars().count(), MAX_ANSWER_CHARS + 1);
        assert!(shown.ends_with('…'));
        let shown = answer_excerpt(b"error: card 4444555511116666\r\n cvv2=123", false);
        assert!(!shown.contains("4444555511116666"), "{shown}");
        assert!(!shown.contains("123"), "{shown}");
        assert!(!shown.contains('\r'));
        // Cut inside a card number: its first digits do not show either.
        let shown = answer_excerpt(b"paid with 444455551111", true);
        assert!(!shown.contains("4444"), "{shown}");
    }
}

/// One claimed try. If it is dropped before it finishes (the sandbox stopped), the callback
/// goes back in the queue, due at once, rather than staying in flight for ever.
struct Claim {
    state: Arc<State>,
    index: usize,
    finished: bool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut cbs = lock(&self.state.callbacks);
        if let Some(c) = cbs.all.get_mut(&self.index) {
            c.in_flight = false;
            let due = c.due_at;
            cbs.waiting.insert((due, self.index));
        }
    }
}

/// Shared state of a running sandbox.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) ledger: Mutex<Ledger>,
    pub(crate) clock: Clock,
    pub(crate) faults: Mutex<faults::Faults>,
    pub(crate) callbacks: Mutex<Callbacks>,
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    /// Reports API tokens and their expiry (virtual seconds).
    pub(crate) report_tokens: Mutex<std::collections::BTreeMap<String, u64>>,
    /// Connection and request bounds.
    pub(crate) limits: serve::Limits,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler must not take the sandbox down with it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    /// The payment key of a merchant, if it exists.
    pub(crate) fn secret(merchant_id: u64, credit: bool) -> Option<&'static str> {
        (MERCHANT_ID.parse() == Ok(merchant_id)).then_some(if credit {
            CREDIT_KEY
        } else {
            SECRET_KEY
        })
    }

    /// Queues a signed callback (1.0 JSON, or a 2.0 envelope for an order created in 2.0)
    /// and tries it at once.
    pub(crate) fn queue_callback(self: &Arc<Self>, owed: Owed, secret: &str) {
        let Owed {
            url,
            mut fields,
            v2,
        } = owed;
        let order_id = fields
            .get("order_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let merchant_id = match fields.get("merchant_id") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        let body = if v2 {
            sign::v2_envelope(secret, &fields)
        } else {
            sign::sign_reply(secret, &mut fields);
            fields
        };
        let now = self.clock.now();
        let cb = Callback {
            id: 0,
            merchant_id,
            order_id,
            url,
            body: Value::Object(body).to_string().into_bytes(),
            attempts: 0,
            resends: 0,
            tries: Vec::new(),
            due_at: now,
            last_status: 0,
            delivered: false,
            in_flight: false,
        };
        lock(&self.callbacks).push(cb, now);
        let state = self.clone();
        tokio::spawn(async move { state.deliver_due().await });
    }

    /// Tries every callback that is due, once each: the due ones are claimed under the lock
    /// (taken out of the queue and marked in flight) before any is sent, so concurrent calls
    /// never send the same try twice. Returns when every try claimed here has finished.
    pub(crate) async fn deliver_due(self: &Arc<Self>) {
        let now = self.clock.now();
        let claimed: Vec<(Claim, String, Vec<u8>)> = {
            let mut cbs = lock(&self.callbacks);
            let due: Vec<(u64, usize)> = cbs.waiting.range(..=(now, usize::MAX)).copied().collect();
            let mut claimed = Vec::with_capacity(due.len());
            for key in due {
                cbs.waiting.remove(&key);
                let Some(c) = cbs.all.get_mut(&key.1) else {
                    continue;
                };
                c.in_flight = true;
                let claim = Claim {
                    state: self.clone(),
                    index: key.1,
                    finished: false,
                };
                claimed.push((claim, c.url.clone(), c.body.clone()));
            }
            claimed
        };
        let mut tries = tokio::task::JoinSet::new();
        for (claim, url, body) in claimed {
            let state = self.clone();
            tries.spawn(async move {
                let (status, answer) = send_callback(&state.http, &url, body).await;
                state.finish_try(claim, status, answer, now);
            });
        }
        while tries.join_next().await.is_some() {}
    }

    /// Records a finished try: delivered on a 200, else due again after the next delay of
    /// Flitt's schedule (counted from `claimed_at`), or abandoned when the schedule is spent.
    fn finish_try(&self, mut claim: Claim, status: u16, answer: String, claimed_at: u64) {
        claim.finished = true;
        let mut cbs = lock(&self.callbacks);
        let Some(c) = cbs.all.get_mut(&claim.index) else {
            return;
        };
        c.in_flight = false;
        c.attempts += 1;
        c.last_status = status;
        c.record(Try {
            at: claimed_at,
            status,
            answer,
            resend: false,
        });
        if status == 200 {
            c.delivered = true;
            return;
        }
        if c.delivered {
            // A resend got it through meanwhile: nothing more to try.
            return;
        }
        let Some(delay) = CALLBACK_RETRIES.get(c.attempts as usize - 1) else {
            return;
        };
        c.due_at = claimed_at + delay;
        let due = c.due_at;
        cbs.waiting.insert((due, claim.index));
    }
}

impl State {
    /// One more try of callback `id` now, outside the retry schedule, and its outcome: the
    /// try is recorded; a 200 marks the callback delivered (no more scheduled tries); any
    /// other answer leaves the schedule as it was.
    pub(crate) async fn resend(self: &Arc<Self>, id: usize) -> Result<Callback, ControlError> {
        let (url, body) = {
            let cbs = lock(&self.callbacks);
            let c = cbs.all.get(&id).ok_or(ControlError::CallbackNotFound(id))?;
            (c.url.clone(), c.body.clone())
        };
        let at = self.clock.now();
        let (status, answer) = send_callback(&self.http, &url, body).await;
        let mut cbs = lock(&self.callbacks);
        let c = cbs
            .all
            .get_mut(&id)
            .ok_or(ControlError::CallbackNotFound(id))?;
        c.resends += 1;
        c.last_status = status;
        c.record(Try {
            at,
            status,
            answer,
            resend: true,
        });
        let mut unqueue = None;
        if status == 200 && !c.delivered {
            c.delivered = true;
            unqueue = Some((c.due_at, id));
        }
        let shown = c.clone();
        if let Some(key) = unqueue {
            cbs.waiting.remove(&key);
        }
        Ok(shown)
    }

    /// Empties the ledger, the callbacks, the faults and the Reports API tokens, and puts the
    /// clock back to 0, its start. The ledger and the callbacks are emptied under both their locks at
    /// once (taken ledger first, as everywhere).
    pub(crate) fn reset(&self) {
        let mut ledger = lock(&self.ledger);
        let mut callbacks = lock(&self.callbacks);
        ledger.clear();
        callbacks.clear();
        self.clock.reset();
        drop(callbacks);
        drop(ledger);
        lock(&self.faults).clear();
        lock(&self.report_tokens).clear();
    }
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Settings of a sandbox. Build one with [`Sandbox::builder`], or start from
/// [`Config::default`] and pass it to [`Sandbox::start_with`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The address to listen on (default `127.0.0.1`: this machine only). An IP address or a
    /// host name.
    pub host: String,
    /// The port (0, the default: a free one).
    pub port: u16,
    /// The base URL the sandbox names in the URLs it hands out (checkout pages, the ACS),
    /// e.g. `http://sandbox.test:8080`, when clients reach it by another name than the address
    /// it listens on; default `http://HOST:PORT` as bound (`127.0.0.1` for an unspecified
    /// address such as `0.0.0.0`). A browser's changes through the dashboard or the control
    /// API are taken from pages at this URL, at an IP address or at localhost, and no other
    /// name.
    pub public_url: Option<String>,
    /// The most orders the ledger keeps (default [`Config::DEFAULT_MAX_ORDERS`]); see
    /// [`ledger::Ledger::with_max_orders`] for which are evicted.
    pub max_orders: usize,
    /// The most connections open at once (default 1,024); more wait to be accepted.
    pub max_connections: usize,
    /// How long a request line and headers may take to arrive, and how long a kept-alive
    /// connection may sit idle between requests (default 10 s).
    pub header_read_timeout: Duration,
    /// How long a request body may take to arrive (default 30 s).
    pub body_read_timeout: Duration,
    /// The largest request body accepted (default 1 MiB).
    pub max_body_bytes: usize,
    /// The moment (UTC) of virtual time 0: `None` (the default) for the wall-clock time when
    /// the sandbox starts, so its orders are dated today; a fixed one for reproducible dates.
    pub start_time: Option<flitt::types::DateTime>,
}

impl Config {
    /// The default bound on the ledger's orders.
    pub const DEFAULT_MAX_ORDERS: usize = ledger::DEFAULT_MAX_ORDERS;
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            public_url: None,
            max_orders: Self::DEFAULT_MAX_ORDERS,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            start_time: None,
        }
    }
}

/// Builds a [`Sandbox`] with other than the default [`Config`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SandboxBuilder {
    config: Config,
}

impl SandboxBuilder {
    /// The address to listen on (default `127.0.0.1`); see [`Config::host`].
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.config.host = host.into();
        self
    }

    /// The port (0: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// The base URL named in the URLs the sandbox hands out; see [`Config::public_url`].
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.config.public_url = Some(url.into());
        self
    }

    /// The most orders the ledger keeps (at least 1), and the most server callbacks the
    /// sandbox remembers: past it, the oldest delivered or abandoned callbacks are forgotten
    /// first.
    pub fn max_orders(mut self, n: usize) -> Self {
        self.config.max_orders = n;
        self
    }

    /// The most connections open at once (at least 1).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n;
        self
    }

    /// How long a request head may take, and a kept-alive connection may idle.
    pub fn header_read_timeout(mut self, d: Duration) -> Self {
        self.config.header_read_timeout = d;
        self
    }

    /// How long a request body may take.
    pub fn body_read_timeout(mut self, d: Duration) -> Self {
        self.config.body_read_timeout = d;
        self
    }

    /// The largest request body accepted.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.config.max_body_bytes = n;
        self
    }

    /// The moment (UTC) of virtual time 0, instead of the wall-clock time when the sandbox
    /// starts: for tests that assert on dates. The clock still advances only when told
    /// ([`Sandbox::advance`]), and [`Sandbox::reset`] returns it to this moment.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use flitt::types::{Date, DateTime};
    /// let new_year = DateTime::new(Date::new(2026, 1, 1)?, 0, 0, 0)?;
    /// let sandbox = flitt_sandbox::Sandbox::builder().start_time(new_year).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn start_time(mut self, at: flitt::types::DateTime) -> Self {
        self.config.start_time = Some(at);
        self
    }

    /// Starts the sandbox.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        Sandbox::start_with(self.config).await
    }
}

impl Sandbox {
    /// Starts a sandbox on 127.0.0.1 on a free port, with the default [`Config`].
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(Config::default()).await
    }

    /// Starts a sandbox on 127.0.0.1 on `port` (0 for a free one), with the default
    /// [`Config`] otherwise.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start_on(port: u16) -> std::io::Result<Self> {
        Self::builder().port(port).start().await
    }

    /// A builder for a sandbox with other than the default [`Config`].
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Starts a sandbox with `config`.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start_with(config: Config) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port)).await?;
        let mut bound = listener.local_addr()?;
        if bound.ip().is_unspecified() {
            bound.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let base_url = match &config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(std::io::Error::other)?;
        let limits = serve::Limits {
            max_connections: config.max_connections.max(1),
            header_read_timeout: config.header_read_timeout,
            body_read_timeout: config.body_read_timeout,
            max_body_bytes: config.max_body_bytes,
        };
        let state = Arc::new(State {
            ledger: Mutex::new(Ledger::with_max_orders(config.max_orders)),
            clock: config.start_time.map_or_else(Clock::starting_now, |t| {
                let (date, hms) = (t.date(), t.time());
                // A `DateTime` always names a moment: the fallback is never taken.
                Clock::unix_seconds(date.year(), date.month(), date.day(), hms)
                    .map_or_else(Clock::starting_now, Clock::starting_at)
            }),
            faults: Mutex::new(faults::Faults::default()),
            callbacks: Mutex::new(Callbacks::new(config.max_orders)),
            base_url,
            http,
            report_tokens: Mutex::new(std::collections::BTreeMap::new()),
            limits,
        });
        let app = http::router(state.clone());
        let task = tokio::spawn(serve::serve(listener, app, limits));
        Ok(Self { state, task })
    }

    /// The base URL (`http://127.0.0.1:PORT`), to pass to `ClientBuilder::api_url`. The
    /// dashboard is at `/` under it, the control API under `/sandbox/control`.
    pub fn url(&self) -> &str {
        &self.state.base_url
    }

    /// Adds a scripted fault (the control API's `POST /sandbox/control/faults`).
    pub fn inject(&self, rule: FaultRule) {
        control::inject(&self.state, rule);
    }

    /// Fires one of `kinds` on a `rate` share of requests, reproducibly from `seed` (the
    /// control API's `POST /sandbox/control/faults/random`).
    pub fn random_faults(&self, rate: f64, seed: u64, kinds: Vec<Fault>) {
        control::random_faults(&self.state, rate, seed, kinds);
    }

    /// Removes every fault (the control API's `DELETE /sandbox/control/faults`).
    pub fn clear_faults(&self) {
        control::clear_faults(&self.state);
    }

    /// The scripted faults that will still fire, oldest first, with the times left (the
    /// control API's `GET /sandbox/control/faults`).
    pub fn faults(&self) -> Vec<FaultRule> {
        control::fault_rules(&self.state).0
    }

    /// A copy of an order of the test merchant as the ledger has it, with its history (the
    /// control API's `GET /sandbox/control/orders/{order_id}`).
    pub fn order(&self, order_id: &str) -> Option<ledger::Order> {
        control::order(&self.state, default_merchant(), order_id).ok()
    }

    /// What happened to an order of the test merchant, oldest first: each change of status,
    /// capture and refund (with its `reverse_id`) at its virtual time (see
    /// [`ledger::Order::history`]). `None` for an unknown order.
    pub fn history(&self, order_id: &str) -> Option<Vec<ledger::Event>> {
        self.order(order_id).map(|o| o.history)
    }

    /// A snapshot of every order.
    pub fn orders(&self) -> Vec<ledger::Order> {
        lock(&self.state.ledger).orders().cloned().collect()
    }

    /// The newest orders first, at most `limit` (the control API's
    /// `GET /sandbox/control/orders?limit=N`).
    pub fn newest_orders(&self, limit: usize) -> Vec<ledger::Order> {
        control::newest_orders(&self.state, limit).0
    }

    /// The callbacks queued so far, delivered or not, oldest first (the newest `max_orders`
    /// at most; see [`SandboxBuilder::max_orders`]), each with its latest tries.
    pub fn callbacks(&self) -> Vec<Callback> {
        lock(&self.state.callbacks).all.values().cloned().collect()
    }

    /// The callbacks about one order of the test merchant, oldest first, each with its
    /// tries: when, the merchant's HTTP status and the start of its answer (the control
    /// API's `GET /sandbox/control/callbacks?order_id=…`).
    pub fn callbacks_for(&self, order_id: &str) -> Vec<Callback> {
        let filter = control::CallbackFilter {
            merchant_id: Some(default_merchant()),
            order_id: Some(order_id.to_owned()),
        };
        control::callbacks(&self.state, &filter, usize::MAX).0
    }

    /// Tries callback `id` ([`Callback::id`]) once more now, outside the retry schedule, and
    /// returns it with the try recorded: a 200 marks it delivered; another answer leaves its
    /// schedule as it was (the control API's `POST /sandbox/control/callbacks/{id}/resend`).
    ///
    /// # Errors
    /// [`ControlError::CallbackNotFound`] for an id the sandbox does not remember.
    pub async fn resend_callback(&self, id: usize) -> Result<Callback, ControlError> {
        self.state.resend(id).await
    }

    /// Empties the ledger, the callbacks, the faults (scripted and random) and the Reports
    /// API tokens, and puts the clock back to 0, its start (the control API's
    /// `POST /sandbox/control/reset`). Payment ids and callback ids keep counting up.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// How many Reports API tokens the sandbox has issued.
    pub fn report_tokens_issued(&self) -> usize {
        lock(&self.state.report_tokens).len()
    }

    /// Virtual seconds since start.
    pub fn now(&self) -> u64 {
        self.state.clock.now()
    }

    /// The sandbox's clock: its start ([`Clock::start`], Unix seconds, UTC), the time now, and
    /// virtual times written as the sandbox writes them ([`Clock::order_time`]).
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// Moves the virtual clock forward: expires unpaid orders whose lifetime passed, charges
    /// the subscriptions that fall due (a new order each, `parent_order_id` set), and tries
    /// every callback now due (the control API's `POST /sandbox/control/clock/advance`).
    pub async fn advance(&self, by: Duration) {
        control::advance(&self.state, by.as_secs()).await;
    }

    /// Tries every callback due now (deliveries also start on their own right after events).
    pub async fn deliver_callbacks(&self) {
        self.state.deliver_due().await;
    }
}

/// The test merchant's id as a number.
pub(crate) fn default_merchant() -> u64 {
    MERCHANT_ID.parse().unwrap_or(0)
}
