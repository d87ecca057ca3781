//! Every allowed transition compiles.
use flitt::flows::{
    self, AnyPayment, Approved, Captured, Completed, Payment, Preauthorized, Refund, StepOne,
    ThreeDsPending,
};
use flitt::types::{Amount, Currency};

async fn hold_capture_refund(client: &flitt::Client, hold: Payment<Preauthorized>) {
    let captured: Payment<Captured> = hold.capture(client, Amount::new(100).unwrap()).await.unwrap();
    match captured.refund(client, Amount::new(40).unwrap(), "r-1").await.unwrap() {
        Refund::Partial(still) => {
            let _ = still.refund(client, Amount::new(60).unwrap(), "r-2").await;
        }
        Refund::Full(_reversed) => {}
    }
}

async fn void(client: &flitt::Client, hold: Payment<Preauthorized>) {
    let _reversed = hold.void(client, "void-1").await.unwrap();
}

async fn refund_approved(client: &flitt::Client, paid: Payment<Approved>) {
    let _ = paid.refund(client, Amount::new(100).unwrap(), "r-1").await;
}

async fn three_ds(client: &flitt::Client, pending: ThreeDsPending) {
    let _form = pending.acs_form("https://shop.example/3ds/return");
    match pending.complete(client, [("PaRes", "x"), ("MD", "y")]).await.unwrap() {
        Completed::Approved(_) | Completed::Preauthorized(_) | Completed::Declined(_) => {}
    }
}

async fn recurring(client: &flitt::Client, paid: Payment<Approved>) {
    if let Some(token) = paid.rectoken() {
        let _ = flows::charge(client, token, "Plan", Amount::new(100).unwrap(), Currency::GEL).await;
    }
}

async fn resume(client: &flitt::Client, id: flitt::types::OrderId) {
    let any = AnyPayment::lookup(client, &id).await.unwrap();
    if let Ok(hold) = any.try_into_preauthorized() {
        let _ = hold.capture(client, Amount::new(100).unwrap()).await;
    }
}

async fn direct(client: &flitt::Client, request: &flitt::api::ThreeDsStep1Request) {
    match flows::pay_direct(client, request).await.unwrap() {
        StepOne::Approved(_) | StepOne::Preauthorized(_) | StepOne::ThreeDs(_) | StepOne::Declined(_) => {}
    }
}

fn main() {
    let _ = (hold_capture_refund, void, refund_approved, three_ds, recurring, resume, direct);
}
