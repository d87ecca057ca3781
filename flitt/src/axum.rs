//! Verified server callbacks as an [axum] extractor (feature `axum`).
//!
//! With the feature on, [`VerifiedCallback`] is an axum extractor: a handler that takes one
//! runs only for a body whose signature verified with the merchant's key. The extractor reads
//! the raw body (at most [`MAX_BODY_BYTES`]) and its `Content-Type`, and hands both to
//! [`Callback::verify`], so every shape Flitt sends is accepted: flat JSON, JSON wrapped in
//! `"response"`, form-urlencoded, and 2.0 envelopes.
//!
//! Anything else is refused with `400 Bad Request` and an empty body, before the handler
//! runs: a missing or wrong signature, a malformed body, a body over the limit, a body that
//! cannot be read. The reply says nothing about why, so it tells a forger nothing and echoes
//! no card data; the reason is logged (`tracing`, level `WARN`, without the body) and is the
//! [`CallbackRejection`], which a handler can take instead by extracting
//! `Result<VerifiedCallback, CallbackRejection>`.
//!
//! # The key
//!
//! The key comes from the router's state through axum's [`FromRef`]: the state is either the
//! [`SecretKey`] itself, or any state that implements `FromRef<YourState> for SecretKey`
//! (by hand, or with axum's `#[derive(FromRef)]`, feature `macros` of axum). Callbacks of
//! payouts (`p2pcredit`, `ibancredit`) are signed with the payout ("credit") key: route them
//! to a handler whose router's state gives that key.
//!
//! # Retries and idempotence
//!
//! Flitt retries a callback until it gets HTTP 200, and may send several for one order (one
//! per attempt, `delayed=Y`): the handler should answer 200 once the callback is stored, and
//! store idempotently, never letting a late `declined` overwrite an `approved`.
//!
//! ```
//! use axum::Router;
//! use axum::body::Body;
//! use axum::extract::{FromRef, FromRequest, State};
//! use axum::http::{Request, StatusCode};
//! use axum::routing::post;
//! use flitt::api::OrderStatus;
//! use flitt::callback::VerifiedCallback;
//! use flitt::signature::SecretKey;
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex};
//!
//! #[derive(Clone)]
//! struct App {
//!     key: SecretKey,
//!     paid: Arc<Mutex<HashMap<String, OrderStatus>>>,
//! }
//!
//! // The extractor finds the merchant key in the app's state.
//! impl FromRef<App> for SecretKey {
//!     fn from_ref(app: &App) -> SecretKey {
//!         app.key.clone()
//!     }
//! }
//!
//! async fn flitt_callback(State(app): State<App>, callback: VerifiedCallback) -> StatusCode {
//!     let (Some(order_id), Ok(order)) = (callback.order_id(), callback.order()) else {
//!         return StatusCode::BAD_REQUEST;
//!     };
//!     let Some(status) = order.order_status else {
//!         return StatusCode::BAD_REQUEST;
//!     };
//!     let mut paid = app.paid.lock().unwrap();
//!     // Idempotent, and a late `declined` never overwrites `approved`.
//!     if paid.get(order_id) != Some(&OrderStatus::Approved) {
//!         paid.insert(order_id.to_owned(), status);
//!     }
//!     StatusCode::OK
//! }
//!
//! let app = App {
//!     key: SecretKey::new("test"),
//!     paid: Arc::default(),
//! };
//! let router: Router = Router::new()
//!     .route("/flitt/callback", post(flitt_callback))
//!     .with_state(app.clone());
//! # drop(router);
//!
//! // What the extractor does with a request (axum calls it for the handler).
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let body = r#"{"order_id":"test_subscription11","merchant_id":1549901,"action":"start","signature":"a7adf395dae783a4676abbafe7f2479b2f6cfbca"}"#;
//! let request = |body: &str| {
//!     Request::post("/flitt/callback")
//!         .header("content-type", "application/json; charset=UTF-8")
//!         .body(Body::from(body.to_owned()))
//! };
//! let callback = VerifiedCallback::from_request(request(body)?, &app).await?;
//! assert_eq!(callback.order_id(), Some("test_subscription11"));
//!
//! let forged = body.replace("1549901", "1549902");
//! let refused = VerifiedCallback::from_request(request(&forged)?, &app).await;
//! assert!(refused.is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::callback::{Callback, CallbackError, VerifiedCallback};
use crate::signature::SecretKey;
use ::axum::extract::{FromRef, FromRequest, Request};
use ::axum::http::{StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use futures_core::Stream;
use std::pin::Pin;

/// The largest callback body the extractor reads: 64 KiB. A Flitt callback is a few
/// kilobytes even with `additional_info`, `merchant_data` (2,048) and `reservation_data`
/// (10,000) at their longest, and a little over a third more as a 2.0 envelope; anything
/// larger is refused without being read further.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Why the extractor refused a request. Its response is always `400 Bad Request` with an
/// empty body; the reason is for logs and for handlers that extract
/// `Result<VerifiedCallback, CallbackRejection>`, and holds no value from the body (at most a
/// parameter's name).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRejection {
    /// The body is over [`MAX_BODY_BYTES`].
    #[error("callback body over {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// The body could not be read (the connection failed or timed out).
    #[error("callback body could not be read")]
    Unreadable,
    /// The body did not verify: no signature, a wrong one, or a malformed body.
    #[error(transparent)]
    Refused(#[from] CallbackError),
}

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        // Nothing in the body: the reason is for the merchant's logs, not for the sender.
        StatusCode::BAD_REQUEST.into_response()
    }
}

/// Reads the body (at most [`MAX_BODY_BYTES`]) and verifies it with the key the state gives;
/// refuses with an empty `400` (see [`CallbackRejection`]).
impl<S> FromRequest<S> for VerifiedCallback
where
    S: Send + Sync,
    SecretKey: FromRef<S>,
{
    type Rejection = CallbackRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let result = verify_request(request, &SecretKey::from_ref(state)).await;
        if let Err(rejection) = &result {
            tracing::warn!(reason = %rejection, "Flitt callback refused");
        }
        result
    }
}

async fn verify_request(
    request: Request,
    key: &SecretKey,
) -> Result<VerifiedCallback, CallbackRejection> {
    let headers = request.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(CallbackRejection::TooLarge);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Read frame by frame, stopping at the limit whatever the headers said (a chunked body
    // declares no length).
    let mut stream = request.into_body().into_data_stream();
    let mut body = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
        let chunk = chunk.map_err(|_| CallbackRejection::Unreadable)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(CallbackRejection::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Callback::verify(&body, content_type.as_deref(), key)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::axum::body::Body;
    use serde_json::json;

    fn request(body: impl Into<Body>, content_type: &str) -> Request {
        ::axum::http::Request::post("/cb")
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .unwrap()
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_signed_body_verifies_and_others_are_refused_with_an_empty_400() {
        let key = SecretKey::new("k");
        let fields = json!({"order_id": "o-1", "order_status": "approved", "amount": 100});
        let fields = fields.as_object().unwrap();
        let json_body = crate::callback::test_util::sign_callback_json(&key, fields).unwrap();
        let form_body = crate::callback::test_util::sign_callback_form(&key, fields).unwrap();
        let ok = run(VerifiedCallback::from_request(
            request(json_body.clone(), "application/json"),
            &key,
        ))
        .unwrap();
        assert_eq!(ok.order_id(), Some("o-1"));
        let ok = run(VerifiedCallback::from_request(
            request(form_body, "application/x-www-form-urlencoded"),
            &key,
        ))
        .unwrap();
        assert_eq!(ok.get_str("amount").as_deref(), Some("100"));

        let wrong_key = run(VerifiedCallback::from_request(
            request(json_body, "application/json"),
            &SecretKey::new("other"),
        ))
        .unwrap_err();
        assert!(matches!(wrong_key, CallbackRejection::Refused(_)));
        let response = wrong_key.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = run(::axum::body::to_bytes(response.into_body(), 1024)).unwrap();
        assert!(bytes.is_empty());
    }

    #[test]
    fn a_body_over_the_limit_is_refused_by_its_length_or_as_it_streams() {
        let key = SecretKey::new("k");
        // A declared length over the limit: refused before reading.
        let mut declared = request("order_id=1", "application/x-www-form-urlencoded");
        declared
            .headers_mut()
            .insert(header::CONTENT_LENGTH, (MAX_BODY_BYTES + 1).into());
        assert!(matches!(
            run(VerifiedCallback::from_request(declared, &key)),
            Err(CallbackRejection::TooLarge)
        ));
        // No declared length: refused once the chunks read pass the limit.
        let over = chunked(vec![vec![b'a'; MAX_BODY_BYTES], vec![b'a'; 1]]);
        assert!(matches!(
            run(VerifiedCallback::from_request(
                request(over, "application/json"),
                &key
            )),
            Err(CallbackRejection::TooLarge)
        ));
        // Exactly at the limit it is read, and refused only because it is not signed.
        let at_limit = chunked(vec![vec![b'a'; MAX_BODY_BYTES - 1], vec![b'a'; 1]]);
        assert!(matches!(
            run(VerifiedCallback::from_request(
                request(at_limit, "application/json"),
                &key
            )),
            Err(CallbackRejection::Refused(_))
        ));
    }

    /// A body of several chunks and no declared length.
    fn chunked(chunks: Vec<Vec<u8>>) -> Body {
        struct Chunks(std::vec::IntoIter<Vec<u8>>);
        impl Stream for Chunks {
            type Item = Result<Vec<u8>, std::io::Error>;
            fn poll_next(
                mut self: Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                std::task::Poll::Ready(self.0.next().map(Ok))
            }
        }
        Body::from_stream(Chunks(chunks.into_iter()))
    }
}
