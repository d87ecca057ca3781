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

/// The longest [`Fault::Hold`] or [`Fault::SlowDrip`] [`Fault::from_name`] makes: 10 minutes.
pub const MAX_FAULT_DURATION: Duration = Duration::from_secs(600);

impl Fault {
    /// The name of every kind, as [`Fault::name`] gives it and [`Fault::from_name`] takes it.
    pub const KINDS: [&'static str; 10] = [
        "error_before_ledger",
        "error_after_ledger",
        "hold",
        "drop_connection",
        "truncated_body",
        "html_body",
        "bad_signature",
        "missing_signature",
        "slow_drip",
        "connection_reset",
    ];

    /// Whether the request is applied to the ledger before the fault shows (true for every
    /// kind but [`Fault::ErrorBeforeLedger`]).
    pub fn after_ledger(&self) -> bool {
        !matches!(self, Fault::ErrorBeforeLedger)
    }

    /// The kind's snake-case name (`error_before_ledger`, `hold`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::ErrorBeforeLedger => "error_before_ledger",
            Fault::ErrorAfterLedger => "error_after_ledger",
            Fault::Hold(_) => "hold",
            Fault::DropConnection => "drop_connection",
            Fault::TruncatedBody => "truncated_body",
            Fault::HtmlBody => "html_body",
            Fault::BadSignature => "bad_signature",
            Fault::MissingSignature => "missing_signature",
            Fault::SlowDrip(_) => "slow_drip",
            Fault::ConnectionReset => "connection_reset",
        }
    }

    /// How long a [`Fault::Hold`] or [`Fault::SlowDrip`] lasts.
    pub fn duration(&self) -> Option<Duration> {
        match self {
            Fault::Hold(d) | Fault::SlowDrip(d) => Some(*d),
            _ => None,
        }
    }

    /// The fault a kind's name and, for `hold` and `slow_drip`, a duration in milliseconds
    /// (at most [`MAX_FAULT_DURATION`]) stand for.
    ///
    /// # Errors
    /// A message naming the problem: an unknown kind (with the known ones), a `hold` or
    /// `slow_drip` without a duration or with one too long, or a duration given to a kind
    /// that takes none.
    pub fn from_name(kind: &str, millis: Option<u64>) -> Result<Fault, String> {
        let timed = matches!(kind, "hold" | "slow_drip");
        let duration = match (timed, millis) {
            (true, None) => return Err(format!("fault kind `{kind}` needs a duration (millis)")),
            (true, Some(ms)) => {
                let d = Duration::from_millis(ms);
                if d > MAX_FAULT_DURATION {
                    return Err(format!(
                        "a fault lasts at most {} ms",
                        MAX_FAULT_DURATION.as_millis()
                    ));
                }
                d
            }
            (false, Some(_)) if Self::KINDS.contains(&kind) => {
                return Err(format!("fault kind `{kind}` takes no duration"));
            }
            (false, _) => Duration::ZERO,
        };
        Ok(match kind {
            "error_before_ledger" => Fault::ErrorBeforeLedger,
            "error_after_ledger" => Fault::ErrorAfterLedger,
            "hold" => Fault::Hold(duration),
            "drop_connection" => Fault::DropConnection,
            "truncated_body" => Fault::TruncatedBody,
            "html_body" => Fault::HtmlBody,
            "bad_signature" => Fault::BadSignature,
            "missing_signature" => Fault::MissingSignature,
            "slow_drip" => Fault::SlowDrip(duration),
            "connection_reset" => Fault::ConnectionReset,
            other => {
                return Err(format!(
                    "unknown fault kind `{other}`; known: {}",
                    Self::KINDS.join(", ")
                ));
            }
        })
    }
}

/// `kind` or, for `hold` and `slow_drip`, `kind:MILLIS` (`hold:1500`): the text
/// [`Fault`]'s `FromStr` reads.
impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.duration() {
            Some(d) => write!(f, "{}:{}", self.name(), d.as_millis()),
            None => f.write_str(self.name()),
        }
    }
}

/// Reads `kind` or `kind:MILLIS` (`html_body`, `hold:1500`), as [`Fault::from_name`] takes
/// them.
impl std::str::FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None => Fault::from_name(s, None),
            Some((kind, ms)) => {
                let ms = ms
                    .parse()
                    .map_err(|_| format!("`{ms}` is not a number of milliseconds"))?;
                Fault::from_name(kind, Some(ms))
            }
        }
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

/// The most scripted rules kept at once (see [`Faults::add`]).
pub const MAX_RULES: usize = 1024;

/// Random faults: which kinds, how often, from which seed.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomFaults {
    /// The share of requests that meet one, 0 to 1.
    pub rate: f64,
    /// The seed the choices are drawn from.
    pub seed: u64,
    /// The kinds drawn from, each as likely.
    pub kinds: Vec<Fault>,
}

/// The fault plan.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    random: Option<(RandomFaults, fastrand::Rng)>,
}

impl Faults {
    /// Adds a scripted fault. Spent rules are forgotten first; past [`MAX_RULES`] the oldest
    /// rule goes.
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.retain(|r| r.times > 0);
        if self.rules.len() >= MAX_RULES {
            self.rules.remove(0);
        }
        self.rules.push(rule);
    }

    /// Fires one of `kinds` on a `rate` share of requests, from a fixed `seed`.
    pub fn random(&mut self, rate: f64, seed: u64, kinds: Vec<Fault>) {
        let plan = RandomFaults { rate, seed, kinds };
        self.random = Some((plan, fastrand::Rng::with_seed(seed)));
    }

    /// The scripted rules that will still fire, oldest first, with the times left.
    pub fn rules(&self) -> impl Iterator<Item = &FaultRule> {
        self.rules.iter().filter(|r| r.times > 0)
    }

    /// The random faults, if set.
    pub fn random_plan(&self) -> Option<&RandomFaults> {
        self.random.as_ref().map(|(plan, _)| plan)
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
        if let Some((plan, rng)) = &mut self.random {
            if !plan.kinds.is_empty() && rng.f64() < plan.rate {
                return Some(plan.kinds[rng.usize(..plan.kinds.len())].clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_by_name() {
        for kind in Fault::KINDS {
            let millis = matches!(kind, "hold" | "slow_drip").then_some(1500);
            let fault = Fault::from_name(kind, millis).unwrap();
            assert_eq!(fault.name(), kind);
            assert_eq!(fault.duration(), millis.map(Duration::from_millis));
        }
        assert!(
            Fault::from_name("meteor", None)
                .unwrap_err()
                .contains("unknown")
        );
        assert!(Fault::from_name("hold", None).is_err());
        assert!(Fault::from_name("hold", Some(600_001)).is_err());
        assert!(Fault::from_name("html_body", Some(5)).is_err());
        for text in ["hold:1500", "html_body", "slow_drip:20"] {
            assert_eq!(text.parse::<Fault>().unwrap().to_string(), text);
        }
        assert!("hold:soon".parse::<Fault>().is_err());
    }

    #[test]
    fn the_rules_stay_bounded_and_spent_ones_go() {
        let mut faults = Faults::default();
        for i in 0..(MAX_RULES + 10) {
            faults.add(FaultRule::on_order(&i.to_string(), Fault::HtmlBody));
        }
        assert_eq!(faults.rules().count(), MAX_RULES);
        assert_eq!(faults.take("/api/x", Some("0")), None, "the oldest went");
        assert_eq!(faults.take("/api/x", Some("20")), Some(Fault::HtmlBody));
        assert_eq!(faults.rules().count(), MAX_RULES - 1);
    }
}
