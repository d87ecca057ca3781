//! Sending: the retry policy, one attempt over HTTP, and how a failure is classified (nothing
//! sent, maybe applied, or refused).

use super::Client;
use super::reply::{Checked, Reply, check_reply, http_error};
use crate::error::{Error, TransportError};
use crate::redact::Secrets;
use crate::request::{CodeKind, Effect, Endpoint};
use crate::signature::SecretKey;
use std::time::Duration;
use tracing::Instrument;

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

/// A failure of one attempt, classified for the retry policy.
pub(crate) enum Attempt {
    /// Nothing reached the server.
    NotSent(Error),
    /// The request may have been applied.
    Ambiguous(Error),
    /// Definitely refused; do not retry.
    Final(Error),
}

impl Attempt {
    /// The error, whatever the class (for reads, where an ambiguous outcome is just an error).
    pub(crate) fn into_error(self) -> Error {
        match self {
            Self::NotSent(e) | Self::Ambiguous(e) | Self::Final(e) => e,
        }
    }
}

/// A host's base URL and the URLs of the endpoints called on it, each parsed once: reqwest
/// parses a URL given as text (its host through IDNA and all) on every request.
#[derive(Debug)]
pub(crate) struct Urls {
    /// The host, without a trailing `/`; an endpoint's path is appended.
    base: String,
    parsed: std::sync::RwLock<Vec<(String, reqwest::Url)>>,
}

impl Urls {
    /// How many endpoint URLs are kept (the spec has a few dozen endpoints per host).
    const KEPT: usize = 64;

    /// The URLs on `base` (without a trailing `/`).
    pub(crate) fn new(base: String) -> Self {
        Self {
            base,
            parsed: std::sync::RwLock::default(),
        }
    }

    /// The base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The URL of `path` on this host; the text, for reqwest to report, when it does not
    /// parse.
    fn of(&self, path: &str) -> Result<reqwest::Url, String> {
        let known = self.parsed.read().ok().and_then(|parsed| {
            parsed
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, url)| url.clone())
        });
        if let Some(url) = known {
            return Ok(url);
        }
        let text = format!("{}{path}", self.base);
        let url = reqwest::Url::parse(&text).map_err(|_| text)?;
        if let Ok(mut parsed) = self.parsed.write() {
            if parsed.len() < Self::KEPT && !parsed.iter().any(|(p, _)| p == path) {
                parsed.push((path.to_owned(), url.clone()));
            }
        }
        Ok(url)
    }
}

/// Where one request goes and how its reply is trusted: the one sending path of the payment
/// client and the Reports client.
pub(crate) struct Route<'a> {
    /// The HTTP client (its pool and timeouts).
    pub(crate) http: &'a reqwest::Client,
    /// The host; the endpoint's path is appended.
    pub(crate) urls: &'a Urls,
    /// How reads are retried.
    pub(crate) retry: RetryPolicy,
    /// The key a signed reply is verified with.
    pub(crate) key: &'a SecretKey,
    /// The `Authorization` header value, if the host wants one (the Reports API's token).
    pub(crate) authorization: Option<String>,
    /// The most bytes a reply's body may have.
    pub(crate) max_reply_bytes: usize,
}

impl Client {
    /// Posts with the retry policy, then checks and verifies the reply.
    pub(super) async fn execute(
        &self,
        endpoint: &Endpoint,
        content_type: &'static str,
        body: Vec<u8>,
        secrets: &Secrets<'_>,
    ) -> Result<Checked, Attempt> {
        let route = Route {
            http: &self.inner.http,
            urls: &self.inner.urls,
            retry: self.inner.retry,
            key: self.key_for(endpoint).map_err(Attempt::Final)?,
            authorization: None,
            max_reply_bytes: self.inner.max_reply_bytes,
        };
        execute(&route, endpoint, content_type, body, secrets).await
    }
}

/// Posts `body` to `endpoint` on `route` with the retry policy (reads are retried when the
/// outcome is unknown, writes never), then checks and verifies the reply.
pub(crate) async fn execute(
    route: &Route<'_>,
    endpoint: &Endpoint,
    content_type: &'static str,
    body: Vec<u8>,
    secrets: &Secrets<'_>,
) -> Result<Checked, Attempt> {
    let url = route.urls.of(endpoint.path);
    let retry = route.retry;
    let mut attempt = 1;
    loop {
        let result = send_once(route, endpoint, &url, content_type, body.clone(), secrets)
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

async fn send_once(
    route: &Route<'_>,
    endpoint: &Endpoint,
    url: &Result<reqwest::Url, String>,
    content_type: &'static str,
    body: Vec<u8>,
    secrets: &Secrets<'_>,
) -> Result<Checked, Attempt> {
    let request = match url {
        Ok(url) => route.http.post(url.clone()),
        // reqwest reports the URL it cannot parse as it always has (a builder error).
        Err(text) => route.http.post(text),
    };
    let mut request = request
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body);
    if let Some(value) = &route.authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Err(classify(e)),
    };
    let status = response.status().as_u16();
    let reply_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limit = route.max_reply_bytes;
    let body = match read_body(response, limit).await {
        Ok(body) => body,
        Err(BodyError::Lost(e)) => {
            // The request was sent; the reply was lost.
            return Err(match classify(e) {
                Attempt::NotSent(e) => Attempt::Ambiguous(e),
                other => other,
            });
        }
        // A 200 left unread says nothing about whether the request was applied: a money
        // call is settled by a status lookup. A read would bring the same size again, so it
        // is not asked again. Any other status decides by itself, on what was read.
        Err(BodyError::TooLarge(start)) if status == 200 => {
            let e = Error::decode(
                format!(
                    "the reply is larger than the {limit} bytes allowed (raise max_reply_bytes, \
                     or ask for less)"
                ),
                &start,
                secrets,
            );
            return Err(if endpoint.effect == Effect::Read {
                Attempt::Final(e)
            } else {
                Attempt::Ambiguous(e)
            });
        }
        Err(BodyError::TooLarge(start)) => start,
    };
    tracing::debug!(status, bytes = body.len(), "reply");
    let reply = Reply {
        status,
        content_type: reply_type,
        body,
    };
    match status {
        200 => check_reply(endpoint, route.key, &reply, secrets).map_err(|e| match e {
            // A reply that cannot be read or trusted says nothing about whether a
            // state-changing request was applied: settle it, never assume either way.
            Error::Decode { .. } | Error::Signature(_) if endpoint.effect != Effect::Read => {
                Attempt::Ambiguous(e)
            }
            // A read whose reply cannot be read (an HTML page with a 200) is asked again: it
            // changes nothing, and the next reply may be whole.
            Error::Decode { .. } => Attempt::Ambiguous(e),
            // Nor does a refusal whose code says the gateway itself does not know (a
            // timeout towards the acquirer).
            Error::Gateway(ref g)
                if endpoint.effect != Effect::Read
                    && g.response_code()
                        .is_some_and(|c| c.kind() == CodeKind::OutcomeUnknown) =>
            {
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

/// Why a reply's body was not read whole.
enum BodyError {
    /// The connection failed on the way.
    Lost(reqwest::Error),
    /// It is larger than allowed, announced or received; what was read of it.
    TooLarge(Vec<u8>),
}

/// The body of `response`, chunk by chunk, refused once it announces or brings more than
/// `limit` bytes.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(Vec::new()));
    }
    // Reserved as announced, up to a bound: an announcement alone must not cost memory.
    let reserve = announced.map_or(0, |n| n.min(64 * 1024) as usize);
    let mut body = Vec::with_capacity(reserve);
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Lost)? {
        if chunk.len() > limit - body.len() {
            return Err(BodyError::TooLarge(body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
}
