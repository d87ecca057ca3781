//! `Payment<S>`, its states, its capabilities, and the transitions between them.

use crate::api::{CaptureRequest, OrderResponse, ReverseRequest};
use crate::types::{Amount, Currency, OrderId, Sensitive};
use crate::validate::{InvalidInput, Rule};
use crate::{Client, Error};
use std::fmt;

mod sealed {
    pub trait Sealed {}
}

/// A payment state. Sealed: the states are the ones below.
pub trait PaymentState: sealed::Sealed + fmt::Debug {
    /// The state's name, for messages.
    const NAME: &'static str;
}

macro_rules! marker {
    ($(#[$doc:meta])* $name:ident, $text:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            pub(crate) _private: (),
        }
        impl sealed::Sealed for $name {}
        impl PaymentState for $name {
            const NAME: &'static str = $text;
        }
    };
}

marker!(
    /// Paid in one step (no hold).
    Approved,
    "approved"
);
marker!(
    /// Funds held (`preauth=Y`), not yet captured.
    Preauthorized,
    "preauthorized"
);
marker!(
    /// A hold that was captured (Flitt allows exactly one capture).
    Captured,
    "captured"
);
marker!(
    /// Fully reversed: a voided hold or a fully refunded payment. Terminal.
    Reversed,
    "reversed"
);

/// Waiting for the customer's 3-D Secure authentication.
#[derive(Debug)]
pub struct AwaitingThreeDs {
    pub(crate) acs_url: String,
    pub(crate) pareq: Sensitive<String>,
    pub(crate) md: Sensitive<String>,
    pub(crate) preauth: bool,
}
impl sealed::Sealed for AwaitingThreeDs {}
impl PaymentState for AwaitingThreeDs {
    const NAME: &'static str = "awaiting 3-D Secure";
}

/// States that can be captured.
#[diagnostic::on_unimplemented(
    message = "a payment in state `{Self}` cannot be captured",
    label = "this payment cannot be captured",
    note = "only a `Payment<Preauthorized>` (an uncaptured hold) can be captured, and only once; a 3-D Secure payment must be completed first"
)]
pub trait Capturable: PaymentState {}
impl Capturable for Preauthorized {}

/// States whose hold can be voided (a full reverse before capture).
#[diagnostic::on_unimplemented(
    message = "a payment in state `{Self}` cannot be voided",
    label = "this payment has no hold to void",
    note = "only a `Payment<Preauthorized>` can be voided; a captured or approved payment is refunded with `refund()`"
)]
pub trait Voidable: PaymentState {}
impl Voidable for Preauthorized {}

/// States that can be refunded, in part or in full.
#[diagnostic::on_unimplemented(
    message = "a payment in state `{Self}` cannot be refunded",
    label = "this payment cannot be refunded",
    note = "refund a `Payment<Approved>` or a `Payment<Captured>`; an uncaptured hold can only be voided in full with `void()` (Flitt refuses partial refunds of holds: 1084), a `Payment<Reversed>` has nothing left, and a 3-D Secure payment must be completed first"
)]
pub trait Refundable: PaymentState {}
impl Refundable for Approved {}
impl Refundable for Captured {}

/// A saved-card token (`rectoken`) for recurring charges without 3-D Secure.
///
/// It is obtained from an approved payment that asked for one (`required_rectoken`), or from
/// a verified callback; `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecToken(pub(crate) Sensitive<String>);

impl RecToken {
    /// A token you stored yourself after obtaining it from an approved payment or a verified
    /// callback. Do not build tokens from unverified input.
    pub fn from_trusted_storage(token: impl Into<String>) -> Self {
        Self(Sensitive::new(token.into()))
    }

    /// The token, to store it. Keep it out of logs.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for RecToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecToken([redacted])")
    }
}

/// A payment in state `S`.
pub struct Payment<S: PaymentState> {
    pub(crate) order_id: OrderId,
    pub(crate) currency: Currency,
    /// The amount paid or held, in minor units.
    pub(crate) amount: u64,
    /// The amount captured (for captured payments), in minor units.
    pub(crate) captured: Option<u64>,
    /// The amount refunded so far, in minor units.
    pub(crate) refunded: u64,
    pub(crate) rectoken: Option<RecToken>,
    pub(crate) last: Box<OrderResponse>,
    pub(crate) state: S,
}

impl<S: PaymentState> fmt::Debug for Payment<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payment")
            .field("state", &S::NAME)
            .field("order_id", &self.order_id)
            .field("currency", &self.currency)
            .field("amount", &self.amount)
            .field("captured", &self.captured)
            .field("refunded", &self.refunded)
            .finish_non_exhaustive()
    }
}

/// A transition the gateway refused: the error, and the payment unchanged when its state is
/// still known. `payment` is `None` when the outcome is unknown: resume the order with
/// [`super::AnyPayment::lookup`].
#[derive(Debug)]
pub struct Failed<P> {
    /// Why.
    pub error: Error,
    /// The payment as it was, when it still is.
    pub payment: Option<P>,
}

impl<P: fmt::Debug> fmt::Display for Failed<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl<P: fmt::Debug> std::error::Error for Failed<P> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<P> Failed<P> {
    fn new(error: Error, payment: P) -> Self {
        // An unknown outcome means the state is unknown: do not hand back a stale payment.
        let payment = match error {
            Error::OutcomeUnknown(_) => None,
            _ => Some(payment),
        };
        Self { error, payment }
    }
}

/// The result of a refund: still refundable with some amount left, or fully reversed.
#[derive(Debug)]
pub enum Refund<S: PaymentState> {
    /// Part of the amount was refunded; the rest can still be.
    Partial(Payment<S>),
    /// Everything was refunded.
    Full(Payment<Reversed>),
}

impl<S: PaymentState> Refund<S> {
    /// What is left to refund, in minor units.
    pub fn remaining(&self) -> u64 {
        match self {
            Refund::Partial(p) => p.refundable(),
            Refund::Full(_) => 0,
        }
    }
}

impl<S: PaymentState> Payment<S> {
    /// The order id.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount paid or held, in minor units.
    pub fn amount(&self) -> u64 {
        self.amount
    }

    /// The amount refunded so far, in minor units.
    pub fn refunded(&self) -> u64 {
        self.refunded
    }

    /// The gateway's last reply about this order.
    pub fn last_reply(&self) -> &OrderResponse {
        &self.last
    }

    /// The saved-card token, when the payment asked for one and the gateway gave it.
    pub fn rectoken(&self) -> Option<&RecToken> {
        self.rectoken.as_ref()
    }

    /// What can still be refunded, in minor units.
    pub fn refundable(&self) -> u64 {
        self.captured
            .unwrap_or(self.amount)
            .saturating_sub(self.refunded)
    }

    pub(crate) fn into_state<T: PaymentState>(self, state: T) -> Payment<T> {
        Payment {
            order_id: self.order_id,
            currency: self.currency,
            amount: self.amount,
            captured: self.captured,
            refunded: self.refunded,
            rectoken: self.rectoken,
            last: self.last,
            state,
        }
    }

    /// Captures `amount` (at most the amount held). Flitt allows exactly one capture; a
    /// partial capture releases the rest of the hold.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (before the network) when `amount` exceeds the hold; the gateway's
    /// refusal with the payment handed back; an unknown outcome without it.
    pub async fn capture(
        self,
        client: &Client,
        amount: Amount,
    ) -> Result<Payment<Captured>, Failed<Self>>
    where
        S: Capturable,
    {
        if amount.minor() > self.amount {
            let e = InvalidInput::new(
                "amount",
                Rule::Range {
                    min: Some(1),
                    max: Some(self.amount),
                },
            );
            return Err(Failed::new(e.into(), self));
        }
        let request = CaptureRequest::builder()
            .order_id(self.order_id.clone())
            .amount(amount)
            .currency(self.currency)
            .build();
        let reply = match client.send(&request).await {
            Ok(r) => r,
            Err(e) => return Err(Failed::new(e, self)),
        };
        let captured = matches!(
            reply.capture_status,
            Some(crate::api::CaptureStatus::Captured)
        );
        if !captured {
            let e = unexpected("capture", reply.response_description.as_deref());
            return Err(Failed::new(e, self));
        }
        let mut next = self.into_state(Captured { _private: () });
        next.captured = Some(amount.minor());
        Ok(next)
    }

    /// Voids the hold: a full reverse before capture, with no acquiring fee.
    ///
    /// # Errors
    /// The gateway's refusal with the payment handed back; an unknown outcome without it.
    pub async fn void(
        self,
        client: &Client,
        reverse_id: impl Into<String>,
    ) -> Result<Payment<Reversed>, Failed<Self>>
    where
        S: Voidable,
    {
        let amount = match Amount::new(self.amount) {
            Ok(a) => a,
            Err(e) => return Err(Failed::new(e.into(), self)),
        };
        match self.reverse(client, amount, reverse_id.into()).await {
            Ok((payment, _)) => Ok(payment.into_state(Reversed { _private: () })),
            Err(f) => Err(f),
        }
    }

    /// Refunds `amount` (at most what remains). Give each refund its own `reverse_id`, and reuse
    /// it when retrying the same refund: Flitt applies a `reverse_id` once.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (before the network) when `amount` exceeds what remains; the
    /// gateway's refusal with the payment handed back; an unknown outcome without it.
    pub async fn refund(
        self,
        client: &Client,
        amount: Amount,
        reverse_id: impl Into<String>,
    ) -> Result<Refund<S>, Failed<Self>>
    where
        S: Refundable,
    {
        let remaining = self.refundable();
        if amount.minor() > remaining {
            let e = InvalidInput::new(
                "amount",
                Rule::Range {
                    min: Some(1),
                    max: Some(remaining),
                },
            );
            return Err(Failed::new(e.into(), self));
        }
        let (mut payment, reversed) = self.reverse(client, amount, reverse_id.into()).await?;
        payment.refunded = payment.refunded.saturating_add(reversed);
        if payment.refundable() == 0 {
            Ok(Refund::Full(payment.into_state(Reversed { _private: () })))
        } else {
            Ok(Refund::Partial(payment))
        }
    }

    /// Sends a reverse of `amount` and returns the payment with the amount reversed.
    async fn reverse(
        self,
        client: &Client,
        amount: Amount,
        reverse_id: String,
    ) -> Result<(Self, u64), Failed<Self>> {
        let request = ReverseRequest::builder()
            .order_id(self.order_id.clone())
            .amount(amount)
            .currency(self.currency)
            .reverse_id(reverse_id)
            .build();
        let reply = match client.send(&request).await {
            Ok(r) => r,
            Err(e) => return Err(Failed::new(e, self)),
        };
        let approved = matches!(
            reply.reverse_status,
            Some(crate::api::ReverseStatus::Approved)
        );
        if !approved {
            let e = unexpected("reverse", reply.response_description.as_deref());
            return Err(Failed::new(e, self));
        }
        Ok((self, amount.minor()))
    }
}

fn unexpected(what: &str, description: Option<&str>) -> Error {
    Error::Decode {
        reason: format!(
            "the gateway did not confirm the {what}: {}",
            description.unwrap_or("no description")
        ),
        excerpt: String::new(),
    }
}
