//! The router's outer layer, around every request: one access-log line per request, and the
//! hosted page's `cancel_url`.
//!
//! - **The access log**: a `tracing` event at INFO, target `flitt_sandbox::access`, once the
//!   reply has gone (or was cut): `METHOD PATH order_id=ID -> STATUS RESULT`, where RESULT is
//!   the Flitt `error_code`, else the `order_status`, else the `response_status` of the reply
//!   (read from its first bytes as they pass, without holding them back: slow and cut replies
//!   stay slow and cut). Only these: no body, no header, no card data, no key. The order id is
//!   the merchant's text, so it is passed through `flitt::redact::text`, stripped of control
//!   characters and cut short. `flitt sandbox` prints these lines on stderr.
//! - **`cancel_url`**: the request handler does not keep it, so this layer reads it from a
//!   hosted-checkout request and, when that request created the order, records it on the
//!   order for the checkout page's cancel link.

use crate::serve::RequestBody;
use crate::{State, lock};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State as AxumState};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// How much of a reply is looked at for its result.
const PEEK: usize = 8 * 1024;
/// The longest order id or path a log line shows.
const MAX_SHOWN: usize = 80;

/// The fields of a Flitt request or reply body, however it came: a 1.0 JSON object (under
/// `wrapper` or bare), a 2.0 envelope (its `data`'s `order`), or a form. Empty when it is
/// none of them.
fn fields(content_type: &str, body: &[u8], wrapper: &str) -> Map<String, Value> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if content_type.contains("json") || first == Some(&b'{') {
        let Ok(Value::Object(mut outer)) = serde_json::from_slice::<Value>(body) else {
            return Map::new();
        };
        let inner = match outer.remove(wrapper) {
            Some(Value::Object(m)) => m,
            _ => outer,
        };
        if inner.get("version").and_then(Value::as_str) == Some("2.0") {
            let data = inner.get("data").and_then(Value::as_str).unwrap_or("");
            return B64
                .decode(data)
                .ok()
                .and_then(|d| serde_json::from_slice::<Value>(&d).ok())
                .and_then(|mut v| match v.get_mut("order").map(Value::take) {
                    Some(Value::Object(m)) => Some(m),
                    _ => None,
                })
                .unwrap_or_default();
        }
        return inner;
    }
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// A field as text (strings and numbers).
fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Outside text made fit for one log line: redacted, no control characters, cut short.
fn shown(s: &str) -> String {
    let clean: String = flitt::redact::text(s)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() > MAX_SHOWN {
        clean.chars().take(MAX_SHOWN).collect::<String>() + "…"
    } else {
        clean
    }
}

/// What a reply body says happened: `error 1014`, `approved`, `success`; empty when it says
/// none of these (a page, a cut body).
fn result(content_type: &str, body: &[u8]) -> String {
    let f = fields(content_type, body, "response");
    if let Some(code) = text(&f, "error_code") {
        return format!("error {}", shown(&code));
    }
    for key in ["order_status", "response_status"] {
        if let Some(v) = text(&f, key) {
            return shown(&v);
        }
    }
    String::new()
}

/// One request's log line, written once: when the reply has gone, when it was cut, or when
/// the request was dropped with no reply.
struct Line {
    method: Method,
    path: String,
    order_id: Option<String>,
    status: Option<u16>,
    written: bool,
}

impl Line {
    fn write(&mut self, result: &str) {
        if std::mem::replace(&mut self.written, true) {
            return;
        }
        let order = self.order_id.as_deref().map_or("-".to_owned(), shown);
        let status = self.status.map_or("no reply".to_owned(), |s| s.to_string());
        tracing::info!(
            target: "flitt_sandbox::access",
            "{} {} order_id={} -> {}{}{}",
            self.method,
            shown(&self.path),
            order,
            status,
            if result.is_empty() { "" } else { " " },
            result
        );
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        // Dropped unwritten: the connection went before the reply (a reset, a client gone).
        let why = if self.status.is_some() {
            "(reply cut)"
        } else {
            "(connection closed)"
        };
        self.write(why);
    }
}

/// A reply body passed through unchanged, chunk by chunk as it is produced, whose first
/// bytes are kept to name the result in the log line once it ends.
struct Observed {
    inner: Body,
    content_type: String,
    seen: Vec<u8>,
    line: Line,
}

impl http_body::Body for Observed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let room = PEEK.saturating_sub(this.seen.len());
                    this.seen.extend_from_slice(&data[..room.min(data.len())]);
                }
                // hyper stops polling a body that says it has ended.
                if this.inner.is_end_stream() {
                    let r = result(&this.content_type, &this.seen);
                    this.line.write(&r);
                }
            }
            Poll::Ready(None) => {
                let r = result(&this.content_type, &this.seen);
                this.line.write(&r);
            }
            Poll::Ready(Some(Err(_))) => this.line.write("(reply cut)"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Whether a path creates an order with a hosted checkout page.
fn is_checkout(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "/api/checkout/url" | "/api/checkout/token"
    )
}

/// The layer: see the module docs.
pub(crate) async fn observe(
    AxumState(state): AxumState<Arc<State>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut line = Line {
        method,
        path: path.clone(),
        order_id: None,
        status: None,
        written: false,
    };
    let mut request = request;
    let mut cancel = None;
    if path.starts_with("/api/") {
        // Read the body here (within the same limits), look at it, and hand it on.
        let (parts, body) = request.into_parts();
        let probe = Request::from_parts(parts.clone(), body);
        let bytes = match RequestBody::from_request(probe, &state).await {
            Ok(RequestBody(bytes)) => bytes,
            Err(refusal) => {
                line.status = Some(refusal.status().as_u16());
                line.write("(body refused)");
                return refusal;
            }
        };
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let f = fields(content_type, &bytes, "request");
        line.order_id = text(&f, "order_id");
        if is_checkout(&path) {
            let url = text(&f, "cancel_url").and_then(|u| crate::html::http_url(&u));
            let merchant = text(&f, "merchant_id").and_then(|m| m.parse::<u64>().ok());
            if let (Some(url), Some(merchant), Some(order_id)) = (url, merchant, &line.order_id) {
                let existed = lock(&state.ledger).get(merchant, order_id).is_ok();
                if !existed {
                    cancel = Some((merchant, order_id.clone(), url));
                }
            }
        }
        request = Request::from_parts(parts, Body::from(bytes));
    } else if let Some(token) = path
        .strip_prefix("/sandbox/checkout/")
        .map(|rest| rest.trim_end_matches("/pay"))
    {
        line.order_id = lock(&state.ledger)
            .by_checkout_token(token)
            .map(|o| o.order_id.clone());
    }
    let response = next.run(request).await;
    if let Some((merchant, order_id, url)) = cancel {
        // Created by this request (it did not exist before): keep where cancelling goes.
        let _ = lock(&state.ledger).set_cancel_url(merchant, &order_id, &url);
    }
    line.status = Some(response.status().as_u16());
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let (parts, body) = response.into_parts();
    let observed = Observed {
        inner: body,
        content_type,
        seen: Vec::new(),
        line,
    };
    Response::from_parts(parts, Body::new(observed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_from_every_reply_shape() {
        let json = br#"{"response":{"error_code":1014,"error_message":"Invalid signature"}}"#;
        assert_eq!(result("application/json", json), "error 1014");
        let json = br#"{"response":{"order_status":"approved","response_status":"success"}}"#;
        assert_eq!(result("application/json", json), "approved");
        let data = B64.encode(r#"{"order":{"order_status":"declined"}}"#);
        let v2 = format!(r#"{{"response":{{"version":"2.0","data":"{data}","signature":"x"}}}}"#);
        assert_eq!(result("application/json", v2.as_bytes()), "declined");
        let form = b"order_id=o&response_status=failure&error_code=1018";
        assert_eq!(
            result("application/x-www-form-urlencoded", form),
            "error 1018"
        );
        assert_eq!(result("text/html", b"<html>"), "");
        assert_eq!(result("application/json", br#"{"respo"#), "");
    }

    #[test]
    fn order_ids_are_made_safe_for_one_line() {
        assert_eq!(shown("o-1"), "o-1");
        assert_eq!(shown("a\nb\rc"), "a b c");
        assert!(!shown("4444555511116666").contains("4444"));
        assert_eq!(shown(&"x".repeat(500)).chars().count(), MAX_SHOWN + 1);
    }
}
