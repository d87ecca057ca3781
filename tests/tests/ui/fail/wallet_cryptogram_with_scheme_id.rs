// A customer-initiated wallet payment carries a cryptogram; the merchant-initiated repeat carries
// the scheme id instead. One request type cannot take both.
use flitt::api::{Wallet, WalletDecryptedRequest};
use flitt::types::{Amount, Currency};

fn main() {
    let _ = WalletDecryptedRequest::builder()
        .order_desc("wallet")
        .amount(Amount::new(100).unwrap())
        .currency(Currency::GEL)
        .card_number("4444555511116666")
        .expiry_date("1230")
        .wallet(Wallet::Applepay)
        .cavv("AEH2lSgIQ9/OAALA1DWsGgADFA==")
        .schemeid("885056510569385")
        .build();
}
