//! The Reports API client: the access token (cached), and report pages, sent as the spec's
//! generated requests through the payment client's sending path.

use super::filters::{check_mandatory, check_text_filter};
use super::paging::{RowStream, decode_page};
use super::{DEFAULT_REPORTS_URL, Filter, Page, Report};
use crate::api::{CompanyReportRequest, CompanyReportResponse, ReportsTokenRequest};
use crate::client::{Attempt, RetryPolicy, Route, Urls, execute};
use crate::error::Error;
use crate::redact::Secrets;
use crate::request::{ApiRequest, Host, ReportInfo};
use crate::signature::{SecretKey, reports_token_signature};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Token {
    value: String,
    refresh_at: Instant,
}

/// A Reports API client. Cheap to clone; the token is cached and refreshed a minute before
/// it expires.
#[derive(Clone)]
pub struct ReportsClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    urls: Urls,
    application_id: String,
    key: SecretKey,
    merchant_id: String,
    retry: RetryPolicy,
    max_reply_bytes: usize,
    token: Mutex<Option<Token>>,
}

impl std::fmt::Debug for ReportsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportsClient")
            .field("url", &self.inner.urls.base())
            .field("application_id", &self.inner.application_id)
            .field("merchant_id", &self.inner.merchant_id)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ReportsClient`].
#[derive(Debug)]
#[must_use]
pub struct ReportsClientBuilder {
    application_id: String,
    key: SecretKey,
    merchant_id: String,
    url: String,
    timeout: Duration,
    retry: RetryPolicy,
    max_reply_bytes: usize,
}

impl ReportsClientBuilder {
    /// The host (default [`DEFAULT_REPORTS_URL`]).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// How long a request may take (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How a request whose reply was lost or failed with a 5xx is retried (default:
    /// [`RetryPolicy::default`]); Reports API requests only read, so retrying is safe.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The most bytes a reply's body may have (default
    /// [`DEFAULT_MAX_REPLY_BYTES`](crate::client::DEFAULT_MAX_REPLY_BYTES)); a larger one is
    /// not read further, and is an [`Error::Decode`] (ask for fewer rows a page).
    pub fn max_reply_bytes(mut self, bytes: usize) -> Self {
        self.max_reply_bytes = bytes;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`].
    pub fn build(self) -> Result<ReportsClient, Error> {
        let http = crate::client::http_builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ReportsClient {
            inner: Arc::new(Inner {
                http,
                urls: Urls::new(self.url.trim_end_matches('/').to_owned()),
                application_id: self.application_id,
                key: self.key,
                merchant_id: self.merchant_id,
                retry: self.retry,
                max_reply_bytes: self.max_reply_bytes,
                token: Mutex::new(None),
            }),
        })
    }
}

impl ReportsClient {
    /// A builder for the application `application_id` with its `key`, reading reports of
    /// `merchant_id`.
    pub fn builder(
        application_id: impl Into<String>,
        key: impl Into<String>,
        merchant_id: impl Into<String>,
    ) -> ReportsClientBuilder {
        ReportsClientBuilder {
            application_id: application_id.into(),
            key: SecretKey::new(key),
            merchant_id: merchant_id.into(),
            url: DEFAULT_REPORTS_URL.to_owned(),
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            max_reply_bytes: crate::client::DEFAULT_MAX_REPLY_BYTES,
        }
    }

    /// A client from `FLITT_REPORTS_URL` (optional), `FLITT_REPORTS_APP_ID`,
    /// `FLITT_REPORTS_KEY` and `FLITT_MERCHANT_ID`.
    ///
    /// # Errors
    /// [`Error::Config`] naming a missing variable.
    pub fn from_env() -> Result<Self, Error> {
        let var = |n: &str| {
            std::env::var(n)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::Config(format!("set {n}")))
        };
        let mut b = Self::builder(
            var("FLITT_REPORTS_APP_ID")?,
            var("FLITT_REPORTS_KEY")?,
            var("FLITT_MERCHANT_ID")?,
        );
        if let Ok(url) = var("FLITT_REPORTS_URL") {
            b = b.url(url);
        }
        b.build()
    }

    /// Sends a generated Reports API request through the client's sending path
    /// ([`crate::client`]'s transport and reply reader): checked by the spec's rules first,
    /// then posted as JSON with the fields the client supplies (`extra`) and the access
    /// `token`, and its reply decoded into the generated response.
    async fn send<R: ApiRequest>(
        &self,
        request: &R,
        extra: Map<String, Value>,
        token: Option<&str>,
    ) -> Result<R::Response, Error> {
        request.validate()?;
        let endpoint = R::ENDPOINT;
        debug_assert_eq!(endpoint.host, Host::Portal, "{}", endpoint.name);
        let mut body = match serde_json::to_value(request) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(Error::Config(format!(
                    "`{}` must serialize to an object",
                    endpoint.name
                )));
            }
        };
        body.extend(extra);
        let secrets = Secrets::with_keys(self.inner.key.expose_for_redaction(), None);
        let route = Route {
            http: &self.inner.http,
            urls: &self.inner.urls,
            retry: self.inner.retry,
            key: &self.inner.key,
            authorization: token.map(|t| format!("Token {t}")),
            max_reply_bytes: self.inner.max_reply_bytes,
        };
        let content_type = "application/json; charset=utf-8";
        let bytes = Value::Object(body).to_string().into_bytes();
        let value = execute(&route, &endpoint, content_type, bytes, &secrets)
            .await
            .map_err(Attempt::into_error)?;
        value.decode::<R::Response>(&secrets)
    }

    /// The access token, from the cache while it is fresh.
    async fn token(&self) -> Result<String, Error> {
        if let Some(t) = self
            .inner
            .token
            .lock()
            .ok()
            .as_ref()
            .and_then(|t| t.as_ref())
        {
            if Instant::now() < t.refresh_at {
                return Ok(t.value.clone());
            }
        }
        // A fresh salt for every token request.
        let date = crate::types::OrderId::generate().to_string();
        let signature = reports_token_signature(&self.inner.key, &self.inner.application_id, &date);
        let request = ReportsTokenRequest::builder()
            .application_id(self.inner.application_id.clone())
            .date(date)
            .build();
        let extra = Map::from_iter([("signature".to_owned(), Value::String(signature))]);
        let reply = self.send(&request, extra, None).await?;
        let value = reply
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Decode {
                reason: "the token reply has no token".into(),
                excerpt: String::new(),
            })?
            .expose()
            .clone();
        let expires = reply
            .expires_in
            .and_then(|e| u64::try_from(e).ok())
            .unwrap_or(3600);
        let refresh_at = Instant::now() + Duration::from_secs(expires.saturating_sub(60));
        if let Ok(mut slot) = self.inner.token.lock() {
            *slot = Some(Token {
                value: value.clone(),
                refresh_at,
            });
        }
        Ok(value)
    }

    /// Forgets the cached token (the next request fetches a new one).
    pub fn forget_token(&self) {
        if let Ok(mut slot) = self.inner.token.lock() {
            *slot = None;
        }
    }

    /// One page of report `R` (`page` from 1, `on_page` in [`page_size_range`](super::page_size_range)). Mandatory filters
    /// and the page size are checked before anything is sent.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before sending; otherwise the gateway's or transport's error.
    pub async fn page<R: Report>(
        &self,
        filters: &[Filter<R>],
        page: u64,
        on_page: u64,
    ) -> Result<Page<R::Row>, Error> {
        let raw: Vec<(&str, &str, &str)> = filters
            .iter()
            .map(|f| (f.field(), f.op(), f.value()))
            .collect();
        let reply = self.page_raw(R::info(), &raw, page, on_page).await?;
        decode_page(reply, page)
    }

    /// One page of a report given by id, with filters as text, checked against the spec
    /// (fields, operators, mandatory filters, page and page size) before anything is sent.
    ///
    /// # Errors
    /// As [`ReportsClient::page`].
    pub async fn page_raw(
        &self,
        info: &ReportInfo,
        filters: &[(&str, &str, &str)],
        page: u64,
        on_page: u64,
    ) -> Result<CompanyReportResponse, Error> {
        for (field, op, _) in filters {
            check_text_filter(info, field, op)?;
        }
        check_mandatory(info, filters.iter().map(|(f, _, _)| *f))?;
        let request = CompanyReportRequest::builder()
            .report_id(u64::from(info.id))
            .on_page(on_page)
            .page(page)
            .build();
        let merchant_id = &self.inner.merchant_id;
        let extra = Map::from_iter([
            (
                "merchant_id".to_owned(),
                merchant_id
                    .parse::<u64>()
                    .map_or_else(|_| Value::String(merchant_id.clone()), Value::from),
            ),
            (
                "filters".to_owned(),
                filters
                    .iter()
                    .map(|(s, m, v)| json!({"s": s, "m": m, "v": v}))
                    .collect(),
            ),
        ]);
        let token = self.token().await?;
        match self.send(&request, extra.clone(), Some(&token)).await {
            Err(Error::Gateway(g)) if g.message.contains("token") => {
                // An expired or revoked token: fetch a new one once.
                self.forget_token();
                let token = self.token().await?;
                self.send(&request, extra, Some(&token)).await
            }
            other => other,
        }
    }

    /// Every row of report `R` across pages, `page_size` rows per request, as a stream.
    pub fn rows<R: Report + 'static>(
        &self,
        filters: Vec<Filter<R>>,
        page_size: u64,
    ) -> RowStream<R::Row>
    where
        R::Row: Send + 'static,
    {
        let client = self.clone();
        let filters = Arc::new(filters);
        RowStream::new(Box::new(move |page| {
            let (client, filters) = (client.clone(), filters.clone());
            Box::pin(async move { client.page::<R>(&filters, page, page_size).await })
        }))
    }
}
