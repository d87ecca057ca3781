//! Direct payments (`3dsecure_step1`) by card or wallet, 3-D Secure completion
//! (`3dsecure_step2`), and recurring charges by token (`recurring`).

use super::payment::{Approved, AwaitingThreeDs, Payment, Preauthorized, RecToken};
use crate::api::{
    OrderResponse, OrderStatus, RecurringRequest, ThreeDsStep1Request, ThreeDsStep1Response,
    ThreeDsStep2Request, WalletContainerRequest, WalletDecryptedRequest, WalletRecurringRequest,
};
use crate::request::ApiRequest;
use crate::types::{Amount, Currency, OrderId, Sensitive};
use crate::{Client, Error};
use std::fmt;

/// A payment waiting for the customer's 3-D Secure authentication. It cannot be captured,
/// refunded or treated as paid: [`ThreeDsPending::complete`] it first.
pub type ThreeDsPending = Payment<AwaitingThreeDs>;

/// A refused payment: not an error, an outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Declined {
    /// The order.
    pub order_id: OrderId,
    /// Flitt's response code, when given.
    pub code: Option<i64>,
    /// Flitt's description.
    pub description: Option<String>,
    /// The whole reply.
    pub reply: Box<OrderResponse>,
}

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "order {} declined: {} {}",
            self.order_id,
            self.code.map_or_else(String::new, |c| c.to_string()),
            self.description.as_deref().unwrap_or("")
        )
    }
}

/// The first step of a direct card payment.
#[derive(Debug)]
pub enum StepOne {
    /// Paid in one step.
    Approved(Payment<Approved>),
    /// Funds held (`preauth` was asked).
    Preauthorized(Payment<Preauthorized>),
    /// The card needs 3-D Secure: send the customer to the ACS.
    ThreeDs(ThreeDsPending),
    /// Refused.
    Declined(Declined),
}

/// A finished payment: after 3-D Secure, or a recurring charge.
#[derive(Debug)]
pub enum Completed {
    /// Paid in one step.
    Approved(Payment<Approved>),
    /// Funds held (`preauth` was asked).
    Preauthorized(Payment<Preauthorized>),
    /// Refused.
    Declined(Declined),
}

/// A request that starts a direct payment, paying with exactly one source: a card
/// ([`ThreeDsStep1Request`]), a wallet's encrypted payment data ([`WalletContainerRequest`]), a
/// wallet token the merchant decrypted ([`WalletDecryptedRequest`]), or a saved wallet card
/// charged again by its scheme id ([`WalletRecurringRequest`]). Each is its own type, so a
/// container and a card number, or a cryptogram and a scheme id, cannot be sent together.
///
/// Sealed: implemented for those four request types only.
pub trait DirectPayment: ApiRequest<Response = ThreeDsStep1Response> + sealed::Sealed {
    /// What the payment's outcome is judged against: the order id, currency and amount asked
    /// for, and whether a hold and a card token were asked.
    #[doc(hidden)]
    fn terms(&self) -> DirectTerms;
}

/// The terms of a direct payment request, for [`DirectPayment`].
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct DirectTerms {
    order_id: OrderId,
    currency: Currency,
    amount: u64,
    preauth: bool,
    wants_token: bool,
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! direct_payment {
    ($($ty:ty),+) => {$(
        impl sealed::Sealed for $ty {}
        impl DirectPayment for $ty {
            fn terms(&self) -> DirectTerms {
                DirectTerms {
                    order_id: self.order_id.clone(),
                    currency: self.currency,
                    amount: self.amount.minor(),
                    preauth: self.preauth.unwrap_or(false),
                    wants_token: self.required_rectoken.unwrap_or(false),
                }
            }
        }
    )+};
}

direct_payment!(
    ThreeDsStep1Request,
    WalletContainerRequest,
    WalletDecryptedRequest,
    WalletRecurringRequest
);

/// Starts a direct payment (PCI DSS merchants) by card or wallet.
///
/// # Errors
/// Any [`Error`] of [`Client::send`]; a decline is `Ok(StepOne::Declined)`, and a reply with a
/// status that is neither final nor a 3-D Secure challenge is [`Error::OutcomeUnknown`].
pub async fn pay_direct<R: DirectPayment>(client: &Client, request: &R) -> Result<StepOne, Error> {
    let reply = client.send(request).await?;
    let t = request.terms();
    step_one(
        reply,
        t.order_id,
        t.currency,
        t.amount,
        t.preauth,
        t.wants_token,
    )
}

/// A decode error for a reply that lacks `field`: a missing value is never guessed.
pub(crate) fn missing_field(field: &str) -> Error {
    Error::Decode {
        reason: format!("the reply has no `{field}`"),
        excerpt: String::new(),
    }
}

/// `amount` is what the request asked for: a 3-D Secure challenge carries no amount.
fn step_one(
    reply: ThreeDsStep1Response,
    order_id: OrderId,
    currency: Currency,
    amount: u64,
    preauth: bool,
    wants_token: bool,
) -> Result<StepOne, Error> {
    if let Some(acs_url) = reply.acs_url.clone() {
        let pareq = reply
            .pareq
            .clone()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| missing_field("pareq"))?;
        let md = reply
            .md
            .clone()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| missing_field("md"))?;
        let order: OrderResponse = to_order(&reply)?;
        return Ok(StepOne::ThreeDs(Payment {
            order_id,
            currency,
            amount,
            captured: None,
            refunded: 0,
            rectoken: None,
            last: Box::new(order),
            state: AwaitingThreeDs {
                acs_url,
                pareq,
                md,
                preauth,
            },
        }));
    }
    let order = to_order(&reply)?;
    Ok(
        match outcome(order, order_id, currency, preauth, wants_token)? {
            Completed::Approved(p) => StepOne::Approved(p),
            Completed::Preauthorized(p) => StepOne::Preauthorized(p),
            Completed::Declined(d) => StepOne::Declined(d),
        },
    )
}

fn to_order<T: serde::Serialize>(reply: &T) -> Result<OrderResponse, Error> {
    serde_json::to_value(reply)
        .and_then(serde_json::from_value)
        .map_err(|e| Error::Decode {
            reason: e.to_string(),
            excerpt: String::new(),
        })
}

/// Turns a final order reply into an outcome.
pub(crate) fn outcome(
    order: OrderResponse,
    order_id: OrderId,
    currency: Currency,
    preauth: bool,
    wants_token: bool,
) -> Result<Completed, Error> {
    match order.order_status.clone() {
        Some(OrderStatus::Approved) => {
            let amount = order
                .actual_amount
                .or(order.amount)
                .ok_or_else(|| missing_field("amount"))?;
            let rectoken = if wants_token {
                order
                    .rectoken
                    .clone()
                    .filter(|t| !t.is_empty())
                    .map(RecToken)
            } else {
                None
            };
            let payment = Payment {
                order_id,
                currency: order.currency.unwrap_or(currency),
                amount,
                captured: None,
                refunded: order.reversal_amount.unwrap_or(0),
                rectoken,
                last: Box::new(order),
                state: Approved { _private: () },
            };
            Ok(if preauth {
                Completed::Preauthorized(payment.into_state(Preauthorized { _private: () }))
            } else {
                Completed::Approved(payment)
            })
        }
        Some(OrderStatus::Declined | OrderStatus::Expired) => Ok(Completed::Declined(Declined {
            order_id,
            code: order.response_code,
            description: order.response_description.clone(),
            reply: Box::new(order),
        })),
        other => Err(Error::OutcomeUnknown(Box::new(
            crate::error::UnknownOutcome {
                order_id: Some(order_id),
                endpoint: "payment",
                cause: format!(
                    "the payment is not final (order_status {})",
                    other.map_or_else(|| "missing".to_owned(), |s| s.to_string())
                ),
                status: Some(order),
                timed_out: false,
            },
        ))),
    }
}

impl Payment<AwaitingThreeDs> {
    /// The ACS URL to send the customer to.
    pub fn acs_url(&self) -> &str {
        &self.state.acs_url
    }

    /// The `PaReq` to post to the ACS. Keep it out of logs.
    pub fn pareq(&self) -> &str {
        self.state.pareq.expose()
    }

    /// The `MD` to post to the ACS.
    pub fn md(&self) -> &str {
        self.state.md.expose()
    }

    /// An HTML page that posts `PaReq`, `MD` and `TermUrl` to the ACS as soon as it loads, with a
    /// button for browsers without JavaScript. Values are HTML-escaped.
    pub fn acs_form(&self, term_url: &str) -> String {
        let e = crate::checkout_form::html_escape;
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>3-D Secure</title></head>\
             <body onload=\"document.forms[0].submit()\">\
             <form method=\"POST\" action=\"{}\">\
             <input type=\"hidden\" name=\"PaReq\" value=\"{}\">\
             <input type=\"hidden\" name=\"MD\" value=\"{}\">\
             <input type=\"hidden\" name=\"TermUrl\" value=\"{}\">\
             <noscript><button type=\"submit\">Continue</button></noscript>\
             </form></body></html>\n",
            e(self.acs_url()),
            e(self.pareq()),
            e(self.md()),
            e(term_url)
        )
    }

    /// Completes the payment with what the ACS posted back to the `TermUrl`: give the posted
    /// form fields, and `PaRes`/`pares` and `MD`/`md` are found whatever their case.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `PaRes` or `MD` is missing, or `MD` is not this payment's
    /// (the post belongs to another payment); the payment is handed back. Otherwise as
    /// [`Client::send`].
    pub async fn complete<'a>(
        self,
        client: &Client,
        posted: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Completed, super::Failed<Self>> {
        let mut pares = None;
        let mut md = None;
        for (k, v) in posted {
            if k.eq_ignore_ascii_case("pares") {
                pares = Some(v.trim().to_owned());
            } else if k.eq_ignore_ascii_case("md") {
                md = Some(v.trim().to_owned());
            }
        }
        let missing = |name: &'static str| {
            Error::InvalidInput(crate::validate::InvalidInput::new(
                name,
                crate::validate::Rule::Required,
            ))
        };
        let Some(pares) = pares.filter(|p| !p.is_empty()) else {
            return Err(super::Failed {
                error: missing("pares"),
                payment: Some(self),
            });
        };
        let Some(md) = md.filter(|m| !m.is_empty()) else {
            return Err(super::Failed {
                error: missing("md"),
                payment: Some(self),
            });
        };
        if md != *self.state.md.expose() {
            return Err(super::Failed {
                error: Error::InvalidInput(crate::validate::InvalidInput::new(
                    "md",
                    crate::validate::Rule::Other(
                        "must be the MD this payment sent to the ACS".into(),
                    ),
                )),
                payment: Some(self),
            });
        }
        let request = ThreeDsStep2Request::builder()
            .order_id(self.order_id.clone())
            .pares(Sensitive::new(pares))
            .md(Sensitive::new(md))
            .build();
        let reply = match client.send(&request).await {
            Ok(r) => r,
            Err(error) => {
                let payment = match error {
                    Error::OutcomeUnknown(_) => None,
                    _ => Some(self),
                };
                return Err(super::Failed { error, payment });
            }
        };
        let preauth = self.state.preauth;
        outcome(reply, self.order_id, self.currency, preauth, true).map_err(|error| super::Failed {
            error,
            payment: None,
        })
    }
}

/// Charges a saved card by its token: a new payment with no 3-D Secure and no redirect.
///
/// # Errors
/// As [`Client::send`]; a decline is `Ok(Completed::Declined)`.
pub async fn charge(
    client: &Client,
    token: &RecToken,
    order_desc: impl Into<String>,
    amount: Amount,
    currency: Currency,
) -> Result<Completed, Error> {
    let request = RecurringRequest::builder()
        .order_desc(order_desc)
        .amount(amount)
        .currency(currency)
        .rectoken(token.0.clone())
        .build();
    let reply = client.send(&request).await?;
    outcome(reply, request.order_id.clone(), currency, false, false)
}
