//! The in-memory ledger: orders with Flitt's statuses and transitions, holds, the single
//! capture, partial refunds with idempotent `reverse_id`, saved-card tokens, payouts,
//! settlements and subscriptions. Pure logic, no HTTP: every refusal is a Flitt response code.

use crate::cards::{self, TestCard};
use flitt::api::{OrderStatus, ResponseCode};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A refusal: a Flitt error code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusal {
    /// The code (1013, 1018, 1084, 1109, …).
    pub code: u32,
    /// The message.
    pub message: String,
}

impl Refusal {
    /// A refusal with a code of the spec's table (`response_codes.toml`): a code the spec
    /// renames or drops fails to compile here, not at run time.
    pub fn new(code: ResponseCode, message: impl Into<String>) -> Self {
        Self {
            code: code.code(),
            message: message.into(),
        }
    }
}

/// Flitt's order statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Waiting for payment details.
    Created,
    /// Being processed (here: waiting for 3-D Secure).
    Processing,
    /// Paid or held.
    Approved,
    /// Refused.
    Declined,
    /// Lifetime passed.
    Expired,
    /// Fully reversed.
    Reversed,
}

impl Status {
    /// Every status, for the tests.
    #[cfg(test)]
    pub(crate) const ALL: [Status; 6] = [
        Status::Created,
        Status::Processing,
        Status::Approved,
        Status::Declined,
        Status::Expired,
        Status::Reversed,
    ];

    /// The status as the SDK's generated `OrderStatus` (the spec's `order_status` enum): a
    /// status the spec renames or drops fails to compile here.
    pub fn order_status(self) -> OrderStatus {
        match self {
            Status::Created => OrderStatus::Created,
            Status::Processing => OrderStatus::Processing,
            Status::Approved => OrderStatus::Approved,
            Status::Declined => OrderStatus::Declined,
            Status::Expired => OrderStatus::Expired,
            Status::Reversed => OrderStatus::Reversed,
        }
    }

    /// The wire value, from the spec.
    pub fn as_str(self) -> &'static str {
        let wire = self.order_status();
        OrderStatus::KNOWN
            .iter()
            .copied()
            .find(|known| *known == wire.as_str())
            .unwrap_or_default()
    }
}

/// One transaction of an order (`transaction_list`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Transaction {
    /// Transaction id.
    pub id: u64,
    /// `purchase`, `reverse`, `p2p credit`, `settlement`, `verification`.
    pub tran_type: &'static str,
    /// Minor units.
    pub amount: u64,
    /// `approved` or `declined`.
    pub status: &'static str,
    /// The parent transaction for reversals.
    pub parent: Option<u64>,
}

/// A pending 3-D Secure authentication.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ThreeDs {
    /// The `MD` handed to the ACS.
    pub md: String,
    /// The `PaReq` handed to the ACS.
    pub pareq: String,
    /// The card being authenticated.
    pub card: TestCard,
}

/// An order in the ledger.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Order {
    /// Merchant order id.
    pub order_id: String,
    /// Merchant id.
    pub merchant_id: u64,
    /// Minor units.
    pub amount: u64,
    /// Currency.
    pub currency: String,
    /// Description.
    pub order_desc: String,
    /// Status.
    pub status: Status,
    /// `purchase`, `verification`, `p2p credit`, `settlement`.
    pub tran_type: &'static str,
    /// Hold only.
    pub preauth: bool,
    /// Whether a saved-card token was asked for.
    pub wants_token: bool,
    /// `hold` or `captured`, for approved holds.
    pub capture_status: Option<&'static str>,
    /// Captured amount, minor units.
    pub capture_amount: Option<u64>,
    /// Refunded so far, minor units.
    pub reversal_amount: u64,
    /// `reverse_id` → amount, for idempotent refunds.
    pub reverse_ids: BTreeMap<String, u64>,
    /// Flitt's payment id.
    pub payment_id: u64,
    /// The card used, when paid by card.
    pub card: Option<TestCard>,
    /// The token issued.
    pub rectoken: Option<String>,
    /// Decline code.
    pub response_code: Option<u32>,
    /// Decline text.
    pub response_description: String,
    /// Virtual time of creation, seconds.
    pub created_at: u64,
    /// Lifetime, seconds.
    pub lifetime: u64,
    /// Callback URL.
    pub server_callback_url: Option<String>,
    /// Created by a protocol 2.0 request: its server callbacks go as 2.0 envelopes.
    pub created_in_v2: bool,
    /// Browser return URL.
    pub response_url: Option<String>,
    /// Merchant data echoed back.
    pub merchant_data: String,
    /// Pending 3-D Secure.
    pub three_ds: Option<ThreeDs>,
    /// Transactions.
    pub transactions: Vec<Transaction>,
    /// The order this one settles or was charged from.
    pub parent_order_id: String,
    /// Subscription state, for subscription orders.
    pub subscription: Option<&'static str>,
    /// The charge schedule, for subscription orders.
    pub schedule: Option<Schedule>,
    /// Receiver IBAN for IBAN payouts.
    pub receiver_iban: Option<String>,
    /// The hosted checkout page token, once one was issued.
    pub checkout_token: Option<String>,
    /// Where the hosted page's cancel link goes, when the checkout request named one
    /// (`cancel_url`); else the page links to `response_url`.
    pub cancel_url: Option<String>,
    /// What happened to the order, oldest first: every change of status, capture, refund and
    /// subscription event, with its virtual time. At most [`MAX_HISTORY`] entries: past it the
    /// oldest after the creation are dropped (counted in `history_dropped`).
    pub history: Vec<Event>,
    /// How many history entries were dropped to keep the bound.
    pub history_dropped: u64,
    /// The receivers' shares when the payment is split (at creation, capture or settlement).
    pub splits: Vec<Share>,
    /// For a card verification: `verified` once approved, `failed` once declined.
    pub verification_status: Option<&'static str>,
}

/// Where a payout goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayoutTo<'a> {
    /// A card saved earlier (`receiver_rectoken`).
    Token(&'a str),
    /// A card number (`receiver_card_number`).
    Card(&'a str),
    /// A bank account (`receiver_iban`).
    Iban(&'a str),
    /// A token of another provider (`external_rectoken`), taken as given.
    External,
}

/// One receiver's share of a split payment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Share {
    /// The receiving merchant.
    pub merchant_id: u64,
    /// Its part, minor units.
    pub amount: u64,
    /// How much of it was refunded, minor units.
    pub refunded: u64,
}

/// The most history entries an order keeps (see [`Order::history`]).
pub const MAX_HISTORY: usize = 64;

/// What an entry of an order's history records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The order was created.
    Created,
    /// A 3-D Secure card was given: the order waits for the authentication.
    ThreeDsPending,
    /// The payment (or payout) was approved.
    Approved,
    /// The payment was approved as a hold (preauth), to be captured.
    Held,
    /// The payment was declined.
    Declined,
    /// The hold was captured.
    Captured,
    /// Part of the payment was refunded.
    Refunded,
    /// The rest of the payment was refunded or the hold voided: the order is reversed.
    Reversed,
    /// The order's lifetime passed before it was paid.
    Expired,
    /// The order became an active subscription, or a stopped one was started again.
    SubscriptionStarted,
    /// The subscription was stopped.
    SubscriptionStopped,
    /// The subscription charged the card (a new order, its `parent_order_id` this one).
    SubscriptionCharged,
}

impl EventKind {
    /// A short snake-case name (`created`, `3ds_pending`, `refunded`, …), as the control API
    /// and the dashboard show it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::ThreeDsPending => "3ds_pending",
            EventKind::Approved => "approved",
            EventKind::Held => "held",
            EventKind::Declined => "declined",
            EventKind::Captured => "captured",
            EventKind::Refunded => "refunded",
            EventKind::Reversed => "reversed",
            EventKind::Expired => "expired",
            EventKind::SubscriptionStarted => "subscription_started",
            EventKind::SubscriptionStopped => "subscription_stopped",
            EventKind::SubscriptionCharged => "subscription_charged",
        }
    }
}

/// One entry of an order's history.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// Virtual time, seconds since the sandbox started.
    pub at: u64,
    /// What happened.
    pub kind: EventKind,
    /// The order's status after it.
    pub status: Status,
    /// The amount it moved, minor units: the payment, the capture, the refund, the charge.
    pub amount: Option<u64>,
    /// The refund's `reverse_id`, when the request gave one.
    pub reverse_id: Option<String>,
}

impl Order {
    /// Appends to the history, within its bound.
    fn record(&mut self, at: u64, kind: EventKind, amount: Option<u64>, reverse_id: Option<&str>) {
        if self.history.len() >= MAX_HISTORY {
            // The creation stays first; the oldest after it goes.
            self.history.remove(1.min(self.history.len() - 1));
            self.history_dropped += 1;
        }
        self.history.push(Event {
            at,
            kind,
            status: self.status,
            amount,
            reverse_id: reverse_id.map(str::to_owned),
        });
    }

    /// The amount captured: the capture of a hold, or the whole amount of an approved (or
    /// since reversed) payment that was not a hold; 0 otherwise.
    pub fn captured(&self) -> u64 {
        match (self.preauth, self.capture_amount) {
            (true, Some(c)) => c,
            (true, None) => 0,
            (false, _) if matches!(self.status, Status::Approved | Status::Reversed) => self.amount,
            (false, _) => 0,
        }
    }
}

/// A subscription's charge schedule, in virtual seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Schedule {
    /// Amount of each charge, minor units.
    pub amount: u64,
    /// Seconds between charges (a month is 30 days here).
    pub every: u64,
    /// When the next charge is due.
    pub next_at: u64,
    /// Charges left, when limited by `quantity`.
    pub remaining: Option<u64>,
    /// Charges made so far.
    pub charged: u64,
}

/// An order's key: merchant id and order id.
type Key = (u64, String);

/// How many orders a ledger keeps by default (see [`Ledger::with_max_orders`]).
pub const DEFAULT_MAX_ORDERS: usize = 100_000;

/// The sandbox's ledger.
///
/// Its costs do not grow with its size: expiry is a queue keyed by expiry time (each request
/// expires only the orders that fell due), checkout tokens are a map, and the number of orders
/// is bounded (see [`Ledger::with_max_orders`]).
#[derive(Debug)]
pub struct Ledger {
    orders: BTreeMap<Key, Order>,
    tokens: BTreeMap<String, TestCard>,
    next_id: u64,
    /// `(created_at + lifetime, key)` of every order, for expiry in O(due).
    expiry: std::collections::BTreeSet<(u64, Key)>,
    /// Orders by age (`payment_id` grows with each new order), for eviction.
    by_age: BTreeMap<u64, Key>,
    /// Hosted checkout page tokens.
    checkout_tokens: std::collections::HashMap<String, Key>,
    /// Pending 3-D Secure authentications by `MD`, for the ACS page.
    by_md: std::collections::HashMap<String, Key>,
    max_orders: usize,
    /// The latest virtual time the ledger was given (each request expires due orders first,
    /// with its time): the time of the history entries of calls that take no time.
    now: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        Self::with_max_orders(DEFAULT_MAX_ORDERS)
    }
}

/// What a new order is. Build it with `..NewOrder::default()` after the fields you give:
/// fields may be added.
#[derive(Clone, Debug, Default)]
pub struct NewOrder {
    /// Merchant order id.
    pub order_id: String,
    /// Merchant id.
    pub merchant_id: u64,
    /// Minor units.
    pub amount: u64,
    /// Currency.
    pub currency: String,
    /// Description.
    pub order_desc: String,
    /// Hold only.
    pub preauth: bool,
    /// Ask for a token.
    pub wants_token: bool,
    /// Lifetime, seconds (default 36000).
    pub lifetime: Option<u64>,
    /// Callback URL.
    pub server_callback_url: Option<String>,
    /// Created by a protocol 2.0 request: its server callbacks go as 2.0 envelopes (see
    /// [`Callback::body`](crate::Callback::body)).
    pub created_in_v2: bool,
    /// Browser return URL.
    pub response_url: Option<String>,
    /// Merchant data.
    pub merchant_data: String,
    /// Transaction type.
    pub tran_type: Option<&'static str>,
}

impl Ledger {
    /// An empty ledger that keeps at most `max_orders` orders (at least 1).
    ///
    /// When a new order takes the count past the bound, orders are evicted, oldest first, down
    /// to the bound less a sixteenth (so the search for them runs once per many orders, not on
    /// every one): first *finished* orders — declined, expired, reversed, and approved ones
    /// that are not an active subscription — then, only if too few are finished, the oldest
    /// orders whatever their state. An evicted order is gone: a lookup, capture or refund of
    /// it is answered 1018 (order not found), and its checkout page no longer opens. Saved-card
    /// tokens stay.
    pub fn with_max_orders(max_orders: usize) -> Self {
        Self {
            orders: BTreeMap::new(),
            tokens: BTreeMap::new(),
            next_id: 0,
            expiry: std::collections::BTreeSet::new(),
            by_age: BTreeMap::new(),
            checkout_tokens: std::collections::HashMap::new(),
            by_md: std::collections::HashMap::new(),
            max_orders: max_orders.max(1),
            now: 0,
        }
    }

    /// Forgets every order, saved-card token and checkout token, and goes back to time 0.
    /// Payment ids keep counting up, so none given out before is given out again.
    pub fn clear(&mut self) {
        self.orders.clear();
        self.tokens.clear();
        self.expiry.clear();
        self.by_age.clear();
        self.checkout_tokens.clear();
        self.by_md.clear();
        self.now = 0;
    }

    /// The newest orders first, at most `limit`.
    pub fn newest(&self, limit: usize) -> impl Iterator<Item = &Order> {
        self.by_age
            .values()
            .rev()
            .filter_map(|key| self.orders.get(key))
            .take(limit)
    }

    /// The order whose 3-D Secure authentication with this `MD` is pending.
    pub fn by_md(&self, md: &str) -> Option<&Order> {
        self.by_md
            .get(md)
            .and_then(|key| self.orders.get(key))
            .filter(|o| o.three_ds.as_ref().is_some_and(|p| p.md == md))
    }

    /// Sets where the hosted page's cancel link goes (see [`Order::cancel_url`]).
    ///
    /// # Errors
    /// 1018 when the order does not exist.
    pub fn set_cancel_url(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        url: &str,
    ) -> Result<(), Refusal> {
        self.get_mut(merchant_id, order_id)?.cancel_url = Some(url.to_owned());
        Ok(())
    }

    /// The bound on the number of orders.
    pub fn max_orders(&self) -> usize {
        self.max_orders
    }

    /// How many orders the ledger holds.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// Whether the ledger holds no order.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// Whether an order may be evicted before others: nothing more will happen to it on its
    /// own (no payment pending, no subscription charging).
    fn finished(o: &Order) -> bool {
        match o.status {
            Status::Created | Status::Processing => false,
            Status::Approved => o.subscription != Some("active"),
            Status::Declined | Status::Expired | Status::Reversed => true,
        }
    }

    /// Evicts orders while the ledger is past its bound (see [`Ledger::with_max_orders`]).
    fn evict(&mut self, keep: Option<&Key>) {
        if self.orders.len() <= self.max_orders {
            return;
        }
        let target = self.max_orders - self.max_orders / 16;
        let excess = self.orders.len() - target;
        let mut doomed: Vec<(u64, Key)> = Vec::with_capacity(excess);
        for (age, key) in &self.by_age {
            if doomed.len() == excess {
                break;
            }
            if Some(key) != keep && self.orders.get(key).is_some_and(Self::finished) {
                doomed.push((*age, key.clone()));
            }
        }
        if doomed.len() < excess {
            let chosen: std::collections::BTreeSet<u64> = doomed.iter().map(|(a, _)| *a).collect();
            let more: Vec<(u64, Key)> = self
                .by_age
                .iter()
                .filter(|(age, key)| !chosen.contains(age) && Some(*key) != keep)
                .take(excess - doomed.len())
                .map(|(a, k)| (*a, k.clone()))
                .collect();
            doomed.extend(more);
        }
        for (age, key) in doomed {
            self.by_age.remove(&age);
            if let Some(o) = self.orders.remove(&key) {
                self.expiry
                    .remove(&(o.created_at.saturating_add(o.lifetime), key));
                if let Some(t) = &o.checkout_token {
                    self.checkout_tokens.remove(t);
                }
                if let Some(p) = &o.three_ds {
                    self.by_md.remove(&p.md);
                }
            }
        }
    }

    /// Gives an order a hosted checkout page token: 128 random bits, hex. Returns it.
    ///
    /// # Errors
    /// 1018 when the order does not exist.
    pub fn issue_checkout_token(
        &mut self,
        merchant_id: u64,
        order_id: &str,
    ) -> Result<String, Refusal> {
        let key = (merchant_id, order_id.to_owned());
        let order = self
            .orders
            .get_mut(&key)
            .ok_or_else(|| Refusal::new(ResponseCode::OrderNotFound, "Order not found"))?;
        if let Some(t) = &order.checkout_token {
            return Ok(t.clone());
        }
        let mut rng = fastrand::Rng::new();
        let token = loop {
            let t = format!("{:032x}", rng.u128(..));
            if !self.checkout_tokens.contains_key(&t) {
                break t;
            }
        };
        order.checkout_token = Some(token.clone());
        self.checkout_tokens.insert(token.clone(), key);
        Ok(token)
    }

    /// The order a hosted checkout page token opens: exact match only.
    pub fn by_checkout_token(&self, token: &str) -> Option<&Order> {
        self.checkout_tokens
            .get(token)
            .and_then(|key| self.orders.get(key))
    }

    fn next(&mut self) -> u64 {
        self.next_id += 1;
        800_000_000 + self.next_id
    }

    /// Every order, for inspection.
    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values()
    }

    /// An order.
    ///
    /// # Errors
    /// 1018 when it does not exist.
    pub fn get(&self, merchant_id: u64, order_id: &str) -> Result<&Order, Refusal> {
        self.orders
            .get(&(merchant_id, order_id.to_owned()))
            .ok_or_else(|| Refusal::new(ResponseCode::OrderNotFound, "Order not found"))
    }

    fn get_mut(&mut self, merchant_id: u64, order_id: &str) -> Result<&mut Order, Refusal> {
        self.orders
            .get_mut(&(merchant_id, order_id.to_owned()))
            .ok_or_else(|| Refusal::new(ResponseCode::OrderNotFound, "Order not found"))
    }

    /// An order and the token vault, borrowed apart.
    fn order_and_tokens(
        &mut self,
        merchant_id: u64,
        order_id: &str,
    ) -> Result<(&mut Order, &mut BTreeMap<String, TestCard>), Refusal> {
        let order = self
            .orders
            .get_mut(&(merchant_id, order_id.to_owned()))
            .ok_or_else(|| Refusal::new(ResponseCode::OrderNotFound, "Order not found"))?;
        Ok((order, &mut self.tokens))
    }

    /// Creates an order.
    ///
    /// # Errors
    /// 1013 for a duplicate order id.
    pub fn create(&mut self, new: NewOrder, now: u64) -> Result<&mut Order, Refusal> {
        let key = (new.merchant_id, new.order_id.clone());
        if self.orders.contains_key(&key) {
            return Err(Refusal::new(
                ResponseCode::DuplicateOrder,
                format!("Duplicate order_id for this merchant: {}", new.order_id),
            ));
        }
        let payment_id = self.next();
        let order = Order {
            order_id: new.order_id,
            merchant_id: new.merchant_id,
            amount: new.amount,
            currency: new.currency,
            order_desc: new.order_desc,
            status: Status::Created,
            tran_type: new.tran_type.unwrap_or("purchase"),
            preauth: new.preauth,
            wants_token: new.wants_token,
            capture_status: None,
            capture_amount: None,
            reversal_amount: 0,
            reverse_ids: BTreeMap::new(),
            payment_id,
            card: None,
            rectoken: None,
            response_code: None,
            response_description: String::new(),
            created_at: now,
            lifetime: new.lifetime.unwrap_or(36_000),
            server_callback_url: new.server_callback_url,
            created_in_v2: new.created_in_v2,
            response_url: new.response_url,
            merchant_data: new.merchant_data,
            three_ds: None,
            transactions: Vec::new(),
            parent_order_id: String::new(),
            subscription: None,
            schedule: None,
            receiver_iban: None,
            checkout_token: None,
            cancel_url: None,
            history: Vec::new(),
            history_dropped: 0,
            splits: Vec::new(),
            verification_status: None,
        };
        self.now = self.now.max(now);
        let mut order = order;
        order.record(now, EventKind::Created, Some(order.amount), None);
        self.expiry
            .insert((order.created_at.saturating_add(order.lifetime), key.clone()));
        self.by_age.insert(payment_id, key.clone());
        self.orders.insert(key.clone(), order);
        self.evict(Some(&key));
        self.orders
            .get_mut(&key)
            .ok_or_else(|| Refusal::new(ResponseCode::OrderNotFound, "Order not found"))
    }

    /// Expires orders whose lifetime passed while unpaid. Costs O(log n) per order whose
    /// expiry time came, whatever the ledger's size: paid orders leave the queue when their
    /// time comes, without a change.
    pub fn expire(&mut self, now: u64) -> Vec<(u64, String)> {
        self.now = self.now.max(now);
        let mut expired = Vec::new();
        while let Some((at, _)) = self.expiry.first() {
            if *at > now {
                break;
            }
            let Some((at, key)) = self.expiry.pop_first() else {
                break;
            };
            let Some(o) = self.orders.get_mut(&key) else {
                continue;
            };
            if matches!(o.status, Status::Created | Status::Processing)
                && o.created_at.saturating_add(o.lifetime) == at
            {
                o.status = Status::Expired;
                if let Some(p) = o.three_ds.take() {
                    self.by_md.remove(&p.md);
                }
                o.record(at, EventKind::Expired, None, None);
                expired.push(key);
            }
        }
        expired
    }

    /// Pays an order with a card. A 3-D Secure card leaves it `processing` with a pending
    /// authentication; others approve or decline at once.
    ///
    /// # Errors
    /// 1015 for a card that is not a test card; 1019 when the order is not payable; 1052 when
    /// it expired.
    pub fn pay_with_card(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        card_number: &str,
    ) -> Result<&Order, Refusal> {
        self.pay_with_test_card(merchant_id, order_id, card_number, false)
    }

    /// Pays an order with a test card whose holder is already authenticated (a wallet token
    /// with its cryptogram, or a merchant-initiated repeat by scheme id): the card's outcome,
    /// without the 3-D Secure step.
    ///
    /// # Errors
    /// As [`Ledger::pay_with_card`].
    pub fn pay_authenticated(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        card_number: &str,
    ) -> Result<&Order, Refusal> {
        self.pay_with_test_card(merchant_id, order_id, card_number, true)
    }

    fn pay_with_test_card(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        card_number: &str,
        authenticated: bool,
    ) -> Result<&Order, Refusal> {
        let card = cards::lookup(card_number).ok_or_else(|| {
            Refusal::new(
                ResponseCode::InvalidCardNumber,
                "Invalid card number: use a test card",
            )
        })?;
        let md_seed = self.next();
        let now = self.now;
        let order = self.get_mut(merchant_id, order_id)?;
        match order.status {
            Status::Created | Status::Processing => {}
            Status::Expired => {
                return Err(Refusal::new(
                    ResponseCode::OrderHasExpired,
                    "Order has expired",
                ));
            }
            _ => {
                return Err(Refusal::new(
                    ResponseCode::OrderAlreadyHasBeenCompleted,
                    "Order already has been completed",
                ));
            }
        }
        if card.three_ds && !authenticated {
            let md = format!("md{md_seed}");
            order.card = Some(card);
            order.status = Status::Processing;
            let replaced = order.three_ds.replace(ThreeDs {
                md: md.clone(),
                pareq: format!("pareq-{}-{md_seed}", order.payment_id),
                card,
            });
            order.record(now, EventKind::ThreeDsPending, Some(order.amount), None);
            if let Some(old) = replaced {
                self.by_md.remove(&old.md);
            }
            self.by_md.insert(md, (merchant_id, order_id.to_owned()));
            return self.get(merchant_id, order_id);
        }
        let (order, tokens) = self.order_and_tokens(merchant_id, order_id)?;
        order.card = Some(card);
        Ok(Self::settle_card(order, card, tokens, md_seed, now))
    }

    /// Completes 3-D Secure with what the ACS posted back.
    ///
    /// # Errors
    /// 1018 for an unknown order, 1024 when no authentication is pending or the `MD` or
    /// `PaRes` do not match.
    pub fn complete_three_ds(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        md: &str,
        pares: &str,
    ) -> Result<&Order, Refusal> {
        let seed = self.next();
        let order = self.get_mut(merchant_id, order_id)?;
        let Some(pending) = order.three_ds.clone() else {
            return Err(Refusal::new(
                ResponseCode::ThreeDsAuthenticationFailed,
                "3DSecure authentication failed: nothing pending",
            ));
        };
        if pending.md != md || pares != expected_pares(&pending) {
            return Err(Refusal::new(
                ResponseCode::ThreeDsAuthenticationFailed,
                "3DSecure authentication failed",
            ));
        }
        order.three_ds = None;
        let now = self.now;
        self.by_md.remove(md);
        let (order, tokens) = self.order_and_tokens(merchant_id, order_id)?;
        Ok(Self::settle_card(order, pending.card, tokens, seed, now))
    }

    fn settle_card<'a>(
        order: &'a mut Order,
        card: TestCard,
        tokens: &mut BTreeMap<String, TestCard>,
        seed: u64,
        at: u64,
    ) -> &'a Order {
        let tran = Transaction {
            id: seed,
            tran_type: order.tran_type,
            amount: order.amount,
            status: if card.approves {
                "approved"
            } else {
                "declined"
            },
            parent: None,
        };
        order.transactions.push(tran);
        let amount = Some(order.amount);
        if card.approves {
            order.status = Status::Approved;
            order.capture_status = order.preauth.then_some("hold");
            if order.wants_token {
                let token = format!("{:040x}", u128::from(seed) * 0x9E37_79B9_7F4A_7C15);
                tokens.insert(token.clone(), card);
                order.rectoken = Some(token);
            }
            let kind = if order.preauth {
                EventKind::Held
            } else {
                EventKind::Approved
            };
            order.record(at, kind, amount, None);
            if order.tran_type == "verification" {
                // A verification is reversed at once once approved (the docs: "automatically
                // reversed after successful approval"); a zero amount holds nothing to reverse.
                order.verification_status = Some("verified");
                if order.amount > 0 {
                    order.transactions.push(Transaction {
                        id: seed.wrapping_add(1),
                        tran_type: "reverse",
                        amount: order.amount,
                        status: "approved",
                        parent: Some(seed),
                    });
                    order.reversal_amount = order.amount;
                    order.status = Status::Reversed;
                    order.capture_status = None;
                    order.record(at, EventKind::Reversed, amount, None);
                }
            }
        } else {
            order.status = Status::Declined;
            order.response_code = Some(1000);
            order.response_description = "General decline".into();
            if order.tran_type == "verification" {
                order.verification_status = Some("failed");
            }
            order.record(at, EventKind::Declined, amount, None);
        }
        order
    }

    /// A recurring charge by token: a new order, approved or declined by the token's card.
    ///
    /// # Errors
    /// 1035 for an unknown token; 1013 for a duplicate order id.
    pub fn charge_token(
        &mut self,
        new: NewOrder,
        rectoken: &str,
        now: u64,
    ) -> Result<&Order, Refusal> {
        let card = *self
            .tokens
            .get(rectoken)
            .ok_or_else(|| Refusal::new(ResponseCode::TokenNotFound, "Token not found"))?;
        let seed = self.next();
        let order = self.create(new, now)?;
        order.card = Some(card);
        let mut no_tokens = BTreeMap::new();
        Ok(Self::settle_card(order, card, &mut no_tokens, seed, now))
    }

    /// Captures a hold. Exactly one capture: the same amount again is answered as before; a
    /// different amount is 1109.
    ///
    /// # Errors
    /// 1018, 1027 (not a hold), 1109, 1023 (more than held), 1012 (another currency).
    pub fn capture(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        amount: u64,
        currency: &str,
    ) -> Result<&Order, Refusal> {
        let seed = self.next();
        let now = self.now;
        let order = self.get_mut(merchant_id, order_id)?;
        if order.currency != currency {
            return Err(Refusal::new(
                ResponseCode::CurrencyNotAvailable,
                format!("Currency {currency} not available"),
            ));
        }
        if order.status != Status::Approved || !order.preauth {
            return Err(Refusal::new(
                ResponseCode::PreauthNotAllowed,
                "Preauth not allowed: the order is not a hold",
            ));
        }
        if let Some(captured) = order.capture_amount {
            return if captured == amount {
                Ok(order)
            } else {
                Err(Refusal::new(
                    ResponseCode::OrderAlreadyCapturedWithDifferentAmount,
                    "Order already captured with different amount",
                ))
            };
        }
        if amount == 0 || amount > order.amount {
            return Err(Refusal::new(ResponseCode::InvalidAmount, "Invalid amount"));
        }
        order.capture_status = Some("captured");
        order.capture_amount = Some(amount);
        order.transactions.push(Transaction {
            id: seed,
            tran_type: "capture",
            amount,
            status: "approved",
            parent: order.transactions.first().map(|t| t.id),
        });
        order.record(now, EventKind::Captured, Some(amount), None);
        Ok(order)
    }

    /// Reverses (refunds or voids). A `reverse_id` seen before is answered as before and
    /// refunds nothing more.
    ///
    /// # Errors
    /// 1018; 1084 for a partial reverse of an uncaptured hold; 1023 for more than remains or a
    /// `reverse_id` reused with another amount; 1019 when nothing can be reversed.
    pub fn reverse(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        amount: u64,
        currency: &str,
        reverse_id: Option<&str>,
    ) -> Result<(&Order, u64), Refusal> {
        let seed = self.next();
        let now = self.now;
        let order = self.get_mut(merchant_id, order_id)?;
        if let Some(id) = reverse_id {
            if let Some(&done) = order.reverse_ids.get(id) {
                return if done == amount {
                    Ok((order, done))
                } else {
                    Err(Refusal::new(
                        ResponseCode::InvalidAmount,
                        "Invalid amount: reverse_id already used with another amount",
                    ))
                };
            }
        }
        if order.currency != currency {
            return Err(Refusal::new(
                ResponseCode::CurrencyNotAvailable,
                format!("Currency {currency} not available"),
            ));
        }
        if order.status != Status::Approved {
            return Err(Refusal::new(
                ResponseCode::OrderAlreadyHasBeenCompleted,
                "Order already has been completed or is not paid",
            ));
        }
        let base = if order.preauth {
            match order.capture_amount {
                Some(c) => c,
                None => {
                    if amount != order.amount {
                        return Err(Refusal::new(
                            ResponseCode::OnlyFullRefundAllowed,
                            "Only full refund allowed",
                        ));
                    }
                    order.amount
                }
            }
        } else {
            order.amount
        };
        let remaining = base.saturating_sub(order.reversal_amount);
        if amount == 0 || amount > remaining {
            return Err(Refusal::new(ResponseCode::InvalidAmount, "Invalid amount"));
        }
        order.reversal_amount += amount;
        if order.reversal_amount == base {
            order.status = Status::Reversed;
        }
        if let Some(id) = reverse_id {
            order.reverse_ids.insert(id.to_owned(), amount);
        }
        order.transactions.push(Transaction {
            id: seed,
            tran_type: "reverse",
            amount,
            status: "approved",
            parent: order.transactions.first().map(|t| t.id),
        });
        let kind = if order.status == Status::Reversed {
            EventKind::Reversed
        } else {
            EventKind::Refunded
        };
        order.record(now, kind, Some(amount), reverse_id);
        Ok((order, amount))
    }

    /// A payout (card, saved card or IBAN): a new order of type `p2p credit`, approved or
    /// declined as the receiving test card says (a saved card by the card it saves); an IBAN
    /// is approved when valid, and the documented test IBANs (docs.flitt.com/api/testing, as
    /// the PHP SDK's tests quote them) end as documented: `GE00TB0000000000000001` approved,
    /// `…0002` declined, `…0003` processing, though two of them fail the checksum.
    ///
    /// # Errors
    /// 1013, 1015 (a card that is not a test card), 1035 (unknown receiver token), 1076 (an
    /// invalid IBAN: unknown country, wrong length or check digits).
    pub fn payout(
        &mut self,
        mut new: NewOrder,
        to: PayoutTo<'_>,
        now: u64,
    ) -> Result<&Order, Refusal> {
        let status = match to {
            PayoutTo::Token(token) => {
                let card = self
                    .tokens
                    .get(token)
                    .ok_or_else(|| Refusal::new(ResponseCode::TokenNotFound, "Token not found"))?;
                if card.approves {
                    Status::Approved
                } else {
                    Status::Declined
                }
            }
            PayoutTo::Card(number) => {
                let card = cards::lookup(number).ok_or_else(|| {
                    Refusal::new(
                        ResponseCode::InvalidCardNumber,
                        "Invalid card number: use a test card",
                    )
                })?;
                if card.approves {
                    Status::Approved
                } else {
                    Status::Declined
                }
            }
            PayoutTo::Iban(iban) => match iban {
                "GE00TB0000000000000001" => Status::Approved,
                "GE00TB0000000000000002" => Status::Declined,
                "GE00TB0000000000000003" => Status::Processing,
                _ if crate::iban::is_valid(iban) => Status::Approved,
                _ => return Err(Refusal::new(ResponseCode::InvalidIban, "Invalid IBAN")),
            },
            PayoutTo::External => Status::Approved,
        };
        new.tran_type = Some("p2p credit");
        let seed = self.next();
        let order = self.create(new, now)?;
        order.status = status;
        if let PayoutTo::Iban(iban) = to {
            order.receiver_iban = Some(iban.to_owned());
        }
        let (tran_status, kind) = match status {
            Status::Approved => ("approved", EventKind::Approved),
            Status::Declined => {
                order.response_code = Some(1000);
                order.response_description = "General decline".into();
                ("declined", EventKind::Declined)
            }
            _ => ("processing", EventKind::Created),
        };
        order.transactions.push(Transaction {
            id: seed,
            tran_type: "p2p credit",
            amount: order.amount,
            status: tran_status,
            parent: None,
        });
        if status != Status::Processing {
            order.record(now, kind, Some(order.amount), None);
        }
        Ok(order)
    }

    /// Records how a payment is split between receivers (`(merchant_id, amount)` each).
    ///
    /// # Errors
    /// 1018 for an unknown order.
    pub fn set_splits(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        parts: &[(u64, u64)],
    ) -> Result<&Order, Refusal> {
        let order = self.get_mut(merchant_id, order_id)?;
        order.splits = parts
            .iter()
            .map(|&(merchant_id, amount)| Share {
                merchant_id,
                amount,
                refunded: 0,
            })
            .collect();
        Ok(order)
    }

    /// Refunds a split payment receiver by receiver: each part comes back from its receiver's
    /// share, and no receiver gives back more than remains of it. A `reverse_id` already
    /// applied is answered as before, and the shares stay as they are.
    ///
    /// # Errors
    /// 1018; 1106 when the payment is not split; 1023 when a receiver has no share or not
    /// enough of it left; then every refusal of [`Ledger::reverse`].
    pub fn reverse_split(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        currency: &str,
        reverse_id: Option<&str>,
        parts: &[(u64, u64)],
    ) -> Result<(&Order, u64), Refusal> {
        let order = self.get(merchant_id, order_id)?;
        let repeat = reverse_id.is_some_and(|id| order.reverse_ids.contains_key(id));
        if !repeat {
            if order.splits.is_empty() {
                return Err(Refusal::new(
                    ResponseCode::SplitNotAllowed,
                    "Split error. The payment is not split",
                ));
            }
            let mut left: BTreeMap<u64, u64> = BTreeMap::new();
            for share in &order.splits {
                *left.entry(share.merchant_id).or_default() +=
                    share.amount.saturating_sub(share.refunded);
            }
            for &(receiver, amount) in parts {
                let remaining = left.entry(receiver).or_default();
                if amount == 0 || amount > *remaining {
                    return Err(Refusal::new(
                        ResponseCode::InvalidAmount,
                        format!("Invalid amount: receiver {receiver} has {remaining} left"),
                    ));
                }
                *remaining -= amount;
            }
        }
        let total = parts.iter().map(|&(_, a)| a).sum();
        let (_, reversed) = self.reverse(merchant_id, order_id, total, currency, reverse_id)?;
        let order = self.get_mut(merchant_id, order_id)?;
        if !repeat {
            for &(receiver, mut amount) in parts {
                for share in order
                    .splits
                    .iter_mut()
                    .filter(|s| s.merchant_id == receiver)
                {
                    let take = amount.min(share.amount.saturating_sub(share.refunded));
                    share.refunded += take;
                    amount -= take;
                }
            }
        }
        Ok((order, reversed))
    }

    /// A settlement (split) of an approved order between receivers (`(merchant_id, amount)`
    /// each); the shares are recorded on the original payment and the settlement, so a split
    /// refund of the original takes each part back from its receiver.
    ///
    /// # Errors
    /// 1018 (no such original), 1114 (a hold not captured yet), 1120 (the amount is not what
    /// was paid or captured), 1013.
    pub fn settle(
        &mut self,
        new: NewOrder,
        operation_id: &str,
        parts: &[(u64, u64)],
        now: u64,
    ) -> Result<&Order, Refusal> {
        let original = self.get(new.merchant_id, operation_id)?;
        if original.preauth && original.capture_amount.is_none() {
            return Err(Refusal::new(
                ResponseCode::SettlementNotAllowedUntilCaptured,
                "Settlement not allowed until captured",
            ));
        }
        if original.status != Status::Approved {
            return Err(Refusal::new(
                ResponseCode::OrderAlreadyHasBeenCompleted,
                "Order already has been completed or is not paid",
            ));
        }
        if new.amount != original.captured() {
            return Err(Refusal::new(
                ResponseCode::SplitAmountMismatch,
                "Splitting amount does not correspond to purchase or capture amount",
            ));
        }
        let merchant_id = new.merchant_id;
        let mut new = new;
        new.tran_type = Some("settlement");
        let settlement_id = new.order_id.clone();
        let order = self.create(new, now)?;
        order.parent_order_id = operation_id.to_owned();
        self.set_splits(merchant_id, operation_id, parts)?;
        self.set_splits(merchant_id, &settlement_id, parts)
    }

    /// The shortest time between a subscription's charges: a day, the shortest period the
    /// spec allows (`every` at least 1 of `day`).
    pub const MIN_CHARGE_INTERVAL: u64 = 86_400;

    /// Marks an order as a subscription (`active`). A schedule shorter than
    /// [`Ledger::MIN_CHARGE_INTERVAL`] (an `every` of 0, which the spec refuses) charges daily:
    /// one step of the clock must not charge once a second.
    ///
    /// # Errors
    /// 1018.
    pub fn make_subscription(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        mut schedule: Schedule,
    ) -> Result<(), Refusal> {
        schedule.every = schedule.every.max(Self::MIN_CHARGE_INTERVAL);
        let now = self.now;
        let order = self.get_mut(merchant_id, order_id)?;
        order.subscription = Some("active");
        order.schedule = Some(schedule);
        order.record(now, EventKind::SubscriptionStarted, None, None);
        Ok(())
    }

    /// Charges every active, paid subscription whose next charge is due: a new approved order
    /// per charge on the subscription's card, with `parent_order_id` set. Returns the new
    /// orders' keys.
    pub fn charge_due_subscriptions(&mut self, now: u64) -> Vec<(u64, String)> {
        let mut due = Vec::new();
        for (key, o) in &mut self.orders {
            let (Some(schedule), Some(card)) = (o.schedule.as_mut(), o.card) else {
                continue;
            };
            if o.subscription != Some("active") || o.status != Status::Approved {
                continue;
            }
            while schedule.next_at <= now && schedule.remaining != Some(0) {
                schedule.charged += 1;
                schedule.remaining = schedule.remaining.map(|r| r - 1);
                due.push((
                    key.clone(),
                    card,
                    schedule.amount,
                    schedule.charged,
                    schedule.next_at,
                ));
                schedule.next_at += schedule.every.max(1);
            }
        }
        let mut created = Vec::new();
        for ((merchant_id, parent), card, amount, n, at) in due {
            let Ok(parent_order) = self.get(merchant_id, &parent) else {
                continue;
            };
            let new = NewOrder {
                order_id: format!("{parent}_{n}"),
                merchant_id,
                amount,
                currency: parent_order.currency.clone(),
                order_desc: parent_order.order_desc.clone(),
                server_callback_url: parent_order.server_callback_url.clone(),
                created_in_v2: parent_order.created_in_v2,
                ..NewOrder::default()
            };
            let seed = self.next();
            if let Ok(order) = self.create(new, at) {
                order.parent_order_id = parent.clone();
                order.card = Some(card);
                let mut none = BTreeMap::new();
                Self::settle_card(order, card, &mut none, seed, at);
                created.push((merchant_id, order.order_id.clone()));
                if let Ok(parent) = self.get_mut(merchant_id, &parent) {
                    parent.record(at, EventKind::SubscriptionCharged, Some(amount), None);
                }
            }
        }
        created
    }

    /// Stops or starts a subscription.
    ///
    /// # Errors
    /// 1018 for an unknown order or one that is not a subscription.
    pub fn subscription_action(
        &mut self,
        merchant_id: u64,
        order_id: &str,
        action: &str,
    ) -> Result<&Order, Refusal> {
        let now = self.now;
        let order = self.get_mut(merchant_id, order_id)?;
        if order.subscription.is_none() {
            return Err(Refusal::new(
                ResponseCode::OrderNotFound,
                "Order not found: not a subscription",
            ));
        }
        let (state, kind) = if action == "stop" {
            ("disabled", EventKind::SubscriptionStopped)
        } else {
            ("active", EventKind::SubscriptionStarted)
        };
        if order.subscription != Some(state) {
            order.subscription = Some(state);
            order.record(now, kind, None, None);
        }
        Ok(order)
    }
}

/// The `PaRes` the sandbox's ACS produces for a pending authentication.
pub fn expected_pares(pending: &ThreeDs) -> String {
    format!("pares-for-{}", pending.md)
}

/// One value of an order's reply fields, as the gateway sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// Sent as a JSON string.
    Text(Cow<'static, str>),
    /// Sent as a JSON number.
    Number(u64),
}

impl Field {
    fn text(s: impl Into<Cow<'static, str>>) -> Self {
        Self::Text(s.into())
    }

    /// The JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Text(s) => Value::String(s.to_string()),
            Self::Number(n) => Value::from(*n),
        }
    }
}

/// How many fields an order's reply has.
const ORDER_FIELDS: usize = 35;

/// The order as Flitt reports it (status lookups, payments, callbacks), keys in ascending
/// byte order (the order a `Map` keeps them in, and signatures sort them in). Owns its values,
/// so a reply can be written after the ledger's lock is let go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderFields([(&'static str, Field); ORDER_FIELDS]);

impl OrderFields {
    /// The fields of `o`, looked up at `order_time` (`DD.MM.YYYY hh:mm:ss`).
    pub fn of(o: &Order, order_time: String) -> Self {
        let paid = matches!(o.status, Status::Approved | Status::Reversed);
        let card = o.card;
        let empty = || Field::text("");
        let number_text = |n: u64| Field::text(n.to_string());
        let (actual_amount, actual_currency) = if paid {
            (number_text(o.amount), Field::text(o.currency.clone()))
        } else {
            (empty(), empty())
        };
        Self([
            ("actual_amount", actual_amount),
            ("actual_currency", actual_currency),
            ("additional_info", Field::text(additional_info(o))),
            ("amount", number_text(o.amount)),
            (
                "approval_code",
                if paid {
                    Field::text(format!("{:06}", o.payment_id % 1_000_000))
                } else {
                    empty()
                },
            ),
            (
                "card_bin",
                card.map_or_else(empty, |c| {
                    Field::Number(c.number[..6].parse::<u64>().unwrap_or(0))
                }),
            ),
            ("card_type", Field::text(card.map_or("", |c| c.brand))),
            ("currency", Field::text(o.currency.clone())),
            ("eci", Field::text(eci(card))),
            ("fee", empty()),
            (
                "masked_card",
                card.map_or_else(empty, |c| Field::text(cards::mask(c.number))),
            ),
            ("merchant_data", Field::text(o.merchant_data.clone())),
            ("merchant_id", Field::Number(o.merchant_id)),
            ("order_id", Field::text(o.order_id.clone())),
            ("order_status", Field::text(o.status.as_str())),
            ("order_time", Field::text(order_time)),
            ("parent_order_id", Field::text(o.parent_order_id.clone())),
            ("payment_id", Field::Number(o.payment_id)),
            ("payment_system", Field::text("card")),
            ("product_id", empty()),
            (
                "rectoken",
                Field::text(o.rectoken.clone().unwrap_or_default()),
            ),
            ("rectoken_lifetime", empty()),
            (
                "response_code",
                o.response_code
                    .map_or_else(empty, |c| Field::Number(u64::from(c))),
            ),
            (
                "response_description",
                Field::text(o.response_description.clone()),
            ),
            ("response_status", Field::text("success")),
            ("reversal_amount", number_text(o.reversal_amount)),
            (
                "rrn",
                if o.status == Status::Approved {
                    number_text(o.payment_id % 1_000_000_000_000)
                } else {
                    empty()
                },
            ),
            ("sender_account", empty()),
            ("sender_cell_phone", empty()),
            ("sender_email", empty()),
            ("settlement_amount", Field::text("0")),
            ("settlement_currency", empty()),
            ("settlement_date", empty()),
            ("tran_type", Field::text(o.tran_type)),
            (
                "verification_status",
                Field::text(o.verification_status.unwrap_or("")),
            ),
        ])
    }

    /// The fields in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Field)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.0
            .binary_search_by(|(k, _)| (*k).cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// The fields as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_value()))
            .collect()
    }
}

/// The 3-D Secure ECI: `5` authenticated, `7` not, empty without a card.
fn eci(card: Option<TestCard>) -> &'static str {
    match card {
        Some(c) if c.three_ds => "5",
        Some(_) => "7",
        None => "",
    }
}

/// `additional_info`: Python-style JSON text (see [`python_json`]), as Flitt sends it and
/// signs it, written directly (keys in ascending order).
fn additional_info(o: &Order) -> String {
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    python_entry(
        &mut out,
        "capture_amount",
        &o.capture_amount.map(|c| c as f64 / 100.0),
    );
    python_entry(&mut out, "capture_status", &o.capture_status);
    python_entry(&mut out, "card_type", &o.card.map(|c| c.brand));
    python_entry(&mut out, "client_fee", &0.0);
    python_entry(&mut out, "is_test", &true);
    python_entry(&mut out, "payment_method", &"card");
    python_entry(&mut out, "reservation_data", &());
    python_entry(&mut out, "settlement_fee", &0.0);
    python_entry(
        &mut out,
        "transaction_id",
        &o.transactions.first().map(|t| t.id),
    );
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// One `"key": value` of a Python-style JSON object, after a `, ` unless it is the first. The
/// keys are plain names, written as they are.
fn python_entry(out: &mut Vec<u8>, key: &str, value: &impl serde::Serialize) {
    debug_assert!(key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    if out.len() > 1 {
        out.extend_from_slice(b", ");
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\": ");
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Orders in every state the ledger makes, and with odd text (quotes, backslashes, control
/// characters, non-ASCII, the test secret) in every merchant-given field: for the tests that
/// check a reply written from [`OrderFields`] against one built another way.
#[cfg(test)]
pub(crate) fn sample_orders() -> Vec<Order> {
    const M: u64 = 1_549_901;
    let mut l = Ledger::default();
    let flows: [(&str, bool, &[&str]); 8] = [
        ("created", false, &[]),
        ("approved", false, &["4444555511116666"]),
        ("declined", false, &["4444111155556666"]),
        ("three-ds", false, &["4444555566661111"]),
        ("hold", true, &["4444555511116666"]),
        ("captured", true, &["4444555511116666", "capture"]),
        ("reversed", false, &["4444555511116666", "reverse"]),
        ("expired", false, &["expire"]),
    ];
    for (id, preauth, steps) in flows {
        let new = NewOrder {
            order_id: id.into(),
            merchant_id: M,
            amount: 12_345,
            currency: "GEL".into(),
            order_desc: "sample".into(),
            preauth,
            wants_token: true,
            lifetime: (id == "expired").then_some(60),
            ..NewOrder::default()
        };
        l.create(new, 0).unwrap();
        for step in steps {
            match *step {
                "capture" => drop(l.capture(M, id, 10_001, "GEL")),
                "reverse" => drop(l.reverse(M, id, 12_345, "GEL", None)),
                "expire" => drop(l.expire(61)),
                card => drop(l.pay_with_card(M, id, card)),
            }
        }
    }
    let mut orders: Vec<Order> = l.orders().cloned().collect();
    let odd = "q\"uote\\ back\u{1}\n\t\u{7f} é€😀 </script> test|secret \u{2028}";
    let mut strange = orders.clone();
    for o in &mut strange {
        o.order_id = format!("{}-{odd}", o.order_id);
        o.merchant_data = odd.into();
        o.response_description = odd.into();
        o.parent_order_id = odd.into();
        o.currency = "G\"L".into();
        o.rectoken = Some(odd.into());
        o.verification_status = Some("verified");
        o.response_code = Some(1_014);
        o.merchant_id = u64::MAX;
        o.payment_id = 7;
        o.capture_amount = o.capture_amount.map(|_| 1);
    }
    orders.extend(strange);
    let base = orders[0].clone();
    orders.extend(Status::ALL.into_iter().map(|status| Order {
        status,
        ..base.clone()
    }));
    orders
}

/// The order as Flitt reports it (status lookups, payments, callbacks): every value a string
/// or a number, as the gateway sends them (see [`OrderFields`]).
pub fn order_fields(o: &Order, order_time: &str) -> Map<String, Value> {
    OrderFields::of(o, order_time.to_owned()).to_map()
}

/// JSON text with Python's `json.dumps` spacing (`", "` and `": "`).
pub fn python_json(v: &Value) -> String {
    let mut out = String::new();
    write_python_json(v, &mut out);
    out
}

/// [`python_json`] into `out`.
fn write_python_json(v: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match v {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                // A key as a JSON string, quoted and escaped.
                let _ = write!(out, "{}", Value::String(k.clone()));
                out.push_str(": ");
                write_python_json(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_json(v, out);
            }
            out.push(']');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const M: u64 = 1_549_901;

    fn order(ledger: &mut Ledger, id: &str, preauth: bool) {
        ledger
            .create(
                NewOrder {
                    order_id: id.into(),
                    merchant_id: M,
                    amount: 1000,
                    currency: "GEL".into(),
                    order_desc: "t".into(),
                    preauth,
                    ..NewOrder::default()
                },
                0,
            )
            .unwrap();
    }

    #[test]
    fn duplicate_orders_are_refused() {
        let mut l = Ledger::default();
        order(&mut l, "a", false);
        let e = l.create(
            NewOrder {
                order_id: "a".into(),
                merchant_id: M,
                ..NewOrder::default()
            },
            0,
        );
        assert_eq!(e.unwrap_err().code, 1013);
    }

    #[test]
    fn hold_capture_once_then_refund_in_parts() {
        let mut l = Ledger::default();
        order(&mut l, "h", true);
        assert_eq!(
            l.pay_with_card(M, "h", "4444555511116666")
                .unwrap()
                .capture_status,
            Some("hold")
        );
        assert_eq!(l.reverse(M, "h", 500, "GEL", None).unwrap_err().code, 1084);
        l.capture(M, "h", 800, "GEL").unwrap();
        assert_eq!(
            l.capture(M, "h", 800, "GEL").unwrap().capture_amount,
            Some(800)
        );
        assert_eq!(l.capture(M, "h", 700, "GEL").unwrap_err().code, 1109);
        let (_, n) = l.reverse(M, "h", 300, "GEL", Some("r1")).unwrap();
        assert_eq!(n, 300);
        // The same reverse_id again refunds nothing more.
        l.reverse(M, "h", 300, "GEL", Some("r1")).unwrap();
        assert_eq!(l.get(M, "h").unwrap().reversal_amount, 300);
        assert_eq!(
            l.reverse(M, "h", 600, "GEL", Some("r2")).unwrap_err().code,
            1023
        );
        l.reverse(M, "h", 500, "GEL", Some("r2")).unwrap();
        assert_eq!(l.get(M, "h").unwrap().status, Status::Reversed);
    }

    #[test]
    fn void_is_a_full_reverse_of_the_hold() {
        let mut l = Ledger::default();
        order(&mut l, "v", true);
        l.pay_with_card(M, "v", "4444555511116666").unwrap();
        l.reverse(M, "v", 1000, "GEL", Some("void")).unwrap();
        assert_eq!(l.get(M, "v").unwrap().status, Status::Reversed);
        assert_eq!(l.capture(M, "v", 1000, "GEL").unwrap_err().code, 1027);
    }

    #[test]
    fn three_ds_needs_the_right_pares_and_md() {
        let mut l = Ledger::default();
        order(&mut l, "3", false);
        let o = l.pay_with_card(M, "3", "4444555566661111").unwrap();
        assert_eq!(o.status, Status::Processing);
        let pending = o.three_ds.clone().unwrap();
        assert_eq!(
            l.complete_three_ds(M, "3", &pending.md, "forged")
                .unwrap_err()
                .code,
            1024
        );
        let o = l
            .complete_three_ds(M, "3", &pending.md, &expected_pares(&pending))
            .unwrap();
        assert_eq!(o.status, Status::Approved);
    }

    #[test]
    fn tokens_charge_again_and_declines_decline() {
        let mut l = Ledger::default();
        l.create(
            NewOrder {
                order_id: "t".into(),
                merchant_id: M,
                amount: 100,
                currency: "GEL".into(),
                wants_token: true,
                ..NewOrder::default()
            },
            0,
        )
        .unwrap();
        let token = l
            .pay_with_card(M, "t", "4444555511116666")
            .unwrap()
            .rectoken
            .clone()
            .unwrap();
        let o = l
            .charge_token(
                NewOrder {
                    order_id: "t2".into(),
                    merchant_id: M,
                    amount: 50,
                    currency: "GEL".into(),
                    ..NewOrder::default()
                },
                &token,
                0,
            )
            .unwrap();
        assert_eq!(o.status, Status::Approved);
        assert_eq!(
            l.charge_token(
                NewOrder {
                    order_id: "t3".into(),
                    merchant_id: M,
                    ..NewOrder::default()
                },
                "nope",
                0
            )
            .unwrap_err()
            .code,
            1035
        );
        order(&mut l, "d", false);
        assert_eq!(
            l.pay_with_card(M, "d", "4444111155556666").unwrap().status,
            Status::Declined
        );
    }

    #[test]
    fn statuses_are_the_specs() {
        for status in Status::ALL {
            assert_eq!(
                OrderStatus::from_wire(status.as_str()),
                status.order_status()
            );
            assert!(!status.as_str().is_empty());
        }
    }

    #[test]
    fn unpaid_orders_expire() {
        let mut l = Ledger::default();
        order(&mut l, "e", false);
        assert!(l.expire(35_999).is_empty());
        assert_eq!(l.expire(36_000).len(), 1);
        assert_eq!(
            l.pay_with_card(M, "e", "4444555511116666")
                .unwrap_err()
                .code,
            1052
        );
    }

    fn new_order(id: &str, lifetime: u64) -> NewOrder {
        NewOrder {
            order_id: id.into(),
            merchant_id: M,
            amount: 100,
            currency: "GEL".into(),
            lifetime: Some(lifetime),
            ..NewOrder::default()
        }
    }

    #[test]
    fn expiry_takes_only_what_fell_due_and_ignores_paid_orders() {
        let mut l = Ledger::default();
        l.create(new_order("short", 10), 0).unwrap();
        l.create(new_order("paid", 10), 0).unwrap();
        l.create(new_order("long", 100), 0).unwrap();
        l.pay_with_card(M, "paid", "4444555511116666").unwrap();
        assert!(l.expire(9).is_empty());
        assert_eq!(l.expire(10), vec![(M, "short".to_owned())]);
        // Each due entry is handled once and leaves the queue.
        assert!(l.expire(10).is_empty());
        assert_eq!(l.expiry.len(), 1);
        assert_eq!(l.get(M, "paid").unwrap().status, Status::Approved);
        assert_eq!(l.expire(1_000), vec![(M, "long".to_owned())]);
        assert!(l.expiry.is_empty());
    }

    #[test]
    fn the_ledger_stays_within_its_bound_evicting_finished_orders_first() {
        let mut l = Ledger::with_max_orders(16);
        // Eight unpaid orders first (the oldest), then paid ones.
        for i in 0..8 {
            l.create(new_order(&format!("open-{i}"), 1_000), 0).unwrap();
        }
        for i in 0..40 {
            let id = format!("paid-{i}");
            l.create(new_order(&id, 1_000), 0).unwrap();
            l.pay_with_card(M, &id, "4444555511116666").unwrap();
            assert!(l.len() <= 16, "{} orders", l.len());
        }
        // The unpaid ones stayed; the paid ones went oldest first.
        for i in 0..8 {
            assert!(l.get(M, &format!("open-{i}")).is_ok());
        }
        assert_eq!(l.get(M, "paid-0").unwrap_err().code, 1018);
        assert!(l.get(M, "paid-39").is_ok());
        // Every paid order younger than the oldest one kept is still there.
        let mut paid: Vec<u32> = l
            .orders()
            .filter_map(|o| o.order_id.strip_prefix("paid-")?.parse().ok())
            .collect();
        paid.sort_unstable();
        assert!(!paid.is_empty());
        assert_eq!(paid, (paid[0]..40).collect::<Vec<_>>());
        // Indexes shrink with the orders.
        assert_eq!(l.by_age.len(), l.len());
        assert_eq!(l.expiry.len(), l.len());
    }

    #[test]
    fn when_nothing_is_finished_the_oldest_go_and_the_bound_holds() {
        let mut l = Ledger::with_max_orders(4);
        for i in 0..10 {
            let id = format!("o-{i}");
            l.create(new_order(&id, 1_000), 0).unwrap();
            let token = l.issue_checkout_token(M, &id).unwrap();
            assert!(l.by_checkout_token(&token).is_some());
            assert!(l.len() <= 4);
        }
        assert!(l.get(M, "o-9").is_ok());
        assert_eq!(l.get(M, "o-0").unwrap_err().code, 1018);
        assert_eq!(l.checkout_tokens.len(), l.len());
        // An evicted order's id can be used again, and its old expiry does not touch it.
        l.create(new_order("o-0", 5_000), 500).unwrap();
        assert!(l.expire(1_000).iter().all(|(_, id)| id != "o-0"));
        assert_eq!(l.get(M, "o-0").unwrap().status, Status::Created);
    }

    fn kinds(o: &Order) -> Vec<(u64, &'static str, Option<u64>, Option<&str>)> {
        o.history
            .iter()
            .map(|e| (e.at, e.kind.as_str(), e.amount, e.reverse_id.as_deref()))
            .collect()
    }

    #[test]
    fn history_records_each_transition_and_refund_at_its_time() {
        let mut l = Ledger::default();
        l.create(new_order("h", 1_000), 5).unwrap();
        l.expire(10);
        l.get_mut(M, "h").unwrap().preauth = true;
        l.pay_with_card(M, "h", "4444555566661111").unwrap();
        let md = l.get(M, "h").unwrap().three_ds.clone().unwrap();
        assert_eq!(l.by_md(&md.md).unwrap().order_id, "h");
        l.expire(20);
        l.complete_three_ds(M, "h", &md.md, &expected_pares(&md))
            .unwrap();
        assert!(l.by_md(&md.md).is_none(), "no longer pending");
        l.expire(30);
        l.capture(M, "h", 80, "GEL").unwrap();
        l.capture(M, "h", 80, "GEL").unwrap();
        l.expire(40);
        l.reverse(M, "h", 30, "GEL", Some("r1")).unwrap();
        // The same reverse_id again changes nothing, and a refused refund records nothing.
        l.reverse(M, "h", 30, "GEL", Some("r1")).unwrap();
        assert!(l.reverse(M, "h", 500, "GEL", Some("r9")).is_err());
        l.expire(50);
        l.reverse(M, "h", 50, "GEL", Some("r2")).unwrap();
        let o = l.get(M, "h").unwrap();
        assert_eq!(
            kinds(o),
            vec![
                (5, "created", Some(100), None),
                (10, "3ds_pending", Some(100), None),
                (20, "held", Some(100), None),
                (30, "captured", Some(80), None),
                (40, "refunded", Some(30), Some("r1")),
                (50, "reversed", Some(50), Some("r2")),
            ]
        );
        assert_eq!(o.history.last().unwrap().status, Status::Reversed);
        assert_eq!(o.captured(), 80);
        // An unpaid order expires at its own expiry time, whenever it is noticed.
        l.create(new_order("e", 100), 0).unwrap();
        l.expire(5_000);
        let e = l.get(M, "e").unwrap();
        assert_eq!(kinds(e)[1], (100, "expired", None, None));
        assert_eq!(e.captured(), 0);
    }

    #[test]
    fn history_stays_bounded_and_keeps_the_creation() {
        let mut l = Ledger::default();
        l.create(
            NewOrder {
                amount: 1_000,
                ..new_order("many", 1_000)
            },
            0,
        )
        .unwrap();
        l.pay_with_card(M, "many", "4444555511116666").unwrap();
        for i in 0..200 {
            l.expire(i);
            l.reverse(M, "many", 1, "GEL", Some(&format!("r{i}")))
                .unwrap();
        }
        let o = l.get(M, "many").unwrap();
        assert_eq!(o.history.len(), MAX_HISTORY);
        assert_eq!(o.history[0].kind, EventKind::Created);
        assert_eq!(o.history_dropped, 202 - MAX_HISTORY as u64);
        assert_eq!(
            o.history.last().unwrap().reverse_id.as_deref(),
            Some("r199")
        );
    }

    #[test]
    fn clear_empties_everything_but_keeps_counting() {
        let mut l = Ledger::default();
        l.create(new_order("a", 10), 0).unwrap();
        let first = l.get(M, "a").unwrap().payment_id;
        l.issue_checkout_token(M, "a").unwrap();
        l.expire(5);
        l.clear();
        assert!(l.is_empty());
        assert_eq!(l.newest(10).count(), 0);
        assert_eq!(l.now, 0);
        assert!(l.expire(1_000).is_empty());
        l.create(new_order("a", 10), 0).unwrap();
        assert!(l.get(M, "a").unwrap().payment_id > first);
        l.create(new_order("b", 10), 0).unwrap();
        let newest: Vec<&str> = l.newest(10).map(|o| o.order_id.as_str()).collect();
        assert_eq!(newest, ["b", "a"]);
    }

    #[test]
    fn a_schedule_of_every_0_charges_daily_not_every_second() {
        let mut l = Ledger::default();
        l.create(new_order("sub", 100_000), 0).unwrap();
        let schedule = Schedule {
            amount: 100,
            every: 0,
            next_at: 0,
            remaining: None,
            charged: 0,
        };
        l.make_subscription(M, "sub", schedule).unwrap();
        l.pay_with_card(M, "sub", "4444555511116666").unwrap();
        let charged = l.charge_due_subscriptions(3 * 86_400);
        assert_eq!(charged.len(), 4, "days 0, 1, 2 and 3");
    }

    /// The order's fields as they were built before [`OrderFields`] (a map of `json!` values),
    /// kept to check it.
    fn map_built_order_fields(o: &Order, order_time: &str) -> Map<String, Value> {
        let actual = if matches!(o.status, Status::Approved | Status::Reversed) {
            o.amount.to_string()
        } else {
            String::new()
        };
        let card = o.card;
        let additional = json!({
            "capture_status": o.capture_status,
            "capture_amount": o.capture_amount.map(|c| c as f64 / 100.0),
            "reservation_data": null,
            "transaction_id": o.transactions.first().map(|t| t.id),
            "client_fee": 0.0,
            "settlement_fee": 0.0,
            "card_type": card.map(|c| c.brand),
            "payment_method": "card",
            "is_test": true,
        });
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("order_id", json!(o.order_id));
        put("merchant_id", json!(o.merchant_id));
        put("amount", json!(o.amount.to_string()));
        put("currency", json!(o.currency));
        put("order_status", json!(o.status.as_str()));
        put("response_status", json!("success"));
        put("tran_type", json!(o.tran_type));
        put("sender_cell_phone", json!(""));
        put("sender_account", json!(""));
        put(
            "masked_card",
            json!(card.map(|c| cards::mask(c.number)).unwrap_or_default()),
        );
        put(
            "card_bin",
            card.map_or(json!(""), |c| {
                json!(c.number[..6].parse::<u64>().unwrap_or(0))
            }),
        );
        put("card_type", json!(card.map(|c| c.brand).unwrap_or("")));
        put(
            "rrn",
            json!(if o.status == Status::Approved {
                format!("{}", o.payment_id % 1_000_000_000_000)
            } else {
                String::new()
            }),
        );
        put(
            "approval_code",
            json!(if matches!(o.status, Status::Approved | Status::Reversed) {
                format!("{:06}", o.payment_id % 1_000_000)
            } else {
                String::new()
            }),
        );
        put(
            "response_code",
            o.response_code.map_or(json!(""), |c| json!(c)),
        );
        put("response_description", json!(o.response_description));
        put("reversal_amount", json!(o.reversal_amount.to_string()));
        put("settlement_amount", json!("0"));
        put("settlement_currency", json!(""));
        put("order_time", json!(order_time));
        put("settlement_date", json!(""));
        put(
            "eci",
            json!(if card.is_some_and(|c| c.three_ds) {
                "5"
            } else if card.is_some() {
                "7"
            } else {
                ""
            }),
        );
        put("fee", json!(""));
        put("payment_system", json!("card"));
        put("sender_email", json!(""));
        put("payment_id", json!(o.payment_id));
        put("actual_amount", json!(actual));
        put(
            "actual_currency",
            json!(if actual.is_empty() {
                ""
            } else {
                o.currency.as_str()
            }),
        );
        put("product_id", json!(""));
        put("merchant_data", json!(o.merchant_data));
        put(
            "verification_status",
            json!(o.verification_status.unwrap_or("")),
        );
        put("rectoken", json!(o.rectoken.clone().unwrap_or_default()));
        put("rectoken_lifetime", json!(""));
        put("parent_order_id", json!(o.parent_order_id));
        // Python-style JSON text, as Flitt sends it, signed as this exact string.
        put("additional_info", json!(python_json(&additional)));
        m
    }

    #[test]
    fn order_fields_are_the_map_built_ones_in_key_order() {
        for o in sample_orders() {
            let fields = OrderFields::of(&o, "30.11.2026 07:42:52".into());
            let keys: Vec<&str> = fields.iter().map(|(k, _)| k).collect();
            assert!(keys.is_sorted(), "{keys:?}");
            assert_eq!(
                Value::Object(fields.to_map()),
                Value::Object(map_built_order_fields(&o, "30.11.2026 07:42:52")),
                "{o:?}"
            );
            assert!(keys.iter().all(|k| fields.get(k).is_some()));
        }
    }

    #[test]
    fn additional_info_uses_python_spacing() {
        assert_eq!(
            python_json(&json!({"a": null, "b": [1, 2]})),
            r#"{"a": null, "b": [1, 2]}"#
        );
    }

    #[test]
    fn iban_payouts_take_any_registered_country_and_refuse_bad_ibans_with_1076() {
        let mut l = Ledger::default();
        let payout = |id: &str| NewOrder {
            order_id: id.into(),
            merchant_id: M,
            amount: 1000,
            currency: "GEL".into(),
            order_desc: "payout".into(),
            ..NewOrder::default()
        };
        for (id, iban) in [
            ("ge", "GE29NB0000000101904917"),
            ("de", "DE89370400440532013000"),
        ] {
            let o = l.payout(payout(id), PayoutTo::Iban(iban), 0).unwrap();
            assert_eq!(o.receiver_iban.as_deref(), Some(iban));
            assert_eq!(o.status, Status::Approved);
        }
        // The first has the shape of a Georgian IBAN (GE, 22 characters) but wrong check
        // digits; XX is no registered country. Neither leaves an order behind.
        for (id, iban) in [
            ("sum", "GE00NB0000000101904917"),
            ("xx", "XX89370400440532013000"),
        ] {
            let e = l.payout(payout(id), PayoutTo::Iban(iban), 0).unwrap_err();
            assert_eq!((e.code, l.get(M, id).is_err()), (1076, true), "{iban}");
        }
        // The documented test IBANs end as documented, checksum or not.
        for (id, iban, status) in [
            ("t1", "GE00TB0000000000000001", Status::Approved),
            ("t2", "GE00TB0000000000000002", Status::Declined),
            ("t3", "GE00TB0000000000000003", Status::Processing),
        ] {
            let o = l.payout(payout(id), PayoutTo::Iban(iban), 0).unwrap();
            assert_eq!(o.status, status, "{iban}");
        }
        // A card payout goes as the test card says; a card that is not one is refused.
        let o = l
            .payout(payout("c1"), PayoutTo::Card("4444111155556666"), 0)
            .unwrap();
        assert_eq!(o.status, Status::Declined);
        let e = l
            .payout(payout("c2"), PayoutTo::Card("4111111111111111"), 0)
            .unwrap_err();
        assert_eq!((e.code, l.get(M, "c2").is_err()), (1015, true));
    }
}
