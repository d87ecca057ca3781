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
pub use direct::{
    Completed, Declined, DirectPayment, DirectTerms, StepOne, ThreeDsPending, charge, pay_direct,
};
pub use hosted::{Order, OrderCreated, Subscription, create_checkout, subscribe};
pub use payment::{
    Approved, AwaitingThreeDs, Capturable, Captured, Failed, Payment, PaymentState, Preauthorized,
    RecToken, Refund, Refundable, Reversed, Voidable,
};

#[cfg(doc)]
use crate::Error;
