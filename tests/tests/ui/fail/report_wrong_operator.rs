use flitt::api::reports::all_transactions as report;

fn main() {
    // `like` is a text operator; `amount` is a float field.
    let _ = report::amount().like("100");
}
