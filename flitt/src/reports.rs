//! The Reports API (`portal.flitt.com`): typed reports, type-checked filters, and pages of rows
//! as a `Stream`.
//!
//! Each report of the spec (`spec/reports/*.toml`) is a module of [`crate::api::reports`] with
//! a marker type, a typed `Row`, and one function per field returning a [`Field`] whose filter
//! family decides which operators exist: `like` is a method of text fields only, so a `like` on
//! an amount does not compile.
//!
//! ```no_run
//! # async fn run() -> Result<(), flitt::Error> {
//! use flitt::api::reports::all_transactions as report;
//! use flitt::reports::ReportsClient;
//! use flitt::types::Date;
//!
//! let client = ReportsClient::builder("1019", "test", "1549902").build()?;
//! let filters = [
//!     report::order_timestart().from(Date::new(2026, 11, 1)?),
//!     report::order_status().eq("approved"),
//! ];
//! let page = client.page::<report::Report>(&filters, 1, 100).await?;
//! for row in page.rows {
//!     println!("{:?} {:?}", row.order_id, row.actual_amount);
//! }
//! # Ok(()) }
//! ```

use crate::error::{Error, TransportError};
use crate::request::{FilterFamily, ReportInfo};
use crate::signature::{SecretKey, reports_token_signature};
use crate::types::{Date, Decimal};
use crate::validate::{InvalidInput, Rule};
use serde_json::{Value, json};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The production Reports API host.
pub const DEFAULT_REPORTS_URL: &str = "https://portal.flitt.com";

/// A report of the spec. Implemented by the generated `Report` markers.
pub trait Report {
    /// Its row type.
    type Row: ReportRow;
    /// The report's spec entry.
    fn info() -> &'static ReportInfo;
}

/// A row decoded by the `fields` list the reply gives: order and presence may vary; missing
/// fields are `None`, unknown ones are kept.
pub trait ReportRow: Sized {
    /// Decodes one row.
    ///
    /// # Errors
    /// A description of the first value that cannot take its field's type.
    fn from_values(fields: &[String], values: Vec<Value>) -> Result<Self, String>;
}

/// Marker types of the filter families.
pub mod family {
    /// `=`, `>`, `<`, `!=`, `isnull`, `notnull`.
    #[derive(Debug, Clone, Copy)]
    pub enum Float {}
    /// As float, plus `any`.
    #[derive(Debug, Clone, Copy)]
    pub enum Int {}
    /// `dateis`, `from`, `to`, `isnull`, `notnull`, `notdate`.
    #[derive(Debug, Clone, Copy)]
    pub enum Date {}
    /// `=`, `!=`, `like`, `!like`, `start`, `empty`, `any`, `notnull`.
    #[derive(Debug, Clone, Copy)]
    pub enum Text {}
    /// `istrue`.
    #[derive(Debug, Clone, Copy)]
    pub enum Bool {}
    /// `=`, `!=`, `any`.
    #[derive(Debug, Clone, Copy)]
    pub enum Select {}
    /// `in_array`.
    #[derive(Debug, Clone, Copy)]
    pub enum Array {}
    /// `daterange`.
    #[derive(Debug, Clone, Copy)]
    pub enum Daterange {}
}

/// A field of report `R` in filter family `F`.
#[derive(Debug)]
pub struct Field<R, F> {
    name: &'static str,
    _marker: PhantomData<fn() -> (R, F)>,
}

impl<R, F> Clone for Field<R, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R, F> Copy for Field<R, F> {}

/// One filter of report `R`: `{"s": field, "m": operator, "v": value}`.
#[derive(Debug)]
pub struct Filter<R> {
    field: &'static str,
    op: &'static str,
    value: String,
    _marker: PhantomData<fn() -> R>,
}

impl<R> Clone for Filter<R> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            op: self.op,
            value: self.value.clone(),
            _marker: PhantomData,
        }
    }
}

impl<R> Filter<R> {
    /// The field.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The operator.
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The value as sent.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl<R, F> Field<R, F> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            _marker: PhantomData,
        }
    }

    /// The field's name.
    pub fn name(self) -> &'static str {
        self.name
    }

    fn filter(self, op: &'static str, value: impl ToString) -> Filter<R> {
        Filter {
            field: self.name,
            op,
            value: value.to_string(),
            _marker: PhantomData,
        }
    }
}

fn list<T: ToString>(values: impl IntoIterator<Item = T>) -> String {
    values
        .into_iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

macro_rules! ops {
    ($family:ty { $($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) => $op:literal, $value:expr;)* }) => {
        impl<R> Field<R, $family> {
            $(
                $(#[$doc])*
                pub fn $name(self $(, $arg: $ty)*) -> Filter<R> {
                    self.filter($op, $value)
                }
            )*
        }
        #[cfg(test)]
        impl $family {
            /// The operators the typed methods send, checked against [`operators`].
            const TYPED: &'static [&'static str] = &[$($op),*];
        }
    };
}

ops!(family::Float {
    /// `=`.
    eq(v: Decimal) => "=", v;
    /// `!=`.
    ne(v: Decimal) => "!=", v;
    /// `>`.
    gt(v: Decimal) => ">", v;
    /// `<`.
    lt(v: Decimal) => "<", v;
    /// `isnull`.
    is_null() => "isnull", "";
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Int {
    /// `=`.
    eq(v: i64) => "=", v;
    /// `!=`.
    ne(v: i64) => "!=", v;
    /// `>`.
    gt(v: i64) => ">", v;
    /// `<`.
    lt(v: i64) => "<", v;
    /// `any`: one of these values.
    any(v: &[i64]) => "any", list(v.iter());
    /// `isnull`.
    is_null() => "isnull", "";
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Date {
    /// `dateis`: that whole day.
    dateis(v: Date) => "dateis", v;
    /// `from`: on or after the day.
    from(v: Date) => "from", v;
    /// `from` a number of days ago (`-2`: the last two days).
    from_days_ago(days: u32) => "from", format!("-{days}");
    /// `to`: before the end of the day.
    to(v: Date) => "to", v;
    /// `notdate`: any day but this one.
    notdate(v: Date) => "notdate", v;
    /// `isnull`.
    is_null() => "isnull", "";
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Text {
    /// `=`.
    eq(v: &str) => "=", v;
    /// `!=`.
    ne(v: &str) => "!=", v;
    /// `like`: contains.
    like(v: &str) => "like", v;
    /// `!like`: does not contain.
    not_like(v: &str) => "!like", v;
    /// `start`: starts with.
    start(v: &str) => "start", v;
    /// `empty`.
    empty() => "empty", "";
    /// `any`: one of these values.
    any(v: &[&str]) => "any", list(v.iter());
    /// `notnull`.
    not_null() => "notnull", "";
});

ops!(family::Bool {
    /// `istrue`.
    is_true() => "istrue", "";
});

ops!(family::Select {
    /// `=`.
    eq(v: &str) => "=", v;
    /// `!=`.
    ne(v: &str) => "!=", v;
    /// `any`.
    any(v: &[&str]) => "any", list(v.iter());
});

ops!(family::Array {
    /// `in_array`.
    in_array(v: &str) => "in_array", v;
});

ops!(family::Daterange {
    /// `daterange`: between two days.
    daterange(from: Date, to: Date) => "daterange", format!("{from},{to}");
});

/// The rows a page may ask for (`on_page`), as the spec gives them (`api/company_report.toml`):
/// the one range the SDK, the CLI and the sandbox check.
pub fn page_size_range() -> std::ops::RangeInclusive<u64> {
    let on_page =
        <crate::api::CompanyReportRequest as crate::request::ApiRequest>::ENDPOINT.param("on_page");
    let min = on_page.and_then(|p| p.min).unwrap_or(1);
    let max = on_page.and_then(|p| p.max).unwrap_or(u64::MAX);
    min..=max
}

/// The operators a filter family allows, as the spec lists them (`report_filters.toml`,
/// generated as [`crate::api::FILTER_OPERATORS`]): the one table for filters built from text
/// (the CLI's `--filter`, its help, the sandbox's checks); the typed methods of [`Field`] send
/// exactly these (a unit test holds them together).
pub fn operators(family: FilterFamily) -> &'static [&'static str] {
    crate::api::FILTER_OPERATORS
        .iter()
        .find(|(f, _)| *f == family)
        .map_or(&[], |(_, ops)| *ops)
}

/// A filter given as text (`field`, `operator`, `value`), checked against the report's spec:
/// an unknown field or an operator its family does not allow is refused.
///
/// # Errors
/// [`InvalidInput`] naming the field and the rule.
pub fn check_text_filter(info: &ReportInfo, field: &str, op: &str) -> Result<(), InvalidInput> {
    let Some(f) = info.fields.iter().find(|f| f.name == field) else {
        return Err(InvalidInput::new(format!("filters.{field}"), Rule::Unknown));
    };
    let allowed = operators(f.family);
    if allowed.contains(&op) {
        Ok(())
    } else {
        Err(InvalidInput::new(
            format!("filters.{field}"),
            Rule::OneOf(allowed),
        ))
    }
}

/// Checks that the filters cover one of the report's mandatory sets.
///
/// # Errors
/// [`InvalidInput`] for `filters`, listing the choices.
pub fn check_mandatory<'a>(
    info: &ReportInfo,
    fields: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<(), InvalidInput> {
    if info.mandatory_filters.is_empty() {
        return Ok(());
    }
    let covered = info.mandatory_filters.iter().any(|set| {
        set.iter()
            .all(|need| fields.clone().into_iter().any(|f| f == *need))
    });
    if covered {
        return Ok(());
    }
    let choices: Vec<String> = info
        .mandatory_filters
        .iter()
        .map(|s| s.join(" and "))
        .collect();
    Err(InvalidInput::new(
        "filters",
        Rule::Other(
            format!(
                "report {} needs a filter on {}",
                info.id,
                choices.join(" or ")
            )
            .into(),
        ),
    ))
}

/// One page of a report.
#[derive(Debug, Clone)]
pub struct Page<Row> {
    /// The rows.
    pub rows: Vec<Row>,
    /// Rows in the whole report.
    pub rows_count: u64,
    /// This page, from 1.
    pub page: u64,
    /// The field names, in the order the reply gave them.
    pub fields: Vec<String>,
}

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
    url: String,
    application_id: String,
    key: SecretKey,
    merchant_id: String,
    token: Mutex<Option<Token>>,
}

impl std::fmt::Debug for ReportsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportsClient")
            .field("url", &self.inner.url)
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
                url: self.url.trim_end_matches('/').to_owned(),
                application_id: self.application_id,
                key: self.key,
                merchant_id: self.merchant_id,
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

    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Result<Value, Error> {
        let mut request = self
            .inner
            .http
            .post(format!("{}{path}", self.inner.url))
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string());
        if let Some(t) = token {
            request = request.header("authorization", format!("Token {t}"));
        }
        let transport = |e: reqwest::Error| {
            Error::Transport(TransportError {
                timeout: e.is_timeout(),
                connect: e.is_connect(),
                source: Box::new(e.without_url()),
            })
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(transport)?;
        if status != 200 {
            return Err(Error::HttpStatus {
                status,
                excerpt: crate::redact::excerpt(&bytes),
            });
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::decode(
                format!("malformed JSON: {e}"),
                &bytes,
                &crate::redact::Secrets::default(),
            )
        })?;
        if let Some(e) = value.as_object().and_then(|map| {
            crate::client::gateway_error(map, &crate::redact::Secrets::default(), true)
        }) {
            return Err(Error::Gateway(Box::new(e)));
        }
        Ok(value)
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
        let reply = self
            .post(
                "/authorizer/token/application/get",
                json!({ "application_id": self.inner.application_id, "date": date, "signature": signature }),
                None,
            )
            .await?;
        let value = reply
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Decode {
                reason: "the token reply has no token".into(),
                excerpt: String::new(),
            })?
            .to_owned();
        let expires = reply
            .get("expires_in")
            .and_then(Value::as_u64)
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

    /// One page of report `R` (`page` from 1, `on_page` in [`page_size_range`]). Mandatory filters
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
            .map(|f| (f.field, f.op, f.value.as_str()))
            .collect();
        let value = self.page_raw(R::info(), &raw, page, on_page).await?;
        decode_page(&value, page)
    }

    /// One page of a report given by id, with filters as text, checked against the spec.
    ///
    /// # Errors
    /// As [`ReportsClient::page`].
    pub async fn page_raw(
        &self,
        info: &ReportInfo,
        filters: &[(&str, &str, &str)],
        page: u64,
        on_page: u64,
    ) -> Result<Value, Error> {
        for (field, op, _) in filters {
            check_text_filter(info, field, op)?;
        }
        check_mandatory(info, filters.iter().map(|(f, _, _)| *f))?;
        let sizes = page_size_range();
        crate::validate::range(on_page, Some(*sizes.start()), Some(*sizes.end()))
            .map_err(|rule| InvalidInput::new("on_page", rule))?;
        crate::validate::range(page, Some(1), None)
            .map_err(|rule| InvalidInput::new("page", rule))?;
        let token = self.token().await?;
        let body = json!({
            "merchant_id": self.inner.merchant_id.parse::<u64>().map_or_else(|_| json!(self.inner.merchant_id), |m| json!(m)),
            "report_id": info.id,
            "on_page": on_page,
            "page": page,
            "filters": filters.iter().map(|(s, m, v)| json!({"s": s, "m": m, "v": v})).collect::<Vec<_>>(),
        });
        match self
            .post("/api/extend/company/report/", body.clone(), Some(&token))
            .await
        {
            Err(Error::Gateway(g)) if g.message.contains("token") => {
                // An expired or revoked token: fetch a new one once.
                self.forget_token();
                let token = self.token().await?;
                self.post("/api/extend/company/report/", body, Some(&token))
                    .await
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

/// The legacy date-range order list (`/api/reports/`, not in the current docs): every order
/// of the merchant between `from` and `to`, with `from ≤ to` checked before sending.
///
/// # Errors
/// [`Error::InvalidInput`] when `from` is after `to`; otherwise as [`crate::Client::send`].
pub async fn legacy_orders(
    client: &crate::Client,
    from: crate::types::DateTime,
    to: crate::types::DateTime,
) -> Result<Vec<crate::api::OrderResponse>, Error> {
    if from > to {
        return Err(InvalidInput::new(
            "date_from",
            Rule::Other("must not be after date_to".into()),
        )
        .into());
    }
    let request = crate::api::LegacyReportsRequest::builder()
        .date_from(from)
        .date_to(to)
        .build();
    client.send(&request).await
}

fn decode_page<Row: ReportRow>(value: &Value, page: u64) -> Result<Page<Row>, Error> {
    let bad = |reason: String| Error::Decode {
        reason,
        excerpt: String::new(),
    };
    let fields: Vec<String> = value
        .get("fields")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("the report has no `fields`".into()))?
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_owned())
        .collect();
    let data = match value.get("data") {
        Some(Value::Array(rows)) => rows.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(bad("`data` is not a list".into())),
    };
    let mut rows = Vec::with_capacity(data.len());
    for (i, row) in data.into_iter().enumerate() {
        let Value::Array(values) = row else {
            return Err(bad(format!("row {i} is not a list")));
        };
        rows.push(Row::from_values(&fields, values).map_err(|e| bad(format!("row {i}: {e}")))?);
    }
    Ok(Page {
        rows,
        rows_count: value.get("rows_count").and_then(Value::as_u64).unwrap_or(0),
        page,
        fields,
    })
}

type PageFuture<Row> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Page<Row>, Error>> + Send>>;

/// Rows of a report across pages. A `futures` `Stream`; also usable with
/// [`RowStream::next_row`] without any stream library.
pub struct RowStream<Row> {
    fetch: Box<dyn Fn(u64) -> PageFuture<Row> + Send>,
    pending: Option<PageFuture<Row>>,
    buffered: std::collections::VecDeque<Row>,
    next_page: u64,
    seen: u64,
    done: bool,
}

impl<Row> std::fmt::Debug for RowStream<Row> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("next_page", &self.next_page)
            .field("seen", &self.seen)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<Row> RowStream<Row> {
    fn new(fetch: Box<dyn Fn(u64) -> PageFuture<Row> + Send>) -> Self {
        Self {
            fetch,
            pending: None,
            buffered: std::collections::VecDeque::new(),
            next_page: 1,
            seen: 0,
            done: false,
        }
    }

    /// The next row, fetching the next page when needed; `None` at the end.
    ///
    /// # Errors
    /// The error of a page request; the stream ends after it.
    pub async fn next_row(&mut self) -> Option<Result<Row, Error>> {
        std::future::poll_fn(|cx| self.poll_row(cx)).await
    }

    fn poll_row(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Row, Error>>> {
        use std::task::Poll;
        loop {
            if let Some(row) = self.buffered.pop_front() {
                return Poll::Ready(Some(Ok(row)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            let fut = self
                .pending
                .get_or_insert_with(|| (self.fetch)(self.next_page));
            match fut.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    self.pending = None;
                    match result {
                        Err(e) => {
                            self.done = true;
                            return Poll::Ready(Some(Err(e)));
                        }
                        Ok(page) => {
                            self.next_page += 1;
                            self.seen += page.rows.len() as u64;
                            if page.rows.is_empty() || self.seen >= page.rows_count {
                                self.done = true;
                            }
                            self.buffered.extend(page.rows);
                        }
                    }
                }
            }
        }
    }
}

impl<Row> futures_core::Stream for RowStream<Row> {
    type Item = Result<Row, Error>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.get_mut().poll_row(cx)
    }
}

impl<Row> Unpin for RowStream<Row> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_methods_send_exactly_the_operators_of_the_table() {
        use std::collections::BTreeSet;
        let set = |ops: &[&'static str]| ops.iter().copied().collect::<BTreeSet<_>>();
        for (family, typed) in [
            (FilterFamily::Float, family::Float::TYPED),
            (FilterFamily::Int, family::Int::TYPED),
            (FilterFamily::Date, family::Date::TYPED),
            (FilterFamily::Text, family::Text::TYPED),
            (FilterFamily::Bool, family::Bool::TYPED),
            (FilterFamily::Select, family::Select::TYPED),
            (FilterFamily::Array, family::Array::TYPED),
            (FilterFamily::Daterange, family::Daterange::TYPED),
        ] {
            assert_eq!(set(typed), set(operators(family)), "{family:?}");
        }
        assert_eq!(page_size_range(), 10..=500);
    }
}
