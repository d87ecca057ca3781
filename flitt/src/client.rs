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
//!
//! Retries use capped exponential backoff with jitter ([`RetryPolicy`]). When a state-changing
//! request's outcome is ambiguous, the client looks its `order_id` up. If the request created
//! that order (a direct, recurring or payout payment) and the order has reached a final state
//! (`approved`, `declined`, `expired`, `reversed`), that lookup *is* the outcome and `send`
//! returns it. Otherwise `send` returns [`Error::OutcomeUnknown`] carrying the order as the
//! lookup found it: resolve it with a later status lookup, and never resend blindly. Give every
//! refund a `reverse_id`: Flitt applies a repeated `reverse_id` once.

use crate::api::{OrderResponse, OrderStatus, StatusRequest};
use crate::error::{Error, GatewayError, TransportError, UnknownOutcome};
use crate::redact::Secrets;
use crate::request::{ApiRequest, Effect, Endpoint, Host, Protocol, ResponseShape, SigningKey};
use crate::signature::{self, SecretKey};
use crate::types::OrderId;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// The production payment API.
pub const DEFAULT_API_URL: &str = "https://pay.flitt.com";

/// How request bodies are encoded. Replies come back in the same encoding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyFormat {
    /// `{"request": {…}}` (the default).
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`. Protocol 2.0 requests are always JSON.
    Form,
}

/// How reads are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// The first backoff; each retry doubles it.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1`: `base * 2^(attempt-1)`, capped, with full
    /// jitter on its upper half.
    fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
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
}

struct Inner {
    http: reqwest::Client,
    merchant_id: String,
    secret: SecretKey,
    credit_key: Option<SecretKey>,
    api_url: String,
    format: BodyFormat,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("merchant_id", &self.inner.merchant_id)
            .field("api_url", &self.inner.api_url)
            .field("format", &self.inner.format)
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
                api_url,
                format: self.format,
                retry: self.retry,
            }),
        })
    }
}

/// Where a raw reply came from, for error messages.
struct Reply {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// A failure of one attempt, classified for the retry policy.
enum Attempt {
    /// Nothing reached the server.
    NotSent(Error),
    /// The request may have been applied.
    Ambiguous(Error),
    /// Definitely refused; do not retry.
    Final(Error),
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

    /// The merchant id.
    pub fn merchant_id(&self) -> &str {
        &self.inner.merchant_id
    }

    /// Sends a request and decodes its reply. See the [module docs](self) for the retry policy.
    ///
    /// # Errors
    /// Any [`Error`]; a declined payment is `Ok`.
    pub async fn send<R: ApiRequest>(&self, request: &R) -> Result<R::Response, Error> {
        request.validate()?;
        let endpoint = R::ENDPOINT;
        let order_id = request.order_id().cloned();
        let span = tracing::info_span!(
            "flitt.request",
            endpoint = endpoint.name,
            order_id = order_id.as_ref().map(OrderId::as_str),
        );
        async {
            let secrets = self.secrets_of(request);
            let (content_type, body) = self.encode(request)?;
            let value = match self.execute(&endpoint, content_type, body, &secrets).await {
                Ok(value) => value,
                Err(Attempt::Ambiguous(cause)) => {
                    self.settle(&endpoint, order_id, cause, &secrets).await?
                }
                Err(Attempt::NotSent(e) | Attempt::Final(e)) => return Err(e),
            };
            decode::<R::Response>(&value, &secrets)
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

    async fn send_raw_map(
        &self,
        endpoint: &Endpoint,
        mut params: std::collections::BTreeMap<String, String>,
    ) -> Result<Value, Error> {
        let mut secrets = self.key_secrets();
        for (name, value) in &params {
            if endpoint.param(name).is_some_and(|p| p.sensitive) {
                secrets.add(value);
            }
        }
        let order_id = params.get("order_id").and_then(|v| OrderId::new(v).ok());
        params.insert("merchant_id".into(), self.inner.merchant_id.clone());
        let key = self.key_for(endpoint)?;
        let (content_type, body) = match endpoint.protocol {
            Protocol::V2 => {
                let order: Map<String, Value> = params
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                json_v2(key, order)?
            }
            _ => {
                let mut signer = signature::Signer::new(key);
                for v in params.values() {
                    signer.push(v);
                }
                let sig = signer.finish();
                let pairs: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .chain([("signature", sig.as_str())])
                    .collect();
                self.flat_body(&pairs)
            }
        };
        match self.execute(endpoint, content_type, body, &secrets).await {
            Ok(v) => Ok(v),
            Err(Attempt::Ambiguous(e)) => self.settle(endpoint, order_id, e, &secrets).await,
            Err(Attempt::NotSent(e) | Attempt::Final(e)) => Err(e),
        }
    }

    /// The keys' text, masked in every error this client makes.
    fn key_secrets(&self) -> Secrets {
        let mut secrets = Secrets::default();
        secrets.add(self.inner.secret.expose_for_redaction());
        if let Some(key) = &self.inner.credit_key {
            secrets.add(key.expose_for_redaction());
        }
        secrets
    }

    /// The sensitive values `request` puts on the wire (card data, tokens, PaRes, MD) and the
    /// keys: a reply that echoes them, in any shape, has them masked in errors.
    fn secrets_of<R: ApiRequest>(&self, request: &R) -> Secrets {
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

    fn flat_body(&self, pairs: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
        match self.inner.format {
            BodyFormat::Json => {
                let map: Map<String, Value> = pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                    .collect();
                let body = serde_json::json!({ "request": map });
                (
                    "application/json; charset=utf-8",
                    body.to_string().into_bytes(),
                )
            }
            BodyFormat::Form => {
                let mut ser = form_urlencoded::Serializer::new(String::new());
                ser.extend_pairs(pairs.iter());
                (
                    "application/x-www-form-urlencoded",
                    ser.finish().into_bytes(),
                )
            }
        }
    }

    fn encode<R: ApiRequest>(&self, request: &R) -> Result<(&'static str, Vec<u8>), Error> {
        let endpoint = R::ENDPOINT;
        let key = self.key_for(&endpoint)?;
        let merchant_id = self.inner.merchant_id.as_str();
        match endpoint.protocol {
            Protocol::V2 => {
                let mut order = match serde_json::to_value(request) {
                    Ok(Value::Object(map)) => map,
                    _ => {
                        return Err(Error::Config(
                            "a 2.0 request must serialize to an object".into(),
                        ));
                    }
                };
                let id = merchant_id
                    .parse::<u64>()
                    .map_or_else(|_| Value::String(merchant_id.to_owned()), Value::from);
                order.insert("merchant_id".into(), id);
                for p in endpoint.params {
                    if let Some(fixed) = p.fixed {
                        order.insert(p.name.into(), Value::String(fixed.into()));
                    }
                }
                json_v2(key, order)
            }
            Protocol::V1 | Protocol::Either => {
                let signature = request.sign_v1(merchant_id, key);
                let params = request.wire_params(merchant_id);
                let pairs: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .chain([("signature", signature.as_str())])
                    .collect();
                Ok(self.flat_body(&pairs))
            }
        }
    }

    /// Posts with the retry policy, then checks and verifies the reply.
    async fn execute(
        &self,
        endpoint: &Endpoint,
        content_type: &'static str,
        body: Vec<u8>,
        secrets: &Secrets,
    ) -> Result<Value, Attempt> {
        let url = format!("{}{}", self.inner.api_url, endpoint.path);
        let retry = self.inner.retry;
        let mut attempt = 1;
        loop {
            let result = self
                .attempt(endpoint, &url, content_type, body.clone(), secrets)
                .instrument(tracing::debug_span!("flitt.attempt", attempt))
                .await;
            let retryable = match &result {
                Ok(_) | Err(Attempt::Final(_)) => false,
                Err(Attempt::NotSent(_)) => true,
                Err(Attempt::Ambiguous(_)) => endpoint.effect == Effect::Read,
            };
            if !retryable || attempt >= retry.max_attempts.max(1) {
                return match result {
                    // A read that kept failing is simply an error.
                    Err(Attempt::Ambiguous(e)) if endpoint.effect == Effect::Read => {
                        Err(Attempt::Final(e))
                    }
                    other => other,
                };
            }
            let delay = retry.delay(attempt);
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        endpoint: &Endpoint,
        url: &str,
        content_type: &'static str,
        body: Vec<u8>,
        secrets: &Secrets,
    ) -> Result<Value, Attempt> {
        let key = self.key_for(endpoint).map_err(Attempt::Final)?;
        let sent = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Err(classify(e)),
        };
        let status = response.status().as_u16();
        let reply_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                // The request was sent; the reply was lost.
                return Err(match classify(e) {
                    Attempt::NotSent(e) => Attempt::Ambiguous(e),
                    other => other,
                });
            }
        };
        tracing::debug!(status, bytes = body.len(), "reply");
        let reply = Reply {
            status,
            content_type: reply_type,
            body,
        };
        match status {
            200 => check_reply(endpoint, key, &reply, secrets).map_err(|e| match e {
                // A reply that cannot be read or trusted says nothing about whether a
                // state-changing request was applied: settle it, never assume either way.
                Error::Decode { .. } | Error::Signature(_) if endpoint.effect != Effect::Read => {
                    Attempt::Ambiguous(e)
                }
                other => Attempt::Final(other),
            }),
            429 if endpoint.effect == Effect::Read => {
                Err(Attempt::Ambiguous(http_error(&reply, secrets)))
            }
            500..=599 => Err(Attempt::Ambiguous(http_error(&reply, secrets))),
            _ => Err(Attempt::Final(http_error(&reply, secrets))),
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
        secrets: &Secrets,
    ) -> Result<Value, Error> {
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
        let order: OrderResponse = match decode(&status_value, secrets) {
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

/// Adds every string under a sensitive key of `value`, at any depth.
fn collect_sensitive(value: &Value, secrets: &mut Secrets) {
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

fn map_with(
    map: std::collections::BTreeMap<&str, &str>,
    key: &str,
    value: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut out: std::collections::BTreeMap<String, String> = map
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    out.insert(key.to_owned(), value.to_owned());
    out
}

fn json_v2(key: &SecretKey, order: Map<String, Value>) -> Result<(&'static str, Vec<u8>), Error> {
    let envelope = signature::envelope_v2(key, &Value::Object(order))
        .map_err(|e| Error::Config(format!("cannot build the 2.0 envelope: {e}")))?;
    let body = serde_json::json!({ "request": envelope });
    Ok((
        "application/json; charset=utf-8",
        body.to_string().into_bytes(),
    ))
}

fn classify(e: reqwest::Error) -> Attempt {
    if e.is_builder() {
        return Attempt::Final(Error::Config(format!("cannot build the request: {e}")));
    }
    let connect = e.is_connect();
    let err = Error::Transport(TransportError {
        timeout: e.is_timeout(),
        connect,
        source: Box::new(e.without_url()),
    });
    if connect {
        Attempt::NotSent(err)
    } else {
        Attempt::Ambiguous(err)
    }
}

fn http_error(reply: &Reply, secrets: &Secrets) -> Error {
    Error::HttpStatus {
        status: reply.status,
        excerpt: secrets.excerpt(&reply.body),
    }
}

/// Decodes a checked reply into its typed response; an error names the reason, redacted
/// (serde's messages quote the offending value).
fn decode<T: serde::de::DeserializeOwned>(value: &Value, secrets: &Secrets) -> Result<T, Error> {
    T::deserialize(value).map_err(|e| Error::decode(e, value.to_string().as_bytes(), secrets))
}

/// Parses a 200 reply, maps a refusal to [`Error::Gateway`], unwraps and verifies it.
///
/// A success reply of an endpoint the spec marks signed must carry a valid signature (a 2.0
/// envelope's, or a 1.0 `signature`); without one it is [`Error::Signature`], unless it
/// carries only the endpoint's `unsigned_fields` (a 3-D Secure challenge).
fn check_reply(
    endpoint: &Endpoint,
    key: &SecretKey,
    reply: &Reply,
    secrets: &Secrets,
) -> Result<Value, Error> {
    let body = reply.body.as_slice();
    let bad = |reason: &str| Error::decode(reason, body, secrets);
    let content_type = reply.content_type.as_deref().unwrap_or("");
    if content_type.starts_with("text/html") {
        return Err(bad("the reply is an HTML page"));
    }
    let looks_like_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    let is_form = content_type.starts_with("application/x-www-form-urlencoded")
        || (!looks_like_json && !content_type.contains("json"));
    let inner = if is_form {
        let map: Map<String, Value> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        // Every key of a form reply is a wire name; anything else (an HTML page, plain text)
        // is not a reply at all.
        let wire_name =
            |k: &String| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if map.is_empty() || !map.keys().all(wire_name) {
            return Err(bad("the reply is neither JSON nor a form"));
        }
        Value::Object(map)
    } else {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Error::decode(format!("malformed JSON: {e}"), body, secrets))?;
        match value {
            Value::Object(mut map) if map.len() == 1 && map.contains_key("response") => {
                map.remove("response").unwrap_or(Value::Null)
            }
            other => other,
        }
    };
    match inner {
        Value::Array(items) => {
            if endpoint.response_shape == ResponseShape::Array {
                Ok(Value::Array(items))
            } else {
                Err(bad("expected an object, found a list"))
            }
        }
        Value::Object(map) => {
            if let Some(e) = gateway_error(&map, secrets) {
                return Err(Error::Gateway(Box::new(e)));
            }
            if map.get("version").and_then(Value::as_str) == Some("2.0") && map.contains_key("data")
            {
                let data = map.get("data").and_then(Value::as_str).unwrap_or_default();
                let sig = map
                    .get("signature")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let decoded = signature::verify_v2(key, data, sig)
                    .map_err(|e| Error::Signature(e.to_string()))?;
                return match decoded {
                    Value::Object(mut outer) if outer.contains_key("order") => {
                        let order = outer.remove("order").unwrap_or(Value::Null);
                        match order {
                            Value::Object(o) => match gateway_error(&o, secrets) {
                                Some(e) => Err(Error::Gateway(Box::new(e))),
                                None => Ok(Value::Object(o)),
                            },
                            _ => Err(bad("the 2.0 `order` is not an object")),
                        }
                    }
                    Value::Object(o) => Ok(Value::Object(o)),
                    _ => Err(bad("the 2.0 data is not an object")),
                };
            }
            if map.contains_key("signature") {
                let verified = if is_form {
                    signature::verify_v1_form(key, body)
                } else {
                    signature::verify_v1_json(key, body)
                };
                verified.map_err(|e| Error::Signature(e.to_string()))?;
            } else if endpoint.response_signed
                && !map
                    .keys()
                    .all(|k| endpoint.unsigned_fields.contains(&k.as_str()))
            {
                return Err(Error::Signature(format!(
                    "a success reply of `{}` must be signed, and this one carries no signature",
                    endpoint.name
                )));
            }
            if endpoint.response_shape == ResponseShape::Array {
                return Err(bad("expected a list, found an object"));
            }
            let mut map = map;
            // Test mode echoes the whole pre-hash string (card data, tokens) for debugging
            // signatures: once verified, it is only a leak waiting to be logged.
            map.remove("response_signature_string");
            Ok(Value::Object(map))
        }
        _ => Err(bad("the reply is not an object")),
    }
}

/// The gateway's refusal in a reply, if it is one. Its message is redacted: gateways quote
/// card numbers and parameters back.
fn gateway_error(map: &Map<String, Value>, secrets: &Secrets) -> Option<GatewayError> {
    let failure = map.get("response_status").and_then(Value::as_str) == Some("failure");
    let code = map.get("error_code").or_else(|| map.get("err_code"));
    if !failure && code.is_none() {
        return None;
    }
    let raw_code = match code {
        Some(Value::String(s)) => secrets.text(s),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let message = map
        .get("error_message")
        .or_else(|| map.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("no message");
    Some(GatewayError {
        code: raw_code.trim().parse().ok(),
        raw_code,
        message: secrets.text(message),
        request_id: map
            .get("request_id")
            .and_then(Value::as_str)
            .map(|r| secrets.text(r)),
    })
}

/// Runs the client's reply path (envelope, signature, gateway error, typed decode) on a raw
/// HTTP 200 body, as [`Client::send`] does for `R`, with the key `key`. For fuzzing; not a
/// stable API.
///
/// # Errors
/// As [`Client::send`] for a 200 reply.
#[doc(hidden)]
pub fn decode_reply_for_fuzzing<R: ApiRequest>(
    key: &SecretKey,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<R::Response, Error> {
    let reply = Reply {
        status: 200,
        content_type: content_type.map(str::to_owned),
        body: body.to_vec(),
    };
    let secrets = Secrets::default();
    let value = check_reply(&R::ENDPOINT, key, &reply, &secrets)?;
    decode(&value, &secrets)
}

/// The HTTP client builder every client here starts from: no redirects followed (a gateway
/// never redirects an API call; a redirect is an error page), and TLS on ring.
pub(crate) fn http_builder() -> reqwest::ClientBuilder {
    // reqwest is built without a bundled crypto provider (ring builds much faster than
    // aws-lc-sys); install ring unless the application installed one already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for attempt in 1..=10 {
            let d = p.delay(attempt);
            let ceiling = (Duration::from_millis(100) * (1 << (attempt - 1))).min(p.max_delay);
            assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn gateway_errors_accept_string_and_number_codes() {
        let m = |v: Value| v.as_object().cloned().unwrap();
        let none = Secrets::default();
        let e = gateway_error(&m(serde_json::json!({"error_code": "1008", "error_message": "x", "response_status": "failure"})), &none).unwrap();
        assert_eq!(e.code, Some(1008));
        let e = gateway_error(
            &m(serde_json::json!({"error_code": 1014, "error_message": "Invalid signature"})),
            &none,
        )
        .unwrap();
        assert_eq!(
            e.response_code().map(|c| c.name()),
            Some("invalid_signature")
        );
        assert!(
            gateway_error(
                &m(serde_json::json!({"order_status": "declined", "response_status": "success"})),
                &none
            )
            .is_none()
        );
    }
}
