//! Hosted checkout (`checkout/url`) and calendar subscriptions.
//!
//! A hosted order is not a payment yet: the customer pays on Flitt's page. It becomes a typed
//! payment only through a verified callback ([`super::AnyPayment::from_callback`]) or a status
//! lookup ([`Order::lookup`]), never through the browser's return to `response_url`.

use super::AnyPayment;
use crate::api::{
    CheckoutSubscriptionRequest, CheckoutUrlRequest, SubscriptionAction, SubscriptionRequest,
    SubscriptionResponse,
};
use crate::types::OrderId;
use crate::{Client, Error};

/// An order state: created, waiting for the customer on the hosted page.
#[derive(Debug)]
pub struct OrderCreated {
    _private: (),
}

/// A hosted-checkout order.
#[derive(Debug)]
pub struct Order<S> {
    order_id: OrderId,
    checkout_url: String,
    _state: S,
}

impl Order<OrderCreated> {
    /// The order id.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// The hosted payment page to send the customer to.
    pub fn checkout_url(&self) -> &str {
        &self.checkout_url
    }

    /// Looks the order up: the payment in whatever state it has reached.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn lookup(&self, client: &Client) -> Result<AnyPayment, Error> {
        AnyPayment::lookup(client, &self.order_id).await
    }
}

fn missing_url() -> Error {
    Error::Decode {
        reason: "the reply has no checkout_url".into(),
        excerpt: String::new(),
    }
}

/// Creates a hosted-checkout order.
///
/// # Errors
/// As [`Client::send`], and [`Error::Decode`] when the reply has no `checkout_url`.
pub async fn create_checkout(
    client: &Client,
    request: &CheckoutUrlRequest,
) -> Result<Order<OrderCreated>, Error> {
    let reply = client.send(request).await?;
    Ok(Order {
        order_id: request.order_id.clone(),
        checkout_url: reply.checkout_url.ok_or_else(missing_url)?,
        _state: OrderCreated { _private: () },
    })
}

/// A calendar subscription: its first payment happens on the hosted page, then Flitt charges
/// on its schedule. Stop and start it with [`Subscription::stop`] and [`Subscription::start`].
#[derive(Debug, Clone)]
pub struct Subscription {
    order_id: OrderId,
    checkout_url: Option<String>,
}

/// Creates a subscription (protocol 2.0, chosen by the spec).
///
/// # Errors
/// As [`Client::send`].
pub async fn subscribe(
    client: &Client,
    request: &CheckoutSubscriptionRequest,
) -> Result<Subscription, Error> {
    let reply = client.send(request).await?;
    Ok(Subscription {
        order_id: request.order_id.clone(),
        checkout_url: reply.checkout_url,
    })
}

impl Subscription {
    /// A handle to an existing subscription, by the order id that created it.
    pub fn existing(order_id: OrderId) -> Self {
        Self {
            order_id,
            checkout_url: None,
        }
    }

    /// The order id that created it.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// The hosted page for the first payment, when just created.
    pub fn checkout_url(&self) -> Option<&str> {
        self.checkout_url.as_deref()
    }

    async fn act(
        &self,
        client: &Client,
        action: SubscriptionAction,
    ) -> Result<SubscriptionResponse, Error> {
        let request = SubscriptionRequest::builder()
            .order_id(self.order_id.clone())
            .action(action)
            .build();
        client.send(&request).await
    }

    /// Stops the subscription.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn stop(&self, client: &Client) -> Result<SubscriptionResponse, Error> {
        self.act(client, SubscriptionAction::Stop).await
    }

    /// Starts it again.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn start(&self, client: &Client) -> Result<SubscriptionResponse, Error> {
        self.act(client, SubscriptionAction::Start).await
    }
}
