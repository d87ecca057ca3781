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
/// payload: body excerpts, gateway messages and decode reasons are redacted when the error is
/// made (the request's own secret values included), and `Display` and `Debug` redact once
/// more on the way out, whatever text a variant holds.
#[non_exhaustive]
pub enum Error {
    /// A parameter breaks a spec rule. Raised before any network I/O.
    InvalidInput(InvalidInput),

    /// The client is misconfigured (a missing environment variable, a bad base URL).
    Config(String),

    /// The gateway refused the request (`response_status: failure`).
    Gateway(Box<GatewayError>),

    /// The server answered with an HTTP status other than 200. `excerpt` is the start of the
    /// body, redacted: an HTML error page from a proxy shows up here, never as a response.
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// The start of the body, redacted.
        excerpt: String,
    },

    /// The request could not be sent, or its reply not read.
    Transport(TransportError),

    /// The body is not what the endpoint answers (malformed, truncated, or another shape).
    Decode {
        /// What was wrong.
        reason: String,
        /// The start of the body, redacted.
        excerpt: String,
    },

    /// The reply's signature does not verify, or a signed reply came without one. Never treat
    /// such a reply as a success.
    Signature(String),

    /// A state-changing request may or may not have been applied (a timeout or a broken
    /// connection after it was sent, or a 5xx), and a status lookup could not settle it.
    /// Resolve it with a status lookup of `order_id` before trying again: never resend blindly.
    OutcomeUnknown(Box<UnknownOutcome>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Text that came from outside is redacted again here, whoever built the error; the
        // order id of an unknown outcome is shown as is, since it is what settles it.
        let r = crate::redact::text;
        match self {
            Error::InvalidInput(e) => f.write_str(&r(&e.to_string())),
            Error::Config(m) => write!(f, "client configuration: {}", r(m)),
            Error::Gateway(g) => write!(
                f,
                "gateway error {}: {} (request_id {})",
                r(&g.code_text()),
                r(&g.message),
                r(g.request_id.as_deref().unwrap_or("-"))
            ),
            Error::HttpStatus { status, excerpt } => {
                write!(f, "HTTP {status} from the gateway: {}", r(excerpt))
            }
            Error::Transport(t) => write!(f, "transport error: {}", r(&t.to_string())),
            Error::Decode { reason, excerpt } => write!(
                f,
                "cannot decode the gateway's reply: {} (body starts: {})",
                r(reason),
                r(excerpt)
            ),
            Error::Signature(m) => write!(
                f,
                "the gateway's reply failed signature verification: {}",
                r(m)
            ),
            Error::OutcomeUnknown(u) => match &u.order_id {
                Some(id) => write!(
                    f,
                    "outcome unknown for order {id} ({}): {}; look order_id {id} up before trying again, never resend blindly",
                    u.endpoint,
                    r(&u.cause)
                ),
                None => write!(
                    f,
                    "outcome unknown for {} (no order id to look up): {}",
                    u.endpoint,
                    r(&u.cause)
                ),
            },
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidInput(e) => Some(e),
            Error::Transport(t) => Some(t),
            _ => None,
        }
    }
}

impl From<InvalidInput> for Error {
    fn from(e: InvalidInput) -> Self {
        Error::InvalidInput(e)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = crate::redact::text;
        match self {
            Error::InvalidInput(e) => f.debug_tuple("InvalidInput").field(e).finish(),
            Error::Config(m) => f.debug_tuple("Config").field(&r(m)).finish(),
            Error::Gateway(g) => f
                .debug_struct("Gateway")
                .field("code", &g.code)
                .field("raw_code", &r(&g.raw_code))
                .field("message", &r(&g.message))
                .field("request_id", &g.request_id.as_deref().map(r))
                .finish(),
            Error::HttpStatus { status, excerpt } => f
                .debug_struct("HttpStatus")
                .field("status", status)
                .field("excerpt", &r(excerpt))
                .finish(),
            Error::Transport(t) => f.debug_tuple("Transport").field(t).finish(),
            Error::Decode { reason, excerpt } => f
                .debug_struct("Decode")
                .field("reason", &r(reason))
                .field("excerpt", &r(excerpt))
                .finish(),
            Error::Signature(m) => f.debug_tuple("Signature").field(&r(m)).finish(),
            Error::OutcomeUnknown(u) => f.debug_tuple("OutcomeUnknown").field(u).finish(),
        }
    }
}

impl Error {
    /// A decode error: `reason` and an excerpt of `body`, both redacted.
    pub(crate) fn decode(
        reason: impl fmt::Display,
        body: &[u8],
        secrets: &crate::redact::Secrets<'_>,
    ) -> Self {
        Error::Decode {
            reason: secrets.text(&reason.to_string()),
            excerpt: secrets.excerpt(body),
        }
    }

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
///
/// Its `Debug` shows the order found by the status lookup as redacted JSON.
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

impl fmt::Debug for UnknownOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status.as_ref().map(|order| {
            let mut v = serde_json::to_value(order).unwrap_or_default();
            crate::redact::redact_json(&mut v);
            v.to_string()
        });
        f.debug_struct("UnknownOutcome")
            .field("order_id", &self.order_id)
            .field("endpoint", &self.endpoint)
            .field("cause", &crate::redact::text(&self.cause))
            .field("timed_out", &self.timed_out)
            .field("status", &status)
            .finish()
    }
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
