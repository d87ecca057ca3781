// A wallet payment pays with its container alone: there is no card number to add.
use flitt::api::WalletContainerRequest;
use flitt::types::{Amount, Currency};

fn main() {
    let _ = WalletContainerRequest::builder()
        .order_desc("wallet")
        .amount(Amount::new(100).unwrap())
        .currency(Currency::GEL)
        .container("eyJ0b2tlbiI6e319")
        .card_number("4444555511116666")
        .build();
}
