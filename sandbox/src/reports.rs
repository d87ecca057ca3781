//! The Reports API: tokens by sha512 signature, and reports 500, 528 and 745 over the ledger
//! with the documented filter operators and pagination.

use crate::ledger::{Order, Status};
use crate::serve::RequestBody;
use crate::{Clock, REPORTS_APP_ID, REPORTS_KEY, State, lock};
use axum::extract::State as AxumState;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use flitt::request::{FilterFamily, ReportInfo};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use std::sync::Arc;

/// Tokens live this long (virtual seconds).
pub(crate) const TOKEN_LIFETIME: u64 = 3600;

fn reply(v: Value) -> Response {
    ([("content-type", "application/json")], v.to_string()).into_response()
}

fn error(text: &str) -> Response {
    reply(json!({ "error": text, "err_code": text }))
}

fn request_id() -> String {
    let mut rng = fastrand::Rng::new();
    (0..16).map(|_| rng.alphanumeric()).collect()
}

pub(crate) async fn token(
    AxumState(state): AxumState<Arc<State>>,
    RequestBody(body): RequestBody,
) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return reply(
            json!({"error_code": 400, "error_message": "Invalid JSON", "request_id": request_id()}),
        );
    };
    let text = |k: &str| match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let (app, date, signature) = (text("application_id"), text("date"), text("signature"));
    let expected: String = Sha512::digest(format!("{REPORTS_KEY}|{app}|{date}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if app != REPORTS_APP_ID || date.is_empty() || signature.to_ascii_lowercase() != expected {
        return reply(
            json!({"error_code": 403, "error_message": "Incorrect signature", "request_id": request_id()}),
        );
    }
    let token: String = {
        let mut rng = fastrand::Rng::new();
        (0..32).map(|_| rng.alphanumeric()).collect()
    };
    let expires = state.clock.now() + TOKEN_LIFETIME;
    lock(&state.report_tokens).insert(token.clone(), expires);
    reply(json!({"request_id": request_id(), "token": token, "expires_in": TOKEN_LIFETIME}))
}

pub(crate) async fn report(
    AxumState(state): AxumState<Arc<State>>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Token "))
        .map(str::trim);
    let Some(token) = auth.filter(|t| !t.is_empty()) else {
        return error("Authorization token required");
    };
    let now = state.clock.now();
    let valid = lock(&state.report_tokens)
        .get(token)
        .is_some_and(|exp| now < *exp);
    if !valid {
        return error("Invalid auth token");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error("Invalid JSON");
    };
    let number = |k: &str| match v.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    if number("merchant_id").map(|m| m.to_string()) != Some(crate::MERCHANT_ID.to_owned()) {
        return error("Merchant not found");
    }
    let Some(info) = number("report_id")
        .and_then(|id| flitt::api::REPORTS.iter().find(|r| u64::from(r.id) == id))
    else {
        return error("you have no access to this report");
    };
    let on_page = number("on_page").unwrap_or(0);
    let page = number("page").unwrap_or(0);
    let sizes = flitt::reports::page_size_range();
    if !sizes.contains(&on_page) || page == 0 {
        return error(&format!(
            "Invalid pagination: on_page {}..{} and page from 1",
            sizes.start(),
            sizes.end()
        ));
    }
    let filters: Vec<(String, String, String)> = match v.get("filters") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|f| {
                let s = |k: &str| {
                    f.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                (s("s"), s("m"), s("v"))
            })
            .collect(),
        _ => return error("filters must be a list"),
    };
    let covered = info.mandatory_filters.is_empty()
        || info.mandatory_filters.iter().any(|set| {
            set.iter()
                .all(|need| filters.iter().any(|(f, _, _)| f == need))
        });
    if !covered {
        return error("Mandatory filter is missing");
    }
    for (field, op, _) in &filters {
        let Some(f) = info.fields.iter().find(|f| f.name == field) else {
            return error(&format!("Unknown filter field {field}"));
        };
        if !flitt::reports::operators(f.family).contains(&op.as_str()) {
            return error(&format!("Operator {op} is not allowed for {field}"));
        }
    }
    let rows: Vec<Vec<Value>> = {
        let ledger = lock(&state.ledger);
        rows(info, ledger.orders(), &state.clock)
            .into_iter()
            .filter(|row| {
                filters.iter().all(|(field, op, value)| {
                    matches(info, row, field, op, value, now, &state.clock)
                })
            })
            .collect()
    };
    let total = rows.len();
    // A page past the end is empty, however far past: no arithmetic that can wrap.
    let start = page
        .checked_sub(1)
        .and_then(|p| p.checked_mul(on_page))
        .and_then(|s| usize::try_from(s).ok())
        .unwrap_or(usize::MAX);
    let data: Vec<Value> = rows
        .into_iter()
        .skip(start)
        .take(on_page as usize)
        .map(Value::Array)
        .collect();
    let fields: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
    reply(json!({
        "data": data,
        "fields": fields,
        "rows_count": total,
        "rows_on_page": on_page,
        "rows_page": page,
    }))
}

fn major(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// `YYYY-MM-DD hh:mm:ss` (UTC) of a virtual time.
fn iso(at: u64, clock: &Clock) -> String {
    clock.iso_time(i64::try_from(at).unwrap_or(i64::MAX))
}

/// The rows of a report, in its spec's field order.
fn rows<'a>(
    info: &ReportInfo,
    orders: impl Iterator<Item = &'a Order>,
    clock: &Clock,
) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for o in orders {
        let paid = matches!(o.status, Status::Approved | Status::Reversed);
        match info.id {
            745 => out.push(
                info.fields
                    .iter()
                    .map(|f| match f.name {
                        "payment_id" => json!(o.payment_id),
                        "order_timestart" | "order_timeend" => json!(iso(o.created_at, clock)),
                        "order_status" => json!(o.status.as_str()),
                        "amount" => json!(major(o.amount)),
                        "actual_amount" => {
                            json!(if paid { major(o.amount) } else { String::new() })
                        }
                        "currency" | "actual_currency" => json!(o.currency),
                        "order_type" => json!(o.tran_type),
                        "card_bin" => {
                            json!(o.card.map(|c| c.number[..6].to_owned()).unwrap_or_default())
                        }
                        "masked_card" => json!(
                            o.card
                                .map(|c| crate::cards::mask(c.number))
                                .unwrap_or_default()
                        ),
                        "order_id" => json!(o.order_id),
                        "payment_system" => json!("card"),
                        "response_code" => o.response_code.map_or(Value::Null, |c| json!(c)),
                        "response_description" => json!(o.response_description),
                        "reversal_amount" => json!(major(o.reversal_amount)),
                        "merchant_data" => json!(o.merchant_data),
                        "order_desc" => json!(o.order_desc),
                        _ => Value::Null,
                    })
                    .collect(),
            ),
            528 => {
                for t in o.transactions.iter().filter(|t| t.status == "approved") {
                    out.push(
                        info.fields
                            .iter()
                            .map(|f| match f.name {
                                "tran_id" => json!(t.id),
                                "parent_tran_id" => t.parent.map_or(Value::Null, |p| json!(p)),
                                "status" => json!(t.status),
                                "tran_timestart" | "tran_timeend" => {
                                    json!(iso(o.created_at, clock))
                                }
                                "tran_type" => json!(t.tran_type),
                                "currency" => json!(o.currency),
                                "actual_amount" => json!(major(t.amount)),
                                "order_desc" => json!(o.order_desc),
                                _ => Value::Null,
                            })
                            .collect(),
                    );
                }
            }
            // The sandbox has no chargebacks: report 500 is always empty.
            _ => {}
        }
    }
    out
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whether a row passes one filter.
fn matches(
    info: &ReportInfo,
    row: &[Value],
    field: &str,
    op: &str,
    value: &str,
    now: u64,
    clock: &Clock,
) -> bool {
    let Some(index) = info.fields.iter().position(|f| f.name == field) else {
        return false;
    };
    let cell = &row[index];
    let is_null = cell.is_null() || as_text(cell).is_empty();
    match op {
        "isnull" => return is_null,
        "notnull" => return !is_null,
        "empty" => return as_text(cell).is_empty(),
        _ => {}
    }
    match info.fields[index].family {
        FilterFamily::Float | FilterFamily::Int => {
            let (Some(x), Some(y)) = (
                as_number(cell),
                value.parse::<f64>().ok().or(Some(f64::NAN)),
            ) else {
                return false;
            };
            match op {
                "=" => x == y,
                "!=" => x != y,
                ">" => x > y,
                "<" => x < y,
                "any" => value
                    .split(',')
                    .any(|v| v.trim().parse::<f64>().ok() == Some(x)),
                _ => false,
            }
        }
        FilterFamily::Date => {
            let day = as_text(cell).get(..10).unwrap_or("").to_owned();
            let target = match value.strip_prefix('-').and_then(|d| d.parse::<u64>().ok()) {
                // Relative: N days before now (before the start too).
                Some(days) => {
                    let at = i64::try_from(now).unwrap_or(i64::MAX).saturating_sub(
                        i64::try_from(days)
                            .unwrap_or(i64::MAX)
                            .saturating_mul(86_400),
                    );
                    clock.iso_time(at)[..10].to_owned()
                }
                None => value.get(..10).unwrap_or(value).to_owned(),
            };
            match op {
                "dateis" => day == target,
                "notdate" => day != target,
                "from" => day >= target,
                "to" => day <= target,
                _ => false,
            }
        }
        _ => {
            let text = as_text(cell);
            match op {
                "=" => text == value,
                "!=" => text != value,
                "like" => text.contains(value),
                "!like" => !text.contains(value),
                "start" => text.starts_with(value),
                "any" => value.split(',').any(|v| v.trim() == text),
                "istrue" => text == "true" || text == "1",
                "in_array" => text.contains(value),
                "daterange" => value
                    .split_once(',')
                    .is_some_and(|(a, b)| text.get(..10).is_some_and(|d| d >= a && d <= b)),
                _ => false,
            }
        }
    }
}
