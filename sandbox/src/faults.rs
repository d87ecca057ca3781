//! Faults the sandbox injects, scripted per order or path, or at a seeded random rate.

use std::time::Duration;

/// A fault. Each kind says whether the ledger changed before it shows: a client that meets
/// one of the "applied" kinds must resolve the outcome (e.g. by a status lookup) before
/// repeating a money call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 with an HTML page. The ledger is **not** changed: the request never ran.
    ErrorBeforeLedger,
    /// The request is applied (the ledger changed), then HTTP 502 with an HTML page.
    ErrorAfterLedger,
    /// The request is applied (the ledger changed), then the reply is held this long (past a
    /// client's timeout) before it is sent.
    Hold(Duration),
    /// The request is applied (the ledger changed), then the status line and headers of a 200
    /// reply are sent and the connection is closed before any body byte: the client sees a
    /// body that ends early (hyper: "connection closed before message completed").
    DropConnection,
    /// The request is applied (the ledger changed), then the reply's body is cut short: half of
    /// it is sent and the connection is closed.
    TruncatedBody,
    /// The request is applied (the ledger changed), then a 200 reply with an HTML body.
    HtmlBody,
    /// The request is applied (the ledger changed), then the reply is sent with a wrong
    /// signature (1.0: the `signature` field; 2.0: the envelope's `signature`).
    BadSignature,
    /// The request is applied (the ledger changed), then the reply is sent with its signature
    /// removed (1.0: the `signature` field; 2.0: the envelope's `signature`). Replies Flitt
    /// does not sign (errors, `capture`, `transaction_list`, 1.0 checkout) are sent unchanged.
    MissingSignature,
    /// The request is applied (the ledger changed), then the status line and headers are sent
    /// at once and the body a few bytes at a time with pauses, so the whole reply takes about
    /// this long. The body is complete and correct, only slow: a client with a shorter read
    /// timeout gives up part-way.
    SlowDrip(Duration),
    /// The request is applied (the ledger changed), then the connection is closed with no HTTP
    /// response at all: not a byte of a status line. The socket is closed with a TCP reset
    /// (`SO_LINGER` 0), so the client's read fails with "connection reset by peer"
    /// (`ECONNRESET`; reqwest: a transport error that is not a timeout, after the request was
    /// sent).
    ConnectionReset,
}

impl Fault {
    /// Whether the request is applied to the ledger before the fault shows (true for every
    /// kind but [`Fault::ErrorBeforeLedger`]).
    pub fn after_ledger(&self) -> bool {
        !matches!(self, Fault::ErrorBeforeLedger)
    }
}

/// When a scripted fault fires.
#[derive(Clone, Debug)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Only for this order id.
    pub order_id: Option<String>,
    /// Only for this API path (`/api/capture/order_id`).
    pub path: Option<String>,
    /// How many times it fires.
    pub times: u32,
}

impl FaultRule {
    /// A fault for the next request to `path`.
    pub fn on_path(path: &str, fault: Fault) -> Self {
        Self {
            fault,
            order_id: None,
            path: Some(path.to_owned()),
            times: 1,
        }
    }

    /// A fault for the next request about `order_id`.
    pub fn on_order(order_id: &str, fault: Fault) -> Self {
        Self {
            fault,
            order_id: Some(order_id.to_owned()),
            path: None,
            times: 1,
        }
    }
}

/// The fault plan.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    random: Option<(f64, fastrand::Rng, Vec<Fault>)>,
}

impl Faults {
    /// Adds a scripted fault.
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    /// Fires one of `kinds` on a `rate` share of requests, from a fixed `seed`.
    pub fn random(&mut self, rate: f64, seed: u64, kinds: Vec<Fault>) {
        self.random = Some((rate, fastrand::Rng::with_seed(seed), kinds));
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.rules.clear();
        self.random = None;
    }

    /// The fault for a request, if one fires.
    pub fn take(&mut self, path: &str, order_id: Option<&str>) -> Option<Fault> {
        let normalized = path.trim_end_matches('/');
        if let Some(rule) = self.rules.iter_mut().find(|r| {
            r.times > 0
                && r.path
                    .as_deref()
                    .is_none_or(|p| p.trim_end_matches('/') == normalized)
                && r.order_id.as_deref().is_none_or(|o| Some(o) == order_id)
        }) {
            rule.times -= 1;
            return Some(rule.fault.clone());
        }
        if let Some((rate, rng, kinds)) = &mut self.random {
            if !kinds.is_empty() && rng.f64() < *rate {
                return Some(kinds[rng.usize(..kinds.len())].clone());
            }
        }
        None
    }
}
