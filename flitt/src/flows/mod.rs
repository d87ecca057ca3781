//! Payment flows whose state lives in the type: code that captures twice, refunds a voided
//! hold, or treats a pending 3-D Secure payment as paid does not compile.
//!
//! # States
//!
//! ```text
//!                     direct payment (3dsecure_step1) / recurring charge / 3-D Secure complete
//!                                           │
//!          ┌────────────────┬───────────────┼─────────────────────┐
//!          v                v               v                     v
//!   ThreeDsPending   Payment<Approved>  Payment<Preauthorized>  Declined
//!   (acs_url, pareq,  │        │          │         │
//!    md)              │        │   capture(≤ held)  void()
//!   complete(pares,md)│        │          │         │
//!          │          │        │          v         │
//!          └─> Completed       │   Payment<Captured>│
//!              (Approved |     │          │         │
//!               Preauthorized  refund(part) keeps the state, remaining tracked
//!               | Declined)    │          │         │
//!                              └── refund(rest) ────┴──> Payment<Reversed>  (terminal)
//! ```
//!
//! - A state is a type parameter of [`Payment`]; each transition consumes the payment and
//!   returns the next one, so an old state cannot be used again.
//! - Which methods a state has is decided by sealed capability traits ([`Capturable`],
//!   [`Voidable`], [`Refundable`]) with `#[diagnostic::on_unimplemented]`, so the compiler
//!   says, for example, "a payment in state `Captured` cannot be captured".
//! - Neither a state nor a `Payment` can be built outside this crate: a payment comes from a
//!   gateway reply (a direct payment, a recurring charge, a completed 3-D Secure), from a
//!   status lookup, or from a verified callback.
//! - **Resuming**: [`AnyPayment`] holds a payment in any state. Build it from a status lookup
//!   ([`AnyPayment::lookup`]) or a verified callback ([`AnyPayment::from_callback`]), then
//!   narrow it with [`AnyPayment::try_into_preauthorized`] and friends, so an order saved in a
//!   database days ago can be captured safely.
//!
//! What is refused before the network (as [`Error::InvalidInput`]) rather than by the
//! compiler: capturing more than is held, and refunding more than remains.
//!
//! A failed transition returns the payment unchanged when the gateway said no ([`Failed`]),
//! and does not return it when the outcome is unknown: resume it from a status lookup then.
//!
//! ```no_run
//! # async fn run(client: flitt::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use flitt::api::ThreeDsStep1Request;
//! use flitt::flows::{self, StepOne};
//! use flitt::types::{Amount, Currency};
//!
//! let request = ThreeDsStep1Request::builder()
//!     .order_desc("Order 42")
//!     .amount(Amount::new(5000)?)
//!     .currency(Currency::GEL)
//!     .card_number("4444555511116666")
//!     .expiry_date("1230")
//!     .cvv2("123")
//!     .preauth(true)
//!     .build();
//! match flows::pay_direct(&client, &request).await? {
//!     StepOne::Preauthorized(hold) => {
//!         let captured = hold.capture(&client, Amount::new(4000)?).await?;
//!         let refund = captured.refund(&client, Amount::new(1000)?, "refund-1").await?;
//!         println!("refunded; {} left", refund.remaining());
//!     }
//!     StepOne::ThreeDs(pending) => println!("send the customer to {}", pending.acs_url()),
//!     StepOne::Approved(paid) => println!("paid {}", paid.amount()),
//!     StepOne::Declined(d) => println!("declined: {}", d),
//! }
//! # Ok(()) }
//! ```

mod any;
mod direct;
mod hosted;
mod payment;

pub use any::AnyPayment;
pub use direct::{Completed, Declined, StepOne, ThreeDsPending, charge, pay_direct};
pub use hosted::{Order, OrderCreated, Subscription, create_checkout, subscribe};
pub use payment::{
    Approved, AwaitingThreeDs, Capturable, Captured, Failed, Payment, PaymentState, Preauthorized,
    RecToken, Refund, Refundable, Reversed, Voidable,
};

#[cfg(doc)]
use crate::Error;

/// The transition table the types implement, as `(from, transition, to)`: the state diagram
/// above in data, checked by a test (every state reachable from a start, every state able to
/// reach a terminal one). The compile-fail tests check that nothing outside it compiles.
pub const TRANSITIONS: &[(&str, &str, &str)] = &[
    ("start", "pay_direct", "ThreeDsPending"),
    ("start", "pay_direct", "Approved"),
    ("start", "pay_direct", "Preauthorized"),
    ("start", "pay_direct", "Declined"),
    ("start", "charge", "Approved"),
    ("start", "charge", "Declined"),
    ("start", "create_checkout", "OrderCreated"),
    ("OrderCreated", "lookup / callback", "Approved"),
    ("OrderCreated", "lookup / callback", "Preauthorized"),
    ("OrderCreated", "lookup / callback", "Declined"),
    ("ThreeDsPending", "complete", "Approved"),
    ("ThreeDsPending", "complete", "Preauthorized"),
    ("ThreeDsPending", "complete", "Declined"),
    ("Preauthorized", "capture", "Captured"),
    ("Preauthorized", "void", "Reversed"),
    ("Approved", "refund (part)", "Approved"),
    ("Approved", "refund (rest)", "Reversed"),
    ("Captured", "refund (part)", "Captured"),
    ("Captured", "refund (rest)", "Reversed"),
];

/// States with no way out.
pub const TERMINAL: &[&str] = &["Reversed", "Declined"];

#[cfg(test)]
mod tests {
    use super::{TERMINAL, TRANSITIONS};
    use std::collections::BTreeSet;

    fn states() -> BTreeSet<&'static str> {
        TRANSITIONS.iter().flat_map(|(a, _, b)| [*a, *b]).collect()
    }

    fn reachable(from: &str, forward: bool) -> BTreeSet<&'static str> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(s) = todo.pop() {
            for (a, _, b) in TRANSITIONS {
                let (here, next) = if forward { (a, b) } else { (b, a) };
                if *here == s && seen.insert(*next) {
                    todo.push((*next).to_owned());
                }
            }
        }
        seen
    }

    #[test]
    fn every_state_is_reachable_from_the_start() {
        let reached = reachable("start", true);
        for s in states().into_iter().filter(|s| *s != "start") {
            assert!(reached.contains(s), "{s} is unreachable");
        }
    }

    #[test]
    fn every_state_can_reach_a_terminal_one() {
        for s in states() {
            let ahead = reachable(s, true);
            assert!(
                TERMINAL.contains(&s) || TERMINAL.iter().any(|t| ahead.contains(t)),
                "{s} cannot end"
            );
        }
    }

    #[test]
    fn terminal_states_have_no_way_out() {
        for (from, how, _) in TRANSITIONS {
            assert!(!TERMINAL.contains(from), "{from} has a way out: {how}");
        }
    }
}
