//! The redirect checkout, `POST /api/checkout/redirect` (with or without the trailing `/`):
//! a customer's browser posts the shop's signed HTML form (`flitt::checkout_form`), and the
//! gateway answers with the hosted payment page.
//!
//! The form is admitted and run exactly as `checkout/url` is (the same parse, signature,
//! merchant and parameter checks, and the same handler: a plain order, or a card verification
//! when it carries `verification=Y`), so the two cannot drift apart. Then:
//!
//! - success: `302 Found`, `Location:` the order's hosted checkout page;
//! - a refusal: `400 Bad Request` with an HTML page (never a redirect) naming a 2XXX code as
//!   the gateway's error pages do: 2007 invalid signature, 2004 duplicate order, 2008
//!   incorrect parameters (everything else: a missing, empty or malformed parameter, an
//!   unknown merchant, a body that is not a form), with the reason in words.

use crate::html::{self, escape};
use crate::http::{Format, parse};
use crate::serve::RequestBody;
use crate::{State, endpoints};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use flitt::api::ResponseCode;
use flitt::request::ApiRequest as _;
use std::sync::Arc;

/// The redirect checkout's error code for an invalid signature.
pub(crate) const INVALID_SIGNATURE: u32 = 2007;
/// The redirect checkout's error code for an order id already used.
pub(crate) const DUPLICATE_ORDER: u32 = 2004;
/// The redirect checkout's error code for any other refusal: incorrect parameters.
pub(crate) const INCORRECT_PARAMETERS: u32 = 2008;

/// `POST /api/checkout/redirect[/]`.
pub(crate) async fn checkout_redirect(
    AxumState(state): AxumState<Arc<State>>,
    note: Option<axum::Extension<crate::access::Note>>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut incoming = match parse(content_type, &body) {
        Ok(incoming) if incoming.format == Format::Form => incoming,
        Ok(_) => {
            return error_page(
                INCORRECT_PARAMETERS,
                "The redirect checkout takes an HTML form (application/x-www-form-urlencoded).",
            );
        }
        Err(r) => return error_page(INCORRECT_PARAMETERS, &r.message),
    };
    if let Some(axum::Extension(note)) = note {
        note.order_id(crate::http::text(&incoming.fields, "order_id"));
    }
    // The hosted page's cancel link is the API's (checkout/url, checkout/token) alone.
    incoming.keeps_cancel_url = false;
    let path = flitt::api::CheckoutUrlRequest::ENDPOINT.path;
    match endpoints::handle(&state, path, incoming) {
        Ok(reply) => match reply
            .body
            .into_value()
            .get("checkout_url")
            .and_then(|u| u.as_str())
        {
            Some(url) => (StatusCode::FOUND, [(header::LOCATION, url.to_owned())]).into_response(),
            None => error_page(INCORRECT_PARAMETERS, "No checkout page was made."),
        },
        Err(r) => {
            let code = if r.code == ResponseCode::InvalidSignature.code() {
                INVALID_SIGNATURE
            } else if r.code == ResponseCode::DuplicateOrder.code() {
                DUPLICATE_ORDER
            } else {
                INCORRECT_PARAMETERS
            };
            error_page(code, &r.message)
        }
    }
}

/// The error page: the code, what it means, the reason, and a request id.
fn error_page(code: u32, reason: &str) -> Response {
    let meaning = match code {
        INVALID_SIGNATURE => "Invalid signature",
        DUPLICATE_ORDER => "Duplicate order",
        _ => "Incorrect parameters",
    };
    let request_id: String = {
        let mut rng = fastrand::Rng::new();
        (0..13).map(|_| rng.alphanumeric()).collect()
    };
    let body = format!(
        "<div class=\"card\"><h1>Payment cannot be started</h1>\
         <p class=\"error\">Error <strong id=\"error-code\">{code}</strong>: \
         <span id=\"error-meaning\">{meaning}</span></p>\
         <p id=\"error-reason\">{reason}</p>\
         <p class=\"muted\">Request ID <code id=\"request-id\">{request_id}</code></p></div>",
        reason = escape(reason),
    );
    (
        StatusCode::BAD_REQUEST,
        Html(html::page("Flitt sandbox checkout error", true, &body)),
    )
        .into_response()
}
