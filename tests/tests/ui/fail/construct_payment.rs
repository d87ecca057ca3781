use flitt::flows::{Approved, Payment};

fn forge() -> Payment<Approved> {
    Payment {
        order_id: flitt::types::OrderId::new("o").unwrap(),
        currency: flitt::types::Currency::GEL,
        amount: 100,
        captured: None,
        refunded: 0,
        rectoken: None,
        last: Default::default(),
        state: todo!(),
    }
}

fn main() {
    let _ = forge();
}
