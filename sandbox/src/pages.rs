//! The HTML pages a customer sees: the hosted checkout page and the ACS (3-D Secure) page.
//! They look like payment pages (the order, its amount in its currency's units, a labelled
//! card form, the test cards, a way back to the shop) and work without JavaScript; a few lines
//! of inline script only fill the form when a test card is clicked. Every value from outside
//! goes through [`html::escape`]; links and form actions to the merchant are http(s) only.

use crate::cards::{self, TEST_CARDS, TestCard};
use crate::html::{self, escape};
use crate::ledger::{Order, Status, ThreeDs, expected_pares, order_fields};
use crate::money::format_minor;
use crate::serve::RequestBody;
use crate::{MERCHANT_ID, Owed, State, lock, sign};
use axum::extract::{Path, State as AxumState};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

fn form_fields(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A small page with one message (`message` is HTML the caller escaped).
fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<div class=\"card\"><h1>{}</h1>{message}</div>",
        escape(title)
    );
    (status, Html(html::page(title, true, &body))).into_response()
}

/// What a test card does, in words.
fn card_effect(card: &TestCard) -> String {
    format!(
        "{} · {}{}",
        card.brand,
        if card.approves {
            "approved"
        } else {
            "declined"
        },
        if card.three_ds { ", 3-D Secure" } else { "" }
    )
}

/// `4444555511116666` as `4444 5555 1111 6666`.
fn grouped(number: &str) -> String {
    number
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ACS: receives `PaReq`, `MD` and `TermUrl` as a real ACS does, and shows which card and
/// amount it authenticates, with a form that posts `PaRes` and `MD` back to the `TermUrl`
/// (approve) and one that posts a failing `PaRes` (fail).
pub(crate) async fn acs(
    AxumState(state): AxumState<Arc<State>>,
    RequestBody(body): RequestBody,
) -> Response {
    let f = form_fields(&body);
    let get = |k: &str| {
        f.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (md, term_url) = (get("MD"), get("TermUrl"));
    if md.is_empty() || term_url.is_empty() {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Sandbox ACS",
            "<p class=\"error\">PaReq, MD and TermUrl are required.</p>",
        );
    }
    // The TermUrl goes into a form's action: only http and https, or a page could be made to
    // post (or run `javascript:`) anywhere.
    let Some(term_url) = html::http_url(&term_url) else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Sandbox ACS",
            "<p class=\"error\">TermUrl must be an http or https URL.</p>",
        );
    };
    // What is being authenticated, when the MD is one the sandbox issued and still pending.
    let pending = lock(&state.ledger).by_md(&md).map(|o| {
        let card = o.three_ds.as_ref().map(|p| p.card);
        (
            card.map(|c| cards::mask(c.number)),
            format!("{} {}", format_minor(o.amount, &o.currency), o.currency),
            o.order_desc.clone(),
        )
    });
    let details = match &pending {
        Some((card, amount, desc)) => format!(
            "<p class=\"muted\">{desc}</p><p class=\"amount\" id=\"acs-amount\">{amount}</p>\
             <p>Card <code id=\"acs-card\">{card}</code></p>",
            desc = escape(desc),
            amount = escape(amount),
            card = escape(card.as_deref().unwrap_or("unknown")),
        ),
        None => {
            "<p class=\"muted\" id=\"acs-unknown\">No pending payment has this MD: approving will \
                 be refused at step 2.</p>"
                .to_owned()
        }
    };
    let pares = expected_pares(&ThreeDs {
        md: md.clone(),
        pareq: get("PaReq"),
        card: TEST_CARDS[0],
    });
    let body = format!(
        "<div class=\"card\"><p class=\"muted\">Verified by your bank · sandbox ACS</p>\
         <h1>3-D Secure authentication</h1>{details}\
         <p class=\"muted\">Approve to authenticate the payment, or fail it to see how the shop handles a \
         failed authentication.</p>\
         <div class=\"actions\">\
         <form id=\"acs\" method=\"POST\" action=\"{term}\">\
         <input type=\"hidden\" name=\"PaRes\" value=\"{pares}\">\
         <input type=\"hidden\" name=\"MD\" value=\"{md}\">\
         <button type=\"submit\" id=\"approve\">Approve (authenticate)</button></form>\
         <form id=\"acs-fail\" method=\"POST\" action=\"{term}\">\
         <input type=\"hidden\" name=\"PaRes\" value=\"failed\">\
         <input type=\"hidden\" name=\"MD\" value=\"{md}\">\
         <button type=\"submit\" class=\"danger\" id=\"fail\">Fail authentication</button></form>\
         </div></div>",
        term = escape(&term_url),
        pares = escape(&pares),
        md = escape(&md),
    );
    Html(html::page("Sandbox ACS", true, &body)).into_response()
}

/// The order id a checkout token opens: the token must be exactly one the sandbox issued.
fn find_by_token(state: &State, token: &str) -> Option<String> {
    lock(&state.ledger)
        .by_checkout_token(token)
        .map(|o| o.order_id.clone())
}

/// The test cards, each a button that fills the form (with JavaScript) and its number as
/// text to copy (without).
fn test_cards() -> String {
    let mut items = String::new();
    for card in TEST_CARDS {
        let _ = write!(
            items,
            "<li><button type=\"button\" class=\"fill\" data-card=\"{n}\">{g}</button><span>{effect}</span></li>",
            n = card.number,
            g = grouped(card.number),
            effect = escape(&card_effect(card)),
        );
    }
    format!(
        "<div class=\"card\"><h2>Test cards</h2><p class=\"muted\">Any future expiry date and any CVV. \
         Click a number to fill the form. 3-D Secure cards are authenticated on this page.</p>\
         <ul class=\"cards\" id=\"test-cards\">{items}</ul></div>\
         <script>document.querySelectorAll('button.fill').forEach(function(b){{\
         b.addEventListener('click',function(){{\
         document.getElementById('card_number').value=b.getAttribute('data-card');\
         document.getElementById('expiry_date').value='1230';\
         document.getElementById('cvv2').value='123';}});}});</script>"
    )
}

/// The link back to the shop: `cancel_url`, else `response_url`, when it is http(s).
fn cancel_link(o: &Order) -> String {
    o.cancel_url
        .as_deref()
        .or(o.response_url.as_deref())
        .and_then(html::http_url)
        .map_or(String::new(), |url| {
            format!(
                "<a id=\"cancel\" href=\"{}\">Cancel and return to the shop</a>",
                escape(&url)
            )
        })
}

/// The hosted checkout page: the order and a card form. A GET: it changes nothing (an order
/// whose lifetime passed shows as expired; the ledger expires it at the next request).
pub(crate) async fn checkout_page(
    AxumState(state): AxumState<Arc<State>>,
    Path(token): Path<String>,
) -> Response {
    let not_found = || {
        message_page(
            StatusCode::NOT_FOUND,
            "Order not found",
            "<p>This payment page does not exist or has been removed.</p>",
        )
    };
    let Some(order_id) = find_by_token(&state, &token) else {
        return not_found();
    };
    let merchant = MERCHANT_ID.parse().unwrap_or(0);
    let now = state.clock.now();
    let ledger = lock(&state.ledger);
    let Ok(o) = ledger.get(merchant, &order_id) else {
        return not_found();
    };
    let amount = format!(
        "{} {}",
        format_minor(o.amount, &o.currency),
        escape(&o.currency)
    );
    let lapsed = matches!(o.status, Status::Created | Status::Processing)
        && o.created_at.saturating_add(o.lifetime) <= now;
    let payable = matches!(o.status, Status::Created | Status::Processing) && !lapsed;
    let form = if payable {
        format!(
            "<form id=\"pay\" method=\"POST\" action=\"/sandbox/checkout/{token}/pay\">\
             <label for=\"card_number\">Card number</label>\
             <input name=\"card_number\" id=\"card_number\" inputmode=\"numeric\" autocomplete=\"off\" placeholder=\"4444 5555 1111 6666\" required>\
             <div class=\"row\"><div><label for=\"expiry_date\">Expiry (MMYY)</label>\
             <input name=\"expiry_date\" id=\"expiry_date\" inputmode=\"numeric\" autocomplete=\"off\" placeholder=\"1230\"></div>\
             <div><label for=\"cvv2\">CVV</label>\
             <input name=\"cvv2\" id=\"cvv2\" inputmode=\"numeric\" autocomplete=\"off\" placeholder=\"123\"></div></div>\
             <div class=\"actions\"><button type=\"submit\" id=\"submit\">Pay {amount}</button>{cancel}</div></form>",
            token = escape(&token),
            cancel = cancel_link(o),
        )
    } else {
        let status = if lapsed { "expired" } else { o.status.as_str() };
        format!(
            "<p class=\"error\" id=\"not-payable\">This order is {status}: it cannot be paid here.</p>\
             <div class=\"actions\">{}</div>",
            cancel_link(o)
        )
    };
    let body = format!(
        "<div class=\"card\"><p class=\"muted\">Merchant {merchant} · order <code id=\"order-id\">{id}</code></p>\
         <h1 id=\"order-desc\">{desc}</h1><p class=\"amount\" id=\"amount\">{amount}</p>{form}</div>{cards}",
        merchant = o.merchant_id,
        id = escape(&o.order_id),
        desc = escape(&o.order_desc),
        cards = if payable { test_cards() } else { String::new() },
    );
    Html(html::page("Flitt sandbox checkout", true, &body)).into_response()
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
        return message_page(
            StatusCode::NOT_FOUND,
            "Order not found",
            "<p>This payment page does not exist or has been removed.</p>",
        );
    };
    let merchant = MERCHANT_ID.parse().unwrap_or(0);
    let card = f
        .get("card_number")
        .map(|c| c.replace([' ', '-'], ""))
        .unwrap_or_default();
    let now = state.clock.now();
    let time = state.clock.order_time(now);
    let back = format!(
        "<p><a href=\"/sandbox/checkout/{}\">Back to the payment page</a></p>",
        escape(&token)
    );
    let failed = |message: String| {
        message_page(
            StatusCode::OK,
            "Payment failed",
            &format!(
                "<p class=\"error\" id=\"failure\">{}</p>{back}",
                escape(&message)
            ),
        )
    };
    let (fields, owed, response_url) = {
        let mut ledger = lock(&state.ledger);
        // As every API request does first: an order whose lifetime passed cannot be paid.
        ledger.expire(now);
        let paid = ledger
            .pay_with_card(merchant, &order_id, &card)
            .map(|o| o.three_ds.clone());
        match paid {
            Ok(Some(pending)) => {
                let pares = expected_pares(&pending);
                if let Err(r) = ledger.complete_three_ds(merchant, &order_id, &pending.md, &pares) {
                    return failed(r.message);
                }
            }
            Ok(None) => {}
            Err(r) => return failed(format!("{} {}", r.code, r.message)),
        }
        let Ok(o) = ledger.get(merchant, &order_id) else {
            return failed("Order not found".to_owned());
        };
        (
            order_fields(o, &time),
            Owed::of(o, &time),
            o.response_url.clone(),
        )
    };
    let status = fields
        .get("order_status")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_owned();
    if let Some(owed) = owed {
        state.queue_callback(owed, crate::SECRET_KEY);
    }
    match response_url.as_deref().and_then(html::http_url) {
        Some(url) => {
            // As Flitt does: the browser posts the signed result to response_url. As 1.0
            // fields whatever protocol created the order: no source shows a 2.0 envelope
            // posted there (server callbacks do follow the order's protocol).
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
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Returning to the shop</title></head>\
                     <body onload=\"document.forms[0].submit()\" style=\"font-family:system-ui,sans-serif;text-align:center;padding-top:60px\">\
                     <p>Payment {status}. Returning to the shop…</p>\
                     <form method=\"POST\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
                    escape(&url),
                    status = escape(&status),
                )),
            )
                .into_response()
        }
        None => message_page(
            StatusCode::OK,
            &format!("Payment {status}"),
            &format!(
                "<p id=\"result\">The payment is {}. This order has no response_url to return to.</p>",
                escape(&status)
            ),
        ),
    }
}
