//! `AnyPayment`: a payment in any state, for resuming an order from a status lookup or a
//! verified callback, with checked narrowing into a typed state.

use super::direct::{Completed, Declined, missing_field, outcome};
use super::payment::{Approved, Captured, Payment, Preauthorized, Reversed};
use crate::api::{OrderResponse, OrderStatus, StatusRequest};
use crate::callback::VerifiedCallback;
use crate::types::OrderId;
use crate::{Client, Error};

/// A payment whose state is known only at run time.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyPayment {
    /// Created, not paid yet (hosted checkout not completed, or still processing).
    Pending {
        /// The order.
        order_id: OrderId,
        /// The gateway's reply.
        reply: Box<OrderResponse>,
    },
    /// Paid in one step.
    Approved(Payment<Approved>),
    /// Funds held.
    Preauthorized(Payment<Preauthorized>),
    /// Captured hold.
    Captured(Payment<Captured>),
    /// Fully reversed.
    Reversed(Payment<Reversed>),
    /// Declined or expired.
    Declined(Declined),
}

/// The capture status inside `additional_info`.
fn capture_info(order: &OrderResponse) -> (Option<String>, Option<u64>) {
    let Some(info) = &order.additional_info else {
        return (None, None);
    };
    let Ok(v) = info.parse::<serde_json::Value>() else {
        return (None, None);
    };
    let status = v
        .get("capture_status")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    // `capture_amount` is in major units (a float): convert exactly through its text.
    let amount = v
        .get("capture_amount")
        .filter(|a| !a.is_null())
        .and_then(|a| a.to_string().parse::<crate::types::Decimal>().ok())
        .and_then(|d| d.to_minor(2))
        .and_then(|m| u64::try_from(m).ok());
    (status, amount)
}

impl AnyPayment {
    /// Builds the payment from an order reply (a status lookup or a callback).
    ///
    /// # Errors
    /// [`Error::Decode`] naming the field when the reply has no usable `order_id`, no
    /// `currency`, or (for a paid order) no amount: a missing value is never guessed.
    pub fn from_order(order: OrderResponse) -> Result<Self, Error> {
        let order_id = order
            .order_id
            .as_deref()
            .ok_or_else(|| Error::Decode {
                reason: "the order has no order_id".into(),
                excerpt: String::new(),
            })
            .and_then(|id| OrderId::new(id).map_err(Error::from))?;
        let currency = order.currency.ok_or_else(|| missing_field("currency"))?;
        let (capture_status, capture_amount) = capture_info(&order);
        Ok(match order.order_status {
            Some(OrderStatus::Approved) => {
                let hold = capture_status.as_deref() == Some("hold");
                let captured = capture_status.as_deref() == Some("captured");
                match outcome(order, order_id, currency, hold, true)? {
                    Completed::Approved(p) if captured => {
                        let mut p = p.into_state(Captured { _private: () });
                        p.captured = Some(capture_amount.unwrap_or(p.amount));
                        AnyPayment::Captured(p)
                    }
                    Completed::Approved(p) => AnyPayment::Approved(p),
                    Completed::Preauthorized(p) => AnyPayment::Preauthorized(p),
                    Completed::Declined(d) => AnyPayment::Declined(d),
                }
            }
            Some(OrderStatus::Reversed) => {
                let amount = order
                    .actual_amount
                    .or(order.amount)
                    .ok_or_else(|| missing_field("amount"))?;
                AnyPayment::Reversed(Payment {
                    order_id,
                    currency,
                    amount,
                    captured: capture_amount,
                    refunded: order.reversal_amount.unwrap_or(amount),
                    rectoken: None,
                    last: Box::new(order),
                    state: Reversed { _private: () },
                })
            }
            Some(OrderStatus::Declined | OrderStatus::Expired) => AnyPayment::Declined(Declined {
                order_id,
                code: order.response_code,
                description: order.response_description.clone(),
                reply: Box::new(order),
            }),
            _ => AnyPayment::Pending {
                order_id,
                reply: Box::new(order),
            },
        })
    }

    /// Looks the order up and builds the payment from the reply.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn lookup(client: &Client, order_id: &OrderId) -> Result<Self, Error> {
        let reply = client
            .send(&StatusRequest::builder().order_id(order_id.clone()).build())
            .await?;
        Self::from_order(reply)
    }

    /// Builds the payment from a verified server callback.
    ///
    /// # Errors
    /// [`Error::Decode`] when the callback is not an order.
    pub fn from_callback(callback: &VerifiedCallback) -> Result<Self, Error> {
        let order: OrderResponse = callback.decode().map_err(|e| Error::Decode {
            reason: e.to_string(),
            excerpt: String::new(),
        })?;
        Self::from_order(order)
    }

    /// The order id.
    pub fn order_id(&self) -> &OrderId {
        match self {
            AnyPayment::Pending { order_id, .. } => order_id,
            AnyPayment::Approved(p) => p.order_id(),
            AnyPayment::Preauthorized(p) => p.order_id(),
            AnyPayment::Captured(p) => p.order_id(),
            AnyPayment::Reversed(p) => p.order_id(),
            AnyPayment::Declined(d) => &d.order_id,
        }
    }

    /// The state's name.
    pub fn state_name(&self) -> &'static str {
        match self {
            AnyPayment::Pending { .. } => "pending",
            AnyPayment::Approved(_) => "approved",
            AnyPayment::Preauthorized(_) => "preauthorized",
            AnyPayment::Captured(_) => "captured",
            AnyPayment::Reversed(_) => "reversed",
            AnyPayment::Declined(_) => "declined",
        }
    }

    /// The held payment, or `self` back when it is in another state.
    ///
    /// # Errors
    /// `self`, unchanged.
    pub fn try_into_preauthorized(self) -> Result<Payment<Preauthorized>, Self> {
        match self {
            AnyPayment::Preauthorized(p) => Ok(p),
            other => Err(other),
        }
    }

    /// The captured payment, or `self` back.
    ///
    /// # Errors
    /// `self`, unchanged.
    pub fn try_into_captured(self) -> Result<Payment<Captured>, Self> {
        match self {
            AnyPayment::Captured(p) => Ok(p),
            other => Err(other),
        }
    }

    /// The approved payment, or `self` back.
    ///
    /// # Errors
    /// `self`, unchanged.
    pub fn try_into_approved(self) -> Result<Payment<Approved>, Self> {
        match self {
            AnyPayment::Approved(p) => Ok(p),
            other => Err(other),
        }
    }

    /// The reversed payment, or `self` back.
    ///
    /// # Errors
    /// `self`, unchanged.
    pub fn try_into_reversed(self) -> Result<Payment<Reversed>, Self> {
        match self {
            AnyPayment::Reversed(p) => Ok(p),
            other => Err(other),
        }
    }
}

impl TryFrom<AnyPayment> for Payment<Preauthorized> {
    type Error = AnyPayment;
    fn try_from(p: AnyPayment) -> Result<Self, AnyPayment> {
        p.try_into_preauthorized()
    }
}

impl TryFrom<AnyPayment> for Payment<Captured> {
    type Error = AnyPayment;
    fn try_from(p: AnyPayment) -> Result<Self, AnyPayment> {
        p.try_into_captured()
    }
}

impl TryFrom<AnyPayment> for Payment<Approved> {
    type Error = AnyPayment;
    fn try_from(p: AnyPayment) -> Result<Self, AnyPayment> {
        p.try_into_approved()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(fields: serde_json::Value) -> OrderResponse {
        let mut base = json!({"order_id": "o-1", "currency": "GEL", "amount": 1000});
        for (k, v) in fields.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    /// Every variant, by the order reply that makes it. The match is exhaustive (no `_`): a
    /// new variant does not compile here until a reply that produces it is added.
    #[test]
    fn every_state_any_payment_has_comes_from_some_reply() {
        let hold = "{\"capture_status\": \"hold\"}";
        let captured = "{\"capture_status\": \"captured\", \"capture_amount\": 10.0}";
        let replies = [
            json!({"order_status": "created"}),
            json!({"order_status": "processing"}),
            json!({"order_status": "approved", "actual_amount": 1000}),
            json!({"order_status": "approved", "additional_info": hold}),
            json!({"order_status": "approved", "additional_info": captured}),
            json!({"order_status": "reversed", "reversal_amount": 1000}),
            json!({"order_status": "declined", "response_code": 1000}),
            json!({"order_status": "expired"}),
        ];
        let mut seen = [false; 6];
        for reply in replies {
            let any = AnyPayment::from_order(order(reply.clone())).unwrap();
            let index = match &any {
                AnyPayment::Pending { .. } => 0,
                AnyPayment::Approved(_) => 1,
                AnyPayment::Preauthorized(_) => 2,
                AnyPayment::Captured(p) => {
                    assert_eq!(p.captured, Some(1000), "{reply}");
                    3
                }
                AnyPayment::Reversed(_) => 4,
                AnyPayment::Declined(_) => 5,
            };
            seen[index] = true;
            assert_eq!(any.order_id().as_str(), "o-1");
        }
        assert_eq!(seen, [true; 6], "every variant is produced");
    }

    #[test]
    fn missing_values_are_decode_errors_not_guesses() {
        let mut no_currency = order(json!({"order_status": "approved"}));
        no_currency.currency = None;
        let e = AnyPayment::from_order(no_currency).unwrap_err();
        assert!(e.to_string().contains("`currency`"), "{e}");
        let mut no_amount = order(json!({"order_status": "approved"}));
        no_amount.amount = None;
        let e = AnyPayment::from_order(no_amount).unwrap_err();
        assert!(e.to_string().contains("`amount`"), "{e}");
        let mut reversed = order(json!({"order_status": "reversed"}));
        reversed.amount = None;
        let e = AnyPayment::from_order(reversed).unwrap_err();
        assert!(e.to_string().contains("`amount`"), "{e}");
    }
}
