//! The quickstart: real payment flows over HTTP against the offline sandbox, no account needed.
//!
//! `cargo run --example quickstart`
//!
//! 1. a hosted checkout: the order, its payment page, the customer paying, and the verified
//!    server callback our small handler receives;
//! 2. a direct card payment with a hold: preauth → capture → partial refund;
//! 3. a 3-D Secure payment through the sandbox's ACS page;
//! 4. a recurring charge with the saved card token.

use flitt::api::{CheckoutUrlRequest, ThreeDsStep1Request};
use flitt::callback::Callback;
use flitt::flows::{self, AnyPayment, Completed, Refund, StepOne};
use flitt::signature::SecretKey;
use flitt::types::{Amount, Currency};
use flitt_sandbox::Sandbox;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::start().await?;
    println!("sandbox gateway at {}", sandbox.url());
    let client = flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .credit_key(flitt_sandbox::CREDIT_KEY)
        .api_url(sandbox.url())
        .build()?;
    let (callback_url, received) = callback_handler().await?;

    // 1. Hosted checkout.
    println!("\n1. hosted checkout");
    let order = flows::create_checkout(
        &client,
        &CheckoutUrlRequest::builder()
            .order_desc("Two flat whites")
            .amount(Amount::new(1020)?)
            .currency(Currency::GEL)
            .server_callback_url(callback_url.clone())
            .build(),
    )
    .await?;
    println!(
        "   order {} created; pay at {}",
        order.order_id(),
        order.checkout_url()
    );
    let pending = order.lookup(&client).await?;
    println!("   before paying, the order is {}", pending.state_name());
    // The customer fills the card form on the hosted page.
    browser_post(
        &format!("{}/pay", order.checkout_url()),
        &[
            ("card_number", "4444555511116666"),
            ("expiry_date", "1230"),
            ("cvv2", "123"),
        ],
    )
    .await?;
    let callback = wait_for(&received).await?;
    let paid = AnyPayment::from_callback(&callback)?;
    println!(
        "   verified callback: order {} is {}",
        paid.order_id(),
        paid.state_name()
    );

    // 2. Direct payment: hold, capture part, refund part.
    println!("\n2. direct payment with a hold");
    let request = ThreeDsStep1Request::builder()
        .order_desc("Hotel deposit")
        .amount(Amount::new(50_000)?)
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .cvv2("123")
        .preauth(true)
        .build();
    let StepOne::Preauthorized(hold) = flows::pay_direct(&client, &request).await? else {
        return Err("the test card should be held".into());
    };
    println!("   held {} on order {}", hold.amount(), hold.order_id());
    let captured = hold.capture(&client, Amount::new(42_000)?).await?;
    println!("   captured 42000; the rest of the hold is released");
    match captured
        .refund(&client, Amount::new(2_000)?, "refund-minibar")
        .await?
    {
        Refund::Partial(p) => println!("   refunded 2000; {} still refundable", p.refundable()),
        Refund::Full(_) => return Err("a partial refund should leave a balance".into()),
    }

    // 3. 3-D Secure.
    println!("\n3. 3-D Secure payment");
    let request = ThreeDsStep1Request::builder()
        .order_desc("Concert tickets")
        .amount(Amount::new(8_000)?)
        .currency(Currency::GEL)
        .card_number("4444555566661111")
        .expiry_date("1230")
        .cvv2("123")
        .build();
    let StepOne::ThreeDs(pending) = flows::pay_direct(&client, &request).await? else {
        return Err("the test card should ask for 3-D Secure".into());
    };
    println!(
        "   the card needs 3-D Secure: the customer goes to {}",
        pending.acs_url()
    );
    // The customer's browser posts PaReq, MD and TermUrl to the ACS, authenticates there, and
    // the ACS posts PaRes and MD back to our TermUrl.
    let acs_page = browser_post(
        pending.acs_url(),
        &[
            ("PaReq", pending.pareq()),
            ("MD", pending.md()),
            ("TermUrl", "https://shop.example/3ds"),
        ],
    )
    .await?;
    let posted_back = [
        ("PaRes", hidden(&acs_page, "PaRes")?),
        ("MD", hidden(&acs_page, "MD")?),
    ];
    match pending
        .complete(&client, posted_back.iter().map(|(k, v)| (*k, v.as_str())))
        .await?
    {
        Completed::Approved(p) => println!("   authenticated and paid: {}", p.amount()),
        other => return Err(format!("unexpected outcome {other:?}").into()),
    }

    // 4. Save the card, then charge it again without the customer.
    println!("\n4. recurring charge with a saved card");
    let request = ThreeDsStep1Request::builder()
        .order_desc("Plan, first month")
        .amount(Amount::new(1_500)?)
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .cvv2("123")
        .required_rectoken(true)
        .build();
    let StepOne::Approved(first) = flows::pay_direct(&client, &request).await? else {
        return Err("the first payment should be approved".into());
    };
    let token = first.rectoken().ok_or("the payment asked for a token")?;
    println!("   card saved as {token:?}");
    match flows::charge(
        &client,
        token,
        "Plan, second month",
        Amount::new(1_500)?,
        Currency::GEL,
    )
    .await?
    {
        Completed::Approved(p) => println!("   charged {} on order {}", p.amount(), p.order_id()),
        other => return Err(format!("unexpected outcome {other:?}").into()),
    }

    println!(
        "\nledger: {} orders, {} callbacks sent",
        sandbox.orders().len(),
        sandbox.callbacks().len()
    );
    println!("done");
    Ok(())
}

/// What the customer's browser does with a form: POST it, and read the page that comes back.
async fn browser_post(url: &str, fields: &[(&str, &str)]) -> Result<String, Error> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let page = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?
        .bytes()
        .await?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// The value of a hidden input in an HTML page.
fn hidden(page: &str, name: &str) -> Result<String, Error> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).ok_or("no such input")? + marker.len();
    let end = page[start..].find('"').ok_or("unterminated value")?;
    Ok(page[start..start + end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&"))
}

/// A minimal HTTP handler for server callbacks: it verifies each body and answers 200 only
/// when the signature holds.
async fn callback_handler()
-> Result<(String, Arc<Mutex<Vec<flitt::callback::VerifiedCallback>>>), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/flitt/callback", listener.local_addr()?);
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    let key = SecretKey::new(flitt_sandbox::SECRET_KEY);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let Ok(n) = socket.read(&mut chunk).await else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + length {
                        break Some(buf[end + 4..end + 4 + length].to_vec());
                    }
                }
            };
            let status = match body.map(|b| Callback::verify(&b, Some("application/json"), &key)) {
                Some(Ok(cb)) => {
                    store.lock().map(|mut s| s.push(cb)).ok();
                    "200 OK"
                }
                _ => "400 Bad Request",
            };
            let reply =
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    Ok((url, received))
}

async fn wait_for(
    received: &Mutex<Vec<flitt::callback::VerifiedCallback>>,
) -> Result<flitt::callback::VerifiedCallback, Error> {
    for _ in 0..100 {
        if let Some(cb) = received.lock().map_err(|_| "poisoned")?.first().cloned() {
            return Ok(cb);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("no callback arrived within 2 s".into())
}
