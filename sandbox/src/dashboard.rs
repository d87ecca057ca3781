//! The dashboard: server-rendered HTML over the same operations as the control API
//! ([`crate::control`]).
//!
//! - `GET /`: the clock, the faults, the newest orders (`?limit=N`) and the buttons.
//! - `GET /sandbox/dashboard/orders/{order_id}?merchant_id=M`: one order, its history, its
//!   callbacks and each of their tries.
//! - `POST /sandbox/dashboard/advance` (`seconds`), `/faults` (`kind`, `millis`, `path`,
//!   `order_id`, `times`), `/faults/clear`, `/reset`, `/callbacks/{id}/resend`: the buttons,
//!   HTML forms that work without JavaScript. Each answers `303 See Other` back to the page
//!   it came from (an address the sandbox builds, never one the form gives), or a 400 page
//!   saying what was wrong, with nothing changed.
//!
//! GET views never change anything. Every value a page did not write itself goes through
//! [`html::escape`].

use crate::control::{self, CallbackFilter, ControlError, FaultInput};
use crate::faults::{Fault, FaultRule};
use crate::html::{self, escape, path_segment};
use crate::ledger::Order;
use crate::money::format_minor;
use crate::serve::RequestBody;
use crate::{Callback, Clock, State};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as AxumState};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// The address of an order's page.
fn order_page(merchant_id: u64, order_id: &str) -> String {
    format!(
        "/sandbox/dashboard/orders/{}?merchant_id={merchant_id}",
        path_segment(order_id)
    )
}

/// A status as a coloured badge.
fn badge(status: &str) -> String {
    let s = escape(status);
    format!("<span class=\"status s-{s}\">{s}</span>")
}

/// A 4xx page saying what was wrong.
fn problem(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<div class=\"card\"><h1>{}</h1><p class=\"error\" id=\"error\">{}</p>\
         <p><a href=\"/\">Back to the dashboard</a></p></div>",
        status.as_u16(),
        escape(message)
    );
    (
        status,
        Html(html::page("Flitt sandbox: error", false, &body)),
    )
        .into_response()
}

impl ControlError {
    /// The dashboard's page for the error.
    fn page(&self) -> Response {
        problem(self.status(), &self.to_string())
    }
}

/// The form to inject a fault; `order_id` fills (and fixes) its order.
fn fault_form(order: Option<(u64, &str)>) -> String {
    let kinds: String = Fault::KINDS
        .iter()
        .map(|k| format!("<option value=\"{k}\">{k}</option>"))
        .collect();
    let target = match order {
        Some((merchant_id, id)) => format!(
            "<input type=\"hidden\" name=\"order_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"merchant_id\" value=\"{merchant_id}\">\
             <span class=\"muted\">on the next requests about this order</span>",
            escape(id)
        ),
        None => {
            "<label>Path <input name=\"path\" placeholder=\"/api/capture/order_id (any)\"></label>\
                 <label>Order id <input name=\"order_id\" placeholder=\"(any)\"></label>"
                .to_owned()
        }
    };
    format!(
        "<form method=\"POST\" action=\"/sandbox/dashboard/faults\" id=\"inject-fault\">\
         <div class=\"row\"><div><label>Fault <select name=\"kind\" id=\"fault-kind\">{kinds}</select></label></div>\
         <div><label>Duration, ms (hold, slow_drip) <input name=\"millis\" inputmode=\"numeric\" placeholder=\"1500\"></label></div>\
         <div><label>Times <input name=\"times\" value=\"1\" inputmode=\"numeric\"></label></div></div>\
         {target}<div class=\"actions\"><button type=\"submit\">Inject fault</button></div></form>"
    )
}

fn rules_table(rules: &[FaultRule]) -> String {
    if rules.is_empty() {
        return "<p class=\"muted\" id=\"no-faults\">No faults armed.</p>".to_owned();
    }
    let mut rows = String::new();
    for r in rules {
        let _ = write!(
            rows,
            "<tr class=\"fault\"><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&r.fault.to_string()),
            escape(r.path.as_deref().unwrap_or("any")),
            escape(r.order_id.as_deref().unwrap_or("any")),
            r.times
        );
    }
    format!(
        "<table><thead><tr><th>Fault</th><th>Path</th><th>Order</th><th class=\"num\">Times left</th></tr></thead>\
         <tbody>{rows}</tbody></table>"
    )
}

fn orders_table(orders: &[Order], clock: &Clock) -> String {
    if orders.is_empty() {
        return "<p class=\"muted\" id=\"no-orders\">No orders yet.</p>".to_owned();
    }
    let mut rows = String::new();
    for o in orders {
        let _ = write!(
            rows,
            "<tr class=\"order\" data-order-id=\"{id}\"><td><a class=\"mono\" href=\"{href}\">{id}</a></td>\
             <td>{desc}</td><td>{status}</td><td class=\"num\">{amount}</td><td class=\"num\">{captured}</td>\
             <td class=\"num\">{refunded}</td><td>{currency}</td><td class=\"mono\">{time}</td></tr>",
            id = escape(&o.order_id),
            href = escape(&order_page(o.merchant_id, &o.order_id)),
            desc = escape(&o.order_desc),
            status = badge(o.status.as_str()),
            amount = format_minor(o.amount, &o.currency),
            captured = format_minor(o.captured(), &o.currency),
            refunded = format_minor(o.reversal_amount, &o.currency),
            currency = escape(&o.currency),
            time = clock.order_time(o.created_at),
        );
    }
    format!(
        "<table id=\"orders\"><thead><tr><th>Order</th><th>Description</th><th>Status</th>\
         <th class=\"num\">Amount</th><th class=\"num\">Captured</th><th class=\"num\">Refunded</th>\
         <th>Currency</th><th>Created</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// `GET /`.
pub(crate) async fn home(AxumState(state): AxumState<Arc<State>>, uri: Uri) -> Response {
    let q = control::query(&uri);
    let limit = match control::limit(q.get("limit").map(String::as_str)) {
        Ok(n) => n,
        Err(e) => return e.page(),
    };
    let now = state.clock.now();
    let (orders, total) = control::newest_orders(&state, limit);
    let (rules, random) = control::fault_rules(&state);
    let random = random.map_or(String::new(), |r| {
        format!(
            "<p class=\"muted\">Random faults: {:.1}% of requests, seed {}, kinds {}.</p>",
            r.rate * 100.0,
            r.seed,
            escape(
                &r.kinds
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        )
    });
    let body = format!(
        "<div class=\"card\"><h1>Dashboard</h1>\
         <p class=\"muted\">API <code>{url}</code> · merchant <code>{merchant}</code>, payment key \
         <code>{key}</code>, payout key <code>{credit}</code> · JSON control API under \
         <code>/sandbox/control</code></p></div>\
         <div class=\"card\"><h2>Orders <span class=\"muted\">(newest {shown} of {total})</span></h2>{orders}</div>\
         <div class=\"card\"><h2>Clock</h2><p>Virtual time <strong id=\"clock\">{time}</strong> \
         <span class=\"muted\">({now} s since start)</span></p>\
         <form method=\"POST\" action=\"/sandbox/dashboard/advance\" class=\"inline\" id=\"advance\">\
         <input name=\"seconds\" value=\"3600\" inputmode=\"numeric\" aria-label=\"seconds\"> s \
         <button type=\"submit\">Advance</button></form> \
         <form method=\"POST\" action=\"/sandbox/dashboard/advance\" class=\"inline\">\
         <input type=\"hidden\" name=\"seconds\" value=\"86400\"><button class=\"secondary\">+1 day</button></form> \
         <form method=\"POST\" action=\"/sandbox/dashboard/advance\" class=\"inline\">\
         <input type=\"hidden\" name=\"seconds\" value=\"2592000\"><button class=\"secondary\">+30 days</button></form>\
         <p class=\"muted\">Advancing expires unpaid orders past their lifetime, charges due subscriptions and \
         retries due callbacks.</p></div>\
         <div class=\"card\"><h2>Faults</h2>{rules}{random}{form}\
         <form method=\"POST\" action=\"/sandbox/dashboard/faults/clear\" class=\"inline\">\
         <button class=\"secondary\" id=\"clear-faults\">Clear all faults</button></form></div>\
         <div class=\"card\"><h2>Reset</h2><p class=\"muted\">Empties the ledger, callbacks and faults; the clock \
         goes back to its start.</p><form method=\"POST\" action=\"/sandbox/dashboard/reset\">\
         <button class=\"danger\" id=\"reset\">Reset the sandbox</button></form></div>",
        url = escape(&state.base_url),
        merchant = crate::MERCHANT_ID,
        key = crate::SECRET_KEY,
        credit = crate::CREDIT_KEY,
        time = state.clock.order_time(now),
        rules = rules_table(&rules),
        form = fault_form(None),
        shown = orders.len(),
        orders = orders_table(&orders, &state.clock),
    );
    Html(html::page("Flitt sandbox dashboard", false, &body)).into_response()
}

fn history_table(o: &Order, clock: &Clock) -> String {
    let mut rows = String::new();
    for e in &o.history {
        let _ = write!(
            rows,
            "<tr class=\"event\"><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td></tr>",
            clock.order_time(e.at),
            e.kind.as_str(),
            badge(e.status.as_str()),
            e.amount
                .map_or(String::new(), |a| format_minor(a, &o.currency)),
            escape(e.reverse_id.as_deref().unwrap_or("")),
        );
    }
    let dropped = if o.history_dropped > 0 {
        format!(
            "<p class=\"muted\">{} older entries were dropped.</p>",
            o.history_dropped
        )
    } else {
        String::new()
    };
    format!(
        "<table id=\"history\"><thead><tr><th>Time</th><th>Event</th><th>Status after</th>\
         <th class=\"num\">Amount</th><th>reverse_id</th></tr></thead><tbody>{rows}</tbody></table>{dropped}"
    )
}

fn callback_card(c: &Callback, clock: &Clock) -> String {
    let mut rows = String::new();
    for t in &c.tries {
        let _ = write!(
            rows,
            "<tr class=\"try\"><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td></tr>",
            clock.order_time(t.at),
            if t.resend { "resend" } else { "scheduled" },
            if t.status == 0 {
                "no reply".to_owned()
            } else {
                t.status.to_string()
            },
            escape(&t.answer),
        );
    }
    let state = if c.delivered {
        "delivered".to_owned()
    } else if c.in_flight {
        "being tried".to_owned()
    } else {
        match c.next_try_at() {
            Some(at) => format!("next try at {}", clock.order_time(at)),
            None => "abandoned: retries spent".to_owned(),
        }
    };
    format!(
        "<div class=\"callback\" id=\"callback-{id}\"><p><strong>Callback #{id}</strong> to <code>{url}</code> \
         reporting {status} · {state}</p>\
         <table><thead><tr><th>Time</th><th>Try</th><th class=\"num\">HTTP status</th><th>Merchant's answer</th></tr></thead>\
         <tbody>{rows}</tbody></table>\
         <form method=\"POST\" action=\"/sandbox/dashboard/callbacks/{id}/resend\" class=\"inline\">\
         <button id=\"resend-{id}\" class=\"secondary\">Resend now</button></form></div>",
        id = c.id,
        url = escape(&c.url),
        status = badge(c.order_status().as_deref().unwrap_or("?")),
    )
}

/// `GET /sandbox/dashboard/orders/{order_id}?merchant_id=M`.
pub(crate) async fn order(
    AxumState(state): AxumState<Arc<State>>,
    order_id: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Response {
    let Ok(Path(order_id)) = order_id else {
        return problem(StatusCode::BAD_REQUEST, "the order id is not valid UTF-8");
    };
    let q = control::query(&uri);
    let merchant_id = match control::merchant(q.get("merchant_id").map(String::as_str)) {
        Ok(m) => m,
        Err(e) => return e.page(),
    };
    let o = match control::order(&state, merchant_id, &order_id) {
        Ok(o) => o,
        Err(e) => return e.page(),
    };
    let filter = CallbackFilter {
        merchant_id: Some(merchant_id),
        order_id: Some(order_id.clone()),
    };
    let (cbs, total) = control::callbacks(&state, &filter, control::MAX_LIMIT);
    let callbacks = if cbs.is_empty() {
        "<p class=\"muted\">No callbacks (the order has no server_callback_url, or nothing happened \
         to it yet).</p>"
            .to_owned()
    } else {
        cbs.iter()
            .map(|c| callback_card(c, &state.clock))
            .collect::<String>()
            + &if total > cbs.len() {
                format!(
                    "<p class=\"muted\">{} older callbacks not shown.</p>",
                    total - cbs.len()
                )
            } else {
                String::new()
            }
    };
    let refunds: String = o
        .reverse_ids
        .iter()
        .map(|(id, amount)| {
            format!(
                "<li><code>{}</code>: {} {}</li>",
                escape(id),
                format_minor(*amount, &o.currency),
                escape(&o.currency)
            )
        })
        .collect();
    let refunds = if refunds.is_empty() {
        String::new()
    } else {
        format!("<h2>Refunds by reverse_id</h2><ul>{refunds}</ul>")
    };
    let card = o
        .card
        .map_or("none".to_owned(), |c| crate::cards::mask(c.number));
    let body = format!(
        "<p><a href=\"/\">← Dashboard</a></p>\
         <div class=\"card\"><h1 id=\"order-id\" class=\"mono\">{id}</h1><p id=\"order-desc\">{desc}</p>\
         <p>{status} <span class=\"amount\" style=\"font-size:20px\">{amount} {currency}</span></p>\
         <table><tbody>\
         <tr><th>Captured</th><td class=\"num\">{captured}</td><th>Refunded</th><td class=\"num\">{refunded}</td></tr>\
         <tr><th>Payment id</th><td class=\"mono\">{payment_id}</td><th>Type</th><td>{tran_type}{hold}</td></tr>\
         <tr><th>Card</th><td class=\"mono\">{card}</td><th>Created</th><td class=\"mono\">{time}</td></tr>\
         <tr><th>Merchant</th><td class=\"mono\">{merchant}</td><th>Parent order</th><td class=\"mono\">{parent}</td></tr>\
         </tbody></table></div>\
         <div class=\"card\"><h2>History</h2>{history}{refunds}</div>\
         <div class=\"card\"><h2>Callbacks</h2>{callbacks}</div>\
         <div class=\"card\"><h2>Inject a fault for this order</h2>{form}</div>",
        id = escape(&o.order_id),
        desc = escape(&o.order_desc),
        status = badge(o.status.as_str()),
        amount = format_minor(o.amount, &o.currency),
        currency = escape(&o.currency),
        captured = format_minor(o.captured(), &o.currency),
        refunded = format_minor(o.reversal_amount, &o.currency),
        payment_id = o.payment_id,
        tran_type = escape(o.tran_type),
        hold = if o.preauth { " (preauth)" } else { "" },
        time = state.clock.order_time(o.created_at),
        merchant = o.merchant_id,
        parent = escape(&o.parent_order_id),
        history = history_table(&o, &state.clock),
        form = fault_form(Some((o.merchant_id, &o.order_id))),
    );
    Html(html::page(
        &format!("Order {} · Flitt sandbox", o.order_id),
        false,
        &body,
    ))
    .into_response()
}

/// A form's fields; a field given twice keeps its last value.
fn form(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A form's number field: absent or empty is `None`.
fn number<T: std::str::FromStr>(
    f: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<T>, ControlError> {
    match f.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| ControlError::Invalid(format!("{key} must be a whole number, not {v:?}"))),
    }
}

/// `POST /sandbox/dashboard/advance`.
pub(crate) async fn advance(
    AxumState(state): AxumState<Arc<State>>,
    RequestBody(body): RequestBody,
) -> Response {
    let f = form(&body);
    let seconds = match number::<u64>(&f, "seconds").and_then(|s| {
        s.ok_or_else(|| ControlError::Invalid("seconds is required".into()))
            .and_then(control::advance_seconds)
    }) {
        Ok(s) => s,
        Err(e) => return e.page(),
    };
    control::advance(&state, seconds).await;
    Redirect::to("/").into_response()
}

/// `POST /sandbox/dashboard/faults`.
pub(crate) async fn add_fault(
    AxumState(state): AxumState<Arc<State>>,
    RequestBody(body): RequestBody,
) -> Response {
    let f = form(&body);
    let input = (|| {
        Ok::<_, ControlError>(FaultInput {
            kind: f.get("kind").cloned().unwrap_or_default(),
            millis: number(&f, "millis")?,
            path: f.get("path").cloned(),
            order_id: f.get("order_id").cloned(),
            times: number(&f, "times")?,
        })
    })();
    let rule = match input.and_then(|i| i.rule()) {
        Ok(r) => r,
        Err(e) => return e.page(),
    };
    // Back to the order's page when the form came from one (the sandbox builds the address).
    let back = match (&rule.order_id, number::<u64>(&f, "merchant_id")) {
        (Some(id), Ok(Some(m))) => order_page(m, id),
        _ => "/".to_owned(),
    };
    control::inject(&state, rule);
    Redirect::to(&back).into_response()
}

/// `POST /sandbox/dashboard/faults/clear`.
pub(crate) async fn clear_faults(AxumState(state): AxumState<Arc<State>>) -> Response {
    control::clear_faults(&state);
    Redirect::to("/").into_response()
}

/// `POST /sandbox/dashboard/reset`.
pub(crate) async fn reset(AxumState(state): AxumState<Arc<State>>) -> Response {
    state.reset();
    Redirect::to("/").into_response()
}

/// `POST /sandbox/dashboard/callbacks/{id}/resend`: one more try now, then back to the
/// order's page.
pub(crate) async fn resend(
    AxumState(state): AxumState<Arc<State>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return problem(StatusCode::BAD_REQUEST, "a callback id is a number");
    };
    let id = match control::callback_id(&id) {
        Ok(id) => id,
        Err(e) => return e.page(),
    };
    match state.resend(id).await {
        Ok(c) => Redirect::to(&order_page(c.merchant_id, &c.order_id)).into_response(),
        Err(e) => e.page(),
    }
}
