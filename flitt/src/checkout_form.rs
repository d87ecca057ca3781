//! The redirect checkout: a signed HTML form that the customer's browser posts to Flitt
//! (`/api/checkout/redirect/`), which answers `302 Found` to its hosted payment page.
//!
//! Unlike [`Client::send`] with a `CheckoutUrlRequest` (the server asks for the page's URL and
//! sends the customer there), nothing is sent from the server here: the shop renders the form
//! in its page, and the customer's browser carries the order to the gateway. The gateway
//! answers a refused form with an HTML error page (2007 invalid signature, 2004 duplicate
//! order, 2008 incorrect parameters) instead of a redirect, so check a new integration against
//! the sandbox, which answers the same way.
//!
//! [`CheckoutForm::new`]:
//! - validates the request first (`validate()`): a bad value is [`Error::InvalidInput`];
//! - refuses the parameters the spec marks sensitive (`rectoken`, …): a form shows every value
//!   to the browser. Use [`Client::send`] for those, which keeps them on the server;
//! - signs the request with the client's merchant id and key (protocol 1.0, the only one a
//!   flat form can carry);
//! - renders one hidden input per wire parameter the signature covers plus `signature`: every
//!   value except the empty ones, which signing skips too. A `0` is kept (PHP's
//!   `Checkout::form` drops it after signing it, so its forms with a `0` fail the signature).
//!
//! The form posts `application/x-www-form-urlencoded` with `accept-charset="UTF-8"`, has a
//! visible submit button and works without JavaScript; [`CheckoutForm::auto_submit`] adds a
//! small inline script that submits it on load. Every name and value is HTML-escaped.
//!
//! ```
//! use flitt::api::CheckoutUrlRequest;
//! use flitt::checkout_form::CheckoutForm;
//! use flitt::types::{Amount, Currency};
//!
//! let client = flitt::Client::builder("1549901", "test").build()?;
//! let request = CheckoutUrlRequest::builder()
//!     .order_desc("Two coffees \"to go\"")
//!     .amount(Amount::new(1020)?)
//!     .currency(Currency::GEL)
//!     .build();
//! let form = CheckoutForm::new(&client, &request)?
//!     .submit_label("Pay 10.20 GEL")
//!     .auto_submit(true);
//! let html = form.to_html();
//! assert!(html.starts_with(
//!     "<form method=\"POST\" action=\"https://pay.flitt.com/api/checkout/redirect/\""
//! ));
//! assert!(html.contains("<input type=\"hidden\" name=\"amount\" value=\"1020\">"));
//! assert!(html.contains("value=\"Two coffees &quot;to go&quot;\""));
//! assert!(html.contains("<button type=\"submit\">Pay 10.20 GEL</button>"));
//! // Every field the browser posts, the signature last.
//! let names: Vec<&str> = form.fields().map(|(name, _)| name).collect();
//! assert_eq!(
//!     names,
//!     ["amount", "currency", "merchant_id", "order_desc", "order_id", "signature"]
//! );
//! # Ok::<(), flitt::Error>(())
//! ```

use crate::Client;
use crate::api::{CheckoutUrlRequest, CheckoutVerificationRequest};
use crate::error::Error;
use crate::request::ApiRequest;
use crate::types::OrderId;
use crate::validate::{InvalidInput, Rule};
use std::fmt::Write as _;

/// Where the form posts, under the client's API URL.
pub const REDIRECT_PATH: &str = "/api/checkout/redirect/";

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::api::CheckoutUrlRequest {}
    impl Sealed for crate::api::CheckoutVerificationRequest {}
}

/// A request the redirect checkout takes: an order ([`CheckoutUrlRequest`]) or a card
/// verification ([`CheckoutVerificationRequest`]), both flat protocol 1.0 parameters.
/// Sealed: a subscription's nested `recurring_data` cannot travel in a flat form.
pub trait RedirectCheckout: ApiRequest + sealed::Sealed {}

impl RedirectCheckout for CheckoutUrlRequest {}
impl RedirectCheckout for CheckoutVerificationRequest {}

/// A signed redirect-checkout form, ready to render. See the [module docs](self).
#[derive(Clone, Debug)]
#[must_use]
pub struct CheckoutForm {
    action: String,
    order_id: OrderId,
    fields: Vec<(&'static str, String)>,
    submit_label: String,
    auto_submit: bool,
    script_nonce: Option<String>,
}

impl CheckoutForm {
    /// The form for `request`, signed for `client`'s merchant and posting to its API URL
    /// ([`REDIRECT_PATH`] under [`Client::api_url`]). Nothing is sent.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the request breaks a rule of the spec, or sets a
    /// parameter the spec marks sensitive (it would be visible in the browser).
    pub fn new<R: RedirectCheckout>(client: &Client, request: &R) -> Result<Self, Error> {
        request.validate()?;
        let endpoint = R::ENDPOINT;
        let fields = client.signed_v1_fields(request)?;
        if let Some((name, _)) = fields
            .iter()
            .find(|(name, _)| endpoint.param(name).is_some_and(|p| p.sensitive))
        {
            return Err(InvalidInput::new(
                *name,
                Rule::Other(
                    "is sensitive and a form shows it to the browser: send this request with \
                     Client::send (checkout/url) instead"
                        .into(),
                ),
            )
            .into());
        }
        let order_id = request
            .order_id()
            .cloned()
            .ok_or_else(|| Error::Config(format!("`{}` has no order id", endpoint.name)))?;
        Ok(Self {
            action: format!("{}{REDIRECT_PATH}", client.api_url()),
            order_id,
            fields,
            submit_label: "Continue to payment".to_owned(),
            auto_submit: false,
            script_nonce: None,
        })
    }

    /// The button's text (default "Continue to payment").
    pub fn submit_label(mut self, label: impl Into<String>) -> Self {
        self.submit_label = label.into();
        self
    }

    /// Whether a small inline script submits the form as soon as it is loaded (default no).
    /// Without JavaScript, or when a Content Security Policy blocks the script, the button
    /// still works.
    pub fn auto_submit(mut self, on: bool) -> Self {
        self.auto_submit = on;
        self
    }

    /// The `nonce` of the auto-submit script, for a page whose Content Security Policy allows
    /// scripts by nonce (`script-src 'nonce-…'`).
    pub fn script_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.script_nonce = Some(nonce.into());
        self
    }

    /// The URL the form posts to.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The order id the form creates.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// The fields the browser posts, in key order, `signature` last: for a template that
    /// renders its own form.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// The form as an HTML fragment (the `<form>`, then the script when
    /// [`auto_submit`](Self::auto_submit) is on), to put in a page.
    pub fn to_html(&self) -> String {
        let mut out = format!(
            "<form method=\"POST\" action=\"{}\" accept-charset=\"UTF-8\" \
             enctype=\"application/x-www-form-urlencoded\" class=\"flitt-checkout\" \
             data-order-id=\"{}\">\n",
            html_escape(&self.action),
            html_escape(self.order_id.as_str()),
        );
        for (name, value) in &self.fields {
            let _ = writeln!(
                out,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(name),
                html_escape(value)
            );
        }
        let _ = write!(
            out,
            "<button type=\"submit\">{}</button>\n</form>",
            html_escape(&self.submit_label)
        );
        if self.auto_submit {
            let nonce = self
                .script_nonce
                .as_deref()
                .map(|n| format!(" nonce=\"{}\"", html_escape(n)))
                .unwrap_or_default();
            // The form just before this script, submitted through the prototype's method (a
            // field named `submit` would shadow `form.submit`).
            let _ = write!(
                out,
                "\n<script{nonce}>(function(){{var s=document.currentScript;\
                 var f=s&&s.previousElementSibling;\
                 if(f&&f.tagName===\"FORM\"){{HTMLFormElement.prototype.submit.call(f);}}}})();</script>"
            );
        }
        out
    }

    /// A whole HTML page holding only the form (`title` escaped), for a shop that sends the
    /// customer through a page of its own.
    pub fn to_page(&self, title: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{}</title></head>\n<body>\n{}\n</body></html>\n",
            html_escape(title),
            self.to_html()
        )
    }
}

impl std::fmt::Display for CheckoutForm {
    /// [`CheckoutForm::to_html`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_html())
    }
}

/// The form for `request` as an HTML fragment: [`CheckoutForm::new`], then
/// [`CheckoutForm::auto_submit`] and [`CheckoutForm::to_html`].
///
/// # Errors
/// As [`CheckoutForm::new`].
pub fn render<R: RedirectCheckout>(
    client: &Client,
    request: &R,
    auto_submit: bool,
) -> Result<String, Error> {
    Ok(CheckoutForm::new(client, request)?
        .auto_submit(auto_submit)
        .to_html())
}

/// `text` safe inside an HTML element or a double- or single-quoted attribute: `&`, `<`, `>`,
/// `"` and `'` become entities. The one escaping function of this crate's HTML (this form, the
/// 3-D Secure ACS form) and of the sandbox's pages.
///
/// ```
/// assert_eq!(flitt::checkout_form::html_escape("\"><b>&'"), "&quot;&gt;&lt;b&gt;&amp;&#39;");
/// ```
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{SecretKey, Signer};
    use crate::types::{Amount, Currency};

    fn client() -> Client {
        Client::builder("1549901", "test")
            .api_url("https://gateway.test/")
            .build()
            .unwrap()
    }

    fn request(desc: &str) -> CheckoutUrlRequest {
        CheckoutUrlRequest::builder()
            .order_id(OrderId::new("form-1").unwrap())
            .order_desc(desc)
            .amount(Amount::new(1020).unwrap())
            .currency(Currency::GEL)
            .build()
    }

    /// The hidden inputs of a rendered form, as (name, value), unescaped.
    fn inputs(html: &str) -> Vec<(String, String)> {
        let unescape = |s: &str| {
            s.replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        };
        html.lines()
            .filter_map(|l| l.strip_prefix("<input type=\"hidden\" name=\""))
            .filter_map(|l| l.strip_suffix("\">"))
            .filter_map(|l| l.split_once("\" value=\""))
            .map(|(n, v)| (unescape(n), unescape(v)))
            .collect()
    }

    fn signature_of(fields: &[(String, String)]) -> String {
        let mut sorted: Vec<_> = fields.iter().filter(|(k, _)| k != "signature").collect();
        sorted.sort();
        let mut signer = Signer::new(&SecretKey::new("test"));
        for (_, v) in sorted {
            signer.push(v);
        }
        signer.finish().as_str().to_owned()
    }

    #[test]
    fn hostile_text_is_escaped_and_still_signed_as_given() {
        let hostile = "\"><script>alert('x')</script>&amp;";
        let html = CheckoutForm::new(&client(), &request(hostile))
            .unwrap()
            .submit_label("<b>Pay</b>")
            .to_html();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains(
            "value=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;\""
        ));
        let fields = inputs(&html);
        let desc = fields.iter().find(|(k, _)| k == "order_desc").unwrap();
        assert_eq!(desc.1, hostile);
        let signature = &fields.last().unwrap();
        assert_eq!(signature.0, "signature");
        assert_eq!(signature.1, signature_of(&fields));
        assert!(html.starts_with(
            "<form method=\"POST\" action=\"https://gateway.test/api/checkout/redirect/\" \
             accept-charset=\"UTF-8\" enctype=\"application/x-www-form-urlencoded\""
        ));
        assert!(!html.contains("<script"), "no script unless asked");
    }

    #[test]
    fn zero_is_kept_and_empty_values_are_left_out_as_signing_leaves_them_out() {
        let verification = CheckoutVerificationRequest::builder()
            .order_id(OrderId::new("verify-1").unwrap())
            .order_desc("Card check")
            .amount(0)
            .currency(Currency::GEL)
            .merchant_data(String::new())
            .build();
        let form = CheckoutForm::new(&client(), &verification).unwrap();
        let fields: Vec<(String, String)> = form
            .fields()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert!(fields.contains(&("amount".into(), "0".into())));
        assert!(fields.contains(&("verification".into(), "Y".into())));
        assert!(!fields.iter().any(|(k, _)| k == "merchant_data"));
        assert_eq!(inputs(&form.to_html()), fields);
        // The signature the form carries is the request's own.
        let key = SecretKey::new("test");
        assert_eq!(
            fields.last().unwrap().1,
            verification.sign_v1("1549901", &key).as_str()
        );
        assert_eq!(fields.last().unwrap().1, signature_of(&fields));
    }

    #[test]
    fn the_script_is_optional_and_takes_a_nonce() {
        let form = CheckoutForm::new(&client(), &request("x")).unwrap();
        let html = form
            .clone()
            .auto_submit(true)
            .script_nonce("n\"1")
            .to_html();
        assert!(
            html.contains("</form>\n<script nonce=\"n&quot;1\">"),
            "{html}"
        );
        assert!(html.ends_with("</script>"));
        assert!(html.contains("<button type=\"submit\">Continue to payment</button>"));
        let page = form.to_page("<Shop>");
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>&lt;Shop&gt;</title>"));
        assert_eq!(form.to_string(), form.to_html());
        assert_eq!(form.order_id().as_str(), "form-1");
        assert_eq!(form.action(), "https://gateway.test/api/checkout/redirect/");
    }

    #[test]
    fn bad_or_sensitive_input_makes_no_form() {
        let long = request(&"x".repeat(2000));
        let e = CheckoutForm::new(&client(), &long).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(i) if i.field == "order_desc"),
            "{e}"
        );
        let pipe = request("a|b");
        let e = render(&client(), &pipe, true).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(i) if i.field == "order_desc"),
            "{e}"
        );
        let mut with_token = request("x");
        with_token.rectoken = Some("a".repeat(40).into());
        let e = CheckoutForm::new(&client(), &with_token).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(i) if i.field == "rectoken"),
            "{e}"
        );
    }
}
