//! The async client: one [`Client::send`] for every generated request.
//!
//! # What `send` does
//!
//! 1. Runs the request's `validate()`: a bad value is [`Error::InvalidInput`], and nothing is
//!    sent.
//! 2. Picks the protocol and the key from the spec (settlements and subscriptions go out as
//!    2.0; payouts are signed with the credit key), signs, and posts JSON or form.
//! 3. Checks the HTTP status, unwraps a 2.0 envelope, verifies the reply's signature whenever
//!    there is one (a mismatch is [`Error::Signature`], never a success), and decodes the reply
//!    leniently into the endpoint's response type. A refusal is [`Error::Gateway`]; a declined
//!    payment is a successful reply with `order_status: declined`.
//!
//! # Retries never double money
//!
//! | what happened | reads (`status`, `transaction_list`, reports) | anything else |
//! |---|---|---|
//! | could not connect (nothing was sent) | retried | retried |
//! | HTTP 429 | retried | [`Error::HttpStatus`] (refused, not applied) |
//! | timeout or broken connection after sending; HTTP 5xx | retried | **never resent**: resolved by a status lookup |
//! | HTTP 200 whose body is not a reply (HTML, cut short, malformed) or fails verification (forged, unsigned) | an error ([`Error::Decode`], [`Error::Signature`]) | **never resent**: resolved by a status lookup |
//! | HTTP 200 whose body is larger than [`ClientBuilder::max_reply_bytes`] (announced or received), left unread | an error ([`Error::Decode`]), not asked again | **never resent**: resolved by a status lookup |
//!
//! Retries use capped exponential backoff with jitter ([`RetryPolicy`]). When a state-changing
//! request's outcome is ambiguous, the client looks its `order_id` up. If the request created
//! that order (a direct, recurring or payout payment) and the order has reached a final state
//! (`approved`, `declined`, `expired`, `reversed`), that lookup *is* the outcome and `send`
//! returns it. Otherwise `send` returns [`Error::OutcomeUnknown`] carrying the order as the
//! lookup found it: resolve it with a later status lookup, and never resend blindly. Give every
//! refund a `reverse_id`: Flitt applies a repeated `reverse_id` once.
//!
//! # What the spec does not have yet
//!
//! Two escape hatches, both signed like every request and both under the retry rules above:
//!
//! - [`Client::send_with_extra`]: a typed request plus parameters the spec lacks (a field
//!   Flitt added after this release). They go on the wire beside the typed values and are
//!   covered by the same signature; one that names a parameter of the endpoint, or one the
//!   client fills in (`merchant_id`, `signature`, `version`), is refused before anything is
//!   sent, so an extra can never replace a typed value.
//! - [`Client::call_unlisted`]: an endpoint the spec does not know, by its path, with text
//!   parameters, signed with the merchant key as protocol 1.0, and the [`Effect`] you declare
//!   deciding the retries (a write or a money call is never resent).
//!
//! The CLI's `flitt call` uses neither: it takes only the spec's endpoints and parameters.

mod encode;
mod reply;
mod transport;

pub(crate) use reply::Checked;
pub use reply::decode_reply_for_fuzzing;
pub use transport::RetryPolicy;
pub(crate) use transport::{Attempt, Route, Urls, execute, http_builder};

use crate::api::{OrderResponse, OrderStatus, StatusRequest};
use crate::error::{Error, UnknownOutcome};
use crate::redact::Secrets;
use crate::request::{ApiRequest, Effect, Endpoint, Host, Protocol, ResponseShape, SigningKey};
use crate::signature::SecretKey;
use crate::types::OrderId;
use crate::validate::{InvalidInput, Rule};
use encode::map_with;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// The production payment API.
pub const DEFAULT_API_URL: &str = "https://pay.flitt.com";

/// The default bound on a reply's body, [`ClientBuilder::max_reply_bytes`]: 32 MiB. Flitt's
/// largest replies (a report's rows, a transaction list) are a few megabytes.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 32 * 1024 * 1024;

/// How request bodies are encoded. Replies come back in the same encoding.
///
/// Endpoints the spec marks protocol 2.0 (settlements, splits, subscriptions with a schedule)
/// always go out as 2.0 envelopes, and the one marked 1.0 only (`transaction_list`) as 1.0
/// JSON, whatever the format says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyFormat {
    /// Protocol 1.0, `{"request": {…}}` (the default).
    #[default]
    Json,
    /// Protocol 1.0, `application/x-www-form-urlencoded`.
    Form,
    /// Protocol 2.0 on every endpoint that takes it: `{"request": {"version": "2.0", "data":
    /// base64(json({"order": {…}})), "signature": …}}`, as the official SDKs send every call
    /// once configured for 2.0. Replies come back as signed 2.0 envelopes.
    V2,
}

/// A Flitt API client. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), flitt::Error> {
/// use flitt::{Client, api::CheckoutUrlRequest, types::{Amount, Currency}};
///
/// let client = Client::from_env()?;
/// let reply = client
///     .send(&CheckoutUrlRequest::builder()
///         .order_desc("Two coffees")
///         .amount(Amount::new(1020)?)
///         .currency(Currency::GEL)
///         .build())
///     .await?;
/// println!("pay at {:?}", reply.checkout_url);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// Per client, so [`Client::with_body_format`] can change it for some requests.
    format: BodyFormat,
}

struct Inner {
    http: reqwest::Client,
    merchant_id: String,
    secret: SecretKey,
    credit_key: Option<SecretKey>,
    urls: Urls,
    retry: RetryPolicy,
    max_reply_bytes: usize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("merchant_id", &self.inner.merchant_id)
            .field("api_url", &self.inner.urls.base())
            .field("format", &self.format)
            .field("secret", &"[redacted]")
            .field(
                "credit_key",
                &self.inner.credit_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Builds a [`Client`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    merchant_id: String,
    secret: SecretKey,
    credit_key: Option<SecretKey>,
    api_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    format: BodyFormat,
    retry: RetryPolicy,
    max_reply_bytes: usize,
}

impl ClientBuilder {
    /// The payout ("credit") key, needed for `p2pcredit` and `ibancredit`.
    pub fn credit_key(mut self, key: impl Into<String>) -> Self {
        self.credit_key = Some(SecretKey::new(key));
        self
    }

    /// The API base URL (default [`DEFAULT_API_URL`]); point it at a sandbox in tests.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole request may take (default 60 s: 3-D Secure and payouts can be slow).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// JSON (default) or form bodies.
    pub fn body_format(mut self, format: BodyFormat) -> Self {
        self.format = format;
        self
    }

    /// The retry policy for reads.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The most bytes a reply's body may have (default [`DEFAULT_MAX_REPLY_BYTES`]). A larger
    /// one, announced or received, is not read further: an endless or enormous reply (a
    /// broken proxy, a hostile server) must not take the process's memory. A 200 left unread
    /// is an [`Error::Decode`] for a read (asking again would bring the same), and for any
    /// other request an unknown outcome, settled by a status lookup as a lost reply is; any
    /// other status decides as it always does, on the part that was read.
    pub fn max_reply_bytes(mut self, bytes: usize) -> Self {
        self.max_reply_bytes = bytes;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty merchant id, a base URL that is not `http(s)://`, or an
    /// HTTP client that cannot be built.
    pub fn build(self) -> Result<Client, Error> {
        if self.merchant_id.trim().is_empty() {
            return Err(Error::Config("the merchant id is empty".into()));
        }
        let api_url = self.api_url.trim_end_matches('/').to_owned();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(Error::Config(format!(
                "the API URL must start with https:// or http://, not {api_url:?}"
            )));
        }
        let http = http_builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                merchant_id: self.merchant_id,
                secret: self.secret,
                credit_key: self.credit_key,
                urls: Urls::new(api_url),
                retry: self.retry,
                max_reply_bytes: self.max_reply_bytes,
            }),
            format: self.format,
        })
    }
}

impl Client {
    /// A builder for the merchant `merchant_id` with its payment key `secret`.
    pub fn builder(merchant_id: impl Into<String>, secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            merchant_id: merchant_id.into(),
            secret: SecretKey::new(secret),
            credit_key: None,
            api_url: DEFAULT_API_URL.to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            user_agent: concat!("flitt-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            format: BodyFormat::Json,
            retry: RetryPolicy::default(),
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
        }
    }

    /// A client from the environment: `FLITT_MERCHANT_ID`, `FLITT_SECRET_KEY`, and optionally
    /// `FLITT_CREDIT_KEY` and `FLITT_API_URL`. The official SDKs' `CLOUDIPSP_MERCHANT_ID` and
    /// `CLOUDIPSP_SECRETKEY` are read when the `FLITT_` ones are absent.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing variable.
    pub fn from_env() -> Result<Self, Error> {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        let merchant = var(&["FLITT_MERCHANT_ID", "CLOUDIPSP_MERCHANT_ID"]).ok_or_else(|| {
            Error::Config("set FLITT_MERCHANT_ID (or CLOUDIPSP_MERCHANT_ID)".into())
        })?;
        let secret = var(&["FLITT_SECRET_KEY", "CLOUDIPSP_SECRETKEY"])
            .ok_or_else(|| Error::Config("set FLITT_SECRET_KEY (or CLOUDIPSP_SECRETKEY)".into()))?;
        let mut builder = Self::builder(merchant, secret);
        if let Some(key) = var(&["FLITT_CREDIT_KEY"]) {
            builder = builder.credit_key(key);
        }
        if let Some(url) = var(&["FLITT_API_URL"]) {
            builder = builder.api_url(url);
        }
        builder.build()
    }

    /// This client with another body format, sharing its connection pool, keys and settings:
    /// for some requests in protocol 2.0 (or 1.0) while the rest keep the client's.
    ///
    /// ```no_run
    /// # async fn run(client: flitt::Client, request: flitt::api::StatusRequest) -> Result<(), flitt::Error> {
    /// use flitt::client::BodyFormat;
    /// let order = client.with_body_format(BodyFormat::V2).send(&request).await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_body_format(&self, format: BodyFormat) -> Client {
        Client {
            inner: self.inner.clone(),
            format,
        }
    }

    /// The merchant id.
    pub fn merchant_id(&self) -> &str {
        &self.inner.merchant_id
    }

    /// The API base URL, without a trailing `/` (default [`DEFAULT_API_URL`]).
    pub fn api_url(&self) -> &str {
        self.inner.urls.base()
    }

    /// Sends a request and decodes its reply. See the [module docs](self) for the retry policy.
    ///
    /// # Errors
    /// Any [`Error`]; a declined payment is `Ok`.
    pub async fn send<R: ApiRequest>(&self, request: &R) -> Result<R::Response, Error> {
        self.send_with_extra(request, &[]).await
    }

    /// [`Client::send`] with parameters the spec does not have yet (a field Flitt added last
    /// week): each `(name, value)` in `extra` goes on the wire beside the request's own
    /// parameters and is covered by the same signature (a flat 1.0 value in key order, or a
    /// string in the 2.0 `order`). Retries and ambiguous outcomes are as for `send`: a write
    /// or a money request is never resent blindly. An escape hatch: once the spec has the
    /// parameter, set it on the typed request instead.
    ///
    /// Refused before anything is sent, as [`Error::InvalidInput`] naming the parameter:
    /// - a parameter the endpoint has (`amount`, `order_id`, …): an extra never replaces or
    ///   doubles a typed value (rule [`Rule::Other`], "a known
    ///   parameter");
    /// - `merchant_id`, `signature`, `version`, which the client fills in
    ///   ([`Rule::ClientSupplied`]), and
    ///   `response_signature_string`, which signatures leave out;
    /// - a name that is not ASCII letters, digits and `_` (1 to 64 of them), or given twice
    ///   (names are compared without case: `AMOUNT` is `amount`);
    /// - a value containing `|`, the 1.0 signature separator
    ///   ([`Rule::Separator`]).
    ///
    /// An extra named as a sensitive field anywhere in the spec (`cvv2`, `rectoken`, …: see
    /// [`redact::is_sensitive_key`](crate::redact::is_sensitive_key)) is masked in errors like
    /// the spec's own sensitive values.
    ///
    /// ```no_run
    /// # async fn run(client: flitt::Client) -> Result<(), flitt::Error> {
    /// use flitt::api::CheckoutUrlRequest;
    /// use flitt::types::{Amount, Currency};
    ///
    /// let request = CheckoutUrlRequest::builder()
    ///     .order_desc("Two coffees")
    ///     .amount(Amount::new(1020)?)
    ///     .currency(Currency::GEL)
    ///     .build();
    /// let reply = client
    ///     .send_with_extra(&request, &[("design_theme", "dark")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn send_with_extra<R: ApiRequest>(
        &self,
        request: &R,
        extra: &[(&str, &str)],
    ) -> Result<R::Response, Error> {
        request.validate()?;
        let endpoint = R::ENDPOINT;
        check_extra(Some(&endpoint), extra)?;
        let order_id = request.order_id().cloned();
        let span = tracing::info_span!(
            "flitt.request",
            endpoint = endpoint.name,
            order_id = order_id.as_ref().map(OrderId::as_str),
        );
        async {
            let mut secrets = self.secrets_of(request);
            add_sensitive(extra, &mut secrets);
            let (content_type, body) = self.encode_with(request, extra)?;
            let value = match self.execute(&endpoint, content_type, body, &secrets).await {
                Ok(value) => value,
                Err(Attempt::Ambiguous(cause)) => {
                    self.settle(&endpoint, order_id, cause, &secrets).await?
                }
                Err(Attempt::NotSent(e) | Attempt::Final(e)) => return Err(e),
            };
            value.decode::<R::Response>(&secrets)
        }
        .instrument(span)
        .await
    }

    /// Sends raw text parameters to the endpoint `endpoint` (the CLI's `flitt call`). They are
    /// checked against the spec first ([`Endpoint::validate_raw`]); nothing is sent if they
    /// break a rule. Returns the verified reply as JSON.
    ///
    /// # Errors
    /// As [`Client::send`]: an ambiguous outcome is settled by a status lookup of the order id
    /// sent (the one given, or the one generated for a creating endpoint), or reported as
    /// [`Error::OutcomeUnknown`] carrying that id.
    pub async fn send_raw(
        &self,
        endpoint: &Endpoint,
        params: &[(String, String)],
    ) -> Result<Value, Error> {
        endpoint.validate_raw(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let mut map: std::collections::BTreeMap<&str, &str> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for p in endpoint.params {
            if let Some(fixed) = p.fixed {
                map.insert(p.name, fixed);
            }
        }
        if endpoint.param("order_id").is_some() && !map.contains_key("order_id") {
            // Creating endpoints generate one, like the typed builders.
            let generated = OrderId::generate();
            let id = generated.as_str().to_owned();
            return self
                .send_raw_map(endpoint, map_with(map, "order_id", &id))
                .await;
        }
        let owned = map
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.send_raw_map(endpoint, owned).await
    }

    /// Calls an endpoint the spec does not know yet, at `path` on the payment API
    /// (`/api/…`), with `params`: signed with the merchant key as protocol 1.0 (the client adds
    /// `merchant_id` and `signature`), sent in the client's [`BodyFormat`]. Returns the reply
    /// as JSON: a refusal is [`Error::Gateway`], and a reply carrying a signature (1.0 or a
    /// 2.0 envelope) is verified, while one without is returned as it came (the spec cannot
    /// say whether it must be signed). The reply must be one object; a list is
    /// [`Error::Decode`].
    ///
    /// `effect` decides the retries as the spec's does for its endpoints: an
    /// [`Effect::Read`] is retried when its outcome is unknown; an [`Effect::Write`] or
    /// [`Effect::Money`] never is. Its ambiguous outcome (a timeout, a cut connection, a 5xx,
    /// an unreadable 200) is [`Error::OutcomeUnknown`], carrying the order as a status lookup
    /// of its `order_id` found it when `params` has one. Say `Money` for anything that might
    /// move money.
    ///
    /// Refused before anything is sent, as [`Error::InvalidInput`]:
    /// - a `path` that is not `/api/` and then segments of ASCII letters, digits, `_`, `-` and
    ///   `.` (no `..`, query or host), or that is an endpoint the spec has (send its typed
    ///   request, which checks every rule);
    /// - the parameters [`Client::send_with_extra`] refuses for its extras, the endpoint's
    ///   known parameters aside (this endpoint has none).
    ///
    /// The CLI's `flitt call` does not use this: it takes only the spec's endpoints and
    /// parameters.
    ///
    /// ```no_run
    /// # async fn run(client: flitt::Client) -> Result<(), flitt::Error> {
    /// use flitt::request::Effect;
    ///
    /// let reply = client
    ///     .call_unlisted("/api/new/lookup", Effect::Read, &[("order_id", "order-42")])
    ///     .await?;
    /// println!("{reply}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn call_unlisted(
        &self,
        path: &str,
        effect: Effect,
        params: &[(&str, &str)],
    ) -> Result<Value, Error> {
        check_unlisted_path(path)?;
        check_extra(None, params)?;
        let endpoint = Endpoint {
            name: "unlisted",
            call_path: "",
            // The path goes into the route's base URL below: an `Endpoint` names its path for
            // the whole program's life, and this one is the caller's.
            path: "",
            doc: "An endpoint the spec does not know, called with Client::call_unlisted.",
            host: Host::Pay,
            protocol: Protocol::V1,
            signing_key: SigningKey::Merchant,
            effect,
            response_shape: ResponseShape::Flat,
            response_signed: false,
            unsigned_fields: &[],
            split_total: None,
            creates_order: false,
            params: &[],
        };
        let span = tracing::info_span!("flitt.request", endpoint = endpoint.name, path);
        async {
            let mut secrets = self.key_secrets();
            add_sensitive(params, &mut secrets);
            let map: std::collections::BTreeMap<String, String> = params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            let order_id = map.get("order_id").and_then(|v| OrderId::new(v).ok());
            let (content_type, body) = self.encode_raw(&endpoint, map)?;
            let urls = Urls::new(format!("{}{path}", self.inner.urls.base()));
            let route = Route {
                http: &self.inner.http,
                urls: &urls,
                retry: self.inner.retry,
                key: &self.inner.secret,
                authorization: None,
                max_reply_bytes: self.inner.max_reply_bytes,
            };
            match execute(&route, &endpoint, content_type, body, &secrets).await {
                Ok(v) => Ok(v.into_value()),
                Err(Attempt::Ambiguous(e)) => self
                    .settle(&endpoint, order_id, e, &secrets)
                    .await
                    .map(Checked::into_value),
                Err(Attempt::NotSent(e) | Attempt::Final(e)) => Err(e),
            }
        }
        .instrument(span)
        .await
    }

    async fn send_raw_map(
        &self,
        endpoint: &Endpoint,
        params: std::collections::BTreeMap<String, String>,
    ) -> Result<Value, Error> {
        let mut secrets = self.key_secrets();
        for (name, value) in &params {
            if endpoint.param(name).is_some_and(|p| p.sensitive) {
                secrets.add(value);
            }
        }
        let order_id = params.get("order_id").and_then(|v| OrderId::new(v).ok());
        let (content_type, body) = self.encode_raw(endpoint, params)?;
        match self.execute(endpoint, content_type, body, &secrets).await {
            Ok(v) => Ok(v.into_value()),
            Err(Attempt::Ambiguous(e)) => self
                .settle(endpoint, order_id, e, &secrets)
                .await
                .map(Checked::into_value),
            Err(Attempt::NotSent(e) | Attempt::Final(e)) => Err(e),
        }
    }

    /// The keys' text, masked in every error this client makes.
    fn key_secrets(&self) -> Secrets<'_> {
        Secrets::with_keys(
            self.inner.secret.expose_for_redaction(),
            self.inner
                .credit_key
                .as_ref()
                .map(SecretKey::expose_for_redaction),
        )
    }

    /// The sensitive values `request` puts on the wire (card data, tokens, PaRes, MD) and the
    /// keys: a reply that echoes them, in any shape, has them masked in errors.
    fn secrets_of<R: ApiRequest>(&self, request: &R) -> Secrets<'_> {
        let endpoint = R::ENDPOINT;
        let mut secrets = self.key_secrets();
        request.visit_wire(&self.inner.merchant_id, &mut |name, value| {
            if endpoint.param(name).is_some_and(|p| p.sensitive) {
                secrets.add(value);
            }
        });
        if endpoint.protocol == Protocol::V2 {
            // Nested values are not visited above.
            if let Ok(value) = serde_json::to_value(request) {
                collect_sensitive(&value, &mut secrets);
            }
        }
        secrets
    }

    fn key_for(&self, endpoint: &Endpoint) -> Result<&SecretKey, Error> {
        if endpoint.host != Host::Pay {
            return Err(Error::Config(format!(
                "`{}` is a Reports API endpoint: use the reports client",
                endpoint.name
            )));
        }
        match endpoint.signing_key {
            SigningKey::Merchant => Ok(&self.inner.secret),
            SigningKey::Credit => self.inner.credit_key.as_ref().ok_or_else(|| {
                Error::Config(format!(
                    "`{}` is signed with the payout (credit) key: set it with ClientBuilder::credit_key or FLITT_CREDIT_KEY",
                    endpoint.name
                ))
            }),
            SigningKey::ReportsApp | SigningKey::ReportsToken => Err(Error::Config(format!(
                "`{}` is a Reports API endpoint: use the reports client",
                endpoint.name
            ))),
        }
    }

    /// Settles an ambiguous state-changing request by looking its order up: returns the
    /// lookup's reply when it *is* the outcome (the request created the order, and the order
    /// has reached a final state), and [`Error::OutcomeUnknown`] carrying the order id and the
    /// order as found otherwise.
    async fn settle(
        &self,
        endpoint: &Endpoint,
        order_id: Option<OrderId>,
        cause: Error,
        secrets: &Secrets<'_>,
    ) -> Result<Checked, Error> {
        tracing::warn!(
            endpoint = endpoint.name,
            "outcome ambiguous; looking the order up"
        );
        let timed_out = cause.is_timeout();
        let unknown = |cause: String, status: Option<OrderResponse>, order_id: Option<OrderId>| {
            Error::OutcomeUnknown(Box::new(UnknownOutcome {
                order_id,
                endpoint: endpoint.name,
                timed_out,
                cause: secrets.text(&cause),
                status,
            }))
        };
        let Some(id) = order_id else {
            return Err(unknown(cause.to_string(), None, None));
        };
        let lookup = StatusRequest::builder().order_id(id.clone()).build();
        let (content_type, body) = self.encode(&lookup)?;
        let status_value = match self
            .execute(&StatusRequest::ENDPOINT, content_type, body, secrets)
            .await
        {
            Ok(v) => v,
            Err(Attempt::NotSent(e) | Attempt::Final(e) | Attempt::Ambiguous(e)) => {
                return Err(unknown(
                    format!("{cause}; the status lookup failed too: {e}"),
                    None,
                    Some(id),
                ));
            }
        };
        let order: OrderResponse = match status_value.decode(secrets) {
            Ok(order) => order,
            Err(e) => {
                return Err(unknown(
                    format!("{cause}; the status lookup's reply did not decode: {e}"),
                    None,
                    Some(id),
                ));
            }
        };
        let is_final = matches!(
            order.order_status,
            Some(
                OrderStatus::Approved
                    | OrderStatus::Declined
                    | OrderStatus::Expired
                    | OrderStatus::Reversed
            )
        );
        let same_order = order.order_id.as_deref() == Some(id.as_str());
        if endpoint.creates_order
            && endpoint.response_shape == ResponseShape::Flat
            && is_final
            && same_order
        {
            // The order exists only because of this request: its final state is the outcome.
            tracing::info!("ambiguous outcome settled by the status lookup");
            return Ok(status_value);
        }
        Err(unknown(cause.to_string(), Some(order), Some(id)))
    }
}

/// Parameters no caller gives: the client fills them in on every request.
const CLIENT_SUPPLIED: [&str; 3] = ["merchant_id", "signature", "version"];

/// The longest extra parameter name.
const MAX_EXTRA_NAME: usize = 64;

/// Checks parameters the spec does not describe ([`Client::send_with_extra`]'s extras, with
/// the `endpoint` they go to; [`Client::call_unlisted`]'s parameters, with none): wire names,
/// none the client fills in, none the endpoint has, none twice, no `|` in a value.
fn check_extra(endpoint: Option<&Endpoint>, params: &[(&str, &str)]) -> Result<(), InvalidInput> {
    for (i, &(name, value)) in params.iter().enumerate() {
        let wire_name = (1..=MAX_EXTRA_NAME).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !wire_name {
            let shown: String = name.chars().take(MAX_EXTRA_NAME).collect();
            return Err(InvalidInput::new(
                shown,
                Rule::Format("a parameter name: 1 to 64 ASCII letters, digits and `_`"),
            ));
        }
        // Compared without case: a gateway that read names so must not see a second `amount`.
        let same = |other: &str| other.eq_ignore_ascii_case(name);
        let known = endpoint.and_then(|e| e.params.iter().find(|p| same(p.name)).map(|p| (e, p)));
        if CLIENT_SUPPLIED.iter().any(|c| same(c)) || known.is_some_and(|(_, p)| p.client_supplied)
        {
            return Err(InvalidInput::new(name.to_owned(), Rule::ClientSupplied));
        }
        if same("response_signature_string") {
            return Err(InvalidInput::new(
                name.to_owned(),
                Rule::Other("is left out of signatures: not a request parameter".into()),
            ));
        }
        if let Some((e, _)) = known {
            return Err(InvalidInput::new(
                name.to_owned(),
                Rule::Other(
                    format!(
                        "is a known parameter of `{}`: set it on the typed request (an extra \
                         parameter never replaces one)",
                        e.name
                    )
                    .into(),
                ),
            ));
        }
        if params[..i].iter().any(|&(other, _)| same(other)) {
            return Err(InvalidInput::new(
                name.to_owned(),
                Rule::Other("is given twice".into()),
            ));
        }
        if value.contains('|') {
            return Err(InvalidInput::new(name.to_owned(), Rule::Separator));
        }
    }
    Ok(())
}

/// Checks [`Client::call_unlisted`]'s path: `/api/` and plain segments, and no endpoint the
/// spec has.
fn check_unlisted_path(path: &str) -> Result<(), InvalidInput> {
    let segment = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    let plain = path.len() <= 256
        && path.strip_prefix("/api/").is_some_and(|rest| {
            let rest = rest.strip_suffix('/').unwrap_or(rest);
            rest.split('/').all(segment)
        });
    if !plain {
        return Err(InvalidInput::new(
            "path",
            Rule::Format(
                "a path on the payment API: `/api/` and segments of ASCII letters, digits, `_`, `-` and `.`",
            ),
        ));
    }
    let trimmed = path.trim_end_matches('/');
    if let Some(e) = crate::api::ENDPOINTS
        .iter()
        .find(|e| e.path.trim_end_matches('/') == trimmed)
    {
        return Err(InvalidInput::new(
            "path",
            Rule::Other(
                format!(
                    "is the spec's `{}`: send its typed request (`flitt::api`), which checks every parameter",
                    e.name
                )
                .into(),
            ),
        ));
    }
    Ok(())
}

/// Masks in errors the values of `params` whose names look sensitive.
fn add_sensitive(params: &[(&str, &str)], secrets: &mut Secrets<'_>) {
    for &(name, value) in params {
        if crate::redact::is_sensitive_key(name) {
            secrets.add(value);
        }
    }
}

/// Adds every string under a sensitive key of `value`, at any depth.
fn collect_sensitive(value: &Value, secrets: &mut Secrets<'_>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if crate::redact::is_sensitive_key(k) => secrets.add(s),
                    other => collect_sensitive(other, secrets),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_sensitive(v, secrets)),
        _ => {}
    }
}
