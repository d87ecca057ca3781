//! A Reports API report as CSV: every transaction of the day, fetched page by page through
//! `ReportsClient`, written to stdout.
//!
//! `cargo run -p flitt-sandbox --example report_csv > transactions.csv`
//!
//! 1. Some orders are made first: paid ones and open ones, with descriptions that need
//!    quoting in CSV (commas, double quotes).
//! 2. `ReportsClient` gets a token for the reports application (signed with its key, cached
//!    and refreshed by the client) and streams the rows of report 745, "all transactions",
//!    filtered to today, ten rows a page. The filter is type-checked (`order_timestart` is a
//!    date field with `dateis`), and the report's mandatory filters are checked before sending.
//! 3. Each typed row becomes a CSV record, quoted by RFC 4180's rules: a field holding a comma,
//!    a double quote or a line break is wrapped in double quotes, and its double quotes are
//!    doubled.
//!
//! Progress goes to stderr, the CSV alone to stdout. Runs against the embedded sandbox;
//! exits non-zero if the report does not list exactly the orders made.

use flitt::api::reports::all_transactions as all;
use flitt::api::{CheckoutUrlRequest, ThreeDsStep1Request};
use flitt::reports::ReportsClient;
use flitt::types::{Amount, Currency, Date};
use flitt_sandbox::Sandbox;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Paid orders: descriptions and amounts.
const PAID: [(&str, u64); 8] = [
    ("Coffee", 450),
    ("Coffee, large", 550),
    ("Chair, \"Eames\" style", 129_900),
    ("Desk lamp", 8_900),
    ("Notebook \"A5\"", 1_200),
    ("Pens, pack of 10", 990),
    ("Monitor stand", 15_000),
    ("Cable, USB-C, 2 m", 1_990),
];
/// Orders created and not paid yet.
const OPEN: [&str; 4] = ["Gift card", "Gift card, 50", "Bookshelf", "Rug \"Kilim\""];

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::start().await?;
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()?;

    eprintln!("1. making {} orders", PAID.len() + OPEN.len());
    let mut made = BTreeSet::new();
    for (desc, minor) in PAID {
        let request = ThreeDsStep1Request::builder()
            .order_desc(desc)
            .amount(Amount::new(minor)?)
            .currency(Currency::GEL)
            .card_number("4444555511116666")
            .expiry_date("1230")
            .cvv2("123")
            .build();
        client.send(&request).await?;
        made.insert(request.order_id.to_string());
    }
    for desc in OPEN {
        let request = CheckoutUrlRequest::builder()
            .order_desc(desc)
            .amount(Amount::new(5_000)?)
            .currency(Currency::USD)
            .build();
        client.send(&request).await?;
        made.insert(request.order_id.to_string());
    }

    eprintln!("2. report 745 (all transactions) for today, 10 rows a page");
    let reports = ReportsClient::builder(
        flitt_sandbox::REPORTS_APP_ID,
        flitt_sandbox::REPORTS_KEY,
        flitt_sandbox::MERCHANT_ID,
    )
    .url(sandbox.url())
    .build()?;
    // Today on the sandbox's clock (UTC; it started at the wall-clock time), as it dated
    // the orders: `DD.MM.YYYY hh:mm:ss`.
    let now = sandbox.clock().order_time(sandbox.now());
    let part = |range: std::ops::Range<usize>| now.get(range).and_then(|p| p.parse::<u16>().ok());
    let byte = |range| part(range).and_then(|n| u8::try_from(n).ok());
    let today = match (part(6..10), byte(3..5), byte(0..2)) {
        (Some(year), Some(month), Some(day)) => Date::new(year, month, day)?,
        _ => return Err(format!("the sandbox's time {now:?} is not DD.MM.YYYY").into()),
    };
    let mut rows = reports.rows::<all::Report>(vec![all::order_timestart().dateis(today)], 10);

    eprintln!("3. the CSV, on stdout");
    let mut csv = String::new();
    record(
        &mut csv,
        [
            "order_id",
            "order_status",
            "amount",
            "currency",
            "masked_card",
            "order_desc",
            "order_timestart",
        ]
        .map(Cow::Borrowed),
    );
    let mut listed = BTreeSet::new();
    while let Some(row) = rows.next_row().await {
        let row = row?;
        let text = |v: &Option<String>| Cow::Owned(v.clone().unwrap_or_default());
        let shown = |v: Option<String>| Cow::Owned(v.unwrap_or_default());
        record(
            &mut csv,
            [
                text(&row.order_id),
                text(&row.order_status),
                shown(row.amount.as_ref().map(ToString::to_string)),
                text(&row.currency),
                text(&row.masked_card),
                text(&row.order_desc),
                shown(row.order_timestart.map(|t| t.to_string())),
            ],
        );
        listed.insert(row.order_id.unwrap_or_default());
    }
    std::io::stdout().write_all(csv.as_bytes())?;

    if listed != made {
        return Err(format!("the report lists {listed:?}, not the orders made").into());
    }
    for escaped in [
        "\"Coffee, large\"",
        "\"Chair, \"\"Eames\"\" style\"",
        "\"Notebook \"\"A5\"\"\"",
    ] {
        if !csv.contains(&format!(",{escaped},")) {
            return Err(format!("{escaped} is not in the CSV as a quoted field").into());
        }
    }
    eprintln!("{} rows, one per order made", listed.len());
    Ok(())
}

/// Appends one CSV record.
fn record<'a>(csv: &mut String, fields: impl IntoIterator<Item = Cow<'a, str>>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            csv.push(',');
        }
        csv.push_str(&escape(&field));
    }
    csv.push('\n');
}

/// A field as RFC 4180 writes it: quoted when it holds a comma, a double quote or a line
/// break, with its double quotes doubled.
fn escape(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}
