//! Pages: the page-size range, a page decoded into typed rows, and rows across pages as a
//! stream.

use super::{Page, ReportRow};
use crate::api::CompanyReportResponse;
use crate::error::Error;
use serde_json::Value;

/// The rows a page may ask for (`on_page`), as the spec gives them (`api/company_report.toml`):
/// the one range the SDK, the CLI and the sandbox check.
pub fn page_size_range() -> std::ops::RangeInclusive<u64> {
    let on_page =
        <crate::api::CompanyReportRequest as crate::request::ApiRequest>::ENDPOINT.param("on_page");
    let min = on_page.and_then(|p| p.min).unwrap_or(1);
    let max = on_page.and_then(|p| p.max).unwrap_or(u64::MAX);
    min..=max
}

/// The rows of a report reply, each decoded by the reply's own `fields` list.
pub(super) fn decode_page<Row: ReportRow>(
    reply: CompanyReportResponse,
    page: u64,
) -> Result<Page<Row>, Error> {
    let bad = |reason: String| Error::Decode {
        reason,
        excerpt: String::new(),
    };
    let fields: Vec<String> = match reply.fields {
        Some(Value::Array(fields)) => fields
            .iter()
            .map(|f| f.as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => return Err(bad("the report has no `fields` list".into())),
    };
    let data = match reply.data {
        Some(Value::Array(rows)) => rows,
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
        rows_count: reply
            .rows_count
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        page,
        fields,
    })
}

pub(super) type PageFuture<Row> =
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
    pub(super) fn new(fetch: Box<dyn Fn(u64) -> PageFuture<Row> + Send>) -> Self {
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
