//! The HTML pages: the ACS (3-D Secure) page and the hosted checkout page.

use crate::ledger::{ThreeDs, expected_pares, order_fields};
use crate::serve::RequestBody;
use crate::{Clock, MERCHANT_ID, State, lock, sign};
use axum::extract::{Path, State as AxumState};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::Arc;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn form_fields(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The ACS: receives `PaReq`, `MD` and `TermUrl` as a real ACS does, and shows a page whose
/// form posts `PaRes` and `MD` back to the `TermUrl`.
pub(crate) async fn acs(RequestBody(body): RequestBody) -> Response {
    let f = form_fields(&body);
    let get = |k: &str| {
        f.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (md, term_url) = (get("MD"), get("TermUrl"));
    if md.is_empty() || term_url.is_empty() {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Html("<html><body><h1>Sandbox ACS</h1><p>PaReq, MD and TermUrl are required.</p></body></html>".to_owned()),
        )
            .into_response();
    }
    // The TermUrl goes into a form's action: only http and https, or a page could be made to
    // post (or run `javascript:`) anywhere.
    let term_url = match reqwest::Url::parse(&term_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => u.to_string(),
        _ => {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                Html("<html><body><h1>Sandbox ACS</h1><p>TermUrl must be an http or https URL.</p></body></html>".to_owned()),
            )
                .into_response();
        }
    };
    let pending = ThreeDs {
        md: md.clone(),
        pareq: get("PaReq"),
        card: crate::cards::TEST_CARDS[0],
    };
    let pares = expected_pares(&pending);
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sandbox ACS</title></head><body>\
         <h1>Flitt sandbox: 3-D Secure</h1><p>Confirm the payment.</p>\
         <form id=\"acs\" method=\"POST\" action=\"{term}\">\
         <input type=\"hidden\" name=\"PaRes\" value=\"{pares}\">\
         <input type=\"hidden\" name=\"MD\" value=\"{md}\">\
         <button type=\"submit\">Authenticate</button></form>\
         <form method=\"POST\" action=\"{term}\">\
         <input type=\"hidden\" name=\"PaRes\" value=\"failed\">\
         <input type=\"hidden\" name=\"MD\" value=\"{md}\">\
         <button type=\"submit\">Fail authentication</button></form>\
         </body></html>",
        term = escape(&term_url),
        pares = escape(&pares),
        md = escape(&md),
    ))
    .into_response()
}

/// The order id a checkout token opens: the token must be exactly one the sandbox issued.
fn find_by_token(state: &State, token: &str) -> Option<String> {
    lock(&state.ledger)
        .by_checkout_token(token)
        .map(|o| o.order_id.clone())
}

/// The hosted checkout page: a card form.
pub(crate) async fn checkout_page(
    AxumState(state): AxumState<Arc<State>>,
    Path(token): Path<String>,
) -> Response {
    let Some(order_id) = find_by_token(&state, &token) else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            Html("<h1>Order not found</h1>".to_owned()),
        )
            .into_response();
    };
    let merchant = MERCHANT_ID.parse().unwrap_or(0);
    let ledger = lock(&state.ledger);
    let Ok(o) = ledger.get(merchant, &order_id) else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            Html("<h1>Order not found</h1>".to_owned()),
        )
            .into_response();
    };
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Flitt sandbox checkout</title></head><body>\
         <h1>Pay {amount} {currency}</h1><p>{desc}</p>\
         <form id=\"pay\" method=\"POST\" action=\"/sandbox/checkout/{token}/pay\">\
         <label>Card number <input name=\"card_number\" id=\"card_number\" autocomplete=\"off\"></label>\
         <label>Expiry (MMYY) <input name=\"expiry_date\" id=\"expiry_date\"></label>\
         <label>CVV <input name=\"cvv2\" id=\"cvv2\"></label>\
         <button type=\"submit\" id=\"submit\">Pay</button></form></body></html>",
        amount = o.amount as f64 / 100.0,
        currency = escape(&o.currency),
        desc = escape(&o.order_desc),
        token = escape(&token),
    ))
    .into_response()
}

/// Pays from the hosted page (3-D Secure cards are authenticated on the spot), sends the
/// server callback, and returns the customer to `response_url` with the signed result.
pub(crate) async fn checkout_pay(
    AxumState(state): AxumState<Arc<State>>,
    Path(token): Path<String>,
    RequestBody(body): RequestBody,
) -> Response {
    let f = form_fields(&body);
    let Some(order_id) = find_by_token(&state, &token) else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            Html("<h1>Order not found</h1>".to_owned()),
        )
            .into_response();
    };
    let merchant = MERCHANT_ID.parse().unwrap_or(0);
    let card = f
        .get("card_number")
        .map(|c| c.replace(' ', ""))
        .unwrap_or_default();
    let time = Clock::order_time(state.clock.now());
    let (fields, callback_url, response_url) = {
        let mut ledger = lock(&state.ledger);
        let paid = ledger
            .pay_with_card(merchant, &order_id, &card)
            .map(|o| o.three_ds.clone());
        match paid {
            Ok(Some(pending)) => {
                let pares = expected_pares(&pending);
                if let Err(r) = ledger.complete_three_ds(merchant, &order_id, &pending.md, &pares) {
                    return Html(format!(
                        "<h1>Payment failed</h1><p>{}</p>",
                        escape(&r.message)
                    ))
                    .into_response();
                }
            }
            Ok(None) => {}
            Err(r) => {
                return Html(format!(
                    "<h1>Payment failed</h1><p>{} {}</p>",
                    r.code,
                    escape(&r.message)
                ))
                .into_response();
            }
        }
        let Ok(o) = ledger.get(merchant, &order_id) else {
            return Html("<h1>Order not found</h1>".to_owned()).into_response();
        };
        (
            order_fields(o, &time),
            o.server_callback_url.clone(),
            o.response_url.clone(),
        )
    };
    let status = fields
        .get("order_status")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_owned();
    if let Some(url) = callback_url {
        state.queue_callback(&url, fields.clone(), crate::SECRET_KEY);
    }
    match response_url {
        Some(url) => {
            // As Flitt does: the browser posts the signed result to response_url.
            let mut signed = fields;
            sign::sign_reply(crate::SECRET_KEY, &mut signed);
            let inputs: String = signed
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!(
                        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                        escape(k),
                        escape(&v)
                    )
                })
                .collect();
            (
                [(header::CACHE_CONTROL, "no-store")],
                Html(format!(
                    "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\">\
                     <p>Payment {status}. Returning to the shop…</p>\
                     <form method=\"POST\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
                    escape(&url)
                )),
            )
                .into_response()
        }
        None => Html(format!("<h1>Payment {}</h1>", escape(&status))).into_response(),
    }
}
