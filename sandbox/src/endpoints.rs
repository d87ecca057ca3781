//! What each endpoint does on the ledger.
//!
//! Handlers are found by the generated request type the spec names their endpoint by
//! ([`HANDLERS`]): an endpoint renamed in the spec renames its type, so this table stops
//! compiling, and an endpoint added to the spec without a handler fails the test
//! `every_pay_host_endpoint_has_a_handler`.

use crate::http::{
    Admitted, Format, Incoming, Reply, ReplyBody, admit, number, refuse, text, text_ref,
};
use crate::ledger::{
    Ledger, NewOrder, Order, OrderFields, PayoutTo, Refusal, Status, order_fields,
};
use crate::{Clock, Owed, State, cards, lock};
use flitt::api;
use flitt::api::ResponseCode;
use flitt::request::{ApiRequest, Endpoint};
use serde_json::{Map, Value, json};
use std::sync::{Arc, MutexGuard};

/// What a handler does with one admitted request.
type Handler = fn(&mut Call<'_>) -> Result<Handled, Refusal>;

/// The spec name of a request type's endpoint, for the dispatch table.
const fn name<R: ApiRequest>() -> &'static str {
    R::ENDPOINT.name
}

/// Every endpoint the sandbox serves under `/api/`, keyed by its generated request type.
const HANDLERS: &[(&str, Handler)] = &[
    (name::<api::CheckoutUrlRequest>(), checkout_url),
    (
        name::<api::CheckoutVerificationRequest>(),
        checkout_verification,
    ),
    (
        name::<api::CheckoutSubscriptionRequest>(),
        checkout_subscription,
    ),
    (name::<api::CheckoutTokenRequest>(), checkout_token),
    (name::<api::CheckoutSplitRequest>(), checkout_split),
    (name::<api::StatusRequest>(), status),
    (name::<api::CaptureRequest>(), capture),
    (name::<api::CaptureSplitRequest>(), capture_split),
    (name::<api::ReverseRequest>(), reverse),
    (name::<api::ReverseSplitRequest>(), reverse_split),
    (name::<api::TransactionListRequest>(), transaction_list),
    (name::<api::RecurringRequest>(), recurring),
    (name::<api::ThreeDsStep1Request>(), three_ds_step1),
    (name::<api::WalletContainerRequest>(), wallet_container),
    (name::<api::WalletDecryptedRequest>(), wallet_card),
    (name::<api::WalletRecurringRequest>(), wallet_card),
    (name::<api::ThreeDsStep2Request>(), three_ds_step2),
    (name::<api::P2pCreditRequest>(), p2p_credit),
    (name::<api::IbanCreditRequest>(), iban_credit),
    (name::<api::SettlementRequest>(), settlement),
    (name::<api::SubscriptionRequest>(), subscription),
    (name::<api::FiscalDataRequest>(), fiscal_data),
    (name::<api::LegacyReportsRequest>(), legacy_reports),
];

/// Whether `endpoint` is the one request type `R` is for.
pub(crate) fn is<R: ApiRequest>(endpoint: &Endpoint) -> bool {
    endpoint.name == name::<R>()
}

/// One admitted request on its way through the ledger.
struct Call<'a> {
    ctx: Ctx<'a>,
    ledger: MutexGuard<'a, Ledger>,
}

/// What a handler knows about its request, apart from the ledger it changes.
struct Ctx<'a> {
    state: &'a Arc<State>,
    incoming: &'a Incoming,
    fields: &'a Map<String, Value>,
    merchant_id: u64,
    secret: &'static str,
    now: u64,
    /// `now` as the gateway writes `order_time`.
    time: String,
}

/// A handler's answer, and the server callback it owes (the URL and the order's fields).
struct Handled {
    reply: Reply,
    owed: Option<Owed>,
}

impl Handled {
    fn reply(reply: Reply) -> Self {
        Self { reply, owed: None }
    }
}

impl Ctx<'_> {
    fn order_id(&self) -> String {
        text(self.fields, "order_id").unwrap_or_default()
    }

    fn new_order(&self) -> Result<NewOrder, Refusal> {
        let fields = self.fields;
        Ok(NewOrder {
            order_id: self.order_id(),
            merchant_id: self.merchant_id,
            amount: text(fields, "amount").map_or(Ok(0), |_| number(fields, "amount"))?,
            currency: text(fields, "currency").unwrap_or_default(),
            order_desc: text(fields, "order_desc").unwrap_or_default(),
            preauth: text(fields, "preauth").as_deref() == Some("Y"),
            wants_token: text(fields, "required_rectoken").as_deref() == Some("Y"),
            lifetime: text(fields, "lifetime").and_then(|l| l.parse().ok()),
            server_callback_url: text(fields, "server_callback_url"),
            created_in_v2: self.incoming.format == Format::V2,
            response_url: text(fields, "response_url"),
            merchant_data: text(fields, "merchant_data").unwrap_or_default(),
            tran_type: None,
        })
    }

    fn signed(&self, body: Value) -> Reply {
        Reply {
            body: ReplyBody::Value(body),
            sign_with: Some(self.secret),
        }
    }

    /// The order's fields as a signed reply, with the callback it owes.
    fn order_reply(&self, o: &Order) -> Handled {
        Handled {
            reply: self.signed(Value::Object(order_fields(o, &self.time))),
            owed: Owed::of(o, &self.time),
        }
    }
}

fn unsigned(body: Value) -> Reply {
    Reply {
        body: ReplyBody::Value(body),
        sign_with: None,
    }
}

/// Runs an admitted request on the ledger and queues the callback it owes.
pub(crate) fn handle(state: &Arc<State>, path: &str, incoming: Incoming) -> Result<Reply, Refusal> {
    let Admitted {
        endpoint,
        merchant_id,
        secret,
        credit,
    } = admit(path, &incoming)?;
    let Some(&(_, handler)) = HANDLERS.iter().find(|(name, _)| *name == endpoint.name) else {
        return Err(refuse(
            ResponseCode::ApplicationError,
            format!(
                "Application error: `{}` is not served by the sandbox",
                endpoint.name
            ),
        ));
    };
    if let Some(total) = endpoint.split_total {
        // The spec's rule: the receivers' amounts add up to this amount (1120 otherwise).
        let parts = receivers(&incoming.fields)?;
        let sum = parts
            .iter()
            .try_fold(0u64, |acc, &(_, amount)| acc.checked_add(amount));
        if sum != Some(number(&incoming.fields, total)?) {
            return Err(refuse(
                ResponseCode::SplitAmountMismatch,
                "Splitting amount does not correspond to purchase or capture amount",
            ));
        }
    }
    let now = state.clock.now();
    let mut ledger = lock(&state.ledger);
    ledger.expire(now);
    let mut call = Call {
        ctx: Ctx {
            state,
            incoming: &incoming,
            fields: &incoming.fields,
            merchant_id,
            secret,
            now,
            time: state.clock.order_time(now),
        },
        ledger,
    };
    let Handled { mut reply, owed } = handler(&mut call)?;
    drop(call);
    if incoming.format == Format::V2 && reply.body.is_object() {
        // A 2.0 request is answered by a signed 2.0 envelope, whatever 1.0 would sign.
        reply.sign_with = Some(secret);
    }
    if let Some(owed) = owed {
        let key = State::secret(merchant_id, credit).unwrap_or(secret);
        state.queue_callback(owed, key);
    }
    Ok(reply)
}

/// What a checkout endpoint makes besides the order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Checkout {
    Url,
    Split,
    Verification,
    Subscription,
    Token,
}

fn checkout_url(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    checkout(call, Checkout::Url)
}

fn checkout_verification(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    checkout(call, Checkout::Verification)
}

fn checkout_subscription(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    checkout(call, Checkout::Subscription)
}

fn checkout_token(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    checkout(call, Checkout::Token)
}

fn checkout_split(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    checkout(call, Checkout::Split)
}

fn checkout(Call { ctx, ledger }: &mut Call<'_>, kind: Checkout) -> Result<Handled, Refusal> {
    let mut new = ctx.new_order()?;
    if kind == Checkout::Verification {
        new.tran_type = Some("verification");
    }
    // The schedule is checked before the order exists, so a refusal leaves nothing.
    let plan = if kind == Checkout::Subscription {
        Some(schedule(ctx.fields, ctx.now, &ctx.state.clock)?)
    } else {
        None
    };
    let (merchant_id, order_id) = (ctx.merchant_id, ctx.order_id());
    let created = ledger.create(new, ctx.now)?;
    if ctx.incoming.keeps_cancel_url {
        // Where the hosted page's cancel link goes, when it is an http(s) URL.
        created.cancel_url = text(ctx.fields, "cancel_url").and_then(|u| crate::html::http_url(&u));
    }
    let payment_id = created.payment_id;
    let token = ledger.issue_checkout_token(merchant_id, &order_id)?;
    if let Some(plan) = plan {
        ledger.make_subscription(merchant_id, &order_id, plan)?;
    }
    if kind == Checkout::Split {
        ledger.set_splits(merchant_id, &order_id, &receivers(ctx.fields)?)?;
    }
    let url = format!("{}/sandbox/checkout/{token}", ctx.state.base_url);
    let body = if kind == Checkout::Token {
        json!({"token": token, "response_status": "success"})
    } else {
        json!({"checkout_url": url, "payment_id": payment_id.to_string(), "response_status": "success"})
    };
    Ok(Handled::reply(if ctx.incoming.format == Format::V2 {
        ctx.signed(body)
    } else {
        unsigned(body)
    }))
}

fn status(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    // The lookup most often polled: the order id read borrowed from the request.
    let order_id = text_ref(ctx.fields, "order_id").unwrap_or_default();
    let o = ledger.get(ctx.merchant_id, &order_id)?;
    Ok(Handled::reply(Reply {
        body: ReplyBody::Order(Box::new(OrderFields::of(o, ctx.time.clone()))),
        sign_with: Some(ctx.secret),
    }))
}

fn capture(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let amount = number(ctx.fields, "amount")?;
    let currency = text(ctx.fields, "currency").unwrap_or_default();
    let order_id = ctx.order_id();
    let o = ledger.capture(ctx.merchant_id, &order_id, amount, &currency)?;
    Ok(Handled::reply(unsigned(json!({
        "order_id": o.order_id,
        "merchant_id": o.merchant_id,
        "capture_status": o.capture_status.unwrap_or(""),
        "capture_amount": o.capture_amount.map(|c| c.to_string()).unwrap_or_default(),
        "response_code": "",
        "response_description": "",
        "response_status": "success",
    }))))
}

fn capture_split(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    let parts = receivers(call.ctx.fields)?;
    let handled = capture(call)?;
    let Call { ctx, ledger } = call;
    ledger.set_splits(ctx.merchant_id, &ctx.order_id(), &parts)?;
    Ok(handled)
}

fn reverse_split(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let parts = receivers(ctx.fields)?;
    let currency = text(ctx.fields, "currency").unwrap_or_default();
    let reverse_id = text(ctx.fields, "reverse_id");
    let order_id = ctx.order_id();
    let (o, reversed) = ledger.reverse_split(
        ctx.merchant_id,
        &order_id,
        &currency,
        reverse_id.as_deref(),
        &parts,
    )?;
    let body = reverse_reply(o, reversed, reverse_id);
    Ok(Handled {
        reply: ctx.signed(body),
        owed: Owed::of(o, &ctx.time),
    })
}

/// A reverse's reply: what was reversed now, under which `reverse_id`.
fn reverse_reply(o: &Order, reversed: u64, reverse_id: Option<String>) -> Value {
    json!({
        "order_id": o.order_id,
        "merchant_id": o.merchant_id,
        "reverse_status": "approved",
        "reversal_amount": reversed.to_string(),
        "currency": o.currency,
        "reverse_id": reverse_id.unwrap_or_default(),
        "transaction_id": o.transactions.last().map(|t| t.id).unwrap_or(0),
        "response_code": "",
        "response_description": "",
        "response_status": "success",
    })
}

/// The receivers of a split (`receiver[]`), as `(merchant_id, amount)`: each a merchant
/// receiver whose `requisites` carry both, as numbers or numeric strings (the docs send both).
fn receivers(fields: &Map<String, Value>) -> Result<Vec<(u64, u64)>, Refusal> {
    let incorrect = || {
        refuse(
            ResponseCode::ParameterIsIncorrect,
            "Parameter `receiver` is incorrect",
        )
    };
    let Some(Value::Array(list)) = fields.get("receiver") else {
        return Err(refuse(
            ResponseCode::ParameterIsMissing,
            "Parameter `receiver` is missing",
        ));
    };
    list.iter()
        .map(|r| {
            let requisites = r.get("requisites").and_then(Value::as_object);
            let requisites = requisites.ok_or_else(incorrect)?;
            let merchant = number(requisites, "merchant_id").map_err(|_| incorrect())?;
            let amount = number(requisites, "amount").map_err(|_| incorrect())?;
            Ok((merchant, amount))
        })
        .collect()
}

fn reverse(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let amount = number(ctx.fields, "amount")?;
    let currency = text(ctx.fields, "currency").unwrap_or_default();
    let reverse_id = text(ctx.fields, "reverse_id");
    let order_id = ctx.order_id();
    let merchant_id = ctx.merchant_id;
    let (o, reversed) = ledger.reverse(
        merchant_id,
        &order_id,
        amount,
        &currency,
        reverse_id.as_deref(),
    )?;
    let body = reverse_reply(o, reversed, reverse_id);
    let o = ledger.get(merchant_id, &order_id)?;
    Ok(Handled {
        reply: ctx.signed(body),
        owed: Owed::of(o, &ctx.time),
    })
}

fn transaction_list(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let o = ledger.get(ctx.merchant_id, &ctx.order_id())?;
    let list = o
        .transactions
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "order_id": o.order_id,
                "merchant_id": o.merchant_id,
                "payment_id": o.payment_id,
                "parent_tran_id": t.parent.map_or(json!(""), |p| json!(p)),
                "tran_type": t.tran_type,
                "amount": format!("{:.2}", t.amount as f64 / 100.0),
                "actual_amount": format!("{:.2}", t.amount as f64 / 100.0),
                "currency": o.currency,
                "transaction_status": t.status,
                "preauth": if o.preauth { "Y" } else { "N" },
                // 5: authenticated by 3-D Secure; 7: no 3-D Secure (the Node SDK's test reads 7).
                "eci": o.card.map_or("", |c| if c.three_ds { "5" } else { "7" }),
                "protocol": "",
                "istest": true,
            })
        })
        .collect();
    Ok(Handled::reply(unsigned(Value::Array(list))))
}

fn recurring(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let token = text(ctx.fields, "rectoken").unwrap_or_default();
    let new = ctx.new_order()?;
    let now = ctx.now;
    let o = ledger.charge_token(new, &token, now)?;
    Ok(ctx.order_reply(o))
}

fn three_ds_step1(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    let card = text(call.ctx.fields, "card_number").unwrap_or_default();
    direct(call, &card)
}

/// A wallet's encrypted payment data, paid with the test card its marker names
/// ([`cards::wallet_container_card`]).
fn wallet_container(call: &mut Call<'_>) -> Result<Handled, Refusal> {
    let container = text(call.ctx.fields, "container").unwrap_or_default();
    let card = cards::wallet_container_card(&container).ok_or_else(|| {
        refuse(
            ResponseCode::ParameterIsIncorrect,
            "Parameter `container` is incorrect",
        )
    })?;
    direct(call, card.number)
}

/// A decrypted wallet token (with its cryptogram) or a saved wallet card (by scheme id): the
/// device PAN is a test card, and the holder is already authenticated, so no 3-D Secure step.
fn wallet_card(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let card = text(ctx.fields, "card_number").unwrap_or_default();
    let new = ctx.new_order()?;
    let id = new.order_id.clone();
    ledger.create(new, ctx.now)?;
    let o = ledger.pay_authenticated(ctx.merchant_id, &id, &card)?;
    Ok(ctx.order_reply(o))
}

/// Creates the order and pays it with `card`: a final order, or a 3-D Secure challenge.
fn direct(Call { ctx, ledger }: &mut Call<'_>, card: &str) -> Result<Handled, Refusal> {
    let new = ctx.new_order()?;
    let id = new.order_id.clone();
    ledger.create(new, ctx.now)?;
    let o = ledger.pay_with_card(ctx.merchant_id, &id, card)?;
    Ok(match &o.three_ds {
        Some(pending) => Handled::reply(unsigned(json!({
            "response_status": "success",
            "acs_url": format!("{}/sandbox/acs", ctx.state.base_url),
            "pareq": pending.pareq,
            "md": pending.md,
        }))),
        None => ctx.order_reply(o),
    })
}

fn three_ds_step2(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let pares = text(ctx.fields, "pares").unwrap_or_default();
    let md = text(ctx.fields, "md").unwrap_or_default();
    let (merchant_id, order_id) = (ctx.merchant_id, ctx.order_id());
    let o = ledger.complete_three_ds(merchant_id, &order_id, &md, &pares)?;
    Ok(ctx.order_reply(o))
}

fn p2p_credit(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let fields = ctx.fields;
    let token = text(fields, "receiver_rectoken");
    let card = text(fields, "receiver_card_number");
    let to = match (&token, &card) {
        (Some(t), _) => PayoutTo::Token(t),
        (None, Some(c)) => PayoutTo::Card(c),
        (None, None) if text(fields, "external_rectoken").is_some() => PayoutTo::External,
        (None, None) => {
            return Err(refuse(
                ResponseCode::ParameterIsMissing,
                "Parameter `receiver_rectoken` is missing",
            ));
        }
    };
    payout(ctx, ledger, to)
}

fn iban_credit(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let iban = text(ctx.fields, "receiver_iban").unwrap_or_default();
    payout(ctx, ledger, PayoutTo::Iban(&iban))
}

fn payout(ctx: &Ctx<'_>, ledger: &mut Ledger, to: PayoutTo<'_>) -> Result<Handled, Refusal> {
    let new = ctx.new_order()?;
    let o = ledger.payout(new, to, ctx.now)?;
    let mut body = order_fields(o, &ctx.time);
    if let Some(i) = &o.receiver_iban {
        body.insert("receiver_iban".into(), json!(i));
    }
    Ok(Handled {
        reply: ctx.signed(Value::Object(body)),
        owed: Owed::of(o, &ctx.time),
    })
}

fn settlement(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let operation = text(ctx.fields, "operation_id").unwrap_or_default();
    let new = ctx.new_order()?;
    let now = ctx.now;
    let parts = receivers(ctx.fields)?;
    let o = ledger.settle(new, &operation, &parts, now)?;
    Ok(Handled::reply(
        ctx.signed(Value::Object(order_fields(o, &ctx.time))),
    ))
}

fn subscription(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let action = text(ctx.fields, "action").unwrap_or_default();
    let (merchant_id, order_id) = (ctx.merchant_id, ctx.order_id());
    let o = ledger.subscription_action(merchant_id, &order_id, &action)?;
    let body = json!({
        "order_id": o.order_id,
        "merchant_id": o.merchant_id,
        "status": o.subscription.unwrap_or(""),
        "response_status": "success",
    });
    Ok(Handled::reply(ctx.signed(body)))
}

/// The sandbox merchant's tax id, the key of its receipts in `fiscalisation_data`.
const FISCAL_TAX_ID: &str = "300000001";

fn fiscal_data(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let o = ledger.get(ctx.merchant_id, &ctx.order_id())?;
    let captured = !o.preauth || o.capture_status == Some("captured");
    if !matches!(o.status, Status::Approved | Status::Reversed) || !captured {
        // FACTS 2.1: receipts exist once the order is captured (or paid without a hold).
        return Err(refuse(
            ResponseCode::OrderAlreadyHasBeenCompleted,
            "Order is not paid",
        ));
    }
    Ok(Handled::reply(unsigned(json!({
        "order_id": o.order_id,
        "fiscalisation_data": { FISCAL_TAX_ID: fiscal_receipt(o, ctx.state) },
        "response_status": "success",
    }))))
}

/// The fiscal receipt of a paid order, built from the ledger, in the documented entry shape
/// (one entry per tax id: the sale; integer `code`, `type` and `receipt_id`, a boolean
/// `external`, `processed_date` in epoch milliseconds).
fn fiscal_receipt(o: &Order, state: &State) -> Value {
    let (clock, base_url) = (&state.clock, &state.base_url);
    json!({
        "status_code": 0,
        "message": "",
        "code": 0,
        "terminal_id": "SANDBOX0001",
        "date": clock.order_time(o.created_at),
        "fiscal_sign": format!("{:012}", o.payment_id.wrapping_mul(7_919) % 1_000_000_000_000),
        "qr_code_url": format!("{base_url}/sandbox/receipt/{}", o.payment_id),
        "type": 0,
        "receipt_id": o.payment_id,
        "external": false,
        "processed_date": clock.unix_millis(o.created_at),
    })
}

fn legacy_reports(Call { ctx, ledger }: &mut Call<'_>) -> Result<Handled, Refusal> {
    let clock = &ctx.state.clock;
    let from = range_end(ctx.fields, "date_from", clock)?;
    let to = range_end(ctx.fields, "date_to", clock)?;
    let merchant_id = ctx.merchant_id;
    let list = ledger
        .orders()
        .filter(|o| o.merchant_id == merchant_id)
        .filter(|o| (from..=to).contains(&i64::try_from(o.created_at).unwrap_or(i64::MAX)))
        .map(|o| Value::Object(order_fields(o, &clock.order_time(o.created_at))))
        .collect();
    Ok(Handled::reply(unsigned(Value::Array(list))))
}

/// One end of the legacy report's range, `DD.MM.YYYY HH:MM:SS` in UTC (as the official SDKs
/// send it), as virtual seconds on `clock` (negative before the sandbox's start).
fn range_end(fields: &Map<String, Value>, key: &str, clock: &Clock) -> Result<i64, Refusal> {
    let value = text(fields, key).unwrap_or_default();
    let (date, time) =
        flitt::__private::wire::parse_date_text(&value, flitt::types::DateFormat::DmyHms)
            .ok_or_else(|| {
                refuse(
                    ResponseCode::ParameterIsIncorrect,
                    format!("Parameter `{key}` is incorrect"),
                )
            })?;
    Ok(clock.at_utc(
        date.year(),
        date.month(),
        date.day(),
        time.unwrap_or((0, 0, 0)),
    ))
}

/// The schedule of a subscription request's `recurring_data`: the first charge is at the start
/// of its `start_time` (YYYY-MM-DD, a UTC day on `clock`), or now when that has passed; a month
/// is 30 days.
fn schedule(
    fields: &Map<String, Value>,
    now: u64,
    clock: &Clock,
) -> Result<crate::ledger::Schedule, Refusal> {
    let Some(Value::Object(data)) = fields.get("recurring_data") else {
        return Err(refuse(
            ResponseCode::ParameterIsMissing,
            "Parameter `recurring_data` is missing",
        ));
    };
    let every = number(data, "every")?;
    let unit = match text(data, "period").as_deref() {
        Some("day") => 86_400,
        Some("week") => 7 * 86_400,
        Some("month") => 30 * 86_400,
        _ => {
            return Err(refuse(
                ResponseCode::ParameterIsIncorrect,
                "Parameter `recurring_data.period` is incorrect",
            ));
        }
    };
    let start = text(data, "start_time").unwrap_or_default();
    let first = flitt::__private::wire::parse_date_text(&start, flitt::types::DateFormat::Ymd)
        .map(|(d, _)| clock.at_utc(d.year(), d.month(), d.day(), (0, 0, 0)))
        .ok_or_else(|| {
            refuse(
                ResponseCode::ParameterIsIncorrect,
                "Parameter `recurring_data.start_time` is incorrect",
            )
        })?;
    let next_at = u64::try_from(first).map_or(now, |at| at.max(now));
    Ok(crate::ledger::Schedule {
        amount: number(data, "amount")?,
        every: every.checked_mul(unit).ok_or_else(|| {
            refuse(
                ResponseCode::ParameterIsIncorrect,
                "Parameter `recurring_data.every` is incorrect",
            )
        })?,
        next_at,
        remaining: text(data, "quantity").and_then(|q| q.parse().ok()),
        charged: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flitt::request::Host;

    #[test]
    fn every_pay_host_endpoint_has_a_handler() {
        for endpoint in flitt::api::ENDPOINTS {
            let handled = HANDLERS.iter().any(|(name, _)| *name == endpoint.name);
            assert_eq!(
                handled,
                endpoint.host == Host::Pay,
                "`{}` on {:?}: the sandbox serves exactly the pay host's endpoints under /api/",
                endpoint.name,
                endpoint.host,
            );
        }
        let mut names: Vec<_> = HANDLERS.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), HANDLERS.len(), "one handler per endpoint");
    }
}
