//! The router's outer layer, around every request: one access-log line per request.
//!
//! - **The access log**: a `tracing` event at INFO, target `flitt_sandbox::access`, once the
//!   reply has gone (or was cut): `METHOD PATH order_id=ID -> STATUS RESULT`, where RESULT is
//!   the Flitt `error_code`, else the `order_status`, else the `response_status` of the reply.
//!   Only these: no body, no header, no card data, no key. The order id is the merchant's
//!   text, so it is passed through `flitt::redact::text`, stripped of control characters and
//!   cut short. `flitt sandbox` prints these lines on stderr.
//! - **Who knows what**: the API handlers have parsed the request and built the reply, so
//!   they tell the line the order id and the result through a [`Note`] in the request's
//!   extensions (the order id as soon as it is read, so a request whose connection is then
//!   reset still names it). A reply nobody noted (control API, dashboard, reports) is looked
//!   at as it passes: its first bytes are kept, without holding them back (slow and cut
//!   replies stay slow and cut), and read for the result once it ends.
//!
//! The hosted page's `cancel_url` is kept by the checkout handler itself
//! (`endpoints::checkout`).

use crate::ledger::{Field, OrderFields};
use crate::{State, lock};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
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
            return crate::sign::open_v2(&inner).unwrap_or_default();
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
    let mut clean = flitt::redact::text(s);
    // ASCII text (an order id, mostly) is checked byte by byte, without decoding characters.
    let has_control = if clean.is_ascii() {
        clean.bytes().any(|b| b.is_ascii_control())
    } else {
        clean.contains(char::is_control)
    };
    if has_control {
        clean = clean
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
    }
    // No more bytes than characters allowed: no more characters either.
    if clean.len() > MAX_SHOWN && clean.chars().count() > MAX_SHOWN {
        clean.chars().take(MAX_SHOWN).collect::<String>() + "…"
    } else {
        clean
    }
}

/// [`shown`] for text that recurs from request to request (a path, a result), remembered
/// per thread for the last few texts: redaction is most of a log line's cost, and the same
/// text is always shown the same way.
fn shown_recurring(s: &str) -> Rc<str> {
    /// How many texts each thread remembers.
    const REMEMBERED: usize = 16;
    thread_local! {
        static SHOWN: RefCell<Vec<(String, Rc<str>)>> = const { RefCell::new(Vec::new()) };
    }
    SHOWN.with_borrow_mut(|memo| {
        if let Some((_, out)) = memo.iter().find(|(text, _)| text == s) {
            return Rc::clone(out);
        }
        let out: Rc<str> = shown(s).into();
        if memo.len() == REMEMBERED {
            memo.remove(0);
        }
        memo.push((s.to_owned(), Rc::clone(&out)));
        out
    })
}

/// What a reply body says happened: `error 1014`, `approved`, `success`; empty when it says
/// none of these (a page, a cut body).
fn result(content_type: &str, body: &[u8]) -> String {
    result_of(&fields(content_type, body, "response"))
}

/// What a refusal's reply says happened: `error CODE`.
pub(crate) fn result_of_refusal(r: &crate::ledger::Refusal) -> String {
    format!("error {}", r.code)
}

/// What a reply's fields say happened (see [`result`]).
pub(crate) fn result_of(f: &Map<String, Value>) -> String {
    result_by(|key| text(f, key))
}

/// What an order's reply says happened (see [`result`]).
pub(crate) fn result_of_order(f: &OrderFields) -> String {
    result_by(|key| match f.get(key)? {
        Field::Text(s) if s.is_empty() => None,
        Field::Text(s) => Some(s.to_string()),
        Field::Number(n) => Some(n.to_string()),
    })
}

/// What a reply says happened, by the text of its fields (`None` for absent or empty).
fn result_by(text: impl Fn(&str) -> Option<String>) -> String {
    if let Some(code) = text("error_code") {
        return format!("error {}", shown_recurring(&code));
    }
    for key in ["order_status", "response_status"] {
        if let Some(v) = text(key) {
            return String::from(&*shown_recurring(&v));
        }
    }
    String::new()
}

/// What a request's handler tells its log line: the order id it read and the result it
/// answered. In the request's extensions; a handler takes it as `Option<Extension<Note>>`
/// (absent when the router runs without this layer).
#[derive(Clone, Debug, Default)]
pub(crate) struct Note(Arc<Mutex<Noted>>);

#[derive(Debug, Default)]
struct Noted {
    order_id: Option<String>,
    result: Option<String>,
}

impl Note {
    /// The order id the request names.
    pub(crate) fn order_id(&self, order_id: Option<String>) {
        lock(&self.0).order_id = order_id;
    }

    /// What the reply says happened (see [`result`]): its body is then not looked at.
    pub(crate) fn result(&self, result: String) {
        lock(&self.0).result = Some(result);
    }
}

/// One request's log line, written once: when the reply has gone, when it was cut, or when
/// the request was dropped with no reply.
struct Line {
    method: Method,
    path: String,
    /// The order id the layer found itself (a checkout page's), unless the handler notes one.
    order_id: Option<String>,
    note: Note,
    status: Option<u16>,
    written: bool,
}

impl Line {
    fn write(&mut self, result: &str) {
        if std::mem::replace(&mut self.written, true) {
            return;
        }
        let noted = lock(&self.note.0).order_id.take();
        let order = noted
            .as_deref()
            .or(self.order_id.as_deref())
            .map_or("-".to_owned(), shown);
        let status: &dyn std::fmt::Display = match &self.status {
            Some(code) => code,
            None => &"no reply",
        };
        tracing::info!(
            target: "flitt_sandbox::access",
            "{} {} order_id={} -> {}{}{}",
            self.method,
            shown_recurring(&self.path),
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

/// A reply body passed through unchanged, chunk by chunk as it is produced, which writes
/// the log line once it ends: with the result the handler noted, else with the result its
/// first bytes (kept as they pass) name.
struct Observed {
    inner: Body,
    content_type: String,
    /// The result the handler noted.
    known: Option<String>,
    seen: Vec<u8>,
    line: Line,
}

impl Observed {
    fn result(&self) -> String {
        match &self.known {
            Some(r) => r.clone(),
            None => result(&self.content_type, &self.seen),
        }
    }
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
                if let (Some(data), None) = (frame.data_ref(), &this.known) {
                    let room = PEEK.saturating_sub(this.seen.len());
                    this.seen.extend_from_slice(&data[..room.min(data.len())]);
                }
                // hyper stops polling a body that says it has ended.
                if this.inner.is_end_stream() {
                    let r = this.result();
                    this.line.write(&r);
                }
            }
            Poll::Ready(None) => {
                let r = this.result();
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

/// The layer: see the module docs.
pub(crate) async fn observe(
    AxumState(state): AxumState<Arc<State>>,
    mut request: Request,
    next: Next,
) -> Response {
    let note = Note::default();
    let mut line = Line {
        method: request.method().clone(),
        path: request.uri().path().to_owned(),
        order_id: None,
        note: note.clone(),
        status: None,
        written: false,
    };
    if let Some(token) = line
        .path
        .strip_prefix("/sandbox/checkout/")
        .map(|rest| rest.trim_end_matches("/pay"))
    {
        line.order_id = lock(&state.ledger)
            .by_checkout_token(token)
            .map(|o| o.order_id.clone());
    }
    request.extensions_mut().insert(note.clone());
    let response = next.run(request).await;
    line.status = Some(response.status().as_u16());
    let known = lock(&note.0).result.take();
    let content_type = if known.is_some() {
        String::new()
    } else {
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (parts, body) = response.into_parts();
    let observed = Observed {
        inner: body,
        content_type,
        known,
        seen: Vec::new(),
        line,
    };
    Response::from_parts(parts, Body::new(observed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;

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
        for s in ["a\nb", "4444555511116666", "/api/status/order_id", "a\nb"] {
            assert_eq!(*shown_recurring(s), *shown(s));
        }
        for i in 0..40 {
            let s = format!("/api/{i}/4444555511116666");
            assert_eq!(*shown_recurring(&s), *shown(&s));
            assert_eq!(*shown_recurring(&s), *shown(&s));
        }
    }
}
