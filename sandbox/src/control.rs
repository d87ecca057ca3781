//! Control of a running sandbox: its clock, faults, ledger and callback log, reset.
//!
//! One implementation with three faces: the functions here are what the Rust API
//! ([`Sandbox`](crate::Sandbox) methods), the JSON control API under `/sandbox/control` (the
//! handlers at the end of this module) and the dashboard's buttons
//! ([`crate::dashboard`]) call. Input is checked before anything changes, so a refused
//! request leaves the sandbox as it was.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /sandbox/control` | | the list of endpoints |
//! | `GET /sandbox/control/clock` | | `{"now": SECONDS, "time": "DD.MM.YYYY hh:mm:ss"}`: virtual seconds since the start, and the time in UTC (the start is the wall-clock time when the sandbox started, unless [`SandboxBuilder::start_time`](crate::SandboxBuilder::start_time) fixed it) |
//! | `POST /sandbox/control/clock/advance` | `{"seconds": N}` | the clock, after expiring orders, charging subscriptions and trying due callbacks |
//! | `GET /sandbox/control/faults` | | `{"rules": [RULE…], "random": {"rate", "seed", "kinds"} or null}` |
//! | `POST /sandbox/control/faults` | `{"kind": K, "millis": MS?, "path": P?, "order_id": O?, "times": N?}` | `201`, `{"rule": RULE, "rules": […]}` |
//! | `DELETE /sandbox/control/faults` | | `{"cleared": N}` (scripted and random) |
//! | `POST /sandbox/control/faults/random` | `{"rate": 0..1, "seed": N, "kinds": ["html_body", "hold:1500", …]}` | the faults |
//! | `GET /sandbox/control/orders?limit=N` | | `{"total": N, "orders": [ORDER…]}`, newest first |
//! | `GET /sandbox/control/orders/{order_id}?merchant_id=M` | | ORDER with `history`, `refunds` and `callbacks` |
//! | `GET /sandbox/control/callbacks?order_id=O&merchant_id=M&limit=N` | | `{"total": N, "callbacks": [CALLBACK…]}`, oldest first |
//! | `POST /sandbox/control/callbacks/{id}/resend` | | CALLBACK, after one more try |
//! | `POST /sandbox/control/reset` | | `{"reset": true, "now": 0}`: the clock back to its start |
//!
//! Errors are `{"error": "…"}` with 400 (malformed JSON, an unknown field or fault kind, a
//! value out of range) or 404 (an unknown order or callback).

use crate::faults::{Fault, FaultRule, RandomFaults};
use crate::ledger::Order;
use crate::money::format_minor;
use crate::serve::RequestBody;
use crate::{Callback, Clock, Owed, State, lock};
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, Path, Request, State as AxumState};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a control request was refused. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlError {
    /// No such order in the ledger (never created, evicted, or reset away).
    OrderNotFound {
        /// The merchant asked about.
        merchant_id: u64,
        /// The order id asked about.
        order_id: String,
    },
    /// No callback with this id (never queued, forgotten past the bound, or reset away).
    CallbackNotFound(usize),
    /// The request is malformed or a value is out of range; the message says which.
    Invalid(String),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::OrderNotFound {
                merchant_id,
                order_id,
            } => write!(
                f,
                "order not found: merchant {merchant_id}, order_id {order_id:?}"
            ),
            ControlError::CallbackNotFound(id) => write!(f, "callback not found: {id}"),
            ControlError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ControlError {}

impl ControlError {
    /// The HTTP status the control API answers it with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ControlError::OrderNotFound { .. } | ControlError::CallbackNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ControlError::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// The default number of orders or callbacks a listing returns.
pub(crate) const DEFAULT_LIMIT: usize = 100;
/// The most a listing returns, whatever `limit` asks.
pub(crate) const MAX_LIMIT: usize = 1000;
/// The longest one advance of the clock: ten years. Subscriptions charge every period that
/// falls in it, so a longer step could mean millions of orders in one call.
pub(crate) const MAX_ADVANCE_SECONDS: u64 = 10 * 366 * 86_400;
/// The most times one scripted fault may fire.
pub(crate) const MAX_FAULT_TIMES: u32 = 1_000_000;
/// The longest path or order id a fault rule may name.
const MAX_RULE_TEXT: usize = 1024;

// ---------------------------------------------------------------------------------------
// The operations.
// ---------------------------------------------------------------------------------------

/// Moves the clock forward `seconds`: expires unpaid orders whose lifetime passed, charges
/// the subscriptions that fall due (a new order each, with its callback), and tries every
/// callback now due. Returns the new time.
pub(crate) async fn advance(state: &Arc<State>, seconds: u64) -> u64 {
    let now = state.clock.advance(seconds);
    let owed: Vec<Owed> = {
        let mut ledger = lock(&state.ledger);
        ledger.expire(now);
        let charged = ledger.charge_due_subscriptions(now);
        charged
            .iter()
            .filter_map(|(m, id)| ledger.get(*m, id).ok())
            .filter_map(|o| Owed::of(o, &state.clock.order_time(o.created_at)))
            .collect()
    };
    for owed in owed {
        state.queue_callback(owed, crate::SECRET_KEY);
    }
    state.deliver_due().await;
    now
}

/// Adds a scripted fault.
pub(crate) fn inject(state: &State, rule: FaultRule) {
    lock(&state.faults).add(rule);
}

/// Sets random faults.
pub(crate) fn random_faults(state: &State, rate: f64, seed: u64, kinds: Vec<Fault>) {
    lock(&state.faults).random(rate, seed, kinds);
}

/// Removes every fault; how many scripted rules (and the random plan, if any) went.
pub(crate) fn clear_faults(state: &State) -> usize {
    let mut faults = lock(&state.faults);
    let n = faults.rules().count() + usize::from(faults.random_plan().is_some());
    faults.clear();
    n
}

/// The scripted rules still to fire and the random plan.
pub(crate) fn fault_rules(state: &State) -> (Vec<FaultRule>, Option<RandomFaults>) {
    let faults = lock(&state.faults);
    (
        faults.rules().cloned().collect(),
        faults.random_plan().cloned(),
    )
}

/// A copy of an order.
pub(crate) fn order(
    state: &State,
    merchant_id: u64,
    order_id: &str,
) -> Result<Order, ControlError> {
    lock(&state.ledger)
        .get(merchant_id, order_id)
        .cloned()
        .map_err(|_| ControlError::OrderNotFound {
            merchant_id,
            order_id: order_id.to_owned(),
        })
}

/// The newest orders, at most `limit`, and how many the ledger holds.
pub(crate) fn newest_orders(state: &State, limit: usize) -> (Vec<Order>, usize) {
    let ledger = lock(&state.ledger);
    (ledger.newest(limit).cloned().collect(), ledger.len())
}

/// Which callbacks a listing shows.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallbackFilter {
    /// Only this merchant's.
    pub(crate) merchant_id: Option<u64>,
    /// Only about this order.
    pub(crate) order_id: Option<String>,
}

/// The newest `limit` callbacks that pass `filter`, oldest first, and how many pass it.
pub(crate) fn callbacks(
    state: &State,
    filter: &CallbackFilter,
    limit: usize,
) -> (Vec<Callback>, usize) {
    let cbs = lock(&state.callbacks);
    let passes = |c: &&Callback| {
        filter.merchant_id.is_none_or(|m| m == c.merchant_id)
            && filter.order_id.as_deref().is_none_or(|o| o == c.order_id)
    };
    let total = cbs.all.values().filter(passes).count();
    let mut shown: Vec<Callback> = cbs
        .all
        .values()
        .rev()
        .filter(passes)
        .take(limit)
        .cloned()
        .collect();
    shown.reverse();
    (shown, total)
}

// ---------------------------------------------------------------------------------------
// Input: the same checks for JSON and for the dashboard's forms.
// ---------------------------------------------------------------------------------------

/// A fault rule as the control API and the dashboard take it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultInput {
    /// The kind's name (`html_body`, `hold`, …).
    pub(crate) kind: String,
    /// For `hold` and `slow_drip`.
    pub(crate) millis: Option<u64>,
    /// Only for this API path.
    pub(crate) path: Option<String>,
    /// Only for this order id.
    pub(crate) order_id: Option<String>,
    /// How many times (default 1).
    pub(crate) times: Option<u32>,
}

impl FaultInput {
    /// The rule, checked: a known kind, a path starting with `/`, bounded text, 1 to
    /// [`MAX_FAULT_TIMES`] times. Empty `path` or `order_id` mean any.
    pub(crate) fn rule(&self) -> Result<FaultRule, ControlError> {
        let fault =
            Fault::from_name(self.kind.trim(), self.millis).map_err(ControlError::Invalid)?;
        let path = self
            .path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if let Some(p) = path {
            if !p.starts_with('/') || p.len() > MAX_RULE_TEXT {
                return Err(ControlError::Invalid(format!(
                    "path must start with / and be at most {MAX_RULE_TEXT} bytes, like /api/capture/order_id"
                )));
            }
        }
        let order_id = self.order_id.as_deref().filter(|o| !o.is_empty());
        if order_id.is_some_and(|o| o.len() > MAX_RULE_TEXT) {
            return Err(ControlError::Invalid(format!(
                "order_id must be at most {MAX_RULE_TEXT} bytes"
            )));
        }
        let times = self.times.unwrap_or(1);
        if !(1..=MAX_FAULT_TIMES).contains(&times) {
            return Err(ControlError::Invalid(format!(
                "times must be 1 to {MAX_FAULT_TIMES}"
            )));
        }
        Ok(FaultRule {
            fault,
            order_id: order_id.map(str::to_owned),
            path: path.map(str::to_owned),
            times,
        })
    }
}

/// A clock step, checked: at most [`MAX_ADVANCE_SECONDS`].
pub(crate) fn advance_seconds(seconds: u64) -> Result<u64, ControlError> {
    if seconds > MAX_ADVANCE_SECONDS {
        return Err(ControlError::Invalid(format!(
            "seconds must be at most {MAX_ADVANCE_SECONDS} (ten years) per step"
        )));
    }
    Ok(seconds)
}

/// A listing's `limit`, checked: 1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
pub(crate) fn limit(given: Option<&str>) -> Result<usize, ControlError> {
    let Some(text) = given else {
        return Ok(DEFAULT_LIMIT);
    };
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ControlError::Invalid(format!(
            "limit must be a number from 1 to {MAX_LIMIT}"
        ))),
    }
}

/// A merchant id given as text, or the test merchant's.
pub(crate) fn merchant(given: Option<&str>) -> Result<u64, ControlError> {
    match given {
        None => Ok(crate::default_merchant()),
        Some(text) => text
            .parse()
            .map_err(|_| ControlError::Invalid("merchant_id must be a number".into())),
    }
}

/// A query string's parameters.
pub(crate) fn query(uri: &Uri) -> BTreeMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A JSON body as `T`: malformed JSON, an unknown field or a wrong type is refused with a
/// message that says which. An empty body reads as `{}`.
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ControlError::Invalid(format!("malformed JSON: {e}"))
        }
        _ => ControlError::Invalid(format!("invalid request: {e}")),
    })
}

/// A request body read within the sandbox's limits; past them a control error (413), not
/// Flitt's 1005.
pub(crate) struct ControlBody(pub(crate) axum::body::Bytes);

impl FromRequest<Arc<State>> for ControlBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<State>) -> Result<Self, Response> {
        match RequestBody::from_request(request, state).await {
            Ok(RequestBody(bytes)) => Ok(Self(bytes)),
            Err(_) => Err(error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body could not be read: too large or too slow",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Views: the JSON the control API answers with.
// ---------------------------------------------------------------------------------------

/// The clock.
fn clock_json(clock: &Clock, now: u64) -> Value {
    json!({"now": now, "time": clock.order_time(now)})
}

/// A fault rule.
fn rule_json(rule: &FaultRule) -> Value {
    json!({
        "kind": rule.fault.name(),
        "millis": rule.fault.duration().map(|d| d.as_millis()),
        "path": rule.path,
        "order_id": rule.order_id,
        "times_left": rule.times,
    })
}

fn faults_json(rules: &[FaultRule], random: Option<&RandomFaults>) -> Value {
    json!({
        "rules": rules.iter().map(rule_json).collect::<Vec<_>>(),
        "random": random.map(|r| json!({
            "rate": r.rate,
            "seed": r.seed,
            "kinds": r.kinds.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })),
    })
}

/// An order's summary: what a listing shows.
pub(crate) fn order_json(o: &Order, clock: &Clock) -> Value {
    let captured = o.captured();
    json!({
        "merchant_id": o.merchant_id,
        "order_id": o.order_id,
        "payment_id": o.payment_id,
        "order_desc": o.order_desc,
        "status": o.status.as_str(),
        "tran_type": o.tran_type,
        "currency": o.currency,
        "amount": o.amount,
        "captured": captured,
        "refunded": o.reversal_amount,
        "amount_text": format_minor(o.amount, &o.currency),
        "captured_text": format_minor(captured, &o.currency),
        "refunded_text": format_minor(o.reversal_amount, &o.currency),
        "preauth": o.preauth,
        "capture_status": o.capture_status,
        "parent_order_id": o.parent_order_id,
        "created_at": o.created_at,
        "time": clock.order_time(o.created_at),
    })
}

/// An order with its history, refunds and callbacks.
fn order_detail_json(o: &Order, callbacks: &[Callback], clock: &Clock) -> Value {
    let mut v = order_json(o, clock);
    let history: Vec<Value> = o
        .history
        .iter()
        .map(|e| {
            json!({
                "at": e.at,
                "time": clock.order_time(e.at),
                "event": e.kind.as_str(),
                "status": e.status.as_str(),
                "amount": e.amount,
                "reverse_id": e.reverse_id,
            })
        })
        .collect();
    let refunds: Vec<Value> = o
        .reverse_ids
        .iter()
        .map(|(id, amount)| json!({"reverse_id": id, "amount": amount}))
        .collect();
    if let Value::Object(map) = &mut v {
        map.insert(
            "masked_card".into(),
            json!(o.card.map(|c| crate::cards::mask(c.number))),
        );
        map.insert("history".into(), Value::Array(history));
        map.insert("history_dropped".into(), json!(o.history_dropped));
        map.insert("refunds".into(), Value::Array(refunds));
        map.insert(
            "callbacks".into(),
            Value::Array(callbacks.iter().map(|c| callback_json(c, clock)).collect()),
        );
    }
    v
}

/// A callback and its tries. Its body (card data, token) is not shown: only the
/// `order_status` it reports.
pub(crate) fn callback_json(c: &Callback, clock: &Clock) -> Value {
    json!({
        "id": c.id,
        "merchant_id": c.merchant_id,
        "order_id": c.order_id,
        "url": c.url,
        "order_status": c.order_status(),
        "delivered": c.delivered,
        "attempts": c.attempts,
        "resends": c.resends,
        "in_flight": c.in_flight,
        "next_try_at": c.next_try_at(),
        "tries": c.tries.iter().map(|t| json!({
            "at": t.at,
            "time": clock.order_time(t.at),
            "status": t.status,
            "answer": t.answer,
            "resend": t.resend,
        })).collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------
// The JSON handlers.
// ---------------------------------------------------------------------------------------

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        error_response(self.status(), &self.to_string())
    }
}

type Answer = Result<Response, ControlError>;

fn ok(v: &Value) -> Answer {
    Ok(json_response(StatusCode::OK, v))
}

/// `GET /sandbox/control`.
pub(crate) async fn index() -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "endpoints": [
                "GET /sandbox/control/clock",
                "POST /sandbox/control/clock/advance {\"seconds\": N}",
                "GET /sandbox/control/faults",
                "POST /sandbox/control/faults {\"kind\", \"millis\"?, \"path\"?, \"order_id\"?, \"times\"?}",
                "DELETE /sandbox/control/faults",
                "POST /sandbox/control/faults/random {\"rate\", \"seed\", \"kinds\"}",
                "GET /sandbox/control/orders?limit=N",
                "GET /sandbox/control/orders/{order_id}?merchant_id=M",
                "GET /sandbox/control/callbacks?order_id=O&merchant_id=M&limit=N",
                "POST /sandbox/control/callbacks/{id}/resend",
                "POST /sandbox/control/reset",
            ],
            "fault_kinds": Fault::KINDS,
        }),
    )
}

/// `GET /sandbox/control/clock`.
pub(crate) async fn clock(AxumState(state): AxumState<Arc<State>>) -> Response {
    json_response(StatusCode::OK, &clock_json(&state.clock, state.clock.now()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceInput {
    seconds: u64,
}

/// `POST /sandbox/control/clock/advance`.
pub(crate) async fn advance_clock(
    AxumState(state): AxumState<Arc<State>>,
    ControlBody(body): ControlBody,
) -> Answer {
    let input: AdvanceInput = parse_json(&body)?;
    let seconds = advance_seconds(input.seconds)?;
    let now = advance(&state, seconds).await;
    ok(&clock_json(&state.clock, now))
}

/// `GET /sandbox/control/faults`.
pub(crate) async fn faults(AxumState(state): AxumState<Arc<State>>) -> Response {
    let (rules, random) = fault_rules(&state);
    json_response(StatusCode::OK, &faults_json(&rules, random.as_ref()))
}

/// `POST /sandbox/control/faults`.
pub(crate) async fn add_fault(
    AxumState(state): AxumState<Arc<State>>,
    ControlBody(body): ControlBody,
) -> Answer {
    let input: FaultInput = parse_json(&body)?;
    let rule = input.rule()?;
    let shown = rule_json(&rule);
    inject(&state, rule);
    let (rules, _) = fault_rules(&state);
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"rule": shown, "rules": rules.iter().map(rule_json).collect::<Vec<_>>()}),
    ))
}

/// `DELETE /sandbox/control/faults`.
pub(crate) async fn delete_faults(AxumState(state): AxumState<Arc<State>>) -> Response {
    let n = clear_faults(&state);
    json_response(StatusCode::OK, &json!({ "cleared": n }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RandomInput {
    rate: f64,
    seed: u64,
    kinds: Vec<String>,
}

/// `POST /sandbox/control/faults/random`.
pub(crate) async fn set_random_faults(
    AxumState(state): AxumState<Arc<State>>,
    ControlBody(body): ControlBody,
) -> Answer {
    let input: RandomInput = parse_json(&body)?;
    if !(0.0..=1.0).contains(&input.rate) {
        return Err(ControlError::Invalid("rate must be from 0 to 1".into()));
    }
    if input.kinds.is_empty() || input.kinds.len() > Fault::KINDS.len() * 4 {
        return Err(ControlError::Invalid(
            "kinds must name at least one fault kind (and not too many)".into(),
        ));
    }
    let kinds = input
        .kinds
        .iter()
        .map(|k| k.parse::<Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(ControlError::Invalid)?;
    random_faults(&state, input.rate, input.seed, kinds);
    let (rules, random) = fault_rules(&state);
    ok(&faults_json(&rules, random.as_ref()))
}

/// `GET /sandbox/control/orders?limit=N`.
pub(crate) async fn orders(AxumState(state): AxumState<Arc<State>>, uri: Uri) -> Answer {
    let q = query(&uri);
    let limit = limit(q.get("limit").map(String::as_str))?;
    let (list, total) = newest_orders(&state, limit);
    ok(&json!({
        "total": total,
        "orders": list.iter().map(|o| order_json(o, &state.clock)).collect::<Vec<_>>(),
    }))
}

/// `GET /sandbox/control/orders/{order_id}?merchant_id=M`.
pub(crate) async fn one_order(
    AxumState(state): AxumState<Arc<State>>,
    order_id: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Answer {
    let Path(order_id) = order_id.map_err(|e| ControlError::Invalid(e.body_text()))?;
    let q = query(&uri);
    let merchant_id = merchant(q.get("merchant_id").map(String::as_str))?;
    let o = order(&state, merchant_id, &order_id)?;
    let filter = CallbackFilter {
        merchant_id: Some(merchant_id),
        order_id: Some(order_id),
    };
    let (cbs, _) = callbacks(&state, &filter, MAX_LIMIT);
    ok(&order_detail_json(&o, &cbs, &state.clock))
}

/// `GET /sandbox/control/callbacks?order_id=O&merchant_id=M&limit=N`.
pub(crate) async fn list_callbacks(AxumState(state): AxumState<Arc<State>>, uri: Uri) -> Answer {
    let q = query(&uri);
    let limit = limit(q.get("limit").map(String::as_str))?;
    let filter = CallbackFilter {
        merchant_id: q
            .get("merchant_id")
            .map(|m| merchant(Some(m)))
            .transpose()?,
        order_id: q.get("order_id").cloned(),
    };
    let (list, total) = callbacks(&state, &filter, limit);
    ok(&json!({
        "total": total,
        "callbacks": list.iter().map(|c| callback_json(c, &state.clock)).collect::<Vec<_>>(),
    }))
}

/// A callback id from the path.
pub(crate) fn callback_id(text: &str) -> Result<usize, ControlError> {
    text.parse()
        .map_err(|_| ControlError::Invalid("a callback id is a number".into()))
}

/// `POST /sandbox/control/callbacks/{id}/resend`.
pub(crate) async fn resend(
    AxumState(state): AxumState<Arc<State>>,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    let Path(id) = id.map_err(|e| ControlError::Invalid(e.body_text()))?;
    let c = state.resend(callback_id(&id)?).await?;
    ok(&callback_json(&c, &state.clock))
}

/// `POST /sandbox/control/reset`.
pub(crate) async fn reset(AxumState(state): AxumState<Arc<State>>) -> Response {
    state.reset();
    json_response(
        StatusCode::OK,
        &json!({"reset": true, "now": state.clock.now()}),
    )
}

/// Any other path under `/sandbox/control`: 404 in JSON.
pub(crate) async fn not_found(uri: Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        &format!(
            "no control endpoint at {}; GET /sandbox/control lists them",
            uri.path()
        ),
    )
}
