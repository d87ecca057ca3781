//! The wire protocol: parse a request as Flitt does (JSON or form, 1.0 or 2.0), check the
//! merchant, the signature and the parameters against the spec, run it on the ledger, and
//! answer in the request's format, signed, with any injected fault applied.

use crate::faults::Fault;
use crate::ledger::{NewOrder, Order, Refusal, Status, order_fields};
use crate::serve::RequestBody;
use crate::{Clock, State, access, control, dashboard, lock, pages, sign};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use flitt::api::ResponseCode;
use flitt::request::{Endpoint, ParamKind, Protocol, SigningKey};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route(
            "/authorizer/token/application/get",
            post(crate::reports::token),
        )
        .route("/api/extend/company/report/", post(crate::reports::report))
        .route("/api/extend/company/report", post(crate::reports::report))
        .route("/api/{*path}", post(api))
        .route("/sandbox/acs", post(pages::acs))
        .route("/sandbox/checkout/{token}", get(pages::checkout_page))
        .route("/sandbox/checkout/{token}/pay", post(pages::checkout_pay))
        // The control API (JSON) and the dashboard (HTML): one implementation, control.rs.
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
        // Around everything: the access log and the hosted page's cancel_url (access.rs).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::observe,
        ))
        .with_state(state)
}

/// How the request came, so the reply goes back the same way.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Form,
    V2,
}

struct Incoming {
    format: Format,
    fields: Map<String, Value>,
    /// The 2.0 `data` and `signature` as received.
    v2: Option<(String, String)>,
}

/// What a handler answers.
pub(crate) struct Reply {
    body: Value,
    /// Sign the (object) reply with this key.
    sign_with: Option<&'static str>,
}

fn refuse(code: ResponseCode, message: impl Into<String>) -> Refusal {
    Refusal::new(code, message)
}

fn request_id() -> String {
    let mut rng = fastrand::Rng::new();
    (0..13).map(|_| rng.alphanumeric()).collect()
}

/// Reads a raw request as the gateway does: JSON (1.0 or a 2.0 envelope) or form.
fn parse(content_type: &str, body: &[u8]) -> Result<Incoming, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(refuse(ResponseCode::RequestIsEmpty, "Request is empty"));
    }
    if content_type.contains("json") || body.first() == Some(&b'{') {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| refuse(ResponseCode::InvalidFormat, "Invalid format"))?;
        let Some(Value::Object(request)) = value.get("request").cloned() else {
            return Err(refuse(ResponseCode::RequestIsEmpty, "Request is empty"));
        };
        if request.get("version").and_then(Value::as_str) == Some("2.0") {
            let data = request
                .get("data")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let signature = request
                .get("signature")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let decoded = B64.decode(data.as_bytes()).map_err(|_| {
                refuse(
                    ResponseCode::ParameterIsIncorrect,
                    "Parameter `data` is incorrect",
                )
            })?;
            let inner: Value = serde_json::from_slice(&decoded).map_err(|_| {
                refuse(
                    ResponseCode::ParameterIsIncorrect,
                    "Parameter `data` is incorrect",
                )
            })?;
            let Some(Value::Object(order)) = inner.get("order").cloned() else {
                return Err(refuse(
                    ResponseCode::ParameterIsMissing,
                    "Parameter `order` is missing",
                ));
            };
            return Ok(Incoming {
                format: Format::V2,
                fields: order,
                v2: Some((data, signature)),
            });
        }
        return Ok(Incoming {
            format: Format::Json,
            fields: request,
            v2: None,
        });
    }
    if content_type.starts_with("application/x-www-form-urlencoded") || content_type.is_empty() {
        let fields: Map<String, Value> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Incoming {
            format: Format::Form,
            fields,
            v2: None,
        });
    }
    Err(refuse(
        ResponseCode::UnsupportedContentType,
        "Unsupported Content-Type",
    ))
}

fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(fields: &Map<String, Value>, key: &str) -> Result<u64, Refusal> {
    text(fields, key)
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
        let Some(t) = text(fields, p.name) else {
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

async fn api(
    AxumState(state): AxumState<Arc<State>>,
    connection: Option<axum::Extension<crate::serve::Connection>>,
    uri: Uri,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let incoming = match parse(content_type, &body) {
        Ok(i) => i,
        Err(r) => return encode_error(Format::Json, &r),
    };
    let format = incoming.format;
    let path = uri.path().to_owned();
    let order_id = text(&incoming.fields, "order_id");
    let fault = lock(&state.faults).take(&path, order_id.as_deref());
    if fault.as_ref().is_some_and(|f| !f.after_ledger()) {
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500 Internal Server Error",
        );
    }
    let result = handle(&state, &path, incoming);
    let tamper = match fault {
        Some(Fault::BadSignature) => Tamper::Corrupt,
        Some(Fault::MissingSignature) => Tamper::Strip,
        _ => Tamper::None,
    };
    let mut response = match result {
        Ok(reply) => encode(format, reply, tamper),
        Err(r) => encode_error(format, &r),
    };
    match fault {
        Some(Fault::ErrorAfterLedger) => {
            response = html(StatusCode::BAD_GATEWAY, "502 Bad Gateway");
        }
        Some(Fault::HtmlBody) => {
            response = html(StatusCode::OK, "Service temporarily unavailable");
        }
        Some(Fault::Hold(d)) => {
            tokio::time::sleep(d).await;
        }
        Some(Fault::DropConnection) => {
            // The pause lets hyper flush the status line and headers; then the body fails.
            response = scripted(
                response,
                vec![Step::Pause(Duration::from_millis(20)), Step::Fail],
            );
        }
        Some(Fault::ConnectionReset) => {
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
        Some(Fault::TruncatedBody) => {
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
        Some(Fault::SlowDrip(total)) => {
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
            body: fields,
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

fn encode(format: Format, reply: Reply, tamper: Tamper) -> Response {
    let mut body = reply.body;
    if let (Some(secret), Value::Object(map)) = (reply.sign_with, &mut body) {
        if format == Format::V2 {
            let data = B64.encode(json!({ "order": map }).to_string());
            let signature = sign::v2(secret, &data);
            let envelope = match tamper {
                Tamper::None => json!({"version": "2.0", "data": data, "signature": signature}),
                Tamper::Corrupt => {
                    json!({"version": "2.0", "data": data, "signature": corrupt_hex(&signature)})
                }
                Tamper::Strip => json!({"version": "2.0", "data": data}),
            };
            return json_response(&json!({ "response": envelope }));
        }
        sign::sign_reply(secret, map);
        match tamper {
            Tamper::None => {}
            Tamper::Corrupt => {
                if let Some(Value::String(s)) = map.get_mut("signature") {
                    *s = corrupt_hex(s);
                }
            }
            Tamper::Strip => {
                map.remove("signature");
            }
        }
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
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
        .into_response()
}

/// One end of the legacy report's range, `DD.MM.YYYY HH:MM:SS`, as virtual seconds (negative
/// before the sandbox's epoch, 2026-01-01).
fn range_end(fields: &Map<String, Value>, key: &str) -> Result<i64, Refusal> {
    let value = text(fields, key).unwrap_or_default();
    let (date, time) =
        flitt::__private::wire::parse_date_text(&value, flitt::types::DateFormat::DmyHms)
            .ok_or_else(|| {
                refuse(
                    ResponseCode::ParameterIsIncorrect,
                    format!("Parameter `{key}` is incorrect"),
                )
            })?;
    let (h, m, s) = time.unwrap_or((0, 0, 0));
    Ok(
        Clock::day_number(date.year(), date.month(), date.day()) * 86_400
            + i64::from(h) * 3600
            + i64::from(m) * 60
            + i64::from(s),
    )
}

/// The schedule of a subscription request's `recurring_data`: `start_time` (YYYY-MM-DD) is
/// read on the virtual calendar (day 0 is 2026-01-01), and a month is 30 days.
fn schedule(fields: &Map<String, Value>, now: u64) -> Result<crate::ledger::Schedule, Refusal> {
    let Some(Value::Object(data)) = fields.get("recurring_data") else {
        return Err(refuse(
            ResponseCode::ParameterIsMissing,
            "Parameter `recurring_data` is missing",
        ));
    };
    let every = number(data, "every")?;
    let unit = match text(data, "period").as_deref() {
        Some("day") => 86_400,
        Some("week") => 7 * 86_400,
        Some("month") => 30 * 86_400,
        _ => {
            return Err(refuse(
                ResponseCode::ParameterIsIncorrect,
                "Parameter `recurring_data.period` is incorrect",
            ));
        }
    };
    let start = text(data, "start_time").unwrap_or_default();
    let day = flitt::__private::wire::parse_date_text(&start, flitt::types::DateFormat::Ymd)
        .map(|(d, _)| Clock::day_number(d.year(), d.month(), d.day()))
        .ok_or_else(|| {
            refuse(
                ResponseCode::ParameterIsIncorrect,
                "Parameter `recurring_data.start_time` is incorrect",
            )
        })?;
    let next_at = u64::try_from(day).map_or(now, |d| (d * 86_400).max(now));
    Ok(crate::ledger::Schedule {
        amount: number(data, "amount")?,
        every: every.checked_mul(unit).ok_or_else(|| {
            refuse(
                ResponseCode::ParameterIsIncorrect,
                "Parameter `recurring_data.every` is incorrect",
            )
        })?,
        next_at,
        remaining: text(data, "quantity").and_then(|q| q.parse().ok()),
        charged: 0,
    })
}

/// What the checks before the ledger established about a request.
struct Admitted {
    endpoint: &'static Endpoint,
    merchant_id: u64,
    secret: &'static str,
    credit: bool,
}

/// Everything the gateway checks before the ledger: the endpoint, the merchant, the
/// signature (first, as the gateway does), then the parameters against the spec.
fn admit(path: &str, incoming: &Incoming) -> Result<Admitted, Refusal> {
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
            if endpoint.protocol == Protocol::V1 {
                return Err(refuse(
                    ResponseCode::ParameterIsIncorrect,
                    "Parameter `version` is incorrect",
                ));
            }
            if sign::v2(secret, data) != signature.to_ascii_lowercase() {
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
            let given = text(fields, "signature").ok_or_else(|| {
                refuse(
                    ResponseCode::ParameterIsMissing,
                    "Parameter `signature` is missing",
                )
            })?;
            let mut signed = fields.clone();
            if endpoint.name == "transaction_list" {
                // The documented vector signs transaction_list without `version`.
                signed.remove("version");
            }
            if sign::v1(secret, &signed) != given.to_ascii_lowercase() {
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

/// The sandbox merchant's tax id, the key of its receipts in `fiscalisation_data`.
const FISCAL_TAX_ID: &str = "300000001";

/// The fiscal receipt of a paid order, built from the ledger, in the documented entry shape
/// (one entry per tax id: the sale).
fn fiscal_receipt(o: &Order, base_url: &str) -> Value {
    let time = Clock::order_time(o.created_at);
    let receipt_id = format!("{}-0", o.payment_id);
    json!({
        "status_code": 0,
        "message": {"en": "Receipt registered", "ru": "Чек зарегистрирован", "uz": "Chek ro'yxatga olindi"},
        "code": "0",
        "terminal_id": "SANDBOX0001",
        "date": time,
        "fiscal_sign": format!("{:012}", o.payment_id.wrapping_mul(7_919) % 1_000_000_000_000),
        "qr_code_url": format!("{base_url}/sandbox/receipt/{receipt_id}"),
        "type": "sale",
        "receipt_id": receipt_id,
        "external": null,
        "processed_date": time,
    })
}

fn handle(state: &Arc<State>, path: &str, incoming: Incoming) -> Result<Reply, Refusal> {
    let fields = &incoming.fields;
    let Admitted {
        endpoint,
        merchant_id,
        secret,
        credit,
    } = admit(path, &incoming)?;
    let now = state.clock.now();
    let time = Clock::order_time(now);
    let mut ledger = lock(&state.ledger);
    ledger.expire(now);
    let new_order = || -> Result<NewOrder, Refusal> {
        Ok(NewOrder {
            order_id: text(fields, "order_id").unwrap_or_default(),
            merchant_id,
            amount: text(fields, "amount").map_or(Ok(0), |_| number(fields, "amount"))?,
            currency: text(fields, "currency").unwrap_or_default(),
            order_desc: text(fields, "order_desc").unwrap_or_default(),
            preauth: text(fields, "preauth").as_deref() == Some("Y"),
            wants_token: text(fields, "required_rectoken").as_deref() == Some("Y"),
            lifetime: text(fields, "lifetime").and_then(|l| l.parse().ok()),
            server_callback_url: text(fields, "server_callback_url"),
            response_url: text(fields, "response_url"),
            merchant_data: text(fields, "merchant_data").unwrap_or_default(),
            tran_type: None,
        })
    };
    let order_id = || text(fields, "order_id").unwrap_or_default();
    let signed = |body: Value| Reply {
        body,
        sign_with: Some(secret),
    };
    let callback = |o: &Order| -> Option<(String, Map<String, Value>)> {
        o.server_callback_url
            .clone()
            .map(|url| (url, order_fields(o, &time)))
    };
    let (reply, owed) = match endpoint.name {
        "checkout_url" | "checkout_verification" | "checkout_subscription" | "checkout_token" => {
            let mut new = new_order()?;
            if endpoint.name == "checkout_verification" {
                new.tran_type = Some("verification");
            }
            // The schedule is checked before the order exists, so a refusal leaves nothing.
            let plan = if endpoint.name == "checkout_subscription" {
                Some(schedule(fields, now)?)
            } else {
                None
            };
            let payment_id = ledger.create(new, now)?.payment_id;
            let token = ledger.issue_checkout_token(merchant_id, &order_id())?;
            if let Some(plan) = plan {
                ledger.make_subscription(merchant_id, &order_id(), plan)?;
            }
            let url = format!("{}/sandbox/checkout/{token}", state.base_url);
            let body = if endpoint.name == "checkout_token" {
                json!({"token": token, "response_status": "success"})
            } else {
                json!({"checkout_url": url, "payment_id": payment_id.to_string(), "response_status": "success"})
            };
            let reply = if incoming.format == Format::V2 {
                signed(body)
            } else {
                Reply {
                    body,
                    sign_with: None,
                }
            };
            (reply, None)
        }
        "status" => {
            let o = ledger.get(merchant_id, &order_id())?;
            (signed(Value::Object(order_fields(o, &time))), None)
        }
        "capture" => {
            let amount = number(fields, "amount")?;
            let currency = text(fields, "currency").unwrap_or_default();
            let o = ledger.capture(merchant_id, &order_id(), amount, &currency)?;
            let body = json!({
                "order_id": o.order_id,
                "merchant_id": o.merchant_id,
                "capture_status": o.capture_status.unwrap_or(""),
                "capture_amount": o.capture_amount.map(|c| c.to_string()).unwrap_or_default(),
                "response_code": "",
                "response_description": "",
                "response_status": "success",
            });
            (
                Reply {
                    body,
                    sign_with: None,
                },
                None,
            )
        }
        "reverse" => {
            let amount = number(fields, "amount")?;
            let currency = text(fields, "currency").unwrap_or_default();
            let reverse_id = text(fields, "reverse_id");
            let (o, reversed) = ledger.reverse(
                merchant_id,
                &order_id(),
                amount,
                &currency,
                reverse_id.as_deref(),
            )?;
            let body = json!({
                "order_id": o.order_id,
                "merchant_id": o.merchant_id,
                "reverse_status": "approved",
                "reversal_amount": reversed.to_string(),
                "reverse_id": reverse_id.unwrap_or_default(),
                "transaction_id": o.transactions.last().map(|t| t.id).unwrap_or(0),
                "response_code": "",
                "response_description": "",
                "response_status": "success",
            });
            let owed = callback(o);
            (signed(body), owed)
        }
        "transaction_list" => {
            let o = ledger.get(merchant_id, &order_id())?;
            let list: Vec<Value> = o
                .transactions
                .iter()
                .map(|t| {
                    json!({
                        "id": t.id,
                        "payment_id": o.payment_id,
                        "parent_tran_id": t.parent.map_or(json!(""), |p| json!(p)),
                        "tran_type": t.tran_type,
                        "amount": format!("{:.2}", t.amount as f64 / 100.0),
                        "actual_amount": format!("{:.2}", t.amount as f64 / 100.0),
                        "currency": o.currency,
                        "transaction_status": t.status,
                        "preauth": if o.preauth { "Y" } else { "N" },
                        "protocol": "",
                        "istest": true,
                    })
                })
                .collect();
            (
                Reply {
                    body: Value::Array(list),
                    sign_with: None,
                },
                None,
            )
        }
        "recurring" => {
            let token = text(fields, "rectoken").unwrap_or_default();
            let o = ledger.charge_token(new_order()?, &token, now)?;
            (signed(Value::Object(order_fields(o, &time))), callback(o))
        }
        "three_ds_step1" => {
            let new = new_order()?;
            let id = new.order_id.clone();
            ledger.create(new, now)?;
            let card = text(fields, "card_number").unwrap_or_default();
            let o = ledger.pay_with_card(merchant_id, &id, &card)?;
            match &o.three_ds {
                Some(pending) => {
                    let body = json!({
                        "response_status": "success",
                        "acs_url": format!("{}/sandbox/acs", state.base_url),
                        "pareq": pending.pareq,
                        "md": pending.md,
                    });
                    (
                        Reply {
                            body,
                            sign_with: None,
                        },
                        None,
                    )
                }
                None => (signed(Value::Object(order_fields(o, &time))), callback(o)),
            }
        }
        "three_ds_step2" => {
            let pares = text(fields, "pares").unwrap_or_default();
            let md = text(fields, "md").unwrap_or_default();
            let o = ledger.complete_three_ds(merchant_id, &order_id(), &md, &pares)?;
            (signed(Value::Object(order_fields(o, &time))), callback(o))
        }
        "p2p_credit" | "iban_credit" => {
            let token = text(fields, "receiver_rectoken");
            let iban = text(fields, "receiver_iban");
            if endpoint.name == "p2p_credit"
                && token.is_none()
                && text(fields, "receiver_card_number").is_none()
                && text(fields, "external_rectoken").is_none()
            {
                return Err(refuse(
                    ResponseCode::ParameterIsMissing,
                    "Parameter `receiver_rectoken` is missing",
                ));
            }
            let o = ledger.payout(new_order()?, token.as_deref(), iban.as_deref(), now)?;
            let mut body = order_fields(o, &time);
            if let Some(i) = &o.receiver_iban {
                body.insert("receiver_iban".into(), json!(i));
            }
            (signed(Value::Object(body)), callback(o))
        }
        "settlement" => {
            let operation = text(fields, "operation_id").unwrap_or_default();
            let o = ledger.settle(new_order()?, &operation, now)?;
            (signed(Value::Object(order_fields(o, &time))), None)
        }
        "subscription" => {
            let action = text(fields, "action").unwrap_or_default();
            let o = ledger.subscription_action(merchant_id, &order_id(), &action)?;
            let body = json!({
                "order_id": o.order_id,
                "merchant_id": o.merchant_id,
                "status": o.subscription.unwrap_or(""),
                "response_status": "success",
            });
            (signed(body), None)
        }
        "fiscal_data" => {
            let o = ledger.get(merchant_id, &order_id())?;
            let captured = !o.preauth || o.capture_status == Some("captured");
            if !matches!(o.status, Status::Approved | Status::Reversed) || !captured {
                // FACTS 2.1: receipts exist once the order is captured (or paid without a hold).
                return Err(refuse(
                    ResponseCode::OrderAlreadyHasBeenCompleted,
                    "Order is not paid",
                ));
            }
            let body = json!({
                "order_id": o.order_id,
                "fiscalisation_data": { FISCAL_TAX_ID: fiscal_receipt(o, &state.base_url) },
                "response_status": "success",
            });
            (
                Reply {
                    body,
                    sign_with: None,
                },
                None,
            )
        }
        "legacy_reports" => {
            let from = range_end(fields, "date_from")?;
            let to = range_end(fields, "date_to")?;
            let list: Vec<Value> = ledger
                .orders()
                .filter(|o| o.merchant_id == merchant_id)
                .filter(|o| (from..=to).contains(&i64::try_from(o.created_at).unwrap_or(i64::MAX)))
                .map(|o| Value::Object(order_fields(o, &Clock::order_time(o.created_at))))
                .collect();
            (
                Reply {
                    body: Value::Array(list),
                    sign_with: None,
                },
                None,
            )
        }
        other => {
            return Err(refuse(
                ResponseCode::ApplicationError,
                format!("Application error: `{other}` is not served by the sandbox"),
            ));
        }
    };
    drop(ledger);
    if let Some((url, fields)) = owed {
        let key = State::secret(merchant_id, credit).unwrap_or(secret);
        state.queue_callback(&url, fields, key);
    }
    Ok(reply)
}
