//! # flitt
//!
//! A typed SDK for the [Flitt](https://pay.flitt.com) card payment gateway (formerly Fondy /
//! CloudIPSP).
//!
//! - [`api`]: one request struct per host-to-host endpoint and the responses they get,
//!   generated at build time from the TOML spec in `spec/`. Required parameters are required
//!   by the compiler (typed builders); every other rule (length, range, format) is checked by
//!   `validate()` before any byte is sent.
//! - [`signature`]: protocol 1.0 and 2.0 signing and verification, constant-time.
//! - [`callback`]: verified server callbacks.
//! - [`checkout_form`]: the redirect checkout's signed HTML form, posted by the browser.
//! - [`client`]: the async client, one `send` for every endpoint, with retries that never
//!   double money.
//! - [`flows`]: type-state payment flows (`Payment<Preauthorized>` → `Payment<Captured>` →
//!   `Payment<Reversed>`, 3-D Secure, recurring charges, resuming from a status lookup).
//! - [`reports`]: the Reports API, with type-checked filters and pages as a stream.
//!
//! ```
//! use flitt::api::CheckoutUrlRequest;
//! use flitt::request::ApiRequest;
//! use flitt::types::{Amount, Currency};
//!
//! let request = CheckoutUrlRequest::builder()
//!     .order_desc("Two coffees")
//!     .amount(Amount::new(1020)?)
//!     .currency(Currency::GEL)
//!     .build();
//! request.validate()?;
//! assert_eq!(CheckoutUrlRequest::ENDPOINT.path, "/api/checkout/url");
//! # Ok::<(), flitt::validate::InvalidInput>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Generated code names everything as `::flitt::…`, inside this crate too.
extern crate self as flitt;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
pub mod callback;
pub mod checkout_form;
pub mod client;
pub mod error;
pub mod flows;
#[doc(hidden)]
pub mod json_text;
pub mod redact;
pub mod reports;
pub mod request;
#[doc(hidden)]
pub mod schema;
pub mod signature;
pub mod types;
pub mod validate;
#[doc(hidden)]
pub mod wire;

pub use client::Client;
pub use error::Error;

/// The Flitt API: request and response types, enums and response codes, generated from
/// `spec/` at build time.
#[allow(clippy::all, clippy::pedantic)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/api.rs"));
}

#[doc(hidden)]
/// Re-exports for generated code. Not a public API.
pub mod __private {
    pub use crate::json_text;
    pub use crate::schema;
    pub use crate::validate;
    pub use crate::wire;
    pub use schemars;
    pub use serde;
    pub use serde_json;
    pub use typed_builder;
}
