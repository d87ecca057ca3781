//! The wire protocol: parse a request as Flitt does (JSON or form, 1.0 or 2.0), check the
//! merchant, the signature and the parameters against the spec, run it on the ledger, and
//! answer in the request's format, signed, with any injected fault applied.

use crate::endpoints::handle;
use crate::faults::Fault;
use crate::ledger::{Field, OrderFields, Refusal};
use crate::serve::RequestBody;
use crate::{State, access, control, dashboard, lock, pages, sign};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use flitt::__private::json_text::{write_plain_key, write_str};
use flitt::api::ResponseCode;
use flitt::request::{ApiRequest as _, Endpoint, ParamKind, Protocol, SigningKey};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn router(state: Arc<State>) -> Router {
    let report_path = flitt::api::CompanyReportRequest::ENDPOINT.path;
    // Paths under /api/ that are not the payment API: the Reports API, and the redirect
    // checkout a browser posts (redirect.rs).
    let own_routes: [(&str, MethodRouter<Arc<State>>); 5] = [
        (
            flitt::api::ReportsTokenRequest::ENDPOINT.path,
            post(crate::reports::token),
        ),
        (report_path, post(crate::reports::report)),
        (
            report_path.trim_end_matches('/'),
            post(crate::reports::report),
        ),
        (
            "/api/checkout/redirect",
            post(crate::redirect::checkout_redirect),
        ),
        (
            "/api/checkout/redirect/",
            post(crate::redirect::checkout_redirect),
        ),
    ];
    // The spec's API paths, each a route of its own, so a request to one has no path
    // parameter for the router to decode and store. Other paths under /api/ (trailing slashes,
    // unknown endpoints) reach the same handler through the catch-all below, which answers
    // them as the gateway does.
    let mut api_paths: Vec<&str> = flitt::api::ENDPOINTS
        .iter()
        .map(|e| e.path)
        .filter(|p| {
            p.starts_with("/api/")
                && !p.ends_with('/')
                && !own_routes.iter().any(|(own, _)| own == p)
        })
        .collect();
    api_paths.sort_unstable();
    api_paths.dedup();
    let routes = own_routes
        .into_iter()
        .chain(api_paths.into_iter().map(|path| (path, post(api))))
        .fold(Router::new(), |r, (path, method)| r.route(path, method));
    routes
        .route("/api/{*path}", post(api))
        .route("/sandbox/acs", post(pages::acs))
        .route("/sandbox/checkout/{token}", get(pages::checkout_page))
        .route("/sandbox/checkout/{token}/pay", post(pages::checkout_pay))
        // The control API (JSON) and the dashboard (HTML): one implementation, control.rs.
        .merge(operator_routes(&state))
        // Around everything: the access log (access.rs).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::observe,
        ))
        .with_state(state)
}

/// The operator's routes, the control API and the dashboard, each refused to another site's
/// page ([`refuse_other_sites`]).
fn operator_routes(state: &Arc<State>) -> Router<Arc<State>> {
    Router::new()
        .route("/sandbox/control", get(control::index))
        .route("/sandbox/control/clock", get(control::clock))
        .route(
            "/sandbox/control/clock/advance",
            post(control::advance_clock),
        )
        .route(
            "/sandbox/control/faults",
            get(control::faults)
                .post(control::add_fault)
                .delete(control::delete_faults),
        )
        .route(
            "/sandbox/control/faults/random",
            post(control::set_random_faults),
        )
        .route("/sandbox/control/orders", get(control::orders))
        .route(
            "/sandbox/control/orders/{order_id}",
            get(control::one_order),
        )
        .route("/sandbox/control/callbacks", get(control::list_callbacks))
        .route(
            "/sandbox/control/callbacks/{id}/resend",
            post(control::resend),
        )
        .route("/sandbox/control/reset", post(control::reset))
        .route("/sandbox/control/{*rest}", any(control::not_found))
        .route("/", get(dashboard::home))
        .route(
            "/sandbox/dashboard/orders/{order_id}",
            get(dashboard::order),
        )
        .route("/sandbox/dashboard/advance", post(dashboard::advance))
        .route("/sandbox/dashboard/faults", post(dashboard::add_fault))
        .route(
            "/sandbox/dashboard/faults/clear",
            post(dashboard::clear_faults),
        )
        .route("/sandbox/dashboard/reset", post(dashboard::reset))
        .route(
            "/sandbox/dashboard/callbacks/{id}/resend",
            post(dashboard::resend),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            public_origin(&state.base_url),
            refuse_other_sites,
        ))
}

/// The origin a browser names for pages under `url` (`scheme://host[:port]`, a default port
/// left out), worked out once; empty, which no `Origin` is, when `url` has none (an opaque
/// origin would read `null`, which a sandboxed frame sends).
fn public_origin(url: &str) -> Arc<str> {
    reqwest::Url::parse(url)
        .ok()
        .map(|u| u.origin())
        .filter(|o| o.is_tuple())
        .map_or_else(String::new, |o| o.ascii_serialization())
        .into()
}

/// Refuses (403) a request that changes something when a browser sent it from a page other
/// than the sandbox's own. Without this, any page a developer visits could reset the sandbox,
/// inject faults or resend callbacks with a form or a `fetch` to 127.0.0.1. A change is a
/// browser's when it carries `Origin` or `Sec-Fetch-Site`; it is refused when
/// `Sec-Fetch-Site` says `cross-site` or `same-site`, or when its `Origin` is neither the
/// public URL's nor `http(s)://HOST` for its own `Host`, or when it names no `Origin` and its
/// `Host` is not the public URL's. A `Host` counts as the sandbox's own only when no other
/// site can be given it ([`is_loopback_or_address`]): a page whose name a hostile DNS server
/// points at 127.0.0.1 (DNS rebinding) is same-origin with the sandbox, and sends that name.
/// Clients that are not browsers (curl, the SDKs, tests) send neither header and pass, under
/// any `Host`; reads (`GET`, `HEAD`) change nothing and pass.
async fn refuse_other_sites(
    AxumState(public_origin): AxumState<Arc<str>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method();
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return next.run(request).await;
    }
    let headers = request.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text("host").unwrap_or("");
    // `http(s)://HOST` for a `Host` no other site can be given.
    let own_origin = |origin: &str| {
        is_loopback_or_address(host)
            && origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                == Some(host)
    };
    let public_host = public_origin.split_once("://").map_or("", |(_, h)| h);
    let refused = match (text("sec-fetch-site"), headers.get("origin")) {
        (Some("cross-site" | "same-site"), _) => true,
        (_, Some(origin)) => !origin
            .to_str()
            .is_ok_and(|o| o == &*public_origin || own_origin(o)),
        // A browser that names no origin: the host it asked for decides.
        (Some(_), None) => !is_loopback_or_address(host) && host != public_host,
        (None, None) => false,
    };
    if refused {
        return (
            StatusCode::FORBIDDEN,
            "refused: the sandbox's control API and dashboard take a browser's changes only from \
             their own pages, opened at an IP address, at localhost, or at the sandbox's public \
             URL (`--public-url`, `Config::public_url`)\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether a `Host` (`name[:port]`) names this machine in a way no other site can be given:
/// `localhost` or an IP address. Any other name may be a hostile site's, resolved to
/// 127.0.0.1 by its own DNS server (names under `localhost` too: not every browser keeps them
/// from DNS).
fn is_loopback_or_address(host: &str) -> bool {
    let port_or_nothing = |rest: &str| {
        rest.is_empty()
            || rest
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Some(v6) = host.strip_prefix('[') {
        // `[address]` or `[address]:port`.
        return v6.split_once(']').is_some_and(|(address, rest)| {
            address.parse::<std::net::Ipv6Addr>().is_ok() && port_or_nothing(rest)
        });
    }
    let (name, rest) = host.find(':').map_or((host, ""), |at| host.split_at(at));
    let name = name.strip_suffix('.').unwrap_or(name);
    port_or_nothing(rest)
        && (name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok())
}

/// How the request came, so the reply goes back the same way.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Form,
    V2,
}

pub(crate) struct Incoming {
    pub(crate) format: Format,
    pub(crate) fields: Map<String, Value>,
    /// The 2.0 `data` and `signature` as received.
    v2: Option<(String, String)>,
    /// Whether a checkout it creates keeps its `cancel_url` for the hosted page's cancel link:
    /// a request to the API does, the redirect checkout's form does not.
    pub(crate) keeps_cancel_url: bool,
}

/// What a handler answers.
pub(crate) struct Reply {
    pub(crate) body: ReplyBody,
    /// Sign the (object) reply with this key.
    pub(crate) sign_with: Option<&'static str>,
}

/// A reply's fields.
pub(crate) enum ReplyBody {
    /// Any JSON value.
    Value(Value),
    /// An order's fields (a status lookup): a signed 1.0 JSON reply is written from them
    /// directly, any other reply from their map.
    Order(Box<OrderFields>),
}

impl ReplyBody {
    /// The fields as JSON.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Self::Value(v) => v,
            Self::Order(fields) => Value::Object(fields.to_map()),
        }
    }

    pub(crate) fn is_object(&self) -> bool {
        match self {
            Self::Value(v) => v.is_object(),
            Self::Order(_) => true,
        }
    }
}

pub(crate) fn refuse(code: ResponseCode, message: impl Into<String>) -> Refusal {
    Refusal::new(code, message)
}

fn request_id() -> String {
    let mut rng = fastrand::Rng::new();
    (0..13).map(|_| rng.alphanumeric()).collect()
}

/// What a request body is, by its `Content-Type` and, where the header does not say, by the
/// body itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BodyKind {
    Json,
    Form,
}

/// Decides how to read a body as the gateway must for the official SDKs (research notes
/// issue 11, section 7, "safest sandbox rule"):
///
/// - JSON when the header names JSON anywhere in its value (`application/json`, with or
///   without a charset, or the Node.js SDK's whole header line as the value:
///   `Content-type: application/json; charset=utf-8`), or when the body's first non-space
///   byte is `{` whatever the header says (the Node.js SDK sends a 2.0 JSON envelope under
///   its form header once `Settlement` has switched it to 2.0);
/// - a form when the header names `x-www-form-urlencoded` anywhere in its value, or is absent;
/// - otherwise `None` (1021, Unsupported Content-Type).
fn body_kind(content_type: &str, body: &[u8]) -> Option<BodyKind> {
    let header = content_type.to_ascii_lowercase();
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if header.contains("json") || first == Some(&b'{') {
        Some(BodyKind::Json)
    } else if header.contains("x-www-form-urlencoded") || header.trim().is_empty() {
        Some(BodyKind::Form)
    } else {
        None
    }
}

/// Whether a JSON request's `version` asks for protocol 2.0: the string `"2.0"`, as the
/// official SDKs send it, or the number `2.0`, as Flitt's split examples and gofondy do (or
/// `2`, as JavaScript writes that number).
fn is_v2(version: Option<&Value>) -> bool {
    match version {
        Some(Value::String(s)) => s == "2.0",
        Some(Value::Number(n)) => n.as_f64() == Some(2.0),
        _ => false,
    }
}

/// Reads a raw request as the gateway does: JSON (1.0 or a 2.0 envelope) or form.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<Incoming, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(refuse(ResponseCode::RequestIsEmpty, "Request is empty"));
    }
    match body_kind(content_type, body) {
        Some(BodyKind::Json) => parse_json(body),
        // `+` and `%20` both decode as a space; field order does not matter (signatures sort).
        Some(BodyKind::Form) => Ok(Incoming {
            format: Format::Form,
            fields: form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
            v2: None,
            keeps_cancel_url: true,
        }),
        None => Err(refuse(
            ResponseCode::UnsupportedContentType,
            "Unsupported Content-Type",
        )),
    }
}

/// A JSON body: `{"request": {…}}` with the fields (1.0), or with `version` 2.0, `data` (the
/// base64 of `{"order": {…}}`, trailing whitespace such as Go's encoder's `\n` allowed) and
/// `signature`.
fn parse_json(body: &[u8]) -> Result<Incoming, Refusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| refuse(ResponseCode::InvalidFormat, "Invalid format"))?;
    let Some(Value::Object(request)) = take(value, "request") else {
        return Err(refuse(ResponseCode::RequestIsEmpty, "Request is empty"));
    };
    if !is_v2(request.get("version")) {
        return Ok(Incoming {
            format: Format::Json,
            fields: request,
            v2: None,
            keeps_cancel_url: true,
        });
    }
    let field = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (data, signature) = (field("data"), field("signature"));
    let incorrect = || {
        refuse(
            ResponseCode::ParameterIsIncorrect,
            "Parameter `data` is incorrect",
        )
    };
    let decoded = B64.decode(data.as_bytes()).map_err(|_| incorrect())?;
    let inner: Value = serde_json::from_slice(&decoded).map_err(|_| incorrect())?;
    let Some(Value::Object(order)) = take(inner, "order") else {
        return Err(refuse(
            ResponseCode::ParameterIsMissing,
            "Parameter `order` is missing",
        ));
    };
    Ok(Incoming {
        format: Format::V2,
        fields: order,
        v2: Some((data, signature)),
        keeps_cancel_url: true,
    })
}

/// The value of `key` when `value` is an object.
fn take(value: Value, key: &str) -> Option<Value> {
    match value {
        Value::Object(mut map) => map.remove(key),
        _ => None,
    }
}

/// A field's text: a string as it is, a number or boolean as JSON writes it; `None` when it is
/// absent, empty or neither.
pub(crate) fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    text_ref(fields, key).map(Cow::into_owned)
}

/// [`text`], a string borrowed (the checks every request passes read it without a copy).
pub(crate) fn text_ref<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<Cow<'a, str>> {
    match fields.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

pub(crate) fn number(fields: &Map<String, Value>, key: &str) -> Result<u64, Refusal> {
    text_ref(fields, key)
        .ok_or_else(|| {
            refuse(
                ResponseCode::ParameterIsMissing,
                format!("Parameter `{key}` is missing"),
            )
        })?
        .parse()
        .map_err(|_| {
            refuse(
                ResponseCode::ParameterIsIncorrect,
                format!("Parameter `{key}` is incorrect"),
            )
        })
}

/// Parameter checks from the spec: 1011 missing, 1009 empty, 1007 incorrect. Unknown
/// parameters are ignored, as the gateway does.
fn check_params(endpoint: &Endpoint, fields: &Map<String, Value>) -> Result<(), Refusal> {
    for p in endpoint.params {
        if p.client_supplied || p.fixed.is_some() {
            continue;
        }
        let Some(value) = fields.get(p.name) else {
            if p.gateway_required {
                return Err(refuse(
                    ResponseCode::ParameterIsMissing,
                    format!("Parameter `{}` is missing", p.name),
                ));
            }
            continue;
        };
        if p.kind == ParamKind::Nested {
            if !(value.is_object() || value.is_array()) {
                return Err(refuse(
                    ResponseCode::ParameterIsIncorrect,
                    format!("Parameter `{}` is incorrect", p.name),
                ));
            }
            continue;
        }
        let Some(t) = text_ref(fields, p.name) else {
            if p.gateway_required {
                return Err(refuse(
                    ResponseCode::ParameterIsEmpty,
                    format!("Parameter `{}` is empty", p.name),
                ));
            }
            continue;
        };
        if t.contains('|') {
            return Err(refuse(
                ResponseCode::ForbiddenSeparator,
                "Please do not use symbol `|` in parameters",
            ));
        }
        if p.validate_text(&t).is_err() {
            return Err(refuse(
                ResponseCode::ParameterIsIncorrect,
                format!("Parameter `{}` is incorrect", p.name),
            ));
        }
    }
    Ok(())
}

/// A request's `Content-Type`, taken alone (the `HeaderMap` extractor copies every header).
struct ContentType(Option<header::HeaderValue>);

impl<S: Sync> axum::extract::FromRequestParts<S> for ContentType {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get(header::CONTENT_TYPE).cloned()))
    }
}

async fn api(
    AxumState(state): AxumState<Arc<State>>,
    connection: Option<axum::Extension<crate::serve::Connection>>,
    note: Option<axum::Extension<crate::access::Note>>,
    uri: Uri,
    ContentType(content_type): ContentType,
    RequestBody(body): RequestBody,
) -> Response {
    // What the access log says of this request (access.rs); a page says nothing.
    let note = note.map(|axum::Extension(n)| n);
    let noted = |result: String| {
        if let Some(n) = &note {
            n.result(result);
        }
    };
    let content_type = content_type
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let incoming = match parse(content_type, &body) {
        Ok(i) => i,
        Err(r) => {
            noted(crate::access::result_of_refusal(&r));
            return encode_error(Format::Json, &r);
        }
    };
    let format = incoming.format;
    let path = uri.path();
    let order_id = text(&incoming.fields, "order_id");
    let fault = lock(&state.faults).take(path, order_id.as_deref());
    if let Some(n) = &note {
        n.order_id(order_id);
    }
    if fault.as_ref().is_some_and(|f| !f.after_ledger()) {
        noted(String::new());
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500 Internal Server Error",
        );
    }
    let result = handle(&state, path, incoming);
    let tamper = match fault {
        Some(Fault::BadSignature) => Tamper::Corrupt,
        Some(Fault::MissingSignature) => Tamper::Strip,
        _ => Tamper::None,
    };
    noted(match &result {
        Ok(reply) => match &reply.body {
            ReplyBody::Value(Value::Object(fields)) => crate::access::result_of(fields),
            ReplyBody::Order(fields) => crate::access::result_of_order(fields),
            ReplyBody::Value(_) => String::new(),
        },
        Err(r) => crate::access::result_of_refusal(r),
    });
    let response = match result {
        Ok(reply) => encode(format, reply, tamper),
        Err(r) => encode_error(format, &r),
    };
    match fault {
        None => response,
        // Boxed: held inline, its awaits would make every request's future as large as theirs
        // (a future over 1 KiB is allocated on malloc's slow path).
        Some(fault) => Box::pin(apply_fault(fault, response, connection, note.as_ref())).await,
    }
}

/// `response` as an injected fault that applies after the ledger changes it.
async fn apply_fault(
    fault: Fault,
    mut response: Response,
    connection: Option<axum::Extension<crate::serve::Connection>>,
    note: Option<&crate::access::Note>,
) -> Response {
    let noted = |result: String| {
        if let Some(n) = note {
            n.result(result);
        }
    };
    match fault {
        Fault::ErrorAfterLedger => {
            noted(String::new());
            response = html(StatusCode::BAD_GATEWAY, "502 Bad Gateway");
        }
        Fault::HtmlBody => {
            noted(String::new());
            response = html(StatusCode::OK, "Service temporarily unavailable");
        }
        Fault::Hold(d) => {
            tokio::time::sleep(d).await;
        }
        Fault::DropConnection => {
            // The pause lets hyper flush the status line and headers; then the body fails.
            response = scripted(
                response,
                vec![Step::Pause(Duration::from_millis(20)), Step::Fail],
            );
        }
        Fault::ConnectionReset => {
            // The connection task drops the socket with SO_LINGER 0: a TCP reset. This
            // handler never returns meanwhile, so hyper has no head to write; the connection
            // task drops it with the connection. Without the handle (not served by our accept
            // loop), a body that fails before its first byte: hyper has only buffered the
            // head, so it closes the connection without writing anything.
            match connection {
                Some(axum::Extension(c)) => {
                    c.reset();
                    std::future::pending::<()>().await;
                }
                None => response = scripted(response, vec![Step::Fail]),
            }
        }
        Fault::TruncatedBody => {
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            response = Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(Scripted::new(vec![
                    Step::Data(cut),
                    Step::Fail,
                ])))
                .unwrap_or_default();
        }
        Fault::SlowDrip(total) => {
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let len = bytes.len();
            response = Response::from_parts(parts, Body::from_stream(drip(bytes, total)));
            // The length up front, so the client knows the body is whole once it has it all.
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
        }
        _ => {}
    }
    response
}

/// `response`'s head with a body that follows `steps` (its own body is dropped).
fn scripted(response: Response, steps: Vec<Step>) -> Response {
    let (parts, _) = response.into_parts();
    let mut response = Response::from_parts(parts, Body::from_stream(Scripted::new(steps)));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// `bytes` in pieces of a few bytes with pauses between them, about `total` in all.
fn drip(bytes: Bytes, total: Duration) -> Scripted {
    const MAX_PIECES: usize = 100;
    let pieces = (bytes.len() / 4).clamp(1, MAX_PIECES);
    let size = bytes.len().div_ceil(pieces).max(1);
    let pause = total / u32::try_from(pieces).unwrap_or(1);
    let mut steps = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let end = (at + size).min(bytes.len());
        steps.push(Step::Data(bytes.slice(at..end)));
        steps.push(Step::Pause(pause));
        at = end;
    }
    Scripted::new(steps)
}

/// One step of a scripted reply body.
enum Step {
    /// Send these bytes.
    Data(Bytes),
    /// Wait (hyper flushes what it has meanwhile).
    Pause(Duration),
    /// Fail the body, so hyper closes the connection.
    Fail,
}

/// A reply body that plays a script of data, pauses and a failure.
struct Scripted {
    steps: std::collections::VecDeque<Step>,
    sleep: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Scripted {
    fn new(steps: Vec<Step>) -> Self {
        Self {
            steps: steps.into(),
            sleep: None,
        }
    }
}

impl futures_core::Stream for Scripted {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future as _;
        use std::task::Poll;
        loop {
            if let Some(sleep) = self.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.sleep = None;
            }
            match self.steps.pop_front() {
                None => return Poll::Ready(None),
                Some(Step::Data(b)) => return Poll::Ready(Some(Ok(b))),
                Some(Step::Pause(d)) => self.sleep = Some(Box::pin(tokio::time::sleep(d))),
                Some(Step::Fail) => {
                    return Poll::Ready(Some(Err(std::io::Error::other(
                        "connection cut by the sandbox",
                    ))));
                }
            }
        }
    }
}

fn html(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<html><head><title>{text}</title></head><body><h1>{text}</h1></body></html>"),
    )
        .into_response()
}

/// A Flitt-style JSON refusal: `{"response":{"response_status":"failure","error_code":…}}`.
pub(crate) fn json_error(code: ResponseCode, message: String) -> Response {
    encode_error(Format::Json, &refuse(code, message))
}

fn encode_error(format: Format, r: &Refusal) -> Response {
    let fields = json!({
        "error_code": r.code,
        "error_message": r.message,
        "request_id": request_id(),
        "response_status": "failure",
    });
    encode(
        format,
        Reply {
            body: ReplyBody::Value(fields),
            sign_with: None,
        },
        Tamper::None,
    )
}

/// What a fault does to a signed reply's signature.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tamper {
    /// Nothing.
    None,
    /// Flip its first hex digit.
    Corrupt,
    /// Remove it.
    Strip,
}

impl Tamper {
    /// Does it to the `signature` of `signed`.
    fn apply(self, signed: &mut Map<String, Value>) {
        match self {
            Self::None => {}
            Self::Corrupt => {
                if let Some(Value::String(s)) = signed.get_mut("signature") {
                    *s = corrupt_hex(s);
                }
            }
            Self::Strip => {
                signed.remove("signature");
            }
        }
    }
}

fn encode(format: Format, reply: Reply, tamper: Tamper) -> Response {
    if let (ReplyBody::Order(fields), Some(secret), Format::Json, Tamper::None) =
        (&reply.body, reply.sign_with, format, tamper)
    {
        return json_bytes(order_json(secret, fields));
    }
    let mut body = reply.body.into_value();
    if let (Some(secret), Value::Object(map)) = (reply.sign_with, &mut body) {
        if format == Format::V2 {
            let mut envelope = sign::v2_envelope(secret, map);
            tamper.apply(&mut envelope);
            return json_response(&json!({ "response": envelope }));
        }
        sign::sign_reply(secret, map);
        tamper.apply(map);
    }
    match format {
        Format::Form => {
            let Value::Object(map) = &body else {
                return json_response(&json!({ "response": body }));
            };
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in map {
                let t = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                ser.append_pair(k, &t);
            }
            (
                [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
                ser.finish(),
            )
                .into_response()
        }
        Format::Json | Format::V2 => json_response(&json!({ "response": body })),
    }
}

fn corrupt_hex(s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if let Some(first) = c.first_mut() {
        *first = if *first == '0' { '1' } else { '0' };
    }
    c.into_iter().collect()
}

fn json_response(v: &Value) -> Response {
    // Serialized straight into bytes (`to_string` goes through `fmt::Write`, slower).
    json_bytes(serde_json::to_vec(v).unwrap_or_default())
}

fn json_bytes(body: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            // Static: a `&str` is copied into a new header value on every reply.
            header::HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A signed 1.0 JSON reply of an order's fields, written from them directly: the same bytes
/// as signing their map ([`sign::sign_reply`]) and serialising `{"response": map}`.
pub(crate) fn order_json(secret: &str, fields: &OrderFields) -> Vec<u8> {
    let sealed = sign::sign_order(secret, fields);
    // The two fields signing adds, in key order, merged into the order's (also in key order).
    let mut added = [
        ("response_signature_string", sealed.masked.as_str()),
        ("signature", sealed.signature.as_str()),
    ]
    .into_iter()
    .peekable();
    // Strings by `write_str`: serde_json's bytes, with the runs between escapes copied whole
    // (serde_json's byte-by-byte escaping was the largest single cost of a status lookup).
    // Keys are the spec's field names, written as they are (the test below holds them to
    // serde_json's bytes).
    let mut out = Vec::with_capacity(2048);
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(b"{\"response\":{");
    for (key, value) in fields.iter() {
        // `k < key`, decided by the first bytes when they differ (as they mostly do).
        let before = |k: &str| match k.as_bytes().first().cmp(&key.as_bytes().first()) {
            std::cmp::Ordering::Equal => k < key,
            order => order.is_lt(),
        };
        while let Some((k, v)) = added.next_if(|(k, _)| before(k)) {
            write_plain_key(&mut out, k);
            write_str(&mut out, v);
        }
        write_plain_key(&mut out, key);
        match value {
            Field::Text(s) => write_str(&mut out, s),
            Field::Number(n) => out.extend_from_slice(digits.format(*n).as_bytes()),
        }
    }
    for (k, v) in added {
        write_plain_key(&mut out, k);
        write_str(&mut out, v);
    }
    out.extend_from_slice(b"}}");
    out
}

/// What the checks before the ledger established about a request.
pub(crate) struct Admitted {
    pub(crate) endpoint: &'static Endpoint,
    pub(crate) merchant_id: u64,
    pub(crate) secret: &'static str,
    pub(crate) credit: bool,
}

/// Everything the gateway checks before the ledger: the endpoint, the merchant, the
/// signature (first, as the gateway does), then the parameters against the spec.
pub(crate) fn admit(path: &str, incoming: &Incoming) -> Result<Admitted, Refusal> {
    let fields = &incoming.fields;
    // Any value counts as given (a 2.0 `recurring_data` is an object); fixed flags are text.
    let given = |name: &str| fields.get(name).map(|v| v.as_str().unwrap_or(""));
    let endpoint = flitt::request::find_endpoint(path, given).ok_or_else(|| {
        refuse(
            ResponseCode::ApplicationError,
            format!("Application error: no endpoint {path}"),
        )
    })?;
    let merchant_id = number(fields, "merchant_id")?;
    let credit = endpoint.signing_key == SigningKey::Credit;
    let secret = State::secret(merchant_id, credit).ok_or_else(|| {
        refuse(
            ResponseCode::MerchantNotFound,
            format!("Merchant {merchant_id} not found"),
        )
    })?;
    // Signature first, as the gateway does.
    match &incoming.v2 {
        Some((data, signature)) => {
            // Every endpoint takes 2.0: the official SDKs send any call as 2.0 once configured
            // so (PY3, PHP, CS2), and the Node SDK's published suite runs its calls as 2.0
            // against Flitt.
            if !sign::matches(&sign::v2(secret, data), signature) {
                return Err(refuse(ResponseCode::InvalidSignature, "Invalid signature"));
            }
        }
        None => {
            if endpoint.protocol == Protocol::V2 {
                return Err(refuse(
                    ResponseCode::ParameterIsIncorrect,
                    "Parameter `version` is incorrect: protocol 2.0 required",
                ));
            }
            let given = text_ref(fields, "signature").ok_or_else(|| {
                refuse(
                    ResponseCode::ParameterIsMissing,
                    "Parameter `signature` is missing",
                )
            })?;
            // The documented vector signs transaction_list without `version`.
            let skip = crate::endpoints::is::<flitt::api::TransactionListRequest>(endpoint)
                .then_some("version");
            if !sign::matches(&sign::v1_without(secret, fields, skip), &given) {
                return Err(refuse(ResponseCode::InvalidSignature, "Invalid signature"));
            }
        }
    }
    check_params(endpoint, fields)?;
    Ok(Admitted {
        endpoint,
        merchant_id,
        secret,
        credit,
    })
}

/// The request parser and pre-ledger checks at each of `paths`, for fuzzing (see
/// [`crate::fuzz`]): `Ok` when one path admits the request, else the code at the first.
pub(crate) fn parse_and_admit<'a>(
    paths: impl IntoIterator<Item = &'a str>,
    content_type: &str,
    body: &[u8],
) -> Result<(), u32> {
    let incoming = parse(content_type, body).map_err(|r| r.code)?;
    let mut first = None;
    for path in paths {
        match admit(path, &incoming) {
            Ok(_) => return Ok(()),
            Err(r) => {
                first.get_or_insert(r.code);
            }
        }
    }
    Err(first.unwrap_or(1002))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::sample_orders;

    #[test]
    fn only_loopback_names_and_addresses_are_hosts_no_other_site_can_take() {
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "10.1.2.3:80",
            "localhost:3000",
            "LocalHost",
            "localhost.",
            "localhost.:8080",
            "[::1]:8080",
            "[::1]",
        ] {
            assert!(is_loopback_or_address(host), "{host}");
        }
        for host in [
            "evil.example:8080",
            "evil.example",
            "localhost.evil.example:8080",
            "127.0.0.1.evil.example",
            "app.localhost:8080",
            "sandbox:8080",
            "[evil]:80",
            "[::1]evil",
            "[::1]:x",
            "[::1]:",
            "localhost:evil.example",
            "localhost:",
            "127.0.0.1:80:80",
            "",
        ] {
            assert!(!is_loopback_or_address(host), "{host}");
        }
    }

    #[test]
    fn a_status_reply_written_directly_is_the_map_built_one_byte_for_byte() {
        for o in sample_orders() {
            for secret in [crate::SECRET_KEY, "other", ""] {
                let fields = OrderFields::of(&o, "01.01.2026 00:00:00".into());
                let mut map = fields.to_map();
                sign::sign_reply(secret, &mut map);
                let built = serde_json::to_vec(&json!({ "response": map })).unwrap();
                assert_eq!(
                    String::from_utf8(order_json(secret, &fields)).unwrap(),
                    String::from_utf8(built).unwrap(),
                );
            }
        }
    }
}
