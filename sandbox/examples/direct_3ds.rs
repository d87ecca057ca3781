//! A direct card payment (PCI DSS merchants) that asks for 3-D Secure, through the type-state
//! flow: `pay_direct` → `StepOne::ThreeDs(ThreeDsPending)` → the customer at the ACS →
//! `ThreeDsPending::complete` → `Completed`.
//!
//! `cargo run -p flitt-sandbox --example direct_3ds`
//!
//! 1. `3dsecure_step1` with a 3-D Secure test card answers with the ACS URL, `PaReq` and `MD`
//!    instead of a result: a `ThreeDsPending`, which cannot be captured, refunded or treated
//!    as paid.
//! 2. The customer's browser posts `PaReq`, `MD` and the shop's `TermUrl` to the ACS (the page
//!    from `ThreeDsPending::acs_form` does it), authenticates there, and the ACS posts `PaRes`
//!    and `MD` back to the `TermUrl`.
//! 3. The shop's `TermUrl` handler completes the payment with what was posted
//!    (`3dsecure_step2`) and gets the final outcome.
//!
//! The same again with the test card that passes authentication but is declined. Runs against
//! the embedded sandbox; exits non-zero if an outcome is not the one shown.

use flitt::api::ThreeDsStep1Request;
use flitt::flows::{self, Completed, StepOne, ThreeDsPending};
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Where the ACS sends the customer back. Nothing listens there in this example: the
/// customer's browser is played by `authenticate`, which reads the ACS page's form instead of
/// submitting it.
const TERM_URL: &str = "https://shop.example/flitt/3ds";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::start().await?;
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .api_url(sandbox.url())
        .build()?;

    println!("1. a 3-D Secure card that is approved");
    match pay(&client, "4444555566661111", 8_000).await? {
        Completed::Approved(paid) => {
            println!("   paid {} on order {}", paid.amount(), paid.order_id());
            let order = sandbox
                .order(paid.order_id().as_str())
                .ok_or("the sandbox has no such order")?;
            if order.status != flitt_sandbox::ledger::Status::Approved || order.amount != 8_000 {
                return Err(format!("the ledger disagrees: {:?}", order.status).into());
            }
        }
        other => return Err(format!("expected approved, got {other:?}").into()),
    }

    println!("\n2. a 3-D Secure card that is declined after authentication");
    match pay(&client, "4444111166665555", 8_000).await? {
        Completed::Declined(declined) => println!("   {declined}"),
        other => return Err(format!("expected declined, got {other:?}").into()),
    }
    Ok(())
}

/// Pays with `card`, through the ACS.
async fn pay(client: &flitt::Client, card: &str, minor: u64) -> Result<Completed, Error> {
    let request = ThreeDsStep1Request::builder()
        .order_desc("Concert tickets")
        .amount(Amount::new(minor)?)
        .currency(Currency::GEL)
        .card_number(card)
        .expiry_date("1230")
        .cvv2("123")
        .build();
    let pending = match flows::pay_direct(client, &request).await? {
        StepOne::ThreeDs(pending) => pending,
        other => return Err(format!("the card should ask for 3-D Secure, got {other:?}").into()),
    };
    println!(
        "   order {} waits for 3-D Secure at {}",
        pending.order_id(),
        pending.acs_url()
    );
    let posted_back = authenticate(&pending).await?;
    println!("   the ACS posts PaRes and MD back to {TERM_URL}");
    // What the TermUrl handler does with the posted form.
    let fields = posted_back.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    pending
        .complete(client, fields)
        .await
        .map_err(|failed| failed.error.into())
}

/// The customer's browser: posts to the ACS what `acs_form` would auto-submit, and returns the
/// fields of the ACS page's form, which the browser posts on to the `TermUrl`.
async fn authenticate(pending: &ThreeDsPending) -> Result<Vec<(String, String)>, Error> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("PaReq", pending.pareq()),
            ("MD", pending.md()),
            ("TermUrl", TERM_URL),
        ])
        .finish();
    let page = reqwest::Client::new()
        .post(pending.acs_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    // The first form authenticates (a second one, "Fail authentication", is not used here).
    let form = page
        .split("<form")
        .nth(1)
        .ok_or("the ACS page has no form")?;
    let form = &form[..form.find("</form>").ok_or("the ACS form is not closed")?];
    if attribute(form, "action").as_deref() != Some(TERM_URL) {
        return Err("the ACS form does not post to our TermUrl".into());
    }
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1) {
        let name = attribute(input, "name").ok_or("an ACS input has no name")?;
        let value = attribute(input, "value").unwrap_or_default();
        fields.push((name, value));
    }
    Ok(fields)
}

/// An HTML attribute's value (`name="…"`), unescaped.
fn attribute(html: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
