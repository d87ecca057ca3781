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

mod client;
mod filters;
mod paging;

pub use client::{ReportsClient, ReportsClientBuilder};
pub use filters::{Field, Filter, check_mandatory, check_text_filter, family, operators};
pub use paging::{RowStream, page_size_range};

use crate::error::Error;
use crate::request::ReportInfo;
use crate::validate::{InvalidInput, Rule};
use serde_json::Value;

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
