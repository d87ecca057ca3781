//! Faults the sandbox injects, scripted per order or path, or at a seeded random rate.

use std::time::Duration;

/// A fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 with an HTML page; the ledger is not touched.
    ErrorBeforeLedger,
    /// The request is applied, then HTTP 502 with an HTML page.
    ErrorAfterLedger,
    /// The request is applied, then the reply is held this long (past a client's timeout).
    Hold(Duration),
    /// The request is applied, then the connection is closed mid-reply.
    DropConnection,
    /// The request is applied, then the reply's body is cut short.
    TruncatedBody,
    /// The request is applied, then a 200 reply with an HTML body.
    HtmlBody,
    /// The request is applied, then the reply is sent with a wrong signature.
    BadSignature,
}

impl Fault {
    /// Whether the ledger changes before the fault shows.
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
