//! The one error type of the client.
//!
//! A declined payment is **not** an error: it is a successful response whose `order_status` is
//! `declined`. Errors are requests that could not be made, were refused by the gateway, or whose
//! reply cannot be trusted.

use crate::api::{OrderResponse, ResponseCode};
use crate::types::OrderId;
use crate::validate::InvalidInput;
use std::fmt;

/// Everything that can go wrong calling Flitt.
///
/// No variant ever holds a secret, a card number, a CVV, a rectoken, a PaRes or a 2.0 `data`
/// payload: body excerpts are cut short and redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter breaks a spec rule. Raised before any network I/O.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),

    /// The client is misconfigured (a missing environment variable, a bad base URL).
    #[error("client configuration: {0}")]
    Config(String),

    /// The gateway refused the request (`response_status: failure`).
    #[error("gateway error {code}: {message} (request_id {request_id})", code = .0.code_text(), message = .0.message, request_id = .0.request_id.as_deref().unwrap_or("-"))]
    Gateway(Box<GatewayError>),

    /// The server answered with an HTTP status other than 200. `excerpt` is the start of the
    /// body, redacted: an HTML error page from a proxy shows up here, never as a response.
    #[error("HTTP {status} from the gateway: {excerpt}")]
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// The start of the body, redacted.
        excerpt: String,
    },

    /// The request could not be sent, or its reply not read.
    #[error("transport error: {0}")]
    Transport(#[source] TransportError),

    /// The body is not what the endpoint answers (malformed, truncated, or another shape).
    #[error("cannot decode the gateway's reply: {reason} (body starts: {excerpt})")]
    Decode {
        /// What was wrong.
        reason: String,
        /// The start of the body, redacted.
        excerpt: String,
    },

    /// The reply's signature does not verify, or a signed reply came without one. Never treat
    /// such a reply as a success.
    #[error("the gateway's reply failed signature verification: {0}")]
    Signature(String),

    /// A state-changing request may or may not have been applied (a timeout or a broken
    /// connection after it was sent, or a 5xx), and a status lookup could not settle it.
    /// Resolve it with a status lookup of `order_id` before trying again: never resend blindly.
    #[error("outcome unknown for order {order_id}: {cause}", order_id = .0.order_id.as_ref().map_or("-", |o| o.as_str()), cause = .0.cause)]
    OutcomeUnknown(Box<UnknownOutcome>),
}

impl Error {
    /// Whether the error is a timeout.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(t) => t.is_timeout(),
            Error::OutcomeUnknown(u) => u.timed_out,
            _ => false,
        }
    }

    /// The gateway's error, if the gateway refused the request.
    pub fn gateway(&self) -> Option<&GatewayError> {
        match self {
            Error::Gateway(g) => Some(g),
            _ => None,
        }
    }

    /// A short name of the kind of error, for logs and exit messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "invalid_input",
            Error::Config(_) => "config",
            Error::Gateway(_) => "gateway",
            Error::HttpStatus { .. } => "http_status",
            Error::Transport(t) if t.is_timeout() => "timeout",
            Error::Transport(_) => "transport",
            Error::Decode { .. } => "decode",
            Error::Signature(_) => "signature",
            Error::OutcomeUnknown(_) => "outcome_unknown",
        }
    }
}

/// A refusal by the gateway: `{"error_code": …, "error_message": …, "request_id": …}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayError {
    /// The numeric code, when it is one (`error_code` may come as a number or a string).
    pub code: Option<u32>,
    /// The code as received.
    pub raw_code: String,
    /// The gateway's message.
    pub message: String,
    /// The gateway's request id, for support.
    pub request_id: Option<String>,
}

impl GatewayError {
    /// The code's entry in the spec's response-code table.
    pub fn response_code(&self) -> Option<ResponseCode> {
        self.code.map(ResponseCode::from_code)
    }

    fn code_text(&self) -> String {
        match self.response_code() {
            Some(ResponseCode::Unknown(n)) => n.to_string(),
            Some(c) => format!("{} {}", c.code(), c.name()),
            None => self.raw_code.clone(),
        }
    }
}

/// A request whose outcome the client could not establish.
#[derive(Debug)]
pub struct UnknownOutcome {
    /// The order the request was about.
    pub order_id: Option<OrderId>,
    /// The endpoint called (`capture`).
    pub endpoint: &'static str,
    /// What went wrong with the request, and with the lookup if one was tried.
    pub cause: String,
    /// Whether the request itself timed out.
    pub timed_out: bool,
    /// The order as a status lookup after the failure found it, when the lookup worked. It
    /// shows the order's state, but not whether this particular request was applied.
    pub status: Option<OrderResponse>,
}

/// Why a request could not be sent or its reply read.
#[derive(Debug)]
pub struct TransportError {
    pub(crate) timeout: bool,
    pub(crate) connect: bool,
    pub(crate) source: Box<dyn std::error::Error + Send + Sync>,
}

impl TransportError {
    /// Whether it timed out.
    pub fn is_timeout(&self) -> bool {
        self.timeout
    }

    /// Whether the connection was never made (so nothing was sent).
    pub fn is_connect(&self) -> bool {
        self.connect
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.timeout {
            f.write_str("timed out")?;
        } else if self.connect {
            f.write_str("could not connect")?;
        } else {
            f.write_str("connection failed")?;
        }
        // reqwest's messages name the URL, never the body.
        write!(f, " ({})", self.source)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Keys whose values never leave the process in an error or a log.
pub(crate) const SENSITIVE_KEYS: &[&str] = &[
    "card_number",
    "cvv2",
    "expiry_date",
    "rectoken",
    "receiver_rectoken",
    "external_rectoken",
    "receiver_card_number",
    "pares",
    "pareq",
    "md",
    "data",
    "token",
    "signature",
    "response_signature_string",
];

/// A short, redacted excerpt of a body for an error message: sensitive JSON values are
/// replaced, long digit runs (card numbers) masked, and the text cut to 120 characters.
pub(crate) fn redacted_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(mut v) => {
            redact_value(&mut v);
            v.to_string()
        }
        Err(_) => text.into_owned(),
    };
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |out: &mut String, digits: &mut String| {
        if digits.len() >= 12 {
            out.push_str("[redacted]");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut out, &mut digits);
            out.push(if c.is_control() { ' ' } else { c });
        }
    }
    flush(&mut out, &mut digits);
    if out.chars().count() > 120 {
        out = out.chars().take(120).collect::<String>() + "…";
    }
    out
}

fn redact_value(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if SENSITIVE_KEYS.contains(&k.to_ascii_lowercase().as_str()) {
                    *val = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_value(val);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_hide_secrets_and_card_numbers() {
        let body = br#"{"response":{"rectoken":"tok123","card_number":"4444555511116666","note":"card 4444555511116666"}}"#;
        let e = redacted_excerpt(body);
        assert!(!e.contains("tok123"), "{e}");
        assert!(!e.contains("4444555511116666"), "{e}");
        let html = b"<html><body>502 Bad Gateway</body></html>";
        assert_eq!(
            redacted_excerpt(html),
            "<html><body>502 Bad Gateway</body></html>"
        );
        assert!(redacted_excerpt(&[b'x'; 500]).chars().count() <= 121);
    }
}
