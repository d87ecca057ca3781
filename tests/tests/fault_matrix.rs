//! The fault matrix: every money-moving endpoint × every fault the sandbox injects, through the
//! typed client over real HTTP on 127.0.0.1.
//!
//! For each pair the client must end in a state that is true:
//! - `Ok` only when the ledger has the effect;
//! - otherwise [`Error::OutcomeUnknown`] carrying the order id that was sent (or, for a fault
//!   that fires before the ledger, a refusal that changed nothing);
//! - never a second charge: the ledger shows the effect at most once;
//! - and a status lookup afterwards settles it: it agrees with the ledger.
//!
//! The matrix (fault × endpoint → outcome) is printed, so a run shows it:
//! `cargo test -p flitt-tests --test fault_matrix -- --nocapture`.

use flitt::api::{
    CaptureRequest, OrderStatus, P2pCreditRequest, RecurringRequest, ReverseRequest, StatusRequest,
    ThreeDsStep1Request, ThreeDsStep2Request,
};
use flitt::flows::{self, StepOne};
use flitt::types::{Amount, Currency, OrderId, Sensitive};
use flitt::{Client, Error};
use flitt_sandbox::ledger::{Order, Status};
use flitt_sandbox::{Fault, FaultRule, Sandbox};
use std::collections::BTreeMap;
use std::time::Duration;

const APPROVE: &str = "4444555511116666";
const APPROVE_3DS: &str = "4444555566661111";
/// The client gives up on a reply after this long (generous: the machine may be busy); `Hold`
/// and the slow `SlowDrip` last twice as long.
const TIMEOUT: Duration = Duration::from_millis(3_000);

fn faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("5xx before ledger", Fault::ErrorBeforeLedger),
        ("5xx after ledger", Fault::ErrorAfterLedger),
        (
            "timeout after ledger",
            Fault::Hold(Duration::from_millis(6_000)),
        ),
        ("cut after headers", Fault::DropConnection),
        ("connection reset", Fault::ConnectionReset),
        ("truncated body", Fault::TruncatedBody),
        ("HTML body", Fault::HtmlBody),
        ("forged signature", Fault::BadSignature),
        ("missing signature", Fault::MissingSignature),
        (
            "slow drip past timeout",
            Fault::SlowDrip(Duration::from_millis(6_000)),
        ),
        (
            "slow drip within timeout",
            Fault::SlowDrip(Duration::from_millis(150)),
        ),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Endpoint {
    Step1,
    Step2,
    Recurring,
    Capture,
    Reverse,
    P2pCredit,
}

impl Endpoint {
    const ALL: [Endpoint; 6] = [
        Endpoint::Step1,
        Endpoint::Step2,
        Endpoint::Recurring,
        Endpoint::Capture,
        Endpoint::Reverse,
        Endpoint::P2pCredit,
    ];

    fn path(self) -> &'static str {
        match self {
            Endpoint::Step1 => "/api/3dsecure_step1",
            Endpoint::Step2 => "/api/3dsecure_step2",
            Endpoint::Recurring => "/api/recurring",
            Endpoint::Capture => "/api/capture/order_id",
            Endpoint::Reverse => "/api/reverse/order_id",
            Endpoint::P2pCredit => "/api/p2pcredit",
        }
    }
}

fn client(sandbox: &Sandbox, timeout: Duration) -> Client {
    flitt_tests::sandbox_client(sandbox, timeout)
}

fn amount(n: u64) -> Amount {
    Amount::new(n).unwrap()
}

fn step1(id: &OrderId, card: &str, preauth: bool) -> ThreeDsStep1Request {
    ThreeDsStep1Request::builder()
        .order_id(id.clone())
        .order_desc("matrix")
        .amount(amount(1_000))
        .currency(Currency::GEL)
        .card_number(card)
        .expiry_date("1230")
        .cvv2("123")
        .preauth(preauth)
        .required_rectoken(true)
        .build()
}

/// What the money call did, as the client reports it.
#[derive(Debug)]
enum Seen {
    Ok,
    Unknown,
    Refused(String),
}

/// Runs one cell: prepares the order with a fault-free client, sends the money call with the
/// fault armed, and checks the outcome against the ledger. Returns the outcome's name.
async fn cell(endpoint: Endpoint, fault: Fault, n: usize) -> String {
    let sandbox = Sandbox::start().await.unwrap();
    let clean = client(&sandbox, Duration::from_secs(10));
    let faulty = client(&sandbox, TIMEOUT);
    let id = OrderId::new(format!("matrix-{n}")).unwrap();

    // Preconditions, fault-free.
    let mut pending_md = None;
    let mut token = None;
    match endpoint {
        Endpoint::Capture | Endpoint::Reverse => {
            let StepOne::Preauthorized(_) = flows::pay_direct(&clean, &step1(&id, APPROVE, true))
                .await
                .unwrap()
            else {
                panic!("a hold expected")
            };
            if endpoint == Endpoint::Reverse {
                clean
                    .send(&capture(&id))
                    .await
                    .expect("the capture before the refund");
            }
        }
        Endpoint::Step2 => {
            let StepOne::ThreeDs(p) = flows::pay_direct(&clean, &step1(&id, APPROVE_3DS, false))
                .await
                .unwrap()
            else {
                panic!("3-D Secure expected")
            };
            pending_md = Some(p.md().to_owned());
        }
        Endpoint::Recurring => {
            let first = OrderId::new(format!("matrix-{n}-first")).unwrap();
            let StepOne::Approved(paid) = flows::pay_direct(&clean, &step1(&first, APPROVE, false))
                .await
                .unwrap()
            else {
                panic!("an approved payment expected")
            };
            token = Some(paid.rectoken().expect("a token").expose().to_owned());
        }
        Endpoint::Step1 | Endpoint::P2pCredit => {}
    }
    let before = sandbox.order(id.as_str());

    sandbox.inject(FaultRule::on_path(endpoint.path(), fault.clone()));
    let result: Result<(), Error> = match endpoint {
        Endpoint::Step1 => faulty
            .send(&step1(&id, APPROVE, false))
            .await
            .map(|r| assert_eq!(r.order_status, Some(OrderStatus::Approved))),
        Endpoint::Step2 => {
            let md = pending_md.unwrap();
            let request = ThreeDsStep2Request::builder()
                .order_id(id.clone())
                .pares(format!("pares-for-{md}"))
                .md(md)
                .build();
            faulty
                .send(&request)
                .await
                .map(|r| assert_eq!(r.order_status, Some(OrderStatus::Approved)))
        }
        Endpoint::Recurring => {
            let request = RecurringRequest::builder()
                .order_id(id.clone())
                .order_desc("matrix")
                .amount(amount(1_000))
                .currency(Currency::GEL)
                .rectoken(Sensitive::from(token.unwrap()))
                .build();
            faulty
                .send(&request)
                .await
                .map(|r| assert_eq!(r.order_status, Some(OrderStatus::Approved)))
        }
        Endpoint::Capture => faulty.send(&capture(&id)).await.map(|_| ()),
        Endpoint::Reverse => faulty.send(&reverse(&id)).await.map(|_| ()),
        Endpoint::P2pCredit => {
            let request = P2pCreditRequest::builder()
                .order_id(id.clone())
                .order_desc("matrix payout")
                .amount(amount(1_000))
                .currency(Currency::GEL)
                .receiver_card_number(APPROVE)
                .build();
            faulty
                .send(&request)
                .await
                .map(|r| assert_eq!(r.order_status, Some(OrderStatus::Approved)))
        }
    };
    let seen = match result {
        Ok(()) => Seen::Ok,
        Err(Error::OutcomeUnknown(u)) => {
            assert_eq!(
                u.order_id.as_ref(),
                Some(&id),
                "{endpoint:?} × {fault:?}: the unknown outcome names the order sent"
            );
            Seen::Unknown
        }
        Err(e) => Seen::Refused(e.kind().to_owned()),
    };

    // The sandbox applies a request before any fault but the first, so the ledger says
    // whether it happened; the client must agree with it.
    let after = sandbox.order(id.as_str());
    let applied = applied(endpoint, before.as_ref(), after.as_ref());
    match &seen {
        Seen::Ok => assert!(applied, "{endpoint:?} × {fault:?}: Ok without the ledger"),
        Seen::Unknown => {}
        Seen::Refused(kind) => assert!(
            !applied,
            "{endpoint:?} × {fault:?}: reported {kind} but the ledger applied it"
        ),
    }
    assert_eq!(
        applied,
        fault.after_ledger(),
        "{endpoint:?} × {fault:?}: the sandbox applies every request but a 5xx-before: {after:?}"
    );
    if let Some(order) = &after {
        never_doubled(endpoint, order);
    }

    // A status lookup settles it, and agrees with the ledger.
    let lookup = clean
        .send(&StatusRequest::builder().order_id(id.clone()).build())
        .await;
    match (&after, lookup) {
        (Some(order), Ok(reply)) => assert_eq!(
            reply.order_status.as_ref().map(|s| s.as_str().to_owned()),
            Some(order.status.as_str().to_owned()),
            "{endpoint:?} × {fault:?}: the lookup agrees with the ledger"
        ),
        (None, Err(e)) => assert_eq!(e.gateway().and_then(|g| g.code), Some(1018)),
        (order, lookup) => panic!("{endpoint:?} × {fault:?}: ledger {order:?}, lookup {lookup:?}"),
    }
    match seen {
        Seen::Ok => "ok".into(),
        Seen::Unknown => "unknown→settled".into(),
        Seen::Refused(kind) => format!("refused ({kind})"),
    }
}

fn capture(id: &OrderId) -> CaptureRequest {
    CaptureRequest::builder()
        .order_id(id.clone())
        .amount(amount(1_000))
        .currency(Currency::GEL)
        .build()
}

fn reverse(id: &OrderId) -> ReverseRequest {
    ReverseRequest::builder()
        .order_id(id.clone())
        .amount(amount(400))
        .currency(Currency::GEL)
        .reverse_id("matrix-refund")
        .build()
}

/// Whether the money call took effect in the ledger.
fn applied(endpoint: Endpoint, before: Option<&Order>, after: Option<&Order>) -> bool {
    match endpoint {
        Endpoint::Step1 | Endpoint::Recurring | Endpoint::P2pCredit => {
            after.is_some_and(|o| o.status == Status::Approved)
        }
        Endpoint::Step2 => {
            before.is_some_and(|o| o.status != Status::Approved)
                && after.is_some_and(|o| o.status == Status::Approved)
        }
        Endpoint::Capture => after.is_some_and(|o| o.capture_amount == Some(1_000)),
        Endpoint::Reverse => after.is_some_and(|o| o.reversal_amount > 0),
    }
}

/// The ledger shows each effect once: one charge of the amount, one capture, one refund.
fn never_doubled(endpoint: Endpoint, order: &Order) {
    assert!(order.reversal_amount <= 400, "{endpoint:?}: {order:?}");
    assert!(order.reverse_ids.len() <= 1, "{endpoint:?}: {order:?}");
    assert!(order.capture_amount.is_none_or(|a| a == 1_000));
    assert_eq!(order.amount, 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_money_endpoint_under_every_fault_ends_true() {
    let mut matrix: BTreeMap<(&str, Endpoint), String> = BTreeMap::new();
    let mut n = 0;
    for (name, fault) in faults() {
        // The endpoints of one fault run side by side; each has its own sandbox.
        let cells = Endpoint::ALL.map(|endpoint| {
            n += 1;
            let fault = fault.clone();
            let n = n;
            tokio::spawn(async move { (endpoint, cell(endpoint, fault, n).await) })
        });
        for handle in cells {
            let (endpoint, outcome) = handle.await.expect("a cell panicked");
            matrix.insert((name, endpoint), outcome);
        }
    }
    let mut table = String::from("fault | ");
    table += &Endpoint::ALL.map(|e| format!("{e:?}")).join(" | ");
    for (name, _) in faults() {
        table += &format!("\n{name} | ");
        table += &Endpoint::ALL
            .map(|e| matrix[&(name, e)].clone())
            .join(" | ");
    }
    println!("{table}");
    // The slow reply within the timeout is a plain success everywhere.
    for e in Endpoint::ALL {
        assert_eq!(matrix[&("slow drip within timeout", e)], "ok", "{e:?}");
    }
}
